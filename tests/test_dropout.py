"""Dropout: the gradient with a fixed mask, the drop rate, one mask for both passes, eval."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    Dropout,
    check_layer,
)

sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 16), st.integers(1, 16), st.integers(0, 2**31 - 1)
)


@settings(max_examples=15)
@given(sizes, st.floats(0.0, 0.9))
def test_dropout_gradient_with_fixed_mask(size, p):
    n, d, _, seed = size
    rng = np.random.default_rng(seed)
    layer = Dropout(p, rng=np.random.default_rng(seed))
    mask = (rng.random((n, d)) >= p) / (1 - p)
    check_layer(layer, rng.standard_normal((n, d)), rng=rng, forward_kwargs={"mask": mask})


def test_dropout_train_and_eval():
    x = np.ones((200, 50))
    layer = Dropout(0.3, rng=np.random.default_rng(0))
    y = layer.forward(x)
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.3) < 0.03  # 10,000 Bernoulli(0.3): sd 0.0046
    assert np.allclose(y[y != 0], 1 / 0.7)
    assert np.allclose(layer.backward(np.ones_like(x)), y)  # same mask in backward
    layer.eval()
    assert np.array_equal(layer.forward(x), x)
    with pytest.raises(ValueError, match="Dropout p"):
        Dropout(1.0)
