"""The catalogue: the official mirrors and checksums, names, splits and their checks."""

import pytest

from minae.data import CHECKSUMS, CLASS_NAMES, DATASET_NAMES, EXPECTED_COUNTS, IDX_FILES, MIRRORS
from minae.data.catalogue import FILE_DATASETS, TITLES, check_name, check_split


def test_the_real_mirrors_and_checksums_are_the_defaults():
    assert MIRRORS["mnist"][0].startswith("https://ossci-datasets.s3.amazonaws.com/mnist")
    assert CHECKSUMS["mnist"]["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    assert CHECKSUMS["fashion-mnist"]["train-images-idx3-ubyte.gz"] == (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d")
    assert len(CHECKSUMS["mnist"]) == len(CHECKSUMS["fashion-mnist"]) == 4


def test_every_data_set_has_a_title_and_ten_class_names_and_files_have_four_checksums():
    for name in DATASET_NAMES:
        assert TITLES[name] and len(CLASS_NAMES[name]) == 10
    for name in FILE_DATASETS:
        files = {f"{base}.gz" for pair in IDX_FILES.values() for base in pair}
        assert set(CHECKSUMS[name]) == files and MIRRORS[name]
    assert set(EXPECTED_COUNTS) == set(IDX_FILES) == {"train", "test"}


def test_check_name_and_check_split_list_what_is_valid():
    with pytest.raises(ValueError) as info:
        check_name("synthetic-digits", FILE_DATASETS)
    assert "'mnist'" in str(info.value) and "'fashion-mnist'" in str(info.value)
    with pytest.raises(ValueError, match="'train' or 'test'; got 'val'"):
        check_split("val")
    check_name("mnist")
    check_split("test")
