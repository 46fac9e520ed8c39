"""MaxPool2D and AvgPool2D: PyTorch's and Keras's padding, ties, gradients, bad input."""

import numpy as np
import pytest

from minae.gradcheck import check_layer
from minae.layers.pooling import AvgPool2D, MaxPool2D

LESSON = np.arange(49, dtype=np.float64).reshape(1, 1, 7, 7)


def distinct(rng, shape):
    """Distinct values (a random permutation, scaled): no ties, so max-pool has no kinks."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / np.prod(shape)


def test_keras_same_and_pytorch_padding_give_different_numbers():
    keras = MaxPool2D(2, padding="same").forward(LESSON)
    torch = MaxPool2D(2, padding=1).forward(LESSON)
    assert keras.shape == torch.shape == (1, 1, 4, 4)  # 7x7 -> 4x4 both ways
    np.testing.assert_array_equal(keras[0, 0, 0], [8, 10, 12, 13])
    np.testing.assert_array_equal(torch[0, 0, 0], [0, 2, 4, 6])
    np.testing.assert_array_equal(keras[0, 0, :, 3], [13, 27, 41, 48])
    np.testing.assert_array_equal(torch[0, 0, 3], [42, 44, 46, 48])
    assert MaxPool2D(2).forward(LESSON).shape == (1, 1, 3, 3)  # no padding: floor


def test_avg_pool_padding_conventions():
    # Keras "same" excludes the padding from the average: the last column of the first row
    # averages the two real values 6 and 13
    keras = AvgPool2D(2, padding="same").forward(LESSON)
    assert keras[0, 0, 0, 3] == (6 + 13) / 2
    assert keras[0, 0, 0, 0] == (0 + 1 + 7 + 8) / 4
    # PyTorch's padding=1 counts the padded zeros (count_include_pad=True): 0 / 4
    torch = AvgPool2D(2, padding=1).forward(LESSON)
    assert torch[0, 0, 0, 0] == 0 / 4 and torch[0, 0, 0, 1] == (1 + 2) / 4
    # either can be overridden
    assert AvgPool2D(2, padding=1, count_include_pad=False).forward(LESSON)[0, 0, 0, 1] == 1.5
    assert AvgPool2D(2, padding="same", count_include_pad=True).forward(
        LESSON)[0, 0, 0, 3] == (6 + 13) / 4


def test_ties_send_the_gradient_to_the_first_maximum():
    layer = MaxPool2D(2)
    x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                    [3.0, 3.0, 2.0, 2.0]]]])
    layer.forward(x)
    dx = layer.backward(np.array([[[[5.0, 7.0]]]]))
    np.testing.assert_array_equal(dx, [[[[0, 5, 7, 0], [0, 0, 0, 0]]]])


def test_overlapping_windows_add_their_gradients():
    layer = MaxPool2D(3, stride=1)
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = 1.0  # the maximum of all four windows
    layer.forward(x)
    assert layer.backward(np.ones((1, 1, 2, 2)))[0, 0, 1, 1] == 4


@pytest.mark.parametrize("layer,shape", [
    (MaxPool2D(2), (2, 3, 6, 6)),
    (MaxPool2D(2), (2, 2, 7, 5)),              # odd sizes: the last row/column is dropped
    (MaxPool2D(2, padding=1), (2, 2, 7, 7)),
    (MaxPool2D(2, padding="same"), (2, 2, 7, 5)),
    (MaxPool2D(3, stride=2, padding=1), (1, 2, 7, 8)),
    (MaxPool2D((2, 3), stride=(1, 2), padding="same"), (1, 2, 5, 7)),
    (AvgPool2D(2), (2, 2, 6, 5)),
    (AvgPool2D(2, padding=1), (2, 2, 7, 7)),
    (AvgPool2D(2, padding="same"), (2, 2, 7, 5)),
    (AvgPool2D(3, stride=2, padding=1, count_include_pad=False), (1, 2, 7, 8)),
])
def test_pooling_gradients(layer, shape):
    rng = np.random.default_rng(0)
    check_layer(layer, distinct(rng, shape), rng=rng)


def test_same_pooling_sizes_are_ceil():
    for n in range(1, 12):
        for s in (1, 2, 3):
            assert MaxPool2D(2, stride=s, padding="same").output_shape((1, 1, n, n))[2] == \
                -(-n // s)
    # the lesson's encoder: 28 -> 14 -> 7 -> 4
    shapes = [(1, 8, 28, 28)]
    for _ in range(3):
        shapes.append(MaxPool2D(2, padding="same").output_shape(shapes[-1]))
    assert [s[2] for s in shapes] == [28, 14, 7, 4]


def test_keeps_the_input_dtype():
    x = np.ones((1, 1, 4, 4), np.float32)
    assert MaxPool2D(2).forward(x).dtype == np.float32
    assert AvgPool2D(2).forward(x).dtype == np.float32


def test_repr():
    assert repr(MaxPool2D(2)) == "MaxPool2D(kernel_size=(2, 2), stride=(2, 2), padding=0)"
    assert repr(AvgPool2D(3, 2, "same")) == (
        "AvgPool2D(kernel_size=(3, 3), stride=(2, 2), padding='same', count_include_pad=False)")


@pytest.mark.parametrize("make,x,error,message", [
    (lambda: MaxPool2D(2), np.zeros((1, 7, 7)), ValueError,
     r"MaxPool2D expected input \(N, C, H, W\); got \(1, 7, 7\)"),
    (lambda: AvgPool2D(5), np.zeros((1, 1, 3, 3)), ValueError,
     r"AvgPool2D window \(5, 5\) is larger than the padded input \(3, 3\)"),
    (lambda: MaxPool2D(2), np.zeros((1, 1, 4, 4), int), TypeError,
     "MaxPool2D input must be a floating-point array"),
])
def test_bad_input(make, x, error, message):
    with pytest.raises(error, match=message):
        make().forward(x)


@pytest.mark.parametrize("args,error,message", [
    ((0,), ValueError, "MaxPool2D kernel_size must be a positive integer; got 0"),
    ((2, 1.5), TypeError, "MaxPool2D stride must be an integer"),
    ((2, None, 2), ValueError, "padding \\(2, 2\\) must be at most half the kernel size"),
    ((2, None, "full"), ValueError, "MaxPool2D padding must be 'same', 'valid'"),
    ((2, None, -1), ValueError, "MaxPool2D padding must be a non-negative integer"),
    ((2, None, ((0, 1), (0, 1))), ValueError, "MaxPool2D padding must be an int, a pair"),
])
def test_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        MaxPool2D(*args)
