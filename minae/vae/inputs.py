"""The VAE's entry checks: images, codes, noise and labels, each refused with one clear message.

The model boundary (docs/conventions.md): dtype, shape against what the model was built for,
NaN/inf, and the likelihood's domain are checked once, where arrays enter a VAE, so the layers
inside can trust them. Every function takes the model for its name, dtype and sizes.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_finite, check_positive_int, check_rng
from minae.losses import check_values


def images(model, x, what: str = "input", *, empty_ok: bool = False) -> np.ndarray:
    """``x`` as ``(N, *model.input_shape)`` floats of the model's dtype, finite, in domain.

    ``empty_ok``: ``N = 0`` is allowed (``encode`` of no images gives ``(0, L)``); training and
    evaluation need ``N >= 1``. A Bernoulli model needs pixels in [0, 1] (the losses' rule).
    """
    name = type(model).__name__
    x = as_float_array(x, f"{name} {what}", model.dtype)
    shape = model.input_shape
    expected = "(N, ...)" if shape is None else "(N, " + ", ".join(map(str, shape)) + ")"
    if x.ndim < 2 or (shape is not None and x.shape[1:] != shape):
        fix = ("" if shape is None or x.ndim < 2 else
               f". Resize the images, or build the model with input_shape={x.shape[1:]}")
        raise ValueError(f"{name} expected {what} {expected}, the shape this model was built "
                         f"for; got {x.shape}{fix}")
    if x.shape[0] == 0:
        if empty_ok:
            return x
        raise ValueError(f"{name} expected {what} {expected} with N >= 1; got {x.shape}")
    check_finite(x, f"{name} {what}")
    if model.likelihood == "bernoulli":
        check_values(x, f"{name} {what} (the Bernoulli likelihood's targets): pixels", unit=True,
                     infinite_ok=False)
    return x


def codes(model, z, what: str = "z", *, empty_ok: bool = True) -> np.ndarray:
    """``z`` as ``(N, L)`` finite floats of the model's dtype (``L = model.latent_dim``)."""
    name = type(model).__name__
    z = as_float_array(z, f"{name} {what}", model.dtype)
    if z.ndim != 2 or z.shape[1] != model.latent_dim or (z.shape[0] == 0 and not empty_ok):
        raise ValueError(f"{name} expected {what} (N, {model.latent_dim}); got {z.shape}")
    check_finite(z, f"{name} {what}")
    return z


def noise(model, eps, rng, shape: tuple[int, int]) -> np.ndarray:
    """The ``eps ~ N(0, I)`` of one forward pass: ``eps`` checked if given, else drawn.

    Drawn from ``rng``, or the model's own generator when ``rng`` is None.
    """
    if eps is not None:
        eps = codes(model, eps, "eps")
        if eps.shape != shape:
            raise ValueError(f"{type(model).__name__} expected eps {shape} (one per image and "
                             f"latent dim); got {eps.shape}")
        return eps
    rng = model.rng if rng is None else check_rng(rng, type(model).__name__)
    return rng.standard_normal(shape).astype(model.dtype)


def one_hot(model, labels, n: int | None = None) -> np.ndarray:
    """``labels (N,)`` ints in ``[0, C)`` -> ``(N, C)`` one-hot rows in the model's dtype.

    ``n``: the number of images the labels go with, when known.
    """
    name, c = type(model).__name__, model.num_classes
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} labels must be integers (class indices); got dtype "
                        f"{labels.dtype}, shape {labels.shape}. Pass eps, rng, k and the other "
                        "options by keyword")
    if labels.ndim != 1 or (n is not None and labels.shape[0] != n):
        hint = (": the labels go right after the images; pass k, eps and rng by keyword"
                if labels.ndim == 0 else "")
        raise ValueError(f"{name} expected labels ({'N' if n is None else n},), one class per "
                         f"image; got shape {labels.shape}{hint}")
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"{name} labels must be in [0, {c}); got range "
                         f"[{labels.min()}, {labels.max()}]")
    y = np.zeros((labels.shape[0], c), dtype=model.dtype)
    y[np.arange(labels.shape[0]), labels] = 1.0
    return y


def join(a: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """``[flatten(a), y]``: the conditional VAE's input to its encoder (``a = x``) and decoder
    (``a = z``). ``a: (N, ...)``, ``y: (N, C)`` -> ``(N, prod(...) + C)``; ``y=None``: ``a``."""
    return a if y is None else np.concatenate([a.reshape(a.shape[0], -1), y], axis=1)


# --- the constructor's checks --------------------------------------------------------------------

def check_parts(name: str, encoder, z_mean, z_log_sigma, decoder) -> None:
    """Four layers, two ``Dense``-like heads of the same width."""
    for part_name, part in [("encoder", encoder), ("z_mean", z_mean),
                            ("z_log_sigma", z_log_sigma), ("decoder", decoder)]:
        if not isinstance(part, Layer):
            raise TypeError(f"{name} {part_name} must be a Layer; got {type(part).__name__}")
    for head_name, head in [("z_mean", z_mean), ("z_log_sigma", z_log_sigma)]:
        if not hasattr(head, "out_features"):
            raise TypeError(f"{name} {head_name} must be a Dense head (with out_features); "
                            f"got {type(head).__name__}")
    if z_mean.out_features != z_log_sigma.out_features:
        raise ValueError(f"{name}: z_mean gives {z_mean.out_features} latent dims but "
                         f"z_log_sigma gives {z_log_sigma.out_features}; they must match")


def check_number(value, name: str, *, minimum: float, strict: bool) -> float:
    """``value`` as a finite float ``> minimum`` (``strict``) or ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < minimum or (strict and value == minimum):
        rel = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {rel} {minimum:g}; got {value}")
    return value


def image_shape(shape, name: str) -> tuple[int, ...]:
    """One image's shape as a tuple of positive ints (``(1, 28, 28)``); 2.7 is refused."""
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{name} must be a tuple of positive integers such as (1, 28, 28); "
                        f"got {shape!r}")
    return tuple(check_positive_int(s, f"{name}[{i}]") for i, s in enumerate(shape))
