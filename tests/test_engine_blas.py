"""minae.engine.blas: OpenBLAS's thread count through its own C interface."""

import numpy as np
import pytest

from minae.engine import blas


def test_loaded_paths_reads_the_maps_file(tmp_path):
    maps = tmp_path / "maps"
    maps.write_text(
        "7f00-7f01 r-xp 00000000 08:01 1 /opt/lib/libscipy_openblas64_-abc.so\n"
        "7f01-7f02 r--p 00001000 08:01 1 /opt/lib/libscipy_openblas64_-abc.so\n"
        "7f02-7f03 r-xp 00000000 08:01 2 /opt/lib/libm.so.6\n"
        "7f03-7f04 rw-p 00000000 00:00 0 [heap]\n")
    assert blas.loaded_paths(str(maps)) == ["/opt/lib/libscipy_openblas64_-abc.so"]
    assert blas.loaded_paths(str(tmp_path / "missing")) == []


def test_every_spelling_of_the_function_names_is_tried():
    assert "scipy_openblas_{}64_" in blas.SPELLINGS and "openblas_{}" in blas.SPELLINGS


def test_one_thread_sets_one_and_restores_the_count():
    libraries = blas.openblas_libraries()
    if not libraries:
        pytest.skip("no OpenBLAS loaded in this process")
    before = [lib.threads for lib in libraries]
    with blas.one_thread() as held:
        assert [lib.threads for lib in held] == [1] * len(held)
        a = np.random.default_rng(0).standard_normal((64, 64))
        np.testing.assert_allclose(a @ np.eye(64), a)  # BLAS still computes
    assert [lib.threads for lib in libraries] == before


def test_one_thread_restores_after_an_error():
    libraries = blas.openblas_libraries()
    if not libraries:
        pytest.skip("no OpenBLAS loaded in this process")
    before = [lib.threads for lib in libraries]
    with pytest.raises(KeyError), blas.one_thread(libraries):
        raise KeyError("inside")
    assert [lib.threads for lib in libraries] == before


def test_with_no_library_nothing_is_set():
    with blas.one_thread([]) as held:
        assert held == []
