"""kafka-python against our brokers: admin, producer with its defaults (idempotent), assign."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import murmur2

pytestmark = [pytest.mark.compat, pytest.mark.zk]


def consume_all(bootstrap: str, topic: str, partitions: int, expected: int):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=10000, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    got = []
    for record in consumer:
        got.append(record)
        if len(got) == expected:
            break
    consumer.close()
    return got


def test_admin_producer_consumer(bootstrap, topic_name):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    admin.create_topics([NewTopic(topic_name, 3, 1)])
    with pytest.raises(TopicAlreadyExistsError):
        admin.create_topics([NewTopic(topic_name, 3, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    sent = []
    for i in range(300):
        key = f"key-{i % 17}".encode()
        sent.append((key, f"v{i}".encode(), producer.send(topic_name, key=key, value=f"v{i}".encode(),
                                                          headers=[("n", str(i).encode())])))
    producer.flush()
    placed = {}
    for key, value, future in sent:
        md = future.get(timeout=30)
        # The client's own partitioner chose the partition; the broker kept it.
        assert md.partition == (murmur2(key) & 0x7FFFFFFF) % 3
        placed[value] = (md.partition, md.offset)
    producer.close()

    records = consume_all(bootstrap, topic_name, 3, 300)
    assert len(records) == 300
    by_partition: dict[int, list] = {}
    for r in records:
        assert (r.partition, r.offset) == placed[r.value]
        assert r.headers == [("n", r.value[1:])]
        by_partition.setdefault(r.partition, []).append(r.offset)
    for offsets in by_partition.values():
        assert offsets == list(range(len(offsets)))  # in order, none twice, none missing
    admin.delete_topics([topic_name])
    admin.close()


def wait_for(fetch, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_describe_and_alter_configs(bootstrap, topic_name):
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic_name, 1, 1, topic_configs={"retention.ms": "3600000"})])
    resource = ConfigResource(ConfigResourceType.TOPIC, topic_name)
    # The broker answering may learn of the new topic a moment after the controller (as in
    # Kafka, DescribeConfigs checks the broker's metadata): ask until it knows it.
    described = wait_for(lambda: admin.describe_configs([resource], config_filter="all")["topic"].get(topic_name))
    assert described["retention.ms"]["value"] == "3600000"
    assert described["retention.ms"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
    assert described["cleanup.policy"]["value"] == "delete"
    altered = ConfigResource(ConfigResourceType.TOPIC, topic_name, configs={"retention.ms": "7200000"})
    assert admin.alter_configs([altered]) == {"topic": {topic_name: "OK"}}
    modified = admin.describe_configs([resource])["topic"][topic_name]
    assert modified["retention.ms"]["value"] == "7200000"
    admin.close()
