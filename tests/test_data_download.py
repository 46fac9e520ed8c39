"""Downloads from a local server: success, progress, checksums, dropped connections, mirrors."""

import io
import socket
import time

import numpy as np
import pytest
from data_helpers import files_in, http_server, serve_split

from minae.data import IDX_FILES, DatasetUnavailableError, load_mnist

pytestmark = pytest.mark.usefixtures("isolated_data_home")


@pytest.fixture
def server():
    with http_server() as httpd:
        yield httpd


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
