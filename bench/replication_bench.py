"""Replication figures (not a test): acks=all cost, produce unavailability, controller failover.

    .venv/bin/python bench/replication_bench.py [--records 300000]
        [--partitions 1000:3,3000:3,10000:1] [--skip throughput,unavailability,failover] [--dir DIR]

Starts 3-broker lab clusters (one ZooKeeper node, the lab's `zookeeper.session.timeout.ms=6000`)
on free ports the system picks rather than the lab's usual 9092-9094 and 2181 (a lab or a test
cluster on the same machine may hold those), and prints:

* **throughput**: confluent-kafka producing N x 100 B records to a one-partition topic, RF=1 with
  acks=1, then RF=3 with acks=all (min.insync.replicas=1), on the same cluster and run, and the
  ratio RF3/RF1 (goal >= 0.5). Each is timed from the first `produce` to `flush()` returning, so
  acks=all includes the followers' fetch round trip before the high watermark moves.
* **unavailability**: a steady producer (one record every 2 ms, acks=all, RF=3, no retries
  limit) while the partition's leader -- never the controller, so the figure is not mixed with a
  controller failover -- is stopped with kill -9, then (on a fresh topic) with SIGTERM, i.e. a
  controlled shutdown. The figure is the longest gap between consecutive successful deliveries
  (delivery-report times). kill -9 waits for the ZooKeeper session to expire: nobody knows the
  broker is gone before its ephemeral znode vanishes. ZooKeeper expires a session a session
  timeout after it last heard from it and the client pings every third of that, so expiry comes
  2/3 to 1 session timeout after the kill.
* **failover**: a cluster holding P partitions (RF=3 unless given; topics of at most 1,000
  partitions, see ``--partitions-per-topic``), then kill -9 of the
  controller. Three times from the kill: the new `/controller` znode in ZooKeeper (session
  expiry + election), the new controller's log line "Initialized controller epoch" (end of
  `onControllerFailover`: context read from ZooKeeper, UpdateMetadata and LeaderAndIsr sent,
  leaders elected for the partitions the dead broker led), and a surviving broker's Metadata
  answer naming the new controller with every partition led by a live broker (what clients see).
  "failover work" is the log-line time minus the znode time: the part that grows with P. It is
  split at the controller's "Sending update metadata request" line (Kafka's, logged once the
  context is loaded): "load" reads every topic and state znode, "state changes" elects leaders,
  takes dead replicas out of the ISRs and writes the state znodes.
  10,000 partitions are measured at RF=1: at RF=3 each broker would need more open files than
  this machine allows (docs/performance.md, "Replication").
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trio  # noqa: E402
from confluent_kafka import KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

from kafka_clone.client import KafkaAdminClient, NewTopic  # noqa: E402

from kafka_clone.lab import cluster as lab  # noqa: E402
from zk import ensemble as zke  # noqa: E402

VALUE = b"x" * 100
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def _admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topic(bootstrap: str, name: str, *, partitions: int = 1, rf: int = 1,
                 assignment: list[list[int]] | None = None, timeout: float = 600.0) -> None:
    """CreateTopics at the controller with our own client, then wait for every partition's leader."""

    async def create() -> None:
        async with KafkaAdminClient.create(bootstrap, request_timeout_ms=int(timeout * 1000)) as admin:
            topic = (NewTopic(name, replica_assignment=dict(enumerate(assignment))) if assignment
                     else NewTopic(name, partitions, rf))
            (result,) = await admin.create_topics([topic], timeout_ms=int(timeout * 1000))
            result.check()

    trio.run(create)
    wait_for(lambda: _all_led(bootstrap, name, partitions if not assignment else len(assignment)),
             timeout, f"leaders for {name}")


def _metadata(bootstrap: str, topic: str | None = None):
    return _admin(bootstrap).list_topics(topic, timeout=10)


def _all_led(bootstrap: str, topic: str, partitions: int, *, full_isr: bool = False) -> bool:
    md = _metadata(bootstrap, topic).topics.get(topic)
    if md is None or md.error is not None or len(md.partitions) != partitions:
        return False
    live = set(_metadata(bootstrap).brokers)
    return all(p.leader in live and (not full_isr or len(p.isrs) == len(p.replicas))
               for p in md.partitions.values())


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll another process's state with a deadline (the brokers are separate processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except KafkaException:
            pass
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


# ---- throughput ---------------------------------------------------------------------------------


def produce_rate(bootstrap: str, topic: str, acks: str, records: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 5,
                         "batch.size": 262144, "queue.buffering.max.messages": 1000000,
                         "queue.buffering.max.kbytes": 1048576})
    failures = []

    def report(err, msg):
        if err is not None:
            failures.append(err)

    producer.produce(topic, VALUE, on_delivery=report)  # connect and learn the leader first
    producer.flush(30)
    t0 = time.monotonic()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, VALUE, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(300)
    took = time.monotonic() - t0
    if failures:
        raise RuntimeError(f"{len(failures)} records failed: {failures[0]}")
    return records / took


def bench_throughput(base: Path, records: int) -> None:
    d = base / "throughput"
    c = lab.up(d, brokers=3, zookeepers=1, usual_ports=False)
    try:
        bs = c.data["bootstrap_servers"]
        create_topic(bs, "rf1", rf=1)
        create_topic(bs, "rf3", rf=3)
        wait_for(lambda: _all_led(bs, "rf3", 1, full_isr=True), 60, "rf3 ISR")
        rf1 = produce_rate(bs, "rf1", "1", records)
        rf3 = produce_rate(bs, "rf3", "all", records)
        mb = 100 / 1e6
        print(f"throughput: RF=1 acks=1   {rf1:10.0f} records/s ({rf1 * mb:.1f} MB/s of values)")
        print(f"throughput: RF=3 acks=all {rf3:10.0f} records/s ({rf3 * mb:.1f} MB/s of values)")
        print(f"throughput: ratio RF3 acks=all / RF1 acks=1 = {rf3 / rf1:.2f} (goal >= 0.5); "
              f"{records} x 100 B records, one partition")
    finally:
        lab.down(d)


# ---- unavailability -----------------------------------------------------------------------------


class SteadyProducer:
    """One record every `interval` s; remembers when each successful delivery report arrived."""

    def __init__(self, bootstrap: str, topic: str, interval: float = 0.002) -> None:
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                                  "message.timeout.ms": 120000, "retry.backoff.ms": 50,
                                  "topic.metadata.refresh.interval.ms": 1000})
        self.topic, self.interval = topic, interval
        self.delivered: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _report(self, err, msg) -> None:
        if err is None:
            self.delivered.append(time.monotonic())
        else:
            self.failed += 1

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.producer.produce(self.topic, VALUE, on_delivery=self._report)
            self.producer.poll(0)
            next_at += self.interval
            pause = next_at - time.monotonic()
            if pause > 0:
                self.producer.poll(pause)
        self.producer.flush(130)

    def __enter__(self) -> "SteadyProducer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(150)

    def longest_gap(self, since: float) -> float:
        times = [t for t in self.delivered if t >= since - 1.0]
        return max((b - a for a, b in zip(times, times[1:])), default=float("nan"))


def _leader(bootstrap: str, topic: str) -> int:
    return _metadata(bootstrap, topic).topics[topic].partitions[0].leader


def _controller(d: Path) -> int:
    return lab.status(d)["controller"]


def outage(d: Path, topic: str, how: str) -> float:
    c = lab.ClusterFile.load(d)
    bs = c.data["bootstrap_servers"]
    controller = _controller(d)
    others = [b["id"] for b in c.data["brokers"] if b["id"] != controller]
    create_topic(bs, topic, assignment=[[others[0], others[1], controller]])
    wait_for(lambda: _all_led(bs, topic, 1, full_isr=True), 60, f"{topic} ISR")
    leader = _leader(bs, topic)
    with SteadyProducer(bs, topic) as sp:
        wait_for(lambda: len(sp.delivered) > 500, 60, "steady deliveries")
        t_stop = time.monotonic()
        entry = lab.ClusterFile.load(d).broker(leader)
        if how == "kill":
            lab.kill(d, broker=leader)
        else:
            zke.kill_pid(entry["pid"], signal.SIGTERM)
            wait_for(lambda: not zke.pid_alive(entry["pid"]), 60, "broker exit", 0.02)
        wait_for(lambda: sp.delivered and sp.delivered[-1] > t_stop + 1.0 and len(
            [t for t in sp.delivered if t > t_stop]) > 1000, 120, "deliveries after the stop")
    gap = sp.longest_gap(t_stop)
    lab.start(d, broker=leader)
    wait_for(lambda: _all_led(bs, topic, 1, full_isr=True), 120, f"{topic} ISR after restart")
    return gap


def bench_unavailability(base: Path) -> None:
    d = base / "unavailability"
    lab.up(d, brokers=3, zookeepers=1, usual_ports=False)
    try:
        kill = outage(d, "avail-kill", "kill")
        print(f"unavailability: kill -9 of the leader         longest delivery gap {kill:6.2f} s "
              f"(zookeeper.session.timeout.ms=6000)")
        term = outage(d, "avail-term", "term")
        print(f"unavailability: SIGTERM (controlled shutdown)  longest delivery gap {term:6.2f} s")
    finally:
        lab.down(d)


# ---- controller failover ------------------------------------------------------------------------


def _log_time(line: str) -> float | None:
    m = LOG_TIME.match(line)
    if m is None:
        return None
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _logged_at(d: Path, broker: int, after: float, text: str = "Initialized controller epoch") -> float | None:
    """When `broker` last logged a line containing `text` at or after `after` (wall clock)."""
    log = Path(lab.ClusterFile.load(d).broker(broker)["config"]).parent / "broker.log"
    found = None
    for line in log.read_text(errors="replace").splitlines():
        if text in line:
            t = _log_time(line)
            if t is not None and t >= after:
                found = t
    return found


def bench_failover(base: Path, partitions: int, rf: int, per_topic: int) -> None:
    d = base / f"failover-{partitions}-rf{rf}"
    c = lab.up(d, brokers=3, zookeepers=1, config={"auto.leader.rebalance.enable": "false"},
               timeout=120, usual_ports=False)
    try:
        bs = c.data["bootstrap_servers"]
        t0 = time.monotonic()
        sizes = [min(per_topic, partitions - i) for i in range(0, partitions, per_topic)]
        topics = {f"many-{i}": n for i, n in enumerate(sizes)}
        for name, n in topics.items():
            create_topic(bs, name, partitions=n, rf=rf, timeout=1800)
            wait_for(lambda: _all_led(bs, name, n, full_isr=True), 1800, f"full ISRs of {name}", 1.0)
        created = time.monotonic() - t0
        old = _controller(d)
        survivor = next(b for b in c.data["brokers"] if b["id"] != old)
        survivor_bs = f"127.0.0.1:{survivor['port']}"
        wall_kill, t_kill = time.time(), time.monotonic()
        lab.kill(d, broker=old)
        wait_for(lambda: (lab.status(d)["controller"] or old) != old, 120, "a new /controller")
        t_znode = time.monotonic() - t_kill
        new = _controller(d)

        def clients_see_it() -> bool:
            # With RF=1 the dead broker's partitions stay offline: only the others must be led.
            md = _metadata(survivor_bs)
            live = set(md.brokers)
            return md.controller_id == new and all(
                name in md.topics and len(md.topics[name].partitions) == n
                and all(p.leader in live and p.leader != old for p in md.topics[name].partitions.values()
                        if rf > 1 or p.replicas != [old])
                for name, n in topics.items())

        wait_for(clients_see_it, 600, "metadata with the new controller and live leaders", 0.05)
        t_clients = time.monotonic() - t_kill
        wait_for(lambda: _logged_at(d, new, wall_kill) is not None, 60, "the log line", 0.2)
        t_init = _logged_at(d, new, wall_kill) - wall_kill
        t_loaded = (_logged_at(d, new, wall_kill, "Sending update metadata request") or float("nan")) - wall_kill
        print(f"failover: {partitions:6d} partitions x RF{rf} in {len(topics)} topic(s) (created in {created:.0f} s): "
              f"kill -9 of controller {old} -> new /controller {t_znode:6.2f} s, 'Initialized controller epoch' "
              f"{t_init:6.2f} s (failover work {t_init - t_znode:5.2f} s: load {t_loaded - t_znode:5.2f} s, "
              f"state changes {t_init - t_loaded:5.2f} s), clients see new controller "
              f"and live leaders {t_clients:6.2f} s")
    finally:
        lab.down(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=300000)
    ap.add_argument("--partitions", default="1000:3,3000:3,10000:1",
                    help="comma list of PARTITIONS[:RF] for the failover figures")
    ap.add_argument("--partitions-per-topic", type=int, default=1000,
                    help="split the partitions over topics of at most this many (one ZooKeeper multi per topic "
                         "must stay under jute.maxbuffer)")
    ap.add_argument("--skip", default="", help="comma list of: throughput, unavailability, failover")
    ap.add_argument("--dir", help="keep the clusters' directories (logs, data) here instead of a temporary one")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory(prefix=f"replbench-{uuid.uuid4().hex[:6]}-") as tmp:
        base = Path(args.dir) if args.dir else Path(tmp)
        if "throughput" not in skip:
            bench_throughput(base, args.records)
        if "unavailability" not in skip:
            bench_unavailability(base)
        if "failover" not in skip:
            for spec in filter(None, args.partitions.split(",")):
                count, _, rf = spec.partition(":")
                bench_failover(base, int(count), int(rf or 3), args.partitions_per_topic)
    sys.stdout.flush()
    os._exit(0)  # librdkafka threads of closed clients must not delay the exit


if __name__ == "__main__":
    main()
