"""Flatten and Reshape: gradients and the per-example size rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    Flatten,
    Reshape,
    check_layer,
)


@settings(max_examples=15)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_flatten_reshape_gradients(n, c, h, seed):
    rng = np.random.default_rng(seed)
    check_layer(Flatten(), rng.standard_normal((n, c, h, h)), rng=rng)
    check_layer(Reshape((c, h, h)), rng.standard_normal((n, c * h * h)), rng=rng)


def test_reshape_errors():
    with pytest.raises(ValueError, match="values per example"):
        Reshape((2, 3)).forward(np.ones((4, 7)))
    with pytest.raises(ValueError, match="positive sizes"):
        Reshape((0, 3))
