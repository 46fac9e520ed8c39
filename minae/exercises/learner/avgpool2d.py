"""Exercise avgpool2d: average pooling's backward pass.

Write the body of avg_pool2d_backward: every entry of window (i, j) gets its share of dy[..,
i, j]; add the shares into the padded gradient dxp, then take the padding off. Read
avg_pool2d_forward first (in this file): it divides each window's sum by _divisor(...), KH *
KW or (count_include_pad=False) the entries inside the image.

The math to derive
------------------
y[n, c, i, j] = sum_{p, q} xp[n, c, i*sh + p, j*sw + q] / count[i, j], a linear map.

    dy[n, c, i, j] / dxp[n, c, i*sh + p, j*sw + q] = ?    (for every tap p, q)

Windows overlap when the stride is smaller than the kernel: an entry then collects the
shares of every window it is in.

Shapes
------
avg_pool2d_forward:
    Shapes: x: (N, C, H, W) -> y: (N, C, OH, OW).
avg_pool2d_backward:
    Shapes: dy: (N, C, OH, OW) -> dx: x_shape.

How it is checked
-----------------
The pooling cases of maxpool2d without ties (2x2 windows with stride 2, Keras's "same" on 7
-> 4, overlapping 3x3 windows, a 3x2 window with strides (2, 1) and uneven padding, float32
compared at a float32 tolerance with its dtype checked, a 28x28 image), and the padded ones
again with count_include_pad=False. dx is compared with the central-difference gradient of L
= sum(avg_pool2d_forward(x) * dy) (minae's backward for the 28x28 image).

Commands
--------
    python -m minae.exercises check avgpool2d     # after filling in the TODOs
    python -m minae.exercises hint avgpool2d      # a nudge; run again for more

Generated from minae/kernels/pool.py (avg_pool2d_backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/kernels/pool.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import window_slice
from minae.kernels.pool import _divisor, _padded, _taps, pool_output_shape


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
    (sh, sw), (pt, pb, pl, pr), (N, C, H, W) = stride, padding, x_shape
    OH, OW = dy.shape[2:]
    # TODO (avgpool2d): each window's share of dy; add it to every tap; return dx unpadded
    raise NotImplementedError("exercise avgpool2d not started")
