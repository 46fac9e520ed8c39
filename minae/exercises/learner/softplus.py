"""Exercise softplus: softplus's backward pass.

Write Softplus.backward: return dx = dL/dx (check dy with check_upstream). Forward kept its
input, self.x; sigmoid (imported for you) is numerically stable.

The math to derive
------------------
y = softplus(x) = log(1 + exp(x)). Differentiate:

    softplus'(x) = exp(x) / (1 + exp(x)) = ?  (a function you know)

and write it so that it cannot overflow for large |x|.

Shapes
------
x, y, dy, dx: any shape, all the same.

How it is checked
-----------------
5 cases of random shapes (inputs of scale 2; one in float32, compared at a float32
tolerance, dtype checked) and one with inputs of size 60 to 800, where exp(x) / (1 + exp(x))
overflows to NaN (compared with minae's value); dx is compared with the central-difference
gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check softplus     # after filling in the TODOs
    python -m minae.exercises hint softplus      # a nudge; run again for more

Generated from minae/layers/activations.py (Softplus.backward) by `python -m minae.exercises
generate`; edit your copy, not the one inside the minae package. Read minae's solution,
minae/layers/activations.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid, softplus
from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class Softplus(Layer):
    def __init__(self) -> None:
        super().__init__()
        self.x = None  # the input of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = as_float_array(x, "Softplus input")
        return softplus(self.x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.x, "Softplus")
        # TODO (softplus): return dx = dL/dx from dy and what forward kept (self.x)
        raise NotImplementedError("exercise softplus not started")
