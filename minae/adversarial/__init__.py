"""The adversarial autoencoder (Makhzani et al., 2015): a discriminator pushes the codes
toward a prior.

::

    x --encoder--> z --decoder--> logits            reconstruction: BCE(logits, x)
                   z --discriminator--> logit d      "is this code a prior sample or an encoder's?"
    z' ~ prior  --discriminator--> logit d'

A VAE pulls its codes toward the prior with a KL term it can write down. An AAE cannot write
the distance between "the codes of the data" and "the prior" at all, so it *learns* one: a
small network, the discriminator ``D``, is trained to tell prior samples from codes, and the
encoder is trained to fool it. When nothing can tell them apart, the codes are distributed as
the prior, and the decoder turns prior samples into images.

The package, one idea per file
------------------------------
* ``losses.py``   the discriminator's and the generator's losses on logits, and what their
                  values mean;
* ``priors.py``   ``NormalPrior`` and ``GaussianMixturePrior`` (the paper's "flower");
* ``distance.py`` how far codes are from a prior: ``moment_distance`` and ``mmd2``;
* ``model.py``    ``AdversarialAutoencoder`` and the three phases of one mini-batch;
* ``builders.py`` ``dense_aae`` and ``aae_optimizers``;
* ``train.py``    ``train_aae``, the loop with three optimizers per batch.
"""

from minae.adversarial.builders import aae_optimizers, dense_aae
from minae.adversarial.distance import mmd2, moment_distance
from minae.adversarial.losses import (
    CHANCE_D_LOSS,
    CHANCE_G_LOSS,
    LN2,
    discriminator_accuracy,
    discriminator_loss,
    generator_loss,
    log_sigmoid,
)
from minae.adversarial.model import AAEOptimizers, AdversarialAutoencoder
from minae.adversarial.priors import PRIORS, GaussianMixturePrior, NormalPrior, make_prior
from minae.adversarial.train import AAEHistory, train_aae

__all__ = [
    "CHANCE_D_LOSS", "CHANCE_G_LOSS", "LN2", "PRIORS", "AAEHistory", "AAEOptimizers",
    "AdversarialAutoencoder", "GaussianMixturePrior", "NormalPrior", "aae_optimizers",
    "dense_aae", "discriminator_accuracy", "discriminator_loss", "generator_loss",
    "log_sigmoid", "make_prior", "mmd2", "moment_distance", "train_aae",
]
