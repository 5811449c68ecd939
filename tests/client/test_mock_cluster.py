"""Our client against librdkafka's in-memory mock cluster: a real, independent protocol peer.

Records go both ways between our client and librdkafka (confluent-kafka), so batches we build are
read by another implementation and the other way round.
"""

from __future__ import annotations

import time

import pytest
import trio

from kafka_clone.client import (
    EARLIEST,
    LATEST,
    BrokerConnection,
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    ProducerRecord,
    partition_for_key,
)
from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import OffsetOutOfRange, UnknownTopicOrPartition

pytestmark = pytest.mark.compat

confluent_kafka = pytest.importorskip("confluent_kafka")

#: The mock cluster auto-creates topics with this many partitions.
MOCK_PARTITIONS = 4


async def _consume_all(consumer: KafkaConsumer, count: int, timeout_s: float = 60) -> list:
    records: list = []
    with trio.fail_after(timeout_s):
        while len(records) < count:
            records += await consumer.poll(1000)
    return records


def _confluent_consume(bootstrap: str, topic: str, count: int) -> list:
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": "kclone-test", "enable.auto.commit": False, "log_level": 3,
    })
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(MOCK_PARTITIONS)])
        messages: list = []
        deadline = time.monotonic() + 60
        while len(messages) < count and time.monotonic() < deadline:
            m = consumer.poll(1.0)
            if m is not None and m.error() is None:
                messages.append(m)
        return messages
    finally:
        consumer.close()


async def test_connection_negotiates_with_librdkafka_mock(mock_bootstrap: str) -> None:
    host, port = mock_bootstrap.split(",")[0].rsplit(":", 1)
    async with await BrokerConnection.connect(host, int(port)) as conn:
        # Produce 3-9, Fetch 4-12 and Metadata 0-11 are ours; the mock goes higher.
        assert conn.version_for(ApiKey.PRODUCE) == 9
        assert conn.version_for(ApiKey.FETCH) == 12
        assert conn.version_for(ApiKey.METADATA) == 11
        assert not conn.supports(ApiKey.CREATE_TOPICS)


async def test_metadata_and_describe_cluster(mock_bootstrap: str) -> None:
    async with KafkaAdminClient.create(mock_bootstrap) as admin:
        md = await admin.metadata([])
        assert md.cluster_id and md.cluster_id.startswith("mockCluster")
        assert sorted(b.node_id for b in md.brokers) == [1, 2, 3]
        desc = await admin.describe_cluster()
        assert sorted(n.node_id for n in desc.nodes) == [1, 2, 3]


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
async def test_our_producer_is_read_by_librdkafka(mock_bootstrap: str, topic_name: str, codec: str) -> None:
    records = [
        ProducerRecord(topic_name, b"value-%d" % i, b"key-%d" % (i % 5), headers=(("h", b"%d" % i), ("n", None)))
        for i in range(50)
    ]
    async with KafkaProducer.create(mock_bootstrap, compression_type=codec) as producer:
        metadata = await producer.send_batch(records)
    assert [m.partition for m in metadata] == [partition_for_key(r.key, MOCK_PARTITIONS) for r in records]
    messages = await trio.to_thread.run_sync(_confluent_consume, mock_bootstrap, topic_name, len(records))
    got = sorted((m.key(), m.value(), m.partition(), tuple(m.headers() or ())) for m in messages)
    want = sorted(
        (r.key, r.value, m.partition, r.headers) for r, m in zip(records, metadata)
    )
    assert got == want


async def test_librdkafka_murmur2_partitioner_agrees_and_our_consumer_reads_it(
    mock_bootstrap: str, topic_name: str
) -> None:
    def produce() -> None:
        p = confluent_kafka.Producer({
            "bootstrap.servers": mock_bootstrap, "partitioner": "murmur2_random", "compression.codec": "lz4",
            "log_level": 3,
        })
        for i in range(40):
            p.produce(topic_name, value=b"v%d" % i, key=b"user-%d" % i, headers=[("i", b"%d" % i)])
        assert p.flush(30) == 0

    await trio.to_thread.run_sync(produce)
    async with KafkaConsumer.create(mock_bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign(TopicPartition(topic_name, p) for p in range(MOCK_PARTITIONS))
        records = await _consume_all(consumer, 40)
    assert len(records) == 40
    for r in records:
        assert r.partition == partition_for_key(r.key, MOCK_PARTITIONS)
        assert r.value == b"v" + r.key.removeprefix(b"user-")
        assert r.headers == (("i", r.value[1:]),)
    # Per partition, offsets are consecutive from 0.
    for p in range(MOCK_PARTITIONS):
        offsets = [r.offset for r in records if r.partition == p]
        assert offsets == list(range(len(offsets)))


async def test_list_offsets_and_seek(mock_bootstrap: str, topic_name: str) -> None:
    async with KafkaProducer.create(mock_bootstrap) as producer:
        for i in range(6):
            await producer.send(topic_name, b"x%d" % i, partition=2)
        acks0 = KafkaProducer.create(mock_bootstrap, acks=0)
        async with acks0:
            m = await acks0.send(topic_name, b"fire-and-forget", partition=2)
        assert m.offset == -1
    tp = TopicPartition(topic_name, 2)
    async with KafkaAdminClient.create(mock_bootstrap) as admin:
        earliest = await admin.list_offsets({tp: EARLIEST})
        assert earliest[tp].check().offset == 0
        with trio.fail_after(30):
            while (await admin.list_offsets({tp: LATEST}))[tp].check().offset < 7:
                await trio.sleep(0.05)  # acks=0 gives no acknowledgement to wait on
    async with KafkaConsumer.create(mock_bootstrap) as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 4)
        records = await _consume_all(consumer, 3)
        assert [(r.offset, r.value) for r in records] == [(4, b"x4"), (5, b"x5"), (6, b"fire-and-forget")]
        consumer.seek_to_end([tp])
        assert await consumer.position(tp) == 7
        consumer.seek_to_beginning()
        assert await consumer.position(tp) == 0


async def test_offset_out_of_range_follows_the_reset_policy(mock_bootstrap: str, topic_name: str) -> None:
    tp = TopicPartition(topic_name, 0)
    async with KafkaProducer.create(mock_bootstrap) as producer:
        await producer.send(topic_name, b"only", partition=0)
    async with KafkaConsumer.create(mock_bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 1000)
        records = await _consume_all(consumer, 1)
        assert [(r.offset, r.value) for r in records] == [(0, b"only")]
    async with KafkaConsumer.create(mock_bootstrap, auto_offset_reset="none") as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 1000)
        with pytest.raises(OffsetOutOfRange):
            await consumer.poll(5000)


async def test_consumer_of_an_unknown_topic_fails(mock_bootstrap: str, topic_name: str) -> None:
    async with KafkaConsumer.create(mock_bootstrap) as consumer:
        consumer.assign([TopicPartition(topic_name, 0)])
        with pytest.raises(UnknownTopicOrPartition):
            await consumer.poll(1000)
