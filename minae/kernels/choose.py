"""Which convolution kernel runs: the rule, and the measurements behind it.

Every road below computes the same sums (the tests check each against
``minae.kernels.reference``); they differ only in what they copy. A pass costs about what its
copies cost, and a copy costs about (floats unrolled) / (length of the runs it copies):

=========================  =============================  ====================================
road                       unrolls                        file
=========================  =============================  ====================================
gather, channels-last      input: ``KH*KW*C`` per pixel,  ``minae.kernels.conv``
                           runs of ``KW*C`` floats        (any stride)
gather, flat images        input: ``KH*KW*C`` per pixel,  ``minae.kernels.wide`` (stride 1)
                           runs of a whole image
scatter, channels-last     output: ``KH*KW*F`` per        ``conv2d_input_grad`` with the
                           pixel, added back              flipped kernel (``minae.kernels.flip``)
=========================  =============================  ====================================

The rule, for a stride-1 convolution from ``C`` to ``F`` channels (its input gradient is a
stride-1 convolution from ``F`` to ``C`` channels, by the flip identity, and follows the same
rule with the two swapped):

1. ``C >= FLIP_RATIO * F`` (far fewer outputs): scatter, unrolling the ``F`` side;
2. else ``C <= WIDE_MAX_CHANNELS``: gather on flat images (long runs even when ``C`` is small);
3. else gather, channels-last (one big matrix product: best when ``C`` is large).

The weight gradient on flat images copies nothing, and is used when ``C`` or ``F`` is at most
``WIDE_MAX_CHANNELS``. Any other stride goes to ``minae.kernels.conv``.

Measured by ``python benchmarks/conv.py`` (milliseconds for a batch of 128, float32, 3x3
kernels, 2 cores; forward + input gradient + weight gradient; channels-last alone -> this
rule; columns ``chan-last`` and ``minae`` of its variants table)::

    1 -> 16 at 28x28:   9.0 -> 5.7       16 -> 1 at 28x28:  36.3 -> 6.7
    16 -> 8 at 14x14:   6.8 -> 4.8       8 -> 16 at 16x16:   6.2 -> 5.0
    16 -> 16 at 28x28: 33.3 -> 26.7      8 -> 8 at 4x4:      0.6 -> 0.9 (the one loss)
    32 -> 32 at 14x14, 64 -> 64 at 7x7: channels-last either way (rule 3)

``FLIP_RATIO = 4``: at ``C = 2F`` scattering was within 20% of gathering, better on some
passes and worse on others. ``WIDE_MAX_CHANNELS = 16``: flat images won from 1 to 16 channels
on images of 7x7 and more, and lost from 32 channels, where each image's own small product
``(F, K) @ (K, OH*Wp)`` is slower than channels-last's single big one. At 4x4 the per-image
products are so small that calling them costs more than the copies they save (0.3 ms a batch).
"""

from __future__ import annotations

import numpy as np

from minae.kernels.conv import conv2d_forward, conv2d_input_grad, conv2d_weight_grad
from minae.kernels.flip import flip_kernel, flip_padding
from minae.kernels.geometry import as_padding, as_pair
from minae.kernels.im2col import output_shape
from minae.kernels.wide import conv2d_wide_forward, conv2d_wide_weight_grad

FLIP_RATIO = 4  # scatter when the input has at least this many times the output's channels
WIDE_MAX_CHANNELS = 16  # flat images up to this many channels on the unrolled side


def _stride1_conv(x: np.ndarray, w: np.ndarray, padding, dilation) -> np.ndarray:
    """``conv2d_forward(x, w, 1, padding, dilation)`` by the road of the rule above."""
    F, C, KH, KW = w.shape
    flipped = flip_padding(padding, (KH, KW), dilation)
    if C >= FLIP_RATIO * F and flipped is not None:  # 1. scatter the F side
        y_shape = output_shape(x.shape, w.shape, (1, 1), as_padding(padding),
                               as_pair(dilation))
        return conv2d_input_grad(x, flip_kernel(w), y_shape, 1, flipped, dilation)
    if C <= WIDE_MAX_CHANNELS:  # 2. gather on flat images
        return conv2d_wide_forward(x, w, padding, dilation)
    return conv2d_forward(x, w, 1, padding, dilation)  # 3. gather, channels-last


def conv2d(x: np.ndarray, w: np.ndarray, stride=1, padding=0, dilation=1) -> np.ndarray:
    """``y = conv2d(x, w)``. Shapes: ``x: (N, C, H, W)``, ``w: (F, C, KH, KW)`` ->
    ``y: (N, F, OH, OW)`` (see ``minae.kernels.conv.conv2d_forward``)."""
    if as_pair(stride, "stride") != (1, 1) or x.ndim != 4 or w.ndim != 4 \
            or x.shape[1] != w.shape[1]:
        return conv2d_forward(x, w, stride, padding, dilation)  # any stride; checks the shapes
    return _stride1_conv(x, w, padding, dilation)


def conv2d_dx(dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride=1, padding=0,
              dilation=1) -> np.ndarray:
    """``dx = dL/dx``: with stride 1, the convolution of ``dy`` with the flipped kernel.

    Shapes: ``dy: (N, F, OH, OW)``, ``w: (F, C, KH, KW)`` -> ``dx: x_shape = (N, C, H, W)``.
    """
    flipped = flip_padding(padding, w.shape[2:], dilation) if w.ndim == 4 else None
    if as_pair(stride, "stride") != (1, 1) or flipped is None or dy.ndim != 4 \
            or dy.shape[1] != w.shape[0]:
        return conv2d_input_grad(dy, w, x_shape, stride, padding, dilation)
    dx = _stride1_conv(dy, flip_kernel(w), flipped, dilation)
    if dx.shape != tuple(x_shape):  # dy cannot have come from an input of x_shape
        return conv2d_input_grad(dy, w, x_shape, stride, padding, dilation)  # raises, says why
    return dx


def conv2d_dw(x: np.ndarray, dy: np.ndarray, kernel_size, stride=1, padding=0,
              dilation=1) -> np.ndarray:
    """``dw = dL/dw``. Shapes: ``x: (N, C, H, W)``, ``dy: (N, F, OH, OW)`` ->
    ``dw: (F, C, KH, KW)``."""
    if as_pair(stride, "stride") != (1, 1) or x.ndim != 4 or dy.ndim != 4 \
            or min(x.shape[1], dy.shape[1]) > WIDE_MAX_CHANNELS:
        return conv2d_weight_grad(x, dy, kernel_size, stride, padding, dilation)
    return conv2d_wide_weight_grad(x, dy, kernel_size, padding, dilation)
