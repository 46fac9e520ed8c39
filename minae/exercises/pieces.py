"""The learner's passing exercises as parts of a minae model.

A lesson's model is built by minae's own builder; then each part an exercise covers is taken
from the learner's file when its check passes, and stays minae's otherwise:

* layer classes (``Dense``, ``ReLU``, ``Sigmoid``): each instance is replaced by the learner's
  class, with the same parameters copied in;
* the convolution's passes (``conv2d_im2col``): an engine object, ``LearnerEngine``, that the
  model's ``Conv2D`` layers run (``model.use_engine(...)``, the same switch as minae's
  ``FastEngine``), so nothing in minae is reassigned;
* pooling and upsampling kernels: the layer is replaced by a subclass whose forward and
  backward call the learner's kernel functions;
* the loss function and the optimizer: used by the training loop in ``train.py``.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Container
from minae.layers.checks import check_forward_done, check_upstream
from minae.layers.pooling import MaxPool2D
from minae.layers.upsample import Upsample2D


class LearnerEngine:
    """The convolution's three passes from the learner's ``conv2d_im2col`` file."""

    def __init__(self, mod) -> None:
        self.mod = mod

    def conv2d(self, x, w, stride, padding, dilation):
        return self.mod.conv2d_forward(x, w, stride, padding, dilation)

    def conv2d_dx(self, dy, w, x_shape, stride, padding, dilation):
        return self.mod.conv2d_input_grad(dy, w, x_shape, stride, padding, dilation)

    def conv2d_dw(self, x, dy, kernel_size, stride, padding, dilation):
        return self.mod.conv2d_weight_grad(x, dy, kernel_size, stride, padding, dilation)

    def __deepcopy__(self, memo) -> LearnerEngine:
        return self


class LearnerMaxPool2D(MaxPool2D):
    """``MaxPool2D`` running the learner's ``max_pool2d_forward`` / ``max_pool2d_backward``."""

    def __init__(self, layer: MaxPool2D, mod) -> None:
        self.__dict__.update(layer.__dict__)
        self.mod = mod

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.pads = self._check(x.shape)
        y, self.winner = self.mod.max_pool2d_forward(x, self.kernel_size, self.stride, self.pads)
        self.x_shape, self.y_shape = x.shape, y.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x_shape, "MaxPool2D")
        dy = check_upstream(dy, self.y_shape, "MaxPool2D")
        return self.mod.max_pool2d_backward(dy, self.winner, self.x_shape, self.kernel_size,
                                            self.stride, self.pads)


class LearnerUpsample2D(Upsample2D):
    """``Upsample2D`` running the learner's ``upsample2d_forward`` / ``upsample2d_backward``."""

    def __init__(self, layer: Upsample2D, mod) -> None:
        self.__dict__.update(layer.__dict__)
        self.mod = mod

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape, self.y_shape = x.shape, self.output_shape(x.shape)
        return self.mod.upsample2d_forward(x, self.scale_factor, self.mode)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x_shape, "Upsample2D")
        dy = check_upstream(dy, self.y_shape, "Upsample2D")
        return self.mod.upsample2d_backward(dy, self.x_shape, self.scale_factor, self.mode)


def _learner_layer(layer, cls):
    """A learner's layer class in place of minae's ``layer``, with the same parameters."""
    if not layer.params:
        return cls()
    d_in, d_out = layer.params["W"].shape
    new = cls(d_in, d_out, dtype=layer.params["W"].dtype)
    for k, v in layer.params.items():
        new.params[k][...] = v
    return new


def swap_layers(container: Container, mods: dict) -> None:
    """Replace, inside ``container`` (recursively), each layer a learner module covers."""
    classes = {"Dense": "dense", "ReLU": "relu", "Sigmoid": "sigmoid"}
    layers = getattr(container, "layers", None)
    if layers is None:  # a container that is not a Sequential: its children hold the layers
        for _, child in container.children():
            if isinstance(child, Container):
                swap_layers(child, mods)
        return
    for i, layer in enumerate(layers):
        kind = type(layer).__name__
        if isinstance(layer, Container):
            swap_layers(layer, mods)
        elif kind in classes and classes[kind] in mods:
            layers[i] = _learner_layer(layer, getattr(mods[classes[kind]], kind))
        elif kind == "MaxPool2D" and "maxpool2d" in mods:
            layers[i] = LearnerMaxPool2D(layer, mods["maxpool2d"])
        elif kind == "Upsample2D" and "upsample2d" in mods:
            layers[i] = LearnerUpsample2D(layer, mods["upsample2d"])
