"""One segment of a partition's log, mirroring Kafka's ``kafka.log.LogSegment`` (2.8).

Files, named by the segment's base offset zero-padded to 20 digits:

* ``<base>.log``: RecordBatch v2 batches back to back, exactly as produced (with the broker's
  baseOffset and partitionLeaderEpoch stamped in);
* ``<base>.index``: sparse offset -> position entries (``OffsetIndex``);
* ``<base>.timeindex``: sparse max-timestamp -> offset entries (``TimeIndex``).

Invariants:

* ``size`` is the length of the valid prefix of the ``.log`` file and always a batch boundary;
  ``size`` is only advanced after a batch is fully written, so a concurrent reader that snapshots
  it never serves a partial batch.
* Every offset in the segment is in ``[base_offset, base_offset + 2**31 - 1]`` (relative offsets
  are int32 in both indexes).
* An index entry is added when more than ``index_interval_bytes`` were appended since the last one;
  it names the last offset of the append and the position where the append started.
* ``recover()`` re-reads the file, keeps the longest prefix of valid batches (size, CRC,
  ascending offsets), truncates the rest and rebuilds both indexes: this is how a torn tail left
  by a crash is removed before anything is served.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import attrs

from kafka_clone.log.abstract_index import CorruptIndexError
from kafka_clone.log.offset_index import OffsetIndex
from kafka_clone.log.time_index import TimeIndex, TimestampOffset
from kafka_clone.protocol.errors import KafkaError, UnknownServerError
from kafka_clone.protocol.records import (
    BATCH_HEADER_SIZE, LOG_OVERHEAD, RecordBatchHeader, iter_records, unpack_header, validate_batch,
)

__all__ = ["LogSegment", "FileRecords", "filename_prefix", "walk_batches", "LOG_SUFFIX", "INDEX_SUFFIX", "TIME_INDEX_SUFFIX"]

LOG_SUFFIX = ".log"
INDEX_SUFFIX = ".index"
TIME_INDEX_SUFFIX = ".timeindex"
INT32_MAX = 2**31 - 1
# Reads of batch headers while walking a segment: large enough to hold many small batches'
# headers in one pread, small enough not to drag whole large batches into memory.
_WALK_CHUNK = 8 * 1024
# Chunk size for recovery, which must read (and CRC) every byte anyway.
_RECOVER_CHUNK = 1024 * 1024


def filename_prefix(offset: int) -> str:
    """Kafka's ``Log.filenamePrefixFromOffset``: the offset zero-padded to 20 digits."""
    return f"{offset:020d}"


def walk_batches(fd: int, start: int, end: int) -> Iterator[tuple[int, RecordBatchHeader]]:
    """Yield ``(position, header)`` of the batches of a segment file in ``[start, end)``, reading
    headers only. Takes a descriptor rather than a segment so that the cleaner's worker thread
    can read through a descriptor of its own."""
    pos = start
    while pos + LOG_OVERHEAD <= end:
        chunk = os.pread(fd, min(_WALK_CHUNK, end - pos), pos)
        at = 0
        while at + BATCH_HEADER_SIZE <= len(chunk):
            header = unpack_header(chunk, at)
            if header.batch_length + LOG_OVERHEAD < BATCH_HEADER_SIZE or pos + at + header.size > end:
                return
            yield pos + at, header
            at += header.size
        if at == 0:
            return  # fewer than a header's bytes left before ``end``
        pos += at


@attrs.frozen
class FileRecords:
    """A byte range of a segment file, ready for ``os.sendfile(out, fd, position, length)``.

    ``fd`` stays open for at least ``file.delete.delay.ms`` after its segment leaves the log
    (retention, compaction, partition deletion), as Kafka keeps deleted segments' channels open
    until the delayed delete. The range holds whole batches when read; only a follower
    truncation of the active segment can shorten the file under it, and then ``sendfile``
    returns short, which the sender must treat as the end of the data (Kafka has the same race).
    """

    path: str
    fd: int
    position: int
    length: int

    def read_bytes(self) -> bytes:
        """Copy the range into memory (tests, tools, the cleaner); fetch uses sendfile instead."""
        data = os.pread(self.fd, self.length, self.position)
        if len(data) != self.length:
            raise OSError(f"short read of {self.path}: {len(data)} of {self.length} bytes")
        return data


@attrs.define(eq=False)
class LogSegment:
    dir: str
    base_offset: int
    index_interval_bytes: int
    max_index_size: int
    created_ms: int
    rolling_jitter_ms: int = 0
    fd: int = -1
    size: int = 0
    offset_index: OffsetIndex = attrs.field(default=None)
    time_index: TimeIndex = attrs.field(default=None)
    bytes_since_last_index_entry: int = 0
    #: Largest batch maxTimestamp seen, and the last offset of the batch holding it (Kafka's
    #: maxTimestampSoFar / offsetOfMaxTimestampSoFar).
    max_timestamp_so_far: int = -1
    offset_of_max_timestamp: int = -1
    #: maxTimestamp of the first batch: the base of time-based rolling (Kafka's rollingBasedTimestamp).
    first_batch_timestamp: int | None = None
    #: Offset after the segment's last batch (base_offset when empty).
    next_offset: int = 0
    suffix: str = ""

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, dir: str, base_offset: int, *, index_interval_bytes: int, max_index_size: int,
             now_ms: int, rolling_jitter_ms: int = 0, suffix: str = "", load: bool = True) -> "LogSegment":
        """Open (or create) the segment's files. With ``load``, re-derive the in-memory state
        (next offset, max timestamp) from the last index entry; a corrupt index raises
        ``CorruptIndexError`` and the caller runs ``recover()``."""
        seg = cls(dir, base_offset, index_interval_bytes, max_index_size, now_ms, rolling_jitter_ms,
                  suffix=suffix, next_offset=base_offset)
        prefix = os.path.join(dir, filename_prefix(base_offset))
        seg.fd = os.open(prefix + LOG_SUFFIX + suffix, os.O_RDWR | os.O_CREAT, 0o644)
        seg.size = os.fstat(seg.fd).st_size
        missing_index = not (os.path.exists(prefix + INDEX_SUFFIX + suffix) and os.path.exists(prefix + TIME_INDEX_SUFFIX + suffix))
        seg.offset_index = OffsetIndex.open(prefix + INDEX_SUFFIX + suffix, base_offset, max_index_size, writable=False)
        seg.time_index = TimeIndex.open(prefix + TIME_INDEX_SUFFIX + suffix, base_offset, max_index_size, writable=False)
        if load and seg.size:
            try:
                if missing_index:
                    raise CorruptIndexError(f"index files of {prefix} are missing")
                seg.offset_index.sanity_check(seg.size)
                seg.time_index.sanity_check()
                seg._load_tail_state()
            except CorruptIndexError:
                seg.close()
                raise
        return seg

    @property
    def log_path(self) -> str:
        return os.path.join(self.dir, filename_prefix(self.base_offset) + LOG_SUFFIX + self.suffix)

    def _load_tail_state(self) -> None:
        """Scan from the last index entry to the end to learn next offset and max timestamp."""
        last = self.time_index.last_entry()
        self.max_timestamp_so_far, self.offset_of_max_timestamp = last.timestamp, last.offset
        start = self.offset_index.lookup(2**63 - 1).position
        for _pos, header in self._walk(start):
            self._observe(header)
        first = next(self._walk(0), None)
        self.first_batch_timestamp = first[1].max_timestamp if first else None

    def _observe(self, header: RecordBatchHeader) -> None:
        if header.max_timestamp > self.max_timestamp_so_far:
            self.max_timestamp_so_far = header.max_timestamp
            self.offset_of_max_timestamp = header.last_offset
        self.next_offset = header.next_offset

    def make_active(self) -> None:
        """Preallocate the indexes again: this segment will take appends (Kafka resizeIndexes)."""
        self.offset_index.resize(self.max_index_size)
        self.time_index.resize(self.max_index_size)

    # -- appending -----------------------------------------------------------------------------

    def can_convert_to_relative_offset(self, offset: int) -> bool:
        return 0 <= offset - self.base_offset <= INT32_MAX

    def append(self, data: memoryview | bytes, first_offset: int, last_offset: int,
               max_timestamp: int, offset_of_max_timestamp: int, first_batch_timestamp: int) -> None:
        """Write whole batches with one ``pwrite`` and maybe add one sparse index entry."""
        if not self.can_convert_to_relative_offset(last_offset) or first_offset < self.next_offset:
            # The log rolls before this can happen; reaching it is a bug, not bad input.
            raise UnknownServerError(f"offsets {first_offset}..{last_offset} cannot go in segment {self.base_offset}")
        position = self.size
        if position == 0:
            self.first_batch_timestamp = first_batch_timestamp
        size = len(data)
        written = os.pwrite(self.fd, data, position)
        while written < size:  # short writes only happen on full disks or signals
            written += os.pwrite(self.fd, memoryview(data)[written:], position + written)
        if max_timestamp > self.max_timestamp_so_far:
            self.max_timestamp_so_far = max_timestamp
            self.offset_of_max_timestamp = offset_of_max_timestamp
        if self.bytes_since_last_index_entry > self.index_interval_bytes:
            self.offset_index.append(last_offset, position)
            self.time_index.maybe_append(self.max_timestamp_so_far, self.offset_of_max_timestamp)
            self.bytes_since_last_index_entry = 0
        self.bytes_since_last_index_entry += size
        self.next_offset = last_offset + 1
        self.size = position + size

    def should_roll(self, segment_bytes: int, segment_ms: int, append_size: int,
                    max_timestamp_in_append: int, max_offset_in_append: int, now_ms: int) -> bool:
        """Kafka's ``LogSegment.shouldRoll``: size, age, full index, or relative-offset overflow."""
        if self.first_batch_timestamp is not None and self.first_batch_timestamp >= 0:
            waited = max_timestamp_in_append - self.first_batch_timestamp
        else:
            waited = now_ms - self.created_ms
        return (self.size > segment_bytes - append_size
                or (self.size > 0 and waited > segment_ms - self.rolling_jitter_ms)
                or self.offset_index.is_full() or self.time_index.is_full()
                or not self.can_convert_to_relative_offset(max_offset_in_append))

    def on_become_inactive(self) -> None:
        """Rolled: record the final max timestamp and trim the preallocated indexes."""
        if self.max_timestamp_so_far >= 0:
            self.time_index.maybe_append(self.max_timestamp_so_far, self.offset_of_max_timestamp, skip_full_check=True)
        self.offset_index.trim_to_valid_size()
        self.time_index.trim_to_valid_size()

    # -- reading -------------------------------------------------------------------------------

    def _walk(self, start: int, end: int | None = None) -> Iterator[tuple[int, RecordBatchHeader]]:
        """Yield ``(position, header)`` of the batches in ``[start, end)``, reading headers only."""
        return walk_batches(self.fd, start, self.size if end is None else end)

    def translate_offset(self, offset: int, starting_position: int = 0) -> tuple[int, RecordBatchHeader] | None:
        """The first batch whose last offset is >= ``offset``: ``(position, header)`` or None."""
        start = max(self.offset_index.lookup(offset).position, starting_position)
        for pos, header in self._walk(start):
            if header.last_offset >= offset:
                return pos, header
        return None

    def read(self, start_offset: int, max_size: int, *, max_position: int | None = None,
             min_one_message: bool = False) -> tuple[int, FileRecords] | None:
        """Whole batches from the one holding ``start_offset``, at most ``max_size`` bytes unless
        ``min_one_message`` (KIP-74) and never past ``max_position``. Returns the batch's start
        position and the range, or None if no batch in this segment reaches ``start_offset``."""
        size = self.size  # snapshot: a concurrent append may advance it, never to a torn batch
        limit = size if max_position is None else min(max_position, size)
        found = self.translate_offset(start_offset)
        if found is None or found[0] >= limit:
            return None
        start, first = found
        budget = max(max_size, first.size) if min_one_message else max_size
        end = min(limit, start + budget)
        if end < limit:
            end = self._batch_boundary_before(start, end)
        return start, FileRecords(self.log_path, self.fd, start, end - start)

    def _batch_boundary_before(self, start: int, end: int) -> int:
        """The last batch boundary <= ``end``: jump via the index, then walk a few headers."""
        pos = max(self.offset_index.lookup_position(end).position, start)
        for at, header in self._walk(pos, end):
            pos = at + header.size
        return pos

    def find_offset_by_timestamp(self, timestamp: int, starting_offset: int) -> TimestampOffset | None:
        """First record with timestamp >= ``timestamp`` and offset >= ``starting_offset``.

        Kafka's ``findOffsetByTimestamp``: time index, then offset index, then scan batches by
        their maxTimestamp and decode only the one batch that holds the answer.
        """
        ts_entry = self.time_index.lookup(timestamp)
        position = self.offset_index.lookup(max(ts_entry.offset, starting_offset)).position
        for pos, header in self._walk(position):
            if header.max_timestamp >= timestamp and header.last_offset >= starting_offset:
                data = os.pread(self.fd, header.size, pos)
                for record in iter_records(data, 0, header):
                    if record.timestamp >= timestamp and record.offset >= starting_offset:
                        return TimestampOffset(record.timestamp, record.offset)
        return None

    @property
    def largest_timestamp(self) -> int:
        """Kafka's ``largestTimestamp``: max record timestamp, else the file's mtime."""
        if self.max_timestamp_so_far >= 0:
            return self.max_timestamp_so_far
        return int(os.fstat(self.fd).st_mtime * 1000)

    # -- recovery and truncation ---------------------------------------------------------------

    def recover(self, on_batch: Callable[[RecordBatchHeader], None] | None = None) -> int:
        """Re-validate every batch, truncate after the last valid one, rebuild the indexes.

        ``on_batch`` sees every valid batch (the log re-learns leader epochs from them, as
        Kafka's recovery re-assigns the epoch cache). Returns the number of bytes truncated. Stops at the first batch that is torn, fails its
        CRC, has a wrong magic or codec, or whose offsets do not ascend (Kafka's
        ``LogSegment.recover`` catches ``CorruptRecordException`` the same way).
        """
        self.make_active()
        self.offset_index.reset()
        self.time_index.reset()
        self.max_timestamp_so_far, self.offset_of_max_timestamp = -1, -1
        self.first_batch_timestamp = None
        self.next_offset = self.base_offset
        file_size = os.fstat(self.fd).st_size
        valid = last_index_position = 0
        buf, buf_start = memoryview(b""), 0
        while valid + BATCH_HEADER_SIZE <= file_size:
            at = valid - buf_start
            if at + BATCH_HEADER_SIZE > len(buf):
                buf, buf_start, at = memoryview(os.pread(self.fd, min(_RECOVER_CHUNK, file_size - valid), valid)), valid, 0
            size = unpack_header(buf, at).size
            if size < BATCH_HEADER_SIZE or valid + size > file_size:
                break  # torn tail or garbage length
            if at + size > len(buf):
                buf, buf_start, at = memoryview(os.pread(self.fd, max(size, min(_RECOVER_CHUNK, file_size - valid)), valid)), valid, 0
            try:
                header = validate_batch(buf, at, at + size)
            except KafkaError:
                break
            if header.base_offset < self.next_offset or not self.can_convert_to_relative_offset(header.last_offset):
                break  # offsets must ascend and fit the indexes' int32 relative offsets
            if self.first_batch_timestamp is None:
                self.first_batch_timestamp = header.max_timestamp
            self._observe(header)
            if on_batch is not None:
                on_batch(header)
            if valid - last_index_position > self.index_interval_bytes:
                self.offset_index.append(header.last_offset, valid)
                self.time_index.maybe_append(self.max_timestamp_so_far, self.offset_of_max_timestamp)
                last_index_position = valid
            valid += size
        truncated = file_size - valid
        if truncated:
            os.ftruncate(self.fd, valid)
        self.size = valid
        self.bytes_since_last_index_entry = valid - last_index_position
        if self.max_timestamp_so_far >= 0:
            self.time_index.maybe_append(self.max_timestamp_so_far, self.offset_of_max_timestamp, skip_full_check=True)
        return truncated

    def truncate_to(self, offset: int) -> int:
        """Remove every batch whose last offset is >= ``offset``; returns the bytes removed."""
        found = self.translate_offset(offset)
        self.offset_index.truncate_to(offset)
        self.time_index.truncate_to(offset)
        self.make_active()
        if found is None:
            return 0
        position, header = found
        removed = self.size - position
        os.ftruncate(self.fd, position)
        self.size = position
        self.bytes_since_last_index_entry = 0
        # Re-derive the tail state from what is left (Kafka reloads the largest timestamp).
        last = self.time_index.last_entry()
        self.max_timestamp_so_far, self.offset_of_max_timestamp = last.timestamp, last.offset
        self.next_offset = self.base_offset
        for _pos, kept in self._walk(self.offset_index.lookup(offset).position):
            self._observe(kept)
        # Kafka sets the log end to the target itself; when the target falls inside a removed
        # batch the end is that batch's base, so no offset is reported that the log lacks.
        self.next_offset = max(self.next_offset, min(offset, header.base_offset))
        if position == 0:
            self.first_batch_timestamp = None
        return removed

    # -- durability and lifecycle --------------------------------------------------------------

    def flush(self) -> None:
        os.fsync(self.fd)
        self.offset_index.flush()
        self.time_index.flush()

    def close(self) -> None:
        if self.fd >= 0:
            if self.max_timestamp_so_far >= 0:
                try:
                    self.time_index.maybe_append(self.max_timestamp_so_far, self.offset_of_max_timestamp,
                                                 skip_full_check=True)
                except CorruptIndexError:
                    # Kafka swallows this too (CoreUtils.swallow in LogSegment.close): the entry
                    # is an optimisation, and an inconsistent index is rebuilt when next opened.
                    pass
            os.close(self.fd)
            self.fd = -1
        self.offset_index.close()
        self.time_index.close()

    def change_suffix(self, new_suffix: str) -> None:
        """Rename all three files from ``.x<suffix>`` to ``.x<new_suffix>`` (e.g. ``.deleted``)."""
        prefix = os.path.join(self.dir, filename_prefix(self.base_offset))
        os.replace(prefix + LOG_SUFFIX + self.suffix, prefix + LOG_SUFFIX + new_suffix)
        self.offset_index.rename_to(prefix + INDEX_SUFFIX + new_suffix)
        self.time_index.rename_to(prefix + TIME_INDEX_SUFFIX + new_suffix)
        self.suffix = new_suffix

    def delete_files(self) -> None:
        path = self.log_path
        self.close()
        for p in (path, self.offset_index.path, self.time_index.path):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
