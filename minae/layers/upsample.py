"""Upsample2D: enlarge each channel by an integer factor, nearest or bilinear.

::

    nearest:   y[n, c, i, j] = x[n, c, i // sh, j // sw];  dx = dy summed over each sh x sw block
    bilinear:  y = A_h @ x @ A_w.T;                        dx = A_h.T @ dy @ A_w

(``align_corners=False``, PyTorch's default and Keras's behaviour). The kernels, and the
derivation of both passes, are in ``minae.kernels.upsample``; this layer checks its arguments
and calls them.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import as_pair
from minae.kernels.upsample import bilinear_matrix, upsample2d_backward, upsample2d_forward
from minae.layers.base import Layer
from minae.layers.checks import (
    as_float_array,
    check_allocation,
    check_forward_done,
    check_upstream,
)

__all__ = ["MODES", "Upsample2D", "bilinear_matrix"]

MODES = ("nearest", "bilinear")


class Upsample2D(Layer):
    """Upsample by an integer ``scale_factor``: ``(N, C, H, W) -> (N, C, H*sh, W*sw)``.

    Parameters
    ----------
    scale_factor : int or (sh, sw)
    mode : "nearest" or "bilinear"
        Bilinear uses ``align_corners=False`` (PyTorch's default, Keras's behaviour).
    """

    has_kernels = True

    def __init__(self, scale_factor=2, mode: str = "nearest") -> None:
        super().__init__()
        self.scale_factor = as_pair(scale_factor, "Upsample2D scale_factor")
        if mode not in MODES:
            raise ValueError(f"Upsample2D mode must be one of {MODES}; got {mode!r}")
        self.mode = mode
        self.engine = None  # one kernel for both paths; kept for use_engine
        self.x_shape: tuple | None = None
        self.y_shape: tuple | None = None

    def output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 4:
            raise ValueError(f"Upsample2D expected input (N, C, H, W); got {tuple(input_shape)}")
        N, C, H, W = input_shape
        return (N, C, H * self.scale_factor[0], W * self.scale_factor[1])

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Upsample2D input")
        y_shape = self.output_shape(x.shape)
        check_allocation(y_shape, x.dtype, f"{self!r} output")
        self.x_shape, self.y_shape = x.shape, y_shape
        return upsample2d_forward(x, self.scale_factor, self.mode)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x_shape, "Upsample2D")
        dy = check_upstream(dy, self.y_shape, "Upsample2D")
        return upsample2d_backward(dy, self.x_shape, self.scale_factor, self.mode)

    def __repr__(self) -> str:
        return f"Upsample2D(scale_factor={self.scale_factor}, mode={self.mode!r})"
