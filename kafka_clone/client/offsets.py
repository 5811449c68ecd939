"""ListOffsets against partition leaders, shared by the admin client and the consumer.

Mirrors ``KafkaAdminClient.listOffsets`` and the consumer's ``Fetcher.fetchOffsetsByTimes``:
look the leaders up in metadata, send one ListOffsets per leader, and retry the partitions whose
leader moved (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, ...) after a metadata refresh until
the deadline. A topic the metadata does not know fails at once with UNKNOWN_TOPIC_OR_PARTITION,
as the admin client does.

Timestamps follow ``ListOffsetsRequest``: ``LATEST`` (-1) is the log end offset (or the last
stable offset with ``isolation_level=1``), ``EARLIEST`` (-2) the log start offset, and any
``t >= 0`` the first offset whose timestamp is at least ``t`` (offset -1 if there is none).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError, LeaderNotAvailable, UnknownTopicOrPartition, error_for_code
from kafka_clone.protocol.messages.offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic

from .errors import KafkaConnectionError, KafkaTimeoutError
from .network_client import KafkaClient, run_concurrently

__all__ = ["EARLIEST", "LATEST", "ListOffsetsResult", "list_offsets"]

LATEST = -1
EARLIEST = -2
#: ``replica_id`` of a client (not a follower) in ListOffsets and Fetch.
CONSUMER_REPLICA_ID = -1


@attrs.frozen
class ListOffsetsResult:
    """The answer for one partition (Kafka's ``ListOffsetsResultInfo``), or its error."""

    topic_partition: TopicPartition
    offset: int = -1
    timestamp: int = -1
    leader_epoch: int = -1
    error: KafkaError | None = attrs.field(default=None, eq=False)

    def check(self) -> ListOffsetsResult:
        """Return self, or raise the partition's error."""
        if self.error is not None:
            raise self.error
        return self


async def list_offsets(
    client: KafkaClient,
    specs: Mapping[TopicPartition, int],
    *,
    isolation_level: int = 0,
    timeout_ms: int = 60000,
) -> dict[TopicPartition, ListOffsetsResult]:
    """Offsets for each partition's timestamp spec (``EARLIEST``, ``LATEST`` or a timestamp).

    Partition errors are returned in the results, never raised; a deadline that passes while
    leaders are still moving leaves ``KafkaTimeoutError`` in the partitions not yet answered.
    """
    deadline = trio.current_time() + timeout_ms / 1000
    results: dict[TopicPartition, ListOffsetsResult] = {}
    pending = dict(specs)
    await client.refresh_metadata(sorted({tp.topic for tp in pending}))
    while pending:
        by_leader: dict[int, dict[TopicPartition, int]] = {}
        retry: dict[TopicPartition, int] = {}
        cluster = client.cluster
        assert cluster is not None
        for tp, ts in pending.items():
            topic = cluster.topic(tp.topic)
            if topic is None or isinstance(topic.error, UnknownTopicOrPartition):
                results[tp] = ListOffsetsResult(tp, error=UnknownTopicOrPartition(f"Topic {tp.topic} not found"))
                continue
            partition = topic.partition(tp.partition)
            if partition is None and topic.error is None:
                results[tp] = ListOffsetsResult(tp, error=UnknownTopicOrPartition(f"Partition {tp} not found"))
            elif partition is None or partition.leader < 0:
                retry[tp] = ts
            else:
                by_leader.setdefault(partition.leader, {})[tp] = ts
        await run_concurrently(
            (_ask_leader, (client, leader, group, isolation_level, results, retry))
            for leader, group in by_leader.items()
        )
        if not retry:
            break
        if trio.current_time() >= deadline:
            for tp in retry:
                results[tp] = ListOffsetsResult(
                    tp, error=KafkaTimeoutError(f"ListOffsets for {tp} timed out waiting for a leader")
                )
            break
        pending = retry
        await client.backoff()
        await client.refresh_metadata(sorted({tp.topic for tp in pending}))
    return results


async def _ask_leader(
    client: KafkaClient,
    leader: int,
    group: dict[TopicPartition, int],
    isolation_level: int,
    results: dict[TopicPartition, ListOffsetsResult],
    retry: dict[TopicPartition, int],
) -> None:
    topics: dict[str, list[ListOffsetsPartition]] = {}
    for tp, ts in group.items():
        topics.setdefault(tp.topic, []).append(ListOffsetsPartition(partition_index=tp.partition, timestamp=ts))
    request = ListOffsetsRequest(
        replica_id=CONSUMER_REPLICA_ID,
        isolation_level=isolation_level,
        topics=tuple(ListOffsetsTopic(name=t, partitions=tuple(ps)) for t, ps in topics.items()),
    )
    try:
        response = await client.send(leader, ApiKey.LIST_OFFSETS, request)
    except (KafkaConnectionError, KafkaTimeoutError):
        retry.update(group)
        return
    for t in response.topics:
        for p in t.partitions:
            tp = TopicPartition(t.name, p.partition_index)
            if tp not in group:
                continue
            if p.error_code == 0:
                results[tp] = ListOffsetsResult(tp, p.offset, p.timestamp, p.leader_epoch)
                continue
            error = error_for_code(p.error_code)
            if error.retriable or error is LeaderNotAvailable:
                retry[tp] = group[tp]
            else:
                results[tp] = ListOffsetsResult(tp, error=error())
    for tp in group:
        if tp not in results and tp not in retry:
            retry[tp] = group[tp]
