"""Controller-to-broker requests: LeaderAndIsr (4), StopReplica (5) and ControlledShutdown (7).

Mirrors the corresponding Kafka 2.8 JSON specs. The 2.8 controller sends LeaderAndIsr v5,
StopReplica v3 and ControlledShutdown v3; older versions are declared for completeness.
ControlledShutdown v0 is the one request that uses request header v0.
"""

from __future__ import annotations

import uuid

from ..schema import ArrayOf, BOOL, INT16, INT32, INT64, INT8, STRING, UUID, f, message, struct


@struct
class LeaderAndIsrPartitionState:
    topic_name: str = f(STRING, "0-1")
    partition_index: int = f(INT32)
    controller_epoch: int = f(INT32)
    leader: int = f(INT32)
    leader_epoch: int = f(INT32)
    isr: tuple[int, ...] = f(ArrayOf(INT32))
    zk_version: int = f(INT32)
    replicas: tuple[int, ...] = f(ArrayOf(INT32))
    adding_replicas: tuple[int, ...] = f(ArrayOf(INT32), "3+")
    removing_replicas: tuple[int, ...] = f(ArrayOf(INT32), "3+")
    is_new: bool = f(BOOL, "1+")


@struct
class LeaderAndIsrTopicState:
    topic_name: str = f(STRING, "2+")
    topic_id: uuid.UUID = f(UUID, "5+")
    partition_states: tuple[LeaderAndIsrPartitionState, ...] = f(ArrayOf(LeaderAndIsrPartitionState), "2+")


@struct
class LeaderAndIsrLiveLeader:
    broker_id: int = f(INT32)
    host_name: str = f(STRING)
    port: int = f(INT32)


@message(api_key=4, valid="0-5", flexible="4+")
class LeaderAndIsrRequest:
    controller_id: int = f(INT32)
    controller_epoch: int = f(INT32)
    broker_epoch: int = f(INT64, "2+", default=-1)
    type: int = f(INT8, "5+")
    ungrouped_partition_states: tuple[LeaderAndIsrPartitionState, ...] = f(ArrayOf(LeaderAndIsrPartitionState), "0-1")
    topic_states: tuple[LeaderAndIsrTopicState, ...] = f(ArrayOf(LeaderAndIsrTopicState), "2+")
    live_leaders: tuple[LeaderAndIsrLiveLeader, ...] = f(ArrayOf(LeaderAndIsrLiveLeader))


@struct
class LeaderAndIsrPartitionError:
    topic_name: str = f(STRING, "0-4")
    partition_index: int = f(INT32)
    error_code: int = f(INT16)


@struct
class LeaderAndIsrTopicError:
    topic_id: uuid.UUID = f(UUID, "5+")
    partition_errors: tuple[LeaderAndIsrPartitionError, ...] = f(ArrayOf(LeaderAndIsrPartitionError), "5+")


@message(api_key=4, valid="0-5", flexible="4+")
class LeaderAndIsrResponse:
    error_code: int = f(INT16)
    partition_errors: tuple[LeaderAndIsrPartitionError, ...] = f(ArrayOf(LeaderAndIsrPartitionError), "0-4")
    topics: tuple[LeaderAndIsrTopicError, ...] = f(ArrayOf(LeaderAndIsrTopicError), "5+")


@struct
class StopReplicaPartitionV0:
    topic_name: str = f(STRING, "0")
    partition_index: int = f(INT32, "0")


@struct
class StopReplicaTopicV1:
    name: str = f(STRING, "1-2")
    partition_indexes: tuple[int, ...] = f(ArrayOf(INT32), "1-2")


@struct
class StopReplicaPartitionState:
    partition_index: int = f(INT32, "3+")
    leader_epoch: int = f(INT32, "3+", default=-1)
    delete_partition: bool = f(BOOL, "3+")


@struct
class StopReplicaTopicState:
    topic_name: str = f(STRING, "3+")
    partition_states: tuple[StopReplicaPartitionState, ...] = f(ArrayOf(StopReplicaPartitionState), "3+")


@message(api_key=5, valid="0-3", flexible="2+")
class StopReplicaRequest:
    controller_id: int = f(INT32)
    controller_epoch: int = f(INT32)
    broker_epoch: int = f(INT64, "1+", default=-1)
    delete_partitions: bool = f(BOOL, "0-2")
    ungrouped_partitions: tuple[StopReplicaPartitionV0, ...] = f(ArrayOf(StopReplicaPartitionV0), "0")
    topics: tuple[StopReplicaTopicV1, ...] = f(ArrayOf(StopReplicaTopicV1), "1-2")
    topic_states: tuple[StopReplicaTopicState, ...] = f(ArrayOf(StopReplicaTopicState), "3+")


@struct
class StopReplicaPartitionError:
    topic_name: str = f(STRING)
    partition_index: int = f(INT32)
    error_code: int = f(INT16)


@message(api_key=5, valid="0-3", flexible="2+")
class StopReplicaResponse:
    error_code: int = f(INT16)
    partition_errors: tuple[StopReplicaPartitionError, ...] = f(ArrayOf(StopReplicaPartitionError))


@message(api_key=7, valid="0-3", flexible="3+")
class ControlledShutdownRequest:
    broker_id: int = f(INT32)
    broker_epoch: int = f(INT64, "2+", default=-1)


@struct
class RemainingPartition:
    topic_name: str = f(STRING)
    partition_index: int = f(INT32)


@message(api_key=7, valid="0-3", flexible="3+")
class ControlledShutdownResponse:
    error_code: int = f(INT16)
    remaining_partitions: tuple[RemainingPartition, ...] = f(ArrayOf(RemainingPartition))
