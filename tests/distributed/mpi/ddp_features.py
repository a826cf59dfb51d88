"""Run under mpiexec: DDP's no_sync, unused parameters, buffers and wrap-time checks."""

import numpy as np

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.distributed import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
data = np.random.default_rng(3)
x_all = data.standard_normal((4 * size, 5))
y_all = data.standard_normal((4 * size, 2))


def mlp():
    lucid.random.seed(1)
    return nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 2)).to(lucid.float64)


def grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


# no_sync: two micro-batches, the first unsynchronised, equal one synchronised global batch.
reference = mlp()
F.mse_loss(reference(lucid.tensor(x_all)), lucid.tensor(y_all)).backward()
ddp = DDP(mlp())
mine = np.arange(4 * size).reshape(size, 4)[rank]  # this rank's 4 rows of the global batch
first, second = mine[:2], mine[2:]
with ddp.no_sync():
    (F.mse_loss(ddp(lucid.tensor(x_all[first])), lucid.tensor(y_all[first])) / 2).backward()
local = grads(ddp.module)
everyone = [None] * size
dist.all_gather_object(everyone, local)
assert any(not np.array_equal(a, b) for a, b in zip(everyone[0], everyone[-1], strict=True)) or (
    size == 1), "no_sync still synchronised the gradients"  # fmt: skip
(F.mse_loss(ddp(lucid.tensor(x_all[second])), lucid.tensor(y_all[second])) / 2).backward()
for got, want in zip(grads(ddp.module), grads(reference), strict=True):
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


# find_unused_parameters: a head only rank 0 uses, and one nobody uses.
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        lucid.random.seed(2)
        self.body = nn.Linear(5, 3).to(lucid.float64)
        self.rank0_head = nn.Linear(3, 1).to(lucid.float64)
        self.spare = nn.Linear(3, 1).to(lucid.float64)

    def forward(self, x, use_head):
        h = self.body(x)
        return self.rank0_head(h).sum() if use_head else h.sum()


x = lucid.tensor(x_all[:3])
ref = TwoHeads()
ref.rank0_head(ref.body(x)).sum().backward()  # rank 0's loss, alone
ddp = DDP(TwoHeads(), find_unused_parameters=True)
ddp(x, use_head=rank == 0).backward()
head = ddp.module.rank0_head
np.testing.assert_allclose(head.weight.grad.numpy(), ref.rank0_head.weight.grad.numpy() / size,
                           rtol=1e-14)  # fmt: skip
assert ddp.module.spare.weight.grad is None, "a parameter no rank used got a gradient"

# Without find_unused_parameters the next forward names the parameters that got no gradient.
ddp = DDP(TwoHeads())
ddp(x, use_head=False).backward()
try:
    ddp(x, use_head=False)
except RuntimeError as exc:
    assert "rank0_head.weight" in str(exc) and "find_unused_parameters" in str(exc), exc
else:
    raise AssertionError("an unfinished reduction was not reported")

# Buffers and parameters: every rank takes rank 0's at wrap, buffers again at each forward.
bn = nn.BatchNorm1d(5).to(lucid.float64)
bn.running_mean._data[...] = rank
bn.weight._data[...] = 10 + rank
ddp = DDP(bn)
assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.weight.numpy() == 10)
bn.running_var._data[...] = 5 + rank
ddp.eval()
with lucid.no_grad():
    ddp(lucid.tensor(x_all[:4]))
assert np.all(bn.running_var.numpy() == 5), "buffers were not broadcast at forward"
assert set(ddp.state_dict()) == {f"module.{k}" for k in bn.state_dict()}

# Mismatched shapes are found at wrap, on every rank, naming the parameter.
try:
    DDP(nn.Sequential(nn.Linear(3, 4 + (rank == size - 1))))
except ValueError as exc:
    assert "'0.weight'" in str(exc) and f"rank {size - 1}" in str(exc), exc
else:
    raise AssertionError("a shape mismatch across ranks was not detected")
try:
    DDP(nn.Linear(2, 2), device_ids=[0])
except ValueError as exc:
    assert "device_ids" in str(exc)
else:
    raise AssertionError("device_ids was accepted")
try:
    DDP(nn.Linear(2, 2), static_graph=True)
except NotImplementedError as exc:
    assert "static_graph" in str(exc)
else:
    raise AssertionError("static_graph=True was accepted")
dist.destroy_process_group()
print(f"OK rank {rank}", flush=True)
