"""Inverted dropout.

In training, each input is kept with probability ``1 - p`` and scaled by ``1 / (1 - p)`` so the
expected output equals the input; at evaluation time the layer is the identity::

    mask[i] = (u[i] >= p) / (1 - p),   u[i] ~ U(0, 1)
    y = x * mask                       dx = dy * mask

The mask is drawn once per forward pass and kept, so backward uses the same one. It can also
be passed in (``forward(x, mask=m)``), which makes a forward pass a pure function of its inputs:
that is how the gradient checker tests this layer.

Backward checks that a forward pass ran and that ``dy`` has exactly the input's shape (in
``eval()`` mode too, where it passes ``dy`` through).
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_rng, check_upstream


class Dropout(Layer):
    """Zero each input with probability ``p`` in training; identity in ``eval()`` mode.

    Parameters
    ----------
    p : float in [0, 1)
        The probability of dropping a unit.
    rng : np.random.Generator, optional
        Source of the masks; ``None`` means a fresh unseeded generator.

    Shapes: any; ``mask`` has the shape of ``x``.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout p must be a number in [0, 1); got {p!r}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p must be in [0, 1); got {p}")
        self.p = float(p)
        self.rng = check_rng(rng, "Dropout")
        self.mask = None
        self.in_shape = None  # the input's shape in the last forward pass (None: no forward yet)

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        x = as_float_array(x, "Dropout input")
        self.in_shape = x.shape
        if not self.training:
            self.mask = None
            return x
        if mask is None:
            keep = self.rng.random(x.shape) >= self.p
            mask = keep.astype(x.dtype) / (1.0 - self.p)
        elif np.shape(mask) != x.shape:
            raise ValueError(f"Dropout mask must have the input's shape {x.shape}; "
                             f"got {np.shape(mask)}")
        self.mask = mask
        return x * mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.in_shape, "Dropout")
        dy = check_upstream(dy, self.in_shape, "Dropout")
        return dy if self.mask is None else dy * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
