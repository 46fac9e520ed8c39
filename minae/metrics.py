"""The numbers demos and benchmarks report about images in [0, 1].

All functions take ``prediction, target`` of the same shape ``(N, ...)`` (a batch of images)
and return a Python float.

* ``psnr``: peak signal-to-noise ratio in dB, ``10 log10(peak^2 / MSE)``, computed **per
  image** and then averaged over images (docs/conventions.md). Averaging per-image PSNRs is what
  image papers report; it is *not* the PSNR of the pooled MSE (which is dominated by the worst
  images). Higher is better; +10 dB means the squared error is 10 times smaller.
* ``mse_per_pixel``: mean squared error over every pixel of every image.
* ``bce_per_pixel``: binary cross-entropy per pixel, the number Keras prints as the loss
  ("0.095"). Give probabilities, or logits with ``logits=True`` (stable, no clipping).
* ``bce_floor_per_pixel``: the smallest BCE any model could reach on these targets, the mean
  binary entropy ``-(t log t + (1 - t) log(1 - t))`` of the target pixels. On grey images it
  is well above 0 (a pixel of 0.5 costs log 2 = 0.693 nats even when predicted exactly), so
  report a BCE beside its floor.

The formulas are the losses' (``minae/losses.py``), called, not rewritten; so are the input
rules: same shapes, no NaN, targets of a BCE in [0, 1].
"""

from __future__ import annotations

import numpy as np

from minae.layers.checks import as_float_array
from minae.losses import (
    _check_pair,
    bce_with_logits_elements,
    binary_cross_entropy,
    binary_entropy,
    check_values,
)

PSNR_MAX_DB = 100.0  # a perfect image would be +inf dB; it counts as this so means stay finite


def _pair(prediction, target, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The losses' boundary rule (same shape, non-empty, finite), then float64."""
    p, t = _check_pair(prediction, target, name)
    return p.astype(np.float64), t.astype(np.float64)


def psnr_per_image(prediction: np.ndarray, target: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """PSNR of each image, ``(N,)`` in dB: ``10 log10(peak^2 / mean((p - t)^2))``.

    An image with zero error gets ``PSNR_MAX_DB`` (100 dB) rather than infinity.
    """
    p, t = _pair(prediction, target, "psnr")
    if not peak > 0:
        raise ValueError(f"psnr peak must be positive; got {peak!r}")
    mse = np.mean((p - t).reshape(len(p), -1) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(peak * peak / mse)
    return np.minimum(db, PSNR_MAX_DB)


def psnr(prediction: np.ndarray, target: np.ndarray, peak: float = 1.0) -> float:
    """Mean over images of each image's PSNR in dB (peak 1.0 for images in [0, 1])."""
    return float(np.mean(psnr_per_image(prediction, target, peak)))


def mse_per_pixel(prediction: np.ndarray, target: np.ndarray) -> float:
    """``mean((p - t)^2)`` over all pixels of all images."""
    p, t = _pair(prediction, target, "mse_per_pixel")
    return float(np.mean((p - t) ** 2))


def bce_per_pixel(prediction: np.ndarray, target: np.ndarray, *, logits: bool = False,
                  eps: float = 1e-7) -> float:
    """Binary cross-entropy per pixel, in nats (the losses' BCE with reduction "mean").

    With ``logits=False``, ``prediction`` holds probabilities in [0, 1], clipped to
    ``[eps, 1 - eps]`` (Keras's 1e-7) before the log (``losses.binary_cross_entropy``). With
    ``logits=True`` it holds logits ``z`` and the stable form
    ``max(z, 0) - z t + log(1 + exp(-|z|))`` is used (``losses.bce_with_logits_elements``).
    """
    if not logits:
        p, t = _pair(prediction, target, "bce_per_pixel")
        return binary_cross_entropy(p, t, "mean", eps=eps)[0]
    z, t = _check_pair(prediction, target, "bce_per_pixel", unit_targets=True,
                       infinite_predictions=True)
    return float(np.mean(bce_with_logits_elements(z.astype(np.float64), t.astype(np.float64))))


def bce_floor_per_pixel(target: np.ndarray) -> float:
    """The lowest BCE per pixel possible on ``target``: its mean binary entropy (0 log 0 = 0)."""
    t = as_float_array(target, "bce_floor_per_pixel target", np.float64)
    if t.size == 0:
        raise ValueError(f"bce_floor_per_pixel: target is empty (shape {t.shape})")
    check_values(t, "bce_floor_per_pixel: targets", unit=True, infinite_ok=False)
    return float(np.mean(binary_entropy(t)))
