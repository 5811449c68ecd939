"""Ending a live ZooKeeper session on purpose, for tests of what follows an expiry."""

from __future__ import annotations

import uuid

import trio
from kazoo.client import KazooClient

from zk.client import ZkClient, split_chroot


async def expire_session(zk: ZkClient, attempts: int = 20) -> None:
    """End `zk`'s session for real: a second client joins the session and closes it.

    The server keeps a session's newest connection, so `zk` may take the session back before the
    close is sent, and then nothing expires. An ephemeral marker owned by the session tells when
    it has really ended; until then, try again.
    """
    marker = f"/expiry-marker-{uuid.uuid4().hex}"
    await zk.create(marker, ephemeral=True)
    hosts, _ = split_chroot(zk.connect_string)
    session_id, password = zk.session_id, zk.session_password

    def join_and_close() -> None:
        other = KazooClient(hosts=hosts, client_id=(session_id, password))
        other.start(timeout=10)
        other.stop()
        other.close()

    async with ZkClient.open(zk.connect_string, session_timeout_ms=4000) as probe:
        for _ in range(attempts):
            await trio.to_thread.run_sync(join_and_close)
            if await probe.exists(marker) is None:
                return
    raise AssertionError(f"could not expire session 0x{session_id:x}")
