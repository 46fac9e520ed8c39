"""The flat road: stride-1 convolution on flat, channels-first images, one long copy per tap.

The chunked road (``minae.engine.chunked``) moves images to channels-last so that a row of
its column matrix is a few runs of ``KW * C`` floats. With few channels those runs are short
(3 floats for the lesson's first layer, ``C = 1``), and the transposes in and out cost as much
as the rest. With
stride 1 there is a layout where every copy is one long run, whatever ``C``.

Flat images
-----------
Read each zero-padded image ``xp[n, c]`` (``Hp x Wp``) as one flat row of ``Hp * Wp`` pixels.
Output pixel ``(i, j)`` of tap ``(p, q)`` reads flat pixel ``(i + p*dh) * Wp + (j + q*dw)``,
that is ``r + s`` with ``r = i * Wp + j`` and the tap's offset ``s = p*dh*Wp + q*dw``. So if
the output is computed on rows as wide as the padded image (``Wp`` columns, of which the last
``Wp - OW`` are junk and get cropped), every tap's inputs for a whole image are one slice::

    cols[n, c, p, q, r] = xp_flat[n, c, r + s]                  r = 0 .. L-1
    y_wide[n]           = w_mat @ cols[n]      (F, C*KH*KW) @ (C*KH*KW, OH*Wp)
    y[n, f, i, j]       = y_wide[n, f, i*Wp + j]                 for j < OW

with ``L = (OH - 1) * Wp + OW`` (from the first output pixel to the last) and
``w_mat = w.reshape(F, C*KH*KW)``, rows ordered ``(c, p, q)`` as ``w`` already is. The junk
columns cost ``Wp / OW - 1`` more work (7% at 28x28 with a 3x3 kernel).

The weight gradient needs no copy at all. With ``dy_wide`` the output gradient on the same
wide rows, zero in the junk columns::

    dw[f, c, p, q] = sum_n sum_r dy_wide[n, f, r] * xp_flat[n, c, r + s]
                   = sum_n (dy_wide[n, :, :L] @ xp_flat[n, :, s:s+L].T)[f, c]

one batched product per tap, reading the slice of ``xp_flat`` where it lies.

The input gradient is a stride-1 convolution of ``dy`` with the flipped kernel
(``minae.kernels.flip``), so it is ``forward`` again.

When this is faster (``minae.engine.choose`` decides): for few channels. Each image's product
``(F, K) @ (K, L)`` is small, and BLAS is at its best on one big product, which the chunked
road makes; with 32 channels and more that wins.

Arguments are normalised and consistent (the layer checked them); nothing here re-checks.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.im2col import output_shape


def _flat_geometry(x_shape, w_shape, padding, dilation):
    """``(y_shape, Hp, Wp, L, offsets)``: the output shape, the padded size, the run length
    ``L`` and each tap's ``(p, q, s)``, ``s`` its offset in a flat padded image."""
    y_shape = output_shape(x_shape, w_shape, (1, 1), padding, dilation)
    (pt, pb, pl, pr), (dh, dw), (_, _, KH, KW), (_, _, OH, OW) = padding, dilation, w_shape, \
        y_shape
    Hp, Wp = x_shape[2] + pt + pb, x_shape[3] + pl + pr
    offsets = [(p, q, p * dh * Wp + q * dw) for p in range(KH) for q in range(KW)]
    return y_shape, Hp, Wp, (OH - 1) * Wp + OW, offsets


def _pad_into(xp: np.ndarray, x: np.ndarray, padding) -> None:
    """``xp[:, :, pt:pt+H, pl:pl+W] = x`` and zeros around it (only the border is written:
    ``xp`` is a reused buffer, and zeroing all of it first would write it twice)."""
    pt, pb, pl, pr = padding
    H, W = x.shape[2:]
    xp[:, :, :pt] = 0
    xp[:, :, pt + H:] = 0
    xp[:, :, pt:pt + H, :pl] = 0
    xp[:, :, pt:pt + H, pl + W:] = 0
    xp[:, :, pt:pt + H, pl:pl + W] = x


def forward(engine, x: np.ndarray, w: np.ndarray, padding, dilation,
            write=None) -> np.ndarray | None:
    """``y = conv2d(x, w)`` with stride 1, on flat images (see the module docstring).

    ::

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i + p*dh, j + q*dw] * w[f, c, p, q]

    Parameters
    ----------
    engine : FastEngine (its chunk size and scratch buffers)
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    padding : (pt, pb, pl, pr)
    dilation : (dh, dw)

    write : optional ``write(a, b, y_chunk)``, called with each chunk's result (a view into
        scratch, ``(b - a, F, OH, OW)``, valid during the call) instead of copying it into a
        new ``y`` (``minae.engine.epilogue``: bias, ReLU and pooling fused into that copy)

    Returns
    -------
    y : (N, F, OH, OW), ``OH = H + pt + pb - dh*(KH-1)`` (and so ``OW``); None with ``write``
    """
    (N, F, OH, OW), Hp, Wp, L, offsets = _flat_geometry(x.shape, w.shape, padding, dilation)
    _, C, KH, KW = w.shape
    dtype = np.result_type(x, w)
    K = C * KH * KW
    w_mat = w.reshape(F, K).astype(dtype, copy=False)  # rows (c, p, q), as w is stored
    chunks = engine.chunks(N, (C * Hp * Wp + K * OH * Wp + F * OH * Wp) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = engine.scratch.get("xp", (n, C, Hp, Wp), dtype)
    xp_flat = xp.reshape(n, C, Hp * Wp)
    cols = engine.scratch.get("cols", (n, C, KH, KW, OH * Wp), dtype)
    cols[..., L:] = 0  # the tail of the last row: junk columns, kept finite
    y_wide = engine.scratch.get("rows", (n, F, OH * Wp), dtype)
    y = None if write else np.empty((N, F, OH, OW), dtype=dtype)
    for a, b in chunks:
        m = b - a
        _pad_into(xp[:m], x[a:b], padding)
        for p, q, s in offsets:
            cols[:m, :, p, q, :L] = xp_flat[:m, :, s:s + L]
        np.matmul(w_mat, cols[:m].reshape(m, K, OH * Wp), out=y_wide[:m])
        if write:
            write(a, b, y_wide[:m].reshape(m, F, OH, Wp)[:, :, :, :OW])
        else:
            y[a:b] = y_wide[:m].reshape(m, F, OH, Wp)[:, :, :, :OW]
    return y


def weight_grad(engine, x: np.ndarray, dy: np.ndarray, kernel_size, padding,
                dilation) -> np.ndarray:
    """``dw = dL/dw`` of a stride-1 ``y = conv2d(x, w)``: one batched product per tap, no copy.

    ::

        dw[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i + p*dh, j + q*dw]

    Parameters
    ----------
    engine : FastEngine
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : (KH, KW)

    Returns
    -------
    dw : (F, C, KH, KW)
    """
    (KH, KW), (N, C), F = kernel_size, x.shape[:2], dy.shape[1]
    y_shape, Hp, Wp, L, offsets = _flat_geometry(x.shape, (F, C, KH, KW), padding, dilation)
    OH, OW = y_shape[2:]
    dtype = np.result_type(x, dy)
    chunks = engine.chunks(N, (C * Hp * Wp + F * OH * Wp) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = engine.scratch.get("xp", (n, C, Hp, Wp), dtype)
    xp_flat = xp.reshape(n, C, Hp * Wp)
    dy_wide = engine.scratch.get("rows", (n, F, OH, Wp), dtype)
    dy_wide[:, :, :, OW:] = 0  # the junk columns add nothing
    dy_flat = dy_wide.reshape(n, F, OH * Wp)
    part = engine.scratch.get("cols", (n, F, C), dtype)
    dw = np.zeros((F, C, KH, KW), dtype=dtype)
    for a, b in chunks:
        m = b - a
        _pad_into(xp[:m], x[a:b], padding)
        dy_wide[:m, :, :, :OW] = dy[a:b]
        for p, q, s in offsets:
            # (m, F, L) @ (m, L, C): the transpose is a view, read by BLAS in place
            np.matmul(dy_flat[:m, :, :L], xp_flat[:m, :, s:s + L].transpose(0, 2, 1),
                      out=part[:m])
            dw[:, :, p, q] += part[:m].sum(axis=0)
    return dw
