"""Ctrl-C during fit: stop after the batch, never mid-update, weights kept."""

import os
import signal

import numpy as np
import pytest
from training_models import assert_params_equal, dense_ae, low_rank_data, snapshot

from minae.losses import mse
from minae.optim import SGD, Adam
from minae.training import fit


@pytest.mark.parametrize("where", ["transform", "forward"])
def test_keyboard_interrupt_keeps_the_finished_batches(where, capsys):
    x = low_rank_data(n=100)
    model = dense_ae()
    count = {"n": 0}
    snap = {}

    def maybe_interrupt():
        count["n"] += 1
        if count["n"] == 4 + 3:  # epoch 2, batch 3: batches 1 and 2 of it are done
            snap.update(snapshot(model))
            raise KeyboardInterrupt

    transform = None
    if where == "transform":
        def transform(xb, rng):
            maybe_interrupt()
            return xb
    else:
        forward = model.forward

        def interrupting_forward(xb):
            if model.training:  # count training batches, not validation ones
                maybe_interrupt()
            return forward(xb)
        model.forward = interrupting_forward

    h = fit(model, x, loss=mse, transform=transform, optimizer=Adam(1e-2), epochs=5,
            batch_size=25, seed=0, validation=(x[:10],), verbose=1)
    assert h.interrupted and not h.stopped_early
    assert_params_equal(model, snap)
    assert len(h) == 2 and np.isfinite(h.loss[1])  # epoch 2 recorded with its 2 batches
    assert np.isnan(h.val_loss[1])
    out = capsys.readouterr().out
    assert "interrupted during epoch 2, after batch 2/4" in out


def test_keyboard_interrupt_from_a_callback():
    x = low_rank_data(n=50)

    def stop(epoch, history, model):
        if epoch == 1:
            raise KeyboardInterrupt

    h = fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=5, batch_size=25,
            on_epoch_end=stop, verbose=0)
    assert h.interrupted and len(h) == 2


def test_ctrl_c_during_the_update_waits_for_the_whole_step():
    """A real SIGINT in the middle of optimizer.step: every parameter still gets its update."""
    x = low_rank_data(n=100)
    model = dense_ae()

    class SignallingSGD(SGD):
        def __init__(self, lr):
            super().__init__(lr)
            self.completed = []

        def step(self, m):
            before = snapshot(m)
            if self.steps == 2:  # the third batch
                os.kill(os.getpid(), signal.SIGINT)
            super().step(m)
            self.completed.append(all(not np.array_equal(m.params[k], before[k])
                                      for k in before))

    opt = SignallingSGD(0.1)
    handler = signal.getsignal(signal.SIGINT)
    h = fit(model, x, loss=mse, optimizer=opt, epochs=3, batch_size=25, seed=0, verbose=0)
    assert h.interrupted and opt.steps == 3 and all(opt.completed)
    assert len(h) == 1  # epoch 1, with the 3 batches that were applied
    assert signal.getsignal(signal.SIGINT) is handler
