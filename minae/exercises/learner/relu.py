"""Exercise relu: ReLU: what forward must keep, and the backward pass.

Write ReLU.forward (return max(x, 0), and keep on self whatever backward will need) and
ReLU.backward (return dx = dL/dx). The layer has no parameters.

The math to derive
------------------
y = max(x, 0) element by element, so y[i] depends on x[i] alone and the chain rule has one
term per element:

    dx[i] = dL/dx[i] = dy[i] * f'(x[i]),        f'(x) = ?

At x = 0 there is no derivative; use 0 there (every framework does). What is the smallest
thing forward can store so that backward can compute f'(x)?

Shapes
------
x, y, dy, dx: any shape, all the same.

How it is checked
-----------------
Float64, 3 cases of random shapes, inputs kept at least 0.2 away from the kink at 0, a
random upstream gradient dy. y is compared with minae's ReLU, dx with the central-difference
gradient of L = sum(forward(x) * dy).

Commands
--------
    python -m minae.exercises check relu     # after filling in the TODOs
    python -m minae.exercises hint relu      # a nudge; run again for more

Generated from minae/layers/activations.py (ReLU.forward and ReLU.backward) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package.
"""

# ruff: noqa: B007, F401, F841  (until the TODOs are filled in, some names are unused)

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array


class ReLU(Layer):
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "ReLU input")
        # TODO (relu): return y = max(x, 0), keeping on self what backward will need
        raise NotImplementedError("exercise relu not started")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # TODO (relu): return dx = dL/dx from dy and what forward kept
        raise NotImplementedError("exercise relu not started")
