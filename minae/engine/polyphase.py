"""A strided convolution as one stride-1 convolution of its polyphase components.

With stride ``(sh, sw)`` each output pixel reads every ``sh``-th row of the padded input. Split
each kernel offset by the stride, ``p = sh*u + a`` and ``q = sw*v + b`` with ``0 <= a < sh``,
``0 <= b < sw``::

    y[n, f, i, j] = sum_{c, p, q} xp[n, c, sh*i + p, sw*j + q] * w[f, c, p, q]
                  = sum_{a, b} sum_{c, u, v} X_ab[n, c, i + u, j + v] * W_ab[f, c, u, v]

    X_ab[n, c, r, t] = xp[n, c, sh*r + a, sw*t + b]        (a polyphase component of xp)
    W_ab[f, c, u, v] = w[f, c, sh*u + a, sw*v + b]         (zero where sh*u + a >= KH)

so ``y`` is a *stride-1* convolution of the ``sh*sw*C`` stacked components ``X`` with the
stacked kernels ``W`` (``ceil(KH/sh) x ceil(KW/sw)``, no padding): for conv_vae's 4x4
stride-2 layers, a 2x2 stride-1 convolution of ``4C`` channels. The two gradients follow from
the same identity, each by the stride-1 pass of the engine (``minae.engine.choose``)::

    dX = conv2d_dx(dy, W),  dxp[n, c, sh*r + a, sw*t + b] = dX[n, (a, b, c), r, t]
    dW = conv2d_dw(X, dy),  dw[f, c, sh*u + a, sw*v + b] = dW[f, (a, b, c), u, v]

Sizes: ``X`` is ``(N, sh*sw*C, Hs, Ws)`` with ``Hs = OH + ceil(KH/sh) - 1``; ``xp`` is padded
with extra zeros at the bottom/right up to ``sh*Hs`` rows where the kernel's zero taps would
read past it. Dilation 1 only.

When it pays (``minae.engine.choose``): with few input channels, where the stacked ``4C``
channels take the flat road: conv_vae's 1 -> 32 layer, 17.9 -> 11.3 ms for its three passes
(the weight gradient 7.6 -> 2.1). With 32 channels it lost (56 -> 89 ms). Arguments are
normalised and consistent (the layer checked them); nothing here re-checks.
"""

from __future__ import annotations

import math

import numpy as np


def _sizes(x_shape, w_shape, stride, padding):
    (_, _, H, W), (_, _, KH, KW), (sh, sw), (pt, pb, pl, pr) = x_shape, w_shape, stride, padding
    OH, OW = (H + pt + pb - KH) // sh + 1, (W + pl + pr - KW) // sw + 1
    kh, kw = math.ceil(KH / sh), math.ceil(KW / sw)
    return OH, OW, kh, kw, OH + kh - 1, OW + kw - 1


def stack_kernel(w: np.ndarray, stride) -> np.ndarray:
    """``W: (F, sh*sw*C, ceil(KH/sh), ceil(KW/sw))``, ``W[f, (a, b, c), u, v] = w[f, c,
    sh*u + a, sw*v + b]`` (zero past the kernel)."""
    (F, C, KH, KW), (sh, sw) = w.shape, stride
    kh, kw = math.ceil(KH / sh), math.ceil(KW / sw)
    out = np.zeros((F, sh, sw, C, kh, kw), dtype=w.dtype)
    for a in range(sh):
        for b in range(sw):
            block = w[:, :, a::sh, b::sw]
            out[:, a, b, :, :block.shape[2], :block.shape[3]] = block
    return out.reshape(F, sh * sw * C, kh, kw)


def _padded(N, C, H, W, padding, Hs, Ws, stride, dtype) -> tuple[np.ndarray, tuple]:
    """A zero array for ``xp`` large enough for both the padded input and ``sh*Hs`` rows."""
    (pt, pb, pl, pr), (sh, sw) = padding, stride
    rows, cols = max(pt + H + pb, sh * Hs), max(pl + W + pr, sw * Ws)
    return np.zeros((N, C, rows, cols), dtype=dtype), (slice(pt, pt + H), slice(pl, pl + W))


def components(x: np.ndarray, stride, padding, Hs: int, Ws: int) -> np.ndarray:
    """``X: (N, sh*sw*C, Hs, Ws)``, ``X[n, (a, b, c), r, t] = xp[n, c, sh*r + a, sw*t + b]``."""
    (N, C, H, W), (sh, sw) = x.shape, stride
    xp, (rows, cols) = _padded(N, C, H, W, padding, Hs, Ws, stride, x.dtype)
    xp[:, :, rows, cols] = x
    X = np.empty((N, sh, sw, C, Hs, Ws), dtype=x.dtype)
    for a in range(sh):
        for b in range(sw):
            X[:, a, b] = xp[:, :, a:a + sh * Hs:sh, b:b + sw * Ws:sw]
    return X.reshape(N, sh * sw * C, Hs, Ws)


def forward(engine, x: np.ndarray, w: np.ndarray, stride, padding) -> np.ndarray:
    """``y = conv2d(x, w)`` with stride ``(sh, sw)``: ``(N, C, H, W) -> (N, F, OH, OW)``."""
    OH, OW, kh, kw, Hs, Ws = _sizes(x.shape, w.shape, stride, padding)
    X = components(x, stride, padding, Hs, Ws)
    return engine.conv2d(X, stack_kernel(w, stride), (1, 1), (0, 0, 0, 0), (1, 1))


def input_grad(engine, dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride,
               padding) -> np.ndarray:
    """``dx = dL/dx``: the stride-1 input gradient of the components, put back in place.

    Shapes: ``dy: (N, F, OH, OW)``, ``w: (F, C, KH, KW)`` -> ``dx: x_shape``.
    """
    (N, C, H, W), (sh, sw) = x_shape, stride
    OH, OW, kh, kw, Hs, Ws = _sizes(x_shape, w.shape, stride, padding)
    dX = engine.conv2d_dx(dy, stack_kernel(w, stride), (N, sh * sw * C, Hs, Ws), (1, 1),
                          (0, 0, 0, 0), (1, 1)).reshape(N, sh, sw, C, Hs, Ws)
    dxp, (rows, cols) = _padded(N, C, H, W, padding, Hs, Ws, stride, dX.dtype)
    for a in range(sh):
        for b in range(sw):
            dxp[:, :, a:a + sh * Hs:sh, b:b + sw * Ws:sw] = dX[:, a, b]
    return np.ascontiguousarray(dxp[:, :, rows, cols])


def weight_grad(engine, x: np.ndarray, dy: np.ndarray, kernel_size, stride,
                padding) -> np.ndarray:
    """``dw = dL/dw``: the stride-1 weight gradient of the components, unstacked.

    Shapes: ``x: (N, C, H, W)``, ``dy: (N, F, OH, OW)`` -> ``dw: (F, C, KH, KW)``.
    """
    (KH, KW), (sh, sw), C, F = kernel_size, stride, x.shape[1], dy.shape[1]
    OH, OW, kh, kw, Hs, Ws = _sizes(x.shape, (F, C, KH, KW), stride, padding)
    X = components(x, stride, padding, Hs, Ws)
    dW = engine.conv2d_dw(X, dy, (kh, kw), (1, 1), (0, 0, 0, 0), (1, 1))
    dW = dW.reshape(F, sh, sw, C, kh, kw)
    dw = np.empty((F, C, KH, KW), dtype=dW.dtype)
    for a in range(sh):
        for b in range(sw):
            block = dw[:, :, a::sh, b::sw]
            block[...] = dW[:, a, b, :, :block.shape[2], :block.shape[3]]
    return dw
