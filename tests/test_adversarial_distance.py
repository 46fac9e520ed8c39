"""How far codes are from a prior: MMD^2 and the moment distance."""


import numpy as np

from minae.adversarial import (
    NormalPrior,
    mmd2,
    moment_distance,
)


def test_distribution_statistics():
    rng = np.random.default_rng(10)
    prior = NormalPrior(2)
    a, b = prior.sample(400, rng), prior.sample(400, rng)
    far = 3.0 + 0.2 * rng.standard_normal((400, 2))
    assert mmd2(a, b) < 0.05 < mmd2(a, far)
    assert moment_distance(a, prior) < 0.3 < moment_distance(far, prior)
