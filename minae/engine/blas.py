"""BLAS's thread count, set through OpenBLAS's own C interface (no threadpoolctl needed).

``SplitBatch`` (``minae.engine.parallel``) runs one part of each batch per core, so every
matrix product must run on *one* BLAS thread, or BLAS's threads and ours fight over the cores
(on 2 cores: 12.4 s per epoch split with one BLAS thread, 20.9 s split with two). The library
``threadpoolctl`` does that for every BLAS it knows; without it, this module does it for
OpenBLAS, the BLAS that NumPy's and SciPy's wheels ship, by calling the library's own
function::

    void openblas_set_num_threads(int n);     int openblas_get_num_threads(void);

NumPy's wheels rename the symbols of their copy (``scipy_openblas_set_num_threads64_``: the
``scipy_`` prefix and the ``64_`` suffix of its 64-bit-integer build), so every spelling is
tried. The library is the one already loaded into this process: its path is read from
``/proc/self/maps`` (Linux) and opened again with ``ctypes.CDLL``, which returns the loaded
copy (the one NumPy calls), not a second one. On other systems, or with another BLAS (MKL,
Accelerate), ``openblas_libraries()`` is empty and nothing is changed.

The thread count is a setting of the library, shared by the whole process: ``one_thread()``
sets it for the duration of a ``with`` block and restores it after.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SPELLINGS = tuple(f"{prefix}openblas_{{}}{suffix}" for prefix in ("scipy_", "")
                  for suffix in ("64_", ""))


@dataclass(frozen=True)
class OpenBLAS:
    """One loaded OpenBLAS: its path and its ``set`` / ``get`` thread-count functions."""

    path: str
    set_threads: object  # ctypes function: (int) -> None
    get_threads: object  # ctypes function: () -> int

    @property
    def threads(self) -> int:
        """The library's current thread count."""
        return int(self.get_threads())


def loaded_paths(maps: str = "/proc/self/maps") -> list[str]:
    """Paths of the shared libraries named ``*openblas*`` mapped into this process."""
    try:
        with open(maps) as f:
            paths = [line.split(None, 5)[-1].strip() for line in f if "openblas" in line.lower()]
    except OSError:
        return []
    return sorted({p for p in paths if p.startswith("/")})


def _functions(lib) -> tuple[object, object] | None:
    """``(set, get)`` thread-count functions of ``lib`` under the first spelling it has."""
    for spelling in SPELLINGS:
        setter, getter = spelling.format("set_num_threads"), spelling.format("get_num_threads")
        if hasattr(lib, setter) and hasattr(lib, getter):
            set_threads, get_threads = getattr(lib, setter), getattr(lib, getter)
            set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
            get_threads.argtypes, get_threads.restype = [], ctypes.c_int
            return set_threads, get_threads
    return None


def openblas_libraries() -> list[OpenBLAS]:
    """Every OpenBLAS loaded into this process (NumPy's, SciPy's) whose thread count can be set.

    Importing NumPy loads its OpenBLAS; SciPy's (a separate copy) appears once
    ``scipy.linalg`` is imported. Empty when none is found (another BLAS, another system).
    """
    found = []
    for path in loaded_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        functions = _functions(lib)
        if functions is not None:
            found.append(OpenBLAS(path, *functions))
    return found


@contextmanager
def one_thread(libraries: list[OpenBLAS] | None = None) -> Iterator[list[OpenBLAS]]:
    """``with one_thread(): ...`` runs the block with every loaded OpenBLAS on one thread.

    The thread counts found on entry are restored on exit. Yields the libraries it set (empty:
    nothing could be set, BLAS keeps its threads).
    """
    libraries = openblas_libraries() if libraries is None else libraries
    before = [lib.threads for lib in libraries]
    for lib in libraries:
        lib.set_threads(1)
    try:
        yield libraries
    finally:
        for lib, n in zip(libraries, before, strict=True):
            lib.set_threads(n)
