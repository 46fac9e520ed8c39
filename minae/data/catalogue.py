"""What minae knows about each data set: names, files, sizes, mirrors, checksums, classes.

Data only (read-only mappings) and the two argument checks every loader shares. The IDX codec,
the folder search, the download and the synthetic digits all read from here, so a data set's
file names, image counts and official checksums are written down exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

DATASET_NAMES = ("mnist", "fashion-mnist", "synthetic-digits")
#: The data sets that live in files (searched for, downloaded).
FILE_DATASETS = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")
#: split -> (images file, labels file), without the optional ``.gz``.
IDX_FILES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
})
#: split -> number of images in the real MNIST and Fashion-MNIST.
EXPECTED_COUNTS: Mapping[str, int] = MappingProxyType({"train": 60_000, "test": 10_000})
IMAGE_SHAPE = (28, 28)

MIRRORS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
})
#: name -> {file name as served (``.gz``) -> MD5 of the official gzipped file}.
CHECKSUMS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "mnist": MappingProxyType({
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    "fashion-mnist": MappingProxyType({
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }),
})
DIGIT_NAMES = tuple(str(d) for d in range(10))
CLASS_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "mnist": DIGIT_NAMES,
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
    "synthetic-digits": DIGIT_NAMES,
})
#: name -> how messages spell it.
TITLES: Mapping[str, str] = MappingProxyType({"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
                                              "synthetic-digits": "synthetic digits"})


def check_name(name: str, allowed: Sequence[str] = DATASET_NAMES) -> None:
    """Raise ``ValueError`` listing the valid names if ``name`` is not one of ``allowed``."""
    if name not in allowed:
        raise ValueError(f"unknown dataset name {name!r}; valid names: "
                         + ", ".join(repr(n) for n in allowed))


def check_split(split: str) -> None:
    """Raise ``ValueError`` unless ``split`` is ``"train"`` or ``"test"``."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
