"""zk.client against real ZooKeeper: watches bridged into trio, multi, null data, session expiry."""

from __future__ import annotations

import pytest
import trio

from zk.client import (
    BadVersionError, CheckOp, CreateOp, MultiError, NodeExistsError, NoNodeError, SessionState,
    SetDataOp, StateChangeHandler, ZkClient, ZNodeChangeHandler, ZNodeChildChangeHandler, split_chroot,
)

from tests.zk.session import expire_session

pytestmark = [pytest.mark.zk]


def test_split_chroot():
    assert split_chroot("a:1,b:2/kafka/x") == ("a:1,b:2", "/kafka/x")
    assert split_chroot("a:1") == ("a:1", "")


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
    async with ZkClient.open(zk_connect, session_timeout_ms=2000) as zk:
        states: list[SessionState] = []
        renewed = trio.Event()
        zk.register_state_change_handler(StateChangeHandler(
            "t", after_initializing_session=renewed.set, on_state=states.append))
        await zk.create("/eph", b"x", ephemeral=True)
        old_session = zk.session_id
        await expire_session(zk)
        with trio.fail_after(30):
            await renewed.wait()
        assert SessionState.EXPIRED in states
        assert zk.session_id != old_session
        assert await zk.exists("/eph") is None


@pytest.mark.slow
async def test_watches_survive_a_reconnection_to_the_same_session(tmp_path):
    """kazoo forgets its watches when the connection drops; ZooKeeper's Java client (Kafka's)
    sets them again on reconnecting. Ours must too: a znode created while we were cut off
    reaches the handler once we are back, and later changes keep coming."""
    from zk.ensemble import Ensemble

    ens = await trio.to_thread.run_sync(lambda: Ensemble.start(tmp_path, 3, tick_time_ms=500))
    try:
        only = ens.spec.nodes[0]
        async with ZkClient.open(only.address, session_timeout_ms=10000) as zk, \
                ZkClient.open(ens.connect_string, session_timeout_ms=10000) as other:
            events: list[str] = []
            changed = trio.Event()

            def note(what: str):
                def fire():
                    events.append(what)
                    changed.set()
                return fire
            zk.register_znode_change_handler(ZNodeChangeHandler(
                "/w", on_create=note("created"), on_delete=note("deleted"), on_data_change=note("changed")))
            zk.register_znode_child_change_handler(ZNodeChildChangeHandler("/p", on_child_change=note("children")))
            await other.create("/p")
            assert await zk.exists("/w", watch=True) is None
            assert await zk.get_children("/p", watch=True) == []
            session = zk.session_id
            await trio.to_thread.run_sync(ens.stop_node, only.id)
            await other.create("/w", b"made while we were away")
            await other.create("/p/c")
            await trio.to_thread.run_sync(lambda: ens.start_node(only.id))
            with trio.fail_after(30):
                while sorted(events) != ["children", "created"]:
                    await changed.wait()
                    changed = trio.Event()
            assert zk.session_id == session  # a reconnection, not a new session
            await zk.get("/w", watch=True)
            await other.set("/w", b"again")
            with trio.fail_after(30):
                while events[-1:] != ["changed"]:
                    await changed.wait()
                    changed = trio.Event()
    finally:
        await trio.to_thread.run_sync(ens.stop)
