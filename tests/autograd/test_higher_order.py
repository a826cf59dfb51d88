"""Second and higher derivatives: closed forms, test functions of optimisation, a small MLP's
Hessian-vector products, a gradient penalty, and gradgradcheck over the core ops."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import functional as AF
from lucid.autograd import grad


def f64(a, requires_grad=True):
    return lucid.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def derivatives(fn, x):
    """First and second derivatives of an elementwise fn at every element of x."""
    (d1,) = grad(fn(x).sum(), x, create_graph=True)
    (d2,) = grad(d1.sum(), x)
    return d1.numpy(), d2.numpy()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# fn, its first and second derivative (by hand), and where to evaluate them
CLOSED_FORMS = {
    "tanh": (lucid.tanh, lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), "real"),
    "sigmoid": (lucid.sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)),
                lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)), "real"),
    "log": (lucid.log, lambda x: 1 / x, lambda x: -1 / x**2, "positive"),
    "power": (lambda x: x**3.5, lambda x: 3.5 * x**2.5, lambda x: 3.5 * 2.5 * x**1.5,
              "positive"),
    "exp": (lucid.exp, np.exp, np.exp, "real"),
    "sqrt": (lucid.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x**-1.5, "positive"),
    "sin": (lucid.sin, np.cos, lambda x: -np.sin(x), "real"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_second_derivative_matches_closed_form(name, rng):
    fn, first, second, domain = CLOSED_FORMS[name]
    a = 2 * rng.standard_normal(7)
    a = np.abs(a) + 0.2 if domain == "positive" else a
    d1, d2 = derivatives(fn, f64(a))
    np.testing.assert_allclose(d1, first(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d2, second(a), rtol=1e-12, atol=1e-12)


def test_power_derivatives_by_the_exponent(rng):
    a, p = np.abs(rng.standard_normal(5)) + 0.3, rng.standard_normal(5)
    x, e = f64(a), f64(p)
    dx, de = grad((x**e).sum(), (x, e), create_graph=True)
    dxx, dxe = grad(dx.sum(), (x, e))
    (dee,) = grad(de.sum(), e)
    np.testing.assert_allclose(de.numpy(), a**p * np.log(a), rtol=1e-12)
    np.testing.assert_allclose(dxx.numpy(), p * (p - 1) * a ** (p - 2), rtol=1e-12)
    np.testing.assert_allclose(dxe.numpy(), a ** (p - 1) * (1 + p * np.log(a)), rtol=1e-12)
    np.testing.assert_allclose(dee.numpy(), a**p * np.log(a) ** 2, rtol=1e-12)


def test_third_derivatives(rng):
    a = rng.standard_normal(4)
    x = f64(a)
    for fn, third in ((lambda x: x**3, lambda a: 6 + 0 * a), (lucid.sin, lambda a: -np.cos(a))):
        (d1,) = grad(fn(x).sum(), x, create_graph=True)
        (d2,) = grad(d1.sum(), x, create_graph=True)
        (d3,) = grad(d2.sum(), x)
        np.testing.assert_allclose(d3.numpy(), third(a), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------- optimisation test functions


def sphere(v):
    return (v * v).sum()


def matyas(v):
    x, y = v[0], v[1]
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def goldstein_price(v):
    x, y = v[0], v[1]
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return a * b


def goldstein_price_derivatives(x, y):
    """Gradient and Hessian of Goldstein-Price, derived by hand as f = A B with
    A = 1 + s**2 P(s), s = x + y, P = 19 - 14 s + 3 s**2 (P depends on x + y only), and
    B = 30 + b**2 Q, b = 2x - 3y, Q = 18 - 32x + 12x**2 + 48y - 36xy + 27y**2."""
    s = x + y + 1
    p = 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
    p1 = -14 + 6 * x + 6 * y  # dP/dx = dP/dy
    big_a = 1 + s**2 * p
    a1 = 2 * s * p + s**2 * p1  # dA/dx = dA/dy
    a2 = 2 * p + 4 * s * p1 + 6 * s**2  # every second derivative of A
    b = 2 * x - 3 * y
    q = 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    qx, qy = -32 + 24 * x - 36 * y, 48 - 36 * x + 54 * y
    big_b = 30 + b**2 * q
    bx, by = 4 * b * q + b**2 * qx, -6 * b * q + b**2 * qy
    bxx = 8 * q + 8 * b * qx + 24 * b**2
    bxy = -12 * q + 4 * b * qy - 6 * b * qx - 36 * b**2
    byy = 18 * q - 12 * b * qy + 54 * b**2
    gradient = np.array([a1 * big_b + big_a * bx, a1 * big_b + big_a * by])
    hessian = np.array([
        [a2 * big_b + 2 * a1 * bx + big_a * bxx, a2 * big_b + a1 * (bx + by) + big_a * bxy],
        [a2 * big_b + a1 * (bx + by) + big_a * bxy, a2 * big_b + 2 * a1 * by + big_a * byy],
    ])  # fmt: skip
    return gradient, hessian


MATYAS_HESSIAN = np.array([[0.52, -0.48], [-0.48, 0.52]])
TEST_FUNCTIONS = {
    "sphere": (sphere, lambda v: 2 * v, lambda v: 2 * np.eye(v.size),
               [[0.0, 0.0, 0.0, 0.0], [1.0, -2.0, 0.5, 3.0]]),
    "matyas": (matyas, lambda v: MATYAS_HESSIAN @ v, lambda v: MATYAS_HESSIAN,
               [[0.0, 0.0], [1.0, -2.0], [-3.5, 0.25]]),
    "goldstein_price": (goldstein_price, lambda v: goldstein_price_derivatives(*v)[0],
                        lambda v: goldstein_price_derivatives(*v)[1],
                        [[0.0, -1.0], [0.5, 0.25], [-1.2, 0.7]]),
}  # fmt: skip


@pytest.mark.parametrize(
    "name, point",
    [(name, point) for name, (*_, points) in TEST_FUNCTIONS.items() for point in points],
)
def test_gradient_and_hessian_of_test_functions(name, point):
    fn, gradient, hessian, _ = TEST_FUNCTIONS[name]
    v = np.array(point)
    x = f64(v)
    (g,) = grad(fn(x), x)
    np.testing.assert_allclose(g.numpy(), gradient(v), rtol=1e-10, atol=1e-10)
    h = AF.hessian(fn, f64(v, requires_grad=False))
    np.testing.assert_allclose(h.numpy(), hessian(v), rtol=1e-10, atol=1e-10)


def test_goldstein_price_minimum():
    x = f64([0.0, -1.0])
    assert goldstein_price(x).item() == pytest.approx(3.0)
    (g,) = grad(goldstein_price(x), x)
    np.testing.assert_allclose(g.numpy(), 0, atol=1e-12)
    eigenvalues = np.linalg.eigvalsh(AF.hessian(goldstein_price, x).numpy())
    assert (eigenvalues > 0).all()  # a strict local minimum


# ------------------------------------------------------------- a small MLP


def mlp_setup(rng, loss_name, dtype):
    x = rng.standard_normal((6, 4)).astype(dtype)
    shapes_and_scales = (((5, 4), 0.5), ((5,), 0.1), ((3, 5), 0.5), ((3,), 0.1))
    params = [(s * rng.standard_normal(shape)).astype(dtype) for shape, s in shapes_and_scales]
    target = rng.integers(0, 3, 6) if loss_name == "cross_entropy" else (
        rng.standard_normal((6, 3)).astype(dtype))  # fmt: skip
    return x, params, target


def mlp_loss(loss_name, x, target):
    def loss(w1, b1, w2, b2):
        out = F.linear(lucid.tanh(F.linear(x, w1, b1)), w2, b2)
        if loss_name == "cross_entropy":
            return F.cross_entropy(out, target)
        return F.mse_loss(out, target)

    return loss


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
def test_mlp_hessian_vector_product_matches_finite_differences(loss_name, rng):
    x, params, target = mlp_setup(rng, loss_name, np.float64)
    loss = mlp_loss(loss_name, lucid.tensor(x), lucid.tensor(target))
    v = [rng.standard_normal(p.shape) for p in params]
    _, hv = AF.hvp(loss, tuple(f64(p, False) for p in params), tuple(f64(a, False) for a in v))
    eps = 1e-6

    def gradients(shift):
        ps = [f64(p + shift * a) for p, a in zip(params, v, strict=True)]
        return [g.numpy() for g in grad(loss(*ps), ps)]

    plus, minus = gradients(eps), gradients(-eps)
    for h, gp, gm in zip(hv, plus, minus, strict=True):
        np.testing.assert_allclose(h.numpy(), (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-7)


@pytest.mark.torch
@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
def test_mlp_hessian_vector_product_matches_torch(loss_name, rng):
    torch = pytest.importorskip("torch")
    x, params, target = mlp_setup(rng, loss_name, np.float32)
    v = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    loss = mlp_loss(loss_name, lucid.tensor(x), lucid.tensor(target))
    _, hv = AF.hvp(loss, tuple(lucid.tensor(p) for p in params), tuple(lucid.tensor(a) for a in v))
    tx, tt = torch.tensor(x), torch.tensor(target)

    def torch_loss(w1, b1, w2, b2):
        out = torch.nn.functional.linear(
            torch.tanh(torch.nn.functional.linear(tx, w1, b1)), w2, b2
        )
        if loss_name == "cross_entropy":
            return torch.nn.functional.cross_entropy(out, tt)
        return torch.nn.functional.mse_loss(out, tt)

    _, want = torch.autograd.functional.hvp(
        torch_loss, tuple(torch.tensor(p) for p in params), tuple(torch.tensor(a) for a in v)
    )
    for h, t in zip(hv, want, strict=True):
        assert h.dtype == np.float32
        np.testing.assert_allclose(h.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------- a gradient penalty


def penalised_loss(model, x, y, weight):
    """mse + weight * mean((|d fit / d x_i| - 1)**2): WGAN-GP's penalty on the input gradient."""
    fit = F.mse_loss(model(x), y)
    (gx,) = grad(fit * x.shape[0], x, create_graph=True)
    norms = ((gx * gx).sum(axis=1) + 1e-12).sqrt()
    return fit + weight * ((norms - 1) ** 2).mean()


def test_gradient_penalty_trains(rng):
    lucid.random.seed(3)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    x = lucid.tensor(rng.standard_normal((32, 3)), dtype=lucid.float32, requires_grad=True)
    y = lucid.tensor(np.sin(x.numpy().sum(axis=1, keepdims=True)))
    opt = lucid.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = penalised_loss(model, x, y, 0.5)
        loss.backward()
        assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.torch
def test_gradient_penalty_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    lucid.random.seed(4)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    data = rng.standard_normal((10, 3)).astype(np.float32)
    target = rng.standard_normal((10, 1)).astype(np.float32)
    x = lucid.tensor(data, requires_grad=True)
    penalised_loss(model, x, lucid.tensor(target), 0.5).backward()
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for p, tp in zip(model.parameters(), tmodel.parameters(), strict=True):
            tp.copy_(torch.tensor(p.numpy()))
    tx = torch.tensor(data, requires_grad=True)
    fit = torch.nn.functional.mse_loss(tmodel(tx), torch.tensor(target))
    (gx,) = torch.autograd.grad(fit * 10, tx, create_graph=True)
    norms = ((gx * gx).sum(dim=1) + 1e-12).sqrt()
    (fit + 0.5 * ((norms - 1) ** 2).mean()).backward()
    for p, tp in zip(model.parameters(), tmodel.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
