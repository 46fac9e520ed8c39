"""The adversarial autoencoder: an autoencoder, a discriminator on its codes, and the
three phases of one mini-batch.

The three phases of one mini-batch
----------------------------------
Each phase has its *own* optimizer over its *own* parameters, and each runs its own forward
and backward pass just before its step, so the gradients it steps on are the ones it has just
written (minae's backward *replaces* gradients; nothing needs zeroing and nothing can leak):

1. **reconstruction** (encoder + decoder):  ``L_rec = BCE(decoder(encoder(x)), x)``.
2. **discriminator** (discriminator only): prior samples ``z'`` are "real" (label 1), the
   codes ``z = encoder(x)`` are "fake" (label 0)::

       L_D = mean(-log sigmoid(d')) + mean(-log(1 - sigmoid(d)))
           = mean(softplus(-d'))    + mean(softplus(d))

   The codes are *inputs* here: no gradient goes back into the encoder. Real and fake go
   through ``D`` as **one** batch: ``backward`` writes (not adds) gradients, so two
   forward/backward pairs would keep only the second's.
3. **generator** (encoder only): the encoder tries to make ``D`` call its codes real::

       L_G = mean(-log sigmoid(d)) = mean(softplus(-d))

   (the "non-saturating" loss of Goodfellow et al.; minimising ``-L_D`` instead gives the
   encoder almost no gradient while ``D`` wins easily). ``D.backward`` runs to carry the
   gradient to the codes, which also writes ``D``'s grads; ``D``'s optimizer is not stepped
   here, and the next discriminator phase overwrites them before it steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minae.adversarial.losses import discriminator_accuracy, discriminator_loss, generator_loss
from minae.autoencoders import AutoEncoder
from minae.layers.base import Container, Layer
from minae.layers.checks import as_float_array, check_finite
from minae.losses import binary_cross_entropy_with_logits


@dataclass
class AAEOptimizers:
    """One optimizer per phase. Each keeps its own state for its own parameters."""

    reconstruction: object  # steps encoder + decoder
    discriminator: object  # steps the discriminator
    generator: object  # steps the encoder

    def __post_init__(self) -> None:
        # An optimizer keys its state by parameter name, and the encoder's "0.W" and the
        # discriminator's "0.W" are different arrays: one optimizer shared by two phases would
        # mix their momentum (or fail on a shape mismatch). Refuse it up front.
        opts = [self.reconstruction, self.discriminator, self.generator]
        if len({id(o) for o in opts}) != 3:
            raise ValueError("AAEOptimizers needs three distinct optimizer objects, one per "
                             "phase (each keeps state per parameter name); got a shared one")


class AdversarialAutoencoder(Container):
    """An autoencoder whose codes a discriminator pushes toward ``prior``.

    Parameters
    ----------
    encoder : Layer
        ``x (N, ...) -> z (N, latent)``.
    decoder : Layer
        ``z -> logits`` shaped like ``x`` (no sigmoid).
    discriminator : Layer
        ``(N, latent [+ n_classes]) -> (N, 1)`` logits.
    prior : NormalPrior | GaussianMixturePrior
        With ``prior.dim == latent``.
    n_classes : int, optional
        If set, the discriminator also sees the one-hot label of each code and each real
        sample is drawn from the prior's component for that label (the paper's
        label-conditioned AAE); every phase then needs ``labels``.

    Parameters are named ``"encoder.*"``, ``"decoder.*"``, ``"discriminator.*"``. The three
    optimizers step ``model.autoencoder`` (encoder + decoder), ``model.discriminator`` and
    ``model.encoder``.
    """

    def __init__(self, encoder: Layer, decoder: Layer, discriminator: Layer, prior, *,
                 n_classes: int | None = None) -> None:
        super().__init__()
        if not isinstance(discriminator, Layer):
            raise TypeError(f"AdversarialAutoencoder discriminator must be a Layer; got "
                            f"{type(discriminator).__name__}")
        self.autoencoder = AutoEncoder(encoder, decoder)
        self.encoder, self.decoder = encoder, decoder
        self.discriminator = discriminator
        self.prior = prior
        self.n_classes = None if n_classes is None else int(n_classes)
        if self.n_classes is not None and self.n_classes > prior.n_components > 1:
            raise ValueError(f"n_classes={n_classes} but the prior has only "
                             f"{prior.n_components} components")

    def children(self) -> list[tuple[str, Layer]]:
        return [("encoder", self.encoder), ("decoder", self.decoder),
                ("discriminator", self.discriminator)]

    @property
    def dtype(self) -> np.dtype:
        return self.autoencoder.dtype

    def train(self) -> AdversarialAutoencoder:
        super().train()
        self.autoencoder.training = True  # the inference helpers restore the mode they found
        return self

    def eval(self) -> AdversarialAutoencoder:
        super().eval()
        self.autoencoder.training = False
        return self

    # -- pieces ----------------------------------------------------------------------------
    def _input(self, x) -> np.ndarray:
        x = as_float_array(x, "AdversarialAutoencoder input", self.dtype)
        check_finite(x, "AdversarialAutoencoder input")
        return x

    def _labels(self, labels, n: int):
        if self.n_classes is None:
            return None
        if labels is None:
            raise ValueError("this AdversarialAutoencoder is label-conditioned (n_classes="
                             f"{self.n_classes}); pass labels=")
        y = np.asarray(labels)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"labels must be {n} integers; got shape {y.shape}, dtype {y.dtype}")
        return y

    def discriminator_input(self, z: np.ndarray, labels=None) -> np.ndarray:
        """``z``, with the one-hot ``labels`` appended when the model is label-conditioned."""
        z = np.asarray(z, dtype=self.dtype)
        if z.ndim != 2 or z.shape[1] != self.prior.dim:
            raise ValueError(f"codes must be (N, {self.prior.dim}) to match the prior; got "
                             f"{z.shape}. The encoder's output size and the prior's dim differ.")
        if self.n_classes is None:
            return z
        onehot = np.zeros((len(z), self.n_classes), dtype=z.dtype)
        onehot[np.arange(len(z)), labels] = 1.0
        return np.concatenate([z, onehot], axis=1)

    def discriminate(self, z: np.ndarray, labels=None) -> np.ndarray:
        """``D``'s logits ``(N, 1)`` for codes ``z`` (a training-mode forward pass)."""
        return self.discriminator.forward(self.discriminator_input(z, labels))

    # -- forward + backward of each phase (they write grads; they step nothing) -----------
    def reconstruction_pass(self, x: np.ndarray, target: np.ndarray | None = None) -> float:
        """``L_rec = BCE(decoder(encoder(x)), target)`` in nats per image; writes the encoder's
        and decoder's grads."""
        x = self._input(x)
        target = x if target is None else target
        logits = self.autoencoder.forward(x)
        value, dlogits = binary_cross_entropy_with_logits(logits, target)
        self.autoencoder.backward(dlogits)
        return value

    def discriminator_pass(self, x: np.ndarray, z_prior: np.ndarray, labels=None, *,
                           into_encoder: bool = False) -> tuple[float, float]:
        """``L_D`` on prior samples ``z_prior`` (real) and the codes of ``x`` (fake).

        Writes the discriminator's grads. The codes are treated as constants unless
        ``into_encoder=True`` (used by the gradient check, never by training), which also
        writes ``dL_D / d(encoder params)``. Returns ``(L_D, accuracy)``.
        """
        x = self._input(x)
        labels = self._labels(labels, len(x))
        z_fake = self.encoder.forward(x)
        n_real = len(z_prior)
        both = np.concatenate([self.discriminator_input(z_prior, labels),
                               self.discriminator_input(z_fake, labels)])
        logits = self.discriminator.forward(both)  # one batch: backward writes, not adds
        value, g_real, g_fake = discriminator_loss(logits[:n_real], logits[n_real:])
        dboth = self.discriminator.backward(np.concatenate([g_real, g_fake]))
        if into_encoder:  # the encoder still holds the cache of its forward above
            self.encoder.backward(dboth[n_real:, :self.prior.dim])
        return value, discriminator_accuracy(logits[:n_real], logits[n_real:])

    def generator_pass(self, x: np.ndarray, labels=None) -> float:
        """``L_G = mean(softplus(-D(encoder(x))))``; writes the encoder's grads (and, on the
        way, the discriminator's, which nothing steps on). Returns ``L_G``."""
        x = self._input(x)
        labels = self._labels(labels, len(x))
        z = self.encoder.forward(x)
        logits = self.discriminate(z, labels)
        value, dlogits = generator_loss(logits)
        dz = self.discriminator.backward(dlogits)[:, :self.prior.dim]
        self.encoder.backward(dz)
        return value

    # -- the three phases: pass, then step exactly one parameter group -------------------
    # ``before_step(phase, value, group, optimizer)``, if given, runs between a phase's pass
    # and its step: ``train_aae`` checks there that the loss and the gradients are finite.
    def reconstruction_step(self, x, optimizer, target=None, *,
                            before_step: Callable | None = None) -> float:
        """Phase 1: steps the encoder and the decoder. Returns ``L_rec``."""
        value = self.reconstruction_pass(x, target)
        if before_step is not None:
            before_step("reconstruction", value, self.autoencoder, optimizer)
        optimizer.step(self.autoencoder)
        return value

    def discriminator_step(self, x, optimizer, *, rng: np.random.Generator, labels=None,
                           before_step: Callable | None = None) -> tuple[float, float]:
        """Phase 2: draws ``len(x)`` prior samples, steps the discriminator only.
        Returns ``(L_D, accuracy)``."""
        y = self._labels(labels, len(x))
        z_prior = self.prior.sample(len(x), rng, y)
        value, acc = self.discriminator_pass(x, z_prior, y)
        if before_step is not None:
            before_step("discriminator", value, self.discriminator, optimizer)
        optimizer.step(self.discriminator)
        return value, acc

    def generator_step(self, x, optimizer, labels=None, *,
                       before_step: Callable | None = None) -> float:
        """Phase 3: steps the encoder only. Returns ``L_G``."""
        value = self.generator_pass(x, labels)
        if before_step is not None:
            before_step("generator", value, self.encoder, optimizer)
        optimizer.step(self.encoder)
        return value

    def train_step(self, x, optimizers: AAEOptimizers, *, rng: np.random.Generator,
                   labels=None, before_step: Callable | None = None) -> dict[str, float]:
        """All three phases on one mini-batch; returns the four numbers to log."""
        rec = self.reconstruction_step(x, optimizers.reconstruction, before_step=before_step)
        d_loss, d_acc = self.discriminator_step(x, optimizers.discriminator, rng=rng,
                                                labels=labels, before_step=before_step)
        g_loss = self.generator_step(x, optimizers.generator, labels, before_step=before_step)
        return {"reconstruction": rec, "d_loss": d_loss, "g_loss": g_loss, "d_accuracy": d_acc}

    # -- inference: the AutoEncoder's helpers ----------------------------------------------
    def encode(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Codes ``(N, latent)`` (eval mode, in chunks)."""
        return self.autoencoder.encode(x, batch_size)

    def decode(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Decoder logits for codes ``z``."""
        return self.autoencoder.decode(z, batch_size)

    def generate(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Images in [0, 1] decoded from codes (e.g. prior samples)."""
        return self.autoencoder.generate(z, batch_size)

    def reconstruct(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Images in [0, 1]: ``sigmoid(decoder(encoder(x)))``."""
        return self.autoencoder.reconstruct(x, batch_size)

    def sample(self, n: int, rng: np.random.Generator, labels=None) -> np.ndarray:
        """New images: decode ``n`` prior samples (from the labels' components if given)."""
        return self.generate(self.prior.sample(n, rng, labels).astype(self.dtype))

    def __repr__(self) -> str:
        return (f"AdversarialAutoencoder(encoder={self.encoder!r}, decoder={self.decoder!r}, "
                f"discriminator={self.discriminator!r}, prior={self.prior!r})")
