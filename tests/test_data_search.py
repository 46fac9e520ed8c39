"""The folder search: its order, what counts as a copy, broken copies skipped."""

from pathlib import Path

import pytest
from data_helpers import LOADERS, write_split

from minae.data import (
    IDX_FILES,
    DatasetUnavailableError,
    default_cache_dir,
    default_system_dir,
    load_mnist,
    search_dirs,
)
from minae.data.search import cache_write_problem, source_problems

pytestmark = pytest.mark.usefixtures("isolated_data_home")


def which(loader, **kwargs):
    """The constant label of the folder the loader picked."""
    _, labels = loader("train", download=False, expected_count=12, **kwargs)
    assert len(set(labels.tolist())) == 1
    return int(labels[0])


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_search_order(tmp_path, monkeypatch, name):
    loader = LOADERS[name]
    data_dir, env, xdg, system = (tmp_path / d for d in ("data", "env", "xdg", "system"))
    write_split(data_dir, "train", 12, label=0)
    write_split(env / name, "train", 12, label=1, gz=False)
    write_split(xdg / "minae" / name, "train", 12, label=2)
    write_split(system, "train", 12, label=3, gz=False)
    monkeypatch.setenv("MINAE_DATA", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    assert which(loader, data_dir=data_dir, system_dir=system) == 0
    assert which(loader, system_dir=system) == 1
    monkeypatch.delenv("MINAE_DATA")
    assert which(loader, system_dir=system) == 2
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    assert which(loader, system_dir=system) == 3
    with pytest.raises(DatasetUnavailableError):
        which(loader, system_dir=tmp_path / "nothing")


def test_data_dir_may_hold_the_files_or_a_subfolder_named_after_the_data_set(tmp_path):
    write_split(tmp_path / "parent" / "mnist", "test", 12, label=4)
    assert which(lambda split, **kw: load_mnist("test", **kw), data_dir=tmp_path / "parent",
                 system_dir=tmp_path / "none") == 4


def test_a_split_is_found_only_where_both_its_files_are(tmp_path):
    write_split(tmp_path / "a", "train", 12, label=5)
    (tmp_path / "a" / (IDX_FILES["train"][1] + ".gz")).unlink()  # images without labels
    write_split(tmp_path / "b", "train", 12, label=6)
    assert which(load_mnist, data_dir=tmp_path / "a", system_dir=tmp_path / "b") == 6
    write_split(tmp_path / "c", "test", 12, label=7)  # the other split only
    assert which(load_mnist, data_dir=tmp_path / "c", system_dir=tmp_path / "b") == 6


def test_default_folders_follow_xdg_and_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir("mnist") == tmp_path / "xdg" / "minae" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec: ignore it
    assert default_cache_dir("mnist") == tmp_path / "home" / ".cache" / "minae" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir("fashion-mnist") == (tmp_path / "home" / ".cache" / "minae"
                                                  / "fashion-mnist")
    assert default_system_dir("fashion-mnist") == Path("/usr/share/datasets/fashion-mnist")
    labels = [label for label, _ in search_dirs("mnist", tmp_path)]
    assert labels == ["data_dir", "data_dir", "cache", "system"]


def test_a_broken_local_copy_is_skipped_with_a_warning(tmp_path):
    write_split(tmp_path / "broken", "train", 12, label=8)
    path = tmp_path / "broken" / (IDX_FILES["train"][0] + ".gz")
    path.write_bytes(path.read_bytes()[:-20])
    write_split(tmp_path / "good", "train", 12, label=9)
    with pytest.warns(UserWarning, match="broken"):
        assert which(load_mnist, data_dir=tmp_path / "broken",
                     system_dir=tmp_path / "good") == 9
    with pytest.warns(UserWarning), pytest.raises(DatasetUnavailableError) as info:
        which(load_mnist, data_dir=tmp_path / "broken", system_dir=tmp_path / "none")
    assert "found but invalid" in str(info.value) and str(path) in str(info.value)


def test_source_problems_name_each_unusable_folder_the_user_gave(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_bytes(b"x")
    assert source_problems(tmp_path, tmp_path / "no-cache-yet") == []  # a missing cache is fine
    monkeypatch.setenv("MINAE_DATA", str(tmp_path / "a-file"))
    problems = source_problems(tmp_path / "missing", tmp_path / "a-file")
    assert problems == [f"data_dir {tmp_path / 'missing'} does not exist",
                        f"MINAE_DATA={tmp_path / 'a-file'} is not a folder",
                        f"the cache {tmp_path / 'a-file'} is not a folder"]


def test_cache_write_problem_looks_at_the_cache_or_the_folder_that_would_hold_it(tmp_path):
    (tmp_path / "a-file").write_bytes(b"x")
    assert cache_write_problem(tmp_path / "new" / "cache") is None  # can be created
    assert cache_write_problem(tmp_path) is None
    assert cache_write_problem(tmp_path / "a-file") == (
        f"the cache {tmp_path / 'a-file'} is not a folder")
    assert cache_write_problem(tmp_path / "a-file" / "cache") == (
        f"the cache {tmp_path / 'a-file' / 'cache'} cannot be created: {tmp_path / 'a-file'} "
        "is not a folder")
