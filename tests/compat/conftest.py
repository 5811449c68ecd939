"""A real 3-broker cluster (broker processes, the session's real ZooKeeper) for the real clients.

The clients (kafka-python, confluent-kafka, aiokafka, kcat) are synchronous or run their own
event loops, so the brokers run as processes, as a user runs them (`kclone cluster up`).  One
cluster serves the module; each test uses its own topics.
"""

from __future__ import annotations

import uuid

import pytest

from kafka_clone.lab import cluster as lab


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory, zookeeper_connect):
    directory = tmp_path_factory.mktemp("compat") / "lab"
    connect = f"{zookeeper_connect}/compat-{uuid.uuid4().hex[:8]}"
    c = lab.up(directory, brokers=3, zookeeper_connect=connect,
               config={"zookeeper.session.timeout.ms": "4000"})
    try:
        yield c
    finally:
        lab.down(directory)


@pytest.fixture
def bootstrap(kafka_cluster) -> str:
    return kafka_cluster.data["bootstrap_servers"]


@pytest.fixture
def topic_name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
