"""Input validators for layers, losses and models: one rule each, one message each.

The Layer contract (``minae/layers/base.py``) says what a layer promises; this file holds the
checks that make a wrong input fail at once with a message that names the argument, what was
given and what was expected, instead of a traceback from deep inside NumPy.

Which check runs where
----------------------
* dtype (``as_float_array``) and shapes (``check_upstream``): in every layer, because they are
  a comparison of a few integers and a wrong shape that broadcasts gives a silently wrong result.
* finiteness (``check_finite``): at the boundaries only (model entry, ``fit``, loaders), because
  it reads every number.
"""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, dtype=None) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, or raise ``TypeError``.

    Parameters
    ----------
    x : array-like
        The input of a layer, loss or model.
    name : str
        What to call ``x`` in an error message (``"Dense input"``).
    dtype : numpy dtype or None
        Cast floats to this dtype; ``None`` keeps the input's float dtype.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating-point array; got dtype {x.dtype}. "
            "Convert it first, e.g. images.astype(np.float32) / 255."
        )
    if dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    return x


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or inf (used at model and loader boundaries)."""
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(
            f"{name} contains {bad} NaN or inf value(s); clean or rescale the data first "
            "(np.nan_to_num, or check how it was loaded)."
        )


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def check_upstream(dy, expected_shape: tuple, name: str, dtype=None) -> np.ndarray:
    """Return the upstream gradient ``dy`` as a float array of exactly ``expected_shape``.

    Every ``backward(dy)`` calls this before it touches ``grads``, so a ``dy`` of the wrong shape
    (even one that would broadcast, like ``(1, 3)`` for an output ``(2, 3)``) raises and leaves
    the layer's gradients as they were.

    Parameters
    ----------
    dy : array-like
        dL/dy, the gradient of the loss with respect to the layer's output.
    expected_shape : tuple
        The shape of the output of the last forward pass.
    name : str
        The layer's name for the message (``"Dense"``).
    dtype : numpy dtype or None
        Cast ``dy`` to this dtype (the layer's).
    """
    dy = as_float_array(dy, f"{name}.backward dy", dtype)
    if dy.shape != tuple(expected_shape):
        raise ValueError(
            f"{name}.backward got dy of shape {dy.shape}; expected {tuple(expected_shape)}, "
            "the shape of the output of the last forward pass"
        )
    return dy


def check_forward_done(saved, name: str) -> None:
    """Raise ``RuntimeError`` if ``backward`` runs before any ``forward`` (``saved`` is None)."""
    if saved is None:
        raise RuntimeError(f"{name}.backward called before forward: run forward(x) first, "
                           "then backward(dy) with dy shaped like its output")


def check_rng(rng, name: str) -> np.random.Generator:
    """Return ``rng`` if it is a ``np.random.Generator``, a fresh unseeded one for ``None``.

    An int (``rng=5``) is refused rather than taken as a seed, so that one seeded generator is
    passed down a whole model and two layers never draw the same numbers by accident.
    """
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} rng must be a np.random.Generator or None; got "
                        f"{type(rng).__name__} {rng!r}. Pass rng=np.random.default_rng({rng!r})"
                        if isinstance(rng, (int, np.integer)) else
                        f"{name} rng must be a np.random.Generator or None; got "
                        f"{type(rng).__name__}. Make one with np.random.default_rng(seed)")
    return rng


ABSURD_BYTES = 2 ** 40  # 1 TiB: more than any machine minae runs on, so surely a mistake


def format_bytes(nbytes: float) -> str:
    """``nbytes`` in the largest binary unit that keeps it >= 1 (``"3.7 TiB"``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    raise AssertionError("unreachable")


def check_allocation(shape: tuple, dtype, what: str) -> None:
    """Refuse an array of ``shape`` and ``dtype`` that would need more than ``ABSURD_BYTES``.

    Raises ``ValueError`` naming ``what`` and the size, instead of a bare ``MemoryError`` (or
    a machine that swaps for an hour) when a size argument is off by a few orders of magnitude.
    """
    nbytes = float(np.prod([float(s) for s in shape])) * np.dtype(dtype).itemsize
    if nbytes > ABSURD_BYTES:
        raise ValueError(f"{what} of shape {tuple(shape)} ({np.dtype(dtype)}) would need "
                         f"{format_bytes(nbytes)}, far more than any machine has; check the "
                         "size arguments")


def allocate(shape: tuple, dtype, what: str, fill: float | None = 0.0) -> np.ndarray:
    """``np.zeros`` (or ``np.empty`` with ``fill=None``) that fails with a message naming ``what``.

    An absurd request raises ``ValueError`` (``check_allocation``); a genuine ``MemoryError``
    is raised again with the size and ``what`` in its message.
    """
    check_allocation(shape, dtype, what)
    try:
        return np.zeros(shape, dtype) if fill == 0.0 else (
            np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype))
    except MemoryError:
        nbytes = float(np.prod([float(s) for s in shape])) * np.dtype(dtype).itemsize
        raise MemoryError(f"not enough memory for {what} of shape {tuple(shape)} "
                          f"({format_bytes(nbytes)}); use a smaller batch or size") from None


def zero_grads(params: dict[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    """``grads`` before the first backward pass: one zero array per parameter, same key, shape
    and dtype (``what`` names the layer in the allocation's message)."""
    return {k: allocate(v.shape, v.dtype, f"{what} gradient d{k}") for k, v in params.items()}
