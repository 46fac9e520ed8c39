"""One spec per exercise, in the order of the learning path (``EXERCISES``).

Each ``specs/<name>.py`` defines ``EXERCISE``, an ``minae.exercises.spec.Exercise``; the
modules that end in ``_cases`` hold cases that several exercises share.
"""

from minae.exercises.specs import (
    aae_discriminator,
    adam_step,
    avgpool2d,
    bce_with_logits,
    conv2d_im2col,
    conv2d_loops,
    conv_transpose2d,
    dense,
    kl_gradient,
    kl_sparsity,
    leaky_relu,
    maxpool2d,
    mse,
    relu,
    reparameterization,
    sigmoid,
    softplus,
    tanh,
    upsample2d,
    vae_loss,
)

ORDER = (dense, relu, sigmoid, tanh, leaky_relu, softplus, mse, bce_with_logits, adam_step,
         conv2d_loops, conv2d_im2col, conv_transpose2d, maxpool2d, avgpool2d, upsample2d,
         reparameterization, kl_gradient, vae_loss, kl_sparsity, aae_discriminator)

EXERCISES = {spec.EXERCISE.name: spec.EXERCISE for spec in ORDER}
