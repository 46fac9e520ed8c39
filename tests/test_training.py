"""The mini-batch iterator and the fit loop: the three kinds of training, history, stopping."""

import io
import os
import signal

import numpy as np
import pytest

from minae.layers.activations import ReLU
from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.sequential import Sequential
from minae.losses import binary_cross_entropy_with_logits, mse
from minae.optim import SGD, Adam, StepLR
from minae.training import History, TrainingDivergedError, batches, fit

D = 12


def low_rank_data(n=256, seed=0, dtype=np.float64):
    """``n`` samples in R^12 that lie near a 3-dimensional subspace."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    a = rng.normal(size=(3, D)) / np.sqrt(3)
    return (z @ a + 0.01 * rng.normal(size=(n, D))).astype(dtype)


def dense_ae(seed=0, dtype=np.float64, hidden=8, code=3):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(D, hidden, rng=rng, dtype=dtype), ReLU(),
                      Dense(hidden, code, rng=rng, dtype=dtype),
                      Dense(code, hidden, rng=rng, dtype=dtype), ReLU(),
                      Dense(hidden, D, rng=rng, dtype=dtype))


def snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def assert_params_equal(model, snap):
    assert set(model.params) == set(snap)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, snap[k], err_msg=k)


class OwnLossAE:
    """Kind (b): a linear autoencoder that computes its own loss (MSE + an L2 penalty).

    ``loss(x, *extra)`` returns ``(value, {"recon": .., "l2": ..})``; ``backward()`` takes no
    argument. ``seen_extra`` records the extra arrays it was given.
    """

    def __init__(self, seed=0, wd=1e-3):
        rng = np.random.default_rng(seed)
        self.net = Sequential(Dense(D, 3, rng=rng, dtype=np.float64),
                              Dense(3, D, rng=rng, dtype=np.float64))
        self.wd = wd
        self.training = True
        self.seen = []  # (x_batch, extra_batches) per call

    @property
    def params(self):
        return self.net.params

    @property
    def grads(self):
        return self.net.grads

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def loss(self, x, *extra):
        self.seen.append((x.copy(), tuple(e.copy() for e in extra)))
        recon, self._grad = mse(self.net.forward(x), x)
        w = self.net.layers[1].params["W"]
        l2 = 0.5 * self.wd * float(np.sum(w * w))
        return recon + l2, {"recon": recon, "l2": l2}

    def backward(self):
        self.net.backward(self._grad)
        dec = self.net.layers[1]
        dec.grads["W"] = dec.grads["W"] + self.wd * dec.params["W"]


class TTY(io.StringIO):
    def isatty(self):
        return True


# ----------------------------------------------------------------------------- batches

def test_batches_visit_every_sample_once_per_epoch():
    rng = np.random.default_rng(0)
    idx = list(batches(10, 3, rng=rng))
    assert [len(b) for b in idx] == [3, 3, 3, 1]
    assert sorted(np.concatenate(idx).tolist()) == list(range(10))


def test_batches_reproducible_for_a_seed_and_different_between_epochs():
    def two_epochs(seed):
        rng = np.random.default_rng(seed)
        return [np.concatenate(list(batches(50, 8, rng=rng))) for _ in range(2)]

    a, b = two_epochs(1), two_epochs(1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], two_epochs(2)[0])


def test_batches_drop_last():
    kept = list(batches(10, 3, rng=np.random.default_rng(0), drop_last=True))
    assert [len(b) for b in kept] == [3, 3, 3]
    assert len(set(np.concatenate(kept).tolist())) == 9
    assert [len(b) for b in batches(9, 3, shuffle=False, drop_last=True)] == [3, 3, 3]
    assert list(batches(2, 3, drop_last=True)) == []


def test_batches_of_arrays_stay_aligned_and_ordered_without_shuffle():
    x = np.arange(7.0)[:, None] * np.ones((1, 2))
    labels = np.arange(7)
    for xb, lb in batches((x, labels), 3, rng=np.random.default_rng(3)):
        np.testing.assert_array_equal(xb[:, 0], lb)
    ordered = list(batches(x, 3, shuffle=False))
    np.testing.assert_array_equal(np.concatenate(ordered), x)
    np.testing.assert_array_equal(np.concatenate(list(batches(7, 3, shuffle=False))),
                                  np.arange(7))


def test_batches_errors():
    with pytest.raises(ValueError, match=r"share their first axis; got shapes \[\(3,\), \(4,\)\]"):
        batches((np.zeros(3), np.zeros(4)), 2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        batches(5, 0)
    with pytest.raises(TypeError, match="np.random.Generator"):
        batches(5, 2, rng=42)


# ----------------------------------------------------------------------------- fit (a)

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_halves_the_loss_of_a_dense_autoencoder(dtype):
    x = low_rank_data(dtype=dtype)
    model = dense_ae(dtype=dtype)
    before, _ = mse(model.forward(x), x)
    h = fit(model, x, loss=mse, optimizer=Adam(lr=1e-2), epochs=15, batch_size=32, seed=0,
            verbose=0)
    after, _ = mse(model.forward(x), x)
    assert after < 0.5 * before
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert len(h) == 15 and not h.interrupted and not h.stopped_early
    assert all(p.dtype == dtype for p in model.params.values())


def test_fit_default_loss_is_bce_with_logits():
    x = 1 / (1 + np.exp(-3 * low_rank_data()))  # values in (0, 1)
    model = dense_ae()
    before, _ = binary_cross_entropy_with_logits(model.forward(x), x)
    h = fit(model, x, optimizer=Adam(lr=1e-2), epochs=5, batch_size=32, seed=0, verbose=0)
    after, _ = binary_cross_entropy_with_logits(model.forward(x), x)
    assert after < before
    assert h.loss[0] == pytest.approx(before, rel=0.2)  # the same loss, not MSE


def test_fit_with_explicit_targets():
    x = low_rank_data()
    y = x[:, ::-1].copy()
    model = dense_ae()
    h = fit(model, x, y, loss=mse, optimizer=Adam(lr=1e-2), epochs=3, seed=0, verbose=0)
    assert h.loss[-1] < h.loss[0]


def test_same_seed_gives_the_same_weights():
    x = low_rank_data()
    models = [dense_ae(seed=5) for _ in range(2)]
    for m in models:
        fit(m, x, loss=mse, optimizer=Adam(1e-2), epochs=2, batch_size=20, seed=7, verbose=0)
    assert_params_equal(models[0], snapshot(models[1]))


# ----------------------------------------------------------------------------- fit (b)

@pytest.mark.parametrize("loss", [None, "auto"])
def test_fit_model_with_its_own_loss_averages_the_parts(loss):
    x = low_rank_data()
    model = OwnLossAE()
    h = fit(model, x, loss=loss, optimizer=Adam(1e-2), epochs=4, batch_size=50, seed=0,
            validation=(x[:70],), verbose=0)
    assert set(h.parts) == {"recon", "l2"} and set(h.val_parts) == {"recon", "l2"}
    for e in range(4):  # the loss is recon + l2, batch by batch, so their means add up too
        assert h.loss[e] == pytest.approx(h.parts["recon"][e] + h.parts["l2"][e], rel=1e-12)
        assert h.val_loss[e] == pytest.approx(h.val_parts["recon"][e] + h.val_parts["l2"][e])
    assert h.parts["recon"][-1] < h.parts["recon"][0]
    d = h.as_dict()
    assert {"loss", "val_loss", "recon", "l2", "val_recon", "val_l2", "lr"} <= set(d)
    assert all(len(v) == 4 for v in d.values())


def test_extra_arrays_are_sliced_with_the_same_indices():
    x = low_rank_data(n=40)
    x[:, 0] = np.arange(40)  # sample i carries its index
    labels = np.arange(40)
    model = OwnLossAE()
    fit(model, x, extra=(labels,), optimizer=SGD(1e-4), epochs=2, batch_size=16, seed=0,
        validation=(x[:10], None, labels[:10]), verbose=0)
    assert len(model.seen) == 2 * 3 + 2 * 1  # 3 training batches and 1 validation batch
    for xb, (lb,) in model.seen:
        np.testing.assert_array_equal(xb[:, 0], lb)


def test_extra_arrays_reach_forward_in_kind_a():
    class Conditional(Sequential):
        def forward(self, x, labels):
            self.labels_seen = labels
            return super().forward(x)

    rng = np.random.default_rng(0)
    model = Conditional(Dense(D, D, rng=rng, dtype=np.float64))
    x = low_rank_data(n=30)
    fit(model, x, extra=(np.arange(30),), loss=mse, optimizer=SGD(0.01), batch_size=30,
        shuffle=False, verbose=0)
    np.testing.assert_array_equal(model.labels_seen, np.arange(30))


# ----------------------------------------------------------------------------- fit (c)

def test_transform_noises_the_input_only_and_afresh_each_epoch():
    x = low_rank_data(n=40)
    seen = []  # (clean batch, noisy batch, target) for each batch

    def noisy(xb, rng):
        out = xb + 0.5 * rng.normal(size=xb.shape)
        seen.append([xb.copy(), out.copy(), None])
        return out

    def recording_mse(out, target):
        seen[-1][2] = target.copy()
        return mse(out, target)

    fit(dense_ae(), x, loss=recording_mse, transform=noisy, optimizer=Adam(1e-3), epochs=2,
        batch_size=40, shuffle=False, seed=0, verbose=0)
    assert len(seen) == 2
    for clean, noised, target in seen:
        np.testing.assert_array_equal(clean, x)
        np.testing.assert_array_equal(target, x)  # the target stays clean
        assert not np.allclose(noised, clean)
    assert not np.allclose(seen[0][1], seen[1][1])  # fresh noise in the second epoch


# ----------------------------------------------------------------------------- validation

def test_validation_uses_eval_mode_and_the_same_loss():
    x = low_rank_data()
    rng = np.random.default_rng(0)
    model = Sequential(Dense(D, 16, rng=rng, dtype=np.float64), Dropout(0.5, rng=rng),
                       Dense(16, D, rng=rng, dtype=np.float64))
    x_val, y_val = x[:37], x[:37] * 0.5
    h = fit(model, x, loss=mse, optimizer=Adam(1e-2), epochs=2, batch_size=10, seed=0,
            validation=(x_val, y_val), verbose=0)
    assert model.training  # the mode it had before fit
    model.eval()  # dropout off: a deterministic, full-batch value to compare against
    expected, _ = mse(model.forward(x_val), y_val)
    assert h.val_loss[-1] == pytest.approx(expected, rel=1e-12)
    assert len(h.val_loss) == 2


def test_history_and_callback_contents():
    x = low_rank_data(n=100)
    model = dense_ae()
    calls = []

    def callback(epoch, history, m):
        assert isinstance(history, History) and m is model
        calls.append((epoch, len(history), history.loss[-1]))

    opt = SGD(lr=1.0)  # the schedule sets the rate
    h = fit(model, x, loss=mse, optimizer=opt, epochs=4, batch_size=30, seed=0,
            on_epoch_end=callback, lr_schedule=StepLR(0.01, step_size=2, gamma=0.5), verbose=0)
    assert [c[:2] for c in calls] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert [c[2] for c in calls] == h.loss
    assert h.lr == [0.01, 0.01, 0.005, 0.005] and opt.lr == 0.005
    assert len(h.seconds) == len(h.samples_per_second) == 4
    assert all(s > 0 for s in h.seconds) and all(r > 0 for r in h.samples_per_second)
    assert h.val_loss == [] and h.parts == {}


def test_callback_returning_true_stops_training(capsys):
    x = low_rank_data(n=60)
    h = fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=10, batch_size=30,
            seed=0, on_epoch_end=[lambda e, h, m: None, lambda e, h, m: e == 2], verbose=1)
    assert len(h) == 3 and h.stopped_early and not h.interrupted
    assert "stopped by on_epoch_end after epoch 3" in capsys.readouterr().out


# ----------------------------------------------------------------------------- stopping

def test_nan_loss_stops_with_epoch_and_batch_and_keeps_last_good_weights():
    x = low_rank_data(n=100)
    model = dense_ae()
    calls = {"n": 0}
    snap = {}

    def flaky_mse(out, target):
        calls["n"] += 1
        if calls["n"] == 4 + 3:  # epoch 2 has batches 5..8 (4 per epoch); this is its 3rd
            snap.update(snapshot(model))
            return float("nan"), np.zeros_like(out)
        return mse(out, target)

    with pytest.raises(TrainingDivergedError, match=r"epoch 2, batch 3/4.*lower learning rate") \
            as info:
        fit(model, x, loss=flaky_mse, optimizer=Adam(1e-3), epochs=3, batch_size=25, seed=0,
            verbose=0)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert (err.epoch, err.batch) == (2, 3) and np.isnan(err.value)
    assert len(err.history) == 1
    assert_params_equal(model, snap)  # the NaN batch never reached the optimizer


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


# ----------------------------------------------------------------------------- progress

def test_progress_off_a_terminal_is_one_line_per_epoch(capsys):
    x = low_rank_data(n=90)
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=3, batch_size=20,
        validation=(x[:10],), verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3 and "\r" not in out
    for e, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {e}/3  loss ")
        assert "val_loss" in line and "samples/s" in line


def test_progress_on_a_terminal_redraws_the_line():
    x = low_rank_data(n=90)
    tty = TTY()
    fit(dense_ae(), x, loss=mse, optimizer=Adam(1e-3), epochs=2, batch_size=20, verbose=1,
        file=tty)
    out = tty.getvalue()
    assert out.count("\n") == 2 and "\r" in out
    assert "batch 5/5" in out and "ETA" in out
    assert out.splitlines()[-1].lstrip("\r").startswith("epoch 2/2  loss")


def test_verbose_zero_prints_nothing(capsys):
    fit(dense_ae(), low_rank_data(n=30), loss=mse, optimizer=SGD(0.01), verbose=0)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- boundary checks

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(x=np.zeros((4, D), dtype=int)), TypeError, "fit x must be a floating-point array"),
    (dict(x=np.full((4, D), np.nan)), ValueError, "fit x contains 48 NaN"),
    (dict(y=np.zeros((3, D))), ValueError, "x has 4 samples, y has shape \\(3, 12\\)"),
    (dict(epochs=0), ValueError, "fit epochs must be a positive integer; got 0"),
    (dict(batch_size=2.5), TypeError, "fit batch_size must be a positive integer; got 2.5"),
    (dict(extra=(np.zeros(3),)), ValueError, "extra\\[0\\] must have one entry per sample"),
    (dict(extra=np.zeros(4)), TypeError, "extra=\\(labels,\\)"),
    (dict(validation=(np.zeros((2, D)),) * 3), ValueError, "\\(x_val,\\) or \\(x_val, y_val\\)"),
    (dict(drop_last=True, batch_size=8), ValueError, "make no batch at all"),
    (dict(loss=None), TypeError, "Sequential has no loss method"),
    (dict(loss="mse"), ValueError, "got 'mse'"),
    (dict(seed=1, rng=np.random.default_rng(1)), ValueError, "rng or seed, not both"),
    (dict(verbose=3), ValueError, "verbose must be 0, 1 or 2; got 3"),
    (dict(optimizer=None), TypeError, "step\\(model\\)"),
])
def test_fit_checks_its_arguments_before_training(kwargs, error, message):
    model = dense_ae()
    snap = snapshot(model)
    args = dict(x=np.ones((4, D)), optimizer=SGD(0.1), verbose=0)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(model, **args)
    assert_params_equal(model, snap)


def test_own_loss_model_rejects_y():
    with pytest.raises(ValueError, match="y is not used when the model computes its own loss"):
        fit(OwnLossAE(), np.ones((4, D)), np.ones((4, D)), optimizer=SGD(0.1), verbose=0)
