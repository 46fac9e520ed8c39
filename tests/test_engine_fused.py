"""minae.engine.fused / epilogue: fused steps compute what the layers compute one by one.

Float64: outputs, every parameter gradient and the input gradient of ``Fused(model)`` on the
fast engine equal the model's own on the plain (taught) path to 1e-10, for the lesson's conv
autoencoder (both poolings: Keras "same" with the odd 7 -> 4 step, PyTorch padding 1),
nested Sequentials, a convolution without bias, chunk sizes of one image; plus SplitBatch over
Fused, fresh outputs, the names and files unchanged, and what Fused refuses.
"""

import numpy as np
import pytest

from minae.autoencoders import conv_autoencoder, dense_autoencoder
from minae.engine import FastEngine, epilogue
from minae.engine.fused import ConvReLU, Fused, UpConv
from minae.engine.parallel import SplitBatch
from minae.gradcheck import relative_error
from minae.kernels import reference as ref
from minae.layers.activations import ReLU
from minae.layers.conv import Conv2D
from minae.layers.pooling import MaxPool2D
from minae.layers.sequential import Sequential

TOL = 1e-10



def _pair(build, engine):
    plain, fast = build(), build()
    fast.use_engine(engine)
    return plain, fast


def _check_same(plain, fused, x, dy):
    y0, y1 = plain.forward(x), fused.forward(x)
    assert relative_error(y1, y0) < TOL
    dx0, dx1 = plain.backward(dy), fused.backward(dy)
    if dx1 is not None:
        assert relative_error(dx1, dx0) < TOL
    g0, g1 = plain.grads, fused.grads
    assert g0.keys() == g1.keys()
    for name in g0:
        assert relative_error(g1[name], g0[name]) < TOL, name


@pytest.mark.parametrize("pooling", ["keras", "pytorch"])
@pytest.mark.parametrize("chunk_bytes", [1, 2 ** 22])
def test_the_lesson_autoencoder_fused_equals_the_plain_path(pooling, chunk_bytes):
    def build():
        return conv_autoencoder(pooling, rng=np.random.default_rng(0), dtype=np.float64)

    plain, fast = _pair(build, FastEngine(chunk_bytes=chunk_bytes))
    fused = Fused(fast, input_grad=True)
    kinds = [type(s).__name__ + ("+pool" if getattr(s, "pool", None) else "")
             + ("+relu" if getattr(s, "relu", False) else "") for s in fused.steps]
    assert kinds == ["ConvReLU+pool"] * 3 + ["ConvReLU"] + ["UpConv+relu"] * 2 + ["UpConv"]
    rng = np.random.default_rng(1)
    x = rng.random((5, 1, 28, 28))
    _check_same(plain, fused, x, rng.standard_normal((5, 1, 28, 28)))


def test_fused_on_the_batch_flat_road_equals_the_plain_path():
    """With batch-flat switched on for the small layers, the fused writes still agree."""
    def build():
        return conv_autoencoder(rng=np.random.default_rng(12), dtype=np.float64)

    plain, fast = _pair(build, FastEngine(batchflat_max_pixels=64))
    rng = np.random.default_rng(13)
    x = rng.random((3, 1, 28, 28))
    _check_same(plain, Fused(fast, input_grad=True), x, rng.standard_normal(x.shape))


def test_ties_and_dead_windows_follow_the_layers():
    """Inputs that make many equal maxima and windows where every value is <= 0."""
    def build():
        conv = Conv2D(2, 3, 3, padding="same", rng=np.random.default_rng(2), dtype=np.float64)
        return Sequential(conv, ReLU(), MaxPool2D(2, padding="same"),
                          Sequential(Conv2D(3, 2, 1, bias=False, rng=np.random.default_rng(3),
                                            dtype=np.float64), ReLU()))

    plain, fast = _pair(build, FastEngine())
    for p in (plain, fast):
        p.layers[0].params["W"][...] = 0.0  # every output = the bias: all taps tie
        p.layers[0].params["b"][...] = [0.5, -0.5, 0.0]
    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal((3, 2, 7, 7)))  # integers: more ties further on
    fused = Fused(fast, input_grad=True)
    assert [type(s).__name__ for s in fused.steps] == ["ConvReLU", "ConvReLU"]
    _check_same(plain, fused, x, rng.standard_normal((3, 2, 4, 4)))


def test_the_epilogue_against_the_pooling_loops():
    """BiasReLUMaxPool's pooled output == max_pool2d_reference(relu(v + b)), overlapping
    windows and padding included; its backward == the loops' backward times the mask."""
    rng = np.random.default_rng(5)
    v = rng.standard_normal((2, 3, 9, 8))
    b = rng.standard_normal(3)
    for kernel, stride, pads in [((2, 2), (2, 2), (0, 1, 0, 0)), ((3, 3), (2, 2), (1, 1, 1, 1)),
                                 ((2, 3), (1, 2), (0, 0, 1, 1))]:
        write = epilogue.BiasReLUMaxPool(FastEngine(), v.shape, b, kernel, stride, pads,
                                         np.float64)
        write(0, 2, v)
        r = np.maximum(v + b[:, None, None], 0)
        expected = ref.max_pool2d_reference(r, kernel, stride, pads)
        assert relative_error(write.pooled, expected) < TOL
        dp = rng.standard_normal(expected.shape)
        du = epilogue.relu_max_pool_backward(dp, write.pooled, write.winner, v.shape, kernel,
                                             stride, pads)
        want = ref.max_pool2d_backward_reference(dp, r, kernel, stride, pads) * (r > 0)
        assert relative_error(du, want) < TOL


def test_the_first_input_gradient_is_skipped_unless_asked_for():
    model = conv_autoencoder(rng=np.random.default_rng(0), dtype=np.float64)
    fused = Fused(model.use_engine(FastEngine()))
    x = np.random.default_rng(1).random((2, 1, 28, 28))
    fused.forward(x)
    assert fused.backward(np.ones((2, 1, 28, 28))) is None
    assert fused.grads["encoder.0.W"].shape == (16, 1, 3, 3)
    assert Fused(model, input_grad=True).use_engine(FastEngine()).steps[0].input_grad


def test_split_batch_over_fused_equals_the_plain_model(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")

    def build():
        return conv_autoencoder(rng=np.random.default_rng(6), dtype=np.float64)

    plain, fast = _pair(build, FastEngine(chunk_bytes=1))
    split = SplitBatch(Fused(fast), 2)
    rng = np.random.default_rng(7)
    x = rng.random((6, 1, 28, 28))
    dy = rng.standard_normal((6, 1, 28, 28))
    assert relative_error(split.forward(x), plain.forward(x)) < TOL
    assert split.backward(dy) is None  # the first convolution skips its input gradient
    plain.backward(dy)
    for name, g in plain.grads.items():
        assert relative_error(split.grads[name], g) < TOL, name


def test_outputs_are_fresh_and_the_model_is_unchanged(tmp_path):
    model = conv_autoencoder(rng=np.random.default_rng(8)).use_engine(FastEngine())
    names = list(model.params)
    text = model.summary((1, 28, 28), print_fn=None)
    fused = Fused(model)
    assert list(fused.params) == names and fused.params["encoder.0.W"] is \
        model.params["encoder.0.W"]
    rng = np.random.default_rng(9)
    x = rng.random((4, 1, 28, 28)).astype(np.float32)
    y1 = fused.forward(x)
    keep = y1.copy()
    fused.forward(rng.random((4, 1, 28, 28)).astype(np.float32))
    np.testing.assert_array_equal(y1, keep)
    assert model.summary((1, 28, 28), print_fn=None) == text
    assert len(model.encoder.layers) == 9 and isinstance(model.encoder.layers[1], ReLU)


def test_float32_fused_against_float64_layers():
    """The lesson model in float32, fused, against the float64 plain path: outputs to 1e-5."""
    def build(dtype):
        return conv_autoencoder(rng=np.random.default_rng(10), dtype=dtype)

    plain = build(np.float64)
    fused = Fused(build(np.float32).use_engine(FastEngine()))
    x = np.random.default_rng(11).random((4, 1, 28, 28))
    y = fused.forward(x)
    assert y.dtype == np.float32 and relative_error(y, plain.forward(x)) < 1e-5


def test_what_it_refuses():
    with pytest.raises(TypeError, match="Fused runs a Sequential"):
        Fused(Conv2D(1, 1, 3))
    fused = Fused(dense_autoencoder(4))  # no convolutions: nothing fused, still runs
    assert not any(isinstance(s, (ConvReLU, UpConv)) for s in fused.steps)
    model = conv_autoencoder(rng=np.random.default_rng(0))
    model.input_shape = (1, 28, 28)
    with pytest.raises(ValueError, match=r"input must be images \(N, 1, 28, 28\)"):
        Fused(model.use_engine(FastEngine())).forward(np.zeros((2, 1, 14, 14)))
    with pytest.raises(ValueError, match="NaN|inf|finite"):
        Fused(model).forward(np.full((2, 1, 28, 28), np.nan))


def test_scratch_is_bounded_whatever_the_batch_size():
    """A training step's scratch stops growing once chunks are full: the same at 512 and 1024
    images, and below 4 x chunk_bytes (12 MiB measured at the default 4 MiB)."""
    sizes = []
    for n in (512, 1024):
        engine = FastEngine()
        fused = Fused(conv_autoencoder(rng=np.random.default_rng(0)).use_engine(engine))
        x = np.random.default_rng(1).random((n, 1, 28, 28), dtype=np.float32)
        fused.forward(x)
        fused.backward(np.ones_like(x))
        sizes.append(engine.scratch_bytes())
    assert sizes[0] == sizes[1] <= 4 * FastEngine().chunk_bytes
