"""A small character-level GPT, written as a PyTorch user writes one, trained on Lucid.

    python -m lucid.examples.gpt                       # ~25 s on 2 cores, then samples text
    python -m lucid.examples.gpt --steps 600 --checkpoint gpt.lucid
    python -m lucid.examples.gpt --resume gpt.lucid --steps 800

The model code below imports Lucid under PyTorch's names (``import lucid as torch``) and uses
nothing PyTorch lacks: token and position embeddings, pre-norm transformer blocks with causal
self-attention (``F.scaled_dot_product_attention(..., is_causal=True)``), AdamW with two
parameter groups (no weight decay on biases and norms), a linear warmup then cosine decay of
the learning rate, gradient clipping, and checkpoints with ``torch.save``/``torch.load``. The
training text is ``data/verses.txt``, rhyming verses from the grammar in ``gpt_text.py``.

Two places differ from a PyTorch script because Lucid lacks the op: sampling draws from the
softmax with NumPy (``torch.multinomial`` is missing), and top-k filtering uses NumPy too.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import lucid as torch
import lucid.nn as nn
import lucid.nn.functional as F

TEXT = Path(__file__).with_name("data") / "verses.txt"


@dataclass
class GPTConfig:
    vocab_size: int
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(
                f"n_embd ({config.n_embd}) must be divisible by n_head ({config.n_head})"
            )
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).chunk(3, dim=2)
        # (B, T, C) -> (B, n_head, T, head size)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T = idx.size()
        if T > self.config.block_size:
            raise ValueError(f"sequence of length {T} exceeds block_size {self.config.block_size}")
        pos = torch.arange(0, T, dtype=torch.int64)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizers(
        self, weight_decay: float, learning_rate: float, betas: tuple[float, float]
    ) -> torch.optim.AdamW:
        """AdamW with weight decay on the matrices (linear and embedding weights) only."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]  # biases and LayerNorm weights
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` tokens to ``idx`` (B, T), each drawn from the model's
        next-token distribution at ``temperature``, restricted to the ``top_k`` likeliest."""
        rng = generator if generator is not None else torch.random.generator()
        for _ in range(max_new_tokens):
            context = idx[:, -self.config.block_size :]
            logits, _ = self(context)
            logits = logits[:, -1, :] / temperature
            probs = F.softmax(logits, dim=-1).numpy().astype(np.float64)
            if top_k is not None:
                # torch.topk / torch.multinomial are missing in Lucid: NumPy does both here.
                cutoff = np.sort(probs, axis=-1)[:, -min(top_k, probs.shape[-1]), None]
                probs = np.where(probs < cutoff, 0.0, probs)
            probs /= probs.sum(axis=-1, keepdims=True)
            nxt = np.array([[rng.choice(probs.shape[-1], p=row)] for row in probs])
            idx = torch.cat([idx, torch.tensor(nxt, dtype=torch.int64)], dim=1)
        return idx


# --------------------------------------------------------------------------- data and schedule


class CharCodec:
    """Characters to integer ids and back."""

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}

    def encode(self, s: str) -> list[int]:
        return [self.stoi[c] for c in s]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i] for i in ids)


def get_batch(data: torch.Tensor, block_size: int, batch_size: int) -> tuple[Any, Any]:
    """``batch_size`` random windows of ``block_size`` characters and the next characters."""
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i : i + block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix.tolist()])
    return x, y


def warmup_cosine(warmup: int, total: int, floor: float = 0.1) -> Callable[[int], float]:
    """The lr factor: linear from 1/warmup to 1 over ``warmup`` steps, then a cosine down to
    ``floor`` at step ``total``."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


@torch.no_grad()
def estimate_loss(model: GPT, data: torch.Tensor, block_size: int, batches: int = 4) -> float:
    model.eval()
    losses = [model(*get_batch(data, block_size, 32))[1].item() for _ in range(batches)]
    model.train()
    return float(np.mean(losses))


# --------------------------------------------------------------------------- the job


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="optimizer steps in all")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--n-layer", type=int, default=2)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=6e-3)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", type=Path, default=None, help="save here at the end")
    p.add_argument("--resume", type=Path, default=None, help="continue from this checkpoint")
    p.add_argument("--sample-chars", type=int, default=300)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--blas-threads", type=int, default=1,
        help="BLAS threads (needs threadpoolctl; 0 leaves BLAS alone). The matrices here are "
             "small: one thread is fastest, and far faster than several on a busy machine",
    )  # fmt: skip
    return p.parse_args(argv)


def _limit_blas_threads(threads: int) -> Any:
    """A context that caps BLAS's threads, or a no-op without threadpoolctl."""
    import contextlib

    if threads <= 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def _progress(steps: range, quiet: bool) -> Any:
    if quiet:
        return steps
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an optional extra (lucid[examples])
        return steps
    return tqdm(steps, desc="train", unit="step", file=sys.stdout, dynamic_ncols=True)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Train, report the losses, save a checkpoint, print a sample; returns the numbers."""
    args = parse_args(argv)
    with _limit_blas_threads(args.blas_threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict[str, Any]:
    torch.manual_seed(args.seed)
    text = TEXT.read_text(encoding="ascii")
    codec = CharCodec(text)
    data = torch.tensor(codec.encode(text), dtype=torch.int64)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]

    config = GPTConfig(codec_size := len(codec.chars), args.block_size, args.n_layer,
                       args.n_head, args.n_embd, args.dropout)  # fmt: skip
    start_step = 0
    ckpt = None
    if args.resume is not None:
        ckpt = torch.load(args.resume, map_location="cpu", weights_only=True)
        config = GPTConfig(**ckpt["config"])
        if config.vocab_size != codec_size:
            raise ValueError(f"{args.resume} was trained on another alphabet")
    model = GPT(config)
    optimizer = model.configure_optimizers(args.weight_decay, args.lr, (0.9, 0.99))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_cosine(args.warmup, args.steps)
    )
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start_step = int(ckpt["step"])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"GPT: {n_params / 1e3:.1f}k parameters, vocabulary {config.vocab_size}, "
          f"{len(text)} characters of text")  # fmt: skip

    history: list[tuple[int, float]] = []
    evals: list[tuple[int, float, float]] = []
    t0 = time.perf_counter()
    bar = _progress(range(start_step, args.steps), args.quiet)
    model.train()
    for step in bar:
        xb, yb = get_batch(train_data, config.block_size, args.batch_size)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        scheduler.step()
        history.append((step, loss.item()))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            train_loss = estimate_loss(model, train_data, config.block_size)
            val_loss = estimate_loss(model, val_data, config.block_size)
            evals.append((step + 1, train_loss, val_loss))
            message = f"step {step + 1}: train loss {train_loss:.3f}, val loss {val_loss:.3f}"
            (bar.write if hasattr(bar, "write") else print)(message)
    if hasattr(bar, "close"):
        bar.close()
    seconds = time.perf_counter() - t0
    print(f"trained {args.steps - start_step} steps in {seconds:.1f} s")

    if args.checkpoint is not None:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "step": args.steps,
                    "config": asdict(config)}, args.checkpoint)  # fmt: skip
        print(f"saved {args.checkpoint}")

    model.eval()
    prompt = torch.tensor([codec.encode("the ")], dtype=torch.int64)
    rng = np.random.default_rng(args.seed)
    out = model.generate(prompt, args.sample_chars, temperature=0.8, top_k=10, generator=rng)
    sample = codec.decode(out[0].tolist())
    print("sample:\n" + sample)
    return {"history": history, "evals": evals, "sample": sample, "seconds": seconds}


if __name__ == "__main__":
    main()
