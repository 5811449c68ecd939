"""`kclone zk watch` against the session's real ZooKeeper: one line per change, watches re-armed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trio

from kafka_clone.lab.watch import ZkWatcher, kafka_timestamp
from zk.client import ZkClient, split_chroot

pytestmark = [pytest.mark.zk]

STAMP = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] "
REPO = Path(__file__).resolve().parents[2]


class Lines:
    """What the watcher printed, with a way to wait (deadline, no sleep) for a line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = trio.Event()

    def echo(self, line: str) -> None:
        self.lines.append(line)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, pattern: str, timeout: float = 15) -> str:
        with trio.fail_after(timeout):
            while True:
                for line in self.lines:
                    if re.fullmatch(STAMP + pattern, line):
                        return line
                await self._changed.wait()


def test_kafka_timestamp_format():
    import datetime
    assert kafka_timestamp(datetime.datetime(2026, 1, 2, 3, 4, 5, 67000)) == "[2026-01-02 03:04:05,067]"


async def test_prints_children_data_created_and_deleted_and_rearms(zk_connect):
    hosts, chroot = split_chroot(zk_connect)
    out = Lines()
    async with ZkClient.open(zk_connect, session_timeout_ms=6000) as writer:
        await writer.ensure_path("/brokers/ids")
        await writer.create("/brokers/ids/1", b"b1", ephemeral=True)
        async with ZkClient.open(hosts, session_timeout_ms=6000) as reader, trio.open_nursery() as nursery:
            watcher = ZkWatcher(reader, ("/brokers/ids", "/controller", "/controller_epoch"), out.echo, chroot)
            await nursery.start(watcher.run)
            assert re.fullmatch(STAMP + r"/brokers/ids: data null, children \[1\]", out.lines[0])
            assert re.fullmatch(STAMP + r"/controller: does not exist \(yet\)", out.lines[1])

            await writer.create("/brokers/ids/2", b"b2", ephemeral=True)
            await out.wait_for(r"/brokers/ids: child added 2; children now \[1, 2\]")
            # The watch was one-shot: it fires again only because the handler re-armed it.
            await writer.create("/brokers/ids/3", b"b3")
            await out.wait_for(r"/brokers/ids: child added 3; children now \[1, 2, 3\]")
            await writer.delete("/brokers/ids/2")
            await out.wait_for(r"/brokers/ids: child removed 2; children now \[1, 3\]")

            await writer.create("/controller", b'{"brokerid":1}', ephemeral=True)
            await out.wait_for(r'/controller: created, data \{"brokerid":1\} \(ephemeral, owner session 0x[0-9a-f]+\)')
            await writer.create("/controller_epoch", b"1")
            await out.wait_for(r"/controller_epoch: created, data 1")
            await writer.set("/controller_epoch", b"2")
            await out.wait_for(r"/controller_epoch: data changed \(dataVersion 1\): 2")
            await writer.set("/controller_epoch", b"3")
            await out.wait_for(r"/controller_epoch: data changed \(dataVersion 2\): 3")
            await writer.delete("/controller")
            await out.wait_for(r"/controller: deleted")
            await writer.create("/controller", b'{"brokerid":3}')
            await out.wait_for(r'/controller: created, data \{"brokerid":3\}')
            nursery.cancel_scope.cancel()


async def test_ephemerals_of_a_closed_session_show_as_removed(zk_connect):
    hosts, chroot = split_chroot(zk_connect)
    out = Lines()
    async with ZkClient.open(zk_connect, session_timeout_ms=6000) as setup:
        await setup.ensure_path("/brokers/ids")
    async with ZkClient.open(hosts, session_timeout_ms=6000) as reader, trio.open_nursery() as nursery:
        await nursery.start(ZkWatcher(reader, ("/brokers/ids",), out.echo, chroot).run)
        async with ZkClient.open(zk_connect, session_timeout_ms=6000) as broker:
            await broker.create("/brokers/ids/7", b"x", ephemeral=True)
            await out.wait_for(r"/brokers/ids: child added 7; children now \[7\]")
        # Closing the "broker's" session deletes its ephemeral znode, as when a broker stops.
        await out.wait_for(r"/brokers/ids: child removed 7; children now \[\]")
        nursery.cancel_scope.cancel()


def test_cli_runs_until_ctrl_c_and_exits_cleanly(zk_connect):
    script = "import sys; from cli.zk_tools import zk_watch; zk_watch(sys.argv[1:], prog_name='kclone zk watch')"
    proc = subprocess.Popen([sys.executable, "-c", script, "--zookeeper", zk_connect, "/brokers/ids"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        first = proc.stdout.readline()  # blocks until the initial state is printed
        assert time.monotonic() < deadline
        assert re.fullmatch(STAMP + r"/brokers/ids: does not exist \(yet\)\n", first), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Aborted" not in err
