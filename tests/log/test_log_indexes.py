"""OffsetIndex and TimeIndex: file format, lookups, truncation, preallocation and trimming."""

import os
import struct

import pytest

from kafka_clone.log.abstract_index import CorruptIndexError
from kafka_clone.log.offset_index import OffsetIndex, OffsetPosition
from kafka_clone.log.time_index import TimeIndex, TimestampOffset

BASE = 1000


def test_offset_index_file_format_and_lookups(tmp_path):
    path = str(tmp_path / "00000000000000001000.index")
    index = OffsetIndex.open(path, BASE, 80)
    assert os.path.getsize(path) == 80  # preallocated (10 entries of 8 bytes)
    for offset, position in [(1003, 100), (1010, 250), (1020, 400)]:
        index.append(offset, position)
    assert index.lookup(999) == OffsetPosition(BASE, 0)  # before every entry: segment start
    assert index.lookup(1003) == OffsetPosition(1003, 100)
    assert index.lookup(1015) == OffsetPosition(1010, 250)
    assert index.lookup(10**9) == OffsetPosition(1020, 400)
    assert index.lookup_position(399) == OffsetPosition(1010, 250)
    with pytest.raises(CorruptIndexError):
        index.append(1020, 500)  # offsets must increase
    index.close()
    with open(path, "rb") as f:  # trimmed on close; relative offset + position, big-endian
        assert f.read() == struct.pack(">iiiiii", 3, 100, 10, 250, 20, 400)


def test_offset_index_truncate_and_reopen_counts_entries_in_a_preallocated_file(tmp_path):
    path = str(tmp_path / "00000000000000001000.index")
    index = OffsetIndex.open(path, BASE, 800)
    for i in range(1, 11):
        index.append(BASE + 10 * i, 100 * i)
    index.truncate_to(1050)  # removes entries with offset >= 1050
    assert index.entries == 4 and index.last_offset == 1040
    index.flush()
    # A crash leaves the file preallocated with zeros after the entries: reopen finds 4.
    again = OffsetIndex.open(path, BASE, 800, writable=False)
    assert again.entries == 4 and again.lookup(10**9) == OffsetPosition(1040, 400)
    again.close()
    index.close()


def test_full_index(tmp_path):
    index = OffsetIndex.open(str(tmp_path / "x.index"), BASE, 20)  # rounded down to 2 entries
    index.append(1001, 10)
    assert not index.is_full()
    index.append(1002, 20)
    assert index.is_full()
    with pytest.raises(CorruptIndexError):
        index.append(1003, 30)
    index.close()


def test_time_index_only_appends_larger_timestamps_and_looks_up_floor(tmp_path):
    path = str(tmp_path / "00000000000000001000.timeindex")
    index = TimeIndex.open(path, BASE, 120)
    index.maybe_append(500, 1002)
    index.maybe_append(500, 1004)  # not larger: skipped
    index.maybe_append(700, 1009)
    assert index.entries == 2
    assert index.lookup(499) == TimestampOffset(-1, BASE)
    assert index.lookup(650) == TimestampOffset(500, 1002)
    assert index.lookup(10**12) == TimestampOffset(700, 1009)
    index.truncate_to(1009)
    assert index.last_entry() == TimestampOffset(500, 1002)
    index.close()
    with open(path, "rb") as f:
        assert f.read() == struct.pack(">qi", 500, 2)
