"""One TCP connection to one broker: the trio adapter around ``protocol.ClientConnection``.

Mirrors what Kafka's ``NetworkClient`` does for a single node (``KafkaChannel`` +
``InFlightRequests``): on connect it exchanges ApiVersions and picks, per API, the highest version
both sides support; then requests are written in order with increasing correlation ids and may be
pipelined; responses come back in request order and are matched to their requests by the sans-IO
``ClientConnection``. Produce with acks=0 gets no response and ``send`` returns None at once.

Concurrency (no background task, so a connection can live anywhere without a nursery):

* Writers hold ``_send_lock``, so a request's correlation id and its bytes go out together.
* Whichever waiting caller finds nobody reading becomes the reader: it reads from the socket and
  hands every complete response to the slot of the request it answers, then wakes all waiters.
  When its own response has arrived (or it is cancelled) it stops reading and another waiter
  takes over. ``receive_some`` is cancel-safe, so a cancelled reader loses no bytes.

Failure handling, as in ``NetworkClient``:

* Refused or broken connections raise ``KafkaConnectionError`` (retriable NETWORK_EXCEPTION) in
  every caller waiting on this connection; the connection is then dead (``closed``).
* ``request.timeout.ms`` expiring closes the connection ("Disconnecting from node ... due to
  request timeout") and raises ``KafkaTimeoutError``; other in-flight requests fail with
  ``KafkaConnectionError``.
* A response we cannot decode, or whose correlation id is not the expected one, closes the
  connection and raises ``InvalidResponseError``.
* A caller cancelled while waiting leaves the connection usable: its response is read and
  dropped. A caller cancelled while *writing* leaves a torn frame, so the connection is closed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import trio

from kafka_clone.protocol import API_REGISTRY, ApiKey, ClientConnection, InvalidResponseError, NEED_DATA
from kafka_clone.protocol.errors import UnsupportedVersion, error_for_code
from kafka_clone.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse

from .errors import KafkaConnectionError, KafkaTimeoutError

__all__ = [
    "BrokerConnection",
    "negotiate_versions",
    "CLIENT_SOFTWARE_NAME",
    "CLIENT_SOFTWARE_VERSION",
    "DEFAULT_CLIENT_ID",
]

#: KIP-511 client software name/version; Kafka checks them against [a-zA-Z0-9.-].
CLIENT_SOFTWARE_NAME = "kafka-clone"
CLIENT_SOFTWARE_VERSION = "0.1.0"
DEFAULT_CLIENT_ID = "kafka-clone"
#: Kafka's ``request.timeout.ms`` and ``socket.connection.setup.timeout.ms`` defaults.
DEFAULT_REQUEST_TIMEOUT_MS = 30000
DEFAULT_CONNECT_TIMEOUT_MS = 10000
_RECEIVE_SIZE = 65536


def negotiate_versions(broker_ranges: Mapping[int, tuple[int, int]]) -> dict[ApiKey, int]:
    """For each API both sides know, the highest version in both ranges (``NodeApiVersions``)."""
    chosen: dict[ApiKey, int] = {}
    for key, spec in API_REGISTRY.items():
        theirs = broker_ranges.get(int(key))
        if theirs is None:
            continue
        lo, hi = max(spec.min_version, theirs[0]), min(spec.max_version, theirs[1])
        if lo <= hi:
            chosen[key] = hi
    return chosen


@attrs.define(eq=False)
class _Slot:
    """Where the reader puts the answer to one request."""

    done: bool = False
    body: Any = None
    error: BaseException | None = None


@attrs.define(eq=False)
class BrokerConnection:
    """A connected, version-negotiated connection to one broker. Build with ``connect``."""

    host: str
    port: int
    node_id: int
    client_id: str | None
    request_timeout_ms: int
    _stream: trio.abc.Stream
    _protocol: ClientConnection
    #: The broker's advertised (min, max) per api key, from ApiVersions.
    broker_versions: dict[int, tuple[int, int]] = attrs.field(factory=dict)
    #: The version we use per API: the highest both sides support.
    versions: dict[ApiKey, int] = attrs.field(factory=dict)
    _send_lock: trio.Lock = attrs.field(factory=trio.Lock)
    _slots: dict[int, _Slot] = attrs.field(factory=dict)
    _reading: bool = False
    _changed: trio.Event = attrs.field(factory=trio.Event)
    _error: BaseException | None = None

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        node_id: int = -1,
        client_id: str | None = DEFAULT_CLIENT_ID,
        request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS,
        connect_timeout_ms: int = DEFAULT_CONNECT_TIMEOUT_MS,
    ) -> BrokerConnection:
        """Open the TCP connection and negotiate API versions.

        Raises ``KafkaConnectionError`` if the broker cannot be reached (or hangs up during the
        handshake) within ``connect_timeout_ms``. Cancelled midway, nothing stays open.
        """
        args = (host, port, node_id, client_id, request_timeout_ms, connect_timeout_ms)
        conn = await cls._open(*args)
        try:
            await conn._negotiate(API_REGISTRY[ApiKey.API_VERSIONS].max_version)
            return conn
        except InvalidResponseError:
            # librdkafka's mock cluster answers an ApiVersions version it does not support with
            # a malformed flexible body instead of KIP-511's v0 body; v0 is understood by every
            # broker since 0.10, so start again there (librdkafka itself falls back to v0 too).
            await trio.aclose_forcefully(conn._stream)
        except BaseException:
            await trio.aclose_forcefully(conn._stream)
            raise
        conn = await cls._open(*args)
        try:
            await conn._negotiate(0)
        except BaseException:
            await trio.aclose_forcefully(conn._stream)
            raise
        return conn

    @classmethod
    async def from_stream(
        cls,
        stream: trio.abc.Stream,
        *,
        host: str = "",
        port: int = 0,
        node_id: int = -1,
        client_id: str | None = DEFAULT_CLIENT_ID,
        request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS,
        api_versions_version: int | None = None,
    ) -> BrokerConnection:
        """A connection over an already open ``stream`` (tests use trio's memory streams).

        Negotiates versions like ``connect`` (ApiVersions at ``api_versions_version``, default
        our maximum); on failure the stream is closed.
        """
        conn = cls(host, port, node_id, client_id, request_timeout_ms, stream, ClientConnection(client_id))
        version = api_versions_version
        if version is None:
            version = API_REGISTRY[ApiKey.API_VERSIONS].max_version
        try:
            await conn._negotiate(version)
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
        return conn

    @classmethod
    async def _open(
        cls, host: str, port: int, node_id: int, client_id: str | None, request_timeout_ms: int,
        connect_timeout_ms: int,
    ) -> BrokerConnection:
        where = f"node {node_id} ({host}:{port})"
        try:
            with trio.fail_after(connect_timeout_ms / 1000):
                stream = await trio.open_tcp_stream(host, port)
        except (OSError, trio.TooSlowError) as exc:
            raise KafkaConnectionError(
                f"Connection to {where} could not be established. Broker may not be available. ({exc or 'timed out'})"
            ) from None
        return cls(host, port, node_id, client_id, request_timeout_ms, stream, ClientConnection(client_id))

    async def __aenter__(self) -> BrokerConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._error is not None

    def __str__(self) -> str:
        return f"node {self.node_id} ({self.host}:{self.port})"

    def version_for(self, api_key: int) -> int:
        """The negotiated version of ``api_key``; ``UnsupportedVersion`` if there is none."""
        try:
            return self.versions[ApiKey(api_key)]
        except (KeyError, ValueError):
            raise UnsupportedVersion(
                f"The broker {self} does not support {_api_name(api_key)} in a version we speak"
            ) from None

    def supports(self, api_key: int) -> bool:
        return ApiKey(api_key) in self.versions

    async def send(
        self, api_key: int, version: int | None, message: Any, *, timeout_ms: int | None = None
    ) -> Any:
        """Send ``message`` and return the response body (None for a Produce with acks=0).

        ``version=None`` uses the negotiated version. ``timeout_ms`` defaults to
        ``request.timeout.ms`` (0 or less: no limit); when it passes the connection is closed and
        ``KafkaTimeoutError`` raised. If cancelled while waiting for the answer the connection
        stays usable (the answer is dropped when it arrives); cancelled while writing, it is closed.
        """
        if version is None:
            version = self.version_for(api_key)
        timeout = (self.request_timeout_ms if timeout_ms is None else timeout_ms) / 1000
        try:
            with trio.fail_after(timeout if timeout > 0 else math.inf):
                return await self._round_trip(api_key, version, message)
        except trio.TooSlowError:
            self._fail(KafkaConnectionError(f"Disconnecting from {self} due to request timeout"))
            await trio.aclose_forcefully(self._stream)
            raise KafkaTimeoutError(
                f"{_api_name(api_key)} request to {self} timed out after {int(timeout * 1000)} ms"
            ) from None

    async def aclose(self) -> None:
        """Close the connection; callers still waiting get ``KafkaConnectionError``."""
        if self._error is None:
            self._fail(KafkaConnectionError(f"Connection to {self} was closed by the client"))
        await trio.aclose_forcefully(self._stream)

    # ---- internals ------------------------------------------------------------------------------

    async def _negotiate(self, version: int) -> None:
        request = ApiVersionsRequest(
            client_software_name=CLIENT_SOFTWARE_NAME, client_software_version=CLIENT_SOFTWARE_VERSION
        )
        response: ApiVersionsResponse = await self.send(ApiKey.API_VERSIONS, version, request)
        if response.error_code == UnsupportedVersion.code:
            # KIP-511: the broker answered at v0 with its own ApiVersions range; retry within it
            # (or at v0 if it gave none), as the Java client does.
            theirs = [k.max_version for k in response.api_keys if k.api_key == ApiKey.API_VERSIONS]
            version = min(theirs[0], version - 1) if theirs else 0
            response = await self.send(ApiKey.API_VERSIONS, version, request)
        if response.error_code != 0:
            raise error_for_code(response.error_code)(f"ApiVersions to {self} failed")
        self.broker_versions = {k.api_key: (k.min_version, k.max_version) for k in response.api_keys}
        self.versions = negotiate_versions(self.broker_versions)

    async def _round_trip(self, api_key: int, version: int, message: Any) -> Any:
        if self._error is not None:
            raise _fresh(self._error)
        async with self._send_lock:
            if self._error is not None:
                raise _fresh(self._error)
            correlation_id, data = self._protocol.send_request(api_key, version, message)
            expects_response = not (api_key == ApiKey.PRODUCE and message.acks == 0)
            slot = _Slot()
            if expects_response:
                self._slots[correlation_id] = slot
            try:
                await self._stream.send_all(data)
            except BaseException as exc:
                # A partly written frame cannot be recalled: the stream is unusable.
                self._fail(_as_connection_error(exc, self))
                await trio.aclose_forcefully(self._stream)
                if isinstance(exc, (trio.BrokenResourceError, trio.ClosedResourceError, OSError)):
                    raise _fresh(self._error) from None
                raise
        if not expects_response:
            return None
        await self._wait_for(slot)
        if slot.error is not None:
            raise _fresh(slot.error)
        return slot.body

    async def _wait_for(self, slot: _Slot) -> None:
        while not slot.done:
            if self._reading:
                await self._changed.wait()
                continue
            self._reading = True
            try:
                while not slot.done:
                    await self._read_once()
            finally:
                self._reading = False
                self._notify()

    async def _read_once(self) -> None:
        try:
            data = await self._stream.receive_some(_RECEIVE_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._fail(_as_connection_error(exc, self))
            return
        if not data:
            self._fail(KafkaConnectionError(f"Connection to {self} was closed by the broker"))
            await trio.aclose_forcefully(self._stream)
            return
        try:
            self._protocol.receive_data(data)
            while (response := self._protocol.next_response()) is not NEED_DATA:
                answered = self._slots.pop(response.correlation_id, None)
                if answered is not None:
                    answered.body = response.body
                    answered.done = True
        except InvalidResponseError as exc:
            self._fail(InvalidResponseError(f"{exc} from {self}"))
            await trio.aclose_forcefully(self._stream)
        self._notify()

    def _fail(self, error: BaseException) -> None:
        """Mark the connection dead and hand ``error`` to every request still waiting."""
        if self._error is None:
            self._error = error
        for slot in self._slots.values():
            slot.error = error
            slot.done = True
        self._slots.clear()
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, trio.Event()
        changed.set()


def _fresh(error: BaseException) -> BaseException:
    """A new instance of a failure shared by several callers, so each raise has its own traceback."""
    return type(error)(*error.args)


def _as_connection_error(exc: BaseException, conn: BrokerConnection) -> KafkaConnectionError:
    if isinstance(exc, KafkaConnectionError):
        return exc
    detail = f": {exc}" if isinstance(exc, OSError) else ""
    return KafkaConnectionError(f"Connection to {conn} was lost{detail}")


def _api_name(api_key: int) -> str:
    try:
        return API_REGISTRY[ApiKey(api_key)].name
    except (KeyError, ValueError):
        return f"api key {api_key}"
