"""Exercise aae_discriminator: the adversarial autoencoder's discriminator loss.

The solution is minae's own code in ``minae/adversarial/losses.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical, unpack
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n_real, n_fake, scale, dtype in [(4, 4, 2.0, np.float64), (3, 5, 2.0, np.float64),
                                         (1, 2, 1.0, np.float64), (6, 3, 60.0, np.float64),
                                         (5, 7, 2.0, np.float32)]:
        r = scale * rng.standard_normal((n_real, 1))
        f = scale * rng.standard_normal((n_fake, 1))
        if scale > 50:
            r, f = np.sign(r) * (50 + np.abs(r)), np.sign(f) * (50 + np.abs(f))
        label = f"real ({n_real}, 1), fake ({n_fake}, 1), logits of scale {scale:g}" + \
            (" (|z| >= 50)" if scale > 50 else "") + ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, {"r": r, "f": f, "exact": scale > 50},
                          {"n_real": n_real, "1/n_real": 1 / n_real, "n_fake": n_fake,
                           "1/n_fake": 1 / n_fake}, dtype))
    return cases


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    value, gr, gf = unpack(get(mod, "discriminator_loss")(cast(case, d["r"]), cast(case, d["f"])),
                           3, "discriminator_loss")
    out["value"] = np.asarray(value)
    out["grad_real"] = gr
    out["grad_fake"] = gf


def expected(case: Case) -> dict:
    d = case.data
    f = library("minae.adversarial.losses").discriminator_loss
    r, fk = d["r"].copy(), d["f"].copy()
    value, gr, gf = f(r, fk)
    if d["exact"]:
        return {"value": (np.asarray(value), "minae"), "grad_real": (gr, "minae"),
                "grad_fake": (gf, "minae")}
    grads = numerical(lambda: f(r, fk)[0], {"grad_real": r, "grad_fake": fk})
    return {"value": (np.asarray(value), "minae"),
            **{k: (v, "numerical") for k, v in grads.items()}}


EXERCISE = Exercise(
    name="aae_discriminator",
    title="the AAE's discriminator loss and its gradients",
    module="minae.adversarial.losses",
    objects=("discriminator_loss",),
    where="discriminator_loss",
    task="""
        Finish discriminator_loss: return (value, grad_real, grad_fake), the gradients of L_D
        with respect to the discriminator's logits on prior samples (target 1) and on the
        encoder's codes (target 0). The value is computed for you; sigmoid is imported.
        """,
    math="""
        L_D = mean_i softplus(-r_i) + mean_j softplus(f_j), the BCE of a discriminator that
        should say 1 on the prior's samples r and 0 on the codes f. With softplus' = sigmoid:

            dL_D/dr_i = ?          dL_D/df_j = ?      (each mean divides by its own count)

        Both must stay finite for any logit.
        """,
    hints=(
        "d/dz softplus(-z) = -sigmoid(-z) = sigmoid(z) - 1; d/dz softplus(z) = sigmoid(z).",
        "Each mean divides by its own number of logits: n_real = len(r), n_fake = len(f), "
        "which differ when the batches do.",
        "return value, (sigmoid(r) - 1.0) / len(r), sigmoid(f) / len(f)",
    ),
    checked_by="""
        5 cases: equal and unequal numbers of real and fake logits, a single real one, logits
        with |z| >= 50 (compared with minae's value), one case in float32 (compared at a
        float32 tolerance, dtype checked). The value is compared with minae's, the gradients
        with the central-difference gradients of the value.
        """,
    mistakes=(
        Mistake("divided both gradients by the number of real logits",
                "L_D averages each term over its own batch: grad_fake divides by n_fake.",
                (("sigmoid(f) / len(f)", "sigmoid(f) / len(r)"),)),
        Mistake("flipped the sign of the real gradient: 1 - sigmoid(r)",
                "Raising a real logit lowers softplus(-r), so dL_D/dr = sigmoid(r) - 1 < 0.",
                (("(sigmoid(r) - 1.0) / len(r)", "(1.0 - sigmoid(r)) / len(r)"),)),
        Mistake("swapped the targets: real as 0, fake as 1",
                "The prior's samples are the real ones (target 1): dL_D/dr = sigmoid(r) - 1, "
                "dL_D/df = sigmoid(f).",
                (("(sigmoid(r) - 1.0) / len(r), sigmoid(f) / len(f)",
                  "sigmoid(r) / len(r), (sigmoid(f) - 1.0) / len(f)"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="Train the adversarial autoencoder: demos/adversarial_autoencoder.py.",
)
