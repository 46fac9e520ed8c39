"""Exercise bce_with_logits: binary cross-entropy on logits, and why its gradient is so simple.

Finish binary_cross_entropy_with_logits: return the loss value (a float; the element-wise
loss is computed for you) and grad = dL/dlogits under the reduction (divide by s).

The math to derive
------------------
With p = sigmoid(z) the element-wise loss is l = -(t log p + (1 - t) log(1 - p)). Chain rule
through the sigmoid (s'(z) = p (1 - p)):

    dl/dz = dl/dp * dp/dz = ?       and then   dL/dz = (dl/dz) / s

Simplify until nothing can overflow.

Shapes
------
logits, target, grad: (N, ...), all the same; the value is a float.

How it is checked
-----------------
Float64, 4 cases: shapes (N, D) and (N, C, H, W), each reduction, logits of scale 3, grey
targets in [0, 1]. The value is compared with minae's and grad with the central-difference
gradient of the value.

Commands
--------
    python -m minae.exercises check bce_with_logits     # after filling in the TODOs
    python -m minae.exercises hint bce_with_logits      # a nudge; run again for more

Generated from minae/losses.py (binary_cross_entropy_with_logits) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package.
"""

# ruff: noqa: B007, F401, F841  (until the TODOs are filled in, some names are unused)

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid
from minae.losses import _check_pair, _scale


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray,
                                     reduction: str = "batch"):
    z, t = _check_pair(logits, target, "binary_cross_entropy_with_logits")
    s = _scale(z.shape, reduction)
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    # TODO (bce_with_logits): return (float(np.sum(loss) / s), grad), grad = dL/dlogits
    raise NotImplementedError("exercise bce_with_logits not started")
