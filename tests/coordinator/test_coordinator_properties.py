"""Random sequences of member actions against the coordinator (Hypothesis, derandomized).

Members join, rejoin, sync, heartbeat, commit, leave or fall silent while time passes (MockClock);
after every step the group must satisfy the coordinator's invariants, and no step may raise (an
invalid state transition would). The requests run as tasks, like concurrent connections.
"""

from __future__ import annotations

import uuid

import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME as OFFSETS
from kafka_clone.coordinator.group.group_coordinator import GroupCoordinator
from kafka_clone.coordinator.group.group_metadata import VALID_PREVIOUS_STATES, GroupState, OffsetAndMetadata
from kafka_clone.coordinator.group.group_metadata_manager import GroupMetadataManager

from .fakes import FakeReplicaManager

ACTIONS = st.lists(st.tuples(
    st.sampled_from(["join", "rejoin", "sync", "heartbeat", "commit", "leave", "wait"]),
    st.integers(min_value=0, max_value=3)), min_size=1, max_size=25)


def check_invariants(c: GroupCoordinator, seen_generations: list[int]) -> None:
    group = c.manager.groups.get("g")
    if group is None:
        return
    assert group.state in VALID_PREVIOUS_STATES
    assert not seen_generations or group.generation_id >= seen_generations[-1]
    seen_generations.append(group.generation_id)
    if group.members:
        assert group.leader_id in group.members
    else:
        assert group.state in (GroupState.EMPTY, GroupState.PREPARING_REBALANCE, GroupState.DEAD)
    for member in group.members.values():
        if member.awaiting_join is not None:
            assert group.state is GroupState.PREPARING_REBALANCE
        if member.awaiting_sync is not None:
            assert group.state is GroupState.COMPLETING_REBALANCE
    for instance, member_id in group.static_members.items():
        assert group.members[member_id].group_instance_id == instance
    if group.state in (GroupState.COMPLETING_REBALANCE, GroupState.STABLE):
        assert group.protocol_name is not None


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fresh log dir per example
@given(actions=ACTIONS)
async def test_random_member_actions_keep_the_group_consistent(actions, tmp_path, autojump_clock):
    rm = FakeReplicaManager(tmp_path / uuid.uuid4().hex)
    c = GroupCoordinator(GroupMetadataManager(1, rm, num_partitions=1), rm, initial_rebalance_delay_ms=500)
    ids: dict[int, str] = {}
    generations: dict[int, int] = {}
    seen: list[int] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(c.run)
        rm.lead(OFFSETS, 0, 0)
        await trio.testing.wait_all_tasks_blocked()

        async def join(slot: int, member_id: str) -> None:
            result = await c.handle_join_group(
                "g", member_id, "static" if slot == 3 else None, slot != 3, f"c{slot}", "/h", 6000, 6000,
                "consumer", (("range", b"m"),))
            if result.error_code == 79:
                ids[slot] = result.member_id
                result = await c.handle_join_group("g", result.member_id, None, True, f"c{slot}", "/h", 6000, 6000,
                                                   "consumer", (("range", b"m"),))
            if result.error_code == 0:
                ids[slot], generations[slot] = result.member_id, result.generation_id
                if result.leader_id == result.member_id:
                    await trio.sleep(1)  # the leader's assignor at work: CompletingRebalance meanwhile
                await sync(slot)

        async def sync(slot: int) -> None:
            result = await c.handle_sync_group("g", generations.get(slot, -1), ids.get(slot, ""),
                                               "static" if slot == 3 else None, None, None,
                                               {m: b"a" for m in ids.values()})
            assert result.error_code in (0, 22, 25, 27, 82), result

        for action, slot in actions:
            if action == "join":
                nursery.start_soon(join, slot, "")
            elif action == "rejoin" and slot in ids:
                nursery.start_soon(join, slot, ids[slot])
            elif action == "sync":
                nursery.start_soon(sync, slot)
            elif action == "heartbeat":
                assert c.handle_heartbeat("g", ids.get(slot, "x"), "static" if slot == 3 else None,
                                          generations.get(slot, -1)) in (0, 22, 25, 27, 82)
            elif action == "commit":
                nursery.start_soon(c.handle_commit_offsets, "g", ids.get(slot, ""), None, generations.get(slot, -1),
                                   {("t", slot): OffsetAndMetadata(slot, -1, "", 0)})
            elif action == "leave":
                c.handle_leave_group("g", [(ids.get(slot, ""), "static" if slot == 3 else None)])
            else:
                await trio.sleep(2 + slot * 2)
            await trio.testing.wait_all_tasks_blocked()
            check_invariants(c, seen)
        # Everyone falls silent: sessions expire and the group ends Empty.
        await trio.sleep(400)
        await trio.testing.wait_all_tasks_blocked()
        check_invariants(c, seen)
        group = c.manager.groups.get("g")
        assert group is None or (group.state is GroupState.EMPTY and not group.members)
        nursery.cancel_scope.cancel()
