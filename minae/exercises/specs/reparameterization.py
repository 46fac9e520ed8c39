"""Exercise reparameterization: the reparameterization trick's backward.

The solution is minae's own code in ``minae/variational.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, unpack
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.latent_cases import latent_cases, numerical_latent_grads


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    gm, gs = unpack(get(mod, "sample_backward")(cast(case, d["g"]), cast(case, d["z_log_sigma"]),
                                                cast(case, d["eps"])), 2, "sample_backward")
    out["grad_z_mean"] = gm
    out["grad_z_log_sigma"] = gs


def expected(case: Case) -> dict:
    d = case.data
    v = library("minae.variational")
    return numerical_latent_grads(
        case, lambda mu, s: float(np.sum(v.sample(mu, s, d["eps"]) * d["g"])))


EXERCISE = Exercise(
    name="reparameterization",
    title="the reparameterization trick's backward pass",
    module="minae.variational",
    objects=("sample", "sample_backward"),
    calls=("sample_backward",),
    where="sample_backward",
    task="""
        Write sample_backward: given grad_z = dL/dz for z = sample(z_mean, z_log_sigma, eps),
        return (dL/dz_mean, dL/dz_log_sigma). eps is a fixed input (drawn outside), so z is an
        ordinary differentiable function of z_mean and z_log_sigma.
        """,
    math="""
        z = z_mean + exp(z_log_sigma) * eps, element by element, with z_log_sigma = log sigma
        (the log of the standard deviation, not of the variance). Derive

            dz/dz_mean = ?        dz/dz_log_sigma = ?

        and multiply each by grad_z (the chain rule, element by element).
        """,
    hints=(
        "Treat eps as a constant. z is a sum of two terms; each of z_mean and z_log_sigma "
        "appears in only one.",
        "d/ds exp(s) = exp(s), and eps multiplies it. With the log-variance convention there "
        "would be a factor 1/2; minae's z_log_sigma is log sigma, so there is none.",
        "return grad_z, grad_z * np.exp(z_log_sigma) * eps",
    ),
    checked_by="""
        4 cases of random (N, latent_dim), a batch of 1, one in float32 (compared with minae's
        float64 answer at a float32 tolerance, dtype checked), random z_mean, z_log_sigma, eps
        and upstream gradient grad_z; both results are compared with the central-difference
        gradients of L = sum(sample(z_mean, z_log_sigma, eps) * grad_z).
        """,
    mistakes=(
        Mistake("treated z_log_sigma as a log-variance",
                "minae's z_log_sigma is log sigma: z = z_mean + exp(s) eps, so dz/ds = exp(s) "
                "eps, with no 1/2 and no exp(s / 2).",
                (("grad_z * np.exp(z_log_sigma) * eps",
                  "grad_z * 0.5 * np.exp(0.5 * z_log_sigma) * eps"),)),
        Mistake("forgot eps in dL/dz_log_sigma",
                "dz/ds = exp(s) * eps: sigma scales the noise, so eps stays in the derivative.",
                (("grad_z * np.exp(z_log_sigma) * eps", "grad_z * np.exp(z_log_sigma)"),)),
        Mistake("forgot the derivative of exp: grad_z * eps",
                "d/ds [exp(s) eps] = exp(s) eps (the chain rule through sigma = exp(s)).",
                (("grad_z * np.exp(z_log_sigma) * eps", "grad_z * eps"),)),
    ),
    make_cases=latent_cases,
    run=run,
    expected=expected,
    next_step="The VAE samples its codes this way: demos/vae.py.",
)
