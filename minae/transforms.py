"""Transforms: the corruptions a denoising autoencoder learns to undo, and the resampling
baselines a super-resolution autoencoder has to beat.

All work on float images in [0, 1], shape ``(N, C, H, W)`` (the noise functions accept any
shape, since they act pixel by pixel), and return a new array of the input's dtype; the input
is never modified. Anything random draws from an explicit ``rng: np.random.Generator``
(``rng=None`` means a fresh, unseeded generator: different every call).

Noise (``x`` clean, ``y`` corrupted, every pixel independently)
----------------------------------------------------------------
* ``gaussian_noise``: ``y = clip(x + n, 0, 1)`` with ``n ~ N(mean, std^2)``. The lesson's
  noise is ``mean=0.5, std=0.5`` (also ``std=0.3``): note the *mean* of 0.5, which brightens
  the whole image, so a denoiser must learn to take it away again. ``mean=0`` is the usual
  zero-mean Gaussian noise.
* ``salt_and_pepper``: with probability ``p`` a pixel is replaced by 0 or 1 (half each).
* ``random_mask``: with probability ``p`` a pixel is set to 0 (Vincent et al.'s "masking
  noise").

``NOISE_MODELS`` names the settings demos use; ``make_noise(name)`` returns one, optionally
with parameters changed.

Resolution
----------
* ``downsample(x, factor)``: average of each ``factor x factor`` block (what a camera with
  ``factor`` times bigger pixels would see).
* ``upsample(x, factor, mode)``: the classical baselines, ``scipy.ndimage.zoom`` with spline
  order 0 (nearest), 1 (bilinear) or 3 (bicubic), ``grid_mode=True`` and ``mode="nearest"``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from scipy import ndimage

from minae.layers.checks import allocate, check_rng


def _float_array(x, fn: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: x must be a floating-point array of images in [0, 1]; got "
                        f"dtype {x.dtype} (uint8 images: use to_float_images first)")
    return x


def _images(x, fn: str) -> np.ndarray:
    x = _float_array(x, fn)
    if x.ndim != 4:
        raise ValueError(f"{fn}: x must have shape (N, C, H, W); got {x.shape}")
    return x


def _probability(p, fn: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: p must be a probability in [0, 1]; got {p!r}")
    return float(p)


def _factor(factor, fn: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"{fn}: factor must be an int >= 1; got {factor!r}")
    return int(factor)


# ----------------------------------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------------------------------

def gaussian_noise(x: np.ndarray, mean: float = 0.5, std: float = 0.5,
                   rng: np.random.Generator | None = None, clip: bool = True) -> np.ndarray:
    """Add Gaussian noise: ``y = x + n``, ``n ~ N(mean, std^2)`` per pixel, then clip to [0, 1].

    Parameters
    ----------
    x : float array, any shape (images ``(N, C, H, W)``)
    mean, std : float
        The noise's mean and standard deviation (``std >= 0``). The lesson uses
        ``mean=0.5, std=0.5`` and ``mean=0.5, std=0.3``; zero-mean noise is ``mean=0``.
    rng : np.random.Generator or None
    clip : bool
        Clip the result to [0, 1] (the lesson does). Without clipping, ``y - x`` is exactly
        the drawn noise.

    Returns
    -------
    np.ndarray, same shape and dtype as ``x``
    """
    x = _float_array(x, "gaussian_noise")
    if not std >= 0 or not np.isfinite(std):
        raise ValueError(f"gaussian_noise: std must be >= 0 and finite; got {std!r}")
    if not np.isfinite(mean):
        raise ValueError(f"gaussian_noise: mean must be finite; got {mean!r} (the lesson "
                         "uses mean=0.5)")
    rng = check_rng(rng, "gaussian_noise")
    y = x + rng.normal(mean, std, size=x.shape)
    if clip:
        np.clip(y, 0.0, 1.0, out=y)
    return y.astype(x.dtype, copy=False)


def salt_and_pepper(x: np.ndarray, p: float, rng: np.random.Generator | None = None, *,
                    salt: float = 0.5) -> np.ndarray:
    """Replace each pixel, with probability ``p``, by 1 (salt) or 0 (pepper).

    One uniform ``u`` per pixel: ``u < p (1 - salt)`` gives pepper, ``p (1 - salt) <= u < p``
    gives salt, so a fraction ``p`` of pixels is replaced, ``salt`` of them by 1.

    Parameters
    ----------
    x : float array, any shape
    p : float in [0, 1]
        Fraction of pixels replaced.
    rng : np.random.Generator or None
    salt : float in [0, 1]
        Share of the replaced pixels set to 1 (the rest are set to 0).

    Returns
    -------
    np.ndarray, same shape and dtype as ``x``
    """
    x = _float_array(x, "salt_and_pepper")
    p = _probability(p, "salt_and_pepper")
    if not 0.0 <= salt <= 1.0:
        raise ValueError(f"salt_and_pepper: salt must be in [0, 1]; got {salt!r}")
    u = check_rng(rng, "salt_and_pepper").random(x.shape)
    y = x.copy()
    y[u < p * (1.0 - salt)] = 0.0
    y[(u >= p * (1.0 - salt)) & (u < p)] = 1.0
    return y


def random_mask(x: np.ndarray, p: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Set each pixel to 0 with probability ``p`` ("masking noise"); keep it otherwise.

    Parameters
    ----------
    x : float array, any shape
    p : float in [0, 1]
        Fraction of pixels zeroed.
    rng : np.random.Generator or None

    Returns
    -------
    np.ndarray, same shape and dtype as ``x``
    """
    x = _float_array(x, "random_mask")
    p = _probability(p, "random_mask")
    keep = check_rng(rng, "random_mask").random(x.shape) >= p
    return np.where(keep, x, 0).astype(x.dtype, copy=False)


@dataclass(frozen=True)
class NoiseModel:
    """A named noise setting: ``noise(x, rng)`` applies ``function(x, rng=rng, **params)``.

    Attributes
    ----------
    name : str
        As in ``NOISE_MODELS`` (``"lesson"``, ...).
    function : callable
        ``gaussian_noise``, ``salt_and_pepper`` or ``random_mask``.
    params : mapping
        Its keyword arguments, e.g. ``{"mean": 0.5, "std": 0.5, "clip": True}``.
    """

    name: str
    function: Callable[..., np.ndarray]
    params: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return self.function(x, rng=rng, **self.params)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}: {self.function.__name__}({args})"


def _model(name: str, function: Callable, **params) -> NoiseModel:
    return NoiseModel(name, function, MappingProxyType(params))


#: The noise settings demos ask for by name (``--noise lesson``).
NOISE_MODELS: Mapping[str, NoiseModel] = MappingProxyType({
    "lesson": _model("lesson", gaussian_noise, mean=0.5, std=0.5, clip=True),
    "lesson-0.3": _model("lesson-0.3", gaussian_noise, mean=0.5, std=0.3, clip=True),
    "gaussian": _model("gaussian", gaussian_noise, mean=0.0, std=0.3, clip=True),
    "salt-and-pepper": _model("salt-and-pepper", salt_and_pepper, p=0.2),
    "mask": _model("mask", random_mask, p=0.25),
})


def make_noise(name: str, **params) -> NoiseModel:
    """The noise model ``name`` from ``NOISE_MODELS``, with any of its ``params`` changed.

    >>> noise = make_noise("mask", p=0.5)
    >>> noisy = noise(images, np.random.default_rng(0))

    Raises
    ------
    ValueError
        Unknown ``name``; the message lists the valid names.
    TypeError
        A parameter the model's function does not take.
    """
    if name not in NOISE_MODELS:
        raise ValueError(f"unknown noise model {name!r}; valid names: "
                         + ", ".join(repr(n) for n in NOISE_MODELS))
    model = NOISE_MODELS[name]
    allowed = [k for k in inspect.signature(model.function).parameters if k not in ("x", "rng")]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(f"make_noise({name!r}): unknown parameter(s) {unknown}; "
                        f"{model.function.__name__} takes {allowed}")
    return _model(name, model.function, **{**model.params, **params})


# ----------------------------------------------------------------------------------------------
# Resolution
# ----------------------------------------------------------------------------------------------

UPSAMPLE_ORDERS: Mapping[str, int] = MappingProxyType({"nearest": 0, "bilinear": 1,
                                                       "bicubic": 3})


def downsample(x: np.ndarray, factor: int) -> np.ndarray:
    """Average-pool by ``factor x factor``: ``y[n, c, i, j] = mean(x[n, c, f i : f i + f,
    f j : f j + f])``.

    Parameters
    ----------
    x : float array, shape (N, C, H, W)
        ``H`` and ``W`` divisible by ``factor`` (MNIST's 28: factors 2 and 4, 7 and 14).
    factor : int >= 1

    Returns
    -------
    np.ndarray, shape (N, C, H / factor, W / factor), dtype of ``x``
    """
    x = _images(x, "downsample")
    f = _factor(factor, "downsample")
    n, c, h, w = x.shape
    if h % f or w % f:
        raise ValueError(f"downsample: height and width must be divisible by factor={f}; got "
                         f"H={h}, W={w} (shape {x.shape})")
    return x.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5), dtype=x.dtype)


def upsample(x: np.ndarray, factor: int, mode: str = "nearest", *,
             grid_mode: bool = True) -> np.ndarray:
    """Enlarge by ``factor`` with nearest, bilinear or bicubic interpolation (the baselines).

    Each image goes through ``scipy.ndimage.zoom(image, factor, order=ORDER, mode="nearest",
    grid_mode=True)`` with ORDER 0, 1 or 3, and the result is clipped to [0, 1] (bicubic
    overshoots at edges).

    Why ``grid_mode=True``: it treats a pixel as a *square area*, as downsampling by averaging
    does. Output pixel ``i`` of ``H f`` samples the input at ``(i + 0.5) / f - 0.5``, so the
    ``f x f`` block of a low-resolution pixel sits exactly on it and nearest upsampling is
    plain block repetition. ``grid_mode=False`` (scipy's default) instead maps the *centres* of
    the first and last pixels onto each other, ``i (H - 1) / (H f - 1)``, which stretches the
    image by up to half a low-resolution pixel and misplaces edges. Measured on MNIST's 10,000
    test images, average-pooled and upsampled back (PSNR per image, peak 1, averaged):

    ======  ========  ===============  ================
    factor  mode      grid_mode=True   grid_mode=False
    ======  ========  ===============  ================
    2       nearest   18.04 dB         18.04 dB (the rounding happens to agree at 28/14)
    2       bilinear  18.51 dB         18.03 dB
    2       bicubic   20.77 dB         19.63 dB
    4       nearest   13.97 dB         12.85 dB
    4       bilinear  14.11 dB         13.48 dB
    4       bicubic   14.73 dB         13.69 dB
    ======  ========  ===============  ================

    so ``grid_mode=False`` is about 1 dB worse (0.5 to 1.1 dB), and is offered only to show it.
    ``mode="nearest"`` repeats the edge pixel outside the image (with grid_mode=True scipy
    would otherwise warn and switch modes).

    Parameters
    ----------
    x : float array, shape (N, C, H, W), in [0, 1]
    factor : int >= 1
    mode : {"nearest", "bilinear", "bicubic"}
    grid_mode : bool
        Keep True; False is there to measure why.

    Returns
    -------
    np.ndarray of float32, shape (N, C, H factor, W factor), in [0, 1]
    """
    x = _images(x, "upsample")
    f = _factor(factor, "upsample")
    if mode not in UPSAMPLE_ORDERS:
        raise ValueError(f"upsample: mode must be one of {tuple(UPSAMPLE_ORDERS)}; got "
                         f"{mode!r}")
    n, c, h, w = x.shape
    flat = x.reshape(n * c, h, w).astype(np.float64, copy=False)
    out = allocate((n * c, h * f, w * f), np.float32, f"upsample(factor={f}): the output",
                   fill=None)
    for k in range(n * c):  # one image at a time: zoom would spline-filter across images too
        out[k] = ndimage.zoom(flat[k], f, order=UPSAMPLE_ORDERS[mode], mode="nearest",
                              grid_mode=grid_mode)
    np.clip(out, 0.0, 1.0, out=out)
    return out.reshape(n, c, h * f, w * f)
