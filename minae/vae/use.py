"""What a trained VAE can do besides training: encode, decode, reconstruct, generate, score.

``VAE`` (``model.py``) inherits these methods, so its own file holds only forward, loss and
backward. Each method checks its arguments at the model's entry (``inputs.py``) and calls the
function of the same name in ``evaluate.py`` with ``y=None`` (no labels); ``ConditionalVAE``
has the same methods with the labels after the images.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import print_or_return
from minae.layers.checks import check_positive_int
from minae.vae import evaluate, inputs
from minae.vae.evaluate import ELBOReport
from minae.vae.likelihoods import mean_image


class VAEInference:
    """The methods of a trained ``VAE`` (eval mode, in batches; the model's mode restored)."""

    def encode(self, x: np.ndarray, *, batch_size: int = 500):
        """``x (N, *input_shape) -> (z_mean, z_log_sigma)``, each ``(N, L)`` (``N`` may be 0)."""
        return evaluate.encode(self, inputs.images(self, x, empty_ok=True), None, batch_size)

    def decode(self, z: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """``z (N, L) ->`` the decoder's output: logits (bernoulli) or means."""
        return evaluate.decode(self, inputs.codes(self, z), None, batch_size)

    def reconstruct(self, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """Decode each image's ``z_mean`` (no sampling). Returns probabilities / means."""
        mu, _ = self.encode(x, batch_size=batch_size)
        return mean_image(self.likelihood, evaluate.decode(self, mu, None, batch_size))

    def generate(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Decode ``n`` codes ``z ~ N(0, I)``. Returns probabilities / means, ``(n, *image)``.

        ``rng=None`` uses the model's own generator.
        """
        n = check_positive_int(n, f"{type(self).__name__}.generate n")
        z = inputs.noise(self, None, rng, (n, self.latent_dim))
        return mean_image(self.likelihood, evaluate.decode(self, z, None, 500))

    def evaluate_elbo(self, x: np.ndarray, *, batch_size: int = 500,
                      rng: np.random.Generator | None = None) -> ELBOReport:
        """The negative ELBO in nats per image, averaged over ``x`` (eval mode, one ``z`` each).

        True nats for every likelihood (``"sse"`` is scored as the Gaussian with
        ``sigma^2 = 1/2`` it stands for), with ``beta = 1``: an upper bound on ``-log p(x)``.
        ``rng`` draws the ``eps`` (default: the model's generator). Returns an ``ELBOReport``.
        """
        return evaluate.evaluate_elbo(self, inputs.images(self, x), None, batch_size, rng)

    def log_likelihood(self, x: np.ndarray, k: int = 1000, *,
                       rng: np.random.Generator | None = None, batch_size: int = 100,
                       max_rows: int = 2000, eps: np.ndarray | None = None) -> np.ndarray:
        """Importance-weighted estimate of ``log p(x)`` per image, in nats (eval mode).

        ``K = 1`` is the one-sample ELBO; the estimate rises toward ``log p(x)`` as ``K``
        grows. See ``evaluate.py`` for the formula and the chunking.

        Parameters
        ----------
        x : (N, *input_shape)
        k : int, samples per image
        rng : Generator for the ``eps`` (default: the model's)
        batch_size, max_rows : images per batch; decoder rows per chunk
        eps : (N, k, L), optional fixed draws (then ``rng`` is unused)

        Returns
        -------
        ndarray (N,), float64: ``log p(x)`` estimates (negative numbers; ``-mean`` is the
        number to report, in nats per image).
        """
        return evaluate.log_likelihood(self, inputs.images(self, x), None, k, rng, batch_size,
                                       max_rows, eps)

    def kl_per_dimension(self, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
        """The KL of each latent unit, averaged over the images of ``x``: ``(L,)`` nats.

        A unit whose KL is ~0 for every image outputs the prior whatever the input: the decoder
        ignores it (a "collapsed" or inactive unit). Their sum is the mean KL term.
        """
        return evaluate.kl_per_dimension(self, inputs.images(self, x), None, batch_size)

    def summary(self, *, print_fn=print) -> str | None:
        """The parameter count of each part and the total.

        As ``Sequential.summary``: ``print_fn=print`` prints and returns None (so a notebook
        cell shows it once); ``print_fn=None`` returns the text.
        """
        lines = [f"{type(self).__name__}: likelihood={self.likelihood}, beta={self.beta:g}, "
                 f"latent_dim={self.latent_dim}, input_shape={self.input_shape}"]
        for name, part in self.children():
            lines.append(f"  {name:<12} {part!r}: {part.num_parameters():,} parameters")
        if self.learn_sigma:
            lines.append("  log_sigma    1 parameter")
        lines.append(f"total parameters: {self.num_parameters():,}")
        return print_or_return(lines, print_fn)
