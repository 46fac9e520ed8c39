"""The one mini-batch iterator: every sample exactly once per pass, in a random order.

``fit`` and the adversarial autoencoder's own loop both batch with it, so a seed means the
same order everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from minae.layers.checks import check_positive_int, check_rng


def batches(data, batch_size: int, *, shuffle: bool = True,
            rng: np.random.Generator | None = None, drop_last: bool = False) -> Iterator:
    """Split ``data`` into mini-batches: every sample exactly once per pass.

    Parameters
    ----------
    data : int, ndarray, or tuple/list of ndarrays
        ``n`` (yield index arrays into ``range(n)``), one array ``(N, ...)`` (yield batches of
        it), or several arrays sharing the first axis ``N`` (yield tuples of batches, sliced
        with the same indices: ``for xb, yb in batches((x, y), 64, rng=rng)``).
    batch_size : int
        Samples per batch; the last batch may be smaller.
    shuffle : bool
        Visit the samples in a random order (drawn from ``rng``) instead of ``0..N-1``.
    rng : np.random.Generator, optional
        Source of the order. ``None`` means a fresh unseeded generator. The permutation is
        drawn when ``batches`` is called, so calling it again with the same generator gives
        a new order (a new epoch), and the same seed gives the same sequence of epochs.
    drop_last : bool
        Drop the last batch if it has fewer than ``batch_size`` samples.

    Returns
    -------
    iterator
        Over index arrays ``(B,)``, arrays ``(B, ...)`` or tuples of them, with
        ``B = batch_size`` except perhaps for the last batch.
    """
    batch_size = check_positive_int(batch_size, "batches batch_size")
    n, arrays = _batch_source(data)
    if rng is not None:
        rng = check_rng(rng, "batches")
    if shuffle:
        order = (np.random.default_rng() if rng is None else rng).permutation(n)
    stop = n - n % batch_size if drop_last else n

    def generate():
        for start in range(0, stop, batch_size):
            end = min(start + batch_size, n)
            # A shuffled batch is a gather (a copy); an ordered one is a slice (a view).
            sel = order[start:end] if shuffle else slice(start, end)
            if arrays is None:
                yield sel if shuffle else np.arange(start, end)
            elif isinstance(arrays, tuple):
                yield tuple(a[sel] for a in arrays)
            else:
                yield arrays[sel]

    return generate()


def num_batches(n: int, batch_size: int, drop_last: bool) -> int:
    """How many batches ``batches`` yields for ``n`` samples."""
    return n // batch_size if drop_last else -(-n // batch_size)


def _batch_source(data) -> tuple[int, np.ndarray | tuple | None]:
    """``(N, arrays)`` for ``batches``: arrays is None (indices), one array, or a tuple."""
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        if data < 0:
            raise ValueError(f"batches data: a sample count must be >= 0; got {data}")
        return int(data), None
    if isinstance(data, np.ndarray):
        if data.ndim == 0:
            raise ValueError("batches data: expected an array with a batch axis (N, ...); "
                             "got a 0-d array")
        return len(data), data
    if isinstance(data, (tuple, list)) and data:
        arrays = tuple(np.asarray(a) for a in data)
        lengths = [len(a) if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"batches data: the arrays must share their first axis; "
                             f"got shapes {shapes}")
        return lengths[0], arrays
    raise TypeError(f"batches data must be a sample count, an array, or a tuple of arrays; "
                    f"got {type(data).__name__}")
