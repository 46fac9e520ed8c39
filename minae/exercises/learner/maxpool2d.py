"""Exercise maxpool2d: max pooling's backward pass.

Write the body of max_pool2d_backward: send each window's dy to the tap that won it in the
forward pass, then take the padding off. Read max_pool2d_forward first (in this file): it
records, for every window, the winning tap t = p * KW + q (the first maximum when several
entries tie).

The math to derive
------------------
y[n, c, i, j] = max_{p, q} xp[n, c, i*sh + p, j*sw + q], with xp the input padded with -inf.
Near a point without ties, the max is just the winning entry, so

    dy[n, c, i, j] / dxp[n, c, r, s] = ?   (for the winner, and for the others)

Several windows can share an input when they overlap (stride < kernel): what then? At a tie
minae sends the gradient to the first maximum, the winner forward recorded. MaxPool2D
(minae/layers/pooling.py) calls these two functions.

Shapes
------
x, dx: (N, C, H, W); dy, winner: (N, C, OH, OW), OH = (H + pt + pb - KH) // sh + 1; dxp: (N,
C, pt + H + pb, pl + W + pr). Tap (p, q) of every window at once is the strided slice xp[:,
:, window_slice(p, sh, OH), window_slice(q, sw, OW)], (N, C, OH, OW).

How it is checked
-----------------
8 cases: 2x2 windows with stride 2, Keras's "same" on an odd size (7 -> 4), overlapping 3x3
windows with stride 1, a 3x2 window with strides (2, 1) and uneven padding, a batch of 3 in
float32 (compared at a float32 tolerance, dtype checked), a 28x28 image; their inputs are
distinct values at least 0.1 apart, and dx is compared with the central-difference gradient
of L = sum(max_pool2d_forward(x)[0] * dy). Two more cases hold ties (values 0, 1, 2), where
dx is compared with minae's convention: the whole dy of a window goes to its first maximum.

Commands
--------
    python -m minae.exercises check maxpool2d     # after filling in the TODOs
    python -m minae.exercises hint maxpool2d      # a nudge; run again for more

Generated from minae/kernels/pool.py (max_pool2d_backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/kernels/pool.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import window_slice
from minae.kernels.pool import _padded, _taps, pool_output_shape


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
    (sh, sw), (pt, pb, pl, pr), (N, C, H, W) = stride, padding, x_shape
    OH, OW = dy.shape[2:]
    dxp = np.zeros((N, C, pt + H + pb, pl + W + pr), dtype=dy.dtype)
    # TODO (maxpool2d): send each window's dy to its winning tap; return dx without padding
    raise NotImplementedError("exercise maxpool2d not started")
