"""The Layer contract: what every building block of minae promises.

A layer is a function ``y = f(x; params)`` that can also run backwards::

    y  = layer.forward(x)     # compute y, keep on `self` what backward will need
    dx = layer.backward(dy)   # dy = dL/dy in, dL/dx out; also *writes* layer.grads

``layer.params`` and ``layer.grads`` are dicts of NumPy arrays with the same keys:
``grads[k]`` holds dL/d(params[k]) from the most recent backward pass. Backward *replaces*
the gradients (it never adds to them), so there is no ``zero_grad``. Parameter arrays are never
rebound: optimizers update them in place (``W -= lr * dW``) and loading copies into them, so a
reference to ``layer.params["W"]`` stays valid for the layer's whole life.

Containers (``Sequential``, the models) hold other layers and expose their children's
parameters under dotted names: ``"0.W"`` is parameter ``W`` of child ``0``.

Rules every layer follows
-------------------------
* dtype: a layer with parameters computes in its parameters' dtype (``dtype=np.float32`` by
  default, ``np.float64`` for gradient checks). Float inputs of another precision are cast.
  Integer, bool or object inputs raise ``TypeError`` (a silent cast of labels or masks into a
  network is a bug far more often than it is intended).
* randomness: anything random comes from an explicit ``np.random.Generator`` passed as
  ``rng=``; ``rng=None`` means a fresh, unseeded generator.
* ``train()`` / ``eval()`` set ``layer.training`` (Dropout reads it; containers pass it down).
* ``use_engine(engine)`` gives the convolution, pooling and upsampling layers an engine
  (``minae.engine.FastEngine``) whose faster roads compute the same sums; without one
  (``engine = None``, the default) they run the taught passes of ``minae.kernels``.
  Containers pass it down; it returns ``self``.
"""

from __future__ import annotations

import numpy as np


class Layer:
    """Base class of every layer. Subclasses implement ``forward`` and ``backward``.

    Attributes
    ----------
    params : dict[str, ndarray]
        The trainable arrays (empty for layers without parameters).
    grads : dict[str, ndarray]
        dL/d(params[k]) from the last backward pass; same keys and shapes as ``params``.
    training : bool
        True after ``train()`` (the default), False after ``eval()``.
    """

    has_kernels = False  # True for layers that run on an engine (see ``use_engine``)

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.backward is not written")

    def __call__(self, x: np.ndarray, **kwargs) -> np.ndarray:
        return self.forward(x, **kwargs)

    def train(self) -> Layer:
        """Switch to training mode (Dropout drops). Returns ``self``."""
        self.training = True
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode (Dropout is the identity). Returns ``self``."""
        self.training = False
        return self

    def use_engine(self, engine) -> Layer:
        """Run this layer's kernels on ``engine`` (``None``: the plain, taught path).

        Only layers whose work is done by swappable kernels (``has_kernels = True``: the
        convolution, pooling and upsampling layers) keep it, as ``self.engine``; for the others
        this does nothing. Returns ``self``, so ``model = build().use_engine(FastEngine())``.
        """
        if self.has_kernels:
            self.engine = engine
        return self

    def num_parameters(self) -> int:
        """Total number of trainable numbers."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Container(Layer):
    """A layer made of named child layers, whose parameters it exposes under dotted names.

    Subclasses implement ``children()``, returning ``[(name, layer), ...]``. ``params`` and
    ``grads`` are built from the children each time they are read, so they always show the
    children's current arrays (``"encoder.0.W"`` is ``encoder.params["0.W"]``).
    """

    def __init__(self) -> None:
        self.training = True  # no own params: they come from the children

    def children(self) -> list[tuple[str, Layer]]:
        raise NotImplementedError

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {
            f"{name}.{key}": value
            for name, child in self.children()
            for key, value in child.params.items()
        }

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {
            f"{name}.{key}": value
            for name, child in self.children()
            for key, value in child.grads.items()
        }

    def train(self) -> Container:
        self.training = True
        for _, child in self.children():
            child.train()
        return self

    def eval(self) -> Container:
        self.training = False
        for _, child in self.children():
            child.eval()
        return self

    def use_engine(self, engine) -> Container:
        """Give every layer inside the container ``engine`` (see ``Layer.use_engine``)."""
        for _, child in self.children():
            child.use_engine(engine)
        return self


def print_or_return(lines: list[str], print_fn) -> str | None:
    """How every ``summary`` ends: the lines joined, printed with ``print_fn`` (returning None,
    so a notebook cell shows the summary once), or returned when ``print_fn`` is None."""
    text = "\n".join(lines)
    if print_fn is None:
        return text
    print_fn(text)
    return None
