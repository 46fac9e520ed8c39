"""minae.engine.processes.SplitProcesses: the parts computed in worker processes add up to what
the whole model computes, and a failing, dead or unpicklable worker is reported, never waited on.

Float64 models, so "the same" means equal to 1e-10 (only the order of additions differs).
Every test that starts workers closes them (``with``); starting one takes about a second.
"""

import os
import signal
import time

import numpy as np
import pytest

from minae.autoencoders import conv_autoencoder, dense_autoencoder
from minae.engine import FastEngine, Fused
from minae.engine.parallel import SplitBatch
from minae.engine.processes import SplitProcesses
from minae.layers.base import Layer
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.sequential import Sequential
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam
from minae.sparse import sparse_dense_autoencoder
from minae.training import fit
from minae.vae import conv_vae, dense_vae

RTOL, ATOL = 1e-10, 1e-12


def _conv(seed=0):
    return conv_autoencoder(rng=np.random.default_rng(seed), dtype=np.float64)


def _assert_same_grads(got, want):
    assert got.keys() == want.keys()
    for name, g in want.items():
        np.testing.assert_allclose(got[name], g, rtol=RTOL, atol=ATOL, err_msg=name)


class Picky(Layer):
    """The identity, refusing values above 10 (defined at module level: pickle finds it)."""

    def forward(self, x):
        if np.any(x > 10):
            raise ValueError("Picky: a value above 10")
        return x

    def backward(self, dy):
        return dy


def test_fused_conv_autoencoder_in_three_parts_equals_the_whole_model():
    """Part sizes 3, 2, 2 (7 images, 3 processes), three batches in a row (the workers get the
    parameters each time), on the fast engine with fused steps against the plain model."""
    whole = _conv(1)
    model = _conv(1).use_engine(FastEngine())
    rng = np.random.default_rng(2)
    with SplitProcesses(Fused(model), 3) as split:
        for step in range(3):
            x, dy = rng.random((7, 1, 28, 28)), rng.standard_normal((7, 1, 28, 28))
            np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL,
                                       atol=ATOL)
            assert split.backward(dy) is None  # the first convolution skips dx
            whole.backward(dy)
            _assert_same_grads(split.grads, whole.grads)
            for p, q in zip(model.params.values(), whole.params.values(), strict=True):
                p += 0.01 * step  # as an optimizer would: in place, here only
                q += 0.01 * step
        assert len(split._workers) == 2 and all(p.is_alive() for p, _ in split._workers)
    assert split._workers == []  # closed by the with block


def test_a_dense_model_returns_the_whole_input_gradient():
    """No Conv2D first: ``backward`` returns dx of every part, joined in order."""
    rng = np.random.default_rng(3)
    whole = Sequential(Dense(6, 4, rng=np.random.default_rng(0), dtype=np.float64),
                       Dense(4, 6, rng=np.random.default_rng(1), dtype=np.float64))
    model = Sequential(Dense(6, 4, rng=np.random.default_rng(0), dtype=np.float64),
                       Dense(4, 6, rng=np.random.default_rng(1), dtype=np.float64))
    x, dy = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    with SplitProcesses(model, 2) as split:
        np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(split.backward(dy), whole.backward(dy), rtol=RTOL,
                                   atol=ATOL)
        _assert_same_grads(split.grads, whole.grads)


def test_two_epochs_of_adam_match_split_batch_in_threads():
    """fit through SplitProcesses trains to the same parameters as SplitBatch (same parts,
    same sums), and the user's model holds them."""
    x = np.random.default_rng(4).random((40, 1, 28, 28))
    models = [_conv(5), _conv(5)]
    loss = binary_cross_entropy_with_logits
    fit(SplitBatch(models[0], 2), x, optimizer=Adam(lr=1e-3), loss=loss, epochs=2,
        batch_size=16, seed=0, verbose=0)
    with SplitProcesses(models[1], 2) as split:
        fit(split, x, optimizer=Adam(lr=1e-3), loss=loss, epochs=2, batch_size=16, seed=0,
            verbose=0)
    for name, p in models[0].params.items():
        np.testing.assert_allclose(models[1].params[name], p, rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_after_an_error_the_next_batch_is_computed_right():
    """A wrong-shaped input fails here first (part 0); the worker's late reply to that call is
    read and dropped, so the next call's answer is its own."""
    whole, model = _conv(6), _conv(6)
    x = np.random.default_rng(7).random((4, 1, 28, 28))
    with SplitProcesses(model, 2) as split:
        split.forward(x)
        with pytest.raises(ValueError, match="input"):
            split.forward(np.zeros((4, 1, 27, 27)))
        np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL, atol=ATOL)


def test_a_worker_error_is_raised_here_with_its_traceback():
    """A layer that refuses values above 10 meets one in part 1 only: the error names the
    worker and carries the layer's own message and traceback."""
    model = Sequential(Picky(), Dense(4, 4, rng=np.random.default_rng(0)))
    x = np.zeros((4, 4), dtype=np.float32)
    x[3, 0] = 11.0  # rows 2 and 3 are part 1, sent to the first worker
    with SplitProcesses(model, 2) as split:
        with pytest.raises(RuntimeError, match=r"(?s)worker process 1 failed:.*Traceback.*"
                                               "Picky: a value above 10"):
            split.forward(x)
        x[3, 0] = 0.0
        assert split.forward(x).shape == (4, 4)  # and it goes on answering


def test_a_killed_worker_is_reported_not_waited_on():
    model = _conv(10)
    x = np.random.default_rng(11).random((4, 1, 28, 28))
    with SplitProcesses(model, 2) as split:
        split.forward(x)
        process = split._workers[0][0]
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)
        start = time.monotonic()
        with pytest.raises(RuntimeError, match="worker process 1 stopped"):
            split.forward(x)
            split.forward(x)  # the first call may still fit in the pipe's buffer
        assert time.monotonic() - start < 10


def test_workers_ignore_ctrl_c():
    """Ctrl-C reaches every process of the terminal's group: the workers leave it to the
    training loop here (which finishes the update first), and keep answering."""
    whole, model = _conv(12), _conv(12)
    x = np.random.default_rng(13).random((4, 1, 28, 28))
    with SplitProcesses(model, 2) as split:
        split.forward(x)
        os.kill(split._workers[0][0].pid, signal.SIGINT)
        time.sleep(0.2)
        np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL, atol=ATOL)


def test_a_model_that_cannot_be_pickled_is_refused_with_the_way_out():
    def make():
        class Inside(Picky):  # defined in a function: pickle cannot find it
            pass
        return Sequential(Dense(4, 4, rng=np.random.default_rng(0)), Inside())

    split = SplitProcesses(make(), 2)
    with pytest.raises(TypeError, match=r"cannot be sent to a worker process.*\.py file"):
        split.forward(np.zeros((2, 4), dtype=np.float32))
    assert split._workers == []


@pytest.mark.parametrize("model, processes, error, match", [
    (sparse_dense_autoencoder(8, rng=np.random.default_rng(0)), 2, TypeError,
     "only the VAEs' own loss is split"),
    (Sequential(Dense(4, 4, rng=np.random.default_rng(0)), Dropout(0.5)), 2, ValueError,
     "Dropout"),
    (dense_autoencoder(rng=np.random.default_rng(0)), 0, ValueError,
     "SplitProcesses processes must be a positive integer"),
    (Dense(4, 4, rng=np.random.default_rng(0)), 2, TypeError, "made of layers"),
])
def test_what_cannot_be_split_is_refused_before_any_process_starts(model, processes, error,
                                                                     match):
    with pytest.raises(error, match=match):
        SplitProcesses(model, processes)


def test_one_process_runs_here_and_starts_no_worker():
    whole, model = _conv(14), _conv(14)
    x = np.random.default_rng(15).random((3, 1, 28, 28))
    split = SplitProcesses(model, 1)
    np.testing.assert_allclose(split.forward(x), whole.forward(x), rtol=RTOL, atol=ATOL)
    assert split._workers == []


def test_a_layer_the_worker_cannot_import_is_reported_with_the_way_out(monkeypatch):
    """A class pickle finds here but a fresh Python cannot import (as one defined in a
    notebook): the worker says so at start, and the error says where to define it."""
    import sys
    import types

    ghost_module = types.ModuleType("minae_test_ghost")

    class Ghost(Picky):
        pass

    Ghost.__module__, Ghost.__qualname__ = "minae_test_ghost", "Ghost"
    ghost_module.Ghost = Ghost
    monkeypatch.setitem(sys.modules, "minae_test_ghost", ghost_module)
    split = SplitProcesses(Sequential(Dense(4, 4, rng=np.random.default_rng(0)), Ghost()), 2)
    with pytest.raises(TypeError, match=r"(?s)could not load the model.*\.py file.*"
                                        "minae_test_ghost"):
        split.forward(np.zeros((2, 4), dtype=np.float32))
    assert split._workers == []


def test_a_script_without_a_main_guard_fails_fast_and_says_why(tmp_path):
    """The worker imports the script, which starts training again at import: the worker
    fails, and the script ends with the reason instead of waiting."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import numpy as np\n"
        "from minae.autoencoders import dense_autoencoder\n"
        "from minae.engine.processes import SplitProcesses\n"
        "split = SplitProcesses(dense_autoencoder(2, (8,), rng=np.random.default_rng(0)), 2)\n"
        "split.forward(np.zeros((4, 784), dtype=np.float32))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr.strip().splitlines()[-1]


def test_it_warns_when_blas_cannot_be_held_to_one_thread(monkeypatch):
    """No threadpoolctl, no OpenBLAS, no variable: BLAS's threads would fight the processes."""
    from minae.engine import parallel

    monkeypatch.setattr(parallel, "one_blas_thread", lambda: None)
    with pytest.warns(RuntimeWarning, match=r"SplitProcesses: BLAS cannot be held.*"
                                            "processes=1"):
        SplitProcesses(_conv(16), 2)


def _vaes(kind, seed=20):
    if kind == "dense":
        return [dense_vae(latent_dim=3, hidden=16, rng=np.random.default_rng(seed),
                          dtype=np.float64) for _ in range(2)]
    return [conv_vae(hidden=8, channels=(4, 8), rng=np.random.default_rng(seed),
                     dtype=np.float64, sigma=0.5, likelihood="gaussian", learn_sigma=True)
            for _ in range(2)]


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_a_vae_split_in_three_computes_what_the_whole_vae_computes(kind):
    """The noise is drawn here for the whole batch from the VAE's own generator, as the whole
    VAE draws it, so the loss, its parts, every gradient (the learned sigma's too) and dx
    equal the whole model's; 7 images in parts of 3, 2 and 2, two batches."""
    whole, model = _vaes(kind)
    rng = np.random.default_rng(21)
    with SplitProcesses(model, 3) as split:
        for _ in range(2):
            x = rng.random((7, 1, 28, 28))
            got, want = split.loss(x), whole.loss(x)
            np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
            for key in want[1]:
                np.testing.assert_allclose(got[1][key], want[1][key], rtol=1e-12, err_msg=key)
            np.testing.assert_allclose(split.backward(), whole.backward(), rtol=RTOL,
                                       atol=ATOL)
            _assert_same_grads(split.grads, whole.grads)
            for p, q in zip(model.params.values(), whole.params.values(), strict=True):
                p *= 0.99  # an update made here reaches the workers and the local copy
                q *= 0.99


def test_fit_trains_a_split_vae_to_the_unsplit_parameters():
    """fit sees a model with its own loss (kind (b)); two epochs of Adam, as the whole VAE."""
    x = np.random.default_rng(22).random((30, 1, 28, 28))
    whole, model = _vaes("dense", 23)
    fit(whole, x, optimizer=Adam(lr=1e-2), epochs=2, batch_size=8, seed=0, verbose=0)
    with SplitProcesses(model, 2) as split:
        h = fit(split, x, optimizer=Adam(lr=1e-2), epochs=2, batch_size=8, seed=0, verbose=0)
    assert set(h.parts) == {"reconstruction", "kl"}
    for name, p in whole.params.items():
        np.testing.assert_allclose(model.params[name], p, rtol=1e-9, atol=1e-12, err_msg=name)


def test_backward_without_dy_needs_a_vae_loss_first():
    with SplitProcesses(_conv(24), 2) as split:
        split.forward(np.zeros((2, 1, 28, 28)))
        with pytest.raises(RuntimeError, match="no dy, after a forward of 2 rows"):
            split.backward()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc/PID/status (Linux)")
def test_workers_start_with_ctrl_c_ignored_and_the_handler_here_is_restored():
    """A worker's Python starts with SIGINT ignored (inherited), so a Ctrl-C during its start
    cannot kill it; this process's own handler is back afterwards."""
    before = signal.getsignal(signal.SIGINT)
    with SplitProcesses(_conv(25), 2) as split:
        split.forward(np.zeros((2, 1, 28, 28)))
        pid = split._workers[0][0].pid
        with open(f"/proc/{pid}/status") as f:
            ignored = int(next(line for line in f if line.startswith("SigIgn:")).split()[1], 16)
        assert ignored & (1 << (signal.SIGINT - 1))
    assert signal.getsignal(signal.SIGINT) is before
