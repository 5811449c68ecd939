"""Cluster metadata as the client sees it: Kafka's ``Cluster``, ``Node`` and ``PartitionInfo``.

A ``ClusterMetadata`` is an immutable snapshot built from one Metadata response
(``MetadataResponse`` -> ``Cluster`` in Kafka's ``Metadata.update``); the client swaps the whole
snapshot on refresh and readers never see a half-updated view (design §4).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable

import attrs

from kafka_clone.protocol.errors import KafkaError, error_for_code
from kafka_clone.protocol.messages.metadata import MetadataResponse
from kafka_clone.protocol.primitives import ZERO_UUID

__all__ = [
    "Node",
    "PartitionMetadata",
    "TopicMetadata",
    "ClusterMetadata",
    "parse_bootstrap_servers",
    "topic_id_string",
    "is_zero_uuid",
]


@attrs.frozen
class Node:
    """A broker: id, advertised host and port, rack (Kafka's ``Node``)."""

    node_id: int
    host: str
    port: int
    rack: str | None = None

    def __str__(self) -> str:
        return f"{self.host}:{self.port} (id: {self.node_id} rack: {self.rack})"


@attrs.frozen
class PartitionMetadata:
    """One partition's leader, replicas and ISR (Kafka's ``PartitionInfo``); leader -1 = none."""

    topic: str
    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()
    error: KafkaError | None = attrs.field(default=None, eq=False)


@attrs.frozen
class TopicMetadata:
    """A topic in a Metadata response; ``error`` set when the broker reported one for it."""

    name: str
    topic_id: uuid.UUID
    is_internal: bool
    partitions: tuple[PartitionMetadata, ...]
    error: KafkaError | None = attrs.field(default=None, eq=False)

    def partition(self, index: int) -> PartitionMetadata | None:
        for p in self.partitions:
            if p.partition == index:
                return p
        return None


@attrs.frozen
class ClusterMetadata:
    """One immutable view of the cluster (Kafka's ``Cluster``)."""

    cluster_id: str | None
    controller_id: int
    brokers: tuple[Node, ...]
    topics: tuple[TopicMetadata, ...]

    @classmethod
    def from_response(cls, response: MetadataResponse) -> ClusterMetadata:
        topics = []
        for t in response.topics:
            partitions = tuple(
                sorted(
                    (
                        PartitionMetadata(
                            topic=t.name,
                            partition=p.partition_index,
                            leader=p.leader_id,
                            leader_epoch=p.leader_epoch,
                            replicas=tuple(p.replica_nodes),
                            isr=tuple(p.isr_nodes),
                            offline_replicas=tuple(p.offline_replicas),
                            error=_error(p.error_code),
                        )
                        for p in t.partitions
                    ),
                    key=lambda p: p.partition,
                )
            )
            topics.append(
                TopicMetadata(
                    name=t.name,
                    topic_id=t.topic_id,
                    is_internal=t.is_internal,
                    partitions=partitions,
                    error=_error(t.error_code, f"topic {t.name}"),
                )
            )
        return cls(
            cluster_id=response.cluster_id,
            controller_id=response.controller_id,
            brokers=tuple(Node(b.node_id, b.host, b.port, b.rack) for b in response.brokers),
            topics=tuple(topics),
        )

    def broker(self, node_id: int) -> Node | None:
        for b in self.brokers:
            if b.node_id == node_id:
                return b
        return None

    @property
    def controller(self) -> Node | None:
        return self.broker(self.controller_id)

    def topic(self, name: str) -> TopicMetadata | None:
        for t in self.topics:
            if t.name == name:
                return t
        return None

    def merge(self, newer: ClusterMetadata) -> ClusterMetadata:
        """``newer`` (from a request for some topics) plus the topics only this snapshot knows."""
        known = {t.name for t in newer.topics}
        return attrs.evolve(newer, topics=newer.topics + tuple(t for t in self.topics if t.name not in known))


def _error(code: int, what: str | None = None) -> KafkaError | None:
    if code == 0:
        return None
    cls = error_for_code(code)
    return cls(f"{cls.message} ({what})" if what else None)


def parse_bootstrap_servers(servers: str | Iterable[str]) -> tuple[tuple[str, int], ...]:
    """``"host:port,host:port"`` (or a list of such) as ``((host, port), ...)``.

    Raises ``ValueError`` with Kafka's wording for an entry without a valid port
    (``ClientUtils.parseAndValidateAddresses``).
    """
    entries = servers.split(",") if isinstance(servers, str) else list(servers)
    result = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"Invalid url in bootstrap.servers: {entry}")
        result.append((host.strip("[]"), int(port)))
    if not result:
        raise ValueError("No resolvable bootstrap urls given in bootstrap.servers")
    return tuple(result)


def topic_id_string(topic_id: uuid.UUID) -> str:
    """Kafka's ``Uuid.toString``: URL-safe base64 of the 16 bytes, without padding."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode("ascii").rstrip("=")


def is_zero_uuid(topic_id: uuid.UUID) -> bool:
    return topic_id == ZERO_UUID
