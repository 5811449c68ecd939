"""Every broker's listener for config changes, mirroring Kafka 2.8's ``DynamicConfigManager``
and the ``ZkNodeChangeNotificationListener`` it runs on ``/config/changes``.

A writer (``zk/admin_zk_client.py``) stores an entity's complete overrides in
``/config/<type>/<name>`` and then creates ``/config/changes/config_change_<seq>`` naming it.
Here, one trio task:

1. at start, applies the stored overrides of every topic (so a restarted broker has them), then
   processes every existing notification, as Kafka does on startup;
2. waits for the child watch on ``/config/changes`` (or a new ZooKeeper session, which loses
   watches) and processes the notifications with a sequence number above the last one processed,
   in sequence order, each exactly once per broker lifetime;
3. after each pass, deletes notifications whose ctime is more than 15 minutes old (Kafka's
   ``changeExpirationMs``): every broker purges, deleting an already deleted one is fine.

Processing a notification re-reads the entity znode (a notification is only a pointer, and the
entity may have changed again since). Topics: the effective ``LogConfig`` (broker log defaults +
overrides) goes to ``LogManager.update_topic_config`` and every registered listener is told the
topic's overrides (the controller wants ``unclean.leader.election.enable``).

Broker entities (KIP-226, Kafka's ``BrokerConfigHandler``): ``<default>`` and this broker's id
update the ``DynamicBrokerConfig`` (static < cluster default < per-broker). When the log defaults
derived from it change (``DynamicLogConfig.reconfigure``), the LogManager gets the new defaults
and every topic's config rebuilt from them and the topic's own overrides, so a topic override
still wins and every other value follows the new default. At start the broker entities are
applied before the topics, as Kafka initialises its dynamic config before loading topic configs.
Every broker entity is also handed to the broker config listeners (the replication throttle
rates). Other entity types (quotas, SCRAM) are not implemented. A notification or override that
cannot be read or parsed is logged and skipped, as Kafka's ``processNotification`` does, so one
bad znode never stops the listener.

The watch callback only sets an Event; all ZooKeeper reads happen in the task. Cancelling the task
leaves ZooKeeper untouched apart from notifications already purged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import attrs
import trio

from kafka_clone.log.clock import Clock, wall_clock_ms
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol.errors import KafkaError
from kafka_clone.server.config import ConfigError, KafkaConfig
from kafka_clone.server.dynamic_broker_config import DynamicBrokerConfig
from kafka_clone.server.topic_configs import broker_log_defaults, effective_log_config, to_log_config
from zk.admin_zk_client import BROKER, TOPIC, AdminZkClient
from zk.client import NoNodeError, StateChangeHandler, ZkError, ZNodeChildChangeHandler
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import ConfigEntityChangeNotificationSequenceZNode, ConfigEntityChangeNotificationZNode, ZNodeDecodeError

__all__ = ["DynamicConfigManager", "TopicConfigListener", "CHANGE_EXPIRATION_MS"]

log = logging.getLogger(__name__)

#: ``ZkNodeChangeNotificationListener``'s default ``changeExpirationMs``: 15 minutes.
CHANGE_EXPIRATION_MS = 15 * 60 * 1000

#: Back-off before re-reading after a ZooKeeper error.
_RETRY_BACKOFF_S = 0.5

#: Called with (topic, its overrides) after every applied topic change; must not block.
TopicConfigListener = Callable[[str, Mapping[str, str]], None]


class TopicConfigSink(Protocol):
    """What the manager needs from ``LogManager``."""

    def update_topic_config(self, topic: str, config: LogConfig) -> None: ...

    def reconfigure_default_log_config(self, default_config: LogConfig,
                                       topic_configs: Mapping[str, LogConfig]) -> None: ...


@attrs.frozen
class DynamicConfigStatistics:
    last_executed_change: int
    notifications_processed: int
    notifications_purged: int
    topics_with_overrides: int


@attrs.define(eq=False)
class DynamicConfigManager:
    """Applies config changes from ZooKeeper; start with ``await nursery.start(manager.run)``."""

    zk_client: KafkaZkClient
    config: KafkaConfig
    log_manager: TopicConfigSink
    clock: Clock = wall_clock_ms
    change_expiration_ms: int = CHANGE_EXPIRATION_MS
    #: This broker's id when ``broker.id`` was generated at start; None means ``config``'s.
    broker_id: int | None = None
    #: Sequence number of the last notification processed; -1 before the first.
    last_executed_change: int = -1
    #: The overrides last applied per topic (what ``/config/topics/<t>`` said).
    topic_overrides: dict[str, dict[str, str]] = attrs.Factory(dict)
    _listeners: list[TopicConfigListener] = attrs.Factory(list)
    _broker_listeners: list[Callable[[str, dict[str, str]], None]] = attrs.Factory(list)
    _wakeup: trio.Event = attrs.Factory(trio.Event)
    #: The broker's current config: ``config`` overlaid with the dynamic broker configs.
    dynamic_broker_config: DynamicBrokerConfig = attrs.field(init=False)
    #: The topic defaults derived from the current config (``broker_log_defaults``).
    _defaults: dict[str, Any] = attrs.Factory(dict)
    _processed: int = 0
    _purged: int = 0

    def __attrs_post_init__(self) -> None:
        broker_id = self.config.broker_id if self.broker_id is None else self.broker_id
        self.dynamic_broker_config = DynamicBrokerConfig(self.config, broker_id)
        self._defaults = broker_log_defaults(self.config)

    @property
    def current_config(self) -> KafkaConfig:
        return self.dynamic_broker_config.current

    @property
    def admin_zk_client(self) -> AdminZkClient:
        return AdminZkClient(self.zk_client)

    def add_broker_config_listener(self, listener: Callable[[str, dict[str, str]], None]) -> None:
        """Register ``listener(entity, overrides)`` for `/config/brokers/<id>` and `<default>`."""
        self._broker_listeners.append(listener)

    def add_topic_config_listener(self, listener: TopicConfigListener) -> None:
        """Register ``listener(topic, overrides)``; it runs in this task and must not block."""
        self._listeners.append(listener)

    def statistics(self) -> DynamicConfigStatistics:
        return DynamicConfigStatistics(self.last_executed_change, self._processed, self._purged,
                                       sum(1 for o in self.topic_overrides.values() if o))

    # ------------------------------------------------------------------ the task

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Load every topic's overrides, process pending notifications, report started, then follow
        ``/config/changes`` until cancelled."""
        zk = self.zk_client.zk
        path = ConfigEntityChangeNotificationZNode.path()
        handler_name = f"config-change-listener-{id(self):x}"
        zk.register_znode_child_change_handler(ZNodeChildChangeHandler(path, self._wake))
        # A new session has lost our watch: read again, which also re-arms it.
        zk.register_state_change_handler(StateChangeHandler(handler_name, after_initializing_session=self._wake))
        try:
            await zk.ensure_path(path)
            await self._load_all_topic_configs()
            await self._process_notifications()
            task_status.started()
            while True:
                await self._wakeup.wait()
                try:
                    await self._process_notifications()
                except ZkError as exc:
                    # Kafka retries until connected. The watch was not re-armed, so try again once
                    # the session is back; the short pause is a back-off after a failure, not polling.
                    log.warning("Error while processing notification change for path = %s: %r", path, exc)
                    self._wakeup.set()
                    await zk.wait_connected()
                    await trio.sleep(_RETRY_BACKOFF_S)
        finally:
            zk.unregister_znode_child_change_handler(path)
            zk.unregister_state_change_handler(handler_name)

    def _wake(self) -> None:
        self._wakeup.set()

    async def _load_all_topic_configs(self) -> None:
        brokers = await self.admin_zk_client.fetch_all_entity_configs(BROKER)
        topics = await self.admin_zk_client.fetch_all_entity_configs(TOPIC)
        # Both read first, then applied without a checkpoint in between: no task sees the logs
        # with the new defaults but not yet their topics' overrides.
        for entity, overrides in brokers.items():
            self._apply_broker(entity, overrides)
        for topic, overrides in topics.items():
            self._apply_topic(topic, overrides)

    def _apply_broker(self, entity: str, overrides: dict[str, str]) -> None:
        """``BrokerConfigHandler.processConfigChanges``: update the dynamic broker config, apply
        new log defaults to the logs, then tell the listeners (the replication throttle rates)."""
        if self.dynamic_broker_config.update(entity, overrides):
            log.info("Processing override for entityPath: brokers/%s with config: %s", entity, overrides)
            self._reconfigure_log_defaults()
        for listener in self._broker_listeners:
            listener(entity, dict(overrides))

    def _reconfigure_log_defaults(self) -> None:
        """``DynamicLogConfig.reconfigure``: new defaults, and each topic's config rebuilt from
        them plus its own overrides (``updateLogsConfig``), so an override keeps winning."""
        try:
            defaults = broker_log_defaults(self.current_config)
        except ConfigError as exc:
            log.error("The dynamic log defaults could not be applied, keeping the current ones: %s", exc)
            return
        if defaults == self._defaults:
            return
        changed = sorted(name for name, value in defaults.items() if self._defaults.get(name) != value)
        log.info("Reconfiguring the log defaults: %s", {name: defaults[name] for name in changed})
        self._defaults = defaults
        self.log_manager.reconfigure_default_log_config(
            to_log_config(defaults),
            {topic: effective_log_config(defaults, overrides) for topic, overrides in self.topic_overrides.items()})

    async def _process_notifications(self) -> None:
        """One pass of ``ZkNodeChangeNotificationListener.processNotifications``.

        The Event is replaced before reading the children, so a change landing during the pass
        wakes the next one; reading with ``watch=True`` re-arms the one-shot watch.
        """
        self._wakeup = trio.Event()
        zk = self.zk_client.zk
        try:
            children = await zk.get_children(ConfigEntityChangeNotificationZNode.path(), watch=True)
        except NoNodeError:
            log.warning("%s does not exist", ConfigEntityChangeNotificationZNode.path())
            return
        notifications = sorted(c for c in children if c.startswith(
            ConfigEntityChangeNotificationSequenceZNode.SEQUENCE_NUMBER_PREFIX))
        if not notifications:
            return
        now = self.clock()
        for name in notifications:
            change_id = _change_number(name)
            if change_id > self.last_executed_change:
                await self._process_notification(name)
                self.last_executed_change = change_id
                self._processed += 1
        await self._purge_obsolete_notifications(now, notifications)

    async def _process_notification(self, name: str) -> None:
        path = f"{ConfigEntityChangeNotificationZNode.path()}/{name}"
        got = await self.zk_client.zk.get_or_none(path)
        if got is None or got[0] is None:
            log.warning("read null data from %s", path)
            return
        try:
            entity_path = ConfigEntityChangeNotificationSequenceZNode.decode(got[0])
            entity_type, entity_name = entity_path.split("/", 1)
            overrides = await self.admin_zk_client.fetch_entity_config(entity_type, entity_name)
        except (ZNodeDecodeError, ZkError, ValueError) as exc:
            log.error("error processing change notification %r from %s: %s", got[0], path, exc)
            return
        if entity_type == TOPIC:
            self._apply_topic(entity_name, overrides)
        elif entity_type == BROKER:
            self._apply_broker(entity_name, overrides)
        else:
            log.info("Stored %s config for %s noted; %s configs are not applied dynamically by kafka-clone",
                     entity_type, entity_name, entity_type)

    async def load_topic_configs(self, topics: Iterable[str]) -> None:
        """Read topics' overrides from ``/config/topics/<t>`` now, for logs about to be created.

        Kafka reads a topic's config from ZooKeeper whenever it creates one of its logs
        (``ReplicaManager.fetchLogConfig`` via ``Partition.createLogIfNotExists``): a topic created
        after start-up has its overrides there, but CreateTopics writes no change notification.
        """
        for topic in topics:
            try:
                overrides = await self.admin_zk_client.fetch_entity_config(TOPIC, topic)
            except ZkError as exc:
                log.error("Could not read the config of topic %s, its new logs use the current one: %r", topic, exc)
                continue
            self._apply_topic(topic, overrides)

    def _apply_topic(self, topic: str, overrides: dict[str, str]) -> None:
        """Kafka's ``TopicConfigHandler.processConfigChanges``."""
        try:
            config = effective_log_config(self._defaults, overrides)
        except KafkaError as exc:
            log.error("Invalid config for topic %s in ZooKeeper, keeping the current one: %s", topic, exc)
            return
        log.info("Processing override for entityPath: topics/%s with config: %s", topic, overrides)
        self.topic_overrides[topic] = dict(overrides)
        self.log_manager.update_topic_config(topic, config)
        for listener in list(self._listeners):
            listener(topic, dict(overrides))

    async def _purge_obsolete_notifications(self, now: int, notifications: list[str]) -> None:
        zk = self.zk_client.zk
        for name in notifications:
            path = f"{ConfigEntityChangeNotificationZNode.path()}/{name}"
            got = await zk.get_or_none(path)
            if got is None or now - got[1].ctime <= self.change_expiration_ms:
                continue
            log.debug("Purging change notification %s", path)
            try:
                await zk.delete(path)
                self._purged += 1
            except NoNodeError:
                pass  # another broker purged it first


def _change_number(name: str) -> int:
    return int(ConfigEntityChangeNotificationSequenceZNode.sequence_number(name))
