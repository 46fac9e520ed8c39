"""Sequential: layers applied one after the other.

Forward runs the layers in order; backward runs them in reverse, each turning the gradient
of its output into the gradient of its input (the chain rule, one layer at a time)::

    h0 = x;  h(k+1) = layer_k.forward(h_k);  y = h_K
    g_K = dy;  g_k = layer_k.backward(g_(k+1));  dx = g_0

Parameters are exposed under dotted names: ``"0.W"`` is ``layers[0].params["W"]``.

A Sequential used on its own is a model, so its ``forward`` is a model boundary and checks its
input the way ``AutoEncoder`` and ``fit`` do: a float array (integers and bools raise
``TypeError``), cast to the parameters' dtype, with no NaN or inf (``ValueError`` naming the
input). A model that holds a Sequential as its encoder or decoder checks its own input once
and sets the part's ``check_input`` to False, so the check runs once per batch, at the door,
and an overflow deep inside a diverging model reaches the loss (and ``fit``'s divergence
guard) instead of being reported as bad data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minae.layers.base import Container, Layer, print_or_return
from minae.layers.checks import as_float_array, check_finite


class Sequential(Container):
    """A chain of layers.

    Parameters
    ----------
    *layers : Layer
        Applied in the order given. ``Sequential.layers`` is the list.
    check_input : bool
        True (the default): ``forward`` checks its input's dtype and finiteness (see the module
        docstring). A containing model sets it to False on its parts.
    """

    def __init__(self, *layers: Layer, check_input: bool = True) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential argument {i} must be a Layer; got {type(layer).__name__}")
        self.layers = list(layers)
        self.check_input = bool(check_input)

    def children(self) -> list[tuple[str, Layer]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter (and so of the computation); None if none."""
        for p in self.params.values():
            return p.dtype
        return None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.check_input:
            x = as_float_array(x, "Sequential input", self.dtype)
            check_finite(x, "Sequential input")
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def summary(self, input_shape: tuple[int, ...], *,
                print_fn: Callable[[str], object] | None = print) -> str | None:
        """Each layer's output shape and parameter count, as a table.

        ``input_shape`` is one example's shape, without the batch axis, e.g. ``(1, 28, 28)``.
        It runs one forward pass on zeros in eval mode, then restores the mode.

        ``print_fn=print`` (the default) prints the table and returns None, so a notebook cell
        shows it once (a returned string would show a second time, escaped); any other callable
        receives the text instead of ``print``. ``print_fn=None`` prints nothing and returns
        the text.
        """
        was_training = self.training
        self.eval()
        x = np.zeros((1,) + tuple(input_shape), dtype=self.dtype or np.float32)
        rows = [("input", str(tuple(input_shape)), "")]
        try:
            for i, layer in enumerate(self.layers):
                x = layer.forward(x)
                rows.append((f"{i}: {layer!r}", str(x.shape[1:]), f"{layer.num_parameters():,}"))
        finally:
            if was_training:
                self.train()
        width = max(len(r[0]) for r in rows) + 2
        lines = [f"{'layer':<{width}}{'output shape':<18}{'params':>10}", "-" * (width + 28)]
        lines += [f"{a:<{width}}{b:<18}{c:>10}" for a, b, c in rows]
        lines.append(f"total parameters: {self.num_parameters():,}")
        return print_or_return(lines, print_fn)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential({inner})"
