"""Topic deletion on every replica, and its resumption after a broker and a controller come back."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.messages import topics as tm
from tests.cluster.test_reassignment import create, eventually, produce, three_brokers
from zk.znodes import ConfigEntityZNode, DeleteTopicsTopicZNode, TopicZNode

pytestmark = [pytest.mark.zk, pytest.mark.cluster, pytest.mark.slow]


async def gone(zk, topic: str) -> bool:
    for path in (TopicZNode.path(topic), ConfigEntityZNode.path("topics", topic), DeleteTopicsTopicZNode.path(topic)):
        if await zk.exists(path) is not None:
            return False
    return True


def delete_request(topic: str, timeout_ms: int) -> tm.DeleteTopicsRequest:
    # v0-5 name topics in `topic_names`, v6 in `topics`: fill both, the codec writes the right one.
    return tm.DeleteTopicsRequest(topic_names=(topic,), topics=(tm.DeleteTopicState(name=topic),), timeout_ms=timeout_ms)


def live_dirs(server, topic: str) -> list[str]:
    """Partition dirs of `topic` that are not (yet) renamed for deletion."""
    return sorted(p.name for d in server.config.log_dirs for p in Path(d).glob(f"{topic}-*")
                  if not p.name.endswith("-delete"))


async def test_delete_topic_removes_it_everywhere(start_broker):
    servers, conn = await three_brokers(start_broker)
    await create(conn, "doomed", {0: [1, 2, 3], 1: [2, 3, 1]})
    await produce(servers, "doomed", [b"x"] * 10)
    assert all(live_dirs(s, "doomed") for s in servers)
    resp = await conn.send(ApiKey.DELETE_TOPICS, None, delete_request("doomed", 30000))
    assert resp.responses[0].error_code == 0
    zk = servers[0].zk_client.zk
    await eventually(lambda: gone(zk, "doomed"))
    await eventually(lambda: _async(not any(live_dirs(s, "doomed") for s in servers)))
    assert not any(s.metadata_cache.contains_topic("doomed") for s in servers)
    again = await conn.send(ApiKey.DELETE_TOPICS, None, delete_request("doomed", 5000))
    assert again.responses[0].error_code == 3  # UNKNOWN_TOPIC_OR_PARTITION


async def _async(value):
    return value


async def test_deletion_waits_for_a_dead_replica_and_survives_controller_failover(start_broker):
    scopes: dict = {}
    servers, conn = await three_brokers(start_broker, scopes)
    by_id = {s.broker_id: s for s in servers}
    controller = next(s for s in servers if s.controller.is_active)
    replicas = [b for b in (1, 2, 3) if b != controller.broker_id]
    await create(conn, "waiting", {0: replicas})
    await produce(servers, "waiting", [b"x"] * 5)
    # Stop one replica: the topic becomes ineligible for deletion until it is back.
    victim = replicas[0]
    await _stop(by_id[victim], scopes)
    zk = controller.zk_client.zk
    resp = await conn.send(ApiKey.DELETE_TOPICS, None, delete_request("waiting", 1000))
    assert resp.responses[0].error_code in (0, 7)  # accepted; may time out while it waits
    with trio.move_on_after(3):
        await eventually(lambda: gone(zk, "waiting"))
    assert await zk.exists(TopicZNode.path("waiting")) is not None  # still waiting for the dead replica
    # The controller goes too; a new one takes the pending deletion over from the marker.
    await _stop(controller, scopes)
    restarted, _ = await start_broker(victim)
    survivor = next(s for s in servers if s.broker_id not in (victim, controller.broker_id))
    await eventually(lambda: gone(survivor.zk_client.zk, "waiting"))
    await eventually(lambda: _async(not live_dirs(restarted, "waiting")))


async def _stop(server, scopes: dict) -> None:
    """A clean stop of an in-process broker: cancel its run (the fixture's scope)."""
    scopes[server.broker_id].cancel()
    with trio.fail_after(30):
        while server.zk_client is not None and not server.zk_client.zk._closed:
            await trio.sleep(0.05)
