"""Real clients against our broker and against librdkafka's in-memory mock cluster (not a test).

    .venv/bin/python bench/client_bench.py [--records 1000000] [--size 100] [--kafka-python 200000]

Produces N records of SIZE bytes to one partition with acks=1 and consumes them back, first
against one kafka-clone broker (a real process, `kclone cluster up --brokers 1 --zookeepers 1`),
then against librdkafka's mock cluster (C, in memory, no disk: the ceiling a client can reach),
in the same run.  Prints Kafka perf-test style lines and the ratio ours / mock: the goal is that
our broker is not what limits a real client (ratio >= 0.9).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from kafka.errors import KafkaError as KafkaPythonError  # noqa: E402

from kafka_clone.lab import cluster as lab  # noqa: E402


def confluent_produce(bootstrap: str, topic: str, n: int, size: int, extra: dict | None = None) -> float:
    p = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 5, "batch.size": 1_000_000,
                  "enable.idempotence": False, "queue.buffering.max.messages": 2_000_000, **(extra or {})})
    value = b"x" * size
    start = time.perf_counter()
    for _ in range(n):
        while True:
            try:
                p.produce(topic, value, partition=0)
                break
            except BufferError:
                p.poll(0.01)
    left = p.flush(300)
    took = time.perf_counter() - start
    if left:
        raise RuntimeError(f"{left} records not delivered")
    return took


def confluent_consume(bootstrap: str, topic: str, n: int, extra: dict | None = None) -> tuple[int, float]:
    """Consume what the partition holds (the mock cluster keeps only its newest records):
    (records read, seconds)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False,
                  "fetch.max.bytes": 52_428_800, "max.partition.fetch.bytes": 10_485_760, **(extra or {})})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
    n = min(n, high - low)
    c.assign([TopicPartition(topic, 0, low)])
    got = 0
    start = None  # from the first record: connection set-up is not the broker's read speed
    while got < n:
        for m in c.consume(10000, 5):
            if m.error() is None:
                if start is None:
                    start = time.perf_counter()
                got += 1
    took = time.perf_counter() - start
    c.close()
    return n, took


def kafka_python_round_trip(bootstrap: str, topic: str, n: int, size: int) -> tuple[float, float]:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka import TopicPartition as KTP

    p = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, batch_size=1_000_000,
                      enable_idempotence=False)
    value = b"x" * size
    start = time.perf_counter()
    for _ in range(n):
        p.send(topic, value, partition=0)
    p.flush()
    produce = time.perf_counter() - start
    p.close()
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=52_428_800,
                      max_partition_fetch_bytes=10_485_760)
    tp = KTP(topic, 0)
    c.assign([tp])
    c.seek_to_beginning()
    n = min(n, c.end_offsets([tp])[tp] - c.beginning_offsets([tp])[tp])
    got = 0
    start = time.perf_counter()
    while got < n:
        for records in c.poll(timeout_ms=1000, max_records=100_000).values():
            got += len(records)
    consume = time.perf_counter() - start
    c.close()
    return produce, n, consume


def line(what: str, n: int, size: int, seconds: float) -> str:
    return (f"{what:<42} {n} records, {n / seconds:,.0f} records/sec "
            f"({n * size / seconds / 1e6:.2f} MB/sec) in {seconds:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--kafka-python", type=int, default=200_000, help="records for the kafka-python round")
    args = ap.parse_args()
    n, size = args.records, args.size

    mock = Producer({"test.mock.num.brokers": 1})
    mock_bootstrap = ",".join(f"{b.host}:{b.port}" for b in mock.list_topics(timeout=10).brokers.values())

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "lab"
        lab.up(d, brokers=1, zookeepers=1)
        try:
            ours = lab.ClusterFile.load(d).data["bootstrap_servers"]
            results = {}
            for name, bootstrap in (("kafka-clone", ours), ("librdkafka mock", mock_bootstrap)):
                if name == "kafka-clone":
                    # (The mock cluster has no CreateTopics; it creates topics on first use.)
                    admin = AdminClient({"bootstrap.servers": bootstrap})
                    for future in admin.create_topics([NewTopic("bench", 1, 1), NewTopic("bench-kp", 1, 1)]).values():
                        future.result(30)
                produce = confluent_produce(bootstrap, "bench", n, size)
                print(line(f"confluent-kafka produce, {name}", n, size, produce), flush=True)
                consumed, consume = confluent_consume(bootstrap, "bench", n)
                print(line(f"confluent-kafka consume, {name}", consumed, size, consume), flush=True)
                rates = [n / produce, consumed / consume]
                try:
                    kp_produce, kp_consumed, kp_consume = kafka_python_round_trip(
                        bootstrap, "bench-kp", args.kafka_python, size)
                except KafkaPythonError as exc:
                    # kafka-python cannot bootstrap from the mock: the mock answers ApiVersions v3
                    # with a body kafka-python rejects (librdkafka itself falls back to v0).
                    print(f"kafka-python, {name}: not measured ({type(exc).__name__})")
                else:
                    print(line(f"kafka-python produce, {name}", args.kafka_python, size, kp_produce))
                    print(line(f"kafka-python consume, {name}", kp_consumed, size, kp_consume), flush=True)
                    rates += [args.kafka_python / kp_produce, kp_consumed / kp_consume]
                results[name] = rates
        finally:
            lab.down(d)
    ours_r, mock_r = results["kafka-clone"], results["librdkafka mock"]
    labels = ("confluent-kafka produce", "confluent-kafka consume", "kafka-python produce", "kafka-python consume")
    for label, ours_rate, mock_rate in zip(labels, ours_r, mock_r):
        print(f"ratio ours/mock (records/s), {label}: {ours_rate / mock_rate:.2f}")


if __name__ == "__main__":
    main()
