"""Reassignment and leader elections through the controller, with in-process brokers."""

from __future__ import annotations

import pytest
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.messages import topics as tm
from kafka_clone.protocol.messages.produce import PartitionProduceData, ProduceRequest, TopicProduceData
from zk.znodes import PreferredReplicaElectionZNode, ReassignPartitionsZNode, TopicPartitionStateZNode, TopicZNode

pytestmark = [pytest.mark.zk, pytest.mark.cluster, pytest.mark.slow]


async def eventually(predicate, timeout: float = 60.0):
    """Poll a condition that depends on other tasks and ZooKeeper, with a deadline."""
    with trio.fail_after(timeout):
        while not await predicate():
            await trio.sleep(0.05)


async def three_brokers(start_broker, scopes: dict | None = None):
    """Three in-process brokers, the controller's connection; `scopes` gets each broker's scope."""
    started = [await start_broker(i, replica_fetch_wait_max_ms="100") for i in (1, 2, 3)]
    servers = [server for server, _ in started]
    if scopes is not None:
        scopes.update({server.broker_id: scope for server, scope in started})

    async def ready():
        return all(len(s.metadata_cache.alive_broker_ids()) == 3 for s in servers)
    await eventually(ready)
    controller = next(s for s in servers if s.controller.is_active)
    conn = await BrokerConnection.connect("127.0.0.1", controller.bound_ports["PLAINTEXT"])
    return servers, conn


async def create(conn, topic: str, assignment: dict[int, list[int]]):
    resp = await conn.send(ApiKey.CREATE_TOPICS, None, tm.CreateTopicsRequest(topics=(tm.CreatableTopic(
        name=topic, num_partitions=-1, replication_factor=-1, assignments=tuple(
            tm.CreatableReplicaAssignment(partition_index=p, broker_ids=tuple(r)) for p, r in assignment.items())),),
        timeout_ms=30000))
    assert resp.topics[0].error_code == 0, resp


async def produce(servers, topic: str, values: list[bytes]):
    leader = await state(servers[0], topic)
    server = next(s for s in servers if s.broker_id == leader.leader)

    # The controller writes the state znode before its LeaderAndIsr reaches the leader.
    async def leading():
        p = server.replica_manager.partitions.get((topic, 0))
        return p is not None and p.is_leader and p.leader_epoch == leader.leader_epoch
    await eventually(leading)
    async with await BrokerConnection.connect("127.0.0.1", server.bound_ports["PLAINTEXT"]) as conn:
        batch = rec.build_batch([rec.Record(i, 1_700_000_000_000, None, v) for i, v in enumerate(values)])
        resp = await conn.send(ApiKey.PRODUCE, None, ProduceRequest(acks=-1, timeout_ms=10000, topic_data=(
            TopicProduceData(name=topic, partition_data=(PartitionProduceData(index=0, records=batch),)),)))
    assert resp.responses[0].partition_responses[0].error_code == 0


async def state(server, topic: str, partition: int = 0):
    data, stat = await server.zk_client.zk.get(TopicPartitionStateZNode.path(topic, partition))
    return TopicPartitionStateZNode.decode(data, zk_version=stat.version)


async def assignment(server, topic: str):
    data, _ = await server.zk_client.zk.get(TopicZNode.path(topic))
    return TopicZNode.decode(topic, data)


async def test_reassign_rf1_to_rf3_then_move_everything(start_broker):
    servers, conn = await three_brokers(start_broker)
    await create(conn, "moving", {0: [1]})
    await produce(servers, "moving", [b"a", b"b", b"c"])

    resp = await conn.send(ApiKey.ALTER_PARTITION_REASSIGNMENTS, None, tm.AlterPartitionReassignmentsRequest(
        topics=(tm.ReassignableTopic(name="moving", partitions=(
            tm.ReassignablePartition(partition_index=0, replicas=(1, 2, 3)),)),)))
    assert resp.error_code == 0 and resp.responses[0].partitions[0].error_code == 0

    async def done():
        listed = await conn.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, None, tm.ListPartitionReassignmentsRequest())
        a = await assignment(servers[0], "moving")
        return not listed.topics and a.replicas(0) == (1, 2, 3) and not a.adding_replicas
    await eventually(done)
    assert sorted((await state(servers[0], "moving")).isr) == [1, 2, 3]

    # Through the old tool's znode this time: move every replica off broker 1.
    zk = servers[0].zk_client.zk
    await zk.create(ReassignPartitionsZNode.path(), ReassignPartitionsZNode.encode({("moving", 0): (3, 2)}))

    async def moved():
        a = await assignment(servers[0], "moving")
        return a.replicas(0) == (3, 2) and await zk.exists(ReassignPartitionsZNode.path()) is None
    await eventually(moved)
    final = await state(servers[0], "moving")
    assert final.leader == 3 and sorted(final.isr) == [2, 3]
    await eventually(lambda: _async(servers[0].replica_manager.log_manager.get_log("moving", 0) is None))
    assert servers[1].replica_manager.partitions[("moving", 0)].log.log_end_offset == 3


async def _async(value):
    return value


async def _isr_full(servers, topic):
    return len((await state(servers[0], topic)).isr) == 3


async def reassign_and_wait(servers, conn, topic: str, replicas: tuple[int, ...]):
    resp = await conn.send(ApiKey.ALTER_PARTITION_REASSIGNMENTS, None, tm.AlterPartitionReassignmentsRequest(
        topics=(tm.ReassignableTopic(name=topic, partitions=(
            tm.ReassignablePartition(partition_index=0, replicas=replicas),)),)))
    assert resp.responses[0].partitions[0].error_code == 0

    async def done():
        a = await assignment(servers[0], topic)
        return a.replicas(0) == replicas and not a.adding_replicas and set((await state(servers[0], topic)).isr) == set(replicas)
    await eventually(done)


async def move_leader_away(servers, conn, topic: str, preferred: int):
    """Drop the preferred replica and add it back: a reassignment elects a new leader only when
    the current one leaves, so afterwards the preferred replica is a follower."""
    others = tuple(b for b in (1, 2, 3) if b != preferred)
    await reassign_and_wait(servers, conn, topic, others)
    await reassign_and_wait(servers, conn, topic, (preferred, *others))
    assert (await state(servers[0], topic)).leader != preferred


async def test_preferred_election_restores_the_preferred_leader(start_broker):
    servers, conn = await three_brokers(start_broker)
    await create(conn, "pref", {0: [2, 3, 1]})
    await eventually(lambda: _isr_full(servers, "pref"))
    await move_leader_away(servers, conn, "pref", 2)
    request = tm.ElectLeadersRequest(election_type=0, topic_partitions=(tm.TopicPartitions(topic="pref", partition_id=(0,)),))
    resp = await conn.send(ApiKey.ELECT_LEADERS, None, request)
    assert resp.replica_election_results[0].partition_result[0].error_code == 0
    assert (await state(servers[0], "pref")).leader == 2
    again = await conn.send(ApiKey.ELECT_LEADERS, None, request)
    assert again.replica_election_results[0].partition_result[0].error_code == 84  # ELECTION_NOT_NEEDED


async def test_preferred_election_znode(start_broker):
    servers, conn = await three_brokers(start_broker)
    await create(conn, "zkpref", {0: [1, 2, 3]})
    await eventually(lambda: _isr_full(servers, "zkpref"))
    await move_leader_away(servers, conn, "zkpref", 1)
    zk = servers[0].zk_client.zk
    await zk.create(PreferredReplicaElectionZNode.path(), PreferredReplicaElectionZNode.encode([("zkpref", 0)]))

    async def elected():
        return (await state(servers[0], "zkpref")).leader == 1 and await zk.exists(PreferredReplicaElectionZNode.path()) is None
    await eventually(elected)
