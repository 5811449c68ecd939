"""kafka_clone/server/dynamic_broker_config.py: KIP-226 layering and validation (pure, no ZooKeeper)."""

from __future__ import annotations

import pytest

from kafka_clone.common.topic_config import InvalidConfigValue
from kafka_clone.server.config import KafkaConfig
from kafka_clone.server.dynamic_broker_config import (
    DEFAULT_ENTITY, DynamicBrokerConfig, current_broker_config, from_persistent_props,
    validate_dynamic_broker_configs,
)
from kafka_clone.server.topic_configs import broker_log_defaults, effective_log_config


def static(**props: str) -> KafkaConfig:
    return KafkaConfig.from_properties({"zookeeper.connect": "zk:2181", "log.dirs": "/unused", "broker.id": "1",
                                        **{k.replace("_", "."): v for k, v in props.items()}})


def retention(static_config: KafkaConfig, default: dict[str, str], mine: dict[str, str]) -> int:
    return broker_log_defaults(current_broker_config(static_config, default, mine))["retention.ms"]


def test_precedence_per_broker_over_default_over_static_over_kafka_default():
    assert retention(static(), {}, {}) == 7 * 24 * 3600 * 1000
    assert retention(static(log_retention_hours="2"), {}, {}) == 2 * 3600 * 1000
    assert retention(static(log_retention_ms="5"), {}, {}) == 5
    # A dynamic log.retention.ms beats the static hours (ms > hours) and the static ms (dynamic > static).
    assert retention(static(log_retention_hours="2"), {"log.retention.ms": "6"}, {}) == 6
    assert retention(static(log_retention_ms="5"), {"log.retention.ms": "6"}, {}) == 6
    assert retention(static(log_retention_ms="5"), {"log.retention.ms": "6"}, {"log.retention.ms": "7"}) == 7
    assert retention(static(log_retention_ms="5"), {}, {"log.retention.ms": "7"}) == 7


def test_a_topic_override_beats_every_broker_layer():
    current = current_broker_config(static(log_segment_bytes="2048"), {"log.segment.bytes": "4096"},
                                    {"compression.type": "lz4", "unclean.leader.election.enable": "true"})
    defaults = broker_log_defaults(current)
    plain = effective_log_config(defaults, {})
    own = effective_log_config(defaults, {"segment.bytes": "1000", "compression.type": "gzip"})
    assert (plain.segment_bytes, plain.compression_type, plain.unclean_leader_election_enable) == (4096, "lz4", True)
    assert (own.segment_bytes, own.compression_type, own.unclean_leader_election_enable) == (1000, "gzip", True)


def test_every_listed_log_default_is_dynamic():
    dynamic = {
        "log.retention.ms": ("retention_ms", "10", 10), "log.retention.bytes": ("retention_bytes", "11", 11),
        "log.segment.bytes": ("segment_bytes", "4096", 4096), "log.roll.ms": ("segment_ms", "12", 12),
        "log.cleanup.policy": ("cleanup_policy", "compact,delete", ("compact", "delete")),
        "min.insync.replicas": ("min_insync_replicas", "2", 2),
        "unclean.leader.election.enable": ("unclean_leader_election_enable", "true", True),
        "compression.type": ("compression_type", "zstd", "zstd"),
        "log.message.timestamp.type": ("message_timestamp_type", "LogAppendTime", "LogAppendTime"),
        "log.message.timestamp.difference.max.ms": ("message_timestamp_difference_max_ms", "13", 13),
        "log.index.interval.bytes": ("index_interval_bytes", "14", 14),
        "log.flush.interval.messages": ("flush_messages", "15", 15),
        "log.flush.interval.ms": ("flush_ms", "16", 16),
    }
    props = {name: raw for name, (_attr, raw, _value) in dynamic.items()}
    validate_dynamic_broker_configs(props, per_broker=False)
    config = effective_log_config(broker_log_defaults(current_broker_config(static(), props, {})), {})
    assert {name: getattr(config, attr) for name, (attr, _raw, _value) in dynamic.items()} == {
        name: value for name, (_attr, _raw, value) in dynamic.items()}


def test_validation_uses_kafkas_wording_and_order():
    with pytest.raises(InvalidConfigValue, match=r"^Cannot update these configs dynamically: Set\(log.retention.hours, "
                                                 r"broker.id\)$"):
        validate_dynamic_broker_configs({"log.retention.hours": "1", "broker.id": "2", "num.io.threads": "x"},
                                        per_broker=True)
    with pytest.raises(InvalidConfigValue, match="^Invalid value x for configuration num.io.threads: Not a number"):
        validate_dynamic_broker_configs({"num.io.threads": "x", "listeners": "PLAINTEXT://:1"}, per_broker=False)
    with pytest.raises(InvalidConfigValue, match="broker id must be specified: Set\\(listeners\\)"):
        validate_dynamic_broker_configs({"listeners": "PLAINTEXT://:1"}, per_broker=False)
    with pytest.raises(InvalidConfigValue, match="log.cleanup.policy: String must be one of: delete, compact"):
        validate_dynamic_broker_configs({"log.cleanup.policy": "shred"}, per_broker=True)
    validate_dynamic_broker_configs({"listeners": "PLAINTEXT://:1", "custom.thing": "x"}, per_broker=True)


def test_stored_configs_that_cannot_apply_are_dropped():
    stored = {"broker.id": "3", "listeners": "PLAINTEXT://:1", "log.segment.bytes": "1", "log.roll.ms": "9",
              "custom.thing": "x"}
    assert from_persistent_props(stored, per_broker=False) == {"log.roll.ms": "9", "custom.thing": "x"}
    assert from_persistent_props(stored, per_broker=True) == {
        "listeners": "PLAINTEXT://:1", "log.roll.ms": "9", "custom.thing": "x"}


def test_dynamic_broker_config_updates_only_its_own_entities():
    dynamic = DynamicBrokerConfig(static(log_segment_bytes="2048"), 1)
    assert dynamic.current is dynamic.static_config
    assert dynamic.update("2", {"log.segment.bytes": "4096"}) is False
    assert dynamic.update(DEFAULT_ENTITY, {"log.segment.bytes": "4096"}) is True
    assert dynamic.update("1", {"log.segment.bytes": "8192"}) is True
    assert dynamic.current["log.segment.bytes"] == 8192
    assert dynamic.update("1", {"log.segment.bytes": "8192"}) is False
    assert dynamic.update("1", {}) is True
    assert dynamic.current["log.segment.bytes"] == 4096
    assert dynamic.update(DEFAULT_ENTITY, {}) is True
    assert dynamic.current == dynamic.static_config
    assert (dynamic.default_configs, dynamic.broker_configs) == ({}, {})
