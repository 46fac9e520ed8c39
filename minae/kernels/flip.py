"""The flip identity: a stride-1 convolution's input gradient is a convolution.

A convolution pass either *gathers* (unrolls its input, then one matrix product: im2col) or
*scatters* (one matrix product, then adds the results back by kernel tap: col2im). The copies
cost more than the products on small layers and grow with the channel count of the side that
is unrolled. With stride 1 every pass can be done either way round, because of one identity,
so the engine's rule (``minae.engine.choose``) can always unroll the side with fewer channels.

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
``conv2d_forward(x, w, padding) == conv2d_input_grad(x, w_flip, padding_flip)``.

Who uses it
-----------
The fast engine's rule (``minae.engine.choose``) computes a stride-1 input gradient as a forward
convolution of ``dy`` with ``w_flip``, and, when a layer has far fewer output than input
channels, a forward pass as an input gradient with ``w_flip``: whichever copies less. The
tests check both readings of the identity against ``minae.kernels.reference``.
"""

from __future__ import annotations

import numpy as np


def flip_kernel(w: np.ndarray) -> np.ndarray:
    """``w_flip[c, f, p, q] = w[f, c, KH-1-p, KW-1-q]``: ``(F, C, KH, KW) -> (C, F, KH, KW)``."""
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def flip_padding(padding: tuple[int, int, int, int], kernel_size: tuple[int, int],
                 dilation: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """``padding_flip`` of the identity above, or ``None`` when an entry would be negative.

    ``padding = (pt, pb, pl, pr)``, ``kernel_size = (KH, KW)``, ``dilation = (dh, dw)``.
    """
    (pt, pb, pl, pr), (KH, KW), (dh, dw) = padding, kernel_size, dilation
    span_h, span_w = dh * (KH - 1), dw * (KW - 1)
    flipped = (span_h - pt, span_h - pb, span_w - pl, span_w - pr)
    return flipped if min(flipped) >= 0 else None
