"""`kclone leader-election`: Kafka 2.8 LeaderElectionCommand's options, JSON file and lines.

Option checks and the report (pure), the command against the fake controller of
``tests/client/test_reassignment_admin.py``, and, marked ``compat``, a real 3-broker cluster
(broker processes): a preferred election after the preferred leader was killed and came back,
and an unclean election on a partition whose only ISR member is dead. Those need the broker side
of KIP-460 (ElectLeaders in the controller).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.leader_election import check_args, election_report, java_exception, leader_election, parse_election_json
from cli.topics import ToolError
from kafka_clone.client.reassignment_admin import ElectionType
from kafka_clone.common.topic import TopicPartition
from kafka_clone.lab import cluster as lab
from kafka_clone.protocol.errors import (
    ElectionNotNeeded,
    EligibleLeadersNotAvailable,
    PreferredLeaderNotAvailable,
    UnknownTopicOrPartition,
)
from tests.client.fake_broker import FakeClusterThread
from tests.client.test_reassignment_admin import ReassignFakeCluster
from tests.compat.conftest import bootstrap, topic_name  # noqa: F401 (fixtures)


def run(*args: str):
    return CliRunner().invoke(leader_election, list(args))


def tp(topic: str, p: int) -> TopicPartition:
    return TopicPartition(topic, p)


# ---- options (LeaderElectionCommand.validate) -----------------------------------------------------


@pytest.mark.parametrize("args,message", [
    ((), "Missing required option(s): election-type, bootstrap-server"),
    (("--election-type", "preferred"), "Missing required option(s): bootstrap-server"),
    (("--bootstrap-server", "h:1", "--election-type", "preferred"),
     "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"),
    (("--bootstrap-server", "h:1", "--election-type", "preferred", "--all-topic-partitions", "--topic", "t"),
     "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"),
    (("--bootstrap-server", "h:1", "--election-type", "preferred", "--topic", "t"),
     "Missing required option(s): partition"),
    (("--bootstrap-server", "h:1", "--election-type", "preferred", "--all-topic-partitions", "--partition", "0"),
     "Option partition is only allowed if topic is used"),
    (("--bootstrap-server", "h:1", "--election-type", "dirty", "--all-topic-partitions"),
     "Value [dirty] is not one of [PREFERRED, UNCLEAN]"),
])
def test_option_errors_are_one_line_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert "Traceback" not in result.output


def test_check_args_accepts_each_selection() -> None:
    base = {"bootstrap_server": "h:1", "election_type": "UNCLEAN", "topic": None, "partition": None,
            "all_topic_partitions": False, "path_to_json_file": None}
    for extra in ({"topic": "t", "partition": 0}, {"all_topic_partitions": True}, {"path_to_json_file": "f"}):
        check_args({**base, **extra})


def test_parse_election_json() -> None:
    assert parse_election_json('{"partitions":[{"topic":"t","partition":0},{"topic":"u","partition":2}]}') == [
        tp("t", 0), tp("u", 2)]
    for text, message in (("", "Replica election data is empty"),
                          ('{"version":1}', 'Replica election data is missing "partitions" field'),
                          ('{"partitions":[{"topic":"t","partition":0},{"topic":"t","partition":0}]}',
                           "Replica election data contains duplicate partitions: t-0")):
        with pytest.raises(ToolError) as info:
            parse_election_json(text)
        assert info.value.message == message


def test_report_lines_golden() -> None:
    results = {tp("t", 1): None, tp("t", 0): None, tp("u", 0): ElectionNotNeeded(),
               tp("v", 0): PreferredLeaderNotAvailable("Failed to elect leader for partition v-0 under strategy "
                                                       "PreferredReplicaPartitionLeaderElectionStrategy")}
    lines, failed = election_report(ElectionType.PREFERRED, results)
    assert failed == 1
    assert lines == [
        "Successfully completed leader election (PREFERRED) for partitions t-0, t-1",
        "Valid replica already elected for partitions u-0",
        "Error completing leader election (PREFERRED) for partition: v-0: "
        "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: Failed to elect leader for partition "
        "v-0 under strategy PreferredReplicaPartitionLeaderElectionStrategy",
    ]


def test_java_exception_names() -> None:
    assert java_exception(UnknownTopicOrPartition()) == (
        "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: "
        "This server does not host this topic-partition.")
    assert java_exception(EligibleLeadersNotAvailable("none")).startswith(
        "org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: none")


# ---- against the fake controller ------------------------------------------------------------------


@pytest.fixture
def cluster():
    with FakeClusterThread(ReassignFakeCluster()) as c:
        c.add_topic("t", [[1, 2], [2, 3], [3, 1]])
        yield c


def test_preferred_election_for_one_partition_and_all(cluster: ReassignFakeCluster) -> None:
    cluster.topics["t"].leaders[1] = 3
    result = run("--bootstrap-server", cluster.bootstrap, "--election-type", "PREFERRED", "--topic", "t",
                 "--partition", "1")
    assert (result.exit_code, result.stdout) == (
        0, "Successfully completed leader election (PREFERRED) for partitions t-1\n")
    assert cluster.topics["t"].leaders[1] == 2
    result = run("--bootstrap-server", cluster.bootstrap, "--election-type", "preferred", "--all-topic-partitions")
    assert (result.exit_code, result.stdout) == (0, "Valid replica already elected for partitions t-0, t-1, t-2\n")


def test_failures_exit_1_after_the_lines(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    cluster.topics["t"].leaders[0], cluster.topics["t"].isr[0] = 2, [2]  # preferred replica 1 out of the ISR
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"partitions": [{"topic": "t", "partition": 0}, {"topic": "t", "partition": 2},
                                               {"topic": "nope", "partition": 0}]}))
    result = run("--bootstrap-server", cluster.bootstrap, "--election-type", "preferred", "--path-to-json-file",
                 str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "Valid replica already elected for partitions t-2",
        "Error completing leader election (PREFERRED) for partition: nope-0: "
        "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this "
        "topic-partition.",
        "Error completing leader election (PREFERRED) for partition: t-0: "
        "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not "
        "available.",
    ]
    assert result.stderr == "2 replica(s) could not be elected\n"


def test_unclean_election(cluster: ReassignFakeCluster) -> None:
    cluster.topics["t"].leaders[2] = -1
    result = run("--bootstrap-server", cluster.bootstrap, "--election-type", "unclean", "--topic", "t",
                 "--partition", "2")
    assert (result.exit_code, result.stdout) == (0, "Successfully completed leader election (UNCLEAN) for partitions t-2\n")
    result = run("--bootstrap-server", cluster.bootstrap, "--election-type", "unclean", "--topic", "t",
                 "--partition", "2")
    assert (result.exit_code, result.stdout) == (0, "Valid replica already elected for partitions t-2\n")


def test_unreachable_cluster_is_one_line(tmp_path: Path) -> None:
    result = run("--bootstrap-server", "127.0.0.1:1", "--election-type", "preferred", "--all-topic-partitions")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.splitlines()) <= 2


# ---- a real cluster (needs the controller's KIP-460 side) -------------------------------------------


def start_lab_cluster(tmp_path_factory, zookeeper_connect: str, name: str, config: dict[str, str]):
    """``lab.up`` of 3 brokers in a fresh chroot, started again if a port was taken meanwhile: the
    lab prefers Kafka's usual ports, and another cluster started on this machine at the same moment
    can take one between the lab's check and the broker's bind."""
    for attempt in range(3):
        directory = tmp_path_factory.mktemp(name) / "lab"
        try:
            return lab.up(directory, brokers=3, config=config,
                          zookeeper_connect=f"{zookeeper_connect}/{name}-{uuid.uuid4().hex[:8]}")
        except lab.LabError as exc:
            if "Address already in use" not in str(exc) or attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory, zookeeper_connect):
    """``tests/compat``'s 3-broker cluster, without the controller's leader-imbalance check, which
    would otherwise move a leader back to its preferred replica on its own, at a time of its choosing."""
    c = start_lab_cluster(tmp_path_factory, zookeeper_connect, "election",
                          {"zookeeper.session.timeout.ms": "4000", "auto.leader.rebalance.enable": "false"})
    try:
        yield c
    finally:
        lab.down(c.dir)


def _partition(bootstrap: str, topic: str):  # noqa: F811
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return md.topics[topic].partitions[0]


def _wait_until(predicate, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a broker going away mid-poll; ask again
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _create(bootstrap: str, topic: str, assignment: list[int]) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replica_assignment=[assignment])])[topic].result(30)
    _wait_until(lambda: sorted(_partition(bootstrap, topic).isrs) == sorted(assignment), f"{topic} fully in sync")


def _non_controllers(kafka_cluster) -> list[int]:
    controller = lab.status(kafka_cluster.dir)["controller"]
    return [b["id"] for b in kafka_cluster.data["brokers"] if b["id"] != controller]


@pytest.mark.compat
def test_preferred_election_after_the_leader_moved(kafka_cluster, bootstrap: str, topic_name: str) -> None:
    preferred, other = _non_controllers(kafka_cluster)
    _create(bootstrap, topic_name, [preferred, other])
    lab.kill(kafka_cluster.dir, broker=preferred)
    _wait_until(lambda: _partition(bootstrap, topic_name).leader == other, "the follower to take over")
    lab.start(kafka_cluster.dir, broker=preferred)
    _wait_until(lambda: sorted(_partition(bootstrap, topic_name).isrs) == sorted([preferred, other]),
                "the preferred replica back in the ISR")
    assert _partition(bootstrap, topic_name).leader == other  # a returning broker leads nothing by itself

    args = ("--bootstrap-server", bootstrap, "--election-type", "preferred", "--topic", topic_name, "--partition", "0")
    result = run(*args)
    assert (result.exit_code, result.stdout) == (
        0, f"Successfully completed leader election (PREFERRED) for partitions {topic_name}-0\n")
    assert _partition(bootstrap, topic_name).leader == preferred
    result = run(*args)
    assert (result.exit_code, result.stdout) == (0, f"Valid replica already elected for partitions {topic_name}-0\n")


@pytest.mark.compat
def test_unclean_election_with_no_live_isr_member(kafka_cluster, bootstrap: str, topic_name: str) -> None:
    last_in_sync, stale = _non_controllers(kafka_cluster)
    _create(bootstrap, topic_name, [last_in_sync, stale])
    try:
        lab.kill(kafka_cluster.dir, broker=stale)
        _wait_until(lambda: _partition(bootstrap, topic_name).isrs == [last_in_sync], "the ISR to shrink")
        lab.kill(kafka_cluster.dir, broker=last_in_sync)
        _wait_until(lambda: _partition(bootstrap, topic_name).leader == -1, "the partition to go offline")
        lab.start(kafka_cluster.dir, broker=stale)
        # A live replica that is not in the ISR: a clean election cannot pick it.
        preferred = run("--bootstrap-server", bootstrap, "--election-type", "preferred", "--topic", topic_name,
                        "--partition", "0")
        assert preferred.exit_code == 1
        assert f"Error completing leader election (PREFERRED) for partition: {topic_name}-0: " in preferred.stdout

        result = run("--bootstrap-server", bootstrap, "--election-type", "UNCLEAN", "--topic", topic_name,
                     "--partition", "0")
        assert (result.exit_code, result.stdout) == (
            0, f"Successfully completed leader election (UNCLEAN) for partitions {topic_name}-0\n")
        _wait_until(lambda: _partition(bootstrap, topic_name).leader == stale, "the unclean leader in metadata")
    finally:
        for broker in (stale, last_in_sync):
            if not lab.status(kafka_cluster.dir)["brokers"][broker - 1]["alive"]:
                lab.start(kafka_cluster.dir, broker=broker)
