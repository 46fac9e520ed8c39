"""Exercise dense: the backward pass of a fully connected layer.

Write Dense.backward: given dy = dL/dy, store the gradients of W and b in self.grads["W"]
and self.grads["b"] (write them, never add to them) and return dx = dL/dx. Forward kept the
input in self.x.

The math to derive
------------------
Forward: y = x @ W + b, that is y[n, j] = sum_i x[n, i] W[i, j] + b[j].

Each parameter gets the sum, over every y[n, j] it touches, of dy[n, j] times its
coefficient in y[n, j]. Derive, entry by entry and then as one matrix expression:

    dW[i, j] = dL/dW[i, j]  = ?        (W[i, j] appears in y[n, j] for every n)
    db[j]    = dL/db[j]     = ?        (b[j] appears in y[n, j] for every n)
    dx[n, i] = dL/dx[n, i]  = ?        (x[n, i] appears in y[n, j] for every j)

Shapes
------
x: (N, D_in), W: (D_in, D_out), b: (D_out,), y and dy: (N, D_out). Each gradient has the
shape of what it is the gradient of: dW (D_in, D_out), db (D_out,), dx (N, D_in).

How it is checked
-----------------
5 cases with random shapes (one with D_in = D_out, so a transposed W has the right shape and
only its values can give it away; one with a batch of 1; one in float32, the layers'
default, compared with minae's float64 answer at a float32 tolerance and its dtype checked),
random W, b, x and a random upstream gradient dy. Each of y, dx, dW and db (from a second
forward and backward pass, so gradients that are added instead of written show) is compared
with minae's forward and with the central-difference gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check dense     # after filling in the TODOs
    python -m minae.exercises hint dense      # a nudge; run again for more

Generated from minae/layers/dense.py (Dense.backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/layers/dense.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

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
        # TODO (dense): set self.grads["W"] and self.grads["b"], then return dx
        raise NotImplementedError("exercise dense not started")

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"
