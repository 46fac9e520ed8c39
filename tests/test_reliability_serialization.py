"""Reliability of save/load: a save killed outright leaves at most a temporary named after its
writer, which the next save removes (and only then, only if the writer is gone); files of
non-finite or overflowing values, zips of non-arrays and non-models are refused by name.

The killed saves are real: a child process runs ``save`` and SIGKILLs itself at a chosen
point (before writing, halfway through the archive, after the archive is complete but before
the rename), so no ``finally`` and no ``except`` runs, exactly as under ``kill -9``.
"""

import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from minae import serialization
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential
from minae.serialization import ParameterMismatchError, load, save

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and pids are POSIX here")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(6, 4, rng=rng, dtype=dtype), Dense(4, 6, rng=rng, dtype=dtype))


CHILD = """
import os, signal, sys
import numpy as np
from minae import serialization
from minae.layers.dense import Dense
from minae.layers.sequential import Sequential

path, point = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(1)
m = Sequential(Dense(6, 4, rng=rng), Dense(4, 6, rng=rng))
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
real_savez = np.savez
if point == "before_write":
    serialization.np.savez = die
elif point == "mid_write":
    def half(f, **arrays):
        f.write(b"PK\\x03\\x04" + b"x" * 100)   # the start of a zip, then gone
        f.flush()
        die()
    serialization.np.savez = half
elif point == "before_rename":
    serialization.os.replace = die
serialization.save(m, path)
"""


def killed_save(path, point):
    """Run a save in a child process that SIGKILLs itself at ``point``; return its pid."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD), str(path), point],
                           env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    return child


def temporaries(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".tmp"))


@pytest.mark.parametrize("point", ["before_write", "mid_write", "before_rename"])
@pytest.mark.parametrize("had_a_file", [False, True])
def test_a_killed_save_keeps_the_old_file_and_the_next_save_removes_its_temporary(
        tmp_path, point, had_a_file, capsys):
    path = tmp_path / "ae.npz"
    if had_a_file:
        save(model(0), path)
        before = path.read_bytes()
    killed_save(path, point)
    # the target is untouched (or still absent), and one temporary names the dead writer
    if had_a_file:
        assert path.read_bytes() == before
        load(model(5), path)  # still a good file
    else:
        assert not path.exists()
    (tmp,) = temporaries(tmp_path)
    pid = serialization.temporary_writer(str(path), tmp)
    assert pid is not None and pid != os.getpid() and not serialization.process_running(pid)
    capsys.readouterr()
    save(model(2), path)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "removed 1 temporary file(s)" in out and tmp in out
    assert sorted(os.listdir(tmp_path)) == ["ae.npz"]
    np.testing.assert_array_equal(load(model(3), path).params["0.W"], model(2).params["0.W"])


def dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_temporaries_of_dead_writers_of_the_same_file_are_removed(tmp_path, capsys):
    path = tmp_path / "ae.npz"
    dead = dead_pid()
    planted = {
        f".ae.npz.{dead}.0a1b2c3d.tmp": "removed",     # a dead writer of this file
        f".ae.npz.{os.getpid()}.0a1b2c3d.tmp": "kept",  # a live writer (this process)
        ".ae.npz.1.0a1b2c3d.tmp": "kept",               # pid 1 is alive (another user's)
        f".other.npz.{dead}.0a1b2c3d.tmp": "kept",      # another file's temporary
        f".ae.npz.{dead}.tmp": "kept",                  # not a name save makes
        "ae.npz.tmp": "kept",                           # a user's own file
    }
    for name in planted:
        (tmp_path / name).write_bytes(b"partial")
    save(model(0), path)
    out = capsys.readouterr().out
    assert f".ae.npz.{dead}.0a1b2c3d.tmp" in out and out.count("\n") == 1
    left = set(os.listdir(tmp_path))
    assert left == {"ae.npz"} | {n for n, fate in planted.items() if fate == "kept"}
    save(model(0), path, log=None)  # nothing more to remove, and nothing said
    assert capsys.readouterr().out == ""


def test_the_temporary_name_round_trips():
    name = serialization.temporary_name("/some/folder/my.model.npz", 4321, "beef")
    assert name == ".my.model.npz.4321.beef.tmp"
    assert serialization.temporary_writer("my.model.npz", name) == 4321
    assert serialization.temporary_writer("model.npz", name) is None


@pytest.mark.parametrize("value, what", [(np.nan, "1 NaN and 0 inf of 24 values"),
                                         (np.inf, "0 NaN and 1 inf of 24 values")])
def test_loading_non_finite_values_is_refused_naming_the_parameter(tmp_path, value, what):
    arrays = dict(model(0).params)
    arrays["0.W"] = arrays["0.W"].copy()
    arrays["0.W"][1, 2] = value
    np.savez(tmp_path / "m.npz", **arrays)
    target = model(1)
    before = {k: v.copy() for k, v in target.params.items()}
    with pytest.raises(ParameterMismatchError, match=f"0.W: file holds {what}"):
        load(target, tmp_path / "m.npz")
    for k, v in target.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_float64_values_that_overflow_float32_are_refused(tmp_path):
    arrays = {k: v.astype(np.float64) for k, v in model(0).params.items()}
    arrays["1.b"][0] = 1e300
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ParameterMismatchError, match=r"1.b: file holds values up to 1e\+300, "
                                                     r"which overflow the model's float32"):
        load(model(1), tmp_path / "m.npz")
    load(model(1, dtype=np.float64), tmp_path / "m.npz")  # float64 holds them: fine


def test_a_zip_of_things_that_are_not_arrays_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("README.txt", "hello")
        z.writestr("0.W.npy", "not really an array")
    with pytest.raises(ValueError, match=r"zip archive but not a file of parameters.*"
                                         r"README.txt.*not .npy arrays|not a readable .npz"):
        load(model(0), path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("README.txt", "hello")
    with pytest.raises(ValueError, match=r"member\(s\) \['README.txt'\] are not .npy arrays"):
        load(model(0), path)


@pytest.mark.parametrize("thing", [[1, 2], {"0.W": [1.0]}, "model.npz", None])
def test_save_and_load_of_something_that_is_not_a_model_raise_type_error(tmp_path, thing):
    with pytest.raises(TypeError, match="save: model must be a minae model"):
        save(thing, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []
    with pytest.raises(TypeError, match="load: model must be a minae model"):
        load(thing, tmp_path / "m.npz")


def test_arguments_swapped_are_refused_with_the_right_order(tmp_path):
    with pytest.raises(TypeError, match=r"got PosixPath. Call save\(model, path\)"):
        save(tmp_path / "m.npz", model(0))
