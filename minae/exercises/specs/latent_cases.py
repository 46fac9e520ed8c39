"""Cases shared by the two latent exercises (reparameterization, kl_gradient)."""

import numpy as np

from minae.exercises.harness import numerical
from minae.exercises.spec import Case


def latent_cases(rng) -> list[Case]:
    cases = []
    for n, k, dtype in [(3, 2, np.float64), (1, 4, np.float64), (5, 3, np.float64),
                        (6, 8, np.float32)]:
        d = {"z_mean": rng.standard_normal((n, k)),
             "z_log_sigma": 0.7 * rng.standard_normal((n, k)),
             "eps": rng.standard_normal((n, k)),
             "g": rng.standard_normal((n, k))}
        label = f"z_mean, z_log_sigma ({n}, {k})" + ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, d, {"2 (a factor two)": 2.0, "1/2 (a factor one half)": 0.5},
                          dtype))
    return cases


def numerical_latent_grads(case: Case, scalar) -> dict:
    """Central differences of ``scalar(z_mean, z_log_sigma) -> float`` at the case's arrays.

    What both latent exercises are checked against: ``{"grad_z_mean": (g, "numerical"),
    "grad_z_log_sigma": (g, "numerical")}``.
    """
    mu, s = case.data["z_mean"].copy(), case.data["z_log_sigma"].copy()
    grads = numerical(lambda: scalar(mu, s), {"grad_z_mean": mu, "grad_z_log_sigma": s})
    return {k: (g, "numerical") for k, g in grads.items()}
