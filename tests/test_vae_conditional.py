"""vae/conditional.py: the conditional VAE's whole loss gradient-checked, its signatures, fit."""

import numpy as np
import pytest
from vae_helpers import IMAGE, LIKELIHOODS, check_whole_loss, images, randomize_biases

from minae.vae import conditional_vae, dense_vae


@pytest.mark.parametrize("likelihood,learn_sigma", LIKELIHOODS)
def test_conditional_vae_negative_elbo_gradients(likelihood, learn_sigma):
    rng = np.random.default_rng(2)
    model = conditional_vae(num_classes=3, latent_dim=2, hidden=(5, 4), input_shape=IMAGE,
                            likelihood=likelihood, beta=1.3, sigma=0.8, learn_sigma=learn_sigma,
                            rng=rng, dtype=np.float64)
    randomize_biases(model, rng)
    x, labels = images(rng, 4), np.array([0, 2, 1, 2])
    check_whole_loss(model, (x, labels), rng.standard_normal((4, 2)), rng)


def test_fit_trains_a_vae_and_a_conditional_vae():
    """The models keep fit's contract: loss(x, *extra) -> (value, parts), then backward()."""
    from minae.optim import Adam
    from minae.training import fit

    rng = np.random.default_rng(15)
    x = (rng.random((96, *IMAGE)) < 0.3).astype(np.float32)  # binary: the floor is 0
    labels = rng.integers(0, 3, 96)
    model = dense_vae(latent_dim=2, hidden=16, input_shape=IMAGE, rng=rng)
    history = fit(model, x, optimizer=Adam(1e-2), epochs=4, batch_size=32, seed=0, verbose=0)
    assert history.loss[-1] < history.loss[0]
    assert set(history.parts) == {"reconstruction", "kl"}
    cvae = conditional_vae(num_classes=3, latent_dim=2, hidden=16, input_shape=IMAGE, rng=rng)
    history = fit(cvae, x, extra=(labels,), optimizer=Adam(1e-2), epochs=4, batch_size=32,
                  seed=0, verbose=0)
    assert history.loss[-1] < history.loss[0]
