"""Exercise upsample2d: upsampling's backward pass, nearest and bilinear.

Write the end of Upsample2D.backward: return dx for mode "nearest" and for mode "bilinear".
Forward is in this file; for bilinear it kept the interpolation matrices self.A_h and
self.A_w.

The math to derive
------------------
Nearest: y[n, c, i, j] = x[n, c, i // sh, j // sw]: every input pixel is copied into an sh x
sw block. dx[n, c, a, b] = ?

Bilinear (for each image and channel): y = A_h @ x @ A_w.T, with A_h (H*sh, H) and A_w
(W*sw, W) from bilinear_matrix. The map x -> y is linear, so dx = ?

Shapes
------
x, dx: (N, C, H, W); y, dy: (N, C, H*sh, W*sw); A_h: (H*sh, H); A_w: (W*sw, W).

How it is checked
-----------------
Float64, 4 cases: nearest and bilinear, square and non-square scale factors, random x and
upstream gradient dy. y is compared with minae's forward, dx with the central-difference
gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check upsample2d     # after filling in the TODOs
    python -m minae.exercises hint upsample2d      # a nudge; run again for more

Generated from minae/layers/upsample.py (Upsample2D.backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package.
"""

# ruff: noqa: B007, F401, F841  (until the TODOs are filled in, some names are unused)

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import as_pair
from minae.layers.base import Layer
from minae.layers.checks import as_float_array
from minae.layers.upsample import MODES, bilinear_matrix


class Upsample2D(Layer):
    def __init__(self, scale_factor=2, mode: str = "nearest") -> None:
        super().__init__()
        self.scale_factor = as_pair(scale_factor, "Upsample2D scale_factor")
        if mode not in MODES:
            raise ValueError(f"Upsample2D mode must be one of {MODES}; got {mode!r}")
        self.mode = mode
        self.x_shape: tuple | None = None

    def output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 4:
            raise ValueError(f"Upsample2D expected input (N, C, H, W); got {tuple(input_shape)}")
        N, C, H, W = input_shape
        return (N, C, H * self.scale_factor[0], W * self.scale_factor[1])

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Upsample2D input")
        N, C, OH, OW = self.output_shape(x.shape)
        self.x_shape = x.shape
        sh, sw = self.scale_factor
        H, W = x.shape[2:]
        if self.mode == "nearest":
            # pixel (a, b) of every block at once is y[:, :, a::sh, b::sw]; each is a copy of x
            y = np.empty((N, C, OH, OW), dtype=x.dtype)
            for a in range(sh):
                for b in range(sw):
                    y[:, :, a::sh, b::sw] = x
            return y
        self.A_h = bilinear_matrix(H, sh).astype(x.dtype)
        self.A_w = bilinear_matrix(W, sw).astype(x.dtype)
        return self.A_h @ (x @ self.A_w.T)  # (OH, H) @ (N, C, H, OW)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise RuntimeError("Upsample2D.backward called before forward")
        dy = np.asarray(dy)
        N, C, H, W = self.x_shape
        sh, sw = self.scale_factor
        # TODO (upsample2d): the input gradient dx, for mode "nearest" and for mode "bilinear"
        raise NotImplementedError("exercise upsample2d not started")

    def __repr__(self) -> str:
        return f"Upsample2D(scale_factor={self.scale_factor}, mode={self.mode!r})"
