"""Per-topic log configuration, mirroring Kafka's ``kafka.log.LogConfig`` (2.8).

Attributes carry Kafka's topic-level names in snake_case (``segment.bytes`` -> ``segment_bytes``)
and Kafka 2.8's defaults. ``from_properties`` takes Kafka's dotted names as strings (what
``/config/topics/<t>`` and CreateTopics carry); ``from_broker_properties`` maps the broker-wide
``log.*`` defaults of ``server.properties`` (``log.segment.bytes``, ``log.retention.hours``...)
onto the same names, as ``KafkaServer.copyKafkaConfigToLog`` does.

A bad value raises ``InvalidConfig`` (40) with a one-line message naming the property.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from kafka_clone.common.topic_config import LONG_MAX
from kafka_clone.protocol.errors import InvalidConfig

__all__ = ["LogConfig", "LONG_MAX"]


@attrs.frozen(kw_only=True)
class LogConfig:
    """One log's configuration; immutable, derive changes with ``attrs.evolve``."""

    segment_bytes: int = 1024 * 1024 * 1024
    segment_ms: int = 7 * 24 * 3600 * 1000
    segment_jitter_ms: int = 0
    segment_index_bytes: int = 10 * 1024 * 1024
    index_interval_bytes: int = 4096
    retention_ms: int = 7 * 24 * 3600 * 1000
    retention_bytes: int = -1
    cleanup_policy: tuple[str, ...] = ("delete",)
    delete_retention_ms: int = 24 * 3600 * 1000
    min_cleanable_dirty_ratio: float = 0.5
    min_compaction_lag_ms: int = 0
    max_compaction_lag_ms: int = LONG_MAX
    max_message_bytes: int = 1024 * 1024 + 12
    flush_messages: int = LONG_MAX
    flush_ms: int = LONG_MAX
    message_timestamp_type: str = "CreateTime"
    message_timestamp_difference_max_ms: int = LONG_MAX
    file_delete_delay_ms: int = 60000
    compression_type: str = "producer"
    min_insync_replicas: int = 1
    unclean_leader_election_enable: bool = False
    preallocate: bool = False

    @property
    def compact(self) -> bool:
        return "compact" in self.cleanup_policy

    @property
    def delete(self) -> bool:
        return "delete" in self.cleanup_policy

    @property
    def log_append_time(self) -> bool:
        return self.message_timestamp_type == "LogAppendTime"

    @classmethod
    def from_properties(cls, props: Mapping[str, str], defaults: "LogConfig | None" = None) -> "LogConfig":
        """Build from Kafka's topic-level names, over ``defaults`` (the broker's log defaults)."""
        values: dict[str, Any] = {}
        for name, raw in props.items():
            spec = _TOPIC_PROPERTIES.get(name)
            if spec is None:
                raise InvalidConfig(f"Unknown topic config name: {name}")
            attr, parse = spec
            values[attr] = _parse(name, raw, parse)
        return attrs.evolve(defaults or cls(), **values)

    @classmethod
    def from_broker_properties(cls, props: Mapping[str, str]) -> "LogConfig":
        """Build the default LogConfig from ``server.properties`` names (``log.*`` and friends)."""
        values: dict[str, Any] = {}
        # Kafka prefers ms over minutes over hours (KafkaConfig.logRetentionTimeMillis,
        # logRollTimeMillis): later entries of each group override earlier ones.
        for attr, names in _BROKER_TIME_PROPERTIES:
            for name, factor in names:
                if name in props:
                    value = _parse(name, props[name], _long)
                    values[attr] = value * factor if value >= 0 else value
        for broker_name, topic_name in _BROKER_TO_TOPIC.items():
            if broker_name in props:
                attr, parse = _TOPIC_PROPERTIES[topic_name]
                values[attr] = _parse(broker_name, props[broker_name], parse)
        return cls(**values)


def _parse(name: str, raw: str, parse: Callable[[str, str], Any]) -> Any:
    try:
        return parse(name, raw.strip())
    except InvalidConfig:
        raise
    except (ValueError, TypeError):
        raise InvalidConfig(f"Invalid value {raw!r} for configuration {name}") from None


def _ranged(lo: float | None, hi: float | None, kind: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def parse(name: str, raw: str) -> Any:
        value = kind(raw)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"[{lo if lo is not None else '...'},{hi if hi is not None else '...'}]"
            raise InvalidConfig(f"Invalid value {raw} for configuration {name}: Value must be in {bounds}")
        return value
    return parse


def _long(name: str, raw: str) -> int:
    return int(raw)


def _one_of(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in choices:
            raise InvalidConfig(f"Invalid value {raw} for configuration {name}: String must be one of: {', '.join(choices)}")
        return raw
    return parse


def _policy(name: str, raw: str) -> tuple[str, ...]:
    items = tuple(sorted({p.strip() for p in raw.split(",") if p.strip()}))
    if not items or any(p not in ("compact", "delete") for p in items):
        raise InvalidConfig(f"Invalid value {raw} for configuration {name}: must be a list of compact, delete")
    return items


def _bool(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise InvalidConfig(f"Invalid value {raw} for configuration {name}: Expected value to be either true or false")
    return raw.lower() == "true"


_INT_MAX = 2**31 - 1
_TOPIC_PROPERTIES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    # segment.bytes >= 14: Kafka's LegacyRecord.RECORD_OVERHEAD_V0 lower bound.
    "segment.bytes": ("segment_bytes", _ranged(14, _INT_MAX, int)),
    "segment.ms": ("segment_ms", _ranged(1, None, int)),
    "segment.jitter.ms": ("segment_jitter_ms", _ranged(0, None, int)),
    "segment.index.bytes": ("segment_index_bytes", _ranged(4, _INT_MAX, int)),
    "index.interval.bytes": ("index_interval_bytes", _ranged(0, _INT_MAX, int)),
    "retention.ms": ("retention_ms", _ranged(-1, None, int)),
    "retention.bytes": ("retention_bytes", _long),
    "cleanup.policy": ("cleanup_policy", _policy),
    "delete.retention.ms": ("delete_retention_ms", _ranged(0, None, int)),
    "min.cleanable.dirty.ratio": ("min_cleanable_dirty_ratio", _ranged(0, 1, float)),
    "min.compaction.lag.ms": ("min_compaction_lag_ms", _ranged(0, None, int)),
    "max.compaction.lag.ms": ("max_compaction_lag_ms", _ranged(1, None, int)),
    "max.message.bytes": ("max_message_bytes", _ranged(0, _INT_MAX, int)),
    "flush.messages": ("flush_messages", _ranged(0, None, int)),
    "flush.ms": ("flush_ms", _ranged(0, None, int)),
    "message.timestamp.type": ("message_timestamp_type", _one_of("CreateTime", "LogAppendTime")),
    "message.timestamp.difference.max.ms": ("message_timestamp_difference_max_ms", _ranged(0, None, int)),
    "file.delete.delay.ms": ("file_delete_delay_ms", _ranged(0, None, int)),
    "compression.type": ("compression_type", _one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
    "min.insync.replicas": ("min_insync_replicas", _ranged(1, _INT_MAX, int)),
    "unclean.leader.election.enable": ("unclean_leader_election_enable", _bool),
    "preallocate": ("preallocate", _bool),
}

_BROKER_TIME_PROPERTIES = (
    ("retention_ms", (("log.retention.hours", 3600_000), ("log.retention.minutes", 60_000), ("log.retention.ms", 1))),
    ("segment_ms", (("log.roll.hours", 3600_000), ("log.roll.ms", 1))),
    ("segment_jitter_ms", (("log.roll.jitter.hours", 3600_000), ("log.roll.jitter.ms", 1))),
)

_BROKER_TO_TOPIC = {
    "log.segment.bytes": "segment.bytes",
    "log.index.size.max.bytes": "segment.index.bytes",
    "log.index.interval.bytes": "index.interval.bytes",
    "log.retention.bytes": "retention.bytes",
    "log.cleanup.policy": "cleanup.policy",
    "log.cleaner.delete.retention.ms": "delete.retention.ms",
    "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio",
    "log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
    "message.max.bytes": "max.message.bytes",
    "log.flush.interval.messages": "flush.messages",
    "log.flush.interval.ms": "flush.ms",
    "log.message.timestamp.type": "message.timestamp.type",
    "log.segment.delete.delay.ms": "file.delete.delay.ms",
    "compression.type": "compression.type",
    "min.insync.replicas": "min.insync.replicas",
    "unclean.leader.election.enable": "unclean.leader.election.enable",
    "log.preallocate": "preallocate",
}
