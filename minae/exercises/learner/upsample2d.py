"""Exercise upsample2d: upsampling's backward pass, nearest and bilinear.

Write upsample2d_backward: return dx for mode "nearest" and for mode "bilinear".
upsample2d_forward is in this file; bilinear builds the interpolation matrices A_h and A_w
with bilinear_matrix. Upsample2D (minae/layers/upsample.py) calls these two.

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
7 cases: nearest and bilinear, square and non-square scale factors ((2, 3), (3, 2), (2, 1)),
batches of 1 and several, one of each mode in float32 (compared with minae's float64 answer
at a float32 tolerance, dtype checked), and a 14x14 image like the lesson's decoder
(compared with minae's backward). y is compared with minae's forward, dx with the
central-difference gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check upsample2d     # after filling in the TODOs
    python -m minae.exercises hint upsample2d      # a nudge; run again for more

Generated from minae/kernels/upsample.py (upsample2d_backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/kernels/upsample.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np


def bilinear_matrix(size: int, scale: int) -> np.ndarray:
    """``A: (size * scale, size)``, the 1-D bilinear interpolation (``align_corners=False``).

    Row ``i`` has ``1 - t`` in column ``i0`` and ``t`` in column ``i1`` (added, so at the
    border where ``i0 == i1`` the row sums to 1 in one place).
    """
    i = np.arange(size * scale)
    src = np.maximum((i + 0.5) / scale - 0.5, 0.0)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, size - 1)
    t = src - i0
    A = np.zeros((size * scale, size))
    A[i, i0] = 1.0 - t
    A[i, i1] += t
    return A


def upsample2d_forward(x: np.ndarray, scale_factor: tuple[int, int], mode: str) -> np.ndarray:
    """``y = upsample(x)``: ``x: (N, C, H, W) -> y: (N, C, H*sh, W*sw)`` (see above)."""
    (N, C, H, W), (sh, sw) = x.shape, scale_factor
    if mode == "nearest":
        # pixel (a, b) of every block at once is y[:, :, a::sh, b::sw]; each is a copy of x
        y = np.empty((N, C, H * sh, W * sw), dtype=x.dtype)
        for a in range(sh):
            for b in range(sw):
                y[:, :, a::sh, b::sw] = x
        return y
    A_h, A_w = bilinear_matrix(H, sh).astype(x.dtype), bilinear_matrix(W, sw).astype(x.dtype)
    return A_h @ (x @ A_w.T)  # (OH, H) @ (N, C, H, OW)


def upsample2d_backward(dy: np.ndarray, x_shape: tuple, scale_factor: tuple[int, int],
                        mode: str) -> np.ndarray:
    (N, C, H, W), (sh, sw) = x_shape, scale_factor
    # TODO (upsample2d): the input gradient dx, for mode "nearest" and for mode "bilinear"
    raise NotImplementedError("exercise upsample2d not started")
