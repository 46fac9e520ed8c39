"""vae/model.py: the whole negative ELBO gradient-checked, backward(dy), determinism, descent."""

import numpy as np
import pytest
from vae_helpers import IMAGE, LIKELIHOODS, check_whole_loss, images, randomize_biases

from minae.gradcheck import GradientCheckError, check_gradients, check_model
from minae.vae import conv_vae, dense_vae

# --- gradient checks of the whole negative ELBO -----------------------------------------------

@pytest.mark.parametrize("likelihood,learn_sigma", LIKELIHOODS)
@pytest.mark.parametrize("seed", [0, 1])
def test_dense_vae_negative_elbo_gradients(likelihood, learn_sigma, seed):
    rng = np.random.default_rng(seed)
    model = dense_vae(latent_dim=2, hidden=5, input_shape=IMAGE, likelihood=likelihood,
                      beta=0.7, sigma=0.6, learn_sigma=learn_sigma, rng=rng, dtype=np.float64)
    randomize_biases(model, rng)
    x = images(rng, 3)
    eps = rng.standard_normal((3, 2))
    results = check_whole_loss(model, (x,), eps, rng)
    names = {r.name for r in results}
    assert {"encoder.1.W", "z_mean.W", "z_log_sigma.b", "decoder.2.W", "input"} <= names
    assert ("log_sigma" in names) == learn_sigma


@pytest.mark.parametrize("likelihood,learn_sigma", LIKELIHOODS)
@pytest.mark.parametrize("decoder", ["transpose", "upsample"])
def test_conv_vae_negative_elbo_gradients(likelihood, learn_sigma, decoder):
    rng = np.random.default_rng(3)
    model = conv_vae(latent_dim=2, channels=(2, 3), hidden=4, input_shape=(1, 8, 8),
                     decoder=decoder, likelihood=likelihood, sigma=0.7,
                     learn_sigma=learn_sigma, rng=rng, dtype=np.float64)
    randomize_biases(model, rng)
    x = images(rng, 2, (1, 8, 8))
    check_whole_loss(model, (x,), rng.standard_normal((2, 2)), rng)


def test_the_whole_model_check_catches_a_missing_kl_gradient():
    """The check can fail: a VAE whose backward forgets the KL gradient is caught."""
    rng = np.random.default_rng(4)
    model = dense_vae(latent_dim=2, hidden=5, input_shape=IMAGE, rng=rng, dtype=np.float64)
    model.beta = 1.0
    x, eps = images(rng, 3), rng.standard_normal((3, 2))
    model.loss(x, eps=eps)
    model.beta = 0.0  # backward now leaves the KL out
    model.backward()
    analytic = {k: v.copy() for k, v in model.grads.items()}
    model.beta = 1.0
    with pytest.raises(GradientCheckError, match="z_"):
        check_gradients(lambda: model.loss(x, eps=eps)[0], model.params, analytic, tol=1e-6)


def test_backward_with_dy_is_the_layer_contract():
    """forward + backward(dy): the gradient of sum(dy * output), through the sampler."""
    rng = np.random.default_rng(5)
    model = dense_vae(latent_dim=3, hidden=6, input_shape=IMAGE, likelihood="gaussian",
                      learn_sigma=True, rng=rng, dtype=np.float64)
    randomize_biases(model, rng)
    eps = rng.standard_normal((2, 3))
    results = check_model(model, images(rng, 2), rng=rng, forward_kwargs={"eps": eps})
    assert {r.name for r in results} >= {"input", "z_log_sigma.W", "log_sigma"}
    assert model.grads["log_sigma"][0] == 0.0  # the output does not depend on it


def test_same_seed_same_loss():
    x = images(np.random.default_rng(0), 4).astype(np.float32)

    def run(seed):
        model = dense_vae(hidden=16, input_shape=IMAGE, rng=np.random.default_rng(seed))
        return [model.loss(x)[0] for _ in range(2)]

    assert run(3) == run(3)
    assert run(3) != run(4)
    a, b = run(3)
    assert a != b  # fresh eps each call, from the model's own generator


def test_a_few_steps_of_gradient_descent_lower_the_loss():
    rng = np.random.default_rng(13)
    model = dense_vae(latent_dim=2, hidden=16, input_shape=IMAGE, likelihood="gaussian",
                      learn_sigma=True, rng=rng, dtype=np.float64)
    x = images(rng, 32)
    eps = rng.standard_normal((32, 2))
    first = model.loss(x, eps=eps)[0]
    for _ in range(50):
        model.loss(x, eps=eps)
        model.backward()
        for name, p in model.params.items():
            p -= 0.05 * model.grads[name]
    assert model.loss(x, eps=eps)[0] < first - 1.0
    assert model.log_sigma < 0.0  # sigma shrinks toward the error's scale (< 1)




def test_the_model_file_holds_forward_loss_and_backward_only():
    """The split stays: VAE's own public methods are the training ones; encode, decode and
    the evaluation come from use.py."""
    from minae.vae.model import VAE
    from minae.vae.use import VAEInference

    own = {name for name in vars(VAE) if not name.startswith("_")}
    assert own == {"forward", "loss", "backward", "children", "params", "grads", "log_sigma"}
    assert {"encode", "decode", "evaluate_elbo", "log_likelihood"} <= set(vars(VAEInference))
