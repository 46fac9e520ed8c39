"""save / load: round trip, every mismatch reported at once, bad files, atomic writes."""

import os

import numpy as np
import pytest

from minae import serialization
from minae.layers.activations import ReLU
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.serialization import ParameterMismatchError, load, save


def model(seed, dims=(6, 4, 6), dtype=np.float32):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        if i:
            layers.append(ReLU())
        layers.append(Dense(a, b, rng=rng, dtype=dtype, init="he_normal"))
    for layer in layers:  # non-zero biases, so a bias that is not loaded would show
        if layer.params:
            layer.params["b"][:] = rng.normal(size=layer.params["b"].shape)
    return Sequential(*layers)


def snapshot(m):
    return {k: v.copy() for k, v in m.params.items()}


def assert_unchanged(m, snap):
    for k, v in m.params.items():
        np.testing.assert_array_equal(v, snap[k], err_msg=k)


def test_round_trip_gives_identical_outputs_and_keeps_the_arrays(tmp_path):
    a, b = model(0), model(1)
    path = tmp_path / "ae.npz"
    save(a, path)
    ids = {k: id(v) for k, v in b.params.items()}
    assert load(b, path) is b
    x = np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert {k: id(v) for k, v in b.params.items()} == ids  # copied in place, not rebound
    with np.load(path) as f:
        assert sorted(f.files) == ["0.W", "0.b", "2.W", "2.b"]


def test_path_is_used_exactly_as_given(tmp_path):
    save(model(0), tmp_path / "weights.bin")
    assert os.listdir(tmp_path) == ["weights.bin"]
    load(model(1), str(tmp_path / "weights.bin"))


def test_float64_file_loads_into_float32_model(tmp_path):
    save(model(0, dtype=np.float64), tmp_path / "m.npz")
    m = load(model(1), tmp_path / "m.npz")
    assert all(p.dtype == np.float32 for p in m.params.values())
    np.testing.assert_allclose(m.params["0.W"], model(0, dtype=np.float64).params["0.W"],
                               rtol=1e-6)


def test_every_mismatch_is_listed_and_nothing_is_loaded(tmp_path):
    path = tmp_path / "m.npz"
    save(model(0, dims=(6, 4, 6)), path)
    other = model(1, dims=(6, 5, 6, 2))  # 0.* and 2.* reshaped, 4.* not in the file
    other.params["0.b"][:] = 7.0
    snap = snapshot(other)
    with pytest.raises(ParameterMismatchError) as info:
        load(other, path)
    msg = str(info.value)
    assert "nothing was loaded" in msg and str(path) in msg
    for line in ["missing from the file: 4.W", "missing from the file: 4.b",
                 "0.W: file has shape (6, 4), model has (6, 5)",
                 "0.b: file has shape (4,), model has (5,)",
                 "2.W: file has shape (4, 6), model has (5, 6)"]:
        assert line in msg
    assert info.value.missing == ["4.W", "4.b"]
    assert "2.b" not in msg  # same shape in both: not a difference
    assert_unchanged(other, snap)


def test_extra_names_and_non_float_arrays_are_reported(tmp_path):
    path = tmp_path / "m.npz"
    m = model(0)
    arrays = {k: v for k, v in m.params.items()}
    arrays["9.W"] = np.zeros(3, np.float32)
    arrays["0.b"] = np.zeros(4, np.int64)
    np.savez(path, **arrays)
    target = model(1)
    snap = snapshot(target)
    with pytest.raises(ParameterMismatchError) as info:
        load(target, path)
    msg = str(info.value)
    assert "in the file but not in the model: 9.W" in msg
    assert "0.b: file has dtype int64, expected a float array" in msg
    assert info.value.extra == ["9.W"]
    assert_unchanged(target, snap)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match=f"no file at '{path}'"):
        load(model(0), path)


@pytest.mark.parametrize("kind", ["truncated", "text", "npy"])
def test_unreadable_files_name_the_path_and_leave_the_model_alone(tmp_path, kind):
    path = tmp_path / "m.npz"
    save(model(0), path)
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "text":
        path.write_text("these are not the weights you are looking for\n")
    else:
        with open(path, "wb") as f:
            np.save(f, np.ones(3))
    m = model(1)
    snap = snapshot(m)
    with pytest.raises(ValueError, match=f"'{path}' is not a readable .npz file"):
        load(m, path)
    assert_unchanged(m, snap)


def test_save_leaves_no_temporary_file(tmp_path):
    save(model(0), tmp_path / "m.npz")
    save(model(1), tmp_path / "m.npz")  # overwrite
    assert os.listdir(tmp_path) == ["m.npz"]
    np.testing.assert_array_equal(load(model(2), tmp_path / "m.npz").params["0.W"],
                                  model(1).params["0.W"])


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save(model(0), path)
    before = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")  # start writing, then fail like a full disk
        raise OSError("No space left on device")

    monkeypatch.setattr(serialization.np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space left"):
        save(model(1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(file, **arrays):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(model(0), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(model(0), tmp_path / "no" / "m.npz")
