"""Reliability of the data package: every bad folder, file or size gets one clear error.

Each test states the rule it checks and asserts the error type and what the message names.
Unit tests make their own small IDX files in ``tmp_path``; nothing reads /usr/share or the
network (``system_dir`` is always a temporary folder; downloads go to 127.0.0.1).
"""

import errno
import gzip
import io
import os
import signal
import subprocess
import sys
import tracemalloc
import zlib

import numpy as np
import pytest
from data_helpers import http_server, serve_split, unused_url, write_split

from minae.data import (
    IDX_FILES,
    Dataset,
    DatasetUnavailableError,
    load_dataset,
    load_mnist,
    make_digits,
    read_idx,
    to_float_images,
    write_idx,
)
from minae.data.idx import CHUNK_BYTES, SLACK_BYTES

pytestmark = pytest.mark.usefixtures("isolated_data_home")


def idx_header(code, shape):
    return bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)


def gzip_of(header, payload_bytes, chunk=1 << 20):
    """A gzip stream of ``header`` followed by ``payload_bytes`` zeros, compressed piecewise."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip wrapper
    parts, zeros = [packer.compress(header)], bytes(chunk)
    for start in range(0, payload_bytes, chunk):
        parts.append(packer.compress(zeros[: min(chunk, payload_bytes - start)]))
    return b"".join(parts) + packer.flush()


def peak_bytes(fn, *args):
    """Run ``fn(*args)`` (expected to raise ValueError); return the peak traced memory."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            fn(*args)
        return tracemalloc.get_traced_memory()[1], str(info.value)
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------- decompression is bounded

def test_a_gzip_bomb_is_rejected_after_reading_little_more_than_its_header_declares(tmp_path):
    """Rule: a gzip stream is inflated only up to the size its IDX header declares (+ slack)."""
    shape = (100, 28, 28)
    declared = 16 + 100 * 28 * 28  # header + uint8 payload
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip_of(idx_header(0x08, shape), 64 << 20))  # inflates to 64 MiB
    assert path.stat().st_size < 200_000
    peak, message = peak_bytes(read_idx, path)
    assert str(path) in message and f"{declared} bytes its IDX header declares" in message
    assert peak < declared + SLACK_BYTES + CHUNK_BYTES, f"peak {peak} bytes"  # not 64 MiB


@pytest.mark.parametrize("gz", [False, True])
def test_a_header_claiming_2_to_the_31_elements_allocates_nothing_of_that_size(tmp_path, gz):
    """Rule: memory follows the bytes that arrive, not the size a header claims."""
    data = idx_header(0x08, (2**31,)) + bytes(10)
    path = tmp_path / ("big.gz" if gz else "big")
    path.write_bytes(gzip.compress(data) if gz else data)
    peak, message = peak_bytes(read_idx, path)
    assert "truncated IDX payload" in message and str(2**31) in message
    assert peak < CHUNK_BYTES + (1 << 20), f"peak {peak} bytes"  # one chunk, not 2 GiB


def test_a_header_claiming_terabytes_is_refused_naming_the_size(tmp_path):
    """Rule: an absurd declared size raises ValueError with the size, before any reading."""
    path = tmp_path / "huge"
    path.write_bytes(idx_header(0x0C, (2**20, 2**20, 2**10)))
    with pytest.raises(ValueError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "IDX header" in message and "4.0 PiB" in message


def test_a_genuine_memory_error_names_the_file_and_the_size(tmp_path):
    """Rule: a MemoryError while reading says what was being allocated and how much."""
    if not sys.platform.startswith("linux"):
        pytest.skip("uses RLIMIT_AS and /proc, Linux only")
    path = tmp_path / "large.gz"
    path.write_bytes(gzip_of(idx_header(0x08, (256 << 20,)), 256 << 20))  # a true 256 MiB
    script = f"""
import resource
from minae.data import read_idx
with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (size + (96 << 20), resource.RLIM_INFINITY))
try:
    read_idx({str(path)!r})
except MemoryError as exc:
    print("MemoryError:", exc)
"""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.stdout.startswith("MemoryError: not enough memory for"), out.stdout + out.stderr
    assert str(path) in out.stdout and "256.0 MiB" in out.stdout


# ------------------------------------------------------------------- unusable folders

def test_write_idx_into_a_missing_folder_names_the_target_not_the_temporary(tmp_path):
    """Rule: write_idx errors name the file asked for."""
    target = tmp_path / "no" / "such" / "folder" / "x.idx"
    with pytest.raises(FileNotFoundError) as info:
        write_idx(target, np.zeros(3, np.uint8))
    message = str(info.value)
    assert str(target) in message and "does not exist" in message and ".part" not in message
    assert info.value.errno == errno.ENOENT and info.value.filename == str(target)


@pytest.mark.parametrize("what", ["data_dir", "MINAE_DATA"])
@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_bad_data_dir_or_minae_data_is_named_in_the_fallback_line(tmp_path, monkeypatch,
                                                                     what, kind):
    """Rule: a folder the user named that is not a folder appears, path and all, in the line."""
    bad = tmp_path / "bad-folder"
    if kind == "a file":
        bad.write_bytes(b"not a folder")
    kwargs = {"data_dir": bad} if what == "data_dir" else {}
    if what == "MINAE_DATA":
        monkeypatch.setenv("MINAE_DATA", str(bad))
    lines = []
    data = load_dataset("mnist", limit=10, download=False, log=lines.append,
                        system_dir=tmp_path / "none", **kwargs)
    assert data.name == "synthetic-digits" and len(lines) == 1
    expected = "does not exist" if kind == "missing" else "is not a folder"
    assert str(bad) in lines[0] and expected in lines[0]
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist("train", download=False, system_dir=tmp_path / "none", **kwargs)
    assert str(bad) in str(info.value) and str(bad) in info.value.reason


def test_a_bad_data_dir_is_named_in_a_warning_when_the_data_is_found_elsewhere(tmp_path):
    """Rule: skipping a named folder is never silent, even when the search succeeds."""
    write_split(tmp_path / "system", "test", 12, label=3)
    with pytest.warns(UserWarning, match="does not exist") as record:
        _, labels = load_mnist("test", data_dir=tmp_path / "typo", download=False,
                               expected_count=12, system_dir=tmp_path / "system")
    assert labels[0] == 3 and str(tmp_path / "typo") in str(record[0].message)


def read_only(folder, monkeypatch):
    """Make ``folder`` read-only, also for root (whom file modes do not stop): see below."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root may write anyway; make os.access say what a user would see
        real_access = os.access

        def access(path, mode, **kwargs):
            if os.fspath(path) == str(folder) and mode & os.W_OK:
                return False
            return real_access(path, mode, **kwargs)

        monkeypatch.setattr(os, "access", access)


def test_a_read_only_cache_falls_back_with_one_line_not_a_traceback(tmp_path, monkeypatch):
    """Rule: an unusable cache is like no cache: no download into it, one line, fallback."""
    cache = tmp_path / "cache"
    read_only(cache, monkeypatch)
    with http_server() as server:
        _, _, checksums = serve_split(server, "train")
        lines = []
        data = load_dataset("mnist", limit=10, log=lines.append, cache_dir=cache,
                            system_dir=tmp_path / "none", mirrors=[server.url],
                            checksums=checksums, expected_count=20, progress=io.StringIO())
        with pytest.raises(DatasetUnavailableError) as info:
            load_mnist("train", cache_dir=cache, system_dir=tmp_path / "none",
                       mirrors=[server.url], checksums=checksums, expected_count=20,
                       progress=io.StringIO())
    cache.chmod(0o755)
    assert data.name == "synthetic-digits" and len(lines) == 1
    assert str(cache) in lines[0] and "read-only" in lines[0]
    assert "read-only" in str(info.value) and "cache_dir" in str(info.value)
    assert list(cache.iterdir()) == []


def test_a_read_only_cache_is_still_read(tmp_path, monkeypatch):
    """Rule: a cache that cannot be written still serves the files it holds."""
    images, _ = write_split(tmp_path / "cache", "test", 12)
    read_only(tmp_path / "cache", monkeypatch)
    got, _ = load_mnist("test", cache_dir=tmp_path / "cache", system_dir=tmp_path / "none",
                        expected_count=12, mirrors=[unused_url()])
    (tmp_path / "cache").chmod(0o755)
    np.testing.assert_array_equal(got, images)


def test_a_cache_that_refuses_the_temporary_file_stops_at_once(tmp_path, monkeypatch):
    """Rule: a write failure in the cache (here simulated) is this machine's: no other mirror."""
    real_open, cache = os.open, tmp_path / "cache"

    def refusing_open(path, flags, *args, **kwargs):
        if os.path.dirname(os.fspath(path)) == str(cache) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    progress = io.StringIO()
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist("train", cache_dir=cache, system_dir=tmp_path / "none",
                   mirrors=[unused_url(), unused_url()], progress=progress)
    assert "cannot write into the cache" in info.value.reason
    assert str(cache) in info.value.reason and "Permission denied" in str(info.value)
    assert progress.getvalue() == ""  # no mirror was tried


def test_a_cache_path_that_is_a_file_falls_back_naming_it(tmp_path):
    """Rule: a cache that is not a folder is reported and skipped, never a traceback."""
    cache = tmp_path / "cache"
    cache.write_bytes(b"a file, not a folder")
    lines = []
    data = load_dataset("mnist", limit=10, log=lines.append, cache_dir=cache,
                        system_dir=tmp_path / "none", mirrors=[unused_url()],
                        progress=io.StringIO())
    assert data.name == "synthetic-digits" and len(lines) == 1
    assert f"the cache {cache} is not a folder" in lines[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unreadable_local_copy_is_skipped_not_a_traceback(tmp_path):
    """Rule: a local copy that cannot be read is skipped like a broken one."""
    write_split(tmp_path / "locked", "test", 12)
    (tmp_path / "locked" / (IDX_FILES["test"][0] + ".gz")).chmod(0)
    with pytest.warns(UserWarning, match="Permission denied"), \
            pytest.raises(DatasetUnavailableError):
        load_mnist("test", tmp_path / "locked", download=False, expected_count=12,
                   system_dir=tmp_path / "none")


# ---------------------------------------------------------------------------- absurd sizes

@pytest.mark.parametrize("name", ["synthetic-digits", "mnist"])
def test_an_absurd_limit_is_refused_naming_the_size(tmp_path, name):
    """Rule: a request whose arrays would need terabytes raises ValueError with the size."""
    lines = []
    with pytest.raises(ValueError) as info:
        load_dataset(name, limit=10**9, log=lines.append, system_dir=tmp_path / "none")
    message = str(info.value)
    assert "limit=1000000000" in message and "TiB" in message and lines == []


def test_make_digits_refuses_an_absurd_n_naming_the_size():
    with pytest.raises(ValueError) as info:
        make_digits(2 * 10**9)
    assert "make_digits(n=2000000000)" in str(info.value) and "TiB" in str(info.value)


# ------------------------------------------------------------- what loaders return is checked

@pytest.mark.parametrize("problem", ["nan", "255", "label", "dtype"])
def test_a_dataset_is_checked_at_the_boundary(problem):
    """Rule: a Dataset holds finite float32 images in [0, 1] and labels that index its classes."""
    images = np.full((2, 1, 28, 28), 0.5, np.float32)
    labels = np.array([0, 9])
    if problem == "nan":
        images[1, 0, 3, 4] = np.nan
    elif problem == "255":
        images *= 255
    elif problem == "label":
        labels[1] = 10
    else:
        images = images.astype(np.float64)
    expected = {"nan": "1 NaN or inf", "255": "[0, 1]", "label": "0..9",
                "dtype": "float32"}[problem]
    with pytest.raises(ValueError, match=expected.replace("[", r"\[").replace(".", r"\.")):
        Dataset(images, labels, "mnist", "test", tuple("0123456789"))


def test_float_idx_images_are_not_taken_for_mnist(tmp_path):
    """Rule: a local copy of the wrong dtype is refused with what the file holds."""
    images, labels = write_split(tmp_path / "d", "test", 12)
    write_idx(tmp_path / "d" / (IDX_FILES["test"][0] + ".gz"), images.astype(np.float32))
    with pytest.warns(UserWarning, match="expected uint8 images.*float32"), \
            pytest.raises(DatasetUnavailableError, match="found but invalid"):
        load_mnist("test", tmp_path / "d", download=False, expected_count=12,
                   system_dir=tmp_path / "none")
    with pytest.raises(TypeError, match="uint8"):
        to_float_images(images.astype(np.float32))


# ------------------------------------------------------- temporaries of killed writers

def dead_pid():
    """The process id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_write_idx_killed_at_the_rename_leaves_a_temporary_the_next_write_removes(tmp_path):
    """Rule: a killed writer's temporary carries its pid; the next writer removes it, saying so."""
    target = tmp_path / "x.idx.gz"
    script = f"""
import os, signal
import numpy as np
from minae.data import write_idx
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # the kill point: the rename
write_idx({str(target)!r}, np.arange(5, dtype=np.uint8))
"""
    child = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert child.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert not target.exists() and len(left) == 1 and left[0].startswith(f".{target.name}.")
    live = tmp_path / f".{target.name}.{os.getpid()}.abcd.tmp"  # a writer still running
    live.write_bytes(b"in progress")
    with pytest.warns(UserWarning, match="removed 1 temporary file") as record:
        write_idx(target, np.arange(5, dtype=np.uint8))
    assert left[0] in str(record[0].message)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name])
    np.testing.assert_array_equal(read_idx(target), np.arange(5))


def test_a_download_removes_killed_downloads_temporaries_in_one_line(tmp_path):
    """Rule: the same for downloads into the cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / f".{IDX_FILES['test'][0]}.gz.{dead_pid()}.0123abcd.tmp"
    stale.write_bytes(b"half a download")
    with http_server() as server:
        images, _, checksums = serve_split(server, "test")
        progress = io.StringIO()
        got, _ = load_mnist("test", cache_dir=cache, system_dir=tmp_path / "none",
                            mirrors=[server.url], checksums=checksums, expected_count=20,
                            progress=progress)
    np.testing.assert_array_equal(got, images)
    removed = [line for line in progress.getvalue().splitlines() if "removed" in line]
    assert len(removed) == 1 and stale.name in removed[0] and str(cache) in removed[0]
    assert not stale.exists()
