"""Autoencoder models: the lesson's shapes and parameter counts, whole-model gradient checks,
the inference helpers, and that an optimizer trains them unchanged."""

import numpy as np
import pytest

from minae.autoencoders import (
    AutoEncoder,
    conv_autoencoder,
    conv_dense_autoencoder,
    deep_autoencoder,
    dense_autoencoder,
    super_resolution_autoencoder,
    super_resolution_network,
)
from minae.gradcheck import check_model
from minae.layers.activations import sigmoid
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam


def _count(part):
    return sum(p.size for p in part.params.values())


@pytest.mark.parametrize("pooling", ["keras", "pytorch"])
def test_conv_autoencoder_is_the_lessons(pooling):
    model = conv_autoencoder(pooling, rng=np.random.default_rng(0))
    assert _count(model.encoder) == 1904
    assert _count(model.decoder) == 2481
    assert model.num_parameters() == 1904 + 2481
    assert "encoder.0.W" in model.params and "decoder.0.W" in model.params
    assert model.params["encoder.0.W"].shape == (16, 1, 3, 3)
    assert set(model.params) == set(model.grads)
    x = np.random.default_rng(1).random((3, 1, 28, 28)).astype(np.float32)
    assert model.encode(x).shape == (3, 8, 4, 4)
    logits = model.forward(x)
    assert logits.shape == (3, 1, 28, 28) and logits.dtype == np.float32
    assert model.backward(np.ones_like(logits)).shape == x.shape


def test_keras_and_pytorch_pools_see_different_windows():
    a = conv_autoencoder("keras", rng=np.random.default_rng(0))
    b = conv_autoencoder("pytorch", rng=np.random.default_rng(0))
    x = np.random.default_rng(1).random((2, 1, 28, 28)).astype(np.float32)
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k])
    assert not np.allclose(a.encode(x), b.encode(x))


@pytest.mark.parametrize("factor, side", [(2, 14), (4, 7)])
def test_super_resolution_shapes(factor, side):
    x = np.random.default_rng(0).random((2, 1, side, side)).astype(np.float32)
    lesson = super_resolution_autoencoder(factor, rng=np.random.default_rng(0))
    assert lesson.num_parameters() == 1904 + 2481
    assert lesson.encode(x).shape == (2, 8, 4, 4)
    assert lesson.forward(x).shape == (2, 1, 28, 28)
    better = super_resolution_network(factor, rng=np.random.default_rng(0))
    assert better.forward(x).shape == (2, 1, 28, 28)
    assert better.encode(x).shape == (2, 32, side, side)  # no bottleneck: the full grid


@pytest.mark.parametrize("bad", [1, 3, 8, "2", True])
def test_super_resolution_refuses_factors_it_cannot_do(bad):
    with pytest.raises(ValueError, match="factor"):
        super_resolution_autoencoder(bad)
    with pytest.raises(ValueError, match="factor"):
        super_resolution_network(bad)


def test_dense_builders():
    m = dense_autoencoder(32, rng=np.random.default_rng(0))
    assert m.num_parameters() == 784 * 32 + 32 + 32 * 784 + 784
    x = np.random.default_rng(0).random((4, 1, 28, 28)).astype(np.float32)
    assert m.encode(x).shape == (4, 32)
    assert m.forward(x).shape == (4, 1, 28, 28)
    d = deep_autoencoder(32, rng=np.random.default_rng(0))
    widths = [v.shape for k, v in d.params.items() if k.endswith(".W")]
    assert widths == [(784, 128), (128, 64), (64, 32), (32, 64), (64, 128), (128, 784)]
    c = conv_dense_autoencoder(2, rng=np.random.default_rng(0))
    assert c.encode(x).shape == (4, 2)
    assert c.forward(x).shape == (4, 1, 28, 28)
    assert c.num_parameters() == 1904 + 2481 + (128 * 2 + 2) + (2 * 128 + 128)
    # the code is linear by default (PCA-comparable), ReLU on request
    r = dense_autoencoder(8, code_activation="relu", rng=np.random.default_rng(0))
    assert np.all(r.encode(x) >= 0)
    with pytest.raises(ValueError, match="code_activation"):
        dense_autoencoder(8, code_activation="tanh")
    with pytest.raises(ValueError, match="pooling"):
        conv_autoencoder("caffe")


BUILDERS = [
    ("conv keras", lambda **kw: conv_autoencoder("keras", **kw), (2, 1, 28, 28)),
    ("conv pytorch", lambda **kw: conv_autoencoder("pytorch", **kw), (2, 1, 28, 28)),
    ("sr lesson 2x", lambda **kw: super_resolution_autoencoder(2, **kw), (2, 1, 14, 14)),
    ("sr lesson 4x", lambda **kw: super_resolution_autoencoder(4, **kw), (1, 1, 7, 7)),
    ("sr network 2x", lambda **kw: super_resolution_network(2, width=8, **kw), (2, 1, 14, 14)),
    ("sr network 4x", lambda **kw: super_resolution_network(4, width=8, **kw), (1, 1, 7, 7)),
    ("dense", lambda **kw: dense_autoencoder(6, **kw), (2, 1, 28, 28)),
    ("deep", lambda **kw: deep_autoencoder(4, **kw), (2, 1, 28, 28)),
    ("conv dense 2-D", lambda **kw: conv_dense_autoencoder(2, **kw), (2, 1, 28, 28)),
]


@pytest.mark.parametrize("name, build, shape", BUILDERS, ids=[b[0] for b in BUILDERS])
def test_builders_pass_the_model_gradient_check(name, build, shape):
    rng = np.random.default_rng(42)
    model = build(rng=rng, dtype=np.float64, init="he_normal")
    assert all(p.dtype == np.float64 for p in model.params.values())
    # Random biases: with zero biases a unit whose inputs are all dead ReLUs sits exactly on
    # the next ReLU's kink (0), where finite differences are meaningless.
    for name, p in model.params.items():
        if name.endswith(".b"):
            p[...] = rng.uniform(0.05, 0.3, p.shape) * rng.choice([-1, 1], p.shape)
    x = rng.random(shape)  # continuous values: max-pool ties have probability 0
    check_model(model, x, rng=rng, max_entries=12)


def test_builders_take_init_and_rng():
    a = conv_autoencoder(rng=np.random.default_rng(3), init="pytorch")
    b = conv_autoencoder(rng=np.random.default_rng(3), init="pytorch")
    c = conv_autoencoder(rng=np.random.default_rng(3))
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert np.any(a.params["encoder.0.b"] != 0)  # PyTorch's biases are random,
    assert np.all(c.params["encoder.0.b"] == 0)  # Glorot's (Keras's) are zero


def test_inference_helpers_match_forward_and_keep_the_mode():
    model = dense_autoencoder(5, hidden=(16,), rng=np.random.default_rng(0))
    x = np.random.default_rng(1).random((7, 1, 28, 28)).astype(np.float32)
    logits = model.forward(x)
    z = model.code.copy()
    assert np.allclose(model.encode(x, batch_size=3), z, atol=1e-6)
    assert np.allclose(model.decode(z, batch_size=2), logits, atol=1e-5)
    rec = model.reconstruct(x, batch_size=4)
    assert np.allclose(rec, sigmoid(logits), atol=1e-6)
    assert rec.min() >= 0 and rec.max() <= 1
    assert np.allclose(model.generate(z), rec, atol=1e-6)
    assert model.training
    model.eval()
    model.encode(x)
    assert not model.training and not model.encoder.training


def test_model_boundary_checks():
    model = dense_autoencoder(4, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="floating-point"):
        model.forward(np.zeros((2, 1, 28, 28), dtype=np.uint8))
    bad = np.zeros((2, 1, 28, 28), dtype=np.float32)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.forward(bad)
    with pytest.raises(TypeError, match="Layer"):
        AutoEncoder("not a layer", model.decoder)


def test_an_optimizer_trains_it_unchanged():
    rng = np.random.default_rng(0)
    model = dense_autoencoder(16, hidden=(64,), rng=rng)
    x = (rng.random((64, 1, 28, 28)) > 0.7).astype(np.float32)
    opt = Adam(lr=1e-2, eps=1e-7)
    first = None
    for _ in range(30):
        value, grad = binary_cross_entropy_with_logits(model.forward(x), x, reduction="mean")
        model.backward(grad)
        opt.step(model)
        first = value if first is None else first
    assert value < 0.8 * first
    assert set(opt.state) == set(model.params)


def test_summary_names_the_code_shape():
    text = conv_autoencoder(rng=np.random.default_rng(0)).summary((1, 28, 28), print_fn=None)
    assert "code shape (8, 4, 4)" in text and "1,904 + decoder 2,481 = 4,385" in text


def test_summary_prints_once_or_returns_the_text(capsys):
    """``print_fn=print`` prints and returns None (a notebook cell shows it once);
    ``print_fn=None`` returns the same text and prints nothing; the builders' models know their
    input shape, so it may be left out."""
    model = dense_autoencoder(2, rng=np.random.default_rng(0))
    assert model.summary() is None
    printed = capsys.readouterr().out
    text = model.summary((1, 28, 28), print_fn=None)
    assert capsys.readouterr().out == "" and printed == text + "\n"
    assert "code shape (2,)" in text and "encoder:" in text and "decoder:" in text
