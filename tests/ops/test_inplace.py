"""In-place ops: values, dtype and shape kept, versions bumped, graph rules enforced."""

import numpy as np
import pytest

import lucid

# name -> (lucid in-place call, the NumPy result for array a and operand b)
ARITHMETIC = {
    "add_": (lambda x, b: x.add_(b), lambda a, b: a + b),
    "sub_": (lambda x, b: x.sub_(b), lambda a, b: a - b),
    "mul_": (lambda x, b: x.mul_(b), lambda a, b: a * b),
    "div_": (lambda x, b: x.div_(b), lambda a, b: a / b),
    "iadd": (lambda x, b: x.__iadd__(b), lambda a, b: a + b),
    "isub": (lambda x, b: x.__isub__(b), lambda a, b: a - b),
    "imul": (lambda x, b: x.__imul__(b), lambda a, b: a * b),
    "itruediv": (lambda x, b: x.__itruediv__(b), lambda a, b: a / b),
    "function": (lambda x, b: lucid.add_(x, b), lambda a, b: a + b),
}
OPERANDS = {
    "python_float": lambda rng: 1.7,
    "same_shape": lambda rng: lucid.tensor(rng.uniform(1, 2, (3, 4)).astype(np.float32)),
    "broadcast_row": lambda rng: lucid.tensor(rng.uniform(1, 2, 4).astype(np.float32)),
    "float64_array": lambda rng: rng.uniform(1, 2, (3, 1)),
}


@pytest.mark.parametrize("op", ARITHMETIC)
@pytest.mark.parametrize("operand", OPERANDS)
def test_arithmetic_in_place_keeps_identity_shape_and_dtype(op, operand, rng):
    fn, np_fn = ARITHMETIC[op]
    data = rng.standard_normal((3, 4)).astype(np.float32)
    x = lucid.tensor(data)
    buffer = x.numpy()
    b = OPERANDS[operand](rng)
    out = fn(x, b)
    assert out is x and x.numpy() is buffer  # the same tensor and memory
    assert x.dtype == np.float32 and x.shape == (3, 4) and x._version == 1
    b_array = b.numpy() if isinstance(b, lucid.Tensor) else b
    np.testing.assert_allclose(x.numpy(), np_fn(data, b_array).astype(np.float32), rtol=1e-6)


def test_augmented_assignment_rebinds_to_the_same_tensor():
    x = lucid.ones(2)
    alias = x
    x += 1.0
    x *= lucid.tensor([2.0, 3.0])
    assert x is alias
    np.testing.assert_array_equal(alias.numpy(), [4.0, 6.0])
    assert x._version == 2


def test_integer_tensors_in_place():
    x = lucid.tensor([1, 2, 3])
    x += 2
    x *= lucid.tensor([1, 0, 2])
    assert x.dtype == np.int64 and x.tolist() == [3, 0, 10]
    with pytest.raises(TypeError, match="int64"):
        x += 0.5  # PyTorch refuses too: the float result cannot be stored in an int tensor
    with pytest.raises(TypeError, match="int64"):
        x /= 2


@pytest.mark.torch
@pytest.mark.parametrize(("lo", "hi"), [(-0.5, 0.5), (None, 0.2), (-0.1, None)])
def test_clamp_in_place_matches_torch(lo, hi, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((4, 5)).astype(np.float32)
    x, xt = lucid.tensor(data), torch.tensor(data)
    assert x.clamp_(lo, hi) is x
    xt.clamp_(lo, hi)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    assert x._version == 1


@pytest.mark.torch
def test_fill_zero_and_copy_match_torch(rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((2, 3)).astype(np.float32)
    src = rng.standard_normal(3)  # float64, copied as float32 like PyTorch's copy_
    x, xt = lucid.tensor(data), torch.tensor(data)
    x.copy_(src)
    xt.copy_(torch.tensor(src))
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    x.fill_(lucid.tensor(2.5))
    xt.fill_(2.5)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    x.zero_()
    assert not x.numpy().any() and x.dtype == np.float32 and x._version == 3


def test_copy_casts_to_the_tensor_dtype():
    x = lucid.zeros(3, dtype=lucid.int64)
    x.copy_(lucid.tensor([1.9, -2.5, 3.0]))
    assert x.dtype == np.int64 and x.tolist() == [1, -2, 3]


# --------------------------------------------------------------------------- graph rules

CALLS = {
    "add_": lambda x: x.add_(1.0),
    "iadd": lambda x: x.__iadd__(1.0),
    "mul_": lambda x: x.mul_(2.0),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(3.0),
    "clamp_": lambda x: x.clamp_(0.0, 1.0),
    "copy_": lambda x: x.copy_(np.ones(3)),
}


@pytest.mark.parametrize("name", CALLS)
def test_in_place_on_a_leaf_requiring_grad_needs_no_grad(name):
    w = lucid.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        CALLS[name](w)
    assert w._version == 0
    with lucid.no_grad():  # an optimizer step
        assert CALLS[name](w) is w
    assert w._version == 1 and w.requires_grad


@pytest.mark.parametrize("name", CALLS)
def test_in_place_on_a_recorded_result_is_refused(name):
    y = lucid.zeros(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="computed by Multiply"):
        CALLS[name](y)
    with lucid.no_grad(), pytest.raises(RuntimeError, match="computed by"):
        CALLS[name](y)


def test_in_place_change_of_a_saved_tensor_raises_at_backward(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    x = lucid.tensor(rng.standard_normal(3))
    loss = (w * x).sum()  # Multiply saved x for w's gradient
    x += 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_change_of_a_leaf_under_no_grad_raises_at_backward(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    loss = (w * w).sum()
    with lucid.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_with_an_operand_that_requires_grad_is_refused():
    v = lucid.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        lucid.zeros(3).add_(v)
    with lucid.no_grad():
        x = lucid.zeros(3).add_(v)
    assert x.tolist() == [1.0, 1.0, 1.0] and not x.requires_grad


INPLACE_ERRORS = [
    (lambda x: x.add_(np.ones(4)), ValueError, r"\(4,\) .* \(2, 3\)"),
    (lambda x: x.mul_(lucid.ones(3, 3)), ValueError, r"\(3, 3\)"),
    (lambda x: x.copy_(np.ones((2, 1, 3))), ValueError, r"\(2, 1, 3\)"),
    (lambda x: x.fill_(np.ones(2)), ValueError, "0-d"),
    (lambda x: x.clamp_(), ValueError, "min, max"),
    (lambda x: x.expand(4, 2, 3).add_(1.0), RuntimeError, "read-only"),
    (lambda x: lucid.add_(np.ones(3), 1.0), TypeError, "Tensor"),
]


@pytest.mark.parametrize(("fn", "error", "match"), INPLACE_ERRORS)
def test_in_place_rejects_bad_input(fn, error, match):
    x = lucid.zeros(2, 3)
    with pytest.raises(error, match=match):
        fn(x)
    assert x._version == 0
