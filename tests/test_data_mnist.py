"""The MNIST / Fashion-MNIST loaders: what they return, what they check, what they say offline."""

import io
import time

import numpy as np
import pytest
from data_helpers import LOADERS, write_split

from minae.data import (
    IDX_FILES,
    DatasetUnavailableError,
    default_cache_dir,
    load_fashion_mnist,
    load_mnist,
    write_idx,
)

pytestmark = pytest.mark.usefixtures("isolated_data_home")


@pytest.mark.parametrize("problem", ["count", "image size", "label range", "label dtype"])
def test_local_copies_are_checked_by_header_and_sizes(tmp_path, problem):
    folder = tmp_path / "d"
    images, labels = write_split(folder, "train", 12)
    image_file = folder / (IDX_FILES["train"][0] + ".gz")
    label_file = folder / (IDX_FILES["train"][1] + ".gz")
    if problem == "count":
        write_split(folder, "train", 11)
    elif problem == "image size":
        write_idx(image_file, np.zeros((12, 28, 27), dtype=np.uint8))
    elif problem == "label range":
        write_idx(label_file, np.full(12, 10, dtype=np.uint8))
    else:
        write_idx(label_file, labels.astype(np.int32))
    with pytest.warns(UserWarning), pytest.raises(DatasetUnavailableError):
        load_mnist("train", folder, download=False, expected_count=12,
                   system_dir=tmp_path / "none")


def test_real_counts_are_expected_by_default(tmp_path):
    write_split(tmp_path / "d", "test", 12)
    with pytest.warns(UserWarning, match="10000"), pytest.raises(DatasetUnavailableError):
        load_mnist("test", tmp_path / "d", download=False, system_dir=tmp_path / "none")


def test_loader_returns_what_the_files_hold(tmp_path):
    images, labels = write_split(tmp_path / "d", "test", 12, gz=False)
    got_images, got_labels = load_fashion_mnist("test", tmp_path / "d", download=False,
                                                expected_count=12, system_dir=tmp_path / "n")
    assert got_images.dtype == np.uint8 and got_images.shape == (12, 28, 28)
    assert got_labels.dtype == np.uint8 and got_labels.shape == (12,)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_offline_and_nothing_local_says_what_to_do(tmp_path, dead_url, name):
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError) as info:
        LOADERS[name]("train", system_dir=tmp_path / "none", mirrors=[dead_url],
                      progress=io.StringIO())
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert str(tmp_path / "none") in message and str(default_cache_dir(name)) in message
    assert "MINAE_DATA" in message and "data_dir" in message  # searched, and way out 2
    assert "download failed" in message and "refused" in message.lower()
    assert "connect to the internet once" in message  # way out 1
    assert "--dataset synthetic-digits" in message  # way out 3
    assert "refused" in info.value.reason.lower() and "\n" not in info.value.reason


def test_download_false_does_not_try(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        load_mnist("test", download=False, system_dir=tmp_path / "none",
                   mirrors=["http://never.invalid/"])
