"""Whole training steps compiled: backward() and optimizer step()/zero_grad() are captured, and
compiled and eager training stay bit-identical (losses, gradients, parameters, optimizer state).
"""

import warnings

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
import lucid.optim as optim

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (optim.Adam, {"lr": 0.01}),
    (optim.AdamW, {"lr": 0.01, "amsgrad": True}),
]


def _mlp(dtype):
    lucid.random.seed(4)
    model = nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2)
    )
    return model.double() if dtype == np.float64 else model


def _cnn(dtype):
    lucid.random.seed(5)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    return model.double() if dtype == np.float64 else model


def _step_of(model, opt):
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _assert_same_state(opt_a, opt_b):
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    assert state_a.keys() == state_b.keys() and state_a
    for k in state_a:
        assert state_a[k].keys() == state_b[k].keys()
        for key, value in state_a[k].items():
            np.testing.assert_array_equal(np.asarray(state_b[k][key]), np.asarray(value))


def _train_in_lockstep(make_model, x_shape, dtype, opt_cls, kwargs, rng, steps=4):
    eager_model, compiled_model = make_model(dtype), make_model(dtype)
    eager_opt = opt_cls(eager_model.parameters(), **kwargs)
    compiled_opt = opt_cls(compiled_model.parameters(), **kwargs)
    eager_step = _step_of(eager_model, eager_opt)
    compiled_step = lucid.compile(_step_of(compiled_model, compiled_opt))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no graph break
        for _ in range(steps):
            x = lucid.tensor(rng.standard_normal(x_shape).astype(dtype))
            y = lucid.tensor(rng.standard_normal((x_shape[0], 2)).astype(dtype))
            want, got = eager_step(x, y), compiled_step(x, y)
            # The same ops in the same order: bit-identical, in float32 too.
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            pairs = zip(eager_model.parameters(), compiled_model.parameters(), strict=True)
            for pe, pc in pairs:
                np.testing.assert_array_equal(pc.grad.numpy(), pe.grad.numpy())
                np.testing.assert_array_equal(pc.numpy(), pe.numpy())
            _assert_same_state(eager_opt, compiled_opt)
    assert compiled_step.traces == 1
    graph = compiled_step.graph
    assert "backward(" in graph and f"{opt_cls.__name__}.step()" in graph
    assert f"{opt_cls.__name__}.zero_grad()" in graph
    return compiled_step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("opt_cls", "kwargs"), OPTIMIZERS)
def test_compiled_mlp_training_step_matches_eager(opt_cls, kwargs, dtype, rng):
    _train_in_lockstep(_mlp, (6, 8), dtype, opt_cls, kwargs, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("opt_cls", "kwargs"), [OPTIMIZERS[0], OPTIMIZERS[2]])
def test_compiled_cnn_training_step_matches_eager(opt_cls, kwargs, dtype, rng):
    _train_in_lockstep(_cnn, (3, 2, 6, 6), dtype, opt_cls, kwargs, rng, steps=3)


def test_compiled_backward_accumulates_into_existing_grad_of_params_and_arguments(rng):
    w = lucid.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    upstream = lucid.tensor(rng.standard_normal(3))

    def fn(x):
        y = (x @ w).tanh() * x.sum()  # x is used twice: its gradient is summed
        y.backward(upstream)  # a given, random upstream gradient
        return y.detach()

    compiled = lucid.compile(fn)
    data = rng.standard_normal(4)
    x_eager, x_compiled = (lucid.tensor(data, requires_grad=True) for _ in range(2))
    w_grads = []
    for call in (fn, compiled):
        w.grad = None
        x = x_eager if call is fn else x_compiled
        for _ in range(3):  # the second and third calls add into the existing .grad
            call(x)
        w_grads.append(w.grad.numpy().copy())
    np.testing.assert_array_equal(w_grads[1], w_grads[0])
    np.testing.assert_array_equal(x_compiled.grad.numpy(), x_eager.grad.numpy())
    assert compiled.traces == 1 and "backward(" in compiled.graph


def test_compiled_step_returns_a_loss_whose_graph_is_released_as_in_eager(rng):
    model = _mlp(np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    compiled = lucid.compile(_step_of(model, opt))
    x, y = lucid.tensor(rng.standard_normal((6, 8))), lucid.tensor(rng.standard_normal((6, 2)))
    compiled(x, y)
    loss = compiled(x, y)  # a replay
    assert loss.requires_grad
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()


def test_compiled_step_reads_a_scheduled_learning_rate_live(rng):
    eager_model, compiled_model = _mlp(np.float64), _mlp(np.float64)
    opts = [optim.SGD(m.parameters(), lr=0.1) for m in (eager_model, compiled_model)]
    scheds = [optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5) for o in opts]
    eager_step = _step_of(eager_model, opts[0])
    compiled_step = lucid.compile(_step_of(compiled_model, opts[1]))
    for _ in range(3):
        x, y = lucid.tensor(rng.standard_normal((6, 8))), lucid.tensor(rng.standard_normal((6, 2)))
        eager_step(x, y), compiled_step(x, y)
        for s in scheds:
            s.step()
    for pe, pc in zip(eager_model.parameters(), compiled_model.parameters(), strict=True):
        np.testing.assert_array_equal(pc.numpy(), pe.numpy())


def _retain(w):
    def fn(x):
        loss = (w * x).sum()
        loss.backward(retain_graph=True)
        return loss.detach()

    return fn


def _closure(model, opt):
    def fn(x, y):
        def closure():
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            return loss

        return opt.step(closure).detach()

    return fn


def _reads_grad(model, opt):
    def fn(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        norm = model[0].bias.grad.square().sum()  # reads a gradient made inside: not captured
        opt.step()
        return loss.detach() + norm

    return fn


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("retain", r"graph break \(backward\(retain_graph/create_graph\) at .*test_training"),
        ("closure", r"graph break \(SGD.step\(\) at .*test_training"),
        ("grad", r"graph break \(.*reads \.grad after a backward"),
    ],
)
def test_uncaptured_training_code_breaks_the_graph_and_stays_correct(kind, message, rng):
    models = [_mlp(np.float64), _mlp(np.float64)]
    opts = [optim.SGD(m.parameters(), lr=0.1, momentum=0.5) for m in models]
    w = [lucid.tensor(np.arange(8.0), requires_grad=True) for _ in range(2)]
    make = {
        "retain": lambda i: _retain(w[i]),
        "closure": lambda i: _closure(models[i], opts[i]),
        "grad": lambda i: _reads_grad(models[i], opts[i]),
    }[kind]
    eager, compiled = make(0), lucid.compile(make(1))
    args = [lucid.tensor(rng.standard_normal((6, 8))), lucid.tensor(rng.standard_normal((6, 2)))]
    args = args[:1] if kind == "retain" else args
    with pytest.warns(UserWarning, match=message):
        compiled(*args)
    eager(*args)
    for _ in range(2):
        np.testing.assert_array_equal(compiled(*args).numpy(), eager(*args).numpy())
    for pe, pc in zip(models[0].parameters(), models[1].parameters(), strict=True):
        np.testing.assert_array_equal(pc.numpy(), pe.numpy())
    np.testing.assert_array_equal(w[1].grad is None, w[0].grad is None)
    if w[0].grad is not None:
        np.testing.assert_array_equal(w[1].grad.numpy(), w[0].grad.numpy())


def test_fullgraph_raises_for_an_uncaptured_backward(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)
    compiled = lucid.compile(_retain(w), fullgraph=True)
    with pytest.raises(RuntimeError, match=r"fullgraph=True.*retain_graph.*test_training"):
        compiled(lucid.tensor(rng.standard_normal(3)))


def _primitives(x, w, b):
    """Broadcasting, a value read by several ops, and a multi-result op one result of which
    gets no gradient: the engine's reduce, sum-into-slot and zero-fill paths."""
    h = x @ w + b  # b broadcasts over the batch
    left, right, _ = h.split(2, dim=1)  # one op, three results; the third is unused
    y = left.tanh() * right + (w * w).sum()
    return y.sum() + (h * 0.5).mean()


def test_compiled_backward_through_broadcasts_shared_values_and_multi_result_ops(rng):
    data = [rng.standard_normal(s) for s in ((5, 4), (4, 6), (6,))]
    compiled = lucid.compile(lambda *args: _primitives(*args).backward())
    results = []
    for call in (lambda *a: _primitives(*a).backward(), compiled):
        args = [lucid.tensor(a, requires_grad=k > 0) for k, a in enumerate(data)]
        for _ in range(3):
            call(*args)
        results.append([a.grad.numpy() for a in args[1:]])
    for got, want in zip(results[1], results[0], strict=True):
        np.testing.assert_array_equal(got, want)
    assert compiled.traces == 1 and "backward(" in compiled.graph


def test_compiled_training_step_with_dropout_draws_the_eager_stream(rng):
    def model_of():
        lucid.random.seed(7)
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))

    models = [model_of().double(), model_of().double()]
    opts = [optim.Adam(m.parameters(), lr=0.01) for m in models]
    eager, compiled = _step_of(models[0], opts[0]), lucid.compile(_step_of(models[1], opts[1]))
    for k in range(3):
        x, y = lucid.tensor(rng.standard_normal((6, 8))), lucid.tensor(rng.standard_normal((6, 2)))
        lucid.random.seed(100 + k)
        want = eager(x, y)
        lucid.random.seed(100 + k)
        got = compiled(x, y)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for pe, pc in zip(models[0].parameters(), models[1].parameters(), strict=True):
        np.testing.assert_array_equal(pc.numpy(), pe.numpy())
    assert compiled.traces == 1


def test_a_returned_result_the_captured_backward_did_not_consume_runs_eagerly(rng):
    w = lucid.tensor(rng.standard_normal(3), requires_grad=True)

    def fn(x):
        (w * x).sum().backward()
        return w * 2.0  # needs grad, outside the pass: an array replay could not give its graph

    compiled = lucid.compile(fn)
    x = lucid.tensor(rng.standard_normal(3))
    with pytest.warns(UserWarning, match="did not consume it"):
        compiled(x)
    out = compiled(x)
    assert out.requires_grad
    np.testing.assert_array_equal(w.grad.numpy(), 2 * x.numpy())
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * x.numpy() + 2.0)
