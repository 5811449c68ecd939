"""The ZooKeeper side of the admin APIs, mirroring Kafka 2.8's ``kafka.zk.AdminZkClient``.

Config entities (``AdminZkClient.changeEntityConfig``): a change writes the COMPLETE override
set of ``/config/<type>/<name>`` (``{"version":1,"config":{...}}``), then creates the persistent
sequential ``/config/changes/config_change_<seq>`` holding ``{"version":2,"entity_path":
"<type>/<name>"}``. Every broker's DynamicConfigManager watches ``/config/changes``, re-reads the
entity and applies it. The two writes are not atomic, as in Kafka: if we are cancelled or fail
between them the entity znode holds the new overrides but no broker is told until the next
notification or restart, when every broker reloads all topic configs.

Topics: creation writes ``/config/topics/<t>`` (always, even empty) and then creates
``/brokers/topics/<t>`` (v3 JSON with a fresh ``topic_id``, KIP-516); the controller's child watch
on ``/brokers/topics`` does the rest. Deletion only creates ``/admin/delete_topics/<t>``.
Adding partitions rewrites the whole assignment, conditionally on the znode's zkVersion (Kafka
writes it unconditionally; a version check lets two concurrent requests not lose one another's
partitions: the loser re-reads and re-validates).

Topic names need no sanitising; broker entities are the id or ``<default>`` (KIP-226). User and
client names must already be sanitised (URL-encoded) by the caller, as in Kafka.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence

import attrs

from kafka_clone.common import topic as topic_rules
from kafka_clone.common.topic_config import validate_topic_config
from kafka_clone.protocol.errors import (
    InvalidTopicException, ReassignmentInProgress, TopicAlreadyExists, UnknownTopicOrPartition,
)
from zk.admin import (
    AdminError, AdminOperationError, BrokerMetadata, create_new_partitions_assignment, validate_replica_assignment,
)
from zk.client import BadVersionError, NodeExistsError, NoNodeError, ZkClient
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import (
    CONFIG_TYPES, ClusterIdZNode, ConfigEntityChangeNotificationSequenceZNode, ConfigEntityChangeNotificationZNode,
    ConfigEntityTypeZNode, ConfigEntityZNode, DeleteTopicsTopicZNode, TopicAssignment, TopicsZNode, TopicZNode,
)

__all__ = [
    "AdminZkClient", "TopicExistsError", "TopicAlreadyMarkedForDeletionError", "DEFAULT_ENTITY",
    "TOPIC", "BROKER",
]

log = logging.getLogger(__name__)

#: ``ConfigEntityName.Default``: the cluster-wide default entity (KIP-226 broker defaults, quotas).
DEFAULT_ENTITY = "<default>"
TOPIC = "topics"
BROKER = "brokers"

#: How often ``add_partitions`` re-reads after losing a race on the topic znode's zkVersion.
_ADD_PARTITIONS_ATTEMPTS = 5


class TopicExistsError(TopicAlreadyExists):
    """Kafka's ``TopicExistsException`` (TOPIC_ALREADY_EXISTS, 36)."""


class TopicAlreadyMarkedForDeletionError(AdminError):
    """``/admin/delete_topics/<t>`` already exists; DeleteTopics treats it as success."""


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


@attrs.define(eq=False)
class AdminZkClient:
    """Admin operations on ZooKeeper; stateless apart from the session it borrows."""

    zk_client: KafkaZkClient

    @property
    def zk(self) -> ZkClient:
        return self.zk_client.zk

    async def _create_recursive(self, path: str, data: bytes | None = None) -> None:
        """Kafka's ``createRecursive``: create ``path``, making missing parents with null data."""
        try:
            await self.zk.create(path, data)
        except NoNodeError:
            await self.zk.ensure_path(_parent(path))
            await self.zk.create(path, data)

    # ------------------------------------------------------------------ config entities

    async def fetch_entity_config(self, entity_type: str, name: str) -> dict[str, str]:
        """The overrides in ``/config/<type>/<name>``; ``{}`` when the znode does not exist."""
        got = await self.zk.get_or_none(ConfigEntityZNode.path(entity_type, name))
        return {} if got is None else ConfigEntityZNode.decode(got[0])

    async def fetch_all_entity_configs(self, entity_type: str) -> dict[str, dict[str, str]]:
        """Every entity of a type with its overrides (``fetchAllEntityConfigs``)."""
        names = await self.zk.get_children_or_empty(ConfigEntityTypeZNode.path(entity_type))
        return {name: await self.fetch_entity_config(entity_type, name) for name in sorted(names)}

    async def set_or_create_entity_config(self, entity_type: str, name: str, configs: Mapping[str, str]) -> None:
        """``KafkaZkClient.setOrCreateEntityConfigs``: overwrite the znode, creating it if absent."""
        path = ConfigEntityZNode.path(entity_type, name)
        data = ConfigEntityZNode.encode(configs)
        try:
            await self.zk.set(path, data)
        except NoNodeError:
            try:
                await self._create_recursive(path, data)
            except NodeExistsError:
                await self.zk.set(path, data)

    async def create_config_change_notification(self, entity_path: str) -> str:
        """Create ``/config/changes/config_change_<seq>``; return the path ZooKeeper assigned."""
        await self.zk.ensure_path(ConfigEntityChangeNotificationZNode.path())
        return await self.zk.create(
            ConfigEntityChangeNotificationSequenceZNode.create_path(),
            ConfigEntityChangeNotificationSequenceZNode.encode(entity_path),
            sequence=True,
        )

    async def change_entity_config(self, entity_type: str, name: str, configs: Mapping[str, str]) -> None:
        """``changeEntityConfig`` without validation: store the full set, then notify every broker."""
        if entity_type not in CONFIG_TYPES:
            raise ValueError(f"{entity_type} is not a known entityType. Should be one of {', '.join(CONFIG_TYPES)}")
        await self.set_or_create_entity_config(entity_type, name, configs)
        await self.create_config_change_notification(f"{entity_type}/{name}")

    async def validate_topic_config(self, topic: str, configs: Mapping[str, str]) -> None:
        """``validateTopicConfig``: a legal, existing topic and valid overrides."""
        _validate_topic_name(topic)
        if not await self.topic_exists(topic):
            raise UnknownTopicOrPartition(f"Topic '{topic}' does not exist.")
        validate_topic_config(configs)

    async def change_topic_config(self, topic: str, configs: Mapping[str, str]) -> None:
        """Replace the topic's overrides with ``configs`` (the complete set) and notify the brokers.

        Raises InvalidConfig / InvalidConfigValue (40), UnknownTopicOrPartition (3) or
        InvalidTopicException (17) before writing anything.
        """
        await self.validate_topic_config(topic, configs)
        await self.change_entity_config(TOPIC, topic, configs)

    async def change_broker_config(self, broker_id: int | None, configs: Mapping[str, str]) -> None:
        """Store dynamic broker configs for one broker, or the cluster default when ``broker_id`` is None.

        Nothing is checked here: which broker configs exist, their types and whether they may
        change dynamically are the broker's knowledge (``kafka_clone/server/dynamic_broker_config.py``,
        Kafka's ``DynamicBrokerConfig.validate``), and the caller validates before storing. This
        keeps ``zk`` below the server. Topic configs, by contrast, are validated here against the
        one table in ``kafka_clone/common/topic_config.py``, as Kafka's AdminZkClient uses LogConfig.
        """
        await self.change_entity_config(BROKER, DEFAULT_ENTITY if broker_id is None else str(broker_id), configs)

    # ------------------------------------------------------------------ topics

    async def topic_exists(self, topic: str) -> bool:
        return await self.zk.exists(TopicZNode.path(topic)) is not None

    async def get_all_topics(self) -> list[str]:
        return sorted(await self.zk.get_children_or_empty(TopicsZNode.path()))

    async def is_topic_marked_for_deletion(self, topic: str) -> bool:
        return await self.zk.exists(DeleteTopicsTopicZNode.path(topic)) is not None

    async def get_topic_assignment(self, topic: str) -> tuple[TopicAssignment, int] | None:
        """The topic's assignment and the znode's zkVersion, or None if the topic does not exist."""
        got = await self.zk.get_or_none(TopicZNode.path(topic))
        if got is None:
            return None
        return TopicZNode.decode(topic, got[0]), got[1].version

    async def validate_topic_create(self, topic: str, assignment: Mapping[int, Sequence[int]],
                                    config: Mapping[str, str]) -> None:
        """``validateTopicCreate``: name, existence, '.'/'_' collisions, assignment shape, configs."""
        _validate_topic_name(topic)
        if await self.is_topic_marked_for_deletion(topic):
            raise TopicExistsError(f"Topic '{topic}' is marked for deletion.")
        if await self.topic_exists(topic):
            raise TopicExistsError(f"Topic '{topic}' already exists.")
        if topic_rules.has_collision_chars(topic):
            all_topics = await self.get_all_topics()
            if topic in all_topics:
                raise TopicExistsError(f"Topic '{topic}' already exists.")
            colliding = topic_rules.colliding_topics(topic, all_topics)
            if colliding:
                raise InvalidTopicException(f"Topic '{topic}' collides with existing topics: {', '.join(colliding)}")
        validate_replica_assignment(assignment)
        validate_topic_config(config)

    async def create_topic_with_assignment(
        self, topic: str, config: Mapping[str, str], assignment: Mapping[int, Sequence[int]], *,
        topic_id: str | None = None, validate: bool = True,
    ) -> TopicAssignment:
        """Write ``/config/topics/<t>``, then create ``/brokers/topics/<t>``; return what was written.

        ``topic_id`` defaults to a fresh 22-character id (KIP-516). Raises TopicExistsError (36)
        if the topic znode already exists, even when validation passed a moment before (another
        broker won the race); the config znode written first is then the winner's or ours, as
        in Kafka. Validation errors: see ``validate_topic_create``.
        """
        if validate:
            await self.validate_topic_create(topic, assignment, config)
        written = TopicAssignment(
            {p: tuple(r) for p, r in assignment.items()},
            topic_id=topic_id if topic_id is not None else ClusterIdZNode.generate_cluster_id(),
        )
        log.info("Creating topic %s with configuration %s and initial partition assignment %s",
                 topic, dict(config), written.as_dict())
        await self.set_or_create_entity_config(TOPIC, topic, config)
        try:
            await self._create_recursive(TopicZNode.path(topic), TopicZNode.encode(written))
        except NodeExistsError:
            raise TopicExistsError(f"Topic '{topic}' already exists.") from None
        return written

    async def delete_topic(self, topic: str) -> None:
        """Mark ``topic`` for deletion by the controller (``/admin/delete_topics/<t>``, null data)."""
        if not await self.topic_exists(topic):
            raise UnknownTopicOrPartition(f"Topic `{topic}` to delete does not exist")
        try:
            await self._create_recursive(DeleteTopicsTopicZNode.path(topic))
        except NodeExistsError:
            raise TopicAlreadyMarkedForDeletionError(f"topic {topic} is already marked for deletion") from None

    async def create_partitions_with_assignment(
        self, topic: str, existing: TopicAssignment, zk_version: int, new_partitions: Mapping[int, Sequence[int]],
    ) -> TopicAssignment:
        """Write existing + new partitions to ``/brokers/topics/<t>`` if it is still at ``zk_version``.

        Keeps the topic id and any in-flight reassignment entries. Raises ``zk.client.BadVersionError``
        when the znode changed since it was read; nothing is written then.
        """
        combined = TopicAssignment(
            {**existing.as_dict(), **{p: tuple(r) for p, r in new_partitions.items()}},
            existing.adding_replicas, existing.removing_replicas, existing.topic_id,
        )
        log.info("Creating %d partitions for '%s' with the following replica assignment: %s.",
                 len(new_partitions), topic, dict(new_partitions))
        await self.zk.set(TopicZNode.path(topic), TopicZNode.encode(combined), version=zk_version)
        return combined

    async def add_partitions(
        self, topic: str, num_partitions: int, all_brokers: Sequence[BrokerMetadata],
        replica_assignment: Mapping[int, Sequence[int]] | None = None, *, validate_only: bool = False,
        rng: random.Random | None = None,
    ) -> TopicAssignment:
        """Grow ``topic`` to ``num_partitions`` (``AdminZkClient.addPartitions``); return the full assignment.

        ``replica_assignment`` gives the new partitions' replicas by partition id (validated against
        ``all_brokers``), else they are assigned like Kafka. Raises UnknownTopicOrPartition (3),
        ReassignmentInProgress (60) and the ``zk.admin`` errors (InvalidPartitionsError when
        ``num_partitions`` is no increase, ...). If another writer changes the topic in between, the
        assignment is re-read and re-checked, so a concurrent increase makes this one fail cleanly.
        """
        for _ in range(_ADD_PARTITIONS_ATTEMPTS):
            got = await self.get_topic_assignment(topic)
            if got is None:
                raise UnknownTopicOrPartition(f"The topic '{topic}' does not exist.")
            existing, version = got
            if existing.adding_replicas or existing.removing_replicas:
                raise ReassignmentInProgress(f"A partition reassignment is in progress for the topic '{topic}'.")
            new = create_new_partitions_assignment(
                topic, existing.as_dict(), all_brokers, num_partitions, replica_assignment, rng=rng)
            if validate_only:
                return TopicAssignment({**existing.as_dict(), **new}, topic_id=existing.topic_id)
            try:
                return await self.create_partitions_with_assignment(topic, existing, version, new)
            except BadVersionError:
                log.info("Topic %s changed while adding partitions; re-reading it", topic)
        raise AdminOperationError(f"Topic '{topic}' kept changing while adding partitions")


def _validate_topic_name(topic: str) -> None:
    try:
        topic_rules.validate(topic)
    except topic_rules.InvalidTopicError as exc:
        raise InvalidTopicException(str(exc)) from None

