"""DescribeConfigs / AlterConfigs / IncrementalAlterConfigs handlers over a real ZooKeeper.

The broker is a small fake of our own interface (config, broker_id, zk_client, metadata_cache);
ZooKeeper is real. Requests are the decoded message classes, responses are checked field by field
and encoded at the request's version so they are known to be wire-valid.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import attrs
import pytest

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.codec import encode_message
from kafka_clone.protocol.framing import Request
from kafka_clone.protocol.headers import RequestHeader
from kafka_clone.protocol.messages.configs import (
    AlterableConfig, AlterConfigsRequest, AlterConfigsResource, DescribeConfigsRequest, DescribeConfigsResource,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequestAlterableConfig as Op,
    IncrementalAlterConfigsRequestAlterConfigsResource as IncResource,
)
from kafka_clone.server.apis import RequestContext
from kafka_clone.server.apis.configs import (
    APPEND, DELETE, SET, SUBTRACT, handle_alter_configs, handle_describe_configs, handle_incremental_alter_configs,
)
from kafka_clone.server.config import KafkaConfig
from zk.admin_zk_client import AdminZkClient
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient

pytestmark = [pytest.mark.zk]

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8


@attrs.define
class FakeMetadataCache:
    topics: set[str] = attrs.Factory(set)

    def contains_topic(self, topic: str) -> bool:
        return topic in self.topics


@attrs.define
class FakeBroker:
    config: KafkaConfig
    broker_id: int
    zk_client: KafkaZkClient
    metadata_cache: FakeMetadataCache


@asynccontextmanager
async def fake_broker(zk_connect: str, **props: str):
    config = KafkaConfig.from_properties({
        "zookeeper.connect": zk_connect, "broker.id": "1", "log.dirs": "/unused", **props})
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        kzk = KafkaZkClient(zk)
        await kzk.create_top_level_paths()
        yield FakeBroker(config, 1, kzk, FakeMetadataCache())


async def create_topic(broker: FakeBroker, topic: str, overrides: dict[str, str] | None = None) -> None:
    await AdminZkClient(broker.zk_client).create_topic_with_assignment(topic, overrides or {}, {0: [1]})
    broker.metadata_cache.topics.add(topic)


async def call(handler, broker: FakeBroker, api_key: ApiKey, version: int, body):
    header = RequestHeader(request_api_key=int(api_key), request_api_version=version, correlation_id=7, client_id="t")
    ctx = RequestContext(Request(header, api_key, version, body, 0, version), broker, "PLAINTEXT", "127.0.0.1")
    response = await handler(ctx)
    assert encode_message(response, version)
    return response


async def describe(broker, version, *resources, synonyms=False, docs=False):
    body = DescribeConfigsRequest(resources=tuple(DescribeConfigsResource(resource_type=t, resource_name=n,
                                                                          configuration_keys=k) for t, n, k in resources),
                                  include_synonyms=synonyms, include_documentation=docs)
    return (await call(handle_describe_configs, broker, ApiKey.DESCRIBE_CONFIGS, version, body)).results


def by_name(result):
    return {c.name: c for c in result.configs}


async def test_describe_topic_values_sources_and_synonyms(zk_connect):
    props = {"log.segment.bytes": "2048", "log.retention.hours": "24"}
    async with fake_broker(zk_connect, **props) as broker:
        await create_topic(broker, "t", {"cleanup.policy": "compact, delete", "retention.bytes": "100"})
        [result] = await describe(broker, 1, (TOPIC, "t", None), synonyms=True)
        assert (result.error_code, result.resource_type, result.resource_name) == (0, TOPIC, "t")
        configs = by_name(result)
        assert len(configs) == 26
        policy = configs["cleanup.policy"]
        assert (policy.value, policy.config_source, policy.read_only, policy.is_sensitive) == ("compact,delete", 1, False, False)
        assert [(s.name, s.value, s.source) for s in policy.synonyms] == [
            ("cleanup.policy", "compact,delete", 1), ("log.cleanup.policy", "delete", 5)]
        segment = configs["segment.bytes"]
        assert (segment.value, segment.config_source) == ("2048", 4)
        assert [(s.name, s.value, s.source) for s in segment.synonyms] == [
            ("log.segment.bytes", "2048", 4), ("log.segment.bytes", "1073741824", 5)]
        # Kafka's synonym list starts at log.retention.ms, dropping the hours entries before it.
        retention = configs["retention.ms"]
        assert (retention.value, retention.config_source, retention.synonyms) == ("86400000", 5, ())
        assert configs["min.cleanable.dirty.ratio"].value == "0.5"
        assert configs["leader.replication.throttled.replicas"].value == ""
        assert configs["message.format.version"].value == "2.8-IV1"
        assert configs["flush.ms"].value == "9223372036854775807"


async def test_describe_versions_keys_and_errors(zk_connect):
    async with fake_broker(zk_connect) as broker:
        await create_topic(broker, "t", {"retention.ms": "5"})
        v0 = await describe(broker, 0, (TOPIC, "t", ("retention.ms", "segment.ms")), synonyms=True)
        assert [(c.name, c.value, c.is_default, c.synonyms) for c in v0[0].configs] == [
            ("retention.ms", "5", False, ()), ("segment.ms", "604800000", True, ())]
        [v3] = await describe(broker, 3, (TOPIC, "t", ("preallocate",)), docs=True)
        [entry] = v3.configs
        assert (entry.config_type, entry.synonyms) == (1, ())
        assert "segment" in entry.documentation
        [v4] = await describe(broker, 4, (TOPIC, "t", ("preallocate",)))
        assert v4.configs[0].documentation is None and v4.configs[0].config_type == 1
        missing, empty, unknown_type = await describe(broker, 4, (TOPIC, "nope", None), (TOPIC, "", None),
                                                      (3, "g", None))
        assert (missing.error_code, missing.resource_name, missing.configs) == (3, "nope", ())
        assert (empty.error_code, empty.error_message) == (17, "Topic name is illegal, it can't be empty")
        assert (unknown_type.error_code, unknown_type.error_message) == (42, "Unsupported resource type: UNKNOWN")


async def test_describe_broker(zk_connect):
    async with fake_broker(zk_connect, **{"log.retention.hours": "24", "custom.secret": "x"}) as broker:
        [result] = await describe(broker, 1, (BROKER, "1", None), synonyms=True)
        configs = by_name(result)
        broker_id = configs["broker.id"]
        assert (broker_id.value, broker_id.read_only, broker_id.config_source) == ("1", True, 4)
        hours = configs["log.retention.hours"]
        assert [(s.name, s.value, s.source) for s in hours.synonyms] == [
            ("log.retention.hours", "24", 4), ("log.retention.hours", "168", 5)]
        assert (configs["log.retention.ms"].value, configs["log.retention.ms"].read_only) == (None, False)
        assert configs["num.io.threads"].read_only is False and configs["num.io.threads"].value == "8"
        assert configs["log.cleanup.policy"].value == "delete"
        custom = configs["custom.secret"]
        assert (custom.value, custom.is_sensitive, custom.config_source) == (None, True, 4)
        other, bad = await describe(broker, 1, (BROKER, "2", None), (BROKER, "x", None))
        assert (other.error_code, other.error_message) == (
            42, "Unexpected broker id, expected 1 or empty string, but received 2")
        assert bad.error_message == "Broker id must be an integer, but it is: x"
        await AdminZkClient(broker.zk_client).change_broker_config(None, {"log.cleaner.threads": "2"})
        [defaults] = await describe(broker, 1, (BROKER, "", None), synonyms=True)
        [threads] = defaults.configs
        assert (threads.name, threads.value, threads.config_source) == ("log.cleaner.threads", "2", 3)


async def test_describe_reports_dynamic_broker_layers(zk_connect):
    """KIP-226 precedence and sources: per-broker > cluster default > server.properties > Kafka's default."""
    props = {"log.segment.bytes": "2048", "log.retention.hours": "24"}
    async with fake_broker(zk_connect, **props) as broker:
        await create_topic(broker, "t", {"retention.ms": "5"})
        admin = AdminZkClient(broker.zk_client)
        await admin.change_broker_config(None, {"log.retention.ms": "600000", "log.segment.bytes": "4096",
                                                "compression.type": "gzip"})
        await admin.change_broker_config(1, {"log.segment.bytes": "8192", "broker.id": "7"})
        [result] = await describe(broker, 1, (BROKER, "1", None), synonyms=True)
        configs = by_name(result)
        segment = configs["log.segment.bytes"]
        assert (segment.value, segment.config_source) == ("8192", 2)
        assert [(s.name, s.value, s.source) for s in segment.synonyms] == [
            ("log.segment.bytes", "8192", 2), ("log.segment.bytes", "4096", 3), ("log.segment.bytes", "2048", 4),
            ("log.segment.bytes", "1073741824", 5)]
        assert (configs["log.retention.ms"].value, configs["log.retention.ms"].config_source) == ("600000", 3)
        assert (configs["compression.type"].value, configs["compression.type"].config_source) == ("gzip", 3)
        # A non-dynamic config stored behind the admin client's back is ignored, as Kafka does.
        assert (configs["broker.id"].value, configs["broker.id"].config_source) == ("1", 4)
        [result] = await describe(broker, 1, (TOPIC, "t", None), synonyms=True)
        configs = by_name(result)
        assert (configs["segment.bytes"].value, configs["segment.bytes"].config_source) == ("8192", 2)
        # The dynamic default log.retention.ms beats the static log.retention.hours; the topic's override beats both.
        assert (configs["retention.ms"].value, configs["retention.ms"].config_source) == ("5", 1)
        assert [(s.name, s.source) for s in configs["retention.ms"].synonyms] == [
            ("retention.ms", 1), ("log.retention.ms", 3), ("log.retention.hours", 4), ("log.retention.hours", 5)]
        assert (configs["compression.type"].value, configs["compression.type"].config_source) == ("gzip", 3)
        [defaults] = await describe(broker, 1, (BROKER, "", ("log.segment.bytes",)), synonyms=True)
        [segment] = defaults.configs
        assert (segment.value, segment.config_source) == ("4096", 3)
        assert [s.source for s in segment.synonyms] == [3, 4, 5]


async def alter(broker, version, *resources, validate_only=False):
    body = AlterConfigsRequest(resources=tuple(
        AlterConfigsResource(resource_type=t, resource_name=n,
                             configs=tuple(AlterableConfig(name=k, value=v) for k, v in c.items()))
        for t, n, c in resources), validate_only=validate_only)
    response = await call(handle_alter_configs, broker, ApiKey.ALTER_CONFIGS, version, body)
    return [(r.error_code, r.error_message) for r in response.responses]


async def stored(broker, entity_type, name):
    return await AdminZkClient(broker.zk_client).fetch_entity_config(entity_type, name)


async def test_alter_configs_replaces_the_override_set(zk_connect):
    async with fake_broker(zk_connect) as broker:
        await create_topic(broker, "t", {"retention.ms": "5"})
        assert await alter(broker, 0, (TOPIC, "t", {"segment.ms": "100"}), validate_only=True) == [(0, None)]
        assert await stored(broker, "topics", "t") == {"retention.ms": "5"}
        assert await alter(broker, 2, (TOPIC, "t", {"segment.ms": "100"})) == [(0, None)]
        assert await stored(broker, "topics", "t") == {"segment.ms": "100"}
        changes = await broker.zk_client.zk.get_children("/config/changes")
        assert len(changes) == 1


async def test_alter_configs_errors(zk_connect):
    async with fake_broker(zk_connect) as broker:
        await create_topic(broker, "t")
        assert await alter(broker, 1,
                           (TOPIC, "t", {"retention.ms": "soon"}),
                           (TOPIC, "nope", {}),
                           (TOPIC, "t2", {"x": None}),
                           (BROKER_LOGGER, "1", {}),
                           ) == [
            (42, "Invalid config value for resource ConfigResource(type=TOPIC, name='t'): "
                 "Invalid value soon for configuration retention.ms: Not a number of type LONG"),
            (3, "The topic 'nope' does not exist."),
            (42, "Null value not supported for : x"),
            (42, "AlterConfigs is only supported for topics and brokers, but resource type is BROKER_LOGGER"),
        ]
        assert await alter(broker, 1, (TOPIC, "t", {"retention": "1"})) == [(40, "Unknown topic config name: retention")]
        assert await stored(broker, "topics", "t") == {}


async def test_alter_broker_configs(zk_connect):
    async with fake_broker(zk_connect) as broker:
        assert await alter(broker, 0, (BROKER, "1", {"broker.id": "3", "num.io.threads": "4"})) == [
            (42, "Invalid config value for resource ConfigResource(type=BROKER, name='1'): "
                 "Cannot update these configs dynamically: Set(broker.id)")]
        assert await alter(broker, 0, (BROKER, "", {"listeners": "PLAINTEXT://:1"})) == [
            (42, "Invalid config value for resource ConfigResource(type=BROKER, name=''): Cannot update these "
                 "configs at default cluster level, broker id must be specified: Set(listeners)")]
        assert await alter(broker, 0, (BROKER, "2", {})) == [
            (42, "Unexpected broker id, expected 1, but received 2")]
        assert await alter(broker, 0, (BROKER, "1", {"num.io.threads": "4"})) == [(0, None)]
        assert await stored(broker, "brokers", "1") == {"num.io.threads": "4"}
        # Only the highest-priority name of a synonym group is dynamic in 2.8.
        assert await alter(broker, 0, (BROKER, "", {"log.retention.hours": "1", "log.retention.ms": "1"})) == [
            (42, "Invalid config value for resource ConfigResource(type=BROKER, name=''): "
                 "Cannot update these configs dynamically: Set(log.retention.hours)")]
        assert await alter(broker, 0, (BROKER, "", {"log.segment.bytes": "13"}), validate_only=True) == [
            (42, "Invalid config value for resource ConfigResource(type=BROKER, name=''): "
                 "Invalid value 13 for configuration log.segment.bytes: Value must be at least 14")]
        assert await alter(broker, 0, (BROKER, "1", {"num.io.threads": "x"})) == [
            (42, "Invalid config value for resource ConfigResource(type=BROKER, name='1'): "
                 "Invalid value x for configuration num.io.threads: Not a number of type INT")]
        assert await alter(broker, 0, (BROKER, "", {"log.cleanup.policy": "compact", "my.custom": "x"})) == [(0, None)]
        assert await stored(broker, "brokers", "<default>") == {"log.cleanup.policy": "compact", "my.custom": "x"}
        assert await stored(broker, "brokers", "1") == {"num.io.threads": "4"}


async def incremental(broker, version, resource_type, name, *ops, validate_only=False):
    body = IncrementalAlterConfigsRequest(resources=(IncResource(
        resource_type=resource_type, resource_name=name,
        configs=tuple(Op(name=k, config_operation=o, value=v) for k, o, v in ops)),), validate_only=validate_only)
    response = await call(handle_incremental_alter_configs, broker, ApiKey.INCREMENTAL_ALTER_CONFIGS, version, body)
    [r] = response.responses
    return r.error_code, r.error_message


async def test_incremental_alter_configs_operations(zk_connect):
    async with fake_broker(zk_connect) as broker:
        await create_topic(broker, "t", {"retention.ms": "5", "segment.ms": "9"})
        assert await incremental(broker, 0, TOPIC, "t", ("retention.ms", DELETE, None),
                                 ("cleanup.policy", APPEND, "compact"),
                                 ("leader.replication.throttled.replicas", APPEND, "0:1,1:1")) == (0, None)
        # APPEND starts from the default: "delete" for the policy, "" (one empty item) for the list.
        assert await stored(broker, "topics", "t") == {
            "segment.ms": "9", "cleanup.policy": "delete,compact", "leader.replication.throttled.replicas": ",0:1,1:1"}
        assert await incremental(broker, 1, TOPIC, "t", ("cleanup.policy", SUBTRACT, "delete"),
                                 ("leader.replication.throttled.replicas", SUBTRACT, "0:1"),
                                 ("segment.ms", SET, "10")) == (0, None)
        assert await stored(broker, "topics", "t") == {
            "segment.ms": "10", "cleanup.policy": "compact", "leader.replication.throttled.replicas": ",1:1"}
        assert await incremental(broker, 1, TOPIC, "t", ("segment.ms", SET, "11"), validate_only=True) == (0, None)
        assert (await stored(broker, "topics", "t"))["segment.ms"] == "10"


async def test_incremental_alter_configs_errors(zk_connect):
    async with fake_broker(zk_connect) as broker:
        await create_topic(broker, "t")
        assert await incremental(broker, 1, TOPIC, "t", ("retention.ms", APPEND, "1")) == (
            42, "Config value append is not allowed for config key: retention.ms")
        assert await incremental(broker, 1, TOPIC, "t", ("retention.ms", SUBTRACT, "1")) == (
            42, "Config value subtract is not allowed for config key: retention.ms")
        assert await incremental(broker, 1, TOPIC, "t", ("a", SET, "1"), ("a", DELETE, None)) == (
            42, "Error due to duplicate config keys : a")
        assert await incremental(broker, 1, TOPIC, "t", ("segment.ms", SET, None)) == (
            42, "Null value not supported for : SET:segment.ms")
        assert await incremental(broker, 1, TOPIC, "t", ("bogus", APPEND, "x")) == (40, "Unknown topic config name: bogus")
        assert await incremental(broker, 1, TOPIC, "t", ("compression.type", SET, "zip")) == (
            42, "Invalid config value for resource ConfigResource(type=TOPIC, name='t'): Invalid value zip for "
                "configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer")
        assert await incremental(broker, 1, TOPIC, "gone", ("segment.ms", SET, "1")) == (
            3, "The topic 'gone' does not exist.")
        assert await stored(broker, "topics", "t") == {}
        assert await incremental(broker, 1, BROKER, "1", ("log.cleaner.threads", SET, "3")) == (0, None)
        assert await incremental(broker, 1, BROKER, "1", ("num.io.threads", SET, "2")) == (0, None)
        assert await stored(broker, "brokers", "1") == {"log.cleaner.threads": "3", "num.io.threads": "2"}


async def test_broker_loggers(zk_connect):
    import logging

    name = "kafka_clone.server.apis.configs"
    target = logging.getLogger(name)
    before = target.level
    try:
        async with fake_broker(zk_connect) as broker:
            assert await incremental(broker, 1, BROKER_LOGGER, "1", (name, SET, "TRACE")) == (0, None)
            assert target.level == 5
            [result] = await describe(broker, 1, (BROKER_LOGGER, "1", (name, "root")))
            assert {c.name: (c.value, c.config_source) for c in result.configs} == {
                name: ("TRACE", 6), "root": (logging.getLevelName(logging.getLogger().getEffectiveLevel())
                                             .replace("WARNING", "WARN").replace("CRITICAL", "FATAL"), 6)}
            assert await incremental(broker, 1, BROKER_LOGGER, "1", (name, DELETE, None)) == (0, None)
            assert target.level == logging.NOTSET
            assert await incremental(broker, 1, BROKER_LOGGER, "1", (name, SET, "LOUD"), validate_only=True) == (
                42, "Invalid config value for resource ConfigResource(type=BROKER_LOGGER, name='1'): Cannot set the "
                    f"log level of {name} to LOUD as it is not a supported log level. Valid log levels are TRACE, "
                    "DEBUG, INFO, WARN, ERROR, FATAL")
            assert await incremental(broker, 1, BROKER_LOGGER, "1", ("no.such.logger", SET, "INFO")) == (
                42, "Invalid config value for resource ConfigResource(type=BROKER_LOGGER, name='1'): "
                    "Logger no.such.logger does not exist!")
            assert await incremental(broker, 1, BROKER_LOGGER, "1", ("root", DELETE, None)) == (
                42, "Removing the log level of the root logger is not allowed")
            assert await incremental(broker, 1, BROKER_LOGGER, "1", (name, APPEND, "INFO")) == (
                42, "APPEND operation is not allowed for the BROKER_LOGGER resource")
            empty, other = await describe(broker, 1, (BROKER_LOGGER, "", None), (BROKER_LOGGER, "2", None))
            assert empty.error_message == "Broker id must not be empty"
            assert other.error_message == "Unexpected broker id, expected 1 but received 2"
            assert target.level == logging.NOTSET
    finally:
        target.setLevel(before)


# ------------------------------------------------------------------------------ real clients


@pytest.fixture(scope="module")
def one_broker(tmp_path_factory, zookeeper_connect):
    """One broker process (`kclone cluster up`), with a log default set in server.properties."""
    import uuid

    from kafka_clone.lab import cluster as lab

    directory = tmp_path_factory.mktemp("configs") / "lab"
    c = lab.up(directory, brokers=1, zookeeper_connect=f"{zookeeper_connect}/configs-{uuid.uuid4().hex[:8]}",
               config={"zookeeper.session.timeout.ms": "4000", "log.segment.bytes": "4194304"})
    try:
        yield c.data["bootstrap_servers"]
    finally:
        lab.down(directory)


@pytest.mark.compat
@pytest.mark.slow
def test_kafka_python_and_confluent_kafka_admin_clients(one_broker):
    from confluent_kafka.admin import (
        AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource as CkResource, ConfigSource,
    )
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

    kp = KafkaAdminClient(bootstrap_servers=one_broker, request_timeout_ms=30000)
    kp.create_topics([NewTopic("cfg", 1, 1, topic_configs={"retention.ms": "3600000"})])
    kp.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "cfg", configs={"retention.ms": "7200000"})])
    described = kp.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "cfg")], include_synonyms=True,
                                    config_filter="all")
    retention = described["topic"]["cfg"]["retention.ms"]
    assert (retention["value"], retention["config_source"]) == ("7200000", "DYNAMIC_TOPIC_CONFIG")
    assert described["topic"]["cfg"]["segment.bytes"]["synonyms"][0]["source"] == "STATIC_BROKER_CONFIG"
    kp.close()

    ck = AdminClient({"bootstrap.servers": one_broker})
    resource = CkResource("topic", "cfg", incremental_configs=[
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND),
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
    for future in ck.incremental_alter_configs([resource]).values():
        future.result(timeout=30)
    [future] = ck.describe_configs([CkResource("topic", "cfg")]).values()
    configs = future.result(timeout=30)
    assert configs["cleanup.policy"].value == "delete,compact"
    assert configs["cleanup.policy"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["retention.ms"].value == "604800000"
    assert configs["segment.bytes"].value == "4194304"
    assert configs["segment.bytes"].source == ConfigSource.STATIC_BROKER_CONFIG.value
    bad = CkResource("topic", "cfg", incremental_configs=[
        ConfigEntry("compression.type", "zip", incremental_operation=AlterConfigOpType.SET)])
    [future] = ck.incremental_alter_configs([bad]).values()
    with pytest.raises(Exception, match="Invalid value zip for configuration compression.type"):
        future.result(timeout=30)
    [future] = ck.describe_configs([CkResource("broker", "1")]).values()
    broker_configs = future.result(timeout=30)
    assert broker_configs["log.segment.bytes"].value == "4194304"
    assert broker_configs["broker.id"].is_read_only
