"""What a loader promises about the arrays it returns, checked at the boundary.

A file that parses as IDX may still not be MNIST: a different count, 27 columns, labels of
another type or out of 0..9. These checks run on every local copy and every download before
either is used (or kept), and name the file and what it holds.
"""

from __future__ import annotations

import numpy as np

from minae.data.catalogue import IMAGE_SHAPE


def check_images(images: np.ndarray, count: int, where: object) -> None:
    """Raise ``ValueError`` unless ``images`` is uint8 of shape ``(count, 28, 28)``."""
    if images.dtype != np.uint8 or images.shape != (count, *IMAGE_SHAPE):
        raise ValueError(f"{where}: expected uint8 images of shape {(count, *IMAGE_SHAPE)}; "
                         f"the file holds {images.dtype} of shape {images.shape}")


def check_labels(labels: np.ndarray, count: int, where: object) -> None:
    """Raise ``ValueError`` unless ``labels`` is uint8 of shape ``(count,)`` with values 0..9."""
    if labels.dtype != np.uint8 or labels.shape != (count,):
        raise ValueError(f"{where}: expected uint8 labels of shape ({count},); the file holds "
                         f"{labels.dtype} of shape {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{where}: labels must be 0..9; found {int(labels.max())}")
