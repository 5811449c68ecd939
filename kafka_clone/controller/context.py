"""ControllerContext: what the active controller knows about the cluster.

Mirrors Kafka's `ControllerContext`.  Owned by the controller's event task alone (no locks, no
sharing): other tasks learn about it only through events and published snapshots.
Reset on resignation; rebuilt from ZooKeeper on failover.
"""

from __future__ import annotations

import base64
import uuid

import attrs

from zk.znodes import BrokerInfo, LeaderAndIsr

TopicPartition = tuple[str, int]


def topic_uuid(topic_id: str | None) -> uuid.UUID:
    """Kafka's base64 topic id (22 url-safe chars, KIP-516) as the wire's UUID."""
    if not topic_id:
        return uuid.UUID(int=0)
    return uuid.UUID(bytes=base64.urlsafe_b64decode(topic_id + "=="))


def topic_id_string(topic_id: uuid.UUID | None) -> str | None:
    """The wire UUID back in the znode's base64 form (None for no id)."""
    if topic_id is None or not topic_id.int:
        return None
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


@attrs.define(eq=False)
class ControllerContext:
    epoch: int = 0
    epoch_zk_version: int = 0
    #: broker id → (registration, broker epoch = czxid of its `/brokers/ids/<id>`, KIP-380)
    live_brokers: dict[int, tuple[BrokerInfo, int]] = attrs.Factory(dict)
    shutting_down_broker_ids: set[int] = attrs.Factory(set)
    all_topics: set[str] = attrs.Factory(set)
    topic_ids: dict[str, uuid.UUID] = attrs.Factory(dict)
    #: topic → partition → replicas (assignment order: the first is the preferred leader)
    partition_assignments: dict[str, dict[int, tuple[int, ...]]] = attrs.Factory(dict)
    #: the partition state znodes as last read or written (with their zkVersion)
    partition_leadership: dict[TopicPartition, LeaderAndIsr] = attrs.Factory(dict)
    topics_to_be_deleted: set[str] = attrs.Factory(set)
    #: topic → replicas (tp, broker) whose StopReplica(delete) has not succeeded yet
    deletion_pending: dict[str, set[tuple[TopicPartition, int]]] = attrs.Factory(dict)

    @property
    def live_broker_ids(self) -> frozenset[int]:
        """Brokers that may lead or join an ISR: registered and not shutting down (Kafka's
        `liveBrokerIds`); requests still go to shutting-down brokers (`live_brokers`)."""
        return frozenset(self.live_brokers) - frozenset(self.shutting_down_broker_ids)

    def live_or_shutting_down_broker_ids(self) -> frozenset[int]:
        return frozenset(self.live_brokers) | frozenset(self.shutting_down_broker_ids)

    def broker_epoch(self, broker_id: int) -> int | None:
        entry = self.live_brokers.get(broker_id)
        return entry[1] if entry else None

    def replicas(self, tp: TopicPartition) -> tuple[int, ...]:
        return self.partition_assignments.get(tp[0], {}).get(tp[1], ())

    def all_partitions(self) -> list[TopicPartition]:
        return [(t, p) for t, ps in self.partition_assignments.items() for p in sorted(ps)]

    def partitions_for_topic(self, topic: str) -> list[TopicPartition]:
        return [(topic, p) for p in sorted(self.partition_assignments.get(topic, {}))]

    def partitions_on_broker(self, broker_id: int) -> list[TopicPartition]:
        return [tp for tp in self.all_partitions() if broker_id in self.replicas(tp)]

    def partitions_led_by(self, broker_id: int) -> list[TopicPartition]:
        return [tp for tp, li in self.partition_leadership.items() if li.leader == broker_id]

    def remove_topic(self, topic: str) -> None:
        self.all_topics.discard(topic)
        self.topic_ids.pop(topic, None)
        for p in self.partition_assignments.pop(topic, {}):
            self.partition_leadership.pop((topic, p), None)
        self.topics_to_be_deleted.discard(topic)
        self.deletion_pending.pop(topic, None)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]
