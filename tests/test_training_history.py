"""History and the running mean: sample-weighted epoch means, parts aligned with NaN gaps."""

import math

import numpy as np
import pytest

from minae.training import History, RunningMean


def test_running_mean_weights_each_batch_by_its_size():
    rng = np.random.default_rng(0)
    values, sizes = rng.random(7), rng.integers(1, 50, size=7)
    mean = RunningMean()
    assert math.isnan(mean.value)
    for v, n in zip(values, sizes, strict=True):
        mean.add(float(v), {"a": 2 * float(v)}, int(n))
    expected = float(np.sum(values * sizes) / np.sum(sizes))
    assert mean.value == pytest.approx(expected, rel=1e-12)
    assert mean.parts()["a"] == pytest.approx(2 * expected, rel=1e-12)
    assert (mean.batches, mean.samples) == (7, int(sizes.sum()))


def test_a_part_missing_in_some_epochs_is_nan_there_and_every_curve_has_one_entry_per_epoch():
    h = History()
    for epoch, parts in enumerate([{"kl": 1.0}, {}, {"kl": 3.0, "recon": 4.0}]):
        mean = RunningMean()
        mean.add(1.0 + epoch, parts, 10)
        h.record(mean, (0.5, parts), True, lr=1e-3, seconds=2.0, train_seconds=1.0)
    assert len(h) == 3
    assert h.parts["kl"][0] == 1.0 and math.isnan(h.parts["kl"][1])
    assert math.isnan(h.parts["recon"][0]) and h.parts["recon"][2] == 4.0
    assert h.samples_per_second == [10.0] * 3
    assert all(len(v) == 3 for v in h.as_dict().values())
    assert set(h.as_dict()) >= {"loss", "val_loss", "kl", "val_kl", "recon", "lr"}
