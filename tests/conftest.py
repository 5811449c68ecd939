"""Shared fixtures: a real ZooKeeper ensemble for the session, a chroot per test.

The ensemble is Debian's ZooKeeper started by our own launcher (no mocks: sessions, ephemerals,
one-shot watches and versioned writes are what breaks in production).  `KCLONE_ZOOKEEPER_CONNECT`
points the tests at an existing ensemble instead.  A fast `tickTime` keeps session expiry short;
deadlines in tests stay generous for a loaded 2-core machine.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from zk.ensemble import Ensemble, ZooKeeperNotFound

TEST_TICK_TIME_MS = 200
#: Raised above the 20 ticks (4 s) ZooKeeper allows by default, so a test can give one broker a
#: session that outlives a deliberate freeze while the others keep the short, fast-failing one.
TEST_MAX_SESSION_TIMEOUT_MS = 30000

# Lab clusters started by tests (and the `kclone` processes they spawn) take any free ports, so
# clusters started side by side never race for the usual 9092-9094.
os.environ["KCLONE_LAB_ANY_PORTS"] = "1"


@pytest.fixture(scope="session")
def zookeeper_connect(tmp_path_factory: pytest.TempPathFactory):
    """host:port,... of a real 3-node ensemble shared by the whole session."""
    existing = os.environ.get("KCLONE_ZOOKEEPER_CONNECT")
    if existing:
        yield existing
        return
    try:
        ens = Ensemble.start(tmp_path_factory.mktemp("zk"), 3, tick_time_ms=TEST_TICK_TIME_MS,
                             max_session_timeout_ms=TEST_MAX_SESSION_TIMEOUT_MS)
    except ZooKeeperNotFound as exc:
        pytest.skip(f"no ZooKeeper: {exc}")
    with ens:
        yield ens.connect_string


@pytest.fixture
def zk_connect(zookeeper_connect: str) -> str:
    """The session ensemble with a fresh chroot, so tests never see each other's znodes."""
    return f"{zookeeper_connect}/kclone-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker_config(zk_connect: str, tmp_path: Path):
    """Build a KafkaConfig for broker `broker_id` on a free port, in this test's chroot."""
    from kafka_clone.server.config import KafkaConfig

    def make(broker_id: int, **overrides: str) -> KafkaConfig:
        props = {
            "broker.id": str(broker_id),
            "listeners": "PLAINTEXT://127.0.0.1:0",
            "log.dirs": str(tmp_path / f"broker-{broker_id}"),
            "zookeeper.connect": zk_connect,
            "zookeeper.session.timeout.ms": "2000",
        }
        props.update({k.replace("_", "."): v for k, v in overrides.items()})
        return KafkaConfig.from_properties(props)

    return make
