"""One partition's log, mirroring Kafka's ``kafka.log.Log`` (2.8).

A log is a directory ``<topic>-<partition>/`` holding a sequence of segments (``LogSegment``)
ordered by base offset, a ``leader-epoch-checkpoint`` (``LeaderEpochFileCache``) and nothing
else of ours. The last segment is the *active* one and the only one appended to.

Offsets and invariants:

* ``log_start_offset <= recovery_point <= log_end_offset`` (after recovery) and
  ``log_start_offset`` lies in the first segment (or equals ``log_end_offset`` when empty).
* Offsets strictly increase through the segments; segment ``i`` only holds offsets below the
  base offset of segment ``i + 1``. Gaps are allowed (compaction).
* A batch is written whole with one ``pwrite`` and only then counted (``segment.size``,
  ``log_end_offset``), so readers never see a partial batch. Everything before the
  ``recovery_point`` was fsynced; after an unclean shutdown only segments from it on are
  re-validated, as Kafka does.
* A failed append (``KafkaError``) leaves the log unchanged: every batch is validated before
  anything is stamped or written.

Threading: the broker serialises appends, truncation, rolling and retention per partition (one
owner, no locks: style guide B3). ``read`` may run concurrently with an append in another thread:
it snapshots the segment list (replaced, never mutated in place) and each segment's size. The
cleaner's worker thread only reads inactive segments through descriptors of its own and writes
new files; the swap (``replace_segment``) is done by the owner (``cleaner.py``).
"""

from __future__ import annotations

import bisect
import os
import random
import re
from collections.abc import Callable
from typing import NamedTuple

import attrs

from kafka_clone.log.abstract_index import CorruptIndexError
from kafka_clone.log.clock import Clock, wall_clock_ms
from kafka_clone.log.leader_epoch_cache import UNDEFINED_EPOCH, LeaderEpochFileCache
from kafka_clone.log.log_config import LogConfig
from kafka_clone.log.log_validator import (  # noqa: F401 (UnexpectedAppendOffset is re-exported)
    UnexpectedAppendOffset, recompress_for_topic, validate_batches,
)
from kafka_clone.log.segment import (
    INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, FileRecords, LogSegment,
)
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import KafkaStorageError, OffsetOutOfRange, RecordListTooLarge

__all__ = [
    "Log", "LogAppendInfo", "LogOffsetMetadata", "FetchDataInfo", "TimestampAndOffset",
    "UnexpectedAppendOffset", "parse_topic_partition_name", "DELETED_SUFFIX", "CLEANED_SUFFIX",
    "SWAP_SUFFIX", "EARLIEST_TIMESTAMP", "LATEST_TIMESTAMP",
]

DELETED_SUFFIX = ".deleted"
CLEANED_SUFFIX = ".cleaned"
SWAP_SUFFIX = ".swap"
#: ListOffsets' special timestamps (``ListOffsetsRequest.EARLIEST_TIMESTAMP`` / ``LATEST_TIMESTAMP``).
EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1
_SEGMENT_FILE = re.compile(r"^(\d{20})\.(log|index|timeindex)(\.deleted|\.cleaned|\.swap)?$")


@attrs.frozen
class LogOffsetMetadata:
    """An offset and, when known, where its batch starts (Kafka's ``LogOffsetMetadata``)."""

    message_offset: int
    segment_base_offset: int = -1
    relative_position_in_segment: int = -1


@attrs.frozen
class FetchDataInfo:
    """The answer to ``Log.read``: ``records`` is None for an empty read."""

    fetch_offset_metadata: LogOffsetMetadata
    records: FileRecords | None

    @property
    def length(self) -> int:
        return self.records.length if self.records is not None else 0


class LogAppendInfo(NamedTuple):
    """What an append did (Kafka's ``LogAppendInfo``): the produce response is built from it.

    A ``NamedTuple`` rather than a frozen attrs class because one is built per append on the
    produce path, where a frozen attrs ``__init__`` costs about a microsecond more.
    """

    first_offset: int
    last_offset: int
    max_timestamp: int
    offset_of_max_timestamp: int
    #: The broker's time stamped into LogAppendTime batches, else -1.
    log_append_time: int
    log_start_offset: int
    records_count: int
    valid_bytes: int
    batches: int


@attrs.frozen
class TimestampAndOffset:
    timestamp: int
    offset: int
    leader_epoch: int


def parse_topic_partition_name(dirname: str) -> tuple[str, int]:
    """``my-topic-3`` -> ``("my-topic", 3)``: the partition follows the last dash (Kafka's rule)."""
    topic, sep, partition = os.path.basename(dirname.rstrip("/")).rpartition("-")
    if not sep or not topic or not partition.isdigit():
        raise KafkaStorageError(f"found directory {dirname}, which is not a topic-partition directory")
    return topic, int(partition)


@attrs.frozen
class _Segments:
    """An immutable snapshot of the segment list, swapped by reference (readers never lock)."""

    bases: tuple[int, ...]
    segments: tuple[LogSegment, ...]

    def floor(self, offset: int) -> int:
        return bisect.bisect_right(self.bases, offset) - 1


@attrs.define(eq=False)
class Log:
    dir: str
    topic: str
    partition: int
    config: LogConfig
    clock: Clock
    log_start_offset: int
    recovery_point: int
    leader_epoch_cache: LeaderEpochFileCache
    _segs: _Segments = _Segments((), ())
    log_end_offset: int = 0
    last_flush_ms: int = 0
    unflushed_messages: int = 0
    #: Segments removed from the log, closed and unlinked once their deadline passes
    #: (``file.delete.delay.ms``) so in-flight sendfile ranges stay valid.
    pending_deletes: list[tuple[int, LogSegment]] = attrs.Factory(list)

    # -- opening and recovery ------------------------------------------------------------------

    @classmethod
    def open(cls, dir: str, config: LogConfig, *, log_start_offset: int = 0, recovery_point: int = 0,
             clock: Clock = wall_clock_ms, clean_shutdown: bool = False) -> "Log":
        """Open (creating if needed) the log in ``dir``; without ``clean_shutdown`` re-validate
        every segment from ``recovery_point`` on, truncating a torn or corrupt tail."""
        topic, partition = parse_topic_partition_name(dir)
        os.makedirs(dir, exist_ok=True)
        log = cls(dir, topic, partition, config, clock, log_start_offset, recovery_point,
                  LeaderEpochFileCache.open(dir), last_flush_ms=clock())
        log._load_segments(clean_shutdown)
        return log

    def _new_segment(self, base_offset: int, *, load: bool = False) -> LogSegment:
        config = self.config
        # Kafka's LogConfig.randomSegmentJitter: a random slice of segment.jitter.ms per segment,
        # so partitions created together do not all roll in the same instant.
        jitter = random.randrange(min(config.segment_jitter_ms, config.segment_ms)) if config.segment_jitter_ms else 0
        return LogSegment.open(
            self.dir, base_offset, index_interval_bytes=config.index_interval_bytes,
            max_index_size=config.segment_index_bytes, now_ms=self.clock(), rolling_jitter_ms=jitter, load=load)

    def _load_segments(self, clean_shutdown: bool) -> None:
        names = os.listdir(self.dir)
        # A .swap file is a finished compaction output whose swap was interrupted: complete it.
        # .cleaned (unfinished output) and .deleted (already removed) files are just garbage.
        for name in names:
            m = _SEGMENT_FILE.match(name)
            if m and m.group(3) == SWAP_SUFFIX:
                final = os.path.join(self.dir, name[: -len(SWAP_SUFFIX)])
                if m.group(2) == "log":
                    for suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX):
                        _unlink(os.path.join(self.dir, m.group(1) + suffix))
                    os.replace(os.path.join(self.dir, name), final)
                else:
                    _unlink(os.path.join(self.dir, name))
            elif m and m.group(3) in (CLEANED_SUFFIX, DELETED_SUFFIX):
                _unlink(os.path.join(self.dir, name))
        names = os.listdir(self.dir)
        bases = sorted(int(n[:20]) for n in names if _SEGMENT_FILE.match(n) and n.endswith(LOG_SUFFIX))
        for name in names:  # orphan indexes (Kafka deletes them too)
            m = _SEGMENT_FILE.match(name)
            if m and m.group(2) != "log" and not m.group(3) and int(m.group(1)) not in bases:
                _unlink(os.path.join(self.dir, name))
        segments: list[LogSegment] = []
        for base in bases:
            try:
                segment = self._new_segment(base, load=True)
            except CorruptIndexError:
                # Missing or corrupt index: rebuild it from the log (Kafka's recoverSegment).
                segment = self._new_segment(base, load=False)
                segment.recover()
                segment.on_become_inactive()
            segments.append(segment)
        if not segments:
            segments.append(self._new_segment(self.log_start_offset))
        self._segs = _Segments(tuple(s.base_offset for s in segments), tuple(segments))
        if clean_shutdown:
            self.recovery_point = segments[-1].next_offset
        else:
            self._recover_from(self.recovery_point)
        active = self._segs.segments[-1]
        active.make_active()
        self.log_end_offset = active.next_offset
        self.recovery_point = min(self.recovery_point, self.log_end_offset)
        self.log_start_offset = max(self.log_start_offset, self._segs.bases[0])
        if self.log_start_offset > self.log_end_offset:
            self.log_start_offset = self.log_end_offset
        self.leader_epoch_cache.truncate_from_end(self.log_end_offset)
        self.leader_epoch_cache.truncate_from_start(self.log_start_offset)

    def _recover_from(self, recovery_point: int) -> None:
        """Kafka's ``recoverLog``: re-validate segments holding offsets >= the recovery point;
        at the first truncation, every later segment is suspect and is deleted."""
        segs = list(self._segs.segments)
        start = max(self._segs.floor(recovery_point), 0)
        cache = self.leader_epoch_cache

        def learn_epoch(header: rec.RecordBatchHeader) -> None:
            if header.partition_leader_epoch > cache.latest_epoch:
                cache.assign(header.partition_leader_epoch, header.base_offset)

        for i in range(start, len(segs)):
            if segs[i].recover(learn_epoch) > 0 or (i + 1 < len(segs) and segs[i].next_offset > segs[i + 1].base_offset):
                for later in segs[i + 1:]:
                    later.delete_files()
                segs = segs[: i + 1]
                break
        for segment in segs[:-1]:
            segment.on_become_inactive()
        self._segs = _Segments(tuple(s.base_offset for s in segs), tuple(segs))

    # -- properties ----------------------------------------------------------------------------

    @property
    def segments(self) -> tuple[LogSegment, ...]:
        return self._segs.segments

    @property
    def active_segment(self) -> LogSegment:
        return self._segs.segments[-1]

    @property
    def size(self) -> int:
        return sum(s.size for s in self._segs.segments)

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"

    def latest_epoch(self) -> int:
        return self.leader_epoch_cache.latest_epoch

    # -- appending -----------------------------------------------------------------------------

    def append_as_leader(self, records: bytearray | memoryview | bytes, leader_epoch: int) -> LogAppendInfo:
        """Validate a producer's batches, assign offsets from the log end, stamp ``leader_epoch``.

        ``records`` should be writable (a ``bytearray`` or a view of one): offsets and epochs are
        patched in place. Read-only input is copied once. Raises ``CorruptMessage``,
        ``InvalidRecord``, ``MessageTooLarge``, ``RecordListTooLarge``, ``InvalidTimestamp`` or
        ``UnsupportedCompressionType`` with the log unchanged.
        """
        view = memoryview(records)
        if view.readonly:
            view = memoryview(bytearray(view))
        return self._append(view, leader_epoch=leader_epoch, assign_offsets=True)

    def append_as_follower(self, records: bytearray | memoryview | bytes) -> LogAppendInfo:
        """Append batches fetched from the leader, keeping the leader's offsets and epochs."""
        return self._append(memoryview(records), leader_epoch=UNDEFINED_EPOCH, assign_offsets=False)

    def _append(self, view: memoryview, *, leader_epoch: int, assign_offsets: bool) -> LogAppendInfo:
        # The produce hot path: per batch, one header unpack, one C CRC and two pack_into; no
        # per-record work unless the topic is compacted (keys) or uses LogAppendTime (CRC).
        now = self.clock()
        config = self.config
        log_append_time = assign_offsets and config.log_append_time
        end = len(view)
        headers, records_count = validate_batches(view, config, now, from_client=assign_offsets,
                                                  next_offset=self.log_end_offset, name=self.name)
        if assign_offsets and config.compression_type != "producer":
            converted = recompress_for_topic(view, headers, config)
            if converted is not None:
                view, end = memoryview(converted), len(converted)
                headers, records_count = validate_batches(view, config, now, from_client=True,
                                                          next_offset=self.log_end_offset, name=self.name)
        if not headers:
            return LogAppendInfo(self.log_end_offset, self.log_end_offset - 1, rec.NO_TIMESTAMP, -1, -1,
                                 self.log_start_offset, 0, 0, 0)
        if end > config.segment_bytes:
            raise RecordListTooLarge(f"append of {end} bytes exceeds segment.bytes {config.segment_bytes} for {self.name}")

        # Everything is valid: stamp offsets and epochs (outside the CRC), LogAppendTime (inside).
        max_ts, offset_of_max_ts = rec.NO_TIMESTAMP, -1
        first_offset = offset = self.log_end_offset
        latest_epoch = self.leader_epoch_cache.latest_epoch
        epochs: list[tuple[int, int]] = []
        for pos, header in headers:
            if assign_offsets:
                rec.patch_base_offset(view, pos, offset)
                rec.patch_leader_epoch(view, pos, leader_epoch)
                if log_append_time:
                    rec.set_log_append_time(view, pos, header, now)
                base, epoch = offset, leader_epoch
            else:
                base, epoch = header.base_offset, header.partition_leader_epoch
            last = base + header.last_offset_delta
            offset = last + 1
            batch_ts = now if log_append_time else header.max_timestamp
            if batch_ts > max_ts:
                max_ts, offset_of_max_ts = batch_ts, last
            if epoch >= 0 and epoch != latest_epoch:
                epochs.append((epoch, base))
                latest_epoch = epoch
        if not assign_offsets:
            first_offset = headers[0][1].base_offset
        last_offset = offset - 1
        first_ts = now if log_append_time else headers[0][1].max_timestamp

        segment = self._maybe_roll(end, max_ts, last_offset, first_offset, now)
        try:
            segment.append(view, first_offset, last_offset, max_ts, offset_of_max_ts, first_ts)
        except OSError as exc:
            raise KafkaStorageError(f"error appending to {segment.log_path}: {exc}") from exc
        for epoch, base in epochs:
            self.leader_epoch_cache.assign(epoch, base)
        self.log_end_offset = offset
        self.unflushed_messages += offset - first_offset
        if self.unflushed_messages >= config.flush_messages:
            self.flush()
        return LogAppendInfo(first_offset, last_offset, max_ts, offset_of_max_ts,
                             now if log_append_time else -1, self.log_start_offset,
                             records_count, end, len(headers))

    def _maybe_roll(self, size: int, max_ts: int, last_offset: int, first_offset: int, now: int) -> LogSegment:
        segment = self.active_segment
        if segment.should_roll(self.config.segment_bytes, self.config.segment_ms, size, max_ts, last_offset, now):
            return self.roll(first_offset)
        return segment

    def roll(self, expected_next_offset: int | None = None) -> LogSegment:
        """Start a new active segment at ``max(expected_next_offset, log_end_offset)``.

        The old segment's indexes are trimmed. It is not fsynced here (Kafka schedules that
        asynchronously): ``flush_rolled_segments`` does it from the background task.
        """
        new_base = max(expected_next_offset or 0, self.log_end_offset)
        active = self.active_segment
        if active.base_offset == new_base and active.size == 0:
            return active  # already a fresh segment at this offset
        active.on_become_inactive()
        segment = self._new_segment(new_base)
        segment.make_active()
        segs = self._segs
        self._segs = _Segments(segs.bases + (new_base,), segs.segments + (segment,))
        return segment

    # -- reading -------------------------------------------------------------------------------

    def read(self, start_offset: int, max_length: int, *, max_offset: int | None = None,
             min_one_message: bool = True) -> FetchDataInfo:
        """Whole batches from the one holding ``start_offset``: at most ``max_length`` bytes,
        except that with ``min_one_message`` the first batch is returned whole (KIP-74), and
        nothing at or above ``max_offset`` (the high watermark for consumers; None = log end).

        Raises ``OffsetOutOfRange`` below the log start or above the log end.
        """
        segs = self._segs
        leo = self.log_end_offset
        bound = leo if max_offset is None else min(max_offset, leo)
        if start_offset < self.log_start_offset or start_offset > leo:
            raise OffsetOutOfRange(f"offset {start_offset} is out of range for {self.name}: "
                                   f"[{self.log_start_offset}, {leo}]")
        if start_offset >= bound:
            return FetchDataInfo(LogOffsetMetadata(start_offset), None)
        i = max(segs.floor(start_offset), 0)
        while i < len(segs.segments):
            segment = segs.segments[i]
            if segment.base_offset >= bound:
                break
            max_position = None
            if i + 1 == len(segs.segments) or segs.bases[i + 1] > bound:
                if bound < segment.next_offset:
                    found = segment.translate_offset(bound)
                    max_position = found[0] if found is not None else None
            result = segment.read(start_offset, max_length, max_position=max_position,
                                  min_one_message=min_one_message)
            if result is not None:
                position, records = result
                return FetchDataInfo(LogOffsetMetadata(start_offset, segment.base_offset, position),
                                     records if records.length else None)
            i += 1
        return FetchDataInfo(LogOffsetMetadata(start_offset), None)

    def fetch_offset_by_timestamp(self, timestamp: int) -> TimestampAndOffset | None:
        """ListOffsets: the first offset whose record timestamp is >= ``timestamp``.

        ``EARLIEST_TIMESTAMP`` (-2) and ``LATEST_TIMESTAMP`` (-1) give the log start and end.
        None when every record is older than ``timestamp``.
        """
        cache = self.leader_epoch_cache
        if timestamp == EARLIEST_TIMESTAMP:
            return TimestampAndOffset(-1, self.log_start_offset, cache.epoch_for_offset(self.log_start_offset))
        if timestamp == LATEST_TIMESTAMP:
            return TimestampAndOffset(-1, self.log_end_offset, cache.latest_epoch)
        for segment in self._segs.segments:
            if segment.size and segment.max_timestamp_so_far >= timestamp:
                found = segment.find_offset_by_timestamp(timestamp, self.log_start_offset)
                if found is not None:
                    return TimestampAndOffset(found.timestamp, found.offset, cache.epoch_for_offset(found.offset))
        return None

    def end_offset_for_epoch(self, leader_epoch: int) -> tuple[int, int]:
        """OffsetsForLeaderEpoch: ``(epoch, end offset)``, ``(-1, -1)`` when undefined."""
        return self.leader_epoch_cache.end_offset_for(leader_epoch, self.log_end_offset)

    def assign_epoch_start_offset(self, leader_epoch: int, start_offset: int) -> None:
        """A new leader records where its epoch starts (``Partition.makeLeader``)."""
        self.leader_epoch_cache.assign(leader_epoch, start_offset)

    # -- truncation and the log start offset ---------------------------------------------------

    def truncate_to(self, target_offset: int) -> bool:
        """Follower truncation: remove every offset >= ``target_offset``. True if anything went."""
        if target_offset < 0:
            raise ValueError(f"cannot truncate {self.name} to a negative offset {target_offset}")
        if target_offset >= self.log_end_offset:
            return False
        segs = self._segs
        if segs.bases[0] > target_offset:
            self.truncate_fully_and_start_at(target_offset)
            return True
        keep = segs.floor(target_offset)
        removed = segs.segments[keep + 1:]
        active = segs.segments[keep]
        self._segs = _Segments(segs.bases[: keep + 1], segs.segments[: keep + 1])
        self._schedule_delete(removed)
        active.truncate_to(target_offset)
        self.log_end_offset = active.next_offset
        # By the new end, not the target: a batch straddling the target went entirely.
        self.leader_epoch_cache.truncate_from_end(self.log_end_offset)
        self.recovery_point = min(self.recovery_point, self.log_end_offset)
        self.log_start_offset = min(self.log_start_offset, self.log_end_offset)
        return True

    def truncate_fully_and_start_at(self, new_offset: int) -> None:
        """Drop everything; the log restarts empty at ``new_offset`` (a far-behind follower)."""
        old = self._segs.segments
        self._schedule_delete(old)
        segment = self._new_segment(new_offset)
        segment.make_active()
        self._segs = _Segments((new_offset,), (segment,))
        self.leader_epoch_cache.clear()
        self.log_end_offset = self.log_start_offset = self.recovery_point = new_offset

    def maybe_increment_log_start_offset(self, new_log_start_offset: int, *, high_watermark: int | None = None) -> bool:
        """DeleteRecords / retention: move the log start forward (never back, never past the HW)."""
        limit = self.log_end_offset if high_watermark is None else high_watermark
        if new_log_start_offset > limit:
            raise OffsetOutOfRange(f"cannot increment the log start offset of {self.name} to "
                                   f"{new_log_start_offset}: beyond the high watermark {limit}")
        if new_log_start_offset <= self.log_start_offset:
            return False
        self.log_start_offset = new_log_start_offset
        self.leader_epoch_cache.truncate_from_start(new_log_start_offset)
        return True

    # -- segment removal (retention, truncation, compaction) -----------------------------------

    def delete_old_segments(self, *, high_watermark: int | None = None) -> int:
        """Kafka's ``deleteOldSegments``: retention by time and size (``cleanup.policy`` with
        ``delete``) and segments wholly below the log start offset. Returns segments deleted."""
        deleted = 0
        if self.config.delete:
            deleted += self._delete_retention_ms_breached(high_watermark)
            deleted += self._delete_retention_size_breached(high_watermark)
        deleted += self._delete_segments(
            lambda seg, nxt: nxt is not None and nxt.base_offset <= self.log_start_offset, high_watermark)
        return deleted

    def _delete_retention_ms_breached(self, high_watermark: int | None) -> int:
        if self.config.retention_ms < 0:
            return 0
        now = self.clock()
        return self._delete_segments(
            lambda seg, nxt: now - seg.largest_timestamp > self.config.retention_ms, high_watermark)

    def _delete_retention_size_breached(self, high_watermark: int | None) -> int:
        if self.config.retention_bytes < 0 or self.size < self.config.retention_bytes:
            return 0
        excess = self.size - self.config.retention_bytes

        def over(seg: LogSegment, nxt: LogSegment | None) -> bool:
            nonlocal excess
            if excess - seg.size >= 0:
                excess -= seg.size
                return True
            return False
        return self._delete_segments(over, high_watermark)

    def _delete_segments(self, predicate: Callable[[LogSegment, LogSegment | None], bool],
                         high_watermark: int | None) -> int:
        """Delete the longest prefix of segments matching ``predicate`` whose offsets are all
        below the high watermark. The active segment qualifies only if non-empty; it is rolled
        first, so the log always keeps an active segment (Kafka's ``deletableSegments``)."""
        hw = self.log_end_offset if high_watermark is None else min(high_watermark, self.log_end_offset)
        segs = self._segs.segments
        deletable: list[LogSegment] = []
        for i, seg in enumerate(segs):
            nxt = segs[i + 1] if i + 1 < len(segs) else None
            upper = nxt.base_offset if nxt is not None else self.log_end_offset
            if hw >= upper and not (nxt is None and seg.size == 0) and predicate(seg, nxt):
                deletable.append(seg)
            else:
                break
        if not deletable:
            return 0
        if deletable[-1] is self.active_segment:
            self.roll()
        segs = self._segs
        n = len(deletable)
        self._segs = _Segments(segs.bases[n:], segs.segments[n:])
        self._schedule_delete(deletable)
        if self._segs.bases[0] > self.log_start_offset:
            self.maybe_increment_log_start_offset(self._segs.bases[0], high_watermark=self._segs.bases[0])
        return n

    def replace_segment(self, old: LogSegment, new: LogSegment) -> None:
        """Swap in a compacted copy with the same base offset (used by the cleaner)."""
        segs = self._segs
        i = segs.segments.index(old)
        self._segs = _Segments(segs.bases, segs.segments[:i] + (new,) + segs.segments[i + 1:])
        self._schedule_delete([old], rename=False)

    def _schedule_delete(self, segments: tuple[LogSegment, ...] | list[LogSegment], *, rename: bool = True) -> None:
        deadline = self.clock() + self.config.file_delete_delay_ms
        for seg in segments:
            if rename:
                seg.change_suffix(DELETED_SUFFIX)
            self.pending_deletes.append((deadline, seg))
        self.delete_pending_segments()

    def delete_pending_segments(self, *, force: bool = False) -> None:
        """Close and unlink removed segments whose ``file.delete.delay.ms`` has passed."""
        now = self.clock()
        due = [s for d, s in self.pending_deletes if force or d <= now]
        self.pending_deletes = [(d, s) for d, s in self.pending_deletes if not (force or d <= now)]
        for seg in due:
            if seg.suffix:
                seg.delete_files()
            else:
                seg.close()  # replaced by a compacted copy under the same name

    # -- durability ----------------------------------------------------------------------------

    def flush(self, offset: int | None = None) -> None:
        """fsync every segment holding offsets in ``[recovery_point, offset)``; advance the
        recovery point (Kafka's ``Log.flush``). Default: up to the log end."""
        offset = self.log_end_offset if offset is None else offset
        if offset <= self.recovery_point:
            return
        segs = self._segs
        for i in range(max(segs.floor(self.recovery_point), 0), len(segs.segments)):
            if segs.bases[i] >= offset:
                break
            try:
                segs.segments[i].flush()
            except OSError as exc:
                raise KafkaStorageError(f"error flushing {segs.segments[i].log_path}: {exc}") from exc
        self.recovery_point = offset
        self.unflushed_messages = 0
        self.last_flush_ms = self.clock()

    def flush_rolled_segments(self) -> None:
        """Flush up to the active segment: Kafka's flush scheduled by ``roll``."""
        self.flush(self.active_segment.base_offset)

    def close(self) -> None:
        for seg in self._segs.segments:
            seg.close()
        self.delete_pending_segments(force=True)



def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
