"""Exercise relu: ReLU: what forward must keep, and the backward pass.

Write ReLU.forward (return max(x, 0), and keep on self whatever backward will need) and
ReLU.backward (return dx = dL/dx). The layer has no parameters.

The math to derive
------------------
y = max(x, 0) element by element, so y[i] depends on x[i] alone and the chain rule has one
term per element:

    dx[i] = dL/dx[i] = dy[i] * f'(x[i]),        f'(x) = ?

At x = 0 there is no derivative; minae uses 0 there (every framework does), and the check
holds you to it. What is the smallest thing forward can store so that backward can compute
f'(x)?

Shapes
------
x, y, dy, dx: any shape, all the same.

How it is checked
-----------------
6 cases: random shapes with inputs at least 0.2 away from the kink (y compared with minae's
ReLU, dx with the central-difference gradient of L = sum(forward(x) * dy)), and inputs a
quarter of which are exactly 0, where dx is compared with minae's documented value (0 at x =
0; a finite difference would give 0.5 there). One case of each kind runs in float32 (the
layers' default), compared at a float32 tolerance with the dtype checked.

Commands
--------
    python -m minae.exercises check relu     # after filling in the TODOs
    python -m minae.exercises hint relu      # a nudge; run again for more

Generated from minae/layers/activations.py (ReLU.forward and ReLU.backward) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package. Read
minae's solution, minae/layers/activations.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class ReLU(Layer):
    def __init__(self) -> None:
        super().__init__()
        self.mask = None  # (x > 0) of the last forward pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "ReLU input")
        # TODO (relu): return y = max(x, 0), keeping on self what backward will need
        raise NotImplementedError("exercise relu not started")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.mask, "ReLU")
        dy = check_upstream(dy, self.mask.shape, "ReLU")
        # TODO (relu): return dx = dL/dx from dy and what forward kept
        raise NotImplementedError("exercise relu not started")
