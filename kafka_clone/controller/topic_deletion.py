"""TopicDeletionManager: deleting a topic on every replica, then in ZooKeeper.

Mirrors Kafka 2.8's `controller/TopicDeletionManager.scala`:
1. An admin creates `/admin/delete_topics/<t>`.  Unknown topics (or `delete.topic.enable=false`)
   just lose the marker.
2. A topic whose replicas are all on live brokers starts deletion: every broker gets
   UpdateMetadata with leader -2 (LeaderDuringDelete), so clients stop seeing it; partitions go
   Offline → NonExistent; each replica gets StopReplica(delete=true).
3. Each successful StopReplica answer marks that replica deleted.  When all are, the controller
   deletes `/brokers/topics/<t>` (recursively), `/config/topics/<t>` and the marker, all fenced by
   its epoch.
4. A topic with a replica on a dead broker is *ineligible*: it waits, and is retried when the broker
   comes back or after a controller failover (the marker is still there).

Brokers delete their logs by renaming the partition directory to `*-delete` and removing it after
`file.delete.delay.ms` (the log layer does that).
"""

from __future__ import annotations

import logging

import attrs

from kafka_clone.controller.channel_manager import PartitionLeadership
from kafka_clone.controller.context import ControllerContext, TopicPartition
from kafka_clone.controller.partition_state_machine import PartitionState, PartitionStateMachine
from zk.client import DeleteOp, NoNodeError
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import (
    ConfigEntityZNode, DeleteTopicsTopicZNode, DeleteTopicsZNode, LeaderAndIsr, TopicPartitionStateZNode,
    TopicPartitionsZNode, TopicPartitionZNode, TopicZNode,
)

log = logging.getLogger(__name__)

LEADER_DURING_DELETE = -2


@attrs.define(eq=False)
class TopicDeletionManager:
    controller_id: int
    context: ControllerContext
    zk_client: KafkaZkClient
    partition_state_machine: PartitionStateMachine
    delete_topic_enable: bool = True

    async def enqueue_topics_for_deletion(self) -> None:
        """Re-read `/admin/delete_topics` and take every marked topic on."""
        zk = self.zk_client.zk
        for topic in await zk.get_children(DeleteTopicsZNode.path(), watch=True):
            if topic in self.context.topics_to_be_deleted:
                continue
            if topic not in self.context.all_topics or not self.delete_topic_enable:
                why = "unknown topic" if topic not in self.context.all_topics else "delete.topic.enable is false"
                log.info("[Controller id=%d] Removing deletion marker of %s (%s)", self.controller_id, topic, why)
                await self._delete_marker(topic)
                continue
            log.info("[Controller id=%d] New topics to be deleted: %s", self.controller_id, topic)
            self.context.topics_to_be_deleted.add(topic)
        await self.resume_deletions()

    def is_eligible(self, topic: str) -> bool:
        live = self.context.live_broker_ids
        return all(set(self.context.replicas(tp)) <= live for tp in self.context.partitions_for_topic(topic))

    async def resume_deletions(self) -> None:
        for topic in sorted(self.context.topics_to_be_deleted):
            if topic in self.context.deletion_pending:
                await self._complete_if_done(topic)
            elif self.is_eligible(topic):
                await self._start_deletion(topic)
            else:
                log.info("[Controller id=%d] Deletion of topic %s is waiting: a replica is on a dead broker",
                         self.controller_id, topic)

    async def _start_deletion(self, topic: str) -> None:
        psm = self.partition_state_machine
        batch = psm.batch
        partitions = self.context.partitions_for_topic(topic)
        # Tell every broker the topic is going: leader -2 removes it from their metadata caches.
        gone = {}
        for tp in partitions:
            current = self.context.partition_leadership.get(tp)
            epoch = current.leader_epoch if current else 0
            gone[tp] = PartitionLeadership(LeaderAndIsr(LEADER_DURING_DELETE, epoch, (), self.context.epoch, 0),
                                           self.context.replicas(tp))
        batch.add_update_metadata(self.context.live_broker_ids, gone)
        await psm.handle_state_changes([tp for tp in partitions if psm.state(tp) is not PartitionState.OFFLINE],
                                       PartitionState.OFFLINE)
        await psm.handle_state_changes(partitions, PartitionState.NON_EXISTENT)
        pending: set[tuple[TopicPartition, int]] = set()
        for tp in partitions:
            replicas = self.context.replicas(tp)
            batch.add_stop_replica(replicas, tp, delete=True)
            pending |= {(tp, r) for r in replicas}
        self.context.deletion_pending[topic] = pending
        log.info("[Controller id=%d] Deletion of topic %s started: StopReplica(delete) to %s",
                 self.controller_id, topic, sorted({r for _, r in pending}))
        await self._complete_if_done(topic)

    async def on_stop_replica_response(self, broker_id: int, error_code: int,
                                       partition_errors: tuple[tuple[str, int, int], ...]) -> None:
        for topic, partition, code in partition_errors:
            pending = self.context.deletion_pending.get(topic)
            if pending is None:
                continue
            if error_code == 0 and code == 0:
                pending.discard(((topic, partition), broker_id))
            else:
                log.warning("[Controller id=%d] Deletion of %s-%d on broker %d failed with error %d; will retry",
                            self.controller_id, topic, partition, broker_id, code or error_code)
        for topic in {t for t, _, _ in partition_errors}:
            await self._complete_if_done(topic)

    async def on_broker_startup(self, broker_id: int) -> None:
        """Retry the replicas a dead broker could not delete, then resume waiting topics."""
        for topic, pending in list(self.context.deletion_pending.items()):
            mine = [tp for tp, b in pending if b == broker_id]
            for tp in mine:
                self.partition_state_machine.batch.add_stop_replica([broker_id], tp, delete=True)
        await self.resume_deletions()

    async def _complete_if_done(self, topic: str) -> None:
        if self.context.deletion_pending.get(topic):
            return
        ops = []
        for tp in self.context.partitions_for_topic(topic):
            ops += [DeleteOp(TopicPartitionStateZNode.path(*tp)), DeleteOp(TopicPartitionZNode.path(*tp))]
        zk = self.zk_client.zk
        existing = [op for op in ops if await zk.exists(op.path) is not None]
        if await zk.exists(TopicPartitionsZNode.path(topic)) is not None:
            existing.append(DeleteOp(TopicPartitionsZNode.path(topic)))
        for path in (TopicZNode.path(topic), ConfigEntityZNode.path("topics", topic)):
            if await zk.exists(path) is not None:
                existing.append(DeleteOp(path))
        await self.zk_client.controller_multi(self.context.epoch_zk_version, existing)
        await self._delete_marker(topic)
        self.context.remove_topic(topic)
        log.info("[Controller id=%d] Deletion of topic %s successfully completed", self.controller_id, topic)

    async def _delete_marker(self, topic: str) -> None:
        try:
            await self.zk_client.controller_multi(self.context.epoch_zk_version,
                                                  [DeleteOp(DeleteTopicsTopicZNode.path(topic))])
        except NoNodeError:
            pass
