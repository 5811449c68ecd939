"""`kclone producer-perf-test`: Kafka 2.8's ``ProducerPerformance`` on our trio producer.

What is Kafka's, unchanged:

* the payload: ``--record-size`` bytes of uppercase letters drawn once from ``new Random(0)``
  (the very bytes Kafka sends), or, with ``--payload-file``, the file split on
  ``--payload-delimiter`` (a regex, as Java's ``String.split``) with one payload drawn at random
  per record;
* ``--throughput``: ThroughputThrottler's rule, *records so far / seconds since the start must
  not exceed the target* (-1: no limit);
* the statistics (``Stats``): a window line every 5 s
  ``N records sent, R records/sec (X MB/sec), A ms avg latency, M ms max latency.`` and the
  total ``N records sent, R records/sec (X MB/sec), A ms avg latency, M ms max latency,
  P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.``, with Java's rounding, latencies in
  whole milliseconds and percentiles over every ``num_records / 500000``-th record;
* the producer defaults of 2.8 (``acks=1``, ``batch.size=16384``, 5 requests in flight).

What differs, because our producer has no accumulator thread: records are handed to
``KafkaProducer.send_batch`` in chunks of one ``batch.size`` each (so each chunk becomes one
RecordBatch, and the sticky partitioner moves on after it, as KIP-480's does after a full batch),
with up to ``max.in.flight.requests.per.connection`` chunks in flight. A record's latency is from
the moment its chunk was formed (Kafka: ``send()`` was called) to the chunk's acknowledgement
(Kafka: the record's callback). ``linger.ms`` has no effect: a chunk is sent when full. A failed
send ends the run with one line; Kafka 2.8 prints a stack trace per record and keeps going.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import attrs
import trio

from kafka_clone.client import KafkaProducer, ProducerRecord

from .java_format import JavaRandom, jdiv, jfloat, now_ms

__all__ = ["ProducerPerfConfig", "ProducerStats", "run_producer_perf", "read_payload_file", "random_payload",
           "ConfigException"]

#: Record overhead in a batch (varints, attributes), to cut chunks near batch.size.
_RECORD_OVERHEAD = 16


class ConfigException(ValueError):
    """Kafka's ``ConfigException``: a producer property is missing or wrong."""


def random_payload(size: int) -> bytes:
    """``ProducerPerformance``'s payload: ``size`` letters ``(byte)(random.nextInt(26) + 65)``, Random(0)."""
    r = JavaRandom(0)
    return bytes(r.next_int(26) + 65 for _ in range(size))


def read_payload_file(path: str, delimiter: str, echo: Callable[[str], None]) -> list[bytes]:
    """The payloads of ``--payload-file``: the UTF-8 text split on ``delimiter`` (a regex)."""
    p = Path(path)
    echo(f"Reading payloads from: {p.absolute()}")
    if not p.is_file() or p.stat().st_size == 0:
        raise ValueError("File does not exist or empty file provided.")
    parts = re.split(delimiter, p.read_bytes().decode("utf-8", errors="replace"))
    while parts and parts[-1] == "":  # Java's split drops trailing empty strings
        parts.pop()
    echo(f"Number of messages read: {len(parts)}")
    return [s.encode("utf-8") for s in parts]


class ProducerStats:
    """``ProducerPerformance.Stats``: totals, the 5 s window, sampled latencies for percentiles."""

    def __init__(self, num_records: int, echo: Callable[[str], None], reporting_interval_ms: int = 5000,
                 clock: Callable[[], int] = now_ms) -> None:
        self.clock = clock
        self.echo = echo
        self.start = self.window_start = clock()
        self.sampling = num_records // min(num_records, 500000)
        self.latencies: list[int] = []
        self.reporting_interval = reporting_interval_ms
        self.count = self.bytes = self.total_latency = self.max_latency = 0
        self.window_count = self.window_bytes = self.window_total_latency = self.window_max_latency = 0

    def record(self, first_iteration: int, count: int, latency: int, nbytes: int, now: int) -> None:
        """``count`` records (iterations ``first_iteration``...) acknowledged together, ``nbytes`` in all."""
        self.count += count
        self.bytes += nbytes
        self.total_latency += latency * count
        self.max_latency = max(self.max_latency, latency)
        self.window_count += count
        self.window_bytes += nbytes
        self.window_total_latency += latency * count
        self.window_max_latency = max(self.window_max_latency, latency)
        # Kafka keeps the latency of every sampling-th iteration.
        first_sample = -(-first_iteration // self.sampling) * self.sampling
        if first_sample < first_iteration + count:
            self.latencies.extend([latency] * ((first_iteration + count - 1 - first_sample) // self.sampling + 1))
        if now - self.window_start >= self.reporting_interval:
            self.echo(self.window_line())
            self.window_start = self.clock()
            self.window_count = self.window_bytes = self.window_total_latency = self.window_max_latency = 0

    def window_line(self) -> str:
        elapsed = self.clock() - self.window_start
        return (f"{self.window_count} records sent, {jfloat(jdiv(1000.0 * self.window_count, elapsed), 1)} "
                f"records/sec ({jfloat(jdiv(1000.0 * self.window_bytes, elapsed) / (1024.0 * 1024.0), 2)} MB/sec), "
                f"{jfloat(jdiv(self.window_total_latency, self.window_count), 1)} ms avg latency, "
                f"{jfloat(float(self.window_max_latency), 1)} ms max latency.")

    def percentiles(self, *ps: float) -> list[int]:
        values = sorted(self.latencies)
        if not values:
            return [0 for _ in ps]
        return [values[int(p * len(values))] for p in ps]

    def total_line(self) -> str:
        elapsed = self.clock() - self.start
        p50, p95, p99, p999 = self.percentiles(0.5, 0.95, 0.99, 0.999)
        return (f"{self.count} records sent, {jfloat(jdiv(1000.0 * self.count, elapsed), 6)} records/sec "
                f"({jfloat(jdiv(1000.0 * self.bytes, elapsed) / (1024.0 * 1024.0), 2)} MB/sec), "
                f"{jfloat(jdiv(self.total_latency, self.count), 2)} ms avg latency, "
                f"{jfloat(float(self.max_latency), 2)} ms max latency, {p50} ms 50th, {p95} ms 95th, "
                f"{p99} ms 99th, {p999} ms 99.9th.")


@attrs.frozen
class ProducerPerfConfig:
    topic: str
    num_records: int
    throughput: float
    props: dict[str, str]
    record_size: int | None = None
    payloads: tuple[bytes, ...] = ()


def _int_prop(props: dict[str, str], name: str, default: int) -> int:
    value = props.get(name, str(default)).strip()
    try:
        return int(value)
    except ValueError:
        raise ConfigException(f"Invalid value {value} for configuration {name}: Not a number of type INT") from None


def create_producer(props: dict[str, str]) -> tuple[KafkaProducer, int]:
    """Our producer from Kafka's producer config names, and its requests in flight."""
    servers = props.get("bootstrap.servers", "").strip()
    if not servers:
        raise ConfigException('Missing required configuration "bootstrap.servers" which has no default value.')
    if props.get("transactional.id"):
        raise ConfigException("transactional.id: kafka-clone has no transactions")
    producer = KafkaProducer.create(
        servers,
        acks=props.get("acks", "1"),  # Kafka 2.8's default (all from 3.0)
        compression_type=props.get("compression.type", "none"),
        client_id=props.get("client.id", "producer-1"),
        request_timeout_ms=_int_prop(props, "request.timeout.ms", 30000),
        retry_backoff_ms=_int_prop(props, "retry.backoff.ms", 100),
        batch_size=_int_prop(props, "batch.size", 16384),
        max_block_ms=_int_prop(props, "max.block.ms", 60000),
        delivery_timeout_ms=_int_prop(props, "delivery.timeout.ms", 120000),
    )
    return producer, max(1, _int_prop(props, "max.in.flight.requests.per.connection", 5))


async def run_producer_perf(cfg: ProducerPerfConfig, echo: Callable[[str], None],
                            clock: Callable[[], int] = now_ms) -> ProducerStats:
    """Send ``cfg.num_records`` records, printing Kafka's window lines and then its total line."""
    payload = random_payload(cfg.record_size) if cfg.record_size is not None else None
    pick = JavaRandom(0)
    producer, in_flight = create_producer(cfg.props)
    sizes = [len(payload)] if payload is not None else [len(p) for p in cfg.payloads]
    per_chunk = max(1, producer.batch_size // (sum(sizes) // len(sizes) + _RECORD_OVERHEAD))
    async with producer:
        # Metadata first, before the clock starts: Kafka's first send() blocks on it inside the
        # measured time, which here would only add one round trip to the first chunk's latency.
        await producer.partitions_for(cfg.topic)
        stats = ProducerStats(cfg.num_records, echo, clock=clock)
        start = stats.start
        slots = trio.Semaphore(in_flight)

        async def send(first: int, records: list[ProducerRecord], nbytes: int, sent_at: int) -> None:
            try:
                await producer.send_batch(records)
            finally:
                slots.release()
            now = clock()
            stats.record(first, len(records), now - sent_at, nbytes, now)

        async with trio.open_nursery() as nursery:
            i = 0
            while i < cfg.num_records:
                n = min(per_chunk, cfg.num_records - i)
                if cfg.throughput >= 0:
                    n = await _throttle(cfg.throughput, start, i, n, clock)
                sent_at = clock()
                if payload is not None:
                    values = [payload] * n
                    nbytes = n * len(payload)
                else:
                    values = [cfg.payloads[pick.next_int(len(cfg.payloads))] for _ in range(n)]
                    nbytes = sum(map(len, values))
                records = [ProducerRecord(cfg.topic, v, None, None, sent_at) for v in values]
                await slots.acquire()
                nursery.start_soon(send, i, records, nbytes, sent_at)
                i += n
    echo(stats.total_line())
    return stats


async def _throttle(target: float, start: int, sent: int, wanted: int, clock: Callable[[], int]) -> int:
    """ThroughputThrottler's rule: wait while ``sent / elapsed > target``; then send what is due
    (at least one record, at most ``wanted``), so a low target does not go out in bursts."""
    if target == 0:
        await trio.sleep_forever()  # Kafka's throttler waits forever at 0 records/sec
    while True:
        elapsed = (clock() - start) / 1000
        if elapsed > 0 and sent / elapsed <= target:
            break
        if elapsed <= 0 and sent == 0:
            return 1
        await trio.sleep(max(0.001, sent / target - elapsed))
    due = math.floor(elapsed * target) + 1 - sent
    return max(1, min(wanted, due))
