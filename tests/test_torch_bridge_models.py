"""Each builder of minae.autoencoders, minae.vae and minae.adversarial against its PyTorch twin
(minae/torch_bridge/models.py): every output and every gradient equal to 1e-10 in float64;
the VAEs through their whole loss (likelihood, KL, sampler with the same eps)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

from minae import autoencoders, vae  # noqa: E402
from minae.adversarial import GaussianMixturePrior, dense_aae  # noqa: E402
from minae.torch_bridge import compare, report, to_torch  # noqa: E402
from minae.torch_bridge.models import (  # noqa: E402
    TorchAdversarialAutoencoder,
    TorchAutoEncoder,
    TorchConditionalVAE,
    TorchVAE,
)

TOL = 1e-10
F64 = {"dtype": np.float64}


def assert_same(model, x, **kwargs):
    rows = compare(model, x, **kwargs)
    assert max(d.rel_difference for d in rows) < TOL, report(rows)
    return rows


def images(model, n=3, seed=0):
    return np.random.default_rng(seed).random((n, *model.input_shape))


AUTOENCODERS = [
    ("conv keras", lambda rng: autoencoders.conv_autoencoder("keras", rng=rng, **F64)),
    ("conv pytorch", lambda rng: autoencoders.conv_autoencoder("pytorch", rng=rng, **F64)),
    ("super_resolution 2", lambda rng: autoencoders.super_resolution_autoencoder(
        2, rng=rng, **F64)),
    ("super_resolution 4 pytorch", lambda rng: autoencoders.super_resolution_autoencoder(
        4, "pytorch", rng=rng, **F64)),
    ("super_resolution_network 2", lambda rng: autoencoders.super_resolution_network(
        2, width=8, rng=rng, **F64)),
    ("super_resolution_network 4", lambda rng: autoencoders.super_resolution_network(
        4, width=16, rng=rng, **F64)),
    ("dense", lambda rng: autoencoders.dense_autoencoder(8, rng=rng, **F64)),
    ("dense relu code", lambda rng: autoencoders.dense_autoencoder(
        4, (16,), code_activation="relu", rng=rng, **F64)),
    ("deep", lambda rng: autoencoders.deep_autoencoder(8, rng=rng, **F64)),
    ("conv_dense", lambda rng: autoencoders.conv_dense_autoencoder(2, rng=rng, **F64)),
]


def test_every_autoencoder_builder_is_listed():
    """A builder added to minae.autoencoders.BUILDERS without a test here fails this."""
    tested = {name.split()[0] for name, _ in AUTOENCODERS}
    assert set(autoencoders.BUILDERS) <= tested


@pytest.mark.parametrize("name,build", AUTOENCODERS, ids=[n for n, _ in AUTOENCODERS])
def test_autoencoder_builders(name, build):
    """Output, input gradient and every parameter gradient of each AutoEncoder builder."""
    model = build(np.random.default_rng(1))
    assert isinstance(to_torch(model), TorchAutoEncoder)
    rows = assert_same(model, images(model))
    assert {d.name for d in rows} >= {"output", "d input"} | {f"d {k}" for k in model.params}


VAES = [
    ("dense bernoulli", lambda rng: vae.dense_vae(2, 32, rng=rng, **F64)),
    ("dense lesson 512", lambda rng: vae.dense_vae(rng=rng, **F64)),
    ("dense sse", lambda rng: vae.dense_vae(3, (32, 16), likelihood="sse", rng=rng, **F64)),
    ("dense gaussian", lambda rng: vae.dense_vae(2, 16, likelihood="gaussian", sigma=0.3,
                                                 beta=2.0, rng=rng, **F64)),
    ("dense gaussian learned sigma", lambda rng: vae.dense_vae(
        2, 16, likelihood="gaussian", learn_sigma=True, sigma=0.5, rng=rng, **F64)),
    ("conv transpose", lambda rng: vae.conv_vae(rng=rng, **F64)),
    ("conv upsample beta 4", lambda rng: vae.conv_vae(
        3, (4, 8), decoder="upsample", beta=4.0, rng=rng, **F64)),
]


@pytest.mark.parametrize("name,build", VAES, ids=[n for n, _ in VAES])
def test_vae_builders_whole_loss(name, build):
    """The loss and every gradient of each VAE builder, the same eps in both frameworks."""
    model = build(np.random.default_rng(2))
    assert type(to_torch(model)) is TorchVAE
    rows = assert_same(model, images(model), seed=3)
    names = {d.name for d in rows}
    assert {"output", "z_mean", "z_log_sigma", "loss", "kl", "d input"} <= names
    assert {f"d {k}" for k in model.params} <= names  # log_sigma too when learned


@pytest.mark.parametrize("likelihood", ["bernoulli", "sse"])
def test_conditional_vae(likelihood):
    """The ConditionalVAE's loss and gradients, labels one-hot joined in both frameworks."""
    model = vae.conditional_vae(4, 2, 16, likelihood=likelihood, rng=np.random.default_rng(4),
                                **F64)
    assert type(to_torch(model)) is TorchConditionalVAE
    assert_same(model, images(model, 4), labels=np.array([0, 3, 1, 3]), seed=5)


def test_conditional_vae_needs_labels():
    model = vae.conditional_vae(3, 2, 8, rng=np.random.default_rng(0), **F64)
    with pytest.raises(ValueError, match="labels="):
        compare(model, images(model))


def test_vae_sampler_takes_the_same_eps():
    """Given minae's eps, the PyTorch VAE returns minae's output; another eps another one."""
    model = vae.dense_vae(2, 16, rng=np.random.default_rng(6), **F64)
    module = to_torch(model)
    x = images(model)
    eps = np.random.default_rng(7).standard_normal((3, 2))
    ours = model.forward(x, eps=eps)
    theirs, _, _ = module(torch.from_numpy(x), torch.from_numpy(eps))
    np.testing.assert_allclose(theirs.detach().numpy(), ours, rtol=0, atol=1e-12)
    other, _, _ = module(torch.from_numpy(x), torch.from_numpy(-eps))
    assert np.max(np.abs(other.detach().numpy() - ours)) > 1e-3


def test_vae_loss_matches_minae():
    """TorchVAE.loss is minae's VAE.loss: value and its two parts."""
    model = vae.dense_vae(2, 16, likelihood="sse", beta=0.5, rng=np.random.default_rng(8), **F64)
    x, eps = images(model), np.random.default_rng(9).standard_normal((3, 2))
    value, parts = model.loss(x, eps=eps)
    value_t, parts_t = to_torch(model).loss(torch.from_numpy(x), torch.from_numpy(eps))
    assert abs(value_t.item() - value) <= 1e-10 * abs(value)
    assert abs(parts_t["kl"].item() - parts["kl"]) <= 1e-10 * abs(parts["kl"])


@pytest.mark.parametrize("n_classes", [None, 3])
def test_adversarial_autoencoder_parts(n_classes):
    """The AAE's encoder + decoder, and its discriminator (label-conditioned or not)."""
    prior = GaussianMixturePrior(3) if n_classes else None
    model = dense_aae(2, (16,), (8,), prior=prior, n_classes=n_classes,
                      rng=np.random.default_rng(10), **F64)
    module = to_torch(model)
    assert type(module) is TorchAdversarialAutoencoder
    x = np.random.default_rng(11).random((4, 1, 28, 28))
    labels = np.array([0, 1, 2, 1]) if n_classes else None
    rows = assert_same(model, x, labels=labels)
    assert {f"d {k}" for k in model.params} <= {d.name for d in rows}
    z = np.random.default_rng(12).standard_normal((4, 2))
    ours = model.discriminate(z, labels)
    theirs = module.discriminate(torch.from_numpy(z),
                                 None if labels is None else torch.from_numpy(labels))
    np.testing.assert_allclose(theirs.detach().numpy(), ours, rtol=1e-12, atol=1e-14)
