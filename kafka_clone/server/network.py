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
import os
import socket
from typing import Any, Awaitable, Callable, Mapping

import attrs
import trio

from kafka_clone.protocol import NEED_DATA, InvalidRequestError, Request, ServerConnection, encode_response_parts
from kafka_clone.server.config import Listener

log = logging.getLogger(__name__)

ConnectionHandler = Callable[[trio.SocketStream, Listener], Awaitable[None]]

class CloseConnection(Exception):
    """A handler's way to drop the connection without answering (Produce acks=0 errors)."""


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


# -- the Kafka request loop of one connection ----------------------------------------------------


async def send_parts(stream: trio.SocketStream, parts: list) -> None:
    """Send a response's parts in order: bytes with `send_all`, log data with `os.sendfile`.

    Record data read from a segment (`FileRecords`: fd, position, length) goes from the page
    cache to the socket without entering Python (design §5, zero copy).
    """
    pending: list[bytes | memoryview] = []
    for part in parts:
        if isinstance(part, (bytes, bytearray, memoryview)):
            pending.append(part)
            continue
        if pending:
            await stream.send_all(b"".join(pending))
            pending = []
        await _sendfile(stream, part.fd, part.position, part.length)
    if pending:
        await stream.send_all(b"".join(pending) if len(pending) > 1 else pending[0])


async def _sendfile(stream: trio.SocketStream, in_fd: int, position: int, length: int) -> None:
    sock = stream.socket
    out_fd = sock.fileno()
    end = position + length
    while position < end:
        await trio.lowlevel.checkpoint_if_cancelled()
        try:
            sent = os.sendfile(out_fd, in_fd, position, end - position)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)
            continue
        if sent == 0:
            # The file is shorter than promised (a segment truncated under us): the frame can no
            # longer be completed, so the connection must go.
            raise OSError(f"sendfile: file ended {end - position} bytes early")
        position += sent


@attrs.define(eq=False)
class KafkaRequestLoop:
    """One connection's request loop: Kafka's muting, so responses leave in request order.

    Read a request, handle it, send its response, then read the next (Kafka mutes a channel from
    a request's arrival until its response is sent).  Pipelined requests simply wait in the
    receive buffer.  A frame over `socket.request.max.bytes` is refused from its size prefix,
    before its body is buffered; a malformed frame or an API we do not know closes the connection
    with one log line (Kafka closes without answering); a connection idle for
    `connections.max.idle.ms` is closed.
    """

    handlers: Mapping[int, Callable[[Any], Awaitable[Any]]]
    make_context: Callable[[Request, Listener, str], Any]
    max_request_size: int
    idle_timeout_s: float
    receive_size: int = 256 * 1024

    async def __call__(self, stream: trio.SocketStream, listener: Listener) -> None:
        conn = ServerConnection(max_request_size=self.max_request_size)
        peer = _peer(stream)
        try:
            while True:
                request = conn.next_request()
                if request is NEED_DATA:
                    with trio.move_on_after(self.idle_timeout_s) as idle:
                        data = await stream.receive_some(self.receive_size)
                    if idle.cancelled_caught:
                        log.debug("Closing idle connection from %s", peer)
                        return
                    if not data:
                        return
                    conn.receive_data(data)
                    continue
                handler = self.handlers.get(request.api_key)
                if handler is None:
                    log.warning("Closing connection from %s: no handler for %s v%d", peer,
                                request.api_key.name, request.api_version)
                    return
                body = await handler(self.make_context(request, listener, peer))
                if body is None or not request.expects_response:
                    continue
                await send_parts(stream, encode_response_parts(
                    request.correlation_id, request.api_key, request.response_version, body))
        except InvalidRequestError as exc:
            log.warning("Closing connection from %s on %s: %s", peer, listener.listener_name, exc)
        except CloseConnection as exc:
            log.info("Closing connection from %s: %s", peer, exc)
        except (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionError):
            pass
