"""GroupMetadata: the state table (every (state, target) pair), members, protocol choice."""

from __future__ import annotations

import itertools

import pytest

from kafka_clone.coordinator.group.group_metadata import (
    VALID_PREVIOUS_STATES, GroupMetadata, GroupState, IllegalGroupStateTransition,
)
from kafka_clone.coordinator.group.member_metadata import MemberMetadata, Reply

E, PR, CR, S, D = (GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
                   GroupState.STABLE, GroupState.DEAD)

# The table as GroupMetadata.scala documents it, written out independently of the code's table.
ALLOWED = {
    (E, PR), (E, D),
    (PR, CR), (PR, E), (PR, D),
    (CR, S), (CR, PR), (CR, D),
    (S, PR), (S, D),
    (D, D),
}


@pytest.mark.parametrize("source,target", list(itertools.product(GroupState, GroupState)))
def test_every_transition_follows_the_table_or_leaves_the_state_unchanged(source, target):
    group = GroupMetadata("g", source)
    if (source, target) in ALLOWED:
        group.transition_to(target)
        assert group.state is target
    else:
        with pytest.raises(IllegalGroupStateTransition):
            group.transition_to(target)
        assert group.state is source


def test_table_and_can_rebalance():
    assert {(s, t) for t, prev in VALID_PREVIOUS_STATES.items() for s in prev} == ALLOWED
    assert [s for s in GroupState if GroupMetadata("g", s).can_rebalance()] == [E, CR, S]


def member(mid: str, protocols=(("range", b"r"), ("roundrobin", b"rr")), instance=None) -> MemberMetadata:
    return MemberMetadata(mid, instance, "client", "/127.0.0.1", 300000, 10000, "consumer", protocols)


def test_first_member_leads_and_leadership_moves_on_removal():
    group = GroupMetadata("g")
    group.add(member("a"))
    group.add(member("b"))
    assert group.leader_id == "a" and group.protocol_type == "consumer"
    group.remove("a")
    assert group.leader_id == "b"
    group.remove("b")
    assert group.leader_id is None


def test_protocol_vote_and_support():
    group = GroupMetadata("g")
    group.add(member("a", (("roundrobin", b""), ("range", b""))))
    group.add(member("b", (("range", b""), ("roundrobin", b""))))
    group.add(member("c", (("range", b""),)))
    assert group.candidate_protocols() == {"range"}
    assert group.select_protocol() == "range"
    assert group.supports_protocols("consumer", {"range", "sticky"})
    assert not group.supports_protocols("consumer", {"sticky"})
    assert not group.supports_protocols("connect", {"range"})
    assert not GroupMetadata("x").supports_protocols("", {"range"})


def test_static_members_and_fencing():
    group = GroupMetadata("g")
    group.add(member("i1-old", instance="i1"))
    assert not group.is_static_member_fenced("i1-old", "i1")
    group.replace_static_member("i1", "i1-old", "i1-new")
    assert group.is_static_member_fenced("i1-old", "i1")
    assert list(group.members) == ["i1-new"] and group.leader_id == "i1-new"


def test_all_joined_needs_every_member_and_no_pending():
    group = GroupMetadata("g")
    a, b = member("a"), member("b")
    group.add(a)
    group.add(b)
    a.awaiting_join = Reply()
    assert not group.has_all_members_joined()
    b.awaiting_join = Reply()
    assert group.has_all_members_joined()
    group.pending_members.add("c")
    assert not group.has_all_members_joined()


def test_summary_hides_metadata_unless_stable():
    group = GroupMetadata("g")
    group.add(member("a"))
    group.transition_to(PR)
    group.init_next_generation()
    assert group.state is CR and group.generation_id == 1 and group.protocol_name == "range"
    assert group.summary().members[0].metadata == b"" and group.summary().protocol == ""
    group.transition_to(S)
    assert group.summary().members[0].metadata == b"r" and group.summary().protocol == "range"


@pytest.mark.parametrize("state", list(GroupState))
def test_room_for_a_joining_member_by_state(state):
    """KIP-389's ``acceptJoiningMember`` for a group of three members (a rejoined) and a limit of 2."""
    group = GroupMetadata("g")
    for mid in ("a", "b", "c"):
        group.add(member(mid))
    group.state = state
    group.get("a").awaiting_join = Reply()
    room = {mid: group.has_room_for(mid, 2) for mid in ("a", "b", "", "pending-id")}
    if state in (E, D):
        assert all(room.values())
    elif state is PR:
        # Only one member rejoined so far: room for one more, new or old; a stays either way.
        assert all(room.values())
        group.get("b").awaiting_join = Reply()
        assert {mid: group.has_room_for(mid, 2) for mid in ("a", "b", "c", "")} == {
            "a": True, "b": True, "c": False, "": False}
    else:
        # Members may always rejoin; a new one only below the limit, counting every member.
        assert room == {"a": True, "b": True, "": False, "pending-id": False}
        group.remove("c")
        group.remove("b")
        assert group.has_room_for("", 2)
