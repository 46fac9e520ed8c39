"""Conv2D: a 2-D convolution layer (PyTorch's layout, Keras's ``"same"``).

Forward
-------
For ``x: (N, C, H, W)``, weights ``W: (F, C, KH, KW)`` and a bias ``b: (F,)``, with ``xp`` the
input zero-padded by ``(pt, pb, pl, pr)``::

    y[n, f, i, j] = b[f] + sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * W[f, c, p, q]

    y: (N, F, OH, OW),   OH = floor((H + pt + pb - dh*(KH-1) - 1) / sh) + 1   (and so OW)

(Every deep-learning library computes this cross-correlation and calls it convolution; the
weights are learned, so flipping them would change nothing.)

Backward
--------
Each term ``xp[...] * W[f, c, p, q]`` of the sum sends ``dy[n, f, i, j]`` times the *other*
factor back to each factor (``minae/kernels/reference.py`` spells this out in loops)::

    dW[f, c, p, q] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw]
    db[f]          = sum_{n, i, j} dy[n, f, i, j]
    dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * W[f, c, p, q],   dx = dxp unpadded

The work is done by the taught passes of ``minae.kernels.conv`` (im2col + one matrix product
for the whole batch; col2im for ``dx``), one call away from ``forward`` and ``backward``. A
model switched to an engine (``model.use_engine(FastEngine())``, ``minae.engine``) runs the
same sums down faster roads instead.

Checks
------
Everything is checked here, once: the sizes in the constructor (``stride``, ``dilation`` and
``kernel_size`` become pairs: ``minae.layers.padding.conv_geometry``), the input's shape and
the padding in ``forward`` (``"same"`` becomes ``(pt, pb, pl, pr)`` for the input's size),
``dy``'s exact shape in ``backward`` before any gradient is written. The kernels get
normalised tuples and check nothing.

Padding
-------
``padding`` is an int, a pair, a pair of pairs (asymmetric), ``"valid"`` or ``"same"`` (Keras's:
``out = ceil(n / s)``, odd padding at the bottom/right; see ``minae.layers.padding``).
``"same"`` with both a stride and a dilation above 1 is refused, as Keras refuses it.
"""

from __future__ import annotations

import numpy as np

from minae import initializers
from minae.kernels.conv import conv2d_forward, conv2d_input_grad, conv2d_weight_grad
from minae.kernels.geometry import conv_output_size, effective_size
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


class Conv2D(Layer):
    """2-D convolution: ``y = conv(x, W) + b``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``F``.
    kernel_size : int or (KH, KW)
    stride : int or (sh, sw)
    padding : int, (ph, pw), ((pt, pb), (pl, pr)), "valid" or "same"
    dilation : int or (dh, dw)
        Gap between kernel taps (1 = adjacent).
    bias : bool
        Whether to add ``b`` (``params`` then has no ``"b"``).
    init : str
        ``"glorot_uniform"`` (Keras's default), ``"he_normal"`` or ``"pytorch"``, with
        ``fan_in = C * KH * KW`` and ``fan_out = F * KH * KW``.
    rng : np.random.Generator, optional
        Source of the initial weights; ``None`` means a fresh unseeded generator.
    dtype : numpy float dtype
        The dtype of ``W``, ``b`` and of the computation (float64 for gradient checks).

    Shapes
    ------
    x: (N, C, H, W) -> y: (N, F, OH, OW); W: (F, C, KH, KW); b: (F,)

    Attributes
    ----------
    engine : None or an engine (``minae.engine.FastEngine``)
        ``None`` (the default): the taught im2col passes of ``minae.kernels.conv``; set by
        ``use_engine``.
    input_grad : bool
        True (the default): ``backward`` returns ``dx``. False: it only fills ``grads`` and
        returns ``None``, for a first layer fed with data, whose ``dx`` nothing would use
        (``minae.engine.parallel.SplitBatch`` sets it on its copies of the model).
    """

    has_kernels = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, *, init: str = "glorot_uniform",
                 rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "Conv2D in_channels")
        self.out_channels = check_positive_int(out_channels, "Conv2D out_channels")
        self.kernel_size, self.stride, self.dilation, self.padding = pad.conv_geometry(
            kernel_size, stride, dilation, padding, "Conv2D")
        self.dtype = initializers.float_dtype(dtype, "Conv2D dtype")
        (kh, kw), C, F = self.kernel_size, self.in_channels, self.out_channels
        fan_in, fan_out = C * kh * kw, F * kh * kw
        self.params.update(initializers.weights_and_bias(
            init, (F, C, kh, kw), fan_in, fan_out, rng, self.dtype,
            bias_size=F if bias else None, what="Conv2D"))
        self.grads = zero_grads(self.params, "Conv2D")
        self.input_grad = True
        self.engine = None  # None: the taught im2col passes; see use_engine
        self.x: np.ndarray | None = None
        self.pads: tuple[int, int, int, int] | None = None
        self.y_shape: tuple | None = None

    def output_shape(self, input_shape: tuple) -> tuple:
        """``(N, F, OH, OW)`` for an input of shape ``(N, C, H, W)`` (after checking it)."""
        pads = self._check(input_shape)
        (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = (self.kernel_size, self.stride,
                                                          self.dilation, pads)
        return (input_shape[0], self.out_channels,
                conv_output_size(input_shape[2], kh, sh, pt + pb, dh),
                conv_output_size(input_shape[3], kw, sw, pl + pr, dw))

    def _check(self, shape: tuple) -> tuple[int, int, int, int]:
        """Raise if ``shape`` is not ``(N, C, H, W)`` or the kernel does not fit; return pads."""
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"Conv2D expected input (N, {self.in_channels}, H, W); "
                             f"got {tuple(shape)}")
        pads = pad.resolve_padding(self.padding, shape[2:], self.kernel_size, self.stride,
                                   self.dilation)
        span = tuple(effective_size(k, d) for k, d in zip(self.kernel_size, self.dilation,
                                                          strict=True))
        padded = (shape[2] + pads[0] + pads[1], shape[3] + pads[2] + pads[3])
        if span[0] > padded[0] or span[1] > padded[1]:
            raise ValueError(f"Conv2D kernel {self.kernel_size} with dilation {self.dilation} "
                             f"spans {span} pixels, larger than the padded input {padded} "
                             f"(input {tuple(shape)}, padding (top, bottom, left, right) = "
                             f"{pads}); expected H + pt + pb >= {span[0]} and "
                             f"W + pl + pr >= {span[1]}")
        N, (OH, OW) = shape[0], (padded[0] - span[0], padded[1] - span[1])
        check_allocation((N, padded[0], padded[1], self.in_channels), self.dtype,
                         f"{self!r} padded input")
        check_allocation((N, OH // self.stride[0] + 1, OW // self.stride[1] + 1,
                          self.kernel_size[0] * self.kernel_size[1] * self.in_channels),
                         self.dtype, f"{self!r} column matrix (im2col)")
        return pads

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Conv2D input", self.dtype)
        self.pads = self._check(x.shape)
        self.x = x  # the weight gradient needs x
        run = conv2d_forward if self.engine is None else self.engine.conv2d
        y = run(x, self.params["W"], self.stride, self.pads, self.dilation)
        if "b" in self.params:
            y += self.params["b"][:, None, None]  # one bias per output channel
        self.y_shape = y.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x, "Conv2D")
        dy = check_upstream(dy, self.y_shape, "Conv2D", self.dtype)
        hyper = (self.stride, self.pads, self.dilation)
        dw = conv2d_weight_grad if self.engine is None else self.engine.conv2d_dw
        self.grads["W"] = dw(self.x, dy, self.kernel_size, *hyper)
        if "b" in self.params:
            self.grads["b"] = dy.sum(axis=(0, 2, 3))  # every output pixel used b[f]
        if not self.input_grad:
            return None
        dx = conv2d_input_grad if self.engine is None else self.engine.conv2d_dx
        return dx(dy, self.params["W"], self.x.shape, *hyper)

    def __repr__(self) -> str:
        extra = "" if "b" in self.params else ", bias=False"
        return (f"Conv2D({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={pad.describe(self.padding)}, dilation={self.dilation}{extra})")
