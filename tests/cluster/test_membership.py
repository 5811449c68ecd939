"""Broker registration and controller election against a real ZooKeeper, brokers in-process."""

from __future__ import annotations

import inspect
import json

import pytest
import trio

from kafka_clone.server.broker import KafkaServer
from zk.client import ZkClient
from zk.kafka_zk_client import DuplicateBrokerIdError, KafkaZkClient
from zk.znodes import PERSISTENT_ZK_PATHS
from tests.zk.session import expire_session

pytestmark = [pytest.mark.zk, pytest.mark.cluster]


async def wait_for(predicate, timeout: float = 30.0):
    """Poll a condition (plain or async) with a deadline: it depends on ZooKeeper, not on us."""
    with trio.fail_after(timeout):
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await trio.sleep(0.02)


async def test_registration_matches_kafka(start_broker, zk_connect):
    server, _ = await start_broker(1)
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        for path in PERSISTENT_ZK_PATHS:
            assert await zk.exists(path) is not None, path
        data, stat = await zk.get("/brokers/ids/1")
        # Ephemeral, owned by the broker's session; created null then set: dataVersion 1 (2.2+).
        assert stat.ephemeral_owner == server.zk_client.zk.session_id
        assert stat.version == 1
        assert stat.czxid == server.broker_epoch  # KIP-380 broker epoch
        port = server.bound_ports["PLAINTEXT"]
        reg = json.loads(data)
        assert list(reg) == ["features", "listener_security_protocol_map", "endpoints", "jmx_port",
                             "port", "host", "version", "timestamp"]
        assert reg["endpoints"] == [f"PLAINTEXT://127.0.0.1:{port}"] and reg["port"] == port
        assert reg["version"] == 5 and isinstance(reg["timestamp"], str)
        cluster_id, _ = await zk.get("/cluster/id")
        assert json.loads(cluster_id) == {"version": "1", "id": server.cluster_id}
        assert len(server.cluster_id) == 22
        # Start-up returns once the controller's Startup event is queued; the election and the
        # failover work (which writes /feature) follow on the controller's own task.
        await wait_for(lambda: zk.exists("/feature"))
        assert (await zk.get("/controller_epoch"))[0] == b"1"
        controller, cstat = await zk.get("/controller")
        assert json.loads(controller)["brokerid"] == 1 and cstat.ephemeral_owner == stat.ephemeral_owner
        assert (await zk.get("/feature"))[0] == b'{"features":{},"version":1,"status":1}'
        # Persistent parents have null data, as zkCli shows for Kafka.
        assert (await zk.get("/brokers/ids"))[0] is None


async def test_exactly_one_controller_among_three(start_broker, zk_connect):
    servers = [(await start_broker(i))[0] for i in (1, 2, 3)]

    async def settled():
        ids = {s.controller.active_controller_id for s in servers}
        return len(ids) == 1 and -1 not in ids

    await wait_for(settled)
    active = [s for s in servers if s.controller.is_active]
    assert len(active) == 1
    winner = active[0]
    await wait_for(lambda: (winner.controller.statistics().live_broker_ids == (1, 2, 3)))
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        assert json.loads((await zk.get("/controller"))[0])["brokerid"] == winner.broker_id


async def test_clean_shutdown_of_controller_hands_over_at_once(start_broker, zk_connect):
    started = [await start_broker(i) for i in (1, 2)]
    servers = {s.broker_id: (s, scope) for s, scope in started}
    await wait_for(lambda: (any(s.controller.is_active for s, _ in started)))
    leader_id = next(i for i, (s, _) in servers.items() if s.controller.is_active)
    other = servers[3 - leader_id][0]
    servers[leader_id][1].cancel()
    # No session timeout to wait for: the resigning controller deleted /controller (fenced).
    await wait_for(lambda: (other.controller.is_active), timeout=10)
    assert other.controller.context.epoch == 2


async def test_duplicate_broker_id_is_refused(start_broker, broker_config, tmp_path):
    await start_broker(7)
    twin = KafkaServer(broker_config(7, log_dirs=str(tmp_path / "twin")))
    with pytest.raises(BaseException) as info:
        await twin.run()
    exc = info.value
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    assert isinstance(exc, DuplicateBrokerIdError)
    assert "broker.id 7 is already registered" in str(exc)


async def test_session_expiry_reregisters_and_reelects(start_broker, zk_connect):
    server, _ = await start_broker(1)
    await wait_for(lambda: (server.controller.is_active))
    old_epoch, old_session = server.broker_epoch, server.zk_client.zk.session_id

    await expire_session(server.zk_client.zk)

    async def back():
        return server.broker_epoch != old_epoch and server.controller.is_active
    await wait_for(back)
    assert server.controller.context.epoch == 2  # a new term, not the old one revived
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        data, stat = await zk.get("/brokers/ids/1")
        assert stat.czxid == server.broker_epoch and stat.ephemeral_owner != old_session
        assert await KafkaZkClient(zk).get_controller_epoch() == (2, 2)
