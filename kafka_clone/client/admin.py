"""Cluster administration over the Kafka protocol: Kafka's ``KafkaAdminClient`` (2.8), in small.

What goes where, as in the Java client:

* CreateTopics, DeleteTopics and CreatePartitions go to the **controller** named in Metadata's
  ``controller_id`` (``ControllerNodeProvider``). A NOT_CONTROLLER answer (the controller moved)
  refreshes metadata and retries the affected topics, until ``default.api.timeout.ms``.
  If the metadata names no reachable controller (librdkafka's mock cluster says 0), any broker.
* Metadata, DescribeConfigs/AlterConfigs/IncrementalAlterConfigs of topics and DescribeCluster go
  to any broker (``LeastLoadedNodeProvider``); a BROKER config resource goes to that broker.
* ListOffsets goes to each partition's leader (``offsets.list_offsets``).

Every call returns frozen results, one per topic or resource, in request order. Kafka error codes
become typed ``KafkaError`` exceptions in each result's ``error`` (with the broker's
``error_message`` when it sent one); ``result.check()`` raises it. Connection failures and
timeouts of the whole call raise ``KafkaConnectionError``/``KafkaTimeoutError``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError, NotController, UnsupportedVersion, error_for_code
from kafka_clone.protocol.messages import configs as cm
from kafka_clone.protocol.messages import topics as tm
from kafka_clone.protocol.messages.metadata import DescribeClusterRequest
from kafka_clone.protocol.primitives import ZERO_UUID

from .connection import BrokerConnection
from .errors import KafkaConnectionError, KafkaTimeoutError
from .metadata import ClusterMetadata, Node, TopicMetadata
from .network_client import KafkaClient
from .offsets import ListOffsetsResult, list_offsets

__all__ = [
    "KafkaAdminClient",
    "NewTopic",
    "NewPartitions",
    "TopicResult",
    "ConfigResourceType",
    "ConfigResource",
    "ConfigSource",
    "ConfigEntry",
    "ConfigSynonym",
    "ConfigResult",
    "AlterConfigOpType",
    "AlterConfigOp",
    "ClusterDescription",
    "PartitionReassignment",
]

#: Kafka's ``default.api.timeout.ms``.
DEFAULT_API_TIMEOUT_MS = 60000


ConfigPairs = tuple[tuple[str, str | None], ...]


def _configs(value: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None) -> ConfigPairs:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), v) for k, v in items)


def _assignment(value: Mapping[int, Sequence[int]] | None) -> tuple[tuple[int, tuple[int, ...]], ...] | None:
    if value is None:
        return None
    return tuple(sorted((int(p), tuple(brokers)) for p, brokers in value.items()))


@attrs.frozen
class NewTopic:
    """A topic to create (Kafka's ``NewTopic``); -1 partitions/replication = broker default."""

    name: str
    num_partitions: int = -1
    replication_factor: int = -1
    #: partition -> broker ids; excludes ``num_partitions``/``replication_factor``.
    replica_assignment: tuple[tuple[int, tuple[int, ...]], ...] | None = attrs.field(
        default=None, converter=_assignment
    )
    configs: ConfigPairs = attrs.field(default=(), converter=_configs)


@attrs.frozen
class NewPartitions:
    """Grow a topic to ``total_count`` partitions, optionally placing the new ones."""

    total_count: int
    new_assignments: tuple[tuple[int, ...], ...] | None = None


@attrs.frozen
class TopicResult:
    """The outcome for one topic of CreateTopics, DeleteTopics or CreatePartitions."""

    name: str
    error: KafkaError | None = attrs.field(default=None, eq=False)
    topic_id: uuid.UUID = ZERO_UUID
    num_partitions: int = -1
    replication_factor: int = -1

    def check(self) -> TopicResult:
        """Return self, or raise the topic's error."""
        if self.error is not None:
            raise self.error
        return self


class ConfigResourceType(enum.IntEnum):
    """``ConfigResource.Type`` ids."""

    TOPIC = 2
    BROKER = 4
    BROKER_LOGGER = 8


class ConfigSource(enum.IntEnum):
    """``DescribeConfigsResponse.ConfigSource`` ids."""

    UNKNOWN = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6


@attrs.frozen
class ConfigResource:
    type: ConfigResourceType
    name: str


@attrs.frozen
class ConfigSynonym:
    """One layer that sets a config (Kafka's ``ConfigEntry.ConfigSynonym``); DescribeConfigs v1+
    lists them in precedence order, the one in effect first."""

    name: str
    value: str | None
    source: ConfigSource


@attrs.frozen
class ConfigEntry:
    """One config value with where it comes from (Kafka's ``ConfigEntry``)."""

    name: str
    value: str | None
    source: ConfigSource = ConfigSource.UNKNOWN
    is_read_only: bool = False
    is_sensitive: bool = False
    #: Only when described with ``include_synonyms=True`` (and DescribeConfigs v1+).
    synonyms: tuple[ConfigSynonym, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.source == ConfigSource.DEFAULT_CONFIG


@attrs.frozen
class ConfigResult:
    """The configs of one resource, or its error (DescribeConfigs, AlterConfigs)."""

    resource: ConfigResource
    entries: tuple[ConfigEntry, ...] = ()
    error: KafkaError | None = attrs.field(default=None, eq=False)

    def check(self) -> ConfigResult:
        if self.error is not None:
            raise self.error
        return self

    def get(self, name: str) -> ConfigEntry | None:
        for e in self.entries:
            if e.name == name:
                return e
        return None


class AlterConfigOpType(enum.IntEnum):
    """``AlterConfigOp.OpType`` ids (KIP-339)."""

    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


@attrs.frozen
class AlterConfigOp:
    name: str
    value: str | None
    op: AlterConfigOpType = AlterConfigOpType.SET


@attrs.frozen
class PartitionReassignment:
    """An ongoing reassignment of one partition (Kafka's ``PartitionReassignment``)."""

    replicas: tuple[int, ...]
    adding_replicas: tuple[int, ...]
    removing_replicas: tuple[int, ...]


@attrs.frozen
class ClusterDescription:
    """``DescribeClusterResult``: cluster id, controller and live brokers."""

    cluster_id: str | None
    controller: Node | None
    nodes: tuple[Node, ...]


def _error(code: int, message: str | None) -> KafkaError | None:
    # Kafka's ApiError.exception(): the broker's message if it sent one, else the default.
    if code == 0:
        return None
    return error_for_code(code)(message or None)


@attrs.define(eq=False)
class KafkaAdminClient:
    """An admin client bound to one cluster. ``async with KafkaAdminClient.create("h:p") as admin``."""

    client: KafkaClient
    default_api_timeout_ms: int = DEFAULT_API_TIMEOUT_MS

    @classmethod
    def create(
        cls,
        bootstrap_servers: str | Iterable[str],
        *,
        client_id: str = "adminclient-1",
        request_timeout_ms: int = 30000,
        default_api_timeout_ms: int = DEFAULT_API_TIMEOUT_MS,
        retry_backoff_ms: int = 100,
    ) -> KafkaAdminClient:
        client = KafkaClient.create(
            bootstrap_servers, client_id=client_id, request_timeout_ms=request_timeout_ms,
            retry_backoff_ms=retry_backoff_ms,
        )
        return cls(client, default_api_timeout_ms)

    async def __aenter__(self) -> KafkaAdminClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    # ---- metadata -------------------------------------------------------------------------------

    async def metadata(self, topics: Sequence[str] | None = None) -> ClusterMetadata:
        """Metadata for ``topics`` (all topics when None), with cluster id and controller id."""
        return await self.client.refresh_metadata(topics)

    async def list_topics(self, *, include_internal: bool = True) -> list[str]:
        """Sorted topic names (``listTopics``; internal topics only when asked, as ``listInternal``)."""
        cluster = await self.client.refresh_metadata(None)
        return sorted(t.name for t in cluster.topics if include_internal or not t.is_internal)

    async def describe_topics(self, topics: Sequence[str]) -> tuple[TopicMetadata, ...]:
        """Each topic's metadata, in the order asked; a missing topic carries its error."""
        cluster = await self.client.refresh_metadata(list(topics))
        result = []
        for name in topics:
            t = cluster.topic(name)
            result.append(t if t is not None else TopicMetadata(name, ZERO_UUID, False, (), error_for_code(3)()))
        return tuple(result)

    async def describe_cluster(self) -> ClusterDescription:
        """Cluster id, controller and brokers: DescribeCluster (KIP-700) if the broker has it, else Metadata."""
        conn = await self.client.any_connection()
        if conn.supports(ApiKey.DESCRIBE_CLUSTER):
            response = await conn.send(ApiKey.DESCRIBE_CLUSTER, None, DescribeClusterRequest())
            if response.error_code:
                raise _error(response.error_code, response.error_message)  # type: ignore[misc]
            nodes = tuple(Node(b.broker_id, b.host, b.port, b.rack) for b in response.brokers)
            controller = next((n for n in nodes if n.node_id == response.controller_id), None)
            return ClusterDescription(response.cluster_id, controller, nodes)
        cluster = await self.client.refresh_metadata(())
        return ClusterDescription(cluster.cluster_id, cluster.controller, cluster.brokers)

    # ---- topics (controller) --------------------------------------------------------------------

    async def create_topics(
        self, new_topics: Sequence[NewTopic], *, validate_only: bool = False, timeout_ms: int | None = None
    ) -> tuple[TopicResult, ...]:
        """CreateTopics at the controller; per-topic errors such as TOPIC_ALREADY_EXISTS in the results."""
        timeout_ms = self._timeout(timeout_ms)
        by_name = {t.name: t for t in new_topics}

        def build(names: list[str], version: int) -> tm.CreateTopicsRequest:
            topics = []
            for name in names:
                t = by_name[name]
                if version < 4 and t.replica_assignment is None and (t.num_partitions < 0 or t.replication_factor < 0):
                    # KIP-464: broker defaults need CreateTopics v4+.
                    raise UnsupportedVersion(
                        "Creating topics with default partitions/replication factor are only supported in "
                        "CreateTopicRequest version 4+"
                    )
                topics.append(
                    tm.CreatableTopic(
                        name=t.name,
                        num_partitions=-1 if t.replica_assignment else t.num_partitions,
                        replication_factor=-1 if t.replica_assignment else t.replication_factor,
                        assignments=tuple(
                            tm.CreatableReplicaAssignment(partition_index=p, broker_ids=b)
                            for p, b in (t.replica_assignment or ())
                        ),
                        configs=tuple(tm.CreateableTopicConfig(name=k, value=v) for k, v in t.configs),
                    )
                )
            return tm.CreateTopicsRequest(topics=tuple(topics), timeout_ms=timeout_ms, validate_only=validate_only)

        def parse(response: tm.CreateTopicsResponse) -> dict[str, TopicResult]:
            return {
                r.name: TopicResult(
                    r.name, _error(r.error_code, r.error_message), r.topic_id, r.num_partitions, r.replication_factor
                )
                for r in response.topics
            }

        return await self._controller_call(ApiKey.CREATE_TOPICS, list(by_name), build, parse, timeout_ms)

    async def delete_topics(self, topics: Sequence[str], *, timeout_ms: int | None = None) -> tuple[TopicResult, ...]:
        """DeleteTopics at the controller (topic names, never ids)."""
        timeout_ms = self._timeout(timeout_ms)

        def build(names: list[str], version: int) -> tm.DeleteTopicsRequest:
            if version >= 6:
                return tm.DeleteTopicsRequest(
                    topics=tuple(tm.DeleteTopicState(name=n) for n in names), timeout_ms=timeout_ms
                )
            return tm.DeleteTopicsRequest(topic_names=tuple(names), timeout_ms=timeout_ms)

        def parse(response: tm.DeleteTopicsResponse) -> dict[str, TopicResult]:
            return {
                r.name: TopicResult(r.name, _error(r.error_code, r.error_message), r.topic_id)
                for r in response.responses
                if r.name is not None
            }

        return await self._controller_call(ApiKey.DELETE_TOPICS, list(dict.fromkeys(topics)), build, parse, timeout_ms)

    async def create_partitions(
        self, new_partitions: Mapping[str, NewPartitions], *, validate_only: bool = False, timeout_ms: int | None = None
    ) -> tuple[TopicResult, ...]:
        """CreatePartitions at the controller."""
        timeout_ms = self._timeout(timeout_ms)

        def build(names: list[str], version: int) -> tm.CreatePartitionsRequest:
            topics = []
            for name in names:
                np = new_partitions[name]
                assignments = (
                    None
                    if np.new_assignments is None
                    else tuple(tm.CreatePartitionsAssignment(broker_ids=tuple(b)) for b in np.new_assignments)
                )
                topics.append(tm.CreatePartitionsTopic(name=name, count=np.total_count, assignments=assignments))
            return tm.CreatePartitionsRequest(topics=tuple(topics), timeout_ms=timeout_ms, validate_only=validate_only)

        def parse(response: tm.CreatePartitionsResponse) -> dict[str, TopicResult]:
            return {r.name: TopicResult(r.name, _error(r.error_code, r.error_message)) for r in response.results}

        return await self._controller_call(ApiKey.CREATE_PARTITIONS, list(new_partitions), build, parse, timeout_ms)

    # ---- configs --------------------------------------------------------------------------------

    async def describe_configs(
        self, resources: Sequence[ConfigResource], *, include_synonyms: bool = False
    ) -> tuple[ConfigResult, ...]:
        """DescribeConfigs: topic resources at any broker, a broker resource at that broker."""
        results: dict[ConfigResource, ConfigResult] = {}
        for conn, group in await self._route_config_resources(resources):
            request = cm.DescribeConfigsRequest(
                resources=tuple(
                    cm.DescribeConfigsResource(resource_type=r.type, resource_name=r.name, configuration_keys=None)
                    for r in group
                ),
                include_synonyms=include_synonyms,
            )
            response = await conn.send(ApiKey.DESCRIBE_CONFIGS, None, request)
            version = conn.version_for(ApiKey.DESCRIBE_CONFIGS)
            for r in response.results:
                resource = ConfigResource(ConfigResourceType(r.resource_type), r.resource_name)
                entries = tuple(_config_entry(resource, c, version) for c in r.configs)
                results[resource] = ConfigResult(resource, entries, _error(r.error_code, r.error_message))
        return tuple(results.get(r, ConfigResult(r, error=error_for_code(-1)("no result"))) for r in resources)

    async def alter_configs(
        self, configs: Mapping[ConfigResource, Mapping[str, str | None]], *, validate_only: bool = False
    ) -> tuple[ConfigResult, ...]:
        """AlterConfigs (legacy): each resource's dynamic configs are *replaced* by the given set."""
        results: dict[ConfigResource, ConfigResult] = {}
        for conn, group in await self._route_config_resources(list(configs)):
            request = cm.AlterConfigsRequest(
                resources=tuple(
                    cm.AlterConfigsResource(
                        resource_type=r.type,
                        resource_name=r.name,
                        configs=tuple(cm.AlterableConfig(name=k, value=v) for k, v in configs[r].items()),
                    )
                    for r in group
                ),
                validate_only=validate_only,
            )
            response = await conn.send(ApiKey.ALTER_CONFIGS, None, request)
            results.update(_alter_results(response))
        return tuple(results.get(r, ConfigResult(r, error=error_for_code(-1)("no result"))) for r in configs)

    async def incremental_alter_configs(
        self, configs: Mapping[ConfigResource, Sequence[AlterConfigOp]], *, validate_only: bool = False
    ) -> tuple[ConfigResult, ...]:
        """IncrementalAlterConfigs (KIP-339): SET/DELETE/APPEND/SUBTRACT single entries."""
        results: dict[ConfigResource, ConfigResult] = {}
        for conn, group in await self._route_config_resources(list(configs)):
            request = cm.IncrementalAlterConfigsRequest(
                resources=tuple(
                    cm.IncrementalAlterConfigsRequestAlterConfigsResource(
                        resource_type=r.type,
                        resource_name=r.name,
                        configs=tuple(
                            cm.IncrementalAlterConfigsRequestAlterableConfig(
                                name=op.name, config_operation=op.op, value=op.value
                            )
                            for op in configs[r]
                        ),
                    )
                    for r in group
                ),
                validate_only=validate_only,
            )
            response = await conn.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, None, request)
            results.update(_alter_results(response))
        return tuple(results.get(r, ConfigResult(r, error=error_for_code(-1)("no result"))) for r in configs)

    async def list_partition_reassignments(
        self, partitions: Sequence[TopicPartition] | None = None, *, timeout_ms: int | None = None
    ) -> dict[TopicPartition, PartitionReassignment]:
        """Ongoing reassignments (KIP-455), from the controller; all of them when ``partitions`` is None."""
        topics = None
        if partitions is not None:
            by_topic: dict[str, list[int]] = {}
            for tp in partitions:
                by_topic.setdefault(tp.topic, []).append(tp.partition)
            topics = tuple(
                tm.ListPartitionReassignmentsTopics(name=t, partition_indexes=tuple(ps)) for t, ps in by_topic.items()
            )
        request = tm.ListPartitionReassignmentsRequest(timeout_ms=self._timeout(timeout_ms), topics=topics)
        conn = await self._controller_connection()
        response = await conn.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, None, request)
        if response.error_code:
            raise _error(response.error_code, response.error_message)  # type: ignore[misc]
        return {
            TopicPartition(t.name, p.partition_index): PartitionReassignment(
                tuple(p.replicas), tuple(p.adding_replicas), tuple(p.removing_replicas)
            )
            for t in response.topics
            for p in t.partitions
        }

    # ---- offsets --------------------------------------------------------------------------------

    async def list_offsets(
        self, specs: Mapping[TopicPartition, int], *, isolation_level: int = 0, timeout_ms: int | None = None
    ) -> dict[TopicPartition, ListOffsetsResult]:
        """Offsets per partition for ``offsets.EARLIEST``, ``offsets.LATEST`` or a timestamp (ms)."""
        return await list_offsets(
            self.client, specs, isolation_level=isolation_level, timeout_ms=self._timeout(timeout_ms)
        )

    # ---- internals ------------------------------------------------------------------------------

    def _timeout(self, timeout_ms: int | None) -> int:
        return self.default_api_timeout_ms if timeout_ms is None else timeout_ms

    async def _controller_connection(self) -> BrokerConnection:
        cluster = self.client.cluster
        if cluster is None or cluster.controller is None:
            cluster = await self.client.refresh_metadata(())
        if cluster.controller is not None:
            return await self.client.connection(cluster.controller_id)
        return await self.client.any_connection()

    async def _controller_call(
        self,
        api_key: ApiKey,
        names: list[str],
        build: Callable[[list[str], int], Any],
        parse: Callable[[Any], dict[str, TopicResult]],
        timeout_ms: int,
    ) -> tuple[TopicResult, ...]:
        """Send ``build(names)`` to the controller; retry NOT_CONTROLLER and network errors."""
        deadline = trio.current_time() + timeout_ms / 1000
        results: dict[str, TopicResult] = {}
        pending = list(names)
        while pending:
            try:
                conn = await self._controller_connection()
                request = build(pending, conn.version_for(api_key))
                parsed = parse(await conn.send(api_key, None, request))
            except (KafkaConnectionError, KafkaTimeoutError):
                if trio.current_time() >= deadline:
                    raise
                parsed = {}
            retry = [n for n in pending if n not in parsed or isinstance(parsed[n].error, NotController)]
            results.update({n: parsed[n] for n in pending if n not in retry})
            if not retry:
                break
            if trio.current_time() >= deadline:
                for n in retry:
                    results[n] = parsed.get(n) or TopicResult(
                        n, KafkaTimeoutError(f"Timed out waiting for the controller to answer for {n}")
                    )
                break
            pending = retry
            await self.client.backoff()
            await self.client.refresh_metadata(())
        return tuple(results[n] for n in names)

    async def _route_config_resources(
        self, resources: Sequence[ConfigResource]
    ) -> list[tuple[BrokerConnection, list[ConfigResource]]]:
        routes: dict[int | None, list[ConfigResource]] = {}
        for r in resources:
            per_broker = r.type in (ConfigResourceType.BROKER, ConfigResourceType.BROKER_LOGGER) and r.name
            node = int(r.name) if per_broker else None
            routes.setdefault(node, []).append(r)
        result = []
        for node, group in routes.items():
            conn = await (self.client.any_connection() if node is None else self.client.connection(node))
            result.append((conn, group))
        return result


def _config_entry(resource: ConfigResource, c: cm.DescribeConfigsResourceResult, version: int) -> ConfigEntry:
    if version == 0:
        # v0 has only is_default; Kafka's client infers the source the same way.
        if c.is_default:
            source = ConfigSource.DEFAULT_CONFIG
        elif resource.type == ConfigResourceType.TOPIC:
            source = ConfigSource.DYNAMIC_TOPIC_CONFIG
        else:
            source = ConfigSource.UNKNOWN
    else:
        source = _source(c.config_source)
    synonyms = tuple(ConfigSynonym(s.name, s.value, _source(s.source)) for s in c.synonyms) if version >= 1 else ()
    return ConfigEntry(c.name, c.value, source, c.read_only, c.is_sensitive, synonyms)


def _source(value: int) -> ConfigSource:
    try:
        return ConfigSource(value)
    except ValueError:
        return ConfigSource.UNKNOWN


def _alter_results(response: Any) -> dict[ConfigResource, ConfigResult]:
    out = {}
    for r in response.responses:
        resource = ConfigResource(ConfigResourceType(r.resource_type), r.resource_name)
        out[resource] = ConfigResult(resource, error=_error(r.error_code, r.error_message))
    return out
