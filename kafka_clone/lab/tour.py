"""`kclone demo tour`: the lab's main job, ZooKeeper's role in classic Kafka, step by step.

1. Start a 3-node ZooKeeper ensemble and 3 brokers (`kclone cluster up`).
2. Show what the brokers wrote: `/brokers/ids/*` (ephemeral, one per live broker),
   `/controller` (ephemeral, the election's winner) and `/controller_epoch`.
3. kill -9 the controller; its session expires, its ephemerals vanish, a survivor wins
   `/controller` and `/controller_epoch` goes up by one.  The time it took is printed.
4. Bring the killed broker back: it registers again (new broker epoch) as an ordinary broker.
5. Create a topic of 3 partitions, each replicated on the 3 brokers: its assignment and each
   partition's leader and ISR are znodes the controller wrote.
6. Produce records with keys: the producer's partitioner sends equal keys to one partition,
   where they get consecutive offsets.
7. kill -9 the leader of a partition: the controller elects another replica from the ISR (a new
   leader epoch), and every acknowledged record is still there.
8. Bring it back: it truncates to where the new leader's epoch began, catches up and rejoins
   the ISR.
9. A consumer group of two members shares the partitions through the group coordinator; their
   committed offsets live in `__consumer_offsets`; when one leaves, the other takes over.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Callable

import trio

from kafka_clone.client.admin import KafkaAdminClient, NewTopic
from kafka_clone.client.consumer import KafkaConsumer
from kafka_clone.client.group_admin import GroupAdminClient
from kafka_clone.client.group_consumer import GroupMember
from kafka_clone.client.producer import KafkaProducer
from kafka_clone.common.topic import TopicPartition
from kafka_clone.lab import cluster as lab
from kafka_clone.lab.tree import walk
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import LeaderAndIsr, TopicPartitionStateZNode

TOPIC = "clicks"
PARTITIONS = 3
GROUP = "dashboard"


async def _show(connect: str, echo: Callable[[str], None], paths: tuple[str, ...]) -> None:
    async with ZkClient.open(connect, session_timeout_ms=10000) as zk:
        for path in paths:
            async for view in walk(zk, path):
                echo("    " + view.render(indent=False))


async def _wait_new_controller(connect: str, old: int, timeout: float) -> tuple[int, int, float]:
    start = time.monotonic()
    with trio.fail_after(timeout):
        async with ZkClient.open(connect, session_timeout_ms=10000) as zk:
            kzk = KafkaZkClient(zk)
            while True:
                controller = await kzk.get_controller_id()
                if controller is not None and controller != old:
                    epoch = await kzk.get_controller_epoch()
                    return controller, epoch[0] if epoch else -1, time.monotonic() - start
                await trio.sleep(0.05)


async def _partition_state(connect: str, partition: int) -> LeaderAndIsr | None:
    async with ZkClient.open(connect, session_timeout_ms=10000) as zk:
        got = await zk.get_or_none(TopicPartitionStateZNode.path(TOPIC, partition))
    return TopicPartitionStateZNode.decode(got[0]) if got is not None else None


async def _wait_state(connect: str, ok: Callable[[LeaderAndIsr], bool], partition: int = 0,
                      timeout: float = 60.0) -> LeaderAndIsr:
    """Poll a partition's state znode (written by the controller, another process) until `ok`."""
    with trio.fail_after(timeout):
        while (state := await _partition_state(connect, partition)) is None or not ok(state):
            await trio.sleep(0.1)
    return state


def _describe(state: LeaderAndIsr) -> str:
    return f"leader {state.leader}, ISR {list(state.isr)}, leader_epoch {state.leader_epoch}"


async def _create_topic(bootstrap: str, connect: str, echo: Callable[[str], None]) -> None:
    async with KafkaAdminClient.create(bootstrap) as admin:
        [result] = await admin.create_topics([NewTopic(TOPIC, PARTITIONS, 3)])
        result.check()
    for p in range(PARTITIONS):
        await _wait_state(connect, lambda s: s.leader >= 0 and len(s.isr) == 3, p)
    await _show(connect, echo, (f"/brokers/topics/{TOPIC}",))


async def _produce(bootstrap: str, keys: list[str], first: int) -> dict[str, list[tuple[int, int]]]:
    """Send one record per key (acks=all); where each landed, by key."""
    placed: dict[str, list[tuple[int, int]]] = {}
    async with KafkaProducer.create(bootstrap, acks="all", client_id="tour-producer") as producer:
        for i, key in enumerate(keys, first):
            md = await producer.send(TOPIC, f"click {i}".encode(), key.encode())
            placed.setdefault(key, []).append((md.partition, md.offset))
    return placed


async def _read_all(bootstrap: str) -> dict[int, list[bytes | None]]:
    """Every record of every partition, from the beginning, by partition."""
    records: dict[int, list[bytes | None]] = {p: [] for p in range(PARTITIONS)}
    async with KafkaConsumer.create(bootstrap, auto_offset_reset="earliest", client_id="tour-reader") as consumer:
        tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_end(tps)
        ends = {tp: await consumer.position(tp) for tp in tps}
        consumer.seek_to_beginning(tps)
        with trio.fail_after(60):
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                for r in await consumer.poll(timeout_ms=500):
                    records[r.partition].append(r.value)
    return records


async def _group(bootstrap: str, ends: dict[int, int], echo: Callable[[str], None]) -> None:
    async with GroupAdminClient.create(bootstrap) as admin, trio.open_nursery() as nursery:
        members = [GroupMember.create(bootstrap, GROUP, [TOPIC], client_id=f"dashboard-{i}",
                                      heartbeat_interval_ms=500) for i in (1, 2)]
        scopes = []
        for member in members:
            scope = trio.CancelScope()
            scopes.append(scope)

            async def run(member=member, scope=scope, task_status=trio.TASK_STATUS_IGNORED):
                with scope:
                    async with member:
                        await member.run(task_status=task_status)
            await nursery.start(run)
        with trio.fail_after(60):
            while (d := await admin.describe_group(GROUP)).state != "Stable" or len(d.members) != 2 \
                    or sum(len(m.assignment) for m in d.members) != PARTITIONS \
                    or sum(len(m.assignment) for m in members) != PARTITIONS:
                await trio.sleep(0.1)
        node = await admin.find_coordinator(GROUP)
        echo(f"  Group '{GROUP}' is {d.state}; its coordinator is broker {node.node_id}. The members share the "
             f"partitions:")
        for m in sorted(d.members, key=lambda m: m.client_id):
            echo(f"    {m.client_id}: partitions {sorted(tp.partition for tp in m.assignment)}")
        for member in members:
            await member.commit({tp: ends[tp.partition] for tp in member.assignment})
        offsets = await admin.list_group_offsets(GROUP)
        echo("  Each member read its partitions and committed where it got to; the coordinator "
             "stored the offsets in __consumer_offsets:")
        for tp, committed in sorted(offsets.items()):
            echo(f"    {tp.topic}-{tp.partition}: committed offset {committed.offset}")
        echo("  dashboard-1 leaves the group (LeaveGroup) ...")
        scopes[0].cancel()
        with trio.fail_after(60):
            while (d := await admin.describe_group(GROUP)).state != "Stable" or len(d.members) != 1 \
                    or len(d.members[0].assignment) != PARTITIONS:
                await trio.sleep(0.1)
        echo(f"  The group rebalanced: {d.members[0].client_id} now owns partitions "
             f"{sorted(tp.partition for tp in d.members[0].assignment)}, and would resume from the commits.")
        nursery.cancel_scope.cancel()


def _data_steps(d: Path, echo: Callable[[str], None]) -> None:
    """Steps 5-9: topics, keys, a leader's failure, rejoining, a consumer group."""
    st = lab.status(d)
    connect, bootstrap = st["zookeeper_connect"], st["bootstrap_servers"]
    echo(f"\nStep 5. Creating topic '{TOPIC}': {PARTITIONS} partitions, each replicated on 3 brokers ...")
    trio.run(_create_topic, bootstrap, connect, echo)
    echo("  The broker that took CreateTopics chose the replicas (AdminUtils) and wrote /brokers/topics/<t>;")
    echo("  the controller saw it, made each partition's first replica its leader and wrote partitions/<p>/state.")
    echo("\nStep 6. Producing 9 records with keys user-a, user-b, user-c (acks=all) ...")
    placed = trio.run(_produce, bootstrap, ["user-a", "user-b", "user-c"] * 3, 0)
    for key, spots in placed.items():
        echo(f"  key {key} -> partition {spots[0][0]}, offsets {', '.join(str(o) for _, o in spots)}")
    echo("  The producer hashes the key (murmur2, like Java's): equal keys, one partition, in order.")
    busiest = max(range(PARTITIONS), key=lambda p: sum(len(v) for v in placed.values() if v[0][0] == p))
    before = trio.run(_partition_state, connect, busiest)
    victim = before.leader
    echo(f"\nStep 7. Partition {busiest}: {_describe(before)}. kill -9 broker {victim}, its leader ...")
    lab.kill(d, broker=victim)
    after = trio.run(_wait_state, connect, lambda s: s.leader not in (-1, victim), busiest)
    echo(f"  When its session expired the controller elected a replica from the ISR: {_describe(after)}.")
    echo("  The leader epoch went up, so the old leader's stale requests are refused.")
    trio.run(_produce, bootstrap, ["user-a", "user-b", "user-c"], 9)
    records = trio.run(_read_all, bootstrap)
    total = sum(len(v) for v in records.values())
    echo(f"  3 more records produced while broker {victim} is down; reading every partition back: {total} "
         f"records, none lost.")
    echo(f"\nStep 8. Bringing broker {victim} back ...")
    lab.start(d, broker=victim)
    rejoined = trio.run(_wait_state, connect, lambda s: victim in s.isr, busiest)
    echo(f"  It asked the new leader where its last epoch ended, truncated anything past that (KIP-101), "
         f"caught up, and the leader put it back in the ISR: {_describe(rejoined)}.")
    echo("\nStep 9. A consumer group of two members ...")
    trio.run(_group, bootstrap, {p: len(v) for p, v in records.items()}, echo)


def tour(directory: str, *, keep: bool, echo: Callable[[str], None]) -> None:
    # The clients' own INFO lines (a member rejoining, say) would interleave with the story.
    logging.getLogger("kafka_clone.client").setLevel(logging.WARNING)
    d = Path(directory)
    if (d / lab.CLUSTER_FILE).exists():
        echo(f"Stopping the previous lab cluster in {d} ...")
        lab.down(d)
        shutil.rmtree(d)
    echo("Step 1. Starting 3 ZooKeeper nodes and 3 brokers ...")
    t0 = time.monotonic()
    lab.up(d, brokers=3, zookeepers=3)
    st = lab.status(d)
    echo(f"  ready in {time.monotonic() - t0:.1f}s; zookeeper.connect={st['zookeeper_connect']}")
    for z in st["zookeepers"]:
        echo(f"  zookeeper {z['id']}: {z['mode']}")
    connect = st["zookeeper_connect"]
    echo("\nStep 2. What the brokers wrote into ZooKeeper:")
    trio.run(_show, connect, echo, ("/brokers/ids", "/controller", "/controller_epoch", "/cluster/id"))
    controller = st["controller"]
    echo(f"\n  Broker {controller} won the election: it created the ephemeral /controller first.")
    echo(f"\nStep 3. kill -9 broker {controller}, the controller ...")
    lab.kill(d, broker=controller)
    new, epoch, took = trio.run(_wait_new_controller, connect, controller, 60.0)
    echo(f"  Its session expired, /controller vanished, and broker {new} won the new election "
         f"{took:.1f}s after the kill (controller_epoch is now {epoch}).")
    trio.run(_show, connect, echo, ("/brokers/ids", "/controller", "/controller_epoch"))
    echo(f"\nStep 4. Bringing broker {controller} back ...")
    lab.start(d, broker=controller)
    echo(f"  Broker {controller} registered again (a new czxid, so a new broker epoch); broker {new} stays controller.")
    trio.run(_show, connect, echo, ("/brokers/ids",))
    _data_steps(d, echo)
    if keep:
        echo(f"\nThe cluster keeps running. Explore it:\n"
             f"  kclone zk tree --zookeeper {connect.split(',')[0]}\n"
             f"  kclone cluster status --dir {d}\n"
             f"  kclone cluster kill --dir {d} --broker {new}\n"
             f"Stop it with: kclone cluster down --dir {d}")
    else:
        lab.down(d)
        echo("\nCluster stopped.")
