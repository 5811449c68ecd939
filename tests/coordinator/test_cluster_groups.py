"""In-process brokers with the group coordinator: __consumer_offsets creation, FindCoordinator,
the group protocol over the wire (our BrokerConnection), and failover to a new coordinator."""

from __future__ import annotations

import attrs
import pytest
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.client.group_admin import GroupAdminClient
from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME as OFFSETS
from kafka_clone.common.topic import TopicPartition
from kafka_clone.coordinator.group.group_metadata_manager import decode_key, format_record
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol import errors as e
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.messages import group as gm
from kafka_clone.protocol.messages import offset_commit as oc
from zk.client import ZkClient
from zk.znodes import ConfigEntityZNode

from .group_broker import GroupServer, run_with_coordinator

pytestmark = [pytest.mark.cluster, pytest.mark.zk]


@pytest.fixture
def start_group_broker(nursery, broker_config):
    async def start(broker_id: int, **overrides: str):
        overrides.setdefault("offsets_topic_num_partitions", "4")
        overrides.setdefault("group_initial_rebalance_delay_ms", "0")
        server = GroupServer(broker_config(broker_id, **overrides))
        scope = trio.CancelScope()

        async def run(task_status=trio.TASK_STATUS_IGNORED):
            with scope:
                await run_with_coordinator(server, task_status=task_status)

        await nursery.start(run)
        return server, scope
    return start


async def connect(server) -> BrokerConnection:
    return await BrokerConnection.connect("127.0.0.1", server.bound_ports["PLAINTEXT"], client_id="test")


async def find_coordinator(conn: BrokerConnection, group: str, deadline_s: float = 60) -> gm.FindCoordinatorResponse:
    """Ask until the coordinator is known (the offsets topic is created on the first ask)."""
    with trio.fail_after(deadline_s):
        while True:
            r = await conn.send(ApiKey.FIND_COORDINATOR, None, gm.FindCoordinatorRequest(key=group, key_type=0))
            if r.error_code == 0:
                return r
            assert r.error_code == e.CoordinatorNotAvailable.code
            await trio.sleep(0.1)


async def test_offsets_topic_needs_enough_brokers_then_is_created_compacted(start_group_broker, zk_connect):
    b1, _ = await start_group_broker(1)  # offsets.topic.replication.factor 3 > 1 live broker
    conn = await connect(b1)
    r = await conn.send(ApiKey.FIND_COORDINATOR, None, gm.FindCoordinatorRequest(key="g", key_type=0))
    assert r.error_code == e.CoordinatorNotAvailable.code
    assert not b1.metadata_cache.contains_topic(OFFSETS)
    await conn.aclose()

    b2, _ = await start_group_broker(2, offsets_topic_replication_factor="2")
    conn = await connect(b2)
    r = await find_coordinator(conn, "g")
    assert r.node_id in (1, 2) and r.port in (b1.bound_ports["PLAINTEXT"], b2.bound_ports["PLAINTEXT"])
    assert b2.metadata_cache.num_partitions(OFFSETS) == 4
    async with ZkClient.open(zk_connect) as zk:
        data, _ = await zk.get(ConfigEntityZNode.path("topics", OFFSETS))
    assert ConfigEntityZNode.decode(data) == {
        "cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"}
    await conn.aclose()


async def test_join_sync_commit_over_the_wire_and_failover(start_group_broker):
    brokers = {}
    for i in (1, 2):
        brokers[i] = await start_group_broker(i, offsets_topic_replication_factor="2")
    conn = await connect(brokers[1][0])
    found = await find_coordinator(conn, "wire-group")
    coordinator_conn = conn if found.node_id == 1 else await connect(brokers[2][0])

    join = gm.JoinGroupRequest(group_id="wire-group", session_timeout_ms=10000, rebalance_timeout_ms=10000,
                               member_id="", protocol_type="consumer",
                               protocols=(gm.JoinGroupRequestProtocol(name="range", metadata=b"\x00\x00"),))
    first = await coordinator_conn.send(ApiKey.JOIN_GROUP, None, join)
    if first.error_code == e.MemberIdRequired.code:  # KIP-394 (our client speaks v4+)
        join = attrs.evolve(join, member_id=first.member_id)
        first = await coordinator_conn.send(ApiKey.JOIN_GROUP, None, join)
    assert first.error_code == 0 and first.generation_id == 1 and first.leader == first.member_id
    sync = await coordinator_conn.send(ApiKey.SYNC_GROUP, None, gm.SyncGroupRequest(
        group_id="wire-group", generation_id=1, member_id=first.member_id,
        assignments=(gm.SyncGroupRequestAssignment(member_id=first.member_id, assignment=b"ASSIGNED"),)))
    assert sync.error_code == 0 and sync.assignment == b"ASSIGNED"
    commit = await coordinator_conn.send(ApiKey.OFFSET_COMMIT, None, oc.OffsetCommitRequest(
        group_id="wire-group", generation_id=1, member_id=first.member_id, topics=(oc.OffsetCommitRequestTopic(
            name="orders", partitions=(oc.OffsetCommitRequestPartition(
                partition_index=0, committed_offset=41, committed_metadata="m"),)),)))
    assert commit.topics[0].partitions[0].error_code == 0

    # The records are Kafka's: the coordinator's log holds a group record and an offset record.
    server = brokers[found.node_id][0]
    partition = server.group_coordinator.partition_for("wire-group")
    log = server.replica_manager.partitions[(OFFSETS, partition)].log
    records = rec.records_of(log.read(0, 1 << 20).records.read_bytes())
    kinds = [type(decode_key(r.key)).__name__ for r in records]
    assert kinds == ["GroupMetadataKey", "OffsetCommitKey"]
    assert format_record(records[1].key, records[1].value).startswith("[wire-group,orders,0]::")

    # The coordinator's broker goes away: the other broker leads the partition and loads the group.
    brokers[found.node_id][1].cancel()
    survivor = brokers[3 - found.node_id][0]
    conn2 = await connect(survivor)
    with trio.fail_after(60):
        while (await find_coordinator(conn2, "wire-group")).node_id == found.node_id:
            await trio.sleep(0.1)
    async with GroupAdminClient.create(f"127.0.0.1:{survivor.bound_ports['PLAINTEXT']}", timeout_ms=60000) as admin:
        offsets = await admin.list_group_offsets("wire-group")
        assert offsets[TopicPartition("orders", 0)].offset == 41
        description = await admin.describe_group("wire-group")
        assert description.state == "Stable" and [m.member_id for m in description.members] == [first.member_id]
    # The member carries on at the new coordinator with its generation.
    hb = await conn2.send(ApiKey.HEARTBEAT, None, gm.HeartbeatRequest(
        group_id="wire-group", generation_id=1, member_id=first.member_id))
    assert hb.error_code == 0
    await conn2.aclose()


async def test_group_members_share_partitions_and_rebalance_on_leave(start_group_broker, nursery):
    from kafka_clone.client.admin import KafkaAdminClient, NewTopic
    from kafka_clone.client.group_consumer import GroupMember, range_assign

    assert range_assign({"b": ["t"], "a": ["t"]}, {"t": 5}) == {
        "a": [TopicPartition("t", p) for p in (0, 1, 2)], "b": [TopicPartition("t", p) for p in (3, 4)]}
    server, _ = await start_group_broker(1, offsets_topic_replication_factor="1")
    bootstrap = f"127.0.0.1:{server.bound_ports['PLAINTEXT']}"
    async with KafkaAdminClient.create(bootstrap) as admin:
        (await admin.create_topics([NewTopic("shared", 4, 1)]))[0].check()
    a = GroupMember.create(bootstrap, "console", ["shared"], heartbeat_interval_ms=200)
    b = GroupMember.create(bootstrap, "console", ["shared"], heartbeat_interval_ms=200)
    scope_b = trio.CancelScope()

    async def run_b(task_status=trio.TASK_STATUS_IGNORED):
        with scope_b:
            await b.run(task_status=task_status)

    await nursery.start(a.run)
    await nursery.start(run_b)
    with trio.fail_after(60):
        while not (a.generation_id == b.generation_id and len(a.assignment) == len(b.assignment) == 2):
            await a.wait_assignment(after=a.generation_id)
    assert a.assignment | b.assignment == {TopicPartition("shared", p) for p in range(4)}
    await a.commit({tp: 5 for tp in a.assignment})
    assert await b.committed(sorted(a.assignment)) == {tp: 5 for tp in a.assignment}
    # What the console consumer does: follow the assignment, seek to the commits, commit positions.
    from kafka_clone.client import KafkaConsumer
    async with KafkaConsumer.create(bootstrap, auto_offset_reset="earliest") as consumer:
        generation = await a.follow_assignment(consumer, 0)
        assert generation == a.generation_id and consumer.assignment() == a.assignment
        assert {tp: await consumer.position(tp) for tp in a.assignment} == {tp: 5 for tp in a.assignment}
        assert await a.commit_positions(consumer)
    scope_b.cancel()
    await b.aclose()  # LeaveGroup
    with trio.fail_after(60):
        while len(a.assignment) != 4:
            await a.wait_assignment(after=a.generation_id)
    await a.aclose()


async def test_version_specific_shapes_over_the_wire(start_group_broker):
    from kafka_clone.protocol.messages import group_admin as ga

    server, _ = await start_group_broker(1, offsets_topic_replication_factor="1", offsets_topic_num_partitions="1")
    conn = await connect(server)
    await find_coordinator(conn, "v-group")
    with trio.fail_after(60):  # the single partition is loaded once the broker leads it
        while not server.group_coordinator.manager.owned_partitions:
            await trio.sleep(0.05)
    protocols = (gm.JoinGroupRequestProtocol(name="range", metadata=b""),)
    # JoinGroup v3: no KIP-394 round trip; v0: the session timeout is the rebalance timeout.
    v3 = await conn.send(ApiKey.JOIN_GROUP, 3, gm.JoinGroupRequest(
        group_id="v-group", session_timeout_ms=6000, rebalance_timeout_ms=6000, member_id="",
        protocol_type="consumer", protocols=protocols))
    assert v3.error_code == 0 and v3.generation_id == 1 and v3.protocol_name == "range"
    leave0 = await conn.send(ApiKey.LEAVE_GROUP, 0, gm.LeaveGroupRequest(group_id="v-group", member_id="nobody"))
    assert leave0.error_code == e.UnknownMemberId.code
    leave3 = await conn.send(ApiKey.LEAVE_GROUP, 3, gm.LeaveGroupRequest(group_id="v-group", members=(
        gm.MemberIdentity(member_id=v3.member_id), gm.MemberIdentity(member_id="nobody"))))
    assert leave3.error_code == 0 and [m.error_code for m in leave3.members] == [0, e.UnknownMemberId.code]
    # OffsetFetch: a top-level error from v2, per partition before.
    empty_id = oc.OffsetFetchRequest(group_id="", topics=(
        oc.OffsetFetchRequestTopic(name="t", partition_indexes=(0,)),))
    none = await conn.send(ApiKey.OFFSET_FETCH, 1, oc.OffsetFetchRequest(
        group_id="v-group", topics=(oc.OffsetFetchRequestTopic(name="t", partition_indexes=(0,)),)))
    assert none.topics[0].partitions[0].committed_offset == -1 and none.topics[0].partitions[0].error_code == 0
    assert (await conn.send(ApiKey.OFFSET_FETCH, 7, empty_id)).error_code == 0  # "" is a valid id for offsets
    listed = await conn.send(ApiKey.LIST_GROUPS, 4, ga.ListGroupsRequest(states_filter=("Empty",)))
    assert [(g.group_id, g.group_state) for g in listed.groups] == [("v-group", "Empty")]
    assert (await conn.send(ApiKey.LIST_GROUPS, 4, ga.ListGroupsRequest(states_filter=("Stable",)))).groups == ()
    described = await conn.send(ApiKey.DESCRIBE_GROUPS, 5, ga.DescribeGroupsRequest(
        groups=("v-group", "missing"), include_authorized_operations=True))
    assert [(g.group_id, g.group_state, g.error_code) for g in described.groups] == [
        ("v-group", "Empty", 0), ("missing", "Dead", 0)]
    assert described.groups[0].authorized_operations == 0b101001000  # READ, DELETE, DESCRIBE (KIP-430)
    deleted = await conn.send(ApiKey.DELETE_GROUPS, 2, ga.DeleteGroupsRequest(groups_names=("v-group", "missing")))
    assert [(r.group_id, r.error_code) for r in deleted.results] == [
        ("v-group", 0), ("missing", e.GroupIdNotFound.code)]
    gone = await conn.send(ApiKey.OFFSET_DELETE, 0, oc.OffsetDeleteRequest(group_id="v-group", topics=()))
    assert gone.error_code == e.GroupIdNotFound.code
    await conn.aclose()
