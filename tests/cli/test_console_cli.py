"""`kclone console-producer` / `console-consumer`: Kafka 2.8's formats, options and errors."""

from __future__ import annotations

import socket
import uuid

import pytest
from click.testing import CliRunner

from cli.console import DefaultMessageFormatter, LineMessageReader, console_consumer, console_producer, producer_props
from cli.topics import ToolError
from kafka_clone.client.consumer import ConsumerRecord
from kafka_clone.client.partitioner import partition_for_key
from kafka_clone.protocol.records import TimestampType
from tests.client.conftest import mock_cluster  # noqa: F401 (fixture)


def _record(**kw) -> ConsumerRecord:
    base = dict(topic="t", partition=0, offset=123, timestamp=1234, timestamp_type=TimestampType.CREATE_TIME,
                key=b"key", value=b"value", headers=(("h1", b"v1"), ("h2", b"v2")))
    base.update(kw)
    return ConsumerRecord(**base)


# ---- DefaultMessageFormatter (the cases of Kafka's DefaultMessageFormatterTest) --------------------


@pytest.mark.parametrize("props,record,expected", [
    ({}, _record(), b"value\n"),
    ({"print.key": "true"}, _record(), b"key\tvalue\n"),
    ({"print.key": "true", "print.partition": "true"}, _record(), b"Partition:0\tkey\tvalue\n"),
    ({"print.timestamp": "true", "print.value": "false"}, _record(), b"CreateTime:1234\n"),
    ({"print.timestamp": "true", "print.value": "false"}, _record(timestamp_type=TimestampType.LOG_APPEND_TIME),
     b"LogAppendTime:1234\n"),
    ({"print.offset": "true", "print.value": "false"}, _record(), b"Offset:123\n"),
    ({"print.headers": "true", "print.value": "false"}, _record(), b"h1:v1,h2:v2\n"),
    ({"print.headers": "true", "print.value": "false"}, _record(headers=()), b"NO_HEADERS\n"),
    ({"print.key": "true", "print.value": "false"}, _record(), b"key\n"),
    ({"print.value": "false"}, _record(), b""),
    ({"print.key": "true"}, _record(key=None, value=None), b"null\tnull\n"),
    ({"print.key": "true", "null.literal": "<nil>"}, _record(key=None), b"<nil>\tvalue\n"),
    ({"print.timestamp": "true", "print.key": "true", "print.offset": "true", "print.partition": "true",
      "print.headers": "true", "key.separator": "|", "line.separator": ";", "headers.separator": "&"},
     _record(partition=5, headers=(("h1", b"v1"), ("h2", None))),
     b"CreateTime:1234|Partition:5|Offset:123|h1:v1&h2:null|key|value;"),
    ({"print.key": " TRUE "}, _record(), b"key\tvalue\n"),
])
def test_default_message_formatter(props: dict[str, str], record: ConsumerRecord, expected: bytes) -> None:
    assert DefaultMessageFormatter(props).format(record) == expected


# ---- LineMessageReader ------------------------------------------------------------------------------


def test_line_reader_values_keys_and_errors() -> None:
    plain = LineMessageReader("t", {})
    r = plain.record("a\tb")
    assert (r.key, r.value) == (None, b"a\tb")

    keyed = LineMessageReader("t", {"parse.key": "true"})
    r = keyed.record("k\tv\tw")
    assert (r.key, r.value) == (b"k", b"v\tw")
    r = keyed.record("k\t")
    assert (r.key, r.value) == (b"k", b"")
    with pytest.raises(ToolError, match="No key found on line 3: novalue"):
        keyed.record("novalue")

    custom = LineMessageReader("t", {"parse.key": "true", "key.separator": "::", "ignore.error": "true"})
    assert (custom.record("a::b").key, custom.record("a::b").value) == (b"a", b"b")
    r = custom.record("plain")
    assert (r.key, r.value) == (None, b"plain")


def test_producer_props_precedence() -> None:
    props = producer_props({"producer_properties": ("acks=1", "linger.ms=5"), "request_required_acks": None})
    assert props["acks"] == "1"  # --producer-property fills what no explicit option set
    assert props["request.timeout.ms"] == "1500"  # ConsoleProducer's own default
    assert props["compression.type"] == "none"
    props = producer_props({"producer_properties": ("acks=1",), "request_required_acks": "0",
                            "compression_codec": "gzip"})
    assert props["acks"] == "0"  # an explicit tool option wins
    assert props["compression.type"] == "gzip"


# ---- option errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["--bootstrap-server", "h:1"], "Exactly one of whitelist/topic is required."),
    (["--bootstrap-server", "h:1", "--topic", "t", "--offset", "3"], "The partition is required when offset is specified."),
    (["--bootstrap-server", "h:1", "--topic", "t", "--partition", "0", "--offset", "3", "--from-beginning"],
     "Options from-beginning and offset cannot be specified together."),
    (["--bootstrap-server", "h:1", "--topic", "t", "--partition", "0", "--offset", "-2"],
     "The provided offset value '-2' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."),
    (["--topic", "t"], 'Missing required argument "[bootstrap-server]"'),
    (["--bootstrap-server", "h:1", "--topic", "t", "--from-beginning", "--consumer-property", "auto.offset.reset=latest"],
     "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option"),
])
def test_consumer_option_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(console_consumer, args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


def test_producer_needs_a_topic() -> None:
    result = CliRunner().invoke(console_producer, ["--bootstrap-server", "h:1"], input="x\n")
    assert (result.exit_code, result.stderr) == (1, 'Missing required argument "[topic]"\n')


def test_producer_with_broker_down_is_one_line_exit_1() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(console_producer, ["--bootstrap-server", f"127.0.0.1:{port}", "--topic", "t",
                                                   "--max-block-ms", "300"], input="x\n")
    assert result.exit_code == 1
    # As the Java producer: metadata never arrives within max.block.ms.
    assert result.stderr == "Topic t not present in metadata after 300 ms.\n"


# ---- round trips through librdkafka's mock cluster ---------------------------------------------------


@pytest.mark.compat
def test_produce_then_consume_with_keys_and_formatting(mock_cluster) -> None:  # noqa: F811
    bootstrap, _ = mock_cluster
    topic = f"console-{uuid.uuid4().hex[:8]}"
    lines = [f"user-{i}:hello {i}" for i in range(20)]
    result = CliRunner().invoke(console_producer, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true",
        "--property", "key.separator=:", "--compression-codec",
    ], input="\n".join(lines) + "\n")
    assert (result.exit_code, result.output) == (0, "")

    result = CliRunner().invoke(console_consumer, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning", "--max-messages", "20",
        "--property", "print.key=true", "--property", "print.partition=true", "--property", "print.offset=true",
        "--property", "print.timestamp=true",
    ])
    assert result.exit_code == 0, result.output
    assert result.stderr == "Processed a total of 20 messages\n"
    out = result.stdout.splitlines()
    assert len(out) == 20
    seen = set()
    for line in out:
        ts, partition, offset, key, value = line.split("\t")
        assert ts.startswith("CreateTime:") and int(ts.split(":")[1]) > 0
        assert partition == f"Partition:{partition_for_key(key.encode(), 4)}"
        assert offset.startswith("Offset:")
        assert value == "hello " + key.removeprefix("user-")
        seen.add(key)
    assert seen == {f"user-{i}" for i in range(20)}


@pytest.mark.compat
def test_consume_one_partition_from_an_offset_then_time_out_at_the_end(mock_cluster) -> None:  # noqa: F811
    bootstrap, _ = mock_cluster
    topic = f"console-{uuid.uuid4().hex[:8]}"
    # Unkeyed lines of one call stick to one partition (sticky partitioner); pin it explicitly
    # by keying them all the same.
    lines = [f"k\tline-{i}" for i in range(5)] + ["k\t"]
    result = CliRunner().invoke(console_producer, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true", "--sync",
        "--request-required-acks", "1",
    ], input="\n".join(lines))
    assert result.exit_code == 0, result.output
    partition = partition_for_key(b"k", 4)

    result = CliRunner().invoke(console_consumer, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--partition", str(partition), "--offset", "3",
        "--max-messages", "3", "--timeout-ms", "60000",
    ])
    assert result.exit_code == 0, result.output
    assert result.stdout == "line-3\nline-4\n\n"  # the last line had an empty value
    assert result.stderr.splitlines()[-1] == "Processed a total of 3 messages"

    result = CliRunner().invoke(console_consumer, [
        "--bootstrap-server", bootstrap, "--topic", topic, "--partition", str(partition), "--timeout-ms", "500",
    ])
    assert (result.exit_code, result.stdout) == (0, "")  # from the end by default


@pytest.mark.compat
def test_consumer_of_unknown_topic_is_one_line_exit_1(mock_cluster) -> None:  # noqa: F811
    bootstrap, _ = mock_cluster
    result = CliRunner().invoke(console_consumer, ["--bootstrap-server", bootstrap, "--topic", "never-made-xyz",
                                                   "--timeout-ms", "500"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["Topic never-made-xyz not present in metadata"]


@pytest.mark.compat
def test_piped_input_is_sent_in_batches_and_all_arrives(mock_cluster) -> None:  # noqa: F811
    import trio

    from kafka_clone.client import LATEST, KafkaAdminClient
    from kafka_clone.common.topic import TopicPartition

    bootstrap, _ = mock_cluster
    topic = f"console-{uuid.uuid4().hex[:8]}"
    lines = "".join(f"message number {i}\n" for i in range(5000))
    result = CliRunner().invoke(console_producer, ["--bootstrap-server", bootstrap, "--topic", topic], input=lines)
    assert result.exit_code == 0, result.output

    async def count() -> int:
        async with KafkaAdminClient.create(bootstrap) as admin:
            ends = await admin.list_offsets({TopicPartition(topic, p): LATEST for p in range(4)})
        return sum(r.check().offset for r in ends.values())

    assert trio.run(count) == 5000
