"""The taught convolution: forward, input gradient, weight gradient, and the transposed one.

This is what ``Conv2D`` runs when no engine is set (``minae.engine`` holds the faster roads).
Each pass is im2col (or col2im) plus one matrix product over the whole batch:

=================  ===============================================  =========================
pass               matrix product                                   then
=================  ===============================================  =========================
forward            ``y_rows = cols @ w_mat``                        rows -> ``(N, F, OH, OW)``
                   ``(N*OH*OW, K) @ (K, F)``
input gradient     ``dcols[t] = dy_rows @ w_taps[t]``, every tap    col2im, crop the padding
                   ``t = (p, q)``: ``(N*OH*OW, F) @ (F, C)``
weight gradient    ``dw_mat = cols.T @ dy_rows``                    ``(K, F)`` -> ``(F, C, KH, KW)``
                   ``(K, N*OH*OW) @ (N*OH*OW, F)``
=================  ===============================================  =========================

with ``K = KH * KW * C``, ``cols`` the column matrix of ``minae.kernels.im2col`` (one row per
output pixel, its entries ordered ``(p, q, c)``, channels last), ``w_mat[(p, q, c), f] =
w[f, c, p, q]``, ``w_taps[(p, q), f, c] = w[f, c, p, q]`` and ``dy_rows[(n, i, j), f] =
dy[n, f, i, j]``. Why the two gradients are these products: for ``Y = A @ B``,
``dL/dA = dY @ B.T`` and ``dL/dB = A.T @ dY``; ``dL/dcols = dy_rows @ w_mat.T`` is, block by
block, ``dy_rows @ w_taps[t]``, and col2im adds each block back where im2col copied it from.

Arguments are already normalised (the layer does it once): ``stride = (sh, sw)``,
``padding = (pt, pb, pl, pr)``, ``dilation = (dh, dw)``, and the shapes agree.

The transposed convolution is the adjoint of the convolution
------------------------------------------------------------
For a fixed ``w``, convolution is a linear map ``x -> y = A x``; its input gradient is
``dx = A^T dy``. A transposed convolution *is* ``A^T``, so:

* ``conv_transpose2d_forward(x) = A^T x``      = ``conv2d_input_grad(x, w, ...)``
* its input gradient ``(A^T)^T dy = A dy``     = ``conv2d_forward(dy, w, ...)``
* its weight gradient                          = ``conv2d_weight_grad(dy, x, ...)``
  (the roles of input and output swap).

That is how they are written below: no new arithmetic.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import conv_transpose_output_size
from minae.kernels.im2col import col2im, im2col, pad_channels_last

Pair = tuple[int, int]
Padding4 = tuple[int, int, int, int]


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
    """``dx = dL/dx`` of ``y = conv2d(x, w)``: one matrix product per tap, then col2im.

    ::

        dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * w[f, c, p, q]
        as matrices, one block per tap:  dcols[(p, q)] = dy_rows @ w_taps[(p, q)]
                                         (N*OH*OW, F) @ (F, C), all KH*KW taps in one matmul
        then dxp = col2im(dcols), and dx = dxp without its padding

    Parameters
    ----------
    dy : (N, F, OH, OW)
    w : (F, C, KH, KW)
    x_shape : (N, C, H, W), the shape of the forward input
    stride, padding, dilation : as for ``conv2d_forward``

    Returns
    -------
    dx : x_shape
    """
    N, C, H, W = x_shape
    F, _, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    pt, pb, pl, pr = padding
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)
    w_taps = w.transpose(2, 3, 0, 1).reshape(KH * KW, F, C)  # w_taps[(p, q)] = w[:, :, p, q]
    # EXERCISE conv2d_im2col: dcols = dy_rows @ w_taps (every tap); col2im; crop into dx
    dcols = np.matmul(dy_rows, w_taps)                    # (KH*KW, N*OH*OW, C), tap-major
    dxp = col2im(dcols.reshape(KH, KW, N, OH, OW, C), (N, pt + H + pb, pl + W + pr, C),
                 stride, dilation)
    dx = dxp[:, pt:pt + H, pl:pl + W, :].transpose(0, 3, 1, 2)
    # END EXERCISE
    return np.ascontiguousarray(dx)


def conv2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size: Pair, stride: Pair,
                       padding: Padding4, dilation: Pair) -> np.ndarray:
    """``dw = dL/dw`` of ``y = conv2d(x, w)``: the columns of ``x``, transposed, times ``dy``.

    ::

        dw[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw]
        as matrices:  dw_mat = cols.T @ dy_rows,   (KH*KW*C, N*OH*OW) @ (N*OH*OW, F)

    Parameters
    ----------
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : (KH, KW)
    stride, padding, dilation : as for ``conv2d_forward``

    Returns
    -------
    dw : (F, C, KH, KW)
    """
    (KH, KW), C, (N, F, OH, OW) = kernel_size, x.shape[1], dy.shape
    cols = im2col(pad_channels_last(x, padding), (KH, KW), stride, dilation)
    cols = cols.reshape(N * OH * OW, KH * KW * C)
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)
    # EXERCISE conv2d_im2col: dw_mat = cols.T @ dy_rows, shape (KH*KW*C, F)
    dw_mat = cols.T @ dy_rows
    # END EXERCISE
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))


# --------------------------------------------------------------------------------------------
# Transposed convolution = the adjoint of convolution
# --------------------------------------------------------------------------------------------

def conv_transpose2d_output_shape(x_shape: tuple, w_shape: tuple, stride: Pair,
                                  padding: Padding4, dilation: Pair,
                                  output_padding: Pair) -> tuple:
    """``(N, C_out, OH, OW)`` of a transposed convolution of ``x: (N, C_in, H, W)`` with
    ``w: (C_in, C_out, KH, KW)``: ``OH = (H-1)*sh - pt - pb + dh*(KH-1) + oph + 1``."""
    (sh, sw), (dh, dw), (pt, pb, pl, pr), (oph, opw) = stride, dilation, padding, output_padding
    return (x_shape[0], w_shape[1],
            conv_transpose_output_size(x_shape[2], w_shape[2], sh, pt + pb, dh, oph),
            conv_transpose_output_size(x_shape[3], w_shape[3], sw, pl + pr, dw, opw))


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, y_shape: tuple, stride: Pair,
                             padding: Padding4, dilation: Pair) -> np.ndarray:
    """Transposed convolution: the input gradient of ``conv2d`` applied to ``x``.

    ::

        y = conv2d_input_grad(x, w, y_shape)   i.e.
        yp[n, c, i*sh + p*dh, j*sw + q*dw] += x[n, f, i, j] * w[f, c, p, q]

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_in, C_out, KH, KW)   (PyTorch's ``ConvTranspose2d`` layout: the convolution it is the
        adjoint of maps ``C_out`` channels to ``C_in``)
    y_shape : (N, C_out, OH, OW), from ``conv_transpose2d_output_shape``

    Returns
    -------
    y : y_shape
    """
    # EXERCISE conv_transpose2d: y = A^T x, with one of the convolution's passes
    return conv2d_input_grad(x, w, y_shape, stride, padding, dilation)
    # END EXERCISE


def conv_transpose2d_input_grad(dy: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding4,
                                dilation: Pair) -> np.ndarray:
    """Input gradient of the transposed convolution: a plain convolution of ``dy``.

    ``dy: (N, C_out, OH, OW)``, ``w: (C_in, C_out, KH, KW)`` -> ``dx: (N, C_in, H, W)``.
    """
    # EXERCISE conv_transpose2d: dx = (A^T)^T dy = A dy, with one of the convolution's passes
    return conv2d_forward(dy, w, stride, padding, dilation)
    # END EXERCISE


def conv_transpose2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size: Pair,
                                 stride: Pair, padding: Padding4, dilation: Pair) -> np.ndarray:
    """Weight gradient of the transposed convolution: ``conv2d_weight_grad`` with the roles of
    input and output swapped (``dy`` is the convolution's input, ``x`` its output gradient).

    ``x: (N, C_in, H, W)``, ``dy: (N, C_out, OH, OW)`` -> ``dw: (C_in, C_out, KH, KW)``.
    """
    # EXERCISE conv_transpose2d: dw, the convolution's weight gradient with its roles swapped
    return conv2d_weight_grad(dy, x, kernel_size, stride, padding, dilation)
    # END EXERCISE
