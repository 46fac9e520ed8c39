"""Reliability of the plain layers, the initializers and the autoencoder builders: every bad
input gets one clear error (its type, and a message that names the argument, what was given and
what was expected), raised before anything is written or allocated.

The classes of cases (issue 14): backward before forward; an upstream gradient of the wrong
shape, even one that broadcasts (and the gradients left as they were); integer or bool
parameter dtypes; non-integer sizes; ``rng=`` of the wrong type; absurd sizes; NaN at a model
boundary; images of the wrong size for a builder's model; empty batches.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae import (
    AutoEncoder,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    check_layer,
    conv_autoencoder,
    conv_dense_autoencoder,
    deep_autoencoder,
    dense_autoencoder,
    super_resolution_autoencoder,
    super_resolution_network,
)
from minae.autoencoders import lesson_decoder, lesson_encoder
from minae.initializers import bias, float_dtype, weights

# name -> (a fresh layer, the input shape it is run on, the output shape)
LAYERS = {
    "Dense": (lambda: Dense(3, 4, rng=np.random.default_rng(0), dtype=np.float64),
              (2, 3), (2, 4)),
    "ReLU": (ReLU, (2, 3), (2, 3)),
    "LeakyReLU": (lambda: LeakyReLU(0.1), (2, 3), (2, 3)),
    "Sigmoid": (Sigmoid, (2, 3), (2, 3)),
    "Tanh": (Tanh, (2, 3), (2, 3)),
    "Softplus": (Softplus, (2, 3), (2, 3)),
    "Dropout": (lambda: Dropout(0.5, rng=np.random.default_rng(0)), (2, 3), (2, 3)),
    "Flatten": (Flatten, (2, 3, 2), (2, 6)),
    "Reshape": (lambda: Reshape((3, 2)), (2, 6), (2, 3, 2)),
}
NAMES = sorted(LAYERS)


# -- backward before forward ---------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_backward_before_forward_says_so(name):
    make, _, out_shape = LAYERS[name]
    with pytest.raises(RuntimeError, match=rf"{name}\.backward called before forward"):
        make().backward(np.ones(out_shape))


# -- the upstream gradient's shape ---------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_dy_that_broadcasts_is_refused(name):
    """``dy`` of shape (1, ...) for an output (2, ...) broadcasts in NumPy: refused, named."""
    make, in_shape, out_shape = LAYERS[name]
    layer = make()
    layer.forward(np.random.default_rng(1).standard_normal(in_shape))
    bad = (1,) + out_shape[1:]
    with pytest.raises(ValueError, match=rf"{name}\.backward got dy of shape "
                                         rf"{re_shape(bad)}; expected {re_shape(out_shape)}"):
        layer.backward(np.ones(bad))


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(NAMES), st.lists(st.integers(1, 5), min_size=1, max_size=4),
       st.integers(0, 2**31 - 1))
def test_any_wrong_dy_raises_and_leaves_grads_alone(name, shape, seed):
    """Property: for every layer and every dy shape other than the output's, backward raises
    ValueError naming both shapes, and the gradients of the last good backward are unchanged
    (same arrays, same values)."""
    make, in_shape, out_shape = LAYERS[name]
    shape = tuple(shape)
    if shape == out_shape:
        return
    rng = np.random.default_rng(seed)
    layer = make()
    layer.forward(rng.standard_normal(in_shape))
    layer.backward(rng.standard_normal(out_shape))
    before = {k: (v, v.copy()) for k, v in layer.grads.items()}
    with pytest.raises(ValueError, match="expected"):
        layer.backward(rng.standard_normal(shape))
    assert set(layer.grads) == set(before)
    for k, (array, values) in before.items():
        assert layer.grads[k] is array and np.array_equal(array, values), k


@pytest.mark.parametrize("name", NAMES)
def test_integer_dy_is_refused(name):
    make, in_shape, out_shape = LAYERS[name]
    layer = make()
    layer.forward(np.ones(in_shape))
    with pytest.raises(TypeError, match=rf"{name}\.backward dy must be a floating-point array"):
        layer.backward(np.ones(out_shape, dtype=int))


def test_relu_dy_one_row_for_two():
    """The issue's own example."""
    relu = ReLU()
    relu.forward(np.array([[1.0, -1.0, 2.0], [3.0, 4.0, -5.0]]))
    with pytest.raises(ValueError, match=r"got dy of shape \(1, 3\); expected \(2, 3\)"):
        relu.backward(np.ones((1, 3)))


def test_sequential_backward_names_the_failing_layer():
    model = Sequential(Dense(3, 4, rng=np.random.default_rng(0)), ReLU())
    model.forward(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"ReLU\.backward got dy of shape \(2, 5\)"):
        model.backward(np.ones((2, 5), np.float32))


# -- dtypes of parameters ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, np.int64, bool, np.uint8, np.complex128, "U3"])
def test_parameters_must_be_floats(dtype):
    with pytest.raises(TypeError, match=r"Dense dtype must be a floating-point dtype"):
        Dense(3, 2, dtype=dtype)
    with pytest.raises(TypeError, match=r"weights dtype must be a floating-point dtype"):
        weights("glorot_uniform", (3, 2), 3, 2, np.random.default_rng(0), dtype)
    with pytest.raises(TypeError, match=r"bias dtype must be a floating-point dtype"):
        bias("glorot_uniform", 2, 3, np.random.default_rng(0), dtype)


@pytest.mark.parametrize("build, name", [
    (conv_autoencoder, "conv_autoencoder"), (dense_autoencoder, "dense_autoencoder"),
    (super_resolution_autoencoder, "super_resolution_autoencoder"),
    (super_resolution_network, "super_resolution_network"),
    (conv_dense_autoencoder, "conv_dense_autoencoder"), (lesson_encoder, "lesson_encoder"),
    (lesson_decoder, "lesson_decoder")])
def test_builders_refuse_integer_dtypes(build, name):
    with pytest.raises(TypeError, match=rf"{name} dtype must be a floating-point dtype .*; "
                                        r"got int32"):
        build(dtype=np.int32)


def test_float_dtype_refuses_what_is_not_a_dtype():
    with pytest.raises(TypeError, match=r"Dense dtype must be a NumPy float dtype .*'banana'"):
        float_dtype("banana", "Dense dtype")
    assert float_dtype("float64", "x") == np.float64


# -- sizes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: Dense(3.0, 2), r"Dense in_features must be a positive integer; got 3\.0"),
    (lambda: Dense(3, 2.5), r"Dense out_features must be a positive integer; got 2\.5"),
    (lambda: Dense(True, 2), r"Dense in_features must be a positive integer; got True"),
    (lambda: dense_autoencoder(2.7), r"dense_autoencoder latent must be a positive integer"),
    (lambda: deep_autoencoder(2.7), r"latent must be a positive integer; got 2\.7"),
    (lambda: dense_autoencoder(8, hidden=(16.5,)), r"dense_autoencoder hidden\[0\]"),
    (lambda: dense_autoencoder(8, hidden=16), r"hidden must be a tuple of widths"),
    (lambda: dense_autoencoder(8, input_shape=(1, 28.0, 28)), r"input_shape\[1\]"),
    (lambda: dense_autoencoder(8, input_shape=784), r"input_shape must be a tuple"),
    (lambda: conv_dense_autoencoder(2.0), r"conv_dense_autoencoder latent"),
    (lambda: super_resolution_network(2, width=8.5), r"super_resolution_network width"),
    (lambda: Reshape((2.0, 3)), r"Reshape shape must be a tuple of positive integers"),
    (lambda: Dropout("0.5"), r"Dropout p must be a number in \[0, 1\); got '0\.5'"),
    (lambda: LeakyReLU(None), r"LeakyReLU negative_slope must be a number >= 0"),
    (lambda: AutoEncoder(ReLU(), ReLU(), input_shape=(1, 2.5)), r"input_shape\[1\]"),
])
def test_non_integer_sizes_are_refused(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: Dense(0, 3), r"Dense in_features must be a positive integer; got 0"),
    (lambda: dense_autoencoder(-1), r"dense_autoencoder latent must be a positive integer"),
    (lambda: dense_autoencoder(4, hidden=(0,)), r"hidden\[0\] must be a positive integer"),
    (lambda: lesson_encoder(True), r"pools must be 1, 2 or 3; got True"),
    (lambda: AutoEncoder(ReLU(), ReLU()).summary(), r"summary needs input_shape"),
])
def test_sizes_out_of_range_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_absurd_sizes_are_named_before_anything_is_allocated():
    """``Dense(10**6, 10**6)`` needs 3.6 TiB of float32 weights: a ValueError naming the layer,
    the shape and the size, with less than a megabyte allocated on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"Dense\(1000000, 1000000\) weights W of shape "
                                             r"\(1000000, 1000000\) .* would need [\d.]+ TiB"):
            Dense(10**6, 10**6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    with pytest.raises(ValueError, match=r"of shape \(1048576, 1048576\)"):
        weights("he_normal", (2**20, 2**20), 2**20, 2**20, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"would need"):
        dense_autoencoder(10**6, input_shape=(1, 1000, 1000))


# -- rng -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, who", [
    (lambda rng: Dense(3, 2, rng=rng), "Dense"),
    (lambda rng: Dropout(0.5, rng=rng), "Dropout"),
    (lambda rng: weights("glorot_uniform", (3, 2), 3, 2, rng), "weights"),
    (lambda rng: bias("pytorch", 3, 2, rng), "bias"),
    (lambda rng: conv_autoencoder(rng=rng), "conv_autoencoder"),
    (lambda rng: dense_autoencoder(4, rng=rng), "dense_autoencoder"),
    (lambda rng: super_resolution_network(2, rng=rng), "super_resolution_network"),
    (lambda rng: check_layer(ReLU(), np.ones((2, 2)), rng=rng), "check_layer"),
])
@pytest.mark.parametrize("bad", [5, np.int64(5), "seed", np.random.RandomState(0)])
def test_rng_of_the_wrong_type_is_refused(call, who, bad):
    with pytest.raises(TypeError, match=rf"{who} rng must be a np\.random\.Generator or None; "
                                        rf"got {type(bad).__name__}"):
        call(bad)


def test_an_int_rng_is_told_how_to_seed():
    with pytest.raises(TypeError, match=r"Pass rng=np\.random\.default_rng\(5\)"):
        Dense(3, 2, rng=5)


# -- model boundaries ----------------------------------------------------------------------
def test_sequential_checks_its_input_like_every_model():
    model = Sequential(Dense(3, 2, rng=np.random.default_rng(0)), ReLU())
    x = np.ones((4, 3), np.float32)
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"Sequential input contains 1 NaN or inf value"):
        model.forward(x)
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"Sequential input contains 1 NaN or inf value"):
        model.forward(x)
    with pytest.raises(TypeError, match=r"Sequential input must be a floating-point array; "
                                        r"got dtype int64"):
        model.forward(np.ones((4, 3), dtype=np.int64))
    assert model.forward(np.ones((4, 3), np.float64)).dtype == np.float32  # cast, as layers do
    # a Sequential without parameters keeps the input's float dtype, and still checks
    assert Sequential(ReLU()).forward(np.ones(2, np.float64)).dtype == np.float64
    with pytest.raises(ValueError, match="NaN"):
        Sequential(ReLU()).forward(np.array([np.nan]))


def test_a_models_parts_are_checked_once_at_its_boundary():
    """The model checks its input; its Sequential parts do not check again, so an overflow
    inside a diverging model flows on to the loss (where fit's divergence guard names it)
    instead of being reported as bad input data."""
    model = dense_autoencoder(2, rng=np.random.default_rng(0))
    assert not model.encoder.check_input and not model.decoder.check_input
    model.decoder.params["0.W"][...] = np.inf  # as if a step had overflowed
    with np.errstate(invalid="ignore", over="ignore"):
        logits = model.forward(np.ones((2, 1, 28, 28), np.float32))
    assert not np.all(np.isfinite(logits))
    bad = np.ones((2, 1, 28, 28), np.float32)
    bad[0, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"AutoEncoder input contains 1 NaN"):
        model.forward(bad)


@pytest.mark.parametrize("build, good, bad", [
    (lambda: conv_autoencoder(rng=np.random.default_rng(0)), (1, 28, 28), (1, 32, 32)),
    (lambda: conv_autoencoder(rng=np.random.default_rng(0)), (1, 28, 28), (3, 28, 28)),
    (lambda: super_resolution_autoencoder(2, rng=np.random.default_rng(0)), (1, 14, 14),
     (1, 28, 28)),
    (lambda: super_resolution_network(4, width=8, rng=np.random.default_rng(0)), (1, 7, 7),
     (1, 14, 14)),
    (lambda: dense_autoencoder(4, rng=np.random.default_rng(0)), (1, 28, 28), (1, 32, 32)),
    (lambda: dense_autoencoder(4, rng=np.random.default_rng(0)), (1, 28, 28), (784,)),
    (lambda: conv_dense_autoencoder(2, rng=np.random.default_rng(0)), (1, 28, 28),
     (1, 29, 29)),
])
def test_builders_refuse_images_of_the_wrong_size(build, good, bad):
    """The issue's case: a 32x32 input to the 28x28 conv autoencoder must raise, naming the
    size it was built for, from forward and from every inference helper."""
    model = build()
    assert model.input_shape == good
    x = np.zeros((2,) + bad, np.float32)
    want = re_shape((2,) + bad)
    expected = r"\(N, " + ", ".join(str(s) for s in good) + r"\)"
    for call, name in ((model.forward, "AutoEncoder input"),
                       (model.encode, "AutoEncoder.encode input"),
                       (model.reconstruct, "AutoEncoder.encode input")):
        with pytest.raises(ValueError, match=rf"{name} must be images {expected}, the shape this "
                                             rf"model was built for; got {want}"):
            call(x)


def test_decode_refuses_codes_of_the_wrong_shape():
    model = conv_autoencoder(rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"AutoEncoder.decode input must be codes "
                                         r"\(N, 8, 4, 4\).*got \(3, 8, 5, 5\)"):
        model.decode(np.zeros((3, 8, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"codes \(N, 2\)"):
        conv_dense_autoencoder(2, rng=np.random.default_rng(0)).generate(np.zeros((3, 3)))


@pytest.mark.parametrize("build, side, code", [
    (lambda: conv_autoencoder(rng=np.random.default_rng(0)), 28, (8, 4, 4)),
    (lambda: dense_autoencoder(32, rng=np.random.default_rng(0)), 28, (32,)),
    (lambda: conv_dense_autoencoder(2, rng=np.random.default_rng(0)), 28, (2,)),
    (lambda: super_resolution_network(2, width=8, rng=np.random.default_rng(0)), 14,
     (8, 14, 14)),
])
def test_zero_images_give_empty_outputs_of_the_right_shape(build, side, code):
    model = build()
    empty = np.zeros((0, 1, side, side), np.float32)
    z = model.encode(empty)
    assert z.shape == (0,) + code and z.dtype == np.float32
    assert model.decode(z).shape == (0, 1, 28, 28)
    assert model.reconstruct(empty).shape == (0, 1, 28, 28)
    assert model.training  # the probe restored the mode


def test_batch_size_must_be_a_positive_integer():
    model = dense_autoencoder(4, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"batch_size must be a positive integer; got 2\.5"):
        model.encode(np.zeros((3, 1, 28, 28), np.float32), batch_size=2.5)
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer; got 0"):
        model.encode(np.zeros((3, 1, 28, 28), np.float32), batch_size=0)
