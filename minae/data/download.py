"""Downloading MNIST / Fashion-MNIST into the cache: mirrors, timeouts, checksums, atomic files.

Standard library only. Each file of a split tries the mirrors in order, with a connect timeout,
a progress bar on a terminal (else one line when a file starts and one when it ends) and MD5
verification. The bytes go to a unique temporary file beside the target
(``.<name>.<pid>.<random>.tmp``, see ``minae.data.temporary``) that is renamed into place only
once the length, the checksum and the IDX contents all pass, and that is deleted on any
failure, Ctrl-C included, so an interrupted download never leaves a file that looks complete
(and the temporary of a download killed outright is removed by the next one).

A failure that is the network's (refused, timed out, HTTP 404, cut short, wrong checksum) moves
on to the next mirror; a failure that is this machine's (the cache cannot be written) stops at
once, because no mirror can fix it. Either way ``FetchError`` carries one short reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from minae.data.catalogue import IDX_FILES
from minae.data.idx import read_idx
from minae.data.temporary import open_temporary


class FetchError(Exception):
    """A download failed. ``str(exc)``: the full story; ``exc.short``: the reason alone.

    ``local`` is True when the cause is on this machine (the cache cannot be written), so no
    other mirror is worth trying.
    """

    def __init__(self, message: str, short: str | None = None, *, local: bool = False):
        super().__init__(message)
        self.short = message if short is None else short
        self.local = local


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


def _temporary_beside(target: Path, stream: TextIO) -> tuple[int, Path]:
    """A fresh temporary beside ``target`` (see ``minae.data.temporary``); ``FetchError``
    (local) if the cache refuses it. Killed downloads' temporaries are removed, in one line."""
    try:
        fd, tmp, removed = open_temporary(target)
    except OSError as exc:
        why = f"cannot write into the cache {target.parent} ({exc.strerror or exc})"
        raise FetchError(why, why, local=True) from None
    if removed:
        print(f"minae: removed {len(removed)} temporary file(s) left in {target.parent} by "
              f"killed downloads (process gone): {', '.join(removed)}", file=stream, flush=True)
    return fd, tmp


def fetch(url: str, target: Path, md5: str | None, timeout: float, stream: TextIO,
          check: Callable[[np.ndarray, str], None]) -> np.ndarray:
    """Download ``url`` to ``target`` atomically; return its parsed IDX array.

    The file is renamed to ``target`` only after the length, the MD5 (when given) and
    ``check(array, url)`` all pass. Raises ``FetchError`` with the short reason.
    """
    fd, tmp = _temporary_beside(target, stream)
    progress = _Progress(stream, url)
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
            raise FetchError(f"connection closed after {received} of {progress.total} bytes")
        if md5 is not None and digest.hexdigest() != md5.lower():
            raise FetchError(f"MD5 checksum mismatch: got {digest.hexdigest()}, "
                             f"expected {md5}")
        array = read_idx(tmp)
        check(array, url)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, (OSError, http.client.HTTPException, ValueError, FetchError)):
            progress.finish(f"failed: {_reason(exc)}")
            raise FetchError(_reason(exc)) from exc
        raise
    progress.finish(f"{received / 1e6:.1f} MB, " + ("MD5 ok" if md5 else "no MD5 to check"))
    return array


def download_split(split: str, cache: Path, mirrors: Sequence[str],
                   checksums: Mapping[str, str], timeout: float, stream: TextIO,
                   checks: Sequence[Callable[[np.ndarray, str], None]],
                   ) -> tuple[np.ndarray, np.ndarray, str]:
    """Download both files of ``split`` into ``cache``; return images, labels, first URL.

    ``checks``: one ``check(array, url)`` for the images and one for the labels. Each file
    tries the mirrors in order and stops trying once ``3 * timeout`` seconds have passed; if a
    file fails on every mirror the split fails at once (``FetchError``), so an offline machine
    gives up fast instead of waiting on every file.
    """
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the cache folder {cache}: {exc}",
                         f"cannot create {cache}", local=True) from None
    arrays, first_url = [], ""
    for base, check in zip(IDX_FILES[split], checks, strict=True):
        filename = f"{base}.gz"
        errors, reasons, start, array = [], [], time.monotonic(), None
        for mirror in mirrors:
            if errors and time.monotonic() - start > 3 * timeout:
                errors.append(f"gave up after {time.monotonic() - start:.0f} s")
                break
            url = mirror.rstrip("/") + "/" + filename
            try:
                array = fetch(url, cache / filename, checksums.get(filename), timeout, stream,
                              check)
            except FetchError as exc:
                if exc.local:
                    raise
                errors.append(f"{url}: {exc}")
                reasons += [] if str(exc) in reasons else [str(exc)]
                continue
            first_url = first_url or url
            break
        if array is None:
            if not errors:
                raise FetchError("no mirrors given", "no mirrors given")
            raise FetchError("; ".join(errors), "; ".join(reasons))
        arrays.append(array)
    return arrays[0], arrays[1], first_url
