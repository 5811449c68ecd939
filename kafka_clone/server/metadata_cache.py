"""MetadataCache: each broker's view of the cluster, fed only by the controller's UpdateMetadata.

Mirrors Kafka 2.8's `ZkMetadataCache` (server/MetadataCache.scala).  Brokers never read
partition state from ZooKeeper to answer clients: the controller pushes it.  The cache is one
immutable `MetadataSnapshot` swapped by reference on each UpdateMetadata, so readers (every
Metadata request) never lock and never see half an update.

Invariants:
- A partition whose leader is -2 (LeaderDuringDelete) in an UpdateMetadata is removed: the topic
  is being deleted (Kafka's `LeaderAndIsr.LeaderDuringDelete`).
- Metadata answers list only live brokers that have an endpoint on the requesting listener; a
  partition whose leader lacks one is LEADER_NOT_AVAILABLE, and missing replicas
  REPLICA_NOT_AVAILABLE only for Metadata v0 (Kafka's `errorUnavailableEndpoints`/`Replicas`).
"""

from __future__ import annotations

import uuid
from typing import Iterable, Mapping

import attrs

from kafka_clone.common.topic import is_internal
from kafka_clone.protocol.errors import (
    LeaderNotAvailable, ListenerNotFound, ReplicaNotAvailable, UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages.metadata import MetadataResponsePartition, MetadataResponseTopic
from kafka_clone.protocol.messages.update_metadata import UpdateMetadataRequest

LEADER_DURING_DELETE = -2
NO_LEADER = -1


@attrs.frozen
class PartitionState:
    """One partition as the controller last described it (UpdateMetadataPartitionState)."""

    topic: str
    partition: int
    controller_epoch: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    zk_version: int
    replicas: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()


@attrs.frozen
class BrokerEndpoints:
    id: int
    #: listener name → (host, port)
    endpoints: Mapping[str, tuple[str, int]]
    rack: str | None = None


@attrs.frozen
class MetadataSnapshot:
    controller_id: int = -1
    brokers: Mapping[int, BrokerEndpoints] = attrs.Factory(dict)
    partitions: Mapping[str, Mapping[int, PartitionState]] = attrs.Factory(dict)
    topic_ids: Mapping[str, uuid.UUID] = attrs.Factory(dict)


@attrs.define(eq=False)
class MetadataCache:
    broker_id: int
    snapshot: MetadataSnapshot = attrs.Factory(MetadataSnapshot)

    # ---- updates (only from UpdateMetadata) ----

    def update_metadata(self, request: UpdateMetadataRequest) -> list[tuple[str, int]]:
        """Apply an UpdateMetadata; return the partitions it deleted (for the caller to stop)."""
        old = self.snapshot
        brokers = {}
        for b in request.live_brokers:
            endpoints = {e.listener: (e.host, e.port) for e in b.endpoints}
            if not endpoints and b.v0_host:
                endpoints = {"PLAINTEXT": (b.v0_host, b.v0_port)}
            brokers[b.id] = BrokerEndpoints(b.id, endpoints, b.rack)
        partitions = {t: dict(ps) for t, ps in old.partitions.items()}
        topic_ids = dict(old.topic_ids)
        deleted: list[tuple[str, int]] = []
        for topic, topic_id, state in _partition_states(request):
            if state.leader == LEADER_DURING_DELETE:
                if partitions.get(topic, {}).pop(state.partition_index, None) is not None:
                    deleted.append((topic, state.partition_index))
                if topic in partitions and not partitions[topic]:
                    del partitions[topic]
                    topic_ids.pop(topic, None)
                continue
            partitions.setdefault(topic, {})[state.partition_index] = PartitionState(
                topic, state.partition_index, state.controller_epoch, state.leader, state.leader_epoch,
                tuple(state.isr), state.zk_version, tuple(state.replicas), tuple(state.offline_replicas),
            )
            if topic_id is not None and topic_id.int:
                topic_ids[topic] = topic_id
        self.snapshot = MetadataSnapshot(request.controller_id, brokers, partitions, topic_ids)
        return deleted

    # ---- reads ----

    def contains_topic(self, topic: str) -> bool:
        return topic in self.snapshot.partitions

    def get_partition_info(self, topic: str, partition: int) -> PartitionState | None:
        return self.snapshot.partitions.get(topic, {}).get(partition)

    def num_partitions(self, topic: str) -> int | None:
        parts = self.snapshot.partitions.get(topic)
        return len(parts) if parts is not None else None

    def all_topics(self) -> list[str]:
        return sorted(self.snapshot.partitions)

    def alive_broker_ids(self) -> list[int]:
        return sorted(self.snapshot.brokers)

    def alive_brokers(self, listener_name: str) -> list[tuple[int, str, int, str | None]]:
        """(id, host, port, rack) of live brokers with an endpoint on `listener_name`."""
        return [(b.id, *b.endpoints[listener_name], b.rack)
                for b in sorted(self.snapshot.brokers.values(), key=lambda b: b.id)
                if listener_name in b.endpoints]

    def get_alive_endpoint(self, broker_id: int, listener_name: str) -> tuple[str, int] | None:
        b = self.snapshot.brokers.get(broker_id)
        return b.endpoints.get(listener_name) if b else None

    @property
    def controller_id(self) -> int:
        return self.snapshot.controller_id

    def get_topic_metadata(self, topics: Iterable[str], listener_name: str, *,
                           error_unavailable_endpoints: bool = False,
                           error_unavailable_listeners: bool = False) -> list[MetadataResponseTopic]:
        """Metadata for the named topics that exist (Kafka's getTopicMetadata)."""
        snap = self.snapshot
        result = []
        for topic in topics:
            parts = snap.partitions.get(topic)
            if parts is None:
                continue
            result.append(MetadataResponseTopic(
                error_code=0, name=topic, topic_id=snap.topic_ids.get(topic, uuid.UUID(int=0)),
                is_internal=is_internal(topic),
                partitions=tuple(self._partition_metadata(snap, parts[p], listener_name,
                                                          error_unavailable_endpoints, error_unavailable_listeners)
                                 for p in sorted(parts)),
            ))
        return result

    def _partition_metadata(self, snap: MetadataSnapshot, st: PartitionState, listener_name: str,
                            error_unavailable_endpoints: bool, error_unavailable_listeners: bool) -> MetadataResponsePartition:
        def has_endpoint(b: int) -> bool:
            broker = snap.brokers.get(b)
            return broker is not None and listener_name in broker.endpoints

        replicas = st.replicas
        isr = st.isr
        if error_unavailable_endpoints:
            replicas = tuple(b for b in replicas if has_endpoint(b))
            isr = tuple(b for b in isr if has_endpoint(b))
        error = 0
        leader = st.leader
        leader_broker = snap.brokers.get(leader)
        if leader_broker is None or listener_name not in leader_broker.endpoints:
            # A live leader without this listener: Kafka 2.8 says LISTENER_NOT_FOUND for v9+
            # clients that ask for it, LEADER_NOT_AVAILABLE otherwise.
            if leader_broker is not None and error_unavailable_listeners:
                error = ListenerNotFound.code
            else:
                error = LeaderNotAvailable.code
            leader = NO_LEADER
        elif error_unavailable_endpoints and (len(replicas) < len(st.replicas) or len(isr) < len(st.isr)):
            error = ReplicaNotAvailable.code
        return MetadataResponsePartition(
            error_code=error, partition_index=st.partition, leader_id=leader, leader_epoch=st.leader_epoch,
            replica_nodes=replicas, isr_nodes=isr, offline_replicas=st.offline_replicas,
        )


def unknown_topic_metadata(topic: str, error_code: int = UnknownTopicOrPartition.code) -> MetadataResponseTopic:
    return MetadataResponseTopic(error_code=error_code, name=topic, is_internal=is_internal(topic), partitions=())


def _partition_states(request: UpdateMetadataRequest):
    """(topic, topic_id or None, state) for every partition, whatever the request version."""
    for state in request.ungrouped_partition_states:
        yield state.topic_name, None, state
    for topic_state in request.topic_states:
        for state in topic_state.partition_states:
            yield topic_state.topic_name, topic_state.topic_id, state
