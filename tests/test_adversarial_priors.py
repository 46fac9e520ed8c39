"""The priors: moments, density and labelled sampling."""


import numpy as np
import pytest

from minae.adversarial import (
    GaussianMixturePrior,
    NormalPrior,
    make_prior,
)


def test_mixture_prior_moments_density_and_labelled_sampling():
    rng = np.random.default_rng(9)
    prior = GaussianMixturePrior(10, radius=4.0, radial_std=1.0, tangential_std=0.3)
    s = prior.sample(40000, rng)
    np.testing.assert_allclose(s.mean(0), prior.mean, atol=0.06)
    np.testing.assert_allclose(np.cov(s, rowvar=False), prior.cov, atol=0.15)
    # the density integrates to 1 (a grid over [-9, 9]^2)
    g = np.linspace(-9, 9, 361)
    pts = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    assert np.exp(prior.log_density(pts)).sum() * (g[1] - g[0]) ** 2 == pytest.approx(1, abs=1e-3)
    # label k draws from petal k: its points sit nearest centre k
    y = np.repeat(np.arange(10), 50)
    z = prior.sample(500, rng, y)
    nearest = np.argmin(((z[:, None] - prior.means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == y) > 0.95
    normal = NormalPrior(3)
    assert np.exp(normal.log_density(np.zeros((1, 3))))[0] == pytest.approx((2 * np.pi) ** -1.5)
    with pytest.raises(ValueError, match="dim"):
        make_prior("mixture", dim=3)
