"""PartitionStateMachine: every partition's lifecycle, as the controller drives it.

Mirrors Kafka 2.8's `controller/PartitionStateMachine.scala`.  States and their valid previous
states (a transition from anywhere else is refused and logged, leaving the state unchanged):

    NewPartition          <- NonExistentPartition
    OnlinePartition       <- NewPartition, OnlinePartition, OfflinePartition
    OfflinePartition      <- NewPartition, OnlinePartition, OfflinePartition
    NonExistentPartition  <- OfflinePartition

Actions:
- New → Online: leader = first live replica, ISR = live replicas (assignment order), leader epoch
  0; the state znode is created; LeaderAndIsr (is_new) to the replicas, UpdateMetadata to all.
- Offline/Online → Online: elect with a strategy (controller/election.py), leader epoch + 1,
  write the state znode conditionally on its zkVersion (and, like every controller write, on
  `/controller_epoch`'s zkVersion); LeaderAndIsr + UpdateMetadata.  A failed election leaves
  the partition Offline and its znode untouched.

Elections are decided for all the partitions of a transition first, from the context, and then
written together, pipelined (`KafkaZkClient.update_leader_and_isr`), as Kafka 2.8's
`ZkPartitionStateMachine.doElectLeaderForPartitions` does: one round trip's latency for a broker
failure of thousands of partitions, instead of one per partition.  The partitions whose zkVersion
was stale are re-read and elected again (Kafka's `updatesToRetry` loop).
"""

from __future__ import annotations

import enum
import logging
from typing import Awaitable, Callable, Iterable

import attrs

from kafka_clone.controller.channel_manager import ControllerBrokerRequestBatch, PartitionLeadership
from kafka_clone.controller.context import ControllerContext, TopicPartition
from kafka_clone.controller import election
from zk.client import CreateOp, NodeExistsError, ZkError
from zk.kafka_zk_client import MULTI_CHUNK, KafkaZkClient, UpdateLeaderAndIsrResult
from zk.znodes import LeaderAndIsr, TopicPartitionStateZNode, TopicPartitionsZNode, TopicPartitionZNode

log = logging.getLogger(__name__)


#: Rounds of writes for partitions whose state znode keeps changing under us (leaders changing
#: their ISRs).  Kafka loops until none is left; we stop after this many, and the next event that
#: concerns the partition tries again.
MAX_UPDATE_ATTEMPTS = 5


class PartitionState(enum.Enum):
    NON_EXISTENT = "NonExistentPartition"
    NEW = "NewPartition"
    ONLINE = "OnlinePartition"
    OFFLINE = "OfflinePartition"


VALID_PREVIOUS_STATES: dict[PartitionState, frozenset[PartitionState]] = {
    PartitionState.NEW: frozenset({PartitionState.NON_EXISTENT}),
    PartitionState.ONLINE: frozenset({PartitionState.NEW, PartitionState.ONLINE, PartitionState.OFFLINE}),
    PartitionState.OFFLINE: frozenset({PartitionState.NEW, PartitionState.ONLINE, PartitionState.OFFLINE}),
    PartitionState.NON_EXISTENT: frozenset({PartitionState.OFFLINE}),
}


class ElectionStrategy(enum.Enum):
    OFFLINE = "OfflinePartitionLeaderElectionStrategy"
    PREFERRED = "PreferredReplicaPartitionLeaderElectionStrategy"
    CONTROLLED_SHUTDOWN = "ControlledShutdownPartitionLeaderElectionStrategy"
    REASSIGN = "ReassignPartitionLeaderElectionStrategy"


@attrs.define(eq=False)
class PartitionStateMachine:
    controller_id: int
    context: ControllerContext
    zk_client: KafkaZkClient
    batch: ControllerBrokerRequestBatch
    #: topic → is unclean leader election enabled for it (topic config, else broker default);
    #: asked only when a clean election fails, since it reads ZooKeeper
    unclean_election_enabled: Callable[[str], Awaitable[bool]] | None = None
    states: dict[TopicPartition, PartitionState] = attrs.Factory(dict)

    def state(self, tp: TopicPartition) -> PartitionState:
        return self.states.get(tp, PartitionState.NON_EXISTENT)

    def startup_states(self) -> None:
        """On failover: Online if the leader is live, Offline if not, New without a znode."""
        live = self.context.live_or_shutting_down_broker_ids()
        for tp in self.context.all_partitions():
            li = self.context.partition_leadership.get(tp)
            if li is None:
                self.states[tp] = PartitionState.NEW
            elif li.leader in live:
                self.states[tp] = PartitionState.ONLINE
            else:
                self.states[tp] = PartitionState.OFFLINE

    def partitions_in(self, *states: PartitionState) -> list[TopicPartition]:
        return [tp for tp, s in self.states.items() if s in states]

    async def handle_state_changes(self, partitions: Iterable[TopicPartition], target: PartitionState,
                                   strategy: ElectionStrategy = ElectionStrategy.OFFLINE) -> dict[TopicPartition, str]:
        """Move `partitions` to `target`; return the partitions that could not get there, with why."""
        failed: dict[TopicPartition, str] = {}
        valid = []
        for tp in partitions:
            current = self.state(tp)
            if current not in VALID_PREVIOUS_STATES[target]:
                log.error("[Controller id=%d] Invalid state transition of partition %s-%d from %s to %s",
                          self.controller_id, *tp, current.value, target.value)
                failed[tp] = f"invalid transition from {current.value}"
            else:
                valid.append(tp)
        if target is PartitionState.NEW:
            for tp in valid:
                self.states[tp] = PartitionState.NEW
        elif target is PartitionState.ONLINE:
            new = [tp for tp in valid if self.state(tp) is PartitionState.NEW]
            others = [tp for tp in valid if tp not in new]
            failed.update(await self._initialize_leader_and_isr(new))
            failed.update(await self._elect_leaders(others, strategy))
            for tp in valid:
                if tp not in failed:
                    self.states[tp] = PartitionState.ONLINE
        elif target is PartitionState.OFFLINE:
            for tp in valid:
                self.states[tp] = PartitionState.OFFLINE
        else:
            for tp in valid:
                self.states.pop(tp, None)
        return failed

    # ---- New → Online ----

    async def _initialize_leader_and_isr(self, partitions: list[TopicPartition]) -> dict[TopicPartition, str]:
        failed: dict[TopicPartition, str] = {}
        live = self.context.live_broker_ids
        by_topic: dict[str, list[TopicPartition]] = {}
        for tp in partitions:
            by_topic.setdefault(tp[0], []).append(tp)
        for topic, tps in by_topic.items():
            planned: dict[TopicPartition, LeaderAndIsr] = {}
            for tp in tps:
                replicas = self.context.replicas(tp)
                live_replicas = tuple(r for r in replicas if r in live)
                if not live_replicas:
                    log.error("[Controller id=%d] Controller failed to initialize partition %s-%d: no assigned "
                              "replica (%s) is alive", self.controller_id, *tp, list(replicas))
                    failed[tp] = "no live replica"
                    continue
                planned[tp] = LeaderAndIsr(live_replicas[0], 0, live_replicas, self.context.epoch, 1)
            if not planned:
                continue
            written = await self._create_partition_states(topic, planned, failed)
            for tp, li in written.items():
                # A fresh znode: created with data, so dataVersion 0.
                li = attrs.evolve(li, zk_version=0)
                self.context.partition_leadership[tp] = li
                self.batch.add_leader_and_isr(li.isr, tp, PartitionLeadership(li, self.context.replicas(tp)), True)
        return failed

    async def _create_partition_states(self, topic: str, planned: dict[TopicPartition, LeaderAndIsr],
                                       failed: dict[TopicPartition, str]) -> dict[TopicPartition, LeaderAndIsr]:
        """Create `partitions/<p>` and `partitions/<p>/state` for each, fenced by the controller
        epoch, in multis of MULTI_CHUNK partitions: one multi for a big topic would exceed
        ZooKeeper's request limit (`jute.maxbuffer`, 1 MiB), and one request per znode would cost
        a round trip each."""
        try:
            await self.zk_client.controller_multi(self.context.epoch_zk_version,
                                                  [CreateOp(TopicPartitionsZNode.path(topic), None)])
        except NodeExistsError:
            pass
        written: dict[TopicPartition, LeaderAndIsr] = {}
        items = list(planned.items())
        for i in range(0, len(items), MULTI_CHUNK):
            chunk = dict(items[i:i + MULTI_CHUNK])
            ops = [op for tp, li in chunk.items() for op in (
                CreateOp(TopicPartitionZNode.path(*tp), None),
                CreateOp(TopicPartitionStateZNode.path(*tp), TopicPartitionStateZNode.encode(li)))]
            try:
                await self.zk_client.controller_multi(self.context.epoch_zk_version, ops)
                written.update(chunk)
                continue
            except NodeExistsError:
                pass
            # Some exist already (a failover in the middle of a creation): one by one.
            for tp, li in chunk.items():
                try:
                    await self.zk_client.controller_multi(self.context.epoch_zk_version,
                                                          [CreateOp(TopicPartitionZNode.path(*tp), None)])
                except NodeExistsError:
                    pass
                try:
                    await self.zk_client.controller_multi(self.context.epoch_zk_version, [
                        CreateOp(TopicPartitionStateZNode.path(*tp), TopicPartitionStateZNode.encode(li))])
                    written[tp] = li
                except NodeExistsError:
                    failed[tp] = "state znode already exists"
        return written

    # ---- elections ----

    async def _elect_leaders(self, partitions: list[TopicPartition], strategy: ElectionStrategy) -> dict[TopicPartition, str]:
        """Elect for every partition, write all the results at once, and elect again (from the
        re-read state) for those whose znode a leader changed since we read it: its ISR change
        notification lags by seconds, so the conditional write fails (Kafka's retry loop)."""
        failed: dict[TopicPartition, str] = {}
        remaining = list(partitions)
        for _ in range(MAX_UPDATE_ATTEMPTS):
            if not remaining:
                break
            planned = await self._plan_elections(remaining, strategy, failed)
            result = await self.update_leader_and_isr(planned)
            live = self.context.live_broker_ids
            for tp, outcome in result.finished.items():
                if isinstance(outcome, ZkError):
                    log.error("[Controller id=%d] Failed to write the elected leader of partition %s-%d: %s",
                              self.controller_id, *tp, outcome)
                    failed[tp] = f"state znode write failed: {outcome}"
                    continue
                replicas = self.context.replicas(tp)
                self.batch.add_leader_and_isr([r for r in replicas if r in live], tp,
                                              PartitionLeadership(outcome, replicas), False)
            remaining = list(result.updates_to_retry)
        for tp in remaining:
            failed[tp] = "state znode changed under us"
        return failed

    async def _plan_elections(self, partitions: list[TopicPartition], strategy: ElectionStrategy,
                              failed: dict[TopicPartition, str]) -> dict[TopicPartition, LeaderAndIsr]:
        """The new LeaderAndIsr of each partition that can elect, from the context alone; the
        others go to `failed` with why.  The only read is the unclean-election config, once per
        topic and only for topics where a clean election found no leader."""
        live = self.context.live_broker_ids
        results: dict[TopicPartition, election.ElectionResult] = {}
        for tp in partitions:
            current = self.context.partition_leadership.get(tp)
            if current is None:
                failed[tp] = "no leader and ISR in ZooKeeper"
            elif current.controller_epoch > self.context.epoch:
                failed[tp] = "a newer controller wrote its state"
            else:
                results[tp] = self._elect(tp, current, strategy, live)
        if strategy is ElectionStrategy.OFFLINE and self.unclean_election_enabled is not None:
            leaderless = sorted({tp[0] for tp, result in results.items() if result.leader is None})
            unclean = {topic for topic in leaderless if await self.unclean_election_enabled(topic)}
            for tp, result in results.items():
                if result.leader is None and tp[0] in unclean:
                    results[tp] = election.offline_partition_leader_election(
                        self.context.replicas(tp), self.context.partition_leadership[tp].isr, live, True)
        planned: dict[TopicPartition, LeaderAndIsr] = {}
        for tp, result in results.items():
            current = self.context.partition_leadership[tp]
            if result.leader is None:
                log.error("[Controller id=%d] Failed to elect leader for partition %s-%d under strategy %s: "
                          "no live replica in the ISR %s", self.controller_id, *tp, strategy.value, list(current.isr))
                failed[tp] = "no eligible leader"
                continue
            if result.unclean:
                log.warning("[Controller id=%d] Unclean leader election: broker %d leads %s-%d from outside the "
                            "ISR; data may be lost", self.controller_id, result.leader, *tp)
            planned[tp] = LeaderAndIsr(result.leader, current.leader_epoch + 1, result.isr, self.context.epoch,
                                       current.zk_version)
        return planned

    def _elect(self, tp: TopicPartition, current: LeaderAndIsr, strategy: ElectionStrategy,
               live: frozenset[int]) -> election.ElectionResult:
        """The clean election under `strategy` (pure)."""
        replicas = self.context.replicas(tp)
        if strategy is ElectionStrategy.OFFLINE:
            return election.offline_partition_leader_election(replicas, current.isr, live, False)
        if strategy is ElectionStrategy.PREFERRED:
            return election.preferred_replica_partition_leader_election(replicas, current.isr, live)
        if strategy is ElectionStrategy.CONTROLLED_SHUTDOWN:
            return election.controlled_shutdown_partition_leader_election(
                replicas, current.isr, live, self.context.shutting_down_broker_ids)
        return election.reassign_partition_leader_election(replicas, current.isr, live)

    # ---- state znode writes ----

    async def update_leader_and_isr(self, planned: dict[TopicPartition, LeaderAndIsr]) -> UpdateLeaderAndIsrResult:
        """Write the state znodes of `planned`, all in flight at once, each conditional on its
        zkVersion and fenced by the controller epoch (a deposed controller gets
        ControllerMovedError).  The written ones go into the context with their new zkVersion;
        the stale ones are re-read into it (pipelined too), so that the caller's next round
        decides from what is in ZooKeeper now."""
        if not planned:
            return UpdateLeaderAndIsrResult({}, ())
        result = await self.zk_client.update_leader_and_isr(planned, self.context.epoch_zk_version)
        for tp, outcome in result.finished.items():
            if isinstance(outcome, LeaderAndIsr):
                self.context.partition_leadership[tp] = outcome
        await self.refresh_leadership(list(result.updates_to_retry))
        return result

    async def refresh_leadership(self, partitions: list[TopicPartition]) -> None:
        """Re-read partitions' state znodes into the context (pipelined): leaders change their
        ISRs in ZooKeeper themselves, and the controller only hears of it later."""
        fresh = await self.zk_client.zk.get_many([TopicPartitionStateZNode.path(*tp) for tp in partitions])
        for tp, got in zip(partitions, fresh):
            if got is not None:
                data, stat = got
                self.context.partition_leadership[tp] = TopicPartitionStateZNode.decode(data, zk_version=stat.version)

    async def write_leader_and_isr(self, tp: TopicPartition, li: LeaderAndIsr) -> bool:
        """`update_leader_and_isr` for one partition: True once written, False after a
        BADVERSION (the znode is re-read into the context); any other failure is raised."""
        outcome = (await self.update_leader_and_isr({tp: li})).finished.get(tp)
        if isinstance(outcome, ZkError):
            raise outcome
        return outcome is not None
