"""Layers that only change an array's shape. Backward reshapes the gradient back.

``Flatten``: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``.
``Reshape(shape)``: ``(N, ...) -> (N, *shape)``; the number of elements per example must match.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array


class Flatten(Layer):
    """``(N, ...) -> (N, prod(...))``; backward restores the input's shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Flatten input")
        if x.ndim < 2:
            raise ValueError(f"Flatten expected input (N, ...) with at least 2 dims; got {x.shape}")
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy.reshape(self.in_shape)


class Reshape(Layer):
    """``(N, ...) -> (N, *shape)``.

    Parameters
    ----------
    shape : tuple of int
        The per-example output shape, e.g. ``(8, 4, 4)`` to turn ``(N, 128)`` into images.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        shape = tuple(int(s) for s in shape)
        if not shape or any(s <= 0 for s in shape):
            raise ValueError(f"Reshape shape must be positive sizes; got {shape}")
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Reshape input")
        per_example = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
        if x.ndim < 2 or per_example != int(np.prod(self.shape)):
            raise ValueError(
                f"Reshape{self.shape} expected input (N, ...) with {int(np.prod(self.shape))} "
                f"values per example; got {x.shape}")
        self.in_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy.reshape(self.in_shape)

    def __repr__(self) -> str:
        return f"Reshape({self.shape})"
