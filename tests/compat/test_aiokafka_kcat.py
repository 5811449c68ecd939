"""aiokafka and kcat against our brokers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

pytestmark = [pytest.mark.compat, pytest.mark.zk]


def test_aiokafka_produce_consume(bootstrap, topic_name):
    async def run():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            offsets = [(await producer.send_and_wait(topic_name, f"m{i}".encode(), key=b"same")).offset
                       for i in range(20)]
        finally:
            await producer.stop()
        assert offsets == list(range(20))  # one key, one partition, in order
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(topic_name) or {0}
            consumer.assign([TopicPartition(topic_name, p) for p in partitions])
            await consumer.seek_to_beginning()
            values = []
            while len(values) < 20:
                batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
                for records in batch.values():
                    values += [r.value for r in records]
        finally:
            await consumer.stop()
        assert values == [f"m{i}".encode() for i in range(20)]

    asyncio.run(run())


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
def test_kcat_metadata_produce_consume(bootstrap, topic_name):
    broker = bootstrap.split(",")[0]
    meta = subprocess.run(["kcat", "-b", broker, "-L"], capture_output=True, text=True, timeout=30)
    assert meta.returncode == 0 and " 3 brokers:" in meta.stdout
    produce = subprocess.run(["kcat", "-b", broker, "-P", "-t", topic_name, "-K:"], input="a:1\nb:2\nc:3\n",
                             capture_output=True, text=True, timeout=30)
    assert produce.returncode == 0, produce.stderr
    consume = subprocess.run(["kcat", "-b", broker, "-C", "-t", topic_name, "-e", "-f", "%k=%s\\n"],
                             capture_output=True, text=True, timeout=60)
    assert sorted(consume.stdout.split()) == ["a=1", "b=2", "c=3"]
