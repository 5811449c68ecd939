"""Produce (0): the write path on the partition leader.

Mirrors `KafkaApis.handleProduceRequest` and `ReplicaManager.appendRecords` (2.8):
- `acks` must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS for every partition, nothing written);
- v3+ carries exactly one magic-2 batch per partition (`ProduceRequest.validateRecords`:
  INVALID_RECORD), zstd needs v7+ (UNSUPPORTED_COMPRESSION_TYPE);
- each partition succeeds or fails on its own: errors are values in the response;
- acks=-1 waits (DelayedProduce) until the high watermark passes the appended batch, or
  `timeout_ms` (REQUEST_TIMED_OUT); then NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
  below `min.insync.replicas` meanwhile (the data is in the log);
- acks=0 gets no response; if a partition failed, the connection is closed instead, so that the
  client refreshes its metadata (Kafka does the same: it cannot tell the client otherwise).

Record bytes stay a memoryview of the request frame from socket to segment file (design §5).
"""

from __future__ import annotations

import logging

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import (
    InvalidRecord, InvalidRequiredAcks, KafkaError, UnsupportedCompressionType,
)
from kafka_clone.protocol.messages.produce import (
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse,
)
from kafka_clone.server.apis import RequestContext, handles
from kafka_clone.server.network import CloseConnection

log = logging.getLogger(__name__)


def validate_records(records, version: int) -> memoryview:
    """Produce v3+: exactly one RecordBatch v2, and zstd only from v7 (KIP-110)."""
    if records is None:
        raise InvalidRecord("produce request without records")
    view = memoryview(records)
    if len(view) < rec.BATCH_HEADER_SIZE:
        raise InvalidRecord(f"records of {len(view)} bytes are shorter than a batch header")
    header = rec.unpack_header(view, 0)
    if header.magic != 2:
        raise InvalidRecord(f"produce v{version} requires magic 2, got {header.magic}")
    if header.size != len(view):
        raise InvalidRecord(f"produce v{version} requires exactly one record batch per partition")
    if header.compression == rec.CompressionType.ZSTD and version < 7:
        raise UnsupportedCompressionType(f"zstd needs produce v7 or later, got v{version}")
    return view


@handles(ApiKey.PRODUCE)
async def handle_produce(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    rm = ctx.broker.replica_manager
    acks = body.acks
    results: dict[tuple[str, int], PartitionProduceResponse] = {}
    waiting: dict[tuple[str, int], tuple[object, int]] = {}
    for topic in body.topic_data:
        for pd in topic.partition_data:
            tp = (topic.name, pd.index)
            try:
                if acks not in (-1, 0, 1):
                    raise InvalidRequiredAcks(f"acks must be -1, 0 or 1, not {acks}")
                view = validate_records(pd.records, version)
                partition, info = rm.append_to_leader(topic.name, pd.index, view, acks)
            except KafkaError as exc:
                log.debug("produce to %s-%d failed: %r", *tp, exc)
                results[tp] = PartitionProduceResponse(index=pd.index, error_code=exc.code, base_offset=-1,
                                                       error_message=str(exc) if version >= 8 else None)
                continue
            results[tp] = PartitionProduceResponse(
                index=pd.index, error_code=0, base_offset=info.first_offset,
                log_append_time_ms=info.log_append_time, log_start_offset=info.log_start_offset)
            if acks == -1:
                waiting[tp] = (partition, info.last_offset + 1)

    if acks == 0:
        if any(r.error_code for r in results.values()):
            raise CloseConnection("acks=0 produce failed for at least one partition")
        return None
    if waiting:
        outcome = await rm.wait_for_replication(waiting, body.timeout_ms)
        for tp, code in outcome.items():
            if code:
                results[tp] = _failed(results[tp], code)
    by_topic: dict[str, list[PartitionProduceResponse]] = {}
    for (topic, _), r in results.items():
        by_topic.setdefault(topic, []).append(r)
    return ProduceResponse(responses=tuple(
        TopicProduceResponse(name=t, partition_responses=tuple(rs)) for t, rs in by_topic.items()))


def _failed(response: PartitionProduceResponse, code: int) -> PartitionProduceResponse:
    return PartitionProduceResponse(index=response.index, error_code=code, base_offset=response.base_offset,
                                    log_append_time_ms=response.log_append_time_ms,
                                    log_start_offset=response.log_start_offset)
