"""Fetch (1): consumers and follower replicas read the log.

Mirrors ``FetchRequest.json``/``FetchResponse.json`` from v4 (magic 2) to v12 (the last
version without topic ids). ``FetchablePartitionResponse.record_set`` accepts a
``FileRecordsRef`` so segment bytes go out with sendfile, never copied (design §5).
"""

from __future__ import annotations

from ..schema import ArrayOf, INT16, INT32, INT64, INT8, RECORDS, Records, STRING, f, message, struct


@struct
class FetchPartition:
    partition: int = f(INT32)
    current_leader_epoch: int = f(INT32, "9+", default=-1)
    fetch_offset: int = f(INT64)
    last_fetched_epoch: int = f(INT32, "12+", default=-1)
    log_start_offset: int = f(INT64, "5+", default=-1)
    partition_max_bytes: int = f(INT32)


@struct
class FetchTopic:
    topic: str = f(STRING)
    partitions: tuple[FetchPartition, ...] = f(ArrayOf(FetchPartition))


@struct
class ForgottenTopic:
    topic: str = f(STRING, "7+")
    partitions: tuple[int, ...] = f(ArrayOf(INT32), "7+")


@message(api_key=1, valid="4-12", flexible="12+")
class FetchRequest:
    cluster_id: str | None = f(STRING, "12+", nullable="12+", tag=0, tagged="12+", default=None)
    replica_id: int = f(INT32)
    max_wait_ms: int = f(INT32)
    min_bytes: int = f(INT32)
    max_bytes: int = f(INT32, "3+", default=2147483647)
    isolation_level: int = f(INT8, "4+")
    session_id: int = f(INT32, "7+")
    session_epoch: int = f(INT32, "7+", default=-1)
    topics: tuple[FetchTopic, ...] = f(ArrayOf(FetchTopic))
    forgotten_topics_data: tuple[ForgottenTopic, ...] = f(ArrayOf(ForgottenTopic), "7+")
    rack_id: str = f(STRING, "11+")


@struct
class EpochEndOffset:
    epoch: int = f(INT32, "12+", default=-1)
    end_offset: int = f(INT64, "12+", default=-1)


@struct
class LeaderIdAndEpoch:
    leader_id: int = f(INT32, "12+", default=-1)
    leader_epoch: int = f(INT32, "12+", default=-1)


@struct
class SnapshotId:
    end_offset: int = f(INT64, default=-1)
    epoch: int = f(INT32, default=-1)


@struct
class AbortedTransaction:
    producer_id: int = f(INT64, "4+")
    first_offset: int = f(INT64, "4+")


@struct
class FetchablePartitionResponse:
    partition: int = f(INT32)
    error_code: int = f(INT16)
    high_watermark: int = f(INT64)
    last_stable_offset: int = f(INT64, "4+", default=-1)
    log_start_offset: int = f(INT64, "5+", default=-1)
    diverging_epoch: EpochEndOffset = f(EpochEndOffset, "12+", tag=0, tagged="12+")
    current_leader: LeaderIdAndEpoch = f(LeaderIdAndEpoch, "12+", tag=1, tagged="12+")
    snapshot_id: SnapshotId = f(SnapshotId, "12+", tag=2, tagged="12+")
    aborted_transactions: tuple[AbortedTransaction, ...] | None = f(ArrayOf(AbortedTransaction), "4+", nullable="4+")
    preferred_read_replica: int = f(INT32, "11+", default=-1)
    record_set: Records | None = f(RECORDS, nullable="0+")


@struct
class FetchableTopicResponse:
    topic: str = f(STRING)
    partition_responses: tuple[FetchablePartitionResponse, ...] = f(ArrayOf(FetchablePartitionResponse))


@message(api_key=1, valid="4-12", flexible="12+")
class FetchResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16, "7+")
    session_id: int = f(INT32, "7+")
    responses: tuple[FetchableTopicResponse, ...] = f(ArrayOf(FetchableTopicResponse))
