"""Helpers shared by the data tests: small IDX files and a local HTTP server.

Nothing here touches the network, the real cache or /usr/share/datasets: ``isolate`` points
XDG_CACHE_HOME and HOME at a temporary folder and unsets MINAE_DATA, every loader call in the
tests passes a temporary ``system_dir``, and downloads come from an ``http.server`` on
127.0.0.1.
"""

import contextlib
import gzip
import hashlib
import socket
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from minae.data import IDX_FILES, load_fashion_mnist, load_mnist, write_idx

#: The two file-backed loaders, by data-set name.
LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}


def isolate(tmp_path, monkeypatch):
    """Keep a test away from the real cache, MINAE_DATA and the user's home."""
    monkeypatch.delenv("MINAE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


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


def idx_bytes(array):
    with tempfile.TemporaryDirectory() as folder:
        write_idx(Path(folder) / "x", array)
        return (Path(folder) / "x").read_bytes()


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


@contextlib.contextmanager
def http_server():
    """A ``ThreadingHTTPServer`` on 127.0.0.1 serving ``server.routes`` under ``server.url``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = {}
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/data/"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def unused_url():
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
