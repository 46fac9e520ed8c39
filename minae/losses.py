"""Losses: each is ``f(prediction, target, reduction="batch") -> (value, grad)``.

``grad`` is dL/d(prediction), already divided by whatever the reduction divides by, so it
can be handed straight to the model's ``backward``.

Reductions (``l`` is the element-wise loss, ``N`` the batch size, the first axis)
---------------------------------------------------------------------------------
* ``"batch"`` (default): ``L = sum(l) / N``. Sums over pixels, averages over images: for a
  likelihood this is *nats per image*, the unit VAEs are reported in. ``grad = dl / N``.
* ``"mean"``: ``L = mean(l)``, the per-element average Keras and PyTorch print
  (e.g. "BCE 0.095 per pixel"). ``grad = dl / l.size``.
* ``"sum"``: ``L = sum(l)``. ``grad = dl``.

The element-wise losses and their derivatives
---------------------------------------------
with prediction ``p`` (or logit ``z``, or mean ``mu``) and target ``t``:

* ``mse``: ``l = (p - t)**2``, ``dl/dp = 2 (p - t)``
* ``binary_cross_entropy``: ``l = -(t log p + (1 - t) log(1 - p))``,
  ``dl/dp = (p - t) / (p (1 - p))``
* ``binary_cross_entropy_with_logits``: ``l = max(z, 0) - z t + log(1 + exp(-|z|))``,
  ``dl/dz = sigmoid(z) - t``
* ``gaussian_nll`` (``s = log sigma``): ``l = log(2 pi)/2 + s + (t - mu)**2 / (2 exp(2 s))``,
  ``dl/dmu = (mu - t) / exp(2 s)``

``binary_cross_entropy_with_logits`` is ``binary_cross_entropy(sigmoid(z), t)`` rewritten so
that nothing overflows: with ``p = sigmoid(z)``, ``-log p = log(1 + exp(-z))`` and
``-log(1 - p) = log(1 + exp(z))``, and ``log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|))``.
Its gradient, ``sigmoid(z) - t``, is the reason decoders end in logits: the ``p (1 - p)`` of
the sigmoid's derivative cancels the ``1 / (p (1 - p))`` of the BCE's, so a saturated output
still learns.
"""

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.layers.checks import as_float_array

REDUCTIONS = ("batch", "mean", "sum")
BCE_EPS = 1e-7  # Keras's epsilon: probabilities are clipped to [1e-7, 1 - 1e-7]


def _check_pair(prediction, target, loss_name: str) -> tuple[np.ndarray, np.ndarray]:
    p = as_float_array(prediction, f"{loss_name} prediction")
    t = as_float_array(target, f"{loss_name} target", p.dtype)
    if p.shape != t.shape:
        raise ValueError(f"{loss_name}: prediction has shape {p.shape} but target has shape "
                         f"{t.shape}; they must match")
    if p.ndim == 0:
        raise ValueError(f"{loss_name}: expected a batch (N, ...); got a scalar")
    return p, t


def _scale(shape: tuple, reduction: str) -> float:
    """What the summed loss is divided by under ``reduction``."""
    if reduction == "batch":
        return float(shape[0])
    if reduction == "mean":
        return float(np.prod(shape))
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")


def mse(prediction: np.ndarray, target: np.ndarray, reduction: str = "batch"):
    """Squared error. ``prediction, target: (N, ...)``. Returns ``(value, grad)``."""
    p, t = _check_pair(prediction, target, "mse")
    s = _scale(p.shape, reduction)
    diff = p - t
    # EXERCISE mse: return (float(np.sum(diff * diff) / s), grad), grad = dL/dprediction
    return float(np.sum(diff * diff) / s), 2.0 * diff / s
    # END EXERCISE


def binary_cross_entropy(prediction: np.ndarray, target: np.ndarray, reduction: str = "batch"):
    """BCE on probabilities ``p`` in (0, 1). ``prediction, target: (N, ...)``.

    ``p`` is clipped to ``[1e-7, 1 - 1e-7]`` (Keras's epsilon) so ``log`` never sees 0: a
    prediction of exactly 0 or 1 costs at most ``-log(1e-7) = 16.1`` nats per element. The
    gradient is the formula's, ``(p - t) / (p (1 - p))``, evaluated at the clipped ``p``.
    Prefer ``binary_cross_entropy_with_logits``: same value, no clipping, stable gradient.
    """
    p, t = _check_pair(prediction, target, "binary_cross_entropy")
    s = _scale(p.shape, reduction)
    p = np.clip(p, BCE_EPS, 1.0 - BCE_EPS)
    loss = -(t * np.log(p) + (1.0 - t) * np.log1p(-p))
    return float(np.sum(loss) / s), (p - t) / (p * (1.0 - p)) / s


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray,
                                     reduction: str = "batch"):
    """BCE of ``sigmoid(z)`` against ``t``, computed from the logits ``z`` (stable for any z).

    ``l = max(z, 0) - z t + log(1 + exp(-|z|))``, ``dl/dz = sigmoid(z) - t``.
    ``logits, target: (N, ...)``. Returns ``(value, grad)``.
    """
    z, t = _check_pair(logits, target, "binary_cross_entropy_with_logits")
    s = _scale(z.shape, reduction)
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    # EXERCISE bce_with_logits: return (float(np.sum(loss) / s), grad), grad = dL/dlogits
    return float(np.sum(loss) / s), (sigmoid(z) - t) / s
    # END EXERCISE


def gaussian_nll(mean: np.ndarray, target: np.ndarray, log_sigma=0.0, reduction: str = "batch"):
    """Negative log-likelihood of ``target`` under ``N(mean, sigma^2)``, in true nats.

    With ``s = log_sigma`` (a scalar, or any array that broadcasts to ``mean``'s shape)::

        l = 0.5 log(2 pi) + s + (t - mu)^2 / (2 exp(2 s))
        dl/dmu = (mu - t) / exp(2 s)
        dl/ds  = 1 - (t - mu)^2 / exp(2 s)

    The constant ``0.5 log(2 pi)`` per element is kept, so the value is a real likelihood that
    can be compared across models. (The sum of squared errors is this loss with
    ``sigma^2 = 1/2``, minus ``(D/2) ln(pi)``: 448.7 nats for a 784-pixel image.)

    Returns
    -------
    (value, grad_mean, grad_log_sigma)
        The one loss with two learnable inputs, so it returns both gradients;
        ``grad_log_sigma`` has ``log_sigma``'s shape (summed over broadcast axes).
    """
    mu, t = _check_pair(mean, target, "gaussian_nll")
    log_s = as_float_array(log_sigma, "gaussian_nll log_sigma", mu.dtype)
    try:
        np.broadcast_shapes(log_s.shape, mu.shape)
    except ValueError:
        raise ValueError(f"gaussian_nll: log_sigma of shape {log_s.shape} does not broadcast "
                         f"to the mean's shape {mu.shape}") from None
    s = _scale(mu.shape, reduction)
    inv_var = np.exp(-2.0 * log_s)
    sq = (t - mu) ** 2 * inv_var  # ((t - mu) / sigma)^2
    loss = 0.5 * np.log(2.0 * np.pi) + log_s + 0.5 * sq
    grad_mean = (mu - t) * inv_var / s
    grad_log_sigma = _sum_to_shape(np.broadcast_to(1.0 - sq, mu.shape), log_s.shape) / s
    return float(np.sum(np.broadcast_to(loss, mu.shape)) / s), grad_mean, grad_log_sigma


def _sum_to_shape(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched to reach ``g.shape``."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g
