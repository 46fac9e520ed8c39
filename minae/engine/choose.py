"""Which road of the fast engine runs: the rule, and the measurements behind it.

Every road computes the same sums as the taught passes of ``minae.kernels.conv`` (the tests
check each against ``minae.kernels.reference``); they differ only in what they copy. A pass
costs about what its copies cost, and a copy costs about (floats unrolled) / (length of the
runs it copies):

=========================  =============================  ====================================
road                       unrolls                        file
=========================  =============================  ====================================
chunked (channels-last)    input: ``KH*KW*C`` per pixel,  ``minae.engine.chunked``
                           runs of ``KW*C`` floats        (any stride)
flat (channels-first)      input: ``KH*KW*C`` per pixel,  ``minae.engine.flat`` (stride 1)
                           runs of a whole image
flipped (scatter)          output: ``KH*KW*F`` per        ``chunked.input_grad`` with the
                           pixel, added back              flipped kernel (``minae.kernels.flip``)
=========================  =============================  ====================================

The rule, for a stride-1 convolution from ``C`` to ``F`` channels (its input gradient is a
stride-1 convolution from ``F`` to ``C`` channels, by the flip identity, and follows the same
rule with the two swapped):

1. ``C >= engine.flip_ratio * F`` (far fewer outputs): flipped, unrolling the ``F`` side;
2. else ``C <= engine.flat_max_channels``: flat (long runs even when ``C`` is small); on
   images of at most ``engine.batchflat_max_pixels`` output pixels, batch-flat (the chunk's
   images side by side, one product per chunk instead of one per image). Off by default:
   on one BLAS thread it won on the lesson's 8 -> 8 layer at 7x7 (all three passes, batch
   128: 2.9 -> 2.4 ms best, 6.2 -> 2.5 median) and tied at 4x4, but with BLAS on two threads
   on a busy machine its one bigger product per chunk went to both threads and its median
   grew to 20 ms against the flat road's 7.7 (4x4: 12.4 against 1.3);
3. else chunked (one big matrix product per chunk: best when ``C`` is large).

The weight gradient on flat images copies nothing, and is used when ``C`` or ``F`` is at most
``engine.flat_max_channels``; with at most ``engine.batchflat_max_channels`` input channels
(the lesson's first layer, ``C = 1``) the batch-flat road's single product per chunk
(``minae.engine.batchflat``) was faster still: 6.3 -> 4.5 ms for 1 -> 16 at 28x28 (it lost
with 8 and 16 input channels, 0.8 -> 1.6 and 7.6 -> 12.3 ms, so it stops there).

A strided convolution with few input channels (``sh * sw * C <=
engine.polyphase_max_channels``, dilation 1) is one stride-1 convolution of its polyphase
components (``minae.engine.polyphase``), which then follows the rule above; any other
stride goes to the chunked road. Measured on conv_vae's 1 -> 32, 4x4 stride-2 layer
at 28x28 (ms, batch 128, one thread; forward, input gradient, weight gradient): chunked
2.2, 8.1, 7.6; polyphase 1.6, 7.6, 2.1. With 32 input channels (32 -> 64 at 14x14) polyphase
lost, 56 -> 89 ms: the 128 stacked channels go to the chunked road anyway, after a copy.

Measured by ``python benchmarks/conv.py`` (milliseconds for a batch of 128, float32, 3x3
kernels, 2 cores; forward + input gradient + weight gradient; chunked alone -> this rule)::

    1 -> 16 at 28x28:   9.0 -> 5.7       16 -> 1 at 28x28:  36.3 -> 6.7
    16 -> 8 at 14x14:   6.8 -> 4.8       8 -> 16 at 16x16:   6.2 -> 5.0
    16 -> 16 at 28x28: 33.3 -> 26.7      8 -> 8 at 4x4:      0.6 -> 0.9 (the one loss)
    32 -> 32 at 14x14, 64 -> 64 at 7x7: chunked either way (rule 3)

``flip_ratio = 4``: at ``C = 2F`` scattering was within 20% of gathering, better on some
passes and worse on others. ``flat_max_channels = 16``: flat images won from 1 to 16 channels
on images of 7x7 and more, and lost from 32 channels, where each image's own small product
``(F, K) @ (K, OH*Wp)`` is slower than the chunked road's single big one. At 4x4 the per-image
products are so small that calling them costs more than the copies they save (0.3 ms a batch).

The arguments arrive normalised and checked by the layer; nothing here validates, and no road
is called to borrow its error message.
"""

from __future__ import annotations

import numpy as np

from minae.engine import batchflat, chunked, flat, polyphase
from minae.kernels.flip import flip_kernel, flip_padding
from minae.kernels.im2col import output_shape


def road_for(engine, C: int, F: int, flippable: bool, pixels: int | None = None) -> str:
    """The road of the rule for a stride-1 convolution from ``C`` to ``F`` channels with
    ``pixels = OH * OW`` outputs per image: ``"flipped"``, ``"batchflat"``, ``"flat"`` or
    ``"chunked"``."""
    if flippable and C >= engine.flip_ratio * F:
        return "flipped"
    if C <= engine.flat_max_channels:
        small = pixels is not None and pixels <= engine.batchflat_max_pixels
        return "batchflat" if small else "flat"
    return "chunked"


def _stride1_conv(engine, x: np.ndarray, w: np.ndarray, padding, dilation,
                  write=None) -> np.ndarray | None:
    """A stride-1 ``y = conv2d(x, w)`` by the road of the rule above (``write``: see
    ``conv2d``)."""
    F, C, KH, KW = w.shape
    flipped = flip_padding(padding, (KH, KW), dilation)
    y_shape = output_shape(x.shape, w.shape, (1, 1), padding, dilation)
    road = road_for(engine, C, F, flipped is not None, y_shape[2] * y_shape[3])
    if road == "flipped":  # 1. scatter the F side
        return chunked.input_grad(engine, x, flip_kernel(w), y_shape, (1, 1), flipped,
                                  dilation, write)
    if road == "batchflat":  # 2, on small images: one product per chunk of them
        return batchflat.forward(engine, x, w, padding, dilation, write)
    if road == "flat":  # 2. gather on flat images
        return flat.forward(engine, x, w, padding, dilation, write)
    return chunked.forward(engine, x, w, (1, 1), padding, dilation, write)  # 3. chunked


def polyphase_applies(engine, stride, dilation, C: int) -> bool:
    """A strided pass goes polyphase (``minae.engine.polyphase``) when its stacked components
    have at most ``engine.polyphase_max_channels`` channels (so that the stride-1 convolution
    of them takes the flat road) and the dilation is 1."""
    sh, sw = stride
    return (sh, sw) != (1, 1) and tuple(dilation) == (1, 1) \
        and sh * sw * C <= engine.polyphase_max_channels


def conv2d(engine, x: np.ndarray, w: np.ndarray, stride, padding, dilation,
           write=None) -> np.ndarray | None:
    """``y = conv2d(x, w)``. Shapes: ``x: (N, C, H, W)``, ``w: (F, C, KH, KW)`` ->
    ``y: (N, F, OH, OW)``.

    With ``write``, every road hands each chunk's result to ``write(a, b, y_chunk)``
    (``y_chunk: (b - a, F, OH, OW)``, a view into scratch, valid during the call) instead of
    copying it into a new ``y``, and returns None: ``minae.engine.epilogue`` fuses the bias,
    ReLU and max pooling into that copy.
    """
    if polyphase_applies(engine, stride, dilation, x.shape[1]) and write is None:
        return polyphase.forward(engine, x, w, stride, padding)
    if tuple(stride) != (1, 1):
        return chunked.forward(engine, x, w, stride, padding, dilation, write)
    return _stride1_conv(engine, x, w, padding, dilation, write)


def conv2d_dx(engine, dy: np.ndarray, w: np.ndarray, x_shape: tuple, stride, padding,
              dilation) -> np.ndarray:
    """``dx = dL/dx``: with stride 1, the convolution of ``dy`` with the flipped kernel.

    Shapes: ``dy: (N, F, OH, OW)``, ``w: (F, C, KH, KW)`` -> ``dx: x_shape = (N, C, H, W)``.
    """
    if polyphase_applies(engine, stride, dilation, x_shape[1]):
        return polyphase.input_grad(engine, dy, w, x_shape, stride, padding)
    flipped = flip_padding(padding, w.shape[2:], dilation)
    if tuple(stride) != (1, 1) or flipped is None:
        return chunked.input_grad(engine, dy, w, x_shape, stride, padding, dilation)
    return _stride1_conv(engine, dy, flip_kernel(w), flipped, dilation)


def conv2d_dw(engine, x: np.ndarray, dy: np.ndarray, kernel_size, stride, padding,
              dilation) -> np.ndarray:
    """``dw = dL/dw``. Shapes: ``x: (N, C, H, W)``, ``dy: (N, F, OH, OW)`` ->
    ``dw: (F, C, KH, KW)``."""
    if polyphase_applies(engine, stride, dilation, x.shape[1]):
        return polyphase.weight_grad(engine, x, dy, kernel_size, stride, padding)
    if tuple(stride) == (1, 1) and x.shape[1] <= engine.batchflat_max_channels:
        return batchflat.weight_grad(engine, x, dy, kernel_size, padding, dilation)
    if tuple(stride) != (1, 1) or min(x.shape[1], dy.shape[1]) > engine.flat_max_channels:
        return chunked.weight_grad(engine, x, dy, kernel_size, stride, padding, dilation)
    return flat.weight_grad(engine, x, dy, kernel_size, padding, dilation)
