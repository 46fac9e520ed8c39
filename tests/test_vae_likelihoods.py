"""vae/likelihoods.py: the reconstruction terms, their target gradients, log p(x | z) per image."""

import numpy as np
import pytest
import scipy.stats

from minae.gradcheck import check_gradients
from minae.losses import binary_cross_entropy_with_logits
from minae.vae.likelihoods import (
    LIKELIHOODS,
    SSE_CONSTANT_PER_PIXEL,
    SSE_LOG_SIGMA,
    log_px_given_z,
    reconstruction,
    target_grad,
)


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_target_grad_against_finite_differences(likelihood):
    """d reconstruction / d x, x as the target: the analytic formula against central
    differences (layer tolerance 1e-7)."""
    rng = np.random.default_rng(0)
    out, x = rng.standard_normal((3, 2, 4)), rng.uniform(0.1, 0.9, (3, 2, 4))
    log_sigma = -0.3
    check_gradients(lambda: reconstruction(likelihood, out, x, log_sigma)[0], {"x": x},
                    {"x": target_grad(likelihood, out, x, log_sigma)}, tol=1e-7)


def test_log_px_given_z_is_minus_the_reconstruction_in_true_nats():
    """Per image and with a samples axis: bernoulli is minus the BCE on logits; gaussian is
    scipy's log-density; sse is the Gaussian with sigma^2 = 1/2, i.e. SSE + (D/2) ln(pi)."""
    rng = np.random.default_rng(1)
    out, x = rng.standard_normal((3, 5, 1, 2, 2)), rng.uniform(0.1, 0.9, (3, 1, 1, 2, 2))
    bern = log_px_given_z("bernoulli", out, x, 0.0, 3)
    assert bern.shape == (3, 5)
    value, _ = binary_cross_entropy_with_logits(out[1, 2:3], x[1], "sum")
    assert np.isclose(bern[1, 2], -value)
    gauss = log_px_given_z("gaussian", out, x, -0.4, 3)
    expect = scipy.stats.norm.logpdf(x, out, np.exp(-0.4)).sum(axis=(2, 3, 4))
    assert np.allclose(gauss, expect, rtol=1e-12)
    sse = log_px_given_z("sse", out, x, SSE_LOG_SIGMA, 3)
    squared = ((out - x) ** 2).sum(axis=(2, 3, 4))
    assert np.allclose(-sse, squared + 4 * SSE_CONSTANT_PER_PIXEL, rtol=1e-12)  # 4 pixels
    assert np.isclose(784 * SSE_CONSTANT_PER_PIXEL, 448.7, atol=0.05)
