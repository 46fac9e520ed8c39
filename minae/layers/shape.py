"""Layers that only change an array's shape. Backward reshapes the gradient back.

``Flatten``: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``.
``Reshape(shape)``: ``(N, ...) -> (N, *shape)``; the number of elements per example must match.

Backward checks that a forward pass ran and that ``dy`` has exactly the output's shape (a
``dy`` with the right number of elements but another shape is a bug upstream, not a reshape).
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class Flatten(Layer):
    """``(N, ...) -> (N, prod(...))``; backward restores the input's shape."""

    def __init__(self) -> None:
        super().__init__()
        self.in_shape = None  # the input's shape in the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Flatten input")
        if x.ndim < 2:
            raise ValueError(f"Flatten expected input (N, ...) with at least 2 dims; got {x.shape}")
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.in_shape, "Flatten")
        out_shape = (self.in_shape[0], int(np.prod(self.in_shape[1:])))
        return check_upstream(dy, out_shape, "Flatten").reshape(self.in_shape)


class Reshape(Layer):
    """``(N, ...) -> (N, *shape)``.

    Parameters
    ----------
    shape : tuple of int
        The per-example output shape, e.g. ``(8, 4, 4)`` to turn ``(N, 128)`` into images.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        shape = tuple(shape)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shape):
            raise TypeError(f"Reshape shape must be a tuple of positive integers; got {shape!r}")
        if not shape or any(s <= 0 for s in shape):
            raise ValueError(f"Reshape shape must be positive sizes; got {shape}")
        self.shape = tuple(int(s) for s in shape)
        self.in_shape = None  # the input's shape in the last forward pass

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
        check_forward_done(self.in_shape, "Reshape")
        out_shape = (self.in_shape[0],) + self.shape
        return check_upstream(dy, out_shape, "Reshape").reshape(self.in_shape)

    def __repr__(self) -> str:
        return f"Reshape({self.shape})"
