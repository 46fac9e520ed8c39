"""Weight initialisers. Each takes an explicit ``np.random.Generator``.

With ``fan_in`` inputs and ``fan_out`` outputs per unit (for a convolution, multiply both by
``kh * kw``):

* ``"glorot_uniform"`` (Keras's default, and minae's): ``W ~ U(-a, a)``,
  ``a = sqrt(6 / (fan_in + fan_out))``, so ``Var(W) = a^2 / 3 = 2 / (fan_in + fan_out)``;
  biases are 0.
* ``"he_normal"``: ``W ~ N(0, 2 / fan_in)`` (He et al. 2015, for ReLU networks); biases 0.
  (Keras draws from a truncated normal; minae uses the plain normal so the variance is exactly
  the formula's.)
* ``"pytorch"`` (``nn.Linear`` / ``nn.Conv2d``'s default):
  ``W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
  (that is kaiming_uniform with a = sqrt(5)) and ``b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``;
  ``Var(W) = 1 / (3 fan_in)``.

What is refused, before anything is allocated: an unknown ``name``, an ``rng`` that is not a
``np.random.Generator`` (``check_rng``), a ``dtype`` that is not a float (integer weights
would all round to 0; ``float_dtype``), and a shape that would need more than a terabyte
(``check_allocation``: ``Dense(10**6, 10**6)`` is a typo, not a model).
"""

from __future__ import annotations

import numpy as np

from minae.layers.checks import check_allocation, check_rng

INITIALIZERS = ("glorot_uniform", "he_normal", "pytorch")


def float_dtype(dtype, name: str) -> np.dtype:
    """``dtype`` as a ``np.dtype`` if it is a floating-point type, else ``TypeError``.

    Parameters are trained by small steps, so integer (or bool) parameters cannot learn: their
    initial values round to 0 and every update rounds away. ``name`` says whose ``dtype`` it
    is in the message (``"Dense dtype"``).
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a NumPy float dtype (np.float32 or np.float64); "
                        f"got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"{name} must be a floating-point dtype (np.float32 for training, "
                        f"np.float64 for gradient checks); got {dt}")
    return dt


def _check_name(name: str) -> None:
    if name not in INITIALIZERS:
        raise ValueError(f"init must be one of {INITIALIZERS}; got {name!r}")


def weights(name: str, shape: tuple, fan_in: int, fan_out: int,
            rng: np.random.Generator | None = None, dtype=np.float32, *,
            what: str = "weights") -> np.ndarray:
    """Draw a weight array of ``shape`` by the scheme ``name`` (see the module docstring).

    ``what`` names the array in error messages (``"Dense(784, 32) weights W"``).
    """
    _check_name(name)
    rng = check_rng(rng, what)
    dtype = float_dtype(dtype, f"{what} dtype")
    check_allocation(shape, dtype, what)
    try:
        if name == "glorot_uniform":
            a = np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-a, a, size=shape).astype(dtype)
        if name == "he_normal":
            return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
        a = 1.0 / np.sqrt(fan_in)  # "pytorch"
        return rng.uniform(-a, a, size=shape).astype(dtype)
    except MemoryError:
        raise MemoryError(f"not enough memory to draw {what} of shape {tuple(shape)}; "
                          "use smaller layers") from None


def bias(name: str, size: int, fan_in: int, rng: np.random.Generator | None = None,
         dtype=np.float32, *, what: str = "bias") -> np.ndarray:
    """Draw a bias vector of ``size`` entries: zeros, except PyTorch's ``U(+-1/sqrt(fan_in))``."""
    _check_name(name)
    rng = check_rng(rng, what)
    dtype = float_dtype(dtype, f"{what} dtype")
    check_allocation((size,), dtype, what)
    if name == "pytorch":
        a = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-a, a, size=size).astype(dtype)
    return np.zeros(size, dtype=dtype)


def weights_and_bias(name: str, weight_shape: tuple, fan_in: int, fan_out: int,
                     rng: np.random.Generator | None = None, dtype=np.float32, *,
                     bias_size: int | None, what: str) -> dict[str, np.ndarray]:
    """A layer's parameters: ``{"W": weights(...), "b": bias(...)}``, drawn from one ``rng``.

    ``bias_size=None`` leaves out ``"b"`` (a layer built with ``bias=False``). ``what`` is the
    layer (``"Conv2D"``); the messages name ``"{what} weights W"`` and ``"{what} bias b"``. The
    layer works out ``fan_in`` and ``fan_out`` itself: they are what differs between layers.
    """
    rng = check_rng(rng, what)
    params = {"W": weights(name, weight_shape, fan_in, fan_out, rng, dtype,
                           what=f"{what} weights W")}
    if bias_size is not None:
        params["b"] = bias(name, bias_size, fan_in, rng, dtype, what=f"{what} bias b")
    return params
