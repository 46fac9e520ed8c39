"""The mini-batch iterator: every sample once per pass, reproducible, aligned."""

import numpy as np
import pytest

from minae.training import batches


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
