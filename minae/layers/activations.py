"""Element-wise activations. Each backward is ``dx = dy * f'(x)``, element by element.

The trick in every backward below is to write ``f'`` in terms of what forward already
computed, so nothing is recomputed:

==============  ===============================  ===========================================
layer           forward ``y = f(x)``             backward ``dx = dy * f'(x)``
==============  ===============================  ===========================================
ReLU            ``max(x, 0)``                    ``dy * (x > 0)``  (the *input's* sign)
LeakyReLU(a)    ``x if x > 0 else a x``          ``dy * (1 if x > 0 else a)``
Sigmoid         ``1 / (1 + exp(-x))``            ``dy * y * (1 - y)``
Tanh            ``tanh(x)``                      ``dy * (1 - y**2)``
Softplus        ``log(1 + exp(x))``              ``dy * sigmoid(x)``
==============  ===============================  ===========================================

At ``x = 0`` ReLU has no derivative; minae (like every framework) uses 0 there. Gradient
checks keep inputs away from 0 for that reason.

These layers have no parameters and keep the input's float dtype. Each backward first checks
that a forward pass ran (``check_forward_done``) and that ``dy`` has exactly the output's shape
(``check_upstream``: a ``dy`` of ``(1, 3)`` for an output ``(2, 3)`` would broadcast into a
silently wrong gradient, so it raises instead).
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``.

    For ``x >= 0`` use ``1 / (1 + exp(-x))``; for ``x < 0`` the equal form
    ``exp(x) / (1 + exp(x))``; each only ever exponentiates a non-positive number.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, stable for any ``x``."""
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class ReLU(Layer):
    """``y = max(x, 0)``; ``dx = dy * (x > 0)``. Shapes: any, ``y`` like ``x``."""

    def __init__(self) -> None:
        super().__init__()
        self.mask = None  # (x > 0) of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "ReLU input")
        # EXERCISE relu: return y = max(x, 0), keeping on self what backward will need
        self.mask = x > 0  # where the input (not the output) is positive
        return x * self.mask
        # END EXERCISE

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.mask, "ReLU")
        dy = check_upstream(dy, self.mask.shape, "ReLU")
        # EXERCISE relu: return dx = dL/dx from dy and what forward kept
        return dy * self.mask
        # END EXERCISE


class LeakyReLU(Layer):
    """``y = x`` where ``x > 0``, else ``negative_slope * x``. Shapes: any."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(
                negative_slope, (int, float, np.integer, np.floating)):
            raise TypeError(f"LeakyReLU negative_slope must be a number >= 0 (e.g. 0.01); got "
                            f"{negative_slope!r}")
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(f"LeakyReLU negative_slope must be >= 0; got {negative_slope}")
        self.negative_slope = float(negative_slope)
        self.slope = None  # f'(x) of the last forward pass: 1 or negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "LeakyReLU input")
        # EXERCISE leaky_relu: return y, keeping on self the slope f'(x) that backward will need
        self.slope = np.where(x > 0, 1.0, self.negative_slope).astype(x.dtype)
        return x * self.slope
        # END EXERCISE

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.slope, "LeakyReLU")
        # EXERCISE leaky_relu: return dx = dL/dx (check dy with check_upstream, as ReLU does)
        return check_upstream(dy, self.slope.shape, "LeakyReLU") * self.slope
        # END EXERCISE

    def __repr__(self) -> str:
        return f"LeakyReLU({self.negative_slope})"


class Sigmoid(Layer):
    """``y = 1 / (1 + exp(-x))``; ``dx = dy * y * (1 - y)``. Shapes: any."""

    def __init__(self) -> None:
        super().__init__()
        self.y = None  # the output of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(as_float_array(x, "Sigmoid input"))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.y, "Sigmoid")
        dy = check_upstream(dy, self.y.shape, "Sigmoid")
        # EXERCISE sigmoid: return dx = dL/dx from dy and what forward kept (self.y)
        return dy * self.y * (1.0 - self.y)
        # END EXERCISE


class Tanh(Layer):
    """``y = tanh(x)``; ``dx = dy * (1 - y**2)``. Shapes: any."""

    def __init__(self) -> None:
        super().__init__()
        self.y = None  # the output of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(as_float_array(x, "Tanh input"))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.y, "Tanh")
        # EXERCISE tanh: return dx = dL/dx from dy and what forward kept (self.y)
        return check_upstream(dy, self.y.shape, "Tanh") * (1.0 - self.y**2)
        # END EXERCISE


class Softplus(Layer):
    """``y = log(1 + exp(x))``; ``dx = dy * sigmoid(x)``. Shapes: any."""

    def __init__(self) -> None:
        super().__init__()
        self.x = None  # the input of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = as_float_array(x, "Softplus input")
        return softplus(self.x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x, "Softplus")
        # EXERCISE softplus: return dx = dL/dx from dy and what forward kept (self.x)
        return check_upstream(dy, self.x.shape, "Softplus") * sigmoid(self.x)
        # END EXERCISE
