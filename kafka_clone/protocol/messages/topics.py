"""Topic administration: CreateTopics (19), DeleteTopics (20), CreatePartitions (37),
ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46).

Mirrors the corresponding Kafka 2.8 JSON specs. Clients send these to the controller.
"""

from __future__ import annotations

import uuid

from ..schema import ArrayOf, BOOL, INT16, INT32, INT8, STRING, UUID, f, message, struct


@struct
class CreatableReplicaAssignment:
    partition_index: int = f(INT32)
    broker_ids: tuple[int, ...] = f(ArrayOf(INT32))


@struct
class CreateableTopicConfig:
    name: str = f(STRING)
    value: str | None = f(STRING, nullable="0+")


@struct
class CreatableTopic:
    name: str = f(STRING)
    num_partitions: int = f(INT32)
    replication_factor: int = f(INT16)
    assignments: tuple[CreatableReplicaAssignment, ...] = f(ArrayOf(CreatableReplicaAssignment))
    configs: tuple[CreateableTopicConfig, ...] = f(ArrayOf(CreateableTopicConfig))


@message(api_key=19, valid="0-7", flexible="5+")
class CreateTopicsRequest:
    topics: tuple[CreatableTopic, ...] = f(ArrayOf(CreatableTopic))
    timeout_ms: int = f(INT32, default=60000)
    validate_only: bool = f(BOOL, "1+")


@struct
class CreatableTopicConfigs:
    name: str = f(STRING, "5+")
    value: str | None = f(STRING, "5+", nullable="5+")
    read_only: bool = f(BOOL, "5+")
    config_source: int = f(INT8, "5+", default=-1)
    is_sensitive: bool = f(BOOL, "5+")


@struct
class CreatableTopicResult:
    name: str = f(STRING)
    topic_id: uuid.UUID = f(UUID, "7+")
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, "1+", nullable="0+")
    topic_config_error_code: int = f(INT16, "5+", tag=0, tagged="5+")
    num_partitions: int = f(INT32, "5+", default=-1)
    replication_factor: int = f(INT16, "5+", default=-1)
    configs: tuple[CreatableTopicConfigs, ...] | None = f(ArrayOf(CreatableTopicConfigs), "5+", nullable="5+")


@message(api_key=19, valid="0-7", flexible="5+")
class CreateTopicsResponse:
    throttle_time_ms: int = f(INT32, "2+")
    topics: tuple[CreatableTopicResult, ...] = f(ArrayOf(CreatableTopicResult))


@struct
class DeleteTopicState:
    name: str | None = f(STRING, "6+", nullable="6+")
    topic_id: uuid.UUID = f(UUID, "6+")


@message(api_key=20, valid="0-6", flexible="4+")
class DeleteTopicsRequest:
    topics: tuple[DeleteTopicState, ...] = f(ArrayOf(DeleteTopicState), "6+")
    topic_names: tuple[str, ...] = f(ArrayOf(STRING), "0-5")
    timeout_ms: int = f(INT32)


@struct
class DeletableTopicResult:
    name: str | None = f(STRING, nullable="6+")
    topic_id: uuid.UUID = f(UUID, "6+")
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, "5+", nullable="5+", default=None)


@message(api_key=20, valid="0-6", flexible="4+")
class DeleteTopicsResponse:
    throttle_time_ms: int = f(INT32, "1+")
    responses: tuple[DeletableTopicResult, ...] = f(ArrayOf(DeletableTopicResult))


@struct
class CreatePartitionsAssignment:
    broker_ids: tuple[int, ...] = f(ArrayOf(INT32))


@struct
class CreatePartitionsTopic:
    name: str = f(STRING)
    count: int = f(INT32)
    assignments: tuple[CreatePartitionsAssignment, ...] | None = f(ArrayOf(CreatePartitionsAssignment), nullable="0+")


@message(api_key=37, valid="0-3", flexible="2+")
class CreatePartitionsRequest:
    topics: tuple[CreatePartitionsTopic, ...] = f(ArrayOf(CreatePartitionsTopic))
    timeout_ms: int = f(INT32)
    validate_only: bool = f(BOOL)


@struct
class CreatePartitionsTopicResult:
    name: str = f(STRING)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+", default=None)


@message(api_key=37, valid="0-3", flexible="2+")
class CreatePartitionsResponse:
    throttle_time_ms: int = f(INT32)
    results: tuple[CreatePartitionsTopicResult, ...] = f(ArrayOf(CreatePartitionsTopicResult))


@struct
class TopicPartitions:
    topic: str = f(STRING)
    partition_id: tuple[int, ...] = f(ArrayOf(INT32))


@message(api_key=43, valid="0-2", flexible="2+")
class ElectLeadersRequest:
    election_type: int = f(INT8, "1+")
    topic_partitions: tuple[TopicPartitions, ...] | None = f(ArrayOf(TopicPartitions), nullable="0+")
    timeout_ms: int = f(INT32, default=60000)


@struct
class PartitionResult:
    partition_id: int = f(INT32)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")


@struct
class ReplicaElectionResult:
    topic: str = f(STRING)
    partition_result: tuple[PartitionResult, ...] = f(ArrayOf(PartitionResult))


@message(api_key=43, valid="0-2", flexible="2+")
class ElectLeadersResponse:
    throttle_time_ms: int = f(INT32)
    error_code: int = f(INT16, "1+")
    replica_election_results: tuple[ReplicaElectionResult, ...] = f(ArrayOf(ReplicaElectionResult))


@struct
class ReassignablePartition:
    partition_index: int = f(INT32)
    replicas: tuple[int, ...] | None = f(ArrayOf(INT32), nullable="0+", default=None)


@struct
class ReassignableTopic:
    name: str = f(STRING)
    partitions: tuple[ReassignablePartition, ...] = f(ArrayOf(ReassignablePartition))


@message(api_key=45, valid="0", flexible="0+")
class AlterPartitionReassignmentsRequest:
    timeout_ms: int = f(INT32, default=60000)
    topics: tuple[ReassignableTopic, ...] = f(ArrayOf(ReassignableTopic))


@struct
class ReassignablePartitionResponse:
    partition_index: int = f(INT32)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")


@struct
class ReassignableTopicResponse:
    name: str = f(STRING)
    partitions: tuple[ReassignablePartitionResponse, ...] = f(ArrayOf(ReassignablePartitionResponse))


@message(api_key=45, valid="0", flexible="0+")
class AlterPartitionReassignmentsResponse:
    throttle_time_ms: int = f(INT32)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")
    responses: tuple[ReassignableTopicResponse, ...] = f(ArrayOf(ReassignableTopicResponse))


@struct
class ListPartitionReassignmentsTopics:
    name: str = f(STRING)
    partition_indexes: tuple[int, ...] = f(ArrayOf(INT32))


@message(api_key=46, valid="0", flexible="0+")
class ListPartitionReassignmentsRequest:
    timeout_ms: int = f(INT32, default=60000)
    topics: tuple[ListPartitionReassignmentsTopics, ...] | None = f(ArrayOf(ListPartitionReassignmentsTopics), nullable="0+", default=None)


@struct
class OngoingPartitionReassignment:
    partition_index: int = f(INT32)
    replicas: tuple[int, ...] = f(ArrayOf(INT32))
    adding_replicas: tuple[int, ...] = f(ArrayOf(INT32))
    removing_replicas: tuple[int, ...] = f(ArrayOf(INT32))


@struct
class OngoingTopicReassignment:
    name: str = f(STRING)
    partitions: tuple[OngoingPartitionReassignment, ...] = f(ArrayOf(OngoingPartitionReassignment))


@message(api_key=46, valid="0", flexible="0+")
class ListPartitionReassignmentsResponse:
    throttle_time_ms: int = f(INT32)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")
    topics: tuple[OngoingTopicReassignment, ...] = f(ArrayOf(OngoingTopicReassignment))
