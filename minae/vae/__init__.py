"""Variational autoencoders: ``VAE`` (dense or convolutional) and ``ConditionalVAE``.

One idea per file, read in this order:

* ``model.py``: the ``VAE``: forward, loss (reconstruction + beta * KL) and backward;
* ``likelihoods.py``: the reconstruction term ``-log p(x | z)`` (bernoulli, gaussian, sse);
* ``conditional.py``: the ``ConditionalVAE``, the same model told the class;
* ``use.py`` and ``evaluate.py``: encode, decode, reconstruct, generate; the test ELBO, the
  importance-weighted log-likelihood, the KL per latent unit, the Bernoulli floor;
* ``inputs.py``: the checks at the model's entry;
* ``builders.py``: ``dense_vae``, ``conv_vae``, ``conditional_vae``, the lesson's models.

The math the model calls lives in ``minae/variational.py`` (the sampler, the KL and their
gradients, the importance weights) and ``minae/losses.py`` (BCE on logits, the Gaussian NLL,
the squared error). ``from minae.vae import VAE, dense_vae, ...`` keeps working.
"""

from minae.vae.builders import conditional_vae, conv_vae, dense_vae
from minae.vae.conditional import ConditionalVAE
from minae.vae.evaluate import ELBOReport, bernoulli_floor
from minae.vae.likelihoods import LIKELIHOODS, SSE_CONSTANT_PER_PIXEL, SSE_LOG_SIGMA
from minae.vae.model import VAE

__all__ = [
    "LIKELIHOODS", "SSE_CONSTANT_PER_PIXEL", "SSE_LOG_SIGMA", "VAE", "ConditionalVAE",
    "ELBOReport", "bernoulli_floor", "conditional_vae", "conv_vae", "dense_vae",
]
