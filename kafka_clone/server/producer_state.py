"""Idempotent-producer state of one partition, mirroring Kafka 2.8's ``log/ProducerStateManager.scala``
(``ProducerStateManager``, ``ProducerAppendInfo``, ``ProducerStateEntry``, ``BatchMetadata``).

KIP-98 gives every idempotent producer an id (InitProducerId), an epoch and, per partition, a
sequence number per record. The leader remembers, for each producer id, its epoch and the last
``NUM_BATCHES_TO_RETAIN`` (5) batches it appended: their sequence range, offsets and timestamp.
A produce batch is then, by its header only (records are never read):

* not idempotent (producer id < 0): passed through;
* a **duplicate** -- same epoch, and first and last sequence equal to a retained batch: not
  appended; the partition answers NONE with the offsets the original got
  (``Log.analyzeAndValidateProducerState`` / ``ProducerStateEntry.findDuplicateBatch``);
* of a lower epoch than stored: ``InvalidProducerEpoch`` (47; since 2.7 rather than
  PRODUCER_FENCED, ``ProducerAppendInfo.checkProducerEpoch``);
* of the stored epoch: its first sequence must follow the last one (``last + 1``, wrapping from
  ``2**31 - 1`` to 0), else ``OutOfOrderSequenceNumber`` (45);
* of a higher epoch (a bump, KIP-360): its first sequence must be 0, else 45;
* of an unknown producer id, or one whose stored epoch is -1: any sequence is accepted (KIP-360
  removed UNKNOWN_PRODUCER_ID for this case; ``ProducerAppendInfo.checkSequence``).

Call protocol (all synchronous; nothing may checkpoint between the three steps)::

    analysis = state.analyze(records)       # may raise a KafkaError; records nothing
    if analysis.duplicate is not None:      # answer NONE with analysis.duplicate.first_offset
        ...                                 # and append nothing
    info = log.append_as_leader(records, leader_epoch)
    state.complete(analysis, info.first_offset, info.last_offset, info.log_append_time)

Invariants:

* A request's batches are validated atomically: ``analyze`` never mutates the manager, so a
  failure (ours or the log's) leaves it as it was. ``complete`` applies a whole analysis, and
  refuses one made before any other change (a bug: analyze/append/complete must not interleave).
* Per producer, retained batches are ordered by sequence, oldest first, at most 5; an epoch
  change drops them (``ProducerStateEntry.maybeUpdateProducerEpoch``).
* Entries are frozen values; the manager is their single owner and swaps them whole.
* ``map_end_offset`` is the log offset up to which the state reflects the log.

State is rebuilt on load by scanning batch headers from the log start (``load``); Kafka bounds
that scan with ``<offset>.snapshot`` files, which this clone does not write (see ``load``).
Transactions (ongoing transactions, markers, the LSO) are out of scope: transactional batches are
sequence-checked like any other.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

import attrs

from kafka_clone.log.clock import Clock, wall_clock_ms
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import InvalidProducerEpoch, InvalidRecord, OutOfOrderSequenceNumber

__all__ = [
    "NUM_BATCHES_TO_RETAIN", "NO_PRODUCER_EPOCH", "NO_SEQUENCE", "DEFAULT_PRODUCER_ID_EXPIRATION_MS",
    "PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS", "BatchMetadata", "ProducerStateEntry", "DuplicateBatch",
    "AppendAnalysis", "ProducerStateManager", "ProducerStateStatistics", "increment_sequence",
    "decrement_sequence",
]

log = logging.getLogger(__name__)

#: ``ProducerStateEntry.NumBatchesToRetain``: matches the producer's max.in.flight.requests.per.connection
#: limit (5) with idempotence, so any in-flight retry can still be recognised as a duplicate.
NUM_BATCHES_TO_RETAIN = 5
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
_INT32_MAX = 2**31 - 1
#: Kafka 2.8 expires producer ids after ``transactional.id.expiration.ms`` (default 7 days;
#: ``LogManager`` passes it as ``maxPidExpirationMs``). ``producer.id.expiration.ms`` is 3.4+ (KIP-854).
DEFAULT_PRODUCER_ID_EXPIRATION_MS = 7 * 24 * 60 * 60 * 1000
#: ``LogManager.ProducerIdExpirationCheckIntervalMs``: how often the owner should call
#: ``remove_expired_producers``.
PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 10 * 60 * 1000


def increment_sequence(sequence: int, increment: int) -> int:
    """``DefaultRecordBatch.incrementSequence``: sequences wrap from ``2**31 - 1`` to 0."""
    if sequence > _INT32_MAX - increment:
        return increment - (_INT32_MAX - sequence) - 1
    return sequence + increment


def decrement_sequence(sequence: int, decrement: int) -> int:
    """``DefaultRecordBatch.decrementSequence``, the inverse of ``increment_sequence``."""
    if sequence < decrement:
        return _INT32_MAX - (decrement - sequence) + 1
    return sequence - decrement


def _in_sequence(last_seq: int, next_seq: int) -> bool:
    return next_seq == last_seq + 1 or (next_seq == 0 and last_seq == _INT32_MAX)


@attrs.frozen
class BatchMetadata:
    """One retained batch (``BatchMetadata``): its last sequence and offset, the offset delta
    (which is also the sequence delta: one sequence per record) and its max timestamp."""

    last_seq: int
    last_offset: int
    offset_delta: int
    timestamp: int

    @property
    def first_seq(self) -> int:
        return decrement_sequence(self.last_seq, self.offset_delta)

    @property
    def first_offset(self) -> int:
        return self.last_offset - self.offset_delta


@attrs.frozen
class ProducerStateEntry:
    """What a partition knows about one producer id (``ProducerStateEntry``).

    ``batches`` holds at most ``NUM_BATCHES_TO_RETAIN`` batches, oldest first. Kafka's
    ``coordinatorEpoch`` and ``currentTxnFirstOffset`` belong to transactions, which are not
    implemented; ``coordinator_epoch`` stays -1.
    """

    producer_id: int
    producer_epoch: int = NO_PRODUCER_EPOCH
    batches: tuple[BatchMetadata, ...] = ()
    last_timestamp: int = rec.NO_TIMESTAMP
    coordinator_epoch: int = -1

    @property
    def is_empty(self) -> bool:
        return not self.batches

    @property
    def first_seq(self) -> int:
        return self.batches[0].first_seq if self.batches else NO_SEQUENCE

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else NO_SEQUENCE

    @property
    def last_data_offset(self) -> int:
        return self.batches[-1].last_offset if self.batches else -1

    def find_duplicate(self, epoch: int, first_seq: int, last_seq: int) -> BatchMetadata | None:
        """``findDuplicateBatch``: the retained batch with exactly this sequence range, if the
        epoch is the current one."""
        if epoch != self.producer_epoch:
            return None
        for batch in self.batches:
            if batch.first_seq == first_seq and batch.last_seq == last_seq:
                return batch
        return None

    def with_batch(self, epoch: int, batch: BatchMetadata) -> "ProducerStateEntry":
        """``addBatch``: a new epoch drops the retained batches; the oldest goes beyond 5."""
        kept = self.batches if epoch == self.producer_epoch else ()
        return ProducerStateEntry(self.producer_id, epoch, (kept + (batch,))[-NUM_BATCHES_TO_RETAIN:],
                                  batch.timestamp, self.coordinator_epoch)


@attrs.frozen
class DuplicateBatch:
    """A batch already in the log: what the partition answers instead of appending.

    ``timestamp`` is the original batch's max timestamp (the append time under LogAppendTime).
    Kafka 2.8 puts it in the response's ``log_append_time`` for a duplicate whatever the topic's
    timestamp type (``Log.append``: ``appendInfo.logAppendTime = duplicate.timestamp``).
    """

    first_offset: int
    last_offset: int
    timestamp: int


@attrs.frozen
class _PendingBatch:
    """A validated idempotent batch, placed relative to the first offset of the append."""

    producer_id: int
    producer_epoch: int
    last_seq: int
    relative_last_offset: int
    offset_delta: int
    max_timestamp: int


@attrs.frozen
class AppendAnalysis:
    """The result of ``ProducerStateManager.analyze``: hand it back to ``complete`` after the
    append. ``duplicate`` is set when the request must not be appended at all."""

    duplicate: DuplicateBatch | None
    pending: tuple[_PendingBatch, ...]
    #: Offsets the append will take (sum of the batches' lastOffsetDelta + 1).
    offset_count: int
    generation: int

    @property
    def is_idempotent(self) -> bool:
        return bool(self.pending)


@attrs.frozen
class ProducerStateStatistics:
    active_producers: int
    map_end_offset: int
    expired_producers: int


@attrs.define(eq=False)
class ProducerStateManager:
    """The producer-id table of one partition (``ProducerStateManager``); see the module doc.

    Owned by the partition like its ``Log``: one task uses it, so it needs no lock.
    """

    topic_partition: str = ""
    max_producer_id_expiration_ms: int = DEFAULT_PRODUCER_ID_EXPIRATION_MS
    clock: Clock = wall_clock_ms
    _producers: dict[int, ProducerStateEntry] = attrs.Factory(dict)
    map_end_offset: int = 0
    #: Bumped by every change, so ``complete`` can refuse a stale analysis.
    _generation: int = 0
    _expired: int = 0

    # -- queries -------------------------------------------------------------------------------

    def last_entry(self, producer_id: int) -> ProducerStateEntry | None:
        return self._producers.get(producer_id)

    @property
    def active_producers(self) -> dict[int, ProducerStateEntry]:
        """A copy of the table (entries are frozen)."""
        return dict(self._producers)

    def statistics(self) -> ProducerStateStatistics:
        return ProducerStateStatistics(len(self._producers), self.map_end_offset, self._expired)

    # -- the leader's append path --------------------------------------------------------------

    def analyze(self, records: memoryview | bytes | bytearray) -> AppendAnalysis:
        """Validate the producer state of a client's batches (``ProducerAppendInfo`` with origin
        Client) from their headers; record nothing.

        Raises ``InvalidProducerEpoch`` or ``OutOfOrderSequenceNumber``. When it is about to
        reject (or answer a duplicate), it first runs the checks the log would have run before
        producer state in Kafka (``validate_batch`` and the header checks of ``LogValidator``) so
        that a corrupt batch gets CORRUPT_MESSAGE / INVALID_RECORD as from Kafka, not 45 or 47.
        Those checks cost nothing on the accepting path, where the log append runs them anyway.
        """
        view = memoryview(records)
        committed = self._producers
        # producer id -> (epoch, last sequence or None while no batch of this request)
        in_progress: dict[int, tuple[int, int | None]] = {}
        pending: list[_PendingBatch] = []
        relative = 0
        for pos, header in _headers(view):
            pid = header.producer_id
            span = header.last_offset_delta + 1
            if pid >= 0:
                if header.base_sequence < 0:
                    self._reject_after_log_checks(view, InvalidRecord(
                        f"idempotent batch of producer {pid} has no base sequence"))
                first_seq = header.base_sequence
                last_seq = increment_sequence(first_seq, header.last_offset_delta)
                epoch = header.producer_epoch
                current = committed.get(pid)
                if current is not None:
                    # Against the committed entry only, as Kafka: one duplicate drops the request.
                    duplicate = current.find_duplicate(epoch, first_seq, last_seq)
                    if duplicate is not None:
                        _run_log_checks(view)
                        return AppendAnalysis(
                            DuplicateBatch(duplicate.first_offset, duplicate.last_offset, duplicate.timestamp),
                            (), 0, self._generation)
                error = _check_batch(pid, epoch, first_seq, current, in_progress.get(pid), self.topic_partition)
                if error is not None:
                    self._reject_after_log_checks(view, error)
                in_progress[pid] = (epoch, last_seq)
                pending.append(_PendingBatch(pid, epoch, last_seq, relative + header.last_offset_delta,
                                             header.last_offset_delta, header.max_timestamp))
            relative += span
        return AppendAnalysis(None, tuple(pending), relative, self._generation)

    @staticmethod
    def _reject_after_log_checks(view: memoryview, error: Exception) -> None:
        _run_log_checks(view)
        raise error

    def complete(self, analysis: AppendAnalysis, first_offset: int, last_offset: int,
                 log_append_time: int = rec.NO_TIMESTAMP) -> None:
        """Record an appended request (``ProducerStateManager.update`` + ``updateMapEndOffset``).

        ``first_offset``/``last_offset``/``log_append_time`` are the log's ``LogAppendInfo``
        fields; under LogAppendTime the retained timestamp is the append time, as Kafka's
        ``batch.maxTimestamp`` is after stamping.
        """
        if analysis.duplicate is not None:
            raise ValueError("a duplicate was not appended: there is nothing to complete")
        if analysis.generation != self._generation:
            raise AssertionError(f"producer state of {self.topic_partition} changed between analyze and complete")
        if last_offset - first_offset + 1 != analysis.offset_count:
            raise AssertionError(f"append of offsets {first_offset}..{last_offset} does not match the "
                                 f"{analysis.offset_count} offsets analysed")
        for batch in analysis.pending:
            timestamp = log_append_time if log_append_time >= 0 else batch.max_timestamp
            self._add(batch.producer_id, batch.producer_epoch,
                      BatchMetadata(batch.last_seq, first_offset + batch.relative_last_offset,
                                    batch.offset_delta, timestamp))
        self.map_end_offset = last_offset + 1
        self._generation += 1

    def _add(self, producer_id: int, epoch: int, batch: BatchMetadata) -> None:
        entry = self._producers.get(producer_id) or ProducerStateEntry(producer_id)
        self._producers[producer_id] = entry.with_batch(epoch, batch)

    # -- followers, loading, truncation, expiry ------------------------------------------------

    def append_replicated(self, records: memoryview | bytes | bytearray) -> None:
        """Apply batches appended with their final offsets (a follower's append, or a scan of the
        log): Kafka's origin Replication, which checks nothing and takes what the leader wrote --
        even a lower epoch, which only logs a warning there."""
        for _pos, header in _headers(memoryview(records)):
            self._apply_replicated(header)
        self._generation += 1

    def _apply_replicated(self, header: rec.RecordBatchHeader) -> None:
        if header.producer_id >= 0 and not header.is_control:
            current = self._producers.get(header.producer_id)
            if current is not None and header.producer_epoch < current.producer_epoch:
                log.warning("%s: epoch %d of producer %d at offset %d is below the last seen epoch %d",
                            self.topic_partition, header.producer_epoch, header.producer_id,
                            header.base_offset, current.producer_epoch)
            self._add(header.producer_id, header.producer_epoch,
                      BatchMetadata(increment_sequence(header.base_sequence, header.last_offset_delta),
                                    header.last_offset, header.last_offset_delta, header.max_timestamp))
        self.map_end_offset = header.next_offset

    def load(self, log: "LogLike") -> None:
        """Rebuild the table from the log's batch headers, from the log start to the log end.

        Kafka reads the latest ``<offset>.snapshot`` and scans only the segments after it; with no
        snapshot it scans from the log start, which is what this does every time. The scan reads
        61 header bytes per batch (never records), so it is proportional to the number of
        batches; it is blocking file I/O, so run it in ``trio.to_thread`` for big logs. Expired
        producers are dropped at the end, as Kafka filters them when loading a snapshot.
        """
        self._producers.clear()
        self.map_end_offset = log.log_start_offset
        for header in iter_log_headers(log, log.log_start_offset):
            self._apply_replicated(header)
        self.map_end_offset = log.log_end_offset
        self.remove_expired_producers()
        self._generation += 1

    def truncate_and_reload(self, log: "LogLike") -> None:
        """After the log was truncated (follower) or its start moved: reload if the state no
        longer ends where the log does (``truncateAndReload``: without snapshots, a rescan)."""
        if log.log_end_offset != self.map_end_offset:
            self.load(log)

    def truncate_fully_and_start_at(self, offset: int) -> None:
        """The log restarted empty at ``offset`` (``truncateFullyAndStartAt``)."""
        self._producers.clear()
        self.map_end_offset = offset
        self._generation += 1

    def remove_expired_producers(self, now_ms: int | None = None) -> int:
        """Forget producers idle for ``max_producer_id_expiration_ms`` (``removeExpiredProducers``;
        idle = now minus the max timestamp of their last batch). Returns how many went.

        A forgotten producer's next batch is accepted with any sequence (KIP-360)."""
        now = self.clock() if now_ms is None else now_ms
        expired = [pid for pid, entry in self._producers.items()
                   if now - entry.last_timestamp >= self.max_producer_id_expiration_ms]
        for pid in expired:
            del self._producers[pid]
        if expired:
            self._expired += len(expired)
            self._generation += 1
        return len(expired)


class LogLike:
    """What ``load`` needs of ``kafka_clone.log.log.Log`` (for type checkers only)."""

    log_start_offset: int
    log_end_offset: int
    segments: tuple


def _check_batch(pid: int, epoch: int, first_seq: int, current: ProducerStateEntry | None,
                 in_progress: tuple[int, int | None] | None, tp: str) -> Exception | None:
    """``checkProducerEpoch`` then ``checkSequence`` for one batch, against the entry as updated
    by the earlier batches of the same request (``in_progress``) and the committed one."""
    current_epoch = current.producer_epoch if current is not None else NO_PRODUCER_EPOCH
    updated_epoch, updated_last_seq = in_progress if in_progress is not None else (current_epoch, None)
    if epoch < updated_epoch:
        return InvalidProducerEpoch(f"epoch of producer {pid} in {tp} is {epoch}, which is smaller than "
                                    f"the last seen epoch {updated_epoch}")
    if epoch != updated_epoch:
        # A bump (KIP-360): the new epoch must start at sequence 0, unless nothing was known.
        if first_seq != 0 and updated_epoch != NO_PRODUCER_EPOCH:
            return OutOfOrderSequenceNumber(
                f"invalid sequence number for new epoch of producer {pid} in {tp}: {epoch} (request "
                f"epoch), {first_seq} (seq. number), {updated_epoch} (current producer epoch)")
        return None
    if updated_last_seq is not None:
        last_seq = updated_last_seq
    elif current is not None and epoch == current_epoch:
        last_seq = current.last_seq
    else:
        last_seq = NO_SEQUENCE
    # No known epoch (unknown producer, or state lost to retention/expiry): any sequence goes.
    if current_epoch != NO_PRODUCER_EPOCH and not _in_sequence(last_seq, first_seq):
        return OutOfOrderSequenceNumber(
            f"out of order sequence number for producer {pid} in {tp}: {first_seq} (incoming seq. "
            f"number), {last_seq} (current end sequence number)")
    return None


def _headers(view: memoryview) -> Iterator[tuple[int, rec.RecordBatchHeader]]:
    """Batch headers of a request's records; bounds are checked, the CRC is left to the log."""
    return rec.iter_batches(view, validate=False)


def _run_log_checks(view: memoryview) -> None:
    """The per-batch checks that precede producer state in Kafka's ``Log.append`` and need no
    topic config: size, magic, CRC, codec, then ``LogValidator``'s header checks."""
    for _pos, header in rec.iter_batches(view, validate=True):
        if header.base_offset != 0:
            raise InvalidRecord(f"batch base offset must be 0 from a client, got {header.base_offset}")
        if header.records_count <= 0 or header.last_offset_delta + 1 != header.records_count:
            raise InvalidRecord(f"batch lastOffsetDelta {header.last_offset_delta} does not match "
                                f"its {header.records_count} records")
        if header.is_control:
            raise InvalidRecord("clients may not produce control batches")
        if header.producer_id >= 0 and header.base_sequence < 0:
            raise InvalidRecord(f"idempotent batch of producer {header.producer_id} has no base sequence")


_WALK_CHUNK = 64 * 1024


def iter_log_headers(log: LogLike, start_offset: int) -> Iterable[rec.RecordBatchHeader]:
    """Headers of the log's batches ending at or after ``start_offset``, up to the log end.

    Reads segment files in chunks with ``pread`` and decodes only the 61-byte headers; a segment's
    ``size`` is read once, so a concurrent append is never seen half-written.
    """
    end_offset = log.log_end_offset
    for segment in log.segments:
        size = segment.size
        if size == 0:
            continue
        found = segment.translate_offset(start_offset)
        if found is None:
            continue
        pos = found[0]
        while pos + rec.BATCH_HEADER_SIZE <= size:
            chunk = os.pread(segment.fd, min(_WALK_CHUNK, size - pos), pos)
            at = 0
            while at + rec.BATCH_HEADER_SIZE <= len(chunk):
                header = rec.unpack_header(chunk, at)
                if header.size < rec.BATCH_HEADER_SIZE or pos + at + header.size > size:
                    return
                if header.base_offset >= end_offset:
                    return
                if header.last_offset >= start_offset:
                    yield header
                at += header.size
            if at == 0:
                return
            pos += at
