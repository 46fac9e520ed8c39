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

The boundary rule (every loss, in ``_check_pair``)
--------------------------------------------------
Prediction and target: float arrays of exactly the same shape (no broadcasting), at least
one element, no NaN; targets finite. Where a loss has a domain it is enforced, not clipped
silently: BCE targets (on logits and on probabilities) and BCE probabilities must be in
[0, 1] (``"targets must be in [0, 1]; got max 255.0: did you forget to divide images by
255?"``). Logits may be ``+-inf``: the BCE then takes its limit (0 where the prediction is
right, inf where wrong). The check is one ``min`` and one ``max`` per array.
"""

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.layers.checks import as_float_array, check_finite

REDUCTIONS = ("batch", "mean", "sum")
BCE_EPS = 1e-7  # Keras's epsilon: probabilities are clipped to [1e-7, 1 - 1e-7]


def _check_pair(prediction, target, loss_name: str, *, unit_targets: bool = False,
                unit_predictions: bool = False,
                infinite_predictions: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The one boundary check of every loss: dtypes, shapes, emptiness, NaN/inf and domains.

    ``prediction`` and ``target`` must be float arrays of exactly the same shape (no
    broadcasting) with at least one element. NaN is refused in both, inf in the target, and
    inf in the prediction unless ``infinite_predictions`` (logits, whose limits are finite
    losses). ``unit_targets`` / ``unit_predictions`` require values in [0, 1] (probabilities,
    pixel intensities). One ``min`` and one ``max`` per array: NaN shows in both, inf in one.
    Raises ``TypeError`` (dtype) or ``ValueError`` naming the loss, the argument and the fix.
    """
    p = as_float_array(prediction, f"{loss_name} prediction")
    t = as_float_array(target, f"{loss_name} target", p.dtype)
    if p.shape != t.shape:
        raise ValueError(f"{loss_name}: prediction has shape {p.shape} but target has shape "
                         f"{t.shape}; they must match")
    if p.ndim == 0:
        raise ValueError(f"{loss_name}: expected a batch (N, ...); got a scalar")
    if p.size == 0:
        raise ValueError(f"{loss_name}: prediction and target are empty (shape {p.shape}); a "
                         "loss needs at least one element (check the batch slicing)")
    check_values(t, f"{loss_name}: targets", unit_targets, infinite_ok=False)
    check_values(p, f"{loss_name}: predictions", unit_predictions,
                  infinite_ok=infinite_predictions)
    return p, t


def check_values(a: np.ndarray, what: str, unit: bool, infinite_ok: bool) -> None:
    """Raise ``ValueError`` if ``a`` holds NaN, a forbidden inf, or (``unit``) values outside
    [0, 1]. ``what`` starts the message (``"mse: targets"``)."""
    lo, hi = float(a.min()), float(a.max())
    if np.isnan(lo) or np.isnan(hi):
        raise ValueError(f"{what} contain {int(np.count_nonzero(np.isnan(a)))} NaN value(s); "
                         "a loss of NaN means nothing: find where the NaN came from (the data, "
                         "or a model that diverged)")
    if unit and (lo < 0.0 or hi > 1.0):
        got = f"got max {hi}" if hi > 1.0 else f"got min {lo}"
        if what.endswith("predictions"):
            fix = ("these look like logits: apply sigmoid first, or use "
                   "binary_cross_entropy_with_logits")
        elif 1.0 < hi <= 255.0 and lo >= 0.0:
            fix = "did you forget to divide images by 255?"
        else:
            fix = "rescale them into [0, 1] first"
        raise ValueError(f"{what} must be in [0, 1]; {got}: {fix}")
    if not infinite_ok and (np.isinf(lo) or np.isinf(hi)):
        raise ValueError(f"{what} contain inf (range [{lo}, {hi}]); they must be finite")


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


def binary_cross_entropy(prediction: np.ndarray, target: np.ndarray, reduction: str = "batch",
                         *, eps: float = BCE_EPS):
    """BCE on probabilities ``p`` in [0, 1]. ``prediction, target: (N, ...)``, both in [0, 1].

    Values outside [0, 1] raise ``ValueError`` (they are not probabilities: often logits,
    or images not divided by 255). Inside, ``p`` is clipped to ``[eps, 1 - eps]`` (Keras's
    1e-7) so ``log`` never sees 0: a prediction of exactly 0 or 1 costs at most
    ``-log(1e-7) = 16.1`` nats per element. The gradient is the formula's,
    ``(p - t) / (p (1 - p))``, evaluated at the clipped ``p``.
    Prefer ``binary_cross_entropy_with_logits``: same value, no clipping, stable gradient.
    """
    p, t = _check_pair(prediction, target, "binary_cross_entropy", unit_targets=True,
                       unit_predictions=True)
    s = _scale(p.shape, reduction)
    p = np.clip(p, eps, 1.0 - eps)
    loss = -(t * np.log(p) + (1.0 - t) * np.log1p(-p))
    return float(np.sum(loss) / s), (p - t) / (p * (1.0 - p)) / s


def bce_with_logits_elements(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The element-wise BCE of ``sigmoid(z)`` against ``t``, stable for any ``z``, ``+-inf`` too.

    ::

        l = max(z, 0) - z t + log(1 + exp(-|z|))

    (``-log sigmoid(z) = log(1 + exp(-z))`` and ``-log(1 - sigmoid(z)) = log(1 + exp(z))``,
    with ``log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|))``: no ``exp`` of a positive
    number.) At ``z = +inf`` the formula reads ``inf - inf``; its limit is
    ``(1 - t) * inf``: 0 for ``t = 1``, inf otherwise. At ``z = -inf`` the limit is
    ``t * inf``: 0 for ``t = 0``. Those limits are filled in.

    ``z, t``: arrays that broadcast (the VAE's ``(N, K, *image)`` against ``(N, 1, *image)``).
    """
    with np.errstate(invalid="ignore"):  # inf - inf at infinite logits, replaced below
        loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    infinite = np.broadcast_to(np.isinf(z), loss.shape)
    if infinite.any():
        wrong = np.broadcast_to(np.where(z > 0, 1.0 - t, t), loss.shape)[infinite]
        loss[infinite] = np.where(wrong > 0, np.inf, 0.0)
    return loss


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray,
                                     reduction: str = "batch"):
    """BCE of ``sigmoid(z)`` against ``t``, computed from the logits ``z`` (stable for any z).

    ``l = max(z, 0) - z t + log(1 + exp(-|z|))`` (``bce_with_logits_elements``),
    ``dl/dz = sigmoid(z) - t``. ``logits, target: (N, ...)``; targets in [0, 1], logits any
    float but NaN (``+-inf`` give their limits). Returns ``(value, grad)``.
    """
    z, t = _check_pair(logits, target, "binary_cross_entropy_with_logits", unit_targets=True,
                       infinite_predictions=True)
    s = _scale(z.shape, reduction)
    loss = bce_with_logits_elements(z, t)
    # EXERCISE bce_with_logits: return (float(np.sum(loss) / s), grad), grad = dL/dlogits
    return float(np.sum(loss) / s), (sigmoid(z) - t) / s
    # END EXERCISE


def binary_entropy(t: np.ndarray) -> np.ndarray:
    """``H(t) = -t ln t - (1 - t) ln(1 - t)`` element by element (``0 ln 0 = 0``), in nats.

    The lowest BCE any prediction can score against a target ``t`` (reached at ``p = t``):
    the floor under a Bernoulli reconstruction loss on grey pixels. ``t`` in [0, 1].
    """
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.where(t > 0, t * np.log(t), 0.0) + np.where(t < 1, (1 - t) * np.log1p(-t),
                                                                0.0))


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
    check_finite(log_s, "gaussian_nll log_sigma")
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
