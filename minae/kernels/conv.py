"""Fast 2-D convolution: forward, input gradient, weight gradient, and the transposed convolution.

Each pass is im2col (or col2im) plus a matrix product, done a few images at a time:

=================  ===============================================  =========================
pass               matrix product (per chunk of images)             then
=================  ===============================================  =========================
forward            ``y_rows = cols @ w_mat``                        rows -> ``(N, F, OH, OW)``
                   ``(n*OH*OW, K) @ (K, F)``
input gradient     ``dcols[p, q] = dy_rows @ w[:, :, p, q]``        col2im (one ``+=`` per tap)
                   ``(n*OH*OW, F) @ (F, C)`` for all taps at once
weight gradient    ``dw_mat += cols.T @ dy_rows``                   ``(K, F)`` -> ``(F, C, KH, KW)``
                   ``(K, n*OH*OW) @ (n*OH*OW, F)``
=================  ===============================================  =========================

with ``K = KH * KW * C``, ``cols`` the column matrix of ``minae.kernels.im2col`` (rows ordered
``(p, q, c)``) and ``dy_rows[(n, i, j), f] = dy[n, f, i, j]``.

Why a few images at a time (the "chunk")
----------------------------------------
For a batch of 128 28x28 images and a 3x3 kernel over 16 channels, ``cols`` is 58 MB. Built
whole, it is written to main memory and read back by the product: both steps then run at memory
speed. Built for a few images at a time (``CHUNK_BYTES`` of columns, a size that fits in the
processor's cache), it is read by the product while it is still in cache, and the same small
buffers are reused for every chunk. So the full column matrix is never materialised: the peak
extra memory of a pass is a few chunk-sized buffers, whatever the batch size. The weight
gradient rebuilds the columns from ``x`` rather than keeping 58 MB alive between the forward
and backward passes: one cheap in-cache copy instead of a large stored array.

Why two threads
---------------
NumPy releases the GIL while it copies and multiplies, so ``num_threads`` workers (default: 2,
this project's core count) each take every other chunk: one copies while the other multiplies.
The copies (transposes, im2col, col2im) run on one core per call, so without this they leave
the second core idle for about half of each pass. Set ``minae.kernels.conv.NUM_THREADS = 1``
to switch it off (results are identical; the chunks never write to the same memory).

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

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext

import numpy as np

from minae.kernels.geometry import (
    as_padding,
    as_pair,
    conv_transpose_output_size,
    effective_size,
)
from minae.kernels.im2col import col2im, im2col, output_shape, pad_channels_last

CHUNK_BYTES = 2 ** 21  # bytes of buffers per chunk of images (see "Why a few images at a time")
NUM_THREADS = min(2, os.cpu_count() or 1)  # workers taking alternate chunks
ONE_BLAS_THREAD_PER_WORKER = True  # while workers run, each product uses one core (see below)

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_blas = {"control": None, "depth": 0, "limiter": None, "lock": threading.Lock()}


@contextmanager
def _one_blas_thread():
    """While inside, each BLAS call runs on one thread (if threadpoolctl is importable).

    threadpoolctl is optional: without it this does nothing and the workers' products use
    BLAS's own threads. The limit is process-wide, so nested or concurrent kernel calls share
    one: the first in sets it, the last out restores it.
    """
    b = _blas
    with b["lock"]:
        if b["control"] is None:
            try:
                from threadpoolctl import ThreadpoolController
                b["control"] = ThreadpoolController()
            except ImportError:
                b["control"] = False
        if b["control"] and b["depth"] == 0:
            b["limiter"] = b["control"].limit(limits=1, user_api="blas")
        b["depth"] += 1
    try:
        yield
    finally:
        with b["lock"]:
            b["depth"] -= 1
            if b["depth"] == 0 and b["limiter"] is not None:
                b["limiter"].restore_original_limits()
                b["limiter"] = None


def _for_each_chunk(work: Callable[[list[tuple[int, int]]], object], N: int,
                    bytes_per_image: int) -> list:
    """Split images ``0 .. N-1`` into chunks of about ``CHUNK_BYTES`` and hand them out.

    ``work(chunks)`` processes a list of ``(start, stop)`` ranges with buffers of its own
    (``bytes_per_image`` is what those buffers cost per image). With ``NUM_THREADS`` workers,
    worker ``t`` gets chunks ``t, t + T, t + 2T, ...``. Returns what each worker returned.
    """
    global _pool, _pool_size
    if N == 0:
        return []
    n = max(1, min(-(-N // NUM_THREADS), CHUNK_BYTES // max(1, bytes_per_image)))
    chunks = [(a, min(a + n, N)) for a in range(0, N, n)]
    workers = max(1, min(NUM_THREADS, len(chunks)))
    if workers == 1:
        return [work(chunks)]
    if _pool_size < workers:
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minae-conv")
        _pool_size = workers
    with _one_blas_thread() if ONE_BLAS_THREAD_PER_WORKER else nullcontext():
        return list(_pool.map(work, [chunks[t::workers] for t in range(workers)]))


def _geometry(x_shape, w_shape, stride, padding, dilation):
    """Normalise the hyper-parameters and compute the output shape; check they are consistent."""
    stride, dilation, padding = as_pair(stride, "stride"), as_pair(dilation, "dilation"), \
        as_padding(padding)
    if len(x_shape) != 4 or len(w_shape) != 4 or x_shape[1] != w_shape[1]:
        raise ValueError(f"conv2d: input (N, C, H, W) and weights (F, C, KH, KW) must share C; "
                         f"got input {tuple(x_shape)} and weights {tuple(w_shape)}")
    y_shape = output_shape(x_shape, w_shape, stride, padding, dilation)
    if y_shape[2] < 1 or y_shape[3] < 1:
        (pt, pb, pl, pr), (dh, dw) = padding, dilation
        raise ValueError(
            f"conv2d: kernel {tuple(w_shape[2:])} with dilation {dilation} spans "
            f"({effective_size(w_shape[2], dh)}, {effective_size(w_shape[3], dw)}) pixels, more "
            f"than the padded input ({x_shape[2] + pt + pb}, {x_shape[3] + pl + pr})")
    return stride, padding, dilation, y_shape


# --------------------------------------------------------------------------------------------
# The three passes of a convolution
# --------------------------------------------------------------------------------------------

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
    """``dx = dL/dx`` of ``y = conv2d(x, w)``: a matrix product per chunk, then col2im.

    ::

        dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * w[f, c, p, q]
        as matrices, one block per tap:  dcols[p, q] = dy_rows @ w[:, :, p, q]
                                         (n*OH*OW, F) @ (F, C), all KH*KW taps in one matmul call
        then dx = col2im(dcols) without its padding

    Parameters
    ----------
    dy : (N, F, OH, OW)
    w : (F, C, KH, KW)
    x_shape : (N, C, H, W), the shape of the forward input

    Returns
    -------
    dx : x_shape
    """
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
            # EXERCISE conv2d_im2col: taps = dy_rows @ w_taps; col2im; crop into dx[a:b]
            np.matmul(dy_rows[:m].reshape(m * P, F), w_taps, out=taps)
            col2im(taps.reshape(KH, KW, m, OH, OW, C), (m,) + dxp.shape[1:], stride, dilation,
                   out=dxp[:m])
            dx[a:b] = dxp[:m, pt:pt + H, pl:pl + W, :].transpose(0, 3, 1, 2)
            # END EXERCISE

    _for_each_chunk(work, N, (P * F + KH * KW * P * C + (pt + H + pb) * (pl + W + pr) * C)
                    * dtype.itemsize)
    return dx


def conv2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1, padding=0,
                       dilation=1) -> np.ndarray:
    """``dw = dL/dw`` of ``y = conv2d(x, w)``: the columns, rebuilt chunk by chunk, times ``dy``.

    ::

        dw[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw]
        as matrices:  dw_mat = sum over chunks of cols.T @ dy_rows
                      (KH*KW*C, n*OH*OW) @ (n*OH*OW, F)

    Parameters
    ----------
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : int or (KH, KW)

    Returns
    -------
    dw : (F, C, KH, KW)
    """
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
            # EXERCISE conv2d_im2col: add this chunk's cols.T @ dy_rows to dw_mat
            np.matmul(cols[:m].reshape(m * P, K).T, dy_rows[:m].reshape(m * P, F), out=part)
            dw_mat += part
            # END EXERCISE
        return dw_mat

    per_image = ((pt + H + pb) * (pl + W + pr) * C + P * K + P * F) * dtype.itemsize
    dw_mat = sum(_for_each_chunk(work, N, per_image), np.zeros((K, F), dtype))
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))


# --------------------------------------------------------------------------------------------
# Transposed convolution = the adjoint of convolution
# --------------------------------------------------------------------------------------------

def conv_transpose2d_output_shape(x_shape: tuple, w_shape: tuple, stride=1, padding=0,
                                  dilation=1, output_padding=0) -> tuple:
    """``(N, C_out, OH, OW)`` of a transposed convolution of ``x: (N, C_in, H, W)`` with
    ``w: (C_in, C_out, KH, KW)``: ``OH = (H-1)*sh - pt - pb + dh*(KH-1) + oph + 1``."""
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = as_pair(stride), as_pair(dilation), as_padding(padding)
    oph, opw = as_pair(output_padding, "output_padding", 0)
    return (x_shape[0], w_shape[1],
            conv_transpose_output_size(x_shape[2], w_shape[2], sh, pt + pb, dh, oph),
            conv_transpose_output_size(x_shape[3], w_shape[3], sw, pl + pr, dw, opw))


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, stride=1, padding=0, dilation=1,
                             output_padding=0) -> np.ndarray:
    """Transposed convolution: the input gradient of ``conv2d`` applied to ``x``.

    ::

        y = conv2d_input_grad(x, w, y_shape)   i.e.
        yp[n, c, i*sh + p*dh, j*sw + q*dw] += x[n, f, i, j] * w[f, c, p, q]

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_in, C_out, KH, KW)   (PyTorch's ``ConvTranspose2d`` layout: the convolution it is the
        adjoint of maps ``C_out`` channels to ``C_in``)
    output_padding : int or pair, each ``< stride``: extra rows/columns at the bottom/right

    Returns
    -------
    y : (N, C_out, OH, OW), ``OH = (H-1)*sh - pt - pb + dh*(KH-1) + output_padding + 1``
    """
    y_shape = conv_transpose2d_output_shape(x.shape, w.shape, stride, padding, dilation,
                                            output_padding)
    return conv2d_input_grad(x, w, y_shape, stride, padding, dilation)


def conv_transpose2d_input_grad(dy: np.ndarray, w: np.ndarray, stride=1, padding=0,
                                dilation=1) -> np.ndarray:
    """Input gradient of the transposed convolution: a plain convolution of ``dy``.

    ``dy: (N, C_out, OH, OW)``, ``w: (C_in, C_out, KH, KW)`` -> ``dx: (N, C_in, H, W)``.
    """
    return conv2d_forward(dy, w, stride, padding, dilation)


def conv_transpose2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1,
                                 padding=0, dilation=1) -> np.ndarray:
    """Weight gradient of the transposed convolution: ``conv2d_weight_grad`` with the roles of
    input and output swapped (``dy`` is the convolution's input, ``x`` its output gradient).

    ``x: (N, C_in, H, W)``, ``dy: (N, C_out, OH, OW)`` -> ``dw: (C_in, C_out, KH, KW)``.
    """
    return conv2d_weight_grad(dy, x, kernel_size, stride, padding, dilation)
