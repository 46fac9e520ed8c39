"""Data: the IDX file format, MNIST / Fashion-MNIST loaders, and built-in synthetic digits.

Four layers, each usable on its own:

1. **IDX files** (``read_idx`` / ``write_idx``): the format MNIST is stored in. A file is::

       0x00 0x00 <type code> <ndim>           4 bytes: the "magic number"
       <dim 0> <dim 1> ... <dim ndim-1>       ndim big-endian uint32
       <payload>                              prod(dims) elements, big-endian, C order

   gzipped or not (detected by the gzip magic bytes ``1f 8b``, never by the file name). The six
   element types are listed in ``IDX_TYPES``. Everything is checked on read; a truncated,
   corrupt or non-IDX file raises ``ValueError`` naming the file and what is wrong.

2. **Loaders** (``load_mnist`` / ``load_fashion_mnist``) return ``uint8`` images ``(N, 28, 28)``
   and ``uint8`` labels ``(N,)``. They look, in this order, in: the ``data_dir`` argument
   (the folder itself, then its ``<name>/`` subfolder), ``$MINAE_DATA/<name>/``, the cache
   ``$XDG_CACHE_HOME/minae/<name>/`` (``~/.cache/minae/<name>/`` when ``XDG_CACHE_HOME`` is
   unset), the system folder ``/usr/share/datasets/<name>/`` (where Debian's
   ``dataset-fashion-mnist`` package puts its files), and finally download into the cache.
   ``search_dirs`` shows the list for a given call.

3. **Download** (standard library only): mirror after mirror, with a connect timeout, a progress
   bar on a terminal, MD5 verification, and a temporary file that is renamed into place only
   once the checksum matches, so an interrupted download never leaves a file that looks
   complete. Local copies are checked by their IDX headers and sizes instead, because they may
   have been recompressed (Debian's are).

4. **Synthetic digits** (``make_digits``): 0-9 rendered from the fonts that ship with
   matplotlib, randomly rotated, sheared, warped, thickened or thinned and blurred, then
   centred the way MNIST was (fit into a 20x20 box, centre of mass at the centre of 28x28).
   They need nothing but matplotlib, so every demo runs on a machine with no data and no
   network.

``load_dataset`` ties it together for demos: one call, a ``Dataset`` of float32 images
``(N, 1, 28, 28)`` in [0, 1], and a one-line fallback to synthetic digits when MNIST cannot
be had.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.client
import math
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TextIO

import numpy as np

# ----------------------------------------------------------------------------------------------
# IDX files
# ----------------------------------------------------------------------------------------------

#: IDX type code -> element dtype as stored (big-endian).
IDX_TYPES: Mapping[int, np.dtype] = MappingProxyType({
    0x08: np.dtype("u1"),   # unsigned byte
    0x09: np.dtype("i1"),   # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
})
GZIP_MAGIC = b"\x1f\x8b"
_IDX_TYPE_LIST = "0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64"


def _idx_code(dtype: np.dtype) -> int | None:
    """The IDX type code for ``dtype`` (any byte order), or None if IDX has no such type."""
    for code, stored in IDX_TYPES.items():
        if dtype.kind == stored.kind and dtype.itemsize == stored.itemsize:
            return code
    return None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian, writable array.

    Parameters
    ----------
    path : str or path-like
        The file. Gzip is recognised by the first two bytes (``1f 8b``), not by the name.

    Returns
    -------
    np.ndarray
        Shape ``(dim_0, ..., dim_{ndim-1})`` from the header; dtype from the type code
        (``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or ``float64``).

    Raises
    ------
    ValueError
        The file is not IDX, or is truncated or corrupt: the message names the file and the
        problem (bad zero bytes, unknown type code, zero dimensions, truncated header,
        payload shorter or longer than the dimensions say, broken gzip stream). Nothing is
        returned half-loaded.
    OSError
        The file cannot be read (``FileNotFoundError``, ``PermissionError``).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None
        return _parse_idx(data, f"{path} (gzip)")
    return _parse_idx(raw, str(path))


def _parse_idx(data: bytes, where: str) -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file; ``where`` names it in error messages."""
    if len(data) < 4:
        raise ValueError(f"{where}: not an IDX file: {len(data)} bytes, shorter than the "
                         "4-byte magic number")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{where}: not an IDX file: the first two bytes must be 0x00 0x00; "
                         f"got 0x{data[0]:02x} 0x{data[1]:02x}")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise ValueError(f"{where}: unknown IDX type code 0x{code:02x}; expected one of "
                         f"{_IDX_TYPE_LIST}")
    if ndim == 0:
        raise ValueError(f"{where}: the IDX header says 0 dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{where}: truncated IDX header: {ndim} dimensions need {header} "
                         f"header bytes; the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[code]
    count = math.prod(shape)
    expected, actual = count * dtype.itemsize, len(data) - header
    if actual < expected:
        raise ValueError(f"{where}: truncated IDX payload: dimensions {shape} of "
                         f"{dtype.name} need {expected} bytes; the file has {actual}")
    if actual > expected:
        raise ValueError(f"{where}: {actual - expected} extra bytes after the IDX payload: "
                         f"dimensions {shape} of {dtype.name} need exactly {expected}")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    return flat.astype(dtype.newbyteorder("=")).reshape(shape)  # astype copies: writable


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``.

    The file is written to a temporary name in the same folder and renamed into place, so a
    reader never sees half a file.

    Parameters
    ----------
    path : str or path-like
        Destination. ``*.gz`` is gzip-compressed (with a zero timestamp, so the bytes are
        reproducible).
    array : array-like, 1 or more dimensions, each below 2**32
        dtype ``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or ``float64`` (any byte
        order): the six types IDX has.

    Raises
    ------
    TypeError
        Any other dtype (``int64``, ``uint16``, ``float16``, ``bool``, ...): IDX cannot store it;
        cast first, e.g. ``array.astype(np.int32)``.
    ValueError
        A 0-d array, or a dimension too large for the header's uint32.
    """
    path = Path(path)
    arr = np.asarray(array)
    code = _idx_code(arr.dtype)
    if code is None:
        raise TypeError(f"write_idx: array has dtype {arr.dtype}, which IDX cannot store; "
                        f"expected one of {_IDX_TYPE_LIST} (cast first, e.g. "
                        "array.astype(np.int32))")
    if arr.ndim == 0:
        raise ValueError("write_idx: array must have at least 1 dimension; got a 0-d array")
    if any(d >= 2**32 for d in arr.shape):
        raise ValueError(f"write_idx: array shape {arr.shape} has a dimension of 2**32 or "
                         "more; an IDX header stores each as a uint32")
    header = bytes([0, 0, code, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    data = header + np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    _atomic_write(path, data)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a unique temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; a data file is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------------------------
# Where the data sets live
# ----------------------------------------------------------------------------------------------

DATASET_NAMES = ("mnist", "fashion-mnist", "synthetic-digits")
SPLITS = ("train", "test")
#: split -> (images file, labels file), without the optional ``.gz``.
IDX_FILES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
})
#: split -> number of images in the real MNIST and Fashion-MNIST.
EXPECTED_COUNTS: Mapping[str, int] = MappingProxyType({"train": 60_000, "test": 10_000})
IMAGE_SHAPE = (28, 28)

MIRRORS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
})
#: name -> {file name as served (``.gz``) -> MD5 of the official gzipped file}.
CHECKSUMS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "mnist": MappingProxyType({
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    "fashion-mnist": MappingProxyType({
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }),
})
DIGIT_NAMES = tuple(str(d) for d in range(10))
CLASS_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mnist": DIGIT_NAMES,
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
    "synthetic-digits": DIGIT_NAMES,
})
_TITLES = MappingProxyType({"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
                            "synthetic-digits": "synthetic digits"})
SYSTEM_DATASETS_DIR = Path("/usr/share/datasets")


def _check_name(name: str, allowed: Sequence[str] = DATASET_NAMES) -> None:
    if name not in allowed:
        raise ValueError(f"unknown dataset name {name!r}; valid names: "
                         + ", ".join(repr(n) for n in allowed))


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")


def default_cache_dir(name: str) -> Path:
    """The download cache of data set ``name``: ``$XDG_CACHE_HOME/minae/<name>``.

    ``XDG_CACHE_HOME`` is read at each call; when it is unset, empty or relative (the XDG spec
    says to ignore a relative one) the cache is ``~/.cache/minae/<name>``.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "minae" / name


def default_system_dir(name: str) -> Path:
    """Debian's folder for packaged data sets: ``/usr/share/datasets/<name>``."""
    return SYSTEM_DATASETS_DIR / name


def search_dirs(name: str, data_dir: str | os.PathLike | None = None, *,
                cache_dir: str | os.PathLike | None = None,
                system_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders a loader searches for ``name``, in order, each with where it came from.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    data_dir : folder or None
        Searched first: the folder itself, then ``data_dir/<name>``.
    cache_dir, system_dir : folder or None
        Replace ``default_cache_dir(name)`` / ``default_system_dir(name)`` (for tests, or for
        a cache somewhere else).

    Returns
    -------
    list of (label, Path)
        ``label`` is ``"data_dir"``, ``"MINAE_DATA"``, ``"cache"`` or ``"system"``. The
        environment variable ``MINAE_DATA`` (a folder holding ``mnist/``, ``fashion-mnist/``)
        is read at each call and skipped when unset.
    """
    _check_name(name, ("mnist", "fashion-mnist"))
    dirs = []
    if data_dir is not None:
        dirs += [("data_dir", Path(data_dir)), ("data_dir", Path(data_dir) / name)]
    env = os.environ.get("MINAE_DATA", "")
    if env:
        dirs.append(("MINAE_DATA", Path(env) / name))
    dirs.append(("cache", Path(cache_dir) if cache_dir is not None else default_cache_dir(name)))
    dirs.append(("system",
                 Path(system_dir) if system_dir is not None else default_system_dir(name)))
    return dirs


class DatasetUnavailableError(RuntimeError):
    """MNIST / Fashion-MNIST is neither on this machine nor downloadable right now.

    Attributes
    ----------
    reason : str
        One short line: why (e.g. "no local copy; download failed: <urlopen error ...>").
    searched : tuple of Path
        The folders that were looked in.
    """

    def __init__(self, message: str, *, reason: str, searched: Sequence[Path] = ()):
        super().__init__(message)
        self.reason = reason
        self.searched = tuple(searched)


# ----------------------------------------------------------------------------------------------
# Loading local copies
# ----------------------------------------------------------------------------------------------

def _existing(folder: Path, base: str) -> Path | None:
    """``folder/base`` or ``folder/base.gz``, whichever exists first; None if neither."""
    for candidate in (folder / base, folder / f"{base}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _check_images(images: np.ndarray, count: int, where: object) -> None:
    if images.dtype != np.uint8 or images.shape != (count, *IMAGE_SHAPE):
        raise ValueError(f"{where}: expected uint8 images of shape {(count, *IMAGE_SHAPE)}; "
                         f"the file holds {images.dtype} of shape {images.shape}")


def _check_labels(labels: np.ndarray, count: int, where: object) -> None:
    if labels.dtype != np.uint8 or labels.shape != (count,):
        raise ValueError(f"{where}: expected uint8 labels of shape ({count},); the file holds "
                         f"{labels.dtype} of shape {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{where}: labels must be 0..9; found {int(labels.max())}")


def _find_local(dirs: Sequence[tuple[str, Path]], split: str, count: int,
                problems: list[str]) -> tuple[np.ndarray, np.ndarray, Path] | None:
    """Load ``split`` from the first folder holding a valid pair of files.

    An invalid pair (wrong header, wrong sizes) is skipped with a warning and described in
    ``problems``, so a broken copy never hides a good one further down the list.
    """
    image_base, label_base = IDX_FILES[split]
    for _, folder in dirs:
        image_path, label_path = _existing(folder, image_base), _existing(folder, label_base)
        if image_path is None or label_path is None:
            continue
        try:
            images = read_idx(image_path)
            _check_images(images, count, image_path)
            labels = read_idx(label_path)
            _check_labels(labels, count, label_path)
        except ValueError as exc:
            problems.append(str(exc))
            warnings.warn(f"minae: ignoring a broken local copy: {exc}", stacklevel=4)
            continue
        return images, labels, image_path
    return None


# ----------------------------------------------------------------------------------------------
# Downloading
# ----------------------------------------------------------------------------------------------

class _FetchError(Exception):
    """A download failed. ``str(exc)``: the full story; ``exc.short``: the reason alone."""

    def __init__(self, message: str, short: str | None = None):
        super().__init__(message)
        self.short = message if short is None else short


def _reason(exc: BaseException) -> str:
    """A short human reason for a failed download attempt."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):  # DNS failure, refused connection, timeout
        return str(exc.reason)
    return str(exc) or type(exc).__name__


class _Progress:
    """A progress bar on a terminal, else one line when a file starts and one when it ends."""

    def __init__(self, stream: TextIO, url: str):
        self.stream, self.url, self.total = stream, url, None
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.name = url.rsplit("/", 1)[-1]
        self.last = 0.0
        if self.tty:
            self._show(f"{self.name}: connecting to {url.rsplit('/', 1)[0]}/ ...")
        else:
            print(f"minae: downloading {url} ...", file=stream, flush=True)

    def _show(self, text: str) -> None:
        self.stream.write(f"\r  {text:<72}")
        self.stream.flush()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.1 and done != self.total):
            return
        self.last = now
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
            self._show(f"{self.name} [{bar}] {100 * frac:3.0f}% of {self.total / 1e6:.1f} MB")
        else:
            self._show(f"{self.name} {done / 1e6:.1f} MB")

    def finish(self, message: str) -> None:
        if self.tty:
            self.stream.write("\n")
        print(f"minae: {self.name}: {message}", file=self.stream, flush=True)


def _fetch(url: str, target: Path, md5: str | None, timeout: float, stream: TextIO,
           check: Callable[[np.ndarray, str], None]) -> np.ndarray:
    """Download ``url`` to ``target`` atomically; return its parsed IDX array.

    The bytes go to a unique temporary file beside ``target`` (``.<name>.<random>.part``); it
    is renamed to ``target`` only after the length, the MD5 (when given) and
    ``check(array, url)`` all pass, and it is deleted on any failure, Ctrl-C included.
    Raises ``_FetchError`` with the short reason.
    """
    progress = _Progress(stream, url)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest, received = hashlib.md5(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            progress.total = int(length) if length and length.isdigit() else None
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                progress.update(received)
        if progress.total is not None and received != progress.total:
            raise _FetchError(f"connection closed after {received} of {progress.total} bytes")
        if md5 is not None and digest.hexdigest() != md5.lower():
            raise _FetchError(f"MD5 checksum mismatch: got {digest.hexdigest()}, "
                              f"expected {md5}")
        array = read_idx(tmp)
        check(array, url)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, (OSError, http.client.HTTPException, ValueError, _FetchError)):
            progress.finish(f"failed: {_reason(exc)}")
            raise _FetchError(_reason(exc)) from exc
        raise
    progress.finish(f"{received / 1e6:.1f} MB, " + ("MD5 ok" if md5 else "no MD5 to check"))
    return array


def _download(split: str, cache: Path, count: int, mirrors: Sequence[str],
              checksums: Mapping[str, str], timeout: float, stream: TextIO,
              ) -> tuple[np.ndarray, np.ndarray, str]:
    """Download both files of ``split`` into ``cache``; return images, labels, first URL.

    Each file tries the mirrors in order and stops trying once ``3 * timeout`` seconds have
    passed; if a file fails on every mirror the split fails at once (``_FetchError``), so an
    offline machine gives up fast instead of waiting on every file.
    """
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _FetchError(f"cannot create the cache folder {cache}: {exc}",
                          f"cannot create {cache}") from None
    checks = (functools.partial(_check_images, count=count),
              functools.partial(_check_labels, count=count))
    arrays, first_url = [], ""
    for base, check in zip(IDX_FILES[split], checks, strict=True):
        filename = f"{base}.gz"
        errors, reasons, start = [], [], time.monotonic()
        for mirror in mirrors:
            if errors and time.monotonic() - start > 3 * timeout:
                errors.append(f"gave up after {time.monotonic() - start:.0f} s")
                break
            url = mirror.rstrip("/") + "/" + filename
            try:
                arrays.append(_fetch(url, cache / filename, checksums.get(filename), timeout,
                                     stream, lambda a, w, check=check: check(a, where=w)))
            except _FetchError as exc:
                errors.append(f"{url}: {exc}")
                reasons += [] if str(exc) in reasons else [str(exc)]
                continue
            first_url = first_url or url
            break
        else:
            if not errors:
                raise _FetchError("no mirrors given", "no mirrors given")
            raise _FetchError("; ".join(errors), "; ".join(reasons))
    return arrays[0], arrays[1], first_url


# ----------------------------------------------------------------------------------------------
# The loaders
# ----------------------------------------------------------------------------------------------

def _load(name: str, split: str, data_dir, download: bool, *, cache_dir=None, system_dir=None,
          mirrors: Sequence[str] | None = None, checksums: Mapping[str, str] | None = None,
          expected_count: int | None = None, timeout: float = 10.0,
          progress: TextIO | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Search, else download; return ``(images, labels, source)``. See ``load_mnist``."""
    _check_split(split)
    count = EXPECTED_COUNTS[split] if expected_count is None else int(expected_count)
    if count < 0:
        raise ValueError(f"expected_count must be >= 0; got {expected_count}")
    dirs = search_dirs(name, data_dir, cache_dir=cache_dir, system_dir=system_dir)
    problems: list[str] = []
    found = _find_local(dirs, split, count, problems)
    if found is not None:
        images, labels, path = found
        return images, labels, str(path)
    cache = dict(dirs)["cache"]
    if not download:
        why = short = "download=False"
    else:
        mirrors = MIRRORS[name] if mirrors is None else tuple(mirrors)
        checksums = CHECKSUMS[name] if checksums is None else checksums
        try:
            images, labels, url = _download(split, cache, count, mirrors, checksums, timeout,
                                            sys.stderr if progress is None else progress)
        except _FetchError as exc:
            why, short = f"download failed: {exc}", f"download failed: {exc.short}"
        else:
            saved = cache / f"{IDX_FILES[split][0]}.gz"
            return images, labels, f"{saved} (downloaded from {url})"
    raise _unavailable(name, split, dirs, problems, why, short, data_dir, cache)


def _unavailable(name: str, split: str, dirs, problems, why: str, short: str, data_dir,
                 cache: Path) -> DatasetUnavailableError:
    title = _TITLES[name]
    image_base, label_base = IDX_FILES[split]
    lines = [f"{title} ({split} split) is not available on this machine.",
             f"Searched for {image_base}[.gz] and {label_base}[.gz] in:"]
    if data_dir is None:
        lines.append("  data_dir argument: not given")
    if not os.environ.get("MINAE_DATA"):
        lines.append("  MINAE_DATA environment variable: not set")
    lines += [f"  {label}: {folder}" for label, folder in dirs]
    lines += [f"  found but invalid: {p}" for p in problems]
    lines.append("Download not attempted (download=False)." if why == "download=False"
                 else f"The {why}")
    lines += [
        "Three ways out:",
        f"  1. connect to the internet once and run again: the files are saved in {cache} "
        "and used offline from then on;",
        f"  2. put the four files ({', '.join(f + '.gz' for f in IDX_FILES['train'])}, "
        f"{', '.join(f + '.gz' for f in IDX_FILES['test'])}) in a folder and pass "
        f"data_dir=FOLDER, or set MINAE_DATA to a folder holding a {name}/ subfolder;",
        "  3. use the built-in synthetic digits, which need nothing: --dataset synthetic-digits "
        "(load_dataset('synthetic-digits')).",
    ]
    reason = ("no valid local copy" if problems else "no local copy") + f"; {short}"
    return DatasetUnavailableError("\n".join(lines), reason=reason,
                                   searched=[folder for _, folder in dirs])


def load_mnist(split: str = "train", data_dir: str | os.PathLike | None = None,
               download: bool = True, *, cache_dir: str | os.PathLike | None = None,
               system_dir: str | os.PathLike | None = None,
               mirrors: Sequence[str] | None = None,
               checksums: Mapping[str, str] | None = None,
               expected_count: int | None = None, timeout: float = 10.0,
               progress: TextIO | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST: a local copy if there is one, else download it once into the cache.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    data_dir : folder or None
        Searched first (the folder, then ``data_dir/mnist``). Then ``$MINAE_DATA/mnist``,
        the cache (``default_cache_dir("mnist")``), ``/usr/share/datasets/mnist``. Files may be
        named ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz`` (and so on).
    download : bool
        If nothing local is found, download from ``MIRRORS["mnist"]`` into the cache.
    cache_dir, system_dir : folder or None
        Replace the default cache / system folders (tests; a cache on another disk).
    mirrors : sequence of base URLs or None
        Tried in order; default ``MIRRORS["mnist"]``.
    checksums : mapping or None
        ``{"train-images-idx3-ubyte.gz": md5, ...}``; default ``CHECKSUMS["mnist"]`` (the
        official files). A file with no entry is checked only by its IDX header and sizes.
    expected_count : int or None
        Number of images the split must hold; default 60,000 / 10,000 (tests use small files).
    timeout : float
        Seconds to wait to connect and for each read; once ``3 * timeout`` seconds have gone
        into a file, no further mirror is tried for it.
    progress : text stream or None
        Where download progress goes; default ``sys.stderr`` (a bar when it is a terminal,
        otherwise one line when a file starts and one when it ends).

    Returns
    -------
    images : np.ndarray of uint8, shape (N, 28, 28)
        0 = background, 255 = ink.
    labels : np.ndarray of uint8, shape (N,)
        0..9.

    Raises
    ------
    DatasetUnavailableError
        Nothing valid locally and the download failed or was not allowed; the message says
        what was searched, why the download failed, and the three ways out.
    """
    images, labels, _ = _load("mnist", split, data_dir, download, cache_dir=cache_dir,
                              system_dir=system_dir, mirrors=mirrors, checksums=checksums,
                              expected_count=expected_count, timeout=timeout, progress=progress)
    return images, labels


def load_fashion_mnist(split: str = "train", data_dir: str | os.PathLike | None = None,
                       download: bool = True, *, cache_dir: str | os.PathLike | None = None,
                       system_dir: str | os.PathLike | None = None,
                       mirrors: Sequence[str] | None = None,
                       checksums: Mapping[str, str] | None = None,
                       expected_count: int | None = None, timeout: float = 10.0,
                       progress: TextIO | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST; exactly like ``load_mnist`` with ``"fashion-mnist"`` for ``"mnist"``.

    On Debian and Ubuntu, ``apt-get install dataset-fashion-mnist`` puts the files in
    ``/usr/share/datasets/fashion-mnist/``, which is searched by default. Class names are in
    ``CLASS_NAMES["fashion-mnist"]``.

    Returns
    -------
    images : np.ndarray of uint8, shape (N, 28, 28)
    labels : np.ndarray of uint8, shape (N,)
    """
    images, labels, _ = _load("fashion-mnist", split, data_dir, download, cache_dir=cache_dir,
                              system_dir=system_dir, mirrors=mirrors, checksums=checksums,
                              expected_count=expected_count, timeout=timeout, progress=progress)
    return images, labels


def to_float_images(images: np.ndarray) -> np.ndarray:
    """``uint8 (N, H, W)`` -> ``float32 (N, 1, H, W)`` in [0, 1] (divide by 255, add a channel).

    Raises
    ------
    TypeError
        ``images`` is not uint8 (floats are probably converted already).
    ValueError
        ``images`` is not 3-D.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float_images: images must be uint8 (N, H, W); got dtype "
                        f"{images.dtype}")
    if images.ndim != 3:
        raise ValueError(f"to_float_images: images must have shape (N, H, W); got "
                         f"{images.shape}")
    return (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]


# ----------------------------------------------------------------------------------------------
# Synthetic digits
# ----------------------------------------------------------------------------------------------

#: The matplotlib fonts digits are drawn from: (file, family, weight, style).
DIGIT_FONTS = (
    ("DejaVuSans.ttf", "DejaVu Sans", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "DejaVu Sans", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "DejaVu Sans", "normal", "oblique"),
    ("DejaVuSans-BoldOblique.ttf", "DejaVu Sans", "bold", "oblique"),
    ("DejaVuSerif.ttf", "DejaVu Serif", "normal", "normal"),
    ("DejaVuSerif-Bold.ttf", "DejaVu Serif", "bold", "normal"),
    ("DejaVuSerif-Italic.ttf", "DejaVu Serif", "normal", "italic"),
    ("DejaVuSerif-BoldItalic.ttf", "DejaVu Serif", "bold", "italic"),
    ("DejaVuSansMono.ttf", "DejaVu Sans Mono", "normal", "normal"),
    ("DejaVuSansMono-Bold.ttf", "DejaVu Sans Mono", "bold", "normal"),
    ("DejaVuSansMono-Oblique.ttf", "DejaVu Sans Mono", "normal", "oblique"),
    ("DejaVuSansMono-BoldOblique.ttf", "DejaVu Sans Mono", "bold", "oblique"),
)
_CANVAS = 36          # render here, then crop 28x28 around the centre of mass
_BLUR_LEVELS = (0.0, 0.0, 0.3, 0.45)  # Gaussian blur sigmas in pixels, drawn uniformly
_PLAIN_ONE = 0.35     # fraction of 1s drawn as a plain bar, as most handwritten 1s are


def _font_file(file: str, family: str, weight: str, style: str) -> str:
    """The path of a matplotlib font: its own copy, else whatever the font manager finds."""
    import matplotlib
    from matplotlib import font_manager

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / file
    if bundled.is_file():
        return str(bundled)
    props = font_manager.FontProperties(family=family, weight=weight, style=style)
    return font_manager.findfont(props, fallback_to_default=False)


@functools.cache
def _glyph_outlines() -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]:
    """Outlines of ``"0".."9"`` and a plain-bar 1 in every font of ``DIGIT_FONTS``.

    ``result[font][k]`` is ``(vertices (V, 2), codes (V,))`` of a ``matplotlib.path.Path`` for
    digit ``k`` (``k = 10``: the bar), centred on its bounding box and scaled to height 1. A
    pure function of the installed fonts, memoised because building 132 paths takes 0.1 s.
    Mono fonts draw 0 with a dot inside; their letter O is used instead.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    fonts = []
    for file, family, weight, style in DIGIT_FONTS:
        try:
            prop = FontProperties(fname=_font_file(file, family, weight, style))
        except ValueError:  # a Debian-style matplotlib without this font: use the others
            continue
        glyphs = []
        for text in [*"0123456789", "|"]:
            if text == "0" and "Mono" in family:
                text = "O"
            path = TextPath((0, 0), text, size=1, prop=prop)
            box = path.get_extents()
            vertices = (path.vertices - [box.x0 + box.width / 2, box.y0 + box.height / 2])
            vertices = vertices / box.height
            vertices.flags.writeable = False
            codes = path.codes.copy()
            codes.flags.writeable = False
            glyphs.append((vertices, codes))
        fonts.append(tuple(glyphs))
    if not fonts:
        raise RuntimeError("make_digits: none of the DejaVu fonts matplotlib ships was found")
    return tuple(fonts)


def make_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n`` handwriting-ish digits, MNIST-style, deterministically from ``seed``.

    Each digit is a glyph of one of the DejaVu fonts matplotlib ships (Sans, Serif, Mono and
    their bold / oblique variants; a third of the 1s are a plain bar, as most handwritten 1s
    are) that is, in this order:

    1. rotated by U(-12, 12) degrees, slanted by a shear ``x += s y`` with s ~ U(-0.15, 0.4)
       and stretched horizontally by U(0.7, 1.25);
    2. warped by a smooth random displacement (``x += a sin(f y + phi)`` and the same for y,
       amplitude up to 8% of the height, 0.5 to 1.5 periods per height) so strokes wobble as
       a pen's do;
    3. scaled to fit a box of U(17, 20) pixels, aspect kept (MNIST: 20x20), with its outline
       stroked to thicken it (up to +1.8 px) or thin it (down to -0.4 px; bold fonts
       -0.8 to +0.6 px), drawn anti-aliased by matplotlib's Agg renderer;
    4. blurred (Gaussian sigma 0, 0.3 or 0.45 px; 0 for half of them), given a contrast gain
       U(1, 1.35) that saturates stroke centres as MNIST's are, and cropped to 28x28 so that
       its centre of mass lands at the centre to within half a pixel (MNIST: centred by
       centre of mass too).

    Labels are balanced: every block of 10 consecutive images holds each digit once. Images
    are a *prefix-stable* sequence: ``make_digits(k, s)`` is the first ``k`` of
    ``make_digits(n, s)`` for ``k <= n``. About 0.1 ms per image on one core: 10,000 in 1 to
    1.5 s, 60,000 in 6 to 8 s (less than one training epoch), so nothing is cached on disk.

    How close to MNIST (seed 0, 10,000 images, against MNIST's test set): mean intensity 0.132
    (MNIST 0.133), nonzero pixels 22% (19%), pixels >= 250 8.6% (7.6%); a nearest-class-mean
    classifier fit on 2,000 images of one seed scores 0.88 on 2,000 of another (on MNIST:
    0.83).

    Parameters
    ----------
    n : int >= 0
        Number of images.
    seed : int >= 0
        Same seed, same images (on the same fonts and matplotlib version).

    Returns
    -------
    images : np.ndarray of uint8, shape (n, 28, 28)
        Mean intensity about 0.13 of full scale, like MNIST.
    labels : np.ndarray of uint8, shape (n,)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"make_digits: n must be an int >= 0; got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"make_digits: seed must be an int >= 0; got {seed!r}")
    n = int(n)
    label_seq, param_seq = np.random.SeedSequence(int(seed)).spawn(2)
    blocks = -(-n // 10)
    labels = np.argsort(np.random.default_rng(label_seq).random((blocks, 10)), axis=1)
    labels = labels.ravel()[:n].astype(np.uint8)
    # One row of uniforms per image, drawn row by row: that is what makes prefixes stable.
    params = np.random.default_rng(param_seq).random((n, 16))
    images = np.empty((n, 28, 28), dtype=np.uint8)
    chunk = 2048
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        images[start:stop] = _render_chunk(labels[start:stop], params[start:stop])
    return images, labels


def _render_chunk(labels: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Render, blur and centre a chunk of digits. ``params``: (m, 16) uniforms in [0, 1)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import IdentityTransform
    from scipy import ndimage

    fonts = _glyph_outlines()
    m, c = len(labels), _CANVAS
    renderer = RendererAgg(c, c, 72)  # at 72 dpi one point is one pixel
    gc = renderer.new_gc()
    gc.set_antialiased(True)
    gc.set_joinstyle("round")
    gc.set_capstyle("round")
    identity = IdentityTransform()
    canvas = np.empty((m, c, c), dtype=np.float32)
    for i in range(m):
        u = params[i]
        font = int(u[0] * len(fonts))
        glyph = 10 if labels[i] == 1 and u[1] < _PLAIN_ONE else int(labels[i])
        vertices, codes = fonts[font][glyph]
        bold = DIGIT_FONTS[font][2] == "bold"
        # 1. rotation, slant, stretch (a 2x2 matrix acting on row vectors)
        angle = np.deg2rad(-12 + 24 * u[2])
        shear, stretch = -0.15 + 0.55 * u[3], 0.7 + 0.55 * u[4]
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        v = vertices @ (rot @ np.array([[stretch, shear], [0.0, 1.0]])).T
        # 2. a smooth wobble: x moves with a sine of y, y with a sine of x
        amp, freq, phase = 0.08 * u[5], 2 * np.pi * (0.5 + u[6:8]), 2 * np.pi * u[8:10]
        v = v + amp * np.sin(v[:, ::-1] * freq + phase)
        # 3. fit the box (stroke included), then draw: fill, and stroke the outline in white
        # (thicker) or black (thinner)
        width = (-0.8 + 1.4 * u[10]) if bold else (-0.4 + 2.2 * u[10])
        lo, hi = v.min(axis=0), v.max(axis=0)
        scale = (17 + 3 * u[11] - max(width, 0.0)) / max(hi - lo)
        v = (v - (lo + hi) / 2) * scale + c / 2
        path = MplPath(v, codes)
        renderer.clear()
        ink = (1.0, 1.0, 1.0) if width > 0 else (0.0, 0.0, 0.0)
        gc.set_linewidth(abs(width))
        gc.set_foreground(ink)
        renderer.draw_path(gc, path, identity, (1, 1, 1, 1))  # Agg fills, then strokes
        rgba = np.asarray(renderer.buffer_rgba())  # not premultiplied: ink is red * alpha
        np.multiply(rgba[:, :, 0], rgba[:, :, 3], out=canvas[i], dtype=np.float32)
    # 4. blur, by level so each level is one vectorised call
    level = (params[:, 12] * len(_BLUR_LEVELS)).astype(int)
    for k, sigma in enumerate(_BLUR_LEVELS):
        chosen = level == k
        if sigma > 0 and chosen.any():
            canvas[chosen] = ndimage.gaussian_filter(canvas[chosen], sigma=(0, sigma, sigma))
    # ... and centre of mass to the centre of 28x28 (pixel centres 0..27: centre 13.5)
    mass = np.maximum(canvas.sum(axis=(1, 2)), 1e-6)
    grid = np.arange(c)
    com_y = canvas.sum(axis=2) @ grid / mass
    com_x = canvas.sum(axis=1) @ grid / mass
    jitter = params[:, 13:15] - 0.5  # up to half a pixel either way
    top = np.clip(np.rint(com_y - 13.5 + jitter[:, 0]), 0, c - 28).astype(int)
    left = np.clip(np.rint(com_x - 13.5 + jitter[:, 1]), 0, c - 28).astype(int)
    rows = top[:, None, None] + np.arange(28)[None, :, None]
    cols = left[:, None, None] + np.arange(28)[None, None, :]
    out = canvas[np.arange(m)[:, None, None], rows, cols] / 255.0
    out = out * (1.0 + 0.35 * params[:, 15, None, None])  # contrast: saturate the strokes
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def synthetic_split_seed(seed: int, split: str) -> int:
    """The ``make_digits`` seed of ``split`` for a user's ``seed``: train and test differ.

    ``SeedSequence([seed, 0])`` for train and ``[seed, 1]`` for test, reduced to one 32-bit
    integer, so the two splits are independent draws and never share an image.
    """
    _check_split(split)
    state = np.random.SeedSequence([int(seed), SPLITS.index(split)]).generate_state(1)
    return int(state[0])


# ----------------------------------------------------------------------------------------------
# One entry point for demos
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """Images and labels ready for a model, with where they came from.

    Attributes
    ----------
    images : np.ndarray of float32, shape (N, 1, 28, 28)
        In [0, 1].
    labels : np.ndarray of int64, shape (N,)
    name : str
        The data set actually used: ``"mnist"``, ``"fashion-mnist"`` or ``"synthetic-digits"``
        (after a fallback this is not the one asked for).
    source : str
        Where it came from: the images file, or ``"synthetic digits, seed 0 (train split)"``.
    class_names : tuple of str
        Name of each label: ``"0".."9"``, or Fashion-MNIST's ten clothing classes.
    """

    images: np.ndarray
    labels: np.ndarray
    name: str
    source: str
    class_names: tuple[str, ...]

    def __post_init__(self):
        if self.images.dtype != np.float32 or self.images.ndim != 4:
            raise ValueError(f"Dataset.images must be float32 (N, C, H, W); got "
                             f"{self.images.dtype} {self.images.shape}")
        if self.labels.dtype != np.int64 or self.labels.shape != self.images.shape[:1]:
            raise ValueError(f"Dataset.labels must be int64 of shape "
                             f"{self.images.shape[:1]}; got {self.labels.dtype} "
                             f"{self.labels.shape}")

    def __len__(self) -> int:
        return len(self.labels)


def load_dataset(name: str, split: str = "train", *, data_dir: str | os.PathLike | None = None,
                 download: bool = True, limit: int | None = None, seed: int = 0,
                 fallback: bool = True, log: Callable[[str], object] | None = print,
                 **loader_options) -> Dataset:
    """Load ``name`` for a demo: float images ``(N, 1, 28, 28)`` in [0, 1] and int64 labels.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "synthetic-digits"}
    split : {"train", "test"}
    data_dir, download
        As for ``load_mnist`` (ignored by synthetic digits).
    limit : int or None
        Keep the first ``limit`` images (synthetic digits: generate only ``limit``). ``None``:
        all; synthetic digits then makes 60,000 / 10,000 like MNIST (6-8 s / 1-1.5 s).
    seed : int
        Seed of the synthetic digits; the train and test splits use different seeds derived
        from it (``synthetic_split_seed``).
    fallback : bool
        When MNIST / Fashion-MNIST cannot be had: if True, call ``log`` with one line saying
        why and return synthetic digits instead; if False, raise ``DatasetUnavailableError``.
    log : callable or None
        Receives the fallback line (default ``print``; None: silent).
    **loader_options
        Passed to the loader: ``cache_dir``, ``system_dir``, ``mirrors``, ``checksums``,
        ``expected_count``, ``timeout``, ``progress`` (see ``load_mnist``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid ones), bad ``split`` or ``limit``.
    DatasetUnavailableError
        With ``fallback=False``, when the data set cannot be had.
    """
    _check_name(name)
    _check_split(split)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))
                              or limit < 1):
        raise ValueError(f"limit must be None or an int >= 1; got {limit!r}")
    if name != "synthetic-digits":
        try:
            images, labels, source = _load(name, split, data_dir, download, **loader_options)
        except DatasetUnavailableError as exc:
            if not fallback:
                raise
            if log is not None:
                reason = " ".join(exc.reason.split())  # one line, whatever the reason holds
                log(f"minae: {_TITLES[name]} ({split}) is not available ({reason}); falling "
                    f"back to synthetic digits (seed {seed}). To get {_TITLES[name]}: "
                    "connect once, or pass data_dir / set MINAE_DATA.")
        else:
            images, labels = images[:limit], labels[:limit]
            return Dataset(to_float_images(images), labels.astype(np.int64), name, source,
                           CLASS_NAMES[name])
    n = EXPECTED_COUNTS[split] if limit is None else int(limit)
    images, labels = make_digits(n, seed=synthetic_split_seed(seed, split))
    return Dataset(to_float_images(images), labels.astype(np.int64), "synthetic-digits",
                   f"synthetic digits, seed {seed} ({split} split)",
                   CLASS_NAMES["synthetic-digits"])
