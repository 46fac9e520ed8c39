"""The MNIST and Fashion-MNIST loaders: a local copy if there is one, else a download.

``load_mnist`` / ``load_fashion_mnist`` return ``uint8`` images ``(N, 28, 28)`` and ``uint8``
labels ``(N,)``, checked (count, shape, dtype, labels 0..9) before they are returned. They
search the folders of ``search_dirs`` in order (``minae.data.search``), then download into the
cache (``minae.data.download``). When neither works they raise ``DatasetUnavailableError``,
whose message says what was searched, why the download failed, and the three ways out, and
whose ``reason`` is the same in one line (``load_dataset`` prints it when it falls back).

Local copies are checked by their IDX headers and sizes, not by MD5, because they may have been
recompressed (Debian's are); downloads are checked by MD5 as well.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from minae.data.catalogue import (
    CHECKSUMS,
    EXPECTED_COUNTS,
    IDX_FILES,
    MIRRORS,
    TITLES,
    check_split,
)
from minae.data.download import FetchError, download_split
from minae.data.search import cache_write_problem, find_local, search_dirs, source_problems
from minae.data.validate import check_images, check_labels


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


def load_files(name: str, split: str, data_dir, download: bool, *, cache_dir=None,
               system_dir=None, mirrors: Sequence[str] | None = None,
               checksums: Mapping[str, str] | None = None, expected_count: int | None = None,
               timeout: float = 10.0, progress: TextIO | None = None,
               ) -> tuple[np.ndarray, np.ndarray, str]:
    """Search, else download; return ``(images, labels, source)``. See ``load_mnist``."""
    check_split(split)
    count = EXPECTED_COUNTS[split] if expected_count is None else int(expected_count)
    if count < 0:
        raise ValueError(f"expected_count must be >= 0; got {expected_count}")
    dirs = search_dirs(name, data_dir, cache_dir=cache_dir, system_dir=system_dir)
    cache = dict(dirs)["cache"]
    notes = source_problems(data_dir, cache)

    def check_pair(images, labels, image_path, label_path):
        check_images(images, count, image_path)
        check_labels(labels, count, label_path)

    problems: list[str] = []
    found = find_local(dirs, split, check_pair, problems)
    if found is not None:
        images, labels, path = found
        if notes:
            warnings.warn(f"minae: {'; '.join(notes)}; loaded {TITLES[name]} from {path} "
                          "instead", stacklevel=3)
        return images, labels, str(path)
    blocked = cache_write_problem(cache) if download else None
    if not download:
        why = short = "download=False"
    elif blocked:
        why = (f"download was not attempted: {blocked}, so nothing can be kept there (make it "
               "writable, set XDG_CACHE_HOME, or pass cache_dir=FOLDER)")
        short = f"{blocked}, so nothing was downloaded"
    else:
        checks = (lambda a, url: check_images(a, count, url),
                  lambda a, url: check_labels(a, count, url))
        try:
            images, labels, url = download_split(
                split, cache, MIRRORS[name] if mirrors is None else tuple(mirrors),
                CHECKSUMS[name] if checksums is None else checksums, timeout,
                sys.stderr if progress is None else progress, checks)
        except FetchError as exc:
            why, short = f"download failed: {exc}", f"download failed: {exc.short}"
        else:
            saved = cache / f"{IDX_FILES[split][0]}.gz"
            return images, labels, f"{saved} (downloaded from {url})"
    raise _unavailable(name, split, dirs, notes, problems, why, short, data_dir, cache)


def _unavailable(name: str, split: str, dirs, notes, problems, why: str, short: str, data_dir,
                 cache: Path) -> DatasetUnavailableError:
    """The error that says what was searched, why it failed, and the three ways out."""
    title = TITLES[name]
    image_base, label_base = IDX_FILES[split]
    lines = [f"{title} ({split} split) is not available on this machine.",
             f"Searched for {image_base}[.gz] and {label_base}[.gz] in:"]
    if data_dir is None:
        lines.append("  data_dir argument: not given")
    if not os.environ.get("MINAE_DATA"):
        lines.append("  MINAE_DATA environment variable: not set")
    lines += [f"  {label}: {folder}" for label, folder in dirs]
    lines += [f"  unusable: {note}" for note in notes]
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
    found = "no valid local copy" if problems else "no local copy"
    reason = "; ".join([*notes, found, short])
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
        named ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz`` (and so on). A
        ``data_dir`` or ``MINAE_DATA`` that is not an existing folder is skipped and named
        (in a warning if the data is found elsewhere, else in the error).
    download : bool
        If nothing local is found, download from ``MIRRORS["mnist"]`` into the cache (unless
        the cache cannot be written: then nothing is downloaded and the error says why).
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
    images, labels, _ = load_files("mnist", split, data_dir, download, cache_dir=cache_dir,
                                   system_dir=system_dir, mirrors=mirrors, checksums=checksums,
                                   expected_count=expected_count, timeout=timeout,
                                   progress=progress)
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
    images, labels, _ = load_files("fashion-mnist", split, data_dir, download,
                                   cache_dir=cache_dir, system_dir=system_dir, mirrors=mirrors,
                                   checksums=checksums, expected_count=expected_count,
                                   timeout=timeout, progress=progress)
    return images, labels
