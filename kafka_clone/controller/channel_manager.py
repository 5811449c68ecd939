"""The controller's channel to every broker, and the batch that fills it.

Mirrors Kafka 2.8's `ControllerChannelManager.scala`:
- `ControllerChannelManager`: one queue and one sender task per live broker (Kafka's
  `RequestSendThread`).  A sender connects to the broker's inter-broker listener with our own
  client, sends its queue's requests one at a time in order, and on a broken connection
  reconnects and sends the same request again, until the broker is removed (it died) or the
  controller's term ends (the tasks live in the term's nursery).
- `ControllerBrokerRequestBatch`: state changes add LeaderAndIsr, StopReplica and UpdateMetadata
  entries per broker; `send_requests` turns them into one request of each kind per broker,
  stamped with the controller epoch and the broker's epoch (KIP-380).

Requests are built when the sender knows the negotiated version (`build(version)`), because
these APIs changed shape across versions (ungrouped partition states before v2/v5).
"""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any, Callable

import attrs
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.protocol import ApiKey, KafkaError
from kafka_clone.protocol.messages import controller as ctl
from kafka_clone.protocol.messages import update_metadata as um
from zk.znodes import BrokerInfo, LeaderAndIsr

log = logging.getLogger(__name__)

SECURITY_PROTOCOL_IDS = {"PLAINTEXT": 0, "SSL": 1, "SASL_PLAINTEXT": 2, "SASL_SSL": 3}
RETRY_BACKOFF_S = 0.1
ZERO_UUID = uuid.UUID(int=0)

TopicPartition = tuple[str, int]
Callback = Callable[[int, Any], None]


@attrs.frozen
class _QueueItem:
    api_key: ApiKey
    build: Callable[[int], Any]
    callback: Callback | None


@attrs.define(eq=False)
class ControllerChannelManager:
    controller_id: int
    listener_name: str
    nursery: trio.Nursery
    request_timeout_ms: int = 30000
    _senders: dict[int, tuple[trio.MemorySendChannel, trio.CancelScope]] = attrs.Factory(dict)

    def add_broker(self, info: BrokerInfo) -> None:
        if info.id in self._senders:
            return
        endpoint = next((e for e in info.endpoints if e.listener_name == self.listener_name), None)
        if endpoint is None:
            log.error("[Controller id=%d] broker %d has no %s listener; cannot send it requests",
                      self.controller_id, info.id, self.listener_name)
            return
        send, receive = trio.open_memory_channel(math.inf)
        scope = trio.CancelScope()
        self._senders[info.id] = (send, scope)
        self.nursery.start_soon(self._run_sender, info.id, endpoint.host, endpoint.port, receive, scope)

    def remove_broker(self, broker_id: int) -> None:
        entry = self._senders.pop(broker_id, None)
        if entry is not None:
            entry[0].close()
            entry[1].cancel()

    def send(self, broker_id: int, api_key: ApiKey, build: Callable[[int], Any],
             callback: Callback | None = None) -> None:
        entry = self._senders.get(broker_id)
        if entry is None:
            log.debug("[Controller id=%d] no channel to broker %d: dropping %s", self.controller_id, broker_id, api_key.name)
            return
        entry[0].send_nowait(_QueueItem(api_key, build, callback))

    def close(self) -> None:
        for broker_id in list(self._senders):
            self.remove_broker(broker_id)

    async def _run_sender(self, broker_id: int, host: str, port: int,
                          receive: trio.MemoryReceiveChannel, scope: trio.CancelScope) -> None:
        with scope:
            conn: BrokerConnection | None = None
            try:
                async for item in receive:
                    while True:
                        try:
                            if conn is None or conn.closed:
                                conn = await BrokerConnection.connect(
                                    host, port, node_id=broker_id, client_id=f"controller-{self.controller_id}",
                                    request_timeout_ms=self.request_timeout_ms)
                            version = conn.version_for(item.api_key)
                            response = await conn.send(item.api_key, version, item.build(version))
                            break
                        except KafkaError as exc:
                            log.info("[Controller id=%d] %s to broker %d failed (%s); retrying",
                                     self.controller_id, item.api_key.name, broker_id, exc)
                            if conn is not None:
                                await conn.aclose()
                                conn = None
                            await trio.sleep(RETRY_BACKOFF_S)
                    if item.callback is not None:
                        item.callback(broker_id, response)
            finally:
                if conn is not None:
                    with trio.CancelScope(shield=True):
                        await conn.aclose()


@attrs.frozen
class PartitionLeadership:
    """What LeaderAndIsr/UpdateMetadata carry for one partition."""

    leader_and_isr: LeaderAndIsr
    replicas: tuple[int, ...]
    adding_replicas: tuple[int, ...] = ()
    removing_replicas: tuple[int, ...] = ()
    offline_replicas: tuple[int, ...] = ()


@attrs.define(eq=False)
class ControllerBrokerRequestBatch:
    """Requests accumulated during one controller event, sent together at its end."""

    controller_id: int
    leader_and_isr: dict[int, dict[TopicPartition, tuple[PartitionLeadership, bool]]] = attrs.Factory(dict)
    stop_replica: dict[int, dict[TopicPartition, bool]] = attrs.Factory(dict)
    update_metadata_brokers: set[int] = attrs.Factory(set)
    update_metadata_partitions: dict[TopicPartition, PartitionLeadership] = attrs.Factory(dict)

    def add_leader_and_isr(self, broker_ids, tp: TopicPartition, state: PartitionLeadership, is_new: bool) -> None:
        for b in broker_ids:
            self.leader_and_isr.setdefault(b, {})[tp] = (state, is_new)
        # Kafka: any LeaderAndIsr also updates every broker's metadata for that partition.
        self.update_metadata_partitions[tp] = state

    def add_stop_replica(self, broker_ids, tp: TopicPartition, delete: bool) -> None:
        for b in broker_ids:
            self.stop_replica.setdefault(b, {})[tp] = delete

    def add_update_metadata(self, broker_ids, partitions: dict[TopicPartition, PartitionLeadership]) -> None:
        self.update_metadata_brokers |= set(broker_ids)
        self.update_metadata_partitions.update(partitions)

    def send_requests(self, channel: ControllerChannelManager, controller_epoch: int,
                      live_brokers: dict[int, tuple[BrokerInfo, int]],
                      topic_ids: dict[str, Any], stop_replica_callback: Callback | None = None) -> None:
        for broker_id, partitions in self.leader_and_isr.items():
            if broker_id in live_brokers:
                leaders = {s.leader_and_isr.leader for s, _ in partitions.values()}
                channel.send(broker_id, ApiKey.LEADER_AND_ISR, _leader_and_isr_builder(
                    self.controller_id, controller_epoch, live_brokers[broker_id][1], partitions,
                    [live_brokers[b][0] for b in sorted(leaders) if b in live_brokers], channel.listener_name, topic_ids))
        if self.update_metadata_partitions and not self.update_metadata_brokers:
            self.update_metadata_brokers = set(live_brokers)
        for broker_id in self.update_metadata_brokers:
            if broker_id in live_brokers:
                channel.send(broker_id, ApiKey.UPDATE_METADATA, _update_metadata_builder(
                    self.controller_id, controller_epoch, live_brokers[broker_id][1],
                    dict(self.update_metadata_partitions), live_brokers, topic_ids))
        for broker_id, partitions in self.stop_replica.items():
            if broker_id in live_brokers:
                channel.send(broker_id, ApiKey.STOP_REPLICA, _stop_replica_builder(
                    self.controller_id, controller_epoch, live_brokers[broker_id][1], partitions),
                    stop_replica_callback)
        self.leader_and_isr.clear()
        self.stop_replica.clear()
        self.update_metadata_brokers.clear()
        self.update_metadata_partitions.clear()


def _by_topic(items: dict[TopicPartition, Any]) -> dict[str, list[tuple[int, Any]]]:
    grouped: dict[str, list[tuple[int, Any]]] = {}
    for (topic, partition), value in sorted(items.items()):
        grouped.setdefault(topic, []).append((partition, value))
    return grouped


def _leader_and_isr_builder(controller_id, controller_epoch, broker_epoch, partitions, leaders, listener, topic_ids):
    def build(version: int) -> ctl.LeaderAndIsrRequest:
        def state(topic: str, p: int, s: PartitionLeadership, is_new: bool) -> ctl.LeaderAndIsrPartitionState:
            li = s.leader_and_isr
            return ctl.LeaderAndIsrPartitionState(
                topic_name=topic, partition_index=p, controller_epoch=li.controller_epoch, leader=li.leader,
                leader_epoch=li.leader_epoch, isr=tuple(li.isr), zk_version=li.zk_version, replicas=s.replicas,
                adding_replicas=s.adding_replicas, removing_replicas=s.removing_replicas, is_new=is_new)

        live_leaders = tuple(_live_leader(b, listener) for b in leaders)
        common = dict(controller_id=controller_id, controller_epoch=controller_epoch, broker_epoch=broker_epoch,
                      live_leaders=live_leaders)
        if version < 2:
            return ctl.LeaderAndIsrRequest(**common, ungrouped_partition_states=tuple(
                state(t, p, s, n) for (t, p), (s, n) in sorted(partitions.items())))
        return ctl.LeaderAndIsrRequest(**common, topic_states=tuple(
            ctl.LeaderAndIsrTopicState(topic_name=t, topic_id=topic_ids.get(t) or ZERO_UUID,
                                       partition_states=tuple(state(t, p, s, n) for p, (s, n) in ps))
            for t, ps in _by_topic(partitions).items()))
    return build


def _live_leader(info: BrokerInfo, listener: str) -> ctl.LeaderAndIsrLiveLeader:
    e = next((e for e in info.endpoints if e.listener_name == listener), info.endpoints[0])
    return ctl.LeaderAndIsrLiveLeader(broker_id=info.id, host_name=e.host, port=e.port)


def _update_metadata_builder(controller_id, controller_epoch, broker_epoch, partitions, live_brokers, topic_ids):
    def build(version: int) -> um.UpdateMetadataRequest:
        def state(topic: str, p: int, s: PartitionLeadership) -> um.UpdateMetadataPartitionState:
            li = s.leader_and_isr
            return um.UpdateMetadataPartitionState(
                topic_name=topic, partition_index=p, controller_epoch=li.controller_epoch, leader=li.leader,
                leader_epoch=li.leader_epoch, isr=tuple(li.isr), zk_version=li.zk_version, replicas=s.replicas,
                offline_replicas=s.offline_replicas)

        brokers = tuple(
            um.UpdateMetadataBroker(
                id=info.id, v0_host=info.endpoints[0].host if info.endpoints else "",
                v0_port=info.endpoints[0].port if info.endpoints else -1,
                endpoints=tuple(um.UpdateMetadataEndpoint(
                    port=e.port, host=e.host, listener=e.listener_name,
                    security_protocol=SECURITY_PROTOCOL_IDS.get(e.security_protocol, 0)) for e in info.endpoints),
                rack=info.rack)
            for info, _ in (live_brokers[b] for b in sorted(live_brokers)))
        common = dict(controller_id=controller_id, controller_epoch=controller_epoch, broker_epoch=broker_epoch,
                      live_brokers=brokers)
        if version < 5:
            return um.UpdateMetadataRequest(**common, ungrouped_partition_states=tuple(
                state(t, p, s) for (t, p), s in sorted(partitions.items())))
        return um.UpdateMetadataRequest(**common, topic_states=tuple(
            um.UpdateMetadataTopicState(topic_name=t, topic_id=topic_ids.get(t) or ZERO_UUID,
                                        partition_states=tuple(state(t, p, s) for p, s in ps))
            for t, ps in _by_topic(partitions).items()))
    return build


def _stop_replica_builder(controller_id, controller_epoch, broker_epoch, partitions):
    def build(version: int) -> ctl.StopReplicaRequest:
        common = dict(controller_id=controller_id, controller_epoch=controller_epoch, broker_epoch=broker_epoch)
        if version >= 3:
            return ctl.StopReplicaRequest(**common, topic_states=tuple(
                ctl.StopReplicaTopicState(topic_name=t, partition_states=tuple(
                    ctl.StopReplicaPartitionState(partition_index=p, leader_epoch=-2 if d else -1, delete_partition=d)
                    for p, d in ps))
                for t, ps in _by_topic(partitions).items()))
        # Before v3 one request carries one delete flag: Kafka sends two requests then; we only
        # ever batch partitions of one kind per event, and take the flag of the first.
        delete = next(iter(partitions.values()), False)
        if version == 0:
            return ctl.StopReplicaRequest(**common, delete_partitions=delete, ungrouped_partitions=tuple(
                ctl.StopReplicaPartitionV0(topic_name=t, partition_index=p) for (t, p) in sorted(partitions)))
        return ctl.StopReplicaRequest(**common, delete_partitions=delete, topics=tuple(
            ctl.StopReplicaTopicV1(name=t, partition_indexes=tuple(p for p, _ in ps))
            for t, ps in _by_topic(partitions).items()))
    return build

