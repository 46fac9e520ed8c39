"""The IDX file format that MNIST is stored in: ``read_idx`` and ``write_idx``.

A file is::

    0x00 0x00 <type code> <ndim>           4 bytes: the "magic number"
    <dim 0> <dim 1> ... <dim ndim-1>       ndim big-endian uint32
    <payload>                              prod(dims) elements, big-endian, C order

gzipped or not (detected by the gzip magic bytes ``1f 8b``, never by the file name). The six
element types are listed in ``IDX_TYPES``.

Reading trusts nothing. The header is read first, and it fixes how many payload bytes the file
may hold: ``prod(dims) * itemsize``. A header that claims more than any machine has is refused
before anything is allocated (``check_allocation``); the payload is then read in chunks of
``CHUNK_BYTES``, and a gzip stream is decompressed only up to what the header declares plus
``SLACK_BYTES``, so a small gzip file that inflates to gigabytes is rejected after reading a few
kilobytes more than it promised, never inflated in full. A truncated, corrupt or non-IDX file
raises ``ValueError`` naming the file and what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import math
import os
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

import numpy as np

from minae.data.temporary import open_temporary
from minae.layers.checks import check_allocation, format_bytes

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
CHUNK_BYTES = 1 << 20  # the payload is read (and decompressed) this much at a time
SLACK_BYTES = 1 << 16  # how far past the declared size a gzip stream is read to measure extras


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
        payload shorter or longer than the dimensions say, a gzip stream that inflates beyond
        what the header declares, broken gzip stream), or its header declares an absurd size
        (the message gives it). Nothing is returned half-loaded.
    MemoryError
        The declared payload does not fit in memory; the message names the file and the size.
    OSError
        The file cannot be read (``FileNotFoundError``, ``PermissionError``).
    """
    path = Path(path)
    with open(path, "rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            raw.seek(0)
            return _read_stream(raw, str(path), os.fstat(raw.fileno()).st_size)
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, f"{path} (gzip)", None)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def _read_stream(stream: BinaryIO, where: str, size: int | None) -> np.ndarray:
    """Parse an uncompressed IDX byte stream; ``size``: its length if known (a plain file).

    ``where`` names the stream in error messages.
    """
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"{where}: not an IDX file: {len(magic)} bytes, shorter than the "
                         "4-byte magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(f"{where}: not an IDX file: the first two bytes must be 0x00 0x00; "
                         f"got 0x{magic[0]:02x} 0x{magic[1]:02x}")
    code, ndim = magic[2], magic[3]
    if code not in IDX_TYPES:
        raise ValueError(f"{where}: unknown IDX type code 0x{code:02x}; expected one of "
                         f"{_IDX_TYPE_LIST}")
    if ndim == 0:
        raise ValueError(f"{where}: the IDX header says 0 dimensions; expected at least 1")
    dims = stream.read(4 * ndim)
    header = 4 + 4 * ndim
    if len(dims) < 4 * ndim:
        raise ValueError(f"{where}: truncated IDX header: {ndim} dimensions need {header} "
                         f"header bytes; the file has {4 + len(dims)}")
    shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
    dtype = IDX_TYPES[code]
    check_allocation(shape, dtype.newbyteorder("="),
                     f"{where}: the IDX header is corrupt or absurd: its array")
    expected = math.prod(shape) * dtype.itemsize
    if size is not None and size - header != expected:  # a plain file: its size tells
        _wrong_size(where, shape, dtype, size - header)
    payload = _read_payload(stream, expected, f"{where}: the IDX payload of shape {shape} "
                                              f"({dtype.name})")
    if len(payload) < expected:
        _wrong_size(where, shape, dtype, len(payload))
    extra = stream.read(SLACK_BYTES)
    if len(extra) == SLACK_BYTES:
        raise ValueError(f"{where}: the data inflates beyond the {header + expected} bytes "
                         f"its IDX header declares (dimensions {shape} of {dtype.name}); "
                         f"stopped reading {SLACK_BYTES} bytes past the end")
    if extra:
        _wrong_size(where, shape, dtype, expected + len(extra))
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)  # a view: no copy
    if not dtype.isnative:  # big-endian on disk: swap the bytes in place, then read natively
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array


def _wrong_size(where: str, shape: tuple, dtype: np.dtype, actual: int) -> None:
    """Raise the ``ValueError`` for a payload of ``actual`` bytes where the header says else."""
    expected = math.prod(shape) * dtype.itemsize
    if actual < expected:
        raise ValueError(f"{where}: truncated IDX payload: dimensions {shape} of "
                         f"{dtype.name} need {expected} bytes; the file has {actual}")
    raise ValueError(f"{where}: {actual - expected} extra bytes after the IDX payload: "
                     f"dimensions {shape} of {dtype.name} need exactly {expected}")


def _read_payload(stream: BinaryIO, nbytes: int, what: str) -> bytearray:
    """Read up to ``nbytes`` from ``stream``, ``CHUNK_BYTES`` at a time, into one buffer.

    Memory grows with what actually arrives, never past ``nbytes`` (plus one chunk), so a
    header that promises gigabytes over a short stream costs only the stream's length.
    """
    payload = bytearray()
    try:
        while len(payload) < nbytes:
            chunk = stream.read(min(CHUNK_BYTES, nbytes - len(payload)))
            if not chunk:
                break
            payload += chunk
    except MemoryError:
        raise MemoryError(f"not enough memory for {what}: {format_bytes(nbytes)}; free some "
                          "memory, or load the file on a larger machine") from None
    return payload


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``.

    The file is written to a temporary name in the same folder
    (``.<name>.<pid>.<random>.tmp``, see ``minae.data.temporary``) and renamed into place, so
    a reader never sees half a file; temporaries that killed writers left are removed first.

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
    OSError
        The file cannot be written (``FileNotFoundError`` when its folder does not exist); the
        message names ``path``, never the temporary file.
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
    try:
        _atomic_write(path, data)
    except OSError as exc:
        raise _write_error(exc, path) from None


def _write_error(exc: OSError, path: Path) -> OSError:
    """``exc`` (which names the temporary file) retold about ``path``, the file asked for."""
    if not path.parent.is_dir():
        return FileNotFoundError(errno.ENOENT, f"write_idx: cannot write {path}: the folder "
                                 f"{path.parent} does not exist; create it first (e.g. "
                                 "Path(folder).mkdir(parents=True))", str(path))
    return type(exc)(exc.errno, f"write_idx: cannot write {path}: {exc.strerror or exc}",
                     str(path))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a fresh temporary file beside ``path``, then rename it into place.

    Temporaries left by killed writers of the same ``path`` are removed first, with a warning.
    """
    fd, tmp, removed = open_temporary(path)
    if removed:
        warnings.warn(f"write_idx: removed {len(removed)} temporary file(s) left next to {path} "
                      f"by killed writers (process gone): {', '.join(removed)}", stacklevel=3)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
