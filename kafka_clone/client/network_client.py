"""Connections to a whole cluster plus its metadata: Kafka's ``NetworkClient`` and ``Metadata``.

``KafkaClient`` keeps at most one ``BrokerConnection`` per broker, opened lazily: to a node id
(address taken from the latest metadata) or to "any" broker (an open connection if there is one,
else the known brokers, else the bootstrap list, in order, like ``leastLoadedNode``). Metadata is
held as an immutable ``ClusterMetadata`` snapshot swapped by reference on every refresh.

The admin client, the producer and the consumer each own one ``KafkaClient``; close it (or use
``async with``) to close every connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
import trio

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic

from .connection import DEFAULT_CLIENT_ID, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, BrokerConnection
from .errors import KafkaConnectionError
from .metadata import ClusterMetadata, parse_bootstrap_servers

__all__ = ["KafkaClient", "DEFAULT_RETRY_BACKOFF_MS", "run_concurrently"]

#: Kafka's ``retry.backoff.ms`` default.
DEFAULT_RETRY_BACKOFF_MS = 100


@attrs.define(eq=False)
class KafkaClient:
    """Connections by node id, bootstrap, and the latest cluster metadata snapshot."""

    bootstrap_servers: tuple[tuple[str, int], ...]
    client_id: str | None = DEFAULT_CLIENT_ID
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS
    connect_timeout_ms: int = DEFAULT_CONNECT_TIMEOUT_MS
    retry_backoff_ms: int = DEFAULT_RETRY_BACKOFF_MS
    #: The latest metadata, None until the first refresh.
    cluster: ClusterMetadata | None = None
    _connections: dict[int, BrokerConnection] = attrs.field(factory=dict)
    _locks: dict[int, trio.Lock] = attrs.field(factory=dict)

    @classmethod
    def create(cls, bootstrap_servers: str | Iterable[str], **kwargs: Any) -> KafkaClient:
        """``bootstrap_servers`` as Kafka's ``bootstrap.servers`` ("host:port,host:port")."""
        return cls(parse_bootstrap_servers(bootstrap_servers), **kwargs)

    async def __aenter__(self) -> KafkaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection (also when cancelled)."""
        connections = list(self._connections.values())
        self._connections.clear()
        # Closing sockets never blocks; shielded so a cancelled caller still closes them all.
        with trio.CancelScope(shield=True):
            for conn in connections:
                await conn.aclose()
        await trio.lowlevel.checkpoint()

    async def backoff(self) -> None:
        """Pause ``retry.backoff.ms`` before retrying a retriable error, as Kafka's clients do.

        This is Kafka's rate limit on retries, not a wait for a condition: the retry itself
        re-reads metadata to find out whether the condition holds.
        """
        await trio.sleep(self.retry_backoff_ms / 1000)

    async def connection(self, node_id: int) -> BrokerConnection:
        """The open connection to broker ``node_id``, connecting if needed.

        The address comes from the latest metadata (refreshed once if the node is unknown).
        Raises ``KafkaConnectionError`` if the node is unknown or unreachable.
        """
        conn = self._connections.get(node_id)
        if conn is not None and not conn.closed:
            await trio.lowlevel.checkpoint()
            return conn
        lock = self._locks.setdefault(node_id, trio.Lock())
        async with lock:
            conn = self._connections.get(node_id)
            if conn is not None and not conn.closed:
                return conn
            node = self.cluster.broker(node_id) if self.cluster is not None else None
            if node is None:
                await self.refresh_metadata(())
                node = self.cluster.broker(node_id) if self.cluster is not None else None
            if node is None:
                raise KafkaConnectionError(f"Broker {node_id} is not in the cluster metadata")
            conn = await self._connect(node.host, node.port, node_id)
            self._connections[node_id] = conn
            return conn

    async def any_connection(self) -> BrokerConnection:
        """A connection to some broker: an open one, else the first reachable known or bootstrap one."""
        for conn in self._connections.values():
            if not conn.closed:
                await trio.lowlevel.checkpoint()
                return conn
        candidates: list[tuple[str, int, int]] = []
        if self.cluster is not None:
            candidates += [(b.host, b.port, b.node_id) for b in self.cluster.brokers]
        candidates += [(host, port, -1 - i) for i, (host, port) in enumerate(self.bootstrap_servers)]
        last_error: KafkaConnectionError | None = None
        for host, port, node_id in candidates:
            try:
                conn = await self._connect(host, port, node_id)
            except KafkaConnectionError as exc:
                last_error = exc
                continue
            self._connections[node_id] = conn
            return conn
        assert last_error is not None
        raise last_error

    async def send(
        self, node_id: int, api_key: int, message: Any, *, version: int | None = None, timeout_ms: int | None = None
    ) -> Any:
        """Send to broker ``node_id`` (see ``BrokerConnection.send``)."""
        conn = await self.connection(node_id)
        return await conn.send(api_key, version, message, timeout_ms=timeout_ms)

    async def send_any(
        self, api_key: int, message: Any, *, version: int | None = None, timeout_ms: int | None = None
    ) -> Any:
        """Send to any broker (Kafka's "least loaded node"); a dead connection is replaced once."""
        for attempt in (1, 2):
            conn = await self.any_connection()
            try:
                return await conn.send(api_key, version, message, timeout_ms=timeout_ms)
            except KafkaConnectionError:
                # The cached connection's broker went away: try another broker once.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def refresh_metadata(
        self, topics: Sequence[str] | None = None, *, allow_auto_topic_creation: bool = False
    ) -> ClusterMetadata:
        """Fetch metadata (for ``topics``, or all topics when None) and swap in the new snapshot.

        A refresh for some topics keeps what the previous snapshot knew about the others.
        """
        request = MetadataRequest(
            topics=None if topics is None else tuple(MetadataRequestTopic(name=t) for t in topics),
            allow_auto_topic_creation=allow_auto_topic_creation,
        )
        conn = await self.any_connection()
        if topics is None and conn.version_for(ApiKey.METADATA) == 0:
            # Metadata v0 has no null: an empty list means all topics.
            request = attrs.evolve(request, topics=())
        try:
            response = await conn.send(ApiKey.METADATA, None, request)
        except KafkaConnectionError:
            # That broker went away (a cached connection); ask another one, once.
            conn = await self.any_connection()
            response = await conn.send(ApiKey.METADATA, None, request)
        snapshot = ClusterMetadata.from_response(response)
        if topics is not None and self.cluster is not None:
            snapshot = self.cluster.merge(snapshot)
        self.cluster = snapshot
        return snapshot

    async def _connect(self, host: str, port: int, node_id: int) -> BrokerConnection:
        return await BrokerConnection.connect(
            host,
            port,
            node_id=node_id,
            client_id=self.client_id,
            request_timeout_ms=self.request_timeout_ms,
            connect_timeout_ms=self.connect_timeout_ms,
        )


async def run_concurrently(calls: Iterable[tuple[Callable[..., Awaitable[Any]], tuple[Any, ...]]]) -> None:
    """Run ``fn(*args)`` for every call at once (one request per broker) and wait for all.

    A failure is re-raised as the plain typed error (the first one), not as the nursery's
    ``ExceptionGroup``, so callers can ``except KafkaError`` as with a single request.
    Cancellation still propagates as trio delivers it.
    """
    try:
        async with trio.open_nursery() as nursery:
            for fn, args in calls:
                nursery.start_soon(fn, *args)
    except BaseExceptionGroup as group:
        leaves = list(_leaves(group))
        if leaves and all(isinstance(e, Exception) for e in leaves):
            raise leaves[0] from None
        raise


def _leaves(group: BaseExceptionGroup) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc
