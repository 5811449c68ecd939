"""Consumer groups with the real clients: kafka-python, confluent-kafka, aiokafka and kcat (-G).

Each scenario runs three members of one group as separate processes on a 6-partition topic:
each gets two partitions; one leaves cleanly (SIGTERM: LeaveGroup) or is killed (SIGKILL: the
coordinator expires its session), the other two take its partitions and resume from the
committed offsets; every record produced is consumed at least once; a second group reads
everything on its own. The assignment is the clients' (range, round-robin, cooperative-sticky,
sticky): the broker only passes it through, and DescribeGroups shows it. A last test kills the
coordinator's broker in the middle of consumption: the group finds the new coordinator, which
loaded the group and its offsets from ``__consumer_offsets``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import trio

from kafka_clone.client.group_admin import GroupAdminClient
from kafka_clone.common.topic import TopicPartition
from kafka_clone.lab import cluster as lab

pytestmark = [pytest.mark.compat, pytest.mark.slow, pytest.mark.zk]

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 6
DEADLINE_S = 90


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory, zookeeper_connect):
    """The compat cluster, its brokers started with the group coordinator.

    Until broker.py wires the coordinator, brokers run through ``tests.coordinator.group_broker``
    (which is plain ``broker start`` once it is wired). ``group.initial.rebalance.delay.ms=0``
    as in Kafka's own integration tests.
    """
    from tests.coordinator import group_broker

    directory = tmp_path_factory.mktemp("groups") / "lab"
    connect = f"{zookeeper_connect}/groups-{uuid.uuid4().hex[:8]}"
    mp = pytest.MonkeyPatch()
    if not group_broker.WIRED:
        mp.setattr(lab, "_broker_command",
                   lambda config: [sys.executable, "-m", "tests.coordinator.group_broker", str(config)])
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    try:
        c = lab.up(directory, brokers=3, zookeeper_connect=connect,
                   config={"zookeeper.session.timeout.ms": "4000", "group.initial.rebalance.delay.ms": "0"})
        try:
            yield c
        finally:
            lab.down(directory)
    finally:
        mp.undo()


# ---- helpers ----

def eventually(check, what: str, timeout: float = DEADLINE_S, workers: list | None = None):
    """Poll ``check()`` until it returns a truthy value, with a deadline (never a bare sleep);
    on timeout the members' own logs are part of the message."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            for w in workers or ():
                w.dump_stacks()
            raise AssertionError(f"timed out waiting for {what}" + "".join(w.tail() for w in workers or ()))
        time.sleep(0.2)


def admin_call(bootstrap: str, fn):
    async def run():
        async with GroupAdminClient.create(bootstrap, timeout_ms=30000) as admin:
            return await fn(admin)
    return trio.run(run)


def create_topic(bootstrap: str, topic: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, PARTITIONS, 2)])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, values: range, **config) -> None:
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=bootstrap, **{"acks": "all", **config})
    for v in values:
        producer.send(topic, str(v).encode(), partition=v % PARTITIONS)
    producer.flush()
    producer.close()


class Worker:
    """A group member process; its records and assignments are read from its output."""

    def __init__(self, client: str, bootstrap: str, group: str, topic: str, assignor: str, log_dir: Path):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.stderr = open(log_dir / f"{client}-{uuid.uuid4().hex[:6]}.err", "w")
        if client == "kcat":
            argv = ["kcat", "-b", bootstrap, "-G", group, "-f", "%p %o %s\n", "-q", "-u",
                    "-X", "auto.offset.reset=earliest", "-X", f"partition.assignment.strategy={assignor}",
                    "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000",
                    "-X", "auto.commit.interval.ms=200", topic]
        else:
            argv = [sys.executable, "-m", "tests.coordinator.group_worker", client, bootstrap, group, topic, assignor]
        self.client = client
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env, cwd=REPO)
        self.records: list[tuple[int, int, int]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            if self.client == "kcat":
                p, o, v = line.split(" ", 2)
                record = (int(p), int(o), int(v))
            else:
                event = json.loads(line)
                if "r" not in event:
                    continue
                p, o, v = event["r"]
                record = (p, o, int(v))
            with self._lock:
                self.records.append(record)

    def dump_stacks(self) -> None:
        """Have a Python member write its threads' stacks to its log (faulthandler, SIGUSR1)."""
        if self.client != "kcat" and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.5)

    def tail(self, lines: int = 60) -> str:
        if not self.stderr.closed:
            self.stderr.flush()
        text = Path(self.stderr.name).read_text(errors="replace").splitlines()
        return f"\n--- {self.client} pid {self.proc.pid} exit {self.proc.poll()}:\n" + "\n".join(text[-lines:])

    def values(self) -> set[int]:
        with self._lock:
            return {v for _, _, v in self.records}

    def snapshot(self) -> list[tuple[int, int, int]]:
        with self._lock:
            return list(self.records)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(10)
        self.stderr.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._reader.join(10)
        self.stderr.close()


def stable_assignment(bootstrap: str, group: str, members: int):
    """The group's per-member partitions once it is Stable with ``members`` members covering all."""
    description = admin_call(bootstrap, lambda a: a.describe_group(group))
    if description.state != "Stable" or len(description.members) != members:
        return None
    owned = [sorted(tp.partition for tp in m.assignment) for m in description.members]
    if sorted(p for ps in owned for p in ps) != list(range(PARTITIONS)):
        return None
    return owned


SCENARIOS = [
    ("kafka-python", "range", "leave"),
    ("kafka-python", "roundrobin", "kill"),
    ("kafka-python", "cooperative-sticky", "leave"),
    ("confluent", "range", "kill"),
    ("confluent", "roundrobin", "leave"),
    ("confluent", "cooperative-sticky", "kill"),
    ("aiokafka", "range", "leave"),
    ("aiokafka", "roundrobin", "kill"),
    ("aiokafka", "sticky", "leave"),
    ("kcat", "range", "leave"),
    ("kcat", "roundrobin", "kill"),
    ("kcat", "cooperative-sticky", "leave"),
]


@pytest.mark.parametrize("client,assignor,how", [pytest.param(*s, id="-".join(s)) for s in SCENARIOS])
def test_three_members_share_six_partitions_and_survive_a_departure(bootstrap, topic_name, tmp_path,
                                                                    client, assignor, how):
    create_topic(bootstrap, topic_name)
    group = f"grp-{topic_name}"
    workers = [Worker(client, bootstrap, group, topic_name, assignor, tmp_path) for _ in range(3)]
    try:
        owned = eventually(lambda: stable_assignment(bootstrap, group, 3), "3 members with 2 partitions each",
                           workers=workers)
        assert sorted(len(ps) for ps in owned) == [2, 2, 2]

        produce(bootstrap, topic_name, range(0, 120))
        eventually(lambda: set().union(*(w.values() for w in workers)) >= set(range(120)), "the first 120 records",
                   workers=workers)

        victim, survivors = workers[0], workers[1:]
        victim.stop() if how == "leave" else victim.kill()
        committed = admin_call(bootstrap, lambda a: a.list_group_offsets(group))
        owned = eventually(lambda: stable_assignment(bootstrap, group, 2), "2 members sharing 6 partitions",
                           workers=survivors)
        assert sorted(len(ps) for ps in owned) == [3, 3]
        before = {id(w): len(w.snapshot()) for w in survivors}

        produce(bootstrap, topic_name, range(120, 240))
        eventually(lambda: set().union(*(w.values() for w in survivors)) >= set(range(120, 240)),
                   "the next 120 records on the survivors", workers=survivors)
        consumed = set().union(*(w.values() for w in workers))
        assert consumed >= set(range(240)), "at-least-once: no record lost"
        # Taken-over partitions resume from the committed offsets, not from the beginning.
        for w in survivors:
            for p, o, _ in w.snapshot()[before[id(w)]:]:
                c = committed.get(TopicPartition(topic_name, p))
                assert c is None or o >= c.offset, f"partition {p} re-read offset {o} below commit {c.offset}"
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.stop()

    # A second group reads everything, on its own.
    from kafka import KafkaConsumer
    other = KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=f"other-{topic_name}",
                          auto_offset_reset="earliest", consumer_timeout_ms=15000)
    seen = set()
    for record in other:
        seen.add(int(record.value))
        if len(seen) == 240:
            break
    other.close()
    assert seen == set(range(240))


def test_the_group_survives_its_coordinators_broker_being_killed(kafka_cluster, bootstrap, topic_name, tmp_path):
    create_topic(bootstrap, topic_name)
    group = f"grp-{topic_name}"
    workers = [Worker(c, bootstrap, group, topic_name, "range", tmp_path) for c in ("kafka-python", "aiokafka")]
    directory = kafka_cluster.dir
    killed = None
    try:
        eventually(lambda: stable_assignment(bootstrap, group, 2), "2 members")
        produce(bootstrap, topic_name, range(0, 60))
        eventually(lambda: set().union(*(w.values() for w in workers)) >= set(range(60)), "the first 60 records")
        coordinator = admin_call(bootstrap, lambda a: a.find_coordinator(group))
        killed = coordinator.node_id
        lab.kill(directory, broker=killed)
        alive = ",".join(f"127.0.0.1:{b['port']}" for b in kafka_cluster.data["brokers"] if b["id"] != killed)
        eventually(lambda: admin_call(alive, lambda a: a.find_coordinator(group)).node_id != killed,
                   "a new coordinator (the controller moved the __consumer_offsets leadership)")
        # acks=1 without idempotence: a retried duplicate batch does not re-check the high
        # watermark here (see the report), so acks=all could stall while the dead replica still
        # counts as caught up (replica.lag.time.max.ms).
        produce(alive, topic_name, range(60, 120), enable_idempotence=False, acks=1)
        eventually(lambda: set().union(*(w.values() for w in workers)) >= set(range(120)),
                   "the records produced after the coordinator died")
        eventually(lambda: stable_assignment(alive, group, 2), "the group stable at the new coordinator")
        offsets = admin_call(alive, lambda a: a.list_group_offsets(group))
        assert sum(o.offset for o in offsets.values()) >= 60
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.stop()
        if killed is not None:
            lab.start(directory, broker=killed)


def test_consumer_groups_cli_against_a_live_kafka_python_group(bootstrap, topic_name):
    from click.testing import CliRunner
    from kafka import KafkaConsumer

    from cli.consumer_groups import consumer_groups

    def run(*args: str):
        return CliRunner().invoke(consumer_groups, ["--bootstrap-server", bootstrap, *args])

    create_topic(bootstrap, topic_name)
    produce(bootstrap, topic_name, range(30))
    group = f"cli-{topic_name}"
    consumer = KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, client_id="cli-test")
    try:
        got = 0
        deadline = time.monotonic() + DEADLINE_S
        while got < 30 and time.monotonic() < deadline:
            got += sum(len(v) for v in consumer.poll(timeout_ms=500).values())
        consumer.commit()
        assert group in run("--list").output.splitlines()
        described = run("--describe", "--group", group)
        assert described.exit_code == 0, described.output
        lines = described.output.strip().splitlines()
        assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                    "CONSUMER-ID", "HOST", "CLIENT-ID"]
        rows = [line.split() for line in lines[1:]]
        assert sorted(int(r[2]) for r in rows) == list(range(PARTITIONS))
        assert all(r[3] == r[4] == "5" and r[5] == "0" and r[8] == "cli-test" for r in rows)
        members = run("--describe", "--group", group, "--members").output.strip().splitlines()
        assert members[0].split() == ["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
        assert members[1].split()[-1] == "6"
        assert "Stable" in run("--describe", "--group", group, "--state").output
        busy = run("--reset-offsets", "--group", group, "--topic", topic_name, "--to-earliest", "--execute")
        assert busy.exit_code == 1 and "can only be reset if the group" in busy.output
    finally:
        consumer.close()

    reset = run("--reset-offsets", "--group", group, "--topic", topic_name, "--to-earliest", "--execute")
    assert reset.exit_code == 0, reset.output
    shifted = run("--reset-offsets", "--group", group, "--topic", f"{topic_name}:0,1", "--shift-by", "2",
                  "--execute")
    assert shifted.exit_code == 0, shifted.output
    rows = [line.split() for line in run("--describe", "--group", group).output.strip().splitlines()[1:]
            if line.startswith(group)]
    current = {int(r[2]): (int(r[3]), int(r[5])) for r in rows}
    assert current == {0: (2, 3), 1: (2, 3), 2: (0, 5), 3: (0, 5), 4: (0, 5), 5: (0, 5)}
    dry = run("--reset-offsets", "--group", group, "--all-topics", "--to-latest", "--dry-run")
    assert dry.exit_code == 0 and dry.output.split().count("5") >= PARTITIONS
    deleted = run("--delete", "--group", group)
    assert f"Deletion of requested consumer groups ('{group}') was successful." in deleted.output
    assert "does not exist" in run("--describe", "--group", group).output


def test_static_membership_and_the_clients_admin_apis(kafka_cluster, bootstrap, topic_name):
    """KIP-345 with kafka-python (a closed static member stays until removed by the admin API);
    confluent-kafka's and kafka-python's group admin calls against the coordinator."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition as CTP
    from confluent_kafka.admin import AdminClient
    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka.admin import MemberToRemove

    create_topic(bootstrap, topic_name)
    produce(bootstrap, topic_name, range(30))
    group = f"static-{topic_name}"
    consumer = KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, group_instance_id="instance-1", session_timeout_ms=30000)
    assert sum(1 for _ in consumer) == 30
    consumer.commit()
    consumer.close()
    kp = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = kp.describe_groups([group])[group]
        # A static member sends no LeaveGroup on close: still there, under its instance id.
        assert described["group_state"] == "Stable"
        assert [m["group_instance_id"] for m in described["members"]] == ["instance-1"]
        assert {tp.partition: o.offset for tp, o in kp.list_group_offsets(group)[group].items()} == {
            p: 5 for p in range(PARTITIONS)}
        # The instance comes back (a new member id, same group.instance.id): no rebalance, its old
        # assignment, and it resumes from the committed offsets.
        produce(bootstrap, topic_name, range(30, 36))
        again = KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                              consumer_timeout_ms=5000, group_instance_id="instance-1", session_timeout_ms=30000)
        assert sorted(int(r.value) for r in again) == list(range(30, 36))
        assert {tp.partition for tp in again.assignment()} == set(range(PARTITIONS))
        again.commit()
        again.close()
        member_ids = [m["member_id"] for m in kp.describe_groups([group])[group]["members"]]
        assert len(member_ids) == 1 and member_ids != [m["member_id"] for m in described["members"]]
        logs = "".join((kafka_cluster.dir / f"broker-{b['id']}" / "broker.log").read_text()
                       for b in kafka_cluster.data["brokers"])
        assert f"Static member instance-1 of group {group} rejoined" in logs
        removed = kp.remove_group_members(group, [MemberToRemove(group_instance_id="instance-1")])
        assert [e.__name__ for e in removed.values()] == ["NoError"]
        assert kp.describe_groups([group])[group]["group_state"] == "Empty"

        ck = AdminClient({"bootstrap.servers": bootstrap})
        assert group in [g.group_id for g in ck.list_consumer_groups().result().valid]
        assert ck.describe_consumer_groups([group])[group].result().state.name == "EMPTY"
        ck.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [CTP(topic_name, 0, 2)])])[group].result()
        offsets = ck.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result()
        assert {tp.partition: tp.offset for tp in offsets.topic_partitions} == {0: 2, **{p: 6 for p in range(1, 6)}}
        ck.delete_consumer_groups([group])[group].result()
        assert group not in [g.group_id for g in ck.list_consumer_groups().result().valid]
    finally:
        kp.close()
