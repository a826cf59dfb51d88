"""Lucid's main job: train a small CNN (or MLP) on handwritten digits, offline by default.

    python -m lucid.examples.train                      # 8x8 digits from scikit-learn
    python -m lucid.examples.train --dataset mnist --data-dir DIR
    mpiexec -n 2 python -m lucid.examples.train        # data-parallel (lucid[distributed])

Each epoch shows a progress bar with the running loss and accuracy, then the validation
accuracy and macro and micro F1. The best model so far is saved with ``lucid.save``;
``--resume`` continues from such a checkpoint, ``--plot`` draws the curves (matplotlib),
``--export-onnx PATH`` writes the best model as ONNX (the onnx extra).

Started by ``mpiexec -n N`` the job runs data-parallel: each rank trains a replica
(``DistributedDataParallel``) on its shard of every batch (``DistributedSampler``), so
``--batch-size`` stays the global batch, split N ways; validation is sharded too, and only
rank 0 prints, plots and writes checkpoints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.data import DataLoader, DistributedSampler, TensorDataset


def build_model(kind: str, image_size: int, n_classes: int = 10) -> nn.Module:
    """A small CNN (two 3x3 convolutions, one 2x2 max-pool) or a two-layer MLP."""
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(image_size * image_size, 128),
            nn.ReLU(),
            nn.Linear(128, n_classes),
        )
    if kind != "cnn":
        raise ValueError(f"unknown model {kind!r}: expected 'mlp' or 'cnn'")
    pooled = image_size // 4 if image_size >= 16 else image_size // 2
    layers: list[nn.Module] = [
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]
    if image_size >= 16:  # MNIST's 28x28 is pooled twice, the digits' 8x8 once
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(32 * pooled * pooled, 64), nn.ReLU(),
               nn.Linear(64, n_classes)]  # fmt: skip
    return nn.Sequential(*layers)


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and validation images (float32, N x 1 x H x W, in [0, 1]) and int64 labels."""
    if args.dataset == "digits":
        from lucid.datasets import load_digits

        images, labels = load_digits()
        images, labels = np.asarray(images, np.float32), np.asarray(labels, np.int64)
        order = np.random.default_rng(args.seed).permutation(len(labels))
        n_val = len(labels) // 5
        val, train = order[:n_val], order[n_val:]
        return images[train], labels[train], images[val], labels[val]
    from lucid.datasets import MNIST

    def arrays(train: bool) -> tuple[np.ndarray, np.ndarray]:
        ds = MNIST(args.data_dir, train=train)
        return (ds.data[:, None].astype(np.float32) / 255.0, np.asarray(ds.targets, np.int64))

    try:
        x_train, y_train = arrays(True)
        x_val, y_val = arrays(False)
    except FileNotFoundError:
        # Only the 10,000-image test set is there (as in ../shared/data/mnist): train on its
        # first 8,000 images and validate on the last 2,000.
        x, y = arrays(False)
        x_train, y_train, x_val, y_val = x[:8000], y[:8000], x[8000:], y[8000:]
    return x_train, y_train, x_val, y_val


def f1_scores(pred: np.ndarray, true: np.ndarray, n_classes: int) -> tuple[float, float]:
    """Macro F1 (the mean of per-class F1) and micro F1 (pooled counts; equals accuracy)."""
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (true, pred), 1)
    return f1_from_confusion(confusion)


def f1_from_confusion(confusion: np.ndarray) -> tuple[float, float]:
    """Macro and micro F1 of a confusion matrix (rows: true class, columns: predicted)."""
    tp = np.diag(confusion).astype(np.float64)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    denom = 2 * tp + fp + fn
    per_class = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    return float(per_class.mean()), float(micro)


def evaluate(
    model: nn.Module, loader: Iterable, sum_over_ranks: bool = False
) -> tuple[float, float, float, float]:
    """Mean loss, accuracy, macro F1 and micro F1 over a loader, without a graph.

    With ``sum_over_ranks`` each rank passes its shard of the validation set and the
    counts are summed over the process group first, so every rank gets the whole set's."""
    model.eval()
    confusion = np.zeros((10, 10), dtype=np.int64)
    total_loss, n = 0.0, 0
    with lucid.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            np.add.at(confusion, (y.numpy(), logits.argmax(dim=1).numpy()), 1)
            n += len(y)
    if sum_over_ranks:
        total_loss, n, confusion = _sum_over_ranks(total_loss, n, confusion)
    macro, micro = f1_from_confusion(confusion)
    return total_loss / n, float(np.trace(confusion) / n), macro, micro


def _sum_over_ranks(*values: Any) -> list:
    """Each value (numbers and arrays) summed over the ranks, in float64 and back."""
    import lucid.distributed as dist

    flat = np.concatenate([np.asarray(v, np.float64).reshape(-1) for v in values])
    total = lucid.tensor(flat)
    dist.all_reduce(total)
    out, start = [], 0
    for v in values:
        size = np.size(v)
        part = total.numpy()[start : start + size]
        start += size
        if isinstance(v, np.ndarray):
            out.append(part.reshape(v.shape).astype(v.dtype))
        else:
            out.append(type(v)(part[0]))
    return out


def _start_distributed() -> tuple[int, int]:
    """(rank, world size): joins the process group when mpiexec started several ranks."""
    from lucid.distributed.process_group import launched_world_size

    if launched_world_size() <= 1:
        return 0, 1
    import lucid.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("mpi")
    return dist.get_rank(), dist.get_world_size()


def _progress(iterable: Iterable, total: int, desc: str, quiet: bool) -> Any:
    """A tqdm bar when tqdm is installed (``lucid[examples]``), else the plain iterable."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=True, disable=quiet, file=sys.stdout,
                dynamic_ncols=True)  # fmt: skip


def plot_history(history: list[dict], path: str) -> bool:
    """Loss and accuracy curves as a PNG; False (with a note) when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("--plot needs matplotlib: pip install matplotlib", file=sys.stderr)
        return False
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], marker="o", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
    ax_acc.plot(epochs, [h["train_acc"] for h in history], marker="o", label="train")
    ax_acc.plot(epochs, [h["val_acc"] for h in history], marker="o", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def export_onnx(model: nn.Module, checkpoint: str, example: np.ndarray, path: str) -> None:
    """Write the best checkpoint's model to ``path`` as ONNX, its batch axis dynamic."""
    from lucid.onnx import export

    model.load_state_dict(lucid.load(checkpoint)["model"])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    batch = {0: "batch"}
    export(model, lucid.tensor(example), path, input_names=["images"], output_names=["logits"],
           dynamic_axes={"images": batch, "logits": batch})  # fmt: skip
    print(f"ONNX model written to {path}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="lucid-train", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    p.add_argument("--data-dir", default=os.environ.get("LUCID_MNIST_DIR", "data/mnist"),
                   help="folder with the MNIST IDX files (for --dataset mnist)")  # fmt: skip
    p.add_argument("--model", choices=["mlp", "cnn"], default="cnn")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default="checkpoints/best.lucid",
                   help="where the best model is saved (lucid.save)")  # fmt: skip
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint")
    p.add_argument("--plot", metavar="PATH", help="write a PNG of the loss and accuracy curves")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--export-onnx", metavar="PATH",
                   help="write the best model as ONNX (needs the onnx extra)")  # fmt: skip
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        p.error("--epochs and --batch-size must be positive, --lr above zero")
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    """Train, validate after every epoch, keep the best checkpoint; returns the summary."""
    args = parse_args(argv)
    started = time.perf_counter()
    rank, world = _start_distributed()
    if args.batch_size % world:
        raise SystemExit(f"lucid-train: --batch-size {args.batch_size} (the global batch) must "
                         f"divide by the {world} ranks")  # fmt: skip
    say = print if rank == 0 else (lambda *a, **k: None)  # only rank 0 prints
    lucid.random.seed(args.seed)
    x_train, y_train, x_val, y_val = load_data(args)
    train_set = TensorDataset(lucid.tensor(x_train), lucid.tensor(y_train))
    sampler = None
    if world == 1:
        train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    else:  # each rank takes its shard of every global batch
        sampler = DistributedSampler(train_set, world, rank, shuffle=True, seed=args.seed)
        train_loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)
    val_loader = DataLoader(TensorDataset(lucid.tensor(x_val[rank::world]),
                                          lucid.tensor(y_val[rank::world])),
                            batch_size=256)  # fmt: skip
    model = build_model(args.model, x_train.shape[-1])
    optimizer = lucid.optim.Adam(model.parameters(), lr=args.lr)
    history: list[dict] = []
    start_epoch, best_acc = 1, -1.0
    if args.resume:
        ckpt = lucid.load(args.resume)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        lucid.random.seed(int(ckpt["seed_next"]))
        history, best_acc = list(ckpt["history"]), float(ckpt["best_val_acc"])
        start_epoch = int(ckpt["epoch"]) + 1
        say(f"resumed from {args.resume} after epoch {start_epoch - 1}")
    net = model
    if world > 1:
        from lucid.distributed import DistributedDataParallel

        net = DistributedDataParallel(model)  # rank 0's weights everywhere
    n_params = sum(p.numel() for p in model.parameters())
    say(f"{args.dataset}: {len(y_train)} training and {len(y_val)} validation images; "
        f"{args.model} with {n_params:,} parameters")  # fmt: skip
    if world > 1:
        say(f"data-parallel on {world} ranks: global batch {args.batch_size} = {world} x "
            f"{args.batch_size // world}")  # fmt: skip
    for epoch in range(start_epoch, args.epochs + 1):
        net.train()
        if sampler is not None:
            sampler.set_epoch(epoch)
        seen = correct = 0
        total_loss = 0.0
        bar = _progress(train_loader, len(train_loader), f"epoch {epoch}/{args.epochs}",
                        args.quiet or rank != 0)  # fmt: skip
        for x, y in bar:
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(y)
            total_loss += loss.item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        if world > 1:
            total_loss, correct, seen = _sum_over_ranks(total_loss, correct, seen)
        val_loss, val_acc, macro_f1, micro_f1 = evaluate(model, val_loader, world > 1)
        history.append({"epoch": epoch, "train_loss": total_loss / seen,
                        "train_acc": correct / seen, "val_loss": val_loss, "val_acc": val_acc,
                        "macro_f1": macro_f1, "micro_f1": micro_f1})  # fmt: skip
        say(f"epoch {epoch}: val loss {val_loss:.4f}  val acc {val_acc:.4f}  "
            f"macro F1 {macro_f1:.4f}  micro F1 {micro_f1:.4f}", flush=True)  # fmt: skip
        if val_acc > best_acc:  # the same on every rank: the metrics were summed over ranks
            best_acc = val_acc
            if rank == 0:  # lucid.save writes a temporary file and renames it: atomic
                Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
                lucid.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "epoch": epoch, "best_val_acc": best_acc, "history": history,
                            "seed_next": args.seed + epoch, "args": vars(args)},
                           args.checkpoint)  # fmt: skip
        lucid.random.seed(args.seed + epoch)  # each epoch's shuffle is reproducible on resume
    if args.export_onnx and rank == 0:
        export_onnx(model, args.checkpoint, x_val[:1], args.export_onnx)
    if args.plot and rank == 0 and plot_history(history, args.plot):
        print(f"plot written to {args.plot}")
    best = max(history, key=lambda h: h["val_acc"]) if history else {}
    elapsed = time.perf_counter() - started
    say(f"best validation accuracy {best.get('val_acc', float('nan')):.4f} "
        f"(macro F1 {best.get('macro_f1', float('nan')):.4f}) at epoch {best.get('epoch')}; "
        f"checkpoint {args.checkpoint}; {elapsed:.1f} s")  # fmt: skip
    if world > 1:
        import lucid.distributed as dist

        dist.barrier()  # the checkpoint is complete before any rank returns
    return {"best": best, "history": history, "seconds": elapsed}


if __name__ == "__main__":
    main()
