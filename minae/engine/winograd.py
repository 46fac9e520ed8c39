"""Winograd's F(2x2, 3x3): a 3x3 stride-1 convolution with 16 products per 2x2 output tile.

An experiment, reported in the kernels chapter: it lost on every lesson layer (measured by
``benchmarks/conv.py``'s ``winograd`` variant), so the rule (``minae.engine.choose``) does not
use it. Forward pass only.

The 1-D identity (Lavin & Gray, 2015): two outputs of a 3-tap correlation of four inputs
``d0..d3`` with taps ``g0..g2`` need 4 multiplications instead of 6::

    [y0, y1] = A^T [(G g) * (B^T d)]                    (* element by element)

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

Nested in 2-D, a 4x4 input tile ``d`` (tiles overlap by 2) and the 3x3 kernel ``g`` give the
2x2 output tile ``Y = A^T [(G g G^T) * (B^T d B)] A``: 16 multiplications instead of 36. Over
channels the element-wise product becomes, for each of the 16 positions ``(xi, nu)``, a matrix
product::

    V[xi, nu, c, t] = (B^T d_{c,t} B)[xi, nu]           input transform, every tile t
    U[xi, nu, f, c] = (G w_{f,c} G^T)[xi, nu]           kernel transform
    M[xi, nu]       = U[xi, nu] @ V[xi, nu]             (F, C) @ (C, T): 16 products
    y tile t        = A^T M[:, :, :, t] A               output transform

so 2.25 times fewer multiplications, paid for by the transforms: three more passes over
memory (input tiles are read at 4x the output's size), which on the lesson's small layers
cost more than the multiplications saved. Chunked (``engine.chunk_bytes``), so scratch is
bounded whatever the batch size.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def _bt(d: np.ndarray, axis: int) -> np.ndarray:
    """``B^T d`` along ``axis`` (of size 4): ``[d0 - d2, d1 + d2, d2 - d1, d1 - d3]``."""
    d0, d1, d2, d3 = (np.take(d, i, axis=axis) for i in range(4))
    return np.stack([d0 - d2, d1 + d2, d2 - d1, d1 - d3], axis=axis)


def _at(m: np.ndarray, axis: int) -> np.ndarray:
    """``A^T m`` along ``axis`` (of size 4): ``[m0 + m1 + m2, m1 - m2 - m3]``."""
    m0, m1, m2, m3 = (np.take(m, i, axis=axis) for i in range(4))
    return np.stack([m0 + m1 + m2, m1 - m2 - m3], axis=axis)


def kernel_transform(w: np.ndarray) -> np.ndarray:
    """``U: (4, 4, F, C)``, ``U[:, :, f, c] = G w[f, c] G^T``."""
    return np.einsum("ip,fcpq,jq->ijfc", G.astype(w.dtype), w, G.astype(w.dtype))


def forward(engine, x: np.ndarray, w: np.ndarray, padding) -> np.ndarray:
    """``y = conv2d(x, w)`` for a 3x3 kernel, stride 1, dilation 1.

    Shapes: ``x: (N, C, H, W)``, ``w: (F, C, 3, 3)`` -> ``y: (N, F, OH, OW)``,
    ``OH = H + pt + pb - 2``.
    """
    (N, C, H, W), F, (pt, pb, pl, pr) = x.shape, w.shape[0], padding
    OH, OW = H + pt + pb - 2, W + pl + pr - 2
    TH, TW = (OH + 1) // 2, (OW + 1) // 2  # tiles; an odd size gets a cropped last tile
    dtype = np.result_type(x, w)
    U = kernel_transform(w.astype(dtype, copy=False)).reshape(16, F, C)
    y = np.empty((N, F, OH, OW), dtype=dtype)
    per_image = (C * (2 * TH + 2) * (2 * TW + 2) + 32 * C * TH * TW + 20 * F * TH * TW)
    for a, b in engine.chunks(N, per_image * dtype.itemsize):
        m = b - a
        xp = np.zeros((m, C, 2 * TH + 2, 2 * TW + 2), dtype=dtype)  # padded to whole tiles
        xp[:, :, pt:pt + H, pl:pl + W] = x[a:b]
        tiles = sliding_window_view(xp, (4, 4), axis=(2, 3))[:, :, ::2, ::2]  # m C TH TW 4 4
        V = _bt(_bt(tiles, 4), 5)                                # B^T d B, every tile
        V = V.transpose(4, 5, 1, 0, 2, 3).reshape(16, C, m * TH * TW)
        M = np.matmul(U, V).reshape(4, 4, F, m, TH, TW)          # 16 products (F, C) @ (C, T)
        Y = _at(_at(M, 0), 1)                                    # A^T M A: (2, 2, F, m, TH, TW)
        tiled = Y.transpose(3, 2, 4, 0, 5, 1).reshape(m, F, 2 * TH, 2 * TW)
        y[a:b] = tiled[:, :, :OH, :OW]
    return y
