"""Dense: the gradient check, the formula, dtype rules, and backward writes (never adds)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    Dense,
    check_layer,
)

sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 16), st.integers(1, 16), st.integers(0, 2**31 - 1)
)


@settings(max_examples=25)
@given(sizes)
def test_dense_gradients(size):
    n, d_in, d_out, seed = size
    rng = np.random.default_rng(seed)
    layer = Dense(d_in, d_out, rng=rng, dtype=np.float64)
    layer.params["b"][:] = rng.standard_normal(d_out)  # nonzero bias: a wrong db shows
    check_layer(layer, rng.standard_normal((n, d_in)), rng=rng)


def test_backward_writes_not_adds():
    rng = np.random.default_rng(2)
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dy)
    first = layer.grads["W"].copy()
    layer.forward(x)
    layer.backward(dy)
    assert np.allclose(layer.grads["W"], first)


def test_dense_matches_formula_and_dtype_rules():
    rng = np.random.default_rng(3)
    layer = Dense(3, 2, rng=rng)
    x = rng.standard_normal((5, 3))  # float64 input to a float32 layer is cast
    y = layer.forward(x)
    assert y.dtype == np.float32
    assert np.allclose(y, x.astype(np.float32) @ layer.params["W"] + layer.params["b"], atol=1e-6)
    for bad in (np.ones((5, 3), dtype=int), np.ones((5, 3), dtype=bool)):
        with pytest.raises(TypeError, match="floating-point"):
            layer.forward(bad)
    with pytest.raises(ValueError, match=r"Dense expected input \(N, 3\); got \(5, 4\)"):
        layer.forward(np.ones((5, 4)))
    with pytest.raises(ValueError, match="in_features"):
        Dense(0, 3)
    with pytest.raises(TypeError, match="out_features"):
        Dense(3, 2.5)
    with pytest.raises(ValueError, match="init must be one of"):
        Dense(3, 2, init="zeros")
