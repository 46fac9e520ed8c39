"""load_dataset and Dataset: local copies, the fallback line, arguments, to_float_images."""

import io

import numpy as np
import pytest
from data_helpers import write_split

from minae.data import (
    CLASS_NAMES,
    DATASET_NAMES,
    Dataset,
    DatasetUnavailableError,
    load_dataset,
    synthetic_split_seed,
    to_float_images,
)

pytestmark = pytest.mark.usefixtures("isolated_data_home")


def test_to_float_images():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_float_images(images)
    assert x.dtype == np.float32 and x.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        to_float_images(images.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        to_float_images(images[0])


def test_load_dataset_falls_back_to_synthetic_digits_with_one_line(tmp_path, dead_url):
    lines = []
    data = load_dataset("mnist", limit=30, log=lines.append, system_dir=tmp_path / "none",
                        mirrors=[dead_url], progress=io.StringIO())
    assert data.name == "synthetic-digits" and len(data) == 30
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "synthetic digits" in lines[0] and "refused" in lines[0].lower()
    expected = load_dataset("synthetic-digits", limit=30)
    np.testing.assert_array_equal(data.images, expected.images)
    with pytest.raises(DatasetUnavailableError):
        load_dataset("mnist", fallback=False, log=lines.append, system_dir=tmp_path / "none",
                     mirrors=[dead_url], progress=io.StringIO())
    assert len(lines) == 1


def test_load_dataset_from_a_local_copy(tmp_path):
    images, labels = write_split(tmp_path / "d", "test", 12)
    data = load_dataset("fashion-mnist", "test", data_dir=tmp_path / "d", limit=5,
                        expected_count=12, system_dir=tmp_path / "none", log=None)
    assert isinstance(data, Dataset) and data.name == "fashion-mnist"
    assert data.images.dtype == np.float32 and data.images.shape == (5, 1, 28, 28)
    assert data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.images, to_float_images(images[:5]))
    np.testing.assert_array_equal(data.labels, labels[:5])
    assert str(tmp_path / "d") in data.source
    assert data.class_names == CLASS_NAMES["fashion-mnist"] and len(data.class_names) == 10
    assert data.class_names[9] == "Ankle boot"


def test_load_dataset_refuses_unknown_names_and_bad_arguments():
    with pytest.raises(ValueError) as info:
        load_dataset("cifar10")
    for name in DATASET_NAMES:
        assert repr(name) in str(info.value)
    with pytest.raises(ValueError, match="split"):
        load_dataset("synthetic-digits", "validation")
    with pytest.raises(ValueError, match="limit"):
        load_dataset("synthetic-digits", limit=0)


def test_synthetic_splits_use_different_seeds():
    train = load_dataset("synthetic-digits", "train", limit=40, seed=3)
    test = load_dataset("synthetic-digits", "test", limit=40, seed=3)
    assert synthetic_split_seed(3, "train") != synthetic_split_seed(3, "test")
    assert not np.array_equal(train.images, test.images)
    assert train.source.startswith("synthetic digits, seed 3")
    assert train.class_names == tuple("0123456789")
    assert train.images.min() >= 0 and train.images.max() <= 1
    np.testing.assert_array_equal(train.images,
                                  load_dataset("synthetic-digits", limit=40, seed=3).images)
