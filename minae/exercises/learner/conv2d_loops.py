"""Exercise conv2d_loops: the convolution's gradients, by loops.

Write the innermost line of the two gradient loops, and the line that takes the padding off
dx. The loops are the forward loop of conv2d_reference: each visits every term of the
forward sum once, and the term sends its share of dy to the entry it read.

The math to derive
------------------
The forward pass (read it first, it is in this file) is a sum of products:

    y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

where xp is x with pt, pb zero rows on top and bottom and pl, pr zero columns left and
right. L = sum(y * dy), so each term of that sum contributes to two gradients. Derive

    dL/dw[f, c, p, q] = ?             dL/dxp[n, c, r, s] = ?

and then dx from dxp: the padding is not part of x.

Shapes
------
conv2d_reference:
    x : (N, C, H, W)
    w : (F, C, KH, KW)
    stride, dilation : int or (int, int)
    padding : int, (ph, pw) or (pt, pb, pl, pr)
    y : (N, F, OH, OW), OH = (H + pt + pb - dh*(KH-1) - 1) // sh + 1 (and so for OW).
conv2d_input_grad_reference:
    dy : (N, F, OH, OW), the gradient of the loss with respect to y
    w : (F, C, KH, KW)
    x_shape : (N, C, H, W), the shape of the forward input (H is not recoverable from OH
        when the stride does not divide evenly)
    dx : (N, C, H, W)
conv2d_weight_grad_reference:
    x : (N, C, H, W), the forward input
    dy : (N, F, OH, OW)
    kernel_size : int or (KH, KW)
    dw : (F, C, KH, KW)

How it is checked
-----------------
6 cases: strides 1, 2, (2, 1) and (1, 2), symmetric and uneven padding (Keras's "same" with
an even kernel puts the extra row at the bottom), non-square kernels, a dilation of (2, 1),
batches of 1 and several, one case in float32 (compared with minae's float64 answer at a
float32 tolerance, dtype checked); random x, w and upstream gradient dy. dx and dw are
compared with the central-difference gradients of L = sum(conv2d_forward(x, w) * dy).

Commands
--------
    python -m minae.exercises check conv2d_loops     # after filling in the TODOs
    python -m minae.exercises hint conv2d_loops      # a nudge; run again for more

Generated from minae/kernels/reference.py (conv2d_input_grad_reference and
conv2d_weight_grad_reference) by `python -m minae.exercises generate`; edit your copy, not
the one inside the minae package. Read minae's solution, minae/kernels/reference.py, after
your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.kernels.geometry import as_padding, as_pair, conv_output_size
from minae.kernels.reference import _crop, _pad


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
                                # TODO (conv2d_loops): add this term's share to dxp
                                raise NotImplementedError("exercise conv2d_loops not started")
    # TODO (conv2d_loops): return dx, which is dxp without its padding
    raise NotImplementedError("exercise conv2d_loops not started")


def conv2d_weight_grad_reference(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1,
                                 padding=0, dilation=1) -> np.ndarray:
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
                                # TODO (conv2d_loops): add this term's share to dw
                                raise NotImplementedError("exercise conv2d_loops not started")
    return dw
