"""Using and scoring a trained VAE: encode and decode in batches, the test ELBO, the
importance-weighted log-likelihood, the KL of each latent unit, the Bernoulli floor.

Every function takes the model and arrays already checked at its entry (``inputs.py``), and
``y``: the one-hot labels ``(N, C)`` of a conditional VAE, joined to the encoder's and the
decoder's inputs (``inputs.join``), or ``None`` for a plain VAE. All run in eval mode
(Dropout off) and restore the model's mode afterwards. The methods of ``use.py`` and
``conditional.py`` are the doors to them.

The importance-weighted estimate, with its chunking
---------------------------------------------------
::

    log p(x) ~ log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x),   z_k ~ q(z | x)

computed with ``logsumexp`` (``variational.py``). Images go ``batch_size`` at a time and their
``K`` samples through the decoder at most ``max_rows`` rows at a time, so ``K = 1000`` on 1000
images fits in memory: a chunk of ``b`` images decodes ``b * chunk`` rows, ``chunk =
max_rows // b`` samples each.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from minae.layers.checks import as_float_array, check_positive_int, check_rng
from minae.losses import binary_entropy, check_values
from minae.vae.inputs import join
from minae.vae.likelihoods import log_px_given_z
from minae.variational import (
    importance_weighted_log_likelihood,
    kl_divergence,
    log_importance_weights,
    sample,
)


def bernoulli_floor(x: np.ndarray) -> np.ndarray:
    """The lowest Bernoulli reconstruction loss possible on targets ``x``, per image, in nats.

    The BCE of a prediction ``p`` against a grey target ``t`` is smallest at ``p = t``, where it
    is the binary entropy ``H(t) = -t ln t - (1 - t) ln(1 - t)`` (``losses.binary_entropy``).
    So even a perfect decoder scores ``sum_pixels H(t)`` per image: 45.5 nats on MNIST, 189.9 on
    Fashion-MNIST. Only binary (0/1) pixels have floor 0.

    ``x: (N, ...)`` in [0, 1] -> ``(N,)`` float64.
    """
    t = as_float_array(x, "bernoulli_floor input", np.float64)
    if t.ndim < 1 or t.shape[0] == 0:
        raise ValueError(f"bernoulli_floor expected a batch (N, ...); got shape {t.shape}")
    if t.size:
        check_values(t, "bernoulli_floor: targets", unit=True, infinite_ok=False)
    return binary_entropy(t).reshape(t.shape[0], -1).sum(axis=1)


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


@contextlib.contextmanager
def inference(model):
    """Eval mode (Dropout off) for the duration, then the previous mode back."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        if was_training:
            model.train()


def rows(y: np.ndarray | None, i: int, j: int) -> np.ndarray | None:
    """The labels of images ``i:j`` (None stays None)."""
    return None if y is None else y[i:j]


def encode(model, x: np.ndarray, y: np.ndarray | None, batch_size: int):
    """``x (N, *image) -> (mu, log_sigma)``, each ``(N, L)``; ``N = 0`` gives ``(0, L)``."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if x.shape[0] == 0:
        empty = np.zeros((0, model.latent_dim), model.dtype)
        return empty, empty.copy()
    mus, log_ss = [], []
    with inference(model):
        for i in range(0, x.shape[0], batch_size):
            h = model.encoder.forward(join(x[i:i + batch_size], rows(y, i, i + batch_size)))
            mus.append(model.z_mean.forward(h))
            log_ss.append(model.z_log_sigma.forward(h))
    return np.concatenate(mus), np.concatenate(log_ss)


def decode(model, z: np.ndarray, y: np.ndarray | None, batch_size: int) -> np.ndarray:
    """``z (N, L) ->`` the decoder's output ``(N, *image)``; ``N = 0`` gives ``(0, *image)``."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if z.shape[0] == 0:  # one blank code, for the output's shape
        blank_y = None if y is None else np.zeros((1, y.shape[1]), model.dtype)
        return decode(model, np.zeros((1, z.shape[1]), model.dtype), blank_y, 1)[:0]
    with inference(model):
        outs = [model.decoder.forward(join(z[i:i + batch_size], rows(y, i, i + batch_size)))
                for i in range(0, z.shape[0], batch_size)]
    return np.concatenate(outs)


def evaluate_elbo(model, x: np.ndarray, y: np.ndarray | None, batch_size: int,
                  rng: np.random.Generator | None) -> ELBOReport:
    """The negative ELBO in true nats per image, one ``z`` per image (``rng``'s draws)."""
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = model.rng if rng is None else check_rng(rng, f"{type(model).__name__}.evaluate_elbo")
    recon = kl = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb, yb = x[i:i + batch_size], rows(y, i, i + batch_size)
        mu, log_s = encode(model, xb, yb, batch_size)
        eps = rng.standard_normal(mu.shape).astype(model.dtype)
        out = decode(model, sample(mu, log_s, eps), yb, batch_size)
        recon -= float(np.sum(log_px_given_z(model.likelihood, out, xb, model.log_sigma,
                                             xb.ndim - 1)))
        kl += float(np.sum(kl_divergence(mu.astype(np.float64), log_s.astype(np.float64))))
    n = x.shape[0]
    floor = float(np.mean(bernoulli_floor(x))) if model.likelihood == "bernoulli" else None
    return ELBOReport((recon + kl) / n, recon / n, kl / n, n, model.likelihood, floor)


def log_likelihood(model, x: np.ndarray, y: np.ndarray | None, k: int,
                   rng: np.random.Generator | None, batch_size: int, max_rows: int,
                   eps: np.ndarray | None) -> np.ndarray:
    """The importance-weighted estimate of ``log p(x)`` per image, ``(N,)`` float64 nats."""
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    max_rows = check_positive_int(max_rows, "max_rows")
    name = type(model).__name__
    n, dim = x.shape[0], model.latent_dim
    if eps is not None:
        eps = as_float_array(eps, f"{name} eps", model.dtype)
        if eps.shape != (n, k, dim):
            raise ValueError(f"{name}.log_likelihood expected eps (N, k, L) = {(n, k, dim)}; "
                             f"got {eps.shape}")
    rng = model.rng if rng is None else check_rng(rng, f"{name}.log_likelihood")
    batch_size = min(batch_size, max_rows)
    result = np.empty(n)
    for i in range(0, n, batch_size):
        xb, yb = x[i:i + batch_size], rows(y, i, i + batch_size)
        b = xb.shape[0]
        mu, log_s = encode(model, xb, yb, b)
        log_w = np.empty((b, k))
        chunk = max(1, min(k, max_rows // b))  # b * chunk decoder rows at a time
        for j in range(0, k, chunk):
            kc = min(chunk, k - j)
            e = (eps[i:i + b, j:j + kc] if eps is not None
                 else rng.standard_normal((b, kc, dim)).astype(model.dtype))
            z = sample(mu[:, None], log_s[:, None], e)  # (b, kc, L)
            yc = None if yb is None else np.repeat(yb, kc, axis=0)
            out = decode(model, z.reshape(b * kc, dim), yc, b * kc)
            log_px = log_px_given_z(model.likelihood, out.reshape((b, kc) + xb.shape[1:]),
                                    xb[:, None], model.log_sigma, xb.ndim - 1)
            log_w[:, j:j + kc] = log_importance_weights(
                log_px, z.astype(np.float64), mu[:, None].astype(np.float64),
                log_s[:, None].astype(np.float64))
        result[i:i + b] = importance_weighted_log_likelihood(log_w)
    return result


def kl_per_dimension(model, x: np.ndarray, y: np.ndarray | None,
                     batch_size: int) -> np.ndarray:
    """The KL of each latent unit averaged over the images: ``(L,)`` nats.

    ``kl_divergence`` sums over its last axis; given ``(N, L, 1)`` arrays it sums over nothing
    and returns each unit's KL ``(N, L)``: the same formula, not a copy of it.
    """
    mu, log_s = encode(model, x, y, batch_size)
    mu, log_s = mu.astype(np.float64), log_s.astype(np.float64)
    return np.mean(kl_divergence(mu[..., None], log_s[..., None]), axis=0)
