"""Exercise sigmoid: the sigmoid's backward pass, from what forward kept.

Write Sigmoid.backward: return dx = dL/dx. Forward kept only its output, self.y =
sigmoid(x); write the derivative in terms of it, so nothing is recomputed.

The math to derive
------------------
y = s(x) = 1 / (1 + exp(-x)). Differentiate and express the result with y alone:

    s'(x) = exp(-x) / (1 + exp(-x))^2 = ?  (in terms of y = s(x))

then dx = dy * s'(x), element by element.

Shapes
------
x, y, dy, dx: any shape, all the same.

How it is checked
-----------------
4 cases of random shapes (one in float32, compared with minae's float64 answer at a float32
tolerance, dtype checked), random inputs of scale 2 and a random upstream gradient dy. dx is
compared with the central-difference gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check sigmoid     # after filling in the TODOs
    python -m minae.exercises hint sigmoid      # a nudge; run again for more

Generated from minae/layers/activations.py (Sigmoid.backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/layers/activations.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class Sigmoid(Layer):
    def __init__(self) -> None:
        super().__init__()
        self.y = None  # the output of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(as_float_array(x, "Sigmoid input"))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.y, "Sigmoid")
        dy = check_upstream(dy, self.y.shape, "Sigmoid")
        # TODO (sigmoid): return dx = dL/dx from dy and what forward kept (self.y)
        raise NotImplementedError("exercise sigmoid not started")
