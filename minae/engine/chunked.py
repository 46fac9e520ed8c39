"""The channels-last chunked road: im2col a few images at a time, into reused buffers.

The same three passes as the taught ``minae.kernels.conv`` (im2col or col2im plus a matrix
product), computing the same sums (``tests/test_engine_roads.py`` checks them against the
loops of ``minae.kernels.reference``). Measured on the benchmark's layers
(``python benchmarks/conv.py``), the taught whole-batch version spends more time copying than
multiplying. Three changes, each kept because it measured faster:

1. **A few images at a time** (``engine.chunk_bytes`` of buffers per chunk). For a batch of
   128 28x28 images and a 3x3 kernel over 16 channels the column matrix is 58 MB; built whole
   it goes to main memory and back, so the copy *and* the product run at memory speed. Built a
   chunk at a time, the product reads it from cache, and the same small buffers serve every
   chunk: the full column matrix never exists, and a pass needs a few MB of scratch whatever
   the batch size. The weight gradient rebuilds the columns from ``x`` rather than keeping
   58 MB alive from the forward pass: one in-cache copy instead of a large stored array.
2. **Scratch buffers kept between calls** (``minae.engine.scratch``): no page faults once a
   pass has run.
3. **Flat rows in col2im**: with stride 1, the input gradient computes its columns on rows as
   wide as the padded image, so that ``col2im_flat`` adds each tap's block to a whole image as
   one run instead of row by row (448 floats a row at 28x28x16); that halves col2im's time.
   It costs ``Wp / OW - 1`` more multiplications, so it is used when that is at most
   ``engine.flat_rows_waste`` (not for 7x7 outputs, where it would cost 29% more).

Tried and *not* kept: two worker threads per pass, each taking half the images with
single-threaded BLAS. Run alone that is up to twice as fast on some layers; inside a real
program, where BLAS's own threads keep spinning for a while after each product, three busy
threads share two cores and it lost as often as it won. ``SplitBatch``
(``minae.engine.parallel``) splits whole batches instead.

Arguments are normalised and consistent (the layer checked them); nothing here re-checks.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.im2col import col2im, im2col, output_shape, pad_channels_last


def col2im_flat(dcols: np.ndarray, padded_shape: tuple[int, int, int, int],
                dilation: tuple[int, int], out: np.ndarray) -> np.ndarray:
    """``col2im`` for stride 1, on column rows as wide as the padded image: whole-image ``+=``.

    ``col2im`` adds each tap's block one output row at a time: for a 28-pixel-wide output with
    16 channels that is a run of only 448 floats, and NumPy's cost per run makes that ``+=``
    about 2.3 times slower than one long run. So here every row of ``dcols`` is as wide as the
    *padded* image (``Wp`` columns instead of ``OW``; the extra ones are zero). Read each padded
    image as one flat run of ``Hp * Wp`` pixels: with stride 1, output pixel ``(i, j)`` of tap
    ``(p, q)`` lands on flat pixel ``(i + p*dh) * Wp + (j + q*dw)``, so the tap's whole block,
    read in order, lands on *consecutive* pixels::

        dxp_flat[n, p*dh*Wp + q*dw + (i*Wp + j), c] += dcols[p, q, n, i, j, c]
            for i*Wp + j = 0 .. L - 1,   L = (OH - 1) * Wp + OW

    The zero columns ``j >= OW`` fall on the next row's left padding and add nothing.

    Parameters
    ----------
    dcols : (KH, KW, N, OH, Wp, C), zero in columns ``OW .. Wp - 1``
    padded_shape : (N, Hp, Wp, C)
    dilation : (dh, dw)
    out : (N, Hp, Wp, C), C-contiguous; overwritten (zeroed first).

    Returns
    -------
    dxp : (N, Hp, Wp, C)
    """
    KH, KW, N, OH, Wp, C = dcols.shape
    Hp, (dh, dw) = padded_shape[1], dilation
    OW = Wp - (KW - 1) * dw
    L = (OH - 1) * Wp + OW  # flat pixels from the first output pixel to the last
    out[...] = 0
    flat = out.reshape(N, Hp * Wp, C)  # a view, since out is contiguous
    for p in range(KH):
        for q in range(KW):
            start = p * dh * Wp + q * dw
            flat[:, start:start + L] += dcols[p, q].reshape(N, OH * Wp, C)[:, :L]
    return out


def forward(engine, x: np.ndarray, w: np.ndarray, stride, padding, dilation,
            write=None) -> np.ndarray | None:
    """``y = conv2d(x, w)``, one chunk of images at a time (``minae.kernels.conv``'s math).

    Shapes: ``x: (N, C, H, W)``, ``w: (F, C, KH, KW)`` -> ``y: (N, F, OH, OW)``. With
    ``write``, each chunk's result goes to ``write(a, b, y_chunk)`` instead (see
    ``minae.engine.flat.forward``) and None is returned.
    """
    (N, F, OH, OW) = output_shape(x.shape, w.shape, stride, padding, dilation)
    (pt, pb, pl, pr), (_, C, H, W), (_, _, KH, KW) = padding, x.shape, w.shape
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(x, w)
    P, K = OH * OW, KH * KW * C
    w_mat = w.transpose(2, 3, 1, 0).reshape(K, F).astype(dtype, copy=False)  # rows (p, q, c)
    y = None if write else np.empty((N, F, OH, OW), dtype=dtype)
    chunks = engine.chunks(N, (Hp * Wp * C + P * K + P * F) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = engine.scratch.get("xp", (n, Hp, Wp, C), dtype, zero=True)  # border never written
    cols = engine.scratch.get("cols", (n, OH, OW, KH, KW, C), dtype)
    rows = engine.scratch.get("rows", (n * P, F), dtype)
    for a, b in chunks:
        m = b - a
        pad_channels_last(x[a:b], padding, out=xp[:m])
        im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
        np.matmul(cols[:m].reshape(m * P, K), w_mat, out=rows[:m * P])
        if write:
            write(a, b, rows[:m * P].reshape(m, OH, OW, F).transpose(0, 3, 1, 2))
        else:
            y[a:b] = rows[:m * P].reshape(m, OH, OW, F).transpose(0, 3, 1, 2)
    return y


def input_grad(engine, dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride, padding,
               dilation, write=None) -> np.ndarray | None:
    """``dx = dL/dx``: one product per chunk (all taps), then col2im or ``col2im_flat``.

    Shapes: ``dy: (N, F, OH, OW)``, ``w: (F, C, KH, KW)`` -> ``dx: x_shape = (N, C, H, W)``.
    With ``write``, each chunk's result goes to ``write(a, b, dx_chunk)`` instead (the
    flipped road of a forward pass, ``minae.engine.choose``) and None is returned.
    """
    (pt, pb, pl, pr), (N, C, H, W), (F, _, KH, KW) = padding, x_shape, w.shape
    OH, OW = dy.shape[2:]
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(dy, w)
    flat = tuple(stride) == (1, 1) and Wp - OW <= engine.flat_rows_waste * OW
    RW = Wp if flat else OW  # the width of the rows fed to the product
    T, P = KH * KW, OH * RW
    w_taps = w.transpose(2, 3, 0, 1).reshape(T, F, C).astype(dtype, copy=False)
    dx = None if write else np.empty(x_shape, dtype=dtype)
    chunks = engine.chunks(N, (P * F + T * P * C + Hp * Wp * C) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    dy_rows = engine.scratch.get("rows", (n, OH, RW, F), dtype, zero=True)  # OW.. stay zero
    dcols = engine.scratch.get("cols", (T * n * P * C,), dtype)
    dxp = engine.scratch.get("xp", (n, Hp, Wp, C), dtype)
    for a, b in chunks:
        m = b - a
        dy_rows[:m, :, :OW] = dy[a:b].transpose(0, 2, 3, 1)
        taps = dcols[:T * m * P * C].reshape(T, m * P, C)
        np.matmul(dy_rows[:m].reshape(m * P, F), w_taps, out=taps)
        blocks = taps.reshape(KH, KW, m, OH, RW, C)
        if flat:
            col2im_flat(blocks, (m, Hp, Wp, C), dilation, out=dxp[:m])
        else:
            col2im(blocks, (m, Hp, Wp, C), stride, dilation, out=dxp[:m])
        if write:
            write(a, b, dxp[:m, pt:pt + H, pl:pl + W, :].transpose(0, 3, 1, 2))
        else:
            dx[a:b] = dxp[:m, pt:pt + H, pl:pl + W, :].transpose(0, 3, 1, 2)
    return dx


def weight_grad(engine, x: np.ndarray, dy: np.ndarray, kernel_size, stride, padding,
                dilation) -> np.ndarray:
    """``dw = dL/dw``: the columns, rebuilt chunk by chunk, times ``dy``.

    Shapes: ``x: (N, C, H, W)``, ``dy: (N, F, OH, OW)`` -> ``dw: (F, C, KH, KW)``.
    """
    (KH, KW), (N, F, OH, OW), C = kernel_size, dy.shape, x.shape[1]
    (pt, pb, pl, pr), (_, _, H, W) = padding, x.shape
    Hp, Wp = pt + H + pb, pl + W + pr
    dtype = np.result_type(x, dy)
    P, K = OH * OW, KH * KW * C
    chunks = engine.chunks(N, (Hp * Wp * C + P * K + P * F) * dtype.itemsize)
    n = max((b - a for a, b in chunks), default=0)
    xp = engine.scratch.get("xp", (n, Hp, Wp, C), dtype, zero=True)
    cols = engine.scratch.get("cols", (n, OH, OW, KH, KW, C), dtype)
    dy_rows = engine.scratch.get("rows", (n, OH, OW, F), dtype)
    dw_mat, part = np.zeros((K, F), dtype=dtype), np.empty((K, F), dtype=dtype)
    for a, b in chunks:
        m = b - a
        pad_channels_last(x[a:b], padding, out=xp[:m])
        im2col(xp[:m], (KH, KW), stride, dilation, out=cols[:m])
        np.copyto(dy_rows[:m], dy[a:b].transpose(0, 2, 3, 1))
        np.matmul(cols[:m].reshape(m * P, K).T, dy_rows[:m].reshape(m * P, F), out=part)
        dw_mat += part
    return np.ascontiguousarray(dw_mat.reshape(KH, KW, C, F).transpose(3, 2, 0, 1))
