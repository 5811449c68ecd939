"""Metadata (3) and DescribeCluster (60): cluster and topic metadata.

Mirrors ``MetadataRequest.json``/``MetadataResponse.json`` (v0-11; v9 flexible, v10 topic ids)
and ``DescribeCluster*.json`` (KIP-700).
"""

from __future__ import annotations

import uuid

from ..schema import ArrayOf, BOOL, INT16, INT32, STRING, UUID, f, message, struct


@struct
class MetadataRequestTopic:
    topic_id: uuid.UUID = f(UUID, "10+")
    name: str | None = f(STRING, nullable="10+")


@message(api_key=3, valid="0-11", flexible="9+")
class MetadataRequest:
    topics: tuple[MetadataRequestTopic, ...] | None = f(ArrayOf(MetadataRequestTopic), nullable="1+")
    allow_auto_topic_creation: bool = f(BOOL, "4+", default=True)
    include_cluster_authorized_operations: bool = f(BOOL, "8-10")
    include_topic_authorized_operations: bool = f(BOOL, "8+")


@struct
class MetadataResponseBroker:
    node_id: int = f(INT32)
    host: str = f(STRING)
    port: int = f(INT32)
    rack: str | None = f(STRING, "1+", nullable="1+", default=None)


@struct
class MetadataResponsePartition:
    error_code: int = f(INT16)
    partition_index: int = f(INT32)
    leader_id: int = f(INT32)
    leader_epoch: int = f(INT32, "7+", default=-1)
    replica_nodes: tuple[int, ...] = f(ArrayOf(INT32))
    isr_nodes: tuple[int, ...] = f(ArrayOf(INT32))
    offline_replicas: tuple[int, ...] = f(ArrayOf(INT32), "5+")


@struct
class MetadataResponseTopic:
    error_code: int = f(INT16)
    name: str = f(STRING)
    topic_id: uuid.UUID = f(UUID, "10+")
    is_internal: bool = f(BOOL, "1+")
    partitions: tuple[MetadataResponsePartition, ...] = f(ArrayOf(MetadataResponsePartition))
    topic_authorized_operations: int = f(INT32, "8+", default=-2147483648)


@message(api_key=3, valid="0-11", flexible="9+")
class MetadataResponse:
    throttle_time_ms: int = f(INT32, "3+")
    brokers: tuple[MetadataResponseBroker, ...] = f(ArrayOf(MetadataResponseBroker))
    cluster_id: str | None = f(STRING, "2+", nullable="2+", default=None)
    controller_id: int = f(INT32, "1+", default=-1)
    topics: tuple[MetadataResponseTopic, ...] = f(ArrayOf(MetadataResponseTopic))
    cluster_authorized_operations: int = f(INT32, "8-10", default=-2147483648)


@message(api_key=60, valid="0", flexible="0+")
class DescribeClusterRequest:
    include_cluster_authorized_operations: bool = f(BOOL)


@struct
class DescribeClusterBroker:
    broker_id: int = f(INT32)
    host: str = f(STRING)
    port: int = f(INT32)
    rack: str | None = f(STRING, nullable="0+", default=None)


@message(api_key=60, valid="0", flexible="0+")
class DescribeClusterResponse:
    throttle_time_ms: int = f(INT32)
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+", default=None)
    cluster_id: str = f(STRING)
    controller_id: int = f(INT32, default=-1)
    brokers: tuple[DescribeClusterBroker, ...] = f(ArrayOf(DescribeClusterBroker))
    cluster_authorized_operations: int = f(INT32, default=-2147483648)
