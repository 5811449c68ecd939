"""`kclone producer-perf-test` and `kclone consumer-perf-test`: Kafka 2.8's output lines and options.

The formats are checked with a fake clock (window lines, rounding, ``Infinity``) and against one
real in-process broker (group coordinator included) in a background thread, since the commands
call ``trio.run`` themselves. Counts are asserted, never speed.
"""

from __future__ import annotations

import datetime
import re
import time
import uuid

import pytest
from click.testing import CliRunner

from cli.perf import consumer_perf_test, producer_perf_test
from kafka_clone.client import KafkaAdminClient, KafkaConsumer, NewTopic
from kafka_clone.client.group_admin import GroupAdminClient
from kafka_clone.client.offsets import LATEST, list_offsets
from kafka_clone.common.topic import TopicPartition
from kafka_clone.tools.consumer_perf import ConsumerPerfResult, progress_line
from kafka_clone.tools.java_format import JavaRandom, jdiv, jfloat, simple_date_format
from kafka_clone.tools.producer_perf import ProducerStats, random_payload
from tests.cli.broker_thread import BrokerThread, fresh_chroot, one_broker_config

F = r"(\d+\.\d+|Infinity|NaN)"
TOTAL = (r"(\d+) records sent, \d+\.\d{6} records/sec \(\d+\.\d\d MB/sec\), \d+\.\d\d ms avg latency, "
         r"\d+\.\d\d ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.")
WINDOW = r"(\d+) records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\."
DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}"
SUMMARY_HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                  "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
DETAILED_HEADER = ("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                   "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")


def summary_re(messages: int) -> str:
    return rf"{DATE}, {DATE}, {F}, {F}, {messages}, {F}, \d+, -?\d+, {F}, {F}"


# ---- pure: Kafka's formats ----------------------------------------------------------------------


def test_java_number_formatting():
    assert jfloat(0.125, 2) == "0.13"  # half-up on the exact value, as java.util.Formatter
    assert jfloat(2 / 3, 6) == "0.666667" and jfloat(1.25, 1) == "1.3"
    assert jfloat(jdiv(1, 0), 4) == "Infinity" and jfloat(jdiv(0, 0), 2) == "NaN"


def test_simple_date_format():
    ms = 1_700_000_000_005
    local = datetime.datetime.fromtimestamp(ms / 1000)
    assert simple_date_format("yyyy-MM-dd HH:mm:ss:SSS")(ms) == local.strftime("%Y-%m-%d %H:%M:%S:") + "005"
    assert simple_date_format("EEE d MMM yy 'at' h a ''")(ms) == local.strftime("%a %-d %b %y at ") + \
        f"{local.hour % 12 or 12} {'AM' if local.hour < 12 else 'PM'} '"
    with pytest.raises(ValueError, match="Illegal pattern character 'q'"):
        simple_date_format("yyyy q")


def test_payload_is_javas_random_letters():
    # new Random(0), (byte)(nextInt(26) + 65), as ProducerPerformance fills its payload.
    assert random_payload(12) == b"SSXVNJHPDQDX"
    r = JavaRandom(42)  # checked against OpenJDK 17: the power-of-two and the rejection paths
    assert [r.next_int(16), r.next_int(16), r.next_int(16), r.next_int(1000), r.next_int(7)] == [11, 0, 10, 884, 5]


def test_producer_stats_lines_with_a_fake_clock():
    now = [1000]
    lines: list[str] = []
    stats = ProducerStats(1000, lines.append, clock=lambda: now[0])
    now[0] = 3000
    stats.record(0, 500, 12, 500 * 100, now[0])  # within the 5 s window: no line
    assert lines == []
    now[0] = 6000
    stats.record(500, 500, 20, 500 * 100, now[0])
    assert lines == ["1000 records sent, 200.0 records/sec (0.02 MB/sec), 16.0 ms avg latency, 20.0 ms max latency."]
    now[0] = 7000
    assert stats.total_line() == ("1000 records sent, 166.666667 records/sec (0.02 MB/sec), 16.00 ms avg latency, "
                                  "20.00 ms max latency, 20 ms 50th, 20 ms 95th, 20 ms 99th, 20 ms 99.9th.")


def test_percentiles_sample_every_nth_record():
    stats = ProducerStats(1_000_000, lambda line: None, clock=lambda: 0)
    assert stats.sampling == 2
    stats.record(0, 5, 7, 0, 0)  # iterations 0..4: samples 0, 2, 4
    stats.record(5, 2, 9, 0, 0)  # iterations 5..6: sample 6
    assert stats.latencies == [7, 7, 7, 9]


def test_consumer_lines():
    fmt = simple_date_format("HH:mm")
    r = ConsumerPerfResult(start_ms=0, end_ms=2000, messages=1000, bytes=1024 * 1024, rebalance_ms=1000)
    assert r.summary_line(fmt).split(", ")[2:] == ["1.0000", "0.5000", "1000", "500.0000", "1000", "1000",
                                                   "1.0000", "1000.0000"]
    line = progress_line(fmt, 2 * 1024 * 1024, 1024 * 1024, 300, 100, 0, 1000, 0)
    assert line.split(", ")[1:] == ["0", "2.0000", "1.0000", "300", "200.0000", "0", "1000", "1.0000", "200.0000"]


# ---- option errors (no broker) -----------------------------------------------------------------

PP = ("--topic", "t", "--num-records", "10", "--throughput", "-1")


@pytest.mark.parametrize("args,message", [
    (("--num-records", "1", "--record-size", "1", "--throughput", "-1", "--producer-props", "bootstrap.servers=x"),
     "producer-performance: error: argument --topic is required"),
    (PP + ("--producer-props", "bootstrap.servers=x"),
     "producer-performance: error: one of the arguments --record-size --payload-file is required"),
    (PP + ("--record-size", "1", "--payload-file", "f", "--producer-props", "bootstrap.servers=x"),
     "producer-performance: error: argument --payload-file: not allowed with argument --record-size"),
    (PP + ("--record-size", "1"), "producer-performance: error: Either --producer-props or --producer.config must be "
                                  "specified."),
    (PP + ("--record-size", "1", "--producer-props", "a=b=c"), "Invalid property: a=b=c"),
    (PP + ("--record-size", "1", "--producer-props", "acks=1"),
     'Missing required configuration "bootstrap.servers" which has no default value.'),
    (PP + ("--record-size", "1", "--producer-props", "bootstrap.servers=x", "--transaction-duration-ms", "100"),
     "--transaction-duration-ms: kafka-clone has no transactions"),
    (PP + ("--payload-file", "/nonexistent/payloads", "--producer-props", "bootstrap.servers=x"),
     "File does not exist or empty file provided."),
])
def test_producer_option_errors_are_one_line(args, message):
    result = CliRunner().invoke(producer_perf_test, list(args))
    assert result.exit_code == 1 and result.stderr.splitlines()[-1] == message, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args,message", [
    (("--bootstrap-server", "x:1", "--messages", "1"), 'Missing required argument "[topic]"'),
    (("--bootstrap-server", "x:1", "--topic", "t"), 'Missing required argument "[messages]"'),
    (("--topic", "t", "--messages", "1"), 'Missing required argument "[bootstrap-server]"'),
    (("--bootstrap-server", "x:1", "--topic", "t", "--messages", "1", "--reporting-interval", "0"),
     "Reporting interval must be greater than 0."),
    (("--bootstrap-server", "x:1", "--topic", "t", "--messages", "1", "--date-format", "yyyy q"),
     "Illegal pattern character 'q'"),
])
def test_consumer_option_errors_are_one_line(args, message):
    result = CliRunner().invoke(consumer_perf_test, list(args))
    assert result.exit_code == 1 and result.stderr == message + "\n", result.output


# ---- one real broker ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(zookeeper_connect: str, tmp_path_factory):
    with BrokerThread(one_broker_config(fresh_chroot(zookeeper_connect), tmp_path_factory.mktemp("perf-broker"))) as b:
        yield b


def create_topic(broker: BrokerThread, name: str, partitions: int = 3) -> str:
    async def create() -> None:
        async with KafkaAdminClient.create(broker.bootstrap) as admin:
            (await admin.create_topics([NewTopic(name, partitions, 1)]))[0].check()
    broker.call(create)
    return name


def end_offsets(broker: BrokerThread, topic: str, partitions: int = 3) -> dict[int, int]:
    async def ends() -> dict[int, int]:
        async with KafkaConsumer.create(broker.bootstrap) as c:
            results = await list_offsets(c.client, {TopicPartition(topic, p): LATEST for p in range(partitions)})
            return {tp.partition: r.offset for tp, r in results.items()}
    return broker.call(ends)


def produce(broker: BrokerThread, *args: str):
    return CliRunner().invoke(producer_perf_test, [*args, "--producer-props", f"bootstrap.servers={broker.bootstrap}"])


def test_producer_sends_every_record_and_prints_the_total(broker):
    topic = create_topic(broker, "perf-a")
    result = produce(broker, "--topic", topic, "--num-records", "3000", "--record-size", "100", "--throughput", "-1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(re.fullmatch(WINDOW, line) for line in lines[:-1]), lines
    m = re.fullmatch(TOTAL, lines[-1])
    assert m and m.group(1) == "3000", lines[-1]
    ends = end_offsets(broker, topic)
    assert sum(ends.values()) == 3000
    assert len([p for p, n in ends.items() if n]) > 1  # the sticky partitioner moved on between batches


def test_producer_payload_file_and_more_props(broker, tmp_path):
    topic = create_topic(broker, "perf-b", partitions=1)
    payloads = tmp_path / "payloads.txt"
    payloads.write_text("alpha;beta;gamma;\n")
    result = CliRunner().invoke(producer_perf_test, [
        "--topic", topic, "--num-records", "50", "--payload-file", str(payloads), "--payload-delimiter", ";",
        "--throughput", "-1", "--producer-props", f"bootstrap.servers={broker.bootstrap}", "acks=all",
        "client.id=perf", "--print-metrics"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Reading payloads from: {payloads}"
    assert lines[1] == "Number of messages read: 4"  # "alpha", "beta", "gamma", "\n"
    assert re.fullmatch(TOTAL, lines[-1]) and lines[-1].startswith("50 records sent")

    async def values() -> set[bytes]:
        async with KafkaConsumer.create(broker.bootstrap, auto_offset_reset="earliest") as c:
            c.assign([TopicPartition(topic, 0)])
            got: list = []
            while len(got) < 50:
                got += await c.poll(1000)
            return {r.value for r in got}
    assert broker.call(values) <= {b"alpha", b"beta", b"gamma", b"\n"}


def test_producer_throughput_is_throttled(broker):
    topic = create_topic(broker, "perf-c", partitions=1)
    started = time.monotonic()
    result = produce(broker, "--topic", topic, "--num-records", "60", "--record-size", "10", "--throughput", "100")
    # 60 records at 100 records/s cannot take less than about 0.6 s; only a lower bound is safe.
    assert result.exit_code == 0 and time.monotonic() - started >= 0.5, result.output
    assert result.stdout.splitlines()[-1].startswith("60 records sent")


def test_producer_unknown_topic_without_auto_create_fails_in_one_line(broker):
    result = produce(broker, "--topic", "bad name!", "--num-records", "5", "--record-size", "10", "--throughput", "-1")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def test_consumer_reads_everything_as_a_group_and_commits(broker):
    topic = create_topic(broker, "perf-d")
    assert produce(broker, "--topic", topic, "--num-records", "2000", "--record-size", "50",
                   "--throughput", "-1").exit_code == 0
    group = f"g-{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(consumer_perf_test, [
        "--bootstrap-server", broker.bootstrap, "--topic", topic, "--messages", "2000", "--group", group,
        "--timeout", "30000"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == SUMMARY_HEADER and len(lines) == 2
    assert re.fullmatch(summary_re(2000), lines[1]), lines[1]
    assert lines[1].split(", ")[2] == "0.0954"  # 2000 x 50 bytes in MB, 4 places

    async def committed() -> dict[TopicPartition, int]:
        async with GroupAdminClient.create(broker.bootstrap, timeout_ms=30000) as admin:
            return {tp: o.offset for tp, o in (await admin.list_group_offsets(group)).items()}
    ends = end_offsets(broker, topic)
    assert {tp.partition: o for tp, o in broker.call(committed).items()} == ends

    # The same group again: it starts at its committed offsets, so nothing is left to read.
    result = CliRunner().invoke(consumer_perf_test, [
        "--broker-list", broker.bootstrap, "--topic", topic, "--messages", "10", "--group", group,
        "--timeout", "1500", "--hide-header", "--date-format", "HH:mm"])
    lines = result.stdout.splitlines()
    assert lines[0] == ("WARNING: Exiting before consuming the expected number of messages: timeout (1500 ms) "
                        "exceeded. You can use the --timeout option to increase the timeout.")
    assert re.fullmatch(rf"\d\d:\d\d, \d\d:\d\d, 0\.0000, {F}, 0, {F}, \d+, \d+, {F}, {F}", lines[1]), lines[1]


def test_consumer_detailed_stats_and_from_latest(broker):
    topic = create_topic(broker, "perf-e", partitions=1)
    assert produce(broker, "--topic", topic, "--num-records", "500", "--record-size", "10",
                   "--throughput", "-1").exit_code == 0
    result = CliRunner().invoke(consumer_perf_test, [
        "--bootstrap-server", broker.bootstrap, "--topic", topic, "--messages", "500", "--show-detailed-stats",
        "--timeout", "30000"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == DETAILED_HEADER
    # 2.8 prints no summary line with --show-detailed-stats, only progress lines (none in 5 s here).
    assert all(re.fullmatch(rf"{DATE}, 0, {F}, {F}, \d+, {F}, \d+, -?\d+, {F}, {F}", line) for line in lines[1:])

    result = CliRunner().invoke(consumer_perf_test, [
        "--bootstrap-server", broker.bootstrap, "--topic", topic, "--messages", "5", "--from-latest",
        "--timeout", "1500"])
    lines = result.stdout.splitlines()
    assert lines[1].startswith("WARNING: Exiting before consuming the expected number of messages")
    assert re.fullmatch(summary_re(0), lines[2]), lines[2]


def test_producer_config_file_and_option_precedence(broker, tmp_path):
    topic = create_topic(broker, "perf-f", partitions=1)
    config = tmp_path / "producer.properties"
    config.write_text(f"# from a file, as --producer.config reads it\nbootstrap.servers={broker.bootstrap}\nacks=0\n")
    result = CliRunner().invoke(producer_perf_test, [
        "--topic", topic, "--num-records", "100", "--record-size", "20", "--throughput", "-1",
        "--producer.config", str(config), "--producer-props", "acks=all"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("100 records sent")
    assert end_offsets(broker, topic, partitions=1) == {0: 100}
