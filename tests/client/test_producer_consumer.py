"""Producer retries and batching, consumer leader moves: against the fake cluster's Produce/Fetch."""

from __future__ import annotations

import pytest

from kafka_clone.client import KafkaConsumer, KafkaProducer, KafkaTimeoutError, ProducerRecord, partition_for_key
from kafka_clone.client.producer import parse_acks
from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol.errors import InvalidRecord, UnknownTopicOrPartition

from .fake_broker import FakeCluster


def _producer(cluster: FakeCluster, **kw) -> KafkaProducer:
    return KafkaProducer.create(cluster.bootstrap, retry_backoff_ms=1, **kw)


async def test_not_leader_refreshes_metadata_and_retries(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1, 2]])
    async with _producer(fake_cluster) as producer:
        first = await producer.send("t", b"a")
        fake_cluster.topics["t"].leaders[0] = 2  # leadership moves; the producer's metadata is stale
        second = await producer.send("t", b"b")
        fake_cluster.produce_errors[("t", 0)] = [5, 6]  # LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER
        third = await producer.send("t", b"c")
    assert [(m.partition, m.offset) for m in (first, second, third)] == [(0, 0), (0, 1), (0, 2)]
    assert [b for b, _ in fake_cluster.produce_requests] == [1, 1, 2, 2, 2, 2]


async def test_non_retriable_error_is_raised(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1]])
    fake_cluster.produce_errors[("t", 0)] = [87]
    async with _producer(fake_cluster) as producer:
        with pytest.raises(InvalidRecord):
            await producer.send("t", b"x")


async def test_unknown_topic_times_out_like_max_block_ms(fake_cluster: FakeCluster) -> None:
    async with _producer(fake_cluster, max_block_ms=200) as producer:
        with pytest.raises(KafkaTimeoutError, match="Topic nope not present in metadata after 200 ms."):
            await producer.send("nope", b"x")


async def test_batches_split_by_size_one_batch_per_partition_per_request(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1], [1]])
    records = [ProducerRecord("t", b"x" * 100, partition=i % 2) for i in range(10)]
    async with _producer(fake_cluster, batch_size=300) as producer:
        metadata = await producer.send_batch(records)
    assert [(m.partition, m.offset) for m in metadata] == [(i % 2, i // 2) for i in range(10)]
    # 5 records of ~116 bytes per partition, 300-byte batches: 3 batches each, sent in 3 requests.
    assert [parts for _, parts in fake_cluster.produce_requests] == [(("t", 0), ("t", 1))] * 3
    assert [len(b) for b in (fake_cluster.topics["t"].logs[0], fake_cluster.topics["t"].logs[1])] == [3, 3]


async def test_keyed_and_sticky_partitioning(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1], [2], [3], [1], [2]])
    async with _producer(fake_cluster) as producer:
        keyed = await producer.send_batch([ProducerRecord("t", b"v", b"key-%d" % i) for i in range(20)])
        assert [m.partition for m in keyed] == [partition_for_key(b"key-%d" % i, 5) for i in range(20)]
        first = {m.partition for m in await producer.send_batch([ProducerRecord("t", b"v") for _ in range(10)])}
        second = {m.partition for m in await producer.send_batch([ProducerRecord("t", b"v") for _ in range(10)])}
    # Unkeyed records of one call stick to one partition; the next call moves on.
    assert len(first) == 1 and len(second) == 1 and first != second


async def test_sticky_partition_moves_on_when_its_batch_is_full(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1], [2], [3]])
    async with _producer(fake_cluster, batch_size=1000) as producer:
        metadata = await producer.send_batch([ProducerRecord("t", b"x" * 84) for _ in range(30)])
    partitions = [m.partition for m in metadata]
    # 100 bytes per record: ten records fill a batch, then the next partition takes over.
    runs = [partitions[i:i + 10] for i in range(0, 30, 10)]
    assert all(len(set(run)) == 1 for run in runs)
    assert runs[0][0] != runs[1][0] and runs[1][0] != runs[2][0]


async def test_consumer_follows_a_leader_move_and_reads_in_order(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("t", [[1, 2]])
    tp = TopicPartition("t", 0)
    async with _producer(fake_cluster) as producer:
        await producer.send_batch([ProducerRecord("t", b"%d" % i) for i in range(3)])
        async with KafkaConsumer.create(fake_cluster.bootstrap, auto_offset_reset="earliest",
                                        retry_backoff_ms=1) as consumer:
            consumer.assign([tp])
            assert [r.value for r in await consumer.poll(5000)] == [b"0", b"1", b"2"]
            fake_cluster.topics["t"].leaders[0] = 2
            await producer.send_batch([ProducerRecord("t", b"%d" % i) for i in range(3, 5)])
            got = []
            while len(got) < 2:
                got += await consumer.poll(5000)
            assert [(r.offset, r.value) for r in got] == [(3, b"3"), (4, b"4")]
            assert await consumer.position(tp) == 5


async def test_consumer_requires_an_assignment(fake_cluster: FakeCluster) -> None:
    async with KafkaConsumer.create(fake_cluster.bootstrap) as consumer:
        with pytest.raises(ValueError, match="not subscribed"):
            await consumer.poll(0)
        consumer.assign([TopicPartition("missing", 0)])
        with pytest.raises(UnknownTopicOrPartition):
            await consumer.poll(0)


def test_parse_acks() -> None:
    assert [parse_acks(v) for v in ("all", "-1", "0", "1", 1)] == [-1, -1, 0, 1, 1]
    with pytest.raises(ValueError, match="String must be one of: all, -1, 0, 1"):
        parse_acks("2")
