"""Upsample2D: nearest and bilinear (align_corners=False), and their transposes."""

import numpy as np
import pytest

from minae.gradcheck import check_layer, numerical_gradient, relative_error
from minae.layers.upsample import Upsample2D, bilinear_matrix


def test_nearest_repeats_each_pixel_into_a_block():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = Upsample2D(2).forward(x)
    np.testing.assert_array_equal(y[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4],
                                            [3, 3, 4, 4]])
    assert Upsample2D((1, 3)).forward(x).shape == (1, 1, 2, 6)


def test_nearest_backward_sums_each_block_checked_by_finite_differences():
    rng = np.random.default_rng(0)
    layer = Upsample2D((2, 3))
    x = rng.standard_normal((2, 2, 3, 4))
    dy = rng.standard_normal((2, 2, 6, 12))
    layer.forward(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx[1, 0, 2, 3], dy[1, 0, 4:6, 9:12].sum())  # one block
    numerical = numerical_gradient(lambda: float(np.sum(layer.forward(x) * dy)), x)
    assert relative_error(dx, numerical) < 1e-7


def test_bilinear_matches_pytorch_align_corners_false():
    # torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = [[1.0, 1.25, 1.75, 2.0],
                [1.5, 1.75, 2.25, 2.5],
                [2.5, 2.75, 3.25, 3.5],
                [3.0, 3.25, 3.75, 4.0]]
    np.testing.assert_allclose(Upsample2D(2, "bilinear").forward(x)[0, 0], expected)


def test_interpolation_rows_sum_to_one():
    for size in (1, 2, 5):
        for scale in (1, 2, 3):
            A = bilinear_matrix(size, scale)
            assert A.shape == (size * scale, size)
            np.testing.assert_allclose(A.sum(axis=1), 1.0)
    np.testing.assert_array_equal(bilinear_matrix(4, 1), np.eye(4))  # scale 1: the identity


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [2, 3, (2, 1)])
def test_gradients(mode, scale):
    rng = np.random.default_rng(1)
    check_layer(Upsample2D(scale, mode), rng.standard_normal((2, 2, 3, 4)), rng=rng)


def test_backward_is_the_transpose():
    rng = np.random.default_rng(2)
    layer = Upsample2D(2, "bilinear")
    x, y = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 8, 10))
    lhs = np.vdot(layer.forward(x), y)
    assert abs(lhs - np.vdot(x, layer.backward(y))) < 1e-12 * max(1, abs(lhs))


def test_keeps_float32():
    x = np.ones((1, 1, 2, 2), np.float32)
    assert Upsample2D(2).forward(x).dtype == np.float32
    assert Upsample2D(2, "bilinear").forward(x).dtype == np.float32


def test_repr_and_bad_arguments():
    assert repr(Upsample2D()) == "Upsample2D(scale_factor=(2, 2), mode='nearest')"
    with pytest.raises(ValueError, match="Upsample2D mode must be one of"):
        Upsample2D(2, "bicubic")
    with pytest.raises(TypeError, match="Upsample2D scale_factor must be an integer; got 1.5"):
        Upsample2D(1.5)
    with pytest.raises(ValueError, match="Upsample2D scale_factor must be a positive integer"):
        Upsample2D(0)
    with pytest.raises(ValueError, match=r"Upsample2D expected input \(N, C, H, W\); got \(4, 4\)"):
        Upsample2D().forward(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="Upsample2D input must be a floating-point array"):
        Upsample2D().forward(np.zeros((1, 1, 4, 4), dtype=bool))
