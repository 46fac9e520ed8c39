"""Variational autoencoders: ``VAE`` (dense or convolutional) and ``ConditionalVAE``.

The model, end to end (``N`` images, latent size ``L``)::

    x (N, *image) --encoder--> h --z_mean-------> mu      (N, L)
                                 \\--z_log_sigma--> s       (N, L)   s = log sigma
    z = mu + exp(s) * eps         eps ~ N(0, I), drawn once per forward and cached
    z (N, L) --decoder--> out (N, *image)   logits (bernoulli) or means (gaussian, sse)

    loss = reconstruction(out, x) + beta * mean_n KL(N(mu_n, sigma_n^2) || N(0, I))

Both terms are in nats per image (summed over pixels and latent dimensions, averaged over the
batch); with ``beta = 1`` the loss is the negative ELBO, an upper bound on ``-log p(x)``.

Backward runs the same chain in reverse (``backward()`` after ``loss``)::

    d out   from the likelihood          (losses.py)
    d z     = decoder.backward(d out)
    d mu, d s = sample_backward(d z, s, eps)                      (variational.py)
    d mu   += beta * mu / N;   d s += beta * (sigma^2 - 1) / N    (the KL's gradient)
    d h     = z_mean.backward(d mu) + z_log_sigma.backward(d s)   (h feeds both heads: add)
    d x     = encoder.backward(d h)  (+ the likelihood's gradient w.r.t. its target, x)

Likelihoods ``p(x | z)`` (``likelihood=``)
------------------------------------------
* ``"bernoulli"``: each pixel is a coin with probability ``sigmoid(out)``; the reconstruction
  term is the BCE on logits summed over pixels. On grey (not binary) pixels it cannot reach 0:
  its floor is the entropy of the targets, ``bernoulli_floor(x)`` (45.5 nats per MNIST image,
  189.9 per Fashion-MNIST image). Report it beside the number.
* ``"gaussian"``: ``x ~ N(out, sigma^2)`` per pixel, the true NLL (constant kept). ``sigma`` is
  fixed (``sigma=``), or learned (``learn_sigma=True``): one parameter of the model named
  ``"log_sigma"`` (shape ``(1,)``, shared by all pixels), trained with the rest.
* ``"sse"``: the lesson's loss, the sum of squared errors ``sum (out - x)^2``. That is the
  Gaussian NLL with ``sigma^2 = 1/2`` minus the constant ``(D/2) ln(pi)``, which is
  448.7 nats for a 784-pixel image. ``loss`` reports the lesson's number (so it can be compared
  with the lesson's output); ``evaluate_elbo`` and ``log_likelihood`` add the constant back and
  report true nats.

Evaluation
----------
``evaluate_elbo`` (the test negative ELBO, nats per image), ``log_likelihood`` (the
importance-weighted estimate of ``log p(x)`` with ``K`` samples per image) and
``kl_per_dimension`` (the KL of each latent unit averaged over a set: a collapsed unit, one
the decoder ignores, sits at 0).

Randomness: the model holds an ``np.random.Generator`` (``rng=`` at construction; ``None`` is a
fresh unseeded one), used for ``eps`` whenever ``forward``/``loss`` get neither ``eps`` nor
``rng``. Pass ``eps`` to make a forward pass a pure function (gradient checks do).

Why there is no ``ConvVAE`` class: a convolutional VAE is this same ``VAE`` with convolutional
parts; ``conv_vae(...)`` builds one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from minae.layers.activations import ReLU, sigmoid
from minae.layers.base import Container, Layer
from minae.layers.checks import as_float_array, check_finite, check_positive_int
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.layers.upsample import Upsample2D
from minae.losses import binary_cross_entropy_with_logits, gaussian_nll, mse
from minae.variational import (
    LOG_2PI,
    importance_weighted_log_likelihood,
    kl_divergence,
    kl_divergence_grad,
    log_importance_weights,
    sample,
    sample_backward,
)

LIKELIHOODS = ("bernoulli", "gaussian", "sse")
SSE_LOG_SIGMA = 0.5 * float(np.log(0.5))  # the sigma of the Gaussian the SSE loss assumes
SSE_CONSTANT_PER_PIXEL = 0.5 * float(np.log(np.pi))  # Gaussian NLL(sigma^2 = 1/2) - SSE


def bernoulli_floor(x: np.ndarray) -> np.ndarray:
    """The lowest Bernoulli reconstruction loss possible on targets ``x``, per image, in nats.

    The BCE of a prediction ``p`` against a grey target ``t`` is smallest at ``p = t``, where it
    is the binary entropy ``H(t) = -t ln t - (1 - t) ln(1 - t)`` (``0 ln 0 = 0``). So even a
    perfect decoder scores ``sum_pixels H(t)`` per image: 45.5 nats on MNIST, 189.9 on
    Fashion-MNIST. Only binary (0/1) pixels have floor 0.

    ``x: (N, ...)`` in [0, 1] -> ``(N,)`` float64.
    """
    t = as_float_array(x, "bernoulli_floor input").astype(np.float64)
    if t.ndim < 1 or t.shape[0] == 0:
        raise ValueError(f"bernoulli_floor expected a batch (N, ...); got shape {t.shape}")
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"bernoulli_floor needs targets in [0, 1]; got range "
                         f"[{t.min():.3g}, {t.max():.3g}]")
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(t > 0, t * np.log(t), 0.0) + np.where(t < 1, (1 - t) * np.log1p(-t), 0.0))
    return h.reshape(t.shape[0], -1).sum(axis=1)


@dataclass(frozen=True)
class ELBOReport:
    """The result of ``evaluate_elbo``: nats per image, averaged over the images.

    ``negative_elbo = reconstruction + kl`` (beta is a training weight, not part of the ELBO).
    For ``"sse"`` models the reconstruction is the Gaussian NLL with ``sigma^2 = 1/2`` (the
    SSE plus 448.7 nats per 784 pixels). ``bernoulli_floor`` is the mean floor of the targets
    (bernoulli only, else None): the reconstruction can never go below it.
    """

    negative_elbo: float
    reconstruction: float
    kl: float
    images: int
    likelihood: str
    bernoulli_floor: float | None = None

    def __str__(self) -> str:
        text = (f"negative ELBO {self.negative_elbo:.2f} nats/image = reconstruction "
                f"{self.reconstruction:.2f} + KL {self.kl:.2f} ({self.likelihood}, "
                f"{self.images} images)")
        if self.bernoulli_floor is not None:
            text += f"; Bernoulli floor of these pixels {self.bernoulli_floor:.2f}"
        return text


class VAE(Container):
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
        See the module docstring.
    beta : float >= 0
        Weight of the KL term (beta-VAE); 1 gives the ELBO.
    sigma : float > 0
        The Gaussian likelihood's standard deviation (fixed, or the start when learned).
    learn_sigma : bool
        Gaussian only: learn ``log sigma`` as the parameter ``"log_sigma"``.
    input_shape : tuple of int, optional
        One image's shape, e.g. ``(1, 28, 28)``; checked at every entry when given.
    rng : np.random.Generator, optional
        Source of ``eps`` when none is passed; ``None`` means a fresh unseeded generator.

    Parameters are named ``"encoder.<...>"``, ``"z_mean.W"``, ``"z_mean.b"``,
    ``"z_log_sigma.W"``, ``"z_log_sigma.b"``, ``"decoder.<...>"`` (and ``"log_sigma"``).
    """

    _name = "VAE"

    def __init__(self, encoder: Layer, z_mean: Layer, z_log_sigma: Layer, decoder: Layer,
                 likelihood: str = "bernoulli", beta: float = 1.0, *, sigma: float = 1.0,
                 learn_sigma: bool = False, input_shape: tuple[int, ...] | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        for name, part in [("encoder", encoder), ("z_mean", z_mean),
                           ("z_log_sigma", z_log_sigma), ("decoder", decoder)]:
            if not isinstance(part, Layer):
                raise TypeError(f"{self._name} {name} must be a Layer; got {type(part).__name__}")
        for name, head in [("z_mean", z_mean), ("z_log_sigma", z_log_sigma)]:
            if not hasattr(head, "out_features"):
                raise TypeError(f"{self._name} {name} must be a Dense head (with out_features); "
                                f"got {type(head).__name__}")
        if z_mean.out_features != z_log_sigma.out_features:
            raise ValueError(f"{self._name}: z_mean gives {z_mean.out_features} latent dims but "
                             f"z_log_sigma gives {z_log_sigma.out_features}; they must match")
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}")
        if not (np.isfinite(beta) and beta >= 0):
            raise ValueError(f"beta must be a finite number >= 0; got {beta}")
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a finite number > 0; got {sigma}")
        if learn_sigma and likelihood != "gaussian":
            raise ValueError(f"learn_sigma=True needs likelihood='gaussian'; got {likelihood!r}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
        self.encoder, self.z_mean, self.z_log_sigma, self.decoder = (
            encoder, z_mean, z_log_sigma, decoder)
        self.latent_dim = int(z_mean.out_features)
        self.likelihood = likelihood
        self.beta = float(beta)
        self.learn_sigma = bool(learn_sigma)
        self.input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        self.rng = np.random.default_rng() if rng is None else rng
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

    # --- the entry checks ---------------------------------------------------------------

    def _check_input(self, x, what: str = "input") -> np.ndarray:
        x = as_float_array(x, f"{self._name} {what}", self.dtype)
        expected = "(N, ...)" if self.input_shape is None else \
            "(N, " + ", ".join(str(s) for s in self.input_shape) + ")"
        if (x.ndim < 2 or x.shape[0] == 0
                or (self.input_shape is not None and x.shape[1:] != self.input_shape)):
            raise ValueError(f"{self._name} expected {what} {expected} with N >= 1; "
                             f"got {x.shape}")
        check_finite(x, f"{self._name} {what}")
        if self.likelihood == "bernoulli" and (x.min() < 0 or x.max() > 1):
            raise ValueError(
                f"{self._name} with a Bernoulli likelihood needs {what} pixels in [0, 1]; got "
                f"range [{x.min():.3g}, {x.max():.3g}]. Scale the images (x / 255) or use "
                "likelihood='gaussian'.")
        return x

    def _check_latent(self, z, what: str) -> np.ndarray:
        z = as_float_array(z, f"{self._name} {what}", self.dtype)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{self._name} expected {what} (N, {self.latent_dim}); got {z.shape}")
        check_finite(z, f"{self._name} {what}")
        return z

    def _draw_eps(self, eps, rng, shape) -> np.ndarray:
        if eps is not None:
            eps = self._check_latent(eps, "eps")
            if eps.shape != shape:
                raise ValueError(f"{self._name} expected eps {shape} (one per image and latent "
                                 f"dim); got {eps.shape}")
            return eps
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
        return (self.rng if rng is None else rng).standard_normal(shape).astype(self.dtype)

    # --- conditioning hooks (identity here; ConditionalVAE joins the one-hot label) ------

    def _encoder_input(self, x, cond):
        return x

    def _decoder_input(self, z, cond):
        return z

    def _encoder_input_grad(self, g, x_shape):
        return g

    def _decoder_input_grad(self, g):
        return g

    # --- forward, loss, backward --------------------------------------------------------

    def forward(self, x: np.ndarray, eps: np.ndarray | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Encode, sample ``z = mu + sigma * eps``, decode. Returns the decoder's output.

        ``x: (N, *input_shape)`` floats; ``eps: (N, L)``, or ``None`` to draw it from ``rng``
        (or the model's own generator). The draw is cached, so ``backward`` uses the same one.
        Returns logits (bernoulli) or means (gaussian, sse), ``(N, *input_shape)``.
        """
        return self._forward(self._check_input(x), None, eps, rng)

    def _forward(self, x, cond, eps, rng) -> np.ndarray:
        h = self.encoder.forward(self._encoder_input(x, cond))
        mu = self.z_mean.forward(h)
        log_s = self.z_log_sigma.forward(h)
        eps = self._draw_eps(eps, rng, mu.shape)
        z = sample(mu, log_s, eps)
        out = self.decoder.forward(self._decoder_input(z, cond))
        if out.shape != x.shape:
            raise ValueError(f"{self._name}: the decoder's output has shape {out.shape} but the "
                             f"input has shape {x.shape}; they must match")
        self._cache = {"x": x, "mu": mu, "log_s": log_s, "eps": eps, "z": z, "out": out}
        self._loss_grad = None
        return out

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
        return self._loss_from_cache()

    def _reconstruction(self, out, x):
        """``(value, d value / d out, d value / d log_sigma or None)``, reduction "batch"."""
        if self.likelihood == "bernoulli":
            value, grad = binary_cross_entropy_with_logits(out, x)
            return value, grad, None
        if self.likelihood == "sse":
            value, grad = mse(out, x)
            return value, grad, None
        log_sigma = self._own_params["log_sigma"] if self.learn_sigma else self._fixed_log_sigma
        return gaussian_nll(out, x, log_sigma)

    def _loss_from_cache(self) -> tuple[float, dict[str, float]]:
        c = self._cache
        recon, grad_out, grad_log_sigma = self._reconstruction(c["out"], c["x"])
        kl = float(np.mean(kl_divergence(c["mu"], c["log_s"])))
        self._loss_grad = (grad_out, grad_log_sigma)
        return recon + self.beta * kl, {"reconstruction": recon, "kl": kl}

    def backward(self, dy: np.ndarray | None = None) -> np.ndarray:
        """Backpropagate through the decoder, the sampler, both heads and the encoder.

        * ``backward()`` after ``loss(x)``: the gradient of the whole loss (reconstruction
          plus ``beta`` times the KL). Returns ``d loss / d x``, both paths: through the
          encoder, and through ``x`` as the likelihood's target.
        * ``backward(dy)`` after ``forward(x)``: the Layer contract, the gradient of
          ``sum(dy * output)`` only (no KL, no target path). Returns ``d / d x``.

        Writes every parameter's gradient (``"log_sigma"``'s too; 0 in the second case).
        """
        if self._cache is None:
            raise RuntimeError(f"{self._name}.backward: call forward(x) or loss(x) first")
        c = self._cache
        with_loss = dy is None
        if with_loss:
            if self._loss_grad is None:
                raise RuntimeError(f"{self._name}.backward() needs loss(x) first (or pass dy)")
            dy, grad_log_sigma = self._loss_grad
        else:
            dy = as_float_array(dy, f"{self._name}.backward dy", self.dtype)
            if dy.shape != c["out"].shape:
                raise ValueError(f"{self._name}.backward expected dy {c['out'].shape}; "
                                 f"got {dy.shape}")
            grad_log_sigma = None
        grad_z = self._decoder_input_grad(self.decoder.backward(dy))
        grad_mu, grad_log_s = sample_backward(grad_z, c["log_s"], c["eps"])
        if with_loss:
            kl_mu, kl_log_s = kl_divergence_grad(c["mu"], c["log_s"])
            scale = self.beta / c["mu"].shape[0]  # the KL is averaged over the batch
            grad_mu = grad_mu + scale * kl_mu
            grad_log_s = grad_log_s + scale * kl_log_s
        grad_h = self.z_mean.backward(grad_mu) + self.z_log_sigma.backward(grad_log_s)
        dx = self._encoder_input_grad(self.encoder.backward(grad_h), c["x"].shape)
        if self.learn_sigma:
            self._own_grads["log_sigma"] = (np.zeros(1, self.dtype) if grad_log_sigma is None
                                            else np.asarray(grad_log_sigma, self.dtype))
        if with_loss:
            dx = dx + self._target_grad(c["out"], c["x"])
        return dx

    def _target_grad(self, out, x):
        """d reconstruction / d x, with ``x`` as the likelihood's target (reduction "batch")."""
        n = x.shape[0]
        if self.likelihood == "bernoulli":
            return -out / n  # l = max(z, 0) - z t + log(1 + exp(-|z|)): dl/dt = -z
        if self.likelihood == "sse":
            return 2.0 * (x - out) / n
        return (x - out) * np.exp(-2.0 * self.log_sigma) / n

    # --- using a trained model -----------------------------------------------------------

    @contextlib.contextmanager
    def _inference(self):
        """Eval mode (Dropout off) for the duration, then the previous mode back."""
        was_training = self.training
        self.eval()
        try:
            yield
        finally:
            if was_training:
                self.train()

    def _mean(self, out: np.ndarray) -> np.ndarray:
        """The likelihood's mean in image space: probabilities for bernoulli, else ``out``."""
        return sigmoid(out) if self.likelihood == "bernoulli" else out

    def _encode(self, x, cond, batch_size):
        with self._inference():
            mus, log_ss = [], []
            for i in range(0, x.shape[0], batch_size):
                c = None if cond is None else cond[i:i + batch_size]
                h = self.encoder.forward(self._encoder_input(x[i:i + batch_size], c))
                mus.append(self.z_mean.forward(h))
                log_ss.append(self.z_log_sigma.forward(h))
        return np.concatenate(mus), np.concatenate(log_ss)

    def _decode(self, z, cond, batch_size):
        with self._inference():
            outs = []
            for i in range(0, z.shape[0], batch_size):
                c = None if cond is None else cond[i:i + batch_size]
                outs.append(self.decoder.forward(self._decoder_input(z[i:i + batch_size], c)))
        return np.concatenate(outs)

    def encode(self, x: np.ndarray, *, batch_size: int = 500):
        """``x (N, *input_shape) -> (z_mean, z_log_sigma)``, each ``(N, L)`` (eval mode)."""
        return self._encode(self._check_input(x), None, check_positive_int(batch_size,
                                                                           "batch_size"))

    def decode(self, z: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """``z (N, L) -> `` the decoder's output: logits (bernoulli) or means (eval mode)."""
        return self._decode(self._check_latent(z, "z"), None,
                            check_positive_int(batch_size, "batch_size"))

    def reconstruct(self, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """Decode each image's ``z_mean`` (no sampling). Returns probabilities / means."""
        mu, _ = self.encode(x, batch_size=batch_size)
        return self._mean(self._decode(mu, None, batch_size))

    def generate(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Decode ``n`` codes ``z ~ N(0, I)``. Returns probabilities / means, ``(n, *image)``.

        ``rng=None`` uses the model's own generator.
        """
        n = check_positive_int(n, "generate n")
        z = self._draw_eps(None, rng, (n, self.latent_dim))
        return self._mean(self._decode(z, None, 500))

    # --- evaluation ---------------------------------------------------------------------

    def _log_px_given_z(self, out: np.ndarray, x: np.ndarray, image_ndim: int) -> np.ndarray:
        """``log p(x | z)`` per image in true nats: ``out, x: (..., *image)`` -> ``(...)``.

        The pixel axes are the last ``image_ndim``; ``out`` may carry an extra axis (K samples)
        and broadcasts against ``x``. Same formulas as losses.py, summed per image.
        """
        axes = tuple(range(-image_ndim, 0))
        out = out.astype(np.float64)
        x = x.astype(np.float64)
        if self.likelihood == "bernoulli":
            bce = np.maximum(out, 0) - out * x + np.log1p(np.exp(-np.abs(out)))
            return -np.sum(bce, axis=axes)
        log_s = self.log_sigma
        u2 = (x - out) ** 2 * np.exp(-2.0 * log_s)
        return np.sum(-0.5 * LOG_2PI - log_s - 0.5 * u2, axis=axes)

    def _evaluate_elbo(self, x, cond, batch_size, rng) -> ELBOReport:
        batch_size = check_positive_int(batch_size, "batch_size")
        rng = self.rng if rng is None else rng
        recon = kl = 0.0
        with self._inference():
            for i in range(0, x.shape[0], batch_size):
                xb = x[i:i + batch_size]
                cb = None if cond is None else cond[i:i + batch_size]
                out = self._forward(xb, cb, None, rng)
                recon -= float(np.sum(self._log_px_given_z(out, xb, xb.ndim - 1)))
                kl += float(np.sum(kl_divergence(self._cache["mu"].astype(np.float64),
                                                 self._cache["log_s"].astype(np.float64))))
        n = x.shape[0]
        floor = float(np.mean(bernoulli_floor(x))) if self.likelihood == "bernoulli" else None
        return ELBOReport((recon + kl) / n, recon / n, kl / n, n, self.likelihood, floor)

    def evaluate_elbo(self, x: np.ndarray, *, batch_size: int = 500,
                      rng: np.random.Generator | None = None) -> ELBOReport:
        """The negative ELBO in nats per image, averaged over ``x`` (eval mode, one ``z`` each).

        True nats for every likelihood (``"sse"`` is scored as the Gaussian with
        ``sigma^2 = 1/2`` it stands for), with ``beta = 1``: an upper bound on ``-log p(x)``.
        ``rng`` draws the ``eps`` (default: the model's generator). Returns an ``ELBOReport``.
        """
        return self._evaluate_elbo(self._check_input(x), None, batch_size, rng)

    def _log_likelihood(self, x, cond, k, rng, batch_size, max_rows, eps) -> np.ndarray:
        k = check_positive_int(k, "k")
        batch_size = check_positive_int(batch_size, "batch_size")
        max_rows = check_positive_int(max_rows, "max_rows")
        n, dim = x.shape[0], self.latent_dim
        if eps is not None:
            eps = as_float_array(eps, f"{self._name} eps", self.dtype)
            if eps.shape != (n, k, dim):
                raise ValueError(f"{self._name}.log_likelihood expected eps (N, k, L) = "
                                 f"{(n, k, dim)}; got {eps.shape}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
        rng = self.rng if rng is None else rng
        batch_size = min(batch_size, max_rows)
        result = np.empty(n)
        for i in range(0, n, batch_size):
            xb = x[i:i + batch_size]
            b = xb.shape[0]
            cb = None if cond is None else cond[i:i + batch_size]
            mu, log_s = self._encode(xb, cb, b)
            log_w = np.empty((b, k))
            chunk = max(1, min(k, max_rows // b))  # b * chunk decoder rows at a time
            for j in range(0, k, chunk):
                kc = min(chunk, k - j)
                e = (eps[i:i + b, j:j + kc] if eps is not None
                     else rng.standard_normal((b, kc, dim)).astype(self.dtype))
                z = sample(mu[:, None], log_s[:, None], e)  # (b, kc, L)
                c = None if cb is None else np.repeat(cb, kc, axis=0)
                out = self._decode(z.reshape(b * kc, dim), c, b * kc)
                log_px = self._log_px_given_z(out.reshape((b, kc) + xb.shape[1:]), xb[:, None],
                                              xb.ndim - 1)
                log_w[:, j:j + kc] = log_importance_weights(
                    log_px, z.astype(np.float64), mu[:, None].astype(np.float64),
                    log_s[:, None].astype(np.float64))
            result[i:i + b] = importance_weighted_log_likelihood(log_w)
        return result

    def log_likelihood(self, x: np.ndarray, k: int = 1000, *,
                       rng: np.random.Generator | None = None, batch_size: int = 100,
                       max_rows: int = 2000, eps: np.ndarray | None = None) -> np.ndarray:
        """Importance-weighted estimate of ``log p(x)`` per image, in nats (eval mode).

        ::

            log p(x) ~ log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x),   z_k ~ q(z | x)

        computed with ``logsumexp`` (variational.py). ``K = 1`` is the one-sample ELBO; the
        estimate rises toward ``log p(x)`` as ``K`` grows. Images go ``batch_size`` at a time
        and their ``K`` samples through the decoder at most ``max_rows`` rows at a time, so
        ``K = 1000`` on 1000 images fits in memory.

        Parameters
        ----------
        x : (N, *input_shape)
        k : int, samples per image
        rng : Generator for the ``eps`` (default: the model's)
        eps : (N, k, L), optional fixed draws (then ``rng`` is unused)

        Returns
        -------
        ndarray (N,), float64: ``log p(x)`` estimates (negative numbers; ``-mean`` is the
        number to report, in nats per image).
        """
        return self._log_likelihood(self._check_input(x), None, k, rng, batch_size,
                                    max_rows, eps)

    def kl_per_dimension(self, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """The KL of each latent unit, averaged over the images of ``x``: ``(L,)`` nats.

        A unit whose KL is ~0 for every image outputs the prior whatever the input: the decoder
        ignores it (a "collapsed" or inactive unit). Their sum is the mean KL term.
        """
        return self._kl_per_dimension(self._check_input(x), None, batch_size)

    def _kl_per_dimension(self, x, cond, batch_size) -> np.ndarray:
        mu, log_s = self._encode(x, cond, check_positive_int(batch_size, "batch_size"))
        mu, log_s = mu.astype(np.float64), log_s.astype(np.float64)
        return np.mean(0.5 * (mu**2 + np.exp(2 * log_s) - 1.0) - log_s, axis=0)

    def summary(self, *, print_fn=print) -> str:
        """Print (and return) the parameter count of each part and the total."""
        lines = [f"{self._name}: likelihood={self.likelihood}, beta={self.beta:g}, "
                 f"latent_dim={self.latent_dim}, input_shape={self.input_shape}"]
        for name, part in self.children():
            lines.append(f"  {name:<12} {part!r}: {part.num_parameters():,} parameters")
        if self.learn_sigma:
            lines.append("  log_sigma    1 parameter")
        lines.append(f"total parameters: {self.num_parameters():,}")
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text

    def __repr__(self) -> str:
        return (f"{self._name}(latent_dim={self.latent_dim}, likelihood={self.likelihood!r}, "
                f"beta={self.beta:g})")


class ConditionalVAE(VAE):
    """A VAE told the class: the one-hot label is joined to the encoder's input and to ``z``.

    Shapes (``C`` classes, ``D = prod(image shape)``)::

        labels (N,) ints in [0, C)  ->  y = one_hot(labels)          (N, C)
        encoder input  = [flatten(x), y]                             (N, D + C)
        decoder input  = [z, y]                                      (N, L + C)
        decoder output                                               (N, *image)

    So the encoder must take ``D + C`` features and the decoder ``L + C``. Because the decoder
    is told the class, ``z`` only has to carry the rest (slant, thickness): ``generate(labels)``
    draws the chosen digits. Same parameters as ``VAE`` plus ``num_classes``.
    """

    _name = "ConditionalVAE"

    def __init__(self, encoder: Layer, z_mean: Layer, z_log_sigma: Layer, decoder: Layer,
                 num_classes: int, likelihood: str = "bernoulli", beta: float = 1.0,
                 **kwargs) -> None:
        self.num_classes = check_positive_int(num_classes, "ConditionalVAE num_classes")
        super().__init__(encoder, z_mean, z_log_sigma, decoder, likelihood, beta, **kwargs)

    def one_hot(self, labels, n: int | None = None) -> np.ndarray:
        """``labels (N,)`` ints in ``[0, C)`` -> ``(N, C)`` one-hot rows in the model's dtype."""
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"ConditionalVAE labels must be integers (class indices); got dtype "
                            f"{labels.dtype}")
        if labels.ndim != 1 or (n is not None and labels.shape[0] != n):
            raise ValueError(f"ConditionalVAE expected labels ({'N' if n is None else n},); "
                             f"got {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"ConditionalVAE labels must be in [0, {self.num_classes}); got "
                             f"range [{labels.min()}, {labels.max()}]")
        y = np.zeros((labels.shape[0], self.num_classes), dtype=self.dtype)
        y[np.arange(labels.shape[0]), labels] = 1.0
        return y

    def _encoder_input(self, x, cond):
        return np.concatenate([x.reshape(x.shape[0], -1), cond], axis=1)

    def _decoder_input(self, z, cond):
        return np.concatenate([z, cond], axis=1)

    def _encoder_input_grad(self, g, x_shape):
        return g[:, :g.shape[1] - self.num_classes].reshape(x_shape)

    def _decoder_input_grad(self, g):
        return g[:, :self.latent_dim]

    def _inputs(self, x, labels):
        x = self._check_input(x)
        return x, self.one_hot(labels, x.shape[0])

    def forward(self, x: np.ndarray, labels: np.ndarray, eps: np.ndarray | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Like ``VAE.forward``, given each image's class. ``labels: (N,)`` ints."""
        return self._forward(*self._inputs(x, labels), eps, rng)

    def loss(self, x: np.ndarray, labels: np.ndarray, eps: np.ndarray | None = None,
             rng: np.random.Generator | None = None) -> tuple[float, dict[str, float]]:
        """Like ``VAE.loss``: ``(reconstruction + beta * kl, parts)``, nats per image."""
        self.forward(x, labels, eps, rng)
        return self._loss_from_cache()

    def encode(self, x, labels, *, batch_size: int = 500):
        """``(x, labels) -> (z_mean, z_log_sigma)``, each ``(N, L)``."""
        return self._encode(*self._inputs(x, labels), check_positive_int(batch_size,
                                                                         "batch_size"))

    def decode(self, z, labels, *, batch_size: int = 500) -> np.ndarray:
        """``(z (N, L), labels (N,)) ->`` logits / means ``(N, *image)``."""
        z = self._check_latent(z, "z")
        return self._decode(z, self.one_hot(labels, z.shape[0]),
                            check_positive_int(batch_size, "batch_size"))

    def reconstruct(self, x, labels, *, batch_size: int = 500) -> np.ndarray:
        """Decode ``z_mean`` with the true labels. Returns probabilities / means."""
        x, y = self._inputs(x, labels)
        mu, _ = self._encode(x, y, batch_size)
        return self._mean(self._decode(mu, y, batch_size))

    def generate(self, labels, rng: np.random.Generator | None = None) -> np.ndarray:
        """One new image per label, ``z ~ N(0, I)``: ``labels (n,) -> (n, *image)``."""
        y = self.one_hot(labels)
        if y.shape[0] == 0:
            raise ValueError("ConditionalVAE.generate needs at least one label")
        z = self._draw_eps(None, rng, (y.shape[0], self.latent_dim))
        return self._mean(self._decode(z, y, 500))

    def evaluate_elbo(self, x, labels, *, batch_size: int = 500,
                      rng: np.random.Generator | None = None) -> ELBOReport:
        """``VAE.evaluate_elbo`` of ``log p(x | label)``."""
        return self._evaluate_elbo(*self._inputs(x, labels), batch_size, rng)

    def log_likelihood(self, x, labels, k: int = 1000, *, rng=None, batch_size: int = 100,
                       max_rows: int = 2000, eps=None) -> np.ndarray:
        """``VAE.log_likelihood`` of ``log p(x | label)`` per image."""
        return self._log_likelihood(*self._inputs(x, labels), k, rng, batch_size, max_rows, eps)

    def kl_per_dimension(self, x, labels, *, batch_size: int = 500) -> np.ndarray:
        """``VAE.kl_per_dimension`` with the labels given."""
        return self._kl_per_dimension(*self._inputs(x, labels), batch_size)

    def __repr__(self) -> str:
        return (f"ConditionalVAE(num_classes={self.num_classes}, latent_dim={self.latent_dim}, "
                f"likelihood={self.likelihood!r}, beta={self.beta:g})")


# --- builders -----------------------------------------------------------------------------

def _builder_rng(rng) -> np.random.Generator:
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
    return np.random.default_rng() if rng is None else rng


def _hidden_sizes(hidden) -> tuple[int, ...]:
    sizes = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
    return tuple(check_positive_int(h, "hidden") for h in sizes)


def _mlp(sizes, init, rng, dtype, last_relu: bool) -> list[Layer]:
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Dense(a, b, init=init, rng=rng, dtype=dtype))
        if last_relu or i < len(sizes) - 2:
            layers.append(ReLU())
    return layers


def dense_vae(latent_dim: int = 2, hidden=512, input_shape: tuple[int, ...] = (1, 28, 28),
              likelihood: str = "bernoulli", beta: float = 1.0, *, sigma: float = 1.0,
              learn_sigma: bool = False, init: str = "glorot_uniform",
              rng: np.random.Generator | None = None, dtype=np.float32) -> VAE:
    """The lesson's dense VAE (with ``likelihood="sse"`` its loss too)::

        encoder  Flatten, Dense(784, 512), ReLU        heads  Dense(512, 2) x 2
        decoder  Dense(2, 512), ReLU, Dense(512, 784), Reshape(1, 28, 28)   (logits / means)

    ``hidden`` may be a tuple for several layers (the decoder mirrors it). ``hidden=400,
    latent_dim=20`` is the 784-400-20 model of the VAE benchmarks. Parameter count for one
    hidden layer: ``(D H + H) + 2 (H L + L) + (L H + H) + (H D + D)``: 807,700 for the
    lesson's (D = 784, H = 512, L = 2). ``rng`` initialises the weights and then draws ``eps``.
    """
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    input_shape = tuple(int(s) for s in input_shape)
    d = int(np.prod(input_shape))
    hs = _hidden_sizes(hidden)
    rng = _builder_rng(rng)
    encoder = Sequential(Flatten(), *_mlp((d, *hs), init, rng, dtype, last_relu=True))
    z_mean = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    z_log_sigma = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    decoder = Sequential(*_mlp((latent_dim, *hs[::-1], d), init, rng, dtype, last_relu=False),
                         Reshape(input_shape))
    return VAE(encoder, z_mean, z_log_sigma, decoder, likelihood, beta, sigma=sigma,
               learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)


def conditional_vae(num_classes: int = 10, latent_dim: int = 2, hidden=512,
                    input_shape: tuple[int, ...] = (1, 28, 28), likelihood: str = "bernoulli",
                    beta: float = 1.0, *, sigma: float = 1.0, learn_sigma: bool = False,
                    init: str = "glorot_uniform", rng: np.random.Generator | None = None,
                    dtype=np.float32) -> ConditionalVAE:
    """A dense conditional VAE: ``dense_vae`` with the label joined in::

        encoder  [flatten(x), one_hot(y)] (D + C) -> Dense(D + C, H), ReLU
        heads    Dense(H, L) x 2
        decoder  [z, one_hot(y)] (L + C) -> Dense(L + C, H), ReLU, Dense(H, D), Reshape
    """
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    input_shape = tuple(int(s) for s in input_shape)
    d = int(np.prod(input_shape))
    hs = _hidden_sizes(hidden)
    rng = _builder_rng(rng)
    encoder = Sequential(*_mlp((d + num_classes, *hs), init, rng, dtype, last_relu=True))
    z_mean = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    z_log_sigma = Dense(hs[-1], latent_dim, init=init, rng=rng, dtype=dtype)
    decoder = Sequential(
        *_mlp((latent_dim + num_classes, *hs[::-1], d), init, rng, dtype, last_relu=False),
        Reshape(input_shape))
    return ConditionalVAE(encoder, z_mean, z_log_sigma, decoder, num_classes, likelihood, beta,
                          sigma=sigma, learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)


def conv_vae(latent_dim: int = 2, channels: tuple[int, int] = (32, 64), hidden: int = 16,
             input_shape: tuple[int, ...] = (1, 28, 28), likelihood: str = "bernoulli",
             beta: float = 1.0, *, decoder: str = "transpose", sigma: float = 1.0,
             learn_sigma: bool = False, init: str = "glorot_uniform",
             rng: np.random.Generator | None = None, dtype=np.float32) -> VAE:
    """The assignment's convolutional VAE (defaults shown for a 1 x 28 x 28 input)::

        encoder  Conv2D(1, 32, 3, stride 2, "same"), ReLU        -> 32 x 14 x 14
                 Conv2D(32, 64, 3, stride 2, "same"), ReLU       -> 64 x 7 x 7
                 Flatten, Dense(3136, 16), ReLU                  -> 16
        heads    Dense(16, 2) x 2                                -> z_mean, z_log_sigma
        decoder  Dense(2, 3136), ReLU, Reshape(64, 7, 7)
          "transpose": ConvTranspose2D(64, 32, 4, stride 2, padding 1), ReLU   -> 32 x 14 x 14
                       ConvTranspose2D(32, 1, 4, stride 2, padding 1)          -> 1 x 28 x 28
          "upsample":  Upsample2D(2), Conv2D(64, 32, 3, "same"), ReLU          -> 32 x 14 x 14
                       Upsample2D(2), Conv2D(32, 1, 3, "same")                 -> 1 x 28 x 28

    The decoder ends in logits (bernoulli) or means, like ``dense_vae``'s. Parameters with the
    defaults (latent 2): encoder 320 + 18,496 + 50,192; heads 2 x 34; decoder 9,408 +
    32,800 + 513 ("transpose"; "upsample": 9,408 + 18,464 + 289): 111,797 in all
    ("upsample": 97,237), against the dense VAE's 807,700. ``H`` and ``W`` must be multiples
    of 4 (two stride-2 halvings and two doublings). ``channels=(c1, c2)``.
    """
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    hidden = check_positive_int(hidden, "hidden")
    c1, c2 = (check_positive_int(c, "channels") for c in channels)
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != 3 or input_shape[1] % 4 or input_shape[2] % 4:
        raise ValueError(f"conv_vae input_shape must be (C, H, W) with H and W multiples of 4; "
                         f"got {input_shape}")
    if decoder not in ("transpose", "upsample"):
        raise ValueError(f"conv_vae decoder must be 'transpose' or 'upsample'; got {decoder!r}")
    c_in, h, w = input_shape[0], input_shape[1] // 4, input_shape[2] // 4
    rng = _builder_rng(rng)
    kw = {"init": init, "rng": rng, "dtype": dtype}
    encoder = Sequential(
        Conv2D(c_in, c1, 3, stride=2, padding="same", **kw), ReLU(),
        Conv2D(c1, c2, 3, stride=2, padding="same", **kw), ReLU(),
        Flatten(), Dense(c2 * h * w, hidden, **kw), ReLU())
    z_mean = Dense(hidden, latent_dim, **kw)
    z_log_sigma = Dense(hidden, latent_dim, **kw)
    if decoder == "transpose":
        up = [ConvTranspose2D(c2, c1, 4, stride=2, padding=1, **kw), ReLU(),
              ConvTranspose2D(c1, c_in, 4, stride=2, padding=1, **kw)]
    else:
        up = [Upsample2D(2), Conv2D(c2, c1, 3, padding="same", **kw), ReLU(),
              Upsample2D(2), Conv2D(c1, c_in, 3, padding="same", **kw)]
    dec = Sequential(Dense(latent_dim, c2 * h * w, **kw), ReLU(), Reshape((c2, h, w)), *up)
    return VAE(encoder, z_mean, z_log_sigma, dec, likelihood, beta, sigma=sigma,
               learn_sigma=learn_sigma, input_shape=input_shape, rng=rng)
