"""The batch-flat road: a whole chunk of images as one long flat image, one product per chunk.

The flat road (``minae.engine.flat``) reads each padded image as one flat row, so that every
tap's inputs are one slice; but it still makes one matrix product *per image*
(``(F, K) @ (K, OH*Wp)``), and on the lesson's small layers (8 channels at 4x4, 7x7, 8x8) those
products are so small that calling them costs more than computing them. Put the images of a
chunk side by side instead, channels first across the batch, and the whole chunk is one flat
row per channel, and a pass is one product.

One flat row for a chunk
------------------------
Pad the ``m`` images of a chunk and lay them out as ``xp: (C, m, Hp, Wp)``, read as
``xp_flat: (C, m*Hp*Wp)``. Image ``n``'s pixel ``(i, j)`` is flat position
``P = n*Hp*Wp + i*Wp + j``; tap ``(p, q)`` of output pixel ``(n, i, j)`` reads position
``P + s``, ``s = p*dh*Wp + q*dw``, as in the flat road but now across the images::

    cols[(c, p, q), P] = xp_flat[c, P + s]                       P = 0 .. L - 1
    y_wide             = w_mat @ cols        (F, C*KH*KW) @ (C*KH*KW, m*Hp*Wp)
    y[n, f, i, j]      = y_wide[f, n*Hp*Wp + i*Wp + j]           for i < OH, j < OW

with ``L = (m-1)*Hp*Wp + (OH-1)*Wp + OW`` (the first output position to the last; the last
read, ``L - 1 + s_max``, is the chunk's last padded pixel, so no read runs past the buffer).
The positions with ``i >= OH`` or ``j >= OW`` are junk (they straddle two rows or two images),
computed and dropped: ``Hp*Wp / (OH*OW) - 1`` more multiplications (15% at 28x28, 125% at
4x4 with padding 1), bought back many times over by one product instead of ``m``.

The weight gradient is the same product turned around. With ``dy_wide: (F, m*Hp*Wp)`` the
output gradient at the valid positions and *zero* at the junk ones::

    dw_mat = dy_wide[:, :L] @ cols[:, :L].T          (F, L) @ (L, C*KH*KW)

summed over the chunks. The input gradient is a stride-1 convolution of ``dy`` with the
flipped kernel (``minae.kernels.flip``), so it is ``forward`` again.

Stride 1 only (a stride skips positions, and then a tap is no longer one slice). Scratch per
chunk: ``(C + C*KH*KW + F) * Hp*Wp`` floats per image, the chunk sized by
``engine.chunk_bytes``, so it is bounded whatever the batch size.

Arguments are normalised and consistent (the layer checked them); nothing here re-checks.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.im2col import output_shape


def _geometry(x_shape, w_shape, padding, dilation):
    """``(y_shape, Hp, Wp, taps)``: output shape, padded size, each tap's ``(p, q, s)``."""
    y_shape = output_shape(x_shape, w_shape, (1, 1), padding, dilation)
    (pt, pb, pl, pr), (dh, dw), (_, _, KH, KW) = padding, dilation, w_shape
    Hp, Wp = x_shape[2] + pt + pb, x_shape[3] + pl + pr
    taps = [(p, q, p * dh * Wp + q * dw) for p in range(KH) for q in range(KW)]
    return y_shape, Hp, Wp, taps


def _pad_into(xp: np.ndarray, x: np.ndarray, padding) -> None:
    """``xp[:, n, pt:pt+H, pl:pl+W] = x[n]`` (channels first across the chunk), zero border.

    ``xp: (C, m, Hp, Wp)``, ``x: (m, C, H, W)``. Only the border is zeroed: ``xp`` is a reused
    buffer, and zeroing it whole first would write it twice.
    """
    pt, pb, pl, pr = padding
    H, W = x.shape[2:]
    xp[:, :, :pt] = 0
    xp[:, :, pt + H:] = 0
    xp[:, :, pt:pt + H, :pl] = 0
    xp[:, :, pt:pt + H, pl + W:] = 0
    xp[:, :, pt:pt + H, pl:pl + W] = x.transpose(1, 0, 2, 3)


def _columns(cols: np.ndarray, xp_flat: np.ndarray, taps, L: int) -> None:
    """``cols[(c, p, q), :L] = xp_flat[c, s:s+L]``: one long copy per tap (all channels)."""
    C, KK = xp_flat.shape[0], len(taps)
    by_tap = cols.reshape(C, KK, -1)
    for t, (_, _, s) in enumerate(taps):
        by_tap[:, t, :L] = xp_flat[:, s:s + L]


def _buffers(engine, C: int, F: int, KK: int, Hp: int, Wp: int, N: int, dtype):
    """The chunks, and the scratch ``xp: (C, n, Hp, Wp)``, ``cols: (C*KK, n*Hp*Wp)``."""
    chunks = engine.chunks(N, (C + C * KK + F) * Hp * Wp * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = engine.scratch.get("xp", (C, n, Hp, Wp), dtype)
    cols = engine.scratch.get("cols", (C * KK, n * Hp * Wp), dtype)
    return chunks, xp, cols


def forward(engine, x: np.ndarray, w: np.ndarray, padding, dilation,
            write=None) -> np.ndarray | None:
    """``y = conv2d(x, w)`` with stride 1: one product per chunk (see the module docstring).

    ::

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i + p*dh, j + q*dw] * w[f, c, p, q]

    Parameters
    ----------
    engine : FastEngine (its chunk size and scratch buffers)
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    padding : (pt, pb, pl, pr)
    dilation : (dh, dw)

    write : optional ``write(a, b, y_chunk)`` instead of a new ``y`` (see
        ``minae.engine.flat.forward``)

    Returns
    -------
    y : (N, F, OH, OW), a new array (None with ``write``)
    """
    (N, F, OH, OW), Hp, Wp, taps = _geometry(x.shape, w.shape, padding, dilation)
    C = x.shape[1]
    dtype = np.result_type(x, w)
    w_mat = w.reshape(F, C * len(taps)).astype(dtype, copy=False)  # rows (c, p, q)
    chunks, xp, cols = _buffers(engine, C, F, len(taps), Hp, Wp, N, dtype)
    y_wide = engine.scratch.get("rows", (F, cols.shape[1]), dtype)
    y = None if write else np.empty((N, F, OH, OW), dtype=dtype)
    for a, b in chunks:
        m = b - a
        P, L = m * Hp * Wp, (m - 1) * Hp * Wp + (OH - 1) * Wp + OW
        _pad_into(xp[:, :m], x[a:b], padding)
        _columns(cols[:, :P], xp[:, :m].reshape(C, P), taps, L)
        cols[:, L:P] = 0  # the junk tail, kept finite
        np.matmul(w_mat, cols[:, :P], out=y_wide[:, :P])
        view = y_wide[:, :P].reshape(F, m, Hp, Wp)[:, :, :OH, :OW].transpose(1, 0, 2, 3)
        if write:
            write(a, b, view)
        else:
            y[a:b] = view
    return y


def weight_grad(engine, x: np.ndarray, dy: np.ndarray, kernel_size, padding,
                dilation) -> np.ndarray:
    """``dw = dL/dw`` of a stride-1 ``y = conv2d(x, w)``: one product per chunk.

    ::

        dw[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i + p*dh, j + q*dw]

    Parameters
    ----------
    engine : FastEngine
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : (KH, KW)
    padding, dilation : as for ``forward``

    Returns
    -------
    dw : (F, C, KH, KW)
    """
    (KH, KW), (N, C), F = kernel_size, x.shape[:2], dy.shape[1]
    (_, _, OH, OW), Hp, Wp, taps = _geometry(x.shape, (F, C, KH, KW), padding, dilation)
    dtype = np.result_type(x, dy)
    chunks, xp, cols = _buffers(engine, C, F, len(taps), Hp, Wp, N, dtype)
    dy_wide = engine.scratch.get("rows", (F, xp.shape[1], Hp, Wp), dtype)
    dy_wide[:, :, OH:] = 0  # junk positions add nothing
    dy_wide[:, :, :OH, OW:] = 0
    dw_mat = np.zeros((F, C * len(taps)), dtype=dtype)
    for a, b in chunks:
        m = b - a
        P, L = m * Hp * Wp, (m - 1) * Hp * Wp + (OH - 1) * Wp + OW
        _pad_into(xp[:, :m], x[a:b], padding)
        _columns(cols[:, :P], xp[:, :m].reshape(C, P), taps, L)
        dy_wide[:, :m, :OH, :OW] = dy[a:b].transpose(1, 0, 2, 3)
        dw_mat += dy_wide[:, :m].reshape(F, P)[:, :L] @ cols[:, :L].T
    return dw_mat.reshape(F, C, KH, KW)
