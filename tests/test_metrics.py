"""Metrics: PSNR on known values, per-image averaging, BCE and its floor, MSE."""

import numpy as np
import pytest

from minae.metrics import (
    PSNR_MAX_DB,
    bce_floor_per_pixel,
    bce_per_pixel,
    mse_per_pixel,
    psnr,
    psnr_per_image,
)


def test_psnr_known_values():
    t = np.zeros((1, 1, 4, 4))
    # every pixel off by 0.1: MSE 0.01 -> 20 dB; off by 0.5: 0.25 -> 6.02 dB
    assert psnr(t + 0.1, t) == pytest.approx(20.0)
    assert psnr(t + 0.5, t) == pytest.approx(10 * np.log10(4))
    assert psnr(t + 0.1, t, peak=255.0) == pytest.approx(20 * np.log10(2550))


def test_psnr_is_per_image_then_averaged():
    t = np.zeros((2, 1, 2, 2))
    p = t.copy()
    p[0] += 0.1  # 20 dB
    p[1] += 0.01  # 40 dB
    assert psnr_per_image(p, t) == pytest.approx([20.0, 40.0])
    assert psnr(p, t) == pytest.approx(30.0)
    pooled = 10 * np.log10(1 / np.mean((p - t) ** 2))
    assert psnr(p, t) != pytest.approx(pooled)


def test_psnr_perfect_image_is_capped():
    t = np.random.default_rng(0).random((3, 5))
    assert psnr(t, t) == PSNR_MAX_DB


def test_mse_and_bce():
    rng = np.random.default_rng(1)
    t = rng.random((4, 1, 3, 3))
    p = rng.uniform(0.05, 0.95, t.shape)
    assert mse_per_pixel(p, t) == pytest.approx(np.mean((p - t) ** 2))
    expect = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert bce_per_pixel(p, t) == pytest.approx(expect)
    z = np.log(p / (1 - p))
    assert bce_per_pixel(z, t, logits=True) == pytest.approx(expect)
    # the floor is the BCE of predicting the target itself, and nothing goes below it
    assert bce_floor_per_pixel(t) == pytest.approx(bce_per_pixel(t, t, eps=1e-15))
    assert bce_floor_per_pixel(t) < bce_per_pixel(p, t)
    assert bce_floor_per_pixel(np.array([[0.0, 1.0]])) == 0.0
    assert bce_floor_per_pixel(np.array([[0.5]])) == pytest.approx(np.log(2))


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        psnr(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(TypeError):
        mse_per_pixel(np.zeros((2, 3), dtype=int), np.zeros((2, 3)))
