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

Known simplifications (vs Kafka): no grouping of small segments into one, the tombstone horizon
uses the segment's largest record timestamp (Kafka 2.8 uses the last clean segment's mtime), and
empty batches of idempotent producers are dropped rather than kept for producer state.
"""

from __future__ import annotations

import os

from kafka_clone.log.log import CLEANED_SUFFIX, SWAP_SUFFIX, Log
from kafka_clone.log.segment import INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, LogSegment, filename_prefix
from kafka_clone.protocol import records as rec

__all__ = ["clean_log", "dirty_ratio"]


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


def _batches(segment: LogSegment):
    """Yield ``(header, batch bytes)`` for every batch of a segment (one read per batch)."""
    for pos, header in segment._walk(0):
        yield header, os.pread(segment.fd, header.size, pos)


def clean_log(log: Log, *, first_dirty_offset: int, now_ms: int, force: bool = False) -> int:
    """Compact ``log`` once if it is dirty enough; returns the new first dirty offset."""
    segments = _cleanable_segments(log, now_ms)
    if not segments:
        return first_dirty_offset
    end_offset = segments[-1].next_offset
    if first_dirty_offset >= end_offset:
        return first_dirty_offset
    if not force and dirty_ratio(log, first_dirty_offset, now_ms) < log.config.min_cleanable_dirty_ratio:
        return first_dirty_offset

    latest: dict[bytes, int] = {}
    for segment in segments:
        if segment.next_offset <= first_dirty_offset:
            continue
        for header, data in _batches(segment):
            if header.is_control:
                continue
            for record in rec.iter_records(data, 0, header):
                if record.key is not None and record.offset >= first_dirty_offset:
                    latest[record.key] = record.offset

    horizon = now_ms - log.config.delete_retention_ms
    for segment in segments:
        cleaned = _clean_segment(log, segment, latest, drop_tombstones=segment.largest_timestamp < horizon)
        if cleaned is not None:
            log.replace_segment(segment, cleaned)
    return end_offset


def _clean_segment(log: Log, segment: LogSegment, latest: dict[bytes, int], *,
                   drop_tombstones: bool) -> LogSegment | None:
    """Write the compacted copy of ``segment`` and swap it in; None if nothing would change."""
    kept_batches: list[tuple[rec.RecordBatchHeader, bytes]] = []
    changed = False
    for header, data in _batches(segment):
        if header.is_control:
            kept_batches.append((header, data))
            continue
        records = list(rec.iter_records(data, 0, header))
        keep = [r for r in records
                if (r.key is None or latest.get(r.key, r.offset) <= r.offset)
                and not (drop_tombstones and r.value is None)]
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

    prefix = os.path.join(log.dir, filename_prefix(segment.base_offset))
    for suffix in (LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX):
        _unlink(prefix + suffix + CLEANED_SUFFIX)
    cleaned = LogSegment.open(log.dir, segment.base_offset, index_interval_bytes=log.config.index_interval_bytes,
                              max_index_size=log.config.segment_index_bytes, now_ms=log.clock(),
                              suffix=CLEANED_SUFFIX, load=False)
    cleaned.make_active()
    for header, data in kept_batches:
        cleaned.append(data, first_offset=header.base_offset, last_offset=header.last_offset,
                       max_timestamp=header.max_timestamp, offset_of_max_timestamp=header.last_offset,
                       first_batch_timestamp=header.max_timestamp)
    cleaned.on_become_inactive()
    cleaned.flush()
    # The swap, in an order that Log loading can finish from any crash point (module doc).
    os.replace(prefix + LOG_SUFFIX + CLEANED_SUFFIX, prefix + LOG_SUFFIX + SWAP_SUFFIX)
    _unlink(prefix + INDEX_SUFFIX)
    _unlink(prefix + TIME_INDEX_SUFFIX)
    os.replace(prefix + LOG_SUFFIX + SWAP_SUFFIX, prefix + LOG_SUFFIX)
    cleaned.offset_index.rename_to(prefix + INDEX_SUFFIX)
    cleaned.time_index.rename_to(prefix + TIME_INDEX_SUFFIX)
    cleaned.suffix = ""
    # The segment's own notion of "next offset" must not shrink: the dropped tail of a batch
    # kept its lastOffsetDelta, but a dropped last batch would lower it.
    cleaned.next_offset = max(cleaned.next_offset, segment.next_offset)
    return cleaned


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
