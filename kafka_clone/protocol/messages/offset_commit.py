"""OffsetCommit (8), OffsetFetch (9) and OffsetDelete (47): a group's committed offsets.

Mirrors the corresponding Kafka 2.8 JSON specs, from OffsetCommit v2 / OffsetFetch v1 (offsets
kept in ``__consumer_offsets``, never in ZooKeeper).
"""

from __future__ import annotations

from ..schema import ArrayOf, BOOL, INT16, INT32, INT64, STRING, f, message, struct


@struct
class OffsetCommitRequestPartition:
    partition_index: int = f(INT32)
    committed_offset: int = f(INT64)
    committed_leader_epoch: int = f(INT32, "6+", default=-1)
    committed_metadata: str | None = f(STRING, nullable="0+")


@struct
class OffsetCommitRequestTopic:
    name: str = f(STRING)
    partitions: tuple[OffsetCommitRequestPartition, ...] = f(ArrayOf(OffsetCommitRequestPartition))


@message(api_key=8, valid="2-8", flexible="8+")
class OffsetCommitRequest:
    group_id: str = f(STRING)
    generation_id: int = f(INT32, "1+", default=-1)
    member_id: str = f(STRING, "1+")
    group_instance_id: str | None = f(STRING, "7+", nullable="7+", default=None)
    retention_time_ms: int = f(INT64, "2-4", default=-1)
    topics: tuple[OffsetCommitRequestTopic, ...] = f(ArrayOf(OffsetCommitRequestTopic))


@struct
class OffsetCommitResponsePartition:
    partition_index: int = f(INT32)
    error_code: int = f(INT16)


@struct
class OffsetCommitResponseTopic:
    name: str = f(STRING)
    partitions: tuple[OffsetCommitResponsePartition, ...] = f(ArrayOf(OffsetCommitResponsePartition))


@message(api_key=8, valid="2-8", flexible="8+")
class OffsetCommitResponse:
    throttle_time_ms: int = f(INT32, "3+")
    topics: tuple[OffsetCommitResponseTopic, ...] = f(ArrayOf(OffsetCommitResponseTopic))


@struct
class OffsetFetchRequestTopic:
    name: str = f(STRING)
    partition_indexes: tuple[int, ...] = f(ArrayOf(INT32))


@message(api_key=9, valid="1-7", flexible="6+")
class OffsetFetchRequest:
    group_id: str = f(STRING)
    topics: tuple[OffsetFetchRequestTopic, ...] | None = f(ArrayOf(OffsetFetchRequestTopic), nullable="2+")
    require_stable: bool = f(BOOL, "7+")


@struct
class OffsetFetchResponsePartition:
    partition_index: int = f(INT32)
    committed_offset: int = f(INT64)
    committed_leader_epoch: int = f(INT32, "5+", default=-1)
    metadata: str | None = f(STRING, nullable="0+")
    error_code: int = f(INT16)


@struct
class OffsetFetchResponseTopic:
    name: str = f(STRING)
    partitions: tuple[OffsetFetchResponsePartition, ...] = f(ArrayOf(OffsetFetchResponsePartition))


@message(api_key=9, valid="1-7", flexible="6+")
class OffsetFetchResponse:
    throttle_time_ms: int = f(INT32, "3+")
    topics: tuple[OffsetFetchResponseTopic, ...] = f(ArrayOf(OffsetFetchResponseTopic))
    error_code: int = f(INT16, "2+")


@struct
class OffsetDeleteRequestPartition:
    partition_index: int = f(INT32)


@struct
class OffsetDeleteRequestTopic:
    name: str = f(STRING)
    partitions: tuple[OffsetDeleteRequestPartition, ...] = f(ArrayOf(OffsetDeleteRequestPartition))


@message(api_key=47, valid="0", flexible="none")
class OffsetDeleteRequest:
    group_id: str = f(STRING)
    topics: tuple[OffsetDeleteRequestTopic, ...] = f(ArrayOf(OffsetDeleteRequestTopic))


@struct
class OffsetDeleteResponsePartition:
    partition_index: int = f(INT32)
    error_code: int = f(INT16)


@struct
class OffsetDeleteResponseTopic:
    name: str = f(STRING)
    partitions: tuple[OffsetDeleteResponsePartition, ...] = f(ArrayOf(OffsetDeleteResponsePartition))


@message(api_key=47, valid="0", flexible="none")
class OffsetDeleteResponse:
    error_code: int = f(INT16)
    throttle_time_ms: int = f(INT32)
    topics: tuple[OffsetDeleteResponseTopic, ...] = f(ArrayOf(OffsetDeleteResponseTopic))
