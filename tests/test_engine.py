"""minae.engine.FastEngine: settings on the object, scratch per engine and per thread,
use_engine on layers and containers, and SplitBatch's copies sharing one engine."""

import copy
import threading

import numpy as np
import pytest

from minae.autoencoders import conv_autoencoder
from minae.engine import FastEngine
from minae.engine.parallel import SplitBatch, leaves
from minae.kernels import reference as ref
from minae.layers.conv import Conv2D
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential

TOL = 1e-10
HYPER = ((2, 2), (1, 1, 1, 1), (1, 1))  # stride 2: the chunked road only


def test_two_engines_in_two_threads_keep_their_own_chunk_setting():
    """Two threads at once, each with its own engine: one image per chunk vs the whole batch.
    The scratch a thread holds afterwards shows the chunk it used (buffers grow with the
    images per chunk: N times for the whole batch of N), and neither thread's setting leaks
    into the other's."""
    rng = np.random.default_rng(0)
    N = 6
    x, w = rng.standard_normal((N, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
    engines = {"one": FastEngine(chunk_bytes=1), "all": FastEngine(chunk_bytes=2**30)}
    held, errors = {}, []
    start = threading.Barrier(2)

    def work(name):
        try:
            engine = engines[name]
            start.wait()
            for _ in range(30):
                y = engine.conv2d(x, w, *HYPER)
                np.testing.assert_allclose(y, ref.conv2d_reference(x, w, *HYPER), atol=TOL)
            held[name] = engine.scratch_bytes()
            held[name + " chunks"] = len(engine.chunks(N, 1000))
        except Exception as e:  # reported below, in the test's own thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert held["one chunks"] == N and held["all chunks"] == 1
    assert held["one"] > 0 and held["all"] == N * held["one"]


def test_scratch_is_per_thread_and_released():
    """A thread's scratch is its own: another thread sees none until it runs a pass, and
    release_scratch frees only the calling thread's."""
    engine = FastEngine()
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3))
    engine.conv2d(x, w, *HYPER)
    assert engine.scratch_bytes() > 0
    seen = []
    t = threading.Thread(target=lambda: seen.append(engine.scratch_bytes()))
    t.start()
    t.join()
    assert seen == [0]
    assert FastEngine().scratch_bytes() == 0  # another engine: other buffers
    engine.release_scratch()
    assert engine.scratch_bytes() == 0


@pytest.mark.parametrize("kwargs, error, words", [
    ({"chunk_bytes": 0}, ValueError, "chunk_bytes"),
    ({"chunk_bytes": 2.5}, ValueError, "chunk_bytes"),
    ({"flat_max_channels": "16"}, TypeError, "flat_max_channels"),
])
def test_bad_settings_are_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        FastEngine(**kwargs)


def test_use_engine_reaches_every_kernel_layer_and_returns_the_model():
    """use_engine returns the model; every conv/pool/upsample layer holds the engine, other
    layers hold none; use_engine(None) goes back to the plain path."""
    model = conv_autoencoder(rng=np.random.default_rng(2))
    engine = FastEngine()
    assert model.use_engine(engine) is model
    kernel_layers = [leaf for leaf in leaves(model) if leaf.has_kernels]
    assert any(isinstance(leaf, Conv2D) for leaf in kernel_layers)
    assert all(leaf.engine is engine for leaf in kernel_layers)
    assert all(not hasattr(leaf, "engine") for leaf in leaves(model) if not leaf.has_kernels)
    model.use_engine(None)
    assert all(leaf.engine is None for leaf in kernel_layers)


def test_plain_and_fast_paths_agree_on_a_model():
    """The lesson's conv autoencoder in float64: same output and gradients on both paths."""
    rng = np.random.default_rng(3)
    model = conv_autoencoder(rng=rng, dtype=np.float64)
    x = rng.random((3, 1, 28, 28))
    y0 = model.forward(x)
    dy = rng.standard_normal(y0.shape)
    model.backward(dy)
    g0 = {k: v.copy() for k, v in model.grads.items()}
    model.use_engine(FastEngine())
    np.testing.assert_allclose(model.forward(x), y0, atol=1e-9)
    model.backward(dy)
    for k, v in model.grads.items():
        np.testing.assert_allclose(v, g0[k], atol=1e-9, err_msg=k)


def test_copies_of_a_model_share_its_engine():
    """deepcopy (what SplitBatch does) keeps the one engine; SplitBatch.use_engine sets it on
    the model and every replica."""
    model = Sequential(Conv2D(1, 2, 3, rng=np.random.default_rng(4)), Dense(2, 3))
    engine = FastEngine()
    model.use_engine(engine)
    assert copy.deepcopy(model).layers[0].engine is engine
    split = SplitBatch(Sequential(Conv2D(1, 2, 3, rng=np.random.default_rng(5))), threads=2)
    other = FastEngine()
    assert split.use_engine(other) is split
    assert all(leaves(r)[0].engine is other for r in [split.model, *split.replicas])


LESSON_LAYERS = [  # (C, F, size, kernel, stride, padding): the lesson's and conv_vae's layers
    (1, 16, 28, 3, 1, (1, 1, 1, 1)), (16, 8, 14, 3, 1, (1, 1, 1, 1)),
    (8, 8, 7, 3, 1, (1, 1, 1, 1)), (8, 8, 4, 3, 1, (1, 1, 1, 1)), (8, 8, 8, 3, 1, (1, 1, 1, 1)),
    (8, 16, 16, 3, 1, (0, 0, 0, 0)), (16, 1, 28, 3, 1, (1, 1, 1, 1)),
    (1, 32, 28, 4, 2, (1, 1, 1, 1)), (32, 64, 14, 4, 2, (1, 1, 1, 1)),
]
FLOAT32_ERROR = 1e-5  # max-norm relative error, float32 engine vs float64 loops (seen: < 1e-6)


@pytest.mark.parametrize("C, F, size, k, s, pads", LESSON_LAYERS)
def test_float32_error_against_the_float64_loops_on_the_lesson_layers(C, F, size, k, s, pads):
    """The engine in float32 (what training runs) against the loops in float64, all three
    passes: every relative error below FLOAT32_ERROR."""
    rng = np.random.default_rng(C * 100 + F)
    x = rng.standard_normal((1, C, size, size))
    w = rng.standard_normal((F, C, k, k))
    hyper = ((s, s), pads, (1, 1))
    y = ref.conv2d_reference(x, w, *hyper)
    dy = rng.standard_normal(y.shape)
    dx = ref.conv2d_input_grad_reference(dy, w, x.shape, *hyper)
    dw = ref.conv2d_weight_grad_reference(x, dy, (k, k), *hyper)
    e = FastEngine()
    x32, w32, dy32 = (a.astype(np.float32) for a in (x, w, dy))
    got = {"y": e.conv2d(x32, w32, *hyper), "dx": e.conv2d_dx(dy32, w32, x.shape, *hyper),
           "dw": e.conv2d_dw(x32, dy32, (k, k), *hyper)}
    for name, want in (("y", y), ("dx", dx), ("dw", dw)):
        a = got[name]
        assert a.dtype == np.float32, name
        err = np.max(np.abs(a - want)) / (np.max(np.abs(a)) + np.max(np.abs(want)))
        assert err < FLOAT32_ERROR, (name, err)
