"""The convolution, pooling and upsampling arithmetic: free functions on ``(N, C, H, W)`` arrays.

Read them in this order:

* ``geometry``  — output sizes, the normalised ``stride`` / ``padding`` / ``dilation`` arguments;
* ``reference`` — the definitions in plain loops (slow on purpose; the tests' oracle);
* ``im2col``    — unrolling receptive fields into a matrix (im2col) and adding them back (col2im);
* ``conv``      — the taught convolution, what ``Conv2D`` runs: forward, input gradient, weight
  gradient, each im2col or col2im plus one matrix product over the whole batch; the transposed
  convolution as the adjoint;
* ``flip``      — why a stride-1 input gradient is a convolution with the flipped kernel (the
  identity the fast engine's rule uses);
* ``pool``      — max and average pooling by a loop over the window's taps;
* ``upsample``  — nearest and bilinear upsampling, forward and backward.

Layers (``minae.layers``) check their arguments once and call these; nothing here knows about
layers. The faster roads (chunked, flat, flipped) and the rule that picks one are an engine a
model opts into: ``minae.engine``.
"""

from minae.kernels.conv import (
    conv2d_forward,
    conv2d_input_grad,
    conv2d_weight_grad,
    conv_transpose2d_forward,
    conv_transpose2d_input_grad,
    conv_transpose2d_output_shape,
    conv_transpose2d_weight_grad,
)
from minae.kernels.geometry import conv_output_size, conv_transpose_output_size
from minae.kernels.im2col import col2im, im2col, pad_channels_last

__all__ = [
    "col2im",
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
]
