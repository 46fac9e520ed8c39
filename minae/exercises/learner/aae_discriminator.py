"""Exercise aae_discriminator: the AAE's discriminator loss and its gradients.

Finish discriminator_loss: return (value, grad_real, grad_fake), the gradients of L_D with
respect to the discriminator's logits on prior samples (target 1) and on the encoder's codes
(target 0). The value is computed for you; sigmoid is imported.

The math to derive
------------------
L_D = mean_i softplus(-r_i) + mean_j softplus(f_j), the BCE of a discriminator that should
say 1 on the prior's samples r and 0 on the codes f. With softplus' = sigmoid:

    dL_D/dr_i = ?          dL_D/df_j = ?      (each mean divides by its own count)

Both must stay finite for any logit.

Shapes
------
discriminator_loss:
    real_logits : (n_real, 1)
    fake_logits : (n_fake, 1)

How it is checked
-----------------
5 cases: equal and unequal numbers of real and fake logits, a single real one, logits with
|z| >= 50 (compared with minae's value), one case in float32 (compared at a float32
tolerance, dtype checked). The value is compared with minae's, the gradients with the
central-difference gradients of the value.

Commands
--------
    python -m minae.exercises check aae_discriminator     # after filling in the TODOs
    python -m minae.exercises hint aae_discriminator      # a nudge; run again for more

Generated from minae/adversarial/losses.py (discriminator_loss) by `python -m
minae.exercises generate`; edit your copy, not the one inside the minae package. Read
minae's solution, minae/adversarial/losses.py, after your check passes.
"""

# ruff: noqa: B007, F401, F821, F841  (until the TODOs are filled in, names go unused)

from __future__ import annotations

import numpy as np

from minae.adversarial.losses import _logits
from minae.layers.activations import sigmoid, softplus


def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray):
    r = _logits(real_logits, "discriminator_loss real_logits")
    f = _logits(fake_logits, "discriminator_loss fake_logits")
    value = float(np.mean(softplus(-r)) + np.mean(softplus(f)))
    # TODO (aae_discriminator): return (value, dL_D/dreal_logits, dL_D/dfake_logits)
    raise NotImplementedError("exercise aae_discriminator not started")
