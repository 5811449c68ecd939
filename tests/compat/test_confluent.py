"""confluent-kafka (librdkafka) against our brokers: admin, every codec, keys/headers, assign."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = [pytest.mark.compat, pytest.mark.zk]

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def test_admin_produce_every_codec_and_consume(bootstrap, topic_name):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic_name, num_partitions=4, replication_factor=1)])[topic_name].result(30)
    md = admin.list_topics(timeout=10)
    assert topic_name in md.topics and len(md.topics[topic_name].partitions) == 4
    assert sorted(md.brokers) == [1, 2, 3] and md.controller_id in (1, 2, 3)

    delivered = {}

    def on_delivery(err, msg):
        assert err is None, err
        delivered[msg.value()] = (msg.partition(), msg.offset())

    for codec in CODECS:
        p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "enable.idempotence": True,
                      "linger.ms": 5})
        for i in range(50):
            p.produce(topic_name, key=f"k{i}", value=f"{codec}-{i}", headers=[("codec", codec.encode())],
                      timestamp=1_700_000_000_000 + i, on_delivery=on_delivery)
        assert p.flush(30) == 0
    assert len(delivered) == 250

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    c.assign([TopicPartition(topic_name, p, 0) for p in range(4)])
    got = {}
    deadline = time.monotonic() + 60
    while len(got) < 250 and time.monotonic() < deadline:
        m = c.poll(1)
        if m is None:
            continue
        assert m.error() is None, m.error()
        codec, i = m.value().decode().rsplit("-", 1)
        assert m.key() == f"k{i}".encode() and m.headers() == [("codec", codec.encode())]
        assert m.timestamp() == (1, 1_700_000_000_000 + int(i))
        got[m.value()] = (m.partition(), m.offset())
    c.close()
    assert got == delivered


def test_unknown_topic_without_auto_create(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "allow.auto.create.topics": False})
    md = c.list_topics("no-such-topic-here", timeout=10)
    assert md.topics["no-such-topic-here"].error is not None
    c.close()


def test_create_topic_errors(bootstrap, topic_name):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    with pytest.raises(KafkaException) as info:
        admin.create_topics([NewTopic(topic_name, num_partitions=1, replication_factor=4)])[topic_name].result(30)
    assert "INVALID_REPLICATION_FACTOR" in str(info.value)
    with pytest.raises(KafkaException) as info:
        admin.create_topics([NewTopic("bad/name", num_partitions=1, replication_factor=1)])["bad/name"].result(30)
    assert "val=17" in str(info.value)  # INVALID_TOPIC_EXCEPTION (librdkafka: TOPIC_EXCEPTION)
