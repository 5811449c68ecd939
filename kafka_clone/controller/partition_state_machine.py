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
"""

from __future__ import annotations

import enum
import logging
from typing import Awaitable, Callable, Iterable

import attrs

from kafka_clone.controller.channel_manager import ControllerBrokerRequestBatch, PartitionLeadership
from kafka_clone.controller.context import ControllerContext, TopicPartition
from kafka_clone.controller import election
from zk.client import BadVersionError, CreateOp, NodeExistsError, SetDataOp
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import LeaderAndIsr, TopicPartitionStateZNode, TopicPartitionsZNode, TopicPartitionZNode

log = logging.getLogger(__name__)


#: Partitions per ZooKeeper multi when creating state znodes (about 250 bytes each, far below
#: ZooKeeper's 1 MiB request limit).
MULTI_CHUNK = 500


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
        failed: dict[TopicPartition, str] = {}
        for tp in partitions:
            # A leader may have changed the ISR since we read it (its notification lags by
            # seconds): the conditional write fails, we re-read and elect again (Kafka retries).
            for _ in range(5):
                why = await self._elect_leader(tp, strategy)
                if why != "state znode changed under us":
                    break
            if why:
                failed[tp] = why
        return failed

    async def _elect_leader(self, tp: TopicPartition, strategy: ElectionStrategy) -> str | None:
        """One election attempt; None on success, else why it failed."""
        live = self.context.live_broker_ids
        current = self.context.partition_leadership.get(tp)
        if current is None:
            return "no leader and ISR in ZooKeeper"
        if current.controller_epoch > self.context.epoch:
            return "a newer controller wrote its state"
        replicas = self.context.replicas(tp)
        if strategy is ElectionStrategy.OFFLINE:
            result = election.offline_partition_leader_election(replicas, current.isr, live, False)
            if result.leader is None and self.unclean_election_enabled is not None \
                    and await self.unclean_election_enabled(tp[0]):
                result = election.offline_partition_leader_election(replicas, current.isr, live, True)
        elif strategy is ElectionStrategy.PREFERRED:
            result = election.preferred_replica_partition_leader_election(replicas, current.isr, live)
        elif strategy is ElectionStrategy.CONTROLLED_SHUTDOWN:
            result = election.controlled_shutdown_partition_leader_election(
                replicas, current.isr, live, self.context.shutting_down_broker_ids)
        else:
            result = election.reassign_partition_leader_election(replicas, current.isr, live)
        if result.leader is None:
            log.error("[Controller id=%d] Failed to elect leader for partition %s-%d under strategy %s: "
                      "no live replica in the ISR %s", self.controller_id, *tp, strategy.value, list(current.isr))
            return "no eligible leader"
        if result.unclean:
            log.warning("[Controller id=%d] Unclean leader election: broker %d leads %s-%d from outside the "
                        "ISR; data may be lost", self.controller_id, result.leader, *tp)
        new = LeaderAndIsr(result.leader, current.leader_epoch + 1, result.isr, self.context.epoch,
                           current.zk_version)
        if not await self.write_leader_and_isr(tp, new):
            return "state znode changed under us"
        live_replicas = [r for r in replicas if r in live]
        self.batch.add_leader_and_isr(live_replicas, tp,
                                      PartitionLeadership(self.context.partition_leadership[tp], replicas), False)
        return None

    async def write_leader_and_isr(self, tp: TopicPartition, li: LeaderAndIsr) -> bool:
        """Conditional setData of the state znode (zkVersion), fenced by the controller epoch.

        On BADVERSION re-read the znode into the context and report failure (Kafka retries the
        election with the fresh state on the next event).
        """
        try:
            results = await self.zk_client.controller_multi(self.context.epoch_zk_version, [
                SetDataOp(TopicPartitionStateZNode.path(*tp), TopicPartitionStateZNode.encode(li), li.zk_version)])
        except BadVersionError:
            data, stat = await self.zk_client.zk.get(TopicPartitionStateZNode.path(*tp))
            self.context.partition_leadership[tp] = TopicPartitionStateZNode.decode(data, zk_version=stat.version)
            return False
        self.context.partition_leadership[tp] = attrs.evolve(li, zk_version=results[0].version)
        return True
