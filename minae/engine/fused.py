"""Fused: train a model with its convolutions, ReLUs and max pools fused on the fast engine.

    model = conv_autoencoder(rng=np.random.default_rng(0)).use_engine(FastEngine())
    fit(Fused(model), x, ...)                  # or SplitBatch(Fused(model)) on every core

A model's layers run one after the other, each reading its input from memory and writing a
new output. ``Fused`` runs the *same layers* (the model is not changed: parameter names, layer
indices, ``summary()``, ``save`` / ``load`` files all stay what they are) but walks them in
steps, and where a step is a ``Conv2D`` on an engine followed by a ``ReLU`` (and a
``MaxPool2D``) it computes them together in the convolution's output write
(``minae.engine.epilogue``: the math, and why it gives the same numbers)::

    Conv2D -> ReLU -> MaxPool2D    one write of (pooled, winner); nothing else kept
    Conv2D -> ReLU                 one write of y = max(conv + b, 0); the mask is y > 0
    Upsample2D -> Conv2D [-> ReLU] one convolution of the small image (minae.engine.upconv):
                                   the upsampled image is never made
    any other layer                its own forward / backward

The backward pass of a fused step writes the convolution's gradients into its ``grads`` as
``Conv2D.backward`` does. Training needs no gradient with respect to the data, so when the
first step is a fused convolution its input gradient is skipped and ``backward`` returns None
(``Fused(model, input_grad=True)`` computes it); any other convolution computes it unless its
layer's ``input_grad`` is False.

What it accepts: a ``Sequential`` (nested ones too) or an ``AutoEncoder`` whose encoder and
decoder are ``Sequential``: the models whose ``forward`` is their layers in order. Like
``SplitBatch`` it is for training (``fit`` reads ``params`` / ``grads`` / ``forward`` /
``backward``); evaluate, save and plot ``model`` itself. The input is checked at the door as
the model checks it (float, finite, the model's ``input_shape``).
"""

from __future__ import annotations

import numpy as np

from minae.engine import epilogue, upconv
from minae.engine.parallel import leaves
from minae.layers import padding as pad
from minae.layers.activations import ReLU
from minae.layers.base import Container, Layer
from minae.layers.checks import as_float_array, check_finite, check_forward_done, check_upstream
from minae.layers.conv import Conv2D
from minae.layers.pooling import MaxPool2D
from minae.layers.sequential import Sequential
from minae.layers.upsample import Upsample2D


class ConvReLU:
    """``Conv2D -> ReLU`` (``pool=None``) or ``Conv2D -> ReLU -> MaxPool2D``, as one step."""

    def __init__(self, conv: Conv2D, pool: MaxPool2D | None = None) -> None:
        self.conv, self.pool = conv, pool
        self.input_grad = True  # False: backward returns None (a first layer fed with data)
        self.x = self.out = self.winner = None
        self.v_shape = self.pool_pads = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        conv, engine = self.conv, self.conv.engine
        x = as_float_array(x, "Conv2D input", conv.dtype)
        self.v_shape = conv.output_shape(x.shape)  # checks x's shape and the kernel's fit
        pads = pad.resolve_padding(conv.padding, x.shape[2:], conv.kernel_size, conv.stride,
                                   conv.dilation)
        conv.x, conv.pads, conv.y_shape = x, pads, self.v_shape
        bias = conv.params.get("b")
        if self.pool is None:
            write = epilogue.BiasReLU(np.empty(self.v_shape, dtype=conv.dtype), bias)
        else:
            pool = self.pool
            pool.output_shape(self.v_shape)  # its checks: the window fits the padded input
            self.pool_pads = pad.resolve_padding(pool.padding, self.v_shape[2:],
                                                 pool.kernel_size, pool.stride)
            write = epilogue.BiasReLUMaxPool(engine, self.v_shape, bias, pool.kernel_size,
                                             pool.stride, self.pool_pads, conv.dtype)
        engine.conv2d(x, conv.params["W"], conv.stride, pads, conv.dilation, write=write)
        self.x = x
        if self.pool is None:
            self.out = write.y
        else:
            self.out, self.winner = write.pooled, write.winner
        return self.out

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        check_forward_done(self.x, "Conv2D")
        dy = check_upstream(dy, self.out.shape, "Conv2D + ReLU", self.conv.dtype)
        if self.pool is None:
            du = epilogue.relu_backward(dy, self.out)
        else:
            du = epilogue.relu_max_pool_backward(dy, self.out, self.winner, self.v_shape,
                                                 self.pool.kernel_size, self.pool.stride,
                                                 self.pool_pads)
        conv, engine = self.conv, self.conv.engine
        hyper = (conv.stride, conv.pads, conv.dilation)
        conv.grads["W"] = engine.conv2d_dw(self.x, du, conv.kernel_size, *hyper)
        if "b" in conv.params:
            conv.grads["b"] = np.einsum("nfij->f", du)  # sum over n, i, j (2x du.sum here)
        if not (conv.input_grad and self.input_grad):
            return None
        return engine.conv2d_dx(du, conv.params["W"], self.x.shape, *hyper)


class UpConv:
    """``Upsample2D(nearest) -> Conv2D [-> ReLU]`` as one convolution of the small image
    (``minae.engine.upconv``: the upsampled image is never made)."""

    def __init__(self, up: Upsample2D, conv: Conv2D, relu: bool) -> None:
        self.up, self.conv, self.relu = up, conv, relu
        self.input_grad = True
        self.x = self.y = self.pads = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        up, conv = self.up, self.conv
        x = as_float_array(x, "Upsample2D input", conv.dtype)
        u_shape = up.output_shape(x.shape)  # the layers' own checks, on the shapes
        conv.output_shape(u_shape)
        self.pads = pad.resolve_padding(conv.padding, u_shape[2:], conv.kernel_size, (1, 1),
                                        (1, 1))
        y = upconv.forward(conv.engine, x, conv.params["W"], up.scale_factor, self.pads)
        if "b" in conv.params:
            y += conv.params["b"][:, None, None]
        if self.relu:
            np.maximum(y, 0, out=y)
        self.x, self.y = x, y
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        check_forward_done(self.x, "Upsample2D + Conv2D")
        dy = check_upstream(dy, self.y.shape, "Upsample2D + Conv2D", self.conv.dtype)
        if self.relu:
            dy = epilogue.relu_backward(dy, self.y)
        conv = self.conv
        if "b" in conv.params:
            conv.grads["b"] = np.einsum("nfij->f", dy)
        want = conv.input_grad and self.input_grad
        dx, conv.grads["W"] = upconv.backward(conv.engine, self.x, conv.params["W"], dy,
                                              self.up.scale_factor, self.pads, want)
        return dx


def _upconv_fits(up, conv) -> bool:
    return (isinstance(up, Upsample2D) and up.mode == "nearest" and isinstance(conv, Conv2D)
            and conv.engine is not None and conv.stride == (1, 1) and conv.dilation == (1, 1))


def plan(layers: list[Layer]) -> list:
    """The steps: ``ConvReLU`` where a ``Conv2D`` on an engine is followed by a ``ReLU`` (and
    a ``MaxPool2D``), ``UpConv`` where a nearest ``Upsample2D`` precedes one (and its
    ``ReLU``), every other layer on its own."""
    steps, i = [], 0
    while i < len(layers):
        layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if _upconv_fits(layer, nxt):
            relu = i + 2 < len(layers) and isinstance(layers[i + 2], ReLU)
            steps.append(UpConv(layer, nxt, relu))
            i += 3 if relu else 2
        elif isinstance(layer, Conv2D) and layer.engine is not None and isinstance(nxt, ReLU):
            after = layers[i + 2] if i + 2 < len(layers) else None
            pool = after if isinstance(after, MaxPool2D) and \
                after.kernel_size[0] * after.kernel_size[1] <= 127 else None
            steps.append(ConvReLU(layer, pool))
            i += 3 if pool is not None else 2
        else:
            steps.append(layer)
            i += 1
    return steps


def _chain(model: Layer) -> list[Layer]:
    """The model's layers in the order its ``forward`` runs them (see the module docstring)."""
    from minae.autoencoders import AutoEncoder  # a model: imported here, where it is used

    if isinstance(model, Sequential):
        return leaves(model)
    if type(model) is AutoEncoder and all(isinstance(part, Sequential)
                                          for part in (model.encoder, model.decoder)):
        return leaves(model)
    raise TypeError(f"Fused runs a Sequential, or an AutoEncoder of two Sequentials, whose "
                    f"forward is its layers in order; got {type(model).__name__}: train it "
                    "without Fused")


class Fused(Container):
    """``model`` trained in fused steps (see the module docstring).

    Parameters
    ----------
    model : Sequential or AutoEncoder (with Sequential parts)
    input_grad : bool
        False (the default): a fused first step skips the input gradient, which training
        never uses, and ``backward`` returns None. True: ``backward`` returns ``dx``.

    Attributes
    ----------
    model : the model itself: its parameters are the ones trained
    params, grads : the model's, under the model's own names
    """

    def __init__(self, model: Layer, input_grad: bool = False) -> None:
        super().__init__()
        self.model = model
        self.input_grad = bool(input_grad)
        self.layers = _chain(model)
        self.steps = self._plan()
        self.training = model.training

    def _plan(self) -> list:
        steps = plan(self.layers)
        if steps and isinstance(steps[0], (ConvReLU, UpConv)):
            steps[0].input_grad = self.input_grad
        return steps

    def children(self) -> list[tuple[str, Layer]]:
        return self.model.children()  # the model's names, unchanged

    def use_engine(self, engine) -> Fused:
        """Give the model ``engine`` and plan the steps again (fusion needs an engine)."""
        self.model.use_engine(engine)
        self.steps = self._plan()
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x -> the model's output``, checked at the door as the model checks it."""
        x = as_float_array(x, f"{type(self.model).__name__} input", self.layers_dtype())
        check_finite(x, f"{type(self.model).__name__} input")
        expected = getattr(self.model, "input_shape", None)
        if expected is not None and x.shape[1:] != tuple(expected):
            raise ValueError(f"{type(self.model).__name__} input must be images "
                             f"(N, {', '.join(map(str, expected))}), the shape this model was "
                             f"built for; got {x.shape}")
        for step in self.steps:
            x = step.forward(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        for step in reversed(self.steps):
            dy = step.backward(dy)
            if dy is None:
                return None  # a first convolution that skips its input gradient
        return dy

    def layers_dtype(self):
        for p in self.model.params.values():
            return p.dtype
        return np.float32

    def __repr__(self) -> str:
        fused = sum(isinstance(s, (ConvReLU, UpConv)) for s in self.steps)
        return f"Fused({type(self.model).__name__}, {fused} fused steps)"
