"""The adversarial autoencoder: its losses, gradients, phases and priors, and that it works."""

import contextlib
import copy

import numpy as np
import pytest

from minae.adversarial import (
    CHANCE_D_LOSS,
    CHANCE_G_LOSS,
    AAEOptimizers,
    AdversarialAutoencoder,
    GaussianMixturePrior,
    NormalPrior,
    aae_optimizers,
    dense_aae,
    discriminator_accuracy,
    discriminator_loss,
    generator_loss,
    log_sigmoid,
    make_prior,
    mmd2,
    moment_distance,
    train_aae,
)
from minae.gradcheck import MODEL_TOL, check_gradients
from minae.layers.activations import Softplus, Tanh
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.layers.shape import Flatten, Reshape
from minae.optim import SGD, Adam


def one_blas_thread():
    """Small matrix products run ~10x slower when a multithreaded BLAS shares busy cores;
    use one thread where threadpoolctl is installed (it is optional)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


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


# --- the losses ------------------------------------------------------------------------------
def test_chance_values_are_the_lessons_printed_losses():
    """A discriminator stuck at sigmoid = 1/2 gives exactly the numbers the lesson printed."""
    z = np.zeros((7, 1))
    d, _, _ = discriminator_loss(z, z)
    g, _ = generator_loss(z)
    assert d == pytest.approx(2 * np.log(2)) == CHANCE_D_LOSS
    assert g == pytest.approx(np.log(2)) == CHANCE_G_LOSS
    assert discriminator_accuracy(z, z) == 0.5


def test_losses_are_stable_and_refuse_the_lessons_500_outputs():
    big = np.array([[1000.0], [-1000.0]])
    d, gr, gf = discriminator_loss(big, -big)
    g, gg = generator_loss(big)
    for v in (d, g, *gr.ravel(), *gf.ravel(), *gg.ravel()):
        assert np.isfinite(v)
    assert d == pytest.approx(1000.0)  # one real and one fake sample wrong by 1000 nats each
    assert np.all(np.isfinite(log_sigmoid(np.array([-1e4, 0.0, 1e4]))))
    with pytest.raises(ValueError, match="500"):
        discriminator_loss(np.zeros((4, 500)), np.zeros((4, 1)))


@pytest.mark.parametrize("n_real,n_fake", [(5, 5), (3, 8)])
def test_adversarial_loss_gradients_wrt_logits(n_real, n_fake):
    rng = np.random.default_rng(1)
    r, f = 3 * rng.standard_normal((n_real, 1)), 3 * rng.standard_normal((n_fake, 1))
    _, gr, gf = discriminator_loss(r, f)
    check_gradients(lambda: discriminator_loss(r, f)[0], {"real": r, "fake": f},
                    {"real": gr, "fake": gf}, tol=1e-7)
    _, gg = generator_loss(f)
    check_gradients(lambda: generator_loss(f)[0], {"fake": f}, {"fake": gg}, tol=1e-7)


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


def test_generator_loss_gradient_wrt_encoder_and_discriminator():
    rng = np.random.default_rng(3)
    model = smooth_aae(rng)
    x = rng.random((5, 1, 3, 4))
    model.generator_pass(x)
    names = ("encoder.", "discriminator.")
    check_gradients(lambda: model.generator_pass(x), _params(model, names),
                    _grads(model, names), tol=MODEL_TOL)


def test_reconstruction_gradient_wrt_encoder_and_decoder():
    rng = np.random.default_rng(4)
    model = smooth_aae(rng)
    x = rng.random((5, 1, 3, 4))
    model.reconstruction_pass(x)
    names = ("encoder.", "decoder.")
    check_gradients(lambda: model.reconstruction_pass(x), _params(model, names),
                    _grads(model, names), tol=MODEL_TOL)


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


# --- priors and statistics -------------------------------------------------------------------
def test_mixture_prior_moments_density_and_labelled_sampling():
    rng = np.random.default_rng(9)
    prior = GaussianMixturePrior(10, radius=4.0, radial_std=1.0, tangential_std=0.3)
    s = prior.sample(40000, rng)
    np.testing.assert_allclose(s.mean(0), prior.mean, atol=0.06)
    np.testing.assert_allclose(np.cov(s, rowvar=False), prior.cov, atol=0.15)
    # the density integrates to 1 (a grid over [-9, 9]^2)
    g = np.linspace(-9, 9, 361)
    pts = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    assert np.exp(prior.log_density(pts)).sum() * (g[1] - g[0]) ** 2 == pytest.approx(1, abs=1e-3)
    # label k draws from petal k: its points sit nearest centre k
    y = np.repeat(np.arange(10), 50)
    z = prior.sample(500, rng, y)
    nearest = np.argmin(((z[:, None] - prior.means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == y) > 0.95
    normal = NormalPrior(3)
    assert np.exp(normal.log_density(np.zeros((1, 3))))[0] == pytest.approx((2 * np.pi) ** -1.5)
    with pytest.raises(ValueError, match="dim"):
        make_prior("mixture", dim=3)


def test_distribution_statistics():
    rng = np.random.default_rng(10)
    prior = NormalPrior(2)
    a, b = prior.sample(400, rng), prior.sample(400, rng)
    far = 3.0 + 0.2 * rng.standard_normal((400, 2))
    assert mmd2(a, b) < 0.05 < mmd2(a, far)
    assert moment_distance(a, prior) < 0.3 < moment_distance(far, prior)


# --- it works: the codes move toward the prior -----------------------------------------------
def test_aae_moves_codes_toward_the_prior():
    """Trained on 600 synthetic digits, an AAE's 2-D codes end far closer to N(0, I) than they
    started, and than the codes of the same autoencoder trained without the adversary."""
    from minae.datasets import load_dataset

    x = load_dataset("synthetic-digits", "train", limit=600, seed=0, log=None).images
    prior = NormalPrior(2)

    def distances(model):
        z = model.encode(x)
        return mmd2(z, prior.sample(len(z), np.random.default_rng(0))), moment_distance(z, prior)

    def train(adversarial):
        model = dense_aae(2, (128,), (64, 64), rng=np.random.default_rng(0), prior=prior)
        start = distances(model)
        opts = aae_optimizers()
        if not adversarial:  # the same model and loop, with the adversary switched off
            opts.discriminator.lr = opts.generator.lr = 0.0
        history = train_aae(model, x, optimizers=opts, epochs=40, batch_size=50,
                            rng=np.random.default_rng(1), print_fn=None)
        return start, distances(model), history

    with one_blas_thread():
        (mmd_0, mom_0), (mmd_aae, mom_aae), h = train(adversarial=True)
        _, (mmd_ae, mom_ae), _ = train(adversarial=False)
    # stated margins (seed 0: MMD^2 0.81 -> 0.008, plain AE 2.3; moment distance 1.7 -> 0.38,
    # plain AE 78; seeds 0-5 all within 0.006-0.016 and 0.29-0.47): MMD^2 at least 10x below
    # its start and 50x below the plain AE's; the moment distance at least 2x below its start
    # and 50x below the plain AE's
    assert mmd_aae < mmd_0 / 10 and mmd_aae < mmd_ae / 50, (mmd_0, mmd_aae, mmd_ae)
    assert mom_aae < mom_0 / 2 and mom_aae < mom_ae / 50, (mom_0, mom_aae, mom_ae)
    # the discriminator really played: better than chance at some point, and logged per step
    assert max(h.epochs["d_accuracy"]) > 0.55
    assert len(h.steps["d_loss"]) == 40 * 12
