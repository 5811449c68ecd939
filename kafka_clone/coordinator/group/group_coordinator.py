"""The group coordinator: Kafka 2.8's ``coordinator/group/GroupCoordinator.scala``.

Runs on every broker; it coordinates the groups whose ``__consumer_offsets`` partition this broker
leads (``GroupMetadataManager``). What it does, per request:

- JoinGroup: a new member gets an id ``clientId-UUID``; with JoinGroup v4+ and no
  ``group.instance.id`` it first gets MEMBER_ID_REQUIRED and must come back with that id (KIP-394).
  Joins are parked until every member rejoined or the rebalance timeout passed (an Empty group
  waits ``group.initial.rebalance.delay.ms`` more per new member, up to the rebalance timeout),
  then a new generation starts and every parked join is answered (the leader gets the members).
- SyncGroup: the leader's assignment is written to ``__consumer_offsets`` and handed to every member.
- Heartbeat: resets the member's session deadline; REBALANCE_IN_PROGRESS tells it to rejoin.
- LeaveGroup / session expiry: the member is removed and the group rebalances.
- ``group.max.size`` (KIP-389): a JoinGroup that would grow the group past it gets
  GROUP_MAX_SIZE_REACHED; a group loaded over the limit rebalances, and the members that rejoin
  after the first ``group.max.size`` are turned away.
- Static membership (KIP-345): a known ``group.instance.id`` rejoining gets a new member id and,
  if the group is Stable and its protocol unchanged, its old assignment without a rebalance; the
  old id is fenced (FENCED_INSTANCE_ID).
- Offsets: commits are checked against the generation and member, written, then cached.

The assignment bytes are the clients' (range, round-robin, cooperative-sticky, KIP-429); the
broker never looks inside except to learn subscribed topics (OffsetDelete, offset expiry).

Single owner: every method runs in the trio thread, between checkpoints; awaits happen only where
a request waits for its answer or for a write, and each re-checks the group afterwards.
"""

from __future__ import annotations

import logging
import uuid
import attrs
import trio

from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME
from kafka_clone.coordinator.group.delayed import Timers
from kafka_clone.coordinator.group.group_metadata import GroupMetadata, GroupState
from kafka_clone.coordinator.group.group_metadata_manager import GroupMetadataManager
from kafka_clone.coordinator.group.member_metadata import MemberMetadata, Reply
from kafka_clone.coordinator.group.offsets_and_admin import OffsetsAndAdmin
from kafka_clone.protocol import codec
from kafka_clone.protocol.errors import (
    CoordinatorLoadInProgress, CoordinatorNotAvailable, FencedInstanceId, GroupMaxSizeReached, IllegalGeneration,
    InconsistentGroupProtocol, InvalidGroupId, InvalidSessionTimeout, MemberIdRequired, NotCoordinator,
    RebalanceInProgress, UnknownMemberId,
)
from kafka_clone.protocol.messages.consumer_protocol import ConsumerProtocolSubscription

log = logging.getLogger(__name__)

EMPTY, PREPARING, COMPLETING, STABLE, DEAD = (
    GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE, GroupState.STABLE,
    GroupState.DEAD)

#: A new member that never completes its first join is dropped after 5 minutes (Kafka's
#: ``NewMemberJoinTimeoutMs``, KAFKA-7610), whatever its session timeout.
NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000


@attrs.frozen
class JoinResult:
    member_id: str
    error_code: int = 0
    generation_id: int = -1
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str = ""
    #: (member_id, group_instance_id, metadata): only in the leader's answer.
    members: tuple[tuple[str, str | None, bytes], ...] = ()


@attrs.frozen
class SyncResult:
    error_code: int
    protocol_type: str | None = None
    protocol_name: str | None = None
    assignment: bytes = b""


def _config(config, name: str, default):
    try:
        return config[name]
    except KeyError:
        return default


@attrs.define(eq=False)
class GroupCoordinator(OffsetsAndAdmin):
    manager: GroupMetadataManager
    replica_manager: object
    min_session_timeout_ms: int = 6000
    max_session_timeout_ms: int = 1800000
    initial_rebalance_delay_ms: int = 3000
    #: ``group.max.size`` (KIP-389); Kafka's default is Int.MaxValue, i.e. no limit.
    group_max_size: int = 2**31 - 1
    max_metadata_size: int = 4096
    retention_check_interval_ms: int = 600000
    timers: Timers = attrs.Factory(Timers)
    active: bool = False
    _nursery: trio.Nursery | None = None
    _initial_join: set[str] = attrs.Factory(set)

    @classmethod
    def from_broker(cls, broker) -> "GroupCoordinator":
        """Build from a ``KafkaServer`` (its config and ReplicaManager)."""
        cfg = broker.config
        manager = GroupMetadataManager(
            broker.broker_id, broker.replica_manager,
            num_partitions=cfg["offsets.topic.num.partitions"],
            retention_ms=cfg["offsets.retention.minutes"] * 60_000,
            commit_timeout_ms=cfg["offsets.commit.timeout.ms"],
            required_acks=cfg["offsets.commit.required.acks"])
        return cls(manager, broker.replica_manager,
                   min_session_timeout_ms=cfg["group.min.session.timeout.ms"],
                   max_session_timeout_ms=cfg["group.max.session.timeout.ms"],
                   initial_rebalance_delay_ms=cfg["group.initial.rebalance.delay.ms"],
                   group_max_size=cfg["group.max.size"],
                   max_metadata_size=_config(cfg, "offset.metadata.max.bytes", 4096),
                   retention_check_interval_ms=cfg["offsets.retention.check.interval.ms"])

    def partition_for(self, group_id: str) -> int:
        return self.manager.partition_for(group_id)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Follow ``__consumer_offsets`` leadership, fire timers, expire offsets; until cancelled."""
        rm = self.replica_manager
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            await nursery.start(self.timers.run)
            rm.on_become_leader.append(self.on_become_leader)
            rm.on_become_follower.append(self.on_become_follower)
            try:
                # Partitions we led before we started (LeaderAndIsr may come first).
                for (topic, _), partition in list(rm.partitions.items()):
                    if topic == GROUP_METADATA_TOPIC_NAME and partition.is_leader:
                        self.on_become_leader(partition)
                nursery.start_soon(self._expire_offsets_periodically)
                self.active = True
                task_status.started()
                await trio.sleep_forever()
            finally:
                self.active = False
                rm.on_become_leader.remove(self.on_become_leader)
                rm.on_become_follower.remove(self.on_become_follower)

    # ---- leadership of __consumer_offsets partitions ----

    def on_become_leader(self, partition) -> None:
        if partition.topic != GROUP_METADATA_TOPIC_NAME or self._nursery is None:
            return
        if self.manager.schedule_load(partition.partition, partition.leader_epoch):
            self._nursery.start_soon(self._load, partition.partition, partition.leader_epoch)

    def on_become_follower(self, partition) -> None:
        if partition.topic == GROUP_METADATA_TOPIC_NAME:
            self._unload(partition.partition)

    def _unload(self, partition: int) -> None:
        for group in self.manager.unload(partition):
            self.timers.cancel_where(lambda key, gid=group.group_id: key[1] == gid)
            self._initial_join.discard(group.group_id)
            for member in group.members.values():
                self._answer_pending(member, NotCoordinator.code)

    async def _load(self, partition: int, leader_epoch: int) -> None:
        loaded = await self.manager.load(partition, leader_epoch)
        for group in loaded or ():
            self._update_subscribed_topics(group)
            if len(group.members) > self.group_max_size:
                # Kafka's onGroupLoaded: group.max.size was lowered since the group was written.
                # The rebalance lets the members commit (their generation still counts while
                # PreparingRebalance) before the last ones to rejoin are turned away.
                self._prepare_rebalance(group, f"Freshly-loaded group is over capacity ({self.group_max_size}). "
                                               "Rebalancing in order to give a chance for consumers to commit offsets")
            for member in group.members.values():
                self._schedule_heartbeat(group, member)

    # ---- validation ----

    def _validate(self, group_id: str | None, *, allow_empty: bool = False) -> int:
        if group_id is None or (group_id == "" and not allow_empty):
            return InvalidGroupId.code
        if not self.active:
            return CoordinatorNotAvailable.code
        if self.manager.is_loading(group_id):
            return CoordinatorLoadInProgress.code
        if not self.manager.is_local(group_id):
            return NotCoordinator.code
        partition = self.partition_for(group_id)
        led = self.replica_manager.partitions.get((GROUP_METADATA_TOPIC_NAME, partition))
        if led is None or not led.is_leader:
            # Leadership ended without a LeaderAndIsr naming a new leader (StopReplica, e.g. a
            # reassignment moved the partition away): unload now, as Kafka's onResignation.
            self._unload(partition)
            return NotCoordinator.code
        return 0

    # ---- JoinGroup ----

    async def handle_join_group(
        self, group_id: str, member_id: str, group_instance_id: str | None, require_known_member_id: bool,
        client_id: str, client_host: str, rebalance_timeout_ms: int, session_timeout_ms: int,
        protocol_type: str, protocols: tuple[tuple[str, bytes], ...],
    ) -> JoinResult:
        code = self._validate(group_id)
        if code:
            return JoinResult(member_id, code)
        if not self.min_session_timeout_ms <= session_timeout_ms <= self.max_session_timeout_ms:
            return JoinResult(member_id, InvalidSessionTimeout.code)
        group = self.manager.groups.get(group_id)
        if group is None:
            if member_id:
                return JoinResult(member_id, UnknownMemberId.code)
            group = self.manager.groups[group_id] = GroupMetadata(group_id)
        args = (client_id, client_host, rebalance_timeout_ms, session_timeout_ms, protocol_type, protocols)
        outcome: JoinResult | Reply
        if not group.has_room_for(member_id, self.group_max_size):
            outcome = self._reject_joining_member(group, member_id, group_instance_id)
        elif group.is_state(DEAD):
            return JoinResult(member_id, CoordinatorNotAvailable.code)
        elif not group.supports_protocols(protocol_type, {name for name, _ in protocols}):
            return JoinResult(member_id, InconsistentGroupProtocol.code)
        elif not member_id:
            outcome = self._unknown_join(group, group_instance_id, require_known_member_id, *args)
        else:
            outcome = self._known_join(group, member_id, group_instance_id, *args)
        if group.is_state(PREPARING):
            self._try_complete_join(group)
        if isinstance(outcome, JoinResult):
            return outcome
        return await outcome.wait()

    def _reject_joining_member(self, group: GroupMetadata, member_id: str, instance_id: str | None) -> JoinResult:
        """GROUP_MAX_SIZE_REACHED with the empty member id. As in Kafka 2.8, a turned-away member
        is removed, and the ``group.instance.id`` given is forgotten even while it names another
        member (a restarted static member of a full group: that one stays until its session
        expires); a KIP-394 pending id is left to expire, as Kafka's ``GroupMetadata.remove`` does."""
        member = group.members.get(member_id)
        if member is not None:
            self._remove_member(group, member)
        if instance_id is not None:
            group.static_members.pop(instance_id, None)
        log.info("Member %s of group %s is turned away: the group has reached its maximum size (%d)",
                 member_id or "(new)", group.group_id, self.group_max_size)
        return JoinResult("", GroupMaxSizeReached.code)

    def _unknown_join(self, group: GroupMetadata, instance_id: str | None, require_known: bool,
                      client_id: str, *args) -> JoinResult | Reply:
        new_id = f"{instance_id if instance_id is not None else client_id}-{uuid.uuid4()}"
        if instance_id is not None:
            old_id = group.static_member_id(instance_id)
            if old_id is not None:
                return self._update_static_member(group, instance_id, old_id, new_id, args[-1])
            return self._add_member_and_rebalance(group, new_id, instance_id, client_id, *args)
        if require_known:
            # KIP-394: remember the id and have the client come back with it.
            group.pending_members.add(new_id)
            self.timers.schedule_in(("pending", group.group_id, new_id), args[2] / 1000,
                                    lambda: self._on_pending_expired(group, new_id))
            return JoinResult(new_id, MemberIdRequired.code)
        return self._add_member_and_rebalance(group, new_id, instance_id, client_id, *args)

    def _known_join(self, group: GroupMetadata, member_id: str, instance_id: str | None, client_id: str,
                    client_host: str, rebalance_timeout_ms: int, session_timeout_ms: int, protocol_type: str,
                    protocols: tuple[tuple[str, bytes], ...]) -> JoinResult | Reply:
        if group.is_static_member_fenced(member_id, instance_id):
            return JoinResult(member_id, FencedInstanceId.code)
        if member_id in group.pending_members:
            self.timers.cancel(("pending", group.group_id, member_id))
            return self._add_member_and_rebalance(group, member_id, instance_id, client_id, client_host,
                                                  rebalance_timeout_ms, session_timeout_ms, protocol_type, protocols)
        if not group.has(member_id):
            return JoinResult(member_id, UnknownMemberId.code)
        member = group.get(member_id)
        if group.is_state(PREPARING):
            return self._update_member_and_rebalance(group, member, rebalance_timeout_ms, session_timeout_ms, protocols)
        if group.is_state(COMPLETING):
            if member.matches(protocols):
                return self._current_result(group, member, with_members=group.is_leader(member_id))
            return self._update_member_and_rebalance(group, member, rebalance_timeout_ms, session_timeout_ms, protocols)
        if group.is_state(STABLE):
            if group.is_leader(member_id) or not member.matches(protocols):
                return self._update_member_and_rebalance(group, member, rebalance_timeout_ms, session_timeout_ms,
                                                         protocols)
            return self._current_result(group, member, with_members=False)
        return JoinResult(member_id, UnknownMemberId.code)

    def _current_result(self, group: GroupMetadata, member: MemberMetadata, *, with_members: bool) -> JoinResult:
        members = tuple((m.member_id, m.group_instance_id, md) for m, md in group.current_member_metadata()) \
            if with_members else ()
        return JoinResult(member.member_id, 0, group.generation_id, group.protocol_type, group.protocol_name,
                          group.leader_id or "", members)

    def _add_member_and_rebalance(self, group: GroupMetadata, member_id: str, instance_id: str | None,
                                  client_id: str, client_host: str, rebalance_timeout_ms: int,
                                  session_timeout_ms: int, protocol_type: str,
                                  protocols: tuple[tuple[str, bytes], ...]) -> Reply:
        member = MemberMetadata(member_id, instance_id, client_id, client_host, rebalance_timeout_ms,
                                session_timeout_ms, protocol_type, tuple((n, bytes(m)) for n, m in protocols))
        member.is_new = True
        member.awaiting_join = reply = Reply()
        # InitialDelayedJoin waits longer for each member that arrives during it.
        if group.is_state(PREPARING) and group.generation_id == 0:
            group.new_member_added = True
        group.add(member)
        self._schedule_heartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
        self._maybe_prepare_rebalance(group, f"Adding new member {member_id} with group instance id {instance_id}")
        return reply

    def _update_member_and_rebalance(self, group: GroupMetadata, member: MemberMetadata, rebalance_timeout_ms: int,
                                     session_timeout_ms: int, protocols: tuple[tuple[str, bytes], ...]) -> Reply:
        member.rebalance_timeout_ms = rebalance_timeout_ms
        member.session_timeout_ms = session_timeout_ms
        member.supported_protocols = tuple((n, bytes(m)) for n, m in protocols)
        if member.awaiting_join is not None:
            # A second JoinGroup replaces the first (the client gave up on it).
            member.awaiting_join.send(JoinResult(member.member_id, RebalanceInProgress.code))
        member.awaiting_join = reply = Reply()
        self._maybe_prepare_rebalance(group, f"Updating metadata for member {member.member_id}")
        return reply

    def _update_static_member(self, group: GroupMetadata, instance_id: str, old_id: str, new_id: str,
                              protocols: tuple[tuple[str, bytes], ...]) -> JoinResult | Reply:
        """KIP-345: the instance is back under a new member id; fence the old one."""
        old = group.get(old_id)
        current_leader = group.leader_id
        self._answer_pending(old, FencedInstanceId.code)
        self.timers.cancel(("heartbeat", group.group_id, old_id))
        member = group.replace_static_member(instance_id, old_id, new_id)
        member.supported_protocols = tuple((n, bytes(m)) for n, m in protocols)
        self._schedule_heartbeat(group, member)
        if group.is_state(STABLE) and group.select_protocol() == group.protocol_name:
            # No rebalance: the member gets its previous assignment at SyncGroup.
            log.info("Static member %s of group %s rejoined as %s; no rebalance", instance_id, group.group_id, new_id)
            self._spawn_store(group, {m.member_id: m.assignment for m in group.members.values()})
            # The answer names the leader as it was: a rejoining static leader must not think it
            # should compute a new assignment (Kafka answers with the old leader id too).
            return JoinResult(new_id, 0, group.generation_id, group.protocol_type, group.protocol_name,
                              current_leader or "", ())
        member.awaiting_join = reply = Reply()
        if group.is_state(COMPLETING):
            self._prepare_rebalance(group, f"Updating metadata for static member {new_id} ({instance_id})")
        else:
            self._maybe_prepare_rebalance(group, f"Static member {instance_id} rejoined")
        return reply

    # ---- the rebalance ----

    def _maybe_prepare_rebalance(self, group: GroupMetadata, reason: str) -> None:
        if group.can_rebalance():
            self._prepare_rebalance(group, reason)

    def _prepare_rebalance(self, group: GroupMetadata, reason: str) -> None:
        if group.is_state(COMPLETING):
            self._reset_and_propagate_assignment_error(group, RebalanceInProgress.code)
        initial = group.is_state(EMPTY)
        group.transition_to(PREPARING)
        log.info("Preparing to rebalance group %s in state PreparingRebalance with old generation %d "
                 "(__consumer_offsets-%d) (reason: %s)", group.group_id, group.generation_id,
                 self.partition_for(group.group_id), reason)
        rebalance_timeout = group.rebalance_timeout_ms()
        if initial:
            self._initial_join.add(group.group_id)
            delay = min(self.initial_rebalance_delay_ms, rebalance_timeout)
            self._schedule_initial_join(group, delay, max(rebalance_timeout - delay, 0))
        else:
            self._initial_join.discard(group.group_id)
            self.timers.schedule_in(("join", group.group_id), rebalance_timeout / 1000,
                                    lambda: self._complete_join(group))

    def _schedule_initial_join(self, group: GroupMetadata, delay_ms: int, remaining_ms: int) -> None:
        def expired() -> None:
            if group.new_member_added and remaining_ms > 0:
                group.new_member_added = False
                step = min(self.initial_rebalance_delay_ms, remaining_ms)
                self._schedule_initial_join(group, step, max(remaining_ms - step, 0))
            else:
                self._complete_join(group)
        self.timers.schedule_in(("join", group.group_id), delay_ms / 1000, expired)

    def _try_complete_join(self, group: GroupMetadata) -> None:
        if group.is_state(PREPARING) and group.group_id not in self._initial_join and group.has_all_members_joined():
            self._complete_join(group)

    def _complete_join(self, group: GroupMetadata) -> None:
        """Kafka's ``onCompleteJoin``: drop dynamic members that did not rejoin, start a generation."""
        self.timers.cancel(("join", group.group_id))
        self._initial_join.discard(group.group_id)
        if not group.is_state(PREPARING) or self.manager.groups.get(group.group_id) is not group:
            return
        for member in group.not_yet_rejoined():
            if not member.is_static:
                self._remove_member(group, member)
        if group.leader_id is not None and not group.get(group.leader_id).is_awaiting_join:
            joined = [m.member_id for m in group.members.values() if m.is_awaiting_join]
            if joined:
                group.leader_id = joined[0]
        group.init_next_generation()
        self._update_subscribed_topics(group)
        if group.is_state(EMPTY):
            log.info("Group %s with generation %d is now empty (__consumer_offsets-%d)", group.group_id,
                     group.generation_id, self.partition_for(group.group_id))
            self._spawn_store(group, {})
            return
        log.info("Stabilized group %s generation %d (__consumer_offsets-%d) with %d members", group.group_id,
                 group.generation_id, self.partition_for(group.group_id), len(group.members))
        for member in group.members.values():
            if member.awaiting_join is not None:
                member.awaiting_join.send(self._current_result(group, member,
                                                               with_members=group.is_leader(member.member_id)))
                member.awaiting_join = None
                member.is_new = False
                self._schedule_heartbeat(group, member)

    def _update_subscribed_topics(self, group: GroupMetadata) -> None:
        group.subscribed_topics = None
        if not group.is_consumer_group() or group.protocol_name is None:
            return
        topics: set[str] = set()
        try:
            for member, metadata in group.current_member_metadata():
                topics.update(codec.decode_versioned(ConsumerProtocolSubscription, metadata)[1].topics)
        except (codec.DecodeError, ValueError):
            return
        group.subscribed_topics = frozenset(topics)

    def _reset_and_propagate_assignment_error(self, group: GroupMetadata, code: int) -> None:
        for member in group.members.values():
            member.assignment = b""
            if member.awaiting_sync is not None:
                member.awaiting_sync.send(SyncResult(code))
                member.awaiting_sync = None
                self._schedule_heartbeat(group, member)

    def _spawn_store(self, group: GroupMetadata, assignment: dict[str, bytes]) -> None:
        async def store() -> None:
            code = await self.manager.store_group(group, assignment)
            if code:
                log.warning("Failed to write the metadata of group %s: error %d", group.group_id, code)
        assert self._nursery is not None
        self._nursery.start_soon(store)

    # ---- SyncGroup ----

    async def handle_sync_group(self, group_id: str, generation_id: int, member_id: str,
                                group_instance_id: str | None, protocol_type: str | None,
                                protocol_name: str | None, assignments: dict[str, bytes]) -> SyncResult:
        code = self._validate(group_id)
        if code:
            return SyncResult(code)
        group = self.manager.groups.get(group_id)
        if group is None:
            return SyncResult(UnknownMemberId.code)
        if group.is_state(DEAD):
            return SyncResult(CoordinatorNotAvailable.code)
        if group.is_static_member_fenced(member_id, group_instance_id):
            return SyncResult(FencedInstanceId.code)
        if not group.has(member_id):
            return SyncResult(UnknownMemberId.code)
        if generation_id != group.generation_id:
            return SyncResult(IllegalGeneration.code)
        if (protocol_type is not None and protocol_type != group.protocol_type) or \
                (protocol_name is not None and protocol_name != group.protocol_name):
            return SyncResult(InconsistentGroupProtocol.code)
        if group.is_state(EMPTY):
            return SyncResult(UnknownMemberId.code)
        if group.is_state(PREPARING):
            return SyncResult(RebalanceInProgress.code)
        member = group.get(member_id)
        self._schedule_heartbeat(group, member)
        if group.is_state(STABLE):
            return SyncResult(0, group.protocol_type, group.protocol_name, member.assignment)
        if member.awaiting_sync is not None:
            # A repeated SyncGroup replaces the parked one (its client gave up on it).
            member.awaiting_sync.send(SyncResult(RebalanceInProgress.code))
        member.awaiting_sync = reply = Reply()
        if group.is_leader(member_id):
            # The write runs on its own, like Kafka's storeGroup callback: if the group rebalances
            # meanwhile, every parked SyncGroup (the leader's too) is answered at once.
            assert self._nursery is not None
            self._nursery.start_soon(self._store_assignment, group,
                                     {mid: bytes(assignments.get(mid, b"")) for mid in group.members})
        return await reply.wait()

    async def _store_assignment(self, group: GroupMetadata, assignment: dict[str, bytes]) -> None:
        generation = group.generation_id
        code = await self.manager.store_group(group, assignment)
        if not (group.is_state(COMPLETING) and group.generation_id == generation
                and self.manager.groups.get(group.group_id) is group):
            return
        if code:
            self._reset_and_propagate_assignment_error(group, code)
            self._maybe_prepare_rebalance(group, f"Error {code} when storing group assignment during SyncGroup")
        else:
            self._set_and_propagate_assignment(group, assignment)
            group.transition_to(STABLE)

    def _set_and_propagate_assignment(self, group: GroupMetadata, assignment: dict[str, bytes]) -> None:
        for member in group.members.values():
            member.assignment = assignment.get(member.member_id, b"")
            if member.awaiting_sync is not None:
                member.awaiting_sync.send(SyncResult(0, group.protocol_type, group.protocol_name, member.assignment))
                member.awaiting_sync = None
                self._schedule_heartbeat(group, member)

    # ---- Heartbeat and sessions ----

    def handle_heartbeat(self, group_id: str, member_id: str, group_instance_id: str | None,
                         generation_id: int) -> int:
        code = self._validate(group_id)
        if code:
            return code
        group = self.manager.groups.get(group_id)
        if group is None:
            return UnknownMemberId.code
        if group.is_state(DEAD):
            return CoordinatorNotAvailable.code
        if group.is_state(EMPTY):
            return UnknownMemberId.code
        if group.is_static_member_fenced(member_id, group_instance_id):
            return FencedInstanceId.code
        if not group.has(member_id):
            return UnknownMemberId.code
        if generation_id != group.generation_id:
            return IllegalGeneration.code
        self._schedule_heartbeat(group, group.get(member_id))
        return RebalanceInProgress.code if group.is_state(PREPARING) else 0

    def _schedule_heartbeat(self, group: GroupMetadata, member: MemberMetadata, timeout_ms: int | None = None) -> None:
        timeout = member.session_timeout_ms if timeout_ms is None else timeout_ms
        member.heartbeat_deadline = trio.current_time() + timeout / 1000
        member_id = member.member_id
        self.timers.schedule(("heartbeat", group.group_id, member_id), member.heartbeat_deadline,
                             lambda: self._on_heartbeat_expired(group, member_id))

    def _on_heartbeat_expired(self, group: GroupMetadata, member_id: str) -> None:
        member = group.members.get(member_id)
        if member is None or self.manager.groups.get(group.group_id) is not group:
            return
        if not member.is_new and (member.is_awaiting_join or member.is_awaiting_sync):
            self._schedule_heartbeat(group, member)  # a parked request counts as alive
            return
        log.info("Member %s in group %s has failed, removing it from the group", member_id, group.group_id)
        self._remove_member_and_update_group(group, member, f"removing member {member_id} on heartbeat expiration")

    def _on_pending_expired(self, group: GroupMetadata, member_id: str) -> None:
        group.pending_members.discard(member_id)
        self._try_complete_join(group)

    def _remove_member(self, group: GroupMetadata, member: MemberMetadata) -> None:
        self._answer_pending(member, UnknownMemberId.code)
        self.timers.cancel(("heartbeat", group.group_id, member.member_id))
        group.remove(member.member_id)

    def _remove_member_and_update_group(self, group: GroupMetadata, member: MemberMetadata, reason: str) -> None:
        self._remove_member(group, member)
        if group.is_state(PREPARING):
            self._try_complete_join(group)
        elif group.is_state(STABLE) or group.is_state(COMPLETING):
            self._prepare_rebalance(group, reason)

    @staticmethod
    def _answer_pending(member: MemberMetadata, code: int) -> None:
        if member.awaiting_join is not None:
            member.awaiting_join.send(JoinResult(member.member_id, code))
            member.awaiting_join = None
        if member.awaiting_sync is not None:
            member.awaiting_sync.send(SyncResult(code))
            member.awaiting_sync = None

    # ---- LeaveGroup ----

    def handle_leave_group(self, group_id: str, members: list[tuple[str, str | None]]) -> tuple[int, list[int]]:
        """(top-level error, one error per leaving member)."""
        code = self._validate(group_id)
        if code:
            return code, []
        group = self.manager.groups.get(group_id)
        if group is None:
            return 0, [UnknownMemberId.code] * len(members)
        if group.is_state(DEAD):
            return CoordinatorNotAvailable.code, []
        results = []
        for member_id, instance_id in members:
            if instance_id is not None:
                current = group.static_member_id(instance_id)
                if current is None:
                    results.append(UnknownMemberId.code)
                elif member_id and member_id != current:
                    results.append(FencedInstanceId.code)
                else:
                    self._remove_member_and_update_group(group, group.get(current), f"static member {instance_id} left")
                    results.append(0)
            elif member_id in group.pending_members:
                self.timers.cancel(("pending", group_id, member_id))
                self._on_pending_expired(group, member_id)
                results.append(0)
            elif not group.has(member_id):
                results.append(UnknownMemberId.code)
            else:
                self._remove_member_and_update_group(group, group.get(member_id),
                                                     f"removing member {member_id} on LeaveGroup")
                results.append(0)
        return 0, results
