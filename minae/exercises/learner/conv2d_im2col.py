"""Exercise conv2d_im2col: the convolution's gradients, as matrix products (im2col / col2im).

In conv2d_input_grad and conv2d_weight_grad, write the matrix products (and, for dx, the
add-back (col2im) and the crop). Read conv2d_forward first: it builds the column matrix
cols, one row per output pixel, and computes y_rows = cols @ w_mat. These are the passes
Conv2D runs (minae/layers/conv.py) when no engine is set. The module docstring of
minae/kernels/im2col.py explains the layouts (the one of minae/kernels/conv.py gives the
answer away: read it afterwards).

The math to derive
------------------
The forward pass (read it first, it is in this file) is a sum of products:

    y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

where xp is x with pt, pb zero rows on top and bottom and pl, pr zero columns left and
right. L = sum(y * dy), so each term of that sum contributes to two gradients. Derive

    dL/dw[f, c, p, q] = ?             dL/dxp[n, c, r, s] = ?

and then dx from dxp: the padding is not part of x.

As matrices: y_rows = cols @ w_mat, (M, K) @ (K, F), with M = N*OH*OW rows (one per output
pixel) and K = KH*KW*C. Differentiate a matrix product:

    dL/dw_mat = ?          dL/dcols = ?       (then col2im adds dcols back into dxp)

The input gradient is done one tap (p, q) at a time: the block of dcols for tap t is dy_rows
@ w_taps[t], (M, F) @ (F, C), and np.matmul does all taps in one call.

Shapes
------
conv2d_forward:
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    stride, dilation : (sh, sw), (dh, dw)
    padding : (pt, pb, pl, pr)
    y : (N, F, OH, OW), in the dtype of x and w
conv2d_input_grad:
    dy : (N, F, OH, OW)
    w : (F, C, KH, KW)
    x_shape : (N, C, H, W), the shape of the forward input
    stride, padding, dilation : as for conv2d_forward
    dx : x_shape
conv2d_weight_grad:
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : (KH, KW)
    stride, padding, dilation : as for conv2d_forward
    dw : (F, C, KH, KW)

How it is checked
-----------------
8 cases: strides 1, 2, (2, 1) and (1, 2), symmetric and uneven padding (Keras's "same" with
an even kernel puts the extra row at the bottom), non-square kernels, a dilation of (2, 1),
batches of 1 and several, and two 28x28 images like the lesson's first layer; two cases in
float32 (compared with minae's float64 answer at a float32 tolerance, dtype checked). Small
cases are compared with the central-difference gradients of L = sum(conv2d_forward(x, w) *
dy), the 28x28 ones with minae's fast engine (minae.engine.FastEngine, another road to the
same sums).

Commands
--------
    python -m minae.exercises check conv2d_im2col     # after filling in the TODOs
    python -m minae.exercises hint conv2d_im2col      # a nudge; run again for more

Generated from minae/kernels/conv.py (conv2d_input_grad and conv2d_weight_grad) by `python
-m minae.exercises generate`; edit your copy, not the one inside the minae package. Read
minae's solution, minae/kernels/conv.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.kernels.conv import Padding4, Pair
from minae.kernels.im2col import col2im, im2col, pad_channels_last


def conv2d_forward(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding4,
                   dilation: Pair) -> np.ndarray:
    """``y = conv2d(x, w)``: im2col, then one matrix product.

    ::

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]
        as matrices:  y_rows = cols @ w_mat,   (N*OH*OW, KH*KW*C) @ (KH*KW*C, F)

    Parameters
    ----------
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    stride, dilation : (sh, sw), (dh, dw)
    padding : (pt, pb, pl, pr)

    Returns
    -------
    y : (N, F, OH, OW), in the dtype of ``x`` and ``w``
    """
    F, C, KH, KW = w.shape
    xp = pad_channels_last(x, padding)                   # (N, Hp, Wp, C)
    cols = im2col(xp, (KH, KW), stride, dilation)         # (N, OH, OW, KH, KW, C)
    N, OH, OW = cols.shape[:3]
    w_mat = w.transpose(2, 3, 1, 0).reshape(KH * KW * C, F)  # rows (p, q, c), like cols
    y_rows = cols.reshape(N * OH * OW, KH * KW * C) @ w_mat  # (N*OH*OW, F)
    return np.ascontiguousarray(y_rows.reshape(N, OH, OW, F).transpose(0, 3, 1, 2))


def conv2d_input_grad(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair,
                      padding: Padding4, dilation: Pair) -> np.ndarray:
    N, C, H, W = x_shape
    F, _, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    pt, pb, pl, pr = padding
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)
    w_taps = w.transpose(2, 3, 0, 1).reshape(KH * KW, F, C)  # w_taps[(p, q)] = w[:, :, p, q]
    # TODO (conv2d_im2col): dcols = dy_rows @ w_taps (every tap); col2im; crop into dx
    raise NotImplementedError("exercise conv2d_im2col not started")
    return np.ascontiguousarray(dx)


def conv2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size: Pair, stride: Pair,
                       padding: Padding4, dilation: Pair) -> np.ndarray:
    (KH, KW), C, (N, F, OH, OW) = kernel_size, x.shape[1], dy.shape
    cols = im2col(pad_channels_last(x, padding), (KH, KW), stride, dilation)
    cols = cols.reshape(N * OH * OW, KH * KW * C)
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)
    # TODO (conv2d_im2col): dw_mat = cols.T @ dy_rows, shape (KH*KW*C, F)
    raise NotImplementedError("exercise conv2d_im2col not started")
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))
