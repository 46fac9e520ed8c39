"""Activations: gradients away from the kinks, ReLU's mask, stability at extreme inputs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    check_layer,
)

sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 16), st.integers(1, 16), st.integers(0, 2**31 - 1)
)


def away_from_zero(rng, shape, gap=0.05):
    """Random values with |x| >= gap, so ReLU-like kinks are never straddled by h=1e-6."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-12) * gap, x)


@settings(max_examples=25)
@given(sizes, st.sampled_from(["relu", "leaky", "sigmoid", "tanh", "softplus"]))
def test_activation_gradients(size, name):
    n, d, _, seed = size
    rng = np.random.default_rng(seed)
    layer = {"relu": ReLU(), "leaky": LeakyReLU(0.1), "sigmoid": Sigmoid(), "tanh": Tanh(),
             "softplus": Softplus()}[name]
    # |x| <= 3: further out tanh and sigmoid saturate, their derivative drops below 1e-2
    # while the output is ~1, and a central difference in float64 keeps only ~1e-16 / h of
    # absolute precision: a lone saturated entry then misses 1e-7 relative (seen at x ~ 5)
    x = np.clip(3 * away_from_zero(rng, (n, d)), -3.0, 3.0)
    check_layer(layer, x, rng=rng)


def test_relu_mask_uses_input():
    layer = ReLU()
    y = layer.forward(np.array([[-1.0, 2.0, 0.0]]))
    assert np.array_equal(y, [[0.0, 2.0, 0.0]])
    assert np.array_equal(layer.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 5.0, 0.0]])


def test_stable_activations_at_extremes():
    x = np.array([[-1000.0, 0.0, 1000.0]])
    s = Sigmoid().forward(x)
    assert np.all(np.isfinite(s)) and np.allclose(s, [[0.0, 0.5, 1.0]])
    sp = Softplus().forward(x)
    assert np.all(np.isfinite(sp)) and np.allclose(sp, [[0.0, np.log(2), 1000.0]])
