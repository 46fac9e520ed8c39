"""The variational autoencoder: forward, loss and backward.

The model, end to end (``N`` images, latent size ``L``)::

    x (N, *image) --encoder--> h --z_mean-------> mu      (N, L)
                                 \\--z_log_sigma--> s       (N, L)   s = log sigma
    z = mu + exp(s) * eps         eps ~ N(0, I), drawn once per forward and cached
    z (N, L) --decoder--> out (N, *image)   logits (bernoulli) or means (gaussian, sse)

    loss = reconstruction(out, x) + beta * mean_n KL(N(mu_n, sigma_n^2) || N(0, I))

Both terms are in nats per image (summed over pixels and latent dimensions, averaged over the
batch); with ``beta = 1`` the loss is the negative ELBO, an upper bound on ``-log p(x)``.

Backward runs the same chain in reverse (``backward()`` after ``loss``)::

    d out   from the likelihood                                   (likelihoods.py)
    d z     = decoder.backward(d out)
    d mu, d s = sample_backward(d z, s, eps)                      (variational.py)
    d mu   += beta * mu / N;   d s += beta * (sigma^2 - 1) / N    (kl_divergence_grad)
    d h     = z_mean.backward(d mu) + z_log_sigma.backward(d s)   (h feeds both heads: add)
    d x     = encoder.backward(d h)  (+ the likelihood's gradient w.r.t. its target, x)

The convention: ``z_log_sigma`` is the log of the *standard deviation*, ``sigma = exp(s)``,
in the sampler and in the KL alike (``variational.py`` explains why the lesson's mix of a
log-variance KL with a log-std sampler is not an ELBO).

What else a VAE does lives beside this file: encoding, decoding, generating and evaluating
(the test ELBO, the importance-weighted log-likelihood) in ``use.py`` and ``evaluate.py``; the
entry checks in ``inputs.py``; the likelihoods in ``likelihoods.py``; the label-conditioned
model in ``conditional.py``; the lesson's models in ``builders.py``.

Randomness: the model holds an ``np.random.Generator`` (``rng=`` at construction; ``None`` is a
fresh unseeded one), used for ``eps`` whenever ``forward``/``loss`` get neither ``eps`` nor
``rng``. Pass ``eps`` to make a forward pass a pure function (gradient checks do).

Why there is no ``ConvVAE`` class: a convolutional VAE is this same ``VAE`` with convolutional
parts; ``conv_vae(...)`` builds one.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Container, Layer
from minae.layers.checks import check_rng, check_upstream
from minae.vae import inputs, likelihoods
from minae.vae.likelihoods import LIKELIHOODS, SSE_LOG_SIGMA
from minae.vae.use import VAEInference
from minae.variational import kl_divergence, kl_divergence_grad, sample, sample_backward


class VAE(VAEInference, Container):
    """A variational autoencoder from an encoder trunk, two ``Dense`` heads and a decoder.

    Parameters
    ----------
    encoder : Layer
        ``x (N, *input_shape) -> h (N, H)``.
    z_mean, z_log_sigma : Dense
        The heads ``h -> mu`` and ``h -> log sigma``, each ``(N, H) -> (N, L)``.
    decoder : Layer
        ``z (N, L) -> out (N, *input_shape)``: logits (bernoulli) or means (gaussian, sse),
        no final activation.
    likelihood : {"bernoulli", "gaussian", "sse"}
        See ``likelihoods.py``.
    beta : float >= 0
        Weight of the KL term (beta-VAE); 1 gives the ELBO.
    sigma : float > 0
        The Gaussian likelihood's standard deviation (fixed, or the start when learned).
    learn_sigma : bool
        Gaussian only: learn ``log sigma`` as the parameter ``"log_sigma"`` (shape ``(1,)``).
    input_shape : tuple of int, optional
        One image's shape, e.g. ``(1, 28, 28)``; checked at every entry when given.
    rng : np.random.Generator, optional
        Source of ``eps`` when none is passed; ``None`` means a fresh unseeded generator.

    Parameters are named ``"encoder.<...>"``, ``"z_mean.W"``, ``"z_mean.b"``,
    ``"z_log_sigma.W"``, ``"z_log_sigma.b"``, ``"decoder.<...>"`` (and ``"log_sigma"``).
    """

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
        """Backpropagate through the decoder, the sampler, both heads and the encoder.

        * ``backward()`` after ``loss(x)``: the gradient of the whole loss (reconstruction
          plus ``beta`` times the KL). Returns ``d loss / d x``, both paths: through the
          encoder, and through ``x`` as the likelihood's target.
        * ``backward(dy)`` after ``forward(x)``: the Layer contract, the gradient of
          ``sum(dy * output)`` only (no KL, no target path). Returns ``d / d x``.

        Writes every parameter's gradient (``"log_sigma"``'s too; 0 in the second case).
        """
        dy, with_loss = self._upstream(dy)  # the loss's d out, or the caller's dy
        # EXERCISE vae_loss: back through the decoder, the latent part, then the encoder
        grad_z = self.decoder.backward(dy)
        grad_h = self._latent_backward(grad_z, with_loss)  # the sampler, the KL, both heads
        dx = self.encoder.backward(grad_h)
        # END EXERCISE
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
        """``d z (N, L) -> d h (N, H)``: the sampler, the KL's gradient, both heads."""
        c = self._cache
        # EXERCISE vae_loss: d z -> d mu, d s (the sampler, plus beta times the KL's), -> d h
        grad_mu, grad_log_s = sample_backward(grad_z, c["log_s"], c["eps"])
        if with_kl:
            kl_mu, kl_log_s = kl_divergence_grad(c["mu"], c["log_s"])
            scale = self.beta / c["mu"].shape[0]  # the KL is averaged over the batch
            grad_mu = grad_mu + scale * kl_mu
            grad_log_s = grad_log_s + scale * kl_log_s
        return self.z_mean.backward(grad_mu) + self.z_log_sigma.backward(grad_log_s)
        # END EXERCISE

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
