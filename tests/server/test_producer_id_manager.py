"""ProducerIdManager and the InitProducerId handler against a real ZooKeeper ensemble (a chroot per
test): blocks of 1000 claimed with conditional writes on ``/latest_producer_id_block``, ids unique
across brokers, Kafka 2.8's answers to idempotent, bumping and transactional requests."""

from __future__ import annotations

import json

import pytest
import trio

from kafka_clone.common.zk_values import ProducerIdBlock
from kafka_clone.protocol import ApiKey, Request
from kafka_clone.protocol.codec import decode_message, encode_message
from kafka_clone.protocol.headers import RequestHeader
from kafka_clone.protocol.messages.produce import InitProducerIdRequest, InitProducerIdResponse
from kafka_clone.server.apis import RequestContext, load_handlers
from kafka_clone.server.producer_id_manager import PID_BLOCK_SIZE, ProducerIdManager, ProducerIdsExhausted
from zk.client import ConnectionLossError, ZkClient
from zk.znodes import ProducerIdBlockZNode

pytestmark = [pytest.mark.zk]

PATH = "/latest_producer_id_block"


async def read_block(zk: ZkClient) -> tuple[dict, int]:
    data, stat = await zk.get(PATH)
    return json.loads(data), stat.version


async def test_first_block_creates_the_znode_as_kafka_writes_it(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        manager = ProducerIdManager(1, zk)
        assert [await manager.generate_producer_id() for _ in range(3)] == [0, 1, 2]
        data, _stat = await zk.get(PATH)
        assert data == b'{"version":1,"broker":1,"block_start":"0","block_end":"999"}'


async def test_null_znode_from_broker_startup_gets_the_first_block(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create(PATH)  # create_top_level_paths leaves it with null data
        manager = ProducerIdManager(3, zk)
        assert await manager.generate_producer_id() == 0
        assert await read_block(zk) == ({"version": 1, "broker": 3, "block_start": "0", "block_end": "999"}, 1)


async def test_two_brokers_claim_distinct_blocks_and_never_share_an_id(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk1, \
            ZkClient.open(zk_connect, session_timeout_ms=4000) as zk2:
        m1, m2 = ProducerIdManager(1, zk1), ProducerIdManager(2, zk2)
        ids: list[int] = []
        owners: dict[int, int] = {}
        # Interleave so both run out of blocks at different moments and race for the next.
        for i in range(2500):
            manager = m1 if i % 3 else m2
            pid = await manager.generate_producer_id()
            ids.append(pid)
            owners[pid] = manager.broker_id
        assert len(set(ids)) == 2500
        for m in (m1, m2):
            mine = [pid for pid in ids if owners[pid] == m.broker_id]
            assert mine == sorted(mine)
        # Every id lies in a 1000-aligned block owned by one broker only.
        blocks: dict[int, set[int]] = {}
        for pid, owner in owners.items():
            blocks.setdefault(pid // PID_BLOCK_SIZE, set()).add(owner)
        assert all(len(o) == 1 for o in blocks.values())
        assert m1.statistics().blocks_claimed + m2.statistics().blocks_claimed == len(blocks)
        body, version = await read_block(zk1)
        last = max(blocks)
        assert body == {"version": 1, "broker": next(iter(blocks[last])),
                        "block_start": str(last * PID_BLOCK_SIZE), "block_end": str(last * PID_BLOCK_SIZE + 999)}
        assert version == len(blocks) - 1  # one successful conditional write per block after the create


async def test_concurrent_callers_in_one_broker_share_a_block(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        manager = ProducerIdManager(1, zk)
        results: list[int] = []

        async def take(n: int) -> None:
            for _ in range(n):
                results.append(await manager.generate_producer_id())

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(take, 150)
        assert sorted(results) == list(range(1200))
        assert manager.statistics().blocks_claimed == 2


async def test_concurrent_managers_race_on_the_same_znode(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk1, \
            ZkClient.open(zk_connect, session_timeout_ms=4000) as zk2:
        managers = [ProducerIdManager(1, zk1), ProducerIdManager(2, zk2),
                    ProducerIdManager(3, zk1), ProducerIdManager(4, zk2)]
        firsts: list[int] = []

        async def first(m: ProducerIdManager) -> None:
            firsts.append(await m.generate_producer_id())

        async with trio.open_nursery() as nursery:
            for m in managers:
                nursery.start_soon(first, m)
        assert sorted(firsts) == [0, 1000, 2000, 3000]
        body, _version = await read_block(zk1)
        assert body["block_end"] == "3999"


async def test_continues_after_an_existing_block(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create(PATH, ProducerIdBlockZNode.encode(ProducerIdBlock(7, 5000, 5999)))
        manager = ProducerIdManager(2, zk)
        assert await manager.generate_producer_id() == 6000
        assert await read_block(zk) == ({"version": 1, "broker": 2, "block_start": "6000", "block_end": "6999"}, 1)


class InterferingZk:
    """The real client, with something happening around this broker's next setData: another
    broker's claim just before it (BadVersion), or the answer lost after it was applied."""

    def __init__(self, zk: ZkClient, *, steal: bool = False, lose_answer: bool = False):
        self.zk, self.steal, self.lose_answer, self.sets = zk, steal, lose_answer, 0

    async def get_or_none(self, path):
        return await self.zk.get_or_none(path)

    async def create(self, path, data=None, **kw):
        return await self.zk.create(path, data, **kw)

    async def wait_connected(self):
        await self.zk.wait_connected()

    async def set(self, path, data, *, version=-1):
        self.sets += 1
        if self.steal and self.sets == 1:
            other = ProducerIdManager(9, self.zk)
            assert await other.generate_producer_id() == 1000
        stat = await self.zk.set(path, data, version=version)
        if self.lose_answer and self.sets == 1:
            raise ConnectionLossError("answer lost")
        return stat


async def test_losing_the_race_retries_with_the_next_block(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create(PATH, ProducerIdBlockZNode.encode(ProducerIdBlock(1, 0, 999)))
        racing = InterferingZk(zk, steal=True)
        manager = ProducerIdManager(2, racing)
        assert await manager.generate_producer_id() == 2000  # 1000-1999 went to broker 9
        assert racing.sets == 2
        assert await read_block(zk) == ({"version": 1, "broker": 2, "block_start": "2000", "block_end": "2999"}, 2)


async def test_a_claim_whose_answer_was_lost_is_recognised_as_ours(zk_connect):
    # Kafka's checkProducerIdBlockZkData: re-read, and a block equal to ours is ours; no block wasted.
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create(PATH, ProducerIdBlockZNode.encode(ProducerIdBlock(1, 0, 999)))
        lossy = InterferingZk(zk, lose_answer=True)
        manager = ProducerIdManager(2, lossy)
        assert await manager.generate_producer_id() == 1000
        assert lossy.sets == 1
        assert await read_block(zk) == ({"version": 1, "broker": 2, "block_start": "1000", "block_end": "1999"}, 1)


async def test_exhausted_id_space_is_an_error(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        end = 2**63 - 1 - 10
        await zk.create(PATH, ProducerIdBlockZNode.encode(ProducerIdBlock(1, end - 999, end)))
        with pytest.raises(ProducerIdsExhausted):
            await ProducerIdManager(2, zk).generate_producer_id()


# -- the InitProducerId handler, with a real manager behind a stand-in broker ------------------


class StandInBroker:
    """The one attribute of KafkaServer the handler reaches."""

    def __init__(self, manager: ProducerIdManager):
        self.producer_id_manager = manager


async def init_producer_id(manager: ProducerIdManager, version: int, **fields) -> InitProducerIdResponse:
    body = InitProducerIdRequest(**{"transactional_id": None, "transaction_timeout_ms": 60000, **fields})
    # Round-trip the request and response through the codec at this version, as on the wire.
    body, _end = decode_message(InitProducerIdRequest, encode_message(body, version), version)
    header = RequestHeader(request_api_key=22, request_api_version=version, correlation_id=1, client_id="t")
    request = Request(header, ApiKey.INIT_PRODUCER_ID, version, body, 0, version)
    handler = load_handlers()[ApiKey.INIT_PRODUCER_ID]
    response = await handler(RequestContext(request, StandInBroker(manager), "PLAINTEXT", "127.0.0.1:1"))
    return decode_message(InitProducerIdResponse, encode_message(response, version), version)[0]


@pytest.mark.parametrize("version", range(5))
async def test_idempotent_producer_gets_fresh_ids_with_epoch_0(zk_connect, version):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        manager = ProducerIdManager(1, zk)
        first = await init_producer_id(manager, version)
        second = await init_producer_id(manager, version)
        assert (first.error_code, first.producer_id, first.producer_epoch) == (0, 0, 0)
        assert (second.error_code, second.producer_id, second.producer_epoch) == (0, 1, 0)


async def test_kip360_bump_of_an_idempotent_producer_is_a_new_id(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        manager = ProducerIdManager(1, zk)
        first = await init_producer_id(manager, 4)
        bumped = await init_producer_id(manager, 4, producer_id=first.producer_id, producer_epoch=first.producer_epoch)
        assert (bumped.error_code, bumped.producer_id, bumped.producer_epoch) == (0, first.producer_id + 1, 0)


@pytest.mark.parametrize(("fields", "code"), [
    ({"producer_id": 5, "producer_epoch": -1}, 42),       # INVALID_REQUEST: half a producer id/epoch
    ({"producer_id": -1, "producer_epoch": 3}, 42),
    ({"transactional_id": ""}, 42),                       # INVALID_REQUEST, as the coordinator
    ({"transactional_id": "tx", "transaction_timeout_ms": 0}, 50),        # INVALID_TRANSACTION_TIMEOUT
    ({"transactional_id": "tx", "transaction_timeout_ms": 900001}, 50),
    ({"transactional_id": "tx"}, 15),                     # COORDINATOR_NOT_AVAILABLE: no transactions
])
async def test_errors_carry_no_producer_id(zk_connect, fields, code):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        manager = ProducerIdManager(1, zk)
        response = await init_producer_id(manager, 4, **fields)
        assert (response.error_code, response.producer_id, response.producer_epoch) == (code, -1, -1)
        assert manager.statistics().blocks_claimed == 0


@pytest.mark.parametrize("data", [b"not json", ProducerIdBlockZNode.encode(ProducerIdBlock(1, 2**63 - 1000, 2**63 - 1))])
async def test_a_failing_claim_is_unknown_server_error(zk_connect, data):
    # Kafka 2.8: the exception reaches KafkaApis.handleError, which answers UNKNOWN_SERVER_ERROR.
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create(PATH, data)
        response = await init_producer_id(ProducerIdManager(1, zk), 4)
        assert (response.error_code, response.producer_id, response.producer_epoch) == (-1, -1, -1)
