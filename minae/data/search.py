"""Where MNIST and Fashion-MNIST are looked for, in order, and what is wrong with a folder.

The search order for data set ``<name>`` (``search_dirs`` returns it for a given call):

1. the ``data_dir`` argument: the folder itself, then its ``<name>/`` subfolder;
2. ``$MINAE_DATA/<name>/`` (read at each call; skipped when unset);
3. the cache ``$XDG_CACHE_HOME/minae/<name>/`` (``~/.cache/minae/<name>/`` when
   ``XDG_CACHE_HOME`` is unset), where downloads are kept;
4. the system folder ``/usr/share/datasets/<name>/``, where Debian's ``dataset-fashion-mnist``
   package puts its files.

The first folder holding a valid pair of files (images and labels, ``.gz`` or not) wins; a
broken pair is skipped with a warning, so it never hides a good copy further down the list.

A folder the user *named* that cannot be searched (a ``data_dir`` that does not exist,
``MINAE_DATA`` pointing to a file, a cache path that is a file) is never an error by itself:
it is reported in one line (``source_problems``) and the search goes on. A cache that cannot be
written (``cache_write_problem``) is still searched, but nothing is downloaded into it: it is
treated like no cache at all.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from minae.data.catalogue import FILE_DATASETS, IDX_FILES, check_name
from minae.data.idx import read_idx

SYSTEM_DATASETS_DIR = Path("/usr/share/datasets")


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
    check_name(name, FILE_DATASETS)
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


def _not_a_folder(folder: Path) -> str | None:
    """``"does not exist"``, ``"is not a folder"``, ``"cannot be read (...)"``, or None."""
    try:
        if not folder.exists():
            return "does not exist"
        if not folder.is_dir():
            return "is not a folder"
    except OSError as exc:  # e.g. a parent folder without search permission
        return f"cannot be read ({exc.strerror or exc})"
    return None


def source_problems(data_dir: str | os.PathLike | None, cache: Path) -> list[str]:
    """One phrase per folder the user named that cannot be searched, naming the path.

    ``data_dir`` (the argument) and ``MINAE_DATA`` (the environment) must be existing folders;
    the cache may be missing (a download creates it) but must not be a file. The system
    folder is optional and never reported.
    """
    problems = []
    if data_dir is not None and (why := _not_a_folder(Path(data_dir))):
        problems.append(f"data_dir {data_dir} {why}")
    env = os.environ.get("MINAE_DATA", "")
    if env and (why := _not_a_folder(Path(env))):
        problems.append(f"MINAE_DATA={env} {why}")
    if (why := _not_a_folder(cache)) and why != "does not exist":
        problems.append(f"the cache {cache} {why}")
    return problems


def cache_write_problem(cache: Path) -> str | None:
    """Why nothing can be downloaded into ``cache``, naming the path; None if something can.

    A missing cache is fine when it can be created: the nearest existing folder above it must
    be a writable folder.
    """
    existing = cache
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing != cache:
        if not existing.is_dir():
            return f"the cache {cache} cannot be created: {existing} is not a folder"
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"the cache {cache} cannot be created: {existing} is read-only"
        return None
    if not cache.is_dir():
        return f"the cache {cache} is not a folder"
    if not os.access(cache, os.W_OK | os.X_OK):
        return f"the cache {cache} is read-only"
    return None


def _existing(folder: Path, base: str) -> Path | None:
    """``folder/base`` or ``folder/base.gz``, whichever exists first; None if neither."""
    for candidate in (folder / base, folder / f"{base}.gz"):
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a folder we may not look into holds nothing for us
            return None
    return None


def find_local(dirs: Sequence[tuple[str, Path]], split: str,
               check: Callable[[np.ndarray, np.ndarray, Path, Path], None],
               problems: list[str]) -> tuple[np.ndarray, np.ndarray, Path] | None:
    """Load ``split`` from the first folder of ``dirs`` holding a valid pair of files.

    ``check(images, labels, image_path, label_path)`` raises ``ValueError`` for a pair that is
    not the data set. An invalid or unreadable pair is skipped with a warning and described in
    ``problems``, so a broken copy never hides a good one further down the list.

    Returns ``(images, labels, image_path)``, or None if no folder holds a valid pair.
    """
    image_base, label_base = IDX_FILES[split]
    for _, folder in dirs:
        image_path, label_path = _existing(folder, image_base), _existing(folder, label_base)
        if image_path is None or label_path is None:
            continue
        try:
            images, labels = read_idx(image_path), read_idx(label_path)
            check(images, labels, image_path, label_path)
        except (ValueError, OSError) as exc:
            problems.append(str(exc))
            warnings.warn(f"minae: ignoring a broken local copy: {exc}", stacklevel=4)
            continue
        return images, labels, image_path
    return None
