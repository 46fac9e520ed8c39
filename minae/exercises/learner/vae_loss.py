"""Exercise vae_loss: the VAE's loss end to end: the negative ELBO's gradient through every part.

Write the two missing pieces of VAE.backward: the chain back through the decoder, the latent
part and the encoder (in backward), and the latent part itself (in _latent_backward): the
sampler's gradient, plus beta times the KL's (the KL is averaged over the batch), and then
both heads. sample_backward and kl_divergence_grad (your reparameterization and kl_gradient
exercises) are imported for you.

The math to derive
------------------
loss = reconstruction(out, x) + beta * (1/N) sum_n KL(mu_n, s_n), with out = decoder(z), z =
mu + exp(s) * eps, mu = z_mean(h), s = z_log_sigma(h), h = encoder(x). From d out (the
likelihood's gradient, given as dy):

    d z = ?        (the decoder's backward)
    d mu, d s = ?  (the sampler's backward, plus the KL term's own gradient:
                    how does beta / N enter?)
    d h = ?        (h feeds both heads: what happens to their two gradients?)
    d x = ?        (the encoder's backward; the target path is added for you)

Shapes
------
x, dx, out, dy: (N, 1, 3, 4) here (N, *image); h, d h: (N, H); mu, s, eps, z and their
gradients: (N, L).

How it is checked
-----------------
4 cases of a small dense VAE (12 pixels, 5 hidden units, 2 latent dimensions, tanh layers so
that differences are exact): Bernoulli and SSE likelihoods, beta 0.5, 1 and 4, batches of 1
and several, one case in float32 (compared with minae's float64 answer at a float32
tolerance, dtype checked), a fixed eps. The loss is compared with minae's, dx and every
parameter's gradient (encoder, both heads, decoder; from a second loss and backward, so
added gradients show) with the central-difference gradients of the loss.

Commands
--------
    python -m minae.exercises check vae_loss     # after filling in the TODOs
    python -m minae.exercises hint vae_loss      # a nudge; run again for more

Generated from minae/vae/model.py (VAE.backward and VAE._latent_backward) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package. Read
minae's solution, minae/vae/model.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.layers.base import Container, Layer
from minae.layers.checks import check_rng, check_upstream
from minae.vae import inputs, likelihoods
from minae.vae.likelihoods import LIKELIHOODS, SSE_LOG_SIGMA
from minae.vae.use import VAEInference
from minae.variational import kl_divergence, kl_divergence_grad, sample, sample_backward


class VAE(VAEInference, Container):
    def __init__(self, encoder: Layer, z_mean: Layer, z_log_sigma: Layer, decoder: Layer,
                 likelihood: str = "bernoulli", beta: float = 1.0, *, sigma: float = 1.0,
                 learn_sigma: bool = False, input_shape: tuple[int, ...] | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        inputs.check_parts(name, encoder, z_mean, z_log_sigma, decoder)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}")
        beta = inputs.check_number(beta, "beta", minimum=0.0, strict=False)
        sigma = inputs.check_number(sigma, "sigma", minimum=0.0, strict=True)
        if learn_sigma and likelihood != "gaussian":
            raise ValueError(f"learn_sigma=True needs likelihood='gaussian'; got {likelihood!r}")
        self.encoder, self.z_mean, self.z_log_sigma, self.decoder = (
            encoder, z_mean, z_log_sigma, decoder)
        for part in (encoder, decoder):  # data is checked once, at the VAE's entry (inputs.py),
            if hasattr(part, "check_input"):  # so a part's overflow in a diverging run reaches
                part.check_input = False  # fit's divergence guard, not a "bad input" error
        self.latent_dim = int(z_mean.out_features)
        self.likelihood = likelihood
        self.beta = beta
        self.learn_sigma = bool(learn_sigma)
        self.input_shape = None if input_shape is None else inputs.image_shape(input_shape,
                                                                        f"{name} input_shape")
        self.rng = check_rng(rng, name)
        child_params = Container.params.fget(self)
        self.dtype = next(iter(child_params.values())).dtype if child_params else np.float64
        self._own_params: dict[str, np.ndarray] = {}
        self._own_grads: dict[str, np.ndarray] = {}
        self._fixed_log_sigma = float(np.log(sigma))
        if self.learn_sigma:
            self._own_params["log_sigma"] = np.full(1, np.log(sigma), dtype=self.dtype)
            self._own_grads["log_sigma"] = np.zeros(1, dtype=self.dtype)
        self._cache: dict | None = None
        self._loss_grad = None

    # --- the Container plumbing: children's parameters plus our own "log_sigma" ----------

    def children(self) -> list[tuple[str, Layer]]:
        return [("encoder", self.encoder), ("z_mean", self.z_mean),
                ("z_log_sigma", self.z_log_sigma), ("decoder", self.decoder)]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {**Container.params.fget(self), **self._own_params}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {**Container.grads.fget(self), **self._own_grads}

    @property
    def log_sigma(self) -> float:
        """The likelihood's ``log sigma`` now (learned or fixed; sse: ``log sqrt(1/2)``)."""
        if self.learn_sigma:
            return float(self._own_params["log_sigma"][0])
        return SSE_LOG_SIGMA if self.likelihood == "sse" else self._fixed_log_sigma

    # --- forward, loss, backward --------------------------------------------------------

    def forward(self, x: np.ndarray, eps: np.ndarray | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Encode, sample ``z = mu + sigma * eps``, decode. Returns the decoder's output.

        ``x: (N, *input_shape)`` floats; ``eps: (N, L)``, or ``None`` to draw it from ``rng``
        (or the model's own generator). The draw is cached, so ``backward`` uses the same one.
        Returns logits (bernoulli) or means (gaussian, sse), ``(N, *input_shape)``.
        """
        x = inputs.images(self, x)
        h = self.encoder.forward(x)
        z = self._latent_forward(h, eps, rng)  # both heads, then z = mu + sigma * eps
        return self._keep(x, self.decoder.forward(z))

    def loss(self, x: np.ndarray, eps: np.ndarray | None = None,
             rng: np.random.Generator | None = None) -> tuple[float, dict[str, float]]:
        """The training objective, nats per image: ``reconstruction + beta * kl``.

        Runs ``forward`` and prepares ``backward()``. With ``beta = 1`` this is the negative
        ELBO (for ``"sse"``: the lesson's SSE + KL, i.e. the negative ELBO under a Gaussian
        with ``sigma^2 = 1/2`` minus 448.7 nats per 784 pixels).

        Returns
        -------
        (value, {"reconstruction": r, "kl": k})
            ``r`` and ``k`` are per-image averages; ``k`` is not multiplied by beta.
        """
        self.forward(x, eps, rng)
        return self._objective()

    def backward(self, dy: np.ndarray | None = None) -> np.ndarray:
        dy, with_loss = self._upstream(dy)  # the loss's d out, or the caller's dy
        # TODO (vae_loss): back through the decoder, the latent part, then the encoder
        raise NotImplementedError("exercise vae_loss not started")
        return self._input_grad(dx, with_loss)  # + the target path; log_sigma's gradient

    # --- the pieces forward and backward share with ConditionalVAE ----------------------

    def _latent_forward(self, h: np.ndarray, eps, rng) -> np.ndarray:
        """``h (N, H) -> z (N, L)``: both heads, then ``z = mu + exp(s) * eps``."""
        mu = self.z_mean.forward(h)
        log_s = self.z_log_sigma.forward(h)
        eps = inputs.noise(self, eps, rng, mu.shape)
        self._cache = {"mu": mu, "log_s": log_s, "eps": eps}
        self._loss_grad = None
        return sample(mu, log_s, eps)

    def _latent_backward(self, grad_z: np.ndarray, with_kl: bool) -> np.ndarray:
        c = self._cache
        # TODO (vae_loss): d z -> d mu, d s (the sampler, plus beta times the KL's), -> d h
        raise NotImplementedError("exercise vae_loss not started")

    def _keep(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Cache the images and the decoder's output (its shape must be the images')."""
        if out.shape != x.shape:
            raise ValueError(f"{type(self).__name__}: the decoder's output has shape "
                             f"{out.shape} but the input has shape {x.shape}; they must match")
        self._cache.update(x=x, out=out)
        return out

    def _objective(self) -> tuple[float, dict[str, float]]:
        """``reconstruction + beta * kl`` of the cached forward pass; keeps its gradients."""
        c = self._cache
        log_sigma = self._own_params["log_sigma"] if self.learn_sigma else self._fixed_log_sigma
        recon, grad_out, grad_log_sigma = likelihoods.reconstruction(
            self.likelihood, c["out"], c["x"], log_sigma)
        kl = float(np.mean(kl_divergence(c["mu"], c["log_s"])))
        self._loss_grad = (grad_out, grad_log_sigma)
        return recon + self.beta * kl, {"reconstruction": recon, "kl": kl}

    def _upstream(self, dy) -> tuple[np.ndarray, bool]:
        """The gradient at the decoder's output: the loss's (``dy=None``) or the caller's."""
        name = type(self).__name__
        if self._cache is None or "out" not in self._cache:
            raise RuntimeError(f"{name}.backward called before forward: run loss(x) then "
                               "backward(), or forward(x) then backward(dy)")
        if dy is None:
            if self._loss_grad is None:
                raise RuntimeError(f"{name}.backward() needs loss(x) first (or pass dy)")
            return self._loss_grad[0], True
        return check_upstream(dy, self._cache["out"].shape, name, self.dtype), False

    def _input_grad(self, dx: np.ndarray, with_loss: bool) -> np.ndarray:
        """Write ``log_sigma``'s gradient; add the target path to ``dx`` after ``loss``."""
        c = self._cache
        if self.learn_sigma:
            g = self._loss_grad[1] if with_loss else None
            self._own_grads["log_sigma"] = (np.zeros(1, self.dtype) if g is None
                                            else np.asarray(g, self.dtype).reshape(1))
        if with_loss:
            dx = dx + likelihoods.target_grad(self.likelihood, c["out"], c["x"], self.log_sigma)
        return dx

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(latent_dim={self.latent_dim}, "
                f"likelihood={self.likelihood!r}, beta={self.beta:g})")
