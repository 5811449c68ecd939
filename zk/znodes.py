"""Kafka 2.8's znodes: one class per znode with ``path``, ``encode`` and ``decode``.

Mirrors ``core/src/main/scala/kafka/zk/ZkData.scala`` (Kafka 2.8, Scala 2.13 build). The
JSON is byte-for-byte what that build writes, because students compare our znodes with
``zkCli.sh get``. Key order is the iteration order of the Scala/Java map Kafka serialises
(``kafka_clone.common.jvm_collections``): ``Map(...)`` with <= 4 entries keeps insertion
order, larger immutable maps use CHAMP order, ``mutable.Map`` uses bucket order, and
topic/broker config ``Properties`` use Java 8 ``Hashtable`` order (the order seen on the
reference's real ``__consumer_offsets`` config znode; a Java 11 runtime would iterate a
``ConcurrentHashMap`` instead).

Orders that are modelled rather than observed (see the project reference, section 12):

* ``/feature``: Kafka 2.8 builds this from a 3-entry ``mutable.Map``, which iterates
  ``features, version, status``; we write that, not the reference's illustrative
  ``{"version":1,"status":1,"features":{}}``. Decoding accepts any order.
* Non-empty ``features`` maps (empty in every 2.8 cluster) use ``java.util.HashMap`` order
  for feature names and ``min`` before ``max`` inside each range.
* ``/isr_change_notification`` and ``/admin/preferred_replica_election`` partition lists:
  Kafka iterates a Scala set of Java map wrappers, whose order we do not reproduce; we
  keep the caller's order, sorting when given a set.

Decoders accept any key order and the older versions Kafka reads (broker v1-v5, topic
v1-v3, config change v1-v2), and raise ``ZNodeDecodeError`` where Kafka would fail.
Values are frozen attrs records; pairs ``(topic, partition)`` identify partitions.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from kafka_clone.common.json import JsonObject, encode_as_bytes
from kafka_clone.common.jvm_collections import (
    java8_hashtable_order,
    scala_immutable_map_order,
    scala_mutable_hashmap_order,
)
from kafka_clone.common.zk_values import (
    BrokerInfo,
    EndPoint,
    FinalizedFeatures,
    LeaderAndIsr,
    ProducerIdBlock,
    TopicAssignment,
    ZNodeDecodeError,
    as_int,
    decimal_string,
    decode_features,
    decode_partition_set,
    endpoint_from_string,
    features_json,
    get_int,
    get_str,
    int_list,
    is_uuid_string,
    java_int_text,
    parse_object,
    partition_list,
)

__all__ = [
    "ZNodeDecodeError", "EndPoint", "BrokerInfo", "LeaderAndIsr", "TopicAssignment",
    "ProducerIdBlock", "FinalizedFeatures", "CONFIG_TYPES", "PERSISTENT_ZK_PATHS",
    "ClusterZNode", "ClusterIdZNode", "ControllerZNode", "ControllerEpochZNode", "BrokersZNode",
    "BrokerIdsZNode", "BrokerIdZNode", "BrokerSequenceIdZNode", "TopicsZNode", "TopicZNode",
    "TopicPartitionsZNode", "TopicPartitionZNode", "TopicPartitionStateZNode", "ConfigZNode",
    "ConfigEntityTypeZNode", "ConfigEntityZNode", "ConfigEntityChangeNotificationZNode",
    "ConfigEntityChangeNotificationSequenceZNode", "AdminZNode", "DeleteTopicsZNode",
    "DeleteTopicsTopicZNode", "ReassignPartitionsZNode", "PreferredReplicaElectionZNode",
    "IsrChangeNotificationZNode", "IsrChangeNotificationSequenceZNode",
    "LogDirEventNotificationZNode", "LogDirEventNotificationSequenceZNode",
    "ProducerIdBlockZNode", "ConsumerPathZNode", "FeatureZNode",
]

# kafka.server.ConfigType.all, in Kafka's order (Ip joined in 2.7 with KIP-612).
CONFIG_TYPES = ("topics", "clients", "users", "brokers", "ips")

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# --------------------------------------------------------------------------- roots


class ClusterZNode:
    @staticmethod
    def path() -> str:
        return "/cluster"


class ClusterIdZNode:
    """``/cluster/id``: ``{"version":"1","id":"<22 chars>"}`` - the one string ``version``."""

    @staticmethod
    def path() -> str:
        return f"{ClusterZNode.path()}/id"

    @staticmethod
    def encode(cluster_id: str) -> bytes:
        return encode_as_bytes(JsonObject([("version", "1"), ("id", cluster_id)]))

    @staticmethod
    def decode(data: bytes | None) -> str:
        obj = parse_object(ClusterIdZNode.path(), data)
        return get_str(ClusterIdZNode.path(), obj, "id")

    @staticmethod
    def generate_cluster_id() -> str:
        """A random UUID as URL-safe base64 without padding (Kafka's ``CoreUtils``/``Uuid``)."""
        return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


class ControllerZNode:
    """``/controller`` (ephemeral): ``{"version":1,"brokerid":N,"timestamp":"<ms>"}``."""

    @staticmethod
    def path() -> str:
        return "/controller"

    @staticmethod
    def encode(broker_id: int, timestamp_ms: int) -> bytes:
        return encode_as_bytes(
            JsonObject([("version", 1), ("brokerid", broker_id), ("timestamp", str(timestamp_ms))])
        )

    @staticmethod
    def decode(data: bytes | None) -> int:
        return get_int(ControllerZNode.path(), parse_object(ControllerZNode.path(), data), "brokerid")


class ControllerEpochZNode:
    """``/controller_epoch``: the epoch as plain decimal text, e.g. ``1``."""

    @staticmethod
    def path() -> str:
        return "/controller_epoch"

    @staticmethod
    def encode(epoch: int) -> bytes:
        return str(epoch).encode("ascii")

    @staticmethod
    def decode(data: bytes | None) -> int:
        if data is None:
            raise ZNodeDecodeError(ControllerEpochZNode.path(), "znode has no data")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ZNodeDecodeError(ControllerEpochZNode.path(), str(e)) from None
        return java_int_text(ControllerEpochZNode.path(), text)


class BrokersZNode:
    @staticmethod
    def path() -> str:
        return "/brokers"


class BrokerIdsZNode:
    @staticmethod
    def path() -> str:
        return f"{BrokersZNode.path()}/ids"


class BrokerSequenceIdZNode:
    """``/brokers/seqid``: only its dataVersion matters (broker id generation)."""

    @staticmethod
    def path() -> str:
        return f"{BrokersZNode.path()}/seqid"


# --------------------------------------------------------------------------- brokers

class BrokerIdZNode:
    """``/brokers/ids/<id>`` (ephemeral): the broker registration, v5 since IBP 2.7-IV0.

    Kafka builds a 6-entry ``mutable.Map`` (version, host, port, endpoints, jmx_port,
    timestamp; 16 buckets) and adds ``rack`` (v>=3, if set), ``listener_security_protocol_map``
    (v>=4, an immutable map) and ``features`` (v5). ``host``/``port`` are the first
    PLAINTEXT endpoint, else ``null``/``-1``, for pre-0.10 clients.
    """

    @staticmethod
    def path(broker_id: int) -> str:
        return f"{BrokerIdsZNode.path()}/{broker_id}"

    @staticmethod
    def encode(info: BrokerInfo) -> bytes:
        if info.version not in (2, 3, 4, 5):
            raise ValueError(f"Kafka 2.8 writes broker registration v2-v5, not v{info.version}")
        plaintext = next((e for e in info.endpoints if e.security_protocol == "PLAINTEXT"), None)
        fields: dict[str, Any] = {
            "version": info.version,
            "host": plaintext.host if plaintext else None,
            "port": plaintext.port if plaintext else -1,
            "endpoints": [e.connection_string() for e in info.endpoints],
            "jmx_port": info.jmx_port,
            "timestamp": str(info.timestamp_ms),
        }
        if info.rack is not None and info.version >= 3:
            fields["rack"] = info.rack
        if info.version >= 4:
            # advertisedEndpoints.map(...).toMap: later duplicates of a listener win.
            protocols: dict[str, str] = {}
            for e in info.endpoints:
                protocols[e.listener_name] = e.security_protocol
            fields["listener_security_protocol_map"] = JsonObject(
                (name, protocols[name]) for name in scala_immutable_map_order(list(protocols))
            )
        if info.version >= 5:
            fields["features"] = features_json(info.features, "min_version", "max_version")
        order = scala_mutable_hashmap_order(list(fields), known_size=6)
        return encode_as_bytes(JsonObject((k, fields[k]) for k in order))

    @staticmethod
    def decode(broker_id: int, data: bytes | None) -> BrokerInfo:
        path = BrokerIdZNode.path(broker_id)
        obj = parse_object(path, data)
        version = get_int(path, obj, "version")
        jmx_port = get_int(path, obj, "jmx_port")
        if version < 1:
            raise ZNodeDecodeError(path, f"unsupported broker registration version {version}")
        if version == 1:
            host = get_str(path, obj, "host")
            endpoints: tuple[EndPoint, ...] = (EndPoint(host, get_int(path, obj, "port"), "PLAINTEXT", "PLAINTEXT"),)
        else:
            raw_map = obj.get("listener_security_protocol_map")
            protocol_map = None
            if raw_map is not None:
                if not isinstance(raw_map, dict) or not all(isinstance(v, str) for v in raw_map.values()):
                    raise ZNodeDecodeError(path, "'listener_security_protocol_map' must map names to strings")
                protocol_map = raw_map
            listeners = obj.get("endpoints")
            if not isinstance(listeners, list):
                raise ZNodeDecodeError(path, "'endpoints' must be a list")
            endpoints = tuple(endpoint_from_string(path, s, protocol_map) for s in listeners)
        rack = obj.get("rack")
        if rack is not None and not isinstance(rack, str):
            raise ZNodeDecodeError(path, f"'rack' must be a string, got {rack!r}")
        features: tuple[tuple[str, int, int], ...] = ()
        if obj.get("features") is not None:
            features = decode_features(path, obj["features"], "min_version", "max_version")
        # Kafka never reads the timestamp, so a missing or odd one must not reject the
        # registration: it reads as -1.
        try:
            timestamp = decimal_string(path, "timestamp", obj.get("timestamp"), bits=64)
        except ZNodeDecodeError:
            timestamp = -1
        return BrokerInfo(broker_id, endpoints, rack, jmx_port, features, timestamp_ms=timestamp, version=version)


# --------------------------------------------------------------------------- topics


class TopicsZNode:
    @staticmethod
    def path() -> str:
        return f"{BrokersZNode.path()}/topics"


def _replica_map_json(pairs: Iterable[tuple[int, tuple[int, ...]]]) -> JsonObject:
    # A mutable.Map[String, ...]() (16 buckets) filled partition by partition.
    by_key = {str(p): list(replicas) for p, replicas in pairs}
    return JsonObject((k, by_key[k]) for k in scala_mutable_hashmap_order(list(by_key)))


class TopicZNode:
    """``/brokers/topics/<t>``: replica assignment, written as v3 by Kafka 2.8 (KIP-455, KIP-516).

    The top level is a 4-entry ``mutable.Map`` (8 buckets) plus ``topic_id`` when known,
    giving ``partitions, topic_id, adding_replicas, removing_replicas, version``.
    """

    @staticmethod
    def path(topic: str) -> str:
        return f"{TopicsZNode.path()}/{topic}"

    @staticmethod
    def encode(assignment: TopicAssignment) -> bytes:
        fields: dict[str, Any] = {
            "version": 3,
            "partitions": _replica_map_json(assignment.partitions),
            "adding_replicas": _replica_map_json(assignment.adding_replicas),
            "removing_replicas": _replica_map_json(assignment.removing_replicas),
        }
        if assignment.topic_id is not None:
            fields["topic_id"] = assignment.topic_id
        order = scala_mutable_hashmap_order(list(fields), known_size=4)
        return encode_as_bytes(JsonObject((k, fields[k]) for k in order))

    @staticmethod
    def decode(topic: str, data: bytes | None) -> TopicAssignment:
        path = TopicZNode.path(topic)
        obj = parse_object(path, data)
        topic_id = obj.get("topic_id")
        if topic_id is not None and not (isinstance(topic_id, str) and is_uuid_string(topic_id)):
            raise ZNodeDecodeError(path, f"'topic_id' is not a base64 UUID: {topic_id!r}")

        def replica_map(key: str) -> dict[int, tuple[int, ...]]:
            raw = obj.get(key)
            if raw is None:
                return {}
            if not isinstance(raw, dict):
                raise ZNodeDecodeError(path, f"{key!r} must be an object")
            out = {}
            for p, replicas in raw.items():
                if not re.fullmatch(r"[+-]?[0-9]+", p):
                    raise ZNodeDecodeError(path, f"partition key {p!r} is not an integer")
                out[as_int(path, key, int(p))] = int_list(path, key, replicas)
            return out

        partitions = replica_map("partitions")
        adding, removing = replica_map("adding_replicas"), replica_map("removing_replicas")
        # Kafka only reads adding/removing entries for partitions present in "partitions".
        return TopicAssignment(
            partitions,
            {p: r for p, r in adding.items() if p in partitions and r},
            {p: r for p, r in removing.items() if p in partitions and r},
            topic_id,
        )


class TopicPartitionsZNode:
    @staticmethod
    def path(topic: str) -> str:
        return f"{TopicZNode.path(topic)}/partitions"


class TopicPartitionZNode:
    @staticmethod
    def path(topic: str, partition: int) -> str:
        return f"{TopicPartitionsZNode.path(topic)}/{partition}"


class TopicPartitionStateZNode:
    """``.../partitions/<p>/state``: leader, ISR and epochs (a 5-entry immutable map, CHAMP order)."""

    @staticmethod
    def path(topic: str, partition: int) -> str:
        return f"{TopicPartitionZNode.path(topic, partition)}/state"

    @staticmethod
    def encode(leader_and_isr: LeaderAndIsr) -> bytes:
        fields: dict[str, Any] = {
            "version": 1,
            "leader": leader_and_isr.leader,
            "leader_epoch": leader_and_isr.leader_epoch,
            "controller_epoch": leader_and_isr.controller_epoch,
            "isr": list(leader_and_isr.isr),
        }
        return encode_as_bytes(JsonObject((k, fields[k]) for k in scala_immutable_map_order(list(fields))))

    @staticmethod
    def decode(data: bytes | None, zk_version: int = 0) -> LeaderAndIsr:
        path = "/brokers/topics/<topic>/partitions/<partition>/state"
        obj = parse_object(path, data)
        return LeaderAndIsr(
            leader=get_int(path, obj, "leader"),
            leader_epoch=get_int(path, obj, "leader_epoch"),
            isr=int_list(path, "isr", obj.get("isr")),
            controller_epoch=get_int(path, obj, "controller_epoch"),
            zk_version=zk_version,
        )


# --------------------------------------------------------------------------- config


class ConfigZNode:
    @staticmethod
    def path() -> str:
        return "/config"


class ConfigEntityTypeZNode:
    @staticmethod
    def path(entity_type: str) -> str:
        return f"{ConfigZNode.path()}/{entity_type}"


class ConfigEntityZNode:
    """``/config/<type>/<name>``: ``{"version":1,"config":{...}}``, the complete override set.

    ``config`` is a ``java.util.Properties``; its order is the Java 8 ``Hashtable`` order
    for the given insertion order (dict order here). A znode without data reads as ``{}``.
    As in Kafka, decoding and re-encoding can reorder keys that share a Hashtable bucket
    (``decode`` inserts in JSON order, so the newest of two colliding keys moves first).
    """

    @staticmethod
    def path(entity_type: str, entity_name: str) -> str:
        return f"{ConfigEntityTypeZNode.path(entity_type)}/{entity_name}"

    @staticmethod
    def encode(config: Mapping[str, str]) -> bytes:
        ordered = JsonObject((k, config[k]) for k in java8_hashtable_order(list(config)))
        return encode_as_bytes(JsonObject([("version", 1), ("config", ordered)]))

    @staticmethod
    def decode(data: bytes | None) -> dict[str, str]:
        if data is None:
            return {}
        path = "/config/<type>/<name>"
        obj = parse_object(path, data)
        config = obj.get("config")
        if config is None:
            return {}
        if not isinstance(config, dict):
            raise ZNodeDecodeError(path, "'config' must be an object")
        return {k: get_str(path, config, k) for k in config}


class ConfigEntityChangeNotificationZNode:
    @staticmethod
    def path() -> str:
        return f"{ConfigZNode.path()}/changes"


class ConfigEntityChangeNotificationSequenceZNode:
    """``/config/changes/config_change_<seq>`` (persistent sequential).

    v2: ``{"version":2,"entity_path":"topics/foo"}``; legacy v1 names ``entity_type`` and
    ``entity_name`` and only topics/clients (``ConfigChangedNotificationHandler``).
    ``decode`` returns the entity path for both.
    """

    SEQUENCE_NUMBER_PREFIX = "config_change_"

    @staticmethod
    def create_path() -> str:
        return f"{ConfigEntityChangeNotificationZNode.path()}/config_change_"

    @staticmethod
    def path(sequence_number: str) -> str:
        return f"{ConfigEntityChangeNotificationSequenceZNode.create_path()}{sequence_number}"

    @staticmethod
    def sequence_number(path: str) -> str:
        prefix = ConfigEntityChangeNotificationSequenceZNode.SEQUENCE_NUMBER_PREFIX
        return path[path.rindex(prefix) + len(prefix):]

    @staticmethod
    def encode(entity_path: str) -> bytes:
        return encode_as_bytes(JsonObject([("version", 2), ("entity_path", entity_path)]))

    @staticmethod
    def decode(data: bytes | None) -> str:
        path = ConfigEntityChangeNotificationSequenceZNode.create_path()
        obj = parse_object(path, data)
        version = get_int(path, obj, "version")
        if version == 1:
            entity_type = get_str(path, obj, "entity_type")
            if entity_type not in ("topics", "clients"):
                raise ZNodeDecodeError(
                    path, f"version 1 notifications only support topics and clients, got {entity_type!r}"
                )
            return f"{entity_type}/{get_str(path, obj, 'entity_name')}"
        if version == 2:
            entity_path = get_str(path, obj, "entity_path")
            root, sep, rest = entity_path.partition("/")
            if not sep or not rest or root not in CONFIG_TYPES:
                raise ZNodeDecodeError(path, f"invalid entity_path {entity_path!r}")
            return entity_path
        raise ZNodeDecodeError(path, f"unknown config change notification version {version}")


# --------------------------------------------------------------------------- admin


class AdminZNode:
    @staticmethod
    def path() -> str:
        return "/admin"


class DeleteTopicsZNode:
    @staticmethod
    def path() -> str:
        return f"{AdminZNode.path()}/delete_topics"


class DeleteTopicsTopicZNode:
    @staticmethod
    def path(topic: str) -> str:
        return f"{DeleteTopicsZNode.path()}/{topic}"


def _ordered_partitions(partitions: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    if isinstance(partitions, (set, frozenset)):
        return sorted(partitions)
    return list(dict.fromkeys(partitions))


def _encode_partition_set(partitions: Iterable[tuple[str, int]]) -> bytes:
    items = [JsonObject([("topic", t), ("partition", p)]) for t, p in _ordered_partitions(partitions)]
    return encode_as_bytes(JsonObject([("version", 1), ("partitions", items)]))


class ReassignPartitionsZNode:
    """``/admin/reassign_partitions`` (deprecated since 2.4, KIP-455).

    Jackson bean order: ``{"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]}]}``;
    list order follows the given mapping.
    """

    @staticmethod
    def path() -> str:
        return f"{AdminZNode.path()}/reassign_partitions"

    @staticmethod
    def encode(reassignment: Mapping[tuple[str, int], Iterable[int]]) -> bytes:
        items = [
            JsonObject([("topic", t), ("partition", p), ("replicas", list(replicas))])
            for (t, p), replicas in reassignment.items()
        ]
        return encode_as_bytes(JsonObject([("version", 1), ("partitions", items)]))

    @staticmethod
    def decode(data: bytes | None) -> dict[tuple[str, int], tuple[int, ...]]:
        path = ReassignPartitionsZNode.path()
        obj = parse_object(path, data)
        out: dict[tuple[str, int], tuple[int, ...]] = {}
        for p in partition_list(path, obj):
            tp = (get_str(path, p, "topic"), get_int(path, p, "partition"))
            out[tp] = int_list(path, "replicas", p.get("replicas"))
        return out


class PreferredReplicaElectionZNode:
    """``/admin/preferred_replica_election``: ``{"version":1,"partitions":[{"topic":..,"partition":..}]}``."""

    @staticmethod
    def path() -> str:
        return f"{AdminZNode.path()}/preferred_replica_election"

    @staticmethod
    def encode(partitions: Iterable[tuple[str, int]]) -> bytes:
        return _encode_partition_set(partitions)

    @staticmethod
    def decode(data: bytes | None) -> frozenset[tuple[str, int]]:
        return decode_partition_set(PreferredReplicaElectionZNode.path(), data)


# --------------------------------------------------------------------------- notifications


class IsrChangeNotificationZNode:
    @staticmethod
    def path() -> str:
        return "/isr_change_notification"


class IsrChangeNotificationSequenceZNode:
    """``/isr_change_notification/isr_change_<seq>``: written by leaders only when IBP < 2.7-IV2 (KIP-497)."""

    SEQUENCE_NUMBER_PREFIX = "isr_change_"

    @staticmethod
    def path(sequence_number: str = "") -> str:
        return f"{IsrChangeNotificationZNode.path()}/isr_change_{sequence_number}"

    @staticmethod
    def sequence_number(path: str) -> str:
        prefix = IsrChangeNotificationSequenceZNode.SEQUENCE_NUMBER_PREFIX
        return path[path.rindex(prefix) + len(prefix):]

    @staticmethod
    def encode(partitions: Iterable[tuple[str, int]]) -> bytes:
        return _encode_partition_set(partitions)

    @staticmethod
    def decode(data: bytes | None) -> frozenset[tuple[str, int]]:
        return decode_partition_set(IsrChangeNotificationSequenceZNode.path(), data)


class LogDirEventNotificationZNode:
    @staticmethod
    def path() -> str:
        return "/log_dir_event_notification"


class LogDirEventNotificationSequenceZNode:
    """``/log_dir_event_notification/log_dir_event_<seq>``: ``{"version":1,"broker":N,"event":1}``."""

    SEQUENCE_NUMBER_PREFIX = "log_dir_event_"
    LOG_DIR_FAILURE_EVENT = 1

    @staticmethod
    def path(sequence_number: str = "") -> str:
        return f"{LogDirEventNotificationZNode.path()}/log_dir_event_{sequence_number}"

    @staticmethod
    def sequence_number(path: str) -> str:
        prefix = LogDirEventNotificationSequenceZNode.SEQUENCE_NUMBER_PREFIX
        return path[path.rindex(prefix) + len(prefix):]

    @staticmethod
    def encode(broker_id: int) -> bytes:
        return encode_as_bytes(JsonObject([("version", 1), ("broker", broker_id), ("event", 1)]))

    @staticmethod
    def decode(data: bytes | None) -> int:
        """The broker id whose log directory failed."""
        path = LogDirEventNotificationSequenceZNode.path()
        return get_int(path, parse_object(path, data), "broker")


# --------------------------------------------------------------------------- misc


class ProducerIdBlockZNode:
    """``/latest_producer_id_block``: bounds are strings of longs, e.g. ``"block_start":"2000"``."""

    CURRENT_VERSION = 1

    @staticmethod
    def path() -> str:
        return "/latest_producer_id_block"

    @staticmethod
    def encode(block: ProducerIdBlock) -> bytes:
        return encode_as_bytes(JsonObject([
            ("version", 1),
            ("broker", block.broker_id),
            ("block_start", str(block.block_start)),
            ("block_end", str(block.block_end)),
        ]))

    @staticmethod
    def decode(data: bytes | None) -> ProducerIdBlock:
        path = ProducerIdBlockZNode.path()
        obj = parse_object(path, data)
        return ProducerIdBlock(
            get_int(path, obj, "broker"),
            decimal_string(path, "block_start", obj.get("block_start"), bits=64),
            decimal_string(path, "block_end", obj.get("block_end"), bits=64),
        )


class ConsumerPathZNode:
    """``/consumers``: only the removed Scala consumer used it; still created at startup."""

    @staticmethod
    def path() -> str:
        return "/consumers"


class FeatureZNode:
    """``/feature`` (KIP-584, 2.7+): status 1 (enabled, IBP >= 2.7-IV0) or 0, finalized features.

    Kafka builds a 3-entry ``mutable.Map`` (8 buckets), which iterates
    ``features, version, status``: ``{"features":{},"version":1,"status":1}``.
    """

    DISABLED = 0
    ENABLED = 1

    @staticmethod
    def path() -> str:
        return "/feature"

    @staticmethod
    def encode(status: int = 1, features: Iterable[tuple[str, int, int]] = ()) -> bytes:
        fields: dict[str, Any] = {
            "version": 1,
            "status": status,
            "features": features_json(features, "min_version_level", "max_version_level"),
        }
        order = scala_mutable_hashmap_order(list(fields), known_size=3)
        return encode_as_bytes(JsonObject((k, fields[k]) for k in order))

    @staticmethod
    def decode(data: bytes | None) -> FinalizedFeatures:
        path = FeatureZNode.path()
        obj = parse_object(path, data)
        version = get_int(path, obj, "version")
        if version < 1:
            raise ZNodeDecodeError(path, f"unsupported version {version}")
        if obj.get("features") is None:
            raise ZNodeDecodeError(path, "features map can not be absent")
        status = get_int(path, obj, "status")
        if status not in (0, 1):
            raise ZNodeDecodeError(path, f"malformed status {status}")
        features = decode_features(path, obj["features"], "min_version_level", "max_version_level")
        return FinalizedFeatures(status, features)


# ZkData.PersistentZkPaths: created (with parents) by every broker at startup.
PERSISTENT_ZK_PATHS: tuple[str, ...] = (
    ConsumerPathZNode.path(),
    BrokerIdsZNode.path(),
    TopicsZNode.path(),
    ConfigEntityChangeNotificationZNode.path(),
    DeleteTopicsZNode.path(),
    BrokerSequenceIdZNode.path(),
    IsrChangeNotificationZNode.path(),
    ProducerIdBlockZNode.path(),
    LogDirEventNotificationZNode.path(),
) + tuple(ConfigEntityTypeZNode.path(t) for t in CONFIG_TYPES)
