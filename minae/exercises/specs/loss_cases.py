"""Cases shared by the two loss exercises (mse, bce_with_logits): shapes, reductions, dtypes."""

import numpy as np

from minae.exercises.spec import Case

# (shape, reduction, dtype)
SHAPES = [((4, 6), "batch", np.float64), ((2, 1, 3, 3), "mean", np.float64),
          ((3, 5), "sum", np.float64), ((1, 4), "batch", np.float64),
          ((5, 3), "batch", np.float32)]


def loss_cases(rng, logits: bool) -> list[Case]:
    """Predictions (logits of scale 3, or values in [0, 1)) against grey targets in [0, 1)."""
    cases = []
    for shape, reduction, dtype in SHAPES:
        p = 3.0 * rng.standard_normal(shape) if logits else rng.random(shape)
        t = rng.random(shape)
        s = {"batch": shape[0], "mean": int(np.prod(shape)), "sum": 1}[reduction]
        factors = {"s (what the reduction divides by)": s, "1/s": 1 / s} if s > 1 else {}
        label = f"{shape}, reduction={reduction!r}" + ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, {"p": p, "t": t, "reduction": reduction}, factors, dtype))
    return cases
