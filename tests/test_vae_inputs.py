"""vae/inputs.py: the checks at a VAE's entry, each a clear error."""

import numpy as np
import pytest
from vae_helpers import IMAGE, images

from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.vae import VAE, ConditionalVAE, conditional_vae, dense_vae


def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(14)
    model = dense_vae(latent_dim=2, hidden=4, input_shape=IMAGE, rng=rng)
    x = images(rng, 2)
    with pytest.raises(ValueError, match=r"expected input \(N, 1, 3, 4\).*got \(2, 1, 4, 3\)"):
        model.loss(x.reshape(2, 1, 4, 3))
    with pytest.raises(ValueError, match="expected input"):
        model.forward(x[0])
    with pytest.raises(TypeError, match="floating-point"):
        model.loss((x * 255).astype(np.uint8))
    bad = x.copy()
    bad[0, 0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        model.loss(bad)
    with pytest.raises(ValueError, match=r"Bernoulli likelihood's targets\): pixels must be in "
                                         r"\[0, 1\]; got max .*divide images by 255"):
        model.loss(x * 255)
    with pytest.raises(ValueError, match=r"expected eps \(2, 2\)"):
        model.loss(x, eps=np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="loss"):
        dense_vae(hidden=4, input_shape=IMAGE, rng=rng).backward()
    with pytest.raises(ValueError, match=r"expected z \(N, 2\)"):
        model.decode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="likelihood must be one of"):
        dense_vae(likelihood="poisson")
    with pytest.raises(ValueError, match="learn_sigma"):
        dense_vae(likelihood="bernoulli", learn_sigma=True)
    with pytest.raises(ValueError, match="beta"):
        dense_vae(beta=-1.0)
    with pytest.raises(TypeError, match="rng"):
        dense_vae(rng=0)
    with pytest.raises(ValueError, match="must match"):
        VAE(Sequential(), Dense(4, 2), Dense(4, 3), Sequential(Dense(2, 4)))
    with pytest.raises(ValueError, match="decoder's output has shape"):
        VAE(Sequential(), Dense(4, 2), Dense(4, 2), Sequential(Dense(2, 5)),
            "gaussian").loss(np.zeros((1, 4)))
    cvae = conditional_vae(num_classes=3, latent_dim=2, hidden=4, input_shape=IMAGE, rng=rng)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        cvae.loss(x, np.array([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        cvae.loss(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"expected labels \(2,\)"):
        cvae.loss(x, np.array([0, 1, 2]))
    assert isinstance(cvae, ConditionalVAE)




def test_backward_errors_name_the_order_and_the_shape():
    rng = np.random.default_rng(16)
    model = dense_vae(latent_dim=2, hidden=4, input_shape=IMAGE, rng=rng)
    with pytest.raises(RuntimeError, match=r"backward called before forward: run loss\(x\)"):
        model.backward()
    model.forward(images(rng, 2))
    with pytest.raises(RuntimeError, match=r"needs loss\(x\) first"):
        model.backward()
    before = {k: v.copy() for k, v in model.grads.items()}
    with pytest.raises(ValueError, match=r"VAE.backward got dy of shape \(1, 1, 3, 4\); "
                                         r"expected \(2, 1, 3, 4\)"):
        model.backward(np.ones((1, *IMAGE)))  # would broadcast: refused
    assert all(np.array_equal(before[k], v) for k, v in model.grads.items())  # untouched
