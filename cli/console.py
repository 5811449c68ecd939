"""`kclone console-producer` and `kclone console-consumer`: Kafka 2.8's console tools.

``console-producer`` is ``ConsoleProducer`` with its ``LineMessageReader``: every line of standard
input is one record; with ``--property parse.key=true`` the text before the first
``key.separator`` (default TAB) is the key ("No key found on line N: ..." otherwise, unless
``ignore.error=true``). Options keep Kafka's names and defaults (``--request-required-acks -1``,
``--request-timeout-ms 1500``, ``--compression-codec`` alone meaning gzip); explicit tool options
override ``--producer-property``, which overrides ``--producer.config``. Lines read while earlier
ones are in flight are sent together, so a piped file travels in batches and typed lines go out
at once.

``console-consumer`` is ``ConsoleConsumer`` with ``DefaultMessageFormatter``: fields in Kafka's
order ``CreateTime:<ts>``, ``Partition:<p>``, ``Offset:<o>``, headers, key, value, separated by
``key.separator`` (default TAB), lines ended by ``line.separator``, null shown as ``null.literal``.
Without ``--group`` it reads every partition of ``--topic`` (or only
``--partition``), from the end unless ``--from-beginning``/``--offset``. With ``--group`` it is a
member of that consumer group: the coordinator's rebalance assigns its partitions, reading starts
at the group's committed offsets, and positions are committed after each batch written out. It stops after
``--max-messages`` or ``--timeout-ms`` without records and reports
``Processed a total of N messages`` on standard error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import click
import trio

from kafka_clone.client import KafkaConsumer, KafkaProducer, ProducerRecord
from kafka_clone.client.consumer import ConsumerRecord
from kafka_clone.client.group_consumer import GroupMember
from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol.errors import (
    IllegalGeneration, KafkaError, RebalanceInProgress, UnknownMemberId, UnknownTopicOrPartition,
)
from kafka_clone.protocol.records import TimestampType

from .topics import ToolError, parse_key_value_args, run_tool

__all__ = ["console_producer", "console_consumer", "LineMessageReader", "DefaultMessageFormatter"]

log = logging.getLogger("kafka.tools.ConsoleConsumer")

#: Lines gathered into one send when they arrive faster than they are acknowledged.
_MAX_LINES_PER_SEND = 10000


def _load_properties(path: str | None) -> dict[str, str]:
    """A Java ``.properties`` file, simply: ``key=value`` or ``key: value`` lines, ``#``/``!`` comments."""
    if path is None:
        return {}
    props = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        sep = "=" if "=" in line else ":"
        key, _, value = line.partition(sep)
        props[key.strip()] = value.strip()
    return props


# ---- console-producer --------------------------------------------------------------------------


class LineMessageReader:
    """``ConsoleProducer.LineMessageReader`` (2.8): one record per line, optionally keyed."""

    def __init__(self, topic: str, props: dict[str, str]) -> None:
        self.topic = topic
        self.parse_key = props.get("parse.key", "false").strip().lower() == "true"
        self.key_separator = props.get("key.separator", "\t")
        self.ignore_error = props.get("ignore.error", "false").strip().lower() == "true"
        self.line_number = 0

    def record(self, line: str) -> ProducerRecord:
        self.line_number += 1
        value = line.encode("utf-8")
        if not self.parse_key:
            return ProducerRecord(self.topic, value)
        n = line.find(self.key_separator)
        if n < 0:
            if self.ignore_error:
                return ProducerRecord(self.topic, value)
            raise ToolError(f"No key found on line {self.line_number}: {line}")
        rest = line[n + len(self.key_separator):]
        return ProducerRecord(self.topic, rest.encode("utf-8"), line[:n].encode("utf-8"))


def _decode(raw: bytes) -> str:
    return raw.removesuffix(b"\r").decode("utf-8", "replace")


async def _read_lines(stream: BinaryIO, send: trio.MemorySendChannel[list[str]], prompt: bool) -> None:
    """Lines of ``stream`` (without their ends, like ``BufferedReader.readLine``) into ``send``,
    as lists: all the complete lines of each chunk read."""
    async with send:
        if prompt:
            while True:
                click.echo(">", nl=False)
                raw = await trio.to_thread.run_sync(stream.readline, abandon_on_cancel=True)
                if not raw:
                    return
                await send.send([_decode(raw.removesuffix(b"\n"))])
        pending = b""
        read = getattr(stream, "read1", stream.read)
        while True:
            chunk = await trio.to_thread.run_sync(read, 65536, abandon_on_cancel=True)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            if lines:
                await send.send([_decode(raw) for raw in lines])
        if pending:
            await send.send([_decode(pending)])


async def _produce_lines(
    producer: KafkaProducer, reader: LineMessageReader, receive: trio.MemoryReceiveChannel[list[str]], sync: bool
) -> None:
    async with receive:
        async for lines in receive:
            # Whatever arrived while the previous send was in flight goes in the same send.
            while not sync and len(lines) < _MAX_LINES_PER_SEND:
                try:
                    lines += receive.receive_nowait()
                except (trio.WouldBlock, trio.EndOfChannel):
                    break
            if sync:
                for line in lines:
                    await producer.send_batch([reader.record(line)])
            else:
                await producer.send_batch([reader.record(line) for line in lines])


#: ConsoleProducer's tool options: (click name, producer config, default).
_PRODUCER_OPTIONS = (
    ("request_required_acks", "acks", "-1"),
    ("request_timeout_ms", "request.timeout.ms", 1500),
    ("retry_backoff_ms", "retry.backoff.ms", 100),
    ("batch_size", "batch.size", 16384),
    ("max_block_ms", "max.block.ms", 60000),
)


def producer_props(o: dict[str, Any]) -> dict[str, str]:
    """``ConsoleProducer.producerProps``: file < ``--producer-property`` < explicit tool options."""
    props = _load_properties(o.get("producer_config"))
    props.update(parse_key_value_args(o.get("producer_properties", ())))
    for option, key, default in _PRODUCER_OPTIONS:
        # CommandLineUtils.maybeMergeOptions: an explicit option wins, a default fills a gap.
        value = o.get(option)
        if value is not None or key not in props:
            props[key] = str(value if value is not None else default)
    # compression.type is always set from --compression-codec (none unless given), as in Kafka.
    props["compression.type"] = o.get("compression_codec") or "none"
    return props


@click.command("console-producer", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="REQUIRED: The server(s) to connect to.")
@click.option("--broker-list", metavar="HOST:PORT", help="DEPRECATED, use --bootstrap-server instead.")
@click.option("--topic", help="REQUIRED: The topic id to produce messages to.")
@click.option("--property", "properties", multiple=True, metavar="PROP",
              help="Properties for the line reader: parse.key, key.separator, ignore.error.")
@click.option("--producer-property", "producer_properties", multiple=True, metavar="PROP",
              help="A producer property in the form key=value (acks, compression.type, ...).")
@click.option("--producer.config", "producer_config", type=click.Path(dir_okay=False, exists=True),
              help="Producer config properties file.")
@click.option("--request-required-acks", help="The required acks of the producer requests  [default: -1]")
@click.option("--compression-codec", is_flag=False, flag_value="gzip",
              help="none, gzip, snappy, lz4 or zstd; alone it means gzip.")
@click.option("--sync", is_flag=True, help="Send each message and wait for its acknowledgement.")
@click.option("--batch-size", type=int, help="Batch size in bytes (batch.size)  [default: 16384]")
@click.option("--request-timeout-ms", type=int, help="The ack timeout of the producer requests  [default: 1500]")
@click.option("--retry-backoff-ms", type=int, help="Wait before retrying (retry.backoff.ms)  [default: 100]")
@click.option("--max-block-ms", type=int, help="Max time to wait for metadata (max.block.ms)  [default: 60000]")
def console_producer(**o: Any) -> None:
    """Read lines from standard input and publish them to Kafka (kafka-console-producer.sh)."""
    if not o["topic"]:
        raise ToolError('Missing required argument "[topic]"')
    servers = o["bootstrap_server"] or o["broker_list"]
    if not servers:
        raise ToolError("Missing required option(s) [bootstrap-server]")
    props = producer_props(o)
    reader = LineMessageReader(o["topic"], parse_key_value_args(o["properties"]))
    stdin = sys.stdin.buffer

    async def run() -> None:
        producer = KafkaProducer.create(
            servers,
            acks=props["acks"],
            compression_type=props["compression.type"],
            client_id=props.get("client.id", "console-producer"),
            request_timeout_ms=int(props["request.timeout.ms"]),
            retry_backoff_ms=int(props["retry.backoff.ms"]),
            batch_size=int(props["batch.size"]),
            max_block_ms=int(props["max.block.ms"]),
            delivery_timeout_ms=int(props.get("delivery.timeout.ms", 120000)),
        )
        async with producer:
            send, receive = trio.open_memory_channel[list[str]](16)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_read_lines, stdin, send, stdin.isatty())
                nursery.start_soon(_produce_lines, producer, reader, receive, o["sync"])

    run_tool(run)


# ---- console-consumer --------------------------------------------------------------------------


class DefaultMessageFormatter:
    """``kafka.tools.DefaultMessageFormatter``: the consumer's output line for each record."""

    def __init__(self, props: dict[str, str]) -> None:
        def flag(name: str, default: bool) -> bool:
            return props[name].strip().lower() == "true" if name in props else default

        def text(name: str, default: str) -> bytes:
            return props.get(name, default).encode("utf-8")

        self.print_timestamp = flag("print.timestamp", False)
        self.print_key = flag("print.key", False)
        self.print_value = flag("print.value", True)
        self.print_partition = flag("print.partition", False)
        self.print_offset = flag("print.offset", False)
        self.print_headers = flag("print.headers", False)
        self.key_separator = text("key.separator", "\t")
        self.line_separator = text("line.separator", "\n")
        self.headers_separator = text("headers.separator", ",")
        self.null_literal = text("null.literal", "null")

    def format(self, r: ConsumerRecord) -> bytes:
        """The bytes Kafka writes for ``r``: each field followed by a column or line separator."""
        fields: list[bytes] = []
        if self.print_timestamp:
            kind = "CreateTime" if r.timestamp_type == TimestampType.CREATE_TIME else "LogAppendTime"
            # NO_TIMESTAMP is only for magic 0 records, which RecordBatch v2 never holds.
            fields.append(f"{kind}:{r.timestamp}".encode())
        if self.print_partition:
            fields.append(b"Partition:%d" % r.partition)
        if self.print_offset:
            fields.append(b"Offset:%d" % r.offset)
        if self.print_headers:
            if r.headers:
                fields.append(
                    self.headers_separator.join(
                        k.encode("utf-8") + b":" + (self.null_literal if v is None else v) for k, v in r.headers
                    )
                )
            else:
                fields.append(b"NO_HEADERS")
        if self.print_key:
            fields.append(self.null_literal if r.key is None else r.key)
        if self.print_value:
            fields.append(self.null_literal if r.value is None else r.value)
        if not fields:
            return b""
        # Every field but the last is followed by the column separator, the last by a line end
        # (writeSeparator(columnSeparator = any later field is printed)).
        return self.key_separator.join(fields) + self.line_separator


def _parse_offset(value: str) -> int | str:
    lowered = value.lower()
    if lowered in ("earliest", "latest"):
        return lowered
    try:
        offset = int(value)
    except ValueError:
        offset = -1
    if offset < 0:
        raise ToolError(
            f"The provided offset value '{value}' is incorrect. Valid values are 'earliest', 'latest', "
            "or a non-negative long."
        )
    return offset


@click.command("console-consumer", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="REQUIRED: The server(s) to connect to.")
@click.option("--topic", help="The topic to consume on.")
@click.option("--partition", type=int, help="The partition to consume from (from the end unless --offset).")
@click.option("--offset", help="earliest, latest or a non-negative offset (needs --partition)  [default: latest]")
@click.option("--from-beginning", is_flag=True, help="Start with the earliest message rather than the latest.")
@click.option("--max-messages", type=int, help="Exit after consuming this many messages.")
@click.option("--timeout-ms", type=int, help="Exit if no message is available for this long.")
@click.option("--property", "properties", multiple=True, metavar="PROP",
              help="Formatter properties: print.timestamp, print.key, print.offset, print.partition, "
                   "print.headers, print.value, key.separator, line.separator, headers.separator, null.literal.")
@click.option("--consumer-property", "consumer_properties", multiple=True, metavar="PROP",
              help="A consumer property in the form key=value.")
@click.option("--consumer.config", "consumer_config", type=click.Path(dir_okay=False, exists=True),
              help="Consumer config properties file.")
@click.option("--isolation-level", type=click.Choice(["read_uncommitted", "read_committed"]),
              help="read_committed hides transactional messages not committed  [default: read_uncommitted]")
@click.option("--group", help="The consumer group id of the consumer.")
def console_consumer(**o: Any) -> None:
    """Read records from Kafka and write them to standard output (kafka-console-consumer.sh)."""
    if not o["topic"]:
        raise ToolError("Exactly one of whitelist/topic is required.")
    if o["partition"] is not None:
        if o["from_beginning"] and o["offset"] is not None:
            raise ToolError("Options from-beginning and offset cannot be specified together.")
    elif o["offset"] is not None:
        raise ToolError("The partition is required when offset is specified.")
    start: int | str = _parse_offset(o["offset"]) if o["offset"] is not None else (
        "earliest" if o["from_beginning"] else "latest"
    )
    if not o["bootstrap_server"]:
        raise ToolError('Missing required argument "[bootstrap-server]"')
    if o["group"] and o["partition"] is not None:
        raise ToolError("Options group and partition cannot be specified together.")
    props = _load_properties(o["consumer_config"])
    props.update(parse_key_value_args(o["consumer_properties"]))
    reset = props.get("auto.offset.reset")
    if reset is not None and o["from_beginning"] and reset != "earliest":
        raise ToolError(
            f"Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', please remove one option"
        )
    formatter = DefaultMessageFormatter(parse_key_value_args(o["properties"]))
    out = sys.stdout.buffer
    counter = [0]

    async def run() -> None:
        consumer = KafkaConsumer.create(
            o["bootstrap_server"],
            client_id=props.get("client.id", "console-consumer"),
            auto_offset_reset=reset or ("earliest" if o["from_beginning"] else "latest"),
            isolation_level=o["isolation_level"] or props.get("isolation.level", "read_uncommitted"),
            fetch_max_wait_ms=int(props.get("fetch.max.wait.ms", 500)),
            fetch_min_bytes=int(props.get("fetch.min.bytes", 1)),
            request_timeout_ms=int(props.get("request.timeout.ms", 30000)),
        )
        async with consumer:
            if o["group"]:
                await _consume_in_group(consumer, o["bootstrap_server"], o["group"], o["topic"], formatter, out,
                                        o["max_messages"], o["timeout_ms"], counter)
            else:
                await _assign(consumer, o["topic"], o["partition"], start)
                await _consume(consumer, formatter, out, o["max_messages"], o["timeout_ms"], counter)

    try:
        run_tool(run)
    except KeyboardInterrupt:
        pass
    click.echo(f"Processed a total of {counter[0]} messages", err=True)


async def _assign(consumer: KafkaConsumer, topic: str, partition: int | None, start: int | str) -> None:
    cluster = await consumer.client.refresh_metadata([topic])
    meta = cluster.topic(topic)
    if meta is None or isinstance(meta.error, UnknownTopicOrPartition):
        raise UnknownTopicOrPartition(f"Topic {topic} not present in metadata")
    if meta.error is not None:
        raise meta.error
    if partition is not None:
        if meta.partition(partition) is None:
            raise KafkaError(f"Partition {partition} of topic {topic} does not exist")
        partitions = [TopicPartition(topic, partition)]
    else:
        partitions = [TopicPartition(topic, p.partition) for p in meta.partitions]
    consumer.assign(partitions)
    if start == "earliest":
        consumer.seek_to_beginning(partitions)
    elif start == "latest":
        consumer.seek_to_end(partitions)
    else:
        consumer.seek(partitions[0], int(start))


async def _consume_in_group(consumer: KafkaConsumer, bootstrap: str, group: str, topic: str,
                            formatter: DefaultMessageFormatter, out: BinaryIO, max_messages: int | None,
                            timeout_ms: int | None, counter: list[int]) -> None:
    """Subscribe as a member of `group`: the group's coordinator assigns partitions, committed
    offsets are where reading starts, and positions are committed after each poll (the console
    consumer's auto-commit) and when it ends."""
    async with GroupMember.create(bootstrap, group, [topic]) as member, trio.open_nursery() as nursery:
        await nursery.start(member.run)
        generation = [0]

        async def follow() -> None:
            generation[0] = await member.follow_assignment(consumer, generation[0])

        async def commit(written: Sequence[ConsumerRecord]) -> None:
            # The offsets after the records written out, not the consumer's position: with
            # --max-messages part of a fetched batch may stay unprinted, and must stay unread.
            offsets: dict[TopicPartition, int] = {}
            for r in written:
                offsets[TopicPartition(r.topic, r.partition)] = r.offset + 1
            try:
                await member.commit(offsets)
            except (RebalanceInProgress, IllegalGeneration, UnknownMemberId) as exc:
                log.info("Offset commit skipped: %s", exc)

        await _consume(consumer, formatter, out, max_messages, timeout_ms, counter, before_poll=follow,
                       after_write=commit)
        nursery.cancel_scope.cancel()


async def _consume(
    consumer: KafkaConsumer,
    formatter: DefaultMessageFormatter,
    out: BinaryIO,
    max_messages: int | None,
    timeout_ms: int | None,
    counter: list[int],
    *,
    before_poll: Callable[[], Awaitable[Any]] | None = None,
    after_write: Callable[[Sequence[ConsumerRecord]], Awaitable[Any]] | None = None,
) -> None:
    last_record = trio.current_time()
    while max_messages is None or counter[0] < max_messages:
        if before_poll is not None:
            await before_poll()
        wait_ms = 1000
        if timeout_ms is not None:
            left = timeout_ms / 1000 - (trio.current_time() - last_record)
            if left <= 0:
                # ConsoleConsumer logs the TimeoutException at ERROR and ends normally.
                log.error("Error processing message, terminating consumer process: TimeoutException")
                return
            wait_ms = int(min(wait_ms, left * 1000)) or 1
        records: Sequence[ConsumerRecord] = await consumer.poll(wait_ms)
        if not records:
            continue
        last_record = trio.current_time()
        if max_messages is not None:
            records = records[: max_messages - counter[0]]
        out.write(b"".join(formatter.format(r) for r in records))
        out.flush()
        counter[0] += len(records)
        if after_write is not None:
            # Commit only what has been written out: at-least-once, as Kafka's auto-commit.
            await after_write(records)
