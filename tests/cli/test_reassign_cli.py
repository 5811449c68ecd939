"""`kclone reassign-partitions`: Kafka 2.8 ReassignPartitionsCommand's options, files and lines.

Three layers: option checks and the JSON files (pure), the actions against the fake controller of
``tests/client/test_reassignment_admin.py`` (golden output), and, marked ``compat``, a real
3-broker cluster (broker processes): a topic grown from one replica to three and waited for with
``--verify --wait``, and a reassignment held back by a 1 KiB/s throttle, then cancelled. Those
need the broker side of KIP-455 (reassignment in the controller) and the replication quotas.

``--generate`` is random in Kafka (start index and replica shift of
``assignReplicasToBrokers``); the tests pass ``--random-seed`` (a kafka-clone extension that
seeds the ``random.Random`` handed to ``zk.admin.assign_replicas_to_brokers``), and check the
proposal both as a golden string and against the assignment function with the same seed.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli.reassign_partitions as rp
from cli.reassign_partitions import (
    ReassignmentState,
    calculate_assignment,
    format_reassignment_json,
    parse_reassignment_json,
    parse_topics_json,
    partition_states_to_string,
    reassign_partitions,
)
from kafka_clone.common.topic import TopicPartition
from kafka_clone.lab import cluster as lab
from tests.client.fake_broker import FakeClusterThread
from tests.client.test_reassignment_admin import ReassignFakeCluster
from tests.cli.test_leader_election_cli import start_lab_cluster
from tests.compat.conftest import bootstrap, topic_name  # noqa: F401 (fixtures)
from zk.admin import BrokerMetadata, assign_replicas_to_brokers


def run(*args: str):
    return CliRunner().invoke(reassign_partitions, list(args))


def tp(topic: str, p: int) -> TopicPartition:
    return TopicPartition(topic, p)


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


# ---- options (validateAndParseArgs) ------------------------------------------------------------------


BS = ("--bootstrap-server", "h:1")


@pytest.mark.parametrize("args,message", [
    ((), "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"),
    (BS + ("--list", "--verify"), "Command must include exactly one action"),
    (("--list",), "Please specify --bootstrap-server"),
    (BS + ("--execute",), 'Missing required argument "[reassignment-json-file]"'),
    (BS + ("--generate", "--broker-list", "1"), 'Missing required argument "[topics-to-move-json-file]"'),
    (BS + ("--generate", "--topics-to-move-json-file", "f"), 'Missing required argument "[broker-list]"'),
    (BS + ("--verify", "--reassignment-json-file", "f", "--throttle", "10"),
     'Option "[throttle]" can\'t be used with action "[verify]"'),
    (BS + ("--list", "--preserve-throttles"), 'Option "[preserve-throttles]" can\'t be used with action "[list]"'),
    (BS + ("--execute", "--reassignment-json-file", "f", "--wait"), 'Option "[wait]" can\'t be used with action "[execute]"'),
    (BS + ("--verify", "--reassignment-json-file", "f", "--wait-timeout-ms", "5"), 'Option "[wait-timeout-ms]" needs "[wait]"'),
    (BS + ("--cancel", "--reassignment-json-file", "f", "--additional"),
     'Option "[additional]" can\'t be used with action "[cancel]"'),
])
def test_option_errors_are_one_line_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_help_names_the_extensions() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "--wait, --wait-timeout-ms and --random-seed are kafka-clone extensions" in result.stdout
    assert "--replica-alter-log-dirs-throttle" in result.stdout


# ---- JSON files -----------------------------------------------------------------------------------------


def test_parse_reassignment_json() -> None:
    parts, log_dirs = parse_reassignment_json(
        '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3],"log_dirs":["any","any","any"]},'
        '{"topic":"t","partition":1,"replicas":[2]},{"topic":"t","partition":0,"replicas":[3]}]}')
    assert parts == [(tp("t", 0), [1, 2, 3]), (tp("t", 1), [2]), (tp("t", 0), [3])]  # duplicates kept
    assert log_dirs == {}
    _, dirs = parse_reassignment_json('{"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["/d"]}]}')
    assert dirs == {(tp("t", 0), 1): "/d"}


@pytest.mark.parametrize("text,message", [
    ("{", "Error: The input string is not a valid JSON"),
    ('{"version":2,"partitions":[]}', "Error: Not supported version field value 2"),
    ('{"partitions":[{"partition":0,"replicas":[1]}]}', "Error: No such field exists: `topic`"),
    ('{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}',
     "Error: Size of replicas list List(1, 2) is different from size of log dirs list List(any) for partition t-0"),
])
def test_parse_reassignment_json_errors(text: str, message: str) -> None:
    with pytest.raises(rp.ToolError) as info:
        parse_reassignment_json(text)
    assert info.value.message.startswith(message)


@pytest.mark.parametrize("parts,message", [
    ([], "Error: Partition reassignment list cannot be empty"),
    ([(tp("t", 0), [])], "Error: Partition replica list cannot be empty"),
    ([(tp("t", 0), [1]), (tp("t", 0), [2])], "Error: Partition reassignment contains duplicate topic partitions: t-0"),
    ([(tp("t", 0), [1, 1]), (tp("u", 1), [2, 3, 2])], "Error: Partition replica lists may not contain duplicate "
     "entries: t-0 contains multiple entries for 1. u-1 contains multiple entries for 2"),
])
def test_validate_execute(parts: list, message: str) -> None:
    with pytest.raises(rp.ToolError, match="^" + message.replace(".", r"\.") + "$"):
        rp.validate_execute(parts)


def test_topics_json_and_broker_list() -> None:
    assert parse_topics_json('{"topics":[{"topic":"a"},{"topic":"b"}],"version":1}') == ["a", "b"]
    assert rp.parse_broker_list("3,1,2") == [3, 1, 2]
    with pytest.raises(rp.ToolError, match='For input string: " 2"'):
        rp.parse_broker_list("1, 2")
    with pytest.raises(rp.ToolError, match="Broker list contains duplicate entries: 1"):
        rp.parse_broker_list("1,2,1")


def test_format_reassignment_json_is_kafkas_compact_sorted_json() -> None:
    text = format_reassignment_json({tp("b", 0): [2], tp("a", 10): [1, 3], tp("a", 2): [3, 1]},
                                    {(tp("a", 2), 1): "/data"})
    assert text == (
        '{"version":1,"partitions":['
        '{"topic":"a","partition":2,"replicas":[3,1],"log_dirs":["any","/data"]},'
        '{"topic":"a","partition":10,"replicas":[1,3],"log_dirs":["any","any"]},'
        '{"topic":"b","partition":0,"replicas":[2],"log_dirs":["any"]}]}')


def test_partition_states_lines() -> None:
    text = partition_states_to_string({
        tp("t", 1): ReassignmentState((1, 2, 3), (2, 3), False),
        tp("t", 0): ReassignmentState((2, 3), (2, 3), True),
        tp("s", 0): ReassignmentState((1,), (2,), True),
    })
    assert text.splitlines() == [
        "Status of partition reassignment:",
        "There is no active reassignment of partition s-0, but replica set is 1 rather than 2.",
        "Reassignment of partition t-0 is complete.",
        "Reassignment of partition t-1 is still in progress.",
    ]


def test_calculate_assignment_is_assign_replicas_to_brokers_per_topic_in_name_order() -> None:
    brokers = [BrokerMetadata(1), BrokerMetadata(2), BrokerMetadata(3)]
    current = {tp("z", 0): [1, 2, 3], tp("z", 1): [1, 2, 3], **{tp("a", p): [1, 2] for p in range(6)}}
    proposed = calculate_assignment(current, brokers, random.Random(7))
    again = random.Random(7)
    a = assign_replicas_to_brokers(brokers, 6, 2, rng=again)
    z = assign_replicas_to_brokers(brokers, 2, 3, rng=again)
    assert proposed == {**{tp("a", p): list(r) for p, r in a.items()}, **{tp("z", p): list(r) for p, r in z.items()}}
    assert proposed[tp("a", 0)] == [2, 3] and proposed[tp("a", 3)] == [2, 1]  # shift grows after a full round


# ---- against the fake controller ------------------------------------------------------------------------


@pytest.fixture
def cluster():
    with FakeClusterThread(ReassignFakeCluster()) as c:
        c.add_topic("t", [[1], [2], [3]])
        yield c


REASSIGN = {"version": 1, "partitions": [{"topic": "t", "partition": 0, "replicas": [1, 2, 3]},
                                         {"topic": "t", "partition": 1, "replicas": [2, 3]}]}


def test_generate_golden(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    cluster.add_topic("a", [[1, 2]] * 6)
    topics = write(tmp_path, "topics.json", {"topics": [{"topic": "a"}], "version": 1})
    result = run("--bootstrap-server", cluster.bootstrap, "--generate", "--topics-to-move-json-file", topics,
                 "--broker-list", "1,2,3", "--random-seed", "7")
    assert result.exit_code == 0, result.output
    current = ",".join(f'{{"topic":"a","partition":{p},"replicas":[1,2],"log_dirs":["any","any"]}}' for p in range(6))
    proposed = ",".join(f'{{"topic":"a","partition":{p},"replicas":[{a},{b}],"log_dirs":["any","any"]}}'
                        for p, (a, b) in enumerate([(2, 3), (3, 1), (1, 2), (2, 1), (3, 2), (1, 3)]))
    assert result.stdout == (
        f'Current partition replica assignment\n{{"version":1,"partitions":[{current}]}}\n\n'
        f'Proposed partition reassignment configuration\n{{"version":1,"partitions":[{proposed}]}}\n')


def test_generate_errors(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    topics = write(tmp_path, "topics.json", {"topics": [{"topic": "t"}, {"topic": "t"}], "version": 1})
    result = run("--bootstrap-server", cluster.bootstrap, "--generate", "--topics-to-move-json-file", topics,
                 "--broker-list", "1,2")
    assert (result.exit_code, result.stdout) == (1, "Error: List of topics to reassign contains duplicate entries: t\n")
    missing = write(tmp_path, "missing.json", {"topics": [{"topic": "nope"}], "version": 1})
    result = run("--bootstrap-server", cluster.bootstrap, "--generate", "--topics-to-move-json-file", missing,
                 "--broker-list", "1,2")
    assert (result.exit_code, result.stdout) == (1, "Error: This server does not host this topic-partition.\n")
    cluster.add_topic("rf3", [[1, 2, 3]])
    rf3 = write(tmp_path, "rf3.json", {"topics": [{"topic": "rf3"}], "version": 1})
    result = run("--bootstrap-server", cluster.bootstrap, "--generate", "--topics-to-move-json-file", rf3,
                 "--broker-list", "1,2,9")  # 9 is no broker: left out, as in Kafka
    assert (result.exit_code, result.stdout) == (1, "Error: Replication factor: 3 larger than available brokers: 2.\n")


def test_execute_with_throttle_list_verify_and_clear(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    bs = cluster.bootstrap
    path = write(tmp_path, "r.json", REASSIGN)
    result = run("--bootstrap-server", bs, "--execute", "--reassignment-json-file", path, "--throttle", "50000")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Current partition replica assignment\n\n"
        '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]},'
        '{"topic":"t","partition":1,"replicas":[2],"log_dirs":["any"]}]}\n\n'
        "Save this to use as the --reassignment-json-file option during rollback\n"
        "Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle "
        "is removed.\n"
        "The inter-broker throttle limit was set to 50000 B/s\n"
        "Successfully started partition reassignments for t-0,t-1\n")
    rates = {"leader.replication.throttled.rate": "50000", "follower.replication.throttled.rate": "50000"}
    assert cluster.broker_configs == {1: rates, 2: rates, 3: rates}
    assert cluster.topics["t"].configs == {"leader.replication.throttled.replicas": "0:1,1:2",
                                           "follower.replication.throttled.replicas": "0:2,0:3,1:3"}

    assert run("--bootstrap-server", bs, "--list").stdout == (
        "Current partition reassignments:\nt-0: replicas: 1,2,3. adding: 2,3.\nt-1: replicas: 2,3. adding: 3.\n")

    again = run("--bootstrap-server", bs, "--execute", "--reassignment-json-file", path)
    assert again.exit_code == 1
    assert again.stdout.startswith("Cannot execute because there is an existing partition assignment.  Use "
                                   "--additional to override this")

    result = run("--bootstrap-server", bs, "--verify", "--reassignment-json-file", path)
    assert (result.exit_code, result.stdout) == (0, "Status of partition reassignment:\n"
                                                 "Reassignment of partition t-0 is still in progress.\n"
                                                 "Reassignment of partition t-1 is still in progress.\n\n")
    assert cluster.broker_configs[1] == rates  # throttles stay while anything is moving

    cluster.complete_reassignments()
    result = run("--bootstrap-server", bs, "--verify", "--reassignment-json-file", path)
    assert (result.exit_code, result.stdout) == (0, "Status of partition reassignment:\n"
                                                 "Reassignment of partition t-0 is complete.\n"
                                                 "Reassignment of partition t-1 is complete.\n\n"
                                                 "Clearing broker-level throttles on brokers 1,2,3\n"
                                                 "Clearing topic-level throttles on topic t\n")
    assert cluster.broker_configs == {1: {}, 2: {}, 3: {}}
    assert cluster.topics["t"].configs == {}
    assert run("--bootstrap-server", bs, "--list").stdout == "No partition reassignments found.\n"


@pytest.mark.parametrize("repeat_s,blocks", [(10.0, 2), (0.0, 3)])
def test_verify_wait_prints_progress_until_done(cluster: ReassignFakeCluster, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, repeat_s: float, blocks: int) -> None:
    # An unchanged block is not printed again before WAIT_REPEAT_S (10 s); the last one always is.
    monkeypatch.setattr(rp, "WAIT_INTERVAL_S", 0.01)
    monkeypatch.setattr(rp, "WAIT_REPEAT_S", repeat_s)
    path = write(tmp_path, "r.json", REASSIGN)
    assert run("--bootstrap-server", cluster.bootstrap, "--execute", "--reassignment-json-file", path).exit_code == 0
    cluster.complete_after_lists = 3  # the third check finds it done
    result = run("--bootstrap-server", cluster.bootstrap, "--verify", "--reassignment-json-file", path, "--wait",
                 "--preserve-throttles")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == blocks
    assert progress[0].endswith("0 of 2 partitions complete") and progress[-1].endswith("2 of 2 partitions complete")
    assert "  t-0: replicas 1,2,3, adding 2,3 (0 of 2 in the ISR); leader 1, ISR 1" in lines
    assert lines[-3:] == ["Reassignment of partition t-0 is complete.", "Reassignment of partition t-1 is complete.", ""]


def test_verify_wait_times_out_and_keeps_throttles(cluster: ReassignFakeCluster, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rp, "WAIT_INTERVAL_S", 0.01)
    path = write(tmp_path, "r.json", REASSIGN)
    run("--bootstrap-server", cluster.bootstrap, "--execute", "--reassignment-json-file", path, "--throttle", "1")
    result = run("--bootstrap-server", cluster.bootstrap, "--verify", "--reassignment-json-file", path, "--wait",
                 "--wait-timeout-ms", "50")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "Timed out after 50 ms waiting for the reassignment to complete."
    assert "Clearing" not in result.stdout and cluster.broker_configs[1]


def test_cancel(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", REASSIGN)
    run("--bootstrap-server", cluster.bootstrap, "--execute", "--reassignment-json-file", path)
    result = run("--bootstrap-server", cluster.bootstrap, "--cancel", "--reassignment-json-file", path,
                 "--preserve-throttles")
    assert (result.exit_code, result.stdout) == (0, "Successfully cancelled partition reassignments for: t-0,t-1\n"
                                                 "None of the specified partition moves are active.\n")
    assert cluster.topics["t"].replicas == [[1], [2], [3]]
    result = run("--bootstrap-server", cluster.bootstrap, "--cancel", "--reassignment-json-file", path)
    assert result.stdout.splitlines()[:2] == ["None of the specified partition reassignments are active.",
                                             "None of the specified partition moves are active."]


def test_execute_errors(cluster: ReassignFakeCluster, tmp_path: Path) -> None:
    bs = cluster.bootstrap
    unknown = write(tmp_path, "u.json", {"version": 1, "partitions": [{"topic": "t", "partition": 0, "replicas": [1, 7]}]})
    assert run("--bootstrap-server", bs, "--execute", "--reassignment-json-file", unknown).stdout == \
        "Error: Unknown broker id 7\n"
    no_partition = write(tmp_path, "p.json", {"version": 1, "partitions": [{"topic": "t", "partition": 9, "replicas": [1]}]})
    result = run("--bootstrap-server", bs, "--execute", "--reassignment-json-file", no_partition)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-2:] == ["Error reassigning partition(s):",
                                              "t-9: This server does not host this topic-partition."]
    dirs = write(tmp_path, "d.json", {"version": 1, "partitions": [
        {"topic": "t", "partition": 0, "replicas": [1], "log_dirs": ["/data"]}]})
    result = run("--bootstrap-server", bs, "--execute", "--reassignment-json-file", dirs)
    assert result.exit_code == 1 and "not supported by kafka-clone" in result.stdout
    assert cluster.targets == {}
    result = run("--bootstrap-server", bs, "--verify", "--reassignment-json-file", str(tmp_path / "absent.json"))
    assert result.exit_code == 1 and result.stdout.startswith("Error: ") and "absent.json" in result.stdout
    assert "Traceback" not in result.output


# ---- a real cluster (needs the controller's KIP-455 side) -----------------------------------------------


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory, zookeeper_connect):
    """``tests/compat``'s 3-broker cluster, started again if a concurrent cluster took a port."""
    c = start_lab_cluster(tmp_path_factory, zookeeper_connect, "reassign", {"zookeeper.session.timeout.ms": "4000"})
    try:
        yield c
    finally:
        lab.down(c.dir)


def _describe(bootstrap: str, topic: str):  # noqa: F811
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10).topics[topic]


def _wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.compat
def test_rf1_to_rf3_with_throttle_verify_wait(bootstrap: str, topic_name: str, tmp_path: Path) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic_name, num_partitions=2, replication_factor=1)])[topic_name].result(30)
    _wait_until(lambda: all(p.leader >= 0 for p in _describe(bootstrap, topic_name).partitions.values()), "leaders")
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(2000):
        producer.produce(topic_name, f"record-{i}".encode() * 10, partition=i % 2)
    assert producer.flush(30) == 0

    plan = write(tmp_path, "plan.json", {"version": 1, "partitions": [
        {"topic": topic_name, "partition": p, "replicas": [1, 2, 3] if p == 0 else [2, 3, 1],
         "log_dirs": ["any"] * 3} for p in (0, 1)]})
    result = run("--bootstrap-server", bootstrap, "--execute", "--reassignment-json-file", plan,
                 "--throttle", "10000000")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Successfully started partition reassignments for {topic_name}-0,{topic_name}-1"
    topic_configs = admin.describe_configs([ConfigResource("TOPIC", topic_name)])
    configs = next(iter(topic_configs.values())).result(30)
    assert configs["leader.replication.throttled.replicas"].value  # sources throttled while moving

    result = run("--bootstrap-server", bootstrap, "--verify", "--reassignment-json-file", plan, "--wait",
                 "--wait-timeout-ms", "120000")
    assert result.exit_code == 0, result.output
    assert f"Reassignment of partition {topic_name}-0 is complete." in result.stdout
    assert f"Reassignment of partition {topic_name}-1 is complete." in result.stdout
    assert "Clearing broker-level throttles on brokers 1,2,3" in result.stdout
    described = _describe(bootstrap, topic_name)
    assert [described.partitions[p].replicas for p in (0, 1)] == [[1, 2, 3], [2, 3, 1]]
    assert sorted(described.partitions[0].isrs) == [1, 2, 3]
    configs = next(iter(admin.describe_configs([ConfigResource("TOPIC", topic_name)]).values())).result(30)
    assert not configs["leader.replication.throttled.replicas"].value
    assert run("--bootstrap-server", bootstrap, "--list").stdout == "No partition reassignments found.\n"


@pytest.mark.compat
def test_cancel_a_throttled_reassignment(bootstrap: str, topic_name: str, tmp_path: Path) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic_name, num_partitions=1, replica_assignment=[[1]])])[topic_name].result(30)
    _wait_until(lambda: _describe(bootstrap, topic_name).partitions[0].leader == 1, "a leader")
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for _ in range(100_000):  # 10 MB: far more than the first unthrottled fetches can copy
        while True:
            try:
                producer.produce(topic_name, b"x" * 100)
                break
            except BufferError:
                producer.poll(0.01)
    assert producer.flush(60) == 0

    plan = write(tmp_path, "plan.json", {"version": 1, "partitions": [
        {"topic": topic_name, "partition": 0, "replicas": [1, 2]}]})
    result = run("--bootstrap-server", bootstrap, "--execute", "--reassignment-json-file", plan, "--throttle", "1024")
    assert result.exit_code == 0, result.output
    assert run("--bootstrap-server", bootstrap, "--list").stdout == (
        f"Current partition reassignments:\n{topic_name}-0: replicas: 1,2. adding: 2.\n")
    result = run("--bootstrap-server", bootstrap, "--verify", "--reassignment-json-file", plan)
    assert f"Reassignment of partition {topic_name}-0 is still in progress." in result.stdout
    assert "Clearing" not in result.stdout

    result = run("--bootstrap-server", bootstrap, "--cancel", "--reassignment-json-file", plan)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [f"Successfully cancelled partition reassignment for: {topic_name}-0",
                                             "None of the specified partition moves are active."]
    assert run("--bootstrap-server", bootstrap, "--list").stdout == "No partition reassignments found.\n"
    _wait_until(lambda: _describe(bootstrap, topic_name).partitions[0].replicas == [1], "the original replicas")
    configs = next(iter(admin.describe_configs([ConfigResource("TOPIC", topic_name)]).values())).result(30)
    assert not configs["follower.replication.throttled.replicas"].value
