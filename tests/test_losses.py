"""Losses: values against the direct formulas, gradients against finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_gradients,
    check_loss,
    gaussian_nll,
    mse,
)

shapes = st.tuples(st.integers(1, 4), st.integers(1, 16), st.integers(0, 2**31 - 1))
REDUCTIONS = ["batch", "mean", "sum"]


def divisor(shape, reduction):
    return {"batch": shape[0], "mean": np.prod(shape), "sum": 1}[reduction]


@settings(max_examples=20)
@given(shapes, st.sampled_from(REDUCTIONS))
def test_mse(size, reduction):
    n, d, seed = size
    rng = np.random.default_rng(seed)
    p, t = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    value, _ = mse(p, t, reduction)
    assert np.isclose(value, np.sum((p - t) ** 2) / divisor(p.shape, reduction))
    check_loss(mse, p, t, reduction=reduction)


@settings(max_examples=20)
@given(shapes, st.sampled_from(REDUCTIONS))
def test_bce_on_probabilities(size, reduction):
    n, d, seed = size
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, (n, d))
    t = rng.uniform(0, 1, (n, d))
    value, _ = binary_cross_entropy(p, t, reduction)
    direct = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / divisor(p.shape, reduction)
    assert np.isclose(value, direct)
    check_loss(binary_cross_entropy, p, t, reduction=reduction)


def test_bce_clipping():
    value, grad = binary_cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), "sum")
    assert np.isclose(value, -2 * np.log(1e-7), rtol=1e-6)  # clipped to 1e-7: 16.1 nats each
    assert np.all(np.isfinite(grad))


@settings(max_examples=20)
@given(shapes, st.sampled_from(REDUCTIONS))
def test_bce_with_logits(size, reduction):
    n, d, seed = size
    rng = np.random.default_rng(seed)
    z = 3 * rng.standard_normal((n, d))
    t = rng.uniform(0, 1, (n, d))
    value, _ = binary_cross_entropy_with_logits(z, t, reduction)
    p = 1 / (1 + np.exp(-z))
    direct = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / divisor(z.shape, reduction)
    assert np.isclose(value, direct)
    check_loss(binary_cross_entropy_with_logits, z, t, reduction=reduction)


def test_bce_with_logits_extreme():
    z = np.array([[-1000.0, 1000.0, -1000.0, 1000.0]])
    t = np.array([[0.0, 1.0, 1.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        value, grad = binary_cross_entropy_with_logits(z, t, "sum")
    assert np.isclose(value, 2000.0)  # two right (0 nats), two wrong by 1000 each
    assert np.allclose(grad, [[0.0, 0.0, -1.0, 1.0]])


@settings(max_examples=20)
@given(shapes, st.sampled_from(REDUCTIONS), st.booleans())
def test_gaussian_nll(size, reduction, per_pixel_sigma):
    n, d, seed = size
    rng = np.random.default_rng(seed)
    mu, t = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    log_sigma = rng.uniform(-1, 1, (d,) if per_pixel_sigma else ())
    value, g_mu, g_ls = gaussian_nll(mu, t, log_sigma, reduction)
    sigma = np.exp(log_sigma)
    direct = np.sum(0.5 * np.log(2 * np.pi * sigma**2) + (t - mu) ** 2 / (2 * sigma**2))
    assert np.isclose(value, direct / divisor(mu.shape, reduction))
    assert g_ls.shape == np.shape(log_sigma)
    log_sigma = np.array(log_sigma, dtype=np.float64)
    check_gradients(
        lambda: gaussian_nll(mu, t, log_sigma, reduction)[0],
        {"mean": mu, "log_sigma": log_sigma},
        {"mean": g_mu, "log_sigma": np.asarray(g_ls)},
        tol=1e-7,
    )


def test_gaussian_constant_and_sse_relation():
    # One 784-pixel image predicted exactly, sigma = 1: the NLL is the constant alone.
    x = np.zeros((1, 784))
    value, _, _ = gaussian_nll(x, x)
    assert np.isclose(value, 784 * 0.5 * np.log(2 * np.pi))
    # SSE is the Gaussian NLL with sigma^2 = 1/2 minus (D/2) ln(pi) = 448.7 nats.
    rng = np.random.default_rng(0)
    mu, t = rng.random((3, 784)), rng.random((3, 784))
    nll, _, _ = gaussian_nll(mu, t, np.log(np.sqrt(0.5)))
    sse, _ = mse(mu, t)
    assert np.isclose(nll - sse, 392 * np.log(np.pi))
    assert np.isclose(392 * np.log(np.pi), 448.7, atol=0.05)


def test_loss_errors():
    a = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) but target has shape \(2, 4\)"):
        mse(a, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        mse(a, a, "average")
    with pytest.raises(TypeError, match="floating-point"):
        mse(np.zeros((2, 3), dtype=int), a)
    with pytest.raises(ValueError, match="does not broadcast"):
        gaussian_nll(a, a, np.zeros(4))
