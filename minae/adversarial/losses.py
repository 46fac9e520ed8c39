"""The adversarial losses, on logits: the discriminator's BCE and the non-saturating
generator loss.

Why log-sigmoid and softplus
----------------------------
The discriminator outputs a *logit* ``d`` (no sigmoid layer). ``-log sigmoid(d) =
log(1 + exp(-d)) = softplus(-d)`` and ``-log(1 - sigmoid(d)) = softplus(d)``, and
``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` never overflows; ``log(sigmoid(d))`` computed
literally is ``log(0) = -inf`` once ``sigmoid`` rounds to 0 (``d < -745`` in float64, ``-104``
in float32). The derivatives are just as simple: ``d softplus(x)/dx = sigmoid(x)``, so

    dL_D/dd' = (sigmoid(d') - 1) / n,   dL_D/dd = sigmoid(d) / n,   dL_G/dd = (sigmoid(d) - 1) / n.

What the numbers mean
---------------------
A discriminator that has learned nothing outputs ``sigmoid = 1/2`` for everything: then
``L_D = 2 ln 2 = 1.386``, ``L_G = ln 2 = 0.693`` and its accuracy is 0.5. These are exactly the
losses the lesson's PyTorch notebook prints from start to end: its discriminator never trains
(it steps the wrong optimizer, never zeroes PyTorch's accumulating gradients, and applies one
layer twice so ``D`` outputs 500 numbers, not one).

A working AAE *also* ends near those numbers: the game's balance point is a discriminator
that cannot tell codes from prior samples. So the losses alone do not show that anything
trained. What does: on the way there they move (in the first epochs ``D``'s accuracy leaves
0.5 and the losses swing while the codes are far from the prior), the distance between the
codes and the prior (``mmd2``, ``moment_distance``) falls, and the codes, plotted over the
prior's density, cover it. A loss that reads 1.386 to four digits on every step means
``D``'s output does not depend on its input at all.
"""

from __future__ import annotations

import numpy as np

from minae.layers.activations import sigmoid, softplus
from minae.layers.checks import as_float_array

LN2 = float(np.log(2.0))
CHANCE_D_LOSS = 2.0 * LN2  # 1.386: L_D of a discriminator stuck at sigmoid = 1/2
CHANCE_G_LOSS = LN2  # 0.693: L_G against that discriminator


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigmoid(z) = -softplus(-z)``, finite for every finite ``z``."""
    return -softplus(-np.asarray(z))


def _logits(z, name: str) -> np.ndarray:
    z = as_float_array(z, name)
    if z.ndim != 2 or z.shape[1] != 1 or z.shape[0] == 0:
        raise ValueError(f"{name} must be one logit per example, shape (N, 1) with N >= 1; "
                         f"got {z.shape}. (The lesson's discriminator returned (N, 500).)")
    return z


def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray):
    """``L_D = mean(softplus(-d_real)) + mean(softplus(d_fake))``, the BCE of a discriminator.

    Parameters
    ----------
    real_logits : (n_real, 1)
        ``D``'s logits on prior samples (target 1).
    fake_logits : (n_fake, 1)
        ``D``'s logits on the encoder's codes (target 0).

    Returns
    -------
    (value, grad_real, grad_fake)
        ``grad_real = (sigmoid(d_real) - 1) / n_real``, ``grad_fake = sigmoid(d_fake) / n_fake``.
        ``value = 2 ln 2`` when every logit is 0.
    """
    r = _logits(real_logits, "discriminator_loss real_logits")
    f = _logits(fake_logits, "discriminator_loss fake_logits")
    value = float(np.mean(softplus(-r)) + np.mean(softplus(f)))
    # EXERCISE aae_discriminator: return (value, dL_D/dreal_logits, dL_D/dfake_logits)
    return value, (sigmoid(r) - 1.0) / len(r), sigmoid(f) / len(f)
    # END EXERCISE


def generator_loss(fake_logits: np.ndarray):
    """``L_G = mean(softplus(-d_fake)) = mean(-log sigmoid(d_fake))`` (non-saturating).

    ``fake_logits: (n, 1)``. Returns ``(value, grad)`` with ``grad = (sigmoid(d) - 1) / n``;
    ``value = ln 2`` when every logit is 0.
    """
    f = _logits(fake_logits, "generator_loss fake_logits")
    return float(np.mean(softplus(-f))), (sigmoid(f) - 1.0) / len(f)


def discriminator_accuracy(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
    """Fraction of examples ``D`` classifies right (``sigmoid >= 1/2`` means "prior sample")."""
    r, f = np.asarray(real_logits), np.asarray(fake_logits)
    return float((np.sum(r >= 0) + np.sum(f < 0)) / (r.size + f.size))
