"""Exercise vae_loss: the negative ELBO's gradient, end to end through a VAE.

The solution is minae's own code in ``minae/vae/model.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical
from minae.exercises.spec import Case, Exercise, Mistake

IMAGE = (1, 3, 4)  # one small image: 12 pixels
HIDDEN, LATENT = 5, 2


def parts(dtype) -> tuple:
    """A small dense VAE's parts (minae's layers; smooth, so differences are exact)."""
    layers = library("minae")  # the layers, as minae exports them
    encoder = layers.Sequential(layers.Flatten(), layers.Dense(12, HIDDEN, dtype=dtype),
                                layers.Tanh())
    heads = [layers.Dense(HIDDEN, LATENT, dtype=dtype) for _ in range(2)]
    decoder = layers.Sequential(layers.Dense(LATENT, HIDDEN, dtype=dtype), layers.Tanh(),
                                layers.Dense(HIDDEN, 12, dtype=dtype), layers.Reshape(IMAGE))
    return encoder, heads[0], heads[1], decoder


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, likelihood, beta, dtype in [(3, "bernoulli", 1.0, np.float64),
                                       (1, "sse", 4.0, np.float64),
                                       (4, "bernoulli", 0.5, np.float64),
                                       (4, "sse", 1.0, np.float32)]:
        shapes = {k: v.shape for k, v in _vae(library("minae.vae").VAE, likelihood, beta,
                                              np.float64, {}).params.items()}
        params = {k: 0.4 * rng.standard_normal(s) for k, s in shapes.items()}
        label = f"x ({n}, 1, 3, 4), likelihood {likelihood!r}, beta={beta:g}" + \
            ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, {"x": rng.random((n,) + IMAGE), "eps": rng.standard_normal(
            (n, LATENT)), "likelihood": likelihood, "beta": beta, "params": params},
            {"beta": beta, "1/beta": 1 / beta, "N (the batch size)": n, "1/N": 1 / n}, dtype))
    return cases


def _vae(cls, likelihood, beta, dtype, params):
    vae = cls(*parts(dtype), likelihood, beta, input_shape=IMAGE)
    for k, v in params.items():
        vae.params[k][...] = v
    return vae


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    vae = _vae(get(mod, "VAE"), d["likelihood"], d["beta"], case.dtype, d["params"])
    for _ in range(2):  # twice: gradients are written, not added
        value, _ = vae.loss(cast(case, d["x"]), eps=cast(case, d["eps"]))
        out["loss"] = np.asarray(value)
        out["dx"] = vae.backward()
        out.update({"d " + k: np.array(g) for k, g in vae.grads.items()})


def expected(case: Case) -> dict:
    d = case.data
    vae = _vae(library("minae.vae").VAE, d["likelihood"], d["beta"], np.float64, d["params"])
    x = d["x"].copy()

    def loss():
        return vae.loss(x, eps=d["eps"])[0]

    value = loss()
    grads = numerical(loss, {"dx": x, **{"d " + k: v for k, v in vae.params.items()}})
    return {"loss": (np.asarray(value), "minae"), **{k: (v, "numerical") for k, v in grads.items()}}


EXERCISE = Exercise(
    name="vae_loss",
    title="the VAE's loss end to end: the negative ELBO's gradient through every part",
    module="minae.vae.model",
    objects=("VAE",),
    where="VAE.backward and VAE._latent_backward",
    task="""
        Write the two missing pieces of VAE.backward: the chain back through the decoder, the
        latent part and the encoder (in backward), and the latent part itself (in
        _latent_backward): the sampler's gradient, plus beta times the KL's (the KL is averaged
        over the batch), and then both heads. sample_backward and kl_divergence_grad (your
        reparameterization and kl_gradient exercises) are imported for you.
        """,
    math="""
        loss = reconstruction(out, x) + beta * (1/N) sum_n KL(mu_n, s_n), with
        out = decoder(z), z = mu + exp(s) * eps, mu = z_mean(h), s = z_log_sigma(h),
        h = encoder(x). From d out (the likelihood's gradient, given as dy):

            d z = ?        (the decoder's backward)
            d mu, d s = ?  (the sampler's backward, plus the KL term's own gradient:
                            how does beta / N enter?)
            d h = ?        (h feeds both heads: what happens to their two gradients?)
            d x = ?        (the encoder's backward; the target path is added for you)
        """,
    shapes="""
        x, dx, out, dy: (N, 1, 3, 4) here (N, *image); h, d h: (N, H); mu, s, eps, z and their
        gradients: (N, L).
        """,
    hints=(
        "Each part's backward takes the gradient of its output and returns the gradient of "
        "its input: decoder.backward(dy) is d z; the encoder's input gradient is d x.",
        "sample_backward(grad_z, s, eps) gives the sampler's (d mu, d s); the loss also holds "
        "beta * mean_n KL, so add (beta / N) times kl_divergence_grad(mu, s). h reaches the loss "
        "through both heads: add z_mean.backward(d mu) and z_log_sigma.backward(d s).",
        "grad_z = self.decoder.backward(dy); grad_h = self._latent_backward(grad_z, with_loss); "
        "dx = self.encoder.backward(grad_h).  In _latent_backward: scale = self.beta / "
        'c["mu"].shape[0]; grad_mu = grad_mu + scale * kl_mu (and so for log_s); return '
        "self.z_mean.backward(grad_mu) + self.z_log_sigma.backward(grad_log_s)",
    ),
    checked_by="""
        4 cases of a small dense VAE (12 pixels, 5 hidden units, 2 latent dimensions, tanh
        layers so that differences are exact): Bernoulli and SSE likelihoods, beta 0.5, 1 and
        4, batches of 1 and several, one case in float32 (compared with minae's float64 answer
        at a float32 tolerance, dtype checked), a fixed eps. The loss is compared with minae's,
        dx and every parameter's gradient (encoder, both heads, decoder; from a second loss and
        backward, so added gradients show) with the central-difference gradients of the loss.
        """,
    mistakes=(
        Mistake("forgot beta on the KL's gradient",
                "The loss is reconstruction + beta * KL, so the KL's gradient is scaled by beta "
                "too (a beta-VAE trained without it is a plain VAE).",
                (("scale = self.beta / c[\"mu\"].shape[0]", "scale = 1.0 / c[\"mu\"].shape[0]"),)),
        Mistake("forgot the 1/N of the KL's batch mean",
                "The loss averages the KL over the batch (nats per image), so its gradient per "
                "example is divided by N.",
                (("scale = self.beta / c[\"mu\"].shape[0]", "scale = self.beta"),)),
        Mistake("left the KL out of the gradient",
                "backward() after loss(x) differentiates the whole loss: the sampler's gradient "
                "plus beta / N times the KL's.",
                (("grad_h = self._latent_backward(grad_z, with_loss)",
                  "grad_h = self._latent_backward(grad_z, False)"),)),
        Mistake("sent only z_mean's gradient back to h",
                "h feeds both heads, so its gradient is the sum of what each head sends back: "
                "z_mean.backward(d mu) + z_log_sigma.backward(d s).",
                (("return self.z_mean.backward(grad_mu) + self.z_log_sigma.backward(grad_log_s)",
                  "self.z_log_sigma.backward(grad_log_s)\nreturn self.z_mean.backward(grad_mu)"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="Train the VAE with your pieces: `python -m minae.exercises train dense_vae "
              "--quick`, then demos/vae.py and demos/beta_vae.py.",
)
