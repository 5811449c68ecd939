"""SocketServer: one trio listener per `listeners` entry, one task per connection.

Mirrors the shape of Kafka's `SocketServer` (network/SocketServer.scala) and trio's
`serve_listeners`: bind every listener first and report the bound ports through `task_status`
(a `listeners` port of 0 binds a free port, which the broker then registers, as Kafka does), then
accept.  What a connection does is the `handler`'s business; the request loop (framing, muting,
in-order responses) plugs in here.

Resource handling: each connection's stream is closed when its handler returns or fails; a failure
in one connection is logged and closes that connection only.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Awaitable, Callable

import attrs
import trio

from kafka_clone.server.config import Listener

log = logging.getLogger(__name__)

ConnectionHandler = Callable[[trio.SocketStream, Listener], Awaitable[None]]

# Errors that mean "too many connections right now": wait and accept again (trio's rule).
_ACCEPT_CAPACITY_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}


async def close_at_once(stream: trio.SocketStream, listener: Listener) -> None:
    """A handler that accepts and closes: the broker before it speaks the Kafka protocol."""
    await stream.aclose()


@attrs.define(eq=False)
class SocketServer:
    listeners: tuple[Listener, ...]
    handler: ConnectionHandler = close_at_once
    connections: int = 0

    async def run(self, *, task_status: trio.TaskStatus[dict[str, int]] = trio.TASK_STATUS_IGNORED) -> None:
        """Bind all listeners, report {listener name: bound port}, then serve until cancelled."""
        bound: list[tuple[Listener, trio.SocketListener]] = []
        try:
            for listener in self.listeners:
                bound.append((listener, await self._bind(listener)))
        except BaseException:
            for _, sl in bound:
                await sl.aclose()
            raise
        ports = {l.listener_name: sl.socket.getsockname()[1] for l, sl in bound}
        async with trio.open_nursery() as nursery:
            for listener, sl in bound:
                nursery.start_soon(self._accept_loop, listener, sl, nursery)
            log.info("Awaiting socket connections on %s",
                     ", ".join(f"{l.listener_name}://{l.host}:{ports[l.listener_name]}" for l, _ in bound))
            task_status.started(ports)

    async def _bind(self, listener: Listener) -> trio.SocketListener:
        family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
        sock = trio.socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            await sock.bind((listener.host or ("::" if family == socket.AF_INET6 else "0.0.0.0"), listener.port))
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"Socket server failed to bind to {listener.host}:{listener.port}: {exc.strerror}") from None
        sock.listen(128)
        return trio.SocketListener(sock)

    async def _accept_loop(self, listener: Listener, sl: trio.SocketListener, nursery: trio.Nursery) -> None:
        async with sl:
            while True:
                try:
                    stream = await sl.accept()
                except OSError as exc:
                    if exc.errno in _ACCEPT_CAPACITY_ERRNOS:
                        log.error("accept() on %s failed: %s; retrying in 100 ms", listener.listener_name, exc)
                        await trio.sleep(0.1)
                        continue
                    raise
                nursery.start_soon(self._serve_connection, stream, listener)

    async def _serve_connection(self, stream: trio.SocketStream, listener: Listener) -> None:
        self.connections += 1
        try:
            await self.handler(stream, listener)
        except Exception as exc:
            peer = _peer(stream)
            log.warning("Closing connection from %s on %s: %s", peer, listener.listener_name, exc)
        finally:
            self.connections -= 1
            with trio.CancelScope(shield=True):
                await stream.aclose()


def _peer(stream: trio.SocketStream) -> str:
    try:
        host, port = stream.socket.getpeername()[:2]
        return f"{host}:{port}"
    except OSError:
        return "?"
