"""The adversarial autoencoder's passes (gradient checks) and its three phases."""

import copy

import numpy as np
import pytest

from minae.adversarial import (
    AAEOptimizers,
    AdversarialAutoencoder,
    GaussianMixturePrior,
    NormalPrior,
)
from minae.gradcheck import MODEL_TOL, check_gradients
from minae.layers.activations import Softplus, Tanh
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.optim import SGD, Adam


def smooth_aae(rng, *, latent=2, n_classes=None, prior=None):
    """A tiny float64 AAE with smooth activations (no kinks for the finite differences)."""
    kw = {"rng": rng, "dtype": np.float64}
    enc = Sequential(Flatten(), Dense(12, 7, **kw), Tanh(), Dense(7, latent, **kw))
    dec = Sequential(Dense(latent, 7, **kw), Softplus(), Dense(7, 12, **kw), Reshape((1, 3, 4)))
    disc = Sequential(Dense(latent + (n_classes or 0), 6, **kw), Tanh(), Dense(6, 1, **kw))
    for layer in (enc[1], enc[3], dec[0], dec[2], disc[0], disc[2]):
        layer.params["b"][:] = 0.3 * rng.standard_normal(layer.params["b"].shape)
    prior = NormalPrior(latent) if prior is None else prior
    return AdversarialAutoencoder(enc, dec, disc, prior, n_classes=n_classes)


def _grads(model, prefixes):
    return {k: v.copy() for k, v in model.grads.items() if k.startswith(prefixes)}


def _params(model, prefixes):
    return {k: v for k, v in model.params.items() if k.startswith(prefixes)}


# --- gradient checks of the model's passes ---------------------------------------------------
@pytest.mark.parametrize("conditioned", [False, True])
def test_discriminator_loss_gradient_wrt_discriminator_and_encoder(conditioned):
    rng = np.random.default_rng(2)
    n_classes = 4 if conditioned else None
    prior = GaussianMixturePrior(4) if conditioned else None
    model = smooth_aae(rng, n_classes=n_classes, prior=prior)
    x = rng.random((6, 1, 3, 4))
    y = rng.integers(0, 4, 6) if conditioned else None
    z_prior = model.prior.sample(6, rng, y)
    model.discriminator_pass(x, z_prior, y, into_encoder=True)
    names = ("discriminator.", "encoder.")
    check_gradients(lambda: model.discriminator_pass(x, z_prior, y)[0], _params(model, names),
                    _grads(model, names), tol=MODEL_TOL)


@pytest.mark.parametrize("phase,names", [
    ("generator_pass", ("encoder.", "discriminator.")),  # the encoder learns to fool D
    ("reconstruction_pass", ("encoder.", "decoder.")),
])
def test_generator_and_reconstruction_gradients(phase, names):
    rng = np.random.default_rng(3)
    model = smooth_aae(rng)
    x = rng.random((5, 1, 3, 4))
    run = getattr(model, phase)
    run(x)
    check_gradients(lambda: run(x), _params(model, names), _grads(model, names), tol=MODEL_TOL)


def test_discriminator_pass_leaves_the_encoders_gradients_alone():
    """Training's discriminator pass treats the codes as constants."""
    rng = np.random.default_rng(5)
    model = smooth_aae(rng)
    x = rng.random((5, 1, 3, 4))
    model.reconstruction_pass(x)
    before = _grads(model, ("encoder.",))
    model.discriminator_pass(x, model.prior.sample(5, rng))
    after = _grads(model, ("encoder.",))
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])


# --- the three phases ------------------------------------------------------------------------
def _changed(model, before):
    return {k for k, v in model.params.items() if not np.array_equal(v, before[k])}


def test_each_phase_moves_exactly_its_own_parameters():
    rng = np.random.default_rng(6)
    model = smooth_aae(rng)
    x = rng.random((8, 1, 3, 4))
    opts = AAEOptimizers(Adam(1e-2), Adam(1e-2), Adam(1e-2))
    names = {p: {k for k in model.params if k.startswith(p)}
             for p in ("encoder.", "decoder.", "discriminator.")}
    ids = {k: id(v) for k, v in model.params.items()}

    before = copy.deepcopy(model.params)
    model.reconstruction_step(x, opts.reconstruction)
    assert _changed(model, before) == names["encoder."] | names["decoder."]

    before = copy.deepcopy(model.params)
    model.discriminator_step(x, opts.discriminator, rng=rng)
    assert _changed(model, before) == names["discriminator."]

    before = copy.deepcopy(model.params)
    model.generator_step(x, opts.generator)
    assert _changed(model, before) == names["encoder."]

    assert {k: id(v) for k, v in model.params.items()} == ids  # updated in place, never rebound
    assert set(opts.discriminator.state) == {k.split(".", 1)[1] for k in names["discriminator."]}
    assert set(opts.generator.state) == {k.split(".", 1)[1] for k in names["encoder."]}
    assert set(opts.reconstruction.state) == names["encoder."] | names["decoder."]


def test_no_gradient_leaks_from_one_phase_into_the_next():
    """The generator pass writes D's grads on its way to the codes; the discriminator step
    must step on grads it wrote itself, exactly as a model that never ran a generator pass."""
    rng = np.random.default_rng(7)
    model = smooth_aae(rng)
    twin = copy.deepcopy(model)
    x = rng.random((8, 1, 3, 4))
    z_prior = model.prior.sample(8, rng)
    model.generator_pass(x)  # pollutes model.discriminator.grads
    model.discriminator_pass(x, z_prior)
    twin.discriminator_pass(x, z_prior)
    for k, v in twin.discriminator.grads.items():
        np.testing.assert_array_equal(model.discriminator.grads[k], v)
    # and the same in the other direction: a discriminator pass between two generator passes
    model.generator_pass(x)
    g1 = _grads(model, ("encoder.",))
    model.discriminator_pass(x, z_prior, into_encoder=True)  # overwrites encoder grads
    model.generator_pass(x)
    for k, v in g1.items():
        np.testing.assert_allclose(model.grads[k], v, rtol=0, atol=1e-15)


def test_one_optimizer_for_two_phases_is_refused():
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="distinct"):
        AAEOptimizers(opt, opt, Adam())


def test_label_conditioned_model_needs_labels_and_checks_the_code_size():
    rng = np.random.default_rng(8)
    model = smooth_aae(rng, n_classes=4, prior=GaussianMixturePrior(4))
    x = rng.random((4, 1, 3, 4))
    with pytest.raises(ValueError, match="labels"):
        model.generator_pass(x)
    wrong = smooth_aae(rng, latent=3, prior=NormalPrior(2))
    with pytest.raises(ValueError, match="prior"):
        wrong.generator_pass(x)
