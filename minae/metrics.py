"""The numbers demos and benchmarks report about images in [0, 1].

All functions take ``prediction, target`` of the same shape ``(N, ...)`` (a batch of images)
and return a Python float.

* ``psnr``: peak signal-to-noise ratio in dB, ``10 log10(peak^2 / MSE)``, computed **per
  image** and then averaged over images (DESIGN.md). Averaging per-image PSNRs is what image
  papers report; it is *not* the PSNR of the pooled MSE (which is dominated by the worst images).
  Higher is better; +10 dB means the squared error is 10 times smaller.
* ``mse_per_pixel``: mean squared error over every pixel of every image.
* ``bce_per_pixel``: binary cross-entropy per pixel, the number Keras prints as the loss
  ("0.095"). Give probabilities, or logits with ``logits=True`` (stable, no clipping).
* ``bce_floor_per_pixel``: the smallest BCE any model could reach on these targets, the mean
  binary entropy ``-(t log t + (1 - t) log(1 - t))`` of the target pixels. On grey images it
  is well above 0 (a pixel of 0.5 costs log 2 = 0.693 nats even when predicted exactly), so
  report a BCE beside its floor.
"""

from __future__ import annotations

import numpy as np

from minae.layers.checks import as_float_array

PSNR_MAX_DB = 100.0  # a perfect image would be +inf dB; it counts as this so means stay finite


def _pair(prediction, target, name: str) -> tuple[np.ndarray, np.ndarray]:
    p = as_float_array(prediction, f"{name} prediction", np.float64)
    t = as_float_array(target, f"{name} target", np.float64)
    if p.shape != t.shape:
        raise ValueError(f"{name}: prediction has shape {p.shape} but target has shape "
                         f"{t.shape}; they must match")
    if p.ndim == 0 or p.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty batch (N, ...); got shape {p.shape}")
    return p, t


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
    """Binary cross-entropy per pixel, in nats.

    With ``logits=False``, ``prediction`` holds probabilities, clipped to ``[eps, 1 - eps]``
    (Keras's 1e-7) before the log. With ``logits=True`` it holds logits ``z`` and the stable
    form ``max(z, 0) - z t + log(1 + exp(-|z|))`` is used.
    """
    p, t = _pair(prediction, target, "bce_per_pixel")
    if logits:
        loss = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        p = np.clip(p, eps, 1.0 - eps)
        loss = -(t * np.log(p) + (1.0 - t) * np.log1p(-p))
    return float(np.mean(loss))


def bce_floor_per_pixel(target: np.ndarray) -> float:
    """The lowest BCE per pixel possible on ``target``: its mean binary entropy (0 log 0 = 0)."""
    t = as_float_array(target, "bce_floor_per_pixel target", np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(t > 0, t * np.log(t), 0.0) + np.where(t < 1, (1 - t) * np.log1p(-t), 0.0))
    return float(np.mean(h))
