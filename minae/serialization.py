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
* A save killed outright (``kill -9``, the out-of-memory killer, a power cut) cannot clean up
  after itself, so its temporary stays. The temporary's name says who wrote it:
  ``.<name>.<pid>.<random>.tmp``, with the writer's process id. A later ``save`` to the same
  path removes the temporaries whose writer is no longer running, and says so in one line; a
  temporary of a process that is still running (perhaps saving right now) is left alone.
* ``load`` reads and checks *everything* before copying *anything*: missing names, extra
  names, wrong shapes, non-float arrays, NaN or infinite values and values that overflow the
  model's dtype are all listed in one ``ParameterMismatchError``, and the model is left
  unchanged. A zip whose members are not arrays is refused as not a file of parameters.
"""

from __future__ import annotations

import os
import secrets
import zipfile
from collections.abc import Callable

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


def save(model, path: str | os.PathLike, *, log: Callable[[str], object] | None = print) -> None:
    """Write ``model.params`` to ``path`` as an uncompressed ``.npz``, atomically.

    Parameters
    ----------
    model : Layer
        Anything with a ``params`` dict of arrays (dotted names for containers).
    path : str or path-like
        The file to write, used exactly as given (no ``.npz`` is appended). Its folder must
        exist.
    log : callable or None
        Called with one line when temporaries of dead writers (killed saves) were removed.

    Raises
    ------
    TypeError
        ``model`` is not a model (no ``params`` dict of arrays).
    FileNotFoundError
        The folder does not exist.
    """
    params = _model_params(model, "save")
    bad = [name for name in params if name in _RESERVED]
    if bad:
        raise ValueError(f"save: parameter name(s) {bad} clash with np.savez's own arguments; "
                         "rename them")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder!r} does not exist (path {path!r})")
    removed = remove_dead_temporaries(path)
    if removed and log is not None:
        log(f"save: removed {len(removed)} temporary file(s) left next to {path!r} by killed "
            f"saves (process gone): {', '.join(removed)}")
    # A fresh name in the same folder (os.replace cannot move across file systems), created
    # with os.open so that the final file gets the usual permissions (umask), unlike mkstemp.
    tmp = os.path.join(folder, temporary_name(path, os.getpid(), secrets.token_hex(4)))
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


def temporary_name(path: str, pid: int, token: str) -> str:
    """``.<name>.<pid>.<token>.tmp``: the file name of a temporary of ``save(..., path)``."""
    return f".{os.path.basename(path)}.{pid}.{token}.tmp"


def temporary_writer(path: str, filename: str) -> int | None:
    """The writer's process id if ``filename`` is a temporary of ``save(..., path)``, else None."""
    prefix, suffix = f".{os.path.basename(path)}.", ".tmp"
    if not (filename.startswith(prefix) and filename.endswith(suffix)):
        return None
    pid, dot, token = filename[len(prefix):-len(suffix)].partition(".")
    if not (dot and pid.isdigit() and token and "." not in token):
        return None
    return int(pid)


def process_running(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 tests it without sending anything)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:  # not knowable here (e.g. Windows refuses signal 0): keep the file
        return True
    return True


def remove_dead_temporaries(path: str) -> list[str]:
    """Remove the temporaries of ``save(..., path)`` whose writer is gone; return their names."""
    folder = os.path.dirname(os.path.abspath(path))
    removed = []
    for filename in sorted(os.listdir(folder)):
        pid = temporary_writer(path, filename)
        if pid is not None and not process_running(pid):
            try:
                os.remove(os.path.join(folder, filename))
            except FileNotFoundError:  # another save removed it first
                continue
            removed.append(filename)
    return removed


def _model_params(model, caller: str) -> dict[str, np.ndarray]:
    """``model.params``, or a TypeError saying what a model is."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not all(isinstance(p, np.ndarray)
                                               for p in params.values()):
        raise TypeError(f"{caller}: model must be a minae model or layer (with a params dict of "
                        f"arrays); got {type(model).__name__}. Call {caller}(model, path)")
    return params


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
        Names missing from the file, names the model does not have, arrays whose shape
        differs or which are not floating point, arrays holding NaN or inf, and arrays whose
        values overflow the model's dtype: all of them, in one message. Nothing is copied in
        that case. Float arrays of another precision are cast to the model's dtype.
    TypeError
        ``model`` is not a model.
    """
    params = _model_params(model, "load")
    path = os.fspath(path)
    arrays = _read_npz(path)
    missing = sorted(set(params) - set(arrays))
    extra = sorted(set(arrays) - set(params))
    wrong = []
    for name in sorted(set(params) & set(arrays)):
        a, p = arrays[name], params[name]
        if a.shape != p.shape:
            wrong.append(f"{name}: file has shape {a.shape}, model has {p.shape}")
        elif a.dtype.kind != "f":
            wrong.append(f"{name}: file has dtype {a.dtype}, expected a float array")
        else:
            wrong += _value_problems(name, a, p.dtype)
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


def _value_problems(name: str, a: np.ndarray, dtype: np.dtype) -> list[str]:
    """NaN/inf in ``a``, or finite values beyond what ``dtype`` can hold."""
    finite = np.isfinite(a)
    if not finite.all():
        nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
        return [f"{name}: file holds {nan} NaN and {inf} inf of {a.size} values (saved from a "
                "diverged run?)"]
    top = float(np.abs(a).max(initial=0.0))
    if top > float(np.finfo(dtype).max):
        return [f"{name}: file holds values up to {top:.3g}, which overflow the model's "
                f"{np.dtype(dtype).name} (max {float(np.finfo(dtype).max):.3g})"]
    return []


def _read_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, fully read (so corruption shows up here)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at {path!r}")
    with open(path, "rb") as f:
        head = f.read(6)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        raise ValueError(f"load: {path!r} is not a readable .npz file of parameters: it is not "
                         f"a zip archive at all (it starts with {head!r}); save writes .npz "
                         "archives")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"load: {path!r} is not a readable .npz file of parameters "
                         f"(truncated, corrupt or another format): {e}") from e
    not_arrays = [name for name, a in arrays.items() if not isinstance(a, np.ndarray)]
    if not_arrays:
        raise ValueError(f"load: {path!r} is a zip archive but not a file of parameters: its "
                         f"member(s) {not_arrays} are not .npy arrays (save writes one .npy "
                         "array per parameter)")
    return arrays
