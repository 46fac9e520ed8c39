"""The divergence guard: a non-finite loss stops training before that batch's update."""

import numpy as np
import pytest
from training_models import assert_params_equal, dense_ae, low_rank_data, snapshot

from minae.losses import mse
from minae.optim import Adam
from minae.training import TrainingDivergedError, fit, guard


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_agrees_with_isfinite_even_when_the_sum_overflows(dtype):
    rng = np.random.default_rng(1)
    big = np.finfo(dtype).max / 4
    cases = [rng.normal(size=50).astype(dtype), np.full(10, big, dtype=dtype),  # sum overflows
             np.array([1.0, np.nan], dtype=dtype), np.array([np.inf, -np.inf], dtype=dtype),
             np.array([np.inf, 1.0], dtype=dtype), np.zeros(0, dtype=dtype)]
    for a in cases:
        assert guard.all_finite(a) == bool(np.isfinite(a).all()), a


def test_describe_nonfinite_counts_both_kinds():
    a = np.array([np.nan, np.nan, np.inf, -np.inf, 1.0])
    assert guard.describe_nonfinite(a) == "2 NaN and 2 inf of 5 entries"
