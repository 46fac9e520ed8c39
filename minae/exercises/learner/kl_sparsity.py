"""Exercise kl_sparsity: the KL sparsity penalty's gradient.

Finish kl_sparsity: compute grad = dP/dh (the value is computed for you). rho_hat is the
batch mean of each unit's activation (clipped, computed for you); n the batch size.

The math to derive
------------------
rho_hat[j] = (1/N) sum_n h[n, j], and the penalty sums one KL per unit:

    P = beta sum_j [rho log(rho / rho_hat[j]) + (1 - rho) log((1 - rho) / (1 - rho_hat[j]))]

    dP/drho_hat[j] = ?          dP/dh[n, j] = dP/drho_hat[j] * drho_hat[j]/dh[n, j] = ?

Shapes
------
h, grad: (N, ...); every non-batch position is a unit; rho_hat: h.shape[1:].

How it is checked
-----------------
4 cases of sigmoid codes (N, units) and (N, C, H, W), a batch of 1, targets rho 0.05 to 0.3,
weights beta 0.5 to 3, one case in float32 (compared at a float32 tolerance, dtype checked);
the value is compared with minae's, grad with the central-difference gradient of the value.

Commands
--------
    python -m minae.exercises check kl_sparsity     # after filling in the TODOs
    python -m minae.exercises hint kl_sparsity      # a nudge; run again for more

Generated from minae/sparse.py (kl_sparsity) by `python -m minae.exercises generate`; edit
your copy, not the one inside the minae package. Read minae's solution, minae/sparse.py,
after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.sparse import RHO_EPS, _codes


def kl_sparsity(h: np.ndarray, rho: float, beta: float = 1.0) -> tuple[float, np.ndarray]:
    h = _codes(h, "kl_sparsity codes")
    if not 0.0 < rho < 1.0:
        raise ValueError(f"kl_sparsity rho must be in (0, 1); got {rho!r}")
    if h.min() < 0.0 or h.max() > 1.0:
        raise ValueError("kl_sparsity needs codes in [0, 1] (a sigmoid code); got values in "
                         f"[{h.min():.3g}, {h.max():.3g}]")
    n = h.shape[0]
    rho_hat = np.clip(h.mean(axis=0), RHO_EPS, 1.0 - RHO_EPS)
    kl = rho * np.log(rho / rho_hat) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - rho_hat))
    # TODO (kl_sparsity): grad = dP/dh, the same for every example (through rho_hat)
    raise NotImplementedError("exercise kl_sparsity not started")
    return float(beta * np.sum(kl)), grad
