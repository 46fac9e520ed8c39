"""Exercise conv_transpose2d: the transposed convolution, as the adjoint of the convolution.

Write the three passes of the transposed convolution, each as one call of the convolution's
passes (conv2d_forward, conv2d_input_grad, conv2d_weight_grad, imported for you): no new
arithmetic. ConvTranspose2D (minae/layers/conv_transpose.py) runs them.

The math to derive
------------------
For a fixed w the convolution is a linear map x -> y = A x, and its input gradient is dx =
A^T dy. The transposed convolution *is* A^T: y = A^T x. So

    forward:          y  = A^T x           = which pass of the convolution, on x?
    input gradient:   dx = (A^T)^T dy = ?  = which pass, on dy?
    weight gradient:  the convolution's weight gradient with the roles of input and
                      output swapped: which array is the convolution's input here?

w has PyTorch's ConvTranspose2d layout (C_in, C_out, KH, KW): as a convolution's weight (F,
C, KH, KW) it maps C_out channels to C_in, the adjoint direction.

Shapes
------
x, dx: (N, C_in, H, W); w, dw: (C_in, C_out, KH, KW); y, dy: (N, C_out, OH, OW) with OH = (H
- 1)*sh - pt - pb + dh*(KH - 1) + 1 (y_shape, given).

How it is checked
-----------------
4 cases: a decoder's stride-2 3x3 kernel, non-square kernels, strides (1, 2) and (2, 1),
asymmetric padding, a dilation of (2, 1), batches of 1 and several, one case in float32
(compared at a float32 tolerance, dtype checked). y is compared with the loop definition
(minae.kernels.reference), dx and dw with the central-difference gradients of L = sum(y *
dy).

Commands
--------
    python -m minae.exercises check conv_transpose2d     # after filling in the TODOs
    python -m minae.exercises hint conv_transpose2d      # a nudge; run again for more

Generated from minae/kernels/conv.py (conv_transpose2d_forward, conv_transpose2d_input_grad
and conv_transpose2d_weight_grad) by `python -m minae.exercises generate`; edit your copy,
not the one inside the minae package. Read minae's solution, minae/kernels/conv.py, after
your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.kernels.conv import (
    Padding4,
    Pair,
    conv2d_forward,
    conv2d_input_grad,
    conv2d_weight_grad,
)


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, y_shape: tuple, stride: Pair,
                             padding: Padding4, dilation: Pair) -> np.ndarray:
    # TODO (conv_transpose2d): y = A^T x, with one of the convolution's passes
    raise NotImplementedError("exercise conv_transpose2d not started")


def conv_transpose2d_input_grad(dy: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding4,
                                dilation: Pair) -> np.ndarray:
    # TODO (conv_transpose2d): dx = (A^T)^T dy = A dy, with one of the convolution's passes
    raise NotImplementedError("exercise conv_transpose2d not started")


def conv_transpose2d_weight_grad(x: np.ndarray, dy: np.ndarray, kernel_size: Pair,
                                 stride: Pair, padding: Padding4, dilation: Pair) -> np.ndarray:
    # TODO (conv_transpose2d): dw, the convolution's weight gradient with its roles swapped
    raise NotImplementedError("exercise conv_transpose2d not started")
