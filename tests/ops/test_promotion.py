"""One dtype promotion rule (lucid._promotion), checked against PyTorch's result dtypes."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F

FLOAT_OPS = {
    "exp": (lucid.exp, lambda t, x: t.exp(x)),
    "tanh": (lucid.tanh, lambda t, x: t.tanh(x)),
    "relu": (lucid.relu, lambda t, x: t.relu(x)),
    "sigmoid": (lucid.sigmoid, lambda t, x: t.sigmoid(x)),
    "silu": (F.silu, lambda t, x: t.nn.functional.silu(x)),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x)),
    "softmax": (lambda x: F.softmax(x, dim=-1), lambda t, x: t.softmax(x, dim=-1)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda t, x: t.log_softmax(x, dim=-1)),
    "mean": (lucid.mean, lambda t, x: t.mean(x)),
    "erf": (lucid.erf, lambda t, x: t.erf(x)),
    "log1p": (lucid.log1p, lambda t, x: t.log1p(x)),
    "sqrt": (lucid.sqrt, lambda t, x: t.sqrt(x)),
    "layer_norm": (
        lambda x: F.layer_norm(x, (4,)),
        lambda t, x: t.nn.functional.layer_norm(x, (4,)),
    ),
    "cross_entropy": (
        lambda x: F.cross_entropy(x, lucid.tensor([0, 3, 1])),
        lambda t, x: t.nn.functional.cross_entropy(x, t.tensor([0, 3, 1])),
    ),
    "softmax_method": (lambda x: x.softmax(0), lambda t, x: x.softmax(0)),
}


def _name(dtype):
    return str(dtype).removeprefix("torch.")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", FLOAT_OPS)
def test_float_ops_keep_the_float_dtype_as_torch(name, dtype, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = FLOAT_OPS[name]
    data = rng.uniform(0.1, 2.0, (3, 4)).astype(dtype)
    x = lucid.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    y, yt = ours(x), theirs(torch, xt)
    assert y.dtype == np.dtype(_name(yt.dtype)) == np.dtype(dtype)
    tol = 2e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(
        y.numpy().astype(np.float64), yt.detach().double().numpy(), rtol=tol, atol=tol
    )
    y.sum().backward()
    yt.sum().backward()
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(
        x.grad.numpy().astype(np.float64), xt.grad.double().numpy(), rtol=5 * tol, atol=5 * tol
    )


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "uint8"])
@pytest.mark.parametrize(
    "name",
    [n for n in FLOAT_OPS if n not in ("relu", "gelu", "silu", "layer_norm", "cross_entropy")],
)
def test_float_ops_on_integers_give_the_default_float(name, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = FLOAT_OPS[name]
    data = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    try:
        expected = np.dtype(_name(theirs(torch, torch.tensor(data)).dtype))
    except (RuntimeError, NotImplementedError):  # torch refuses softmax and mean on integers;
        expected = np.dtype(lucid.get_default_dtype())  # Lucid computes in the default float
    assert ours(lucid.tensor(data)).dtype == expected


PAIRS = [
    ("int64", "float32", False), ("int32", "float64", False), ("float16", "float32", False),
    ("float16", "float64", True), ("int64", "float64", True), ("bool", "int32", False),
    ("uint8", "int8", False), ("int32", "int64", True), ("float32", "float64", True),
    ("bool", "float16", False), ("float64", "float16", True),
]  # (dtype of a tensor of shape (3,), dtype of the other operand, is the other 0-d)  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize(("da", "db", "zero_d"), PAIRS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "maximum", "remainder", "logaddexp", "hypot"])
def test_binary_promotion_matches_torch(op, da, db, zero_d):
    torch = pytest.importorskip("torch")
    a = np.array([1, 2, 3]).astype(da)
    b = (np.array(2) if zero_d else np.array([3, 1, 2])).astype(db)
    try:
        expected = getattr(torch, op)(torch.tensor(a), torch.tensor(b))
    except (RuntimeError, NotImplementedError):
        pytest.skip(f"torch has no {op} for {da}, {db}")
    got = getattr(lucid, op)(lucid.tensor(a), lucid.tensor(b))
    assert got.dtype == np.dtype(_name(expected.dtype))
    np.testing.assert_allclose(
        got.numpy().astype(np.float64), expected.double().numpy(), rtol=1e-3
    )


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "float16", "float32", "float64", "bool"])
@pytest.mark.parametrize("scalar", [2, 0.5, True])
def test_python_scalars_take_the_tensors_dtype(dtype, scalar):
    torch = pytest.importorskip("torch")
    a = np.array([1, 0, 1]).astype(dtype)
    for f in (lambda x: x * scalar, lambda x: scalar + x):
        expected = f(torch.tensor(a))
        assert f(lucid.tensor(a)).dtype == np.dtype(_name(expected.dtype)), (dtype, scalar)


def test_dropout_keeps_float16(rng):
    x = lucid.tensor(rng.uniform(1, 2, (50, 40)).astype(np.float16), requires_grad=True)
    y = F.dropout(x, 0.5)
    assert y.dtype == np.float16
    y.sum().backward()
    assert x.grad.dtype == np.float16
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 2 * x.numpy()[kept], rtol=1e-3)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, 2.0, 0.0).astype(np.float16))


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.torch
def test_promote_types_and_can_cast_match_torch():
    torch = pytest.importorskip("torch")
    for a in DTYPES:
        for b in DTYPES:
            ta, tb = getattr(torch, a), getattr(torch, b)
            assert lucid.promote_types(a, b) == np.dtype(_name(torch.promote_types(ta, tb))), (
                a,
                b,
            )
            assert lucid.can_cast(a, b) == torch.can_cast(ta, tb), (a, b)


@pytest.mark.torch
@pytest.mark.parametrize("other", [1, 2.5, True, "0d_float64", "0d_int32", "1d_float64"])
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float16", "float32"])
def test_result_type_matches_torch(dtype, other):
    torch = pytest.importorskip("torch")
    x, xt = lucid.ones(3, dtype=dtype), torch.ones(3, dtype=getattr(torch, dtype))
    if isinstance(other, str):
        shape = () if other.startswith("0d") else (3,)
        kind = other.split("_")[1]
        other, other_t = (
            lucid.ones(shape, dtype=kind),
            torch.ones(shape, dtype=getattr(torch, kind)),
        )
    else:
        other_t = other
    expected = np.dtype(_name(torch.result_type(xt, other_t)))
    assert lucid.result_type(x, other) == expected
    assert lucid.result_type(other, x) == expected
    assert (x + other).dtype == expected
