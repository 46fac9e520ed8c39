"""The minae models as ``torch.nn.Module``s: the same parts, the same names, the same math.

Each module holds its parts under minae's names (``encoder``, ``decoder``, ``z_mean``,
``z_log_sigma``, ``discriminator``), so its ``state_dict`` keys are minae's parameter names
(``"z_mean.W"`` is ``"z_mean.weight"``). The math is minae's, written in PyTorch so that
autograd differentiates it (minae's docstrings derive each formula; the symbols are the same):

* ``TorchAutoEncoder``: ``logits = decoder(encoder(x))``; ``reconstruct`` applies the sigmoid.
* ``TorchVAE``: ``mu = z_mean(h)``, ``s = z_log_sigma(h)`` (``s = log sigma``), the sampler
  ``z = mu + exp(s) * eps`` taking the *same* ``eps`` as minae's, and the loss in nats per
  image::

      loss = reconstruction(out, x) + beta * mean_n sum_j (0.5 (mu^2 + sigma^2 - 1) - s)

      bernoulli  sum_pixels max(out, 0) - out x + log(1 + exp(-|out|))     (BCE on logits,
                                            PyTorch's F.binary_cross_entropy_with_logits)
      sse        sum_pixels (out - x)^2                                    (the lesson's)
      gaussian   sum_pixels 0.5 log(2 pi) + log_sigma + (x - out)^2 / (2 sigma^2)

  each summed over the pixels and averaged over the batch, as minae's ``reduction="batch"``.
* ``TorchConditionalVAE``: the VAE given ``one_hot(labels)``, joined to ``flatten(x)`` for the
  encoder and to ``z`` for the decoder.
* ``TorchAdversarialAutoencoder``: the AAE's encoder, decoder and discriminator (with the
  one-hot label appended to the code when the model is label-conditioned).

Shapes as in minae: ``x: (N, C, H, W)`` (or ``(N, D)``), ``mu, s, eps, z: (N, L)``,
``labels: (N,)`` integers.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


class TorchAutoEncoder(nn.Module):
    """``logits = decoder(encoder(x))``, as ``minae.AutoEncoder``."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1]: ``sigmoid(decoder(encoder(x)))``."""
        return torch.sigmoid(self.forward(x))


def sample(mu: torch.Tensor, log_s: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The reparameterization ``z = mu + exp(s) * eps`` (``minae.variational.sample``)."""
    return mu + torch.exp(log_s) * eps


def kl_divergence(mu: torch.Tensor, log_s: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, sigma^2) || N(0, I))`` per example, ``(N,)``; ``sigma = exp(s)``."""
    return torch.sum(0.5 * (mu**2 + torch.exp(2.0 * log_s) - 1.0) - log_s, dim=1)


class TorchVAE(nn.Module):
    """``minae.VAE`` in PyTorch: encoder, the two heads, the sampler, the decoder, the loss.

    ``log_sigma`` is a parameter (shape ``(1,)``) when minae's model learns it, else a float.
    """

    def __init__(self, encoder: nn.Module, z_mean: nn.Module, z_log_sigma: nn.Module,
                 decoder: nn.Module, likelihood: str, beta: float, log_sigma: float,
                 learn_sigma: bool) -> None:
        super().__init__()
        self.encoder, self.z_mean, self.z_log_sigma, self.decoder = (
            encoder, z_mean, z_log_sigma, decoder)
        self.likelihood, self.beta = likelihood, float(beta)
        if learn_sigma:
            self.log_sigma = nn.Parameter(torch.full((1,), float(log_sigma)))
        else:
            self.log_sigma = float(log_sigma)  # sse: log sqrt(1/2), as minae's

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``h (N, H) -> (mu, s)``, each ``(N, L)``."""
        return self.z_mean(h), self.z_log_sigma(h)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None):
        """``x -> (out, mu, s)``: the decoder's output (logits or means) and both heads.

        ``eps: (N, L)``, or ``None`` to draw it with ``torch.randn_like``.
        """
        mu, log_s = self.heads(self.encoder(x))
        eps = torch.randn_like(mu) if eps is None else eps
        return self.decoder(sample(mu, log_s, eps)), mu, log_s

    def reconstruction(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``-log p(x | z)`` in nats per image (see the module docstring)."""
        if self.likelihood == "bernoulli":  # PyTorch's own BCE on logits: its gradient at
            # out = 0 is sigmoid(0) - x; the formula's pieces, max(out, 0) and |out|, would
            # each give autograd a kink there (a zero bias and a dead ReLU make out == 0 exact)
            return F.binary_cross_entropy_with_logits(out, x, reduction="sum") / x.shape[0]
        if self.likelihood == "sse":
            per_pixel = (out - x) ** 2
        else:  # gaussian
            log_sigma = self.log_sigma  # a parameter (learned) or a Python float (fixed)
            inv_var = (torch.exp(-2.0 * log_sigma) if isinstance(log_sigma, torch.Tensor)
                       else math.exp(-2.0 * log_sigma))
            per_pixel = 0.5 * LOG_2PI + log_sigma + (x - out) ** 2 * inv_var / 2.0
        return per_pixel.sum() / x.shape[0]

    def objective(self, x: torch.Tensor, out: torch.Tensor, mu: torch.Tensor,
                  log_s: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """``reconstruction + beta * kl`` and its two parts (``kl`` not multiplied by beta)."""
        recon = self.reconstruction(out, x)
        kl = kl_divergence(mu, log_s).mean()
        return recon + self.beta * kl, {"reconstruction": recon, "kl": kl}

    def loss(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
        """minae's ``VAE.loss``: ``(value, {"reconstruction": r, "kl": k})``, nats per image."""
        out, mu, log_s = self.forward(x, eps)
        return self.objective(x, out, mu, log_s)


class TorchConditionalVAE(TorchVAE):
    """``minae.ConditionalVAE``: every method takes ``labels (N,)`` after the images."""

    def __init__(self, *parts, num_classes: int, **kwargs) -> None:
        super().__init__(*parts, **kwargs)
        self.num_classes = int(num_classes)

    def join(self, a: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``[flatten(a), one_hot(labels)]``: ``(N, ...) -> (N, prod(...) + C)``."""
        y = F.one_hot(labels.long(), self.num_classes).to(a.dtype)
        return torch.cat([a.reshape(a.shape[0], -1), y], dim=1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor,
                eps: torch.Tensor | None = None):
        """``(x, labels) -> (out, mu, s)``, as ``TorchVAE.forward``."""
        mu, log_s = self.heads(self.encoder(self.join(x, labels)))
        eps = torch.randn_like(mu) if eps is None else eps
        return self.decoder(self.join(sample(mu, log_s, eps), labels)), mu, log_s

    def loss(self, x: torch.Tensor, labels: torch.Tensor,
             eps: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
        """minae's ``ConditionalVAE.loss``: ``(value, parts)``, nats per image."""
        out, mu, log_s = self.forward(x, labels, eps)
        return self.objective(x, out, mu, log_s)


class TorchAdversarialAutoencoder(nn.Module):
    """``minae.AdversarialAutoencoder``'s three networks (the training phases stay yours)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, discriminator: nn.Module,
                 n_classes: int | None = None) -> None:
        super().__init__()
        self.encoder, self.decoder, self.discriminator = encoder, decoder, discriminator
        self.n_classes = n_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction logits ``decoder(encoder(x))``."""
        return self.decoder(self.encoder(x))

    def discriminate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``D``'s logits ``(N, 1)`` for codes ``z (N, L)`` (one-hot labels appended if any)."""
        if self.n_classes is not None:
            z = torch.cat([z, F.one_hot(labels.long(), self.n_classes).to(z.dtype)], dim=1)
        return self.discriminator(z)
