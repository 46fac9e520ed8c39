"""Cases shared by the two latent exercises (reparameterization, kl_gradient)."""

import numpy as np

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
