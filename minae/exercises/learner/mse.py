"""Exercise mse: the squared-error loss and its gradient.

Finish mse: return the loss value (a float) and grad = dL/dprediction, both under the
reduction: "batch" divides the sum by N, "mean" by the number of elements, "sum" by 1 (s,
computed for you).

The math to derive
------------------
With d = p - t (element by element) and s the reduction's divisor:

    L = sum(d**2) / s          dL/dp[i] = ?

Shapes
------
prediction, target, grad: (N, ...), all the same; the value is a float.

How it is checked
-----------------
5 cases: shapes (N, D) and (N, C, H, W), each reduction, a batch of 1, and one in float32
(compared with minae's float64 answer at a float32 tolerance, the gradient's dtype checked).
The value is compared with minae's mse and grad with the central-difference gradient of the
value.

Commands
--------
    python -m minae.exercises check mse     # after filling in the TODOs
    python -m minae.exercises hint mse      # a nudge; run again for more

Generated from minae/losses.py (mse) by `python -m minae.exercises generate`; edit your
copy, not the one inside the minae package. Read minae's solution, minae/losses.py, after
your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.losses import _check_pair, _scale


def mse(prediction: np.ndarray, target: np.ndarray, reduction: str = "batch"):
    p, t = _check_pair(prediction, target, "mse")
    s = _scale(p.shape, reduction)
    diff = p - t
    # TODO (mse): return (float(np.sum(diff * diff) / s), grad), grad = dL/dprediction
    raise NotImplementedError("exercise mse not started")
