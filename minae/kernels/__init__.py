"""The convolution and pooling arithmetic: free functions on ``(N, C, H, W)`` arrays.

Read them in this order:

* ``geometry``  — output sizes, the normalised ``stride`` / ``padding`` / ``dilation`` arguments;
* ``reference`` — the definitions in plain loops (slow on purpose; the tests' oracle);
* ``im2col``    — unrolling receptive fields into a matrix (im2col) and adding them back (col2im,
  and ``col2im_wide`` for stride 1, a whole image per ``+=``);
* ``conv``      — the fast convolution: forward, input gradient, weight gradient, each im2col or
  col2im plus one matrix product per chunk of images; the transposed convolution as the adjoint;
* ``flip``      — why a stride-1 input gradient is a convolution with the flipped kernel;
* ``wide``      — stride-1 convolution on flat channels-first images (long copies, for few
  channels);
* ``choose``    — which of those roads runs for a given layer, and the measurements behind the
  rule (the layers call ``choose.conv2d``, ``conv2d_dx``, ``conv2d_dw``);
* ``pool``      — max and average pooling by a loop over the window's taps.

Layers (``minae.layers``) call these; nothing here knows about layers.
"""

from minae.kernels.choose import conv2d, conv2d_dw, conv2d_dx
from minae.kernels.conv import (
    conv2d_forward,
    conv2d_input_grad,
    conv2d_weight_grad,
    conv_transpose2d_forward,
    conv_transpose2d_input_grad,
    conv_transpose2d_output_shape,
    conv_transpose2d_weight_grad,
    release_scratch,
    scratch_bytes,
)
from minae.kernels.geometry import conv_output_size, conv_transpose_output_size
from minae.kernels.im2col import col2im, col2im_wide, im2col, pad_channels_last

__all__ = [
    "col2im",
    "col2im_wide",
    "conv2d",
    "conv2d_dw",
    "conv2d_dx",
    "conv2d_forward",
    "conv2d_input_grad",
    "conv2d_weight_grad",
    "conv_output_size",
    "conv_transpose2d_forward",
    "conv_transpose2d_input_grad",
    "conv_transpose2d_output_shape",
    "conv_transpose2d_weight_grad",
    "conv_transpose_output_size",
    "im2col",
    "pad_channels_last",
    "release_scratch",
    "scratch_bytes",
]
