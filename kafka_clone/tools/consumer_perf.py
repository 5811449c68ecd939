"""`kclone consumer-perf-test`: Kafka 2.8's ``ConsumerPerformance`` on our trio consumer.

As in Kafka, the consumer is a member of ``--group`` (default ``perf-consumer-<random>``): it
joins, gets its partitions from the coordinator's rebalance, starts at the group's committed
offsets or else at ``auto.offset.reset`` (earliest, or latest with ``--from-latest``), commits
its positions every ``auto.commit.interval.ms`` (5 s) and when it ends, and polls (100 ms) until
it has ``--messages`` records or ``--timeout`` ms pass without any. Every record of the last
poll counts, so the total may exceed ``--messages``, as in Kafka. Bytes are key + value sizes.
``check.crcs`` is off, as Kafka's tool sets it.

Output, with Kafka's formats: the header (unless ``--hide-header``), then either one line
``start.time, end.time, MB, MB/sec, messages, messages/sec, rebalance.time.ms, fetch.time.ms,
fetch.MB.sec, fetch.nMsg.sec`` or, with ``--show-detailed-stats``, a progress line per
``--reporting-interval`` (and no summary line, as in 2.8).

``rebalance.time.ms`` is the time from subscribing to the first assignment (Kafka's
``onPartitionsAssigned``); it includes the broker's ``group.initial.rebalance.delay.ms`` for a new
group, as in Kafka. Our group member rebalances in the background, so a later rebalance (another
member joining) is not added to it.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs
import trio

from kafka_clone.client import KafkaConsumer
from kafka_clone.client.group_consumer import GroupMember

from .java_format import jdiv, jfloat, now_ms

__all__ = ["ConsumerPerfConfig", "ConsumerPerfResult", "run_consumer_perf", "header", "default_group"]

_MB = 1024.0 * 1024.0
DETAILED_HEADER = "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"
SUMMARY_HEADER = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"
NEW_FIELDS = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"


def header(detailed: bool) -> str:
    return (DETAILED_HEADER if detailed else SUMMARY_HEADER) + NEW_FIELDS


def default_group() -> str:
    """``perf-consumer-`` + ``new Random().nextInt(100000)``."""
    return f"perf-consumer-{random.randrange(100000)}"


@attrs.frozen
class ConsumerPerfConfig:
    bootstrap_servers: str
    topic: str
    messages: int
    group: str
    date_format: Callable[[int], str]
    from_latest: bool = False
    fetch_size: int = 1024 * 1024
    timeout_ms: int = 10000
    reporting_interval_ms: int = 5000
    show_detailed_stats: bool = False
    props: dict[str, str] = attrs.Factory(dict)


@attrs.define
class ConsumerPerfResult:
    start_ms: int
    end_ms: int
    messages: int
    bytes: int
    rebalance_ms: int

    def summary_line(self, date_format: Callable[[int], str]) -> str:
        elapsed_s = (self.end_ms - self.start_ms) / 1000.0
        fetch_ms = (self.end_ms - self.start_ms) - self.rebalance_ms
        mb = self.bytes / _MB
        return ", ".join([
            date_format(self.start_ms), date_format(self.end_ms), jfloat(mb, 4), jfloat(jdiv(mb, elapsed_s), 4),
            str(self.messages), jfloat(jdiv(self.messages, elapsed_s), 4), str(self.rebalance_ms), str(fetch_ms),
            jfloat(jdiv(mb, fetch_ms / 1000.0), 4), jfloat(jdiv(self.messages, fetch_ms / 1000.0), 4),
        ])


def progress_line(date_format: Callable[[int], str], bytes_read: int, last_bytes: int, messages: int,
                  last_messages: int, start_ms: int, end_ms: int, join_ms: int) -> str:
    """``printConsumerProgress`` (thread id 0): the basic fields, then the fetch-only ones."""
    elapsed = float(end_ms - start_ms)
    interval_mb = (bytes_read - last_bytes) / _MB
    fetch_ms = end_ms - start_ms - join_ms
    if fetch_ms <= 0:
        fetch_mb_s = fetch_msg_s = 0.0
    else:
        fetch_mb_s = 1000.0 * interval_mb / fetch_ms
        fetch_msg_s = 1000.0 * (messages - last_messages) / fetch_ms
    return ", ".join([
        date_format(end_ms), "0", jfloat(bytes_read / _MB, 4), jfloat(jdiv(1000.0 * interval_mb, elapsed), 4),
        str(messages), jfloat(jdiv(messages - last_messages, elapsed) * 1000.0, 4), str(join_ms), str(fetch_ms),
        jfloat(fetch_mb_s, 4), jfloat(fetch_msg_s, 4),
    ])


def _int(props: dict[str, str], name: str, default: int) -> int:
    try:
        return int(props.get(name, default))
    except ValueError:
        raise ValueError(f"Invalid value {props[name]} for configuration {name}: Not a number of type INT") from None


async def run_consumer_perf(cfg: ConsumerPerfConfig, echo: Callable[[str], None],
                            clock: Callable[[], int] = now_ms) -> ConsumerPerfResult:
    """Consume as ``ConsumerPerformance.consume`` does; print progress lines when asked and the
    timeout warning. Returns the totals (the caller prints the summary)."""
    props = cfg.props
    consumer = KafkaConsumer.create(
        cfg.bootstrap_servers,
        client_id=props.get("client.id", "perf-consumer-client"),
        auto_offset_reset="latest" if cfg.from_latest else "earliest",
        fetch_max_wait_ms=_int(props, "fetch.max.wait.ms", 500),
        fetch_min_bytes=_int(props, "fetch.min.bytes", 1),
        fetch_max_bytes=_int(props, "fetch.max.bytes", 52428800),
        max_partition_fetch_bytes=cfg.fetch_size,
        isolation_level=props.get("isolation.level", "read_uncommitted"),
        request_timeout_ms=_int(props, "request.timeout.ms", 30000),
    )
    consumer.check_crcs = False
    member = GroupMember.create(
        cfg.bootstrap_servers, cfg.group, [cfg.topic], client_id=props.get("client.id", "perf-consumer-client"),
        session_timeout_ms=_int(props, "session.timeout.ms", 10000),
        heartbeat_interval_ms=_int(props, "heartbeat.interval.ms", 3000))
    auto_commit = props.get("enable.auto.commit", "true").strip().lower() == "true"
    commit_interval = _int(props, "auto.commit.interval.ms", 5000)
    bytes_read = messages = last_bytes = last_messages = 0
    join_ms = join_in_round = 0

    async with consumer, member, trio.open_nursery() as nursery:
        start_ms = join_start = clock()
        generation = 0
        # Kafka joins inside the first poll()s: the loop's clocks (report interval, --timeout
        # between records) start before the join, and the join counts against them.
        now = last_report = last_consumed = last_commit = clock()
        with trio.move_on_after(cfg.timeout_ms / 1000):
            await nursery.start(member.run)
            generation = await member.follow_assignment(consumer, 0)
            join_ms = join_in_round = clock() - join_start
        while generation and messages < cfg.messages and now - last_consumed <= cfg.timeout_ms:
            generation = await member.follow_assignment(consumer, generation)
            records = await consumer.poll(100)
            now = clock()
            if not records:
                continue
            last_consumed = now
            first = records[0]
            first_size = len(first.key or b"") + len(first.value or b"")
            batch_bytes = sum(len(r.key or b"") + len(r.value or b"") for r in records)
            if cfg.show_detailed_stats and now - last_report >= cfg.reporting_interval_ms:
                # Kafka checks the interval per record with the poll's time: the first record of
                # this poll triggers the line, which counts it and the records before it.
                echo(progress_line(cfg.date_format, bytes_read + first_size, last_bytes, messages + 1,
                                   last_messages, last_report, now, join_in_round))
                join_in_round = 0
                last_report = now
                last_messages, last_bytes = messages + 1, bytes_read + first_size
            elif now - last_report >= cfg.reporting_interval_ms:
                join_in_round = 0
                last_report = now
                last_messages, last_bytes = messages + 1, bytes_read + first_size
            messages += len(records)
            bytes_read += batch_bytes
            if auto_commit and now - last_commit >= commit_interval:
                await member.commit_positions(consumer)
                last_commit = now
        if messages < cfg.messages:
            echo(f"WARNING: Exiting before consuming the expected number of messages: timeout ({cfg.timeout_ms} ms) "
                 "exceeded. You can use the --timeout option to increase the timeout.")
        end_ms = clock()
        if auto_commit and generation:
            # KafkaConsumer.close() commits the positions when auto-commit is on.
            with trio.move_on_after(5):
                await member.commit_positions(consumer)
        nursery.cancel_scope.cancel()
    return ConsumerPerfResult(start_ms, end_ms, messages, bytes_read, join_ms)
