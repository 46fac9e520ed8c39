"""Sparsity penalties: values, gradients, and the sparse autoencoder that uses them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae.gradcheck import MODEL_TOL, check_gradients
from minae.layers.activations import sigmoid
from minae.sparse import (
    KLSparsity,
    L1Activity,
    kl_sparsity,
    l1_activity,
    sparse_dense_autoencoder,
)

shapes = st.tuples(st.integers(1, 6), st.integers(1, 9), st.integers(0, 2**31 - 1))


def away_from_zero(rng, shape, gap=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-12) * gap, x)


def _check_penalty(fn, h):
    _, grad = fn(h)
    check_gradients(lambda: fn(h)[0], {"h": h}, {"h": grad}, tol=1e-7)


@settings(max_examples=25)
@given(shapes, st.floats(1e-3, 10.0))
def test_l1_activity_gradient(size, lam):
    n, d, seed = size
    h = away_from_zero(np.random.default_rng(seed), (n, d))  # |h| has a kink at 0
    _check_penalty(L1Activity(lam), h)


@settings(max_examples=25)
@given(shapes, st.floats(0.01, 0.5), st.floats(0.1, 5.0))
def test_kl_sparsity_gradient(size, rho, beta):
    n, d, seed = size
    h = np.random.default_rng(seed).uniform(0.03, 0.97, (n, d))  # like sigmoid codes
    _check_penalty(KLSparsity(rho, beta), h)


def test_penalties_on_conv_shaped_codes():
    rng = np.random.default_rng(0)
    _check_penalty(L1Activity(0.3), away_from_zero(rng, (3, 2, 2, 2)))
    _check_penalty(KLSparsity(0.1, 2.0), sigmoid(rng.standard_normal((3, 2, 2, 2))))


def test_penalty_values():
    h = np.array([[0.0, 2.0, -1.0], [1.0, 0.0, 0.0]])
    assert l1_activity(h, 0.5)[0] == pytest.approx(0.5 * 4 / 2)  # lam * sum|h| / N
    # a unit whose batch mean equals rho costs nothing; KL of two coins otherwise
    rho = 0.2
    h = np.array([[0.1, 0.5], [0.3, 0.5]])  # batch means 0.2 and 0.5
    expected = rho * np.log(rho / 0.5) + (1 - rho) * np.log((1 - rho) / 0.5)
    assert kl_sparsity(h, rho, beta=3.0)[0] == pytest.approx(3.0 * expected)
    assert kl_sparsity(np.full((4, 3), rho), rho)[0] == pytest.approx(0.0, abs=1e-15)
    # saturated units stay finite
    value, grad = kl_sparsity(np.ones((2, 2)), 0.05)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_penalties_refuse_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        kl_sparsity(np.array([[-0.5, 0.2]]), 0.1)
    with pytest.raises(ValueError, match="rho"):
        KLSparsity(rho=1.0)
    with pytest.raises(ValueError, match="lam"):
        L1Activity(-1.0)
    with pytest.raises(TypeError):
        l1_activity(np.array([[1, 2]]), 0.1)


@pytest.mark.parametrize("code,penalty", [("relu", L1Activity(0.7)),
                                          ("sigmoid", KLSparsity(0.1, 2.0)),
                                          ("relu", None)])
def test_sparse_autoencoder_gradient(code, penalty):
    """The whole objective, reconstruction + penalty, against every parameter."""
    rng = np.random.default_rng(1)
    model = sparse_dense_autoencoder(5, penalty, code=code, input_shape=(1, 3, 4), rng=rng,
                                     dtype=np.float64)
    model.encoder[1].params["b"][:] = 0.5 + 0.1 * rng.random(5)  # ReLU codes away from 0
    x = rng.random((6, 1, 3, 4))
    model.loss(x)
    model.backward()
    analytic = {k: v.copy() for k, v in model.grads.items()}
    check_gradients(lambda: model.loss(x)[0], model.params, analytic, tol=MODEL_TOL)
    if penalty is not None:
        assert model.last_terms["penalty"] > 0


def test_forward_backward_path_adds_the_same_penalty_gradient():
    """``forward`` + ``backward(dlogits)`` (a generic loop) trains the same objective."""
    from minae.losses import binary_cross_entropy_with_logits

    rng = np.random.default_rng(2)
    model = sparse_dense_autoencoder(4, L1Activity(0.5), input_shape=(1, 2, 3), rng=rng,
                                     dtype=np.float64)
    x = rng.random((5, 1, 2, 3))
    model.loss(x)
    model.backward()
    a = {k: v.copy() for k, v in model.grads.items()}
    _, d = binary_cross_entropy_with_logits(model.forward(x), x)
    model.backward(d)
    for k, v in model.grads.items():
        np.testing.assert_allclose(v, a[k], rtol=1e-12, atol=1e-15)


def test_l1_penalty_shrinks_the_code():
    """Trained the same way, the L1 model's ReLU code is quieter than the plain one's (mostly
    smaller rather than sparser: see demos/sparse_autoencoder.py)."""
    from minae.datasets import load_dataset
    from minae.optim import Adam
    from minae.training import fit

    x = load_dataset("synthetic-digits", "train", limit=300, seed=0, log=None).images
    means = {}
    for name, penalty in (("plain", None), ("l1", L1Activity(1.0))):
        model = sparse_dense_autoencoder(16, penalty, rng=np.random.default_rng(0))
        fit(model, x, optimizer=Adam(3e-3), epochs=8, batch_size=50, seed=0, verbose=False)
        means[name] = float(model.encode(x).mean())
    assert means["l1"] < 0.6 * means["plain"], means  # about 2.5 vs 5.6
