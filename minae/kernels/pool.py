"""Max and average pooling on ``(N, C, H, W)`` batches, by a loop over the window's taps.

A pooling window of ``KH x KW`` taps slides with stride ``(sh, sw)`` over the padded input, one
channel at a time. Tap ``(p, q)`` of every window at once is the strided slice::

    xp[:, :, p : p + sh*(OH-1) + 1 : sh, q : q + sw*(OW-1) + 1 : sw]      (N, C, OH, OW)

so the forward pass is ``KH * KW`` elementwise operations on whole slices (a max or a sum), and
the backward pass is ``KH * KW`` strided ``+=`` into the padded gradient: never a scatter with
``np.add.at``. (For the usual 2x2 window that is 4 slices.) The loop definitions these must
agree with are in ``minae.kernels.reference``.

Padding is ``(pt, pb, pl, pr)``; max pooling pads with ``-inf`` (a padded entry never wins),
average pooling with zeros, dividing either by ``KH * KW`` (``count_include_pad=True``) or by
the number of window entries inside the image (``False``).
"""

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import conv_output_size, window_slice


def _taps(kernel_size: tuple[int, int]):
    """``(t, p, q)`` for every tap, in row-major order (``t = p * KW + q``)."""
    KH, KW = kernel_size
    return [(p * KW + q, p, q) for p in range(KH) for q in range(KW)]


def _padded(x: np.ndarray, padding, value: float) -> np.ndarray:
    pt, pb, pl, pr = padding
    N, C, H, W = x.shape
    if not any(padding):
        return x
    xp = np.full((N, C, pt + H + pb, pl + W + pr), value, dtype=x.dtype)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


def pool_output_shape(x_shape: tuple, kernel_size, stride, padding) -> tuple:
    """``(N, C, OH, OW)`` with ``OH = (H + pt + pb - KH) // sh + 1`` (and so ``OW``)."""
    (KH, KW), (sh, sw), (pt, pb, pl, pr) = kernel_size, stride, padding
    N, C, H, W = x_shape
    return (N, C, conv_output_size(H, KH, sh, pt + pb), conv_output_size(W, KW, sw, pl + pr))


def max_pool2d_forward(x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                       padding: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling, and which tap won each window.

    ::

        y[n, c, i, j]      = max_{p, q} xp[n, c, i*sh + p, j*sw + q]          (xp padded with -inf)
        winner[n, c, i, j] = p* * KW + q*, the first tap (row-major) holding that max

    Taps are visited in row-major order and a later tap replaces the running max only if it is
    strictly larger, so ties go to the first maximum.

    Speed: each tap's strided slice is copied to a contiguous array first, and the winner is
    updated by arithmetic (``winner += larger * (t - winner)``) rather than by a mask
    (``winner[larger] = t`` or ``np.where``): on 128 x 16 x 28 x 28 that measured 12.8 ms with
    masks on the strided slices against about 3 ms this way.

    Returns
    -------
    y : (N, C, OH, OW)
    winner : (N, C, OH, OW), int16 tap indices (what the backward pass needs)
    """
    (sh, sw), (N, C, OH, OW) = stride, pool_output_shape(x.shape, kernel_size, stride, padding)
    xp = _padded(x, padding, -np.inf)
    y = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    winner = np.zeros((N, C, OH, OW), dtype=np.int16)
    for t, p, q in _taps(kernel_size):
        v = np.ascontiguousarray(xp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)])
        larger = v > y
        np.maximum(y, v, out=y)  # where larger, v; elsewhere y (equal values stay)
        winner += larger * np.int16(t) - larger * winner  # t where larger, else unchanged
    return y, winner


def max_pool2d_backward(dy: np.ndarray, winner: np.ndarray, x_shape: tuple,
                        kernel_size: tuple[int, int], stride: tuple[int, int],
                        padding: tuple[int, int, int, int]) -> np.ndarray:
    """Gradient of max pooling: each window's ``dy`` goes to the tap that won it.

    ::

        dxp[n, c, i*sh + p, j*sw + q] += dy[n, c, i, j] * (winner[n, c, i, j] == p * KW + q)

    ``+=`` because overlapping windows (stride < kernel) can share a winner.
    Shapes: ``dy, winner: (N, C, OH, OW) -> dx: x_shape``.
    """
    (sh, sw), (pt, pb, pl, pr), (N, C, H, W) = stride, padding, x_shape
    OH, OW = dy.shape[2:]
    dxp = np.zeros((N, C, pt + H + pb, pl + W + pr), dtype=dy.dtype)
    # EXERCISE maxpool2d: send each window's dy to its winning tap; return dx without padding
    for t, p, q in _taps(kernel_size):
        dxp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)] += dy * (winner == t)
    return dxp[:, :, pt:pt + H, pl:pl + W]
    # END EXERCISE


def window_counts(size: tuple[int, int], kernel_size: tuple[int, int], stride: tuple[int, int],
                  padding: tuple[int, int, int, int]) -> np.ndarray:
    """How many entries of each window lie inside the image: ``(OH, OW)`` float64.

    The same tap loop as the pooling itself, run on an image of ones padded with zeros.
    """
    ones = np.ones((1, 1) + tuple(size))
    (sh, sw), (_, _, OH, OW) = stride, pool_output_shape(ones.shape, kernel_size, stride,
                                                          padding)
    mask = _padded(ones, padding, 0.0)
    count = np.zeros((OH, OW))
    for _, p, q in _taps(kernel_size):
        count += mask[0, 0, window_slice(p, sh, OH), window_slice(q, sw, OW)]
    return count


def _divisor(x_shape, kernel_size, stride, padding, count_include_pad: bool, dtype):
    if count_include_pad or not any(padding):
        return np.asarray(kernel_size[0] * kernel_size[1], dtype=dtype)
    return window_counts(x_shape[2:], kernel_size, stride, padding).astype(dtype)


def avg_pool2d_forward(x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                       padding: tuple[int, int, int, int],
                       count_include_pad: bool = True) -> np.ndarray:
    """Average pooling::

        y[n, c, i, j] = sum_{p, q} xp[n, c, i*sh + p, j*sw + q] / count[i, j]

    ``count = KH * KW`` when ``count_include_pad`` (padded zeros count), else
    ``window_counts(...)`` (only the entries inside the image).
    Shapes: ``x: (N, C, H, W) -> y: (N, C, OH, OW)``.
    """
    (sh, sw), (N, C, OH, OW) = stride, pool_output_shape(x.shape, kernel_size, stride, padding)
    xp = _padded(x, padding, 0.0)
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for _, p, q in _taps(kernel_size):
        y += xp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)]
    y /= _divisor(x.shape, kernel_size, stride, padding, count_include_pad, x.dtype)
    return y


def avg_pool2d_backward(dy: np.ndarray, x_shape: tuple, kernel_size: tuple[int, int],
                        stride: tuple[int, int], padding: tuple[int, int, int, int],
                        count_include_pad: bool = True) -> np.ndarray:
    """Gradient of average pooling: every tap of window ``(i, j)`` gets ``dy / count[i, j]``.

    ::

        dxp[n, c, i*sh + p, j*sw + q] += dy[n, c, i, j] / count[i, j]     for every p, q

    Shapes: ``dy: (N, C, OH, OW) -> dx: x_shape``.
    """
    (sh, sw), (pt, pb, pl, pr), (N, C, H, W) = stride, padding, x_shape
    OH, OW = dy.shape[2:]
    # EXERCISE avgpool2d: each window's share of dy; add it to every tap; return dx unpadded
    share = dy / _divisor(x_shape, kernel_size, stride, padding, count_include_pad, dy.dtype)
    dxp = np.zeros((N, C, pt + H + pb, pl + W + pr), dtype=dy.dtype)
    for _, p, q in _taps(kernel_size):
        dxp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)] += share
    return dxp[:, :, pt:pt + H, pl:pl + W]
    # END EXERCISE
