"""The broker side of Kafka 2.8's topic configs: broker synonyms, log defaults and effective values.

Mirrors the log part of ``KafkaServer.copyKafkaConfigToLog``, ``LogConfig.fromProps`` and
``DynamicBrokerConfig.brokerConfigSynonyms``. The topic config table itself, ConfigDef's parsing
and ``validate_topic_config`` live in ``kafka_clone/common/topic_config.py`` (one definition,
shared with ``zk/admin_zk_client.py``) and are re-exported here for the broker's modules. The
DynamicConfigManager turns ``/config/topics/<t>`` into a ``LogConfig`` for the ``LogManager``
with these functions, and the config APIs describe every entry with its source and synonyms.

Invariant: an effective topic config = the broker's log defaults derived from its current
config (``server.properties`` overlaid with the dynamic broker configs, KIP-226; Kafka's
ms > minutes > hours precedence) overlaid with the topic's overrides. The overrides in
ZooKeeper stay strings exactly as written; parsing happens on use.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from kafka_clone.common.topic_config import (
    API_VERSIONS, TOPIC_CONFIG_SYNONYMS, TOPIC_CONFIGS, ConfigType, InvalidConfigValue, TopicConfigDef, Validator,
    api_version, at_least, java_double, normalize_api_version, parse_topic_config, parse_value, to_config_string,
    validate_topic_config,
)
from kafka_clone.log.log_config import LONG_MAX, LogConfig
from kafka_clone.server.config import BROKER_CONFIGS, ConfigError, KafkaConfig

__all__ = [
    "ConfigType", "ConfigSource", "InvalidConfigValue", "TopicConfigDef", "TOPIC_CONFIGS",
    "TOPIC_CONFIG_SYNONYMS", "BROKER_LOG_CONFIGS", "broker_config_synonyms", "to_config_string",
    "validate_topic_config", "parse_topic_config", "broker_log_defaults", "broker_default_log_config",
    "effective_topic_values", "effective_log_config", "to_log_config", "static_default_broker_configs",
    "API_VERSIONS", "normalize_api_version", "broker_config_type", "broker_value", "java_double",
    "parse_value",
]

class ConfigSource(enum.IntEnum):
    """``DescribeConfigsResponse.ConfigSource`` (KIP-226): where a value comes from."""

    UNKNOWN = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6



_T = ConfigType


@attrs.frozen
class BrokerLogConfigDef:
    """A ``server.properties`` log default that ``kafka_clone.server.config`` does not define."""

    name: str
    type: ConfigType
    default: Any
    validator: Validator | None = None


#: Kafka 2.8 broker configs behind topic synonyms that ``KafkaConfig`` here does not declare;
#: read from ``KafkaConfig.originals`` with Kafka's types and defaults.
BROKER_LOG_CONFIGS: dict[str, BrokerLogConfigDef] = {d.name: d for d in [
    BrokerLogConfigDef("log.roll.jitter.ms", _T.LONG, None),
    BrokerLogConfigDef("log.roll.jitter.hours", _T.INT, 0, at_least(0)),
    BrokerLogConfigDef("log.flush.scheduler.interval.ms", _T.LONG, LONG_MAX),
    BrokerLogConfigDef("log.cleaner.min.compaction.lag.ms", _T.LONG, 0),
    BrokerLogConfigDef("log.cleaner.max.compaction.lag.ms", _T.LONG, LONG_MAX),
    BrokerLogConfigDef("log.segment.delete.delay.ms", _T.LONG, 60000, at_least(0)),
    BrokerLogConfigDef("log.preallocate", _T.BOOLEAN, False),
    BrokerLogConfigDef("log.message.format.version", _T.STRING, "2.8-IV1", api_version),
    BrokerLogConfigDef("log.message.timestamp.difference.max.ms", _T.LONG, LONG_MAX),
    BrokerLogConfigDef("log.message.downconversion.enable", _T.BOOLEAN, True),
]}

_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("log.roll.ms", "log.roll.hours"),
    ("log.roll.jitter.ms", "log.roll.jitter.hours"),
    ("log.retention.ms", "log.retention.minutes", "log.retention.hours"),
)


def broker_config_synonyms(name: str) -> tuple[str, ...]:
    """``DynamicBrokerConfig.brokerConfigSynonyms`` (without listener prefixes), highest priority first.

    ``log.flush.interval.ms`` falls back to ``log.flush.scheduler.interval.ms``, but not the
    other way round, as in Kafka.
    """
    if name == "log.flush.interval.ms":
        return ("log.flush.interval.ms", "log.flush.scheduler.interval.ms")
    for group in _SYNONYM_GROUPS:
        if name in group:
            return group
    return (name,)


_TYPE_BY_NAME = {"int": _T.INT, "long": _T.LONG, "short": _T.SHORT, "boolean": _T.BOOLEAN,
                 "double": _T.DOUBLE, "string": _T.STRING, "password": _T.PASSWORD, "list": _T.LIST}


def broker_config_type(name: str) -> ConfigType | None:
    """The Kafka type of a broker config, None when the broker does not know the name."""
    if name in BROKER_CONFIGS:
        return _TYPE_BY_NAME[BROKER_CONFIGS[name].type]
    if name in BROKER_LOG_CONFIGS:
        return BROKER_LOG_CONFIGS[name].type
    return None


def static_default_broker_configs() -> dict[str, str]:
    """``DynamicBrokerConfig.staticDefaultConfigs``: every broker default that is not null, as a string."""
    out = {name: to_config_string(d.default) for name, d in BROKER_CONFIGS.items() if d.default is not None}
    out.update({name: to_config_string(d.default) for name, d in BROKER_LOG_CONFIGS.items() if d.default is not None})
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------------------- broker defaults


def broker_value(config: KafkaConfig, name: str) -> Any:
    """A broker config's value, also for the log defaults this project's KafkaConfig lacks."""
    if name in BROKER_CONFIGS:
        return config[name]
    spec = BROKER_LOG_CONFIGS[name]
    raw = config.originals.get(name)
    if raw is None:
        return spec.default
    try:
        value = parse_value(name, raw, spec.type)
        if spec.validator is not None:
            spec.validator(name, value)
    except InvalidConfigValue as exc:
        raise ConfigError(str(exc)) from None
    return value


def _millis(config: KafkaConfig, ms: str, hours: str) -> int:
    value = broker_value(config, ms)
    return value if value is not None else 3600 * 1000 * broker_value(config, hours)


def broker_log_defaults(config: KafkaConfig) -> dict[str, Any]:
    """``KafkaServer.copyKafkaConfigToLog``: the topic defaults of this broker, by topic name.

    Time configs follow KafkaConfig: ``log.roll.ms`` over ``log.roll.hours``;
    ``log.retention.ms`` over ``.minutes`` over ``.hours``, any negative result meaning -1;
    ``log.flush.interval.ms`` unset falls back to ``log.flush.scheduler.interval.ms``.
    The replica throttle lists are not copied, so they keep their empty defaults.
    """
    retention = broker_value(config, "log.retention.ms")
    if retention is None:
        minutes = broker_value(config, "log.retention.minutes")
        retention = 60_000 * minutes if minutes is not None else 3_600_000 * broker_value(config, "log.retention.hours")
    flush_ms = broker_value(config, "log.flush.interval.ms")
    values = {name: d.default for name, d in TOPIC_CONFIGS.items()}
    values.update({
        "segment.bytes": broker_value(config, "log.segment.bytes"),
        "segment.ms": _millis(config, "log.roll.ms", "log.roll.hours"),
        "segment.jitter.ms": _millis(config, "log.roll.jitter.ms", "log.roll.jitter.hours"),
        "segment.index.bytes": broker_value(config, "log.index.size.max.bytes"),
        "flush.messages": broker_value(config, "log.flush.interval.messages"),
        "flush.ms": flush_ms if flush_ms is not None else broker_value(config, "log.flush.scheduler.interval.ms"),
        "retention.bytes": broker_value(config, "log.retention.bytes"),
        "retention.ms": -1 if retention < 0 else retention,
        "max.message.bytes": broker_value(config, "message.max.bytes"),
        "index.interval.bytes": broker_value(config, "log.index.interval.bytes"),
        "delete.retention.ms": broker_value(config, "log.cleaner.delete.retention.ms"),
        "min.compaction.lag.ms": broker_value(config, "log.cleaner.min.compaction.lag.ms"),
        "max.compaction.lag.ms": broker_value(config, "log.cleaner.max.compaction.lag.ms"),
        "file.delete.delay.ms": broker_value(config, "log.segment.delete.delay.ms"),
        "min.cleanable.dirty.ratio": broker_value(config, "log.cleaner.min.cleanable.ratio"),
        "cleanup.policy": tuple(broker_value(config, "log.cleanup.policy")),
        "min.insync.replicas": broker_value(config, "min.insync.replicas"),
        "compression.type": broker_value(config, "compression.type"),
        "unclean.leader.election.enable": broker_value(config, "unclean.leader.election.enable"),
        "preallocate": broker_value(config, "log.preallocate"),
        # KafkaConfig.logMessageFormatVersion is an ApiVersion: "2.8" is copied as "2.8-IV1".
        "message.format.version": normalize_api_version(broker_value(config, "log.message.format.version")),
        "message.timestamp.type": broker_value(config, "log.message.timestamp.type"),
        "message.timestamp.difference.max.ms": broker_value(config, "log.message.timestamp.difference.max.ms"),
        "message.downconversion.enable": broker_value(config, "log.message.downconversion.enable"),
    })
    return values



def effective_topic_values(defaults: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """``LogConfig.fromProps(defaults, overrides)``: every topic config's value, parsed."""
    return {**defaults, **parse_topic_config(overrides)}


_LOG_CONFIG_FIELDS = frozenset(a.name for a in attrs.fields(LogConfig))


def to_log_config(values: Mapping[str, Any]) -> LogConfig:
    """The ``LogConfig`` the log layer uses (it ignores the format, down-conversion and throttle entries)."""
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        attr = name.replace(".", "_")
        if attr in _LOG_CONFIG_FIELDS:
            kwargs[attr] = tuple(sorted(set(value))) if name == "cleanup.policy" else value
    return LogConfig(**kwargs)


def broker_default_log_config(config: KafkaConfig) -> LogConfig:
    """The LogConfig of a topic without overrides on this broker (what LogManager starts with)."""
    return to_log_config(broker_log_defaults(config))


def effective_log_config(config: KafkaConfig | Mapping[str, Any], overrides: Mapping[str, str]) -> LogConfig:
    """Broker defaults (a KafkaConfig, or ``broker_log_defaults`` already computed) plus overrides."""
    defaults = broker_log_defaults(config) if isinstance(config, KafkaConfig) else config
    return to_log_config(effective_topic_values(defaults, overrides))
