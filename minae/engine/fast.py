"""FastEngine: the object that owns the fast roads' settings and scratch buffers."""

from __future__ import annotations

import numpy as np

from minae.kernels import choose


class FastEngine:
    """Runs the convolution passes down the fastest road for each layer."""

    def conv2d(self, x: np.ndarray, w: np.ndarray, stride, padding, dilation) -> np.ndarray:
        return choose.conv2d(x, w, stride, padding, dilation)

    def conv2d_dx(self, dy, w, x_shape, stride, padding, dilation) -> np.ndarray:
        return choose.conv2d_dx(dy, w, x_shape, stride, padding, dilation)

    def conv2d_dw(self, x, dy, kernel_size, stride, padding, dilation) -> np.ndarray:
        return choose.conv2d_dw(x, dy, kernel_size, stride, padding, dilation)

    def __deepcopy__(self, memo) -> FastEngine:
        return self  # copies of a model (SplitBatch's replicas) share their engine

    def __repr__(self) -> str:
        return "FastEngine()"
