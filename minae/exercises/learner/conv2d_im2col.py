"""Exercise conv2d_im2col: the convolution's gradients, as matrix products (im2col / col2im).

Inside the chunk loops of conv2d_input_grad and conv2d_weight_grad, write the matrix
products (and, for dx, the col2im and the crop). Read conv2d_forward first: it builds the
column matrix cols, one row per output pixel, and computes y_rows = cols @ w_mat. The module
docstring of minae/kernels/im2col.py explains the layouts (the one of minae/kernels/conv.py
gives the answer away: read it afterwards).

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

    dL/dw_mat = ?          dL/dcols = ?       (then col2im adds dcols back into dxp)

In the code the input gradient is done one tap (p, q) at a time: the block of dcols for tap
t is dy_rows @ w_taps[t], (M, F) @ (F, C), and np.matmul does all taps in one call.

Shapes
------
x, dx: (N, C, H, W); w, dw: (F, C, KH, KW); y, dy: (N, F, OH, OW) with OH = (H + pt + pb -
dh*(KH - 1) - 1) // sh + 1 (and so for OW).

Per chunk of m images: dy_rows (m, OH, OW, F) (reshape to (m*OH*OW, F)); w_taps (KH*KW, F,
C); taps (KH*KW, m*OH*OW, C); cols (m, OH, OW, KH, KW, C) (reshape to (m*OH*OW, K)); dxp[:m]
(m, pt + H + pb, pl + W + pr, C), channels last; part, dw_mat (K, F).

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

from minae.kernels.conv import _for_each_chunk, _geometry
from minae.kernels.geometry import as_pair
from minae.kernels.im2col import col2im, im2col, pad_channels_last


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
    dtype = np.result_type(x, w)
    P, K = OH * OW, KH * KW * C
    w_mat = w.transpose(2, 3, 1, 0).reshape(K, F).astype(dtype, copy=False)  # rows (p, q, c)
    y = np.empty((N, F, OH, OW), dtype=dtype)

    def work(chunks):
        n = max(b - a for a, b in chunks)
        xp = np.zeros((n, pt + H + pb, pl + W + pr, C), dtype=dtype)  # border stays zero
        cols = np.empty((n, OH, OW, KH, KW, C), dtype=dtype)
        rows = np.empty((n * P, F), dtype=dtype)
        for a, b in chunks:
            m = b - a
            pad_channels_last(x[a:b], padding, out=xp[:m])
            im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
            np.matmul(cols[:m].reshape(m * P, K), w_mat, out=rows[:m * P])
            y[a:b] = rows[:m * P].reshape(m, OH, OW, F).transpose(0, 3, 1, 2)

    _for_each_chunk(work, N, ((pt + H + pb) * (pl + W + pr) * C + P * K + P * F) * dtype.itemsize)
    return y


def conv2d_input_grad(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride=1, padding=0,
                      dilation=1) -> np.ndarray:
    stride, padding, dilation, y_shape = _geometry(x_shape, w.shape, stride, padding, dilation)
    if tuple(dy.shape) != y_shape:
        raise ValueError(f"conv2d_input_grad: dy has shape {tuple(dy.shape)}; expected {y_shape} "
                         f"for an input of shape {tuple(x_shape)}")
    (pt, pb, pl, pr), (N, C, H, W), (F, _, KH, KW) = padding, x_shape, w.shape
    OH, OW = y_shape[2:]
    dtype = np.result_type(dy, w)
    P = OH * OW
    w_taps = w.transpose(2, 3, 0, 1).reshape(KH * KW, F, C).astype(dtype, copy=False)
    dx = np.empty(x_shape, dtype=dtype)

    def work(chunks):
        n = max(b - a for a, b in chunks)
        dy_rows = np.empty((n, OH, OW, F), dtype=dtype)
        dcols = np.empty(KH * KW * n * P * C, dtype=dtype)
        dxp = np.empty((n, pt + H + pb, pl + W + pr, C), dtype=dtype)
        for a, b in chunks:
            m = b - a
            np.copyto(dy_rows[:m], dy[a:b].transpose(0, 2, 3, 1))
            taps = dcols[:KH * KW * m * P * C].reshape(KH * KW, m * P, C)
            # TODO (conv2d_im2col): taps = dy_rows @ w_taps; col2im; crop into dx[a:b]
            raise NotImplementedError("exercise conv2d_im2col not started")

    _for_each_chunk(work, N, (P * F + KH * KW * P * C + (pt + H + pb) * (pl + W + pr) * C)
                    * dtype.itemsize)
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
    dtype = np.result_type(x, dy)
    P, K = OH * OW, KH * KW * C

    def work(chunks):
        n = max(b - a for a, b in chunks)
        xp = np.zeros((n, pt + H + pb, pl + W + pr, C), dtype=dtype)
        cols = np.empty((n, OH, OW, KH, KW, C), dtype=dtype)
        dy_rows = np.empty((n, OH, OW, F), dtype=dtype)
        dw_mat, part = np.zeros((K, F), dtype=dtype), np.empty((K, F), dtype=dtype)
        for a, b in chunks:
            m = b - a
            pad_channels_last(x[a:b], padding, out=xp[:m])
            im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
            np.copyto(dy_rows[:m], dy[a:b].transpose(0, 2, 3, 1))
            # TODO (conv2d_im2col): add this chunk's cols.T @ dy_rows to dw_mat
            raise NotImplementedError("exercise conv2d_im2col not started")
        return dw_mat

    per_image = ((pt + H + pb) * (pl + W + pr) * C + P * K + P * F) * dtype.itemsize
    dw_mat = sum(_for_each_chunk(work, N, per_image), np.zeros((K, F), dtype))
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))
