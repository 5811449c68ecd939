"""zk/admin_zk_client.py against a real ZooKeeper: the znodes Kafka's AdminZkClient writes, byte for byte."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest

from kafka_clone.protocol.errors import InvalidConfig, InvalidTopicException, UnknownTopicOrPartition
from kafka_clone.common.topic_config import InvalidConfigValue
from zk.admin import BrokerMetadata, InvalidPartitionsError
from zk.admin_zk_client import AdminZkClient, TopicAlreadyMarkedForDeletionError, TopicExistsError
from zk.client import BadVersionError, ZkClient
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import ConfigEntityZNode, TopicAssignment, TopicZNode

pytestmark = [pytest.mark.zk]


@asynccontextmanager
async def admin_client(zk_connect: str):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        kzk = KafkaZkClient(zk)
        await kzk.create_top_level_paths()
        yield AdminZkClient(kzk), zk


async def changes(zk: ZkClient) -> list[tuple[str, bytes | None]]:
    names = sorted(await zk.get_children("/config/changes"))
    return [(n, (await zk.get(f"/config/changes/{n}"))[0]) for n in names]


async def test_create_topic_writes_config_then_assignment(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        written = await admin.create_topic_with_assignment("t", {}, {0: [1, 2], 1: [2, 1]}, topic_id="cMr3GpVESX2L3byPGf93lQ")
        assert (await zk.get("/config/topics/t"))[0] == b'{"version":1,"config":{}}'
        assert (await zk.get("/brokers/topics/t"))[0] == (
            b'{"partitions":{"0":[1,2],"1":[2,1]},"topic_id":"cMr3GpVESX2L3byPGf93lQ",'
            b'"adding_replicas":{},"removing_replicas":{},"version":3}'
        )
        assert written == TopicAssignment({0: (1, 2), 1: (2, 1)}, topic_id="cMr3GpVESX2L3byPGf93lQ")
        # Creation does not notify: the config is read when the topic's logs are created.
        assert await changes(zk) == []


async def test_create_topic_generates_a_topic_id_and_rejects_existing(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        written = await admin.create_topic_with_assignment("t", {"cleanup.policy": "compact"}, {0: [1]})
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", written.topic_id)
        assert TopicZNode.decode("t", (await zk.get("/brokers/topics/t"))[0]) == written
        with pytest.raises(TopicExistsError, match="Topic 't' already exists."):
            await admin.create_topic_with_assignment("t", {}, {0: [1]})
        # Without validation the NodeExists of the create itself is the answer.
        with pytest.raises(TopicExistsError, match="Topic 't' already exists."):
            await admin.create_topic_with_assignment("t", {}, {0: [1]}, validate=False)


async def test_create_topic_validation(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        await admin.create_topic_with_assignment("a.b", {}, {0: [1]})
        with pytest.raises(InvalidTopicException, match="Topic 'a_b' collides with existing topics: a.b"):
            await admin.create_topic_with_assignment("a_b", {}, {0: [1]})
        with pytest.raises(InvalidConfig, match="Unknown topic config name: retention"):
            await admin.create_topic_with_assignment("c", {"retention": "1"}, {0: [1]})
        with pytest.raises(InvalidConfigValue, match="Invalid value x for configuration retention.ms"):
            await admin.create_topic_with_assignment("c", {"retention.ms": "x"}, {0: [1]})
        with pytest.raises(InvalidTopicException, match="can't be empty"):
            await admin.create_topic_with_assignment("", {}, {0: [1]})
        assert not await admin.topic_exists("c")
        assert await zk.exists("/config/topics/c") is None
        await admin.delete_topic("a.b")
        with pytest.raises(TopicExistsError, match="Topic 'a.b' is marked for deletion."):
            await admin.create_topic_with_assignment("a.b", {}, {0: [1]})


async def test_change_topic_config_stores_the_full_set_then_notifies(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        await admin.create_topic_with_assignment("foo", {"retention.ms": "1000"}, {0: [1]})
        await admin.change_topic_config("foo", {"cleanup.policy": "compact"})
        assert (await zk.get("/config/topics/foo"))[0] == b'{"version":1,"config":{"cleanup.policy":"compact"}}'
        overrides = {"retention.ms": "5000", "segment.bytes": "1048576", "cleanup.policy": "compact,delete"}
        await admin.change_topic_config("foo", overrides)
        assert (await zk.get("/config/topics/foo"))[0] == ConfigEntityZNode.encode(overrides)
        assert await admin.fetch_entity_config("topics", "foo") == overrides
        assert await changes(zk) == [
            ("config_change_0000000000", b'{"version":2,"entity_path":"topics/foo"}'),
            ("config_change_0000000001", b'{"version":2,"entity_path":"topics/foo"}'),
        ]


async def test_change_topic_config_rejects_before_writing(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        with pytest.raises(UnknownTopicOrPartition, match="Topic 'nope' does not exist."):
            await admin.change_topic_config("nope", {})
        await admin.create_topic_with_assignment("foo", {}, {0: [1]})
        with pytest.raises(InvalidConfig, match="Unknown topic config name: bogus"):
            await admin.change_topic_config("foo", {"bogus": "1"})
        with pytest.raises(InvalidConfig, match=r"conflict topic config setting min.compaction.lag.ms \(9\)"):
            await admin.change_topic_config("foo", {"min.compaction.lag.ms": "9", "max.compaction.lag.ms": "1"})
        assert (await zk.get("/config/topics/foo"))[0] == b'{"version":1,"config":{}}'
        assert await changes(zk) == []


async def test_broker_configs_and_fetch(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        assert await admin.fetch_entity_config("brokers", "1") == {}
        await admin.change_broker_config(None, {"log.cleaner.threads": "2"})
        await admin.change_broker_config(1, {"num.io.threads": "4"})
        assert (await zk.get("/config/brokers/<default>"))[0] == b'{"version":1,"config":{"log.cleaner.threads":"2"}}'
        assert (await zk.get("/config/brokers/1"))[0] == b'{"version":1,"config":{"num.io.threads":"4"}}'
        assert [d for _, d in await changes(zk)] == [
            b'{"version":2,"entity_path":"brokers/<default>"}', b'{"version":2,"entity_path":"brokers/1"}',
        ]
        assert await admin.fetch_all_entity_configs("brokers") == {
            "1": {"num.io.threads": "4"}, "<default>": {"log.cleaner.threads": "2"},
        }


async def test_delete_topic_marks_it(zk_connect):
    async with admin_client(zk_connect) as (admin, zk):
        with pytest.raises(UnknownTopicOrPartition, match="Topic `t` to delete does not exist"):
            await admin.delete_topic("t")
        await admin.create_topic_with_assignment("t", {}, {0: [1]})
        await admin.delete_topic("t")
        data, stat = await zk.get("/admin/delete_topics/t")
        assert data is None and stat.version == 0
        assert await admin.is_topic_marked_for_deletion("t")
        with pytest.raises(TopicAlreadyMarkedForDeletionError, match="topic t is already marked for deletion"):
            await admin.delete_topic("t")


async def test_add_partitions_keeps_topic_id_and_checks_zk_version(zk_connect):
    brokers = [BrokerMetadata(1), BrokerMetadata(2), BrokerMetadata(3)]
    async with admin_client(zk_connect) as (admin, zk):
        created = await admin.create_topic_with_assignment("t", {}, {0: [1, 2], 1: [2, 3]})
        preview = await admin.add_partitions("t", 3, brokers, {2: [3, 1]}, validate_only=True)
        assert preview.as_dict() == {0: (1, 2), 1: (2, 3), 2: (3, 1)}
        assert TopicZNode.decode("t", (await zk.get("/brokers/topics/t"))[0]) == created
        grown = await admin.add_partitions("t", 3, brokers, {2: [3, 1]})
        assert grown == TopicAssignment({0: (1, 2), 1: (2, 3), 2: (3, 1)}, topic_id=created.topic_id)
        assert TopicZNode.decode("t", (await zk.get("/brokers/topics/t"))[0]) == grown
        with pytest.raises(InvalidPartitionsError, match="3 would not be an increase"):
            await admin.add_partitions("t", 3, brokers)
        with pytest.raises(UnknownTopicOrPartition, match="The topic 'u' does not exist."):
            await admin.add_partitions("u", 3, brokers)
        existing, version = await admin.get_topic_assignment("t")
        with pytest.raises(BadVersionError):
            await admin.create_partitions_with_assignment("t", existing, version - 1, {3: [1, 2]})
        assert TopicZNode.decode("t", (await zk.get("/brokers/topics/t"))[0]) == grown
        four = await admin.create_partitions_with_assignment("t", existing, version, {3: [1, 2]})
        assert len(four.partitions) == 4
