"""The definitions, in plain loops: read this file first.

Every fast kernel in ``minae.kernels`` (and the upsampling in ``minae.layers.upsample``) computes
exactly what one of these functions computes; the tests check that they agree to 1e-10 in
float64. These loops are slow on purpose: each line is one term of the formula in its docstring.

Symbols (the same in every docstring and in the code)
-----------------------------------------------------
``x: (N, C, H, W)`` input, ``w: (F, C, KH, KW)`` convolution weights (PyTorch's layout),
``y: (N, F, OH, OW)`` output; ``n`` batch index, ``c`` input channel, ``f`` output channel,
``i, j`` output row and column, ``p, q`` kernel row and column (the *tap*);
``stride = (sh, sw)``, ``dilation = (dh, dw)``, ``padding = (pt, pb, pl, pr)``;
``xp`` is ``x`` with ``pt`` zero rows on top, ``pb`` below, ``pl`` zero columns on the left and
``pr`` on the right. See ``minae.kernels.geometry`` for the output sizes.

How the two gradients follow from the forward sum
-------------------------------------------------
The forward pass is a sum of products ``xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]``.
In ``L``, the term's weight is ``dy[n, f, i, j] = dL/dy[n, f, i, j]``, so by the chain rule each
term sends ``dy[n, f, i, j] * w[f, c, p, q]`` to the gradient of the ``xp`` entry it read and
``dy[n, f, i, j] * xp[...]`` to the gradient of the ``w`` entry it read. The gradient loops below
are the forward loop with the one ``+=`` line replaced by those two.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import as_padding, as_pair, conv_output_size


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    """``x: (N, C, H, W)`` -> ``xp: (N, C, pt + H + pb, pl + W + pr)`` filled with ``value``."""
    pt, pb, pl, pr = as_padding(padding)
    N, C, H, W = x.shape
    xp = np.full((N, C, pt + H + pb, pl + W + pr), value, dtype=x.dtype)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


def _crop(xp: np.ndarray, padding, shape: tuple) -> np.ndarray:
    """Undo ``_pad``: the ``(N, C, H, W)`` interior of a padded array."""
    pt, _, pl, _ = as_padding(padding)
    return xp[:, :, pt:pt + shape[2], pl:pl + shape[3]]


# --------------------------------------------------------------------------------------------
# Convolution (cross-correlation, as in every deep-learning library)
# --------------------------------------------------------------------------------------------

def conv2d_reference(x: np.ndarray, w: np.ndarray, stride=1, padding=0,
                     dilation=1) -> np.ndarray:
    """2-D convolution, by its definition.

    ::

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

    Parameters
    ----------
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    stride, dilation : int or (int, int)
    padding : int, (ph, pw) or (pt, pb, pl, pr)

    Returns
    -------
    y : (N, F, OH, OW), ``OH = (H + pt + pb - dh*(KH-1) - 1) // sh + 1`` (and so for ``OW``).
    """
    (sh, sw), (dh, dw) = as_pair(stride), as_pair(dilation)
    pt, pb, pl, pr = as_padding(padding)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH = conv_output_size(H, KH, sh, pt + pb, dh)
    OW = conv_output_size(W, KW, sw, pl + pr, dw)
    xp = _pad(x, padding)
    y = np.zeros((N, F, OH, OW), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                total += xp[n, c, i * sh + p * dh, j * sw + q * dw] * w[f, c, p, q]
                    y[n, f, i, j] = total
    return y


def conv2d_input_grad_reference(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride=1,
                                padding=0, dilation=1) -> np.ndarray:
    """Gradient of ``conv2d_reference`` with respect to its input.

    ::

        dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * w[f, c, p, q]
            for every n, f, i, j, c, p, q;     dx = dxp without its padding

    Parameters
    ----------
    dy : (N, F, OH, OW), the gradient of the loss with respect to ``y``
    w : (F, C, KH, KW)
    x_shape : (N, C, H, W), the shape of the forward input (``H`` is not recoverable from
        ``OH`` when the stride does not divide evenly)

    Returns
    -------
    dx : (N, C, H, W)
    """
    (sh, sw), (dh, dw) = as_pair(stride), as_pair(dilation)
    N, F, OH, OW = dy.shape
    _, C, KH, KW = w.shape
    dxp = _pad(np.zeros(x_shape, dtype=np.result_type(dy, w)), padding)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                # EXERCISE conv2d_loops: add this term's share to dxp
                                dxp[n, c, i * sh + p * dh, j * sw + q * dw] += (
                                    dy[n, f, i, j] * w[f, c, p, q])
                                # END EXERCISE
    # EXERCISE conv2d_loops: return dx, which is dxp without its padding
    return _crop(dxp, padding, x_shape)
    # END EXERCISE


def conv2d_weight_grad_reference(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1,
                                 padding=0, dilation=1) -> np.ndarray:
    """Gradient of ``conv2d_reference`` with respect to the weights.

    ::

        dw[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw]

    Parameters
    ----------
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : int or (KH, KW)

    Returns
    -------
    dw : (F, C, KH, KW)
    """
    (sh, sw), (dh, dw_) = as_pair(stride), as_pair(dilation)
    KH, KW = as_pair(kernel_size)
    N, F, OH, OW = dy.shape
    C = x.shape[1]
    xp = _pad(x, padding)
    dw = np.zeros((F, C, KH, KW), dtype=np.result_type(x, dy))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                # EXERCISE conv2d_loops: add this term's share to dw
                                dw[f, c, p, q] += (
                                    dy[n, f, i, j] * xp[n, c, i * sh + p * dh, j * sw + q * dw_])
                                # END EXERCISE
    return dw


# --------------------------------------------------------------------------------------------
# Pooling: the same windows as a convolution (no dilation), one channel at a time
# --------------------------------------------------------------------------------------------

def max_pool2d_reference(x: np.ndarray, kernel_size, stride, padding=0) -> np.ndarray:
    """Max pooling; padded entries are ``-inf``, so they never win.

    ::

        y[n, c, i, j] = max_{p, q} xp[n, c, i*sh + p, j*sw + q]

    Shapes: ``x: (N, C, H, W) -> y: (N, C, OH, OW)``.
    """
    (KH, KW), (sh, sw) = as_pair(kernel_size), as_pair(stride)
    pt, pb, pl, pr = as_padding(padding)
    N, C, H, W = x.shape
    OH, OW = conv_output_size(H, KH, sh, pt + pb), conv_output_size(W, KW, sw, pl + pr)
    xp = _pad(x, padding, -np.inf)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    best = -np.inf
                    for p in range(KH):
                        for q in range(KW):
                            best = max(best, xp[n, c, i * sh + p, j * sw + q])
                    y[n, c, i, j] = best
    return y


def max_pool2d_backward_reference(dy: np.ndarray, x: np.ndarray, kernel_size, stride,
                                  padding=0) -> np.ndarray:
    """Gradient of max pooling: each window's ``dy`` goes to its *first* maximum.

    ::

        (p*, q*) = the first (p, q), in row-major order, where xp[n, c, i*sh + p, j*sw + q] is
                   the window's maximum y[n, c, i, j]
        dxp[n, c, i*sh + p*, j*sw + q*] += dy[n, c, i, j]

    (``+=``: when windows overlap, one input can be the maximum of several.)
    Shapes: ``dy: (N, C, OH, OW)``, ``x: (N, C, H, W) -> dx: (N, C, H, W)``.
    """
    (KH, KW), (sh, sw) = as_pair(kernel_size), as_pair(stride)
    N, C, OH, OW = dy.shape
    xp = _pad(x, padding, -np.inf)
    dxp = np.zeros(xp.shape, dtype=np.result_type(dy, x))
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    best, where = -np.inf, None
                    for p in range(KH):
                        for q in range(KW):
                            v = xp[n, c, i * sh + p, j * sw + q]
                            if where is None or v > best:  # strict: ties keep the first
                                best, where = v, (i * sh + p, j * sw + q)
                    dxp[n, c, where[0], where[1]] += dy[n, c, i, j]
    return _crop(dxp, padding, x.shape)


def _window_count(i: int, j: int, kernel, stride, padding, shape, include_pad: bool) -> int:
    """How many entries the average of window ``(i, j)`` divides by."""
    (KH, KW), (sh, sw) = kernel, stride
    if include_pad:
        return KH * KW
    pt, _, pl, _ = padding
    H, W = shape
    count = 0
    for p in range(KH):
        for q in range(KW):
            r, s = i * sh + p - pt, j * sw + q - pl  # position in the unpadded image
            count += (0 <= r < H) and (0 <= s < W)
    return count


def avg_pool2d_reference(x: np.ndarray, kernel_size, stride, padding=0,
                         count_include_pad: bool = True) -> np.ndarray:
    """Average pooling over zero-padded windows.

    ::

        y[n, c, i, j] = sum_{p, q} xp[n, c, i*sh + p, j*sw + q] / count[i, j]

    ``count[i, j] = KH * KW`` if ``count_include_pad`` (PyTorch's default: padded zeros count),
    else the number of window entries inside the image (Keras's ``"same"``).
    Shapes: ``x: (N, C, H, W) -> y: (N, C, OH, OW)``.
    """
    kernel, strides, pads = as_pair(kernel_size), as_pair(stride), as_padding(padding)
    (KH, KW), (sh, sw), (pt, pb, pl, pr) = kernel, strides, pads
    N, C, H, W = x.shape
    OH, OW = conv_output_size(H, KH, sh, pt + pb), conv_output_size(W, KW, sw, pl + pr)
    xp = _pad(x, padding)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for p in range(KH):
                        for q in range(KW):
                            total += xp[n, c, i * sh + p, j * sw + q]
                    count = _window_count(i, j, kernel, strides, pads, (H, W), count_include_pad)
                    y[n, c, i, j] = total / count
    return y


def avg_pool2d_backward_reference(dy: np.ndarray, x_shape: tuple, kernel_size, stride,
                                  padding=0, count_include_pad: bool = True) -> np.ndarray:
    """Gradient of average pooling: each window shares its ``dy`` equally among its entries.

    ::

        dxp[n, c, i*sh + p, j*sw + q] += dy[n, c, i, j] / count[i, j]     for every p, q

    Shapes: ``dy: (N, C, OH, OW) -> dx: x_shape = (N, C, H, W)``.
    """
    kernel, strides, pads = as_pair(kernel_size), as_pair(stride), as_padding(padding)
    (KH, KW), (sh, sw) = kernel, strides
    N, C, OH, OW = dy.shape
    dxp = _pad(np.zeros(x_shape, dtype=dy.dtype), padding)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    count = _window_count(i, j, kernel, strides, pads, x_shape[2:],
                                          count_include_pad)
                    for p in range(KH):
                        for q in range(KW):
                            dxp[n, c, i * sh + p, j * sw + q] += dy[n, c, i, j] / count
    return _crop(dxp, padding, x_shape)


# --------------------------------------------------------------------------------------------
# Upsampling by an integer factor s = (sh, sw)
# --------------------------------------------------------------------------------------------

def upsample_nearest_reference(x: np.ndarray, scale) -> np.ndarray:
    """Nearest-neighbour upsampling: ``y[n, c, i, j] = x[n, c, i // sh, j // sw]``.

    Shapes: ``x: (N, C, H, W) -> y: (N, C, H*sh, W*sw)``.
    """
    sh, sw = as_pair(scale)
    N, C, H, W = x.shape
    y = np.empty((N, C, H * sh, W * sw), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H * sh):
                for j in range(W * sw):
                    y[n, c, i, j] = x[n, c, i // sh, j // sw]
    return y


def upsample_nearest_backward_reference(dy: np.ndarray, scale) -> np.ndarray:
    """``dx[n, c, i // sh, j // sw] += dy[n, c, i, j]``: each input sums its ``sh x sw`` block."""
    sh, sw = as_pair(scale)
    N, C, OH, OW = dy.shape
    dx = np.zeros((N, C, OH // sh, OW // sw), dtype=dy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    dx[n, c, i // sh, j // sw] += dy[n, c, i, j]
    return dx


def bilinear_source(i: int, scale: int, size: int) -> tuple[int, int, float]:
    """Where output row ``i`` reads from, with ``align_corners=False`` (PyTorch's default).

    Pixel centres line up: output ``i`` sits at input coordinate ``src = (i + 0.5) / s - 0.5``,
    clamped below at 0. It blends rows ``i0 = floor(src)`` and ``i1 = min(i0 + 1, size - 1)``
    with weights ``1 - t`` and ``t``, where ``t = src - i0``.
    """
    src = max((i + 0.5) / scale - 0.5, 0.0)
    i0 = int(np.floor(src))
    i1 = min(i0 + 1, size - 1)
    return i0, i1, src - i0


def upsample_bilinear_reference(x: np.ndarray, scale) -> np.ndarray:
    """Bilinear upsampling (``align_corners=False``)::

        y[n, c, i, j] = (1-a)(1-b) x[i0, j0] + (1-a) b x[i0, j1] + a (1-b) x[i1, j0] + a b x[i1, j1]

    with ``(i0, i1, a) = bilinear_source(i, sh, H)`` and ``(j0, j1, b) = bilinear_source(j, sw, W)``
    (``n, c`` omitted on the right). Shapes: ``x: (N, C, H, W) -> y: (N, C, H*sh, W*sw)``.
    """
    sh, sw = as_pair(scale)
    N, C, H, W = x.shape
    y = np.empty((N, C, H * sh, W * sw), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H * sh):
                i0, i1, a = bilinear_source(i, sh, H)
                for j in range(W * sw):
                    j0, j1, b = bilinear_source(j, sw, W)
                    y[n, c, i, j] = ((1 - a) * (1 - b) * x[n, c, i0, j0]
                                     + (1 - a) * b * x[n, c, i0, j1]
                                     + a * (1 - b) * x[n, c, i1, j0]
                                     + a * b * x[n, c, i1, j1])
    return y


def upsample_bilinear_backward_reference(dy: np.ndarray, scale) -> np.ndarray:
    """Gradient of bilinear upsampling: each output sends ``dy`` back to its four sources,
    with the same four weights (the transpose of the interpolation)."""
    sh, sw = as_pair(scale)
    N, C, OH, OW = dy.shape
    H, W = OH // sh, OW // sw
    dx = np.zeros((N, C, H, W), dtype=dy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                i0, i1, a = bilinear_source(i, sh, H)
                for j in range(OW):
                    j0, j1, b = bilinear_source(j, sw, W)
                    g = dy[n, c, i, j]
                    dx[n, c, i0, j0] += (1 - a) * (1 - b) * g
                    dx[n, c, i0, j1] += (1 - a) * b * g
                    dx[n, c, i1, j0] += a * (1 - b) * g
                    dx[n, c, i1, j1] += a * b * g
    return dx
