"""Scratch buffers kept between calls, one set per thread, owned by an engine object.

A fresh 4 MB buffer is mapped by the operating system page by page on first write: about 1000
page faults, measured at ~3 ms per pass here, as long as the copies themselves. So the fast
roads keep their few buffers and reuse them; only the arrays they return are new.

The buffers live in a ``threading.local`` that belongs to one ``Scratch`` object (one per
``FastEngine``), never to the module: two threads sharing a model (``SplitBatch``'s replicas)
each get their own buffers, and two engines never see each other's.
"""

from __future__ import annotations

import math
import threading

import numpy as np


class Scratch:
    """Reusable per-thread buffers: ``get(name, shape, dtype)`` returns the same memory each
    call with the same ``name`` (grown when a larger one is asked for)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _store(self) -> dict[str, np.ndarray]:
        store = getattr(self._local, "buffers", None)
        if store is None:
            store = self._local.buffers = {}
        return store

    def get(self, name: str, shape: tuple, dtype, zero: bool = False) -> np.ndarray:
        """A scratch array of ``shape`` and ``dtype``. Its contents are whatever the last user
        left, unless ``zero``."""
        store = self._store()
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        buf = store.get(name)
        if buf is None or buf.nbytes < nbytes:
            buf = store[name] = np.empty(nbytes, dtype=np.uint8)
        out = buf[:nbytes].view(dtype).reshape(shape)
        if zero:
            out[...] = 0
        return out

    def __reduce__(self):
        return (Scratch, ())  # a pickled engine (sent to a worker process) starts empty

    def nbytes(self) -> int:
        """Bytes of scratch the calling thread holds."""
        return sum(b.nbytes for b in self._store().values())

    def release(self) -> None:
        """Let go of the calling thread's buffers (the next pass allocates them again)."""
        self._local.buffers = {}
