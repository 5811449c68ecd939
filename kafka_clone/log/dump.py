"""``kafka-dump-log.sh``: Kafka 2.8's ``kafka.tools.DumpLogSegments``, as functions yielding lines.

``dump(paths, options)`` yields what the tool prints, file by file, in Kafka 2.8's words: lines
for standard output as ``str``, and the lines Kafka writes to standard error (``Ignoring unknown
file``, corrupt snapshots, the closing reports) as ``ErrLine``. An error Kafka would die of with a
stack trace (a file that cannot be opened, a record size below the minimum overhead, an
``__consumer_offsets`` key it cannot read) raises ``DumpError`` with one line, after the lines
already yielded. Nothing here writes to a file: the tool must be safe on a live broker's data.

What each file gives (chosen by its suffix, as Kafka does):

* ``.log``: ``Starting offset: N``, one line per batch (its 61-byte header, decoded), with
  ``--deep-iteration`` one ``| offset: ...`` line per record (compressed batches are
  decompressed), with ``--print-data-log`` its key and payload. Kafka 2.8 prints the batch
  fields again on every record line (``isValid: true crc: null ... batchSize: ... compressType:
  NONE position: P``): a 2.8 regression that 3.0 removed (apache/kafka#11101); we print 2.8's
  line. Codec names are the Java enum's (``NONE``, ``GZIP``, ...), as 2.8 prints them. Bytes
  after the last whole batch (a write torn by a crash) are reported as ``Found N invalid bytes at
  the end of <name>``, exactly where Kafka's batch reader stops.
* ``.index``: ``offset: N position: P``; each entry is checked against the log (the first batch
  at P must end at N) and mismatches are reported at the end.
* ``.timeindex``: ``timestamp: T offset: N``; each entry is checked (the batch ending at N must
  have T as its largest timestamp, and T must grow).
* ``.snapshot``: the producer-state snapshot (Kafka's format, see
  ``kafka_clone.server.producer_state``), one line per producer.
* ``.txnindex``: aborted transactions (we never write one; real Kafka files are understood).
* anything else (``leader-epoch-checkpoint`` and the other text checkpoints included): ``Ignoring
  unknown file``. Kafka 2.8 crashes on a name without a dot; the checkpoints are text, ``cat``
  them.

The ``.log``/``.index``/``.timeindex`` entries a live (active, preallocated) segment holds are
counted as our broker counts them at start-up (everything up to the last non-zero entry), so
``--index-sanity-check`` gives the verdict the broker itself would reach. Kafka 2.8 counts the
preallocated zeros too, which makes a live ``.timeindex`` fail its sanity check there.

Layering: this module sits in ``log`` and may only use ``protocol`` below it, so the
``__consumer_offsets`` formats come from ``protocol.messages.group_metadata`` (the same
declarations the coordinator encodes with) and the producer snapshot is parsed here.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable, Iterator, Sequence

import attrs
import crc32c

from kafka_clone.protocol import records as R
from kafka_clone.protocol.compression import CompressionType
from kafka_clone.protocol.errors import KafkaError
from kafka_clone.protocol.primitives import DecodeError
from kafka_clone.log.dump_records import DumpError, parse_offsets_record, parse_transaction_record

__all__ = ["DECODERS", "DumpError", "DumpOptions", "DumpReport", "ErrLine", "STRING_DECODER", "dump", "dump_file"]

STRING_DECODER = "kafka.serializer.StringDecoder"
#: ``--max-message-size``'s default (5 MiB): how far an ``.index`` check reads from an entry.
DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024

#: ``FileLogInputStream``: fewer bytes than baseOffset+length+epoch+magic end the batches.
_HEADER_SIZE_UP_TO_MAGIC = 17
#: ``LegacyRecord.RECORD_OVERHEAD_V0``: a smaller batch length is a corrupt file, not a torn tail.
_MIN_RECORD_OVERHEAD = 14
_OFFSET_AND_SIZE = struct.Struct(">qi")
_INDEX_ENTRY = struct.Struct(">ii")
_TIME_INDEX_ENTRY = struct.Struct(">qi")
_TXN_INDEX_ENTRY = struct.Struct(">hqqqq")
_INT32_MAX = 2**31 - 1
# Producer snapshot v1 (``ProducerStateManager.PidSnapshotMapSchema``): version, crc, entry count,
# then per producer: id, epoch, last sequence, last offset, offset delta, timestamp,
# coordinator epoch, current transaction's first offset.
_SNAPSHOT_HEAD = struct.Struct(">hIi")
_SNAPSHOT_ENTRY = struct.Struct(">qhiqiqiq")
_SNAPSHOT_CRC_START = 6

_CONTROL_TYPES = {0: "ABORT", 1: "COMMIT", 2: "LEADER_CHANGE"}


class ErrLine(str):
    """A line Kafka prints on standard error."""

    __slots__ = ()


# ---- decoders ----------------------------------------------------------------------------------


def _string_decoder(data: bytes) -> str:
    # kafka.serializer.StringDecoder: new String(bytes, "UTF8"), malformed input replaced.
    return data.decode("utf-8", "replace")


def _fixed_decoder(fmt: str) -> Callable[[bytes], str]:
    size = struct.calcsize(fmt)

    def decode(data: bytes) -> str:
        if len(data) < size:  # ByteBuffer.getInt/getLong on too few bytes
            raise DumpError(f"java.nio.BufferUnderflowException: {len(data)} bytes cannot hold a {size}-byte number")
        return str(struct.unpack_from(fmt, data)[0])

    return decode


#: The ``kafka.serializer`` decoders ``--key-decoder-class``/``--value-decoder-class`` accept.
DECODERS: dict[str, Callable[[bytes], str]] = {
    STRING_DECODER: _string_decoder,
    "kafka.serializer.IntegerDecoder": _fixed_decoder(">i"),
    "kafka.serializer.LongDecoder": _fixed_decoder(">q"),
}


@attrs.frozen
class DumpOptions:
    """The tool's options. A decoder option that was given at all (even with its default value)
    implies ``--print-data-log``, as in Kafka; ``None`` means "not given"."""

    print_data_log: bool = False
    deep_iteration: bool = False
    verify_index_only: bool = False
    index_sanity_check: bool = False
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    offsets_decoder: bool = False
    transaction_log_decoder: bool = False
    key_decoder_class: str | None = None
    value_decoder_class: str | None = None
    skip_record_metadata: bool = False

    def __attrs_post_init__(self) -> None:
        for name in (self.key_decoder_class, self.value_decoder_class):
            if name is not None and name not in DECODERS:
                # Kafka: Class.forName fails. We only have the decoders Kafka itself ships.
                raise DumpError(f"java.lang.ClassNotFoundException: {name} (kclone dump-log knows "
                                + ", ".join(DECODERS) + ")")

    @property
    def should_print_data_log(self) -> bool:
        return (self.print_data_log or self.offsets_decoder or self.transaction_log_decoder
                or self.key_decoder_class is not None or self.value_decoder_class is not None)

    @property
    def is_deep_iteration(self) -> bool:
        return self.deep_iteration or self.should_print_data_log


@attrs.define
class DumpReport:
    """What the tool reports on standard error after the last file (Kafka's maps of problems)."""

    index_mismatches: dict[str, list[tuple[int, int]]] = attrs.Factory(dict)
    time_mismatches: dict[str, list[tuple[int, int]]] = attrs.Factory(dict)
    out_of_order: dict[str, list[tuple[int, int]]] = attrs.Factory(dict)
    not_found: dict[str, list[tuple[int, int]]] = attrs.Factory(dict)
    non_consecutive: dict[str, list[tuple[int, int]]] = attrs.Factory(dict)

    def lines(self) -> Iterator[ErrLine]:
        # Kafka prepends to its index-mismatch and non-consecutive lists (``::=``), so they come
        # out newest first; the time-index lists are appended to.
        for path, pairs in self.index_mismatches.items():
            yield ErrLine(f"Mismatches in :{path}")
            for index_offset, log_offset in reversed(pairs):
                yield ErrLine(f"  Index offset: {index_offset}, log offset: {log_offset}")
        for path, pairs in self.time_mismatches.items():
            yield ErrLine(f"Found timestamp mismatch in :{path}")
            for index_ts, log_ts in pairs:
                yield ErrLine(f"  Index timestamp: {index_ts}, log timestamp: {log_ts}")
        for path, pairs in self.out_of_order.items():
            yield ErrLine(f"Found out of order timestamp in :{path}")
            for index_ts, prev_ts in pairs:
                yield ErrLine(f"  Index timestamp: {index_ts}, Previously indexed timestamp: {prev_ts}")
        for pairs in self.not_found.values():
            yield ErrLine("The following indexed offsets are not found in the log.")
            for index_offset, log_offset in pairs:
                yield ErrLine(f"Indexed offset: {index_offset}, found log offset: {log_offset}")
        for path, pairs in self.non_consecutive.items():
            yield ErrLine(f"Non-consecutive offsets in {path}")
            for first, second in reversed(pairs):
                yield ErrLine(f"  {first} is followed by {second}")


# ---- entry point -------------------------------------------------------------------------------


def dump(paths: Sequence[str], options: DumpOptions) -> Iterator[str]:
    """Every line the tool prints for ``paths``, then the closing reports."""
    report = DumpReport()
    for path in paths:
        if not path:
            continue
        yield from dump_file(path, options, report)
    yield from report.lines()


def dump_file(path: str, options: DumpOptions, report: DumpReport) -> Iterator[str]:
    yield f"Dumping {path}"
    name = os.path.basename(path)
    suffix = name[name.rfind("."):] if "." in name else ""
    if suffix == ".log":
        yield from _dump_log(path, options, report)
    elif suffix == ".index":
        yield from _dump_index(path, options, report)
    elif suffix == ".timeindex":
        yield from _dump_time_index(path, options, report)
    elif suffix == ".snapshot":
        yield from _dump_producer_snapshot(path)
    elif suffix == ".txnindex":
        yield from _dump_txn_index(path)
    else:
        yield ErrLine(f"Ignoring unknown file {path}")


# ---- files -------------------------------------------------------------------------------------


def _read(path: str) -> bytes | mmap.mmap:
    """The whole file, read-only: mapped (a segment may be 1 GiB), or ``b""`` when empty."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return b""
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        # Java's FileNotFoundException message: "<path> (No such file or directory)".
        raise DumpError(f"{path} ({exc.strerror})") from None


def _base_offset(path: str) -> int:
    """``file.getName.split("\\\\.")(0).toLong``: the 20-digit base offset in the name."""
    head = os.path.basename(path).split(".")[0]
    if not head.isdigit():
        raise DumpError(f'java.lang.NumberFormatException: For input string: "{head}" '
                        f"(a segment file is named after its base offset)")
    return int(head)


def _sibling(path: str, suffix: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    return os.path.join(directory, os.path.basename(path).split(".")[0] + suffix)


# ---- .log --------------------------------------------------------------------------------------


def _iter_batches(buf: bytes | mmap.mmap, path: str, start: int = 0,
                  end: int | None = None) -> Iterator[tuple[int, R.RecordBatchHeader]]:
    """Batches from ``start`` as Kafka's ``FileLogInputStream`` finds them: stop quietly at a
    tail too short for a header or a batch running past ``end`` (a torn write); a length
    below the minimum overhead means a corrupt file."""
    pos = start
    end = len(buf) if end is None else min(end, len(buf))
    while end - pos >= _HEADER_SIZE_UP_TO_MAGIC:
        _offset, length = _OFFSET_AND_SIZE.unpack_from(buf, pos)
        if length < _MIN_RECORD_OVERHEAD:
            raise DumpError(f"Found record size {length} smaller than minimum record overhead "
                            f"({_MIN_RECORD_OVERHEAD}) in file {path}.")
        if pos + R.LOG_OVERHEAD + length > end:
            return
        magic = buf[pos + 16]
        if magic != 2:
            raise DumpError(f"Batch at position {pos} in file {path} has magic {magic}: only RecordBatch v2 "
                            f"(magic 2, Kafka 0.11+) is supported")
        if R.LOG_OVERHEAD + length < R.BATCH_HEADER_SIZE:
            raise DumpError(f"Batch at position {pos} in file {path} has size {R.LOG_OVERHEAD + length}, "
                            f"smaller than a v2 batch header ({R.BATCH_HEADER_SIZE} bytes)")
        header = R.unpack_header(buf, pos)
        yield pos, header
        pos += header.size


def _increment_sequence(sequence: int, increment: int) -> int:
    """``DefaultRecordBatch.incrementSequence``: sequences wrap from ``2**31 - 1`` to 0."""
    if sequence > _INT32_MAX - increment:
        return increment - (_INT32_MAX - sequence) - 1
    return sequence + increment


def _decrement_sequence(sequence: int, decrement: int) -> int:
    if sequence < decrement:
        return _INT32_MAX - (decrement - sequence) + 1
    return sequence - decrement


def _codec_name(header: R.RecordBatchHeader, pos: int, path: str) -> str:
    try:
        return CompressionType.from_id(header.attributes & 0x07).name
    except KafkaError:
        raise DumpError(f"java.lang.IllegalArgumentException: Unknown compression type id: "
                        f"{header.attributes & 0x07} (batch at position {pos} in file {path})") from None


def _timestamp_type(header: R.RecordBatchHeader) -> str:
    return "LogAppendTime" if header.timestamp_type == R.TimestampType.LOG_APPEND_TIME else "CreateTime"


def _last_sequence(header: R.RecordBatchHeader) -> int:
    if header.base_sequence == -1:
        return -1
    return _increment_sequence(header.base_sequence, header.last_offset_delta)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _records(buf: bytes | mmap.mmap, pos: int, header: R.RecordBatchHeader, path: str) -> list[R.Record]:
    try:
        return list(R.iter_records(buf, pos, header))
    except (KafkaError, DecodeError, ValueError) as exc:
        # Kafka's record iterator throws (InvalidRecordException, BufferUnderflow) and the tool dies.
        raise DumpError(f"Found invalid record in batch at position {pos} in file {path}: {exc}") from None


def _dump_log(path: str, options: DumpOptions, report: DumpReport) -> Iterator[str]:
    start_offset = _base_offset(path)
    yield f"Starting offset: {start_offset}"
    buf = _read(path)
    parse = _message_parser(options)
    print_contents = options.should_print_data_log
    last_offset = -1
    valid_bytes = 0
    for pos, h in _iter_batches(buf, path):
        codec_name = _codec_name(h, pos, path)
        ts_type = _timestamp_type(h)
        last_seq = _last_sequence(h)
        valid = R.batch_crc(buf, pos, h.size) == h.crc
        yield (f"baseOffset: {h.base_offset} lastOffset: {h.last_offset} count: {h.records_count} "
               f"baseSequence: {h.base_sequence} lastSequence: {last_seq} producerId: {h.producer_id} "
               f"producerEpoch: {h.producer_epoch} partitionLeaderEpoch: {h.partition_leader_epoch} "
               f"isTransactional: {_bool(h.is_transactional)} isControl: {_bool(h.is_control)} "
               f"position: {pos} {ts_type}: {h.max_timestamp} size: {h.size} magic: {h.magic} "
               f"compresscodec: {codec_name} crc: {h.crc} isvalid: {_bool(valid)}")
        if options.is_deep_iteration:
            # 2.8 repeats these batch fields on every record line (the regression 3.0 undid).
            batch_fields = (f"{ts_type}: {{ts}} baseOffset: {h.base_offset} lastOffset: {h.last_offset} "
                            f"baseSequence: {h.base_sequence} lastSequence: {last_seq} "
                            f"producerEpoch: {h.producer_epoch} partitionLeaderEpoch: {h.partition_leader_epoch} "
                            f"batchSize: {h.size} magic: {h.magic} compressType: {codec_name} position: {pos}")
            for record in _records(buf, pos, h, path):
                if last_offset != -1 and record.offset != last_offset + 1:
                    report.non_consecutive.setdefault(os.path.abspath(path), []).append(
                        (last_offset, record.offset))
                last_offset = record.offset
                yield _record_line(record, h, batch_fields, options, print_contents, parse)
        valid_bytes += h.size
    trailing = len(buf) - valid_bytes
    if trailing > 0:
        yield f"Found {trailing} invalid bytes at the end of {os.path.basename(path)}"


def _record_line(record: R.Record, h: R.RecordBatchHeader, batch_fields: str, options: DumpOptions,
                 print_contents: bool, parse: Callable[[R.Record], tuple[str | None, str | None]]) -> str:
    prefix = "| "
    parts: list[str] = []
    if not options.skip_record_metadata:
        key_size = -1 if record.key is None else len(record.key)
        value_size = -1 if record.value is None else len(record.value)
        sequence = (_increment_sequence(h.base_sequence, record.offset - h.base_offset)
                    if h.base_sequence >= 0 else -1)
        header_keys = ",".join(name for name, _ in record.headers)
        parts.append(f"{prefix}offset: {record.offset} isValid: true crc: null keySize: {key_size} "
                     f"valueSize: {value_size} {batch_fields.format(ts=record.timestamp)} "
                     f"sequence: {sequence} headerKeys: [{header_keys}]")
        prefix = " "
        if h.is_control:
            parts.append(_control_marker(record))
    if print_contents and not h.is_control:
        key, payload = parse(record)
        if key is not None:
            parts.append(f"{prefix}key: {key}")
            prefix = " "
        if payload is not None:
            # Kafka puts a space before "payload:" whatever came before, so with
            # --skip-record-metadata a record without key prints " payload: ..." (no "|").
            parts.append(f" payload: {payload}")
    return "".join(parts)


def _control_marker(record: R.Record) -> str:
    if record.key is None or len(record.key) < 4:
        return " controlType: UNKNOWN(-1)"
    type_id = struct.unpack_from(">h", record.key, 2)[0]
    name = _CONTROL_TYPES.get(type_id, "UNKNOWN")
    if name in ("ABORT", "COMMIT") and record.value is not None and len(record.value) >= 6:
        return f" endTxnMarker: {name} coordinatorEpoch: {struct.unpack_from('>i', record.value, 2)[0]}"
    return f" controlType: {name}({type_id})"


# ---- message parsers (--print-data-log, --offsets-decoder, --transaction-log-decoder) ----------


def _message_parser(options: DumpOptions) -> Callable[[R.Record], tuple[str | None, str | None]]:
    if options.offsets_decoder:
        return parse_offsets_record
    if options.transaction_log_decoder:
        return parse_transaction_record
    key_decoder = DECODERS[options.key_decoder_class or STRING_DECODER]
    value_decoder = DECODERS[options.value_decoder_class or STRING_DECODER]

    def parse(record: R.Record) -> tuple[str | None, str | None]:
        # A null key prints nothing; a null value (tombstone) prints no payload.
        key = key_decoder(record.key) if record.key is not None else None
        value = value_decoder(record.value) if record.value is not None else None
        return key, value

    return parse


# ---- .index and .timeindex -----------------------------------------------------------------------


def _entries(data: bytes | mmap.mmap, size: int) -> int:
    """Entries up to the last non-zero one: how our broker counts a (maybe preallocated) index."""
    used = len(bytes(data).rstrip(b"\0"))
    return min(-(-used // size), len(data) // size)


def _first_batch_last_offset(log: bytes | mmap.mmap, log_path: str, position: int, max_size: int) -> int:
    """Last offset of the batch at ``position`` if it fits in ``max_size`` bytes, else -1 (where
    Kafka's ``slice(position, maxMessageSize).batches.next()`` would throw)."""
    for _pos, header in _iter_batches(log, log_path, position, position + max_size):
        return header.last_offset
    return -1


def _offset_index_sanity(path: str, data: bytes | mmap.mmap, base: int, entries: int, log_size: int) -> None:
    """Kafka's ``OffsetIndex.sanityCheck`` and our broker's start-up check (``OffsetIndex.sanity_check``:
    the last entry lies inside the log), with Kafka's ``CorruptIndexException`` messages."""
    abspath = os.path.abspath(path)
    rel, pos = _INDEX_ENTRY.unpack_from(data, (entries - 1) * _INDEX_ENTRY.size) if entries else (0, 0)
    if entries and rel < 0:
        raise DumpError(f"Corrupt index found, index file ({abspath}) has non-zero size but the last offset "
                        f"is {base + rel} which is less than the base offset {base}.")
    if len(data) % _INDEX_ENTRY.size:
        raise DumpError(f"Index file {abspath} is corrupt, found {len(data)} bytes which is neither positive nor "
                        f"a multiple of {_INDEX_ENTRY.size}.")
    if entries and (rel <= 0 or pos <= 0 or pos >= log_size):
        raise DumpError(f"Corrupt index found, index file ({abspath}) has a last entry (offset {base + rel}, "
                        f"position {pos}) outside its log of {log_size} bytes.")


def _dump_index(path: str, options: DumpOptions, report: DumpReport) -> Iterator[str]:
    base = _base_offset(path)
    log_path = _sibling(path, ".log")
    log = _read(log_path)  # Kafka opens the segment's log first, even for a sanity check
    data = _read(path)
    entries = _entries(data, _INDEX_ENTRY.size)
    if entries == 0:
        yield f"{path} is empty."
        return
    if options.index_sanity_check:
        _offset_index_sanity(path, data, base, entries, len(log))
        yield f"{path} passed sanity check."
        return
    for i in range(entries):
        rel, position = _INDEX_ENTRY.unpack_from(data, i * _INDEX_ENTRY.size)
        offset = base + rel
        if offset == base and i > 0:
            return  # a zero entry: the rest of a file preallocated before a crash
        log_offset = _first_batch_last_offset(log, log_path, position, options.max_message_size)
        if log_offset != offset:
            report.index_mismatches.setdefault(os.path.abspath(path), []).append((offset, log_offset))
        if not options.verify_index_only:
            yield f"offset: {offset} position: {position}"


def _time_index_sanity(path: str, data: bytes | mmap.mmap, base: int, entries: int) -> None:
    """Kafka's ``TimeIndex.sanityCheck`` (over the entries our broker counts)."""
    abspath = os.path.abspath(path)
    if entries:
        first_ts = _TIME_INDEX_ENTRY.unpack_from(data, 0)[0]
        last_ts, last_rel = _TIME_INDEX_ENTRY.unpack_from(data, (entries - 1) * _TIME_INDEX_ENTRY.size)
        if last_ts < first_ts:
            raise DumpError(f"Corrupt time index found, time index file ({abspath}) has non-zero size but the last "
                            f"timestamp is {last_ts} which is less than the first timestamp {first_ts}")
        if base + last_rel < base:
            raise DumpError(f"Corrupt time index found, time index file ({abspath}) has non-zero size but the last "
                            f"offset is {base + last_rel} which is less than the first offset {base}")
    if len(data) % _TIME_INDEX_ENTRY.size:
        raise DumpError(f"Time index file {abspath} is corrupt, found {len(data)} bytes which is neither positive "
                        f"nor a multiple of {_TIME_INDEX_ENTRY.size}.")


def _index_lookup(index: bytes | mmap.mmap, entries: int, base: int, target: int) -> int:
    """``OffsetIndex.lookup(target).position``: the last entry at or below ``target``, else 0."""
    lo, hi = 0, entries
    while lo < hi:
        mid = (lo + hi) // 2
        if base + _INDEX_ENTRY.unpack_from(index, mid * _INDEX_ENTRY.size)[0] <= target:
            lo = mid + 1
        else:
            hi = mid
    return _INDEX_ENTRY.unpack_from(index, (lo - 1) * _INDEX_ENTRY.size)[1] if lo else 0


def _dump_time_index(path: str, options: DumpOptions, report: DumpReport) -> Iterator[str]:
    base = _base_offset(path)
    log_path = _sibling(path, ".log")
    log = _read(log_path)
    index_path = _sibling(path, ".index")
    # Kafka would create a missing .index here; a dump tool must not write, so it counts as empty.
    index = _read(index_path) if os.path.exists(index_path) else b""
    index_entries = _entries(index, _INDEX_ENTRY.size)
    data = _read(path)
    entries = _entries(data, _TIME_INDEX_ENTRY.size)
    if options.index_sanity_check:
        _time_index_sanity(path, data, base, entries)
        yield f"{path} passed sanity check."
        return
    abspath = os.path.abspath(path)
    prev_ts = R.NO_TIMESTAMP
    for i in range(entries):
        timestamp, rel = _TIME_INDEX_ENTRY.unpack_from(data, i * _TIME_INDEX_ENTRY.size)
        offset = base + rel
        if offset == base and i > 0:
            return
        position = _index_lookup(index, index_entries, base, offset)
        found = next(((p, h) for p, h in _iter_batches(log, log_path, position) if h.last_offset >= offset), None)
        if found is None:
            report.not_found.setdefault(abspath, []).append((offset, -1))
        elif found[1].last_offset != offset:
            report.not_found.setdefault(abspath, []).append((offset, found[1].last_offset))
        else:
            batch_pos, header = found
            max_ts = max((r.timestamp for r in _records(log, batch_pos, header, log_path)), default=R.NO_TIMESTAMP)
            if max_ts != timestamp:
                report.time_mismatches.setdefault(abspath, []).append((timestamp, max_ts))
            if prev_ts >= timestamp:
                report.out_of_order.setdefault(abspath, []).append((timestamp, prev_ts))
        if not options.verify_index_only:
            yield f"timestamp: {timestamp} offset: {offset}"
        prev_ts = timestamp


# ---- .snapshot and .txnindex ---------------------------------------------------------------------


def _dump_producer_snapshot(path: str) -> Iterator[str]:
    """Kafka 2.8's ``dumpProducerIdSnapshot``: a corrupt snapshot is one line on standard error."""
    data = bytes(_read(path))
    if len(data) < _SNAPSHOT_HEAD.size:
        yield ErrLine(f"Snapshot failed schema validation: {len(data)} bytes are too few for the snapshot header")
        return
    version, crc, count = _SNAPSHOT_HEAD.unpack_from(data)
    if count < 0 or len(data) < _SNAPSHOT_HEAD.size + count * _SNAPSHOT_ENTRY.size:
        yield ErrLine(f"Snapshot failed schema validation: {len(data)} bytes cannot hold {count} producer entries")
        return
    if version != 1:
        yield ErrLine(f"Snapshot contained an unknown file version {version}")
        return
    computed = crc32c.crc32c(data[_SNAPSHOT_CRC_START:])
    if computed != crc:
        yield ErrLine(f"Snapshot is corrupt (CRC is no longer valid). Stored crc: {crc}. Computed crc: {computed}")
        return
    for i in range(count):
        pid, epoch, last_seq, last_offset, delta, timestamp, coordinator_epoch, txn_first = (
            _SNAPSHOT_ENTRY.unpack_from(data, _SNAPSHOT_HEAD.size + i * _SNAPSHOT_ENTRY.size))
        txn = f"Some({txn_first})" if txn_first >= 0 else "None"  # 2.8's Option[Long]
        yield (f"producerId: {pid} producerEpoch: {epoch} coordinatorEpoch: {coordinator_epoch} "
               f"currentTxnFirstOffset: {txn} lastTimestamp: {timestamp} "
               f"firstSequence: {_decrement_sequence(last_seq, delta)} lastSequence: {last_seq} "
               f"lastOffset: {last_offset} offsetDelta: {delta} timestamp: {timestamp}")


def _dump_txn_index(path: str) -> Iterator[str]:
    data = _read(path)
    for i in range(len(data) // _TXN_INDEX_ENTRY.size):
        version, pid, first, last, lso = _TXN_INDEX_ENTRY.unpack_from(data, i * _TXN_INDEX_ENTRY.size)
        if version != 0:
            raise DumpError(f"Unexpected aborted transaction version {version} in transaction index "
                            f"{os.path.abspath(path)}, current version is 0")
        yield f"version: {version} producerId: {pid} firstOffset: {first} lastOffset: {last} lastStableOffset: {lso}"
