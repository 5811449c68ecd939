"""ListOffsets (2), OffsetForLeaderEpoch (23) and DeleteRecords (21): offsets in a log.

Mirrors the corresponding Kafka 2.8 JSON specs. ListOffsets starts at v1 (no v0
``old_style_offsets``).
"""

from __future__ import annotations

from ..schema import ArrayOf, INT16, INT32, INT64, INT8, STRING, f, message, struct


@struct
class ListOffsetsPartition:
    partition_index: int = f(INT32)
    current_leader_epoch: int = f(INT32, "4+", default=-1)
    timestamp: int = f(INT64)


@struct
class ListOffsetsTopic:
    name: str = f(STRING)
    partitions: tuple[ListOffsetsPartition, ...] = f(ArrayOf(ListOffsetsPartition))


@message(api_key=2, valid="1-6", flexible="6+")
class ListOffsetsRequest:
    replica_id: int = f(INT32)
    isolation_level: int = f(INT8, "2+")
    topics: tuple[ListOffsetsTopic, ...] = f(ArrayOf(ListOffsetsTopic))


@struct
class ListOffsetsPartitionResponse:
    partition_index: int = f(INT32)
    error_code: int = f(INT16)
    timestamp: int = f(INT64, "1+", default=-1)
    offset: int = f(INT64, "1+", default=-1)
    leader_epoch: int = f(INT32, "4+", default=-1)


@struct
class ListOffsetsTopicResponse:
    name: str = f(STRING)
    partitions: tuple[ListOffsetsPartitionResponse, ...] = f(ArrayOf(ListOffsetsPartitionResponse))


@message(api_key=2, valid="1-6", flexible="6+")
class ListOffsetsResponse:
    throttle_time_ms: int = f(INT32, "2+")
    topics: tuple[ListOffsetsTopicResponse, ...] = f(ArrayOf(ListOffsetsTopicResponse))


@struct
class OffsetForLeaderPartition:
    partition: int = f(INT32)
    current_leader_epoch: int = f(INT32, "2+", default=-1)
    leader_epoch: int = f(INT32)


@struct
class OffsetForLeaderTopic:
    topic: str = f(STRING)
    partitions: tuple[OffsetForLeaderPartition, ...] = f(ArrayOf(OffsetForLeaderPartition))


@message(api_key=23, valid="0-4", flexible="4+")
class OffsetForLeaderEpochRequest:
    replica_id: int = f(INT32, "3+", default=-2)
    topics: tuple[OffsetForLeaderTopic, ...] = f(ArrayOf(OffsetForLeaderTopic))


@struct
class EpochEndOffset:
    error_code: int = f(INT16)
    partition: int = f(INT32)
    leader_epoch: int = f(INT32, "1+", default=-1)
    end_offset: int = f(INT64, default=-1)


@struct
class OffsetForLeaderTopicResult:
    topic: str = f(STRING)
    partitions: tuple[EpochEndOffset, ...] = f(ArrayOf(EpochEndOffset))


@message(api_key=23, valid="0-4", flexible="4+")
class OffsetForLeaderEpochResponse:
    throttle_time_ms: int = f(INT32, "2+")
    topics: tuple[OffsetForLeaderTopicResult, ...] = f(ArrayOf(OffsetForLeaderTopicResult))


@struct
class DeleteRecordsPartition:
    partition_index: int = f(INT32)
    offset: int = f(INT64)


@struct
class DeleteRecordsTopic:
    name: str = f(STRING)
    partitions: tuple[DeleteRecordsPartition, ...] = f(ArrayOf(DeleteRecordsPartition))


@message(api_key=21, valid="0-2", flexible="2+")
class DeleteRecordsRequest:
    topics: tuple[DeleteRecordsTopic, ...] = f(ArrayOf(DeleteRecordsTopic))
    timeout_ms: int = f(INT32)


@struct
class DeleteRecordsPartitionResult:
    partition_index: int = f(INT32)
    low_watermark: int = f(INT64)
    error_code: int = f(INT16)


@struct
class DeleteRecordsTopicResult:
    name: str = f(STRING)
    partitions: tuple[DeleteRecordsPartitionResult, ...] = f(ArrayOf(DeleteRecordsPartitionResult))


@message(api_key=21, valid="0-2", flexible="2+")
class DeleteRecordsResponse:
    throttle_time_ms: int = f(INT32)
    topics: tuple[DeleteRecordsTopicResult, ...] = f(ArrayOf(DeleteRecordsTopicResult))
