"""Dense (fully connected) layer: the whole of backprop in one small file.

Forward
-------
For a batch of ``N`` row vectors ``x: (N, D_in)``, weights ``W: (D_in, D_out)`` and a bias
``b: (D_out,)``::

    y = x @ W + b                                  y: (N, D_out)

Written out for one example ``n`` and one output unit ``j``::

    y[n, j] = sum_i x[n, i] * W[i, j] + b[j]

Backward
--------
We are handed ``dy = dL/dy`` (same shape as ``y``) and want ``dL/dx``, ``dL/dW``, ``dL/db``.
By the chain rule, each is a sum over every ``y[n, j]`` that the variable touches:

* ``W[i, j]`` appears in ``y[n, j]`` for every example ``n``, with coefficient ``x[n, i]``::

      dW[i, j] = sum_n x[n, i] * dy[n, j]          ->  dW = x.T @ dy       (D_in, D_out)

* ``b[j]`` appears in ``y[n, j]`` for every ``n`` with coefficient 1::

      db[j] = sum_n dy[n, j]                       ->  db = dy.sum(axis=0)  (D_out,)

  (Forgetting this sum over the batch is the most common bug in a first backward pass.)

* ``x[n, i]`` appears in ``y[n, j]`` for every output ``j``, with coefficient ``W[i, j]``::

      dx[n, i] = sum_j dy[n, j] * W[i, j]          ->  dx = dy @ W.T        (N, D_in)

A handy check: each gradient has the shape of the thing it is the gradient of, and there is
only one way to multiply the available matrices to get that shape.

Refused at once, with a message naming the argument: sizes that are not positive integers
(``Dense(3.0, 2)``), a ``dtype`` that is not a float, an ``rng`` that is not a
``np.random.Generator``, weights that would need more than a terabyte (``Dense(10**6, 10**6)``),
``backward`` before ``forward``, and a ``dy`` whose shape is not exactly ``y``'s (the gradients
are left as they were).
"""

from __future__ import annotations

import numpy as np

from minae import initializers
from minae.layers.base import Layer
from minae.layers.checks import (
    as_float_array,
    check_forward_done,
    check_positive_int,
    check_rng,
    check_upstream,
    zero_grads,
)


class Dense(Layer):
    """``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        ``D_in`` and ``D_out``.
    init : str
        ``"glorot_uniform"`` (Keras's default), ``"he_normal"`` or ``"pytorch"``.
    rng : np.random.Generator, optional
        Source of the initial weights; ``None`` means a fresh unseeded generator.
    dtype : numpy float dtype
        The dtype of ``W``, ``b`` and of the computation (float64 for gradient checks).

    Shapes
    ------
    x: (N, D_in) -> y: (N, D_out); W: (D_in, D_out); b: (D_out,)
    """

    def __init__(self, in_features: int, out_features: int, *, init: str = "glorot_uniform",
                 rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "Dense in_features")
        self.out_features = check_positive_int(out_features, "Dense out_features")
        self.dtype = initializers.float_dtype(dtype, "Dense dtype")
        rng = check_rng(rng, "Dense")
        d_in, d_out = self.in_features, self.out_features
        self.params.update(initializers.weights_and_bias(
            init, (d_in, d_out), d_in, d_out, rng, self.dtype, bias_size=d_out, what=repr(self)))
        self.grads = zero_grads(self.params, repr(self))
        self.x = None  # the input of the last forward pass (None: no forward yet)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Dense input", self.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Dense expected input (N, {self.in_features}); got {x.shape}")
        self.x = x  # backward needs x for dW
        y = x @ self.params["W"]
        y += self.params["b"]  # in place: one (N, D_out) array, not two
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x, "Dense")
        dy = check_upstream(dy, (len(self.x), self.out_features), "Dense", self.dtype)
        # EXERCISE dense: set self.grads["W"] and self.grads["b"], then return dx
        self.grads["W"] = self.x.T @ dy        # (D_in, N) @ (N, D_out)
        self.grads["b"] = dy.sum(axis=0)       # one bias, used by every example
        return dy @ self.params["W"].T         # (N, D_out) @ (D_out, D_in)
        # END EXERCISE

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"
