"""Idempotent-producer state of one partition, mirroring Kafka 2.8's ``log/ProducerStateManager.scala``
(``ProducerStateManager``, ``ProducerAppendInfo``, ``ProducerStateEntry``, ``BatchMetadata``).

KIP-98 gives every idempotent producer an id (InitProducerId), an epoch and, per partition, a
sequence number per record. The leader remembers, for each producer id, its epoch and the last
``NUM_BATCHES_TO_RETAIN`` (5) batches it appended: their sequence range, offsets and timestamp.
A produce batch is then, by its header only (records are never read):

* not idempotent (producer id < 0): passed through;
* a **duplicate** (same epoch, first and last sequence of a retained batch): not appended; the
  answer is NONE with the original offsets (``Log.analyzeAndValidateProducerState``);
* of a lower epoch than stored: ``InvalidProducerEpoch`` (47; PRODUCER_FENCED before 2.7);
* of the stored epoch: its first sequence must be the last one + 1 (``2**31 - 1`` wraps to 0),
  else ``OutOfOrderSequenceNumber`` (45);
* of a higher epoch (a bump, KIP-360): its first sequence must be 0, else 45;
* of an unknown producer id, or a stored epoch of -1: any sequence (KIP-360 dropped
  UNKNOWN_PRODUCER_ID here; ``ProducerAppendInfo.checkSequence``).

Call protocol (all synchronous; nothing may checkpoint between the three steps)::

    analysis = state.analyze(records)       # may raise a KafkaError; records nothing
    if analysis.duplicate is not None:      # answer NONE with analysis.duplicate.first_offset
        ...                                 # and append nothing
    info = log.append_as_leader(records, leader_epoch)
    state.complete(analysis, info.first_offset, info.last_offset, info.log_append_time)

A follower calls ``append_replicated(records)`` after each ``append_as_follower``, and
``truncate_and_reload(log)`` after truncating; the owner calls ``remove_expired_producers()`` every
``PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS`` and ``take_snapshot()`` before closing the log.

Invariants:

* A request's batches are validated atomically: ``analyze`` never mutates the manager, so a
  failure (ours or the log's) leaves it as it was. ``complete`` applies a whole analysis, and
  refuses one made before any other change (a bug: analyze/append/complete must not interleave).
* Per producer, retained batches are ordered by sequence, oldest first, at most 5; an epoch
  change drops them (``ProducerStateEntry.maybeUpdateProducerEpoch``).
* Entries are frozen values; the manager is their single owner and swaps them whole.
* ``map_end_offset`` is the log offset up to which the state reflects the log.

On load the state comes from the latest ``<offset>.snapshot`` file in the log directory (Kafka's
producer snapshot, byte-compatible, see ``write_snapshot``) and a scan of the batch headers after
it; with no snapshot, from a scan from the log start. ``take_snapshot`` writes one (Kafka: on
segment roll and on close).

Transactions (ongoing transactions, markers, the LSO) are out of scope: transactional batches are
sequence-checked like any other.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import attrs
import crc32c

from kafka_clone.log.clock import Clock, wall_clock_ms
from kafka_clone.log.log_validator import validate_client_batch_header
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import InvalidProducerEpoch, InvalidRecord, OutOfOrderSequenceNumber

if TYPE_CHECKING:
    from kafka_clone.log.log import Log

__all__ = [
    "NUM_BATCHES_TO_RETAIN", "NO_PRODUCER_EPOCH", "NO_SEQUENCE", "DEFAULT_PRODUCER_ID_EXPIRATION_MS",
    "PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS", "BatchMetadata", "ProducerStateEntry", "DuplicateBatch",
    "AppendAnalysis", "ProducerStateManager", "ProducerStateStatistics", "CorruptSnapshot",
    "increment_sequence", "decrement_sequence", "read_snapshot", "write_snapshot", "snapshot_path",
    "SNAPSHOT_SUFFIX",
]

logger = logging.getLogger(__name__)

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
            if batch.last_seq == last_seq and batch.first_seq == first_seq:
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


class _PendingBatch(NamedTuple):
    """A validated idempotent batch; its offset is relative to the append's first offset.
    (A NamedTuple: one is built per produced batch, where it costs a third of a frozen attrs.)"""

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
    #: Where snapshots live (the log directory); ``load`` sets it from the log.
    log_dir: str | None = None
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

        Raises ``InvalidProducerEpoch`` or ``OutOfOrderSequenceNumber``; but before rejecting or
        answering a duplicate it runs the checks Kafka's log makes first (CRC, ``LogValidator``'s
        header checks), so a corrupt batch gets 2/87 as from Kafka. The accepting path skips
        them: the log append runs them anyway.
        """
        view = memoryview(records)
        committed = self._producers
        # producer id -> (epoch, last sequence or None while no batch of this request)
        in_progress: dict[int, tuple[int, int | None]] = {}
        pending: list[_PendingBatch] = []
        relative = 0
        # Bounds are checked here; the CRC is left to the log append (or ``_run_log_checks``).
        for _pos, header in rec.iter_batches(view, validate=False):
            pid = header.producer_id
            span = header.last_offset_delta + 1
            if pid >= 0:
                if header.base_sequence < 0:
                    _reject(view, InvalidRecord(
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
                    _reject(view, error)
                in_progress[pid] = (epoch, last_seq)
                pending.append(_PendingBatch(pid, epoch, last_seq, relative + header.last_offset_delta,
                                             header.last_offset_delta, header.max_timestamp))
            relative += span
        return AppendAnalysis(None, tuple(pending), relative, self._generation)

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
        for _pos, header in rec.iter_batches(memoryview(records), validate=False):
            self._apply_replicated(header)
        self._generation += 1

    def _apply_replicated(self, header: rec.RecordBatchHeader) -> None:
        if header.producer_id >= 0 and not header.is_control:
            current = self._producers.get(header.producer_id)
            if current is not None and header.producer_epoch < current.producer_epoch:
                logger.warning("%s: epoch %d of producer %d at offset %d is below the last seen epoch %d",
                               self.topic_partition, header.producer_epoch, header.producer_id,
                               header.base_offset, current.producer_epoch)
            self._add(header.producer_id, header.producer_epoch,
                      BatchMetadata(increment_sequence(header.base_sequence, header.last_offset_delta),
                                    header.last_offset, header.last_offset_delta, header.max_timestamp))
        self.map_end_offset = header.next_offset

    def load(self, log: "Log") -> None:
        """Rebuild the table for ``log``: from its latest usable snapshot, then its batch headers
        after that offset up to the log end (``Log.rebuildProducerState`` +
        ``ProducerStateManager.truncateAndReload``).

        Snapshots beyond the log end or at/below the log start are deleted first (a truncated log
        may have grown again since), and a corrupt one is deleted and the next older tried, as in
        Kafka. Without a snapshot the scan starts
        at the log start; it reads 61 header bytes per batch, never records. This is blocking file
        I/O: run it in ``trio.to_thread`` for big logs. Expired producers are dropped at the end
        (Kafka drops them when reading a snapshot; its periodic check catches the rest).
        """
        self.log_dir = log.dir
        self._producers.clear()
        self._remove_out_of_range_snapshots(log)
        start = log.log_start_offset
        for offset in sorted(list_snapshot_offsets(log.dir), reverse=True):
            try:
                entries = read_snapshot(snapshot_path(log.dir, offset))
            except CorruptSnapshot as exc:
                logger.warning("%s: deleting producer snapshot %d: %s", self.topic_partition, offset, exc)
                _unlink(snapshot_path(log.dir, offset))
                continue
            self._producers.update((e.producer_id, e) for e in entries)
            start = offset
            break
        self.map_end_offset = start
        for header in iter_log_headers(log, start):
            self._apply_replicated(header)
        self.map_end_offset = log.log_end_offset
        self.remove_expired_producers()
        self._generation += 1

    def truncate_and_reload(self, log: "Log") -> None:
        """Call after every truncation of the log (and when its start moves): deletes snapshots
        now beyond the log end or at/below its start, and reloads if the state no longer ends
        where the log does (``truncateAndReload``)."""
        self._remove_out_of_range_snapshots(log)
        if log.log_end_offset != self.map_end_offset:
            self.load(log)

    @staticmethod
    def _remove_out_of_range_snapshots(log: "Log") -> None:
        for offset in list_snapshot_offsets(log.dir):
            if offset > log.log_end_offset or offset <= log.log_start_offset:
                _unlink(snapshot_path(log.dir, offset))

    def truncate_fully_and_start_at(self, offset: int) -> None:
        """The log restarted empty at ``offset`` (``truncateFullyAndStartAt``): no producers, no
        snapshots."""
        self._producers.clear()
        self.map_end_offset = offset
        if self.log_dir is not None:
            for snap in list_snapshot_offsets(self.log_dir):
                _unlink(snapshot_path(self.log_dir, snap))
        self._generation += 1

    def take_snapshot(self) -> str | None:
        """Write ``<map_end_offset>.snapshot`` unless it exists (``takeSnapshot``); returns its
        path. Kafka calls it when a segment rolls and when the log closes."""
        if self.log_dir is None:
            raise ValueError(f"producer state of {self.topic_partition} has no log directory")
        path = snapshot_path(self.log_dir, self.map_end_offset)
        if os.path.exists(path):
            return None
        write_snapshot(path, self._producers.values())
        return path

    def delete_snapshots_before(self, offset: int) -> None:
        """Delete snapshots below ``offset`` (``deleteSnapshotsBefore``, after segment deletion)."""
        if self.log_dir is not None:
            for snap in list_snapshot_offsets(self.log_dir):
                if snap < offset:
                    _unlink(snapshot_path(self.log_dir, snap))

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


def _reject(view: memoryview, error: Exception) -> None:
    _run_log_checks(view)
    raise error


def _run_log_checks(view: memoryview) -> None:
    """The per-batch checks that precede producer state in Kafka's ``Log.append`` and need no
    topic config: size, magic, CRC, codec, then ``LogValidator``'s header checks."""
    for _pos, header in rec.iter_batches(view, validate=True):
        validate_client_batch_header(header)


_WALK_CHUNK = 64 * 1024


def iter_log_headers(log: "Log", start_offset: int) -> Iterable[rec.RecordBatchHeader]:
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


# -- producer snapshot files (Kafka 2.8 ``ProducerStateManager.writeSnapshot``/``readSnapshot``) -----

SNAPSHOT_SUFFIX = ".snapshot"
_SNAPSHOT_VERSION = 1
_SNAPSHOT_FILE = re.compile(r"^(\d{20})\.snapshot$")
# version int16 (1), crc uint32 (CRC-32C of everything after it), entry count int32
_SNAPSHOT_HEAD = struct.Struct(">hIi")
# producer_id int64, epoch int16, last_sequence int32, last_offset int64, offset_delta int32,
# timestamp int64, coordinator_epoch int32, current_txn_first_offset int64 (-1: none)
_SNAPSHOT_ENTRY = struct.Struct(">qhiqiqiq")
_CRC_START = 6


class CorruptSnapshot(Exception):
    """Kafka's ``CorruptSnapshotException``: the file is deleted and an older one tried."""


def snapshot_path(log_dir: str, offset: int) -> str:
    """``Log.producerSnapshotFile``: the offset zero-padded to 20 digits."""
    return os.path.join(log_dir, f"{offset:020d}{SNAPSHOT_SUFFIX}")


def list_snapshot_offsets(log_dir: str) -> list[int]:
    try:
        names = os.listdir(log_dir)
    except FileNotFoundError:
        return []
    return [int(m.group(1)) for m in map(_SNAPSHOT_FILE.match, names) if m]


def write_snapshot(path: str, entries: Iterable[ProducerStateEntry]) -> None:
    """Kafka's snapshot file, version 1 (``PidSnapshotMapSchema``; layout at ``_SNAPSHOT_ENTRY``).

    Only the last batch of each producer is kept, as in Kafka: after loading a snapshot, only a
    retry of a producer's last batch is recognised as a duplicate. Entries are sorted by producer
    id (Kafka writes hash-map order; readers do not care). Written to a temporary name, fsynced,
    then renamed, so a crash never leaves a torn file under the final name.
    """
    body = bytearray()
    count = 0
    for e in sorted(entries, key=lambda e: e.producer_id):
        last = e.batches[-1] if e.batches else None
        body += _SNAPSHOT_ENTRY.pack(
            e.producer_id, e.producer_epoch, last.last_seq if last else NO_SEQUENCE,
            last.last_offset if last else -1, last.offset_delta if last else 0, e.last_timestamp,
            e.coordinator_epoch, -1)
        count += 1
    data = bytearray(_SNAPSHOT_HEAD.pack(_SNAPSHOT_VERSION, 0, count)) + body
    struct.pack_into(">I", data, 2, crc32c.crc32c(memoryview(data)[_CRC_START:]))
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_snapshot(path: str) -> list[ProducerStateEntry]:
    """Parse a snapshot written by Kafka 2.8 or ``write_snapshot``; raise ``CorruptSnapshot``."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _SNAPSHOT_HEAD.size:
        raise CorruptSnapshot(f"{len(data)} bytes are too few for a snapshot")
    version, crc, count = _SNAPSHOT_HEAD.unpack_from(data)
    if version != _SNAPSHOT_VERSION:
        raise CorruptSnapshot(f"snapshot contained an unknown file version {version}")
    if crc32c.crc32c(memoryview(data)[_CRC_START:]) != crc:
        raise CorruptSnapshot("snapshot is corrupt (CRC is no longer valid)")
    if count < 0 or len(data) != _SNAPSHOT_HEAD.size + count * _SNAPSHOT_ENTRY.size:
        raise CorruptSnapshot(f"snapshot of {len(data)} bytes does not hold {count} entries")
    entries = []
    for i in range(count):
        pid, epoch, seq, offset, delta, ts, coordinator_epoch, _txn_first = _SNAPSHOT_ENTRY.unpack_from(
            data, _SNAPSHOT_HEAD.size + i * _SNAPSHOT_ENTRY.size)
        batches = (BatchMetadata(seq, offset, delta, ts),) if offset >= 0 else ()
        entries.append(ProducerStateEntry(pid, epoch, batches, ts, coordinator_epoch))
    return entries


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
