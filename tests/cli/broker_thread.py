"""One real broker in a thread of its own, for CLI tests that drive click commands synchronously."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import trio

from kafka_clone.client.group_consumer import GroupMember
from kafka_clone.server.broker import KafkaServer
from kafka_clone.server.config import KafkaConfig


def fresh_chroot(zookeeper_connect: str) -> str:
    return f"{zookeeper_connect}/kclone-cli-{uuid.uuid4().hex[:12]}"


def one_broker_config(zookeeper_connect: str, log_dir: Path, **overrides: str) -> KafkaConfig:
    """Broker 1 on a free port (`zookeeper_connect` should name a chroot of its own); a 1-broker
    `__consumer_offsets` and no initial rebalance delay, so groups form at once."""
    return KafkaConfig.from_properties({
        "broker.id": "1",
        "listeners": "PLAINTEXT://127.0.0.1:0",
        "log.dirs": str(log_dir),
        "zookeeper.connect": zookeeper_connect,
        "zookeeper.session.timeout.ms": "6000",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
        **{k.replace("_", "."): v for k, v in overrides.items()},
    })


class BrokerThread:
    """A ``KafkaServer`` in its own thread and trio loop; ``call`` runs a coroutine function there."""

    def __init__(self, config: KafkaConfig) -> None:
        self.config = config
        self.server: KafkaServer | None = None
        self.bootstrap = ""
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        with trio.CancelScope() as scope:
            self._cancel = scope
            self._token = trio.lowlevel.current_trio_token()
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                self.server = await nursery.start(KafkaServer(self.config).run)
                self.bootstrap = f"127.0.0.1:{self.server.bound_ports['PLAINTEXT']}"
                self._ready.set()

    def __enter__(self) -> "BrokerThread":
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the broker did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None and self._cancel is not None
        trio.from_thread.run_sync(self._cancel.cancel, trio_token=self._token)
        self._thread.join(60)

    def call(self, fn, *args):
        return trio.from_thread.run(fn, *args, trio_token=self._token)

    def start_member(self, group: str, topic: str) -> tuple[GroupMember, trio.CancelScope]:
        """A group member joined and heartbeating in the broker's loop, until its scope is cancelled."""
        member = GroupMember.create(self.bootstrap, group, [topic], heartbeat_interval_ms=200)

        async def keep(task_status=trio.TASK_STATUS_IGNORED):
            with trio.CancelScope() as scope:
                async with trio.open_nursery() as inner:
                    await inner.start(member.run)
                    task_status.started(scope)

        assert self._nursery is not None
        return member, self.call(self._nursery.start, keep)
