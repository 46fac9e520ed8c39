"""ConvTranspose2D: the transposed ("fractionally strided") convolution, a learned upsampler.

What it is
----------
Take a convolution ``Conv2D(C_out -> C_in)`` with weights ``W: (C_in, C_out, KH, KW)``: a linear
map ``A`` from images ``(N, C_out, OH, OW)`` to images ``(N, C_in, H, W)``. Its input gradient
is ``dx = A^T dy``. The transposed convolution *is* that map ``A^T``, used as a layer::

    y = A^T x + b:   yp[n, c, i*sh + p*dh, j*sw + q*dw] += x[n, f, i, j] * W[f, c, p, q]
                     y = yp without its padding, plus b[c]

Each input pixel stamps a ``KH x KW`` copy of the kernel, scaled by its value, into the output,
``stride`` pixels apart; where stamps overlap they add. With stride 2 the output is about twice
the size of the input: this is how a decoder grows ``7x7 -> 14x14 -> 28x28``.

Sizes and layout (PyTorch's)
----------------------------
``W: (in_channels, out_channels, KH, KW)`` and::

    OH = (H - 1) * sh - pt - pb + dh * (KH - 1) + output_padding + 1

``padding`` *removes* rows from the output (it is the padding of the convolution ``A``).
A strided convolution maps several input sizes to the same output size (``floor``), so the
transposed one has to be told which: ``output_padding`` (``0 <= output_padding < stride``)
adds that many rows at the bottom and columns at the right. ``padding="same"`` (Keras's) gives
``OH = H * sh``: the padding of a ``"same"`` convolution on an ``H * sh`` input.

Backward
--------
Because the forward pass is ``A^T``, the backward passes are the convolution's own::

    dx = A dy        = conv2d_forward(dy, W)             (a plain convolution of dy)
    dW               = conv2d_weight_grad(dy, x)         (input and output swap roles)
    db[c]            = sum_{n, i, j} dy[n, c, i, j]

(``minae/kernels/conv.py`` writes the transposed convolution exactly this way; those taught
passes run unless the model was given an engine, ``model.use_engine(FastEngine())``.)

Initialisation follows the weight's shape as Keras and PyTorch both read it:
``fan_in = out_channels * KH * KW``, ``fan_out = in_channels * KH * KW``.
"""

from __future__ import annotations

import numpy as np

from minae import initializers
from minae.kernels.conv import (
    conv_transpose2d_forward,
    conv_transpose2d_input_grad,
    conv_transpose2d_output_shape,
    conv_transpose2d_weight_grad,
)
from minae.kernels.geometry import as_pair, effective_size
from minae.layers import padding as pad
from minae.layers.base import Layer
from minae.layers.checks import (
    as_float_array,
    check_allocation,
    check_forward_done,
    check_positive_int,
    check_upstream,
    zero_grads,
)


class ConvTranspose2D(Layer):
    """Transposed 2-D convolution (the adjoint of ``Conv2D``): ``y = conv^T(x, W) + b``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (KH, KW)
    stride : int or (sh, sw)
    padding : int, (ph, pw), ((pt, pb), (pl, pr)), "valid" or "same"
        Rows/columns cut from each side of the output. ``"same"`` gives ``OH = H * sh``.
    output_padding : int or (oph, opw)
        Extra rows at the bottom / columns at the right, each ``< stride``.
    bias : bool
    dilation : int or (dh, dw)
    init, rng, dtype
        As for ``Conv2D``.

    Shapes
    ------
    x: (N, in_channels, H, W) -> y: (N, out_channels, OH, OW);
    W: (in_channels, out_channels, KH, KW); b: (out_channels,)
    """

    has_kernels = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, bias: bool = True, dilation=1, *,
                 init: str = "glorot_uniform", rng: np.random.Generator | None = None,
                 dtype=np.float32) -> None:
        super().__init__()
        name = "ConvTranspose2D"
        self.in_channels = check_positive_int(in_channels, f"{name} in_channels")
        self.out_channels = check_positive_int(out_channels, f"{name} out_channels")
        self.kernel_size, self.stride, self.dilation, self.padding = pad.conv_geometry(
            kernel_size, stride, dilation, padding, name)
        self.output_padding = as_pair(output_padding, f"{name} output_padding", 0)
        if any(o >= s for o, s in zip(self.output_padding, self.stride, strict=True)):
            raise ValueError(f"{name} output_padding {self.output_padding} must be smaller than "
                             f"the stride {self.stride}")
        if self.padding == "same" and any(self.output_padding):
            raise ValueError(f"{name} padding='same' fixes the output size at input * "
                             f"stride; output_padding must be 0, got {self.output_padding}")
        self.dtype = initializers.float_dtype(dtype, f"{name} dtype")
        (kh, kw), C_in, C_out = self.kernel_size, self.in_channels, self.out_channels
        fan_in, fan_out = C_out * kh * kw, C_in * kh * kw
        self.params.update(initializers.weights_and_bias(
            init, (C_in, C_out, kh, kw), fan_in, fan_out, rng, self.dtype,
            bias_size=C_out if bias else None, what=name))
        self.grads = zero_grads(self.params, name)
        self.engine = None  # None: the taught passes; see use_engine
        self.x: np.ndarray | None = None
        self.pads: tuple[int, int, int, int] | None = None
        self.out_pad: tuple[int, int] = self.output_padding
        self.y_shape: tuple | None = None

    def _resolve(self, shape: tuple) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """Check ``shape``; return the padding ``(pt, pb, pl, pr)`` and output padding to use."""
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"ConvTranspose2D expected input (N, {self.in_channels}, H, W); "
                             f"got {tuple(shape)}")
        if self.padding != "same":
            pads, out_pad = self.padding, self.output_padding
        else:  # the padding of a 'same' convolution whose input is H * sh
            target = (shape[2] * self.stride[0], shape[3] * self.stride[1])
            pads = pad.resolve_padding("same", target, self.kernel_size, self.stride,
                                       self.dilation)
            spans = [effective_size(k, d) for k, d in zip(self.kernel_size, self.dilation,
                                                          strict=True)]
            natural = [(n - 1) * s - (a + b) + e for n, s, a, b, e in
                       zip(shape[2:], self.stride, pads[::2], pads[1::2], spans, strict=True)]
            out_pad = (target[0] - natural[0], target[1] - natural[1])
        y_shape = conv_transpose2d_output_shape(shape, self.params["W"].shape, self.stride,
                                                pads, self.dilation, out_pad)
        if y_shape[2] < 1 or y_shape[3] < 1:
            raise ValueError(f"ConvTranspose2D padding {pads} (top, bottom, left, right) cuts "
                             f"away the whole output of input {tuple(shape)}: output would be "
                             f"{y_shape}; expected a positive height and width")
        N, KHW = shape[0], self.kernel_size[0] * self.kernel_size[1]
        check_allocation(y_shape, self.dtype, f"{self!r} output")
        check_allocation((N, shape[2], shape[3], KHW * self.out_channels), self.dtype,
                         f"{self!r} column matrix (col2im)")
        return pads, out_pad

    def output_shape(self, input_shape: tuple) -> tuple:
        """``(N, out_channels, OH, OW)`` for an input of shape ``(N, in_channels, H, W)``."""
        pads, out_pad = self._resolve(input_shape)
        return conv_transpose2d_output_shape(input_shape, self.params["W"].shape, self.stride,
                                             pads, self.dilation, out_pad)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "ConvTranspose2D input", self.dtype)
        self.pads, self.out_pad = self._resolve(x.shape)
        self.x = x  # the weight gradient needs x
        y_shape = conv_transpose2d_output_shape(x.shape, self.params["W"].shape, self.stride,
                                                self.pads, self.dilation, self.out_pad)
        run = conv_transpose2d_forward if self.engine is None \
            else self.engine.conv_transpose2d_forward
        y = run(x, self.params["W"], y_shape, self.stride, self.pads, self.dilation)
        if "b" in self.params:
            y += self.params["b"][:, None, None]
        self.y_shape = y.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x, "ConvTranspose2D")
        dy = check_upstream(dy, self.y_shape, "ConvTranspose2D", self.dtype)
        hyper = (self.stride, self.pads, self.dilation)
        engine = self.engine
        dw = conv_transpose2d_weight_grad if engine is None \
            else engine.conv_transpose2d_weight_grad
        self.grads["W"] = dw(self.x, dy, self.kernel_size, *hyper)
        if "b" in self.params:
            self.grads["b"] = dy.sum(axis=(0, 2, 3))
        dx = conv_transpose2d_input_grad if engine is None else engine.conv_transpose2d_input_grad
        return dx(dy, self.params["W"], *hyper)

    def __repr__(self) -> str:
        extra = "" if "b" in self.params else ", bias=False"
        if any(self.output_padding):
            extra = f", output_padding={self.output_padding}" + extra
        if max(self.dilation) > 1:
            extra += f", dilation={self.dilation}"
        return (f"ConvTranspose2D({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={pad.describe(self.padding)}{extra})")
