"""One entry point for demos: ``load_dataset`` returns a checked ``Dataset`` of float images.

``load_dataset(name, split)`` gives float32 images ``(N, 1, 28, 28)`` in [0, 1] and int64
labels, whichever data set was asked for: MNIST or Fashion-MNIST through their loaders
(``minae.data.mnist``), or synthetic digits (``minae.data.synthetic``). When MNIST cannot be
had it says why in one line and falls back to synthetic digits, so a demo always runs.

Whatever it returns is checked at this boundary (``Dataset.__post_init__``): dtypes, shapes,
finite values in [0, 1], labels that index ``class_names``. A request whose arrays would need
more memory than any machine has (``limit=10**9``) is refused before anything is loaded, with
the size in the message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minae.data.catalogue import (
    CLASS_NAMES,
    EXPECTED_COUNTS,
    TITLES,
    check_name,
    check_split,
)
from minae.data.mnist import DatasetUnavailableError, load_files
from minae.data.synthetic import make_digits, synthetic_split_seed
from minae.layers.checks import allocate, check_allocation, check_finite


def to_float_images(images: np.ndarray) -> np.ndarray:
    """``uint8 (N, H, W)`` -> ``float32 (N, 1, H, W)`` in [0, 1]: ``x = images / 255``.

    Raises
    ------
    TypeError
        ``images`` is not uint8 (floats are probably converted already).
    ValueError
        ``images`` is not 3-D.
    MemoryError
        The float copy does not fit in memory; the message gives its size.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float_images: images must be uint8 (N, H, W); got dtype "
                        f"{images.dtype}")
    if images.ndim != 3:
        raise ValueError(f"to_float_images: images must have shape (N, H, W); got "
                         f"{images.shape}")
    n, h, w = images.shape
    x = allocate((n, 1, h, w), np.float32, "to_float_images: the float images", fill=None)
    np.divide(images, np.float32(255.0), out=x[:, 0], dtype=np.float32)
    return x


@dataclass(frozen=True)
class Dataset:
    """Images and labels ready for a model, with where they came from.

    Attributes
    ----------
    images : np.ndarray of float32, shape (N, C, H, W)
        Finite, in [0, 1] (``(N, 1, 28, 28)`` from ``load_dataset``).
    labels : np.ndarray of int64, shape (N,)
        Each an index into ``class_names``.
    name : str
        The data set actually used: ``"mnist"``, ``"fashion-mnist"`` or ``"synthetic-digits"``
        (after a fallback this is not the one asked for).
    source : str
        Where it came from: the images file, or ``"synthetic digits, seed 0 (train split)"``.
    class_names : tuple of str
        Name of each label: ``"0".."9"``, or Fashion-MNIST's ten clothing classes.

    Raises
    ------
    ValueError
        On construction, when any of the above does not hold (the message says which).
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
        check_finite(self.images, f"Dataset.images ({self.source})")
        if self.images.size and (self.images.min() < 0 or self.images.max() > 1):
            raise ValueError(f"Dataset.images ({self.source}) must be in [0, 1]; got min "
                             f"{self.images.min()}, max {self.images.max()} (uint8 images: "
                             "use to_float_images)")
        if self.labels.size and (self.labels.min() < 0
                                 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"Dataset.labels ({self.source}) must be in 0.."
                             f"{len(self.class_names) - 1} (one per class name); got "
                             f"{self.labels.min()}..{self.labels.max()}")

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
        Unknown ``name`` (the message lists the valid ones), bad ``split`` or ``limit``, or a
        ``limit`` whose images would need more memory than any machine has.
    DatasetUnavailableError
        With ``fallback=False``, when the data set cannot be had.
    """
    check_name(name)
    check_split(split)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))
                              or limit < 1):
        raise ValueError(f"limit must be None or an int >= 1; got {limit!r}")
    n = EXPECTED_COUNTS[split] if limit is None else int(limit)
    check_allocation((n, 1, 28, 28), np.float32, f"load_dataset({name!r}, limit={limit}): "
                                                 "the images")
    if name != "synthetic-digits":
        try:
            images, labels, source = load_files(name, split, data_dir, download,
                                                **loader_options)
        except DatasetUnavailableError as exc:
            if not fallback:
                raise
            if log is not None:
                reason = " ".join(exc.reason.split())  # one line, whatever the reason holds
                log(f"minae: {TITLES[name]} ({split}) is not available ({reason}); falling "
                    f"back to synthetic digits (seed {seed}). To get {TITLES[name]}: "
                    "connect once, or pass data_dir / set MINAE_DATA.")
        else:
            images, labels = images[:limit], labels[:limit]
            return Dataset(to_float_images(images), labels.astype(np.int64), name, source,
                           CLASS_NAMES[name])
    images, labels = make_digits(n, seed=synthetic_split_seed(seed, split))
    return Dataset(to_float_images(images), labels.astype(np.int64), "synthetic-digits",
                   f"synthetic digits, seed {seed} ({split} split)",
                   CLASS_NAMES["synthetic-digits"])
