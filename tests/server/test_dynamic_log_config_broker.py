"""Dynamic broker log defaults (KIP-226) on a real in-process broker: AlterConfigs on
``/config/brokers/<default>`` and ``/config/brokers/<id>`` reach the logs of every topic without
its own override, and DescribeConfigs says where each value comes from."""

from __future__ import annotations

import os

import pytest
import trio

from kafka_clone.client.admin import (
    AlterConfigOp, ConfigResource, ConfigResourceType, ConfigSource, KafkaAdminClient, NewTopic,
)
from kafka_clone.client.producer import KafkaProducer
from kafka_clone.protocol import records as rec
from kafka_clone.server.broker import KafkaServer

pytestmark = [pytest.mark.zk, pytest.mark.cluster]

DEADLINE_S = 60
HOUR_MS = 3_600_000
DEFAULT = ConfigResource(ConfigResourceType.BROKER, "")


async def eventually(predicate) -> None:
    """Wait for work of other tasks (the broker's config listener), with a deadline."""
    with trio.fail_after(DEADLINE_S):
        while not predicate():
            await trio.sleep(0.05)


async def start_broker(nursery: trio.Nursery, config) -> KafkaServer:
    """A started broker that knows itself alive (the controller's first UpdateMetadata), so
    CreateTopics does not see 0 brokers."""
    server = await nursery.start(KafkaServer(config).run)
    await eventually(server.metadata_cache.alive_broker_ids)
    return server


async def describe(admin: KafkaAdminClient, resource: ConfigResource, name: str) -> tuple[str | None, ConfigSource]:
    [result] = await admin.describe_configs([resource])
    entry = result.check().get(name)
    assert entry is not None
    return entry.value, entry.source


async def test_dynamic_log_defaults_reach_topics_without_an_override(nursery, broker_config):
    server = await start_broker(nursery, broker_config(1, log_retention_hours="2", log_segment_bytes="4194304"))
    async with KafkaAdminClient.create(f"127.0.0.1:{server.bound_ports['PLAINTEXT']}") as admin:
        for result in await admin.create_topics([NewTopic("plain", 1, 1), NewTopic("own", 1, 1)]):
            result.check()
        # The override goes through AlterConfigs, whose /config/changes notification every broker follows.
        [result] = await admin.alter_configs({ConfigResource(ConfigResourceType.TOPIC, "own"): {
            "retention.ms": "600000", "segment.bytes": "4194304"}})
        result.check()
        logs = server.log_manager
        await eventually(lambda: logs.get_log("plain", 0) is not None and logs.get_log("own", 0) is not None
                         and logs.get_log("own", 0).config.retention_ms == 600_000)
        plain, own = logs.get_log("plain", 0), logs.get_log("own", 0)
        assert (plain.config.retention_ms, plain.config.segment_bytes) == (2 * HOUR_MS, 4194304)

        [result] = await admin.alter_configs({DEFAULT: {"log.retention.ms": "5000", "log.segment.bytes": "2048",
                                                       "compression.type": "gzip"}})
        result.check()
        await eventually(lambda: plain.config.retention_ms == 5000)
        assert (plain.config.segment_bytes, plain.config.compression_type) == (2048, "gzip")
        assert (own.config.retention_ms, own.config.segment_bytes, own.config.compression_type) == (
            600_000, 4194304, "gzip")
        # The running logs act on it: "plain" rolls at the new size, "own" keeps its own; both
        # store what the producer sent uncompressed (random, so gzip barely shrinks it) as gzip.
        async with KafkaProducer.create(f"127.0.0.1:{server.bound_ports['PLAINTEXT']}") as producer:
            for i in range(10):
                for topic in ("plain", "own"):
                    await producer.send(topic, os.urandom(500), key=b"%d" % i)
        assert len(plain.segments) > 1 and len(own.segments) == 1
        first = plain.read(0, 1 << 20).records.read_bytes()
        assert rec.unpack_header(first).compression == rec.unpack_header(
            own.read(0, 1 << 20).records.read_bytes()).compression != 0
        assert await describe(admin, ConfigResource(ConfigResourceType.TOPIC, "plain"), "retention.ms") == (
            "5000", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
        assert await describe(admin, ConfigResource(ConfigResourceType.TOPIC, "own"), "retention.ms") == (
            "600000", ConfigSource.DYNAMIC_TOPIC_CONFIG)
        mine = ConfigResource(ConfigResourceType.BROKER, "1")
        assert await describe(admin, mine, "log.segment.bytes") == (
            "2048", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
        assert await describe(admin, mine, "log.retention.hours") == ("2", ConfigSource.STATIC_BROKER_CONFIG)

        # The broker's own entity beats the cluster default; deleting it falls back again.
        [result] = await admin.incremental_alter_configs({mine: [AlterConfigOp("log.retention.ms", "7000")]})
        result.check()
        await eventually(lambda: plain.config.retention_ms == 7000)
        assert own.config.retention_ms == 600_000
        assert await describe(admin, mine, "log.retention.ms") == ("7000", ConfigSource.DYNAMIC_BROKER_CONFIG)
        [result] = await admin.incremental_alter_configs({mine: [AlterConfigOp("log.retention.ms", None, 1)]})
        result.check()
        await eventually(lambda: plain.config.retention_ms == 5000)

        # Not dynamic in 2.8: refused with Kafka's message, nothing stored.
        [result] = await admin.alter_configs({DEFAULT: {"log.retention.hours": "1"}})
        with pytest.raises(Exception, match=r"Cannot update these configs dynamically: Set\(log.retention.hours\)"):
            result.check()
        assert plain.config.retention_ms == 5000


async def test_a_topic_created_at_runtime_gets_its_overrides(nursery, broker_config):
    """CreateTopics writes ``/config/topics/<t>`` with no change notification; the broker reads it
    when it creates the topic's logs, as Kafka's fetchLogConfig does."""
    server = await start_broker(nursery, broker_config(1, offsets_topic_replication_factor="1"))
    bootstrap = f"127.0.0.1:{server.bound_ports['PLAINTEXT']}"
    async with KafkaAdminClient.create(bootstrap) as admin:
        [result] = await admin.create_topics([NewTopic("configured", 2, 1, configs={
            "retention.ms": "1234", "cleanup.policy": "compact", "min.insync.replicas": "1"})])
        result.check()
        logs = server.log_manager
        await eventually(lambda: all(logs.get_log("configured", p) is not None for p in (0, 1)))
        for p in (0, 1):
            config = logs.get_log("configured", p).config
            assert (config.retention_ms, config.cleanup_policy) == (1234, ("compact",))
        assert await describe(admin, ConfigResource(ConfigResourceType.TOPIC, "configured"), "retention.ms") == (
            "1234", ConfigSource.DYNAMIC_TOPIC_CONFIG)
