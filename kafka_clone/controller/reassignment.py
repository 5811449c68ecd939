"""Partition reassignment, as Kafka 2.4+ does it (KIP-455), step by step in ZooKeeper.

Mirrors `KafkaController.onPartitionReassignment` (2.8).  Notation: ORS the original replicas,
TRS the target, AR = TRS − ORS (adding), RR = ORS − TRS (removing), RS the replica set.

- **U1/U2**: write `/brokers/topics/<t>` with RS = TRS + (ORS − TRS) (target first) and the
  partition's `adding_replicas`/`removing_replicas`; the same in the controller's context.
- **Phase A** (TRS ⊄ ISR): bump the leader epoch (same leader and ISR) and send LeaderAndIsr to
  every replica in RS, so the adding replicas start fetching.  Then wait: each ISR change of a
  reassigning partition (its state znode is watched, the IBP < 2.7-IV2 path) re-checks.
- **Phase B** (TRS ⊆ ISR): RS = TRS; elect a leader from TRS if the current one is leaving (or
  bump the epoch); take RR out of the ISR and StopReplica(delete) them; write the topic znode with
  RS = TRS and no adding/removing; drop the partition from `/admin/reassign_partitions`
  (deleting it when empty); UpdateMetadata to everyone.

Reassignments arrive through the `/admin/reassign_partitions` znode (the old tool's path) or the
AlterPartitionReassignments API; a cancellation (null target) reassigns back to ORS.  After a
controller failover they resume from the topic znodes' `adding`/`removing` sets and the znode.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import attrs

from kafka_clone.controller.context import TopicPartition, topic_id_string
from kafka_clone.controller.events import PartitionReassignmentIsrChange
from kafka_clone.controller.partition_state_machine import ElectionStrategy, PartitionState
from kafka_clone.protocol.errors import (
    InvalidReplicaAssignment, KafkaError, NoReassignmentInProgress, UnknownTopicOrPartition,
)
from zk.client import DeleteOp, NoNodeError, SetDataOp, ZNodeChangeHandler
from zk.znodes import (
    LeaderAndIsr, ReassignPartitionsZNode, TopicAssignment, TopicPartitionStateZNode, TopicZNode,
)

if TYPE_CHECKING:
    from kafka_clone.controller.active_controller import ActiveController

log = logging.getLogger(__name__)


@attrs.frozen
class Reassignment:
    original: tuple[int, ...]
    target: tuple[int, ...]

    @property
    def replicas(self) -> tuple[int, ...]:
        return self.target + tuple(r for r in self.original if r not in self.target)

    @property
    def adding(self) -> tuple[int, ...]:
        return tuple(r for r in self.target if r not in self.original)

    @property
    def removing(self) -> tuple[int, ...]:
        return tuple(r for r in self.original if r not in self.target)


@attrs.define(eq=False)
class ReassignmentManager:
    controller: "ActiveController"
    ongoing: dict[TopicPartition, Reassignment] = attrs.Factory(dict)
    #: partitions that came from the `/admin/reassign_partitions` znode
    from_znode: set[TopicPartition] = attrs.Factory(set)

    @property
    def _ctx(self):
        return self.controller.context

    # ---- triggers ----

    async def on_znode(self) -> None:
        """`/admin/reassign_partitions` created or changed (an exists watch)."""
        zk = self.controller.zk_client.zk
        # An exists watch, so that the znode's creation is noticed too (a data watch needs a node).
        if await zk.exists(ReassignPartitionsZNode.path(), watch=True) is None:
            return
        got = await zk.get_or_none(ReassignPartitionsZNode.path(), watch=True)
        if got is None:
            return
        try:
            wanted = ReassignPartitionsZNode.decode(got[0])
        except ValueError as exc:
            log.error("[Controller id=%d] Ignoring unreadable /admin/reassign_partitions: %s", self.controller.broker_id, exc)
            return
        for tp, target in wanted.items():
            if tp in self.from_znode and self.ongoing.get(tp, Reassignment((), ())).target == tuple(target):
                continue
            self.from_znode.add(tp)
            try:
                await self.start(tp, tuple(target))
            except KafkaError as exc:
                self.from_znode.discard(tp)
                log.error("[Controller id=%d] Reassignment of %s-%d from the znode failed: %s",
                          self.controller.broker_id, *tp, exc)
                await self._remove_from_znode([tp])

    async def alter(self, requests: dict[TopicPartition, tuple[int, ...] | None]) -> dict[TopicPartition, KafkaError | None]:
        """AlterPartitionReassignments: start (or cancel, with None) each; the error per partition."""
        results: dict[TopicPartition, KafkaError | None] = {}
        for tp, target in requests.items():
            try:
                if target is None:
                    current = self.ongoing.get(tp)
                    if current is None:
                        raise NoReassignmentInProgress(f"No ongoing reassignment for partition {tp[0]}-{tp[1]}.")
                    await self.start(tp, current.original)
                else:
                    await self.start(tp, tuple(target))
                results[tp] = None
            except KafkaError as exc:
                results[tp] = exc
        return results

    def list(self, partitions: list[TopicPartition] | None) -> dict[TopicPartition, Reassignment]:
        if partitions is None:
            return dict(self.ongoing)
        return {tp: self.ongoing[tp] for tp in partitions if tp in self.ongoing}

    # ---- the algorithm ----

    async def start(self, tp: TopicPartition, target: tuple[int, ...]) -> None:
        ctx = self._ctx
        if tp[0] not in ctx.all_topics or tp[1] not in ctx.partition_assignments.get(tp[0], {}) \
                or tp[0] in ctx.topics_to_be_deleted:
            raise UnknownTopicOrPartition(f"Topic partition {tp[0]}-{tp[1]} does not exist or is being deleted.")
        if not target or len(set(target)) != len(target):
            raise InvalidReplicaAssignment(f"The proposed assignment {list(target)} for {tp[0]}-{tp[1]} is invalid.")
        unknown = [r for r in target if r not in ctx.live_brokers]
        if unknown:
            raise InvalidReplicaAssignment(f"The proposed assignment contains non-live brokers: {unknown}")
        current = self.ongoing.get(tp)
        original = current.original if current is not None else ctx.replicas(tp)
        reassignment = Reassignment(original, target)
        if current is not None and current.target == target:
            return
        log.info("[Controller id=%d] Starting reassignment of %s-%d: %s -> %s (adding %s, removing %s)",
                 self.controller.broker_id, *tp, list(original), list(target), list(reassignment.adding),
                 list(reassignment.removing))
        self.ongoing[tp] = reassignment
        # U1, U2
        await self._write_topic(tp[0])
        ctx.partition_assignments[tp[0]][tp[1]] = reassignment.replicas
        self._watch_isr(tp)
        await self.maybe_complete(tp, phase_a_if_pending=True)

    async def maybe_complete(self, tp: TopicPartition, *, phase_a_if_pending: bool = False) -> None:
        reassignment = self.ongoing.get(tp)
        li = self._ctx.partition_leadership.get(tp)
        if reassignment is None or li is None:
            return
        if not set(reassignment.target) <= set(li.isr):
            if phase_a_if_pending:
                await self._bump_leader_epoch(tp, reassignment.replicas)
            return
        await self._phase_b(tp, reassignment)

    async def on_isr_change(self, partitions) -> None:
        for tp in partitions:
            if tp in self.ongoing:
                await self._reread_state(tp)
                await self.maybe_complete(tp)

    async def _phase_b(self, tp: TopicPartition, r: Reassignment) -> None:
        c = self.controller
        ctx = self._ctx
        ctx.partition_assignments[tp[0]][tp[1]] = r.target  # B2
        li = ctx.partition_leadership[tp]
        if li.leader not in r.target or li.leader not in ctx.live_broker_ids:  # B3
            await c.psm.handle_state_changes([tp], PartitionState.ONLINE, ElectionStrategy.REASSIGN)
        else:
            await self._bump_leader_epoch(tp, r.target)
        for replica in r.removing:  # B4, B5
            await c.remove_replica_from_isr(tp, replica)
            c.batch.add_stop_replica([replica], tp, delete=True)
        del self.ongoing[tp]
        await self._write_topic(tp[0])  # B6
        c.zk_client.zk.unregister_znode_change_handler(TopicPartitionStateZNode.path(*tp))
        if tp in self.from_znode:  # B7
            self.from_znode.discard(tp)
            await self._remove_from_znode([tp])
        c.batch.add_update_metadata(ctx.live_broker_ids, c.leaderships([tp]))  # B8
        log.info("[Controller id=%d] Reassignment of %s-%d to %s completed", c.broker_id, *tp, list(r.target))

    async def _bump_leader_epoch(self, tp: TopicPartition, send_to: tuple[int, ...]) -> None:
        c = self.controller
        for _ in range(5):
            li = self._ctx.partition_leadership[tp]
            new = LeaderAndIsr(li.leader, li.leader_epoch + 1, li.isr, self._ctx.epoch, li.zk_version)
            if await c.psm.write_leader_and_isr(tp, new):
                live = [r for r in send_to if r in self._ctx.live_broker_ids]
                c.batch.add_leader_and_isr(live, tp, c.leadership(tp), False)
                return

    async def _reread_state(self, tp: TopicPartition) -> None:
        got = await self.controller.zk_client.zk.get_or_none(TopicPartitionStateZNode.path(*tp), watch=True)
        if got is not None:
            self._ctx.partition_leadership[tp] = TopicPartitionStateZNode.decode(got[0], zk_version=got[1].version)

    def _watch_isr(self, tp: TopicPartition) -> None:
        """IBP < 2.7-IV2: the controller watches a reassigning partition's state znode, so the
        moment the leader adds the new replicas to the ISR the reassignment can complete."""
        self.controller.zk_client.zk.register_znode_change_handler(ZNodeChangeHandler(
            TopicPartitionStateZNode.path(*tp), on_data_change=lambda: self.controller.put(PartitionReassignmentIsrChange(tp))))

    async def arm_watches(self) -> None:
        for tp in self.ongoing:
            self._watch_isr(tp)
            await self._reread_state(tp)

    async def _write_topic(self, topic: str) -> None:
        ctx = self._ctx
        partitions = {p: (self.ongoing[(topic, p)].replicas if (topic, p) in self.ongoing else r)
                      for p, r in ctx.partition_assignments[topic].items()}
        assignment = TopicAssignment(
            partitions,
            adding_replicas={p: r.adding for (t, p), r in self.ongoing.items() if t == topic and r.adding},
            removing_replicas={p: r.removing for (t, p), r in self.ongoing.items() if t == topic and r.removing},
            topic_id=topic_id_string(ctx.topic_ids.get(topic)),
        )
        await self.controller.zk_client.controller_multi(ctx.epoch_zk_version, [
            SetDataOp(TopicZNode.path(topic), TopicZNode.encode(assignment), -1)])

    async def _remove_from_znode(self, done: list[TopicPartition]) -> None:
        zk = self.controller.zk_client.zk
        got = await zk.get_or_none(ReassignPartitionsZNode.path())
        if got is None:
            return
        remaining = {tp: r for tp, r in ReassignPartitionsZNode.decode(got[0]).items() if tp not in done}
        op = (SetDataOp(ReassignPartitionsZNode.path(), ReassignPartitionsZNode.encode(remaining), got[1].version)
              if remaining else DeleteOp(ReassignPartitionsZNode.path(), got[1].version))
        try:
            await self.controller.zk_client.controller_multi(self._ctx.epoch_zk_version, [op])
        except NoNodeError:
            pass

    def resume_from_context(self, assignments: dict[TopicPartition, TopicAssignment]) -> None:
        """Failover: partitions whose topic znode has adding/removing replicas are mid-reassignment."""
        for (topic, p), a in assignments.items():
            adding = dict(a.adding_replicas).get(p, ())
            removing = dict(a.removing_replicas).get(p, ())
            if adding or removing:
                replicas = a.replicas(p)
                target = tuple(r for r in replicas if r not in removing)
                original = tuple(r for r in replicas if r not in adding)
                self.ongoing[(topic, p)] = Reassignment(original, target)
