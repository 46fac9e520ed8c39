"""Exercise conv2d_im2col: the convolution's gradients, as matrix products (im2col / col2im).

Inside the chunk loops of conv2d_input_grad and conv2d_weight_grad, write the matrix
products (and, for dx, the add-back (col2im) and the crop). Read conv2d_forward first: it
builds the column matrix cols, one row per output pixel, and computes y_rows = cols @ w_mat.
The module docstring of minae/kernels/im2col.py explains the layouts (the one of
minae/kernels/conv.py gives the answer away: read it afterwards).

The math to derive
------------------
The forward pass (read it first, it is in this file) is a sum of products:

    y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

where xp is x with pt, pb zero rows on top and bottom and pl, pr zero columns left and
right. L = sum(y * dy), so each term of that sum contributes to two gradients. Derive

    dL/dw[f, c, p, q] = ?             dL/dxp[n, c, r, s] = ?

and then dx from dxp: the padding is not part of x.

As matrices: y_rows = cols @ w_mat, (M, K) @ (K, F), with M = n*OH*OW rows (one per output
pixel of the chunk) and K = KH*KW*C. Differentiate a matrix product:

    dL/dw_mat = ?          dL/dcols = ?       (then add_back adds dcols back into dxp)

In the code the input gradient is done one tap (p, q) at a time: the block of dcols for tap
t is dy_rows @ w_taps[t], (M, F) @ (F, C), and np.matmul does all taps in one call.

Shapes
------
x, dx: (N, C, H, W); w, dw: (F, C, KH, KW); y, dy: (N, F, OH, OW) with OH = (H + pt + pb -
dh*(KH - 1) - 1) // sh + 1 (and so for OW).

Per chunk of m images: dy_rows (m, OH, RW, F) (reshape to (m*P, F), P = OH*RW); w_taps
(KH*KW, F, C); taps (KH*KW, m*P, C); cols (m, OH, OW, KH, KW, C) (reshape to (m*OH*OW, K));
dxp[:m] (m, Hp, Wp, C) = (m, pt + H + pb, pl + W + pr, C), channels last; part, dw_mat (K,
F). RW is OW, or the padded width Wp for stride 1 (rows made as wide as the padded image,
extra columns zero, so add_back can add whole images: col2im_wide); add_back is col2im or
col2im_wide accordingly.

How it is checked
-----------------
Float64, 5 cases: stride 1 and 2, symmetric and uneven padding (Keras's "same" with an even
kernel puts the extra row at the bottom), a non-square kernel and a dilation of 2; random x,
w and upstream gradient dy. dx and dw are compared with the central-difference gradients of
L = sum(conv2d_forward(x, w) * dy), minae's fast forward.

The kernels are run one image per chunk (minae.kernels.conv.CHUNK_BYTES is set to 1 during
the check), so a chunk loop that forgets to add up its chunks shows.

Commands
--------
    python -m minae.exercises check conv2d_im2col     # after filling in the TODOs
    python -m minae.exercises hint conv2d_im2col      # a nudge; run again for more

Generated from minae/kernels/conv.py (conv2d_input_grad and conv2d_weight_grad) by `python
-m minae.exercises generate`; edit your copy, not the one inside the minae package.
"""

# ruff: noqa: B007, F401, F841  (until the TODOs are filled in, some names are unused)

from __future__ import annotations

import numpy as np

from minae.kernels.conv import WIDE_ROWS_WASTE, _chunks, _geometry, scratch
from minae.kernels.geometry import as_pair
from minae.kernels.im2col import col2im, col2im_wide, im2col, pad_channels_last


def conv2d_forward(x: np.ndarray, w: np.ndarray, stride=1, padding=0,
                   dilation=1) -> np.ndarray:
    """``y = conv2d(x, w)``, by im2col and one matrix product per chunk of images.

    ::

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]
        as matrices:  y_rows = cols @ w_mat,   (n*OH*OW, KH*KW*C) @ (KH*KW*C, F)

    Parameters
    ----------
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    stride, dilation : int or (int, int)
    padding : int, (ph, pw) or (pt, pb, pl, pr)

    Returns
    -------
    y : (N, F, OH, OW), in the dtype of ``x`` and ``w``
    """
    stride, padding, dilation, (N, F, OH, OW) = _geometry(x.shape, w.shape, stride, padding,
                                                          dilation)
    (pt, pb, pl, pr), (_, C, H, W), (_, _, KH, KW) = padding, x.shape, w.shape
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(x, w)
    P, K = OH * OW, KH * KW * C
    w_mat = w.transpose(2, 3, 1, 0).reshape(K, F).astype(dtype, copy=False)  # rows (p, q, c)
    y = np.empty((N, F, OH, OW), dtype=dtype)
    chunks = _chunks(N, (Hp * Wp * C + P * K + P * F) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = scratch("xp", (n, Hp, Wp, C), dtype, zero=True)  # the zero border is never written
    cols = scratch("cols", (n, OH, OW, KH, KW, C), dtype)
    rows = scratch("rows", (n * P, F), dtype)
    for a, b in chunks:
        m = b - a
        pad_channels_last(x[a:b], padding, out=xp[:m])
        im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
        np.matmul(cols[:m].reshape(m * P, K), w_mat, out=rows[:m * P])
        y[a:b] = rows[:m * P].reshape(m, OH, OW, F).transpose(0, 3, 1, 2)
    return y


def conv2d_input_grad(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride=1, padding=0,
                      dilation=1) -> np.ndarray:
    stride, padding, dilation, y_shape = _geometry(x_shape, w.shape, stride, padding, dilation)
    if tuple(dy.shape) != y_shape:
        raise ValueError(f"conv2d_input_grad: dy has shape {tuple(dy.shape)}; expected {y_shape} "
                         f"for an input of shape {tuple(x_shape)}")
    (pt, pb, pl, pr), (N, C, H, W), (F, _, KH, KW) = padding, x_shape, w.shape
    OH, OW = y_shape[2:]
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(dy, w)
    wide = stride == (1, 1) and Wp - OW <= WIDE_ROWS_WASTE * OW
    RW = Wp if wide else OW  # the width of the rows fed to the product
    add_back = col2im_wide if wide else col2im
    T, P = KH * KW, OH * RW
    w_taps = w.transpose(2, 3, 0, 1).reshape(T, F, C).astype(dtype, copy=False)
    dx = np.empty(x_shape, dtype=dtype)
    chunks = _chunks(N, (P * F + T * P * C + Hp * Wp * C) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    dy_rows = scratch("rows", (n, OH, RW, F), dtype, zero=True)  # columns OW.. stay zero
    dcols = scratch("cols", (T * n * P * C,), dtype)
    dxp = scratch("xp", (n, Hp, Wp, C), dtype)
    for a, b in chunks:
        m = b - a
        dy_rows[:m, :, :OW] = dy[a:b].transpose(0, 2, 3, 1)
        taps = dcols[:T * m * P * C].reshape(T, m * P, C)
        # TODO (conv2d_im2col): taps = dy_rows @ w_taps; col2im; crop into dx[a:b]
        raise NotImplementedError("exercise conv2d_im2col not started")
    return dx


def conv2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1, padding=0,
                       dilation=1) -> np.ndarray:
    KH, KW = as_pair(kernel_size, "kernel_size")
    N, F = dy.shape[:2]
    C = x.shape[1]
    stride, padding, dilation, y_shape = _geometry(x.shape, (F, C, KH, KW), stride, padding,
                                                   dilation)
    if tuple(dy.shape) != y_shape:
        raise ValueError(f"conv2d_weight_grad: dy has shape {tuple(dy.shape)}; expected "
                         f"{y_shape} for an input of shape {tuple(x.shape)}")
    (pt, pb, pl, pr), (_, _, H, W), (_, _, OH, OW) = padding, x.shape, y_shape
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(x, dy)
    P, K = OH * OW, KH * KW * C
    chunks = _chunks(N, (Hp * Wp * C + P * K + P * F) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = scratch("xp", (n, Hp, Wp, C), dtype, zero=True)
    cols = scratch("cols", (n, OH, OW, KH, KW, C), dtype)
    dy_rows = scratch("rows", (n, OH, OW, F), dtype)
    dw_mat, part = np.zeros((K, F), dtype=dtype), np.empty((K, F), dtype=dtype)
    for a, b in chunks:
        m = b - a
        pad_channels_last(x[a:b], padding, out=xp[:m])
        im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
        np.copyto(dy_rows[:m], dy[a:b].transpose(0, 2, 3, 1))
        # TODO (conv2d_im2col): add this chunk's cols.T @ dy_rows to dw_mat
        raise NotImplementedError("exercise conv2d_im2col not started")
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))
