"""The data sets, under the import path minae has always had: a re-export of ``minae.data``.

``from minae.datasets import load_dataset`` (and every other name below) keeps working; the
code lives in the ``minae.data`` package, one idea per file (see its docstring).
"""

from minae.data import (
    CHECKSUMS,
    CLASS_NAMES,
    DATASET_NAMES,
    DIGIT_FONTS,
    DIGIT_NAMES,
    EXPECTED_COUNTS,
    GZIP_MAGIC,
    IDX_FILES,
    IDX_TYPES,
    IMAGE_SHAPE,
    MIRRORS,
    SPLITS,
    SYSTEM_DATASETS_DIR,
    Dataset,
    DatasetUnavailableError,
    default_cache_dir,
    default_system_dir,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    make_digits,
    read_idx,
    search_dirs,
    synthetic_split_seed,
    to_float_images,
    write_idx,
)

__all__ = [
    "CHECKSUMS", "CLASS_NAMES", "DATASET_NAMES", "DIGIT_FONTS", "DIGIT_NAMES", "EXPECTED_COUNTS",
    "GZIP_MAGIC", "IDX_FILES", "IDX_TYPES", "IMAGE_SHAPE", "MIRRORS", "SPLITS",
    "SYSTEM_DATASETS_DIR", "Dataset", "DatasetUnavailableError", "default_cache_dir",
    "default_system_dir", "load_dataset", "load_fashion_mnist", "load_mnist", "make_digits",
    "read_idx", "search_dirs", "synthetic_split_seed", "to_float_images", "write_idx",
]
