"""Initializers: each scheme's variance is its formula's; biases are zeros except PyTorch's."""

import numpy as np
import pytest

from minae.initializers import bias, weights, weights_and_bias


def test_initializer_variances():
    rng = np.random.default_rng(0)
    fan_in, fan_out, n = 300, 200, (300, 200)
    cases = {
        "glorot_uniform": 2 / (fan_in + fan_out),
        "he_normal": 2 / fan_in,
        "pytorch": 1 / (3 * fan_in),
    }
    for name, var in cases.items():
        w = weights(name, n, fan_in, fan_out, rng, np.float64)
        # 60,000 draws: the sample variance's relative sd is about sqrt(2/60000) < 0.6%
        assert abs(w.var() / var - 1) < 0.03, name
        assert abs(w.mean()) < 4 * np.sqrt(var / w.size), name
    assert np.all(bias("glorot_uniform", 5, fan_in) == 0)
    b = bias("pytorch", 10_000, fan_in, rng, np.float64)
    assert abs(b.var() / (1 / (3 * fan_in)) - 1) < 0.05
    with pytest.raises(ValueError, match="init must be one of"):
        weights("xavier", n, fan_in, fan_out, rng)


@pytest.mark.parametrize("bias_size", [None, 3])
def test_weights_and_bias_is_weights_then_bias_from_one_generator(bias_size):
    """The same draws as calling weights then bias with the same generator; no "b" for None."""
    params = weights_and_bias("pytorch", (4, 3), 4, 3, np.random.default_rng(7), np.float64,
                              bias_size=bias_size, what="Dense(4, 3)")
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(params["W"], weights("pytorch", (4, 3), 4, 3, rng, np.float64))
    if bias_size is None:
        assert set(params) == {"W"}
    else:
        np.testing.assert_array_equal(params["b"], bias("pytorch", 3, 4, rng, np.float64))
    with pytest.raises(ValueError, match=r"Conv2D weights W of shape"):
        weights_and_bias("glorot_uniform", (10**6, 10**6), 1, 1, bias_size=None, what="Conv2D")
