"""`kclone topics`: Kafka 2.8 TopicCommand's options, checks and output lines."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from cli.topics import parse_replica_assignment, parse_topic_configs, topic_filter, topics
from kafka_clone.client.metadata import topic_id_string
from tests.client.conftest import fake_cluster_thread, mock_cluster  # noqa: F401 (fixtures)
from tests.client.fake_broker import FakeCluster

ERROR = "Error while executing topic command : "


def run(*args: str):
    return CliRunner().invoke(topics, list(args))


# ---- option parsing -----------------------------------------------------------------------------


def test_parse_replica_assignment() -> None:
    assert parse_replica_assignment("0:1, 1:2,2 :0") == {0: [0, 1], 1: [1, 2], 2: [2, 0]}
    with pytest.raises(ValueError, match="may not contain duplicate entries: 1"):
        parse_replica_assignment("1:1")
    with pytest.raises(ValueError, match="Partition 1 has different replication factor: \\[2\\]"):
        parse_replica_assignment("0:1,2")
    with pytest.raises(ValueError, match='For input string: "x"'):
        parse_replica_assignment("0:x")


def test_parse_topic_configs() -> None:
    assert parse_topic_configs(["cleanup.policy=compact", "retention.ms = 10"]) == {
        "cleanup.policy": "compact", "retention.ms": "10"}
    for bad in ("novalue=", "a=b=c", "justkey"):
        with pytest.raises(ValueError, match='must be in the format "key=val"'):
            parse_topic_configs([bad])


def test_topic_filter_is_kafkas_include_list() -> None:
    assert topic_filter("foo.*").fullmatch("foobar")
    assert not topic_filter("foo").fullmatch("foobar")  # whole-name match
    assert topic_filter('"a, b"').fullmatch("b")  # commas are alternatives, quotes stripped


@pytest.mark.parametrize("args,message", [
    ((), "Command must include exactly one action: --list, --describe, --create, --alter or --delete"),
    (("--list", "--describe"), "Command must include exactly one action"),
    (("--list",), "Only one of --bootstrap-server or --zookeeper must be specified"),
    (("--bootstrap-server", "h:1", "--create"), 'Missing required argument "[topic]"'),
    (("--bootstrap-server", "h:1", "--alter", "--topic", "t"), 'Missing required argument "[partitions]"'),
    (("--bootstrap-server", "h:1", "--list", "--partitions", "3"), 'Option "[partitions]" can\'t be used with option "[list]"'),
    (("--bootstrap-server", "h:1", "--create", "--topic", "t", "--replica-assignment", "1:2", "--partitions", "3"),
     'Option "[replica-assignment]" can\'t be used with option "[partitions]"'),
    (("--bootstrap-server", "h:1", "--describe", "--if-not-exists"), 'Option "[if-not-exists]" can\'t be used with option "[describe]"'),
    (("--bootstrap-server", "h:1", "--describe", "--under-replicated-partitions", "--unavailable-partitions"),
     'Option "[under-replicated-partitions]" can\'t be used with option "[unavailable-partitions]"'),
])
def test_option_errors_are_one_line_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


# ---- against the fake cluster ---------------------------------------------------------------------


def test_create_list_describe_delete(fake_cluster_thread: FakeCluster) -> None:  # noqa: F811
    bs = fake_cluster_thread.bootstrap
    result = run("--bootstrap-server", bs, "--create", "--topic", "foo", "--partitions", "3",
                 "--replication-factor", "2", "--config", "retention.ms=1000")
    assert (result.exit_code, result.stdout) == (0, "Created topic foo.\n")
    assert run("--bootstrap-server", bs, "--list").stdout == "foo\n"

    topic_id = topic_id_string(fake_cluster_thread.topics["foo"].topic_id)
    assert len(topic_id) == 22
    result = run("--bootstrap-server", bs, "--describe", "--topic", "foo")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Topic: foo\tTopicId: {topic_id}\tPartitionCount: 3\tReplicationFactor: 2\t"
        "Configs: retention.ms=1000,segment.bytes=1073741824\n"
        "\tTopic: foo\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n"
        "\tTopic: foo\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\n"
        "\tTopic: foo\tPartition: 2\tLeader: 3\tReplicas: 3,1\tIsr: 3,1\n"
    )
    result = run("--bootstrap-server", bs, "--delete", "--topic", "foo")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "foo" not in fake_cluster_thread.topics
    assert run("--bootstrap-server", bs, "--list").stdout == "\n"  # println of an empty list


def test_create_warnings_and_errors(fake_cluster_thread: FakeCluster) -> None:  # noqa: F811
    bs = fake_cluster_thread.bootstrap
    result = run("--bootstrap-server", bs, "--create", "--topic", "my_topic.x", "--replica-assignment", "1:2,2:3")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "
        "collide. To avoid issues it is best to use either, but not both.",
        "Created topic my_topic.x.",
    ]
    assert fake_cluster_thread.topics["my_topic.x"].replicas == [[1, 2], [2, 3]]

    result = run("--bootstrap-server", bs, "--create", "--topic", "my_topic.x")
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (1, ERROR + "Topic 'my_topic.x' already exists.")
    result = run("--bootstrap-server", bs, "--create", "--topic", "my_topic.x", "--if-not-exists")
    assert result.exit_code == 0 and "Created" not in result.stdout

    result = run("--bootstrap-server", bs, "--create", "--topic", "big", "--replication-factor", "4")
    assert result.exit_code == 1
    assert result.stdout == ERROR + "Replication factor: 4 larger than available brokers: 3.\n"
    result = run("--bootstrap-server", bs, "--create", "--topic", "zero", "--partitions", "0")
    assert result.stdout == ERROR + "The partitions must be greater than 0\n"
    result = run("--bootstrap-server", bs, "--create", "--topic", "c", "--config", "oops")
    assert result.exit_code == 1 and "Invalid topic config" in result.stdout


def test_describe_filters_and_regex(fake_cluster_thread: FakeCluster) -> None:  # noqa: F811
    cluster = fake_cluster_thread
    cluster.add_topic("t1", [[1, 2], [2, 3]])
    cluster.add_topic("t2", [[3]], {"cleanup.policy": "compact"})
    cluster.add_topic("other", [[1]])
    cluster.add_topic("__consumer_offsets", [[1]], internal=True)
    cluster.topics["t1"].isr[1] = [2]  # partition 1 is under-replicated
    cluster.topics["t2"].leaders[0] = -1  # partition 0 has no leader
    cluster.topics["t2"].isr[0] = []
    bs = cluster.bootstrap

    result = run("--bootstrap-server", bs, "--describe", "--topic", "t.*")
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines if not line.startswith("\t")] == ["Topic: t1", "Topic: t2"]
    assert "\tTopic: t2\tPartition: 0\tLeader: none\tReplicas: 3\tIsr: " in lines

    result = run("--bootstrap-server", bs, "--describe", "--under-replicated-partitions")
    assert result.stdout.splitlines() == [
        "\tTopic: t1\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2",
        "\tTopic: t2\tPartition: 0\tLeader: none\tReplicas: 3\tIsr: ",
    ]
    result = run("--bootstrap-server", bs, "--describe", "--unavailable-partitions")
    assert result.stdout.splitlines() == ["\tTopic: t2\tPartition: 0\tLeader: none\tReplicas: 3\tIsr: "]
    # Only topic lines; segment.bytes comes from the broker's server.properties (not a default),
    # so, as in Kafka, every topic counts as having an override.
    result = run("--bootstrap-server", bs, "--describe", "--topics-with-overrides", "--exclude-internal")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["Topic: other", "Topic: t1", "Topic: t2"]
    assert "Configs: cleanup.policy=compact,segment.bytes=1073741824" in result.stdout.splitlines()[2]

    assert run("--bootstrap-server", bs, "--list", "--exclude-internal").stdout == "other\nt1\nt2\n"
    assert run("--bootstrap-server", bs, "--list").stdout == "__consumer_offsets\nother\nt1\nt2\n"

    result = run("--bootstrap-server", bs, "--describe", "--topic", "nope")
    assert (result.exit_code, result.stdout) == (1, ERROR + "Topic 'nope' does not exist as expected\n")
    result = run("--bootstrap-server", bs, "--describe", "--topic", "nope", "--if-exists")
    assert (result.exit_code, result.stdout) == (0, "")


def test_describe_shows_reassignments(fake_cluster_thread: FakeCluster) -> None:  # noqa: F811
    cluster = fake_cluster_thread
    cluster.add_topic("r", [[1, 2, 3]])
    cluster.reassignments[("r", 0)] = ([1, 2, 3], [3], [1])
    lines = run("--bootstrap-server", cluster.bootstrap, "--describe", "--topic", "r").stdout.splitlines()
    assert "\tReplicationFactor: 2\t" in lines[0]  # the target size, as TopicCommand reports
    assert lines[1].endswith("\tIsr: 1,2,3\tAdding Replicas: 3\tRemoving Replicas: 1")


def test_alter_partitions(fake_cluster_thread: FakeCluster) -> None:  # noqa: F811
    cluster = fake_cluster_thread
    cluster.add_topic("g", [[1], [2]])
    bs = cluster.bootstrap
    result = run("--bootstrap-server", bs, "--alter", "--topic", "g", "--partitions", "4",
                 "--replica-assignment", "1,2,3,1")
    assert (result.exit_code, result.stdout) == (0, "")
    assert cluster.topics["g"].replicas == [[1], [2], [3], [1]]
    result = run("--bootstrap-server", bs, "--alter", "--topic", "g", "--partitions", "2")
    assert result.exit_code == 1
    assert result.stdout == ERROR + "Topic currently has 4 partitions, which is higher than the requested 2.\n"
    result = run("--bootstrap-server", bs, "--alter", "--topic", "missing", "--partitions", "2")
    assert result.stdout == ERROR + "Topic 'missing' does not exist as expected\n"
    result = run("--bootstrap-server", bs, "--delete", "--topic", "missing", "--if-exists")
    assert (result.exit_code, result.stdout) == (0, "")


def test_broker_down_is_one_line_exit_1() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run("--bootstrap-server", f"127.0.0.1:{port}", "--list")
    assert result.exit_code == 1
    assert result.stdout.startswith(ERROR + f"Connection to node -1 (127.0.0.1:{port}) could not be established.")
    assert len(result.output.splitlines()) == 1


@pytest.mark.compat
def test_list_against_librdkafka_mock(mock_cluster) -> None:  # noqa: F811
    bootstrap, producer = mock_cluster
    producer.produce("listed-by-kclone", b"x")
    assert producer.flush(30) == 0
    result = run("--bootstrap-server", bootstrap, "--list")
    assert result.exit_code == 0
    assert "listed-by-kclone" in result.stdout.splitlines()


def test_errors_pass_through_the_kclone_group_as_one_line() -> None:
    # How the command is registered (`main.add_command(topics)`), on a fresh group.
    from cli.main import KcloneGroup

    group = KcloneGroup(name="kclone")
    group.add_command(topics)
    result = CliRunner().invoke(group, ["topics", "--bootstrap-server", "127.0.0.1:notaport", "--list"])
    assert result.exit_code == 1
    assert result.output == ERROR + "Invalid url in bootstrap.servers: 127.0.0.1:notaport\n"
    assert isinstance(result.exception, SystemExit)
