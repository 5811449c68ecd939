"""Replication under failures, with real broker processes and a real ZooKeeper.

Each test runs a 3-broker lab cluster (session timeout 2 s) and real confluent-kafka clients.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import attrs
import pytest
import trio
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kafka_clone.lab import cluster as lab
from tests.chaos.conftest import SESSION_TIMEOUT_MS, wait_until
from zk import ensemble as zke
from zk.admin_zk_client import AdminZkClient
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import ReassignPartitionsZNode, TopicPartitionStateZNode, TopicZNode

pytestmark = [pytest.mark.zk, pytest.mark.chaos, pytest.mark.slow]

DEADLINE = SESSION_TIMEOUT_MS / 1000 + 30


@attrs.frozen
class PartitionInfo:
    leader: int
    isrs: list[int]
    replicas: list[int]


def partition_info(cluster, topic: str, partition: int = 0) -> PartitionInfo | None:
    """The partition's state znode and assignment, read from ZooKeeper (the authority; a client's
    metadata request may sit on a frozen broker until it times out)."""
    async def read():
        async with ZkClient.open(cluster.data["zookeeper_connect"], session_timeout_ms=10000) as zk:
            state = await zk.get_or_none(TopicPartitionStateZNode.path(topic, partition))
            assignment = await zk.get_or_none(TopicZNode.path(topic))
        if state is None or assignment is None:
            return None
        li = TopicPartitionStateZNode.decode(state[0])
        return PartitionInfo(li.leader, list(li.isr), list(TopicZNode.decode(topic, assignment[0]).replicas(partition)))
    return trio.run(read)


def create(cluster, admin: AdminClient, topic: str, partitions: int, rf: int, **config: str) -> None:
    admin.create_topics([NewTopic(topic, partitions, rf, config=config)])[topic].result(30)
    assert wait_until(lambda: (info := partition_info(cluster, topic)) is not None and len(info.isrs) == rf)


def create_with_assignment(bootstrap: str, topic: str, assignment: dict[int, list[int]],
                           config: dict[str, str] | None = None) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic as KNewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([KNewTopic(topic, -1, -1, replica_assignments=assignment, topic_configs=config or {})])
    admin.close()


def consume_values(bootstrap: str, topic: str, expected_at_least: int, timeout: float = 60) -> list[int]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verify", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    values, deadline = [], time.monotonic() + timeout
    idle_since = time.monotonic()
    while time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            if len(values) >= expected_at_least and time.monotonic() - idle_since > 3:
                break
            continue
        idle_since = time.monotonic()
        if m.error() is None:
            values.append(int(m.value()))
    c.close()
    return values


class BackgroundProducer:
    """An idempotent acks=all producer sending 0, 1, 2, ... until stopped; remembers what was acked."""

    def __init__(self, bootstrap: str, topic: str):
        self.acked: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                   "linger.ms": 2, "message.timeout.ms": 120000})
        self._thread = threading.Thread(target=self._run, args=(topic,), daemon=True)

    def _on_delivery(self, err, msg) -> None:
        if err is None:
            self.acked.append(int(msg.value()))
        else:
            self.errors.append(str(err))

    def _run(self, topic: str) -> None:
        i = 0
        while not self._stop.is_set():
            try:
                self._producer.produce(topic, str(i).encode(), partition=0, on_delivery=self._on_delivery)
                i += 1
            except BufferError:
                pass
            self._producer.poll(0.002)

    def __enter__(self) -> "BackgroundProducer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)
        self._producer.flush(120)


def kill_and_restart(cluster, topic: str, broker_id: int) -> None:
    lab.kill(cluster.dir, broker=broker_id)
    assert wait_until(lambda: (i := partition_info(cluster, topic)) is not None and i.leader not in (-1, broker_id)
                      and broker_id not in i.isrs, timeout=DEADLINE), "no new leader / ISR shrink"
    time.sleep(1)  # let the producer write to the new leader while the broker is down
    lab.start(cluster.dir, broker=broker_id)
    assert wait_until(lambda: broker_id in partition_info(cluster, topic).isrs, timeout=DEADLINE), "did not rejoin the ISR"


def test_acked_records_survive_leader_controller_and_follower_kills(lab_cluster):
    bootstrap = lab_cluster.data["bootstrap_servers"]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    create(lab_cluster, admin, "durable", 1, 3, **{"min.insync.replicas": "2"})
    with BackgroundProducer(bootstrap, "durable") as producer:
        assert wait_until(lambda: len(producer.acked) > 200)
        kill_and_restart(lab_cluster, "durable", partition_info(lab_cluster, "durable").leader)
        kill_and_restart(lab_cluster, "durable", lab.status(lab_cluster.dir)["controller"])
        info = partition_info(lab_cluster, "durable")
        kill_and_restart(lab_cluster, "durable", next(r for r in info.replicas if r != info.leader))
        before = len(producer.acked)
        assert wait_until(lambda: len(producer.acked) > before + 100)
    acked = producer.acked
    consumed = consume_values(bootstrap, "durable", len(acked))
    assert consumed == sorted(set(consumed)), "out of order or duplicated"
    assert set(acked) <= set(consumed), f"{len(set(acked) - set(consumed))} acknowledged records lost"


def _restart_with(cluster, broker_id: int, overrides: dict[str, str]) -> None:
    """Restart one broker (a clean shutdown, so its registration goes at once) with some of its
    server.properties changed."""
    zke.stop_pid(lab.ClusterFile.load(cluster.dir).broker(broker_id)["pid"])
    path = Path(cluster.broker(broker_id)["config"])
    props = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    lab.write_server_properties(path, {**props, **overrides})
    lab.start(cluster.dir, broker=broker_id)


def _log_bytes(cluster, broker_id: int, topic: str) -> bytes:
    d = Path(cluster.broker(broker_id)["log_dirs"]) / f"{topic}-0"
    return b"".join(p.read_bytes() for p in sorted(d.glob("*.log")))


def test_frozen_leader_loses_leadership_then_truncates_and_rejoins(lab_cluster):
    bootstrap = lab_cluster.data["bootstrap_servers"]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    create(lab_cluster, admin, "frozen", 1, 3, **{"min.insync.replicas": "2"})
    # A frozen broker still holds its TCP connections: requests to it only fail by timeout, so
    # the producer's timeout bounds how soon it moves to the new leader (as with real Kafka).
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "request.timeout.ms": 5000, "socket.timeout.ms": 5000})
    for i in range(100):
        p.produce("frozen", str(i).encode(), partition=0)
    assert p.flush(30) == 0
    old = partition_info(lab_cluster, "frozen").leader
    pid = lab_cluster.broker(old)["pid"]
    zke.kill_pid(pid, signal.SIGSTOP)
    try:
        assert wait_until(lambda: (i := partition_info(lab_cluster, "frozen")) is not None and i.leader not in (-1, old),
                          timeout=DEADLINE)
        for i in range(100, 200):
            p.produce("frozen", str(i).encode(), partition=0)
        assert p.flush(120) == 0
    finally:
        zke.kill_pid(pid, signal.SIGCONT)
    # Resumed: its session expired, so it re-registers, becomes a follower, truncates by leader
    # epoch and catches up; its log becomes byte-identical to the others'.
    assert wait_until(lambda: old in partition_info(lab_cluster, "frozen").isrs, timeout=DEADLINE)
    assert wait_until(lambda: len({_log_bytes(lab_cluster, b, "frozen") for b in (1, 2, 3)}) == 1, timeout=DEADLINE)
    assert consume_values(bootstrap, "frozen", 200) == list(range(200))


def test_unclean_election_off_keeps_data_on_trades_it_for_availability(lab_cluster):
    bootstrap = lab_cluster.data["bootstrap_servers"]
    create_with_assignment(bootstrap, "unclean", {0: [1, 2]})
    assert wait_until(lambda: (i := partition_info(lab_cluster, "unclean")) is not None and len(i.isrs) == 2)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(50):
        p.produce("unclean", str(i).encode(), partition=0)
    assert p.flush(30) == 0
    lab.kill(lab_cluster.dir, broker=2)  # the follower: ISR shrinks to [1]
    assert wait_until(lambda: partition_info(lab_cluster, "unclean").isrs == [1], timeout=DEADLINE)
    for i in range(50, 80):
        p.produce("unclean", str(i).encode(), partition=0)
    assert p.flush(30) == 0  # acknowledged by broker 1 alone
    lab.kill(lab_cluster.dir, broker=1)
    lab.start(lab_cluster.dir, broker=2)
    # Unclean election off: broker 2 is live but not in the ISR, so the partition stays offline
    # rather than losing records 50..79.
    assert wait_until(lambda: (i := partition_info(lab_cluster, "unclean")) is not None and i.leader == -1,
                      timeout=DEADLINE), partition_info(lab_cluster, "unclean")
    time.sleep(3)
    assert partition_info(lab_cluster, "unclean").leader == -1
    # On: broker 2 leads from outside the ISR, and the records only broker 1 had are gone.
    # As `kafka-configs.sh --zookeeper` does: write the topic config and its change notification.
    async def enable_unclean():
        async with ZkClient.open(lab_cluster.data["zookeeper_connect"], session_timeout_ms=10000) as zk:
            await AdminZkClient(KafkaZkClient(zk)).change_topic_config(
                "unclean", {"unclean.leader.election.enable": "true"})
    trio.run(enable_unclean)
    assert wait_until(lambda: partition_info(lab_cluster, "unclean").leader == 2, timeout=DEADLINE)
    assert consume_values(bootstrap, "unclean", 50, timeout=20) == list(range(50))


def test_kip101_diverged_logs_are_reconciled_by_leader_epoch(lab_cluster):
    """KIP-101's second scenario: two replicas crash together with different uncommitted tails.

    Broker 1 leads, broker 3 follows. Broker 3 is frozen (so it cannot fetch), broker 1 takes a
    record that only it has (acks=1), then both are killed. Broker 3 comes back first, leads a new
    epoch and takes a different record at the same offset. When broker 1 returns, it must truncate
    its diverged record by asking for the end of its epoch (not keep it, as high-watermark
    truncation could), so both logs end up identical.

    Which of the two sessions ZooKeeper expires first is a race (broker 3 stopped heartbeating
    earlier, but pings are up to a third of the session apart). If broker 3's goes first, the
    controller shrinks the ISR to [1] and a clean election could never pick broker 3, exactly as
    in Kafka. KIP-101's scenario has the first replica back lead either way, so the topic allows
    unclean election: broker 3 leads cleanly in one order and uncleanly in the other.
    """
    bootstrap = lab_cluster.data["bootstrap_servers"]
    create_with_assignment(bootstrap, "diverge", {0: [1, 3]}, {"unclean.leader.election.enable": "true"})
    assert wait_until(lambda: (i := partition_info(lab_cluster, "diverge")) is not None and len(i.isrs) == 2)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    p.produce("diverge", b"m0", partition=0)
    assert p.flush(30) == 0
    follower_pid = lab_cluster.broker(3)["pid"]
    zke.kill_pid(follower_pid, signal.SIGSTOP)
    only_on_1 = Producer({"bootstrap.servers": bootstrap, "acks": "1"})
    only_on_1.produce("diverge", b"m1-uncommitted", partition=0)
    assert only_on_1.flush(30) == 0
    lab.kill(lab_cluster.dir, broker=1)
    # Killed while still frozen: a fetch response carrying m1 may sit unread in its socket.
    lab.kill(lab_cluster.dir, broker=3)
    assert wait_until(lambda: partition_info(lab_cluster, "diverge").leader == -1, timeout=DEADLINE)
    lab.start(lab_cluster.dir, broker=3)
    assert wait_until(lambda: partition_info(lab_cluster, "diverge").leader == 3, timeout=DEADLINE)
    fresh = Producer({"bootstrap.servers": bootstrap, "acks": "1"})
    fresh.produce("diverge", b"m2", partition=0)
    assert fresh.flush(60) == 0
    lab.start(lab_cluster.dir, broker=1)
    assert wait_until(lambda: 1 in partition_info(lab_cluster, "diverge").isrs, timeout=DEADLINE)
    assert wait_until(lambda: _log_bytes(lab_cluster, 1, "diverge") == _log_bytes(lab_cluster, 3, "diverge"),
                      timeout=DEADLINE)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verify", "enable.auto.commit": False})
    c.assign([TopicPartition("diverge", 0, 0)])
    values, deadline = [], time.monotonic() + 30
    while len(values) < 2 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            values.append(m.value())
    c.close()
    assert values == [b"m0", b"m2"]


def _reassign_through_zookeeper(cluster, topic: str, replicas: list[int]) -> None:
    """What `kafka-reassign-partitions.sh --zookeeper` did: write `/admin/reassign_partitions`."""
    async def write():
        async with ZkClient.open(cluster.data["zookeeper_connect"], session_timeout_ms=10000) as zk:
            await zk.create(ReassignPartitionsZNode.path(), ReassignPartitionsZNode.encode({(topic, 0): replicas}))
    trio.run(write)


def _reassignment_done(cluster, topic: str, replicas: list[int]) -> bool:
    async def read():
        async with ZkClient.open(cluster.data["zookeeper_connect"], session_timeout_ms=10000) as zk:
            pending = await zk.exists(ReassignPartitionsZNode.path())
            data, _ = await zk.get(TopicZNode.path(topic))
        a = TopicZNode.decode(topic, data)
        return pending is None and list(a.replicas(0)) == replicas and not a.adding_replicas and not a.removing_replicas
    return trio.run(read)


def test_reassignment_while_producing_loses_nothing(lab_cluster):
    bootstrap = lab_cluster.data["bootstrap_servers"]
    create_with_assignment(bootstrap, "moving", {0: [1]})
    assert wait_until(lambda: partition_info(lab_cluster, "moving") is not None)
    with BackgroundProducer(bootstrap, "moving") as producer:
        assert wait_until(lambda: len(producer.acked) > 200)
        _reassign_through_zookeeper(lab_cluster, "moving", [1, 2, 3])  # RF 1 -> 3
        assert wait_until(lambda: _reassignment_done(lab_cluster, "moving", [1, 2, 3]), timeout=DEADLINE)
        assert sorted(partition_info(lab_cluster, "moving").isrs) == [1, 2, 3]
        _reassign_through_zookeeper(lab_cluster, "moving", [3, 2])  # every replica off broker 1
        assert wait_until(lambda: _reassignment_done(lab_cluster, "moving", [3, 2]), timeout=DEADLINE)
        before = len(producer.acked)
        assert wait_until(lambda: len(producer.acked) > before + 100), producer.errors[-3:]
    assert partition_info(lab_cluster, "moving").leader == 3
    consumed = consume_values(bootstrap, "moving", len(producer.acked))
    assert consumed == sorted(set(consumed)), "out of order or duplicated"
    assert set(producer.acked) <= set(consumed), f"{len(set(producer.acked) - set(consumed))} acknowledged records lost"


def test_kip101_restarted_follower_does_not_truncate_to_its_high_watermark(lab_cluster):
    """KIP-101's first scenario: a follower restarts with acknowledged records beyond its
    (checkpointed, lagging) high watermark. Before KIP-101 it truncated to that high watermark at
    once, and an election right then lost acknowledged records. Now it keeps its log until the
    leader has told it where its epoch ends; here the leader is frozen, so it must keep everything.
    """
    bootstrap = lab_cluster.data["bootstrap_servers"]
    controller = lab.status(lab_cluster.dir)["controller"]
    leader, follower = [b for b in (1, 2, 3) if b != controller]
    # The leader stays frozen while the follower starts up and becomes its follower; with the
    # lab's 3 s session it could expire first on a busy machine, and the follower would then
    # never follow it. A long session keeps it the registered leader through the freeze.
    _restart_with(lab_cluster, leader, {"zookeeper.session.timeout.ms": "20000"})
    create_with_assignment(bootstrap, "kip101", {0: [leader, follower]})
    assert wait_until(lambda: (i := partition_info(lab_cluster, "kip101")) is not None and len(i.isrs) == 2)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(10):
        p.produce("kip101", f"m{i}".encode(), partition=0)
    assert p.flush(30) == 0
    acked = _log_bytes(lab_cluster, follower, "kip101")
    lab.kill(lab_cluster.dir, broker=follower)
    # The scenario: the follower's checkpointed high watermark is behind the records it holds.
    checkpoint = Path(lab_cluster.broker(follower)["log_dirs"]) / "replication-offset-checkpoint"
    hws = dict(line.rsplit(" ", 1) for line in checkpoint.read_text().splitlines()[2:]) if checkpoint.exists() else {}
    assert int(hws.get("kip101 0", 0)) < 10
    leader_pid = lab.ClusterFile.load(lab_cluster.dir).broker(leader)["pid"]
    zke.kill_pid(leader_pid, signal.SIGSTOP)
    try:
        lab.start(lab_cluster.dir, broker=follower)
        log = Path(lab_cluster.broker(follower)["config"]).parent / "broker.log"
        assert wait_until(lambda: "kip101-0: follower of broker" in log.read_text(), timeout=DEADLINE)
        # A wrong truncation would happen at once, while becoming a follower; this waits long
        # enough to see it, there being no event for "did not happen".
        time.sleep(2)
        assert _log_bytes(lab_cluster, follower, "kip101") == acked
    finally:
        zke.kill_pid(leader_pid, signal.SIGCONT)
    assert wait_until(lambda: _log_bytes(lab_cluster, leader, "kip101") == _log_bytes(lab_cluster, follower, "kip101"),
                      timeout=DEADLINE)
    assert _log_bytes(lab_cluster, follower, "kip101").startswith(acked)
