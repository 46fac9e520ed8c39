"""Datasets: IDX files, the search order, downloads from a local server, synthetic digits.

No test touches the network, the real cache or /usr/share/datasets: an autouse fixture points
XDG_CACHE_HOME and HOME at a temporary folder and unsets MINAE_DATA, every loader call passes
a temporary ``system_dir``, and downloads come from an ``http.server`` on 127.0.0.1.
"""

import gzip
import hashlib
import io
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minae.datasets import (
    CHECKSUMS,
    CLASS_NAMES,
    DATASET_NAMES,
    IDX_FILES,
    MIRRORS,
    Dataset,
    DatasetUnavailableError,
    default_cache_dir,
    default_system_dir,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    make_digits,
    read_idx,
    search_dirs,
    synthetic_split_seed,
    to_float_images,
    write_idx,
)

LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Keep every test away from the real cache, MINAE_DATA and the user's home."""
    monkeypatch.delenv("MINAE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


# ------------------------------------------------------------------------------------ IDX files

def random_array(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 6, size=shape)).astype(dtype)
    if a.size >= 4:  # the values a byte-order or truncation bug would mangle first
        a.flat[:4] = [np.inf, -np.inf, np.nan, -0.0]
    return a


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(IDX_DTYPES), st.lists(st.integers(0, 5), min_size=1, max_size=3),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_idx_round_trip(dtype, shape, gz, seed):
    array = random_array(dtype, tuple(shape), seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("a.idx.gz" if gz else "a.idx")
        write_idx(path, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz
        back = read_idx(path)
        assert sorted(p.name for p in Path(folder).iterdir()) == [path.name]  # no temp left
    assert back.dtype == np.dtype(dtype) and back.shape == array.shape
    assert back.dtype.isnative and back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_idx_bytes_follow_the_format():
    a = np.array([[1, 2, 3], [4, 5, 258]], dtype=np.int16)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x"
        write_idx(path, a)
        data = path.read_bytes()
    header = bytes([0, 0, 0x0B, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert data[:12] == header
    assert data[12:] == b"".join(int(v).to_bytes(2, "big") for v in a.ravel())  # big-endian


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    a = random_array(np.uint8, (3, 4), 0)
    write_idx(tmp_path / "real.gz", a)
    (tmp_path / "gzipped-without-suffix").write_bytes((tmp_path / "real.gz").read_bytes())
    write_idx(tmp_path / "plain", a)
    (tmp_path / "plain-with-suffix.gz").write_bytes((tmp_path / "plain").read_bytes())
    for name in ("gzipped-without-suffix", "plain-with-suffix.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.uint32, np.float16, np.bool_,
                                   np.complex64, object])
def test_write_idx_refuses_types_idx_cannot_store(tmp_path, dtype):
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
    assert list(tmp_path.iterdir()) == []


def test_write_idx_refuses_a_scalar(tmp_path):
    with pytest.raises(ValueError, match="at least 1 dimension"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))


def idx_bytes(array):
    with tempfile.TemporaryDirectory() as folder:
        write_idx(Path(folder) / "x", array)
        return (Path(folder) / "x").read_bytes()


GOOD = idx_bytes(random_array(np.int32, (4, 5), 1))
GOOD_GZ = gzip.compress(GOOD, mtime=0)


def flip(data, index, value):
    data = bytearray(data)
    data[index] = value
    return bytes(data)


CORRUPTIONS = {
    "empty file": (b"", "shorter than the 4-byte magic"),
    "bad zero bytes": (flip(GOOD, 0, 1), "first two bytes must be 0x00 0x00"),
    "second zero byte": (flip(GOOD, 1, 8), "first two bytes must be 0x00 0x00"),
    "bad type code": (flip(GOOD, 2, 0x0A), "unknown IDX type code 0x0a"),
    "zero dimensions": (flip(GOOD, 3, 0), "0 dimensions"),
    "truncated header": (GOOD[:9], "truncated IDX header"),
    "more dimensions than header": (flip(GOOD, 3, 200), "truncated IDX header"),
    "truncated payload": (GOOD[:-1], "truncated IDX payload"),
    "dimension too big": (flip(GOOD, 7, 6), "truncated IDX payload"),
    "extra bytes": (GOOD + b"\x00", "1 extra bytes"),
    "text file": (b"hello, this is not an IDX file\n", "not an IDX file"),
    "not-gzip garbage": (b"\x1f\x8b" + bytes(range(200)), "gzip"),
    "truncated gzip": (GOOD_GZ[: len(GOOD_GZ) // 2], "gzip"),
    "gzip missing its trailer": (GOOD_GZ[:-4], "gzip"),
    "gzip with a bad CRC": (flip(GOOD_GZ, len(GOOD_GZ) - 6, GOOD_GZ[-6] ^ 0xFF), "gzip"),
    "gzip of a truncated IDX": (gzip.compress(GOOD[:-3]), "truncated IDX payload"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_idx_files_raise_value_error_naming_the_file(tmp_path, case):
    data, what = CORRUPTIONS[case]
    path = tmp_path / f"{case.replace(' ', '-')}.idx"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert what in str(info.value)


# ---------------------------------------------------------------------------- local data sets

def write_split(folder, split, n, *, seed=0, gz=True, label=None):
    """Write a small valid ``split`` into ``folder``; labels all ``label`` if given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (rng.integers(0, 10, size=n) if label is None else np.full(n, label)).astype(
        np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(folder / (IDX_FILES[split][0] + suffix), images)
    write_idx(folder / (IDX_FILES[split][1] + suffix), labels)
    return images, labels


def which(loader, **kwargs):
    """The constant label of the folder the loader picked."""
    _, labels = loader("train", download=False, expected_count=12, **kwargs)
    assert len(set(labels.tolist())) == 1
    return int(labels[0])


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_search_order(tmp_path, monkeypatch, name):
    loader = LOADERS[name]
    data_dir, env, xdg, system = (tmp_path / d for d in ("data", "env", "xdg", "system"))
    write_split(data_dir, "train", 12, label=0)
    write_split(env / name, "train", 12, label=1, gz=False)
    write_split(xdg / "minae" / name, "train", 12, label=2)
    write_split(system, "train", 12, label=3, gz=False)
    monkeypatch.setenv("MINAE_DATA", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    assert which(loader, data_dir=data_dir, system_dir=system) == 0
    assert which(loader, system_dir=system) == 1
    monkeypatch.delenv("MINAE_DATA")
    assert which(loader, system_dir=system) == 2
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    assert which(loader, system_dir=system) == 3
    with pytest.raises(DatasetUnavailableError):
        which(loader, system_dir=tmp_path / "nothing")


def test_data_dir_may_hold_the_files_or_a_subfolder_named_after_the_data_set(tmp_path):
    write_split(tmp_path / "parent" / "mnist", "test", 12, label=4)
    assert which(lambda split, **kw: load_mnist("test", **kw), data_dir=tmp_path / "parent",
                 system_dir=tmp_path / "none") == 4


def test_a_split_is_found_only_where_both_its_files_are(tmp_path):
    write_split(tmp_path / "a", "train", 12, label=5)
    (tmp_path / "a" / (IDX_FILES["train"][1] + ".gz")).unlink()  # images without labels
    write_split(tmp_path / "b", "train", 12, label=6)
    assert which(load_mnist, data_dir=tmp_path / "a", system_dir=tmp_path / "b") == 6
    write_split(tmp_path / "c", "test", 12, label=7)  # the other split only
    assert which(load_mnist, data_dir=tmp_path / "c", system_dir=tmp_path / "b") == 6


def test_default_folders_follow_xdg_and_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir("mnist") == tmp_path / "xdg" / "minae" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec: ignore it
    assert default_cache_dir("mnist") == tmp_path / "home" / ".cache" / "minae" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir("fashion-mnist") == (tmp_path / "home" / ".cache" / "minae"
                                                  / "fashion-mnist")
    assert default_system_dir("fashion-mnist") == Path("/usr/share/datasets/fashion-mnist")
    labels = [label for label, _ in search_dirs("mnist", tmp_path)]
    assert labels == ["data_dir", "data_dir", "cache", "system"]


def test_a_broken_local_copy_is_skipped_with_a_warning(tmp_path):
    write_split(tmp_path / "broken", "train", 12, label=8)
    path = tmp_path / "broken" / (IDX_FILES["train"][0] + ".gz")
    path.write_bytes(path.read_bytes()[:-20])
    write_split(tmp_path / "good", "train", 12, label=9)
    with pytest.warns(UserWarning, match="broken"):
        assert which(load_mnist, data_dir=tmp_path / "broken",
                     system_dir=tmp_path / "good") == 9
    with pytest.warns(UserWarning), pytest.raises(DatasetUnavailableError) as info:
        which(load_mnist, data_dir=tmp_path / "broken", system_dir=tmp_path / "none")
    assert "found but invalid" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("problem", ["count", "image size", "label range", "label dtype"])
def test_local_copies_are_checked_by_header_and_sizes(tmp_path, problem):
    folder = tmp_path / "d"
    images, labels = write_split(folder, "train", 12)
    image_file = folder / (IDX_FILES["train"][0] + ".gz")
    label_file = folder / (IDX_FILES["train"][1] + ".gz")
    if problem == "count":
        write_split(folder, "train", 11)
    elif problem == "image size":
        write_idx(image_file, np.zeros((12, 28, 27), dtype=np.uint8))
    elif problem == "label range":
        write_idx(label_file, np.full(12, 10, dtype=np.uint8))
    else:
        write_idx(label_file, labels.astype(np.int32))
    with pytest.warns(UserWarning), pytest.raises(DatasetUnavailableError):
        load_mnist("train", folder, download=False, expected_count=12,
                   system_dir=tmp_path / "none")


def test_real_counts_are_expected_by_default(tmp_path):
    write_split(tmp_path / "d", "test", 12)
    with pytest.warns(UserWarning, match="10000"), pytest.raises(DatasetUnavailableError):
        load_mnist("test", tmp_path / "d", download=False, system_dir=tmp_path / "none")


def test_loader_returns_what_the_files_hold(tmp_path):
    images, labels = write_split(tmp_path / "d", "test", 12, gz=False)
    got_images, got_labels = load_fashion_mnist("test", tmp_path / "d", download=False,
                                                expected_count=12, system_dir=tmp_path / "n")
    assert got_images.dtype == np.uint8 and got_images.shape == (12, 28, 28)
    assert got_labels.dtype == np.uint8 and got_labels.shape == (12,)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_to_float_images():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_float_images(images)
    assert x.dtype == np.float32 and x.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        to_float_images(images.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        to_float_images(images[0])


def test_the_real_mirrors_and_checksums_are_the_defaults():
    assert MIRRORS["mnist"][0].startswith("https://ossci-datasets.s3.amazonaws.com/mnist")
    assert CHECKSUMS["mnist"]["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    assert CHECKSUMS["fashion-mnist"]["train-images-idx3-ubyte.gz"] == (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d")
    assert len(CHECKSUMS["mnist"]) == len(CHECKSUMS["fashion-mnist"]) == 4


# ---------------------------------------------------------------------------------- downloads

class Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (behaviour, body)."""

    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        behaviour, body = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if behaviour == "drop":  # promise more than we send, then hang up
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = {}
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/data/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def dead_url():
    """A URL on a port nobody listens on: the connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data/"


def serve_split(httpd, split, n=20, seed=0, behaviour=None):
    """Put a small gzipped split on the server; return (images, labels, checksums)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    checksums = {}
    for base, array in zip(IDX_FILES[split], (images, labels), strict=True):
        body = gzip.compress(idx_bytes(array), mtime=0)
        checksums[base + ".gz"] = hashlib.md5(body).hexdigest()
        httpd.routes[f"/data/{base}.gz"] = ((behaviour or {}).get(base, "ok"), body)
    return images, labels, checksums


def files_in(folder):
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []


def download(tmp_path, mirrors, checksums, split="train", n=20, **kwargs):
    kwargs.setdefault("progress", io.StringIO())
    return load_mnist(split, cache_dir=tmp_path / "cache", system_dir=tmp_path / "none",
                      mirrors=mirrors, checksums=checksums, expected_count=n, **kwargs)


def test_download_success_then_offline_from_the_cache(tmp_path, server, dead_url):
    images, labels, checksums = serve_split(server, "train")
    log = io.StringIO()
    got_images, got_labels = download(tmp_path, [server.url], checksums, progress=log)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert files_in(tmp_path / "cache") == sorted(f + ".gz" for f in IDX_FILES["train"])
    lines = log.getvalue().splitlines()  # not a terminal: a line at the start and the end
    assert len(lines) == 4 and "downloading" in lines[0] and "MD5 ok" in lines[1]
    # now the server is gone: the cache serves
    again, _ = download(tmp_path, [dead_url], checksums)
    np.testing.assert_array_equal(again, images)


def test_download_progress_bar_on_a_terminal(tmp_path, server):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    _, _, checksums = serve_split(server, "test")
    out = Terminal()
    download(tmp_path, [server.url], checksums, split="test", progress=out)
    assert "\r" in out.getvalue() and "100%" in out.getvalue()


def test_checksum_mismatch_leaves_nothing(tmp_path, server):
    _, _, checksums = serve_split(server, "train")
    checksums["train-images-idx3-ubyte.gz"] = "0" * 32
    with pytest.raises(DatasetUnavailableError, match="MD5 checksum mismatch"):
        download(tmp_path, [server.url], checksums)
    assert files_in(tmp_path / "cache") == []


def test_a_dropped_connection_leaves_nothing(tmp_path, server):
    _, _, checksums = serve_split(server, "train",
                                  behaviour={"train-images-idx3-ubyte": "drop"})
    with pytest.raises(DatasetUnavailableError, match="connection closed after"):
        download(tmp_path, [server.url], checksums)
    assert files_in(tmp_path / "cache") == []


def test_a_failure_on_the_labels_keeps_only_the_verified_images(tmp_path, server):
    _, _, checksums = serve_split(server, "train",
                                  behaviour={"train-labels-idx1-ubyte": "drop"})
    with pytest.raises(DatasetUnavailableError):
        download(tmp_path, [server.url], checksums)
    assert files_in(tmp_path / "cache") == ["train-images-idx3-ubyte.gz"]


def test_wrong_sizes_from_a_mirror_are_not_kept(tmp_path, server):
    _, _, checksums = serve_split(server, "train", n=20)
    with pytest.raises(DatasetUnavailableError, match=r"shape \(21, 28, 28\)"):
        download(tmp_path, [server.url], checksums, n=21)
    assert files_in(tmp_path / "cache") == []


def test_the_next_mirror_is_tried(tmp_path, server, dead_url):
    images, _, checksums = serve_split(server, "test")
    missing = server.url.replace("/data/", "/nowhere/")  # 404
    log = io.StringIO()
    got, _ = download(tmp_path, [dead_url, missing, server.url], checksums, split="test",
                      progress=log)
    np.testing.assert_array_equal(got, images)
    assert "failed" in log.getvalue() and "HTTP 404" in log.getvalue()
    assert files_in(tmp_path / "cache") == sorted(f + ".gz" for f in IDX_FILES["test"])


def test_a_silent_server_times_out(tmp_path):
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        start = time.monotonic()
        with pytest.raises(DatasetUnavailableError, match="timed out"):
            download(tmp_path, [url], {}, timeout=0.3)
        assert time.monotonic() - start < 5
    assert files_in(tmp_path / "cache") == []


# ---------------------------------------------------------------------- offline, and fallback

@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_offline_and_nothing_local_says_what_to_do(tmp_path, dead_url, name):
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError) as info:
        LOADERS[name]("train", system_dir=tmp_path / "none", mirrors=[dead_url],
                      progress=io.StringIO())
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert str(tmp_path / "none") in message and str(default_cache_dir(name)) in message
    assert "MINAE_DATA" in message and "data_dir" in message  # searched, and way out 2
    assert "download failed" in message and "refused" in message.lower()
    assert "connect to the internet once" in message  # way out 1
    assert "--dataset synthetic-digits" in message  # way out 3
    assert "refused" in info.value.reason.lower() and "\n" not in info.value.reason


def test_download_false_does_not_try(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        load_mnist("test", download=False, system_dir=tmp_path / "none",
                   mirrors=["http://never.invalid/"])


def test_load_dataset_falls_back_to_synthetic_digits_with_one_line(tmp_path, dead_url):
    lines = []
    data = load_dataset("mnist", limit=30, log=lines.append, system_dir=tmp_path / "none",
                        mirrors=[dead_url], progress=io.StringIO())
    assert data.name == "synthetic-digits" and len(data) == 30
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "synthetic digits" in lines[0] and "refused" in lines[0].lower()
    expected = load_dataset("synthetic-digits", limit=30)
    np.testing.assert_array_equal(data.images, expected.images)
    with pytest.raises(DatasetUnavailableError):
        load_dataset("mnist", fallback=False, log=lines.append, system_dir=tmp_path / "none",
                     mirrors=[dead_url], progress=io.StringIO())
    assert len(lines) == 1


def test_load_dataset_from_a_local_copy(tmp_path):
    images, labels = write_split(tmp_path / "d", "test", 12)
    data = load_dataset("fashion-mnist", "test", data_dir=tmp_path / "d", limit=5,
                        expected_count=12, system_dir=tmp_path / "none", log=None)
    assert isinstance(data, Dataset) and data.name == "fashion-mnist"
    assert data.images.dtype == np.float32 and data.images.shape == (5, 1, 28, 28)
    assert data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.images, to_float_images(images[:5]))
    np.testing.assert_array_equal(data.labels, labels[:5])
    assert str(tmp_path / "d") in data.source
    assert data.class_names == CLASS_NAMES["fashion-mnist"] and len(data.class_names) == 10
    assert data.class_names[9] == "Ankle boot"


def test_load_dataset_refuses_unknown_names_and_bad_arguments():
    with pytest.raises(ValueError) as info:
        load_dataset("cifar10")
    for name in DATASET_NAMES:
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="split"):
        load_dataset("synthetic-digits", "validation")
    with pytest.raises(ValueError, match="limit"):
        load_dataset("synthetic-digits", limit=0)


def test_synthetic_splits_use_different_seeds():
    train = load_dataset("synthetic-digits", "train", limit=40, seed=3)
    test = load_dataset("synthetic-digits", "test", limit=40, seed=3)
    assert synthetic_split_seed(3, "train") != synthetic_split_seed(3, "test")
    assert not np.array_equal(train.images, test.images)
    assert train.source.startswith("synthetic digits, seed 3")
    assert train.class_names == tuple("0123456789")
    assert train.images.min() >= 0 and train.images.max() <= 1
    np.testing.assert_array_equal(train.images,
                                  load_dataset("synthetic-digits", limit=40, seed=3).images)


# ----------------------------------------------------------------------------- synthetic digits

@pytest.fixture(scope="module")
def digits():
    return make_digits(2000, seed=0), make_digits(2000, seed=1)


def test_synthetic_digits_shapes_and_determinism(digits):
    (images, labels), (other, _) = digits
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (2000,) and labels.dtype == np.uint8
    again, again_labels = make_digits(50, seed=0)  # prefix of the same sequence
    np.testing.assert_array_equal(again, images[:50])
    np.testing.assert_array_equal(again_labels, labels[:50])
    assert not np.array_equal(other[:50], images[:50])
    empty, no_labels = make_digits(0)
    assert empty.shape == (0, 28, 28) and no_labels.shape == (0,)


def test_synthetic_digits_are_balanced(digits):
    (_, labels), _ = digits
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 200))
    counts = np.bincount(make_digits(25, seed=4)[1], minlength=10)
    assert counts.max() - counts.min() <= 1


def test_synthetic_digits_look_like_mnist_on_average(digits):
    (images, _), _ = digits
    assert 0.10 <= images.mean() / 255 <= 0.17  # MNIST: 0.13
    x = images.astype(np.float64)
    mass = x.sum(axis=(1, 2))
    assert mass.min() > 0
    grid = np.arange(28)
    com_y, com_x = x.sum(axis=2) @ grid / mass, x.sum(axis=1) @ grid / mass
    off = np.hypot(com_y - 13.5, com_x - 13.5)  # centred by centre of mass, like MNIST
    assert off.mean() < 1.0 and off.max() < 2.0


def test_nearest_class_mean_transfers_between_seeds(digits):
    (train, train_labels), (test, test_labels) = digits
    a = train.reshape(len(train), -1) / 255.0
    b = test.reshape(len(test), -1) / 255.0
    means = np.stack([a[train_labels == k].mean(axis=0) for k in range(10)])
    distances = (b**2).sum(1)[:, None] - 2 * b @ means.T + (means**2).sum(1)[None, :]
    assert (distances.argmin(axis=1) == test_labels).mean() >= 0.80


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_make_digits_refuses_bad_arguments(bad):
    with pytest.raises(ValueError, match="n must be"):
        make_digits(bad)
    with pytest.raises(ValueError, match="seed must be"):
        make_digits(3, seed=bad)
