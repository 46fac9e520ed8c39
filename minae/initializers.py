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
"""

from __future__ import annotations

import numpy as np

INITIALIZERS = ("glorot_uniform", "he_normal", "pytorch")


def weights(name: str, shape: tuple, fan_in: int, fan_out: int,
            rng: np.random.Generator | None = None, dtype=np.float32) -> np.ndarray:
    """Draw a weight array of ``shape`` by the scheme ``name`` (see the module docstring)."""
    rng = np.random.default_rng() if rng is None else rng
    if name == "glorot_uniform":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=shape).astype(dtype)
    if name == "he_normal":
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
    if name == "pytorch":
        a = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-a, a, size=shape).astype(dtype)
    raise ValueError(f"init must be one of {INITIALIZERS}; got {name!r}")


def bias(name: str, size: int, fan_in: int, rng: np.random.Generator | None = None,
         dtype=np.float32) -> np.ndarray:
    """Draw a bias vector of ``size`` entries: zeros, except PyTorch's ``U(+-1/sqrt(fan_in))``."""
    if name not in INITIALIZERS:
        raise ValueError(f"init must be one of {INITIALIZERS}; got {name!r}")
    if name == "pytorch":
        rng = np.random.default_rng() if rng is None else rng
        a = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-a, a, size=size).astype(dtype)
    return np.zeros(size, dtype=dtype)
