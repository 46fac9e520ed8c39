"""MaxPool2D and AvgPool2D: shrink each channel by summarising small windows.

Forward and backward (the arithmetic is in ``minae.kernels.pool``)
--------------------------------------------------------------------
With ``xp`` the padded input and windows ``KH x KW`` moving ``(sh, sw)`` at a time::

    max:  y[n, c, i, j] = max_{p, q} xp[n, c, i*sh + p, j*sw + q]
          dx: the window's dy goes to the *first* maximum (row-major), nothing to the rest
    avg:  y[n, c, i, j] = sum_{p, q} xp[n, c, i*sh + p, j*sw + q] / count[i, j]
          dx: every entry of the window gets dy[n, c, i, j] / count[i, j]

    OH = floor((H + pt + pb - KH) / sh) + 1     (and so OW); stride defaults to the kernel size

Padding: PyTorch's and Keras's differ, so both exist
----------------------------------------------------
* ``padding=p`` (an int or a pair) is PyTorch's: ``p`` on *both* sides, with ``p <= k / 2``.
  Max pooling pads with ``-inf``; average pooling pads with zeros that *count* in the average
  (``count_include_pad=True``, PyTorch's default).
* ``padding="same"`` is Keras's: ``OH = ceil(H / sh)``, the odd padding row at the bottom/right.
  Average pooling divides by the entries *inside* the image only (Keras excludes padding).

``count_include_pad=`` overrides the average's divisor for either kind. On
``x = arange(49).reshape(1, 1, 7, 7)`` with a 2x2 window and stride 2, both give 4x4 outputs::

    MaxPool2D(2, padding="same")(x)[0, 0, 0] = [ 8, 10, 12, 13]   # Keras: pads only bottom/right
    MaxPool2D(2, padding=1)(x)[0, 0, 0]      = [ 0,  2,  4,  6]   # PyTorch: pads all four sides

so a model ported between the two frameworks must pick the right one.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import as_pair
from minae.kernels.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    pool_output_shape,
)
from minae.layers import padding as pad
from minae.layers.base import Layer
from minae.layers.checks import (
    as_float_array,
    check_allocation,
    check_forward_done,
    check_upstream,
)


class _Pool2D(Layer):
    """What max and average pooling share: arguments, checks, padding, ``__repr__``."""

    has_kernels = True

    name = "Pool2D"

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = as_pair(kernel_size, f"{self.name} kernel_size")
        self.stride = self.kernel_size if stride is None else as_pair(stride,
                                                                       f"{self.name} stride")
        if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
                isinstance(v, (tuple, list)) for v in padding):
            raise ValueError(f"{self.name} padding must be an int, a pair (ph, pw), 'valid' or "
                             f"'same'; got {padding!r}")
        self.padding = pad.parse_padding(padding, self.name)
        if self.padding != "same":
            (kh, kw), (pt, _, pl, _) = self.kernel_size, self.padding
            if 2 * pt > kh or 2 * pl > kw:
                raise ValueError(f"{self.name} padding ({pt}, {pl}) must be at most half the "
                                 f"kernel size {self.kernel_size} (as PyTorch requires)")
        self.engine = None  # one kernel for both paths; kept for use_engine
        self.x_shape: tuple | None = None
        self.y_shape: tuple | None = None
        self.pads: tuple[int, int, int, int] | None = None

    def _check(self, shape: tuple) -> tuple[int, int, int, int]:
        if len(shape) != 4:
            raise ValueError(f"{self.name} expected input (N, C, H, W); got {tuple(shape)}")
        pads = pad.resolve_padding(self.padding, shape[2:], self.kernel_size, self.stride)
        padded = (shape[2] + pads[0] + pads[1], shape[3] + pads[2] + pads[3])
        if self.kernel_size[0] > padded[0] or self.kernel_size[1] > padded[1]:
            raise ValueError(f"{self.name} window {self.kernel_size} is larger than the padded "
                             f"input {padded} (input {tuple(shape)}); expected H + pt + pb >= "
                             f"{self.kernel_size[0]} and W + pl + pr >= {self.kernel_size[1]}")
        check_allocation((shape[0], shape[1], padded[0], padded[1]), np.float64,
                         f"{self!r} padded input")
        return pads

    def output_shape(self, input_shape: tuple) -> tuple:
        """``(N, C, OH, OW)`` for an input of shape ``(N, C, H, W)``."""
        return pool_output_shape(input_shape, self.kernel_size, self.stride,
                                 self._check(input_shape))

    def _config(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={pad.describe(self.padding)}")

    def __repr__(self) -> str:
        return f"{self.name}({self._config()})"


class MaxPool2D(_Pool2D):
    """Max pooling; the gradient of each window goes to its first maximum.

    Parameters
    ----------
    kernel_size : int or (KH, KW)
    stride : int or (sh, sw), optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int, (ph, pw), "valid" or "same"
        An int/pair pads both sides with ``-inf`` (PyTorch); ``"same"`` is Keras's. See the
        module docstring for how they differ.

    Shapes
    ------
    x: (N, C, H, W) -> y: (N, C, OH, OW)
    """

    name = "MaxPool2D"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "MaxPool2D input")
        self.pads = self._check(x.shape)
        y, self.winner = max_pool2d_forward(x, self.kernel_size, self.stride, self.pads)
        self.x_shape, self.y_shape = x.shape, y.shape  # backward needs the winners, shapes
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x_shape, "MaxPool2D")
        dy = check_upstream(dy, self.y_shape, "MaxPool2D")
        return max_pool2d_backward(dy, self.winner, self.x_shape, self.kernel_size,
                                   self.stride, self.pads)


class AvgPool2D(_Pool2D):
    """Average pooling.

    Parameters
    ----------
    kernel_size : int or (KH, KW)
    stride : int or (sh, sw), optional
        Defaults to ``kernel_size``.
    padding : int, (ph, pw), "valid" or "same"
        Zeros in every case; what differs is whether they count, see ``count_include_pad``.
    count_include_pad : bool, optional
        Divide by ``KH * KW`` (True) or by the number of window entries inside the image
        (False). Default: True for int padding (PyTorch's default), False for ``"same"``
        (Keras's behaviour).

    Shapes
    ------
    x: (N, C, H, W) -> y: (N, C, OH, OW)
    """

    name = "AvgPool2D"

    def __init__(self, kernel_size, stride=None, padding=0,
                 count_include_pad: bool | None = None) -> None:
        super().__init__(kernel_size, stride, padding)
        if count_include_pad is None:
            count_include_pad = self.padding != "same"
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "AvgPool2D input")
        self.pads = self._check(x.shape)
        y = avg_pool2d_forward(x, self.kernel_size, self.stride, self.pads,
                               self.count_include_pad)
        self.x_shape, self.y_shape = x.shape, y.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x_shape, "AvgPool2D")
        dy = check_upstream(dy, self.y_shape, "AvgPool2D")
        return avg_pool2d_backward(dy, self.x_shape, self.kernel_size, self.stride,
                                   self.pads, self.count_include_pad)

    def __repr__(self) -> str:
        return f"AvgPool2D({self._config()}, count_include_pad={self.count_include_pad})"
