"""Fetch (1): consumers and followers read from the partition leader, with long polling.

Mirrors `KafkaApis.handleFetchRequest` and `ReplicaManager.fetchMessages` (2.8):
- consumers (`replica_id` -1) read below the high watermark, followers (`replica_id` >= 0) up to
  the log end, and a follower's fetch offset is its log end offset, which may advance the high
  watermark (`Partition.updateFollowerFetchState`);
- byte limits: `partition_max_bytes` per partition and `max_bytes` for the response (v3+), but
  the first partition with data returns at least one whole batch even if larger (KIP-74);
- long polling (DelayedFetch): when fewer than `min_bytes` are available the request waits up to
  `max_wait_ms`, woken by appends and high-watermark moves through the purgatory;
- fetch sessions (KIP-227) are not kept: every answer has session id 0, which tells a client to
  send full fetch requests (Kafka does the same when its session cache is full);
- record data is never read into Python: each partition's records are a file range of a segment
  that the network layer sends with `os.sendfile`.
"""

from __future__ import annotations

import os

import attrs
import trio

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError
from kafka_clone.protocol.messages.fetch import (
    FetchablePartitionResponse, FetchableTopicResponse, FetchResponse,
)
from kafka_clone.server.apis import RequestContext, handles


@attrs.frozen
class SegmentRange:
    """A segment byte range placed in a `records` field: the protocol layer's FileRecordsRef."""

    fd: int
    position: int
    length: int

    @property
    def size_in_bytes(self) -> int:
        return self.length

    def __bytes__(self) -> bytes:
        return os.pread(self.fd, self.length, self.position)


@handles(ApiKey.FETCH)
async def handle_fetch(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    rm = ctx.broker.replica_manager
    wanted = [(t.topic, p) for t in body.topics for p in t.partitions]
    deadline = trio.current_time() + max(body.max_wait_ms, 0) / 1000
    keys = [("fetch", topic, p.partition) for topic, p in wanted]
    if body.replica_id >= 0:
        # A follower's fetch offset is its log end: record it first (HW, ISR expansion).
        for topic, fp in wanted:
            partition = rm.partitions.get((topic, fp.partition))
            if partition is not None and partition.is_leader:
                await rm.record_follower_fetch(partition, body.replica_id, fp.fetch_offset)
    while True:
        responses, total, failed = _read_all(ctx, wanted, version)
        if total >= body.min_bytes or failed or body.max_wait_ms <= 0 or not wanted:
            break
        if not await rm.fetch_purgatory.wait_any(keys, deadline):
            responses, _, _ = _read_all(ctx, wanted, version)
            break
    by_topic: dict[str, list[FetchablePartitionResponse]] = {}
    for (topic, _), r in zip(wanted, responses):
        by_topic.setdefault(topic, []).append(r)
    return FetchResponse(error_code=0, session_id=0, responses=tuple(
        FetchableTopicResponse(topic=t, partition_responses=tuple(rs)) for t, rs in by_topic.items()))


def _read_all(ctx: RequestContext, wanted, version: int):
    body = ctx.body
    rm = ctx.broker.replica_manager
    from_follower = body.replica_id >= 0
    limit = body.max_bytes if version >= 3 else 2 ** 31 - 1
    # v0-2 had no response limit, so a partition's limit is hard there (Kafka's hardMaxBytesLimit).
    min_one_message = version >= 3
    responses, total, failed = [], 0, False
    for topic, fp in wanted:
        try:
            partition = rm.get_partition(topic, fp.partition)
            if from_follower and rm.should_leader_throttle(partition, body.replica_id):
                # KIP-73: over the leader's replication quota, a throttled catching-up replica
                # gets no data this round (and its wait is not cut short by it).
                responses.append(FetchablePartitionResponse(
                    partition=fp.partition, error_code=0, high_watermark=partition.high_watermark,
                    last_stable_offset=partition.high_watermark,
                    log_start_offset=partition.log.log_start_offset, record_set=b""))
                continue
            result = partition.read_records(fp.fetch_offset, min(fp.partition_max_bytes, limit),
                                            current_leader_epoch=fp.current_leader_epoch,
                                            from_follower=from_follower, min_one_message=min_one_message)
        except KafkaError as exc:
            failed = True
            # Empty, not null, records: librdkafka rejects a null record set (MessageSetSize -1).
            responses.append(FetchablePartitionResponse(partition=fp.partition, error_code=exc.code,
                                                        high_watermark=-1, log_start_offset=-1, record_set=b""))
            continue
        records = result.info.records
        size = records.length if records is not None else 0
        if size:
            min_one_message = False
            limit = max(0, limit - size)
            total += size
            if from_follower and rm.leader_quota.is_throttled(
                    rm.topic_overrides.get(topic, {}).get("leader.replication.throttled.replicas"),
                    fp.partition, rm.broker_id):
                rm.leader_quota.record(size, trio.current_time())
        responses.append(FetchablePartitionResponse(
            partition=fp.partition, error_code=0, high_watermark=result.high_watermark,
            last_stable_offset=result.high_watermark, log_start_offset=result.log_start_offset,
            aborted_transactions=None if version >= 4 else (),
            record_set=SegmentRange(records.fd, records.position, records.length) if size else b"",
        ))
    return responses, total, failed
