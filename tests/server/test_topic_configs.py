"""kafka_clone/server/topic_configs.py: the 2.8 topic config table, ConfigDef wording, synonyms and
KafkaServer.copyKafkaConfigToLog precedence (pure, no ZooKeeper)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kafka_clone.log.log_config import LONG_MAX, LogConfig
from kafka_clone.protocol.errors import InvalidConfig
from kafka_clone.server.config import ConfigError, KafkaConfig
from kafka_clone.server.topic_configs import (
    TOPIC_CONFIG_SYNONYMS, TOPIC_CONFIGS, ConfigType, InvalidConfigValue, broker_config_synonyms,
    broker_default_log_config, broker_log_defaults, effective_log_config, java_double, normalize_api_version,
    static_default_broker_configs, to_config_string, validate_topic_config,
)


def broker(**props: str) -> KafkaConfig:
    return KafkaConfig.from_properties({"zookeeper.connect": "zk:2181", "log.dirs": "/unused",
                                        **{k.replace("_", "."): v for k, v in props.items()}})


def test_the_table_is_kafka_2_8s():
    assert list(TOPIC_CONFIGS) == sorted([
        "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
        "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
        "leader.replication.throttled.replicas", "max.compaction.lag.ms", "max.message.bytes",
        "message.downconversion.enable", "message.format.version", "message.timestamp.difference.max.ms",
        "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas",
        "preallocate", "retention.bytes", "retention.ms", "segment.bytes", "segment.index.bytes",
        "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable"])
    assert TOPIC_CONFIGS["segment.bytes"].type is ConfigType.INT
    assert TOPIC_CONFIGS["cleanup.policy"].type is ConfigType.LIST
    assert TOPIC_CONFIGS["min.cleanable.dirty.ratio"].type is ConfigType.DOUBLE


def test_topic_config_synonyms():
    assert len(TOPIC_CONFIG_SYNONYMS) == 24
    assert TOPIC_CONFIG_SYNONYMS["retention.ms"] == "log.retention.ms"
    assert TOPIC_CONFIG_SYNONYMS["segment.ms"] == "log.roll.ms"
    assert TOPIC_CONFIG_SYNONYMS["max.message.bytes"] == "message.max.bytes"
    assert TOPIC_CONFIG_SYNONYMS["file.delete.delay.ms"] == "log.segment.delete.delay.ms"
    assert TOPIC_CONFIG_SYNONYMS["unclean.leader.election.enable"] == "unclean.leader.election.enable"
    assert "leader.replication.throttled.replicas" not in TOPIC_CONFIG_SYNONYMS


@pytest.mark.parametrize("name, synonyms", [
    ("log.retention.hours", ("log.retention.ms", "log.retention.minutes", "log.retention.hours")),
    ("log.roll.ms", ("log.roll.ms", "log.roll.hours")),
    ("log.roll.jitter.hours", ("log.roll.jitter.ms", "log.roll.jitter.hours")),
    ("log.flush.interval.ms", ("log.flush.interval.ms", "log.flush.scheduler.interval.ms")),
    ("log.flush.scheduler.interval.ms", ("log.flush.scheduler.interval.ms",)),
    ("message.max.bytes", ("message.max.bytes",)),
])
def test_broker_config_synonyms(name, synonyms):
    assert broker_config_synonyms(name) == synonyms


@pytest.mark.parametrize("props, retention_ms", [
    ({}, 168 * 3_600_000),
    ({"log.retention.hours": "1"}, 3_600_000),
    ({"log.retention.hours": "1", "log.retention.minutes": "2"}, 120_000),
    ({"log.retention.hours": "1", "log.retention.minutes": "2", "log.retention.ms": "3"}, 3),
    ({"log.retention.ms": "-5"}, -1),
    ({"log.retention.hours": "-1"}, -1),
])
def test_retention_precedence(props, retention_ms):
    assert broker_log_defaults(broker(**props))["retention.ms"] == retention_ms


def test_copy_kafka_config_to_log():
    defaults = broker_log_defaults(broker(**{
        "log.roll.hours": "2", "log.roll.jitter.hours": "1", "log.segment.bytes": "4096",
        "log.cleanup.policy": "compact", "log.message.format.version": "2.5", "log.preallocate": "true",
        "log.segment.delete.delay.ms": "5", "message.max.bytes": "100", "unclean.leader.election.enable": "true"}))
    assert defaults["segment.ms"] == 7_200_000
    assert defaults["segment.jitter.ms"] == 3_600_000
    assert defaults["segment.bytes"] == 4096
    assert defaults["cleanup.policy"] == ("compact",)
    assert defaults["message.format.version"] == "2.5-IV0"
    assert defaults["preallocate"] is True
    assert defaults["file.delete.delay.ms"] == 5
    assert defaults["max.message.bytes"] == 100
    assert defaults["unclean.leader.election.enable"] is True
    assert defaults["leader.replication.throttled.replicas"] == ()
    assert broker_log_defaults(broker(**{"log.roll.ms": "9", "log.roll.hours": "2"}))["segment.ms"] == 9
    assert broker_log_defaults(broker())["flush.ms"] == LONG_MAX
    assert broker_log_defaults(broker(**{"log.flush.interval.ms": "7"}))["flush.ms"] == 7
    assert broker_log_defaults(broker(**{"log.flush.scheduler.interval.ms": "8"}))["flush.ms"] == 8


def test_default_log_config_equals_log_configs_defaults():
    assert broker_default_log_config(broker()) == LogConfig()


def test_bad_broker_log_default_is_a_config_error():
    with pytest.raises(ConfigError, match="Invalid value x for configuration log.preallocate"):
        broker_log_defaults(broker(**{"log.preallocate": "x"}))


def test_effective_log_config():
    config = effective_log_config(broker(**{"log.retention.hours": "1", "log.segment.bytes": "2048"}),
                                  {"retention.ms": "500", "cleanup.policy": "delete, compact",
                                   "message.format.version": "2.0"})
    assert (config.retention_ms, config.segment_bytes, config.cleanup_policy) == (500, 2048, ("compact", "delete"))


@pytest.mark.parametrize("overrides, error, message", [
    ({"retention": "1"}, InvalidConfig, "Unknown topic config name: retention"),
    ({"retention.ms": "abc"}, InvalidConfigValue, "Invalid value abc for configuration retention.ms: Not a number of type LONG"),
    ({"retention.ms": "-2"}, InvalidConfigValue, "Invalid value -2 for configuration retention.ms: Value must be at least -1"),
    ({"segment.bytes": "13"}, InvalidConfigValue, "Invalid value 13 for configuration segment.bytes: Value must be at least 14"),
    ({"segment.bytes": "2147483648"}, InvalidConfigValue,
     "Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT"),
    ({"min.insync.replicas": "0"}, InvalidConfigValue,
     "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"),
    ({"min.cleanable.dirty.ratio": "1.5"}, InvalidConfigValue,
     "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"),
    ({"min.cleanable.dirty.ratio": "half"}, InvalidConfigValue,
     "Invalid value half for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"),
    ({"cleanup.policy": "compact,remove"}, InvalidConfigValue,
     "Invalid value remove for configuration cleanup.policy: String must be one of: compact, delete"),
    ({"cleanup.policy": "delete,"}, InvalidConfigValue,
     "Invalid value  for configuration cleanup.policy: String must be one of: compact, delete"),
    ({"compression.type": "zip"}, InvalidConfigValue, "Invalid value zip for configuration compression.type: "
     "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"),
    ({"message.timestamp.type": "createtime"}, InvalidConfigValue, "Invalid value createtime for configuration "
     "message.timestamp.type: String must be one of: CreateTime, LogAppendTime"),
    ({"preallocate": "yes"}, InvalidConfigValue,
     "Invalid value yes for configuration preallocate: Expected value to be either true or false"),
    ({"message.format.version": "3.0"}, InvalidConfigValue,
     "Invalid value 3.0 for configuration message.format.version: Version `3.0` is not a valid version"),
    ({"follower.replication.throttled.replicas": "0:1,a"}, InvalidConfigValue,
     "Invalid value [0:1, a] for configuration follower.replication.throttled.replicas: "
     "follower.replication.throttled.replicas must be the literal '*' or a list of replicas in the following "
     "format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."),
    ({"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "9"}, InvalidConfig,
     "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (9)"),
])
def test_validation_messages(overrides, error, message):
    with pytest.raises(error) as info:
        validate_topic_config(overrides)
    assert str(info.value) == message
    assert info.value.code == 40


@pytest.mark.parametrize("overrides, parsed", [
    ({"retention.ms": " 100 "}, {"retention.ms": 100}),
    ({"preallocate": "TRUE"}, {"preallocate": True}),
    ({"cleanup.policy": " compact , delete "}, {"cleanup.policy": ("compact", "delete")}),
    ({"cleanup.policy": ""}, {"cleanup.policy": ()}),
    ({"leader.replication.throttled.replicas": "*"}, {"leader.replication.throttled.replicas": ("*",)}),
    ({"leader.replication.throttled.replicas": ",0:1"}, {"leader.replication.throttled.replicas": ("", "0:1")}),
    ({"message.format.version": "0.10.0"}, {"message.format.version": "0.10.0"}),
    ({"min.cleanable.dirty.ratio": "1"}, {"min.cleanable.dirty.ratio": 1.0}),
])
def test_valid_values(overrides, parsed):
    assert validate_topic_config(overrides) == parsed


def test_api_versions():
    assert normalize_api_version("2.8") == "2.8-IV1"
    assert normalize_api_version("2.8.1") == "2.8-IV1"
    assert normalize_api_version("0.10.0") == "0.10.0-IV1"
    assert normalize_api_version("0.8.2") == "0.8.2"
    with pytest.raises(ValueError, match="Version `2.9` is not a valid version"):
        normalize_api_version("2.9")


def test_value_rendering():
    assert [java_double(v) for v in (0.5, 1.0, 1e-5, 12345678.0, 0.001)] == ["0.5", "1.0", "1.0E-5", "1.2345678E7", "0.001"]
    assert to_config_string(("compact", "delete")) == "compact,delete"
    assert to_config_string(()) == ""
    assert to_config_string(False) == "false"
    assert to_config_string(None) is None


def test_static_defaults_skip_null_defaults():
    defaults = static_default_broker_configs()
    assert defaults["log.retention.hours"] == "168"
    assert defaults["log.roll.jitter.hours"] == "0"
    assert defaults["log.cleanup.policy"] == "delete"
    assert "log.retention.ms" not in defaults and "log.roll.ms" not in defaults


@given(st.sampled_from([d for d in TOPIC_CONFIGS.values() if d.type in (ConfigType.INT, ConfigType.LONG)]),
       st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_integer_configs_accept_exactly_their_range(spec, value):
    bits = 32 if spec.type is ConfigType.INT else 64
    in_type = -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    try:
        parsed = spec.parse(str(value))
    except InvalidConfigValue as exc:
        assert not in_type or "Value must be at least" in str(exc)
    else:
        assert in_type and parsed == value and to_config_string(parsed) == str(value)
