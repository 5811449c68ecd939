"""ListOffsets (2) and OffsetForLeaderEpoch (23): offsets by time and by leader epoch.

ListOffsets mirrors `Partition.fetchOffsetForTimestamp` (2.8): EARLIEST (-2) is the log start
offset, LATEST (-1) the high watermark for consumers (the log end for a replica), and any other
timestamp the first offset whose record timestamp is at least it, hidden while above the high
watermark; no such record → offset -1.

OffsetForLeaderEpoch (KIP-101/KIP-279) is answered by the leader from its leader-epoch cache: the
end offset of the requested epoch, which a follower truncates to.
"""

from __future__ import annotations

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError
from kafka_clone.protocol.messages.offsets import (
    EpochEndOffset, ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
    OffsetForLeaderEpochResponse, OffsetForLeaderTopicResult,
)
from kafka_clone.server.apis import RequestContext, handles

EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1


@handles(ApiKey.LIST_OFFSETS)
async def handle_list_offsets(ctx: RequestContext):
    rm = ctx.broker.replica_manager
    from_replica = ctx.body.replica_id >= 0
    topics = []
    for t in ctx.body.topics:
        parts = []
        for p in t.partitions:
            try:
                partition = rm.get_partition(t.name, p.partition_index)
                plog = partition.leader_log_or_error()
                partition.check_leader_epoch(p.current_leader_epoch)
                bound = plog.log_end_offset if from_replica else partition.high_watermark
                if p.timestamp == LATEST_TIMESTAMP:
                    ts, offset, epoch = -1, bound, plog.leader_epoch_cache.epoch_for_offset(max(bound - 1, 0))
                else:
                    found = plog.fetch_offset_by_timestamp(p.timestamp)
                    if found is None or found.offset >= bound and p.timestamp != EARLIEST_TIMESTAMP:
                        ts, offset, epoch = -1, -1, -1
                    else:
                        ts, offset, epoch = found.timestamp, found.offset, found.leader_epoch
                parts.append(ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=0,
                                                          timestamp=ts, offset=offset, leader_epoch=epoch))
            except KafkaError as exc:
                parts.append(ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=exc.code))
        topics.append(ListOffsetsTopicResponse(name=t.name, partitions=tuple(parts)))
    return ListOffsetsResponse(topics=tuple(topics))


@handles(ApiKey.OFFSET_FOR_LEADER_EPOCH)
async def handle_offset_for_leader_epoch(ctx: RequestContext):
    rm = ctx.broker.replica_manager
    topics = []
    for t in ctx.body.topics:
        results = []
        for p in t.partitions:
            try:
                partition = rm.get_partition(t.topic, p.partition)
                plog = partition.leader_log_or_error()
                partition.check_leader_epoch(p.current_leader_epoch)
                epoch, end = plog.end_offset_for_epoch(p.leader_epoch)
                results.append(EpochEndOffset(error_code=0, partition=p.partition, leader_epoch=epoch, end_offset=end))
            except KafkaError as exc:
                results.append(EpochEndOffset(error_code=exc.code, partition=p.partition))
        topics.append(OffsetForLeaderTopicResult(topic=t.topic, partitions=tuple(results)))
    return OffsetForLeaderEpochResponse(topics=tuple(topics))
