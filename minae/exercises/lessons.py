"""Which exercises each lesson's model is built from (``train MODEL`` uses the learner's)."""

LESSONS = {
    "conv_autoencoder": ("relu", "conv2d_im2col", "maxpool2d", "upsample2d", "bce_with_logits",
                         "adam_step"),
    "dense_vae": ("dense", "relu", "reparameterization", "kl_gradient", "vae_loss",
                  "adam_step"),
}
