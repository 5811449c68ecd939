"""Unclean leader election turned on by the dynamic broker default (KIP-226), with in-process brokers."""

from __future__ import annotations

import pytest
import trio

from kafka_clone.client.connection import BrokerConnection
from tests.cluster.test_reassignment import create, eventually, state
from zk.admin_zk_client import AdminZkClient

pytestmark = [pytest.mark.zk, pytest.mark.cluster, pytest.mark.slow]


async def test_dynamic_default_unclean_election_elects_the_offline_partition(start_broker):
    controller, _ = await start_broker(3)

    async def is_controller():
        return controller.controller.is_active
    await eventually(is_controller)
    # Without controlled shutdown a stopped broker's registration goes at once and nothing moves first.
    (_, stop_one), (_, stop_two) = [await start_broker(i, controlled_shutdown_enable="false") for i in (1, 2)]

    def alive(*ids: int):
        async def check():
            return set(controller.metadata_cache.alive_broker_ids()) == set(ids)
        return check

    def partition(leader: int, isr: list[int]):
        async def check():
            li = await state(controller, "u")
            return li.leader == leader and list(li.isr) == isr
        return check

    await eventually(alive(1, 2, 3))
    async with await BrokerConnection.connect("127.0.0.1", controller.bound_ports["PLAINTEXT"]) as conn:
        await create(conn, "u", {0: [1, 2]})
    await eventually(partition(1, [1, 2]))
    stop_two.cancel()
    await eventually(partition(1, [1]))
    stop_one.cancel()
    await eventually(partition(-1, [1]))
    await start_broker(2, controlled_shutdown_enable="false")
    await eventually(alive(2, 3))
    # Broker 2 is live but not in the ISR: a clean election keeps the partition offline (this
    # waits to see that nothing happens, there being no event for it).
    await trio.sleep(1)
    assert await partition(-1, [1])()
    await AdminZkClient(controller.zk_client).change_broker_config(None, {"unclean.leader.election.enable": "true"})
    await eventually(partition(2, [2]))
