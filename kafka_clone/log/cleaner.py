"""Log compaction (``cleanup.policy=compact``), mirroring Kafka's ``kafka.log.LogCleaner`` /
``Cleaner`` (2.8), simplified to one pass per call and one output segment per input segment.

What a pass does, for one log:

1. The *cleanable* range is every segment below the active one (the active segment is never
   touched), cut short at the first segment newer than ``min.compaction.lag.ms``. The *dirty*
   part starts at the first dirty offset (``cleaner-offset-checkpoint``); the pass runs only if
   dirty bytes / cleanable bytes >= ``min.cleanable.dirty.ratio``.
2. An offset map ``key -> last offset`` is built from the dirty part (Kafka's ``SkimpyOffsetMap``,
   here a dict).
3. Every cleanable segment is rewritten keeping a record iff no later record has its key, and
   dropping tombstones (null value) once their segment is older than ``delete.retention.ms``.
   Offsets are preserved: a filtered batch keeps its base offset and lastOffsetDelta, with the
   original codec, producer fields and epoch. Control batches are kept as they are.
4. The copy is written to ``<base>.log.cleaned`` (plus indexes), fsynced, renamed to ``.swap``,
   then the old index files are unlinked and the ``.swap`` renamed over the old log. A crash at
   any step is repaired by ``Log`` loading: ``.cleaned`` is discarded, a ``.swap`` log completes
   the swap, missing indexes are rebuilt. The old segment stays open for ``file.delete.delay.ms``
   so in-flight reads of it finish.

Threads. Kafka runs its cleaner in threads of its own, and so can we, because a pass is split in
three and only the middle one is heavy:

* ``plan_cleaning`` (the log's owner, the trio thread): picks the segments and fixes everything
  the pass needs from the log and its config in a frozen ``LogToClean``, with a duplicate of each
  segment's descriptor, so the worker never reads a descriptor the log may close or reuse;
* ``clean_segments`` (any thread): steps 2 and 3 and the ``.cleaned`` files, touching no state
  the log shares with appends and reads. It polls ``aborted`` between batches (Kafka's
  ``checkDone``) and then deletes its output;
* ``swap_cleaned`` (the owner again): step 4's renames and the segment list swap, but only if
  every planned segment is still in the log with the size it had. Inactive segments only change
  by truncation, retention or deletion; if any of those ran meanwhile, the output is deleted and
  the log is left as it is (Kafka aborts cleaning around truncation for the same reason).

``clean_log`` runs the three in the calling thread.

Known simplifications (vs Kafka): no grouping of small segments into one, the tombstone horizon
uses the segment's largest record timestamp (Kafka 2.8 uses the last clean segment's mtime), and
empty batches of idempotent producers are dropped rather than kept for producer state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import attrs

from kafka_clone.log.log import CLEANED_SUFFIX, SWAP_SUFFIX, Log
from kafka_clone.log.segment import (
    INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, LogSegment, filename_prefix, walk_batches,
)
from kafka_clone.protocol import records as rec

__all__ = [
    "clean_log", "dirty_ratio", "plan_cleaning", "clean_segments", "swap_cleaned", "discard_cleaned",
    "LogToClean", "SegmentToClean", "CleanedSegment",
]


def _cleanable_segments(log: Log, now_ms: int) -> list[LogSegment]:
    out = []
    for segment in log.segments[:-1]:
        if log.config.min_compaction_lag_ms > 0 and now_ms - segment.largest_timestamp < log.config.min_compaction_lag_ms:
            break
        out.append(segment)
    return out


def dirty_ratio(log: Log, first_dirty_offset: int, now_ms: int) -> float:
    """Dirty bytes over cleanable bytes (Kafka's ``LogToClean.cleanableRatio``)."""
    segments = _cleanable_segments(log, now_ms)
    total = sum(s.size for s in segments)
    dirty = sum(s.size for s in segments if s.next_offset > first_dirty_offset)
    return dirty / total if total else 0.0


@attrs.frozen
class SegmentToClean:
    """One input segment as planned: its size and a descriptor of the worker's own."""

    segment: LogSegment
    base_offset: int
    next_offset: int
    size: int
    fd: int
    drop_tombstones: bool


@attrs.frozen
class LogToClean:
    """Everything one pass reads from the log, fixed by the owner before the work starts
    (Kafka's ``LogToClean``). ``close`` releases the duplicated descriptors."""

    log: Log
    dir: str
    segments: tuple[SegmentToClean, ...]
    first_dirty_offset: int
    #: The first offset after the cleanable range: the next first dirty offset.
    end_offset: int
    index_interval_bytes: int
    segment_index_bytes: int
    now_ms: int

    def unchanged(self) -> bool:
        """Every planned segment still in the log, open, with the size it had (owner thread)."""
        current = self.log.segments  # segments compare by identity
        return all(s.segment in current and s.segment.fd >= 0 and s.segment.size == s.size for s in self.segments)

    def close(self) -> None:
        for s in self.segments:
            os.close(s.fd)


@attrs.frozen
class CleanedSegment:
    """A compacted copy (still named ``.cleaned``) of one planned segment."""

    old: LogSegment
    new: LogSegment


def plan_cleaning(log: Log, *, first_dirty_offset: int, now_ms: int, force: bool = False) -> LogToClean | None:
    """The owner's first step: None if there is nothing to clean or the log is not dirty enough."""
    segments = _cleanable_segments(log, now_ms)
    if not segments:
        return None
    end_offset = segments[-1].next_offset
    if first_dirty_offset >= end_offset:
        return None
    if not force and dirty_ratio(log, first_dirty_offset, now_ms) < log.config.min_cleanable_dirty_ratio:
        return None
    horizon = now_ms - log.config.delete_retention_ms
    planned: list[SegmentToClean] = []
    try:
        for s in segments:
            planned.append(SegmentToClean(s, s.base_offset, s.next_offset, s.size, os.dup(s.fd),
                                          drop_tombstones=s.largest_timestamp < horizon))
    except OSError:
        for p in planned:
            os.close(p.fd)
        raise
    return LogToClean(log, log.dir, tuple(planned), first_dirty_offset, end_offset,
                      log.config.index_interval_bytes, log.config.segment_index_bytes, log.clock())


class _Aborted(Exception):
    """Kafka's ``LogCleaningAbortedException``: the owner asked the pass to stop."""


def _batches(source: SegmentToClean, aborted: Callable[[], bool]) -> Iterator[tuple[rec.RecordBatchHeader, bytes]]:
    """Every batch of a planned segment (one read per batch), checking for an abort before each."""
    for pos, header in walk_batches(source.fd, 0, source.size):
        if aborted():
            raise _Aborted
        yield header, os.pread(source.fd, header.size, pos)


def clean_segments(plan: LogToClean, aborted: Callable[[], bool] = lambda: False) -> list[CleanedSegment] | None:
    """The heavy part, safe in a worker thread: the offset map and the ``.cleaned`` copies.

    Returns the copies to swap in (segments that would not change have none), or None if
    ``aborted()`` became true; then, as after any error, nothing it wrote is left behind.
    """
    done: list[CleanedSegment] = []
    try:
        latest: dict[bytes, int] = {}
        for source in plan.segments:
            if source.next_offset <= plan.first_dirty_offset:
                continue
            for header, data in _batches(source, aborted):
                if header.is_control:
                    continue
                for record in rec.iter_records(data, 0, header):
                    if record.key is not None and record.offset >= plan.first_dirty_offset:
                        latest[record.key] = record.offset
        for source in plan.segments:
            cleaned = _clean_segment(plan, source, latest, aborted)
            if cleaned is not None:
                done.append(CleanedSegment(source.segment, cleaned))
        return done
    except _Aborted:
        discard_cleaned(done)
        return None
    except BaseException:
        discard_cleaned(done)
        raise


def _clean_segment(plan: LogToClean, source: SegmentToClean, latest: dict[bytes, int],
                   aborted: Callable[[], bool]) -> LogSegment | None:
    """Write the compacted copy of one segment as ``.cleaned`` files; None if nothing would change."""
    kept_batches: list[tuple[rec.RecordBatchHeader, bytes]] = []
    changed = False
    for header, data in _batches(source, aborted):
        if header.is_control:
            kept_batches.append((header, data))
            continue
        records = list(rec.iter_records(data, 0, header))
        keep = [r for r in records
                if (r.key is None or latest.get(r.key, r.offset) <= r.offset)
                and not (source.drop_tombstones and r.value is None)]
        if len(keep) == len(records):
            kept_batches.append((header, data))
            continue
        changed = True
        if keep:
            data = rec.build_batch(
                keep, base_offset=header.base_offset, last_offset_delta=header.last_offset_delta,
                compression=header.compression, timestamp_type=header.timestamp_type,
                partition_leader_epoch=header.partition_leader_epoch, producer_id=header.producer_id,
                producer_epoch=header.producer_epoch, base_sequence=header.base_sequence,
                is_transactional=header.is_transactional)
            kept_batches.append((rec.unpack_header(data), data))
    if not changed:
        return None

    prefix = os.path.join(plan.dir, filename_prefix(source.base_offset))
    for suffix in (LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX):
        _unlink(prefix + suffix + CLEANED_SUFFIX)
    cleaned = LogSegment.open(plan.dir, source.base_offset, index_interval_bytes=plan.index_interval_bytes,
                              max_index_size=plan.segment_index_bytes, now_ms=plan.now_ms,
                              suffix=CLEANED_SUFFIX, load=False)
    try:
        cleaned.make_active()
        for header, data in kept_batches:
            if aborted():
                raise _Aborted
            cleaned.append(data, first_offset=header.base_offset, last_offset=header.last_offset,
                           max_timestamp=header.max_timestamp, offset_of_max_timestamp=header.last_offset,
                           first_batch_timestamp=header.max_timestamp)
        cleaned.on_become_inactive()
        cleaned.flush()
    except BaseException:
        cleaned.delete_files()
        raise
    # The segment's own notion of "next offset" must not shrink: the dropped tail of a batch
    # kept its lastOffsetDelta, but a dropped last batch would lower it.
    cleaned.next_offset = max(cleaned.next_offset, source.next_offset)
    return cleaned


def discard_cleaned(cleaned: list[CleanedSegment]) -> None:
    """Close and delete copies that will not be swapped in."""
    for c in cleaned:
        c.new.delete_files()


def swap_cleaned(plan: LogToClean, cleaned: list[CleanedSegment]) -> bool:
    """The owner's last step: swap the copies in, or discard them if the log changed meanwhile."""
    if not plan.unchanged():
        discard_cleaned(cleaned)
        return False
    for c in cleaned:
        prefix = os.path.join(plan.dir, filename_prefix(c.old.base_offset))
        # The swap, in an order that Log loading can finish from any crash point (module doc).
        os.replace(prefix + LOG_SUFFIX + CLEANED_SUFFIX, prefix + LOG_SUFFIX + SWAP_SUFFIX)
        _unlink(prefix + INDEX_SUFFIX)
        _unlink(prefix + TIME_INDEX_SUFFIX)
        os.replace(prefix + LOG_SUFFIX + SWAP_SUFFIX, prefix + LOG_SUFFIX)
        c.new.offset_index.rename_to(prefix + INDEX_SUFFIX)
        c.new.time_index.rename_to(prefix + TIME_INDEX_SUFFIX)
        c.new.suffix = ""
        plan.log.replace_segment(c.old, c.new)
    return True


def clean_log(log: Log, *, first_dirty_offset: int, now_ms: int, force: bool = False) -> int:
    """Compact ``log`` once, in this thread, if it is dirty enough; returns the new first dirty offset."""
    plan = plan_cleaning(log, first_dirty_offset=first_dirty_offset, now_ms=now_ms, force=force)
    if plan is None:
        return first_dirty_offset
    try:
        cleaned = clean_segments(plan)
    finally:
        plan.close()
    if cleaned is None or not swap_cleaned(plan, cleaned):
        return first_dirty_offset
    return plan.end_offset


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
