"""Sequential: layers applied one after the other.

Forward runs the layers in order; backward runs them in reverse, each turning the gradient
of its output into the gradient of its input (the chain rule, one layer at a time)::

    h0 = x;  h(k+1) = layer_k.forward(h_k);  y = h_K
    g_K = dy;  g_k = layer_k.backward(g_(k+1));  dx = g_0

Parameters are exposed under dotted names: ``"0.W"`` is ``layers[0].params["W"]``.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Container, Layer


class Sequential(Container):
    """A chain of layers.

    Parameters
    ----------
    *layers : Layer
        Applied in the order given. ``Sequential.layers`` is the list.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Sequential argument {i} must be a Layer; got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self) -> list[tuple[str, Layer]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x: np.ndarray) -> np.ndarray:
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

    def summary(self, input_shape: tuple[int, ...], *, print_fn=print) -> str:
        """Print (and return) each layer's output shape and parameter count.

        ``input_shape`` is one example's shape, without the batch axis, e.g. ``(1, 28, 28)``.
        It runs one forward pass on zeros in eval mode, then restores the mode.
        """
        was_training = self.training
        self.eval()
        dtype = next(iter(self.params.values())).dtype if self.params else np.float32
        x = np.zeros((1,) + tuple(input_shape), dtype=dtype)
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
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential({inner})"
