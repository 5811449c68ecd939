"""Kafka 2.8's topic-level configs: the table, ConfigDef's parsing and its wording.

Mirrors the ``ConfigDef`` of ``kafka.log.LogConfig`` together with the pieces of Kafka's common
config code it relies on (``ConfigDef.parseType``, its validators, ``convertToString``) and the
names of ``org.apache.kafka.common.config.TopicConfig``. It lives in ``common`` because two
layers need the same single definition: ``zk/admin_zk_client.py`` validates overrides before
writing ``/config/topics/<t>``, and the broker (``kafka_clone/server/topic_configs.py``) derives
effective log configs and describes them. Nothing here knows about the broker's own config.

Invariants:

* ``TOPIC_CONFIGS`` holds exactly the 26 configs a 2.8 broker accepts for a topic; anything
  else is ``Unknown topic config name: <name>`` (INVALID_CONFIG, 40).
* Values are parsed and checked as Kafka's ``ConfigDef`` does and a bad one raises
  ``InvalidConfigValue`` with ConfigDef's wording (``Invalid value abc for configuration
  retention.ms: Not a number of type LONG``). It is an ``InvalidConfig`` (40), which is what
  CreateTopics answers; AlterConfigs turns it into INVALID_REQUEST (42) as ``ZkAdminManager``
  does for a ``ConfigException``.
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from kafka_clone.protocol.errors import InvalidConfig

__all__ = [
    "ConfigType", "InvalidConfigValue", "TopicConfigDef", "TOPIC_CONFIGS", "TOPIC_CONFIG_SYNONYMS",
    "Validator", "to_config_string", "java_double", "parse_value", "at_least", "between", "one_of", "list_of",
    "API_VERSIONS", "normalize_api_version", "parse_topic_config", "validate_topic_config",
]

#: Java's ``Long.MAX_VALUE``: Kafka's "never" for flush.messages, flush.ms and the compaction lag.
LONG_MAX = 2**63 - 1

class ConfigType(enum.IntEnum):
    """``ConfigDef.Type`` as DescribeConfigs v3+ ``config_type`` numbers it."""

    UNKNOWN = 0
    BOOLEAN = 1
    STRING = 2
    INT = 3
    SHORT = 4
    LONG = 5
    DOUBLE = 6
    LIST = 7
    CLASS = 8
    PASSWORD = 9



class InvalidConfigValue(InvalidConfig):
    """A value Kafka's ``ConfigDef`` rejects: Kafka's ``ConfigException``.

    The message is ConfigDef's ``Invalid value <v> for configuration <name>: <why>``.
    """


# ---------------------------------------------------------------------------- Java rendering


def java_double(value: float) -> str:
    """``Double.toString``: ``0.5``, ``1.0``, ``1.0E-5``, ``1.2345678E7``."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(float(value))  # Python's shortest repr is plain decimal in this range, like Java's
    _sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    rest = "".join(map(str, digits[1:])) or "0"
    return f"{'-' if value < 0 else ''}{digits[0]}.{rest}E{exponent + len(digits) - 1}"


def to_config_string(value: Any, type_: ConfigType | None = None) -> str | None:
    """``ConfigDef.convertToString``: how a parsed value is shown (lists joined by ``,``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return java_double(value)
    return str(value)


# ---------------------------------------------------------------------------- parsing


def _bad(name: str, shown: Any, why: str) -> InvalidConfigValue:
    return InvalidConfigValue(f"Invalid value {shown} for configuration {name}: {why}")


def _parse_number(name: str, raw: str, type_: ConfigType) -> Any:
    trimmed = raw.strip()
    if type_ is ConfigType.DOUBLE:
        # Double.parseDouble: decimal or exponent forms; no underscores (Python would allow them).
        if "_" in trimmed or not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?", trimmed):
            raise _bad(name, raw, "Not a number of type DOUBLE")
        return float(trimmed.rstrip("dDfF"))
    bits = {ConfigType.SHORT: 16, ConfigType.INT: 32, ConfigType.LONG: 64}[type_]
    if not re.fullmatch(r"[+-]?[0-9]+", trimmed):
        raise _bad(name, raw, f"Not a number of type {type_.name}")
    value = int(trimmed)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise _bad(name, raw, f"Not a number of type {type_.name}")
    return value


def parse_value(name: str, raw: str, type_: ConfigType) -> Any:
    """``ConfigDef.parseType`` for a string value."""
    trimmed = raw.strip()
    if type_ is ConfigType.BOOLEAN:
        if trimmed.lower() == "true":
            return True
        if trimmed.lower() == "false":
            return False
        raise _bad(name, raw, "Expected value to be either true or false")
    if type_ in (ConfigType.STRING, ConfigType.PASSWORD, ConfigType.CLASS):
        return trimmed
    if type_ is ConfigType.LIST:
        # split("\\s*,\\s*", -1): empty items are kept, an empty value is an empty list.
        return () if not trimmed else tuple(re.split(r"\s*,\s*", trimmed))
    return _parse_number(name, raw, type_)


Validator = Callable[[str, Any], None]


def at_least(minimum: int) -> Validator:
    def check(name: str, value: Any) -> None:
        if value < minimum:
            raise _bad(name, to_config_string(value), f"Value must be at least {minimum}")
    return check


def between(minimum: int, maximum: int) -> Validator:
    def check(name: str, value: Any) -> None:
        if value < minimum:
            raise _bad(name, to_config_string(value), f"Value must be at least {minimum}")
        if value > maximum:
            raise _bad(name, to_config_string(value), f"Value must be no more than {maximum}")
    return check


def one_of(*choices: str) -> Validator:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise _bad(name, value, f"String must be one of: {', '.join(choices)}")
    return check


def list_of(*choices: str) -> Validator:
    """``ValidList.in``: each item must be one of ``choices`` (the message names the item)."""
    item = one_of(*choices)

    def check(name: str, value: Any) -> None:
        for one in value:
            item(name, one)
    return check


def _java_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(items) + "]"


def throttled_replicas(name: str, value: Any) -> None:
    """``ThrottledReplicaListValidator``: ``*`` or ``partition:broker`` pairs (empty items pass)."""
    if value and value[0].strip() == "*":
        return
    if all(re.fullmatch(r"([0-9]+:[0-9]+)?", v.strip()) for v in value):
        return
    raise _bad(name, _java_list(value), f"{name} must be the literal '*' or a list of replicas in the following "
                                        "format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")


#: ``ApiVersion.allVersions`` of Kafka 2.8 (inter-broker protocol and message format versions).
API_VERSIONS: tuple[str, ...] = (
    "0.8.0", "0.8.1", "0.8.2", "0.9.0", "0.10.0-IV0", "0.10.0-IV1", "0.10.1-IV0", "0.10.1-IV1",
    "0.10.1-IV2", "0.10.2-IV0", "0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "1.0-IV0", "1.1-IV0",
    "2.0-IV0", "2.0-IV1", "2.1-IV0", "2.1-IV1", "2.1-IV2", "2.2-IV0", "2.2-IV1", "2.3-IV0",
    "2.3-IV1", "2.4-IV0", "2.4-IV1", "2.5-IV0", "2.6-IV0", "2.7-IV0", "2.7-IV1", "2.7-IV2",
    "2.8-IV0", "2.8-IV1",
)


def _short_version(version: str) -> str:
    return version.split("-")[0]


_VERSION_MAP: dict[str, str] = {v: v for v in API_VERSIONS}
for _v in API_VERSIONS:  # the short form names the latest IV of its release (later ones win)
    _VERSION_MAP[_short_version(_v)] = _v


def normalize_api_version(text: str) -> str:
    """``ApiVersion.apply``: ``2.8`` -> ``2.8-IV1``, ``0.10.0`` -> ``0.10.0-IV1``; else ValueError."""
    segments = text.split(".")
    key = ".".join(segments[: 3 if text.startswith("0.") else 2])
    try:
        return _VERSION_MAP[key]
    except KeyError:
        raise ValueError(f"Version `{text}` is not a valid version") from None


def api_version(name: str, value: Any) -> None:
    try:
        normalize_api_version(value)
    except ValueError as exc:
        raise _bad(name, value, str(exc)) from None


# ---------------------------------------------------------------------------- the table


@attrs.frozen
class TopicConfigDef:
    """One topic config: Kafka type, default (parsed), validator, broker synonym and a short doc."""

    name: str
    type: ConfigType
    default: Any
    validator: Validator | None
    broker_synonym: str | None
    documentation: str

    def parse(self, raw: str) -> Any:
        value = parse_value(self.name, raw, self.type)
        if self.validator is not None:
            self.validator(self.name, value)
        return value


def _def(name: str, type_: ConfigType, default: Any, validator: Validator | None, synonym: str | None,
         doc: str) -> TopicConfigDef:
    return TopicConfigDef(name, type_, default, validator, synonym, doc)


_T = ConfigType
_DAY_MS = 24 * 3600 * 1000
_COMPRESSION = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")

#: LogConfig's ConfigDef (Kafka 2.8), sorted by name as ``LogConfig.configNames`` is.
TOPIC_CONFIGS: dict[str, TopicConfigDef] = {d.name: d for d in sorted([
    _def("cleanup.policy", _T.LIST, ("delete",), list_of("compact", "delete"), "log.cleanup.policy",
         "Whether old segments are deleted (delete), compacted to the last value per key (compact), or both."),
    _def("compression.type", _T.STRING, "producer", one_of(*_COMPRESSION), "compression.type",
         "Codec of the stored batches; 'producer' keeps what the producer sent."),
    _def("delete.retention.ms", _T.LONG, _DAY_MS, at_least(0), "log.cleaner.delete.retention.ms",
         "How long tombstones stay readable in a compacted log."),
    _def("file.delete.delay.ms", _T.LONG, 60000, at_least(0), "log.segment.delete.delay.ms",
         "Delay between marking a segment deleted and removing its files."),
    _def("flush.messages", _T.LONG, LONG_MAX, at_least(0), "log.flush.interval.messages",
         "Force an fsync after this many messages (replication makes this rarely useful)."),
    _def("flush.ms", _T.LONG, LONG_MAX, at_least(0), "log.flush.interval.ms",
         "Force an fsync after this much time."),
    _def("follower.replication.throttled.replicas", _T.LIST, (), throttled_replicas, None,
         "Replicas ('partition:broker' pairs or '*') throttled on the follower side."),
    _def("index.interval.bytes", _T.INT, 4096, at_least(0), "log.index.interval.bytes",
         "Bytes appended between two offset index entries."),
    _def("leader.replication.throttled.replicas", _T.LIST, (), throttled_replicas, None,
         "Replicas ('partition:broker' pairs or '*') throttled on the leader side."),
    _def("max.compaction.lag.ms", _T.LONG, LONG_MAX, at_least(1), "log.cleaner.max.compaction.lag.ms",
         "Longest time a record may stay uncompacted."),
    _def("max.message.bytes", _T.INT, 1048588, at_least(0), "message.max.bytes",
         "Largest record batch the topic accepts."),
    _def("message.downconversion.enable", _T.BOOLEAN, True, None, "log.message.downconversion.enable",
         "Whether old consumers may fetch batches converted to older message formats."),
    _def("message.format.version", _T.STRING, "2.8-IV1", api_version, "log.message.format.version",
         "Message format version the broker writes for this topic."),
    _def("message.timestamp.difference.max.ms", _T.LONG, LONG_MAX, at_least(0),
         "log.message.timestamp.difference.max.ms",
         "Largest accepted difference between a CreateTime timestamp and the broker's clock."),
    _def("message.timestamp.type", _T.STRING, "CreateTime", one_of("CreateTime", "LogAppendTime"),
         "log.message.timestamp.type", "Whether record timestamps are the producer's or the append time."),
    _def("min.cleanable.dirty.ratio", _T.DOUBLE, 0.5, between(0, 1), "log.cleaner.min.cleanable.ratio",
         "Share of uncompacted bytes that makes a log eligible for cleaning."),
    _def("min.compaction.lag.ms", _T.LONG, 0, at_least(0), "log.cleaner.min.compaction.lag.ms",
         "Shortest time a record stays uncompacted."),
    _def("min.insync.replicas", _T.INT, 1, at_least(1), "min.insync.replicas",
         "Fewest in-sync replicas an acks=all produce needs."),
    _def("preallocate", _T.BOOLEAN, False, None, "log.preallocate",
         "Preallocate the file of a new segment."),
    _def("retention.bytes", _T.LONG, -1, None, "log.retention.bytes",
         "Size a partition may grow to before old segments are deleted; -1 means no limit."),
    _def("retention.ms", _T.LONG, 7 * _DAY_MS, at_least(-1), "log.retention.ms",
         "Age after which old segments are deleted; -1 means no limit."),
    _def("segment.bytes", _T.INT, 1024 * 1024 * 1024, at_least(14), "log.segment.bytes",
         "Size at which a segment is rolled."),
    _def("segment.index.bytes", _T.INT, 10 * 1024 * 1024, at_least(0), "log.index.size.max.bytes",
         "Size of the offset and time indexes of a segment."),
    _def("segment.jitter.ms", _T.LONG, 0, at_least(0), "log.roll.jitter.ms",
         "Random jitter subtracted from segment.ms."),
    _def("segment.ms", _T.LONG, 7 * _DAY_MS, at_least(1), "log.roll.ms",
         "Age at which a segment is rolled even if not full."),
    _def("unclean.leader.election.enable", _T.BOOLEAN, False, None, "unclean.leader.election.enable",
         "Whether a replica outside the ISR may become leader (losing data) as a last resort."),
], key=lambda d: d.name)}

#: ``LogConfig.TopicConfigSynonyms``: topic config -> the broker config with the highest priority.
#: The replica throttle lists have no broker counterpart.
TOPIC_CONFIG_SYNONYMS: dict[str, str] = {
    d.name: d.broker_synonym for d in TOPIC_CONFIGS.values() if d.broker_synonym is not None
}



# ---------------------------------------------------------------------------- topic overrides


def parse_topic_config(overrides: Mapping[str, str]) -> dict[str, Any]:
    """Parse overrides by topic name; unknown names are INVALID_CONFIG, bad values InvalidConfigValue."""
    for name in overrides:
        if name not in TOPIC_CONFIGS:
            raise InvalidConfig(f"Unknown topic config name: {name}")
    return {name: TOPIC_CONFIGS[name].parse(raw) for name, raw in overrides.items()}


def validate_topic_config(overrides: Mapping[str, str]) -> dict[str, Any]:
    """``LogConfig.validate``: names, then values, then the compaction lag pair; returns the parsed values.

    As in Kafka the lag check compares the overrides with LogConfig's own defaults, not with the
    broker's (``configDef.parse`` fills in the static defaults).
    """
    parsed = parse_topic_config(overrides)
    lo = parsed.get("min.compaction.lag.ms", TOPIC_CONFIGS["min.compaction.lag.ms"].default)
    hi = parsed.get("max.compaction.lag.ms", TOPIC_CONFIGS["max.compaction.lag.ms"].default)
    if lo > hi:
        raise InvalidConfig(
            f"conflict topic config setting min.compaction.lag.ms ({lo}) > max.compaction.lag.ms ({hi})")
    return parsed

