"""The conditional VAE: a VAE told the class, so ``z`` only has to carry the rest (the style).

Shapes (``C`` classes, ``D = prod(image shape)``)::

    labels (N,) ints in [0, C)  ->  y = one_hot(labels)          (N, C)
    encoder input  = [flatten(x), y]                             (N, D + C)
    decoder input  = [z, y]                                      (N, L + C)
    decoder output                                               (N, *image)

So the encoder must take ``D + C`` features and the decoder ``L + C``. Backward is the VAE's
with the joins undone: the gradient of a joined input is cut back to its first part (``y`` is
data, it has no gradient to carry).

One rule for the signatures: every method is the plain ``VAE``'s with ``labels`` inserted
after the images (or codes): ``loss(x, labels, eps=None, rng=None)``, ``encode(x, labels)``,
``decode(z, labels)``, ``log_likelihood(x, labels, k=1000, ...)``; ``generate(labels)`` takes
the labels instead of a count. ``fit(cvae, x, extra=(labels,))`` calls ``loss(xb, labels_b)``.
"""

from __future__ import annotations

import numpy as np

from minae.layers.base import Layer
from minae.layers.checks import check_positive_int
from minae.vae import evaluate, inputs
from minae.vae.evaluate import ELBOReport
from minae.vae.inputs import join
from minae.vae.likelihoods import mean_image
from minae.vae.model import VAE


class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder are both given the one-hot label.

    Same parameters as ``VAE`` plus ``num_classes``; ``generate(labels)`` draws the chosen
    classes.
    """

    def __init__(self, encoder: Layer, z_mean: Layer, z_log_sigma: Layer, decoder: Layer,
                 num_classes: int, likelihood: str = "bernoulli", beta: float = 1.0,
                 **kwargs) -> None:
        self.num_classes = check_positive_int(num_classes, "ConditionalVAE num_classes")
        super().__init__(encoder, z_mean, z_log_sigma, decoder, likelihood, beta, **kwargs)

    def one_hot(self, labels, n: int | None = None) -> np.ndarray:
        """``labels (N,)`` ints in ``[0, C)`` -> ``(N, C)`` one-hot rows in the model's dtype."""
        return inputs.one_hot(self, labels, n)

    # --- forward, loss, backward: the VAE's, with the label joined in -------------------

    def forward(self, x: np.ndarray, labels: np.ndarray, eps: np.ndarray | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Like ``VAE.forward``, given each image's class. ``labels: (N,)`` ints."""
        x = inputs.images(self, x)
        y = self.one_hot(labels, x.shape[0])
        h = self.encoder.forward(join(x, y))  # [flatten(x), y]
        z = self._latent_forward(h, eps, rng)
        return self._keep(x, self.decoder.forward(join(z, y)))  # decoder([z, y])

    def loss(self, x: np.ndarray, labels: np.ndarray, eps: np.ndarray | None = None,
             rng: np.random.Generator | None = None) -> tuple[float, dict[str, float]]:
        """Like ``VAE.loss``: ``(reconstruction + beta * kl, parts)``, nats per image."""
        self.forward(x, labels, eps, rng)
        return self._objective()

    def backward(self, dy: np.ndarray | None = None) -> np.ndarray:
        """Like ``VAE.backward``; the label's columns of each joined input are dropped."""
        dy, with_loss = self._upstream(dy)
        grad_z = self.decoder.backward(dy)[:, :self.latent_dim]  # d [z, y] -> d z
        grad_h = self._latent_backward(grad_z, with_loss)
        grad_joined = self.encoder.backward(grad_h)  # d [flatten(x), y]
        dx = grad_joined[:, :-self.num_classes].reshape(self._cache["x"].shape)
        return self._input_grad(dx, with_loss)

    # --- using a trained model: use.py's methods, with labels ---------------------------

    def _images_and_labels(self, x, labels) -> tuple[np.ndarray, np.ndarray]:
        x = inputs.images(self, x, empty_ok=True)
        return x, self.one_hot(labels, x.shape[0])

    def encode(self, x, labels, *, batch_size: int = 500):
        """``(x, labels) -> (z_mean, z_log_sigma)``, each ``(N, L)``."""
        return evaluate.encode(self, *self._images_and_labels(x, labels), batch_size)

    def decode(self, z, labels, *, batch_size: int = 500) -> np.ndarray:
        """``(z (N, L), labels (N,)) ->`` logits / means ``(N, *image)``."""
        z = inputs.codes(self, z)
        return evaluate.decode(self, z, self.one_hot(labels, z.shape[0]), batch_size)

    def reconstruct(self, x, labels, *, batch_size: int = 500) -> np.ndarray:
        """Decode ``z_mean`` with the true labels. Returns probabilities / means."""
        x, y = self._images_and_labels(x, labels)
        mu, _ = evaluate.encode(self, x, y, batch_size)
        return mean_image(self.likelihood, evaluate.decode(self, mu, y, batch_size))

    def generate(self, labels, rng: np.random.Generator | None = None) -> np.ndarray:
        """One new image per label, ``z ~ N(0, I)``: ``labels (n,) -> (n, *image)``."""
        y = self.one_hot(labels)
        if y.shape[0] == 0:
            raise ValueError("ConditionalVAE.generate needs at least one label")
        z = inputs.noise(self, None, rng, (y.shape[0], self.latent_dim))
        return mean_image(self.likelihood, evaluate.decode(self, z, y, 500))

    def evaluate_elbo(self, x, labels, *, batch_size: int = 500,
                      rng: np.random.Generator | None = None) -> ELBOReport:
        """``VAE.evaluate_elbo`` of ``log p(x | label)``."""
        x = inputs.images(self, x)
        return evaluate.evaluate_elbo(self, x, self.one_hot(labels, x.shape[0]), batch_size, rng)

    def log_likelihood(self, x, labels, k: int = 1000, *, rng=None, batch_size: int = 100,
                       max_rows: int = 2000, eps=None) -> np.ndarray:
        """``VAE.log_likelihood`` of ``log p(x | label)`` per image."""
        x = inputs.images(self, x)
        return evaluate.log_likelihood(self, x, self.one_hot(labels, x.shape[0]), k, rng,
                                       batch_size, max_rows, eps)

    def kl_per_dimension(self, x, labels, *, batch_size: int = 500) -> np.ndarray:
        """``VAE.kl_per_dimension`` with the labels given."""
        x = inputs.images(self, x)
        return evaluate.kl_per_dimension(self, x, self.one_hot(labels, x.shape[0]), batch_size)

    def __repr__(self) -> str:
        return (f"ConditionalVAE(num_classes={self.num_classes}, latent_dim={self.latent_dim}, "
                f"likelihood={self.likelihood!r}, beta={self.beta:g})")
