"""vae/builders.py: parameter names and counts of the lesson's models."""

import numpy as np

from minae.vae import conditional_vae, conv_vae, dense_vae


def test_parameter_names_and_builders():
    model = dense_vae(likelihood="gaussian", learn_sigma=True, rng=np.random.default_rng(0))
    names = list(model.params)
    assert names[:2] == ["encoder.1.W", "encoder.1.b"]
    assert {"z_mean.W", "z_mean.b", "z_log_sigma.W", "z_log_sigma.b", "decoder.0.W",
            "decoder.2.b", "log_sigma"} <= set(names)
    assert model.num_parameters() == 807_700 + 1  # the lesson's 784-512-2 model, plus sigma
    assert model.params["z_mean.W"] is model.z_mean.params["W"]  # the arrays, not copies
    bench = dense_vae(latent_dim=20, hidden=400, rng=np.random.default_rng(0))
    assert bench.latent_dim == 20 and bench.z_mean.params["W"].shape == (400, 20)
    assert conv_vae(rng=np.random.default_rng(0)).num_parameters() == 111_797
    assert conv_vae(decoder="upsample", rng=np.random.default_rng(0)).num_parameters() == 97_237
    cvae = conditional_vae(rng=np.random.default_rng(0))
    assert cvae.encoder[0].params["W"].shape == (784 + 10, 512)
    assert cvae.decoder[0].params["W"].shape == (2 + 10, 512)


