"""ZkAdminManager: CreateTopics, DeleteTopics, CreatePartitions and topic auto-creation.

Mirrors Kafka 2.8's `server/ZkAdminManager.scala`.  A broker does not create a topic itself: it
validates the request, computes the replica assignment with `AdminUtils.assignReplicasToBrokers`
over the live brokers it knows, and writes `/config/topics/<t>` and `/brokers/topics/<t>` to
ZooKeeper.  The controller sees the new znode, elects leaders and tells every broker through
UpdateMetadata; the request waits for that (Kafka's DelayedCreatePartitions) up to its timeout.
Deletion only writes `/admin/delete_topics/<t>`; the controller does the rest.

Errors are Kafka's, per topic, with Kafka's messages (`Topic 'x' already exists.`,
`Replication factor: 4 larger than available brokers: 3.`).
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping

import attrs
import trio

from kafka_clone.common import topic as topic_rules
from kafka_clone.protocol.errors import (
    InvalidPartitions, InvalidReplicaAssignment, InvalidReplicationFactor, InvalidRequest,
    InvalidTopicException, KafkaError, RequestTimedOut, TopicAlreadyExists, UnknownTopicOrPartition,
)
from kafka_clone.server import topic_configs
from zk import admin as assignment_rules
from zk.admin_zk_client import TopicAlreadyMarkedForDeletionError

log = logging.getLogger(__name__)

_ADMIN_ERRORS: dict[type[Exception], type[KafkaError]] = {
    assignment_rules.InvalidPartitionsError: InvalidPartitions,
    assignment_rules.InvalidReplicationFactorError: InvalidReplicationFactor,
    assignment_rules.InvalidReplicaAssignmentError: InvalidReplicaAssignment,
    assignment_rules.BrokerNotAvailableError: InvalidReplicaAssignment,
    assignment_rules.AdminOperationError: InvalidReplicaAssignment,
}


def as_kafka_error(exc: Exception) -> KafkaError:
    if isinstance(exc, KafkaError):
        return exc
    for kind, error in _ADMIN_ERRORS.items():
        if isinstance(exc, kind):
            return error(str(exc))
    if isinstance(exc, topic_rules.InvalidTopicError):
        return InvalidTopicException(str(exc))
    raise exc


@attrs.frozen
class TopicCreation:
    """A validated request to create one topic."""

    name: str
    assignment: Mapping[int, tuple[int, ...]]
    configs: Mapping[str, str]


@attrs.define(eq=False)
class ZkAdminManager:
    broker: object  # KafkaServer: config, metadata_cache, admin_zk_client, wait_metadata_change()

    # ---- create ----

    def plan_topic(self, name: str, num_partitions: int, replication_factor: int,
                   assignments: Mapping[int, tuple[int, ...]], configs: Mapping[str, str]) -> TopicCreation:
        """Validate one topic and compute its assignment; raises a KafkaError."""
        cfg = self.broker.config
        cache = self.broker.metadata_cache
        try:
            topic_rules.validate(name)
        except topic_rules.InvalidTopicError as exc:
            raise InvalidTopicException(str(exc)) from None
        if cache.contains_topic(name):
            raise TopicAlreadyExists(f"Topic '{name}' already exists.")
        colliding = topic_rules.colliding_topics(name, cache.all_topics())
        if colliding:
            raise InvalidTopicException(f"Topic '{name}' collides with existing topics: {', '.join(colliding)}")
        if assignments and (num_partitions != -1 or replication_factor != -1):
            raise InvalidRequest("Both numPartitions or replicationFactor and replicasAssignments were set. "
                                 "Both cannot be used at the same time.")
        topic_configs.validate_topic_config(configs)
        brokers = assignment_rules.broker_metadatas(
            assignment_rules.BrokerMetadata(b, self._rack(b)) for b in cache.alive_broker_ids())
        try:
            if assignments:
                assignment_rules.validate_replica_assignment(assignments)
                missing = {b for r in assignments.values() for b in r} - {b.id for b in brokers}
                if missing:
                    raise InvalidReplicaAssignment(
                        f"Unknown broker(s) in replica assignment: {', '.join(map(str, sorted(missing)))}.")
                assignment = {p: tuple(r) for p, r in assignments.items()}
            else:
                # KIP-464 (v4+): -1 means "the broker's default".
                n = cfg["num.partitions"] if num_partitions == -1 else num_partitions
                rf = cfg["default.replication.factor"] if replication_factor == -1 else replication_factor
                assignment = assignment_rules.assign_replicas_to_brokers(brokers, n, rf)
        except Exception as exc:
            raise as_kafka_error(exc) from None
        return TopicCreation(name, assignment, dict(configs))

    def _rack(self, broker_id: int) -> str | None:
        b = self.broker.metadata_cache.snapshot.brokers.get(broker_id)
        return b.rack if b else None

    async def create_topic(self, creation: TopicCreation) -> None:
        """Write the topic to ZooKeeper (TopicExistsError, a TOPIC_ALREADY_EXISTS, if we lost a race)."""
        try:
            await self.broker.admin_zk_client.create_topic_with_assignment(
                creation.name, creation.configs, creation.assignment)
        except Exception as exc:
            raise as_kafka_error(exc) from None

    async def auto_create_topic(self, name: str) -> None:
        """Metadata's auto-creation: the broker defaults, no overrides (Kafka's createTopic)."""
        await self.create_topic(self.plan_topic(name, -1, -1, {}, {}))

    # ---- grow ----

    async def create_partitions(self, name: str, count: int, assignments: list[tuple[int, ...]] | None,
                                *, validate_only: bool) -> None:
        """Kafka's createPartitions: new partitions continue the existing round-robin."""
        cache = self.broker.metadata_cache
        current = cache.num_partitions(name)
        if current is None:
            raise UnknownTopicOrPartition(f"The topic '{name}' does not exist.")
        if assignments is not None and len(assignments) != count - current:
            raise InvalidReplicaAssignment(
                f"Increasing the number of partitions by {count - current} but {len(assignments)} "
                f"assignments provided.")
        brokers = assignment_rules.broker_metadatas(
            assignment_rules.BrokerMetadata(b, self._rack(b)) for b in cache.alive_broker_ids())
        try:
            await self.broker.admin_zk_client.add_partitions(
                name, count, brokers,
                None if assignments is None else {current + i: r for i, r in enumerate(assignments)},
                validate_only=validate_only)
        except Exception as exc:
            raise as_kafka_error(exc) from None

    # ---- delete ----

    async def delete_topic(self, name: str) -> None:
        if not self.broker.metadata_cache.contains_topic(name):
            raise UnknownTopicOrPartition("This server does not host this topic-partition.")
        try:
            await self.broker.admin_zk_client.delete_topic(name)
        except TopicAlreadyMarkedForDeletionError:
            pass  # as Kafka: the request then simply waits for the deletion already under way

    # ---- waiting for the controller ----

    async def wait_for(self, done: Callable[[], bool], timeout_ms: int) -> bool:
        """Wait until `done()` holds after some UpdateMetadata, or the timeout; the final answer."""
        with trio.move_on_after(max(timeout_ms, 0) / 1000):
            while not done():
                await self.broker.wait_metadata_change()
        return done()

    def has_leaders(self, name: str, partitions: int) -> bool:
        cache = self.broker.metadata_cache
        return all((info := cache.get_partition_info(name, p)) is not None and info.leader >= 0
                   for p in range(partitions))


def timed_out(what: str) -> RequestTimedOut:
    return RequestTimedOut(f"Timed out waiting for {what}.")
