"""A fake Kafka cluster for the admin-client and `kclone topics` tests.

librdkafka's mock cluster does not implement the admin APIs (CreateTopics, DeleteTopics,
CreatePartitions, *Configs, DescribeCluster), so these tests talk to this fake: real sockets, one
listener per broker id, and the real sans-IO protocol layer (``ServerConnection``,
``encode_response``) around a small in-memory model. Only the controller accepts the controller
APIs (others answer NOT_CONTROLLER), as in Kafka. It is a fake of the protocol, not of our client.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import attrs
import trio

from kafka_clone.protocol import ApiKey, NEED_DATA, ServerConnection, api_versions_response, encode_response
from kafka_clone.protocol.messages import configs as cm
from kafka_clone.protocol.messages import fetch as fm
from kafka_clone.protocol.messages import metadata as mm
from kafka_clone.protocol.messages import offsets as om
from kafka_clone.protocol.messages import produce as pm
from kafka_clone.protocol.messages import topics as tm
from kafka_clone.protocol.records import patch_base_offset, read_header

CLUSTER_ID = "fAkEcLuStEr0123456789A"
#: Topic config defaults as DescribeConfigs reports them: (value, source). segment.bytes comes from
#: the broker's server.properties (STATIC_BROKER_CONFIG, 4), as in Kafka's quickstart.
DEFAULT_CONFIGS = {
    "cleanup.policy": ("delete", 5),
    "min.insync.replicas": ("1", 5),
    "retention.ms": ("604800000", 5),
    "segment.bytes": ("1073741824", 4),
}


@attrs.define
class FakeTopic:
    topic_id: uuid.UUID
    replicas: list[list[int]]
    isr: list[list[int]]
    leaders: list[int]
    configs: dict[str, str] = attrs.Factory(dict)
    internal: bool = False
    #: Per partition: the stored batches (base offsets stamped) and the log end offset.
    logs: dict[int, list[bytes]] = attrs.Factory(dict)
    log_end: dict[int, int] = attrs.Factory(dict)


@attrs.define
class FakeCluster:
    broker_ids: tuple[int, ...] = (1, 2, 3)
    controller_id: int = 1
    topics: dict[str, FakeTopic] = attrs.Factory(dict)
    hidden_apis: set[int] = attrs.Factory(set)
    ports: dict[int, int] = attrs.Factory(dict)
    #: (broker id, api key) of every request, for assertions.
    seen: list[tuple[int, int]] = attrs.Factory(list)
    reassignments: dict[tuple[str, int], tuple[list[int], list[int], list[int]]] = attrs.Factory(dict)
    #: Error codes to answer to the next Produce requests for a partition, in order.
    produce_errors: dict[tuple[str, int], list[int]] = attrs.Factory(dict)
    #: Every Produce request's (broker id, ((topic, partition), ...)), for assertions.
    produce_requests: list[tuple[int, tuple[tuple[str, int], ...]]] = attrs.Factory(list)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.ports[b]}" for b in self.broker_ids)

    def add_topic(self, name: str, replicas: list[list[int]], configs: dict[str, str] | None = None, *,
                  internal: bool = False) -> FakeTopic:
        t = FakeTopic(uuid.uuid4(), [list(r) for r in replicas], [list(r) for r in replicas],
                      [r[0] for r in replicas], dict(configs or {}), internal)
        self.topics[name] = t
        return t

    # ---- handlers ----

    def handle(self, broker_id: int, api_key: int, version: int, body: Any) -> Any:
        self.seen.append((broker_id, api_key))
        handler = getattr(self, f"_{ApiKey(api_key).name.lower()}")
        return handler(broker_id, version, body)

    def _api_versions(self, broker_id: int, version: int, body: Any) -> Any:
        return api_versions_response(version, exclude={ApiKey(k) for k in self.hidden_apis})

    def _brokers(self) -> tuple[mm.MetadataResponseBroker, ...]:
        return tuple(mm.MetadataResponseBroker(node_id=b, host="127.0.0.1", port=self.ports[b]) for b in self.broker_ids)

    def _metadata(self, broker_id: int, version: int, body: mm.MetadataRequest) -> mm.MetadataResponse:
        names = sorted(self.topics) if body.topics is None or (version == 0 and not body.topics) else [
            t.name for t in body.topics
        ]
        topics = []
        for name in names:
            t = self.topics.get(name)
            if t is None:
                topics.append(mm.MetadataResponseTopic(error_code=3, name=name))
                continue
            partitions = tuple(
                mm.MetadataResponsePartition(
                    error_code=0 if t.leaders[i] >= 0 else 5, partition_index=i, leader_id=t.leaders[i],
                    leader_epoch=0, replica_nodes=tuple(t.replicas[i]), isr_nodes=tuple(t.isr[i]),
                )
                for i in range(len(t.replicas))
            )
            topics.append(mm.MetadataResponseTopic(error_code=0, name=name, topic_id=t.topic_id,
                                                   is_internal=t.internal, partitions=partitions))
        return mm.MetadataResponse(brokers=self._brokers(), cluster_id=CLUSTER_ID, controller_id=self.controller_id,
                                   topics=tuple(topics))

    def _describe_cluster(self, broker_id: int, version: int, body: Any) -> mm.DescribeClusterResponse:
        return mm.DescribeClusterResponse(
            cluster_id=CLUSTER_ID, controller_id=self.controller_id,
            brokers=tuple(mm.DescribeClusterBroker(broker_id=b, host="127.0.0.1", port=self.ports[b])
                          for b in self.broker_ids),
        )

    def _create_topics(self, broker_id: int, version: int, body: tm.CreateTopicsRequest) -> tm.CreateTopicsResponse:
        results = []
        for t in body.topics:
            if broker_id != self.controller_id:
                results.append(tm.CreatableTopicResult(name=t.name, error_code=41, error_message="This is not the correct controller for this cluster."))
                continue
            if t.name in self.topics:
                results.append(tm.CreatableTopicResult(name=t.name, error_code=36, error_message=f"Topic '{t.name}' already exists."))
                continue
            if t.assignments:
                replicas = [list(a.broker_ids) for a in sorted(t.assignments, key=lambda a: a.partition_index)]
            else:
                count = 1 if t.num_partitions == -1 else t.num_partitions
                rf = 1 if t.replication_factor == -1 else t.replication_factor
                if rf > len(self.broker_ids):
                    results.append(tm.CreatableTopicResult(
                        name=t.name, error_code=38,
                        error_message=f"Replication factor: {rf} larger than available brokers: {len(self.broker_ids)}."))
                    continue
                ids = self.broker_ids
                replicas = [[ids[(p + r) % len(ids)] for r in range(rf)] for p in range(count)]
            result = tm.CreatableTopicResult(name=t.name, error_code=0, num_partitions=len(replicas),
                                             replication_factor=len(replicas[0]))
            if not body.validate_only:
                topic = self.add_topic(t.name, replicas, {c.name: c.value for c in t.configs})
                result = attrs.evolve(result, topic_id=topic.topic_id)
            results.append(result)
        return tm.CreateTopicsResponse(topics=tuple(results))

    def _delete_topics(self, broker_id: int, version: int, body: tm.DeleteTopicsRequest) -> tm.DeleteTopicsResponse:
        names = [t.name for t in body.topics] if version >= 6 else list(body.topic_names)
        results = []
        for name in names:
            if broker_id != self.controller_id:
                code = 41
            elif name not in self.topics:
                code = 3
            else:
                code = 0
                del self.topics[name]
            results.append(tm.DeletableTopicResult(name=name, error_code=code))
        return tm.DeleteTopicsResponse(responses=tuple(results))

    def _create_partitions(self, broker_id: int, version: int, body: tm.CreatePartitionsRequest) -> tm.CreatePartitionsResponse:
        results = []
        for t in body.topics:
            topic = self.topics.get(t.name)
            if broker_id != self.controller_id:
                results.append(tm.CreatePartitionsTopicResult(name=t.name, error_code=41))
            elif topic is None:
                results.append(tm.CreatePartitionsTopicResult(name=t.name, error_code=3))
            elif t.count <= len(topic.replicas):
                results.append(tm.CreatePartitionsTopicResult(
                    name=t.name, error_code=37,
                    error_message=f"Topic currently has {len(topic.replicas)} partitions, which is higher than "
                                  f"the requested {t.count}."))
            else:
                new = t.count - len(topic.replicas)
                assigned = [list(a.broker_ids) for a in t.assignments] if t.assignments is not None else [
                    list(topic.replicas[0]) for _ in range(new)]
                if not body.validate_only:
                    for r in assigned:
                        topic.replicas.append(r)
                        topic.isr.append(list(r))
                        topic.leaders.append(r[0])
                results.append(tm.CreatePartitionsTopicResult(name=t.name, error_code=0))
        return tm.CreatePartitionsResponse(results=tuple(results))

    def _describe_configs(self, broker_id: int, version: int, body: cm.DescribeConfigsRequest) -> cm.DescribeConfigsResponse:
        results = []
        for r in body.resources:
            topic = self.topics.get(r.resource_name)
            if r.resource_type != 2 or topic is None:
                results.append(cm.DescribeConfigsResult(error_code=3, error_message=f"Topic {r.resource_name} does not exist",
                                                        resource_type=r.resource_type, resource_name=r.resource_name))
                continue
            entries = []
            for name in sorted(set(DEFAULT_CONFIGS) | set(topic.configs)):
                if name in topic.configs:
                    value, source = topic.configs[name], 1
                else:
                    value, source = DEFAULT_CONFIGS[name]
                entries.append(cm.DescribeConfigsResourceResult(name=name, value=value, config_source=source,
                                                                is_default=source == 5))
            results.append(cm.DescribeConfigsResult(resource_type=2, resource_name=r.resource_name, configs=tuple(entries)))
        return cm.DescribeConfigsResponse(results=tuple(results))

    def _alter_configs(self, broker_id: int, version: int, body: cm.AlterConfigsRequest) -> cm.AlterConfigsResponse:
        out = []
        for r in body.resources:
            topic = self.topics.get(r.resource_name)
            if topic is not None and not body.validate_only:
                topic.configs = {c.name: c.value for c in r.configs}
            out.append(cm.AlterConfigsResourceResponse(error_code=0 if topic else 3, resource_type=r.resource_type,
                                                      resource_name=r.resource_name))
        return cm.AlterConfigsResponse(responses=tuple(out))

    def _incremental_alter_configs(self, broker_id: int, version: int, body: Any) -> cm.IncrementalAlterConfigsResponse:
        out = []
        for r in body.resources:
            topic = self.topics.get(r.resource_name)
            code = 0 if topic else 3
            for c in r.configs if topic is not None and not body.validate_only else ():
                if c.config_operation == 0:
                    topic.configs[c.name] = c.value
                elif c.config_operation == 1:
                    topic.configs.pop(c.name, None)
                else:
                    code = 42
            out.append(cm.AlterConfigsResourceResponse(error_code=code, resource_type=r.resource_type,
                                                      resource_name=r.resource_name))
        return cm.IncrementalAlterConfigsResponse(responses=tuple(out))

    def _produce(self, broker_id: int, version: int, body: pm.ProduceRequest) -> pm.ProduceResponse:
        self.produce_requests.append(
            (broker_id, tuple((t.name, p.index) for t in body.topic_data for p in t.partition_data)))
        responses = []
        for t in body.topic_data:
            parts = []
            for p in t.partition_data:
                topic = self.topics.get(t.name)
                injected = self.produce_errors.get((t.name, p.index))
                if injected:
                    parts.append(pm.PartitionProduceResponse(index=p.index, error_code=injected.pop(0), base_offset=-1))
                elif topic is None or p.index >= len(topic.replicas):
                    parts.append(pm.PartitionProduceResponse(index=p.index, error_code=3, base_offset=-1))
                elif topic.leaders[p.index] != broker_id:
                    parts.append(pm.PartitionProduceResponse(index=p.index, error_code=6, base_offset=-1))
                else:
                    batch = bytearray(p.records)
                    header = read_header(batch)
                    base = topic.log_end.get(p.index, 0)
                    patch_base_offset(batch, 0, base)
                    topic.logs.setdefault(p.index, []).append(bytes(batch))
                    topic.log_end[p.index] = base + header.last_offset_delta + 1
                    parts.append(pm.PartitionProduceResponse(index=p.index, base_offset=base, log_start_offset=0))
            responses.append(pm.TopicProduceResponse(name=t.name, partition_responses=tuple(parts)))
        return pm.ProduceResponse(responses=tuple(responses))

    def _list_offsets(self, broker_id: int, version: int, body: om.ListOffsetsRequest) -> om.ListOffsetsResponse:
        topics = []
        for t in body.topics:
            topic = self.topics[t.name]
            parts = []
            for p in t.partitions:
                if topic.leaders[p.partition_index] != broker_id:
                    parts.append(om.ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=6))
                    continue
                offset = 0 if p.timestamp == -2 else topic.log_end.get(p.partition_index, 0)
                parts.append(om.ListOffsetsPartitionResponse(partition_index=p.partition_index, offset=offset))
            topics.append(om.ListOffsetsTopicResponse(name=t.name, partitions=tuple(parts)))
        return om.ListOffsetsResponse(topics=tuple(topics))

    def _fetch(self, broker_id: int, version: int, body: fm.FetchRequest) -> fm.FetchResponse:
        # Answers at once (no long poll): every batch holding offsets at or after the fetch offset.
        responses = []
        for t in body.topics:
            topic = self.topics[t.topic]
            parts = []
            for p in t.partitions:
                end = topic.log_end.get(p.partition, 0)
                if topic.leaders[p.partition] != broker_id:
                    parts.append(fm.FetchablePartitionResponse(partition=p.partition, error_code=6))
                elif p.fetch_offset > end:
                    parts.append(fm.FetchablePartitionResponse(partition=p.partition, error_code=1, high_watermark=end))
                else:
                    data = b"".join(b for b in topic.logs.get(p.partition, []) if read_header(b).next_offset > p.fetch_offset)
                    parts.append(fm.FetchablePartitionResponse(partition=p.partition, high_watermark=end,
                                                               last_stable_offset=end, record_set=data))
            responses.append(fm.FetchableTopicResponse(topic=t.topic, partition_responses=tuple(parts)))
        return fm.FetchResponse(responses=tuple(responses))

    def _list_partition_reassignments(self, broker_id: int, version: int, body: Any) -> tm.ListPartitionReassignmentsResponse:
        by_topic: dict[str, list[tm.OngoingPartitionReassignment]] = {}
        for (topic, p), (replicas, adding, removing) in sorted(self.reassignments.items()):
            by_topic.setdefault(topic, []).append(tm.OngoingPartitionReassignment(
                partition_index=p, replicas=tuple(replicas), adding_replicas=tuple(adding),
                removing_replicas=tuple(removing)))
        return tm.ListPartitionReassignmentsResponse(topics=tuple(
            tm.OngoingTopicReassignment(name=t, partitions=tuple(ps)) for t, ps in by_topic.items()))


async def _serve_connection(cluster: FakeCluster, broker_id: int, stream: trio.SocketStream) -> None:
    conn = ServerConnection()
    async with stream:
        while True:
            data = await stream.receive_some(65536)
            if not data:
                return
            conn.receive_data(data)
            while (req := conn.next_request()) is not NEED_DATA:
                body = cluster.handle(broker_id, req.api_key, req.api_version, req.body)
                if req.expects_response:
                    await stream.send_all(encode_response(req.correlation_id, req.api_key, req.response_version, body))


async def serve(cluster: FakeCluster, *, task_status: trio.TaskStatus[FakeCluster] = trio.TASK_STATUS_IGNORED) -> None:
    """Listen for every broker of ``cluster`` on free loopback ports until cancelled."""
    async with trio.open_nursery() as nursery:
        for broker_id in cluster.broker_ids:
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            cluster.ports[broker_id] = listeners[0].socket.getsockname()[1]

            async def handler(stream: trio.SocketStream, broker_id: int = broker_id) -> None:
                await _serve_connection(cluster, broker_id, stream)

            nursery.start_soon(trio.serve_listeners, handler, listeners)
        task_status.started(cluster)


class FakeClusterThread:
    """The fake cluster in its own thread and trio loop, for synchronous (CLI) tests."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        with trio.CancelScope() as scope:
            self._cancel = scope
            self._token = trio.lowlevel.current_trio_token()
            async with trio.open_nursery() as nursery:
                await nursery.start(serve, self.cluster)
                self._ready.set()

    def __enter__(self) -> FakeCluster:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("fake cluster did not start")
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None and self._cancel is not None
        self._token.run_sync_soon(self._cancel.cancel)
        self._thread.join(30)
