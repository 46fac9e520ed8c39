"""Exercise tanh: tanh's backward pass, from what forward kept.

Write Tanh.backward: return dx = dL/dx (check dy with check_upstream, as Sigmoid does).
Forward kept only its output, self.y = tanh(x); write the derivative with it.

The math to derive
------------------
y = tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)). Differentiate (quotient rule) and
write the result with y alone:

    tanh'(x) = ?        then dx = dy * tanh'(x), element by element.

Shapes
------
x, y, dy, dx: any shape, all the same.

How it is checked
-----------------
4 cases of random shapes (one in float32, compared at a float32 tolerance, dtype checked),
inputs of scale 2 and a random upstream gradient dy; dx is compared with the
central-difference gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check tanh     # after filling in the TODOs
    python -m minae.exercises hint tanh      # a nudge; run again for more

Generated from minae/layers/activations.py (Tanh.backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/layers/activations.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class Tanh(Layer):
    def __init__(self) -> None:
        super().__init__()
        self.y = None  # the output of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(as_float_array(x, "Tanh input"))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.y, "Tanh")
        # TODO (tanh): return dx = dL/dx from dy and what forward kept (self.y)
        raise NotImplementedError("exercise tanh not started")
