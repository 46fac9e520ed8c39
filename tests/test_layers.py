"""Dense, activations, Dropout, Flatten/Reshape, Sequential: gradients and contracts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    check_layer,
    check_model,
)

sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 16), st.integers(1, 16), st.integers(0, 2**31 - 1)
)


def away_from_zero(rng, shape, gap=0.05):
    """Random values with |x| >= gap, so ReLU-like kinks are never straddled by h=1e-6."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-12) * gap, x)


@settings(max_examples=25)
@given(sizes)
def test_dense_gradients(size):
    n, d_in, d_out, seed = size
    rng = np.random.default_rng(seed)
    layer = Dense(d_in, d_out, rng=rng, dtype=np.float64)
    layer.params["b"][:] = rng.standard_normal(d_out)  # nonzero bias: a wrong db shows
    check_layer(layer, rng.standard_normal((n, d_in)), rng=rng)


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


@settings(max_examples=15)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_flatten_reshape_gradients(n, c, h, seed):
    rng = np.random.default_rng(seed)
    check_layer(Flatten(), rng.standard_normal((n, c, h, h)), rng=rng)
    check_layer(Reshape((c, h, h)), rng.standard_normal((n, c * h * h)), rng=rng)


def test_sequential_model_gradient_and_names():
    rng = np.random.default_rng(1)
    model = Sequential(
        Flatten(), Dense(12, 8, rng=rng, dtype=np.float64), Tanh(),
        Dense(8, 12, rng=rng, dtype=np.float64), Reshape((3, 2, 2)),
    )
    assert sorted(model.params) == ["1.W", "1.b", "3.W", "3.b"]
    assert model.params["1.W"] is model.layers[1].params["W"]  # exposed, not copied
    check_model(model, rng.standard_normal((4, 3, 2, 2)), rng=rng)


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


def test_train_eval_propagates_and_summary(capsys):
    drop = Dropout(0.5)
    model = Sequential(Dense(4, 3), ReLU(), drop, Dense(3, 2))
    model.eval()
    assert not drop.training
    model.train()
    assert drop.training
    assert model.summary((4,)) is None  # printed, not returned: a notebook shows it once
    out = capsys.readouterr().out
    assert "Dense(4, 3)" in out and "total parameters: 23" in out and drop.training
    text = model.summary((4,), print_fn=None)  # the text, printed by nobody
    assert capsys.readouterr().out == "" and text + "\n" == out
    lines = []
    assert model.summary((4,), print_fn=lines.append) is None and lines == [text]
    with pytest.raises(TypeError, match="Sequential argument 1"):
        Sequential(Dense(2, 2), "relu")


def test_reshape_errors():
    with pytest.raises(ValueError, match="values per example"):
        Reshape((2, 3)).forward(np.ones((4, 7)))
    with pytest.raises(ValueError, match="positive sizes"):
        Reshape((0, 3))
