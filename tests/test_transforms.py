"""Transforms: noise statistics against their definitions, resampling on hand-computed arrays."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from minae.transforms import (
    NOISE_MODELS,
    NoiseModel,
    downsample,
    gaussian_noise,
    make_noise,
    random_mask,
    salt_and_pepper,
    upsample,
)


def images(seed, shape=(8, 1, 28, 28), dtype=np.float32):
    return np.random.default_rng(seed).random(shape).astype(dtype)


# ------------------------------------------------------------------------------ Gaussian noise

@settings(max_examples=15, deadline=None)
@given(st.floats(-1, 1), st.floats(0.05, 1), st.integers(0, 2**32 - 1))
def test_unclipped_gaussian_noise_has_the_asked_mean_and_std(mean, std, seed):
    x = images(seed, (16, 1, 28, 28), np.float64)
    noise = gaussian_noise(x, mean=mean, std=std, rng=np.random.default_rng(seed),
                           clip=False) - x
    n = noise.size
    # five standard errors: the sample mean's is std/sqrt(n), the sample std's std/sqrt(2n)
    assert abs(noise.mean() - mean) < 5 * std / np.sqrt(n)
    assert abs(noise.std() - std) < 5 * std / np.sqrt(2 * n)


def test_gaussian_noise_clips_to_the_unit_interval_and_keeps_what_was_inside():
    x = images(0)
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    clipped = gaussian_noise(x, 0.5, 0.5, rng=rng_a)
    raw = gaussian_noise(x, 0.5, 0.5, rng=rng_b, clip=False)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    assert raw.min() < 0.0 and raw.max() > 1.0  # so the clip did something
    inside = (raw >= 0) & (raw <= 1)
    np.testing.assert_array_equal(clipped[inside], raw[inside])
    np.testing.assert_array_equal(clipped, np.clip(raw, 0, 1))


def test_zero_mean_gaussian_is_the_same_function_with_mean_zero():
    x = images(2)
    a = gaussian_noise(x, mean=0.0, std=0.3, rng=np.random.default_rng(5), clip=False)
    b = x + np.random.default_rng(5).normal(0.0, 0.3, size=x.shape)
    np.testing.assert_allclose(a, b.astype(np.float32), rtol=0, atol=1e-6)


def test_gaussian_noise_keeps_dtype_and_shape_and_leaves_the_input_alone():
    x = images(3)
    before = x.copy()
    y = gaussian_noise(x, rng=np.random.default_rng(0))
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_array_equal(x, before)
    assert gaussian_noise(x.astype(np.float64), rng=np.random.default_rng(0)).dtype == np.float64


def test_noise_is_reproducible_from_the_generator():
    x = images(4)
    for fn in (lambda r: gaussian_noise(x, rng=r), lambda r: salt_and_pepper(x, 0.3, r),
               lambda r: random_mask(x, 0.3, r)):
        np.testing.assert_array_equal(fn(np.random.default_rng(9)), fn(np.random.default_rng(9)))
        assert not np.array_equal(fn(np.random.default_rng(9)), fn(np.random.default_rng(10)))


# ----------------------------------------------------------------------- salt and pepper, mask

@settings(max_examples=15, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_salt_and_pepper_replaces_a_fraction_p_half_by_one_half_by_zero(p, seed):
    x = np.full((8, 1, 28, 28), 0.5)
    y = salt_and_pepper(x, p, np.random.default_rng(seed))
    n = x.size
    assert set(np.unique(y)) <= {0.0, 0.5, 1.0}
    changed = y != 0.5
    tol = 5 * np.sqrt(p * (1 - p) / n) + 1e-12
    assert abs(changed.mean() - p) <= tol
    if changed.sum() > 100:
        share = (y == 1.0).sum() / changed.sum()
        assert abs(share - 0.5) < 5 * 0.5 / np.sqrt(changed.sum())


def test_salt_and_pepper_salt_share_and_extremes():
    x = np.full((4, 1, 28, 28), 0.5, dtype=np.float32)
    assert np.all(salt_and_pepper(x, 1.0, np.random.default_rng(0), salt=1.0) == 1.0)
    assert np.all(salt_and_pepper(x, 1.0, np.random.default_rng(0), salt=0.0) == 0.0)
    np.testing.assert_array_equal(salt_and_pepper(x, 0.0, np.random.default_rng(0)), x)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_random_mask_zeroes_a_fraction_p_and_keeps_the_rest(p, seed):
    x = images(seed, (8, 1, 28, 28), np.float64) + 0.01  # no zeros to begin with
    y = random_mask(x, p, np.random.default_rng(seed))
    zeroed = y == 0
    assert abs(zeroed.mean() - p) <= 5 * np.sqrt(p * (1 - p) / x.size) + 1e-12
    np.testing.assert_array_equal(y[~zeroed], x[~zeroed])


@pytest.mark.parametrize("fn", [salt_and_pepper, random_mask])
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probabilities_outside_the_unit_interval_are_refused(fn, p):
    with pytest.raises(ValueError, match="p must be a probability"):
        fn(images(0), p, np.random.default_rng(0))


def test_bad_inputs_are_refused_with_clear_errors():
    with pytest.raises(TypeError, match="floating-point"):
        gaussian_noise(np.zeros((2, 1, 4, 4), dtype=np.uint8), rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="np.random.Generator"):
        random_mask(images(0), 0.5, rng=0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        gaussian_noise(images(0), std=-1.0, rng=np.random.default_rng(0))


@pytest.mark.parametrize("p", [np.nan, -0.1, 1.5])
def test_a_probability_of_nan_is_refused_too(p):
    with pytest.raises(ValueError, match="p must be a probability"):
        random_mask(images(0), p, np.random.default_rng(0))


@pytest.mark.parametrize("mean, std", [(np.nan, 0.5), (0.5, np.nan), (np.inf, 0.5),
                                       (0.5, np.inf)])
def test_non_finite_noise_parameters_are_refused_naming_them(mean, std):
    name = "mean" if not np.isfinite(mean) else "std"
    with pytest.raises(ValueError, match=f"{name} must be"):
        gaussian_noise(images(0), mean=mean, std=std, rng=np.random.default_rng(0))


def test_an_int_rng_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"np\.random\.default_rng\(5\)"):
        salt_and_pepper(images(0), 0.1, rng=5)


def test_an_absurd_upsampling_factor_is_refused_naming_the_size():
    with pytest.raises(ValueError) as info:
        upsample(images(0, (1, 1, 4, 4)), 10**6)
    assert "upsample(factor=1000000)" in str(info.value) and "TiB" in str(info.value)


# ---------------------------------------------------------------------------------- noise models

def test_noise_models_are_the_lesson_settings():
    x = images(5)
    lesson = make_noise("lesson")
    assert isinstance(lesson, NoiseModel)
    np.testing.assert_array_equal(lesson(x, np.random.default_rng(0)),
                                  gaussian_noise(x, 0.5, 0.5, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(NOISE_MODELS["lesson-0.3"](x, np.random.default_rng(0)),
                                  gaussian_noise(x, 0.5, 0.3, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(NOISE_MODELS["gaussian"](x, np.random.default_rng(0)),
                                  gaussian_noise(x, 0.0, 0.3, rng=np.random.default_rng(0)))
    assert set(NOISE_MODELS) == {"lesson", "lesson-0.3", "gaussian", "salt-and-pepper", "mask"}
    for name, model in NOISE_MODELS.items():
        y = model(x, np.random.default_rng(1))
        assert y.shape == x.shape and y.dtype == x.dtype, name
        assert y.min() >= 0 and y.max() <= 1, name
        assert name in str(model)


def test_make_noise_overrides_parameters_and_refuses_unknown_ones():
    x = images(6)
    np.testing.assert_array_equal(make_noise("mask", p=0.9)(x, np.random.default_rng(2)),
                                  random_mask(x, 0.9, np.random.default_rng(2)))
    assert NOISE_MODELS["mask"].params["p"] != 0.9  # the table itself is unchanged
    with pytest.raises(TypeError, match="unknown parameter"):
        make_noise("lesson", p=0.3)


def test_unknown_noise_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        make_noise("pink")
    for name in NOISE_MODELS:
        assert repr(name) in str(info.value)


# ----------------------------------------------------------------------------------- resolution

def test_downsample_of_an_arange_is_the_block_means():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    # blocks: [0 1 4 5] [2 3 6 7] [8 9 12 13] [10 11 14 15]
    expected = np.array([[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(downsample(x, 2)[0, 0], expected)
    np.testing.assert_array_equal(downsample(x, 4)[0, 0], [[7.5]])
    np.testing.assert_array_equal(downsample(x, 1), x)


@pytest.mark.parametrize("factor", [2, 4])
def test_downsample_shapes_and_dtype(factor):
    x = images(7, (3, 2, 28, 28))
    y = downsample(x, factor)
    assert y.shape == (3, 2, 28 // factor, 28 // factor) and y.dtype == np.float32
    np.testing.assert_allclose(y.mean(axis=(2, 3)), x.mean(axis=(2, 3)), rtol=1e-5)


def test_downsample_refuses_sizes_the_factor_does_not_divide():
    with pytest.raises(ValueError, match="divisible by factor=3"):
        downsample(images(0, (1, 1, 28, 28)), 3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        downsample(np.zeros((28, 28)), 2)
    with pytest.raises(ValueError, match="factor must be an int"):
        downsample(images(0), 0)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_nearest_upsample_repeats_blocks(factor):
    x = images(8, (2, 3, 5, 7))
    y = upsample(x, factor, "nearest")
    assert y.shape == (2, 3, 5 * factor, 7 * factor) and y.dtype == np.float32
    np.testing.assert_array_equal(y, x.repeat(factor, axis=2).repeat(factor, axis=3))


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([2, 4]), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_nearest_upsample_then_downsample_gives_the_image_back(factor, side, seed):
    x = images(seed, (2, 1, 4 * side, 4 * side), np.float64)
    np.testing.assert_allclose(downsample(upsample(x, factor), factor), x, atol=1e-6)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_a_constant_image_stays_constant(mode):
    x = np.full((2, 1, 7, 7), 0.37, dtype=np.float32)
    np.testing.assert_allclose(upsample(x, 4, mode), 0.37, atol=1e-6)


def test_bilinear_samples_between_pixel_centres_with_edges_repeated():
    # One row [0, 1] doubled: output centres fall at -0.25, 0.25, 0.75, 1.25 input pixels,
    # i.e. 0 (edge repeated), 0.25, 0.75, 1 (edge repeated).
    x = np.array([[[[0.0, 1.0], [0.0, 1.0]]]])
    y = upsample(x, 2, "bilinear")
    np.testing.assert_allclose(y[0, 0], np.tile([0.0, 0.25, 0.75, 1.0], (4, 1)), atol=1e-6)


def test_bicubic_is_clipped_to_the_unit_interval():
    x = np.zeros((1, 1, 8, 8))
    x[..., 3:5, 3:5] = 1.0  # a sharp square: the cubic spline over- and undershoots
    y = upsample(x, 4, "bicubic")
    assert y.min() >= 0.0 and y.max() <= 1.0
    raw = ndimage.zoom(x[0, 0], 4, order=3, mode="nearest", grid_mode=True)
    assert raw.min() < 0.0 and raw.max() > 1.0  # so the clip mattered
    np.testing.assert_allclose(y[0, 0], np.clip(raw, 0, 1), atol=1e-6)


def test_grid_mode_false_is_different_and_worse_on_a_smooth_image():
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    x = (0.5 + 0.5 * np.sin(3 * xx + 2 * yy))[None, None]
    small = downsample(x, 4)
    good = upsample(small, 4, "bilinear")
    bad = upsample(small, 4, "bilinear", grid_mode=False)
    assert np.mean((good - x) ** 2) < np.mean((bad - x) ** 2)


def test_upsample_refuses_unknown_modes():
    with pytest.raises(ValueError, match="nearest"):
        upsample(images(0), 2, "lanczos")
