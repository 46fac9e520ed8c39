"""Every minae layer against its PyTorch twin (minae/torch_bridge/layers.py and the map in
convert.py): outputs, input gradients and parameter gradients equal to 1e-10 in float64, over
random configurations drawn by hypothesis (sizes and a seed; the arrays come from numpy)."""

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")

from minae import (  # noqa: E402
    AvgPool2D,
    Conv2D,
    ConvTranspose2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    Upsample2D,
)
from minae.gradcheck import relative_error  # noqa: E402
from minae.kernels.reference import upsample_bilinear_reference  # noqa: E402
from minae.torch_bridge import compare, report, to_torch  # noqa: E402
from minae.torch_bridge.layers import (  # noqa: E402
    PaddedConv2d,
    PaddedConvTranspose2d,
    SameAvgPool2d,
    SameMaxPool2d,
)

TOL = 1e-10  # every row: max-norm relative difference, float64

pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


def assert_same(layer, x, **kwargs):
    """Every output and gradient of ``compare`` below TOL (the table in the message)."""
    rows = compare(layer, x, **kwargs)
    worst = max(d.rel_difference for d in rows)
    assert worst < TOL, report(rows)
    return rows


def paddings(draw):
    """A Conv2D padding argument of each form: int, pair, pair of pairs, 'valid', 'same'."""
    kind = draw(st.sampled_from(["int", "pair", "sides", "valid", "same"]))
    if kind == "int":
        return draw(st.integers(0, 3))
    if kind == "pair":
        return draw(st.tuples(st.integers(0, 3), st.integers(0, 3)))
    if kind == "sides":
        return (draw(st.tuples(st.integers(0, 3), st.integers(0, 3))),
                draw(st.tuples(st.integers(0, 3), st.integers(0, 3))))
    return kind


@st.composite
def conv_geometries(draw):
    """A convolution's kernel_size, stride, dilation and padding (every padding form), without
    'same' with a stride and a dilation both > 1 (refused, as Keras refuses it)."""
    kernel, stride = draw(pairs), draw(pairs)
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    padding = paddings(draw)
    assume(not (padding == "same" and max(stride) > 1 and max(dilation) > 1))
    return dict(kernel_size=kernel, stride=stride, dilation=dilation, padding=padding)


def channels_size_seed(draw, most):
    """Input and output channel counts, an input size (H, W) up to ``most``, and a seed."""
    return (draw(st.integers(1, 3)), draw(st.integers(1, 3)),
            draw(st.tuples(st.integers(1, most), st.integers(1, most))),
            draw(st.integers(0, 2**16)))


def assert_conv_layer_same(layer_class, config):
    """Build ``layer_class(c, f, **kwargs)`` in float64 and compare it with its twin on an input
    (2, c, h, w); configurations whose output would be empty are dropped."""
    kwargs, c, f, (h, w), seed = config
    rng = np.random.default_rng(seed)
    layer = layer_class(c, f, rng=rng, dtype=np.float64, **kwargs)
    try:
        layer.output_shape((2, c, h, w))
    except ValueError:
        assume(False)  # the kernel does not fit this input / the padding cuts away the output
    assert_same(layer, rng.standard_normal((2, c, h, w)), seed=seed)


@st.composite
def conv_configs(draw):
    kwargs = draw(conv_geometries())
    kwargs["bias"] = draw(st.booleans())
    return (kwargs, *channels_size_seed(draw, 9))


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_conv2d_every_padding_form(config):
    """Conv2D == nn.Conv2d (symmetric) or PaddedConv2d ('same', asymmetric), to 1e-10."""
    assert_conv_layer_same(Conv2D, config)


@st.composite
def transpose_configs(draw):
    kwargs = draw(conv_geometries())
    kwargs["output_padding"] = (0, 0) if kwargs["padding"] == "same" else tuple(
        draw(st.integers(0, s - 1)) for s in kwargs["stride"])
    kwargs["bias"] = draw(st.booleans())
    return (kwargs, *channels_size_seed(draw, 6))


@settings(max_examples=60, deadline=None)
@given(transpose_configs())
@example(({"kernel_size": (1, 2), "stride": (1, 3), "dilation": (1, 1),
           "padding": ((0, 0), (3, 0)), "output_padding": (0, 2), "bias": False},
          1, 1, (1, 1), 0))  # the left cut reaches into the output_padding columns
def test_conv_transpose2d_every_padding_form_and_output_padding(config):
    """ConvTranspose2D == nn.ConvTranspose2d / PaddedConvTranspose2d, output_padding too."""
    assert_conv_layer_same(ConvTranspose2D, config)


@st.composite
def pool_configs(draw):
    kernel = draw(pairs)
    stride = draw(st.one_of(st.none(), pairs))
    kind = draw(st.sampled_from(["int", "pair", "valid", "same"]))
    if kind == "int":
        padding = draw(st.integers(0, min(kernel) // 2))
    elif kind == "pair":
        padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    else:
        padding = kind
    count = draw(st.sampled_from([None, True, False]))
    return kernel, stride, padding, count, draw(st.tuples(st.integers(1, 9),
                                                          st.integers(1, 9))), \
        draw(st.integers(0, 2**16))


@settings(max_examples=60, deadline=None)
@given(pool_configs(), st.sampled_from(["max", "avg"]))
def test_pooling_both_paddings(config, kind):
    """MaxPool2D / AvgPool2D, PyTorch's int padding and Keras's 'same', count_include_pad
    either way: equal to nn.MaxPool2d / nn.AvgPool2d / the Same*Pool2d twins."""
    kernel, stride, padding, count, (h, w), seed = config
    if kind == "max":
        layer = MaxPool2D(kernel, stride, padding)
    else:
        layer = AvgPool2D(kernel, stride, padding, count_include_pad=count)
    try:
        layer.output_shape((2, 3, h, w))
    except ValueError:
        assume(False)  # the window does not fit
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))  # no ties: floats
    assert_same(layer, x, seed=seed)


@settings(max_examples=30, deadline=None)
@given(pairs, st.sampled_from(["nearest", "bilinear"]), st.integers(1, 7), st.integers(1, 7),
       st.integers(0, 2**16))
def test_upsample_nearest_and_bilinear(scale, mode, h, w, seed):
    """Upsample2D == nn.Upsample (bilinear: align_corners=False on both sides)."""
    x = np.random.default_rng(seed).standard_normal((2, 2, h, w))
    assert_same(Upsample2D(scale, mode), x, seed=seed)


@settings(max_examples=20, deadline=None)
@given(pairs, st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**16))
def test_bilinear_reference_loops_are_pytorchs_align_corners_false(scale, h, w, seed):
    """minae's loop definition (minae.kernels.reference) is nn.Upsample's align_corners=False."""
    x = np.random.default_rng(seed).standard_normal((1, 2, h, w))
    theirs = torch.nn.Upsample(scale_factor=tuple(float(s) for s in scale), mode="bilinear",
                               align_corners=False)(torch.from_numpy(x)).numpy()
    assert relative_error(upsample_bilinear_reference(x, scale), theirs) < TOL


def test_bilinear_align_corners_true_is_another_function():
    """The check can fail: minae's bilinear is not PyTorch's align_corners=True."""
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5))
    ours = Upsample2D(2, "bilinear").forward(x)
    theirs = torch.nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=True)(
        torch.from_numpy(x)).numpy()
    assert np.max(np.abs(ours - theirs)) > 1e-2


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**16))
def test_dense(d_in, d_out, n, seed):
    """Dense == nn.Linear, weight = W.T."""
    rng = np.random.default_rng(seed)
    assert_same(Dense(d_in, d_out, rng=rng, dtype=np.float64), rng.standard_normal((n, d_in)),
                seed=seed)


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.2), Sigmoid(), Tanh(), Softplus(),
                                   Dropout(0.3), Flatten(), Reshape((4, 3))],
                         ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("seed", [0, 1])
def test_parameterless_layers(layer, seed):
    """Activations, Dropout (eval mode), Flatten, Reshape."""
    x = np.random.default_rng(seed).standard_normal((3, 2, 6))
    assert_same(layer, x, seed=seed)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.sampled_from([3, "same", ((0, 1), (1, 0))]),
       st.sampled_from(["keras", "pytorch"]), st.sampled_from(["nearest", "bilinear"]),
       st.integers(0, 2**16))
def test_random_sequential(c, padding, pooling, mode, seed):
    """A random stack of the layers, as one nn.Sequential."""
    rng = np.random.default_rng(seed)
    kw = {"rng": rng, "dtype": np.float64}
    pool = MaxPool2D(2, padding="same" if pooling == "keras" else 1)
    model = Sequential(Conv2D(1, c, 3, padding=padding, **kw), Tanh(), pool,
                       Upsample2D(2, mode), ConvTranspose2D(c, 2, 3, stride=2, padding=1,
                                                            output_padding=1, **kw),
                       Softplus(), AvgPool2D(2, padding="same"), Flatten())
    assert_same(model, rng.standard_normal((2, 1, 7, 7)), seed=seed)


def test_twins_are_used_where_pytorch_has_no_single_layer():
    """'same' and asymmetric paddings get the padded twins; symmetric ones PyTorch's own."""
    kw = {"dtype": np.float64, "rng": np.random.default_rng(0)}
    assert type(to_torch(Conv2D(1, 1, 3, padding=1, **kw))) is torch.nn.Conv2d
    assert type(to_torch(Conv2D(1, 1, 3, padding="same", **kw))) is torch.nn.Conv2d
    assert type(to_torch(Conv2D(1, 1, 4, padding="same", **kw))) is PaddedConv2d
    assert type(to_torch(Conv2D(1, 1, 3, stride=2, padding="same", **kw))) is PaddedConv2d
    assert type(to_torch(ConvTranspose2D(1, 1, 3, padding="same", **kw))) \
        is torch.nn.ConvTranspose2d
    assert type(to_torch(ConvTranspose2D(1, 1, 3, padding=((1, 0), (0, 1)), **kw))) \
        is PaddedConvTranspose2d
    assert type(to_torch(MaxPool2D(2, padding="same"))) is SameMaxPool2d
    assert type(to_torch(AvgPool2D(2, padding="same"))) is SameAvgPool2d
    assert type(to_torch(AvgPool2D(2, padding=1))) is torch.nn.AvgPool2d


def test_keras_same_pool_is_not_pytorch_padding_one():
    """The check can fail: on 7x7, Keras's 'same' pool and PyTorch's padding=1 see
    different windows (minae.layers.pooling's docstring example)."""
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    ours = MaxPool2D(2, padding="same").forward(x)
    theirs = to_torch(MaxPool2D(2, padding=1))(torch.from_numpy(x)).numpy()
    assert ours.shape == theirs.shape == (1, 1, 4, 4)
    assert ours[0, 0, 0].tolist() == [8, 10, 12, 13] and theirs[0, 0, 0].tolist() == [0, 2, 4, 6]


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, "same"), (2, None, 1),
                                                   (3, 1, "same"), (3, 1, 1), (2, 1, 0)])
def test_max_pool_ties_go_to_the_first_maximum_in_both(kernel, stride, padding):
    """Windows of equal values (a ReLU's zeros): both send the gradient to the first one."""
    x = np.zeros((2, 3, 7, 7))
    x[:, :, ::3, ::2] = 1.0
    assert_same(MaxPool2D(kernel, stride, padding), x)
