"""Reliability of the losses, the metrics and the VAE builders: every bad input one clear error.

The losses' one rule (``losses._check_pair``, at the boundary of every loss): same shapes, no
broadcasting; at least one element; no NaN; finite targets; BCE targets, and BCE probabilities,
in [0, 1]. Logits may be +-inf: the BCE takes its limit. Each test asserts the error's type and
that its message names the argument and, where there is one, the fix.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae.losses import (
    bce_with_logits_elements,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    gaussian_nll,
    mse,
)
from minae.metrics import bce_floor_per_pixel, bce_per_pixel, mse_per_pixel, psnr
from minae.vae import conditional_vae, conv_vae, dense_vae

IMAGE = (1, 4, 4)
BCES = [binary_cross_entropy, binary_cross_entropy_with_logits]
ALL = [mse, binary_cross_entropy, binary_cross_entropy_with_logits, gaussian_nll]


def grey(shape=(2, 5), seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


@pytest.fixture(autouse=True)
def warnings_are_errors():
    """No loss may answer a bad input with a RuntimeWarning (and NaN) instead of an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- targets outside their domain --------------------------------------------------------------

@pytest.mark.parametrize("loss", BCES)
def test_bce_targets_in_0_255_name_the_forgotten_division(loss):
    t = np.round(grey() * 255)
    t[0, 0] = 255.0
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]; got max 255.0: did you "
                                         r"forget to divide images by 255\?"):
        loss(grey(), t)


@pytest.mark.parametrize("loss", BCES)
def test_bce_negative_targets_are_refused(loss):
    t = grey()
    t[1, 2] = -0.5
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]; got min -0.5: rescale"):
        loss(grey(), t)


def test_probabilities_outside_0_1_are_refused_not_clipped():
    for bad, got in [(1.5, "max 1.5"), (-0.25, "min -0.25")]:
        p = grey()
        p[0, 1] = bad
        with pytest.raises(ValueError, match=rf"binary_cross_entropy: predictions must be in "
                                             rf"\[0, 1\]; got {got}: .*with_logits"):
            binary_cross_entropy(p, grey(seed=1))


def test_probabilities_of_exactly_0_and_1_are_clipped_inside_as_documented():
    value, grad = binary_cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), "sum")
    assert np.isclose(value, -2 * np.log(1e-7), rtol=1e-6) and np.all(np.isfinite(grad))


# --- NaN and inf ------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("which", ["targets", "predictions"])
def test_nan_raises_naming_which_argument(loss, which):
    p, t = grey(), grey(seed=1)
    (t if which == "targets" else p)[1, 3] = np.nan
    with pytest.raises(ValueError, match=rf"{loss.__name__}: {which} contain 1 NaN"):
        loss(p, t)


@pytest.mark.parametrize("loss", ALL, ids=lambda f: f.__name__)
def test_infinite_targets_raise(loss):
    t = grey(seed=1)
    t[0, 0] = np.inf
    with pytest.raises(ValueError, match=f"{loss.__name__}: targets"):
        loss(grey(), t)


@pytest.mark.parametrize("loss", [mse, gaussian_nll], ids=lambda f: f.__name__)
def test_infinite_means_raise(loss):
    p = grey()
    p[0, 0] = -np.inf
    with pytest.raises(ValueError, match=f"{loss.__name__}: predictions contain inf"):
        loss(p, grey(seed=1))


def test_bce_on_infinite_logits_is_its_limit():
    """z = +inf against t = 1 (and -inf against 0) is a perfect prediction: 0 nats, gradient 0,
    the limit of large finite logits; the finite elements are unaffected."""
    z = np.array([[np.inf, -np.inf, 0.3, -2.0]])
    t = np.array([[1.0, 0.0, 0.4, 1.0]])
    value, grad = binary_cross_entropy_with_logits(z, t, "sum")
    finite, finite_grad = binary_cross_entropy_with_logits(z[:, 2:], t[:, 2:], "sum")
    assert np.isclose(value, finite) and np.all(np.isfinite(grad))
    assert np.allclose(grad, [[0.0, 0.0, *finite_grad[0]]])
    big = np.array([[1e4, -1e4]])
    assert np.array_equal(bce_with_logits_elements(z[:, :2], t[:, :2]),
                          bce_with_logits_elements(big, t[:, :2]))


def test_bce_on_infinite_logits_that_are_wrong_is_infinite():
    """z = +inf against t < 1 is certain and wrong: the true loss is inf, not NaN."""
    z = np.array([[np.inf, -np.inf, np.inf]])
    t = np.array([[0.0, 0.5, 0.5]])
    value, grad = binary_cross_entropy_with_logits(z, t)
    assert value == np.inf
    assert np.array_equal(grad, [[1.0, -0.5, 0.5]])  # sigmoid(z) - t: finite


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_infinite_logits_agree_with_huge_ones(n, d, seed):
    """Property: where t is 0 or 1 the value at +-inf equals the value at +-1e4 (the limit is
    reached), and where 0 < t < 1 it is inf; never NaN."""
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], (n, d))
    t = rng.choice([0.0, 1.0, 0.3], (n, d))
    inf_loss = bce_with_logits_elements(signs * np.inf, t)
    big_loss = bce_with_logits_elements(signs * 1e4, t)
    binary = (t == 0) | (t == 1)
    assert not np.any(np.isnan(inf_loss))
    assert np.array_equal(inf_loss[binary & (big_loss == 0)], big_loss[binary & (big_loss == 0)])
    assert np.all(np.isinf(inf_loss[(~binary) | (big_loss > 0)]))


# --- empty arrays and shapes ------------------------------------------------------------------

@pytest.mark.parametrize("loss", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(0, 5), (3, 0)])
def test_empty_arrays_raise_not_nan(loss, shape):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: prediction and target are empty "
                                         rf"\(shape \({shape[0]}, {shape[1]}\)\)"):
        loss(np.zeros(shape), np.zeros(shape))


@pytest.mark.parametrize("loss", ALL, ids=lambda f: f.__name__)
def test_shapes_must_match_exactly_no_broadcasting(loss):
    with pytest.raises(ValueError, match=r"prediction has shape \(2, 5\) but target has shape "
                                         r"\(1, 5\); they must match"):
        loss(grey(), grey((1, 5)))


# --- the metrics follow the same rule ---------------------------------------------------------

def test_metrics_refuse_what_the_losses_refuse():
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]; got max 255.0"):
        bce_per_pixel(grey(), np.full((2, 5), 255.0), logits=True)
    with pytest.raises(ValueError, match=r"predictions must be in \[0, 1\]"):
        bce_per_pixel(np.full((2, 5), 3.0), grey())
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        bce_floor_per_pixel(np.full((2, 5), 2.0))
    nan = grey()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="psnr: predictions contain 1 NaN"):
        psnr(nan, grey())
    with pytest.raises(ValueError, match="mse_per_pixel: prediction and target are empty"):
        mse_per_pixel(np.zeros((0, 3)), np.zeros((0, 3)))


def test_fit_with_the_default_loss_refuses_images_in_0_255():
    from minae.autoencoders import dense_autoencoder
    from minae.optim import Adam
    from minae.training import fit

    x = np.random.default_rng(0).integers(0, 256, (8, 1, 28, 28)).astype(np.float32)
    model = dense_autoencoder(2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"divide images by 255"):
        fit(model, x, optimizer=Adam(1e-3), epochs=1, batch_size=8, verbose=0)


# --- the VAE builders --------------------------------------------------------------------------

@pytest.mark.parametrize("build,kwargs,name", [
    (dense_vae, {"latent_dim": 2.7}, "dense_vae latent_dim"),
    (dense_vae, {"hidden": 2.7}, "hidden"),
    (dense_vae, {"hidden": (8, 3.5)}, "hidden"),
    (dense_vae, {"input_shape": (1, 28.5, 28)}, r"dense_vae input_shape\[1\]"),
    (conv_vae, {"hidden": 4.0}, "conv_vae hidden"),
    (conv_vae, {"channels": (2.5, 3)}, "conv_vae channels"),
    (conditional_vae, {"num_classes": 10.0}, "conditional_vae num_classes"),
])
def test_builders_refuse_non_integer_sizes(build, kwargs, name):
    with pytest.raises(TypeError, match=rf"{name} must be a positive integer; got"):
        build(**kwargs, rng=np.random.default_rng(0))


@pytest.mark.parametrize("build", [dense_vae, conv_vae, conditional_vae])
def test_builders_refuse_an_rng_of_the_wrong_type(build):
    with pytest.raises(TypeError, match=r"rng must be a np.random.Generator or None; got int 5\. "
                                        r"Pass rng=np.random.default_rng\(5\)"):
        build(rng=5)
    with pytest.raises(TypeError, match="rng must be a np.random.Generator"):
        build(rng=np.random.RandomState(0))


def test_builders_refuse_bad_numbers():
    with pytest.raises(TypeError, match="beta must be a number; got str"):
        dense_vae(hidden=4, input_shape=IMAGE, beta="1", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0; got nan"):
        dense_vae(hidden=4, input_shape=IMAGE, beta=float("nan"), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0; got 0.0"):
        dense_vae(hidden=4, input_shape=IMAGE, likelihood="gaussian", sigma=0.0,
                  rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="conv_vae channels must be a pair"):
        conv_vae(channels=(4,), rng=np.random.default_rng(0))


@pytest.mark.parametrize("build", [dense_vae, conv_vae])
def test_images_of_the_wrong_size_are_refused(build):
    model = build(latent_dim=2, input_shape=(1, 8, 8), rng=np.random.default_rng(0))
    x = grey((2, 1, 12, 12))
    for call in (model.loss, model.forward, model.encode, model.reconstruct,
                 model.evaluate_elbo, model.kl_per_dimension):
        with pytest.raises(ValueError, match=r"expected input \(N, 1, 8, 8\), the shape this "
                                             r"model was built for; got \(2, 1, 12, 12\)\. "
                                             r"Resize the images, or build the model with "
                                             r"input_shape=\(1, 12, 12\)"):
            call(x)


def test_encode_decode_reconstruct_of_zero_images_keep_their_shapes():
    model = dense_vae(latent_dim=3, hidden=4, input_shape=IMAGE, rng=np.random.default_rng(0))
    mu, log_s = model.encode(np.zeros((0, *IMAGE)))
    assert mu.shape == (0, 3) and log_s.shape == (0, 3)
    assert model.decode(np.zeros((0, 3))).shape == (0, *IMAGE)
    assert model.reconstruct(np.zeros((0, *IMAGE))).shape == (0, *IMAGE)
    cvae = conditional_vae(num_classes=2, latent_dim=3, hidden=4, input_shape=IMAGE,
                           rng=np.random.default_rng(0))
    none = np.zeros(0, dtype=int)
    assert cvae.encode(np.zeros((0, *IMAGE)), none)[0].shape == (0, 3)
    assert cvae.decode(np.zeros((0, 3)), none).shape == (0, *IMAGE)
    with pytest.raises(ValueError, match=r"expected input \(N, 1, 4, 4\) with N >= 1"):
        model.loss(np.zeros((0, *IMAGE)))  # a loss averages over images: it needs one


def test_conditional_vae_arguments_in_the_wrong_place_are_named():
    """The labels go right after the images; a count or eps in their place is refused."""
    cvae = conditional_vae(num_classes=3, latent_dim=2, hidden=4, input_shape=IMAGE,
                           rng=np.random.default_rng(0))
    x = grey((2, *IMAGE))
    with pytest.raises(ValueError, match=r"expected labels \(2,\), one class per image; got "
                                         r"shape \(\): the labels go right after the images"):
        cvae.log_likelihood(x, 100)  # the plain VAE's (x, k)
    with pytest.raises(TypeError, match="labels must be integers .* by keyword"):
        cvae.loss(x, np.zeros((2, 2)))  # eps where the labels go
    with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'labels'"):
        cvae.loss(x)
