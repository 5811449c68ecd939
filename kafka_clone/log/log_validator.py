"""Per-batch validation of appends, mirroring Kafka's ``kafka.log.LogValidator`` and the checks of
``Log.analyzeAndValidateRecords`` (2.8).

Every appended batch (leader or follower) must be whole, magic 2, CRC-valid, of a known codec and
no larger than ``max.message.bytes``. Batches from producers (the leader path) must also look like
a client wrote them: base offset 0, ``lastOffsetDelta + 1 == recordsCount > 0``, no control
bit, a base sequence when idempotent, timestamps within ``message.timestamp.difference.max.ms``
and, on compacted topics, a key on every record. Follower batches must continue the log: their
offsets never go below the log end. Nothing is modified here: the log stamps offsets only after
every batch passed, so a rejected append leaves both the log and the request untouched.

``compression.type`` other than ``producer`` makes the leader re-encode batches whose codec
differs (Kafka's ``LogValidator.validateMessagesAndAssignOffsetsCompressed`` path): the only
produce-path case, with compacted topics' key check, that touches individual records.
"""

from __future__ import annotations

from kafka_clone.log.log_config import LONG_MAX, LogConfig
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.compression import CompressionType
from kafka_clone.protocol.errors import InvalidRecord, InvalidTimestamp, MessageTooLarge, UnknownServerError

__all__ = ["UnexpectedAppendOffset", "validate_batches", "recompress_for_topic"]

_TOPIC_CODECS = {
    "uncompressed": CompressionType.NONE, "gzip": CompressionType.GZIP, "snappy": CompressionType.SNAPPY,
    "lz4": CompressionType.LZ4, "zstd": CompressionType.ZSTD,
}


class UnexpectedAppendOffset(UnknownServerError):
    """A follower append whose first offset is below the log end (Kafka's
    ``UnexpectedAppendOffsetException``, which has no error code of its own)."""


def validate_batches(view: memoryview, config: LogConfig, now: int, *, from_client: bool, next_offset: int,
                     name: str) -> tuple[list[tuple[int, rec.RecordBatchHeader]], int]:
    """Validate every batch of an append: ``([(position, header)], total record count)``."""
    check_ts = config.message_timestamp_difference_max_ms < LONG_MAX and not config.log_append_time
    max_message_bytes = config.max_message_bytes
    headers: list[tuple[int, rec.RecordBatchHeader]] = []
    pos, end = 0, len(view)
    records_count = 0
    while pos < end:
        header = rec.validate_batch(view, pos, end)
        size = header.batch_length + rec.LOG_OVERHEAD
        if size > max_message_bytes:
            raise MessageTooLarge(f"batch of {size} bytes exceeds max.message.bytes {max_message_bytes} for {name}")
        if from_client:
            _validate_client_batch(header, view, pos, config, now, check_ts)
        elif header.base_offset < next_offset:
            raise UnexpectedAppendOffset(f"batch offset {header.base_offset} is below the expected "
                                         f"next offset {next_offset} of {name}")
        else:
            next_offset = header.base_offset + header.last_offset_delta + 1
        records_count += header.records_count
        headers.append((pos, header))
        pos += size
    return headers, records_count


def validate_client_batch_header(header: rec.RecordBatchHeader) -> None:
    """The header checks of Kafka's ``LogValidator`` for a batch coming from a producer."""
    if header.base_offset != 0:
        raise InvalidRecord(f"batch base offset must be 0 from a client, got {header.base_offset}")
    if header.records_count <= 0 or header.last_offset_delta + 1 != header.records_count:
        raise InvalidRecord(f"batch lastOffsetDelta {header.last_offset_delta} does not match "
                            f"its {header.records_count} records")
    if header.is_control:
        raise InvalidRecord("clients may not produce control batches")
    if header.producer_id >= 0 and header.base_sequence < 0:
        raise InvalidRecord(f"idempotent batch of producer {header.producer_id} has no base sequence")


def _validate_client_batch(header: rec.RecordBatchHeader, view: memoryview, pos: int, config: LogConfig,
                           now: int, check_ts: bool) -> None:
    """Per-batch checks of Kafka's ``LogValidator`` for batches coming from a producer."""
    validate_client_batch_header(header)
    if check_ts and (abs(header.max_timestamp - now) > config.message_timestamp_difference_max_ms
                     or abs(header.base_timestamp - now) > config.message_timestamp_difference_max_ms):
        raise InvalidTimestamp(f"batch timestamps are more than {config.message_timestamp_difference_max_ms} ms from now")
    if config.compact:
        # The one per-record check on the produce path, as in Kafka: compacted topics need keys.
        for record in rec.iter_records(view, pos, header):
            if record.key is None:
                raise InvalidRecord("compacted topic cannot accept a record without a key")


def recompress_for_topic(view: memoryview, headers: list[tuple[int, rec.RecordBatchHeader]],
                         config: LogConfig) -> bytearray | None:
    """Re-encode client batches with the topic's ``compression.type``; None if none differ.

    Records, producer fields and the timestamp type are kept; offsets are assigned afterwards
    by the log as for any client batch.
    """
    target = _TOPIC_CODECS.get(config.compression_type)
    if target is None or all(h.attributes & 0x07 == target for _, h in headers):
        return None
    out = bytearray()
    for pos, header in headers:
        if header.attributes & 0x07 == target:
            out += view[pos:pos + header.batch_length + rec.LOG_OVERHEAD]
            continue
        out += rec.build_batch(
            list(rec.iter_records(view, pos, header)), compression=target, timestamp_type=header.timestamp_type,
            producer_id=header.producer_id, producer_epoch=header.producer_epoch,
            base_sequence=header.base_sequence, is_transactional=header.is_transactional)
    return out
