"""UpdateMetadata (6): the controller pushes cluster metadata to every broker.

Mirrors ``UpdateMetadataRequest.json``/``UpdateMetadataResponse.json`` (v0-7; the 2.8
controller sends v7).
"""

from __future__ import annotations

import uuid

from ..schema import ArrayOf, INT16, INT32, INT64, STRING, UUID, f, message, struct


@struct
class UpdateMetadataPartitionState:
    topic_name: str = f(STRING, "0-4")
    partition_index: int = f(INT32)
    controller_epoch: int = f(INT32)
    leader: int = f(INT32)
    leader_epoch: int = f(INT32)
    isr: tuple[int, ...] = f(ArrayOf(INT32))
    zk_version: int = f(INT32)
    replicas: tuple[int, ...] = f(ArrayOf(INT32))
    offline_replicas: tuple[int, ...] = f(ArrayOf(INT32), "4+")


@struct
class UpdateMetadataTopicState:
    topic_name: str = f(STRING, "5+")
    topic_id: uuid.UUID = f(UUID, "7+")
    partition_states: tuple[UpdateMetadataPartitionState, ...] = f(ArrayOf(UpdateMetadataPartitionState), "5+")


@struct
class UpdateMetadataEndpoint:
    port: int = f(INT32, "1+")
    host: str = f(STRING, "1+")
    listener: str = f(STRING, "3+")
    security_protocol: int = f(INT16, "1+")


@struct
class UpdateMetadataBroker:
    id: int = f(INT32)
    v0_host: str = f(STRING, "0")
    v0_port: int = f(INT32, "0")
    endpoints: tuple[UpdateMetadataEndpoint, ...] = f(ArrayOf(UpdateMetadataEndpoint), "1+")
    rack: str | None = f(STRING, "2+", nullable="0+")


@message(api_key=6, valid="0-7", flexible="6+")
class UpdateMetadataRequest:
    controller_id: int = f(INT32)
    controller_epoch: int = f(INT32)
    broker_epoch: int = f(INT64, "5+", default=-1)
    ungrouped_partition_states: tuple[UpdateMetadataPartitionState, ...] = f(ArrayOf(UpdateMetadataPartitionState), "0-4")
    topic_states: tuple[UpdateMetadataTopicState, ...] = f(ArrayOf(UpdateMetadataTopicState), "5+")
    live_brokers: tuple[UpdateMetadataBroker, ...] = f(ArrayOf(UpdateMetadataBroker))


@message(api_key=6, valid="0-7", flexible="6+")
class UpdateMetadataResponse:
    error_code: int = f(INT16)
