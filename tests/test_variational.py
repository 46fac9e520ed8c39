"""variational.py: the reparameterized sample, the KL and their gradients; the IW pieces."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from minae.gradcheck import GradientCheckError, check_gradients
from minae.variational import (
    importance_weighted_log_likelihood,
    kl_divergence,
    kl_divergence_grad,
    log_importance_weights,
    log_normal,
    logsumexp,
    sample,
    sample_backward,
)

# batch size, latent size, and a seed; arrays are built with numpy from the seed
# (docs/conventions.md)
sizes = st.tuples(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**31 - 1))


def draw(seed, n, d):
    """z_mean, z_log_sigma over the wide range -8..5, eps: (n, d) float64 each."""
    rng = np.random.default_rng(seed)
    return (3 * rng.standard_normal((n, d)), rng.uniform(-8, 5, (n, d)),
            rng.standard_normal((n, d)), rng)


def check_split(objective, z_mean, z_log_sigma, grad_mean, grad_log_sigma):
    """Check both gradients, each with the step that suits it.

    With z_log_sigma up to 5, sigma^2 = e^10 = 22026, so the objective can be ~1e5 and its
    round-off (~1e-11) over a step of 2e-6 is ~1e-5: more than 1e-7 of a z_mean gradient of
    order 1. Both objectives are at most quadratic in z_mean, where a central difference is
    exact for any h, so z_mean takes h = 1e-3; z_log_sigma takes h = 1e-4 (truncation error
    h^2 f_sss / 6, f_sss the third derivative, ~ 7e-9 relative, round-off ~1e-9).
    """
    check_gradients(objective, {"z_mean": z_mean}, {"z_mean": grad_mean}, tol=1e-7, h=1e-3)
    check_gradients(objective, {"z_log_sigma": z_log_sigma}, {"z_log_sigma": grad_log_sigma},
                    tol=1e-7, h=1e-4)


@settings(max_examples=40, deadline=None)
@given(sizes)
def test_sample_backward_matches_finite_differences(size):
    n, d, seed = size
    z_mean, z_log_sigma, eps, rng = draw(seed, n, d)
    g = rng.standard_normal((n, d))  # random upstream gradient, not ones
    grad_mean, grad_log_sigma = sample_backward(g, z_log_sigma, eps)
    check_split(lambda: float(np.sum(sample(z_mean, z_log_sigma, eps) * g)),
                z_mean, z_log_sigma, grad_mean, grad_log_sigma)


@settings(max_examples=40, deadline=None)
@given(sizes)
def test_kl_gradient_matches_finite_differences(size):
    n, d, seed = size
    z_mean, z_log_sigma, _, rng = draw(seed, n, d)
    w = rng.standard_normal(n)  # a random weight per example, so the per-example sum shows
    grad_mean, grad_log_sigma = kl_divergence_grad(z_mean, z_log_sigma)
    check_split(lambda: float(np.sum(kl_divergence(z_mean, z_log_sigma) * w)),
                z_mean, z_log_sigma, w[:, None] * grad_mean, w[:, None] * grad_log_sigma)


def test_gradient_checks_catch_the_log_variance_mixup():
    """The checks can fail: the log-variance derivative 0.5 (exp(v) - 1) is not ours."""
    z_mean, z_log_sigma, _, _ = draw(0, 3, 4)
    wrong = 0.5 * (np.exp(z_log_sigma) - 1.0)
    with pytest.raises(GradientCheckError, match="z_log_sigma"):
        check_gradients(lambda: float(np.sum(kl_divergence(z_mean, z_log_sigma))),
                        {"z_log_sigma": z_log_sigma}, {"z_log_sigma": wrong}, tol=1e-7)


def test_kl_is_zero_exactly_at_the_prior():
    zeros = np.zeros((3, 5))
    assert np.array_equal(kl_divergence(zeros, zeros), np.zeros(3))
    g_mean, g_log_sigma = kl_divergence_grad(zeros, zeros)
    assert not np.any(g_mean) and not np.any(g_log_sigma)


@settings(max_examples=40, deadline=None)
@given(sizes)
def test_kl_is_positive_away_from_the_prior(size):
    n, d, seed = size
    z_mean, z_log_sigma, _, _ = draw(seed, n, d)
    kl = kl_divergence(z_mean, z_log_sigma)
    assert kl.shape == (n,)
    assert np.all(kl > 0)
    # a single dimension moved a little still gives KL > 0 (mu^2 / 2, or s^2 to second order)
    for i in range(d):
        mu, ls = np.zeros((1, d)), np.zeros((1, d))
        mu[0, i] = 1e-3
        ls[0, (i + 1) % d] = -1e-3
        assert kl_divergence(mu, ls)[0] > 0


def test_kl_matches_monte_carlo():
    """KL = E_q[log q(z) - log p(z)]: the mean over S samples is within 5 standard errors."""
    rng = np.random.default_rng(1)
    z_mean = rng.standard_normal((1, 3))
    z_log_sigma = rng.uniform(-1.5, 1.0, (1, 3))
    s = 200_000
    eps = rng.standard_normal((s, 3))
    z = sample(z_mean, z_log_sigma, eps)
    terms = log_normal(z, z_mean, z_log_sigma) - log_normal(z)  # (S,)
    mc, standard_error = terms.mean(), terms.std() / np.sqrt(s)
    assert abs(mc - kl_divergence(z_mean, z_log_sigma)[0]) < 5 * standard_error
    assert standard_error < 0.01  # so the test has teeth


def test_the_lessons_formula_is_the_log_variance_kl():
    """The lesson's KL is right for log-variances and wrong for minae's log-sigma samples."""
    rng = np.random.default_rng(2)
    z_mean, s = rng.standard_normal((1, 2)), np.array([[0.7, -0.9]])

    def lessons_kl(mu, v):
        return -0.5 * np.sum(1 + v - mu**2 - np.exp(v), axis=-1)

    assert np.allclose(lessons_kl(z_mean, 2 * s), kl_divergence(z_mean, s))  # v = 2 s: equal
    n = 200_000
    eps = rng.standard_normal((n, 2))
    z = sample(z_mean, s, eps)  # the lesson's sampler: std exp(s)
    terms = log_normal(z, z_mean, s) - log_normal(z)
    se = terms.std() / np.sqrt(n)
    assert abs(terms.mean() - kl_divergence(z_mean, s)[0]) < 5 * se
    assert abs(terms.mean() - lessons_kl(z_mean, s)[0]) > 50 * se  # the lesson's KL is off


def test_sample_has_the_right_mean_and_std():
    rng = np.random.default_rng(3)
    z_mean, z_log_sigma = np.array([[1.0, -2.0]]), np.array([[np.log(0.5), np.log(3.0)]])
    z = sample(z_mean, z_log_sigma, rng.standard_normal((100_000, 2)))
    assert np.allclose(z.mean(0), [1.0, -2.0], atol=5 * 3.0 / np.sqrt(100_000))
    assert np.allclose(z.std(0), [0.5, 3.0], rtol=0.01)


def test_log_normal_against_scipy():
    rng = np.random.default_rng(4)
    x, mean, log_sigma = rng.standard_normal((2, 3, 4)), rng.standard_normal(4), \
        rng.uniform(-2, 2, (3, 4))
    expected = scipy.stats.norm.logpdf(x, mean, np.exp(log_sigma)).sum(-1)
    assert np.allclose(log_normal(x, mean, log_sigma), expected, rtol=1e-12)
    assert np.allclose(log_normal(x), scipy.stats.norm.logpdf(x).sum(-1), rtol=1e-12)


def test_logsumexp_is_stable():
    a = np.array([[-1000.0, -1001.0, -1002.0], [800.0, 799.0, 0.0], [0.0, 0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = logsumexp(a)
    assert np.allclose(out, scipy.special.logsumexp(a, axis=-1), rtol=1e-14)
    assert np.isclose(out[2], np.log(3.0))
    assert logsumexp(np.full((1, 4), -np.inf))[0] == -np.inf
    assert np.allclose(logsumexp(a, axis=0), scipy.special.logsumexp(a, axis=0))


def test_importance_weighted_estimate_pieces():
    # K equal log-weights: the estimate is that value (the 1/K and log K cancel)
    assert np.allclose(importance_weighted_log_likelihood(np.full((2, 7), -123.4)), -123.4)
    # the estimate is log of the mean weight, and at least the mean log-weight (Jensen)
    rng = np.random.default_rng(5)
    log_w = rng.normal(-100, 2, (3, 50))
    est = importance_weighted_log_likelihood(log_w)
    assert np.allclose(est, np.log(np.mean(np.exp(log_w + 100), axis=1)) - 100)
    assert np.all(est >= log_w.mean(axis=1))
    # log w = log p(x|z) + log p(z) - log q(z|x)
    z_mean, z_log_sigma = rng.standard_normal((3, 1, 2)), rng.uniform(-1, 1, (3, 1, 2))
    z = sample(z_mean, z_log_sigma, rng.standard_normal((3, 5, 2)))
    log_px = rng.normal(-50, 1, (3, 5))
    expected = (log_px + scipy.stats.norm.logpdf(z).sum(-1)
                - scipy.stats.norm.logpdf(z, z_mean, np.exp(z_log_sigma)).sum(-1))
    assert np.allclose(log_importance_weights(log_px, z, z_mean, z_log_sigma), expected)
