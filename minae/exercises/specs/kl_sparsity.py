"""Exercise kl_sparsity: the gradient of the KL sparsity penalty.

The solution is minae's own code in ``minae/sparse.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical, unpack
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, rho, beta, dtype in [((8, 5), 0.05, 1.0, np.float64), ((1, 6), 0.1, 3.0, np.float64),
                                    ((4, 2, 3, 3), 0.3, 0.5, np.float64),
                                    ((16, 4), 0.05, 2.0, np.float32)]:
        h = 1.0 / (1.0 + np.exp(-rng.normal(-1.0, 1.5, shape)))  # sigmoid codes
        label = f"h {shape}, rho={rho}, beta={beta}" + ("" if dtype == np.float64 else
                                                        ", float32")
        cases.append(Case(label, {"h": h, "rho": rho, "beta": beta},
                          {"N (the batch size)": shape[0], "1/N": 1 / shape[0],
                           "beta": beta}, dtype))
    return cases


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    value, grad = unpack(get(mod, "kl_sparsity")(cast(case, d["h"]), d["rho"], d["beta"]), 2,
                         "kl_sparsity")
    out["value"] = np.asarray(value)
    out["grad"] = grad


def expected(case: Case) -> dict:
    d = case.data
    f = library("minae.sparse").kl_sparsity
    h = d["h"].copy()
    grad = numerical(lambda: f(h, d["rho"], d["beta"])[0], {"grad": h})["grad"]
    return {"value": (np.asarray(f(h, d["rho"], d["beta"])[0]), "minae"),
            "grad": (grad, "numerical")}


EXERCISE = Exercise(
    name="kl_sparsity",
    title="the KL sparsity penalty's gradient",
    module="minae.sparse",
    objects=("kl_sparsity",),
    where="kl_sparsity",
    task="""
        Finish kl_sparsity: compute grad = dP/dh (the value is computed for you). rho_hat is
        the batch mean of each unit's activation (clipped, computed for you); n the batch size.
        """,
    math="""
        rho_hat[j] = (1/N) sum_n h[n, j], and the penalty sums one KL per unit:

            P = beta sum_j [rho log(rho / rho_hat[j]) + (1 - rho) log((1 - rho) / (1 - rho_hat[j]))]

            dP/drho_hat[j] = ?          dP/dh[n, j] = dP/drho_hat[j] * drho_hat[j]/dh[n, j] = ?
        """,
    shapes="h, grad: (N, ...); every non-batch position is a unit; rho_hat: h.shape[1:].",
    hints=(
        "Only rho_hat depends on h; differentiate the two logs with respect to rho_hat first.",
        "d/dr [rho log(rho / r)] = -rho / r and d/dr [(1 - rho) log((1 - rho) / (1 - r))] = "
        "(1 - rho) / (1 - r); rho_hat is a mean, so each h[n, j] gets 1/N of it.",
        "d_rho_hat = beta * (-rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat)); grad = "
        "np.broadcast_to(d_rho_hat / n, h.shape).astype(h.dtype)",
    ),
    checked_by="""
        4 cases of sigmoid codes (N, units) and (N, C, H, W), a batch of 1, targets rho 0.05 to
        0.3, weights beta 0.5 to 3, one case in float32 (compared at a float32 tolerance, dtype
        checked); the value is compared with minae's, grad with the central-difference
        gradient of the value.
        """,
    mistakes=(
        Mistake("forgot the 1/N from the batch mean",
                "rho_hat = (1/N) sum_n h[n, j]: each example moves it by 1/N of its own change.",
                (("d_rho_hat / n", "d_rho_hat"),)),
        Mistake("flipped the sign of the (1 - rho) term",
                "d/dr log((1 - rho) / (1 - r)) = +1 / (1 - r): the penalty grows as rho_hat "
                "moves away from rho on either side.",
                (("-rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat)",
                  "-rho / rho_hat - (1.0 - rho) / (1.0 - rho_hat)"),)),
        Mistake("forgot the weight beta",
                "P = beta * sum KL, so every gradient is multiplied by beta.",
                (("d_rho_hat = beta * (", "d_rho_hat = ("),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="The sparse autoencoder trains with this penalty: demos/sparse_autoencoder.py.",
)
