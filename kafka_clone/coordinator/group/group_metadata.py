"""A consumer group and its state machine: Kafka 2.8's ``coordinator/group/GroupMetadata.scala``.

States (what each does, and where it may go):

``Empty`` -- the group has no members, but may have committed offsets.
    action: respond to JoinGroup normally; to SyncGroup/Heartbeat with UNKNOWN_MEMBER_ID;
            commit offsets from non-group members (generation -1);
    transition: a member joins -> PreparingRebalance; all offsets expire or the group is deleted
            or its partition emigrates -> Dead.

``PreparingRebalance`` -- waiting for the members to (re)join.
    action: park JoinGroup; Heartbeat and SyncGroup get REBALANCE_IN_PROGRESS; offset commits
            of the previous generation are still accepted;
    transition: every known member joined (or the rebalance timeout passed) -> CompletingRebalance;
            no member left -> Empty; partition emigration -> Dead.

``CompletingRebalance`` -- joined; waiting for the leader's assignment (was ``AwaitingSync``).
    action: park followers' SyncGroup; answer the leader's SyncGroup with its assignment;
            heartbeats reset the member's timer; commits get REBALANCE_IN_PROGRESS;
    transition: the leader's SyncGroup -> Stable; a member joins with new metadata, leaves or
            expires -> PreparingRebalance; partition emigration -> Dead.

``Stable`` -- every member has its assignment.
    action: answer SyncGroup with the member's assignment; heartbeats; commits of the generation;
    transition: a member leaves or expires, a new member joins, the leader rejoins, a member
            rejoins with new metadata -> PreparingRebalance; partition emigration -> Dead.

``Dead`` -- no members and no offsets; the group is about to vanish from the coordinator.
    action: answer every request with COORDINATOR_NOT_AVAILABLE (the group moved) ;
    transition: none (Dead -> Dead is allowed, as in Kafka).

``transition_to`` refuses any pair not in ``VALID_PREVIOUS_STATES`` and leaves the state unchanged.
Owned by the coordinator in the trio thread: no locks.
"""

from __future__ import annotations

import enum
import time

import attrs

from kafka_clone.coordinator.group.member_metadata import MemberMetadata, MemberSummary


class GroupState(enum.Enum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"

    def __str__(self) -> str:
        return self.value


E, PR, CR, S, D = (GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
                   GroupState.STABLE, GroupState.DEAD)

#: target state -> the states it may be entered from (Kafka's ``validPreviousStates``).
VALID_PREVIOUS_STATES: dict[GroupState, frozenset[GroupState]] = {
    D: frozenset({S, PR, CR, E, D}),
    CR: frozenset({PR}),
    S: frozenset({CR}),
    PR: frozenset({S, CR, E}),
    E: frozenset({PR}),
}


class IllegalGroupStateTransition(RuntimeError):
    """A coordinator bug: the transition is not in the table (Kafka asserts the same)."""


@attrs.frozen
class OffsetAndMetadata:
    """A committed offset (Kafka's ``OffsetAndMetadata``); timestamps are wall-clock ms."""

    offset: int
    leader_epoch: int
    metadata: str
    commit_timestamp: int
    #: Only for commits that asked for an explicit retention (OffsetCommit v2-4), else None.
    expire_timestamp: int | None = None


@attrs.frozen
class GroupSummary:
    state: str
    protocol_type: str
    protocol: str
    members: tuple[MemberSummary, ...]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@attrs.define(eq=False)
class GroupMetadata:
    group_id: str
    state: GroupState = GroupState.EMPTY
    #: Wall-clock ms of the last state change (KIP-211: offsets of an Empty group expire from it).
    current_state_timestamp: int | None = attrs.Factory(wall_clock_ms)
    protocol_type: str | None = None
    protocol_name: str | None = None
    generation_id: int = 0
    leader_id: str | None = None
    #: member id -> member, in join order (the first is the default leader).
    members: dict[str, MemberMetadata] = attrs.Factory(dict)
    #: KIP-345: group.instance.id -> current member id.
    static_members: dict[str, str] = attrs.Factory(dict)
    #: KIP-394: ids handed out with MEMBER_ID_REQUIRED, not yet joined.
    pending_members: set[str] = attrs.Factory(set)
    offsets: dict[tuple[str, int], OffsetAndMetadata] = attrs.Factory(dict)
    #: A member joined during the initial delayed join (``InitialDelayedJoin`` extends its wait).
    new_member_added: bool = False
    #: The consumer-protocol topics the members subscribe to, when known (decoded by the coordinator).
    subscribed_topics: frozenset[str] | None = None

    # ---- the state machine ----

    def is_state(self, state: GroupState) -> bool:
        return self.state is state

    def can_transition_to(self, target: GroupState) -> bool:
        return self.state in VALID_PREVIOUS_STATES[target]

    def transition_to(self, target: GroupState) -> None:
        if not self.can_transition_to(target):
            raise IllegalGroupStateTransition(
                f"Group {self.group_id} should be in one of {sorted(s.value for s in VALID_PREVIOUS_STATES[target])} "
                f"before moving to {target}, but is {self.state}")
        self.state = target
        self.current_state_timestamp = wall_clock_ms()

    def can_rebalance(self) -> bool:
        return PR in _NEXT[self.state]

    # ---- members ----

    def has(self, member_id: str) -> bool:
        return member_id in self.members

    def get(self, member_id: str) -> MemberMetadata:
        return self.members[member_id]

    def is_leader(self, member_id: str) -> bool:
        return self.leader_id == member_id

    def add(self, member: MemberMetadata) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        assert self.protocol_type == member.protocol_type, "the coordinator checks protocol types first"
        assert self.supports_protocols(member.protocol_type, member.protocols())
        if self.leader_id is None:
            self.leader_id = member.member_id
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        self.pending_members.discard(member.member_id)

    def remove(self, member_id: str) -> MemberMetadata | None:
        member = self.members.pop(member_id, None)
        if member is not None and member.group_instance_id is not None:
            if self.static_members.get(member.group_instance_id) == member_id:
                del self.static_members[member.group_instance_id]
        self.pending_members.discard(member_id)
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        return member

    def replace_static_member(self, instance_id: str, old_id: str, new_id: str) -> MemberMetadata:
        """KIP-345: a known ``group.instance.id`` came back with a new member id."""
        member = self.members[old_id]
        member.member_id = new_id
        self.members = {(new_id if k == old_id else k): m for k, m in self.members.items()}
        self.static_members[instance_id] = new_id
        if self.leader_id == old_id:
            self.leader_id = new_id
        return member

    def static_member_id(self, instance_id: str | None) -> str | None:
        return None if instance_id is None else self.static_members.get(instance_id)

    def is_static_member_fenced(self, member_id: str, instance_id: str | None) -> bool:
        """KIP-345: the instance id is known but now belongs to another member id."""
        current = self.static_member_id(instance_id)
        return current is not None and current != member_id

    def not_yet_rejoined(self) -> list[MemberMetadata]:
        return [m for m in self.members.values() if not m.is_awaiting_join]

    def num_awaiting_join(self) -> int:
        """Members with a parked JoinGroup (Kafka's ``numAwaiting``, for ``group.max.size``)."""
        return sum(1 for m in self.members.values() if m.is_awaiting_join)

    def has_room_for(self, member_id: str, max_size: int) -> bool:
        """``group.max.size`` (KIP-389): may this JoinGroup go on? Kafka 2.8's ``acceptJoiningMember``."""
        if self.state in (E, D):
            return True
        if self.state is PR:
            # The members that rejoined are counted, not the group's size: after a load, or once
            # group.max.size was lowered, the group may hold more members than the limit, and the
            # last ones to rejoin are the ones turned away.
            if self.has(member_id) and self.get(member_id).is_awaiting_join:
                return True
            return self.num_awaiting_join() < max_size
        # CompletingRebalance and Stable: the members that did not rejoin are gone, so the size
        # counts; every member may rejoin.
        return self.has(member_id) or len(self.members) < max_size

    def has_all_members_joined(self) -> bool:
        return all(m.is_awaiting_join for m in self.members.values()) and not self.pending_members

    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    # ---- protocols ----

    def candidate_protocols(self) -> set[str]:
        sets = [m.protocols() for m in self.members.values()]
        return set.intersection(*sets) if sets else set()

    def supports_protocols(self, protocol_type: str, protocols: set[str]) -> bool:
        if not self.members:
            return bool(protocol_type) and bool(protocols)
        return self.protocol_type == protocol_type and bool(self.candidate_protocols() & protocols)

    def select_protocol(self) -> str:
        """Each member votes for its most preferred candidate; the most votes wins (ties: the
        first candidate voted for, in join order -- Kafka's tie order is a hash map's)."""
        candidates = self.candidate_protocols()
        votes: dict[str, int] = {}
        for member in self.members.values():
            choice = member.vote(candidates)
            votes[choice] = votes.get(choice, 0) + 1
        return max(votes, key=lambda name: votes[name])

    def init_next_generation(self) -> None:
        """The join phase is over: a new generation, CompletingRebalance (or Empty)."""
        self.generation_id += 1
        if self.members:
            self.protocol_name = self.select_protocol()
            self.transition_to(CR)
        else:
            self.protocol_name = None
            self.transition_to(E)

    def current_member_metadata(self) -> list[tuple[MemberMetadata, bytes]]:
        """What the leader's JoinGroup response lists: every member's metadata for the protocol."""
        assert self.protocol_name is not None
        return [(m, m.metadata(self.protocol_name)) for m in self.members.values()]

    def summary(self) -> GroupSummary:
        if self.is_state(S):
            return GroupSummary(str(self.state), self.protocol_type or "", self.protocol_name or "",
                                tuple(m.summary(self.protocol_name) for m in self.members.values()))
        return GroupSummary(str(self.state), self.protocol_type or "", "",
                            tuple(m.summary(None) for m in self.members.values()))

    # ---- offsets ----

    def has_offsets(self) -> bool:
        return bool(self.offsets)

    def is_consumer_group(self) -> bool:
        return self.protocol_type == "consumer"


#: state -> the states reachable from it (derived from the table, for ``can_rebalance``).
_NEXT: dict[GroupState, frozenset[GroupState]] = {
    s: frozenset(t for t, prev in VALID_PREVIOUS_STATES.items() if s in prev) for s in GroupState
}
