"""Upsampling by an integer factor, nearest or bilinear: the forward and backward kernels.

Nearest (Keras's ``UpSampling2D()``, PyTorch's ``Upsample(mode="nearest")``)
-------------------------------------------------------------------------
Every input pixel becomes an ``sh x sw`` block::

    y[n, c, i, j] = x[n, c, i // sh, j // sw]
    dx[n, c, u, v] = sum of dy over the block  dy[n, c, u*sh : (u+1)*sh, v*sw : (v+1)*sw]

Both run as a loop over the ``sh * sw`` pixels ``(a, b)`` of a block: pixel ``(a, b)`` of every
block at once is the strided slice ``dy[:, :, a::sh, b::sw]`` (forward copies ``x`` into it,
backward adds it up). That is 4 whole-array operations for a factor 2, and measured 20 times
faster than ``dy.reshape(N, C, H, sh, W, sw).sum(axis=(3, 5))``, the same sum in one line.

Bilinear, ``align_corners=False`` (PyTorch's default; Keras's ``interpolation="bilinear"``)
----------------------------------------------------------------------------------------
Each axis is interpolated separately. Output row ``i`` sits at input coordinate
``src = max((i + 0.5) / s - 0.5, 0)`` (pixel *centres* line up) and blends rows
``i0 = floor(src)`` and ``i1 = min(i0 + 1, H - 1)`` with weights ``1 - t`` and ``t``,
``t = src - i0``. Written as a matrix ``A_h: (H*sh, H)`` with those two weights in row ``i``
(and ``A_w: (W*sw, W)`` the same for columns), for every image and channel::

    y  = A_h @ x @ A_w.T                    (H*sh, W*sw)
    dx = A_h.T @ dy @ A_w                   (H, W):  the backward pass is the transpose

The loop definitions these agree with are in ``minae.kernels.reference``. Arguments are
checked by the layer (``minae.layers.upsample``); nothing here re-checks.
"""

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
    """``dx = dL/dx``: ``dy: (N, C, H*sh, W*sw) -> dx: x_shape = (N, C, H, W)`` (see above)."""
    (N, C, H, W), (sh, sw) = x_shape, scale_factor
    # EXERCISE upsample2d: the input gradient dx, for mode "nearest" and for mode "bilinear"
    if mode == "nearest":
        dx = np.zeros((N, C, H, W), dtype=dy.dtype)
        for a in range(sh):
            for b in range(sw):
                dx += dy[:, :, a::sh, b::sw]  # pixel (a, b) of every block
        return dx
    A_h, A_w = bilinear_matrix(H, sh).astype(dy.dtype), bilinear_matrix(W, sw).astype(dy.dtype)
    return A_h.T @ (dy @ A_w)  # (H, OH) @ (N, C, OH, W)
    # END EXERCISE
