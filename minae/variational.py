"""The variational autoencoder's math, as free functions on arrays.

A VAE's encoder does not output a code ``z``; it outputs a *distribution* over codes, one
diagonal Gaussian per example::

    q(z | x) = N(z_mean, diag(sigma^2)),     sigma = exp(z_log_sigma)

and the model is trained to maximise the ELBO (evidence lower bound) on ``log p(x)``::

    ELBO(x) = E_q[ log p(x | z) ]  -  KL( q(z | x) || p(z) ),      p(z) = N(0, I)
              \\_ reconstruction _/     \\_____ kl_divergence _____/

The convention: ``z_log_sigma`` is the log of the standard deviation
---------------------------------------------------------------------
The lesson names the encoder's second head ``z_log_sigma`` and says it is ``log sigma``.
minae keeps that name and that meaning *everywhere*: ``sigma = exp(z_log_sigma)``,
``sigma^2 = exp(2 z_log_sigma)``. Many codebases use the log-*variance* instead
(``z_log_var = log sigma^2 = 2 z_log_sigma``); both are fine, but each formula must use the
same one. The lesson's code mixes them (see ``kl_divergence``), and that is a bug to learn from.

Shapes: ``z_mean``, ``z_log_sigma``, ``eps``, ``z``: ``(N, latent_dim)``. Per-example results
(``kl_divergence``, ``log_normal``) are ``(N,)``: summed over the last axis.

Why the importance-weighted pieces live here (and the loop over a model in ``vae/evaluate.py``)
-----------------------------------------------------------------------------------------------
``log_normal``, ``logsumexp`` and ``importance_weighted_log_likelihood`` are the estimator's
math, independent of any network: they take arrays and can be tested against scipy on arrays.
Running the decoder ``K`` times per image, in memory-sized chunks, needs a model, so that part
is ``log_likelihood`` in ``minae/vae/evaluate.py``. Arrows point down: ``minae/vae/`` imports
this file, never the other way.
"""

from __future__ import annotations

import numpy as np

LOG_2PI = float(np.log(2.0 * np.pi))


# --- the reparameterization trick ---------------------------------------------------------

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
    """Backward of ``sample``: turn ``dL/dz`` into ``(dL/dz_mean, dL/dz_log_sigma)``.

    From ``z = z_mean + exp(s) * eps`` (``s = z_log_sigma``), element by element::

        dz/dz_mean = 1                   ->  grad_z_mean      = grad_z
        dz/ds      = exp(s) * eps        ->  grad_z_log_sigma = grad_z * exp(s) * eps

    (With a log-variance ``v``, ``z = z_mean + exp(v / 2) * eps`` and the second line would
    be ``grad_z * 0.5 * exp(v / 2) * eps``.)

    Parameters
    ----------
    grad_z, z_log_sigma, eps : ndarray, (N, latent_dim)

    Returns
    -------
    (grad_z_mean, grad_z_log_sigma) : two ndarrays, (N, latent_dim)
    """
    # EXERCISE reparameterization: return (dL/dz_mean, dL/dz_log_sigma)
    return grad_z, grad_z * np.exp(z_log_sigma) * eps
    # END EXERCISE


# --- the KL term --------------------------------------------------------------------------

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
    """Gradient of ``sum(kl_divergence(z_mean, z_log_sigma))``, element by element.

    From ``KL = 0.5 (mu^2 + exp(2 s) - 1) - s``::

        dKL/dmu = mu
        dKL/ds  = 0.5 * 2 exp(2 s) - 1 = sigma^2 - 1

    Both vanish at the prior (``mu = 0, sigma = 1``). (With the log-variance ``v`` the second
    would be ``0.5 (exp(v) - 1)``.) For a loss averaged over a batch, divide by ``N``.

    Returns
    -------
    (grad_z_mean, grad_z_log_sigma) : two ndarrays, (N, latent_dim)
    """
    # EXERCISE kl_gradient: return (dKL/dz_mean, dKL/dz_log_sigma), KL summed over everything
    return z_mean, np.exp(2.0 * z_log_sigma) - 1.0
    # END EXERCISE


# --- importance-weighted log-likelihood ---------------------------------------------------

def log_normal(x: np.ndarray, mean=0.0, log_sigma=0.0) -> np.ndarray:
    """``log N(x; mean, diag(sigma^2))`` summed over the last axis (``sigma = exp(log_sigma)``).

    ::

        log N = sum_j [ -0.5 log(2 pi) - log_sigma_j - 0.5 ((x_j - mean_j) / sigma_j)^2 ]

    ``mean`` and ``log_sigma`` broadcast against ``x``; the defaults give the prior
    ``N(0, I)``. ``x: (..., D)`` -> ``(...)``.
    """
    x = np.asarray(x)
    u = (x - mean) * np.exp(-np.asarray(log_sigma))
    return np.sum(np.broadcast_to(-0.5 * LOG_2PI - log_sigma - 0.5 * u * u, x.shape), axis=-1)


def logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(a), axis))`` without overflow or underflow.

    Log-weights of a VAE are around -100 nats, and ``exp(-100)`` is fine but ``exp(-800)`` is
    0 in float64; so take out the largest term first::

        logsumexp(a) = m + log(sum(exp(a - m))),     m = max(a)

    Every ``exp`` now sees a number <= 0, and the largest term is exactly ``exp(0) = 1``, so
    the sum is never 0. A row that is all ``-inf`` gives ``-inf``.
    """
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf row is the answer
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def log_importance_weights(log_px_given_z: np.ndarray, z: np.ndarray, z_mean: np.ndarray,
                           z_log_sigma: np.ndarray) -> np.ndarray:
    """``log w = log p(x | z) + log p(z) - log q(z | x)`` for each sample ``z``.

    Parameters
    ----------
    log_px_given_z : ndarray, (...)
        The decoder's log-likelihood of the image at each sample ``z``.
    z : ndarray, (..., latent_dim)
        The samples, ``z = z_mean + sigma * eps``.
    z_mean, z_log_sigma : ndarray, broadcasting to ``z``
        The encoder's ``q(z | x)``.

    With ``z = z_mean + sigma * eps``, ``log q(z | x) = sum(-0.5 log 2 pi - z_log_sigma
    - 0.5 eps^2)``; averaged over ``eps`` the last two terms give ``-KL``, so the mean of
    ``log w`` is the ELBO.
    """
    return log_px_given_z + log_normal(z) - log_normal(z, z_mean, z_log_sigma)


def importance_weighted_log_likelihood(log_weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """The importance-weighted estimate of ``log p(x)`` from ``K`` log-weights per image.

    ``p(x) = E_q[ p(x | z) p(z) / q(z | x) ]`` exactly, so with ``z_1 .. z_K ~ q(z | x)``::

        log p(x) ~ log( (1/K) sum_k w_k ) = logsumexp(log w) - log K

    The average inside the log is unbiased for ``p(x)``; the log makes the estimate a lower
    bound in expectation (Burda et al.'s IWAE bound) that rises with ``K`` toward ``log p(x)``.
    ``K = 1`` is the one-sample ELBO (with a Monte-Carlo KL).

    ``log_weights: (..., K)`` along ``axis`` -> ``(...)``.
    """
    k = np.shape(log_weights)[axis]
    return logsumexp(log_weights, axis=axis) - np.log(k)
