"""The trio bridge to ZooKeeper: the ONLY module of the project that imports kazoo.

Mirrors Kafka's `kafka.zookeeper.ZooKeeperClient`: one session, a map of znode-change and
child-change handlers keyed by path, and state-change handlers told before and after a new session
is initialised.  kazoo runs its own threads; everything it reports is handed to trio with
`TrioToken.run_sync_soon`, so handlers run in the trio thread and never block (they only enqueue an
event, like Kafka's `BrokerChangeHandler`).  Watch events carry no data: handlers re-read.

Calls use kazoo's `*_async` methods and wait on a trio Event linked to the async result, so a
cancelled caller stops waiting at once.  A request already sent cannot be recalled, which is why
every write the controller makes is conditional (zkVersion, `/controller_epoch` check) and
idempotent, as in Kafka.

Session handling (see ../shared/docs/reference/environment.md): the connection retry never gives
up and backs off at most 0.5 s, so after an outage the client is back on the same session within
half a second of the ensemble regaining quorum.  When the session expires, kazoo starts a new one;
`before_initializing_session` handlers run on LOST and `after_initializing_session` handlers on the
first CONNECTED after it (Kafka's `StateChangeHandler`).
"""

from __future__ import annotations

import enum
import logging
from typing import Any, Callable, Iterable

import attrs
import trio
from kazoo import exceptions as kz
from kazoo.client import KazooClient, KazooState
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.paths import _prefix_root as prefix_root
from kazoo.protocol.serialization import Create
from kazoo.security import OPEN_ACL_UNSAFE
from kazoo.protocol.states import EventType, WatchedEvent
from kazoo.retry import KazooRetry

log = logging.getLogger(__name__)


# -- errors --------------------------------------------------------------------------------------


class ZkError(Exception):
    """A ZooKeeper operation failed (Kafka's `KeeperException` family)."""


class NodeExistsError(ZkError):
    pass


class NoNodeError(ZkError):
    pass


class BadVersionError(ZkError):
    pass


class NotEmptyError(ZkError):
    pass


class ConnectionLossError(ZkError):
    """No server answered; the session may still be alive (retriable)."""


class SessionExpiredError(ZkError):
    """The session ended: its ephemeral znodes are gone."""


class ZkClosedError(ZkError):
    pass


_KAZOO_ERRORS: dict[type[Exception], type[ZkError]] = {
    kz.NodeExistsError: NodeExistsError,
    kz.NoNodeError: NoNodeError,
    kz.BadVersionError: BadVersionError,
    kz.NotEmptyError: NotEmptyError,
    kz.ConnectionLoss: ConnectionLossError,
    kz.OperationTimeoutError: ConnectionLossError,
    kz.SessionExpiredError: SessionExpiredError,
    kz.ConnectionClosedError: ZkClosedError,
}


def _translate(exc: BaseException) -> BaseException:
    for kazoo_type, ours in _KAZOO_ERRORS.items():
        if isinstance(exc, kazoo_type):
            return ours(str(exc) or ours.__name__)
    if isinstance(exc, kz.ZookeeperError):
        return ZkError(f"{type(exc).__name__}: {exc}")
    return exc


# -- values --------------------------------------------------------------------------------------


@attrs.frozen
class Stat:
    """A znode's stat (ZooKeeper's `Stat`): `version` is Kafka's "zkVersion"."""

    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int

    @classmethod
    def _from_kazoo(cls, s: Any) -> "Stat":
        return cls(s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion, s.aversion,
                   s.ephemeralOwner, s.dataLength, s.numChildren, s.pzxid)


class SessionState(enum.Enum):
    CONNECTED = "CONNECTED"
    SUSPENDED = "SUSPENDED"  # disconnected; the session (and our ephemerals) may still live
    EXPIRED = "EXPIRED"      # the session is gone (kazoo's LOST)


@attrs.frozen
class CreateOp:
    path: str
    data: bytes | None = None
    ephemeral: bool = False
    sequence: bool = False


@attrs.frozen
class SetDataOp:
    path: str
    data: bytes | None
    version: int = -1


@attrs.frozen
class CheckOp:
    path: str
    version: int


@attrs.frozen
class DeleteOp:
    path: str
    version: int = -1


Op = CreateOp | SetDataOp | CheckOp | DeleteOp


class MultiError(ZkError):
    """A multi failed as a whole; `errors[i]` is op i's error (None for ops rolled back)."""

    def __init__(self, errors: list[ZkError | None]):
        self.errors = errors
        first = next((e for e in errors if e is not None), None)
        super().__init__(f"multi failed: {first!r}")

    def first(self) -> ZkError | None:
        return next((e for e in self.errors if e is not None), None)


def _multi_outcome(results: list[Any]) -> list[Any] | MultiError:
    """A committed multi's answer: the ops' results, or a MultiError naming each op's failure."""
    if any(isinstance(r, Exception) for r in results):
        return MultiError([
            # Ops before the failing one are "rolled back", ops after it "runtime inconsistency".
            None if isinstance(r, (kz.RolledBackError, kz.RuntimeInconsistency)) or not isinstance(r, Exception)
            else _translate(r)
            for r in results
        ])
    return [Stat._from_kazoo(r) if hasattr(r, "czxid") else r for r in results]


@attrs.define(eq=False)
class ZNodeChangeHandler:
    """Callbacks for one path's data watch; run in the trio thread, must not block."""

    path: str
    on_create: Callable[[], None] | None = None
    on_delete: Callable[[], None] | None = None
    on_data_change: Callable[[], None] | None = None


@attrs.define(eq=False)
class ZNodeChildChangeHandler:
    path: str
    on_child_change: Callable[[], None]


@attrs.define(eq=False)
class StateChangeHandler:
    name: str
    before_initializing_session: Callable[[], None] = lambda: None
    after_initializing_session: Callable[[], None] = lambda: None
    on_state: Callable[[SessionState], None] = lambda state: None


def split_chroot(connect: str) -> tuple[str, str]:
    """`h1:p1,h2:p2/kafka` → (`h1:p1,h2:p2`, `/kafka`); chroot "" when absent."""
    slash = connect.find("/")
    if slash < 0:
        return connect, ""
    chroot = connect[slash:].rstrip("/")
    return connect[:slash], chroot


# -- the client ----------------------------------------------------------------------------------


@attrs.define(eq=False)
class ZkClient:
    """One ZooKeeper session for trio code.  Create with `ZkClient.connect` (an async context).

    Handlers are registered by path as in Kafka's ZooKeeperClient; a read with `watch=True` arms
    the one-shot ZooKeeper watch that will call them.
    """

    _kazoo: KazooClient
    _token: trio.lowlevel.TrioToken
    connect_string: str
    session_timeout_ms: int
    _data_handlers: dict[str, ZNodeChangeHandler] = attrs.Factory(dict)
    _child_handlers: dict[str, ZNodeChildChangeHandler] = attrs.Factory(dict)
    _state_handlers: dict[str, StateChangeHandler] = attrs.Factory(dict)
    _session_lost: bool = False
    _closed: bool = False
    _connected: trio.Event = attrs.Factory(trio.Event)
    #: The watches ZooKeeper holds for us: ("data", path) -> whether the znode existed when the
    #: watch was set, ("child", path) -> True. See `_restore_watches`.
    _armed: dict[tuple[str, str], bool] = attrs.Factory(dict)
    _was_suspended: bool = False

    @classmethod
    def open(cls, connect_string: str, *, session_timeout_ms: int = 18000,
             connection_timeout_ms: int | None = None) -> "_ZkClientContext":
        return _ZkClientContext(connect_string, session_timeout_ms, connection_timeout_ms)

    # ---- session ----

    @property
    def session_id(self) -> int:
        cid = self._kazoo.client_id
        return cid[0] if cid else 0

    @property
    def session_password(self) -> bytes:
        cid = self._kazoo.client_id
        return cid[1] if cid else b""

    @property
    def state(self) -> SessionState:
        return {
            KazooState.CONNECTED: SessionState.CONNECTED,
            KazooState.SUSPENDED: SessionState.SUSPENDED,
        }.get(self._kazoo.state, SessionState.EXPIRED)

    def _on_kazoo_state(self, state: str) -> None:
        # kazoo's session thread: hand over and return at once (listeners must not block).
        self._call_soon(self._handle_state, state)

    def _handle_state(self, state: str) -> None:
        if self._closed:
            return
        if state == KazooState.LOST:
            log.warning("ZooKeeper session expired")
            self._session_lost = True
            # A new session starts with no watches; the state handlers set them up again.
            self._armed.clear()
            self._disconnected()
            for h in list(self._state_handlers.values()):
                h.on_state(SessionState.EXPIRED)
                h.before_initializing_session()
        elif state == KazooState.SUSPENDED:
            log.info("ZooKeeper connection suspended")
            self._was_suspended = True
            self._disconnected()
            for h in list(self._state_handlers.values()):
                h.on_state(SessionState.SUSPENDED)
        elif state == KazooState.CONNECTED:
            self._connected.set()
            for h in list(self._state_handlers.values()):
                h.on_state(SessionState.CONNECTED)
            if self._was_suspended and not self._session_lost:
                self._restore_watches()
            self._was_suspended = False
            if self._session_lost:
                self._session_lost = False
                log.info("ZooKeeper session re-established (new session 0x%x)", self.session_id)
                for h in list(self._state_handlers.values()):
                    h.after_initializing_session()

    def _disconnected(self) -> None:
        # A fresh Event only if the current one was set: SUSPENDED then LOST must not strand the
        # tasks already waiting for the reconnection on the first one.
        if self._connected.is_set():
            self._connected = trio.Event()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._token.run_sync_soon(fn, *args)
        except trio.RunFinishedError:
            pass

    # ---- handlers (Kafka's ZooKeeperClient API) ----

    def register_znode_change_handler(self, handler: ZNodeChangeHandler) -> None:
        self._data_handlers[handler.path] = handler

    def unregister_znode_change_handler(self, path: str) -> None:
        self._data_handlers.pop(path, None)

    def register_znode_child_change_handler(self, handler: ZNodeChildChangeHandler) -> None:
        self._child_handlers[handler.path] = handler

    def unregister_znode_child_change_handler(self, path: str) -> None:
        self._child_handlers.pop(path, None)

    def register_state_change_handler(self, handler: StateChangeHandler) -> None:
        self._state_handlers[handler.name] = handler

    def unregister_state_change_handler(self, name: str) -> None:
        self._state_handlers.pop(name, None)

    def _watcher(self, event: WatchedEvent) -> None:
        self._call_soon(self._dispatch, event)

    def _dispatch(self, event: WatchedEvent) -> None:
        if event.type == EventType.NONE:
            return  # kazoo dropping its watches on a lost connection: `_restore_watches` follows
        if event.type == EventType.CHILD:
            self._armed.pop(("child", event.path), None)
            ch = self._child_handlers.get(event.path)
            if ch:
                ch.on_child_change()
            return
        self._armed.pop(("data", event.path), None)
        self._fire_data(event.path, event.type)

    def _fire_data(self, path: str, event_type: str) -> None:
        h = self._data_handlers.get(path)
        if h is None:
            return
        fn = {
            EventType.CREATED: h.on_create,
            EventType.DELETED: h.on_delete,
            EventType.CHANGED: h.on_data_change,
        }.get(event_type)
        if fn:
            fn()

    def _arm(self, kind: str, path: str, existed: bool = True) -> None:
        self._armed[(kind, path)] = existed

    def _restore_watches(self) -> None:
        """Set our watches again after a reconnection to the same session.

        ZooKeeper's Java client (Kafka's) resends its watches on reconnecting (SetWatches), and
        the server fires those whose znode changed meanwhile. kazoo drops them instead. So each
        one is set again here, and its handler is told: created or deleted if existence changed,
        otherwise "changed" (perhaps spuriously, which is harmless: handlers re-read ZooKeeper
        and never trust the event).
        """
        armed, self._armed = self._armed, {}
        if armed:
            log.info("ZooKeeper connection restored: setting %d watches again", len(armed))
        for (kind, path), existed in armed.items():
            if kind == "child":
                result = self._kazoo.get_children_async(path, watch=self._watcher)
                result.rawlink(lambda r, path=path: self._call_soon(self._restored_child, path, r))
            else:
                result = self._kazoo.exists_async(path, watch=self._watcher)
                result.rawlink(lambda r, path=path, existed=existed: self._call_soon(
                    self._restored_data, path, existed, r))

    def _restored_child(self, path: str, result: Any) -> None:
        try:
            result.get_nowait()
        except Exception as exc:  # no node, or the connection went again: say "changed" anyway
            log.debug("re-reading %s after reconnecting: %r", path, exc)
        else:
            self._arm("child", path)
        ch = self._child_handlers.get(path)
        if ch:
            ch.on_child_change()

    def _restored_data(self, path: str, existed: bool, result: Any) -> None:
        try:
            exists = result.get_nowait() is not None
        except Exception as exc:
            log.debug("re-reading %s after reconnecting: %r", path, exc)
            self._fire_data(path, EventType.CHANGED)
            return
        self._arm("data", path, exists)
        if existed != exists:
            self._fire_data(path, EventType.CREATED if exists else EventType.DELETED)
        elif exists:
            self._fire_data(path, EventType.CHANGED)

    # ---- calls ----

    async def _call(self, start: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._closed:
            raise ZkClosedError("ZooKeeper client closed")
        done = trio.Event()
        try:
            async_result = start(*args, **kwargs)
        except Exception as exc:
            raise _translate(exc) from exc
        async_result.rawlink(lambda _r: self._call_soon(done.set))
        await done.wait()
        try:
            return async_result.get_nowait()
        except Exception as exc:
            raise _translate(exc) from exc

    def _w(self, watch: bool) -> Callable[[WatchedEvent], None] | None:
        return self._watcher if watch else None

    async def get(self, path: str, *, watch: bool = False) -> tuple[bytes | None, Stat]:
        data, stat = await self._call(self._kazoo.get_async, path, watch=self._w(watch))
        if watch:
            self._arm("data", path)
        return data, Stat._from_kazoo(stat)

    async def get_or_none(self, path: str, *, watch: bool = False) -> tuple[bytes | None, Stat] | None:
        try:
            return await self.get(path, watch=watch)
        except NoNodeError:
            return None

    async def _all_answered(self, results: list[Any]) -> list[Any]:
        """Wait until every one of these kazoo async results (requests all in flight) has its answer."""
        if not results:
            return results
        remaining = len(results)
        done = trio.Event()

        def finished(_result: Any) -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                done.set()

        for result in results:
            result.rawlink(lambda r: self._call_soon(finished, r))
        await done.wait()
        return results

    async def get_many(self, paths: list[str]) -> list[tuple[bytes | None, Stat] | None]:
        """Read many znodes with all requests in flight at once (None for a missing one).

        Kafka's controller reads the whole cluster this way at failover (KafkaZkClient's
        pipelined `retryRequestsUntilConnected`): one round trip's latency for thousands of
        partitions instead of thousands of round trips.
        """
        if not paths:
            return []
        results = await self._all_answered([self._kazoo.get_async(path) for path in paths])
        out: list[tuple[bytes | None, Stat] | None] = []
        for r in results:
            try:
                data, stat = r.get_nowait()
                out.append((data, Stat._from_kazoo(stat)))
            except kz.NoNodeError:
                out.append(None)
            except Exception as exc:
                raise _translate(exc) from exc
        return out

    async def exists(self, path: str, *, watch: bool = False) -> Stat | None:
        stat = await self._call(self._kazoo.exists_async, path, watch=self._w(watch))
        if watch:
            self._arm("data", path, stat is not None)
        return Stat._from_kazoo(stat) if stat else None

    async def get_children(self, path: str, *, watch: bool = False) -> list[str]:
        children = list(await self._call(self._kazoo.get_children_async, path, watch=self._w(watch)))
        if watch:
            self._arm("child", path)
        return children

    async def create(self, path: str, data: bytes | None = None, *, ephemeral: bool = False,
                     sequence: bool = False, makepath: bool = False) -> str:
        return await self._call(self._kazoo.create_async, path, data, ephemeral=ephemeral,
                                sequence=sequence, makepath=makepath)

    async def set(self, path: str, data: bytes | None, *, version: int = -1) -> Stat:
        return Stat._from_kazoo(await self._call(self._kazoo.set_async, path, data, version))

    async def delete(self, path: str, *, version: int = -1, recursive: bool = False) -> None:
        if recursive:
            for child in await self.get_children_or_empty(path):
                await self.delete(f"{path.rstrip('/')}/{child}", recursive=True)
        try:
            await self._call(self._kazoo.delete_async, path, version)
        except NoNodeError:
            if not recursive:
                raise

    async def get_children_or_empty(self, path: str) -> list[str]:
        try:
            return await self.get_children(path)
        except NoNodeError:
            return []

    async def ensure_path(self, path: str) -> None:
        """Create `path` and its parents where missing, with null data as Kafka's
        `makeSurePersistentPathExists` does (zkCli prints `null` for them)."""
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            try:
                await self.create("/" + "/".join(parts[:i]))
            except NodeExistsError:
                pass

    async def multi(self, ops: Iterable[Op]) -> list[Any]:
        """Run ops atomically (ZooKeeper `multi`); raise MultiError naming each op's failure."""
        results = await self._call(self._transaction(ops).commit_async)
        outcome = _multi_outcome(results)
        if isinstance(outcome, MultiError):
            raise outcome
        return outcome

    async def multi_many(self, transactions: list[list[Op]]) -> list[list[Any] | MultiError]:
        """Run many multis with all of them in flight at once; each is atomic on its own.

        Returns, per transaction, its results or its MultiError (not raised: the callers need
        every outcome, as Kafka's pipelined `retryRequestsUntilConnected` hands back one response
        per request).  Any other failure (a lost connection) is raised once all have answered.
        """
        if not transactions:
            return []
        if self._closed:
            raise ZkClosedError("ZooKeeper client closed")
        pending = await self._all_answered([self._transaction(ops).commit_async() for ops in transactions])
        out: list[list[Any] | MultiError] = []
        for r in pending:
            try:
                out.append(_multi_outcome(r.get_nowait()))
            except Exception as exc:
                raise _translate(exc) from exc
        return out

    def _transaction(self, ops: Iterable[Op]) -> Any:
        txn = self._kazoo.transaction()
        for op in ops:
            match op:
                case CreateOp(data=None):
                    # kazoo's transaction API insists on bytes, but Kafka creates znodes with
                    # null data (zkCli shows `null`; the broker znode's dataVersion 1 comes from
                    # the setData that follows), so build the Create record ourselves.
                    flags = (1 if op.ephemeral else 0) | (2 if op.sequence else 0)
                    txn._add(Create(prefix_root(self._kazoo.chroot, op.path), None, OPEN_ACL_UNSAFE, flags), None)
                case CreateOp():
                    txn.create(op.path, op.data, ephemeral=op.ephemeral, sequence=op.sequence)
                case SetDataOp():
                    txn.set_data(op.path, op.data, op.version)
                case CheckOp():
                    txn.check(op.path, op.version)
                case DeleteOp():
                    txn.delete(op.path, op.version)
        return txn

    async def close(self) -> None:
        """Close the session (its ephemeral znodes go at once, not after the timeout)."""
        if self._closed:
            return
        self._closed = True
        await trio.to_thread.run_sync(self._close_blocking)

    def _close_blocking(self) -> None:
        try:
            self._kazoo.stop()
            self._kazoo.close()
        except Exception as exc:  # closing a dead connection must not mask the real error
            log.debug("closing ZooKeeper client: %r", exc)


@attrs.define
class _ZkClientContext:
    connect_string: str
    session_timeout_ms: int
    connection_timeout_ms: int | None
    _client: ZkClient | None = None

    async def __aenter__(self) -> ZkClient:
        hosts, chroot = split_chroot(self.connect_string)
        timeout_s = (self.connection_timeout_ms or self.session_timeout_ms) / 1000
        if chroot:
            # As Kafka's KafkaZkClient does: the chroot is created first, by a client without it.
            async with ZkClient.open(hosts, session_timeout_ms=self.session_timeout_ms,
                                     connection_timeout_ms=self.connection_timeout_ms) as root:
                await root.ensure_path(chroot)
        kazoo = KazooClient(
            hosts=hosts + chroot,
            timeout=self.session_timeout_ms / 1000,
            connection_retry=KazooRetry(max_tries=-1, max_delay=0.5),
        )
        client = ZkClient(kazoo, trio.lowlevel.current_trio_token(), self.connect_string,
                          self.session_timeout_ms)
        kazoo.add_listener(client._on_kazoo_state)
        try:
            await trio.to_thread.run_sync(lambda: kazoo.start(timeout=timeout_s), abandon_on_cancel=True)
        except (kz.KazooException, KazooTimeoutError) as exc:
            await trio.to_thread.run_sync(client._close_blocking)
            raise ConnectionLossError(
                f"could not connect to ZooKeeper at {self.connect_string} within {timeout_s:g}s"
            ) from exc
        except BaseException:
            client._close_blocking()
            raise
        client._connected.set()
        self._client = client
        return client

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            with trio.CancelScope(shield=True):
                await self._client.close()
