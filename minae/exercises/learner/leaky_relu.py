"""Exercise leaky_relu: LeakyReLU: what forward keeps, and the backward pass.

Write LeakyReLU.forward (return y and keep in self.slope the derivative f'(x), 1 or
negative_slope, in the input's dtype) and LeakyReLU.backward (return dx = dL/dx).

The math to derive
------------------
y = x where x > 0, else a x (a = negative_slope). Element by element:

    f'(x) = ?  (for x > 0 and for x < 0)        dx = dy * f'(x)

At x = 0 minae uses the left side, a (like PyTorch): the check holds you to it.

Shapes
------
x, y, dy, dx, self.slope: any shape, all the same.

How it is checked
-----------------
6 cases with negative_slope 0.2: random shapes away from 0 (dx compared with the
central-difference gradient of L = sum(forward(x) * dy)) and inputs a quarter of which are
exactly 0 (dx compared with minae's value, a * dy there); one case of each in float32,
compared at a float32 tolerance with the dtype checked.

Commands
--------
    python -m minae.exercises check leaky_relu     # after filling in the TODOs
    python -m minae.exercises hint leaky_relu      # a nudge; run again for more

Generated from minae/layers/activations.py (LeakyReLU.forward and LeakyReLU.backward) by
`python -m minae.exercises generate`; edit your copy, not the one inside the minae package.
Read minae's solution, minae/layers/activations.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import as_float_array, check_forward_done, check_upstream


class LeakyReLU(Layer):
    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(
                negative_slope, (int, float, np.integer, np.floating)):
            raise TypeError(f"LeakyReLU negative_slope must be a number >= 0 (e.g. 0.01); got "
                            f"{negative_slope!r}")
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(f"LeakyReLU negative_slope must be >= 0; got {negative_slope}")
        self.negative_slope = float(negative_slope)
        self.slope = None  # f'(x) of the last forward pass: 1 or negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "LeakyReLU input")
        # TODO (leaky_relu): return y, keeping on self the slope f'(x) that backward will need
        raise NotImplementedError("exercise leaky_relu not started")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        check_forward_done(self.slope, "LeakyReLU")
        # TODO (leaky_relu): return dx = dL/dx (check dy with check_upstream, as ReLU does)
        raise NotImplementedError("exercise leaky_relu not started")

    def __repr__(self) -> str:
        return f"LeakyReLU({self.negative_slope})"
