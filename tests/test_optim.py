"""Optimizers against numbers worked out by hand from each update rule.

Every test uses a 2-element parameter p = [1, -2]; the gradient is g1 = [0.5, 0.25] on the first
step and g2 = [0.1, -0.2] on the second. The expected values are written as arithmetic on those
numbers, derived on paper from the docstring's rule, never by calling minae's code.
"""

import math

import numpy as np
import pytest

from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.optim import SGD, Adam, CosineLR, RMSprop, StepLR

G1 = [0.5, 0.25]
G2 = [0.1, -0.2]


class Params:
    """The smallest thing an optimizer can step: named params and grads."""

    def __init__(self, dtype=np.float64, **values):
        self.params = {k: np.array(v, dtype=dtype) for k, v in values.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def set_grads(self, **values):
        for k, v in values.items():
            self.grads[k] = np.array(v, dtype=self.params[k].dtype)


def run(opt, grads, p0=(1.0, -2.0)):
    """Step ``opt`` once per gradient in ``grads``; return p after each step."""
    m = Params(p=list(p0))
    out = []
    for g in grads:
        m.set_grads(p=g)
        opt.step(m)
        out.append(m.params["p"].copy())
    return out


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- SGD

def test_sgd_plain():
    (p1,) = run(SGD(lr=0.1), [G1])
    close(p1, [1 - 0.1 * 0.5, -2 - 0.1 * 0.25])  # [0.95, -2.025]


def test_sgd_momentum_two_steps():
    p1, p2 = run(SGD(lr=0.1, momentum=0.9), [G1, G2])
    # step 1: b = g1 = [0.5, 0.25]                      p = [0.95, -2.025]
    close(p1, [0.95, -2.025])
    # step 2: b = 0.9 * [0.5, 0.25] + [0.1, -0.2] = [0.55, 0.025]
    close(p2, [0.95 - 0.1 * 0.55, -2.025 - 0.1 * 0.025])  # [0.895, -2.0275]


def test_sgd_nesterov_two_steps():
    p1, p2 = run(SGD(lr=0.1, momentum=0.9, nesterov=True), [G1, G2])
    # step 1: b = [0.5, 0.25]; g = g1 + 0.9 b = [0.95, 0.475]
    close(p1, [1 - 0.095, -2 - 0.0475])  # [0.905, -2.0475]
    # step 2: b = [0.55, 0.025]; g = g2 + 0.9 b = [0.595, -0.1775]
    close(p2, [0.905 - 0.0595, -2.0475 + 0.01775])  # [0.8455, -2.02975]


def test_sgd_weight_decay():
    (p1,) = run(SGD(lr=0.1, weight_decay=0.1), [G1])
    # g = g1 + 0.1 p = [0.5 + 0.1, 0.25 - 0.2] = [0.6, 0.05]
    close(p1, [1 - 0.06, -2 - 0.005])


def test_sgd_argument_errors():
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        SGD(lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"SGD momentum must be in \[0, 1\); got 1.0"):
        SGD(lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="SGD lr must be a finite number >= 0; got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(TypeError, match="SGD lr must be a number; got '0.1'"):
        SGD(lr="0.1")


# ----------------------------------------------------------------------------- RMSprop

def test_rmsprop_pytorch_defaults_two_steps():
    opt = RMSprop()
    assert (opt.lr, opt.alpha, opt.eps) == (1e-2, 0.99, 1e-8)
    p1, p2 = run(opt, [G1, G2])
    # step 1: v = 0.01 * g1**2 = [0.0025, 0.000625], sqrt(v) = [0.05, 0.025]
    close(p1, [1 - 0.01 * 0.5 / (0.05 + 1e-8), -2 - 0.01 * 0.25 / (0.025 + 1e-8)])
    # step 2: v = 0.99 * [0.0025, 0.000625] + 0.01 * [0.01, 0.04] = [0.002575, 0.00101875]
    close(p2, [p1[0] - 0.01 * 0.1 / (math.sqrt(0.002575) + 1e-8),
               p1[1] + 0.01 * 0.2 / (math.sqrt(0.00101875) + 1e-8)])


def test_rmsprop_keras_variant():
    opt = RMSprop.keras()
    assert (opt.lr, opt.alpha, opt.eps, opt.eps_inside_sqrt) == (1e-3, 0.9, 1e-7, True)
    p1, p2 = run(opt, [G1, G2])
    # step 1: v = 0.1 * g1**2 = [0.025, 0.00625]; eps under the square root
    close(p1, [1 - 1e-3 * 0.5 / math.sqrt(0.025 + 1e-7),
               -2 - 1e-3 * 0.25 / math.sqrt(0.00625 + 1e-7)])
    # step 2: v = 0.9 * [0.025, 0.00625] + 0.1 * [0.01, 0.04] = [0.0235, 0.009625]
    close(p2, [p1[0] - 1e-3 * 0.1 / math.sqrt(0.0235 + 1e-7),
               p1[1] + 1e-3 * 0.2 / math.sqrt(0.009625 + 1e-7)])


def test_rmsprop_eps_placement_matters_for_tiny_gradients():
    # g = 1e-4: PyTorch's v = 0.01 * 1e-8 = 1e-10, step = lr * 1e-4 / (1e-5 + 1e-8) ~ 9.99 lr
    (torch_p,) = run(RMSprop(lr=1e-3, alpha=0.99, eps=1e-8), [[1e-4, 1e-4]])
    close(torch_p[0], 1 - 1e-3 * 1e-4 / (1e-5 + 1e-8))
    # Keras's v = 0.1 * 1e-8 = 1e-9, step = lr * 1e-4 / sqrt(1e-9 + 1e-7) ~ 0.31 lr
    (keras_p,) = run(RMSprop.keras(), [[1e-4, 1e-4]])
    close(keras_p[0], 1 - 1e-3 * 1e-4 / math.sqrt(1.01e-7))


def test_rmsprop_weight_decay():
    (p1,) = run(RMSprop(lr=0.01, weight_decay=0.1), [G1])
    # g = [0.6, 0.05]; v = 0.01 g**2 = [0.0036, 0.000025], sqrt(v) = [0.06, 0.005]
    close(p1, [1 - 0.01 * 0.6 / (0.06 + 1e-8), -2 - 0.01 * 0.05 / (0.005 + 1e-8)])


# ----------------------------------------------------------------------------- Adam

def test_adam_pytorch_defaults_two_steps_with_bias_correction():
    opt = Adam()
    assert (opt.lr, opt.beta1, opt.beta2, opt.eps) == (1e-3, 0.9, 0.999, 1e-8)
    p1, p2 = run(opt, [G1, G2])
    # step 1: m = 0.1 g1, v = 0.001 g1**2; m_hat = g1, v_hat = g1**2: a step of lr * sign(g)
    close(p1, [1 - 1e-3 * 0.5 / (0.5 + 1e-8), -2 - 1e-3 * 0.25 / (0.25 + 1e-8)])
    # step 2: m = 0.9 * [0.05, 0.025] + 0.1 * [0.1, -0.2] = [0.055, 0.0025]
    #         v = 0.999 * [0.00025, 0.0000625] + 0.001 * [0.01, 0.04] = [0.00025975, 0.0001024375]
    #         1 - 0.9**2 = 0.19, 1 - 0.999**2 = 0.001999
    m = np.array([0.055, 0.0025])
    v = np.array([0.00025975, 0.0001024375])
    close(p2, p1 - 1e-3 * (m / 0.19) / (np.sqrt(v / 0.001999) + 1e-8))


def test_adam_first_step_ignores_gradient_scale():
    (p1,) = run(Adam(lr=0.01), [[1e3, -1e-3]])
    close(p1, [1 - 0.01 * 1e3 / (1e3 + 1e-8), -2 + 0.01 * 1e-3 / (1e-3 + 1e-8)])
    np.testing.assert_allclose(p1, [0.99, -1.99], rtol=1e-5)


def test_adam_weight_decay_is_l2_on_the_gradient():
    (p1,) = run(Adam(lr=1e-3, weight_decay=0.1), [G1])
    # g = g1 + 0.1 p = [0.6, 0.05]; first step moves by lr * g / (|g| + eps)
    close(p1, [1 - 1e-3 * 0.6 / (0.6 + 1e-8), -2 - 1e-3 * 0.05 / (0.05 + 1e-8)])


def test_adam_keras_variant_eps_hat():
    opt = Adam.keras()
    assert (opt.eps, opt.eps_hat) == (1e-7, True)
    g = [1e-6, 0.5]
    (p1,) = run(opt, [g])
    # Keras: p -= lr * sqrt(1 - 0.999) / (1 - 0.9) * m / (sqrt(v) + eps), m = 0.1 g, v = 0.001 g**2
    alpha = 1e-3 * math.sqrt(0.001) / 0.1
    close(p1, [1 - alpha * 1e-7 / (math.sqrt(0.001) * 1e-6 + 1e-7),
               -2 - alpha * 0.05 / (math.sqrt(0.001) * 0.5 + 1e-7)])
    # ...which differs from eps added after the bias correction when g is tiny
    (p_plain,) = run(Adam(eps=1e-7), [g])
    assert abs(p_plain[0] - p1[0]) > 1e-5


# ----------------------------------------------------------------------------- shared rules

def test_state_is_kept_per_parameter_name():
    m = Params(a=[1.0], b=[1.0])
    opt = SGD(lr=0.1, momentum=0.9)
    for _ in range(2):
        m.set_grads(a=[1.0], b=[-2.0])
        opt.step(m)
    # constant g: b1 = g, b2 = 1.9 g, so p = 1 - 0.1 g - 0.19 g = 1 - 0.29 g
    close(m.params["a"], [1 - 0.29])
    close(m.params["b"], [1 + 0.58])
    assert set(opt.state) == {"a", "b"}
    close(opt.state["a"]["b"], [1.9])
    close(opt.state["b"]["b"], [-3.8])


def test_adam_step_count_is_per_parameter():
    m = Params(a=[1.0])
    opt = Adam()
    m.set_grads(a=[0.5])
    opt.step(m)
    m.params["new"] = np.array([1.0])  # a parameter that appears later starts at t = 1
    m.set_grads(a=[0.5], new=[0.5])
    opt.step(m)
    assert opt.state["a"]["t"] == 2 and opt.state["new"]["t"] == 1
    close(m.params["new"], [1 - 1e-3 * 0.5 / (0.5 + 1e-8)])


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), RMSprop, Adam])
def test_updates_in_place_in_the_parameter_dtype(make):
    rng = np.random.default_rng(0)
    model = Sequential(Dense(3, 2, rng=rng))  # float32
    before = {k: (id(v), v.copy()) for k, v in model.params.items()}
    model.forward(rng.normal(size=(4, 3)))
    model.backward(rng.normal(size=(4, 2)).astype(np.float32))
    make().step(model)
    for name, p in model.params.items():
        assert id(p) == before[name][0], "parameter array was rebound"
        assert p.dtype == np.float32
        assert not np.array_equal(p, before[name][1])


def test_step_checks_grads_before_updating_anything():
    m = Params(a=[1.0], b=[2.0])
    del m.grads["b"]
    with pytest.raises(KeyError, match="parameter 'b' has no gradient"):
        SGD(0.1).step(m)
    m.grads["a"] = np.array([1.0])
    m.grads["b"] = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"gradient of 'b' has shape \(2,\); expected .*\(1,\)"):
        SGD(0.1).step(m)
    close(m.params["a"], [1.0])


def test_state_shape_mismatch_is_reported():
    opt = Adam()
    m = Params(a=[1.0])
    opt.step(m)
    m2 = Params(a=[1.0, 2.0])
    with pytest.raises(ValueError, match="use a fresh optimizer"):
        opt.step(m2)


def test_schedules():
    s = StepLR(0.1, step_size=2, gamma=0.5)
    close([s(e) for e in range(5)], [0.1, 0.1, 0.05, 0.05, 0.025])
    c = CosineLR(1.0, epochs=4)
    # (1 + cos(pi e / 4)) / 2 for e = 0..4, then held at lr_min
    close([c(e) for e in range(6)],
          [1.0, (1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0.0, 0.0])
    assert CosineLR(1.0, epochs=2, lr_min=0.1)(2) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="StepLR step_size must be a positive integer; got 0"):
        StepLR(0.1, step_size=0)
