"""GroupCoordinator against a fake ReplicaManager with real logs; MockClock drives every timeout."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME as OFFSETS
from kafka_clone.coordinator.group.group_coordinator import GroupCoordinator, JoinResult
from kafka_clone.coordinator.group.group_metadata import GroupState, OffsetAndMetadata, wall_clock_ms
from kafka_clone.coordinator.group.group_metadata_manager import GroupMetadataManager
from kafka_clone.protocol import codec
from kafka_clone.protocol import errors as e
from kafka_clone.protocol.messages.consumer_protocol import ConsumerProtocolSubscription

from .fakes import FakeReplicaManager

SESSION_MS = 10_000
REBALANCE_MS = 30_000


def subscription(*topics: str) -> bytes:
    return codec.encode_versioned(ConsumerProtocolSubscription(topics=topics), 0)


PROTOCOLS = (("range", subscription("t")), ("roundrobin", subscription("t")))


@pytest.fixture
async def setup(nursery, tmp_path, autojump_clock):
    rm = FakeReplicaManager(tmp_path)
    coordinator = GroupCoordinator(GroupMetadataManager(1, rm, num_partitions=1), rm, initial_rebalance_delay_ms=3000)
    await nursery.start(coordinator.run)
    rm.lead(OFFSETS, 0, 0)
    await trio.testing.wait_all_tasks_blocked()
    assert coordinator.manager.owned_partitions == {0}
    return coordinator, rm, nursery


async def join(c: GroupCoordinator, member_id: str = "", *, group: str = "g", instance: str | None = None,
               require_known: bool = True, protocols=PROTOCOLS, session_ms: int = SESSION_MS) -> JoinResult:
    return await c.handle_join_group(group, member_id, instance, require_known and instance is None, "client",
                                     "/127.0.0.1", REBALANCE_MS, session_ms, "consumer", protocols)


async def join_new(c: GroupCoordinator, **kw) -> JoinResult:
    """KIP-394: the first JoinGroup gets MEMBER_ID_REQUIRED and the id to come back with."""
    first = await join(c, **kw)
    assert first.error_code == e.MemberIdRequired.code and first.member_id.startswith("client-")
    return await join(c, first.member_id, **kw)


async def in_background(nursery, fn, *args, **kw) -> dict:
    box: dict = {}

    async def run():
        box["result"] = await fn(*args, **kw)
    nursery.start_soon(run)
    await trio.testing.wait_all_tasks_blocked()
    return box


async def test_first_member_joins_after_the_initial_delay_and_syncs(setup, autojump_clock):
    c, rm, _ = setup
    start = trio.current_time()
    result = await join_new(c)
    # InitialDelayedJoin: group.initial.rebalance.delay.ms before the first generation.
    assert trio.current_time() - start >= 3.0
    assert (result.error_code, result.generation_id, result.protocol_name) == (0, 1, "range")
    assert result.leader_id == result.member_id and [m[0] for m in result.members] == [result.member_id]
    sync = await c.handle_sync_group("g", 1, result.member_id, None, "consumer", "range", {result.member_id: b"A"})
    assert (sync.error_code, sync.assignment) == (0, b"A")
    assert c.manager.groups["g"].state is GroupState.STABLE
    assert c.handle_heartbeat("g", result.member_id, None, 1) == 0
    assert c.handle_heartbeat("g", result.member_id, None, 0) == e.IllegalGeneration.code
    assert c.handle_heartbeat("g", "nobody", None, 1) == e.UnknownMemberId.code


async def test_a_second_member_triggers_a_rebalance_and_both_get_assignments(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {a.member_id: b"all"})
    first = await join(c)
    b_box = await in_background(nursery, join, c, first.member_id)
    group = c.manager.groups["g"]
    assert group.state is GroupState.PREPARING_REBALANCE
    assert c.handle_heartbeat("g", a.member_id, None, 1) == e.RebalanceInProgress.code
    a2 = await join(c, a.member_id)  # a rejoins: everyone is in, the join completes at once
    await trio.testing.wait_all_tasks_blocked()
    b = b_box["result"]
    assert a2.generation_id == b.generation_id == 2 and a2.leader_id == a.member_id == b.leader_id
    assert len(a2.members) == 2 and b.members == ()
    follower = await in_background(nursery, c.handle_sync_group, "g", 2, b.member_id, None, None, None, {})
    assert "result" not in follower  # parked until the leader's assignment
    leader = await c.handle_sync_group("g", 2, a.member_id, None, None, None,
                                       {a.member_id: b"p0-2", b.member_id: b"p3-5"})
    await trio.testing.wait_all_tasks_blocked()
    assert leader.assignment == b"p0-2" and follower["result"].assignment == b"p3-5"


async def test_a_silent_member_expires_after_its_session_timeout(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    first = await join(c)
    b_box = await in_background(nursery, join, c, first.member_id)
    await join(c, a.member_id)
    await trio.testing.wait_all_tasks_blocked()
    b = b_box["result"]
    await c.handle_sync_group("g", 2, a.member_id, None, None, None, {})
    await c.handle_sync_group("g", 2, b.member_id, None, None, None, {})
    # Only a heartbeats; b goes silent.
    for _ in range(4):
        await trio.sleep(SESSION_MS / 1000 / 3)
        code = c.handle_heartbeat("g", a.member_id, None, c.manager.groups["g"].generation_id)
    assert code == e.RebalanceInProgress.code
    assert list(c.manager.groups["g"].members) == [a.member_id]
    a3 = await join(c, a.member_id)
    assert a3.generation_id == 3 and [m[0] for m in a3.members] == [a.member_id]


async def test_leave_empties_the_group_and_a_pending_member_expires(setup, autojump_clock):
    c, rm, _ = setup
    a = await join_new(c)
    assert c.handle_leave_group("g", [(a.member_id, None), ("ghost", None)]) == (0, [0, e.UnknownMemberId.code])
    await trio.testing.wait_all_tasks_blocked()
    group = c.manager.groups["g"]
    assert group.state is GroupState.EMPTY and group.generation_id == 2
    pending = await join(c)
    assert group.pending_members == {pending.member_id}
    await trio.sleep(SESSION_MS / 1000 + 1)
    assert group.pending_members == set()
    assert (await join(c, pending.member_id)).error_code == e.UnknownMemberId.code


async def test_static_member_rejoins_without_a_rebalance_and_fences_the_old_id(setup, autojump_clock):
    c, rm, _ = setup
    a = await join(c, instance="i-1")
    assert a.error_code == 0 and a.member_id.startswith("i-1-")
    await c.handle_sync_group("g", 1, a.member_id, "i-1", None, None, {a.member_id: b"mine"})
    again = await join(c, instance="i-1")
    assert again.error_code == 0 and again.member_id != a.member_id and again.generation_id == 1
    assert again.leader_id == a.member_id and again.members == ()  # the old leader id: no new assignment
    group = c.manager.groups["g"]
    assert group.state is GroupState.STABLE
    sync = await c.handle_sync_group("g", 1, again.member_id, "i-1", None, None, {})
    assert sync.assignment == b"mine"
    assert c.handle_heartbeat("g", a.member_id, "i-1", 1) == e.FencedInstanceId.code
    assert c.handle_leave_group("g", [(a.member_id, "i-1")]) == (0, [e.FencedInstanceId.code])


async def test_offset_commits_check_the_generation_and_survive_a_coordinator_move(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {a.member_id: b"x"})
    now = wall_clock_ms()
    offsets = {("t", 0): OffsetAndMetadata(42, 3, "meta", now), ("t", 1): OffsetAndMetadata(7, -1, "", now)}
    assert await c.handle_commit_offsets("g", a.member_id, None, 1, offsets) == {("t", 0): 0, ("t", 1): 0}
    assert await c.handle_commit_offsets("g", a.member_id, None, 9, offsets) == {
        ("t", 0): e.IllegalGeneration.code, ("t", 1): e.IllegalGeneration.code}
    assert await c.handle_commit_offsets("g", "x", None, 1, offsets) == {
        ("t", 0): e.UnknownMemberId.code, ("t", 1): e.UnknownMemberId.code}
    assert await c.handle_commit_offsets("other", "", None, -1, offsets) == {("t", 0): 0, ("t", 1): 0}
    too_big = {("t", 2): OffsetAndMetadata(1, -1, "m" * 5000, now)}
    assert await c.handle_commit_offsets("other", "", None, -1, too_big) == {
        ("t", 2): e.OffsetMetadataTooLarge.code}
    code, found = c.handle_fetch_offsets("g", [("t", 0), ("t", 9)])
    assert code == 0 and found[("t", 0)].offset == 42 and found[("t", 0)].leader_epoch == 3 and found[("t", 9)] is None

    rm.follow(OFFSETS, 0, 1)  # the partition moves away: groups unloaded
    assert c.handle_fetch_offsets("g", None)[0] == e.NotCoordinator.code
    assert c.handle_heartbeat("g", a.member_id, None, 1) == e.NotCoordinator.code
    rm.lead(OFFSETS, 0, 2)  # ... and comes back: everything is read from the log
    await trio.testing.wait_all_tasks_blocked()
    code, found = c.handle_fetch_offsets("g", None)
    assert code == 0 and {tp: o.offset for tp, o in found.items()} == {("t", 0): 42, ("t", 1): 7}
    group = c.manager.groups["g"]
    assert group.state is GroupState.STABLE and list(group.members) == [a.member_id] and group.generation_id == 1
    assert group.get(a.member_id).assignment == b"x"
    assert c.handle_heartbeat("g", a.member_id, None, 1) == 0
    assert c.handle_fetch_offsets("other", None)[1][("t", 0)].offset == 42


async def test_requests_while_loading_and_for_other_partitions(nursery, tmp_path, autojump_clock):
    rm = FakeReplicaManager(tmp_path)
    c = GroupCoordinator(GroupMetadataManager(1, rm, num_partitions=2), rm, initial_rebalance_delay_ms=0)
    await nursery.start(c.run)
    group_in_0 = next(g for g in (f"g{i}" for i in range(100)) if c.partition_for(g) == 0)
    group_in_1 = next(g for g in (f"g{i}" for i in range(100)) if c.partition_for(g) == 1)
    assert c.manager.schedule_load(0, 0)  # as on LeaderAndIsr, before the load task ran
    assert c.handle_heartbeat(group_in_0, "m", None, 1) == e.CoordinatorLoadInProgress.code
    assert c.handle_heartbeat(group_in_1, "m", None, 1) == e.NotCoordinator.code
    assert c.handle_heartbeat("", "m", None, 1) == e.InvalidGroupId.code
    assert (await join(c, group=group_in_1)).error_code == e.NotCoordinator.code


async def test_join_errors(setup, autojump_clock):
    c, rm, _ = setup
    assert (await join(c, session_ms=1000)).error_code == e.InvalidSessionTimeout.code
    assert (await join(c, "unknown-id")).error_code == e.UnknownMemberId.code
    assert (await join(c, protocols=())).error_code == e.InconsistentGroupProtocol.code
    await join_new(c)
    assert (await join(c, protocols=(("sticky", b""),))).error_code == e.InconsistentGroupProtocol.code


async def test_sync_errors_and_failed_assignment_write(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    assert (await c.handle_sync_group("g", 2, a.member_id, None, None, None, {})).error_code == \
        e.IllegalGeneration.code
    assert (await c.handle_sync_group("g", 1, a.member_id, None, "consumer", "roundrobin", {})).error_code == \
        e.InconsistentGroupProtocol.code
    rm.replication_error = e.RequestTimedOut.code
    result = await c.handle_sync_group("g", 1, a.member_id, None, None, None, {a.member_id: b"x"})
    assert result.error_code == e.CoordinatorNotAvailable.code
    assert c.manager.groups["g"].state is GroupState.PREPARING_REBALANCE


async def test_delete_groups_and_offsets(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {})
    now = wall_clock_ms()
    await c.handle_commit_offsets("g", a.member_id, None, 1, {("t", 0): OffsetAndMetadata(1, -1, "", now),
                                                              ("u", 0): OffsetAndMetadata(2, -1, "", now)})
    # KIP-496: not the offsets of a topic the live group subscribes to.
    assert await c.handle_delete_offsets("g", [("t", 0), ("u", 0)]) == (
        0, {("t", 0): e.GroupSubscribedToTopic.code, ("u", 0): 0})
    assert await c.handle_delete_groups(["g", "nope"]) == {"g": e.NonEmptyGroup.code, "nope": e.GroupIdNotFound.code}
    c.handle_leave_group("g", [(a.member_id, None)])
    await trio.testing.wait_all_tasks_blocked()
    assert await c.handle_delete_groups(["g"]) == {"g": 0}
    assert "g" not in c.manager.groups
    rm.follow(OFFSETS, 0, 1)
    rm.lead(OFFSETS, 0, 2)
    await trio.testing.wait_all_tasks_blocked()
    assert "g" not in c.manager.groups  # the tombstones are in the log


async def test_offsets_of_an_empty_group_expire_and_the_group_dies(setup, autojump_clock):
    c, rm, _ = setup
    await c.handle_commit_offsets("simple", "", None, -1, {("t", 0): OffsetAndMetadata(5, -1, "", wall_clock_ms())})
    group = c.manager.groups["simple"]
    assert c.manager.expired_offsets(group, wall_clock_ms()) == []
    assert c.manager.expired_offsets(group, wall_clock_ms() + c.manager.retention_ms + 1000) == [("t", 0)]
    c.manager.retention_ms = 0
    assert await c.expire_offsets() == 1
    assert "simple" not in c.manager.groups and group.state is GroupState.DEAD
    assert c.handle_list_groups() == (0, [])


async def test_a_new_epoch_of_our_own_leadership_keeps_the_loaded_groups(setup, autojump_clock):
    c, rm, _ = setup
    a = await join_new(c)
    group = c.manager.groups["g"]
    rm.lead(OFFSETS, 0, 5)  # e.g. the controller shrank the ISR: same leader, new epoch
    await trio.testing.wait_all_tasks_blocked()
    assert c.manager.groups["g"] is group and c.manager.owned_partitions == {0}
    assert c.handle_heartbeat("g", a.member_id, None, 1) == 0


async def test_offsets_expire_from_the_empty_time_or_the_commit(setup, autojump_clock):
    c, rm, _ = setup
    m = c.manager
    day = 24 * 3600 * 1000
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {})
    now = wall_clock_ms()
    old = OffsetAndMetadata(1, -1, "", now - 30 * day)
    await c.handle_commit_offsets("g", a.member_id, None, 1, {("t", 0): old, ("gone", 0): old})
    group = m.groups["g"]
    # Stable consumer group: only topics nobody subscribes to any more expire, from their commit.
    assert m.expired_offsets(group, now) == [("gone", 0)]
    c.handle_leave_group("g", [(a.member_id, None)])
    await trio.testing.wait_all_tasks_blocked()
    # Empty: everything expires retention after the group became Empty (KIP-211), not before.
    assert m.expired_offsets(group, now) == []
    assert set(m.expired_offsets(group, group.current_state_timestamp + m.retention_ms)) == {("t", 0), ("gone", 0)}
    # Explicit retention (OffsetCommit v2-4): the expire timestamp wins.
    await c.handle_commit_offsets("simple", "", None, -1, {("t", 0): OffsetAndMetadata(1, -1, "", now, now + 10)})
    assert m.expired_offsets(m.groups["simple"], now + 10) == [("t", 0)]


async def test_a_rebalance_answers_the_leaders_sync_without_waiting_for_the_write(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    rm.replication_gate = trio.Event()  # the assignment write hangs on replication
    leader_sync = await in_background(nursery, c.handle_sync_group, "g", 1, a.member_id, None, None, None,
                                      {a.member_id: b"x"})
    assert "result" not in leader_sync
    newcomer = await join(c)  # MEMBER_ID_REQUIRED: a pending member ...
    await in_background(nursery, join, c, newcomer.member_id)  # ... that joins: a rebalance
    assert leader_sync["result"].error_code == e.RebalanceInProgress.code
    rm.replication_gate.set()
    await trio.testing.wait_all_tasks_blocked()
    assert c.manager.groups["g"].state is GroupState.PREPARING_REBALANCE


async def test_a_partition_stopped_without_a_new_leader_is_unloaded_on_the_next_request(setup, autojump_clock):
    c, rm, _ = setup
    a = await join_new(c)
    rm.partitions[(OFFSETS, 0)].is_leader = False  # as ReplicaManager.stop_replica leaves it
    assert c.handle_heartbeat("g", a.member_id, None, 1) == e.NotCoordinator.code
    assert c.manager.owned_partitions == set() and "g" not in c.manager.groups
