"""Conv2D and ConvTranspose2D: gradients, adjointness, sizes, initialisation, bad input.

Gradient checks run on both paths: the taught passes (no engine) and the fast engine
(``FastEngine(chunk_bytes=1)``: one image per chunk, so the chunk loops loop).
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minae.engine import FastEngine
from minae.gradcheck import check_layer
from minae.kernels import reference as ref
from minae.layers.conv import Conv2D
from minae.layers.conv_transpose import ConvTranspose2D
from minae.layers.padding import same_padding


def _with_random_bias(layer, rng):
    if "b" in layer.params:
        layer.params["b"][:] = rng.standard_normal(layer.params["b"].shape)  # a wrong db shows
    return layer


@pytest.mark.parametrize("config,size", [
    (dict(kernel_size=3), (6, 7)),
    (dict(kernel_size=3, padding="same"), (5, 6)),
    (dict(kernel_size=4, padding="same"), (5, 6)),                   # even kernel: pads 1 + 2
    (dict(kernel_size=2, padding="same", stride=2), (5, 7)),
    (dict(kernel_size=4, padding="same", stride=2), (7, 6)),
    (dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)), (7, 5)),
    (dict(kernel_size=3, stride=2, padding=((0, 1), (2, 0))), (6, 7)),  # asymmetric
    (dict(kernel_size=2, dilation=2, padding=1), (6, 5)),
    (dict(kernel_size=3, dilation=(2, 1), padding="same"), (7, 6)),
    (dict(kernel_size=3, stride=3, bias=False), (8, 9)),
    (dict(kernel_size=4, stride=2, padding=1), (8, 8)),
])
@pytest.mark.parametrize("engine", [None, FastEngine(chunk_bytes=1)], ids=["plain", "fast"])
def test_conv2d_gradients(config, size, engine):
    _check_gradients(Conv2D, config, size, engine, seed=0)


@pytest.mark.parametrize("config,size", [
    (dict(kernel_size=3), (4, 5)),
    (dict(kernel_size=4, stride=2, padding=1), (3, 4)),           # 3 -> 6: the VAE's decoder
    (dict(kernel_size=3, stride=2, padding=1, output_padding=1), (3, 3)),
    (dict(kernel_size=3, stride=(2, 3), padding=(0, 1), output_padding=(1, 2)), (3, 4)),
    (dict(kernel_size=4, stride=2, padding="same"), (3, 4)),
    (dict(kernel_size=3, stride=2, padding="same"), (4, 3)),
    (dict(kernel_size=1, stride=3, padding="same"), (2, 3)),      # kernel smaller than stride
    (dict(kernel_size=2, dilation=2, padding=1, bias=False), (4, 4)),
])
@pytest.mark.parametrize("engine", [None, FastEngine(chunk_bytes=1)], ids=["plain", "fast"])
def test_conv_transpose2d_gradients(config, size, engine):
    _check_gradients(ConvTranspose2D, config, size, engine, seed=1)


def _check_gradients(layer_class, config, size, engine, seed):
    """check_layer (finite differences, float64) on ``layer_class(2, 3, **config)`` with a
    random bias, on the plain path (``engine=None``) or the engine's, input (2, 2) + size."""
    rng = np.random.default_rng(seed)
    layer = _with_random_bias(layer_class(2, 3, rng=rng, dtype=np.float64, **config), rng)
    layer.use_engine(engine)
    check_layer(layer, rng.standard_normal((2, 2) + size), rng=rng)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9),
       st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_layers_are_adjoint(c_in, c_out, H, W, k, s, p, seed):
    """<Conv2D(x), y> == <x, ConvTranspose2D(y)> when they share W and have no bias."""
    assume(k <= H + 2 * p and k <= W + 2 * p)
    rng = np.random.default_rng(seed)
    conv = Conv2D(c_in, c_out, k, stride=s, padding=p, bias=False, rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, c_in, H, W))
    y_shape = conv.output_shape(x.shape)
    op = tuple((n + 2 * p - k) % s for n in (H, W))  # the rows the stride's floor dropped
    convT = ConvTranspose2D(c_out, c_in, k, stride=s, padding=p, output_padding=op, bias=False,
                            dtype=np.float64)
    convT.params["W"][...] = conv.params["W"]  # both (c_out, c_in, k, k)
    y = rng.standard_normal(y_shape)
    assert convT.output_shape(y.shape) == x.shape
    lhs, rhs = np.vdot(conv.forward(x), y), np.vdot(x, convT.forward(y))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_conv2d_forward_matches_the_definition_with_bias():
    rng = np.random.default_rng(2)
    layer = _with_random_bias(Conv2D(3, 4, 3, stride=2, padding="same", rng=rng,
                                     dtype=np.float64), rng)
    x = rng.standard_normal((2, 3, 7, 8))
    pads = (same_padding(7, 3, 2) + same_padding(8, 3, 2))
    expected = ref.conv2d_reference(x, layer.params["W"], 2, pads) + \
        layer.params["b"][:, None, None]
    np.testing.assert_allclose(layer.forward(x), expected, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# sizes
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("H,W,k,s,p,d", [(7, 9, 3, 2, 1, 1), (11, 5, 4, 3, 2, 1),
                                         (13, 13, 3, 1, 0, 2), (9, 15, 5, 2, 0, 1)])
def test_conv2d_output_shape_formula_on_odd_sizes(H, W, k, s, p, d):
    layer = Conv2D(1, 2, k, stride=s, padding=p, dilation=d)
    expected = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n in (H, W))
    y = layer.forward(np.zeros((1, 1, H, W), np.float32))
    assert y.shape == layer.output_shape((1, 1, H, W)) == (1, 2) + expected


@pytest.mark.parametrize("H,W,k,s,p,op", [(7, 5, 3, 2, 1, 1), (5, 9, 4, 3, 1, 2),
                                          (3, 3, 4, 2, 1, 0), (7, 7, 4, 2, 1, 0)])
def test_conv_transpose2d_output_shape_formula(H, W, k, s, p, op):
    layer = ConvTranspose2D(1, 2, k, stride=s, padding=p, output_padding=op)
    expected = tuple((n - 1) * s - 2 * p + (k - 1) + op + 1 for n in (H, W))
    assert layer.forward(np.zeros((1, 1, H, W))).shape == (1, 2) + expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3))
def test_same_padding_keeps_the_size_or_divides_it_by_the_stride(n, k, s, d):
    assume(s == 1 or d == 1)
    layer = Conv2D(1, 1, k, stride=s, padding="same", dilation=d)
    out = layer.output_shape((1, 1, n, n))[2]
    assert out == (n if s == 1 else -(-n // s))
    top, bottom = same_padding(n, k, s, d)
    assert bottom - top in (0, 1)  # the odd row goes to the bottom
    if s == 1:
        assert top + bottom == d * (k - 1)


def test_same_padding_of_an_even_kernel_goes_bottom_right():
    assert same_padding(28, 4, 1) == (1, 2)
    assert same_padding(28, 4, 2) == (1, 1)    # (14-1)*2 + 4 - 28 = 2
    assert same_padding(7, 2, 2) == (0, 1)     # (4-1)*2 + 2 - 7 = 1
    assert same_padding(5, 1, 3) == (0, 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2))
def test_transposed_same_multiplies_the_size_by_the_stride(n, k, s, d):
    assume(s == 1 or d == 1)
    layer = ConvTranspose2D(1, 1, k, stride=s, padding="same", dilation=d)
    assert layer.output_shape((1, 1, n, n + 1)) == (1, 1, n * s, (n + 1) * s)


def test_the_lessons_shapes():
    x = np.zeros((2, 1, 28, 28), np.float32)
    h = Conv2D(1, 32, 4, stride=2, padding=1).forward(x)
    assert h.shape == (2, 32, 14, 14)
    h = Conv2D(32, 64, 4, stride=2, padding=1).forward(h)
    assert h.shape == (2, 64, 7, 7)
    h = ConvTranspose2D(64, 32, 4, stride=2, padding=1).forward(h)
    assert h.shape == (2, 32, 14, 14)
    assert ConvTranspose2D(32, 1, 4, stride=2, padding=1).forward(h).shape == (2, 1, 28, 28)
    assert Conv2D(8, 16, 3).forward(np.zeros((2, 8, 16, 16))).shape == (2, 16, 14, 14)


# ----------------------------------------------------------------------------------------------
# the layer contract, initialisation, dtype
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: Conv2D(2, 3, 3, padding=1, dtype=np.float64),
                                  lambda: ConvTranspose2D(2, 3, 3, stride=2, dtype=np.float64)])
def test_backward_writes_grads_and_never_rebinds_params(make):
    rng = np.random.default_rng(3)
    layer = make()
    W = layer.params["W"]
    x = rng.standard_normal((2, 2, 5, 5))
    dy = rng.standard_normal(layer.forward(x).shape)
    layer.backward(dy)
    first = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward(dy)  # a second pass replaces, it does not add
    for k, v in layer.grads.items():
        np.testing.assert_allclose(v, first[k])
        assert v.shape == layer.params[k].shape
    assert layer.params["W"] is W


def test_glorot_init_bounds_and_zero_bias():
    rng = np.random.default_rng(4)
    conv = Conv2D(16, 32, 3, rng=rng)
    a = np.sqrt(6 / (16 * 9 + 32 * 9))
    assert conv.params["W"].shape == (32, 16, 3, 3) and conv.params["W"].dtype == np.float32
    assert np.abs(conv.params["W"]).max() <= a and np.abs(conv.params["W"]).max() > 0.9 * a
    assert not conv.params["b"].any()
    convT = ConvTranspose2D(64, 32, 4, rng=rng)
    assert convT.params["W"].shape == (64, 32, 4, 4) and convT.params["b"].shape == (32,)


def test_pytorch_and_he_init_use_the_right_fan_in():
    rng = np.random.default_rng(5)
    conv = Conv2D(8, 4, 3, init="pytorch", rng=rng)
    bound = 1 / np.sqrt(8 * 9)
    assert np.abs(conv.params["W"]).max() <= bound and np.abs(conv.params["b"]).max() <= bound
    assert conv.params["b"].any()
    convT = ConvTranspose2D(8, 4, 3, init="pytorch", rng=rng)  # fan_in = out_channels * k * k
    assert np.abs(convT.params["W"]).max() <= 1 / np.sqrt(4 * 9)
    assert np.abs(convT.params["W"]).max() > 1 / np.sqrt(8 * 9)
    he = Conv2D(64, 64, 3, init="he_normal", rng=rng)
    assert abs(he.params["W"].std() - np.sqrt(2 / (64 * 9))) < 0.05 * np.sqrt(2 / (64 * 9))


def test_float32_by_default_and_other_floats_cast():
    layer = Conv2D(1, 2, 3)
    y = layer.forward(np.zeros((1, 1, 5, 5), np.float64))
    assert y.dtype == np.float32
    assert layer.backward(np.ones(y.shape)).dtype == np.float32


def test_repr_shows_the_config():
    assert repr(Conv2D(1, 16, 3, padding="same")) == (
        "Conv2D(1, 16, kernel_size=(3, 3), stride=(1, 1), padding='same', dilation=(1, 1))")
    assert repr(Conv2D(3, 4, (3, 2), 2, ((0, 1), (1, 1)), bias=False)) == (
        "Conv2D(3, 4, kernel_size=(3, 2), stride=(2, 2), padding=((0, 1), (1, 1)), "
        "dilation=(1, 1), bias=False)")
    assert repr(ConvTranspose2D(64, 32, 4, stride=2, padding=1)) == (
        "ConvTranspose2D(64, 32, kernel_size=(4, 4), stride=(2, 2), padding=1)")
    assert "output_padding=(1, 1)" in repr(ConvTranspose2D(1, 1, 3, 2, 1, output_padding=1))


# ----------------------------------------------------------------------------------------------
# bad input: clear errors before any computation
# ----------------------------------------------------------------------------------------------

def test_wrong_channels_or_dimensions_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"^Conv2D expected input \(N, 3, H, W\); got "
                                         r"\(8, 1, 28, 28\)$"):
        Conv2D(3, 8, 3).forward(np.zeros((8, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"Conv2D expected input \(N, 1, H, W\); got \(28, 28\)"):
        Conv2D(1, 8, 3).forward(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2D expected input \(N, 64, H, W\); "
                                         r"got \(2, 32, 7, 7\)"):
        ConvTranspose2D(64, 32, 4).forward(np.zeros((2, 32, 7, 7)))


def test_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"Conv2D kernel \(5, 5\).*larger than the padded input "
                                         r"\(3, 3\).*input \(1, 1, 3, 3\)"):
        Conv2D(1, 1, 5).forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"spans \(5, 3\)"):
        Conv2D(1, 1, 3, dilation=(2, 1), padding=(0, 1)).forward(np.zeros((1, 1, 4, 4)))
    Conv2D(1, 1, 5, padding=1).forward(np.zeros((1, 1, 3, 3)))  # fits once padded
    with pytest.raises(ValueError, match="ConvTranspose2D padding .* cuts away the whole output"):
        ConvTranspose2D(1, 1, 3, padding=3).forward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(kernel_size=0), ValueError, "Conv2D kernel_size must be a positive integer; got 0"),
    (dict(kernel_size=-3), ValueError, "Conv2D kernel_size must be a positive integer"),
    (dict(kernel_size=3, stride=1.5), TypeError, "Conv2D stride must be an integer; got 1.5"),
    (dict(kernel_size=3, stride=0), ValueError, "Conv2D stride must be a positive integer"),
    (dict(kernel_size=3, dilation=(1, 0)), ValueError, "Conv2D dilation"),
    (dict(kernel_size=3, padding=-1), ValueError, "Conv2D padding must be a non-negative"),
    (dict(kernel_size=3, padding="full"), ValueError, "Conv2D padding must be 'same', 'valid'"),
    (dict(kernel_size=3, padding=(1, 2, 3)), ValueError, "Conv2D padding"),
    (dict(kernel_size=3, stride=2, dilation=2, padding="same"), ValueError,
     "stride and a dilation both > 1"),
])
def test_bad_conv2d_arguments(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        Conv2D(1, 1, **kwargs)


def test_bad_channel_counts_and_transposed_arguments():
    with pytest.raises(ValueError, match="Conv2D in_channels must be a positive integer; got 0"):
        Conv2D(0, 1, 3)
    with pytest.raises(TypeError, match="Conv2D out_channels"):
        Conv2D(1, 2.0, 3)
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than the "
                                         r"stride \(2, 2\)"):
        ConvTranspose2D(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding must be 0"):
        ConvTranspose2D(1, 1, 3, stride=2, padding="same", output_padding=1)
    with pytest.raises(ValueError, match="ConvTranspose2D kernel_size"):
        ConvTranspose2D(1, 1, 0)


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="Conv2D input must be a floating-point array"):
        Conv2D(1, 1, 3).forward(np.zeros((1, 1, 5, 5), dtype=np.uint8))
