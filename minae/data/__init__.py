"""Data: the IDX file format, MNIST / Fashion-MNIST loaders, and built-in synthetic digits.

One idea per file, each usable on its own:

* ``idx.py``: the IDX codec (``read_idx`` / ``write_idx``), decompression bounded by the
  header;
* ``catalogue.py``: names, files, image counts, mirrors, checksums and class names;
* ``search.py``: where the files are looked for (``search_dirs``), and which folders are
  unusable;
* ``download.py``: mirrors, timeouts, MD5 and atomic files;
* ``validate.py``: what a loader promises about its arrays;
* ``mnist.py``: ``load_mnist`` / ``load_fashion_mnist`` (search, else download) and
  ``DatasetUnavailableError``;
* ``glyphs.py`` and ``synthetic.py``: ``make_digits``, MNIST-like digits from matplotlib's fonts;
* ``dataset.py``: ``load_dataset`` and ``Dataset``, the one call demos make, with the fallback
  to synthetic digits.

``minae.datasets`` re-exports all of this under the names it always had.
"""

from minae.data.catalogue import (
    CHECKSUMS,
    CLASS_NAMES,
    DATASET_NAMES,
    DIGIT_NAMES,
    EXPECTED_COUNTS,
    IDX_FILES,
    IMAGE_SHAPE,
    MIRRORS,
    SPLITS,
)
from minae.data.dataset import Dataset, load_dataset, to_float_images
from minae.data.glyphs import DIGIT_FONTS
from minae.data.idx import GZIP_MAGIC, IDX_TYPES, read_idx, write_idx
from minae.data.mnist import DatasetUnavailableError, load_fashion_mnist, load_mnist
from minae.data.search import (
    SYSTEM_DATASETS_DIR,
    default_cache_dir,
    default_system_dir,
    search_dirs,
)
from minae.data.synthetic import make_digits, synthetic_split_seed

__all__ = [
    "CHECKSUMS", "CLASS_NAMES", "DATASET_NAMES", "DIGIT_FONTS", "DIGIT_NAMES", "EXPECTED_COUNTS",
    "GZIP_MAGIC", "IDX_FILES", "IDX_TYPES", "IMAGE_SHAPE", "MIRRORS", "SPLITS",
    "SYSTEM_DATASETS_DIR", "Dataset", "DatasetUnavailableError", "default_cache_dir",
    "default_system_dir", "load_dataset", "load_fashion_mnist", "load_mnist", "make_digits",
    "read_idx", "search_dirs", "synthetic_split_seed", "to_float_images", "write_idx",
]
