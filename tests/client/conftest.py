"""Fixtures for the client tests: librdkafka's in-memory mock cluster and our fake cluster.

The mock cluster (``test.mock.num.brokers``) is a real protocol peer: ApiVersions, Metadata
(auto-creating topics with 4 partitions on 3 brokers), Produce, Fetch, ListOffsets. It lives
inside a confluent-kafka Producer object; the fixture keeps that object alive for the session.
It does not implement CreateTopics, DeleteTopics, CreatePartitions, the config APIs or
DescribeCluster (librdkafka 2.16), and its controller id is 0, a broker that does not exist;
the admin tests use ``fake_broker.FakeCluster`` for those.
"""

from __future__ import annotations

import uuid

import pytest
import trio

from .fake_broker import FakeCluster, FakeClusterThread, serve


@pytest.fixture(scope="session")
def mock_cluster():
    """``(bootstrap_servers, confluent_producer)`` of a 3-broker librdkafka mock cluster."""
    confluent_kafka = pytest.importorskip("confluent_kafka")
    producer = confluent_kafka.Producer({"test.mock.num.brokers": 3, "log_level": 3})
    metadata = producer.list_topics(timeout=30)
    bootstrap = ",".join(f"{b.host}:{b.port}" for b in sorted(metadata.brokers.values(), key=lambda b: b.id))
    yield bootstrap, producer
    producer.flush(10)


@pytest.fixture
def mock_bootstrap(mock_cluster) -> str:
    return mock_cluster[0]


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name per test (the mock cluster is shared by the session)."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def fake_cluster(nursery: trio.Nursery) -> FakeCluster:
    """A 3-broker fake cluster serving in the test's nursery."""
    return await nursery.start(serve, FakeCluster())


@pytest.fixture
def fake_cluster_thread():
    """A 3-broker fake cluster in a background thread (for CLI tests, which call ``trio.run``)."""
    with FakeClusterThread(FakeCluster()) as cluster:
        yield cluster
