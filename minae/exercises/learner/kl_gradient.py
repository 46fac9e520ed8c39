"""Exercise kl_gradient: the gradient of the VAE's KL term.

Write kl_divergence_grad: return the gradient of sum(kl_divergence(z_mean, z_log_sigma))
with respect to z_mean and to z_log_sigma (kl_divergence, in this file, is the forward).

The math to derive
------------------
Per latent dimension, with mu = z_mean, s = z_log_sigma = log sigma:

    KL = 0.5 (mu**2 + sigma**2 - 1) - s,       sigma**2 = exp(2 s)

    dKL/dmu = ?        dKL/ds = ?     (write the second with sigma)

Both must vanish at the prior, mu = 0 and sigma = 1.

Shapes
------
kl_divergence:
    z_mean, z_log_sigma : ndarray, (N, latent_dim)
kl_divergence_grad:
    (grad_z_mean, grad_z_log_sigma) : two ndarrays, (N, latent_dim)

How it is checked
-----------------
4 cases of random (N, latent_dim), a batch of 1, one in float32 (compared at a float32
tolerance, dtype checked), random z_mean, z_log_sigma; both results are compared with the
central-difference gradients of sum(kl_divergence).

Commands
--------
    python -m minae.exercises check kl_gradient     # after filling in the TODOs
    python -m minae.exercises hint kl_gradient      # a nudge; run again for more

Generated from minae/variational.py (kl_divergence_grad) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/variational.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np


def kl_divergence(z_mean: np.ndarray, z_log_sigma: np.ndarray) -> np.ndarray:
    """``KL( N(z_mean, sigma^2) || N(0, I) )`` per example, summed over latent dimensions.

    Derivation, one dimension (``mu``, ``sigma = exp(s)``): the KL is
    ``E_q[log q(z) - log p(z)]`` with ``z = mu + sigma * eps``::

        log q(z) = -0.5 log(2 pi) - s - 0.5 eps^2
        log p(z) = -0.5 log(2 pi)     - 0.5 (mu + sigma eps)^2
        E[eps] = 0,  E[eps^2] = 1

        KL = E[ -s - 0.5 eps^2 + 0.5 (mu^2 + 2 mu sigma eps + sigma^2 eps^2) ]
           = 0.5 (mu^2 + sigma^2 - 1) - s

    Dimensions are independent under both distributions, so the KL of the diagonal Gaussian
    is the sum over dimensions. It is 0 exactly at ``mu = 0, s = 0`` (q equals the prior)
    and positive everywhere else.

    The same formula with the log-variance ``v = log sigma^2 = 2 s``::

        KL = -0.5 * sum(1 + v - mu^2 - exp(v))

    **The lesson's inconsistency.** The lesson writes
    ``kl = -0.5 * sum(1 + z_log_sigma - z_mean^2 - exp(z_log_sigma))``, which is the
    log-variance form above, so it treats ``z_log_sigma`` as ``log sigma^2``; but it samples
    ``z_mean + exp(z_log_sigma) * eps``, which treats ``z_log_sigma`` as ``log sigma``. The
    two halves of the loss then disagree about the same number: the KL that is penalised is
    the one of a Gaussian with standard deviation ``exp(z_log_sigma / 2)``, while the samples
    fed to the decoder have standard deviation ``exp(z_log_sigma)``. The network still trains
    (the minimum of the lesson's KL is at ``z_log_sigma = 0`` too, and it pulls the right
    way), but the loss is no longer an ELBO: it is not a bound on ``log p(x)``, so its value
    cannot be reported in nats or compared with other models. minae uses ``log sigma`` in
    both places.

    Parameters
    ----------
    z_mean, z_log_sigma : ndarray, (N, latent_dim)

    Returns
    -------
    ndarray, (N,): nats per example.
    """
    sigma_sq = np.exp(2.0 * z_log_sigma)
    return np.sum(0.5 * (z_mean**2 + sigma_sq - 1.0) - z_log_sigma, axis=-1)


def kl_divergence_grad(z_mean: np.ndarray, z_log_sigma: np.ndarray):
    # TODO (kl_gradient): return (dKL/dz_mean, dKL/dz_log_sigma), KL summed over everything
    raise NotImplementedError("exercise kl_gradient not started")
