"""ReplicaManager: this broker's partitions, as the controller's LeaderAndIsr/StopReplica says.

Mirrors Kafka 2.8's `server/ReplicaManager.scala`:
- `become_leader_or_follower` applies a LeaderAndIsr request: stale controller epochs are refused
  as a whole (STALE_CONTROLLER_EPOCH), and each partition only if its leader epoch is newer than
  ours; partitions we are not a replica of get UNKNOWN_TOPIC_OR_PARTITION.
- `append_records` and `read` are the produce and fetch paths; both wake the purgatory so that
  long-polling fetches and acks=all produces re-check at once, never by polling.
- High watermarks are checkpointed to `replication-offset-checkpoint` every
  `replica.high.watermark.checkpoint.interval.ms` and on shut-down, and read back when a
  partition becomes leader after a restart.

Everything runs in the trio thread: appends of already-validated bytes go to the page cache and
are fast; fsync (flush) and recovery are the blocking work, done by the log layer's policies.
"""

from __future__ import annotations

import logging
import time
from typing import Awaitable, Callable

import attrs
import trio

from kafka_clone.log.log_manager import LogManager
from kafka_clone.protocol.errors import (
    KafkaError, NotEnoughReplicasAfterAppend, NotLeaderOrFollower, RequestTimedOut, StaleBrokerEpoch,
    StaleControllerEpoch, UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages.controller import (
    LeaderAndIsrPartitionError, LeaderAndIsrPartitionState, LeaderAndIsrRequest, LeaderAndIsrResponse,
    LeaderAndIsrTopicError, StopReplicaPartitionError, StopReplicaRequest, StopReplicaResponse,
)
from kafka_clone.server.metadata_cache import MetadataCache
from kafka_clone.server.partition import Partition
from kafka_clone.server.producer_state import ProducerStateManager
from kafka_clone.server.purgatory import DelayedOperationPurgatory
from kafka_clone.server.config import KafkaConfig
from kafka_clone.server.replica_fetcher import ReplicaFetcherManager
from kafka_clone.server.replication_quota import ReplicationQuotaManager
from zk.client import BadVersionError, ZkError
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import IsrChangeNotificationSequenceZNode, LeaderAndIsr, TopicPartitionStateZNode

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


#: Kafka 2.8's hard-coded IsrChangeNotificationConfig: check every 2.5 s, propagate once no ISR
#: change happened for 5 s or the last propagation is 60 s old.
ISR_CHANGE_CHECK_INTERVAL_S = 2.5
ISR_CHANGE_LINGER_S = 5.0
ISR_CHANGE_MAX_DELAY_S = 60.0


@attrs.define(eq=False)
class ReplicaManager:
    broker_id: int
    config: KafkaConfig
    log_manager: LogManager
    metadata_cache: MetadataCache
    zk_client: KafkaZkClient
    #: The broker's current epoch (czxid of its registration); LeaderAndIsr for an older one is stale.
    broker_epoch: Callable[[], int]
    clock_ms: Callable[[], int] = wall_clock_ms
    partitions: dict[TopicPartition, Partition] = attrs.Factory(dict)
    controller_epoch: int = 0
    fetch_purgatory: DelayedOperationPurgatory = attrs.Factory(lambda: DelayedOperationPurgatory("Fetch"))
    produce_purgatory: DelayedOperationPurgatory = attrs.Factory(lambda: DelayedOperationPurgatory("Produce"))
    #: Called with (topic, partition, Partition) when this broker becomes leader / follower, so
    #: that other components (group coordinator, replica fetchers) can follow.
    on_become_leader: list[Callable[[Partition], None]] = attrs.Factory(list)
    on_become_follower: list[Callable[[Partition], None]] = attrs.Factory(list)
    _high_watermark_checkpoint: dict[TopicPartition, int] | None = None
    fetcher_manager: ReplicaFetcherManager | None = None
    #: leader id → (host, port) of its inter-broker listener, from LeaderAndIsr's live leaders
    leader_endpoints: dict[int, tuple[str, int]] = attrs.Factory(dict)
    #: partitions whose ISR this leader changed, not yet announced in /isr_change_notification
    isr_change_set: set[TopicPartition] = attrs.Factory(set)
    _last_isr_change_s: float = 0.0
    _last_isr_propagation_s: float = 0.0
    _isr_updates_in_flight: set[TopicPartition] = attrs.Factory(set)
    #: KIP-73 replication throttles (rates from dynamic broker configs) and the topic overrides
    #: naming the throttled replicas (kept up to date by the DynamicConfigManager).
    leader_quota: ReplicationQuotaManager = attrs.Factory(ReplicationQuotaManager)
    follower_quota: ReplicationQuotaManager = attrs.Factory(ReplicationQuotaManager)
    topic_overrides: dict[str, dict[str, str]] = attrs.Factory(dict)
    _broker_overrides: dict[str, dict[str, str]] = attrs.Factory(dict)

    def on_broker_config(self, entity: str, overrides: dict[str, str]) -> None:
        """`/config/brokers/<id>` beats `/config/brokers/<default>` (KIP-226's precedence)."""
        self._broker_overrides[entity] = overrides
        mine = self._broker_overrides.get(str(self.broker_id), {})
        default = self._broker_overrides.get("<default>", {})
        for name, quota in (("leader.replication.throttled.rate", self.leader_quota),
                            ("follower.replication.throttled.rate", self.follower_quota)):
            quota.update_rate(mine.get(name, default.get(name)))

    def should_leader_throttle(self, p: Partition, replica_id: int) -> bool:
        """Kafka's shouldLeaderThrottle: a throttled partition, an out-of-sync follower, the
        leader's replication rate over its quota."""
        config = self.topic_overrides.get(p.topic, {}).get("leader.replication.throttled.replicas")
        return (replica_id not in p.isr and self.leader_quota.is_throttled(config, p.partition, self.broker_id)
                and self.leader_quota.is_quota_exceeded(trio.current_time()))

    def should_follower_throttle(self, p: Partition) -> bool:
        config = self.topic_overrides.get(p.topic, {}).get("follower.replication.throttled.replicas")
        return (self.broker_id not in p.isr and self.follower_quota.is_throttled(config, p.partition, self.broker_id)
                and self.follower_quota.is_quota_exceeded(trio.current_time()))

    @property
    def replica_lag_time_max_ms(self) -> int:
        return self.config["replica.lag.time.max.ms"]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The replica manager's tasks: fetchers, ISR expiry and propagation, HW checkpoints."""
        async with trio.open_nursery() as nursery:
            self.fetcher_manager = ReplicaFetcherManager(self, nursery)
            nursery.start_soon(self._periodically, self.replica_lag_time_max_ms / 2000, self._maybe_shrink_isr)
            nursery.start_soon(self._periodically, ISR_CHANGE_CHECK_INTERVAL_S, self._maybe_propagate_isr_changes)
            await nursery.start(self.run_checkpointer, self.config["replica.high.watermark.checkpoint.interval.ms"])
            task_status.started()

    @staticmethod
    async def _periodically(interval_s: float, fn: Callable[[], Awaitable[None]]) -> None:
        """Run `fn` every `interval_s`; a ZooKeeper failure (session expired, no quorum) is
        logged and the next round tries again, as Kafka's scheduler tasks do."""
        while True:
            await trio.sleep(interval_s)
            try:
                await fn()
            except (ZkError, KafkaError) as exc:
                log.warning("%s failed: %r; retrying in %.1f s", fn.__name__, exc, interval_s)

    # ---- controller requests ----

    def _check_controller(self, controller_epoch: int, broker_epoch: int) -> None:
        if controller_epoch < self.controller_epoch:
            raise StaleControllerEpoch(
                f"controller epoch {controller_epoch} is older than the latest seen {self.controller_epoch}")
        # KIP-380: a request addressed to an older incarnation of this broker.
        if broker_epoch != -1 and broker_epoch < self.broker_epoch():
            raise StaleBrokerEpoch(f"broker epoch {broker_epoch} is older than ours {self.broker_epoch()}")
        self.controller_epoch = controller_epoch

    def topics_without_local_log(self, request: LeaderAndIsrRequest) -> set[str]:
        """Topics that this LeaderAndIsr gives us a replica of with no log here yet."""
        return {topic for topic, _, state in _leader_and_isr_states(request)
                if self.broker_id in state.replicas and self.log_manager.get_log(topic, state.partition_index) is None}

    def become_leader_or_follower(self, request: LeaderAndIsrRequest, version: int) -> LeaderAndIsrResponse:
        try:
            self._check_controller(request.controller_epoch, request.broker_epoch)
        except KafkaError as exc:
            log.warning("Ignoring LeaderAndIsr from controller %d: %s", request.controller_id, exc)
            return LeaderAndIsrResponse(error_code=exc.code)
        now = self.clock_ms()
        for leader in request.live_leaders:
            self.leader_endpoints[leader.broker_id] = (leader.host_name, leader.port)
        errors: dict[TopicPartition, int] = {}
        for topic, topic_id, state in _leader_and_isr_states(request):
            tp = (topic, state.partition_index)
            errors[tp] = self._apply_partition_state(tp, state, now)
        if version >= 5:
            by_topic: dict[str, list[LeaderAndIsrPartitionError]] = {}
            ids = {t.topic_name: t.topic_id for t in request.topic_states}
            for (topic, p), code in errors.items():
                by_topic.setdefault(topic, []).append(LeaderAndIsrPartitionError(partition_index=p, error_code=code))
            return LeaderAndIsrResponse(error_code=0, topics=tuple(
                LeaderAndIsrTopicError(topic_id=ids[t], partition_errors=tuple(errs)) for t, errs in by_topic.items()))
        return LeaderAndIsrResponse(error_code=0, partition_errors=tuple(
            LeaderAndIsrPartitionError(topic_name=t, partition_index=p, error_code=code)
            for (t, p), code in errors.items()))

    def _apply_partition_state(self, tp: TopicPartition, state: LeaderAndIsrPartitionState, now: int) -> int:
        if self.broker_id not in state.replicas:
            return UnknownTopicOrPartition.code
        partition = self.partitions.get(tp)
        if partition is not None and state.leader_epoch <= partition.leader_epoch:
            # Kafka 2.x answers an old or equal leader epoch with STALE_CONTROLLER_EPOCH.
            log.info("Ignoring LeaderAndIsr for %s-%d: leader epoch %d is not newer than %d",
                     tp[0], tp[1], state.leader_epoch, partition.leader_epoch)
            return StaleControllerEpoch.code
        fresh = partition is None
        if partition is None:
            partition = self.partitions[tp] = Partition(tp[0], tp[1], self.broker_id,
                                                        replica_lag_time_max_ms=self.replica_lag_time_max_ms)
        try:
            plog = self.log_manager.get_or_create_log(*tp)
        except KafkaError as exc:
            return exc.code
        if fresh:
            # A replica without in-memory state (new, or after a restart) starts from the
            # high watermark our previous run checkpointed (Kafka: replication-offset-checkpoint).
            partition.high_watermark = min(self._checkpointed_high_watermark(tp) or 0, plog.log_end_offset)
        if partition.producer_state is None:
            partition.producer_state = ProducerStateManager(f"{tp[0]}-{tp[1]}")
            partition.producer_state.load(plog)
        if state.leader == self.broker_id:
            if self.fetcher_manager is not None:
                self.fetcher_manager.remove_partition(tp)
            if partition.make_leader(state, plog, now):
                log.info("[ReplicaManager broker=%d] %s-%d: leader at epoch %d, log end %d, high watermark %d",
                         self.broker_id, tp[0], tp[1], state.leader_epoch, plog.log_end_offset, partition.high_watermark)
            for callback in self.on_become_leader:
                callback(partition)
        else:
            partition.make_follower(state, plog)
            log.info("[ReplicaManager broker=%d] %s-%d: follower of broker %d at epoch %d, log end %d",
                     self.broker_id, tp[0], tp[1], state.leader, state.leader_epoch, plog.log_end_offset)
            self._start_fetching(partition)
            for callback in self.on_become_follower:
                callback(partition)
        # Waiting fetches and acks=all produces re-check: leadership may have moved away.
        self.fetch_purgatory.check_and_complete(("fetch", *tp))
        self.produce_purgatory.check_and_complete(("produce", *tp))
        return 0

    def _start_fetching(self, partition: Partition) -> None:
        """Follow the partition's leader, if it is alive (a leader of -1 means no one to follow)."""
        tp = (partition.topic, partition.partition)
        if self.fetcher_manager is None:
            return
        endpoint = self.leader_endpoints.get(partition.leader_id)
        if partition.leader_id < 0 or endpoint is None:
            self.fetcher_manager.remove_partition(tp)
            return
        self.fetcher_manager.add_partition(partition, *endpoint)

    def on_follower_append(self, partition: Partition) -> None:
        """A follower appended fetched data (hook for components that follow the log)."""

    def _checkpointed_high_watermark(self, tp: TopicPartition) -> int | None:
        """The high watermark checkpointed by our previous run (read once, at the first use)."""
        if self._high_watermark_checkpoint is None:
            self._high_watermark_checkpoint = self.log_manager.read_high_watermarks()
        return self._high_watermark_checkpoint.pop(tp, None)

    def stop_replicas(self, request: StopReplicaRequest, version: int) -> StopReplicaResponse:
        try:
            self._check_controller(request.controller_epoch, request.broker_epoch)
        except KafkaError as exc:
            return StopReplicaResponse(error_code=exc.code)
        results = []
        for topic, partition, delete in _stop_replica_partitions(request):
            self.stop_replica((topic, partition), delete=delete)
            results.append(StopReplicaPartitionError(topic_name=topic, partition_index=partition, error_code=0))
        return StopReplicaResponse(error_code=0, partition_errors=tuple(results))

    def stop_replica(self, tp: TopicPartition, *, delete: bool) -> None:
        if self.fetcher_manager is not None:
            self.fetcher_manager.remove_partition(tp)
        partition = self.partitions.pop(tp, None) if delete else self.partitions.get(tp)
        if partition is not None:
            # Not the leader any more: acks=all produces waiting on it answer NOT_LEADER now
            # (woken below) instead of timing out, and the client moves to the new leader.
            partition.leader_id = -1
            if delete:
                partition.log = None
        if delete and self.log_manager.get_log(*tp) is not None:
            self.log_manager.delete_log(*tp)
            log.info("[ReplicaManager broker=%d] deleted log of %s-%d", self.broker_id, *tp)
        self.fetch_purgatory.check_and_complete(("fetch", *tp))
        self.produce_purgatory.check_and_complete(("produce", *tp))

    # ---- data plane ----

    def get_partition(self, topic: str, partition: int) -> Partition:
        """The local replica, or the error a client should see for it."""
        p = self.partitions.get((topic, partition))
        if p is None or p.log is None:
            if self.metadata_cache.get_partition_info(topic, partition) is not None:
                raise NotLeaderOrFollower(f"broker {self.broker_id} does not host {topic}-{partition}")
            raise UnknownTopicOrPartition(f"this server does not host {topic}-{partition}")
        return p

    def append_to_leader(self, topic: str, partition: int, records: memoryview, required_acks: int):
        p = self.get_partition(topic, partition)
        config = self.log_manager.config_for(topic)
        info = p.append_records_to_leader(records, required_acks, config.min_insync_replicas, self.clock_ms())
        self._after_append(p)
        return p, info

    async def wait_for_replication(self, required: dict[TopicPartition, tuple[Partition, int]],
                                   timeout_ms: int) -> dict[TopicPartition, int]:
        """DelayedProduce (acks=all): wait until each partition's high watermark reaches its
        required offset; the error code per partition (0 when replicated in time).

        NOT_LEADER_OR_FOLLOWER if leadership moved meanwhile, NOT_ENOUGH_REPLICAS_AFTER_APPEND if
        the ISR is below `min.insync.replicas` when it completes, REQUEST_TIMED_OUT otherwise.
        """
        deadline = trio.current_time() + max(timeout_ms, 0) / 1000
        outcome: dict[TopicPartition, int] = {}
        pending = dict(required)
        while True:
            for tp, (partition, offset) in list(pending.items()):
                if partition.leader_id != self.broker_id or partition.log is None:
                    outcome[tp] = NotLeaderOrFollower.code
                elif partition.high_watermark >= offset:
                    min_isr = self.log_manager.config_for(tp[0]).min_insync_replicas
                    outcome[tp] = NotEnoughReplicasAfterAppend.code if len(partition.isr) < min_isr else 0
                else:
                    continue
                del pending[tp]
            if not pending or not await self.produce_purgatory.wait_any(
                    [("produce", *tp) for tp in pending], deadline):
                break
        for tp in pending:
            outcome[tp] = RequestTimedOut.code
        return outcome

    def _after_append(self, p: Partition) -> None:
        self.fetch_purgatory.check_and_complete(("fetch", p.topic, p.partition))
        self.produce_purgatory.check_and_complete(("produce", p.topic, p.partition))

    async def record_follower_fetch(self, p: Partition, replica_id: int, fetch_offset: int) -> None:
        """A follower fetched from `fetch_offset`: its log end.  May move the high watermark and,
        once it has caught up, bring it back into the ISR (Kafka's maybeExpandIsr)."""
        if p.update_follower_fetch_state(replica_id, fetch_offset, self.clock_ms()):
            self._after_append(p)
        if p.isr_candidate(replica_id):
            try:
                await self._update_isr(p, tuple(p.isr) + (replica_id,), f"follower {replica_id} caught up")
            except ZkError as exc:
                # The follower keeps fetching; the next fetch tries again.
                log.warning("[Partition %s-%d] could not expand the ISR: %r", p.topic, p.partition, exc)

    async def _maybe_shrink_isr(self) -> None:
        now = self.clock_ms()
        for p in list(self.partitions.values()):
            lagging = p.out_of_sync_replicas(now)
            if lagging:
                await self._update_isr(p, tuple(r for r in p.isr if r not in lagging),
                                       f"followers {list(lagging)} out of sync for {self.replica_lag_time_max_ms} ms")

    async def _update_isr(self, p: Partition, new_isr: tuple[int, ...], why: str) -> None:
        """The leader writes the partition state znode itself, conditionally on its zkVersion
        (the IBP < 2.7-IV2 path: students see ZooKeeper do it), then records the change for
        `/isr_change_notification` so the controller tells every broker."""
        tp = (p.topic, p.partition)
        if tp in self._isr_updates_in_flight or not p.is_leader:
            return
        self._isr_updates_in_flight.add(tp)
        try:
            new = LeaderAndIsr(self.broker_id, p.leader_epoch, new_isr, p.controller_epoch, p.zk_version)
            path = TopicPartitionStateZNode.path(*tp)
            epoch = p.leader_epoch
            try:
                stat = await self.zk_client.zk.set(path, TopicPartitionStateZNode.encode(new), version=p.zk_version)
                version = stat.version
            except BadVersionError:
                # Kafka's checkLeaderAndIsrZkData: our own earlier write whose answer we missed
                # counts as success; anything else means the controller changed it: wait for it.
                data, stat = await self.zk_client.zk.get(path)
                current = TopicPartitionStateZNode.decode(data, zk_version=stat.version)
                if (current.leader, current.leader_epoch, tuple(current.isr)) != (new.leader, new.leader_epoch, new_isr):
                    log.info("[Partition %s-%d broker=%d] Cached zkVersion %d not equal to that in ZooKeeper, "
                             "skip updating ISR", *tp, self.broker_id, p.zk_version)
                    return
                version = stat.version
            if p.leader_epoch != epoch or not p.is_leader:
                return  # a LeaderAndIsr arrived while we wrote; its state wins
            log.info("[Partition %s-%d broker=%d] ISR updated from %s to %s (%s)", *tp, self.broker_id,
                     list(p.isr), list(new_isr), why)
            p.isr, p.zk_version = new_isr, version
            self.isr_change_set.add(tp)
            self._last_isr_change_s = trio.current_time()
            if p.maybe_increment_high_watermark(self.clock_ms(), self.replica_lag_time_max_ms):
                self._after_append(p)
            else:
                self.produce_purgatory.check_and_complete(("produce", *tp))
        finally:
            self._isr_updates_in_flight.discard(tp)

    async def _maybe_propagate_isr_changes(self) -> None:
        now = trio.current_time()
        if self.isr_change_set and (now - self._last_isr_change_s > ISR_CHANGE_LINGER_S
                                    or now - self._last_isr_propagation_s > ISR_CHANGE_MAX_DELAY_S):
            changed, self.isr_change_set = self.isr_change_set, set()
            await self.zk_client.zk.create(IsrChangeNotificationSequenceZNode.path(),
                                           IsrChangeNotificationSequenceZNode.encode(changed), sequence=True)
            self._last_isr_propagation_s = now

    # ---- high-watermark checkpoints ----

    def checkpoint_high_watermarks(self) -> None:
        hws = {tp: p.high_watermark for tp, p in self.partitions.items() if p.log is not None}
        self.log_manager.write_high_watermarks(hws)

    async def run_checkpointer(self, interval_ms: int, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                await trio.sleep(interval_ms / 1000)
                self.checkpoint_high_watermarks()
        finally:
            with trio.CancelScope(shield=True):
                self.checkpoint_high_watermarks()


def _leader_and_isr_states(request: LeaderAndIsrRequest):
    for state in request.ungrouped_partition_states:
        yield state.topic_name, None, state
    for topic_state in request.topic_states:
        for state in topic_state.partition_states:
            yield topic_state.topic_name, topic_state.topic_id, state


def _stop_replica_partitions(request: StopReplicaRequest):
    for p in request.ungrouped_partitions:
        yield p.topic_name, p.partition_index, request.delete_partitions
    for t in request.topics:
        for index in t.partition_indexes:
            yield t.name, index, request.delete_partitions
    for t in request.topic_states:
        for ps in t.partition_states:
            yield t.topic_name, ps.partition_index, ps.delete_partition
