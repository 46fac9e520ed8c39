"""Synthetic digits: shapes, determinism, balance, MNIST-like statistics, arguments."""

import numpy as np
import pytest

from minae.data import make_digits

pytestmark = pytest.mark.usefixtures("isolated_data_home")


@pytest.fixture(scope="module")
def digits():
    return make_digits(2000, seed=0), make_digits(2000, seed=1)


def test_synthetic_digits_shapes_and_determinism(digits):
    (images, labels), (other, _) = digits
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (2000,) and labels.dtype == np.uint8
    again, again_labels = make_digits(50, seed=0)  # prefix of the same sequence
    np.testing.assert_array_equal(again, images[:50])
    np.testing.assert_array_equal(again_labels, labels[:50])
    assert not np.array_equal(other[:50], images[:50])
    empty, no_labels = make_digits(0)
    assert empty.shape == (0, 28, 28) and no_labels.shape == (0,)


def test_synthetic_digits_are_balanced(digits):
    (_, labels), _ = digits
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 200))
    counts = np.bincount(make_digits(25, seed=4)[1], minlength=10)
    assert counts.max() - counts.min() <= 1


def test_synthetic_digits_look_like_mnist_on_average(digits):
    (images, _), _ = digits
    assert 0.10 <= images.mean() / 255 <= 0.17  # MNIST: 0.13
    x = images.astype(np.float64)
    mass = x.sum(axis=(1, 2))
    assert mass.min() > 0
    grid = np.arange(28)
    com_y, com_x = x.sum(axis=2) @ grid / mass, x.sum(axis=1) @ grid / mass
    off = np.hypot(com_y - 13.5, com_x - 13.5)  # centred by centre of mass, like MNIST
    assert off.mean() < 1.0 and off.max() < 2.0


def test_nearest_class_mean_transfers_between_seeds(digits):
    (train, train_labels), (test, test_labels) = digits
    a = train.reshape(len(train), -1) / 255.0
    b = test.reshape(len(test), -1) / 255.0
    means = np.stack([a[train_labels == k].mean(axis=0) for k in range(10)])
    distances = (b**2).sum(1)[:, None] - 2 * b @ means.T + (means**2).sum(1)[None, :]
    assert (distances.argmin(axis=1) == test_labels).mean() >= 0.80


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_make_digits_refuses_bad_arguments(bad):
    with pytest.raises(ValueError, match="n must be"):
        make_digits(bad)
    with pytest.raises(ValueError, match="seed must be"):
        make_digits(3, seed=bad)
