"""`kclone demo tour`: the lab's main job, ZooKeeper's role in classic Kafka, step by step.

1. Start a 3-node ZooKeeper ensemble and 3 brokers (`kclone cluster up`).
2. Show what the brokers wrote: `/brokers/ids/*` (ephemeral, one per live broker),
   `/controller` (ephemeral, the election's winner) and `/controller_epoch`.
3. kill -9 the controller; its session expires, its ephemerals vanish, a survivor wins
   `/controller` and `/controller_epoch` goes up by one.  The time it took is printed.
4. Bring the killed broker back: it registers again (new broker epoch) as an ordinary broker.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import trio

from kafka_clone.lab import cluster as lab
from kafka_clone.lab.tree import walk
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient


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


def tour(directory: str, *, keep: bool, echo: Callable[[str], None]) -> None:
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
    if keep:
        echo(f"\nThe cluster keeps running. Explore it:\n"
             f"  kclone zk tree --zookeeper {connect.split(',')[0]}\n"
             f"  kclone cluster status --dir {d}\n"
             f"  kclone cluster kill --dir {d} --broker {new}\n"
             f"Stop it with: kclone cluster down --dir {d}")
    else:
        lab.down(d)
        echo("\nCluster stopped.")
