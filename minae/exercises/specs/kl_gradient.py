"""Exercise kl_gradient: the gradient of the VAE's KL term (``minae/variational.py``)."""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, unpack
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.latent_cases import latent_cases, numerical_latent_grads


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    gm, gs = unpack(get(mod, "kl_divergence_grad")(cast(case, d["z_mean"]),
                                                   cast(case, d["z_log_sigma"])),
                    2, "kl_divergence_grad")
    out["grad_z_mean"] = gm
    out["grad_z_log_sigma"] = gs


def expected(case: Case) -> dict:
    v = library("minae.variational")
    return numerical_latent_grads(case, lambda mu, s: float(np.sum(v.kl_divergence(mu, s))))


EXERCISE = Exercise(
    name="kl_gradient",
    title="the gradient of the VAE's KL term",
    module="minae.variational",
    objects=("kl_divergence", "kl_divergence_grad"),
    calls=("kl_divergence_grad",),
    where="kl_divergence_grad",
    task="""
        Write kl_divergence_grad: return the gradient of sum(kl_divergence(z_mean,
        z_log_sigma)) with respect to z_mean and to z_log_sigma (kl_divergence, in this file,
        is the forward).
        """,
    math="""
        Per latent dimension, with mu = z_mean, s = z_log_sigma = log sigma:

            KL = 0.5 (mu**2 + sigma**2 - 1) - s,       sigma**2 = exp(2 s)

            dKL/dmu = ?        dKL/ds = ?     (write the second with sigma)

        Both must vanish at the prior, mu = 0 and sigma = 1.
        """,
    hints=(
        "Write sigma**2 as exp(2 s) before differentiating with respect to s; mu only appears "
        "in mu**2.",
        "d/ds exp(2 s) = 2 exp(2 s) = 2 sigma**2, and the 0.5 in front cancels the 2; do not "
        "forget the - s term.",
        "return z_mean, np.exp(2.0 * z_log_sigma) - 1.0",
    ),
    checked_by="""
        4 cases of random (N, latent_dim), a batch of 1, one in float32 (compared at a float32
        tolerance, dtype checked), random z_mean, z_log_sigma; both results are compared with
        the central-difference gradients of sum(kl_divergence).
        """,
    mistakes=(
        Mistake("sigma instead of sigma squared in the KL gradient",
                "dKL/ds = sigma**2 - 1 = exp(2 s) - 1: the KL holds sigma**2 = exp(2 s), and "
                "its derivative keeps the square.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "np.exp(z_log_sigma) - 1.0"),)),
        Mistake("used the log-variance formula 0.5 (exp(s) - 1)",
                "That is the gradient for a log-variance v = 2 s. minae's z_log_sigma is "
                "log sigma: dKL/ds = exp(2 s) - 1.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "0.5 * (np.exp(z_log_sigma) - 1.0)"),)),
        Mistake("forgot the -1 that comes from the -log sigma term",
                "KL = 0.5 (mu**2 + sigma**2 - 1) - s: the - s contributes -1, so the gradient "
                "vanishes at sigma = 1.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "np.exp(2.0 * z_log_sigma)"),)),
        Mistake("dropped the 0.5 in dKL/dmu: 2 mu",
                "d/dmu 0.5 mu**2 = mu.",
                (("return z_mean, ", "return 2.0 * z_mean, "),)),
    ),
    make_cases=latent_cases,
    run=run,
    expected=expected,
    next_step="Train the VAE and watch its KL term: demos/vae.py and demos/beta_vae.py.",
)
