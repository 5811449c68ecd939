"""DynamicConfigManager against a real ZooKeeper: startup load, ordered once-only processing,
a second broker seeing a change, listeners, bad znodes skipped, purging old notifications."""

from __future__ import annotations

import math
from contextlib import asynccontextmanager

import attrs
import pytest
import trio

from kafka_clone.log.clock import wall_clock_ms
from kafka_clone.log.log_config import LogConfig
from kafka_clone.server.config import KafkaConfig
from kafka_clone.server.dynamic_config_manager import CHANGE_EXPIRATION_MS, DynamicConfigManager
from zk.admin_zk_client import AdminZkClient
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient
from tests.zk.session import expire_session

pytestmark = [pytest.mark.zk]

DEADLINE_S = 20


@attrs.define(eq=False)
class FakeLogManager:
    """Our LogManager's config setters, reporting each call on a channel (topic None: new defaults)."""

    send: trio.MemorySendChannel
    receive: trio.MemoryReceiveChannel
    topic_configs: dict[str, LogConfig] = attrs.Factory(dict)

    @classmethod
    def create(cls) -> "FakeLogManager":
        return cls(*trio.open_memory_channel(math.inf))

    default_config: LogConfig | None = None

    def update_topic_config(self, topic: str, config: LogConfig) -> None:
        self.topic_configs[topic] = config
        self.send.send_nowait((topic, config))

    def reconfigure_default_log_config(self, default_config: LogConfig, topic_configs) -> None:
        self.default_config = default_config
        self.topic_configs = dict(topic_configs)
        self.send.send_nowait((None, default_config))

    def drain(self) -> None:
        while self.receive.statistics().current_buffer_used:
            self.receive.receive_nowait()

    async def next_update(self) -> tuple[str, LogConfig]:
        with trio.fail_after(DEADLINE_S):
            return await self.receive.receive()


def broker_config(zk_connect: str, **props: str) -> KafkaConfig:
    return KafkaConfig.from_properties({"zookeeper.connect": zk_connect, "log.dirs": "/unused", **props})


@asynccontextmanager
async def zk_session(zk_connect: str):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        kzk = KafkaZkClient(zk)
        await kzk.create_top_level_paths()
        yield kzk


@asynccontextmanager
async def running_manager(kzk: KafkaZkClient, config: KafkaConfig, **kw):
    log_manager = FakeLogManager.create()
    manager = DynamicConfigManager(kzk, config, log_manager, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(manager.run)
        yield manager, log_manager
        nursery.cancel_scope.cancel()


async def test_startup_applies_stored_topic_configs_over_broker_defaults(zk_connect):
    config = broker_config(zk_connect, **{"log.retention.hours": "1", "log.segment.bytes": "2048"})
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        await admin.create_topic_with_assignment("a", {"retention.ms": "500"}, {0: [1]})
        await admin.create_topic_with_assignment("b", {}, {0: [1]})
        async with running_manager(kzk, config) as (manager, log_manager):
            assert log_manager.topic_configs["a"].retention_ms == 500
            assert log_manager.topic_configs["a"].segment_bytes == 2048
            assert log_manager.topic_configs["b"].retention_ms == 3_600_000
            assert manager.topic_overrides == {"a": {"retention.ms": "500"}, "b": {}}


async def test_a_change_reaches_every_broker(zk_connect):
    config = broker_config(zk_connect)
    async with zk_session(zk_connect) as kzk1, zk_session(zk_connect) as kzk2:
        admin = AdminZkClient(kzk1)
        await admin.create_topic_with_assignment("t", {}, {0: [1, 2]})
        async with running_manager(kzk1, config) as (m1, lm1), running_manager(kzk2, config) as (m2, lm2):
            await lm1.next_update()
            await lm2.next_update()  # the startup load
            await admin.change_topic_config("t", {"cleanup.policy": "compact", "min.insync.replicas": "2"})
            for lm in (lm1, lm2):
                topic, log_config = await lm.next_update()
                assert topic == "t"
                assert log_config.cleanup_policy == ("compact",) and log_config.min_insync_replicas == 2
            assert m1.last_executed_change == m2.last_executed_change == 0


async def test_notifications_are_processed_in_order_once_and_reread_the_entity(zk_connect):
    config = broker_config(zk_connect)
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        for t in ("x", "y", "z"):
            await admin.create_topic_with_assignment(t, {}, {0: [1]})
        async with running_manager(kzk, config) as (manager, log_manager):
            for _ in range(3):
                await log_manager.next_update()
            seen = []
            manager.add_topic_config_listener(lambda topic, overrides: seen.append((topic, overrides)))
            await admin.change_topic_config("z", {"retention.ms": "1"})
            await admin.change_topic_config("x", {"retention.ms": "2"})
            await admin.change_topic_config("z", {"retention.ms": "3"})
            updates = [await log_manager.next_update() for _ in range(3)]
            # Each notification re-reads the entity: the first "z" may already see the later value.
            assert [t for t, _ in updates] == ["z", "x", "z"]
            assert updates[1][1].retention_ms == 2 and updates[2][1].retention_ms == 3
            assert seen[-1] == ("z", {"retention.ms": "3"})
            assert manager.last_executed_change == 2
            assert manager.statistics().notifications_processed == 3
        # A restarted broker processes every notification still present, as Kafka does.
        async with running_manager(kzk, config) as (manager, log_manager):
            assert manager.last_executed_change == 2
            assert log_manager.topic_configs["z"].retention_ms == 3


async def test_bad_znodes_are_skipped_and_later_changes_still_apply(zk_connect):
    config = broker_config(zk_connect)
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        await admin.create_topic_with_assignment("t", {}, {0: [1]})
        async with running_manager(kzk, config) as (manager, log_manager):
            await log_manager.next_update()
            await kzk.zk.create("/config/changes/config_change_", b"not json", sequence=True)
            # An override no broker would accept, written behind the admin client's back.
            await admin.change_entity_config("topics", "t", {"retention.ms": "soon"})
            await admin.change_entity_config("brokers", "<default>", {"log.cleaner.threads": "2"})
            await admin.change_topic_config("t", {"retention.ms": "7"})
            topic, log_config = await log_manager.next_update()
            assert (topic, log_config.retention_ms) == ("t", 7)
            assert manager.last_executed_change == 3
            assert manager.topic_overrides["t"] == {"retention.ms": "7"}


async def test_notifications_older_than_15_minutes_are_purged(zk_connect):
    config = broker_config(zk_connect)
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        await admin.create_topic_with_assignment("t", {}, {0: [1]})
        await admin.change_topic_config("t", {"retention.ms": "1"})
        await admin.change_topic_config("t", {"retention.ms": "2"})
        async with running_manager(kzk, config) as (manager, log_manager):
            # Recent notifications stay (other brokers may not have seen them yet).
            assert len(await kzk.zk.get_children("/config/changes")) == 2
        later = lambda: wall_clock_ms() + CHANGE_EXPIRATION_MS + 60_000  # noqa: E731
        async with running_manager(kzk, config, clock=later) as (manager, log_manager):
            assert log_manager.topic_configs["t"].retention_ms == 2
            assert await kzk.zk.get_children("/config/changes") == []
            assert manager.statistics().notifications_purged == 2
            # Sequence numbers keep growing after a purge; the next change is still seen.
            await admin.change_topic_config("t", {"retention.ms": "3"})
            while (await log_manager.next_update())[1].retention_ms != 3:
                pass
            assert manager.last_executed_change == 2


async def test_changes_are_seen_after_the_session_expires(zk_connect):
    from zk.client import StateChangeHandler

    config = broker_config(zk_connect)
    async with ZkClient.open(zk_connect, session_timeout_ms=2000) as zk, zk_session(zk_connect) as other:
        kzk = KafkaZkClient(zk)
        admin = AdminZkClient(other)
        await admin.create_topic_with_assignment("t", {}, {0: [1]})
        async with running_manager(kzk, config) as (manager, log_manager):
            await log_manager.next_update()
            renewed = trio.Event()
            zk.register_state_change_handler(StateChangeHandler("test", after_initializing_session=renewed.set))
            await expire_session(zk)
            with trio.fail_after(DEADLINE_S):
                await renewed.wait()
            # The old session's watch is gone; the new session's re-read armed a new one.
            await admin.change_topic_config("t", {"retention.ms": "42"})
            topic, log_config = await log_manager.next_update()
            assert (topic, log_config.retention_ms) == ("t", 42)


async def next_defaults(log_manager: FakeLogManager) -> LogConfig:
    while True:
        topic, config = await log_manager.next_update()
        if topic is None:
            return config


async def test_dynamic_broker_log_defaults_apply_to_topics_without_their_own_override(zk_connect):
    """KIP-226: topic override > /config/brokers/<id> > /config/brokers/<default> > server.properties."""
    config = broker_config(zk_connect, **{"broker.id": "1", "log.retention.hours": "1", "log.segment.bytes": "2048"})
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        await admin.create_topic_with_assignment("own", {"retention.ms": "500"}, {0: [1]})
        await admin.create_topic_with_assignment("plain", {}, {0: [1]})
        await admin.change_broker_config(None, {"log.retention.ms": "1000"})
        async with running_manager(kzk, config) as (manager, log_manager):
            # Applied at start, before the topics: every topic config is built on the dynamic defaults.
            assert log_manager.default_config.retention_ms == 1000
            assert log_manager.topic_configs["plain"].retention_ms == 1000
            assert log_manager.topic_configs["own"].retention_ms == 500
            assert manager.current_config["log.segment.bytes"] == 2048
            log_manager.drain()

            await admin.change_broker_config(None, {"log.retention.ms": "1000", "log.segment.bytes": "4096",
                                                    "compression.type": "gzip", "min.insync.replicas": "2"})
            await admin.change_broker_config(1, {"log.retention.ms": "2000", "log.cleanup.policy": "compact"})
            await next_defaults(log_manager)
            defaults = await next_defaults(log_manager)
            assert (defaults.retention_ms, defaults.segment_bytes, defaults.cleanup_policy) == (2000, 4096, ("compact",))
            plain, own = log_manager.topic_configs["plain"], log_manager.topic_configs["own"]
            assert (plain.retention_ms, plain.segment_bytes, plain.compression_type, plain.min_insync_replicas) == (
                2000, 4096, "gzip", 2)
            assert (own.retention_ms, own.segment_bytes, own.compression_type, own.cleanup_policy) == (
                500, 4096, "gzip", ("compact",))

            # Another broker's entity changes nothing here; removing ours falls back to the default.
            await admin.change_broker_config(2, {"log.retention.ms": "9"})
            await admin.change_broker_config(1, {})
            defaults = await next_defaults(log_manager)
            assert (defaults.retention_ms, defaults.cleanup_policy) == (1000, ("delete",))
            assert manager.last_executed_change == 4
            assert log_manager.topic_configs["plain"].retention_ms == 1000


async def test_unusable_dynamic_broker_configs_are_ignored(zk_connect):
    config = broker_config(zk_connect, **{"broker.id": "1"})
    async with zk_session(zk_connect) as kzk:
        admin = AdminZkClient(kzk)
        await admin.create_topic_with_assignment("t", {}, {0: [1]})
        async with running_manager(kzk, config) as (manager, log_manager):
            # Written behind the admin API's back: a static config, a bad value, a per-broker-only
            # config at the default level. Each is dropped; the valid entry still applies.
            await admin.change_entity_config("brokers", "<default>", {
                "broker.id": "5", "log.segment.bytes": "x", "listeners": "PLAINTEXT://:1", "log.roll.ms": "60000"})
            defaults = await next_defaults(log_manager)
            assert defaults.segment_ms == 60000 and defaults.segment_bytes == 1024 ** 3
            assert manager.current_config.broker_id == 1
            assert manager.dynamic_broker_config.default_configs == {"log.roll.ms": "60000"}
