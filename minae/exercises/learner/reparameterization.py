"""Exercise reparameterization: the reparameterization trick's backward pass.

Write sample_backward: given grad_z = dL/dz for z = sample(z_mean, z_log_sigma, eps), return
(dL/dz_mean, dL/dz_log_sigma). eps is a fixed input (drawn outside), so z is an ordinary
differentiable function of z_mean and z_log_sigma.

The math to derive
------------------
z = z_mean + exp(z_log_sigma) * eps, element by element, with z_log_sigma = log sigma (the
log of the standard deviation, not of the variance). Derive

    dz/dz_mean = ?        dz/dz_log_sigma = ?

and multiply each by grad_z (the chain rule, element by element).

Shapes
------
sample:
    z_mean, z_log_sigma, eps : ndarray, (N, latent_dim)
    z : ndarray, (N, latent_dim)
sample_backward:
    grad_z, z_log_sigma, eps : ndarray, (N, latent_dim)
    (grad_z_mean, grad_z_log_sigma) : two ndarrays, (N, latent_dim)

How it is checked
-----------------
4 cases of random (N, latent_dim), a batch of 1, one in float32 (compared with minae's
float64 answer at a float32 tolerance, dtype checked), random z_mean, z_log_sigma, eps and
upstream gradient grad_z; both results are compared with the central-difference gradients of
L = sum(sample(z_mean, z_log_sigma, eps) * grad_z).

Commands
--------
    python -m minae.exercises check reparameterization     # after filling in the TODOs
    python -m minae.exercises hint reparameterization      # a nudge; run again for more

Generated from minae/variational.py (sample_backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/variational.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np


def sample(z_mean: np.ndarray, z_log_sigma: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Draw ``z ~ N(z_mean, sigma^2)`` as a differentiable function of the encoder's outputs.

    ::

        z = z_mean + exp(z_log_sigma) * eps,       eps ~ N(0, I), drawn outside

    Sampling ``z`` directly would leave no path for the gradient to reach ``z_mean`` and
    ``z_log_sigma``; moving the randomness into an *input* ``eps`` (the reparameterization
    trick) makes ``z`` an ordinary function we can differentiate (``sample_backward``).

    Parameters
    ----------
    z_mean, z_log_sigma, eps : ndarray, (N, latent_dim)
        ``z_log_sigma`` is ``log sigma`` (not the log-variance).

    Returns
    -------
    z : ndarray, (N, latent_dim)
    """
    return z_mean + np.exp(z_log_sigma) * eps


def sample_backward(grad_z: np.ndarray, z_log_sigma: np.ndarray, eps: np.ndarray):
    # TODO (reparameterization): return (dL/dz_mean, dL/dz_log_sigma)
    raise NotImplementedError("exercise reparameterization not started")
