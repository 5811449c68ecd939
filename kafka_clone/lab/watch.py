"""`kclone zk watch`: print every change of a few znodes as it happens, for the lab.

A student runs it in one terminal while killing brokers in another and sees, one timestamped
line per change, what the controller sees: ``/brokers/ids`` losing a child when a session
expires, ``/controller`` deleted and created again, ``/controller_epoch`` going up, topics
appearing under ``/brokers/topics``, ISR change notifications under ``/isr_change_notification``.

ZooKeeper watches are one-shot and carry no data. This follows Kafka's own handlers
(``ZooKeeperClient`` + ``ZNodeChangeHandler``/``ZNodeChildChangeHandler``): a watch event only
says "look again"; the handler re-reads the znode with ``watch=True``, which re-arms the watch,
and the difference from the last read is what changed. Changes that come and go between two
reads (an ``isr_change_<seq>`` created and deleted by the controller within milliseconds) can
be missed, exactly as Kafka's handlers miss them; what is printed is always the current state.

After a session expiry the watches are gone with the session, so every path is read again
(Kafka's ``StateChangeHandler.afterInitializingSession`` does the same for its handlers).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence

import attrs
import trio

from zk.client import (
    NoNodeError, SessionState, Stat, StateChangeHandler, ZkClient, ZNodeChangeHandler, ZNodeChildChangeHandler,
)

__all__ = ["DEFAULT_PATHS", "ZkWatcher", "kafka_timestamp"]

#: What changes when brokers come and go, and what the controller reacts to.
DEFAULT_PATHS = ("/brokers/ids", "/controller", "/controller_epoch", "/brokers/topics",
                 "/isr_change_notification", "/admin")


def kafka_timestamp(now: datetime.datetime | None = None) -> str:
    """``[2026-11-21 10:20:01,234]``: the timestamp format of Kafka's (and our brokers') logs."""
    now = now or datetime.datetime.now()
    return now.strftime("[%Y-%m-%d %H:%M:%S,") + f"{now.microsecond // 1000:03d}]"


@attrs.frozen
class _Snapshot:
    data: bytes | None
    stat: Stat
    children: tuple[str, ...]


def _text(data: bytes | None) -> str:
    return "null" if data is None else data.decode("utf-8", errors="replace")


def _names(children: Sequence[str]) -> str:
    return "[" + ", ".join(children) + "]"


def describe(path: str, before: _Snapshot | None, after: _Snapshot | None) -> list[str]:
    """The lines for one path's change from ``before`` to ``after`` (None: the znode is absent)."""
    if before is None and after is None:
        return []
    if after is None:
        return [f"{path}: deleted"]
    if before is None:
        line = f"{path}: created, data {_text(after.data)}"
        if after.stat.ephemeral_owner:
            line += f" (ephemeral, owner session 0x{after.stat.ephemeral_owner:x})"
        if after.children:
            line += f", children {_names(after.children)}"
        return [line]
    lines = []
    if before.stat.mzxid != after.stat.mzxid or before.data != after.data:
        lines.append(f"{path}: data changed (dataVersion {after.stat.version}): {_text(after.data)}")
    added = sorted(set(after.children) - set(before.children))
    removed = sorted(set(before.children) - set(after.children))
    if added or removed:
        parts = []
        if added:
            parts.append(f"{'child' if len(added) == 1 else 'children'} added {', '.join(added)}")
        if removed:
            parts.append(f"{'child' if len(removed) == 1 else 'children'} removed {', '.join(removed)}")
        lines.append(f"{path}: {'; '.join(parts)}; children now {_names(after.children)}")
    return lines


def describe_initial(path: str, snap: _Snapshot | None) -> str:
    if snap is None:
        return f"{path}: does not exist (yet)"
    line = f"{path}: data {_text(snap.data)}"
    if snap.stat.ephemeral_owner:
        line += f" (ephemeral, owner session 0x{snap.stat.ephemeral_owner:x})"
    return line + f", children {_names(snap.children)}"


@attrs.define(eq=False)
class ZkWatcher:
    """Watches ``paths`` (relative to ``chroot``) on ``client`` and hands one line per change to ``echo``.

    ``client`` is opened without a chroot, so the tool never creates one (``ZkClient.open``
    would); ``chroot`` is prefixed here and stripped from what is printed.
    """

    client: ZkClient
    paths: tuple[str, ...]
    echo: Callable[[str], None]
    chroot: str = ""
    clock: Callable[[], datetime.datetime] = datetime.datetime.now
    _state: dict[str, _Snapshot | None] = attrs.Factory(dict)
    _send: trio.MemorySendChannel[str] | None = None
    _suspended: bool = False

    def _say(self, line: str) -> None:
        self.echo(f"{kafka_timestamp(self.clock())} {line}")

    def _full(self, path: str) -> str:
        return (self.chroot if path == "/" else self.chroot + path) if self.chroot else path

    def _poke(self, path: str) -> Callable[[], None]:
        # Handlers run in the trio thread and must not block: they only queue the path (Kafka's
        # handlers queue a controller event the same way), the loop below re-reads it.
        def handler() -> None:
            if self._send is not None:
                self._send.send_nowait(path)
        return handler

    async def _read(self, path: str) -> _Snapshot | None:
        """Read ``path`` with watches (re-arming them): an exists watch when absent, a data and
        a child watch when present."""
        full = self._full(path)
        while True:
            if await self.client.exists(full, watch=True) is None:
                return None
            try:
                data, stat = await self.client.get(full, watch=True)
                children = await self.client.get_children(full, watch=True)
            except NoNodeError:
                continue  # deleted between the two reads: arm the exists watch again
            return _Snapshot(data, stat, tuple(sorted(children)))

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Print the current state of every path, then one line per change, until cancelled."""
        send, receive = trio.open_memory_channel[str](math.inf)
        self._send = send
        for path in self.paths:
            poke = self._poke(path)
            self.client.register_znode_change_handler(ZNodeChangeHandler(
                self._full(path), on_create=poke, on_delete=poke, on_data_change=poke))
            self.client.register_znode_child_change_handler(ZNodeChildChangeHandler(self._full(path), poke))
        self.client.register_state_change_handler(StateChangeHandler(
            "zk-watch", after_initializing_session=self._new_session, on_state=self._on_state))
        for path in self.paths:
            snap = await self._read(path)
            self._state[path] = snap
            self._say(describe_initial(path, snap))
        task_status.started()
        async with receive:
            async for path in receive:
                snap = await self._read(path)
                for line in describe(path, self._state.get(path), snap):
                    self._say(line)
                self._state[path] = snap

    def _on_state(self, state: SessionState) -> None:
        if state == SessionState.SUSPENDED:
            self._suspended = True
            self._say("connection to ZooKeeper lost; the session (and its watches) may still be alive")
        elif state == SessionState.CONNECTED and self._suspended:
            # Same session: the client re-registers its watches and ZooKeeper fires those whose
            # znodes changed meanwhile; reading every path again costs little and is certain.
            self._suspended = False
            self._say("connected to ZooKeeper again")
            for path in self.paths:
                self._poke(path)()
        elif state == SessionState.EXPIRED:
            self._suspended = False
            self._say("ZooKeeper session expired: its watches are gone")

    def _new_session(self) -> None:
        self._say("new ZooKeeper session: reading every path again")
        for path in self.paths:
            self._poke(path)()
