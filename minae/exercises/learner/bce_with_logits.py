"""Exercise bce_with_logits: binary cross-entropy on logits, and why its gradient is so simple.

Finish binary_cross_entropy_with_logits: return the loss value (a float; the element-wise
loss is computed for you) and grad = dL/dlogits under the reduction (divide by s).

The math to derive
------------------
With p = sigmoid(z) the element-wise loss is l = -(t log p + (1 - t) log(1 - p)). Chain rule
through the sigmoid (s'(z) = p (1 - p)):

    dl/dz = dl/dp * dp/dz = ?       and then   dL/dz = (dl/dz) / s

Simplify until nothing can overflow: the gradient must stay finite for any logit.

Shapes
------
logits, target, grad: (N, ...), all the same; the value is a float.

How it is checked
-----------------
7 cases: shapes (N, D) and (N, C, H, W), each reduction, logits of scale 3, grey targets in
[0, 1], a batch of 1; and logits with |z| from 50 to 120, where an unsimplified formula
gives 0/0 = NaN (compared with minae's value), in float64 and in float32 (compared with
minae's float64 answer at a float32 tolerance, dtype checked). The value is compared with
minae's and grad with the central-difference gradient of the value.

Commands
--------
    python -m minae.exercises check bce_with_logits     # after filling in the TODOs
    python -m minae.exercises hint bce_with_logits      # a nudge; run again for more

Generated from minae/losses.py (binary_cross_entropy_with_logits) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package. Read
minae's solution, minae/losses.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.losses import _check_pair, _scale, bce_with_logits_elements


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray,
                                     reduction: str = "batch"):
    z, t = _check_pair(logits, target, "binary_cross_entropy_with_logits", unit_targets=True,
                       infinite_predictions=True)
    s = _scale(z.shape, reduction)
    loss = bce_with_logits_elements(z, t)
    # TODO (bce_with_logits): return (float(np.sum(loss) / s), grad), grad = dL/dlogits
    raise NotImplementedError("exercise bce_with_logits not started")
