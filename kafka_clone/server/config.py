"""Broker configuration: `server.properties` with Kafka's property names and Kafka 2.8 defaults.

Mirrors Kafka's `KafkaConfig` (server/KafkaConfig.scala): one table of definitions (name, type,
default, validator), parsed from a Java properties file, validated at start-up with Kafka's own
message shape (`Invalid value abc for configuration broker.id: Not a number of type INT`), so a bad
file stops the broker with one line instead of a traceback.  Unknown names are kept and logged,
as Kafka logs "... was supplied but isn't a known config".

Values are read with Kafka's names: `config["zookeeper.session.timeout.ms"]`.  A few derived
values (listeners, advertised listeners, log dirs) have properties of their own.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import attrs

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message is one line for the operator."""


# -- Java properties ------------------------------------------------------------------------------


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java `.properties` text (java.util.Properties.load rules that matter in practice).

    `#`/`!` comments, `=`, `:` or whitespace separators, backslash line continuations and escapes.
    """
    props: dict[str, str] = {}
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        # An odd number of trailing backslashes continues the line.
        stripped = line.rstrip("\n")
        trailing = len(stripped) - len(stripped.rstrip("\\"))
        if trailing % 2 == 1:
            pending += stripped[:-1]
            continue
        logical.append(pending + stripped)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        m = re.match(r"((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)$", line)
        if not m:
            continue
        key, value = _unescape(m.group(1)), _unescape(m.group(2))
        props[key] = value
    return props


def load_properties(path: str | Path) -> dict[str, str]:
    try:
        return parse_properties(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


# -- definitions ----------------------------------------------------------------------------------


def _parse_int(name: str, v: str, bits: int) -> int:
    kind = "INT" if bits == 32 else "LONG"
    try:
        n = int(v.strip())
    except ValueError:
        raise ConfigError(f"Invalid value {v} for configuration {name}: Not a number of type {kind}") from None
    if not -(2 ** (bits - 1)) <= n < 2 ** (bits - 1):
        raise ConfigError(f"Invalid value {v} for configuration {name}: Not a number of type {kind}")
    return n


def _parse_bool(name: str, v: str) -> bool:
    s = v.strip().lower()
    if s not in ("true", "false"):
        raise ConfigError(f"Invalid value {v} for configuration {name}: Expected value to be either true or false")
    return s == "true"


def _parse_double(name: str, v: str) -> float:
    try:
        return float(v.strip())
    except ValueError:
        raise ConfigError(f"Invalid value {v} for configuration {name}: Not a number of type DOUBLE") from None


def _parse_list(name: str, v: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in v.split(",") if p.strip())


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "int": lambda n, v: _parse_int(n, v, 32),
    "long": lambda n, v: _parse_int(n, v, 64),
    "short": lambda n, v: _parse_int(n, v, 16),
    "boolean": _parse_bool,
    "double": _parse_double,
    "string": lambda n, v: v.strip(),
    "password": lambda n, v: v,
    "list": _parse_list,
}


@attrs.frozen
class ConfigDef:
    name: str
    type: str
    default: Any
    at_least: float | None = None
    choices: tuple[str, ...] | None = None
    required: bool = False

    def parse(self, raw: str) -> Any:
        value = _PARSERS[self.type](self.name, raw)
        if self.at_least is not None and value < self.at_least:
            raise ConfigError(f"Invalid value {raw} for configuration {self.name}: Value must be at least {self.at_least:g}")
        if self.choices is not None:
            values = value if isinstance(value, tuple) else (value,)
            for one in values:
                if one not in self.choices:
                    raise ConfigError(f"Invalid value {raw} for configuration {self.name}: String must be one of: {', '.join(self.choices)}")
        return value


def _d(name: str, type_: str, default: Any = None, **kw: Any) -> ConfigDef:
    return ConfigDef(name, type_, default, **kw)


_H = 60 * 60 * 1000
#: Kafka 2.8 broker configs (KafkaConfig.scala Defaults) that kafka-clone reads.
BROKER_CONFIGS: dict[str, ConfigDef] = {d.name: d for d in [
    _d("zookeeper.connect", "string", required=True),
    _d("zookeeper.session.timeout.ms", "int", 18000, at_least=1),
    _d("zookeeper.connection.timeout.ms", "int", None, at_least=1),
    _d("zookeeper.max.in.flight.requests", "int", 10, at_least=1),
    _d("broker.id", "int", -1),
    _d("broker.id.generation.enable", "boolean", True),
    _d("reserved.broker.max.id", "int", 1000, at_least=0),
    _d("broker.rack", "string", None),
    _d("listeners", "string", "PLAINTEXT://:9092"),
    _d("advertised.listeners", "string", None),
    _d("listener.security.protocol.map", "string",
       "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"),
    _d("inter.broker.listener.name", "string", None),
    _d("security.inter.broker.protocol", "string", "PLAINTEXT"),
    _d("inter.broker.protocol.version", "string", "2.8-IV1"),
    _d("log.dirs", "string", None),
    _d("log.dir", "string", "/tmp/kafka-logs"),
    _d("num.partitions", "int", 1, at_least=1),
    _d("default.replication.factor", "int", 1, at_least=1),
    _d("min.insync.replicas", "int", 1, at_least=1),
    _d("unclean.leader.election.enable", "boolean", False),
    _d("auto.create.topics.enable", "boolean", True),
    _d("delete.topic.enable", "boolean", True),
    _d("message.max.bytes", "int", 1048588, at_least=0),
    _d("socket.request.max.bytes", "int", 104857600, at_least=1),
    _d("connections.max.idle.ms", "long", 600000),
    _d("request.timeout.ms", "int", 30000, at_least=0),
    _d("controller.socket.timeout.ms", "int", 30000),
    _d("log.segment.bytes", "int", 1073741824, at_least=14),
    _d("log.roll.ms", "long", None),
    _d("log.roll.hours", "int", 168, at_least=1),
    _d("log.retention.ms", "long", None),
    _d("log.retention.minutes", "int", None),
    _d("log.retention.hours", "int", 168),
    _d("log.retention.bytes", "long", -1),
    _d("log.retention.check.interval.ms", "long", 300000, at_least=1),
    _d("log.index.size.max.bytes", "int", 10485760, at_least=4),
    _d("log.index.interval.bytes", "int", 4096, at_least=0),
    _d("log.cleanup.policy", "list", ("delete",), choices=("delete", "compact")),
    _d("log.cleaner.enable", "boolean", True),
    _d("log.cleaner.delete.retention.ms", "long", 86400000),
    _d("log.cleaner.min.cleanable.ratio", "double", 0.5),
    _d("log.flush.interval.messages", "long", 2 ** 63 - 1, at_least=1),
    _d("log.flush.interval.ms", "long", None),
    _d("log.message.timestamp.type", "string", "CreateTime", choices=("CreateTime", "LogAppendTime")),
    _d("compression.type", "string", "producer",
       choices=("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
    _d("num.recovery.threads.per.data.dir", "int", 1, at_least=1),
    _d("replica.lag.time.max.ms", "long", 30000),
    _d("replica.fetch.max.bytes", "int", 1048576, at_least=0),
    _d("replica.fetch.response.max.bytes", "int", 10485760, at_least=0),
    _d("replica.fetch.wait.max.ms", "int", 500),
    _d("replica.fetch.min.bytes", "int", 1),
    _d("replica.fetch.backoff.ms", "int", 1000, at_least=0),
    _d("replica.socket.timeout.ms", "int", 30000),
    _d("num.replica.fetchers", "int", 1),
    _d("replica.high.watermark.checkpoint.interval.ms", "long", 5000),
    _d("auto.leader.rebalance.enable", "boolean", True),
    _d("leader.imbalance.per.broker.percentage", "int", 10),
    _d("leader.imbalance.check.interval.seconds", "long", 300, at_least=1),
    _d("controlled.shutdown.enable", "boolean", True),
    _d("controlled.shutdown.max.retries", "int", 3),
    _d("controlled.shutdown.retry.backoff.ms", "long", 5000),
    _d("offsets.topic.num.partitions", "int", 50, at_least=1),
    _d("offsets.topic.replication.factor", "short", 3, at_least=1),
    _d("offsets.topic.segment.bytes", "int", 104857600, at_least=1),
    _d("offsets.retention.minutes", "int", 10080, at_least=1),
    _d("offsets.retention.check.interval.ms", "long", 600000, at_least=1),
    _d("offsets.commit.timeout.ms", "int", 5000, at_least=1),
    _d("offsets.commit.required.acks", "short", -1),
    _d("offset.metadata.max.bytes", "int", 4096),
    _d("group.min.session.timeout.ms", "int", 6000),
    _d("group.max.session.timeout.ms", "int", 1800000),
    _d("group.initial.rebalance.delay.ms", "int", 3000),
    _d("group.max.size", "int", 2147483647, at_least=1),
    _d("transaction.state.log.num.partitions", "int", 50, at_least=1),
    _d("transaction.state.log.replication.factor", "short", 3, at_least=1),
    _d("transaction.state.log.min.isr", "int", 2, at_least=1),
    _d("num.network.threads", "int", 3, at_least=1),
    _d("num.io.threads", "int", 8, at_least=1),
    _d("file.delete.delay.ms", "long", 60000),
]}

_LISTENER = re.compile(r"^([A-Za-z0-9_]+)://(\[[0-9a-fA-F:]+\]|[^:/]*):(-?\d+)$")


@attrs.frozen
class Listener:
    """One `listeners` entry: `PLAINTEXT://host:port` (an empty host binds every interface)."""

    listener_name: str
    host: str
    port: int
    security_protocol: str

    def connection_string(self) -> str:
        return f"{self.listener_name}://{self.host}:{self.port}"


def parse_listeners(name: str, value: str, protocol_map: Mapping[str, str]) -> tuple[Listener, ...]:
    listeners = []
    for entry in _parse_list(name, value):
        m = _LISTENER.match(entry)
        if not m:
            raise ConfigError(f"Invalid value {value} for configuration {name}: Unable to parse {entry} to a broker endpoint")
        lname, host, port = m.group(1).upper(), m.group(2).strip("[]"), int(m.group(3))
        if lname not in protocol_map:
            raise ConfigError(f"Invalid value {value} for configuration {name}: No security protocol defined for listener {lname}")
        if not 0 <= port <= 65535:
            raise ConfigError(f"Invalid value {value} for configuration {name}: port {port} out of range")
        if protocol_map[lname] != "PLAINTEXT":
            raise ConfigError(f"Invalid value {value} for configuration {name}: kafka-clone speaks PLAINTEXT only, not {protocol_map[lname]}")
        listeners.append(Listener(lname, host, port, protocol_map[lname]))
    names = [l.listener_name for l in listeners]
    if len(set(names)) != len(names):
        raise ConfigError(f"Invalid value {value} for configuration {name}: Each listener must have a different name")
    if not listeners:
        raise ConfigError(f"Invalid value {value} for configuration {name}: no listener given")
    return tuple(listeners)


@attrs.frozen
class KafkaConfig:
    """Validated broker configuration; read values with Kafka's names, `config["broker.id"]`."""

    values: Mapping[str, Any]
    originals: Mapping[str, str]
    unknown: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @classmethod
    def from_properties(cls, props: Mapping[str, str], overrides: Mapping[str, str] | None = None) -> "KafkaConfig":
        merged = {**props, **(overrides or {})}
        values: dict[str, Any] = {}
        for name, definition in BROKER_CONFIGS.items():
            raw = merged.get(name)
            if raw is None or (raw.strip() == "" and definition.type != "string"):
                if definition.required:
                    raise ConfigError(f"Missing required configuration \"{name}\" which has no default value.")
                values[name] = definition.default
            else:
                values[name] = definition.parse(raw)
        unknown = tuple(sorted(k for k in merged if k not in BROKER_CONFIGS))
        config = cls(values, dict(merged), unknown)
        config._validate()
        return config

    @classmethod
    def load(cls, path: str | Path, overrides: Mapping[str, str] | None = None) -> "KafkaConfig":
        return cls.from_properties(load_properties(path), overrides)

    def _validate(self) -> None:
        # Each call raises ConfigError with Kafka's wording when the value is wrong.
        self.listeners
        self.advertised_listeners
        if not self.zookeeper_connect.split("/", 1)[0].strip():
            raise ConfigError(f"Invalid value {self.zookeeper_connect} for configuration zookeeper.connect: no host given")
        if self["broker.id"] < -1:
            raise ConfigError(f"Invalid value {self['broker.id']} for configuration broker.id: must be -1 (generated) or >= 0")
        if self["broker.id"] > self["reserved.broker.max.id"] and self.originals.get("broker.id"):
            raise ConfigError(
                f"broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id "
                f"({self['reserved.broker.max.id']})"
            )
        if self["zookeeper.session.timeout.ms"] <= 0:
            raise ConfigError("zookeeper.session.timeout.ms must be positive")
        if not self.log_dirs:
            raise ConfigError("Invalid value for configuration log.dirs: no log directory given")

    @property
    def broker_id(self) -> int:
        return self["broker.id"]

    @property
    def zookeeper_connect(self) -> str:
        return self["zookeeper.connect"]

    @property
    def zookeeper_session_timeout_ms(self) -> int:
        return self["zookeeper.session.timeout.ms"]

    @property
    def zookeeper_connection_timeout_ms(self) -> int:
        return self["zookeeper.connection.timeout.ms"] or self["zookeeper.session.timeout.ms"]

    @property
    def listener_security_protocol_map(self) -> dict[str, str]:
        raw = self["listener.security.protocol.map"]
        result = {}
        for entry in _parse_list("listener.security.protocol.map", raw):
            name, sep, proto = entry.partition(":")
            if not sep:
                raise ConfigError(f"Invalid value {raw} for configuration listener.security.protocol.map: {entry} is not NAME:PROTOCOL")
            result[name.strip().upper()] = proto.strip().upper()
        return result

    @property
    def listeners(self) -> tuple[Listener, ...]:
        return parse_listeners("listeners", self["listeners"], self.listener_security_protocol_map)

    @property
    def advertised_listeners(self) -> tuple[Listener, ...]:
        """`advertised.listeners`, defaulting to `listeners` as Kafka does."""
        raw = self["advertised.listeners"]
        if raw is None:
            return self.listeners
        return parse_listeners("advertised.listeners", raw, self.listener_security_protocol_map)

    @property
    def log_dirs(self) -> tuple[str, ...]:
        raw = self["log.dirs"] if self["log.dirs"] is not None else self["log.dir"]
        return _parse_list("log.dirs", raw)
