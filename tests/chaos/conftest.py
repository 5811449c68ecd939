"""Real broker processes (the lab contract) on the session's ZooKeeper, in a chroot per test."""

from __future__ import annotations

import json
import signal
import time
import uuid

import pytest

from kafka_clone.lab import cluster as lab
from zk import ensemble as zke

#: Short sessions for failure tests (the session ensemble's tickTime of 200 ms allows 0.4-4 s).
SESSION_TIMEOUT_MS = 3000


@pytest.fixture
def lab_cluster(tmp_path, zookeeper_connect):
    directory = tmp_path / "lab"
    connect = f"{zookeeper_connect}/kclone-lab-{uuid.uuid4().hex[:8]}"
    c = lab.up(directory, brokers=3, zookeeper_connect=connect,
               config={"zookeeper.session.timeout.ms": str(SESSION_TIMEOUT_MS),
                       # A lagging high-watermark checkpoint, so a restarted follower's HW is
                       # behind its log (KIP-101's first scenario needs that).
                       "replica.high.watermark.checkpoint.interval.ms": "60000"})
    try:
        yield c
    finally:
        st = json.loads((directory / "cluster.json").read_text())
        for b in st["brokers"]:
            if b.get("pid"):
                zke.kill_pid(b["pid"], signal.SIGCONT)
        lab.down(directory)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll an outside condition (other processes, ZooKeeper) with a deadline; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
