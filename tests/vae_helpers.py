"""Helpers shared by the VAE tests: grey images, nonzero biases, the whole-loss gradient check."""

import numpy as np

from minae.gradcheck import check_gradients

# (likelihood, learn_sigma): every way the reconstruction term can be written
LIKELIHOODS = [("bernoulli", False), ("gaussian", False), ("gaussian", True), ("sse", False)]
IMAGE = (1, 3, 4)


def images(rng, n, shape=IMAGE):
    """Grey pixels strictly inside (0, 1), as float64."""
    return rng.uniform(0.05, 0.95, (n, *shape))


def randomize_biases(model, rng):
    """Nonzero biases, so a wrong bias gradient cannot hide behind b = 0."""
    for name, p in model.params.items():
        if name.endswith(".b"):
            p[:] = 0.3 * rng.standard_normal(p.shape)


def check_whole_loss(model, args, eps, rng, tol=1e-6):
    """Gradient-check loss(*args, eps=eps) for every parameter and the input, in float64."""
    value, parts = model.loss(*args, eps=eps)
    assert np.isclose(value, parts["reconstruction"] + model.beta * parts["kl"])
    dx = model.backward()
    x = args[0]
    tensors = {"input": x, **model.params}
    analytic = {"input": dx, **{k: v.copy() for k, v in model.grads.items()}}
    assert set(model.grads) == set(model.params)
    return check_gradients(lambda: model.loss(*args, eps=eps)[0], tensors, analytic,
                           tol=tol, rng=rng)

