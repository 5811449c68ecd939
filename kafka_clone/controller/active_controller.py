"""The active controller's work during one term: failover, brokers, topics, deletions.

Mirrors the "active controller" half of Kafka 2.8's `KafkaController`: `onControllerFailover`,
`processBrokerChange` (`onBrokerStartup`/`onBrokerFailure`), `processTopicChange`
(`onNewPartitionCreation`), `processPartitionModifications`, `processTopicDeletion`.
An `ActiveController` exists for exactly one term: it is created when this broker wins
`/controller` and dropped (its nursery cancelled) when the term ends, which is how resignation
forgets everything (Kafka resets the context by hand).

Every event handler re-reads ZooKeeper (watches carry no data), changes state through the state
machines, and ends by sending the accumulated requests (`ControllerBrokerRequestBatch`).
"""

from __future__ import annotations

import logging
from typing import Callable

import attrs
import trio

from kafka_clone.controller.channel_manager import (
    ControllerBrokerRequestBatch, ControllerChannelManager, PartitionLeadership,
)
from kafka_clone.controller.context import ControllerContext, TopicPartition, topic_uuid
from kafka_clone.controller.events import (
    ApiElectLeaders, ApiPartitionReassignment, AutoPreferredReplicaLeaderElection, ListPartitionReassignments,
    PartitionReassignmentIsrChange, ZkPartitionReassignment, ZkPreferredReplicaElection, BrokerChange, BrokerModifications, ControlledShutdown, ControllerEvent, IsrChangeNotification, PartitionModifications,
    TopicChange, TopicDeletion, TopicDeletionStopReplicaResponseReceived, TopicUncleanLeaderElectionEnable,
    UncleanLeaderElectionEnable,
)
from kafka_clone.controller.partition_state_machine import (
    MAX_UPDATE_ATTEMPTS, ElectionStrategy, PartitionState, PartitionStateMachine,
)
from kafka_clone.controller.reassignment import ReassignmentManager
from kafka_clone.protocol.errors import (
    BrokerNotAvailable, ElectionNotNeeded, EligibleLeadersNotAvailable, KafkaError, PreferredLeaderNotAvailable,
    StaleBrokerEpoch, UnknownTopicOrPartition,
)
from kafka_clone.controller.topic_deletion import TopicDeletionManager
from kafka_clone.server.config import KafkaConfig
from zk.client import DeleteOp, NoNodeError, ZkError, ZNodeChangeHandler, ZNodeChildChangeHandler
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import (
    BrokerIdsZNode, BrokerIdZNode, ConfigEntityZNode, DeleteTopicsZNode, IsrChangeNotificationSequenceZNode,
    IsrChangeNotificationZNode, LeaderAndIsr, PreferredReplicaElectionZNode, ReassignPartitionsZNode,
    TopicPartitionStateZNode, TopicsZNode, TopicZNode,
)

log = logging.getLogger(__name__)


@attrs.define(eq=False)
class ActiveController:
    broker_id: int
    config: KafkaConfig
    zk_client: KafkaZkClient
    context: ControllerContext
    nursery: trio.Nursery
    put: Callable[[ControllerEvent], None]
    channel: ControllerChannelManager = attrs.field(init=False)
    batch: ControllerBrokerRequestBatch = attrs.field(init=False)
    psm: PartitionStateMachine = attrs.field(init=False)
    deletion: TopicDeletionManager = attrs.field(init=False)
    reassignments: ReassignmentManager = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        listener = self.config["inter.broker.listener.name"] or self.config["security.inter.broker.protocol"]
        self.channel = ControllerChannelManager(self.broker_id, listener, self.nursery,
                                                self.config["controller.socket.timeout.ms"])
        self.batch = ControllerBrokerRequestBatch(self.broker_id)
        self.psm = PartitionStateMachine(self.broker_id, self.context, self.zk_client, self.batch,
                                         self._unclean_election_enabled)
        self.deletion = TopicDeletionManager(self.broker_id, self.context, self.zk_client, self.psm,
                                             self.config["delete.topic.enable"])
        self.reassignments = ReassignmentManager(self)

    async def _unclean_election_enabled(self, topic: str) -> bool:
        """`unclean.leader.election.enable` as Kafka's controller sees it at election time: the
        topic's override, else this broker's dynamic config (KIP-226: `/config/brokers/<id>`, then
        `/config/brokers/<default>`), else server.properties. Read from ZooKeeper now, so a
        change made a moment ago counts."""
        paths = [ConfigEntityZNode.path("topics", topic), ConfigEntityZNode.path("brokers", str(self.broker_id)),
                 ConfigEntityZNode.path("brokers", "<default>")]
        for got in await self.zk_client.zk.get_many(paths):
            overrides = ConfigEntityZNode.decode(got[0]) if got is not None and got[0] else {}
            value = overrides.get("unclean.leader.election.enable")
            if value is not None:
                return value.strip().lower() == "true"
        return bool(self.config["unclean.leader.election.enable"])

    # ---- failover (onControllerFailover) ----

    async def on_failover(self) -> None:
        zk = self.zk_client.zk
        await self.zk_client.enable_feature_versioning()
        zk.register_znode_child_change_handler(
            ZNodeChildChangeHandler(BrokerIdsZNode.path(), lambda: self.put(BrokerChange())))
        zk.register_znode_child_change_handler(
            ZNodeChildChangeHandler(TopicsZNode.path(), lambda: self.put(TopicChange())))
        zk.register_znode_child_change_handler(
            ZNodeChildChangeHandler(DeleteTopicsZNode.path(), lambda: self.put(TopicDeletion())))
        zk.register_znode_child_change_handler(
            ZNodeChildChangeHandler(IsrChangeNotificationZNode.path(), lambda: self.put(IsrChangeNotification())))
        for path, event in ((ReassignPartitionsZNode.path(), ZkPartitionReassignment),
                            (PreferredReplicaElectionZNode.path(), ZkPreferredReplicaElection)):
            # on_delete too: the controller deletes these znodes when done, which fires (and so
            # uses up) the one-shot watch; handling the deletion re-arms it for the next request.
            zk.register_znode_change_handler(ZNodeChangeHandler(
                path, on_create=lambda e=event: self.put(e()), on_data_change=lambda e=event: self.put(e()),
                on_delete=lambda e=event: self.put(e())))
        await self._initialize_context()
        # Every live broker learns the cluster first, then the replicas their roles.  Kafka's
        # log line: it also tells how long loading the context took.
        log.info("[Controller id=%d] Sending update metadata request", self.broker_id)
        self.batch.add_update_metadata(self.context.live_broker_ids, self.leaderships(self.context.all_partitions()))
        for tp, li in self.context.partition_leadership.items():
            live_replicas = [r for r in self.context.replicas(tp) if r in self.context.live_broker_ids]
            self.batch.add_leader_and_isr(live_replicas, tp, self.leadership(tp), False)
        self.psm.startup_states()
        await self._trigger_online_partitions()
        # Kafka's replica state machine startup: replicas on dead brokers go offline, i.e. leave
        # the ISR (a dead leader becomes -1; the last ISR member stays in it).
        await self._take_replicas_offline(self._dead_isr_members())
        await self.deletion.enqueue_topics_for_deletion()
        # Notifications left by leaders before this failover: the context just read the state
        # znodes, so only the notifications themselves need to go.
        await self._process_isr_change_notifications(update_metadata=False)
        # Resume reassignments (topic znodes' adding/removing sets, then the admin znode) and
        # pending preferred elections; schedule the leader-imbalance check.
        await self.reassignments.arm_watches()
        for tp in list(self.reassignments.ongoing):
            await self.reassignments.maybe_complete(tp, phase_a_if_pending=True)
        await self.reassignments.on_znode()
        await self._process_zk_preferred_election()
        if self.config["auto.leader.rebalance.enable"]:
            self.nursery.start_soon(self._schedule_auto_rebalance)
        self.send_batch()
        log.info("[Controller id=%d] Initialized controller epoch %d with %d live brokers and %d partitions",
                 self.broker_id, self.context.epoch, len(self.context.live_brokers), len(self.context.all_partitions()))

    async def _initialize_context(self) -> None:
        zk = self.zk_client.zk
        brokers = await self.zk_client.get_all_brokers_in_cluster(watch=True)
        self.context.live_brokers = dict(brokers)
        for broker_id, (info, _) in brokers.items():
            self._watch_broker(broker_id)
            await zk.exists(BrokerIdZNode.path(broker_id), watch=True)
            self.channel.add_broker(info)
        await self._load_topics(await zk.get_children(TopicsZNode.path(), watch=True))

    async def _load_topics(self, topics: list[str]) -> list[TopicPartition]:
        """Read topics' assignments (with data watches) and their new partitions' state znodes,
        pipelined (`ZkClient.get_many`), as Kafka's failover reads the cluster."""
        zk = self.zk_client.zk
        for topic in topics:
            zk.register_znode_change_handler(ZNodeChangeHandler(
                TopicZNode.path(topic), on_data_change=lambda t=topic: self.put(PartitionModifications(t))))
            await zk.exists(TopicZNode.path(topic), watch=True)
        added: list[TopicPartition] = []
        for topic, got in zip(topics, await zk.get_many([TopicZNode.path(t) for t in topics])):
            if got is None:
                continue
            assignment = TopicZNode.decode(topic, got[0])
            known = self.context.partition_assignments.get(topic, {})
            self.context.all_topics.add(topic)
            self.context.topic_ids[topic] = topic_uuid(assignment.topic_id)
            self.context.partition_assignments[topic] = {p: tuple(r) for p, r in assignment.as_dict().items()}
            self.reassignments.resume_from_context({(topic, p): assignment for p in assignment.as_dict()})
            added += [(topic, p) for p in assignment.as_dict() if p not in known]
        states = await zk.get_many([TopicPartitionStateZNode.path(*tp) for tp in added])
        for tp, state in zip(added, states):
            if state is not None:
                self.context.partition_leadership[tp] = TopicPartitionStateZNode.decode(state[0], zk_version=state[1].version)
        return added

    async def _trigger_online_partitions(self) -> None:
        """Bring New and Offline partitions online (those not being deleted)."""
        candidates = [tp for tp in self.psm.partitions_in(PartitionState.NEW, PartitionState.OFFLINE)
                      if tp[0] not in self.context.topics_to_be_deleted]
        if candidates:
            await self.psm.handle_state_changes(candidates, PartitionState.ONLINE)

    # ---- events ----

    async def process(self, event: ControllerEvent) -> None:
        match event:
            case BrokerChange():
                await self._process_broker_change()
            case TopicChange():
                await self._process_topic_change()
            case PartitionModifications(topic=topic):
                await self._process_partition_modifications(topic)
            case TopicDeletion():
                await self.deletion.enqueue_topics_for_deletion()
            case IsrChangeNotification():
                await self._process_isr_change_notifications()
            case ZkPartitionReassignment():
                await self.reassignments.on_znode()
            case PartitionReassignmentIsrChange(partition=tp):
                await self.reassignments.on_isr_change([tp])
            case ApiPartitionReassignment(reassignments=wanted, reply=reply):
                results = await self.reassignments.alter(dict(wanted))
                self.send_batch()
                reply.send_nowait(results)
            case ListPartitionReassignments(partitions=partitions, reply=reply):
                reply.send_nowait(self.reassignments.list(None if partitions is None else list(partitions)))
            case ZkPreferredReplicaElection():
                await self._process_zk_preferred_election()
            case ApiElectLeaders(election_type=kind, partitions=partitions, reply=reply):
                results = await self._elect_leaders(kind, partitions)
                self.send_batch()
                reply.send_nowait(results)
            case AutoPreferredReplicaLeaderElection():
                await self._check_leader_imbalance()
            case TopicUncleanLeaderElectionEnable(topic=topic):
                offline = [tp for tp in self.psm.partitions_in(PartitionState.OFFLINE) if tp[0] == topic]
                if offline:
                    await self.psm.handle_state_changes(offline, PartitionState.ONLINE)
            case UncleanLeaderElectionEnable():
                offline = self.psm.partitions_in(PartitionState.OFFLINE)
                if offline:
                    await self.psm.handle_state_changes(offline, PartitionState.ONLINE)
            case ControlledShutdown(broker_id=b, broker_epoch=epoch, reply=reply):
                outcome = await self._process_controlled_shutdown(b, epoch)
                self.send_batch()
                reply.send_nowait(outcome)
            case TopicDeletionStopReplicaResponseReceived(broker_id=b, error_code=e, partition_errors=pe):
                await self.deletion.on_stop_replica_response(b, e, pe)
        self.send_batch()

    def send_batch(self) -> None:
        self.batch.send_requests(self.channel, self.context.epoch, self.context.live_brokers,
                                 self.context.topic_ids, self._on_stop_replica_response)

    def _on_stop_replica_response(self, broker_id: int, response) -> None:
        errors = tuple((e.topic_name, e.partition_index, e.error_code) for e in response.partition_errors)
        if any(t in self.context.deletion_pending for t, _, _ in errors):
            self.put(TopicDeletionStopReplicaResponseReceived(broker_id, response.error_code, errors))

    # ---- brokers ----

    def _watch_broker(self, broker_id: int) -> None:
        self.zk_client.zk.register_znode_change_handler(ZNodeChangeHandler(
            BrokerIdZNode.path(broker_id), on_data_change=lambda: self.put(BrokerModifications(broker_id))))

    async def _process_broker_change(self) -> None:
        """Diff `/brokers/ids` against the context: new, dead and bounced brokers (KIP-380).

        A bounced broker (same id, larger czxid) restarted faster than its old session expired;
        Kafka treats it as a failure followed by a start-up.
        """
        zk = self.zk_client.zk
        current = await self.zk_client.get_all_brokers_in_cluster(watch=True)
        cached = self.context.live_brokers
        new_ids = sorted(set(current) - set(cached))
        dead_ids = sorted(set(cached) - set(current))
        bounced_ids = sorted(b for b in set(current) & set(cached) if current[b][1] > cached[b][1])
        log.info("[Controller id=%d] Newly added brokers: %s, deleted brokers: %s, bounced brokers: %s, "
                 "all live brokers: %s", self.broker_id, _ids(new_ids), _ids(dead_ids), _ids(bounced_ids),
                 _ids(sorted(current)))
        for broker_id in [*dead_ids, *bounced_ids]:
            zk.unregister_znode_change_handler(BrokerIdZNode.path(broker_id))
            self.channel.remove_broker(broker_id)
        self.context.live_brokers = {b: v for b, v in current.items() if b not in bounced_ids}
        self.context.shutting_down_broker_ids -= set(dead_ids)
        if dead_ids or bounced_ids:
            await self._on_broker_failure([*dead_ids, *bounced_ids])
        self.context.live_brokers = dict(current)
        for broker_id in [*new_ids, *bounced_ids]:
            self._watch_broker(broker_id)
            await zk.exists(BrokerIdZNode.path(broker_id), watch=True)
            self.channel.add_broker(current[broker_id][0])
        if new_ids or bounced_ids:
            await self._on_broker_startup([*new_ids, *bounced_ids])

    async def _on_broker_startup(self, broker_ids: list[int]) -> None:
        """Kafka's onBrokerStartup: metadata to everyone, the full picture and roles to the new."""
        live = self.context.live_broker_ids
        self.batch.add_update_metadata(sorted(live - set(broker_ids)), {})
        self.batch.add_update_metadata(broker_ids, self.leaderships(self.context.all_partitions()))
        for tp in self.context.all_partitions():
            replicas = self.context.replicas(tp)
            mine = [b for b in broker_ids if b in replicas]
            if mine and tp in self.context.partition_leadership and tp[0] not in self.context.topics_to_be_deleted:
                self.batch.add_leader_and_isr(mine, tp, self.leadership(tp), False)
        await self._trigger_online_partitions()
        for broker_id in broker_ids:
            await self.deletion.on_broker_startup(broker_id)

    async def _on_broker_failure(self, broker_ids: list[int]) -> None:
        """Kafka's onBrokerFailure → onReplicasBecomeOffline.

        Partitions led by a dead broker go Offline and get a new leader from the ISR; for every
        other partition a dead replica leaves the ISR (unless it is the last member, which keeps
        the ISR pointing at the data), with leader_epoch + 1.
        """
        dead = set(broker_ids)
        led = [tp for tp in self.context.all_partitions()
               if (li := self.context.partition_leadership.get(tp)) is not None and li.leader in dead
               and tp[0] not in self.context.topics_to_be_deleted]
        await self.psm.handle_state_changes(led, PartitionState.OFFLINE)
        await self._trigger_online_partitions()
        await self._take_replicas_offline(dead)
        # Brokers must learn of the deaths even if no leader changed.
        self.batch.add_update_metadata(self.context.live_broker_ids, {})
        await self.deletion.resume_deletions()

    async def process_broker_modification(self, broker_id: int) -> None:
        got = await self.zk_client.zk.get_or_none(BrokerIdZNode.path(broker_id), watch=True)
        if got is None or broker_id not in self.context.live_brokers:
            return
        info = BrokerIdZNode.decode(broker_id, got[0])
        if info != self.context.live_brokers[broker_id][0]:
            log.info("[Controller id=%d] Updated broker %d: %s", self.broker_id, broker_id, info)
            self.context.live_brokers[broker_id] = (info, got[1].czxid)
            self.batch.add_update_metadata(self.context.live_broker_ids, {})
            self.send_batch()

    # ---- controlled shutdown (Kafka's doControlledShutdown) ----

    async def _process_controlled_shutdown(self, broker_id: int, broker_epoch: int) -> tuple[int, list[TopicPartition]]:
        """Move leadership off a broker that is about to stop, and take it out of the ISRs it
        follows, so that clients never see an offline partition.  Only partitions with more than
        one replica can move; the answer lists the partitions it still leads."""
        if broker_id not in self.context.live_brokers:
            return BrokerNotAvailable.code, []
        cached = self.context.broker_epoch(broker_id)
        if broker_epoch != -1 and cached is not None and broker_epoch < cached:
            return StaleBrokerEpoch.code, []
        self.context.shutting_down_broker_ids.add(broker_id)
        log.info("[Controller id=%d] Shutting down broker %d; brokers shutting down: %s", self.broker_id, broker_id,
                 sorted(self.context.shutting_down_broker_ids))
        mine = [tp for tp in self.context.partitions_on_broker(broker_id)
                if len(self.context.replicas(tp)) > 1 and tp[0] not in self.context.topics_to_be_deleted
                and tp in self.context.partition_leadership]
        led = [tp for tp in mine if self.context.partition_leadership[tp].leader == broker_id]
        await self.psm.handle_state_changes(led, PartitionState.ONLINE, ElectionStrategy.CONTROLLED_SHUTDOWN)
        # Every partition it follows goes OfflineReplica: StopReplica, and out of the ISR if
        # ZooKeeper has it there (read fresh: the cached ISR may lag behind a leader's changes).
        followed = [tp for tp in mine if self.context.partition_leadership[tp].leader != broker_id]
        await self.remove_replicas_from_isr(broker_id, followed)
        for tp in followed:
            self.batch.add_stop_replica([broker_id], tp, delete=False)
        remaining = [tp for tp in mine if self.context.partition_leadership[tp].leader == broker_id]
        return 0, remaining

    def _dead_isr_members(self) -> set[int]:
        live = self.context.live_broker_ids
        return {r for li in self.context.partition_leadership.values() for r in li.isr if r not in live}

    async def _take_replicas_offline(self, dead: set[int]) -> None:
        """Kafka's OfflineReplica transition for the replicas on dead brokers, one batch per
        broker as `ReplicaStateMachine.handleStateChanges` groups them by replica id."""
        partitions = [tp for tp in self.context.all_partitions()
                      if tp in self.context.partition_leadership and tp[0] not in self.context.topics_to_be_deleted]
        for replica in sorted(dead):
            await self.remove_replicas_from_isr(replica, partitions)

    async def remove_replica_from_isr(self, tp: TopicPartition, replica: int) -> None:
        """`remove_replicas_from_isr` for one partition (reassignment's B4/B5)."""
        await self.remove_replicas_from_isr(replica, [tp])

    async def remove_replicas_from_isr(self, replica: int, partitions: list[TopicPartition]) -> None:
        """Kafka's `removeReplicasFromIsr`: for each partition that `replica` leads or follows in
        sync, a new ISR without it (kept if it is the last member), leader -1 if it led,
        leader_epoch + 1.  All new states are decided first, then written at once (pipelined,
        fenced by the controller epoch); those whose znode a leader changed under us are
        re-read and decided again.

        The states are read from ZooKeeper first, as Kafka's `doRemoveReplicasFromIsr` does: a
        leader may have put the replica back into its ISR (a fetch still in flight during a
        controlled shutdown) without the controller knowing yet."""
        remaining = list(partitions)
        await self.psm.refresh_leadership(remaining)
        for _ in range(MAX_UPDATE_ATTEMPTS):
            planned: dict[TopicPartition, LeaderAndIsr] = {}
            for tp in remaining:
                li = self.context.partition_leadership[tp]
                if replica not in li.isr and replica != li.leader:
                    continue
                isr = tuple(r for r in li.isr if r != replica) or li.isr
                leader = li.leader if li.leader != replica else -1
                planned[tp] = LeaderAndIsr(leader, li.leader_epoch + 1, isr, self.context.epoch, li.zk_version)
            if not planned:
                return
            result = await self.psm.update_leader_and_isr(planned)
            live = self.context.live_broker_ids
            for tp, outcome in result.finished.items():
                if isinstance(outcome, ZkError):
                    log.error("[Controller id=%d] Failed to remove replica %d from the ISR of partition %s-%d: %s",
                              self.broker_id, replica, *tp, outcome)
                    continue
                self.batch.add_leader_and_isr([r for r in self.context.replicas(tp) if r in live], tp,
                                              self.leadership(tp), False)
            remaining = list(result.updates_to_retry)

    # ---- preferred and unclean elections (KIP-460), auto rebalance ----

    async def _process_zk_preferred_election(self) -> None:
        """`/admin/preferred_replica_election`: elect the preferred replicas, delete the znode."""
        zk = self.zk_client.zk
        if await zk.exists(PreferredReplicaElectionZNode.path(), watch=True) is None:
            return
        got = await zk.get_or_none(PreferredReplicaElectionZNode.path(), watch=True)
        if got is None:
            return
        partitions = sorted(PreferredReplicaElectionZNode.decode(got[0]))
        await self._elect_leaders(0, tuple(partitions))
        try:
            await self.zk_client.controller_multi(self.context.epoch_zk_version,
                                                  [DeleteOp(PreferredReplicaElectionZNode.path())])
        except NoNodeError:
            pass

    async def _elect_leaders(self, kind: int, partitions) -> dict[TopicPartition, KafkaError | None]:
        """ElectLeaders: 0 = preferred (only if the preferred replica is live and in the ISR),
        1 = unclean (offline partitions may take a leader from outside the ISR)."""
        ctx = self.context
        wanted = ctx.all_partitions() if partitions is None else list(partitions)
        results: dict[TopicPartition, KafkaError | None] = {}
        eligible = []
        for tp in wanted:
            li = ctx.partition_leadership.get(tp)
            if li is None or tp[0] in ctx.topics_to_be_deleted:
                results[tp] = UnknownTopicOrPartition(f"The partition {tp[0]}-{tp[1]} does not exist.")
            elif kind == 0 and li.leader == ctx.replicas(tp)[0]:
                results[tp] = ElectionNotNeeded("Leader election not needed for topic partition.")
            elif kind == 1 and li.leader in ctx.live_broker_ids:
                results[tp] = ElectionNotNeeded("Leader election not needed for topic partition.")
            else:
                eligible.append(tp)
        strategy = ElectionStrategy.PREFERRED if kind == 0 else ElectionStrategy.OFFLINE
        unclean = self.psm.unclean_election_enabled
        if kind == 1:
            self.psm.unclean_election_enabled = _always_unclean
        try:
            failed = await self.psm.handle_state_changes(eligible, PartitionState.ONLINE, strategy)
        finally:
            self.psm.unclean_election_enabled = unclean
        for tp in eligible:
            if tp in failed:
                error = PreferredLeaderNotAvailable if kind == 0 else EligibleLeadersNotAvailable
                results[tp] = error(f"Failed to elect leader for partition {tp[0]}-{tp[1]}: {failed[tp]}")
            else:
                results[tp] = None
        return results

    async def _schedule_auto_rebalance(self) -> None:
        """First check 5 s after failover, then every `leader.imbalance.check.interval.seconds`."""
        await trio.sleep(5)
        while True:
            self.put(AutoPreferredReplicaLeaderElection())
            await trio.sleep(self.config["leader.imbalance.check.interval.seconds"])

    async def _check_leader_imbalance(self) -> None:
        """Kafka's checkAndTriggerAutoLeaderRebalance: per preferred broker, the share of its
        partitions led by someone else; above `leader.imbalance.per.broker.percentage` %, run a
        preferred election for them (not while reassigning or deleting)."""
        ctx = self.context
        if self.reassignments.ongoing or ctx.topics_to_be_deleted:
            return
        by_preferred: dict[int, list[TopicPartition]] = {}
        for tp in ctx.all_partitions():
            if tp in ctx.partition_leadership and ctx.replicas(tp):
                by_preferred.setdefault(ctx.replicas(tp)[0], []).append(tp)
        limit = self.config["leader.imbalance.per.broker.percentage"] / 100
        for broker, tps in sorted(by_preferred.items()):
            not_led = [tp for tp in tps if ctx.partition_leadership[tp].leader != broker]
            if not not_led or len(not_led) / len(tps) <= limit or broker not in ctx.live_broker_ids:
                continue
            candidates = [tp for tp in not_led if broker in ctx.partition_leadership[tp].isr]
            log.info("[Controller id=%d] Leader imbalance ratio for broker %d is %.3f; starting preferred "
                     "replica election for %s", self.broker_id, broker, len(not_led) / len(tps), candidates)
            await self._elect_leaders(0, tuple(candidates))

    # ---- ISR changes made by leaders ----

    async def _process_isr_change_notifications(self, *, update_metadata: bool = True) -> None:
        """Re-read the partitions named in `/isr_change_notification/*`, tell every broker with
        UpdateMetadata, delete the notifications (Kafka's processIsrChangeNotification)."""
        zk = self.zk_client.zk
        changed: set[TopicPartition] = set()
        for name in sorted(await zk.get_children(IsrChangeNotificationZNode.path(), watch=True)):
            path = f"{IsrChangeNotificationZNode.path()}/{name}"
            got = await zk.get_or_none(path)
            if got is not None:
                changed |= IsrChangeNotificationSequenceZNode.decode(got[0])
            await self.zk_client.controller_multi(self.context.epoch_zk_version, [DeleteOp(path)])
        known = [tp for tp in sorted(changed) if tp in self.context.partition_leadership]
        for tp in known:
            state = await zk.get_or_none(TopicPartitionStateZNode.path(*tp))
            if state is not None:
                self.context.partition_leadership[tp] = TopicPartitionStateZNode.decode(state[0], zk_version=state[1].version)
        if known and update_metadata:
            log.info("[Controller id=%d] Handling ISR change for partitions %s", self.broker_id, known)
            self.batch.add_update_metadata(self.context.live_broker_ids, self.leaderships(known))
            await self.reassignments.on_isr_change(known)

    # ---- topics ----

    async def _process_topic_change(self) -> None:
        topics = set(await self.zk_client.zk.get_children(TopicsZNode.path(), watch=True))
        new_topics = sorted(topics - self.context.all_topics)
        for topic in sorted(self.context.all_topics - topics):
            self.context.remove_topic(topic)
        if not new_topics:
            return
        log.info("[Controller id=%d] New topics: [%s]", self.broker_id, ", ".join(new_topics))
        await self._on_new_partition_creation(await self._load_topics(new_topics))

    async def _process_partition_modifications(self, topic: str) -> None:
        if topic not in self.context.all_topics or topic in self.context.topics_to_be_deleted:
            return
        added = await self._load_topics([topic])
        if added:
            log.info("[Controller id=%d] New partitions to be added %s", self.broker_id, added)
            await self._on_new_partition_creation(added)

    async def _on_new_partition_creation(self, partitions: list[TopicPartition]) -> None:
        fresh = [tp for tp in partitions if tp not in self.context.partition_leadership]
        await self.psm.handle_state_changes(fresh, PartitionState.NEW)
        await self.psm.handle_state_changes(fresh, PartitionState.ONLINE)

    # ---- helpers ----

    def leadership(self, tp: TopicPartition) -> PartitionLeadership:
        replicas = self.context.replicas(tp)
        offline = tuple(r for r in replicas if r not in self.context.live_broker_ids)
        moving = self.reassignments.ongoing.get(tp)
        return PartitionLeadership(self.context.partition_leadership[tp], replicas,
                                   adding_replicas=moving.adding if moving else (),
                                   removing_replicas=moving.removing if moving else (),
                                   offline_replicas=offline)

    def leaderships(self, partitions: list[TopicPartition]) -> dict[TopicPartition, PartitionLeadership]:
        return {tp: self.leadership(tp) for tp in partitions if tp in self.context.partition_leadership}


async def _always_unclean(topic: str) -> bool:
    return True


def _ids(ids: list[int]) -> str:
    return ",".join(map(str, ids))
