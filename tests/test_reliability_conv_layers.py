"""Issue 14 for Conv2D, ConvTranspose2D, MaxPool2D, AvgPool2D and Upsample2D: every wrong
argument fails at once, with the right error type and a message that names the problem, and
a refused backward leaves the gradients as they were."""

import numpy as np
import pytest

from minae.engine import FastEngine
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.pooling import AvgPool2D, MaxPool2D
from minae.layers.upsample import Upsample2D

RNG = np.random.default_rng


LAYERS = {  # a fresh layer for each test (float64, seeded), and its input shape
    "Conv2D": (lambda: Conv2D(2, 3, 3, padding=1, rng=RNG(0), dtype=np.float64), (2, 2, 6, 6)),
    "ConvTranspose2D": (lambda: ConvTranspose2D(2, 3, 3, stride=2, padding=1, output_padding=1,
                                                rng=RNG(0), dtype=np.float64), (2, 2, 4, 4)),
    "MaxPool2D": (lambda: MaxPool2D(2), (2, 2, 6, 6)),
    "AvgPool2D": (lambda: AvgPool2D(2), (2, 2, 6, 6)),
    "Upsample2D-nearest": (lambda: Upsample2D(2), (2, 2, 3, 3)),
    "Upsample2D-bilinear": (lambda: Upsample2D(2, "bilinear"), (2, 2, 3, 3)),
}
CASES = [pytest.param(make, shape, id=name) for name, (make, shape) in LAYERS.items()]


@pytest.mark.parametrize("engine", [None, FastEngine()], ids=["plain", "fast"])
@pytest.mark.parametrize("make, shape", CASES)
@pytest.mark.parametrize("change", ["broadcastable", "one row more", "larger image"])
def test_backward_refuses_a_dy_of_the_wrong_shape_and_keeps_the_grads(make, shape, change,
                                                                       engine):
    layer = make().use_engine(engine)
    rng = RNG(1)
    y = layer.forward(rng.standard_normal(shape))
    layer.backward(rng.standard_normal(y.shape))
    before = {k: v.copy() for k, v in layer.grads.items()}
    wrong = {"broadcastable": (1,) + y.shape[1:], "one row more": (y.shape[0] + 1,) + y.shape[1:],
             "larger image": y.shape[:2] + (y.shape[2] + 2, y.shape[3] * 2)}[change]
    with pytest.raises(ValueError, match=r"backward got dy of shape .*expected") as info:
        layer.backward(rng.standard_normal(wrong))
    assert str(tuple(y.shape)) in str(info.value)
    for k, v in layer.grads.items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("make, shape", CASES)
def test_backward_before_forward_says_so(make, shape):
    layer = make()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros(shape))


@pytest.mark.parametrize("engine", [None, FastEngine()], ids=["plain", "fast"])
@pytest.mark.parametrize("make, shape", CASES)
def test_empty_batch_gives_an_empty_output_and_backward_works(make, shape, engine):
    layer = make().use_engine(engine)
    full = layer.forward(np.ones(shape))
    y = layer.forward(np.zeros((0,) + shape[1:]))
    assert y.shape == (0,) + full.shape[1:]
    dx = layer.backward(np.zeros(y.shape))
    assert dx.shape == (0,) + shape[1:]
    for k, g in layer.grads.items():
        np.testing.assert_array_equal(g, 0 * layer.params[k])


def test_conv_transpose_messages_name_its_input_and_output_the_right_way_round():
    """in_channels is the input's channel count, out_channels the output's (and dy's)."""
    layer = ConvTranspose2D(2, 5, 3, stride=2, rng=RNG(2), dtype=np.float64)
    with pytest.raises(ValueError, match=r"ConvTranspose2D expected input \(N, 2, H, W\)"):
        layer.forward(np.zeros((1, 5, 4, 4)))
    y = layer.forward(np.zeros((1, 2, 4, 4)))
    assert y.shape == (1, 5, 9, 9)
    with pytest.raises(ValueError, match=r"expected \(1, 5, 9, 9\)"):
        layer.backward(np.zeros((1, 2, 4, 4)))  # an input-shaped dy is not the output's


@pytest.mark.parametrize("make, shape, words", [
    (lambda: Conv2D(1, 1, 3, padding=10**5), (1, 1, 28, 28), "Conv2D"),
    (lambda: Conv2D(1, 1, 3, padding=10**5, dilation=1), (2, 1, 4, 4), "column matrix"),
    (lambda: ConvTranspose2D(1, 1, 3, stride=10**6), (1, 1, 28, 28), "ConvTranspose2D"),
    (lambda: Upsample2D(10**6), (1, 1, 28, 28), "Upsample2D"),
    (lambda: Upsample2D((10**9, 1), "bilinear"), (2, 3, 28, 28), "Upsample2D"),
])
def test_absurd_sizes_are_refused_before_allocating(make, shape, words):
    with pytest.raises(ValueError, match=rf"{words}.*would need .*[TP]iB"):
        make().forward(np.zeros(shape, dtype=np.float32))


def test_absurd_channel_counts_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"Conv2D weights W.*would need"):
        Conv2D(10**6, 10**6, 3)
    with pytest.raises(ValueError, match=r"ConvTranspose2D weights W.*would need"):
        ConvTranspose2D(10**6, 10**6, 3)


@pytest.mark.parametrize("make, words", [
    (lambda: Conv2D(1, 2, 3, dtype=np.int32), "Conv2D dtype"),
    (lambda: ConvTranspose2D(1, 2, 3, dtype=int), "ConvTranspose2D dtype"),
    (lambda: Conv2D(3.0, 2, 3), "Conv2D in_channels"),
    (lambda: Conv2D(3, 2.5, 3), "Conv2D out_channels"),
    (lambda: Conv2D(3, 2, 2.5), "Conv2D kernel_size"),
    (lambda: Conv2D(3, 2, 3, stride=1.0), "Conv2D stride"),
    (lambda: ConvTranspose2D(3, "2", 3), "ConvTranspose2D out_channels"),
    (lambda: ConvTranspose2D(3, 2, 3, dilation=1.5), "ConvTranspose2D dilation"),
    (lambda: MaxPool2D(2.0), "MaxPool2D kernel_size"),
    (lambda: AvgPool2D(2, stride=1.5), "AvgPool2D stride"),
    (lambda: Upsample2D(1.5), "Upsample2D scale_factor"),
    (lambda: Conv2D(1, 2, 3, rng=5), "Conv2D rng"),
    (lambda: ConvTranspose2D(1, 2, 3, rng=np.random.RandomState(0)), "ConvTranspose2D rng"),
])
def test_wrong_types_are_refused_with_a_type_error_naming_the_argument(make, words):
    with pytest.raises(TypeError, match=words):
        make()


@pytest.mark.parametrize("make, shape", CASES)
def test_integer_input_is_refused(make, shape):
    with pytest.raises(TypeError, match="input must be a floating-point array"):
        make().forward(np.zeros(shape, dtype=np.int64))


def test_non_positive_sizes_are_refused_with_a_value_error():
    with pytest.raises(ValueError, match="Conv2D out_channels must be a positive integer"):
        Conv2D(1, 0, 3)
    with pytest.raises(ValueError, match="Upsample2D scale_factor"):
        Upsample2D(0)


def test_upsample_refuses_a_dy_larger_than_its_output():
    layer = Upsample2D(2)
    layer.forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"Upsample2D.backward got dy of shape \(1, 1, 7, 7\)"):
        layer.backward(np.zeros((1, 1, 7, 7)))
