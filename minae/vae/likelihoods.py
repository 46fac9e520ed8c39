"""The VAE's reconstruction term ``-log p(x | z)``: three likelihoods, each written once.

``out`` is the decoder's output for the images ``x`` (same shape ``(N, *image)``):

* ``"bernoulli"``: each pixel a coin with probability ``sigmoid(out)``; the term is the BCE on
  logits (``losses.binary_cross_entropy_with_logits``). On grey pixels it cannot reach 0: its
  floor is ``evaluate.bernoulli_floor(x)`` (45.5 nats per MNIST image, 189.9 per
  Fashion-MNIST image).
* ``"gaussian"``: ``x ~ N(out, sigma^2)`` per pixel, the true NLL (``losses.gaussian_nll``,
  constant kept); ``log sigma`` fixed or learned.
* ``"sse"``: the lesson's loss, the sum of squared errors (``losses.mse``). That is the Gaussian
  NLL with ``sigma^2 = 1/2`` minus ``(D/2) ln(pi)``: 448.7 nats for a 784-pixel image. Training
  reports the lesson's number; evaluation scores it as that Gaussian, in true nats.

Shapes: ``out, x: (N, *image)``; values are nats per image (reduction ``"batch"``).
"""

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.losses import (
    bce_with_logits_elements,
    binary_cross_entropy_with_logits,
    gaussian_nll,
    mse,
)
from minae.variational import log_normal

LIKELIHOODS = ("bernoulli", "gaussian", "sse")
SSE_LOG_SIGMA = 0.5 * float(np.log(0.5))  # the sigma of the Gaussian the SSE loss assumes
SSE_CONSTANT_PER_PIXEL = 0.5 * float(np.log(np.pi))  # Gaussian NLL(sigma^2 = 1/2) - SSE


def reconstruction(likelihood: str, out: np.ndarray, x: np.ndarray, log_sigma):
    """``(value, d value / d out, d value / d log_sigma or None)``, nats per image.

    ``log_sigma`` (gaussian only): a float, or the learned parameter array ``(1,)`` (then its
    gradient comes back with that shape).
    """
    if likelihood == "bernoulli":
        value, grad = binary_cross_entropy_with_logits(out, x)
        return value, grad, None
    if likelihood == "sse":
        value, grad = mse(out, x)
        return value, grad, None
    return gaussian_nll(out, x, log_sigma)


def target_grad(likelihood: str, out: np.ndarray, x: np.ndarray, log_sigma: float) -> np.ndarray:
    """``d reconstruction / d x``, with ``x`` as the likelihood's target (reduction "batch").

    ::

        bernoulli  l = max(z, 0) - z t + log(1 + exp(-|z|))    dl/dt = -z
        sse        l = (mu - t)^2                               dl/dt = 2 (t - mu)
        gaussian   l = ... + (t - mu)^2 / (2 sigma^2)           dl/dt = (t - mu) / sigma^2
    """
    n = x.shape[0]
    if likelihood == "bernoulli":
        return -out / n
    if likelihood == "sse":
        return 2.0 * (x - out) / n
    return (x - out) * np.exp(-2.0 * log_sigma) / n


def log_px_given_z(likelihood: str, out: np.ndarray, x: np.ndarray, log_sigma: float,
                   image_ndim: int) -> np.ndarray:
    """``log p(x | z)`` per image in true nats: ``out: (..., *image)``, ``x`` broadcasting.

    The pixel axes are the last ``image_ndim``; ``out`` may carry a samples axis (``(N, K,
    *image)`` against ``x: (N, 1, *image)``). Bernoulli: minus the BCE on logits summed over
    the pixels; gaussian and sse: the Gaussian log-density of the pixels (``log_normal``), with
    ``log_sigma = log sqrt(1/2)`` for sse.
    """
    out = out.astype(np.float64)
    x = x.astype(np.float64)
    if likelihood == "bernoulli":
        return -np.sum(bce_with_logits_elements(out, x), axis=tuple(range(-image_ndim, 0)))
    flat = out.shape[:out.ndim - image_ndim] + (-1,)
    out_flat = out.reshape(flat)
    x_flat = np.broadcast_to(x, np.broadcast_shapes(x.shape, out.shape)).reshape(flat)
    return log_normal(x_flat, out_flat, log_sigma)


def mean_image(likelihood: str, out: np.ndarray) -> np.ndarray:
    """The likelihood's mean in image space: probabilities for bernoulli, else ``out``."""
    return sigmoid(out) if likelihood == "bernoulli" else out
