"""`kclone consumer-groups --reset-offsets` with ``--export`` and ``--from-file`` (Kafka 2.8's
``exportOffsetsToCsv`` / ``parseResetPlan``), and the checks around them.

Option and plan-file errors need no broker: they fail before anything is sent. The rest runs
against one real in-process broker (group coordinator included) in a background thread with its
own trio loop, since the CLI calls ``trio.run`` itself; the session's ZooKeeper ensemble serves it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import trio
from click.testing import CliRunner

from cli.consumer_groups import NO_EXECUTE_WARNING, consumer_groups
from kafka_clone.client import KafkaAdminClient, KafkaProducer, NewTopic
from kafka_clone.client.group_admin import GroupAdminClient
from kafka_clone.common.topic import TopicPartition
from tests.cli.broker_thread import BrokerThread, fresh_chroot, one_broker_config

ERROR = "Error: Executing consumer group command failed due to "
RECORDS_PER_PARTITION = 10


def run(*args: str):
    return CliRunner().invoke(consumer_groups, list(args))


def write(tmp_path: Path, text: str, name: str = "plan.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ---- no broker needed ---------------------------------------------------------------------------


BS = ("--bootstrap-server", "127.0.0.1:1", "--reset-offsets", "--group", "g")


@pytest.mark.parametrize("args,message", [
    (BS + ("--from-file", "p.csv", "--to-earliest", "--dry-run"),
     "Option [reset-offsets] takes exactly one of these options: [to-datetime], [by-duration], [to-earliest], "
     "[to-latest], [shift-by], [from-file], [to-current], [to-offset]"),
    (BS + ("--topic", "t", "--to-earliest", "--dry-run", "--execute"),
     "Option [reset-offsets] only accepts one of [execute] and [dry-run]"),
    (BS + ("--to-earliest", "--export"), "Option [reset-offsets] takes one of these options: [all-topics], [topic]"),
    (BS + ("--from-file", "/nonexistent/plan.csv", "--execute"),
     ERROR + "Cannot read the reset plan /nonexistent/plan.csv: No such file or directory"),
])
def test_option_and_file_errors_are_one_line_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1 and result.stdout == "" and result.stderr == message + "\n", result.output


@pytest.mark.parametrize("text,message", [
    ("orders,0,abc\n", "Malformed line 1 of the reset plan ('orders,0,abc'): offset 'abc' is not a long"),
    ("orders,0,1\norders\n", "Malformed line 2 of the reset plan ('orders'): expected topic,partition,offset"),
    ("", "The reset plan is empty"),
])
def test_a_bad_plan_fails_before_connecting(tmp_path, text: str, message: str) -> None:
    result = run(*BS, "--from-file", write(tmp_path, text), "--execute")
    assert result.exit_code == 1 and result.stderr == ERROR + message + "\n"
    assert "Traceback" not in result.output


# ---- one real broker ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(zookeeper_connect: str, tmp_path_factory):
    with BrokerThread(one_broker_config(fresh_chroot(zookeeper_connect), tmp_path_factory.mktemp("cg-broker"))) as b:
        yield b


@pytest.fixture(scope="module")
def orders(broker: BrokerThread) -> str:
    """A 3-partition topic with 10 records in each partition (offsets 0..10)."""
    async def create() -> None:
        async with KafkaAdminClient.create(broker.bootstrap) as admin:
            (await admin.create_topics([NewTopic("orders", 3, 1)]))[0].check()
        async with KafkaProducer.create(broker.bootstrap) as producer:
            for p in range(3):
                for i in range(RECORDS_PER_PARTITION):
                    await producer.send("orders", b"v%d" % i, partition=p)
    broker.call(create)
    return "orders"


def committed(broker: BrokerThread, group: str) -> dict[TopicPartition, int]:
    async def fetch() -> dict[TopicPartition, int]:
        async with GroupAdminClient.create(broker.bootstrap, timeout_ms=30000) as admin:
            return {tp: o.offset for tp, o in (await admin.list_group_offsets(group)).items()}
    return broker.call(fetch)


def cli(broker: BrokerThread, *args: str):
    return run("--bootstrap-server", broker.bootstrap, "--reset-offsets", *args)


def group_name() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


def test_export_prints_the_plan_as_csv_and_from_file_applies_it(broker, orders, tmp_path) -> None:
    group = group_name()
    exported = cli(broker, "--group", group, "--topic", orders, "--to-offset", "4", "--dry-run", "--export")
    assert exported.exit_code == 0, exported.output
    # One --group: topic,partition,offset rows; println adds an empty line after the last row.
    assert exported.stdout == "orders,0,4\norders,1,4\norders,2,4\n\n"
    assert committed(broker, group) == {}  # a dry run commits nothing

    # The exported file, edited, is the plan: out-of-range offsets are clamped to [start, end].
    plan = write(tmp_path, exported.stdout.replace("orders,1,4", "orders,1,99").replace("orders,2,4", "orders,2,-5"))
    applied = cli(broker, "--group", group, "--from-file", plan, "--execute")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines() == [
        "",
        "GROUP                          TOPIC                          PARTITION  NEW-OFFSET",
        f"{group:<30} orders                         0          4",
        f"{group:<30} orders                         1          10",
        f"{group:<30} orders                         2          0",
    ]
    assert committed(broker, group) == {TopicPartition(orders, 0): 4, TopicPartition(orders, 1): 10,
                                        TopicPartition(orders, 2): 0}

    # --export with --execute commits and prints the CSV instead of the table.
    again = cli(broker, "--group", group, "--all-topics", "--shift-by", "1", "--execute", "--export")
    assert again.exit_code == 0 and again.stdout == "orders,0,5\norders,1,10\norders,2,1\n\n"
    assert committed(broker, group)[TopicPartition(orders, 2)] == 1
    # Without --dry-run or --execute: Kafka's warning, and a dry run.
    dry = cli(broker, "--group", group, "--from-file", plan, "--export")
    assert dry.exit_code == 0 and dry.stderr == NO_EXECUTE_WARNING + "\n"
    assert dry.stdout == "orders,0,4\norders,1,10\norders,2,0\n\n"
    assert committed(broker, group)[TopicPartition(orders, 2)] == 1


def test_several_groups_export_and_read_group_first_rows(broker, orders, tmp_path) -> None:
    g1, g2 = group_name(), group_name()
    exported = cli(broker, "--group", g1, "--group", g2, "--topic", f"{orders}:0,2", "--to-latest", "--dry-run",
                   "--export")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == f"{g1},orders,0,10\n{g1},orders,2,10\n{g2},orders,0,10\n{g2},orders,2,10\n\n"
    plan = write(tmp_path, f"{g1},orders,0,3\n{g2},orders,1,6\n{g2},orders,2,7\n")
    applied = cli(broker, "--group", g1, "--group", g2, "--from-file", plan, "--execute")
    assert applied.exit_code == 0, applied.output
    assert committed(broker, g1) == {TopicPartition(orders, 0): 3}
    assert committed(broker, g2) == {TopicPartition(orders, 1): 6, TopicPartition(orders, 2): 7}
    # One group given, group-first rows: that group's rows are its plan; the others are ignored.
    single = cli(broker, "--group", g2, "--from-file", plan, "--dry-run", "--export")
    assert single.exit_code == 0 and single.stdout == "orders,1,6\norders,2,7\n\n"
    # A group the plan does not name: Kafka's line, and that group is left out.
    g3 = group_name()
    partial = cli(broker, "--group", g1, "--group", g3, "--from-file", plan, "--dry-run", "--export")
    assert partial.exit_code == 0 and partial.stdout == f"{g1},orders,0,3\n\n"
    assert f"Error: No reset plan for group {g3} found" in partial.stderr
    alone = cli(broker, "--group", g3, "--from-file", plan, "--execute")
    assert alone.exit_code == 1 and committed(broker, g3) == {}
    assert alone.stderr.splitlines()[-1] == ERROR + f"the reset plan has no line for '{g3}'"


@pytest.mark.parametrize("text,message", [
    ("orders,0,2\nnosuch,0,1\n", "Topic nosuch not found"),
    ("orders,0,2\norders,7,1\n", "Partition orders-7 not found"),
])
def test_an_unknown_partition_fails_and_commits_nothing(broker, orders, tmp_path, text: str, message: str) -> None:
    group = group_name()
    result = cli(broker, "--group", group, "--from-file", write(tmp_path, text), "--execute")
    assert result.exit_code == 1 and result.stderr == ERROR + message + "\n", result.output
    assert "Traceback" not in result.output
    assert committed(broker, group) == {}


def test_a_bad_line_commits_nothing(broker, orders, tmp_path) -> None:
    group = group_name()
    assert cli(broker, "--group", group, "--topic", orders, "--to-offset", "3", "--execute").exit_code == 0
    before = committed(broker, group)
    result = cli(broker, "--group", group, "--from-file", write(tmp_path, "orders,0,1\norders,1,x\n"), "--execute")
    assert result.exit_code == 1
    assert result.stderr == ERROR + "Malformed line 2 of the reset plan ('orders,1,x'): offset 'x' is not a long\n"
    assert committed(broker, group) == before


def test_an_active_group_cannot_be_reset_from_a_file(broker, orders, tmp_path) -> None:
    group = group_name()
    plan = write(tmp_path, "orders,0,1\n")
    member, scope = broker.start_member(group, orders)
    try:
        result = cli(broker, "--group", group, "--from-file", plan, "--execute")
        assert result.exit_code == 1
        assert result.stderr == (f"Error: Assignments can only be reset if the group '{group}' is inactive, "
                                 "but the current state is Stable.\n")
        assert TopicPartition(orders, 0) not in committed(broker, group)
    finally:
        trio.from_thread.run_sync(scope.cancel, trio_token=broker._token)
        broker.call(member.aclose)  # LeaveGroup: the group is Empty at once
    result = cli(broker, "--group", group, "--from-file", plan, "--execute")
    assert result.exit_code == 0, result.output
    assert committed(broker, group)[TopicPartition(orders, 0)] == 1
