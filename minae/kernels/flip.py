"""Unroll the side with fewer channels: a stride-1 convolution's passes as flipped convolutions.

``minae.kernels.conv`` does each pass one fixed way: the forward and the weight gradient unroll
the *input* (im2col: ``KH * KW * C`` floats per output pixel), the input gradient unrolls the
*output gradient* back (col2im: ``KH * KW * C`` floats per output pixel, added). The copies
cost more than the matrix products on small layers, and they grow with ``C``. When the layer
has fewer output channels ``F`` than input channels ``C`` (the decoder's last layer of the
lesson's autoencoder maps 16 channels to 1), unrolling the ``F`` side instead is up to ``C / F``
times less copying. With stride 1 that is always possible, because of one identity.

The identity: a stride-1 convolution's adjoint is a convolution with the flipped kernel
----------------------------------------------------------------------------------------
With stride 1, the input gradient of ``y = conv(x, w, padding)``::

    dx[n, c, u, v] = sum_{f, p, q} dy[n, f, u + pt - p*dh, v + pl - q*dw] * w[f, c, p, q]

Substitute ``p' = KH - 1 - p`` and ``q' = KW - 1 - q``: the indices become
``u + p'*dh - (dh*(KH-1) - pt)``, a plain stride-1 convolution of ``dy`` with::

    w_flip[c, f, p', q'] = w[f, c, KH - 1 - p', KW - 1 - q']      (swap F and C, rotate 180)
    padding_flip = (dh*(KH-1) - pt, dh*(KH-1) - pb, dw*(KW-1) - pl, dw*(KW-1) - pr)

so ``conv2d_input_grad(dy, w, padding) == conv2d_forward(dy, w_flip, padding_flip)``. Flipping
twice gives back ``w`` and ``padding``, so the same identity read the other way round is
``conv2d_forward(x, w, padding) == conv2d_input_grad(x, w_flip, padding_flip)``. And the weight
gradient, which correlates ``xp`` with ``dy``, can unroll either of them::

    dw[f, c, p, q] = sum_{n, u, v} xp[n, c, u, v] * dyp[n, f, u + (KH-1-p)*dh, v + (KW-1-q)*dw]
                   = flip(conv2d_weight_grad(dy, xp, padding=(dh*(KH-1), dw*(KW-1))))

with ``dyp`` the output gradient zero-padded by the kernel's span less one, all round.

The rule
--------
With stride 1 and ``C >= FLIP_RATIO * F`` (and ``padding_flip`` not negative, i.e. no padding
wider than the kernel's span), each of the three functions below takes the flipped road, which
unrolls the ``F`` side; otherwise it calls ``minae.kernels.conv`` directly. Measured on a batch
of 128 (``python benchmarks/conv.py`` has the lesson's 16 -> 1 layer): at ``C = 16, F = 1``,
28x28, the flipped road takes the three passes from 7 + 22 + 10 ms to 3 + 3 + 4 ms; at
``C = 2 F`` it was within 20% either way, a gain on some passes and a loss on others, hence
``FLIP_RATIO = 4``. Both roads compute the same sums
(the tests check each against ``minae.kernels.reference``); only the copying differs. The layers
call these three.
"""

from __future__ import annotations

import numpy as np

from minae.kernels.conv import conv2d_forward, conv2d_input_grad, conv2d_weight_grad
from minae.kernels.geometry import as_pair, as_padding

FLIP_RATIO = 4  # take the flipped road when C >= FLIP_RATIO * F (see the module docstring)


def flip_kernel(w: np.ndarray) -> np.ndarray:
    """``w_flip[c, f, p, q] = w[f, c, KH-1-p, KW-1-q]``: ``(F, C, KH, KW) -> (C, F, KH, KW)``."""
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def flip_padding(padding, kernel_size, dilation) -> tuple[int, int, int, int] | None:
    """``padding_flip`` of the identity above, or ``None`` when an entry would be negative."""
    (pt, pb, pl, pr), (KH, KW), (dh, dw) = as_padding(padding), as_pair(kernel_size), \
        as_pair(dilation)
    span_h, span_w = dh * (KH - 1), dw * (KW - 1)
    flipped = (span_h - pt, span_h - pb, span_w - pl, span_w - pr)
    return flipped if min(flipped) >= 0 else None


def _flip_cheaper(F: int, C: int, stride, padding, kernel_size, dilation):
    """``padding_flip`` when the flipped road applies and copies less, else ``None``."""
    if as_pair(stride) != (1, 1) or C < FLIP_RATIO * F:
        return None
    return flip_padding(padding, kernel_size, dilation)


def conv2d(x: np.ndarray, w: np.ndarray, stride=1, padding=0, dilation=1) -> np.ndarray:
    """``y = conv2d_forward(x, w, ...)``, unrolling the output side when it has fewer channels.

    Shapes: ``x: (N, C, H, W)``, ``w: (F, C, KH, KW)`` -> ``y: (N, F, OH, OW)``.
    """
    F, C, KH, KW = w.shape
    flipped = _flip_cheaper(F, C, stride, padding, (KH, KW), dilation)
    if flipped is None:
        return conv2d_forward(x, w, stride, padding, dilation)
    (pt, pb, pl, pr), (dh, dw) = as_padding(padding), as_pair(dilation)
    y_shape = (x.shape[0], F, x.shape[2] + pt + pb - dh * (KH - 1),
               x.shape[3] + pl + pr - dw * (KW - 1))
    return conv2d_input_grad(x, flip_kernel(w), y_shape, 1, flipped, dilation)


def conv2d_dx(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride=1, padding=0,
              dilation=1) -> np.ndarray:
    """``dx = conv2d_input_grad(dy, w, x_shape, ...)``, unrolling ``dy`` when ``F < C``.

    Shapes: ``dy: (N, F, OH, OW)``, ``w: (F, C, KH, KW)`` -> ``dx: x_shape = (N, C, H, W)``.
    """
    F, C, KH, KW = w.shape
    flipped = _flip_cheaper(F, C, stride, padding, (KH, KW), dilation)
    if flipped is None or tuple(x_shape[1:2]) != (C,):
        return conv2d_input_grad(dy, w, x_shape, stride, padding, dilation)
    dx = conv2d_forward(dy, flip_kernel(w), 1, flipped, dilation)
    if dx.shape != tuple(x_shape):  # dy did not come from an input of x_shape
        return conv2d_input_grad(dy, w, x_shape, stride, padding, dilation)  # raises, says why
    return dx


def conv2d_dw(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1, padding=0,
              dilation=1) -> np.ndarray:
    """``dw = conv2d_weight_grad(x, dy, ...)``, unrolling ``dy`` when ``F < C``.

    Shapes: ``x: (N, C, H, W)``, ``dy: (N, F, OH, OW)`` -> ``dw: (F, C, KH, KW)``.
    """
    (KH, KW), (dh, dw_) = as_pair(kernel_size), as_pair(dilation)
    F, C = dy.shape[1], x.shape[1]
    if _flip_cheaper(F, C, stride, padding, (KH, KW), dilation) is None:
        return conv2d_weight_grad(x, dy, kernel_size, stride, padding, dilation)
    (pt, pb, pl, pr), (N, _, H, W) = as_padding(padding), x.shape
    expected = (N, F, H + pt + pb - dh * (KH - 1), W + pl + pr - dw_ * (KW - 1))
    if tuple(dy.shape) != expected:
        return conv2d_weight_grad(x, dy, kernel_size, stride, padding, dilation)  # raises
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=x.dtype)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    span = (dh * (KH - 1), dw_ * (KW - 1))
    dw_flip = conv2d_weight_grad(dy, xp, (KH, KW), 1, span, dilation)  # (C, F, KH, KW)
    return flip_kernel(dw_flip)
