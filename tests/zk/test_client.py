"""zk.client against real ZooKeeper: watches bridged into trio, multi, null data, session expiry."""

from __future__ import annotations

import pytest
import trio
from kazoo.client import KazooClient

from zk.client import (
    BadVersionError, CheckOp, CreateOp, MultiError, NodeExistsError, NoNodeError, SessionState,
    SetDataOp, StateChangeHandler, ZkClient, ZNodeChangeHandler, ZNodeChildChangeHandler, split_chroot,
)

pytestmark = [pytest.mark.zk]


def test_split_chroot():
    assert split_chroot("a:1,b:2/kafka/x") == ("a:1,b:2", "/kafka/x")
    assert split_chroot("a:1") == ("a:1", "")


def expire_session(hosts: str, zk: ZkClient) -> None:
    """Expire `zk`'s session for real: a second client joins it and closes it (the server ends it)."""
    other = KazooClient(hosts=hosts, client_id=(zk.session_id, zk.session_password))
    other.start(timeout=10)
    other.stop()
    other.close()


async def test_chroot_is_created_and_parents_have_null_data(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.ensure_path("/a/b")
        data, stat = await zk.get("/a")
        assert data is None and stat.version == 0
        await zk.create("/a/b/c", b"hello")
        assert (await zk.get("/a/b/c"))[0] == b"hello"
    hosts, chroot = split_chroot(zk_connect)
    async with ZkClient.open(hosts, session_timeout_ms=4000) as root:
        assert (await root.get(chroot + "/a/b/c"))[0] == b"hello"


async def test_data_and_child_watches_reach_trio_handlers(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        events: list[str] = []
        changed = trio.Event()

        def note(what: str):
            def f():
                events.append(what)
                changed.set()
            return f

        zk.register_znode_change_handler(ZNodeChangeHandler("/w", on_create=note("create"),
                                                            on_delete=note("delete"), on_data_change=note("data")))
        assert await zk.exists("/w", watch=True) is None
        await zk.create("/w", b"1")
        with trio.fail_after(10):
            await changed.wait()
        assert events == ["create"]

        changed = trio.Event()
        await zk.get("/w", watch=True)
        await zk.set("/w", b"2")
        with trio.fail_after(10):
            await changed.wait()
        assert events[-1] == "data"

        children = trio.Event()
        zk.register_znode_child_change_handler(ZNodeChildChangeHandler("/w", children.set))
        assert await zk.get_children("/w", watch=True) == []
        await zk.create("/w/kid")
        with trio.fail_after(10):
            await children.wait()


async def test_multi_is_atomic_and_reports_the_failing_op(zk_connect):
    async with ZkClient.open(zk_connect, session_timeout_ms=4000) as zk:
        await zk.create("/m", b"0")
        with pytest.raises(MultiError) as info:
            await zk.multi([CreateOp("/m/new", b"x"), CheckOp("/m", 5)])
        assert info.value.errors[0] is None and isinstance(info.value.errors[1], BadVersionError)
        assert await zk.exists("/m/new") is None  # rolled back
        results = await zk.multi([CreateOp("/m/e", None, ephemeral=True), SetDataOp("/m/e", b"d", 0)])
        assert results[0] == "/m/e" and results[1].version == 1
        data, stat = await zk.get("/m/e")
        assert data == b"d" and stat.ephemeral_owner == zk.session_id
        with pytest.raises(NodeExistsError):
            await zk.create("/m")
        with pytest.raises(NoNodeError):
            await zk.get("/nope")
        with pytest.raises(BadVersionError):
            await zk.set("/m", b"1", version=3)


async def test_session_expiry_drops_ephemerals_and_reports_a_new_session(zk_connect):
    hosts, _ = split_chroot(zk_connect)
    async with ZkClient.open(zk_connect, session_timeout_ms=2000) as zk:
        states: list[SessionState] = []
        renewed = trio.Event()
        zk.register_state_change_handler(StateChangeHandler(
            "t", after_initializing_session=renewed.set, on_state=states.append))
        await zk.create("/eph", b"x", ephemeral=True)
        old_session = zk.session_id
        await trio.to_thread.run_sync(expire_session, hosts, zk)
        with trio.fail_after(30):
            await renewed.wait()
        assert SessionState.EXPIRED in states
        assert zk.session_id != old_session
        assert await zk.exists("/eph") is None
