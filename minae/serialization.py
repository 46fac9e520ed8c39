"""Save and load a model's parameters: a ``.npz`` archive of arrays under their dotted names.

::

    save(model, "ae.npz")          # {"encoder.0.W": array, "encoder.0.b": array, ...}
    load(model, "ae.npz")          # copies into model.params' arrays, in place

Only arrays are stored, never pickled Python objects (``np.load(..., allow_pickle=False)``):
loading a file cannot run code. The architecture is not stored: build the same model, then load
its parameters into it.

Safety
------
* ``save`` writes a temporary file in the target folder and then renames it over ``path``
  with ``os.replace`` (atomic on POSIX and Windows), so an interrupted or failed save never
  leaves a half-written file, and an existing file is either kept or fully replaced.
* ``load`` reads and checks *everything* before copying *anything*: missing names, extra
  names, wrong shapes and non-float arrays are all listed in one ``ParameterMismatchError``,
  and the model is left unchanged.
"""

from __future__ import annotations

import os
import secrets
import zipfile

import numpy as np

# np.savez(file, *args, allow_pickle=..., **kwds): parameter names that would collide.
_RESERVED = ("file", "allow_pickle")


class ParameterMismatchError(ValueError):
    """A file's parameters do not fit the model. ``.missing``, ``.extra``, ``.wrong``."""

    def __init__(self, message: str, missing: list[str], extra: list[str], wrong: list[str]):
        super().__init__(message)
        self.missing = missing
        self.extra = extra
        self.wrong = wrong


def save(model, path: str | os.PathLike) -> None:
    """Write ``model.params`` to ``path`` as an uncompressed ``.npz``, atomically.

    Parameters
    ----------
    model : Layer
        Anything with a ``params`` dict of arrays (dotted names for containers).
    path : str or path-like
        The file to write, used exactly as given (no ``.npz`` is appended). Its folder must
        exist.
    """
    params = model.params
    bad = [name for name in params if name in _RESERVED]
    if bad:
        raise ValueError(f"save: parameter name(s) {bad} clash with np.savez's own arguments; "
                         "rename them")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder!r} does not exist (path {path!r})")
    # A fresh name in the same folder (os.replace cannot move across file systems), created
    # with os.open so that the final file gets the usual permissions (umask), unlike mkstemp.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{name: np.asarray(p) for name, p in params.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(model, path: str | os.PathLike):
    """Copy the parameters stored at ``path`` into ``model.params``' arrays, in place.

    Parameters
    ----------
    model : Layer
        A model built with the same architecture as the one saved.
    path : str or path-like
        A file written by ``save``.

    Returns
    -------
    model
        The same object, for ``model = load(build_model(), path)``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a readable ``.npz`` archive (truncated, corrupt, another format).
    ParameterMismatchError (a ValueError)
        Names missing from the file, names the model does not have, or arrays whose shape
        differs or which are not floating point: all of them, in one message. Nothing is
        copied in that case. Float arrays of another precision are cast to the model's dtype.
    """
    path = os.fspath(path)
    arrays = _read_npz(path)
    params = model.params
    missing = sorted(set(params) - set(arrays))
    extra = sorted(set(arrays) - set(params))
    wrong = []
    for name in sorted(set(params) & set(arrays)):
        a, p = arrays[name], params[name]
        if a.shape != p.shape:
            wrong.append(f"{name}: file has shape {a.shape}, model has {p.shape}")
        elif a.dtype.kind != "f":
            wrong.append(f"{name}: file has dtype {a.dtype}, expected a float array")
    if missing or extra or wrong:
        lines = [f"load: the parameters in {path!r} do not fit {type(model).__name__}; "
                 "nothing was loaded"]
        lines += [f"  missing from the file: {name}" for name in missing]
        lines += [f"  in the file but not in the model: {name}" for name in extra]
        lines += [f"  wrong: {w}" for w in wrong]
        raise ParameterMismatchError("\n".join(lines), missing, extra, wrong)
    for name, p in params.items():
        np.copyto(p, arrays[name], casting="same_kind")
    return model


def _read_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, fully read (so corruption shows up here)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"load: {path!r} is not a readable .npz file of parameters "
                         f"(truncated, corrupt or another format): {e}") from e
