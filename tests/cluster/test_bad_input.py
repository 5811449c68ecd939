"""Bad input on the wire: a clear Kafka error code or a closed connection, and nothing lost.

A broker runs in-process; the test talks to it with raw sockets and with our own client.
"""

from __future__ import annotations

import random
import struct

import pytest
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.protocol import API_REGISTRY, ApiKey, encode_request
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.messages.offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic
from kafka_clone.protocol.messages.produce import PartitionProduceData, ProduceRequest, TopicProduceData
from kafka_clone.protocol.messages.topics import CreatableTopic, CreateTopicsRequest

pytestmark = [pytest.mark.zk, pytest.mark.cluster]


async def _broker_with_topic(start_broker, topic: str = "t"):
    server, _ = await start_broker(1, socket_request_max_bytes="65536")
    port = server.bound_ports["PLAINTEXT"]
    with trio.fail_after(30):
        # The controller's first UpdateMetadata tells the broker it is alive.
        while not server.metadata_cache.alive_broker_ids():
            await trio.sleep(0.02)
    conn = await BrokerConnection.connect("127.0.0.1", port)
    resp = await conn.send(ApiKey.CREATE_TOPICS, None, CreateTopicsRequest(
        topics=(CreatableTopic(name=topic, num_partitions=1, replication_factor=1),), timeout_ms=30000))
    assert resp.topics[0].error_code == 0
    return server, port, conn


def _batch(values=(b"a", b"b")) -> bytearray:
    return bytearray(rec.build_batch([rec.Record(i, 1_700_000_000_000, None, v) for i, v in enumerate(values)]))


async def _produce(conn, topic: str, records, acks: int = 1):
    req = ProduceRequest(acks=acks, timeout_ms=5000, topic_data=(
        TopicProduceData(name=topic, partition_data=(PartitionProduceData(index=0, records=bytes(records)),)),))
    resp = await conn.send(ApiKey.PRODUCE, None, req)
    return resp.responses[0].partition_responses[0]


async def _latest(conn, topic: str) -> int:
    resp = await conn.send(ApiKey.LIST_OFFSETS, None, ListOffsetsRequest(replica_id=-1, topics=(
        ListOffsetsTopic(name=topic, partitions=(ListOffsetsPartition(partition_index=0, timestamp=-1),)),)))
    return resp.topics[0].partitions[0].offset


async def _closed_by_peer(stream: trio.SocketStream) -> bool:
    with trio.fail_after(10):
        try:
            while await stream.receive_some(4096):
                pass
        except trio.BrokenResourceError:
            pass
    return True


async def test_produce_errors_leave_the_log_unchanged(start_broker):
    _, _, conn = await _broker_with_topic(start_broker)
    assert (await _produce(conn, "t", _batch())).error_code == 0
    assert await _latest(conn, "t") == 2

    corrupt = _batch()
    corrupt[-1] ^= 0xFF  # a flipped record byte: the CRC no longer matches
    assert (await _produce(conn, "t", corrupt)).error_code == 2  # CORRUPT_MESSAGE
    assert (await _produce(conn, "no-such-topic", _batch())).error_code == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert (await _produce(conn, "t", _batch(), acks=2)).error_code == 21  # INVALID_REQUIRED_ACKS
    two = _batch() + _batch()
    assert (await _produce(conn, "t", two)).error_code == 87  # INVALID_RECORD: one batch per partition
    assert await _latest(conn, "t") == 2
    assert (await _produce(conn, "t", _batch([b"c"]))).error_code == 0
    assert await _latest(conn, "t") == 3


async def test_oversized_and_unknown_requests_close_only_their_connection(start_broker):
    _, port, conn = await _broker_with_topic(start_broker)
    big = await trio.open_tcp_stream("127.0.0.1", port)
    await big.send_all(struct.pack(">i", 10_000_000))  # over socket.request.max.bytes: refused from the prefix
    assert await _closed_by_peer(big)
    unknown = await trio.open_tcp_stream("127.0.0.1", port)
    await unknown.send_all(struct.pack(">ihhi", 8, 999, 0, 1))
    assert await _closed_by_peer(unknown)
    assert await _latest(conn, "t") == 0  # the other connection is served throughout


async def test_a_stream_of_garbage_never_hurts_the_broker(start_broker):
    """Random and mutated frames (a fixed seed: deterministic); the decoder itself is fuzzed with
    Hypothesis in tests/protocol/test_fuzz.py."""
    _, port, conn = await _broker_with_topic(start_broker)
    rng = random.Random(20261121)
    valid = encode_request(1, "fuzz", ApiKey.API_VERSIONS, 3, API_REGISTRY[ApiKey.API_VERSIONS].request())
    for i in range(60):
        if i % 2:
            body = bytearray(valid[4:])
            for _ in range(rng.randint(1, 4)):
                body[rng.randrange(len(body))] = rng.randrange(256)
        else:
            body = bytearray(rng.randbytes(rng.randint(1, 300)))
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        # A plausible size prefix around the bytes, so the decoder sees them.
        await stream.send_all(struct.pack(">i", len(body)) + body)
        with trio.move_on_after(0.2):
            await stream.receive_some(65536)
        await stream.aclose()
    assert await _latest(conn, "t") == 0
    assert (await _produce(conn, "t", _batch())).error_code == 0
