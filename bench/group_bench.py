"""Consumer-group figures (not a test): rebalance times with real clients, offset-commit throughput.

    .venv/bin/python bench/group_bench.py [--rounds 5] [--commits 3000] [--client confluent]

Starts a 3-broker lab (one ZooKeeper node; ``group.initial.rebalance.delay.ms=0`` as in Kafka's
tests) and measures, on a 6-partition topic:

* **join**: two members are Stable; a third member process starts; the time until DescribeGroups
  shows the group Stable again with three members that all own partitions (median over rounds).
  It includes the client's start-up, its FindCoordinator/JoinGroup (with the KIP-394 round
  trip) and the old members noticing the rebalance through their next heartbeat.
* **kill**: three members are Stable; one is killed with SIGKILL; the time until the group is
  Stable with two members owning all six partitions. Dominated by ``session.timeout.ms`` (6000,
  the smallest the broker allows by default) -- the coordinator cannot tell a dead member from a
  slow one before that.
* **commits/s**: OffsetCommit round trips to the coordinator (generation -1, one partition per
  request), one connection in sequence, then 8 connections at once; each commit is written to
  ``__consumer_offsets`` (replication factor 3, ``offsets.commit.required.acks=-1``) before the
  answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trio  # noqa: E402

from kafka_clone.client.connection import BrokerConnection  # noqa: E402
from kafka_clone.client.group_admin import GroupAdminClient  # noqa: E402
from kafka_clone.lab import cluster as lab  # noqa: E402
from kafka_clone.protocol import ApiKey  # noqa: E402
from kafka_clone.protocol.messages import offset_commit as oc  # noqa: E402
from tests.coordinator import group_broker  # noqa: E402
from zk import ensemble as zke  # noqa: E402

PARTITIONS = 6


def admin(bootstrap: str, fn):
    async def run():
        async with GroupAdminClient.create(bootstrap) as a:
            return await fn(a)
    return trio.run(run)


def stable_with(bootstrap: str, group: str, members: int) -> bool:
    d = admin(bootstrap, lambda a: a.describe_group(group))
    return (d.state == "Stable" and len(d.members) == members and all(m.assignment for m in d.members)
            and sorted(tp.partition for m in d.members for tp in m.assignment) == list(range(PARTITIONS)))


def wait_stable(bootstrap: str, group: str, members: int, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while not stable_with(bootstrap, group, members):
        if time.monotonic() > deadline:
            raise RuntimeError(f"group {group} not stable with {members} members")
        time.sleep(0.02)
    return time.monotonic()


def member(client: str, bootstrap: str, group: str, topic: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.coordinator.group_worker", client, bootstrap, group, topic,
                             "range"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def rebalance_times(bootstrap: str, topic: str, client: str, rounds: int) -> tuple[list[float], list[float]]:
    joins, kills = [], []
    for _ in range(rounds):
        group = f"bench-{uuid.uuid4().hex[:8]}"
        procs = [member(client, bootstrap, group, topic) for _ in range(2)]
        try:
            wait_stable(bootstrap, group, 2)
            start = time.monotonic()
            procs.append(member(client, bootstrap, group, topic))
            joins.append(wait_stable(bootstrap, group, 3) - start)
            victim = procs.pop(0)
            start = time.monotonic()
            victim.kill()
            kills.append(wait_stable(bootstrap, group, 2) - start)
        finally:
            stop(procs)
    return joins, kills


async def commit_throughput(bootstrap: str, topic: str, commits: int, connections: int) -> float:
    async with GroupAdminClient.create(bootstrap) as a:
        coordinator = await a.find_coordinator(f"commits-{topic}")
    group = f"commits-{topic}"
    per_connection = commits // connections

    async def committer(index: int) -> None:
        async with await BrokerConnection.connect(coordinator.host, coordinator.port) as conn:
            for i in range(per_connection):
                request = oc.OffsetCommitRequest(group_id=group, generation_id=-1, member_id="", topics=(
                    oc.OffsetCommitRequestTopic(name=topic, partitions=(oc.OffsetCommitRequestPartition(
                        partition_index=index % PARTITIONS, committed_offset=i, committed_metadata=""),)),))
                response = await conn.send(ApiKey.OFFSET_COMMIT, None, request)
                assert response.topics[0].partitions[0].error_code == 0, response

    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for c in range(connections):
            nursery.start_soon(committer, c)
    return per_connection * connections / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--client", default="confluent", choices=["confluent", "kafka-python", "aiokafka"])
    parser.add_argument("--offsets-rf", type=int, default=3, help="offsets.topic.replication.factor")
    parser.add_argument("--skip-rebalance", action="store_true", help="only the commit figures")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(REPO)
    if not group_broker.WIRED:
        lab._broker_command = lambda config: [sys.executable, "-m", "tests.coordinator.group_broker", str(config)]
    with tempfile.TemporaryDirectory() as tmp:
        ens = zke.Ensemble.start(Path(tmp) / "zk", 1)
        with ens:
            cluster = lab.up(Path(tmp) / "lab", brokers=3, zookeeper_connect=ens.connect_string,
                             config={"group.initial.rebalance.delay.ms": "0",
                                     "offsets.topic.replication.factor": str(args.offsets_rf)})
            try:
                bootstrap = cluster.data["bootstrap_servers"]
                topic = f"bench-{uuid.uuid4().hex[:6]}"
                from kafka.admin import KafkaAdminClient, NewTopic
                ka = KafkaAdminClient(bootstrap_servers=bootstrap)
                ka.create_topics([NewTopic(topic, PARTITIONS, 2)])
                ka.close()
                if not args.skip_rebalance:
                    joins, kills = rebalance_times(bootstrap, topic, args.client, args.rounds)
                    print(f"rebalance on join ({args.client}, 2 -> 3 members): median {statistics.median(joins):.2f} s "
                          f"(min {min(joins):.2f}, max {max(joins):.2f}, {len(joins)} rounds)")
                    print(f"rebalance on kill ({args.client}, 3 -> 2 members, session.timeout.ms=6000): median "
                          f"{statistics.median(kills):.2f} s (min {min(kills):.2f}, max {max(kills):.2f})")
                for connections in (1, 8):
                    rate = trio.run(commit_throughput, bootstrap, topic, args.commits, connections)
                    print(f"offset commits, {connections} connection(s), RF {args.offsets_rf}, acks -1: "
                          f"{rate:.0f} commits/s")
            finally:
                lab.down(Path(tmp) / "lab")


if __name__ == "__main__":
    main()
