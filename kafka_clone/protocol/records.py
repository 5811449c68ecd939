"""RecordBatch v2 (magic 2), mirroring Kafka's ``DefaultRecordBatch`` and ``DefaultRecord`` (2.8).

Batch layout (big-endian; offsets from the batch start, 61-byte header)::

    0  baseOffset int64          12 partitionLeaderEpoch int32   17 crc uint32 (CRC-32C of 21..end)
    8  batchLength int32         16 magic int8 (2)               21 attributes int16
    23 lastOffsetDelta int32     27 baseTimestamp int64          35 maxTimestamp int64
    43 producerId int64          51 producerEpoch int16          53 baseSequence int32
    57 recordsCount int32        61 records (compressed as one blob when the codec is not none)

Each record: ``length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
key varint-length bytes (-1 = null), value likewise, headerCount varint, headers``; all varints
are zig-zag.

Invariants the hot path relies on:

* ``batchLength`` counts the bytes after itself, so a batch occupies ``batchLength + 12`` bytes.
* The CRC covers attributes through the end: ``baseOffset`` and ``partitionLeaderEpoch`` can be
  stamped in place (``patch_base_offset``, ``patch_leader_epoch``) without recomputing it. Only
  LogAppendTime (``set_log_append_time``) changes covered bytes, so only it recomputes the CRC.
* Nothing here copies a batch: headers are read with ``struct.unpack_from`` from a ``memoryview``,
  the CRC runs in C over a slice of that view. Records are only decoded by ``iter_records``,
  which the broker calls only where Kafka does per-record work (compaction, tests, clients).

Errors are Kafka's: a short, torn or CRC-mismatched batch is ``CorruptMessage`` (2), a wrong
magic or inconsistent count is ``InvalidRecord`` (87), an unknown codec is
``UnsupportedCompressionType`` (76).
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import attrs
import crc32c

from kafka_clone.protocol.compression import CompressionType, compress, decompress
from kafka_clone.protocol.errors import CorruptMessage, InvalidRecord, UnsupportedCompressionType

__all__ = [
    "BATCH_HEADER_SIZE", "LOG_OVERHEAD", "NO_TIMESTAMP", "ControlRecordType", "Record",
    "RecordBatchHeader", "TimestampType", "batch_crc", "build_batch", "build_control_batch",
    "iter_batches", "iter_records", "parse_control_record", "patch_base_offset",
    "patch_leader_epoch", "read_header", "records_of", "set_log_append_time", "unpack_header", "validate_batch",
]

MAGIC = 2
#: Size of the fixed batch header (``DefaultRecordBatch.RECORD_BATCH_OVERHEAD``).
BATCH_HEADER_SIZE = 61
#: baseOffset + batchLength (``Records.LOG_OVERHEAD``): the part not counted in batchLength.
LOG_OVERHEAD = 12
NO_TIMESTAMP = -1
NO_PRODUCER_ID = -1
NO_PARTITION_LEADER_EPOCH = -1

_HEADER = struct.Struct(">qiibIhiqqqhii")
assert _HEADER.size == BATCH_HEADER_SIZE
_INT64 = struct.Struct(">q")
_INT32 = struct.Struct(">i")
_UINT32 = struct.Struct(">I")
_INT16 = struct.Struct(">h")
_OFFSET_AND_LENGTH = struct.Struct(">qi")

_CODEC_MASK = 0x07
_TIMESTAMP_TYPE_BIT = 0x08
_TRANSACTIONAL_BIT = 0x10
_CONTROL_BIT = 0x20

_CRC_START = 21
_BASE_OFFSET_POS = 0
_LEADER_EPOCH_POS = 12
_CRC_POS = 17
_ATTRIBUTES_POS = 21
_MAX_TIMESTAMP_POS = 35


class TimestampType(enum.IntEnum):
    """Attribute bit 3 (``TimestampType.java``)."""

    CREATE_TIME = 0
    LOG_APPEND_TIME = 1


class ControlRecordType(enum.IntEnum):
    """The ``type`` in a control record key (``ControlRecordType.java``)."""

    ABORT = 0
    COMMIT = 1


class RecordBatchHeader(NamedTuple):
    """The 61 header bytes of one batch, decoded; the batch itself stays in its buffer.

    A ``NamedTuple`` rather than a frozen attrs class: it is built once per appended batch on
    the produce path, straight from ``struct.unpack_from``, where it costs a fifth as much.
    """

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Bytes this batch occupies in a log or request."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compression(self) -> CompressionType:
        return CompressionType.from_id(self.attributes & _CODEC_MASK)

    @property
    def timestamp_type(self) -> TimestampType:
        return TimestampType((self.attributes & _TIMESTAMP_TYPE_BIT) >> 3)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & _TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & _CONTROL_BIT)


_make_header = RecordBatchHeader._make


@attrs.frozen
class Record:
    """One decoded record with absolute offset and timestamp (``DefaultRecord``)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def unpack_header(buf: memoryview | bytes, pos: int = 0) -> RecordBatchHeader:
    """Decode 61 header bytes at ``pos`` with no checks (the caller knows they are a header)."""
    return _make_header(_HEADER.unpack_from(buf, pos))


def read_header(buf: memoryview | bytes, pos: int = 0, end: int | None = None) -> RecordBatchHeader:
    """Decode the header of the batch at ``pos`` and check that the whole batch lies before ``end``.

    Does not check the CRC (see ``validate_batch``). Raises ``CorruptMessage`` if fewer than 61
    bytes remain, ``batchLength`` is too small for a header, or the batch runs past ``end``.
    """
    if end is None:
        end = len(buf)
    if end - pos < BATCH_HEADER_SIZE:
        raise CorruptMessage(f"{end - pos} bytes at position {pos} are too few for a batch header")
    header = _make_header(_HEADER.unpack_from(buf, pos))
    size = header.batch_length + LOG_OVERHEAD
    if size < BATCH_HEADER_SIZE:
        raise CorruptMessage(f"batch length {header.batch_length} is smaller than a batch header")
    if pos + size > end:
        raise CorruptMessage(f"batch of {size} bytes at position {pos} is truncated at {end}")
    return header


def batch_crc(buf: memoryview | bytes, pos: int, size: int) -> int:
    """CRC-32C of a batch's covered bytes (attributes to end), computed in C."""
    return crc32c.crc32c(memoryview(buf)[pos + _CRC_START:pos + size])


def validate_batch(buf: memoryview | bytes, pos: int = 0, end: int | None = None) -> RecordBatchHeader:
    """``read_header`` plus magic, CRC and codec checks: Kafka's ``ensureValid`` for one batch."""
    header = read_header(buf, pos, end)
    size = header.batch_length + LOG_OVERHEAD
    if header.magic != MAGIC:
        # Produce v3+ carries only magic 2 (ProduceRequest.validateRecords); older formats are
        # out of scope for this clone.
        raise InvalidRecord(f"batch at position {pos} has magic {header.magic}, expected 2")
    if batch_crc(buf, pos, size) != header.crc:
        raise CorruptMessage(f"batch at position {pos} (base offset {header.base_offset}) fails its CRC")
    if header.attributes & _CODEC_MASK > CompressionType.ZSTD:
        raise UnsupportedCompressionType(f"batch at position {pos} has unknown codec id {header.attributes & _CODEC_MASK}")
    return header


def iter_batches(buf: memoryview | bytes, *, validate: bool = True) -> Iterator[tuple[int, RecordBatchHeader]]:
    """Yield ``(position, header)`` for each batch in ``buf``; a torn tail raises ``CorruptMessage``."""
    pos, end = 0, len(buf)
    check = validate_batch if validate else read_header
    while pos < end:
        header = check(buf, pos, end)
        yield pos, header
        pos += header.size


def patch_base_offset(buf: memoryview | bytearray, pos: int, base_offset: int) -> None:
    """Stamp ``baseOffset`` in place (outside the CRC, so no recomputation)."""
    _INT64.pack_into(buf, pos + _BASE_OFFSET_POS, base_offset)


def patch_leader_epoch(buf: memoryview | bytearray, pos: int, epoch: int) -> None:
    """Stamp ``partitionLeaderEpoch`` in place (outside the CRC)."""
    _INT32.pack_into(buf, pos + _LEADER_EPOCH_POS, epoch)


def set_log_append_time(buf: memoryview | bytearray, pos: int, header: RecordBatchHeader, now_ms: int) -> None:
    """Kafka's ``setMaxTimestamp(LOG_APPEND_TIME, now)``: set bit 3 and maxTimestamp, redo the CRC."""
    _INT16.pack_into(buf, pos + _ATTRIBUTES_POS, header.attributes | _TIMESTAMP_TYPE_BIT)
    _INT64.pack_into(buf, pos + _MAX_TIMESTAMP_POS, now_ms)
    _UINT32.pack_into(buf, pos + _CRC_POS, batch_crc(buf, pos, header.size))


# ---------------------------------------------------------------------------------------------
# Building batches and decoding records: per-record Python, used by clients, tests and the cleaner.


def _zigzag_varint(value: int, out: bytearray) -> None:
    value = (value << 1) ^ (value >> 63)
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CorruptMessage("record varint runs past the end of the batch")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise CorruptMessage("record varint is longer than 10 bytes")


def _encode_bytes(value: bytes | None, out: bytearray) -> None:
    if value is None:
        _zigzag_varint(-1, out)
    else:
        _zigzag_varint(len(value), out)
        out += value


def _encode_record(record: Record, base_offset: int, base_timestamp: int) -> bytes:
    body = bytearray(b"\x00")  # attributes: unused, always 0
    _zigzag_varint(record.timestamp - base_timestamp, body)
    _zigzag_varint(record.offset - base_offset, body)
    _encode_bytes(record.key, body)
    _encode_bytes(record.value, body)
    _zigzag_varint(len(record.headers), body)
    for name, value in record.headers:
        _encode_bytes(name.encode("utf-8"), body)
        _encode_bytes(value, body)
    out = bytearray()
    _zigzag_varint(len(body), out)
    return bytes(out + body)


def build_batch(
    records: Sequence[Record],
    *,
    base_offset: int | None = None,
    compression: CompressionType = CompressionType.NONE,
    timestamp_type: TimestampType = TimestampType.CREATE_TIME,
    partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    is_transactional: bool = False,
    is_control: bool = False,
    last_offset_delta: int | None = None,
) -> bytes:
    """Encode ``records`` (absolute offsets, ascending) as one batch, like ``MemoryRecordsBuilder``.

    ``base_offset`` defaults to the first record's offset. ``last_offset_delta`` defaults to the
    last record's delta; the cleaner passes the original one so a compacted batch keeps its
    offset range (Kafka keeps the last offset of a filtered batch for the same reason).
    """
    if not records and last_offset_delta is None:
        raise ValueError("an empty batch needs an explicit last_offset_delta")
    if base_offset is None:
        base_offset = records[0].offset
    timestamps = [r.timestamp for r in records]
    base_timestamp = timestamps[0] if records else NO_TIMESTAMP
    max_timestamp = max(timestamps) if records else NO_TIMESTAMP
    if last_offset_delta is None:
        last_offset_delta = records[-1].offset - base_offset
    payload = b"".join(_encode_record(r, base_offset, base_timestamp) for r in records)
    if compression != CompressionType.NONE:
        payload = compress(compression, payload)
    attributes = int(compression) | (timestamp_type << 3)
    if is_transactional:
        attributes |= _TRANSACTIONAL_BIT
    if is_control:
        attributes |= _CONTROL_BIT
    size = BATCH_HEADER_SIZE + len(payload)
    buf = bytearray(size)
    _HEADER.pack_into(
        buf, 0, base_offset, size - LOG_OVERHEAD, partition_leader_epoch, MAGIC, 0, attributes,
        last_offset_delta, base_timestamp, max_timestamp, producer_id, producer_epoch,
        base_sequence, len(records),
    )
    buf[BATCH_HEADER_SIZE:] = payload
    _UINT32.pack_into(buf, _CRC_POS, batch_crc(buf, 0, size))
    return bytes(buf)


def build_control_batch(
    control_type: ControlRecordType,
    coordinator_epoch: int,
    *,
    producer_id: int,
    producer_epoch: int,
    timestamp: int,
    base_offset: int = 0,
    partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
) -> bytes:
    """A transaction marker: one record, key ``(version 0, type)``, value ``(version 0, epoch)``."""
    record = Record(
        offset=base_offset,
        timestamp=timestamp,
        key=struct.pack(">hh", 0, control_type),
        value=struct.pack(">hi", 0, coordinator_epoch),
    )
    return build_batch(
        [record], base_offset=base_offset, partition_leader_epoch=partition_leader_epoch,
        producer_id=producer_id, producer_epoch=producer_epoch, is_transactional=True,
        is_control=True,
    )


def parse_control_record(record: Record) -> tuple[ControlRecordType, int]:
    """``(type, coordinator_epoch)`` of a control batch's record."""
    if record.key is None or len(record.key) < 4 or record.value is None or len(record.value) < 6:
        raise InvalidRecord("malformed control record")
    _version, control_type = struct.unpack_from(">hh", record.key)
    _version, coordinator_epoch = struct.unpack_from(">hi", record.value)
    try:
        return ControlRecordType(control_type), coordinator_epoch
    except ValueError:
        raise InvalidRecord(f"unknown control record type {control_type}") from None


def _read_bytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    length, pos = _read_varint(buf, pos)
    if length < 0:
        return None, pos
    if pos + length > len(buf):
        raise CorruptMessage("record field runs past the end of the batch")
    return buf[pos:pos + length], pos + length


def iter_records(buf: memoryview | bytes, pos: int = 0, header: RecordBatchHeader | None = None) -> Iterator[Record]:
    """Decode the records of the (already validated) batch at ``pos``, decompressing if needed.

    With LogAppendTime every record's timestamp is the batch's maxTimestamp, as Kafka reports it.
    """
    if header is None:
        header = read_header(buf, pos)
    payload = bytes(memoryview(buf)[pos + BATCH_HEADER_SIZE:pos + header.size])
    if header.compression != CompressionType.NONE:
        payload = decompress(header.compression, payload)
    log_append_time = header.timestamp_type == TimestampType.LOG_APPEND_TIME
    at = 0
    for _ in range(header.records_count):
        length, at = _read_varint(payload, at)
        end = at + length
        if length < 0 or end > len(payload):
            raise CorruptMessage("record length runs past the end of the batch")
        at += 1  # attributes
        ts_delta, at = _read_varint(payload, at)
        offset_delta, at = _read_varint(payload, at)
        key, at = _read_bytes(payload, at)
        value, at = _read_bytes(payload, at)
        header_count, at = _read_varint(payload, at)
        headers = []
        for _h in range(header_count):
            name, at = _read_bytes(payload, at)
            if name is None:
                raise CorruptMessage("record header key is null")
            hvalue, at = _read_bytes(payload, at)
            headers.append((name.decode("utf-8", "replace"), hvalue))
        if at != end:
            raise CorruptMessage("record length does not match its fields")
        timestamp = header.max_timestamp if log_append_time else header.base_timestamp + ts_delta
        yield Record(header.base_offset + offset_delta, timestamp, key, value, tuple(headers))
    if at != len(payload):
        raise CorruptMessage("batch holds bytes after its last record")


def records_of(data: bytes | memoryview) -> list[Record]:
    """Every record of every (validated) batch in ``data``; a convenience for tests and tools."""
    out: list[Record] = []
    for pos, header in iter_batches(data):
        out.extend(iter_records(data, pos, header))
    return out


def concat(batches: Iterable[bytes]) -> bytes:
    """Concatenate encoded batches (a ``MemoryRecords`` with several batches)."""
    return b"".join(batches)
