"""Double backward of the core ops: gradgradcheck (second derivatives, and derivatives by the
upstream gradient) on each, and a clear error from the ops that refuse."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.autograd import grad, gradgradcheck

SEED = 20261122


def x64(*shape, positive=False, scale=1.0):
    """A float64 tensor that requires grad, drawn away from 0 when ``positive``."""
    rng = np.random.default_rng([SEED, *shape, int(positive)])
    a = scale * rng.standard_normal(shape)
    return lucid.tensor(np.abs(a) + 0.5 if positive else a, dtype=lucid.float64,
                        requires_grad=True)  # fmt: skip


def const(a):
    return lucid.tensor(np.asarray(a, dtype=np.float64))


LABELS = lucid.tensor([0, 3, 1])
PROBS = const(np.random.default_rng(1).dirichlet(np.ones(4), 3))

# name -> (function, input factory). Squares (x * x) make linear ops' gradients depend on x.
CASES = {
    # arithmetic, with broadcasting
    "add": (lambda a, b: a * a + b, lambda: (x64(3, 4), x64(4))),
    "sub": (lambda a, b: a * b - b * b, lambda: (x64(3, 4), x64(4))),
    "mul": (lambda a, b: a * b * a, lambda: (x64(3, 4), x64(4))),
    "div": (lambda a, b: a / b, lambda: (x64(3, 4), x64(4, positive=True))),
    "neg": (lambda a: -(a * a), lambda: (x64(3),)),
    "power": (lambda a, b: a**b, lambda: (x64(3, 4, positive=True), x64(4))),
    "power_scalar": (lambda a: a**3.0 + 2.0**a, lambda: (x64(3, 4),)),
    # matmul in each arrangement
    "matmul": (lambda a, b: a @ b, lambda: (x64(3, 4), x64(4, 2))),
    "matmul_batch_shared_b": (lambda a, b: a @ b, lambda: (x64(2, 3, 4), x64(4, 2))),
    "matmul_batch_shared_a": (lambda a, b: a @ b, lambda: (x64(3, 4), x64(2, 4, 5))),
    "matmul_broadcast": (lambda a, b: a @ b, lambda: (x64(2, 1, 3, 4), x64(3, 4, 2))),
    "matmul_vector_left": (lambda a, b: a @ b, lambda: (x64(4), x64(2, 4, 3))),
    "matmul_vector_right": (lambda a, b: a @ b, lambda: (x64(2, 3, 4), x64(4))),
    "matmul_dot": (lambda a, b: a @ b, lambda: (x64(4), x64(4))),
    "einsum": (lambda a, b, c: lucid.einsum("ij,jk,k->i", a, b, c),
               lambda: (x64(3, 4), x64(4, 2), x64(2))),
    "tensordot": (lambda a, b: lucid.tensordot(a, b, ([0, 2], [1, 0])),
                  lambda: (x64(2, 3, 4), x64(4, 2, 5))),
    "outer": (lambda a, b: lucid.outer(a, b), lambda: (x64(3), x64(2, 2))),
    # elementwise math
    "exp": (lucid.exp, lambda: (x64(3, 4),)),
    "log": (lucid.log, lambda: (x64(3, 4, positive=True),)),
    "sqrt": (lucid.sqrt, lambda: (x64(3, 4, positive=True),)),
    "square": (lucid.square, lambda: (x64(3, 4),)),
    "abs": (lambda x: abs(x) * x, lambda: (x64(3, 4),)),
    "sin": (lucid.sin, lambda: (x64(3, 4),)),
    "cos": (lucid.cos, lambda: (x64(3, 4),)),
    "tan": (lucid.tan, lambda: (x64(3, 4, scale=0.5),)),
    "tanh": (lucid.tanh, lambda: (x64(3, 4),)),
    "sinh_cosh": (lambda x: lucid.sinh(x) * lucid.cosh(x), lambda: (x64(3, 4),)),
    "arcsin_arccos_arctan": (
        lambda x: lucid.arcsin(x) * lucid.arccos(x) + lucid.arctan(x), lambda: (x64(5, scale=0.3),)
    ),
    "reciprocal_log2": (lambda x: lucid.reciprocal(x) * lucid.log2(x),
                        lambda: (x64(5, positive=True),)),
    "sigmoid": (lucid.sigmoid, lambda: (x64(3, 4),)),
    "maximum_minimum": (lambda a, b: lucid.maximum(a, b) * lucid.minimum(a, b) * a,
                        lambda: (x64(3, 4), x64(4))),
    "where": (lambda a, b: lucid.where(a.numpy() > 0, a * a, b * a), lambda: (x64(3, 4), x64(4))),
    "clip": (lambda x, lo: lucid.clip(x, lo, 0.5) * x, lambda: (x64(3, 4), x64(4, scale=0.3))),
    # reductions
    "sum": (lambda x: (x * x).sum(axis=1), lambda: (x64(3, 4),)),
    "mean": (lambda x: (x * x).mean(axis=0, keepdims=True), lambda: (x64(3, 4),)),
    "var": (lambda x: x.var(axis=1, ddof=1), lambda: (x64(3, 4),)),
    "std": (lambda x: x.std(axis=(0, 2)), lambda: (x64(2, 3, 4),)),
    "amax_amin": (lambda x: x.amax(axis=1) * x.amin(axis=0).sum(), lambda: (x64(3, 4),)),
    "max_min_dim": (lambda x: x.max(1).values * x.min(dim=0)[0].sum(), lambda: (x64(3, 4),)),
    "prod": (lambda x: x.prod(axis=1), lambda: (x64(3, 4),)),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda: (x64(3, 4),)),
    "cumsum": (lambda x: (x * x).cumsum(axis=1), lambda: (x64(3, 4),)),
    "norm_2": (lambda x: x.norm(dim=1), lambda: (x64(3, 4),)),
    "norm_3": (lambda x: x.norm(p=3, dim=1), lambda: (x64(3, 4),)),
    # shape and indexing
    "reshape_flatten": (lambda x: (x * x).reshape(4, 6).flatten(), lambda: (x64(2, 3, 4),)),
    "transpose_permute_swapaxes": (
        lambda x: (x * x).transpose().permute(1, 0, 2).swapaxes(0, 2), lambda: (x64(2, 3, 4),)
    ),
    "squeeze_unsqueeze": (lambda x: (x * x).squeeze().unsqueeze(0), lambda: (x64(3, 1, 4),)),
    "broadcast_to_expand": (lambda x: (x * x).broadcast_to(2, 3, 4) * (x * x).expand(3, -1),
                            lambda: (x64(1, 4),)),
    "concatenate": (lambda a, b: lucid.concatenate([a * a, b * a[:, :2]], axis=1),
                    lambda: (x64(3, 4), x64(3, 2))),
    "stack": (lambda a, b: lucid.stack([a * a, b * a], axis=1), lambda: (x64(3, 4), x64(3, 4))),
    "split": (lambda x: tuple(p * p for p in lucid.split(x, [1, 3], axis=1)),
              lambda: (x64(3, 4),)),
    "getitem_slices": (lambda x: (x * x)[1:, ::2, None], lambda: (x64(3, 4),)),
    "getitem_repeated_indices": (lambda x: (x * x)[[0, 2, 0]], lambda: (x64(3, 4),)),
    "getitem_mixed": (lambda x: (x * x)[[0, 2, 2], 1:], lambda: (x64(3, 4),)),
    "getitem_mask": (lambda x: (x * x)[x.numpy() > 0], lambda: (x64(3, 4),)),
    "take_gather": (
        lambda x: lucid.take(x * x, np.array([0, 2, 2]), axis=1).sum()
        * lucid.gather(x, 1, np.array([[0], [2], [1]])),
        lambda: (x64(3, 4),),
    ),
    "repeat_tile_pad_flip": (
        lambda x: lucid.pad((x * x).repeat_interleave([1, 0, 2], 0).repeat(1, 2).flip(1), 1,
                            mode="reflect"),
        lambda: (x64(3, 2),),
    ),  # fmt: skip
    # activations
    "relu": (lambda x: lucid.relu(x) * x, lambda: (x64(3, 4),)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1) * x, lambda: (x64(3, 4),)),
    "gelu": (F.gelu, lambda: (x64(3, 4),)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda: (x64(3, 4),)),
    "silu": (F.silu, lambda: (x64(3, 4),)),
    "softplus": (lambda x: F.softplus(x, beta=2.0), lambda: (x64(3, 4),)),
    "elu": (F.elu, lambda: (x64(3, 4),)),
    "mish": (F.mish, lambda: (x64(3, 4),)),
    "softmax": (lambda x: F.softmax(x, dim=0), lambda: (x64(3, 4),)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=1), lambda: (x64(3, 4),)),
    # losses and normalisation
    "cross_entropy": (lambda x: F.cross_entropy(x, LABELS), lambda: (x64(3, 4),)),
    "cross_entropy_smoothed_weighted": (
        lambda x: F.cross_entropy(x, LABELS, weight=const([1, 2, 3, 4]), label_smoothing=0.1),
        lambda: (x64(3, 4),),
    ),
    "cross_entropy_probabilities": (lambda x: F.cross_entropy(x, PROBS), lambda: (x64(3, 4),)),
    "cross_entropy_spatial": (
        lambda x: F.cross_entropy(x, lucid.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])),
        lambda: (x64(2, 3, 2, 2),),
    ),
    "nll_loss": (lambda x: F.nll_loss(x * x, LABELS), lambda: (x64(3, 4),)),
    "mse_loss": (F.mse_loss, lambda: (x64(3, 4), x64(3, 4))),
    "bce_with_logits": (F.binary_cross_entropy_with_logits,
                        lambda: (x64(3, 4), x64(3, 4, positive=True, scale=0.2))),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b),
                   lambda: (x64(3, 4), x64(4), x64(4))),
    "layer_norm_plain": (lambda x: F.layer_norm(x, (2, 4)), lambda: (x64(3, 2, 4),)),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   lambda: (x64(4, 3, 2), x64(3), x64(3))),
    "linear": (F.linear, lambda: (x64(3, 4), x64(2, 4), x64(2))),
    "attention": (F.scaled_dot_product_attention,
                  lambda: (x64(2, 3, 4), x64(2, 5, 4), x64(2, 5, 2))),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_gradgradcheck(name):
    fn, make_inputs = CASES[name]
    assert gradgradcheck(fn, make_inputs())


def test_third_order_through_a_network(rng):
    """d3/dx3 of sum(tanh(x @ W)) for a scalar direction, against the closed form."""
    w = rng.standard_normal((3, 2))
    x = lucid.tensor(rng.standard_normal((1, 3)), dtype=lucid.float64, requires_grad=True)
    (g1,) = grad(lucid.tanh(x @ lucid.tensor(w)).sum(), x, create_graph=True)
    (g2,) = grad(g1[0, 0], x, create_graph=True)
    (g3,) = grad(g2[0, 0], x)
    t = np.tanh(x.numpy() @ w)[0]
    third = (-2 + 6 * t**2) * (1 - t**2)  # d3/du3 tanh(u)
    np.testing.assert_allclose(g3.numpy()[0], (third * w[0] ** 2) @ w.T, rtol=1e-10)


# Ops whose gradient is not recorded (kernels on saved arrays): they refuse by name.
REFUSING = {
    "Conv": lambda x: F.conv2d(x, lucid.tensor(np.ones((1, 2, 2, 2)))),
    "MaxPool": lambda x: F.max_pool2d(x, 2),
    "AvgPool": lambda x: F.avg_pool2d(x, 2),
    "SpectralNorm": lambda x: lucid.norm(x[0, 0], ord=2),
}


@pytest.mark.parametrize("name", list(REFUSING))
def test_ops_without_double_backward_raise_naming_the_op(name, rng):
    x = lucid.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    y = REFUSING[name](x).sum()
    y.backward(retain_graph=True)  # the first derivative works
    with pytest.raises(RuntimeError, match=rf"{name} cannot be differentiated twice"):
        grad(y, x, create_graph=True)


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: x.prod(), "Prod cannot be differentiated twice .* has zeros"),
        (lambda x: x.norm(p=3), "VectorNorm of order 3.0 cannot .* has zeros"),
        (lambda x: lucid.einsum("ii->i", x.reshape(2, 2)), "Einsum cannot .* repeated"),
    ],
)
def test_double_backward_refused_where_it_would_be_wrong(fn, message):
    x = lucid.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        grad(fn(x).sum(), x, create_graph=True)


def test_an_op_whose_gradient_leaves_the_graph_names_itself(rng):
    """An op whose gradient turns a recorded Tensor into an array is refused by name."""
    from lucid._graph import operation, unary_func_op

    class Cube(operation):
        @unary_func_op()
        def forward(self, x):
            self.x = x
            return x**3

        def gradient(self, grad):
            return grad * 3 * np.square(np.asarray(self.x))

    x = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="Cube cannot be differentiated twice"):
        grad(Cube()(x * 2.0).sum(), x, create_graph=True)


def test_first_gradients_keep_their_dtype_under_create_graph(rng):
    x = lucid.tensor(rng.standard_normal((3, 4)), dtype=lucid.float32, requires_grad=True)
    w = lucid.tensor(rng.standard_normal((4, 2)), dtype=lucid.float32, requires_grad=True)
    loss = F.cross_entropy(lucid.tanh(x @ w), lucid.tensor([0, 1, 1]))
    gx, gw = grad(loss, (x, w), create_graph=True)
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    (hx,) = grad((gw * gw).sum(), x)
    assert hx.dtype == np.float32 and np.isfinite(hx.numpy()).all()
