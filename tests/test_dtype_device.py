"""dtype names and casts, the default dtype, finfo/iinfo, devices and lucid.cuda."""

import numpy as np
import pytest

import lucid

NAMES = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
    "short": "int16", "bool": "bool", "float16": "float16", "float32": "float32",
    "float64": "float64", "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
    "uint8": "uint8", "bool_": "bool",
}  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_dtype_names_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(lucid, name)
    theirs = getattr(torch, name if name != "bool_" else "bool")
    assert (
        np.dtype(ours).name
        == NAMES[name]
        == str(theirs).removeprefix("torch.").replace("bool", "bool")
    )
    assert lucid.zeros(2, dtype=ours).dtype == ours


CASTS = ["float", "double", "half", "long", "int", "short", "bool", "char", "byte"]


@pytest.mark.parametrize("cast", CASTS)
def test_tensor_casts_and_type_names_match_torch(cast, rng):
    torch = pytest.importorskip("torch")
    data = rng.uniform(-3, 3, (2, 3))
    ours, theirs = getattr(lucid.tensor(data), cast)(), getattr(torch.tensor(data), cast)()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.type() == theirs.type().replace("torch.", "lucid.")
    assert ours.is_floating_point() == theirs.is_floating_point()
    assert lucid.is_floating_point(ours) == torch.is_floating_point(theirs)


def test_type_with_a_dtype_or_a_type_name_casts():
    x = lucid.tensor([1.5, -2.5])
    assert x.type(lucid.int32).dtype == np.int32
    assert x.type("torch.LongTensor").dtype == np.int64
    assert x.type("lucid.DoubleTensor").dtype == np.float64


def test_is_tensor():
    assert lucid.is_tensor(lucid.zeros(1))
    assert not lucid.is_tensor(np.zeros(1)) and not lucid.is_tensor([1.0])


def test_bfloat16_raises_type_error_naming_it():
    for use in (
        lambda: lucid.zeros(2, dtype=lucid.bfloat16),
        lambda: lucid.tensor([1.0]).to(lucid.bfloat16),
        lambda: lucid.tensor([1.0]).type(lucid.bfloat16),
        lambda: lucid.tensor([1.0], dtype="bfloat16"),
        lambda: lucid.randn(2, dtype=lucid.bfloat16),
    ):
        with pytest.raises(TypeError, match="bfloat16"):
            use()


def test_default_dtype_governs_float_factories():
    assert lucid.get_default_dtype() == np.float32
    lucid.set_default_dtype(lucid.float64)
    try:
        assert lucid.get_default_dtype() == np.float64
        assert lucid.tensor([1.5]).dtype == np.float64
        assert lucid.zeros(2).dtype == lucid.ones(2).dtype == lucid.randn(2).dtype == np.float64
        assert lucid.arange(0.0, 1.0, 0.5).dtype == np.float64
        assert lucid.tensor([1]).dtype == np.int64
    finally:
        lucid.set_default_dtype(lucid.float32)
    assert lucid.zeros(2).dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        lucid.set_default_dtype(lucid.int64)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_finfo_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = lucid.finfo(getattr(lucid, dtype)), torch.finfo(getattr(torch, dtype))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert float(getattr(ours, field)) == float(getattr(theirs, field)), field
    assert lucid.finfo().bits == 32


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_iinfo_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = lucid.iinfo(getattr(lucid, dtype)), torch.iinfo(getattr(torch, dtype))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)
    with pytest.raises(TypeError, match="integer"):
        lucid.iinfo(lucid.float32)


# --------------------------------------------------------------------------- devices


def test_device_objects():
    cpu = lucid.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None and str(cpu) == "cpu"
    assert repr(cpu) == "device(type='cpu')"
    assert lucid.device("cpu:0").index == 0 and str(lucid.device("cpu", 0)) == "cpu:0"
    assert lucid.device("cuda:1").type == "cuda"  # naming it is fine; using it raises
    assert lucid.device(cpu) == cpu
    with pytest.raises(RuntimeError, match="foo"):
        lucid.device("foo")


def test_tensor_device_is_the_cpu():
    x = lucid.randn(2)
    assert x.device == lucid.device("cpu") and x.device.type == "cpu" and not x.is_cuda
    assert x.cpu() is x


def test_to_accepts_devices_dtypes_and_tensors():
    x = lucid.tensor([1.5, 2.5])
    assert x.to("cpu") is x and x.to(lucid.device("cpu")) is x and x.to("cpu:0") is x
    assert x.to(lucid.float64).dtype == np.float64
    assert x.to("cpu", lucid.int64).dtype == np.int64
    assert x.to(device="cpu", dtype=lucid.float16, non_blocking=True).dtype == np.float16
    assert x.to(lucid.zeros(1, dtype=lucid.float64)).dtype == np.float64
    assert x.to("cpu", non_blocking=True) is x
    y = x.to("cpu", copy=True)
    assert y is not x and np.array_equal(y.numpy(), x.numpy())


def test_to_keeps_the_graph():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    x.to(lucid.float64).sum().backward()
    assert x.grad.dtype == np.float32 and np.array_equal(x.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("where", ["cuda", "cuda:0", "mps", lucid.device("cuda", 0), 0])
def test_absent_devices_raise_runtime_error_naming_them(where):
    name = str(lucid.device(where)) if not isinstance(where, str) else where
    x = lucid.zeros(2)
    with pytest.raises(RuntimeError, match=name):
        x.to(where)
    with pytest.raises(RuntimeError, match=name):
        lucid.zeros(2, device=where)
    with pytest.raises(RuntimeError, match="cuda"):
        x.cuda()


def _without_grad(kw):
    return {k: v for k, v in kw.items() if k != "requires_grad"}


FACTORIES = {
    "tensor": lambda **kw: lucid.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: lucid.as_tensor([1.0], **_without_grad(kw)),
    "zeros": lambda **kw: lucid.zeros(2, 3, **kw),
    "ones": lambda **kw: lucid.ones((2,), **kw),
    "full": lambda **kw: lucid.full((2,), 3.0, **kw),
    "empty": lambda **kw: lucid.empty(2, **kw),
    "eye": lambda **kw: lucid.eye(3, **kw),
    "arange": lambda **kw: lucid.arange(0.0, 3.0, **kw),
    "linspace": lambda **kw: lucid.linspace(0, 1, steps=5, **kw),
    "zeros_like": lambda **kw: lucid.zeros_like(lucid.ones(2), **kw),
    "ones_like": lambda **kw: lucid.ones_like(lucid.ones(2), **kw),
    "full_like": lambda **kw: lucid.full_like(lucid.ones(2), 2.0, **kw),
    "empty_like": lambda **kw: lucid.empty_like(lucid.ones(2), **kw),
    "randn": lambda **kw: lucid.randn(2, **kw),
    "rand": lambda **kw: lucid.rand(2, **kw),
    "randn_like": lambda **kw: lucid.randn_like(lucid.ones(2), **kw),
    "rand_like": lambda **kw: lucid.rand_like(lucid.ones(2), **kw),
    "normal": lambda **kw: lucid.normal(0.0, 1.0, (2,), **kw),
    "randint": lambda **kw: lucid.randint(0, 5, (2,), **kw),
    "randint_like": lambda **kw: lucid.randint_like(lucid.ones(2), 5, **kw),
    "randperm": lambda **kw: lucid.randperm(4, **kw),
}  # fmt: skip


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_takes_device_dtype_and_requires_grad(name):
    make = FACTORIES[name]
    floating = name not in ("randint", "randint_like", "randperm")
    dtype = lucid.float64 if floating else lucid.int32
    t = make(device="cpu", dtype=dtype, requires_grad=floating)
    assert t.device == lucid.device("cpu") and t.dtype == dtype
    if floating and name != "as_tensor":
        assert t.requires_grad
    assert make(device=lucid.device("cpu")).device.type == "cpu"
    with pytest.raises(RuntimeError, match="cuda"):
        make(device="cuda")
    with pytest.raises(RuntimeError, match="mps"):
        make(device="mps")


def test_cuda_module_reports_no_gpu():
    assert lucid.cuda.is_available() is False
    assert lucid.cuda.device_count() == 0
    before = lucid.default_generator.get_state().numpy().copy()
    lucid.cuda.manual_seed(1)
    lucid.cuda.manual_seed_all(1)
    assert np.array_equal(lucid.default_generator.get_state().numpy(), before)  # seeds nothing
    with pytest.raises(RuntimeError, match="CUDA"):
        lucid.cuda.synchronize()


def test_the_common_device_idiom_runs():
    dev = lucid.device("cuda" if lucid.cuda.is_available() else "cpu")
    model = lucid.nn.Linear(3, 2).to(dev)
    out = model(lucid.randn(4, 3, device=dev).to(dev))
    assert out.device == dev


def test_format_of_a_0d_tensor_formats_the_number():
    torch = pytest.importorskip("torch")
    for value in (3.14159, -2.5):
        assert f"{lucid.tensor(value):.3f}" == f"{torch.tensor(value):.3f}" == f"{value:.3f}"
    assert f"{lucid.tensor(7):5d}" == f"{torch.tensor(7):5d}"
    assert f"{lucid.tensor([1.0, 2.0])}" == str(lucid.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):  # as PyTorch: only 0-d tensors take a number format
        f"{lucid.tensor([1.0, 2.0]):.2f}"


def test_backends_switches_are_accepted():
    assert lucid.backends.mps.is_available() is False
    assert lucid.backends.cudnn.is_available() is False
    lucid.backends.cudnn.benchmark = True
    lucid.backends.cudnn.deterministic = True
    lucid.use_deterministic_algorithms(True)
    assert lucid.are_deterministic_algorithms_enabled()
    lucid.use_deterministic_algorithms(False)


@pytest.mark.torch
def test_new_factories_follow_the_tensors_dtype():
    torch = pytest.importorskip("torch")
    for dtype in ("float64", "int32", "float16"):
        x, xt = (
            lucid.zeros(2, dtype=getattr(lucid, dtype)),
            torch.zeros(2, dtype=getattr(torch, dtype)),
        )
        pairs = [
            (x.new_zeros(2, 3), xt.new_zeros(2, 3)), (x.new_ones((3,)), xt.new_ones((3,))),
            (x.new_full((2,), 7), xt.new_full((2,), 7)), (x.new_empty(4), xt.new_empty(4)),
            (x.new_tensor([1, 2]), xt.new_tensor([1, 2])),
            (x.new_zeros(2, dtype=lucid.int64), xt.new_zeros(2, dtype=torch.int64)),
        ]  # fmt: skip
        for ours, theirs in pairs:
            assert ours.shape == tuple(theirs.shape)
            assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(pairs[2][0].numpy(), pairs[2][1].numpy())
        assert x.element_size() == xt.element_size() and x.nbytes == xt.nbytes
    y = lucid.zeros(2).new_ones(2, requires_grad=True)
    assert y.requires_grad and y.get_device() == -1 and y.is_cpu and y.pin_memory() is y
    with pytest.raises(RuntimeError, match="cuda"):
        lucid.zeros(1).new_zeros(2, device="cuda")


def test_cuda_tensor_type_names_raise():
    with pytest.raises(RuntimeError, match="CPU"):
        lucid.zeros(1).type("torch.cuda.FloatTensor")


LEGACY = {
    "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8",
    "ByteTensor": "uint8", "BoolTensor": "bool",
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("name", LEGACY)
def test_legacy_tensor_types_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(lucid, name), getattr(torch, name)
    sized, sized_t = ours(2, 3), theirs(2, 3)
    assert sized.shape == tuple(sized_t.shape) and sized.dtype == np.dtype(LEGACY[name])
    data, data_t = ours([1, 0, 1]), theirs([1, 0, 1])
    np.testing.assert_array_equal(data.numpy(), data_t.numpy())
    assert isinstance(data, ours) and isinstance(data_t, theirs)
    assert not isinstance(
        lucid.zeros(1, dtype=lucid.float64 if name != "DoubleTensor" else lucid.int8), ours
    )
    cast = lucid.tensor([1.5, -2.0]).type(ours)
    assert cast.dtype == np.dtype(LEGACY[name]) and cast.type() == f"lucid.{name}"


def test_matmul_precision_is_accepted():
    lucid.set_float32_matmul_precision("high")
    assert lucid.get_float32_matmul_precision() == "high"
    lucid.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match="highest"):
        lucid.set_float32_matmul_precision("fast")


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "randn", "rand"])
def test_factories_take_size_as_a_keyword(name):
    make = getattr(lucid, name)
    assert make(size=(2, 3)).shape == (2, 3) == make(2, 3, pin_memory=False).shape
    with pytest.raises(TypeError, match="not both"):
        make(2, size=(3,))
    with pytest.raises(TypeError, match="unexpected"):
        make(2, colour=1)
    with pytest.raises(NotImplementedError, match="out="):
        make(2, out=lucid.zeros(2))


def test_module_half_cuda_and_bfloat16():
    model = lucid.nn.Linear(2, 3).half()
    assert model.weight.dtype == np.float16
    assert model(lucid.randn(4, 2).half()).dtype == np.float16
    with pytest.raises(RuntimeError, match="cuda"):
        model.cuda()
    with pytest.raises(TypeError, match="bfloat16"):
        model.bfloat16()


def test_device_as_a_context_manager():
    with lucid.device("cpu"):
        assert lucid.zeros(1).device == lucid.device("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        with lucid.device("cuda"):
            pass
