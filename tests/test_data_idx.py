"""The IDX codec: round trips, the bytes of the format, gzip by magic bytes, corrupt files."""

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pytest
from data_helpers import idx_bytes, random_array
from hypothesis import given, settings
from hypothesis import strategies as st

from minae.data import read_idx, write_idx
from minae.data.idx import CHUNK_BYTES

pytestmark = pytest.mark.usefixtures("isolated_data_home")


IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(IDX_DTYPES), st.lists(st.integers(0, 5), min_size=1, max_size=3),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_idx_round_trip(dtype, shape, gz, seed):
    array = random_array(dtype, tuple(shape), seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("a.idx.gz" if gz else "a.idx")
        write_idx(path, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz
        back = read_idx(path)
        assert sorted(p.name for p in Path(folder).iterdir()) == [path.name]  # no temp left
    assert back.dtype == np.dtype(dtype) and back.shape == array.shape
    assert back.dtype.isnative and back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_idx_bytes_follow_the_format():
    a = np.array([[1, 2, 3], [4, 5, 258]], dtype=np.int16)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x"
        write_idx(path, a)
        data = path.read_bytes()
    header = bytes([0, 0, 0x0B, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert data[:12] == header
    assert data[12:] == b"".join(int(v).to_bytes(2, "big") for v in a.ravel())  # big-endian


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    a = random_array(np.uint8, (3, 4), 0)
    write_idx(tmp_path / "real.gz", a)
    (tmp_path / "gzipped-without-suffix").write_bytes((tmp_path / "real.gz").read_bytes())
    write_idx(tmp_path / "plain", a)
    (tmp_path / "plain-with-suffix.gz").write_bytes((tmp_path / "plain").read_bytes())
    for name in ("gzipped-without-suffix", "plain-with-suffix.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.uint32, np.float16, np.bool_,
                                   np.complex64, object])
def test_write_idx_refuses_types_idx_cannot_store(tmp_path, dtype):
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
    assert list(tmp_path.iterdir()) == []


def test_write_idx_refuses_a_scalar(tmp_path):
    with pytest.raises(ValueError, match="at least 1 dimension"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))


GOOD = idx_bytes(random_array(np.int32, (4, 5), 1))


GOOD_GZ = gzip.compress(GOOD, mtime=0)


def flip(data, index, value):
    data = bytearray(data)
    data[index] = value
    return bytes(data)


CORRUPTIONS = {
    "empty file": (b"", "shorter than the 4-byte magic"),
    "bad zero bytes": (flip(GOOD, 0, 1), "first two bytes must be 0x00 0x00"),
    "second zero byte": (flip(GOOD, 1, 8), "first two bytes must be 0x00 0x00"),
    "bad type code": (flip(GOOD, 2, 0x0A), "unknown IDX type code 0x0a"),
    "zero dimensions": (flip(GOOD, 3, 0), "0 dimensions"),
    "truncated header": (GOOD[:9], "truncated IDX header"),
    "more dimensions than header": (flip(GOOD, 3, 200), "truncated IDX header"),
    "truncated payload": (GOOD[:-1], "truncated IDX payload"),
    "dimension too big": (flip(GOOD, 7, 6), "truncated IDX payload"),
    "extra bytes": (GOOD + b"\x00", "1 extra bytes"),
    "text file": (b"hello, this is not an IDX file\n", "not an IDX file"),
    "not-gzip garbage": (b"\x1f\x8b" + bytes(range(200)), "gzip"),
    "truncated gzip": (GOOD_GZ[: len(GOOD_GZ) // 2], "gzip"),
    "gzip missing its trailer": (GOOD_GZ[:-4], "gzip"),
    "gzip with a bad CRC": (flip(GOOD_GZ, len(GOOD_GZ) - 6, GOOD_GZ[-6] ^ 0xFF), "gzip"),
    "gzip of a truncated IDX": (gzip.compress(GOOD[:-3]), "truncated IDX payload"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_idx_files_raise_value_error_naming_the_file(tmp_path, case):
    data, what = CORRUPTIONS[case]
    path = tmp_path / f"{case.replace(' ', '-')}.idx"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert what in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_payloads_larger_than_one_read_chunk_round_trip(tmp_path, gz):
    """The payload is read CHUNK_BYTES at a time: a file of several chunks reads back whole."""
    array = random_array(np.float64, (3, CHUNK_BYTES // 8 + 7), 5)  # 3 chunks and a bit
    path = tmp_path / ("big.idx.gz" if gz else "big.idx")
    write_idx(path, array)
    np.testing.assert_array_equal(read_idx(path), array)


def test_a_gzip_file_of_several_members_is_read_as_one_stream(tmp_path):
    """gzip allows concatenated members (``cat a.gz b.gz``); IDX reads their concatenation."""
    data = idx_bytes(random_array(np.int16, (6, 7), 2))
    path = tmp_path / "two-members.gz"
    path.write_bytes(gzip.compress(data[:20]) + gzip.compress(data[20:]))
    np.testing.assert_array_equal(read_idx(path), random_array(np.int16, (6, 7), 2))
