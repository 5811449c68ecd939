"""Values and JSON decoding shared by the znode codecs in ``zk/znodes.py``.

The value records mirror what Kafka 2.8's ``ZkData.scala`` decodes into
(``kafka.cluster.EndPoint``, ``BrokerInfo``, ``LeaderIsrAndControllerEpoch``,
``TopicIdReplicaAssignment``, ``ProducerIdsBlock``, ``FeatureZNode``). The decoding helpers
follow ``kafka.utils.json.DecodeJson``: an ``Int`` must be a JSON number that fits in 32
bits, a ``String`` a JSON string; anything else is a ``ZNodeDecodeError``.
Import these names from ``zk.znodes``, which re-exports them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kafka_clone.common.json import JsonObject
from kafka_clone.common.jvm_collections import java_hashmap_order


class ZNodeDecodeError(ValueError):
    """A znode's data is not what Kafka 2.8 writes or accepts there."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot decode {path}: {reason}")
        self.path = path
        self.reason = reason


# --------------------------------------------------------------------------- values


def _format_address(host: str, port: int) -> str:
    # Utils.formatAddress: IPv6 literals are bracketed.
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@attrs.frozen
class EndPoint:
    """An advertised listener (``kafka.cluster.EndPoint``)."""

    host: str
    port: int
    listener_name: str
    security_protocol: str

    def connection_string(self) -> str:
        return f"{self.listener_name}://{_format_address(self.host, self.port)}"


def _features_tuple(value: Any) -> tuple[tuple[str, int, int], ...]:
    if isinstance(value, Mapping):
        return tuple(sorted((name, rng[0], rng[1]) for name, rng in value.items()))
    return tuple(sorted((name, mn, mx) for name, mn, mx in value))


@attrs.frozen
class BrokerInfo:
    """A broker registration (Kafka's ``BrokerInfo`` + ``Broker``).

    ``features`` holds ``(name, min_version, max_version)`` triples (a mapping
    ``name -> (min, max)`` is accepted); Kafka 2.8 brokers register none.
    ``timestamp_ms`` is keyword-only: it is the registration time written as a string.
    """

    id: int
    endpoints: tuple[EndPoint, ...] = attrs.field(converter=tuple)
    rack: str | None = None
    jmx_port: int = -1
    features: tuple[tuple[str, int, int], ...] = attrs.field(default=(), converter=_features_tuple)
    timestamp_ms: int = attrs.field(kw_only=True)
    version: int = attrs.field(default=5, kw_only=True)


@attrs.frozen
class LeaderAndIsr:
    """Kafka's ``LeaderIsrAndControllerEpoch``; ``zk_version`` is the state znode's dataVersion.

    ``zk_version`` is not part of the JSON: it comes from the znode's Stat and is the
    expected version of every conditional write (``leader == -1`` means no leader).
    """

    leader: int
    leader_epoch: int
    isr: tuple[int, ...] = attrs.field(converter=tuple)
    controller_epoch: int
    zk_version: int = 0


def _replica_pairs(value: Any) -> tuple[tuple[int, tuple[int, ...]], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((int(p), tuple(replicas)) for p, replicas in items))


@attrs.frozen
class TopicAssignment:
    """A topic's replica assignment (``TopicIdReplicaAssignment``).

    Each map is held as ``((partition, replicas), ...)`` sorted by partition; a dict is
    accepted. ``adding_replicas``/``removing_replicas`` list only partitions being
    reassigned (KIP-455). ``topic_id`` is the 22-char base64 id (KIP-516) or ``None``.
    """

    partitions: tuple[tuple[int, tuple[int, ...]], ...] = attrs.field(converter=_replica_pairs)
    adding_replicas: tuple[tuple[int, tuple[int, ...]], ...] = attrs.field(default=(), converter=_replica_pairs)
    removing_replicas: tuple[tuple[int, tuple[int, ...]], ...] = attrs.field(default=(), converter=_replica_pairs)
    topic_id: str | None = None

    def replicas(self, partition: int) -> tuple[int, ...]:
        return dict(self.partitions)[partition]

    def as_dict(self) -> dict[int, tuple[int, ...]]:
        return dict(self.partitions)


@attrs.frozen
class ProducerIdBlock:
    """The last producer-id block handed out: ids ``block_start..block_end`` inclusive."""

    broker_id: int
    block_start: int
    block_end: int


@attrs.frozen
class FinalizedFeatures:
    """Content of ``/feature``: status (0 disabled, 1 enabled) and ``(name, min, max)`` levels."""

    status: int
    features: tuple[tuple[str, int, int], ...] = attrs.field(default=(), converter=_features_tuple)



# --------------------------------------------------------------------------- decoding


def _reject_constant(token: str) -> Any:
    # Jackson rejects NaN/Infinity by default; Python's json would accept them.
    raise ValueError(f"non-standard JSON token {token}")


def parse_json(path: str, data: bytes | None) -> Any:
    if data is None:
        raise ZNodeDecodeError(path, "znode has no data")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ZNodeDecodeError(path, f"not valid JSON: {e}") from None


def parse_object(path: str, data: bytes | None) -> dict[str, Any]:
    value = parse_json(path, data)
    if not isinstance(value, dict):
        raise ZNodeDecodeError(path, f"expected a JSON object, got {type(value).__name__}")
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(path: str, key: str, value: Any, *, bits: int = 32) -> int:
    # Kafka's DecodeJson for Int/Long needs a JSON number of that width, not a string.
    limit = 2 ** (bits - 1)
    if not is_int(value) or not -limit <= value < limit:
        raise ZNodeDecodeError(path, f"{key!r} must be a {bits}-bit integer, got {value!r}")
    return value


def get_int(path: str, obj: Mapping[str, Any], key: str) -> int:
    if key not in obj:
        raise ZNodeDecodeError(path, f"missing {key!r}")
    return as_int(path, key, obj[key])


def get_str(path: str, obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ZNodeDecodeError(path, f"{key!r} must be a string, got {value!r}")
    return value


def int_list(path: str, key: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ZNodeDecodeError(path, f"{key!r} must be a list of integers, got {value!r}")
    return tuple(as_int(path, key, v) for v in value)


def decimal_string(path: str, key: str, value: Any, *, bits: int) -> int:
    # Timestamps and producer-id block bounds are JSON strings holding decimal longs.
    if not isinstance(value, str) or not re.fullmatch(r"[+-]?[0-9]+", value):
        raise ZNodeDecodeError(path, f"{key!r} must be a decimal string, got {value!r}")
    return as_int(path, key, int(value), bits=bits)


def java_int_text(path: str, text: str) -> int:
    # Integer.parseInt: optional sign, ASCII digits, nothing else (no spaces, no '_').
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ZNodeDecodeError(path, f"not an integer: {text!r}")
    return as_int(path, "value", int(text))



_ENDPOINT_RE = re.compile(r"(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)")
_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


def endpoint_from_string(path: str, s: Any, protocol_map: Mapping[str, str] | None) -> EndPoint:
    """``kafka.cluster.EndPoint.createEndPoint`` for ``"<LISTENER>://host:port"``.

    The listener name is normalised to upper case. Without a protocol map (v2/v3
    registrations, before KIP-103) the listener name must itself be a security protocol.
    """
    m = _ENDPOINT_RE.fullmatch(s) if isinstance(s, str) else None
    if m is None:
        raise ZNodeDecodeError(path, f"unable to parse endpoint {s!r}")
    listener, host, port = m.group(1).upper(), m.group(2), int(m.group(3))
    if protocol_map is None:
        protocol = listener
    else:
        # Map keys are taken as written, like Kafka's ``new ListenerName(key)``.
        protocol = protocol_map.get(listener)
        if protocol is None:
            raise ZNodeDecodeError(path, f"no security protocol defined for listener {listener}")
        protocol = protocol.upper()
    if protocol not in _SECURITY_PROTOCOLS:
        raise ZNodeDecodeError(path, f"unknown security protocol {protocol!r} for listener {listener}")
    return EndPoint(host, as_int(path, "port", port), listener, protocol)


def features_json(features: Iterable[tuple[str, int, int]], lo: str, hi: str) -> JsonObject:
    by_name = {name: (mn, mx) for name, mn, mx in features}
    return JsonObject(
        (name, JsonObject([(lo, by_name[name][0]), (hi, by_name[name][1])]))
        for name in java_hashmap_order(list(by_name))
    )


def decode_features(path: str, value: Any, lo: str, hi: str) -> tuple[tuple[str, int, int], ...]:
    if not isinstance(value, dict):
        raise ZNodeDecodeError(path, f"'features' must be an object, got {value!r}")
    out = []
    for name, rng in value.items():
        if not isinstance(rng, dict):
            raise ZNodeDecodeError(path, f"feature {name!r} must be an object")
        out.append((name, get_int(path, rng, lo), get_int(path, rng, hi)))
    return tuple(sorted(out))


def is_uuid_string(s: str) -> bool:
    if not re.fullmatch(r"[A-Za-z0-9_-]{22}", s):
        return False
    try:
        return len(base64.urlsafe_b64decode(s + "==")) == 16
    except (binascii.Error, ValueError):
        return False


def partition_list(path: str, obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    partitions = obj.get("partitions")
    if not isinstance(partitions, list) or not all(isinstance(p, dict) for p in partitions):
        raise ZNodeDecodeError(path, "'partitions' must be a list of objects")
    return partitions


def decode_partition_set(path: str, data: bytes | None) -> frozenset[tuple[str, int]]:
    obj = parse_object(path, data)
    return frozenset((get_str(path, p, "topic"), get_int(path, p, "partition")) for p in partition_list(path, obj))
