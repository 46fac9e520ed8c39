"""Fast 2-D convolution: forward, input gradient, weight gradient, and the transposed convolution.

Each pass is im2col (or col2im) plus one matrix product, done a few images at a time:

=================  ===============================================  =========================
pass               matrix product (per chunk of images)             then
=================  ===============================================  =========================
forward            ``y_rows = cols @ w_mat``                        rows -> ``(N, F, OH, OW)``
                   ``(n*OH*OW, K) @ (K, F)``
input gradient     ``dcols[p, q] = dy_rows @ w[:, :, p, q]``        col2im (one ``+=`` per tap)
                   ``(n*OH*OW, F) @ (F, C)``, all taps in one call
weight gradient    ``dw_mat += cols.T @ dy_rows``                   ``(K, F)`` -> ``(F, C, KH, KW)``
                   ``(K, n*OH*OW) @ (n*OH*OW, F)``
=================  ===============================================  =========================

with ``K = KH * KW * C``, ``cols`` the column matrix of ``minae.kernels.im2col`` (rows ordered
``(p, q, c)``, channels last) and ``dy_rows[(n, i, j), f] = dy[n, f, i, j]``.

Where the time goes, and what was done about it
-----------------------------------------------
Measured on the benchmark's layers (``python benchmarks/conv.py``), a textbook im2col (whole
batch, NCHW rows, one product) spends more time copying than multiplying. Four changes, each
kept because it measured faster:

1. **Channels-last rows** (see ``minae.kernels.im2col``): the copies move runs of ``KW * C``
   floats instead of single floats.
2. **A few images at a time** (``CHUNK_BYTES`` of buffers per chunk). For a batch of 128
   28x28 images and a 3x3 kernel over 16 channels the column matrix is 58 MB; built whole it
   goes to main memory and back, so the copy *and* the product run at memory speed. Built a
   chunk at a time, the product reads it from cache, and the same small buffers serve every
   chunk: the full column matrix never exists, and a pass needs a few MB of scratch whatever
   the batch size. The weight gradient rebuilds the columns from ``x`` rather than keeping
   58 MB alive from the forward pass: one in-cache copy instead of a large stored array.
3. **Long runs in col2im**: with stride 1, the input gradient computes its columns on rows as
   wide as the padded image, so that ``col2im_wide`` adds each tap's block to a whole image as
   one run instead of row by row (448 floats a row at 28x28x16); that halves col2im's time.
   It costs ``Wp / OW - 1`` more multiplications, so it is used when that is at most
   ``WIDE_ROWS_WASTE`` (not for 7x7 outputs, where it would cost 29% more).
4. **Scratch buffers kept between calls** (``scratch``). A fresh 4 MB buffer is mapped by the
   operating system page by page on first write: about 1000 page faults, measured at ~3 ms per
   pass here, as long as the copies themselves. So each thread keeps its few scratch buffers
   (about ``CHUNK_BYTES`` in all) and reuses them; only the returned array is new.

Tried and *not* kept: two worker threads, each taking half the images with single-threaded
BLAS (NumPy releases the GIL in copies and products). Run alone, that is up to twice as fast on
some layers; but it needs ``threadpoolctl`` to limit BLAS, and inside a real program, where
other products have just run with BLAS's own threads (which keep spinning for a while after
each call), three busy threads share two cores and it lost as often as it won. One thread of
copies plus BLAS's threads for the products is the robust choice; the benchmark has the
numbers (column "2 threads").

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

import math
import threading

import numpy as np

from minae.kernels.geometry import (
    as_padding,
    as_pair,
    conv_transpose_output_size,
    effective_size,
)
from minae.kernels.im2col import col2im, col2im_wide, im2col, output_shape, pad_channels_last

CHUNK_BYTES = 2 ** 22  # scratch buffers per chunk of images (4 MiB: measured best of 1-8 MiB)
WIDE_ROWS_WASTE = 0.2  # col2im_wide when it adds at most 20% to the input gradient's product


_scratch = threading.local()  # each thread's reusable buffers: {name: 1-D uint8 array}


def scratch(name: str, shape: tuple, dtype, zero: bool = False) -> np.ndarray:
    """A scratch array of ``shape`` and ``dtype``, reused from call to call (per thread).

    The memory is the same on every call with the same ``name``, growing when a larger one is
    asked for, so a pass pays no page faults for its buffers once it has run. Its contents are
    whatever the last user left, unless ``zero``.
    """
    store = _scratch.__dict__.setdefault("buffers", {})
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buf = store.get(name)
    if buf is None or buf.nbytes < nbytes:
        buf = store[name] = np.empty(nbytes, dtype=np.uint8)
    out = buf[:nbytes].view(dtype).reshape(shape)
    if zero:
        out[...] = 0
    return out


def scratch_bytes() -> int:
    """Bytes of scratch this thread holds (what ``scratch`` keeps between calls)."""
    return sum(b.nbytes for b in _scratch.__dict__.get("buffers", {}).values())


def release_scratch() -> None:
    """Let go of this thread's scratch buffers (the next pass allocates them again)."""
    _scratch.__dict__.pop("buffers", None)


def _chunks(N: int, bytes_per_image: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges covering images ``0 .. N-1``, about ``CHUNK_BYTES`` each."""
    n = max(1, min(N, CHUNK_BYTES // max(1, bytes_per_image)))
    return [(a, min(a + n, N)) for a in range(0, N, n)]


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
    """``dx = dL/dx`` of ``y = conv2d(x, w)``: a matrix product per chunk, then col2im.

    ::

        dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * w[f, c, p, q]
        as matrices, one block per tap:  dcols[p, q] = dy_rows @ w[:, :, p, q]
                                         (n*OH*OW, F) @ (F, C), all KH*KW taps in one matmul call
        then dx = col2im(dcols) without its padding

    With stride 1 (and outputs not too narrow, see ``WIDE_ROWS_WASTE``) the rows of
    ``dy_rows`` get zero columns up to the padded width ``Wp``, so that ``col2im_wide`` can add
    whole images at a time; otherwise ``col2im`` adds row by row.

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
        # EXERCISE conv2d_im2col: taps = dy_rows @ w_taps; col2im; crop into dx[a:b]
        np.matmul(dy_rows[:m].reshape(m * P, F), w_taps, out=taps)
        add_back(taps.reshape(KH, KW, m, OH, RW, C), (m, Hp, Wp, C), stride, dilation,
                 out=dxp[:m])
        dx[a:b] = dxp[:m, pt:pt + H, pl:pl + W, :].transpose(0, 3, 1, 2)
        # END EXERCISE
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
        # EXERCISE conv2d_im2col: add this chunk's cols.T @ dy_rows to dw_mat
        np.matmul(cols[:m].reshape(m * P, K).T, dy_rows[:m].reshape(m * P, F), out=part)
        dw_mat += part
        # END EXERCISE
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
