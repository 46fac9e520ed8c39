"""minae.engine.parallel.SplitBatch: the split model computes what the whole model computes.

Float64 throughout, so "the same" means equal to 1e-12 (only the order of additions differs).
"""

import os
import sys

import numpy as np
import pytest

from minae import parallel as old_name
from minae.autoencoders import conv_autoencoder, dense_autoencoder
from minae.engine import FastEngine, parallel
from minae.engine.parallel import SplitBatch, auto_threads, leaves
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.sequential import Sequential
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam
from minae.training import fit
from minae.vae import dense_vae

RTOL = 1e-12


@pytest.fixture(autouse=True)
def blas_says_one_thread(monkeypatch):
    """As if Python had started with OPENBLAS_NUM_THREADS=1: SplitBatch then need not limit
    BLAS itself, so these tests behave the same with or without threadpoolctl installed."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")


def _conv_pair(seed=0):
    return (conv_autoencoder(rng=np.random.default_rng(seed), dtype=np.float64),
            conv_autoencoder(rng=np.random.default_rng(seed), dtype=np.float64))


@pytest.mark.parametrize("threads, batch", [(2, 6), (3, 7), (2, 1), (4, 3)])
def test_outputs_and_gradients_equal_the_unsplit_model(threads, batch):
    """Parts of unequal size, and fewer samples than threads, included."""
    whole, model = _conv_pair()
    split = SplitBatch(model, threads)
    rng = np.random.default_rng(1)
    x = rng.random((batch, 1, 28, 28))
    dy = rng.standard_normal((batch, 1, 28, 28))
    np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL, atol=1e-14)
    assert split.backward(dy) is None  # the first Conv2D skips dx: training never uses it
    whole.backward(dy)
    assert split.grads.keys() == whole.grads.keys()
    for name, g in whole.grads.items():
        np.testing.assert_allclose(split.grads[name], g, rtol=1e-10, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_split_model_on_a_shared_engine_equals_the_unsplit_plain_model(threads):
    """The replicas share one FastEngine (per-thread scratch): outputs and summed gradients
    equal the unsplit model's on the plain path, to 1e-10."""
    whole, model = _conv_pair(3)
    engine = FastEngine(chunk_bytes=1)  # many chunks: the threads interleave in the roads
    split = SplitBatch(model.use_engine(engine), threads)
    assert all(leaf.engine is engine for r in split.replicas for leaf in leaves(r)
               if leaf.has_kernels)
    rng = np.random.default_rng(4)
    x, dy = rng.random((5, 1, 28, 28)), rng.standard_normal((5, 1, 28, 28))
    for _ in range(3):
        np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=1e-10, atol=1e-12)
        split.backward(dy)
        whole.backward(dy)
        for name, g in whole.grads.items():
            np.testing.assert_allclose(split.grads[name], g, rtol=1e-10, atol=1e-12,
                                       err_msg=name)


def test_the_old_import_path_still_works():
    """minae.parallel re-exports minae.engine.parallel's objects (the same ones)."""
    assert old_name.SplitBatch is SplitBatch and old_name.auto_threads is auto_threads
    assert old_name.leaves is leaves and old_name.one_blas_thread is parallel.one_blas_thread


def test_input_gradient_when_the_first_layer_gives_one():
    """A dense model starts with Flatten, which passes dx on: the joined dx is the whole one."""
    whole = dense_autoencoder(8, rng=np.random.default_rng(0), dtype=np.float64)
    split = SplitBatch(dense_autoencoder(8, rng=np.random.default_rng(0), dtype=np.float64), 3)
    x = np.random.default_rng(1).random((7, 1, 28, 28))
    dy = np.random.default_rng(2).standard_normal(whole.forward(x).shape)
    split.forward(x)
    np.testing.assert_allclose(split.backward(dy), whole.backward(dy), rtol=RTOL, atol=1e-14)
    for name, g in whole.grads.items():
        np.testing.assert_allclose(split.grads[name], g, rtol=1e-10, atol=1e-14, err_msg=name)


def test_the_model_itself_keeps_its_input_gradient():
    model = conv_autoencoder(dtype=np.float64)
    split = SplitBatch(model)
    assert all(not leaves(r)[0].input_grad for r in split.replicas)
    assert leaves(model)[0].input_grad  # check_model etc. still see dx


def test_replicas_share_the_parameter_arrays():
    model = dense_autoencoder(8, rng=np.random.default_rng(0), dtype=np.float64)
    split = SplitBatch(model, 3)
    for replica in split.replicas:
        for mine, theirs in zip(leaves(replica), leaves(model), strict=True):
            for key in theirs.params:
                assert mine.params[key] is theirs.params[key]
    assert split.params.keys() == model.params.keys()


def test_fit_on_the_split_model_follows_the_same_path():
    """Two epochs of Adam: the split and the whole model end with the same weights."""
    rng = np.random.default_rng(3)
    x = rng.random((40, 1, 28, 28))
    whole, model = _conv_pair(5)
    kw = dict(loss=lambda p, t: binary_cross_entropy_with_logits(p, t, reduction="mean"),
              epochs=2, batch_size=16, seed=0, verbose=0)
    h1 = fit(whole, x, optimizer=Adam(), **kw)
    h2 = fit(SplitBatch(model), x, optimizer=Adam(), **kw)
    np.testing.assert_allclose(h2.loss, h1.loss, rtol=1e-9)
    for name, p in whole.params.items():
        np.testing.assert_allclose(model.params[name], p, rtol=1e-8, atol=1e-12, err_msg=name)


def test_train_and_eval_reach_every_replica():
    split = SplitBatch(dense_autoencoder(4, dtype=np.float64), 2)
    split.eval()
    assert not split.training and not any(r.training for r in split.replicas)
    split.train()
    assert split.training and all(r.training for r in split.replicas)


def test_what_it_refuses():
    with pytest.raises(ValueError, match="Dropout"):
        SplitBatch(Sequential(Dense(4, 4), Dropout(0.5)))
    with pytest.raises(TypeError, match="computes its own loss"):
        SplitBatch(dense_vae(2, hidden=8, input_shape=(4,)))
    with pytest.raises(TypeError, match="Container"):
        SplitBatch(Dense(4, 4))
    with pytest.raises(ValueError, match="positive integer"):
        SplitBatch(dense_autoencoder(4), 0)
    split = SplitBatch(dense_autoencoder(4, dtype=np.float64))
    with pytest.raises(RuntimeError, match="call forward first"):
        split.backward(np.zeros((3, 1, 28, 28)))


def test_without_a_way_to_hold_blas_to_one_thread_it_warns_and_auto_says_1(monkeypatch):
    for name in parallel.ONE_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # not importable
    monkeypatch.setattr(parallel.blas, "openblas_libraries", lambda: [])  # nor OpenBLAS found
    assert parallel.one_blas_thread() is None
    assert auto_threads() == 1
    with pytest.warns(RuntimeWarning, match="pip install threadpoolctl"):
        SplitBatch(dense_autoencoder(4), 2)


def test_without_threadpoolctl_openblas_own_interface_holds_blas_to_one_thread(monkeypatch):
    """Both cores without threadpoolctl: the split sets OpenBLAS to one thread through its C
    function while it runs, and restores the count after (skipped if no OpenBLAS is loaded)."""
    for name in parallel.ONE_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    libraries = parallel.blas.openblas_libraries()
    if not libraries:
        pytest.skip("no OpenBLAS loaded in this process")
    before = [lib.threads for lib in libraries]
    limit = parallel.one_blas_thread()
    assert limit is not None and auto_threads() == (os.cpu_count() or 1)
    seen = []

    class Probe(Dense):
        def forward(self, x):
            seen.append([lib.threads for lib in libraries])
            return super().forward(x)

    model = Sequential(Probe(3, 2, rng=np.random.default_rng(0), dtype=np.float64))
    split = SplitBatch(model, 2)
    split.forward(np.ones((4, 3)))
    assert seen == [[1] * len(libraries)] * 2  # both parts ran on one BLAS thread
    assert [lib.threads for lib in libraries] == before  # restored after the call


def test_with_blas_at_one_thread_auto_uses_every_core():
    assert auto_threads() == (os.cpu_count() or 1)
