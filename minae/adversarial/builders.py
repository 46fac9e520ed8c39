"""Builders: a fully connected adversarial autoencoder, and its three optimizers."""

from __future__ import annotations

import numpy as np

from minae.adversarial.model import AAEOptimizers, AdversarialAutoencoder
from minae.adversarial.priors import NormalPrior
from minae.autoencoders import dense_autoencoder
from minae.layers.activations import LeakyReLU
from minae.layers.base import Layer
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.optim import Adam


def dense_aae(latent: int = 2, hidden: tuple[int, ...] = (512, 256),
              disc_hidden: tuple[int, ...] = (128, 128), *, prior=None,
              n_classes: int | None = None, input_shape=(1, 28, 28), rng=None,
              dtype=np.float32, init: str = "glorot_uniform") -> AdversarialAutoencoder:
    """A fully connected AAE.

    ::

        encoder:       Flatten, [Dense(h) ReLU for h in hidden], Dense(latent)   (linear code)
        decoder:       [Dense(h) ReLU for h in reversed(hidden)], Dense(784), Reshape -> logits
        discriminator: [Dense(h) LeakyReLU(0.2) for h in disc_hidden], Dense(1)  -> logit

    The PyTorch notebook's networks are 784-1000-1000-latent and latent-500-500-1; these are
    smaller so a CPU epoch takes seconds. ``prior`` defaults to ``NormalPrior(latent)``.
    """
    rng = np.random.default_rng() if rng is None else rng
    kw = {"rng": rng, "dtype": dtype, "init": init}
    prior = NormalPrior(latent) if prior is None else prior
    # encoder and decoder: the same layers as the plain dense autoencoder with these sizes
    ae = dense_autoencoder(latent, hidden, input_shape=input_shape, **kw)
    dsizes = [int(latent) + (n_classes or 0), *[int(h) for h in disc_hidden], 1]
    disc: list[Layer] = []
    for i in range(len(dsizes) - 1):
        disc.append(Dense(dsizes[i], dsizes[i + 1], **kw))
        if i < len(dsizes) - 2:
            disc.append(LeakyReLU(0.2))
    return AdversarialAutoencoder(ae.encoder, ae.decoder, Sequential(*disc), prior,
                                  n_classes=n_classes)


def aae_optimizers(lr: float = 5e-4, adversarial_lr: float = 1e-3,
                   adversarial_betas: tuple[float, float] = (0.5, 0.999)) -> AAEOptimizers:
    """Three Adam optimizers: ``lr`` for reconstruction, ``adversarial_lr`` for the other two.

    The adversarial pair uses ``beta1 = 0.5`` (Radford et al.'s DCGAN setting): momentum
    averaged over fewer steps follows a moving opponent better, and overshoots less. Adam's
    steps are about ``lr`` in size whatever the loss's scale (nats per image for the
    reconstruction, a fraction of a nat for the adversarial losses), so it is the learning
    rates, not the losses' sizes, that balance the two pulls on the encoder.
    """
    return AAEOptimizers(Adam(lr), Adam(adversarial_lr, betas=adversarial_betas),
                         Adam(adversarial_lr, betas=adversarial_betas))
