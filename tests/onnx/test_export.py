"""lucid.onnx.export: models checked by onnx.checker and run by onnxruntime match Lucid."""

import io
import sys

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from lucid.onnx import SUPPORTED_OPS, export  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def _exported(model, inputs, **kwargs):
    """Export to bytes; return the session and the ModelProto (re-checked after loading)."""
    f = io.BytesIO()
    export(model, tuple(lucid.tensor(x) for x in inputs), f, **kwargs)
    proto = onnx.load_from_string(f.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]), proto


def _lucid_outputs(model, inputs):
    with lucid.no_grad():
        out = model(*[lucid.tensor(x) for x in inputs])
    flat, stack = [], [out]
    while stack:  # depth first, left to right, as export flattens
        item = stack.pop(0)
        if isinstance(item, (tuple, list)):
            stack[:0] = list(item)
        else:
            flat.append(item.numpy())
    return flat


def _check(model, inputs, run_inputs=None, **kwargs):
    model.eval()
    session, proto = _exported(model, inputs, **kwargs)
    run_inputs = inputs if run_inputs is None else run_inputs
    feeds = {i.name: x for i, x in zip(session.get_inputs(), run_inputs, strict=True)}
    got = session.run(None, feeds)
    expected = _lucid_outputs(model, run_inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(g, e, **TOL)
    return proto


def _normal(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _bn(n, spatial=False):
    """A batch norm with running statistics that are not the defaults."""
    layer = nn.BatchNorm2d(n) if spatial else nn.BatchNorm1d(n)
    layer.running_mean.numpy()[:] = np.linspace(-1, 1, n)
    layer.running_var.numpy()[:] = np.linspace(0.5, 2, n)
    layer.weight.numpy()[:] = np.linspace(0.5, 1.5, n)
    return layer


LAYERS = {
    "linear": (lambda: nn.Linear(6, 3), [(4, 6)]),
    "linear_3d_no_bias": (lambda: nn.Linear(6, 3, bias=False), [(2, 5, 6)]),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), [(2, 3, 9, 9)]),
    "conv2d_groups_dilation": (
        lambda: nn.Conv2d(4, 6, (3, 2), padding=(2, 1), dilation=2, groups=2),
        [(1, 4, 8, 7)],
    ),
    "conv2d_same_unbatched": (lambda: nn.Conv2d(2, 3, 4, padding="same"), [(2, 7, 6)]),
    "conv1d": (lambda: nn.Conv1d(3, 5, 3, stride=2, padding=2), [(2, 3, 11)]),
    "conv_transpose2d": (
        lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        [(2, 3, 5, 4)],
    ),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(2, 3, 4, stride=3), [(2, 2, 6)]),
    "max_pool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), [(2, 3, 9, 8)]),
    "max_pool1d": (lambda: nn.MaxPool1d(2), [(2, 3, 9)]),
    "avg_pool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), [(2, 3, 9, 8)]),
    "avg_pool2d_exclude_pad": (
        lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False),
        [(1, 2, 5, 5)],
    ),
    "avg_pool1d": (lambda: nn.AvgPool1d(3, stride=2), [(2, 3, 9)]),
    "adaptive_avg_pool2d_global": (lambda: nn.AdaptiveAvgPool2d(1), [(2, 3, 5, 7)]),
    "adaptive_avg_pool2d_even": (lambda: nn.AdaptiveAvgPool2d((2, 3)), [(2, 3, 4, 6)]),
    "adaptive_avg_pool1d": (lambda: nn.AdaptiveAvgPool1d(2), [(2, 3, 8)]),
    "batch_norm1d": (lambda: _bn(3), [(5, 3)]),
    "batch_norm2d": (lambda: _bn(4, spatial=True), [(2, 4, 3, 3)]),
    "layer_norm": (lambda: nn.LayerNorm((3, 4)), [(2, 3, 4)]),
    "layer_norm_no_affine": (lambda: nn.LayerNorm(4, elementwise_affine=False), [(2, 4)]),
    "group_norm": (lambda: nn.GroupNorm(2, 4), [(2, 4, 3)]),
    "flatten": (lambda: nn.Flatten(), [(2, 3, 4)]),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), [(4, 6)]),
    "identity": (lambda: nn.Identity(), [(2, 3)]),
    "mha": (lambda: nn.MultiheadAttention(8, 2, batch_first=True), [(2, 5, 8)] * 3),
    "transformer_encoder_layer": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True),
        [(2, 5, 8)],
    ),
    "transformer_norm_first_gelu": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True),
        [(5, 2, 8)],
    ),
    "transformer_encoder": (
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), num_layers=2),
        [(5, 2, 8)],
    ),
    "bilinear": (lambda: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    "lstm": (lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), [(2, 5, 3)]),
    "gru": (lambda: nn.GRU(3, 4), [(5, 2, 3)]),
    "rnn_bidirectional": (lambda: nn.RNN(3, 4, bidirectional=True), [(5, 2, 3)]),
}
ACTIVATIONS = [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
    nn.Sigmoid(), nn.Tanh(), nn.ELU(0.7), nn.Softplus(), nn.Softplus(beta=2.0), nn.Mish(),
    nn.Hardtanh(-0.5, 0.8), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_runs_in_onnxruntime_as_in_lucid(name, rng):
    lucid.random.seed(3)
    make, shapes = LAYERS[name]
    _check(make(), [_normal(rng, *s) for s in shapes])


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda m: repr(m))
@pytest.mark.parametrize("opset", [17, 20])
def test_activation_runs_in_onnxruntime_as_in_lucid(layer, opset, rng):
    _check(layer, [3 * _normal(rng, 4, 5)], opset_version=opset)


class _Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


UNARY = {
    "exp": lucid.exp, "log": lambda x: lucid.log(x.abs() + 0.5),
    "log2": lambda x: lucid.log2(x.abs() + 0.5),
    "sqrt": lambda x: lucid.sqrt(x.abs()), "reciprocal": lambda x: lucid.reciprocal(x + 5.0),
    "sin": lucid.sin, "cos": lucid.cos, "tan": lambda x: lucid.tan(x * 0.3), "sinh": lucid.sinh,
    "cosh": lucid.cosh, "arcsin": lambda x: lucid.arcsin(x * 0.2), "tanh": lucid.tanh,
    "arccos": lambda x: lucid.arccos(x * 0.2), "arctan": lucid.arctan, "floor": lucid.floor,
    "ceil": lucid.ceil, "sign": lucid.sign, "round": lucid.round, "neg": lambda x: -x,
    "round_decimals": lambda x: lucid.round(x, decimals=1),
    "pow": lambda x: x.abs() ** 1.5, "rpow": lambda x: 2.0**x,
    "double": lambda x: x.double() * 2.0,
    "clone": lambda x: x.clone(), "cumsum_flat": lambda x: lucid.cumsum(x),
    "logsumexp": lambda x: lucid.logsumexp(x, axis=1), "prod": lambda x: x.prod(axis=0),
    "norm": lambda x: lucid.norm(x, p=2, dim=1), "min": lambda x: lucid.amin(x, axis=(0, 1)),
    "gather": lambda x: lucid.gather(x, 1, np.array([[3, 0], [1, 1], [2, 0]])),
    "index_array": lambda x: x[np.array([2, 0, 2])], "take_flat": lambda x: lucid.take(x, [1, 7]),
    "index_array_axis1": lambda x: x[:, np.array([3, 1])],
    "norm1": lambda x: lucid.norm(x, p=1, dim=0, keepdim=True),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNARY))
def test_function_runs_in_onnxruntime_as_in_lucid(name, rng):
    _check(_Fn(UNARY[name]), [2 * _normal(rng, 3, 4)], run_inputs=[2 * _normal(rng, 3, 4)])


class _Recurrent(nn.Module):
    """A recurrent layer, given initial states or not, followed by a head on h_n and out."""

    def __init__(self, layer, states, keyword):
        super().__init__()
        self.layer, self.states, self.keyword = layer, states, keyword
        self.head = nn.Linear(layer.hidden_size, 2)

    def forward(self, x, *states):
        hx = None if not states else states[0] if len(states) == 1 else tuple(states)
        out, h = self.layer(x, hx=hx) if self.keyword else self.layer(x, hx)
        h_n = h[0] if isinstance(h, tuple) else h
        return out * 2.0, self.head(h_n[-1])


RECURRENT = {
    "lstm_2_layers_batch_first": (lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), 0, False),
    "lstm_bidirectional_states": (lambda: nn.LSTM(3, 4, bidirectional=True), 2, True),
    "gru_2_layers_bidir": (lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True), 1, False),
    "gru_no_bias_batch_first": (lambda: nn.GRU(3, 4, bias=False, batch_first=True), 0, False),
    "rnn_relu_state": (lambda: nn.RNN(3, 4, nonlinearity="relu", num_layers=2), 1, True),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_layers_export_whole_with_dynamic_batch_and_time(name, rng):
    lucid.random.seed(5)
    make, n_states, keyword = RECURRENT[name]
    layer = make()
    model = _Recurrent(layer, n_states, keyword)
    rows = layer.num_layers * layer.directions

    def inputs(batch, time):
        x = _normal(rng, batch, time, 3) if layer.batch_first else _normal(rng, time, batch, 3)
        return [x] + [_normal(rng, rows, batch, 4) for _ in range(n_states)]

    names = ["x"] + [f"h{i}" for i in range(n_states)]
    b, t = (0, 1) if layer.batch_first else (1, 0)
    axes = {"x": {b: "batch", t: "time"}, "out": {b: "batch", t: "time"}, "logits": {0: "batch"}}
    axes.update({n: {1: "batch"} for n in names[1:]})
    proto = _check(
        model, inputs(2, 5), run_inputs=inputs(3, 7), input_names=names,
        output_names=["out", "logits"], dynamic_axes=axes,
    )  # fmt: skip
    kinds = [n.op_type for n in proto.graph.node]
    assert kinds.count(type(layer).__name__) == layer.num_layers  # whole, not unrolled


def test_unbatched_lstm_exports_whole(rng):
    model = nn.LSTM(3, 4, num_layers=2)
    proto = _check(model, [_normal(rng, 5, 3)], dynamic_axes={"input_0": [0], "output_0": [0]})
    assert [n.op_type for n in proto.graph.node].count("LSTM") == 2


def test_embedding_takes_its_indices_as_an_input(rng):
    lucid.random.seed(0)
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    indices = rng.integers(0, 10, size=(5, 3))
    indices[0, 0] = 0
    other = rng.integers(0, 10, size=(5, 3))  # different indices: not frozen in the graph
    _check(model, [indices], run_inputs=[other])


class _Mixed(nn.Module):
    """The elementwise, shape, indexing and reduction ops between two inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(lucid.tensor(np.linspace(0.5, 2, 6).astype(np.float32)))
        self.register_buffer("mask", lucid.tensor(np.arange(24).reshape(4, 6) % 3 == 0))
        self.index = np.array([[0, 5], [2, 2], [1, 3], [4, 0]])

    def forward(self, a, b):
        x = (a * self.scale + 1e-3) / (b.abs() + 1.5) - 0.25  # the engine's constant path
        x = lucid.maximum(x, -x * 0.5) ** 2 + lucid.exp(-a) * lucid.sqrt(b * b + 1)
        y = lucid.where(self.mask, lucid.tanh(a), lucid.sin(b)).clamp(-0.7, 0.9)
        z = lucid.concatenate([x, y], axis=1).reshape(4, 3, 4).transpose(0, 2, 1)
        p, q = lucid.chunk(z, 2, dim=1)
        s = lucid.stack([p.sum(axis=1), q.mean(axis=1), lucid.amax(q, axis=1)], dim=0)
        t = z[1:, ::2, 1] + z[:3, -1, None, :2].squeeze(1).sum(axis=1, keepdims=True)
        t = t + z[3:0:-1, ::-2, 0]
        v = lucid.einsum("ijk,ikl->ijl", z, z.transpose(0, 2, 1)).var(axis=(1, 2))
        w = F.pad(z, (1, 2, 0, 1)).cumsum(dim=2) + lucid.log(lucid.square(b) + 1).mean()
        dot = lucid.tensordot(z, self.scale[:3], dims=1)[:, :, None]
        r = lucid.repeat_interleave(z, 2, dim=1)[..., :1] + lucid.repeat_interleave(dot, 2, 1)
        u = lucid.scatter_add(a, 1, self.index, b[:, :2] * 2.0) + lucid.outer(a[0], b[1]).sum()
        flip = lucid.flip(z, 0)
        return s, t, v, w.std(dim=-1), flip, z.expand(2, 4, 4, 3).tile(1, 2, 1, 1), r, u


def test_elementwise_shape_and_reduction_ops_match(rng):
    inputs = [_normal(rng, 4, 6), _normal(rng, 4, 6)]
    _check(_Mixed(), inputs, run_inputs=[_normal(rng, 4, 6), _normal(rng, 4, 6)])


class _ValueDependent(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, x):
        if self.how == "comparison":  # x > 0 is not recorded: its values would be frozen
            return lucid.where(x > 0, x, x * 0.1)
        if self.how == "argmax":
            return x.argmax(dim=1)
        return x * 2.0 if x[0, 0].item() > 0 else -x  # Python control flow on a value


@pytest.mark.parametrize(
    ("how", "match"),
    [("comparison", "changes with the input values"), ("argmax", "do not depend on inputs"),
     ("control_flow", "depends on the input values")],
)  # fmt: skip
def test_values_frozen_by_the_trace_raise(how, match):
    x = lucid.tensor(np.array([[3.0, -1.0, -0.5], [-2.0, 0.25, -1.0]], np.float32))
    with pytest.raises(RuntimeError, match=match):
        export(_ValueDependent(how), x, io.BytesIO())


def test_dynamic_batch_axis_runs_other_batch_sizes(rng):
    lucid.random.seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 3), nn.LogSoftmax(dim=1),
    )  # fmt: skip
    axes = {"x": {0: "batch"}, "logp": {0: "batch"}}
    proto = _check(
        model, [_normal(rng, 2, 1, 8, 8)], [_normal(rng, 7, 1, 8, 8)],
        input_names=["x"], output_names=["logp"], dynamic_axes=axes,
    )  # fmt: skip
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_dynamic_batch_through_a_transformer_layer(rng):
    lucid.random.seed(2)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    axes = {"input_0": [0], "output_0": [0]}
    _check(layer, [_normal(rng, 2, 5, 8)], [_normal(rng, 3, 5, 8)], dynamic_axes=axes)


def test_parameters_are_initializers_named_by_state_dict_keys(rng, tmp_path):
    lucid.random.seed(4)
    model = nn.Sequential(nn.Linear(3, 4), _bn(4), nn.Linear(4, 2))
    model.eval()
    path = tmp_path / "model.onnx"
    export(model, lucid.tensor(_normal(rng, 2, 3)), path)
    proto = onnx.load(path)
    names = {init.name for init in proto.graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"} <= names
    weight = next(i for i in proto.graph.initializer if i.name == "0.weight")
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(weight), model[0].weight.numpy())


def test_export_restores_training_mode_and_leaves_no_gradients(rng):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), _bn(3))
    model.train()
    export(model, lucid.tensor(_normal(rng, 4, 3)), io.BytesIO())
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    np.testing.assert_array_equal(model[2].running_mean.numpy(), np.linspace(-1, 1, 3))


class _SpectralNorm(nn.Module):
    def forward(self, x):
        return lucid.norm(x, ord=2)


class _TrainingDropout(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=True)


@pytest.mark.parametrize(
    ("model", "name"), [(_SpectralNorm(), "SpectralNorm"), (_TrainingDropout(), "Dropout")]
)
def test_unsupported_op_raises_naming_it(model, name, rng):
    with pytest.raises(NotImplementedError, match=name):
        export(model, lucid.tensor(_normal(rng, 3, 2)), io.BytesIO())
    assert name not in SUPPORTED_OPS


def test_unsupported_geometry_raises_naming_the_op(rng):
    with pytest.raises(NotImplementedError, match="AdaptiveAvgPool"):
        export(nn.AdaptiveAvgPool2d(3), lucid.tensor(_normal(rng, 1, 2, 5, 5)), io.BytesIO())


class _IgnoresInput(nn.Module):
    def forward(self, x, y):
        return x * 2.0 + lucid.tensor(y.numpy().sum())


def test_bad_arguments_raise_clear_errors(rng):
    x = lucid.tensor(_normal(rng, 2, 3))
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="opset_version"):
        export(model, x, io.BytesIO(), opset_version=11)
    with pytest.raises(KeyError, match="'y'"):
        export(model, x, io.BytesIO(), dynamic_axes={"y": [0]})
    with pytest.raises(IndexError, match="axis 2 for 'input_0'"):
        export(model, x, io.BytesIO(), dynamic_axes={"input_0": [2]})
    with pytest.raises(ValueError, match="input_names"):
        export(model, x, io.BytesIO(), input_names=["a", "b"])
    with pytest.raises(TypeError, match="args"):
        export(model, [3], io.BytesIO())
    with pytest.raises(RuntimeError, match="input_1"):  # y only reaches the output via NumPy
        export(_IgnoresInput(), (x, x), io.BytesIO())


def test_missing_package_says_how_to_install_it(monkeypatch, rng):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"lucid\[onnx\]"):
        export(nn.Linear(3, 2), lucid.tensor(_normal(rng, 2, 3)), io.BytesIO())
