"""``group.max.size`` (KIP-389) in the GroupCoordinator: Kafka 2.8's ``acceptJoiningMember``.

Against the fake ReplicaManager (MockClock drives every timeout): a full Stable group turns new
members away and stays as it is; during a rebalance the members that rejoined are counted, so the
last ones to rejoin are turned away; a group loaded over the limit rebalances down to it. Then,
over the wire, a broker with ``group.max.size=2`` and three of our own group members.
"""

from __future__ import annotations

import pytest
import trio
import trio.testing

from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME as OFFSETS
from kafka_clone.coordinator.group.group_coordinator import GroupCoordinator
from kafka_clone.coordinator.group.group_metadata import GroupState
from kafka_clone.coordinator.group.group_metadata_manager import GroupMetadataManager
from kafka_clone.protocol import errors as e

from .fakes import FakeReplicaManager
from .test_cluster_groups import start_group_broker  # noqa: F401 (fixture)
from .test_group_coordinator import in_background, join, join_new


@pytest.fixture
async def setup(nursery, tmp_path, autojump_clock):
    rm = FakeReplicaManager(tmp_path)
    coordinator = GroupCoordinator(GroupMetadataManager(1, rm, num_partitions=1), rm, initial_rebalance_delay_ms=0,
                                   group_max_size=2)
    await nursery.start(coordinator.run)
    rm.lead(OFFSETS, 0, 0)
    await trio.testing.wait_all_tasks_blocked()
    return coordinator, rm, nursery


async def stable_pair(c: GroupCoordinator, nursery) -> tuple[str, str]:
    """Members a and b in a Stable group "g" (generation 2); their ids."""
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {a.member_id: b"all"})
    first = await join(c)
    b_box = await in_background(nursery, join, c, first.member_id)
    await join(c, a.member_id)
    await trio.testing.wait_all_tasks_blocked()
    b = b_box["result"]
    assert b.error_code == 0 and b.generation_id == 2
    follower = await in_background(nursery, c.handle_sync_group, "g", 2, b.member_id, None, None, None, {})
    await c.handle_sync_group("g", 2, a.member_id, None, None, None, {a.member_id: b"p0", b.member_id: b"p1"})
    await trio.testing.wait_all_tasks_blocked()
    assert follower["result"].assignment == b"p1"
    assert c.manager.groups["g"].state is GroupState.STABLE
    return a.member_id, b.member_id


async def test_a_third_member_is_turned_away_and_the_group_stays_stable(setup, autojump_clock):
    c, rm, nursery = setup
    a, b = await stable_pair(c, nursery)
    appends = rm.appends
    # KIP-394 clients (JoinGroup v4+) are turned away before they get a member id; so are older ones.
    for require_known in (True, False):
        third = await join(c, require_known=require_known)
        assert (third.error_code, third.member_id) == (e.GroupMaxSizeReached.code, "")
    static = await join(c, instance="i-3")
    assert (static.error_code, static.member_id) == (e.GroupMaxSizeReached.code, "")
    group = c.manager.groups["g"]
    assert group.state is GroupState.STABLE and group.generation_id == 2 and list(group.members) == [a, b]
    assert group.pending_members == set() and rm.appends == appends  # nothing written, no rebalance
    assert c.handle_heartbeat("g", a, None, 2) == 0 and c.handle_heartbeat("g", b, None, 2) == 0
    # The members themselves may always rejoin: a follower gets its generation back, the leader's
    # rejoin starts a rebalance, as without a limit.
    again = await join(c, b)
    assert (again.error_code, again.generation_id) == (0, 2)
    leader = await in_background(nursery, join, c, a)
    assert "result" not in leader and group.state is GroupState.PREPARING_REBALANCE


async def test_a_member_leaving_makes_room(setup, autojump_clock):
    c, rm, nursery = setup
    a, b = await stable_pair(c, nursery)
    assert c.handle_leave_group("g", [(b, None)]) == (0, [0])
    pending = await join(c)
    assert pending.error_code == e.MemberIdRequired.code  # room again: the KIP-394 round trip
    box = await in_background(nursery, join, c, pending.member_id)
    await join(c, a)
    await trio.testing.wait_all_tasks_blocked()
    assert box["result"].error_code == 0 and box["result"].generation_id == 3


async def test_during_a_rebalance_the_last_members_to_rejoin_are_turned_away(setup, autojump_clock):
    c, rm, nursery = setup
    a = await join_new(c)
    await c.handle_sync_group("g", 1, a.member_id, None, None, None, {})
    # Two newcomers join while a, the only member, has not rejoined yet: both fit (one rejoined so far).
    first = await join(c)
    b_box = await in_background(nursery, join, c, first.member_id)
    c_box = await in_background(nursery, join, c, require_known=False)
    group = c.manager.groups["g"]
    assert group.state is GroupState.PREPARING_REBALANCE and group.num_awaiting_join() == 2
    # a comes back last: two members are already waiting, so a is turned away and removed; that
    # completes the join with the newcomers.
    late = await join(c, a.member_id)
    assert (late.error_code, late.member_id) == (e.GroupMaxSizeReached.code, "")
    await trio.testing.wait_all_tasks_blocked()
    b, newcomer = b_box["result"], c_box["result"]
    assert b.error_code == newcomer.error_code == 0 and b.generation_id == newcomer.generation_id == 2
    assert a.member_id not in group.members and set(group.members) == {b.member_id, newcomer.member_id}
    assert b.leader_id in group.members and group.state is GroupState.COMPLETING_REBALANCE
    assert c.handle_heartbeat("g", a.member_id, None, 2) == e.UnknownMemberId.code


async def test_a_group_loaded_over_the_limit_rebalances_down_to_it(setup, autojump_clock):
    c, rm, nursery = setup
    c.group_max_size = 3
    a, b = await stable_pair(c, nursery)
    third = await join(c)
    boxes = [await in_background(nursery, join, c, m) for m in (third.member_id, a, b)]
    await trio.testing.wait_all_tasks_blocked()
    m3 = boxes[0]["result"].member_id
    syncs = [await in_background(nursery, c.handle_sync_group, "g", 3, m, None, None, None, {}) for m in (b, m3)]
    await c.handle_sync_group("g", 3, a, None, None, None, {a: b"0", b: b"1", m3: b"2"})
    await trio.testing.wait_all_tasks_blocked()
    assert all(s["result"].error_code == 0 for s in syncs)

    # group.max.size lowered to 2; the partition moves away and back: the group is read from the log.
    c.group_max_size = 2
    rm.follow(OFFSETS, 0, 1)
    rm.lead(OFFSETS, 0, 2)
    await trio.testing.wait_all_tasks_blocked()
    group = c.manager.groups["g"]
    assert len(group.members) == 3 and group.state is GroupState.PREPARING_REBALANCE
    assert c.handle_heartbeat("g", m3, None, 3) == e.RebalanceInProgress.code
    rejoined = [await in_background(nursery, join, c, m) for m in (m3, a)]
    assert group.num_awaiting_join() == 2
    late = await join(c, b)
    assert late.error_code == e.GroupMaxSizeReached.code
    await trio.testing.wait_all_tasks_blocked()
    assert [r["result"].error_code for r in rejoined] == [0, 0]
    assert group.generation_id == 4 and set(group.members) == {m3, a}


# ---- over the wire -------------------------------------------------------------------------------


@pytest.mark.cluster
@pytest.mark.zk
async def test_the_third_consumer_of_a_group_gets_group_max_size_reached(start_group_broker, nursery):  # noqa: F811
    from kafka_clone.client.admin import KafkaAdminClient, NewTopic
    from kafka_clone.client.group_admin import GroupAdminClient
    from kafka_clone.client.group_consumer import GroupMember

    server, _ = await start_group_broker(1, offsets_topic_replication_factor="1", group_max_size="2")
    bootstrap = f"127.0.0.1:{server.bound_ports['PLAINTEXT']}"
    async with KafkaAdminClient.create(bootstrap) as admin:
        (await admin.create_topics([NewTopic("capped", 4, 1)]))[0].check()
    first, second = (GroupMember.create(bootstrap, "capped-group", ["capped"], heartbeat_interval_ms=200)
                     for _ in range(2))
    await nursery.start(first.run)
    await nursery.start(second.run)
    with trio.fail_after(60):
        while not (first.generation_id == second.generation_id and len(first.assignment) == 2
                   and len(second.assignment) == 2):
            await first.wait_assignment(after=first.generation_id)
    generation = first.generation_id

    third = GroupMember.create(bootstrap, "capped-group", ["capped"], heartbeat_interval_ms=200)
    with trio.fail_after(60), pytest.raises(e.GroupMaxSizeReached):
        await third.run()  # fatal for the member, as for the Java consumer
    await third.aclose()

    async with GroupAdminClient.create(bootstrap, timeout_ms=60000) as admin:
        description = await admin.describe_group("capped-group")
    assert description.state == "Stable"
    assert sorted(m.member_id for m in description.members) == sorted([first.member_id, second.member_id])
    await trio.sleep(1)  # a few heartbeats later: no rebalance happened
    assert first.generation_id == second.generation_id == generation
    await first.aclose()
    await second.aclose()
