"""The fit loop: both kinds of step, extra arrays, transforms, validation, callbacks."""

import numpy as np
import pytest
from training_models import (
    D,
    OwnLossAE,
    assert_params_equal,
    dense_ae,
    low_rank_data,
    snapshot,
)

from minae.layers.dense import Dense
from minae.layers.dropout import Dropout
from minae.layers.sequential import Sequential
from minae.losses import binary_cross_entropy_with_logits, mse
from minae.optim import SGD, Adam, StepLR
from minae.training import History, fit

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
