"""One group member as a process, for the compatibility tests.

``python -m tests.coordinator.group_worker CLIENT BOOTSTRAP GROUP TOPIC ASSIGNOR``, CLIENT one of
``kafka-python``, ``confluent``, ``aiokafka``. Prints one JSON line per event on stdout:
``{"assigned": [partitions]}`` whenever the assignment changes, ``{"r": [partition, offset, value]}``
per record *before* committing it (at-least-once: a record may be printed twice, never lost).
SIGTERM closes the consumer cleanly (LeaveGroup, final commit); SIGKILL is a crash.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import logging
import os
import signal
import sys
import time

SESSION_TIMEOUT_MS = 6000
HEARTBEAT_MS = 1000

stopping = False


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _stop(*_args) -> None:
    global stopping
    stopping = True


class Tracker:
    def __init__(self) -> None:
        self.assigned: list[int] | None = None

    def update(self, partitions) -> None:
        now = sorted(partitions)
        if now != self.assigned:
            self.assigned = now
            emit(assigned=now)


def commit_lost_to_rebalance(exc: Exception) -> None:
    """A synchronous commit that races a rebalance fails (Kafka's CommitFailedException /
    REBALANCE_IN_PROGRESS); an application carries on, and the partitions' next owner re-reads
    from the last commit (at-least-once). Logged, so a test failure still shows it."""
    logging.getLogger("group_worker").warning("commit lost to a rebalance: %r", exc)


def run_kafka_python(bootstrap: str, group: str, topic: str, assignor: str) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import CommitFailedError, IllegalGenerationError, RebalanceInProgressError, UnknownMemberIdError
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    strategies = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
                  "cooperative-sticky": CooperativeStickyAssignor}
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=SESSION_TIMEOUT_MS,
                             heartbeat_interval_ms=HEARTBEAT_MS, partition_assignment_strategy=[strategies[assignor]])
    # kafka-python 3.0.12 loses a rebalance when two things meet: a rejoin its metadata check
    # asked for (the member led a generation with other metadata than it has now, e.g. the first
    # one, before it had the topic's), and a poll() that timed out while that JoinGroup/SyncGroup
    # was in flight. Performing the assignment makes the metadata check say "no rejoin needed",
    # so the next poll() never collects the finished SyncGroup: the member keeps no partitions,
    # its heartbeats stay disabled, and the coordinator expels it. So: the topic's metadata
    # before subscribing (no generation without partitions), and polls long enough for a whole
    # rebalance (a JoinGroup waits for every member), which return early once records arrive.
    while not stopping and not consumer.partitions_for_topic(topic):
        time.sleep(0.1)
    consumer.subscribe([topic])
    tracker = Tracker()
    while not stopping:
        batches = consumer.poll(timeout_ms=3000)
        tracker.update(tp.partition for tp in consumer.assignment())
        for tp, records in batches.items():
            for r in records:
                emit(r=[r.partition, r.offset, r.value.decode()])
        if batches:
            try:
                consumer.commit()
            except (CommitFailedError, RebalanceInProgressError, IllegalGenerationError, UnknownMemberIdError) as exc:
                commit_lost_to_rebalance(exc)
    consumer.close()


def run_confluent(bootstrap: str, group: str, topic: str, assignor: str) -> None:
    from confluent_kafka import Consumer, KafkaError, KafkaException
    lost = {KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "session.timeout.ms": SESSION_TIMEOUT_MS,
                         "heartbeat.interval.ms": HEARTBEAT_MS, "partition.assignment.strategy": assignor})
    consumer.subscribe([topic])
    tracker = Tracker()
    while not stopping:
        messages = consumer.consume(100, 0.2)
        tracker.update(tp.partition for tp in consumer.assignment())
        good = [m for m in messages if m.error() is None]
        for m in good:
            emit(r=[m.partition(), m.offset(), m.value().decode()])
        if good:
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as exc:
                if exc.args[0].code() not in lost:
                    raise
                commit_lost_to_rebalance(exc)
    consumer.close()


async def run_aiokafka(bootstrap: str, group: str, topic: str, assignor: str) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import CommitFailedError, RebalanceInProgressError
    from aiokafka.coordinator.assignors.range import RangePartitionAssignor
    from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from aiokafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
    strategies = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
                  "sticky": StickyPartitionAssignor}
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", session_timeout_ms=SESSION_TIMEOUT_MS,
                                heartbeat_interval_ms=HEARTBEAT_MS,
                                partition_assignment_strategy=(strategies[assignor],))
    await consumer.start()
    tracker = Tracker()
    while not stopping:
        batches = await consumer.getmany(timeout_ms=200)
        tracker.update(tp.partition for tp in consumer.assignment())
        for tp, records in batches.items():
            for r in records:
                emit(r=[r.partition, r.offset, r.value.decode()])
        if batches:
            try:
                await consumer.commit()
            except (CommitFailedError, RebalanceInProgressError) as exc:
                commit_lost_to_rebalance(exc)
    await consumer.stop()


def main() -> None:
    client, bootstrap, group, topic, assignor = sys.argv[1:6]
    # The client's own log goes to stderr (the tests keep it per member); GROUP_WORKER_LOG=DEBUG for more.
    logging.basicConfig(level=os.environ.get("GROUP_WORKER_LOG", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    # SIGUSR1 writes every thread's stack to stderr: what a stalled member is waiting on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if client == "kafka-python":
        run_kafka_python(bootstrap, group, topic, assignor)
    elif client == "confluent":
        run_confluent(bootstrap, group, topic, assignor)
    elif client == "aiokafka":
        asyncio.run(run_aiokafka(bootstrap, group, topic, assignor))
    else:
        raise SystemExit(f"unknown client {client}")
    emit(closed=True)


if __name__ == "__main__":
    main()
