"""BrokerConnection over trio memory streams: negotiation, pipelining, timeouts and faults.

The broker side is the real sans-IO ``ServerConnection`` driven by a scripted handler, so these
tests are deterministic (no sockets, MockClock where time matters).
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

from kafka_clone.client import BrokerConnection, KafkaConnectionError, KafkaTimeoutError, negotiate_versions
from kafka_clone.protocol import (
    ApiKey,
    InvalidResponseError,
    NEED_DATA,
    Request,
    ServerConnection,
    api_versions_response,
    encode_response,
)
from kafka_clone.protocol.messages.api_versions import ApiVersion, ApiVersionsResponse
from kafka_clone.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic, MetadataResponse
from kafka_clone.protocol.messages.produce import ProduceRequest

Handler = Callable[[Request], Awaitable[Any]]


async def _peer(stream: trio.abc.Stream, handler: Handler, seen: list[Request]) -> None:
    """The broker: decode requests, answer each with ``handler``'s body (None = no answer)."""
    conn = ServerConnection()
    async with stream:
        while True:
            try:
                data = await stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            if not data:
                return
            conn.receive_data(data)
            while (req := conn.next_request()) is not NEED_DATA:
                seen.append(req)
                if req.api_key == ApiKey.API_VERSIONS:
                    body = api_versions_response(req.api_version)
                    await stream.send_all(encode_response(req.correlation_id, req.api_key, req.response_version, body))
                    continue
                answer = await handler(req)
                if isinstance(answer, bytes):
                    await stream.send_all(answer)
                elif answer is not None and req.expects_response:
                    await stream.send_all(encode_response(req.correlation_id, req.api_key, req.api_version, answer))


async def _connect(nursery: trio.Nursery, handler: Handler, **kwargs: Any) -> tuple[BrokerConnection, list[Request]]:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    seen: list[Request] = []
    nursery.start_soon(_peer, server_stream, handler, seen)
    conn = await BrokerConnection.from_stream(client_stream, node_id=1, **kwargs)
    return conn, seen


def _metadata_answer(req: Request) -> MetadataResponse:
    # Echo the asked topic name as the cluster id, so each caller can check its own answer.
    return MetadataResponse(cluster_id=req.body.topics[0].name, controller_id=1)


def _ask(name: str) -> MetadataRequest:
    return MetadataRequest(topics=(MetadataRequestTopic(name=name),))


def test_negotiate_versions_picks_the_highest_common_version() -> None:
    chosen = negotiate_versions({0: (0, 10), 1: (5, 16), 2: (7, 9), 3: (0, 13), 18: (0, 2), 999: (0, 1)})
    assert chosen[ApiKey.PRODUCE] == 9  # ours 3-9
    assert chosen[ApiKey.FETCH] == 12  # ours 4-12
    assert chosen[ApiKey.METADATA] == 11
    assert chosen[ApiKey.API_VERSIONS] == 2
    assert ApiKey.LIST_OFFSETS not in chosen  # 7-9 vs ours 1-6: no common version
    assert ApiKey.CREATE_TOPICS not in chosen  # not advertised


async def test_connect_negotiates_and_uses_the_negotiated_version(nursery: trio.Nursery) -> None:
    async def handler(req: Request) -> Any:
        return _metadata_answer(req)

    conn, seen = await _connect(nursery, handler)
    assert conn.version_for(ApiKey.METADATA) == 11
    response = await conn.send(ApiKey.METADATA, None, _ask("a"))
    assert response.cluster_id == "a"
    assert [(r.api_key, r.api_version) for r in seen] == [(ApiKey.API_VERSIONS, 3), (ApiKey.METADATA, 11)]
    assert seen[0].body.client_software_name == "kafka-clone"
    await conn.aclose()


async def test_kip511_unsupported_api_versions_version_is_retried_lower(nursery: trio.Nursery) -> None:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    versions: list[int] = []

    async def old_broker() -> None:
        # A broker whose ApiVersions stops at v2 answers v3 with UNSUPPORTED_VERSION at v0.
        conn = ServerConnection()
        while True:
            data = await server_stream.receive_some(65536)
            if not data:
                return
            conn.receive_data(data)
            while (req := conn.next_request()) is not NEED_DATA:
                versions.append(req.api_version)
                if req.api_version > 2:
                    body = ApiVersionsResponse(error_code=35, api_keys=(ApiVersion(api_key=18, min_version=0, max_version=2),))
                    await server_stream.send_all(encode_response(req.correlation_id, 18, 0, body))
                else:
                    body = ApiVersionsResponse(api_keys=(ApiVersion(api_key=18, min_version=0, max_version=2),
                                                         ApiVersion(api_key=3, min_version=0, max_version=8)))
                    await server_stream.send_all(encode_response(req.correlation_id, 18, req.api_version, body))

    nursery.start_soon(old_broker)
    conn = await BrokerConnection.from_stream(client_stream)
    assert versions == [3, 2]
    assert conn.versions == {ApiKey.API_VERSIONS: 2, ApiKey.METADATA: 8}
    with pytest.raises(Exception, match="does not support Produce"):
        conn.version_for(ApiKey.PRODUCE)


async def test_requests_are_pipelined_and_answers_matched_in_order(nursery: trio.Nursery) -> None:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    arrived: list[Request] = []

    async def pipelining_broker() -> None:
        # Answers nothing until all five Metadata requests are in: proves they were written
        # without waiting for answers; then answers them in order.
        conn = ServerConnection()
        while len(arrived) < 5:
            conn.receive_data(await server_stream.receive_some(65536))
            while (req := conn.next_request()) is not NEED_DATA:
                if req.api_key == ApiKey.API_VERSIONS:
                    body = api_versions_response(req.api_version)
                    await server_stream.send_all(encode_response(req.correlation_id, 18, req.api_version, body))
                else:
                    arrived.append(req)
        for req in arrived:
            await server_stream.send_all(encode_response(req.correlation_id, 3, req.api_version, _metadata_answer(req)))

    nursery.start_soon(pipelining_broker)
    conn = await BrokerConnection.from_stream(client_stream)
    answers: dict[str, str] = {}

    async def ask(name: str) -> None:
        answers[name] = (await conn.send(ApiKey.METADATA, None, _ask(name))).cluster_id

    async with trio.open_nursery() as inner:
        for i in range(5):
            inner.start_soon(ask, f"topic-{i}")
    assert answers == {f"topic-{i}": f"topic-{i}" for i in range(5)}
    ids = [r.correlation_id for r in arrived]
    assert ids == sorted(ids) and len(set(ids)) == 5


async def test_produce_with_acks_0_returns_none_without_waiting(nursery: trio.Nursery) -> None:
    async def handler(req: Request) -> Any:
        return _metadata_answer(req) if req.api_key == ApiKey.METADATA else None

    conn, seen = await _connect(nursery, handler)
    assert await conn.send(ApiKey.PRODUCE, None, ProduceRequest(acks=0, timeout_ms=1000)) is None
    assert (await conn.send(ApiKey.METADATA, None, _ask("after"))).cluster_id == "after"
    assert [r.api_key for r in seen] == [ApiKey.API_VERSIONS, ApiKey.PRODUCE, ApiKey.METADATA]


async def test_wrong_correlation_id_closes_and_raises(nursery: trio.Nursery) -> None:
    async def handler(req: Request) -> Any:
        return encode_response(req.correlation_id + 7, req.api_key, req.api_version, _metadata_answer(req))

    conn, _ = await _connect(nursery, handler)
    with pytest.raises(InvalidResponseError, match="correlation id"):
        await conn.send(ApiKey.METADATA, None, _ask("x"))
    assert conn.closed
    with pytest.raises(InvalidResponseError):
        await conn.send(ApiKey.METADATA, None, _ask("y"))


async def test_request_timeout_closes_the_connection(nursery: trio.Nursery, autojump_clock: trio.testing.MockClock) -> None:
    async def handler(req: Request) -> Any:
        await trio.sleep_forever()

    conn, _ = await _connect(nursery, handler, request_timeout_ms=30000)
    start = trio.current_time()
    with pytest.raises(KafkaTimeoutError, match="timed out after 30000 ms"):
        await conn.send(ApiKey.METADATA, None, _ask("x"))
    assert trio.current_time() - start == pytest.approx(30)
    assert conn.closed
    with pytest.raises(KafkaConnectionError, match="request timeout"):
        await conn.send(ApiKey.METADATA, None, _ask("y"))


async def test_peer_closing_fails_waiting_requests(nursery: trio.Nursery) -> None:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    seen: list[Request] = []

    async def handler(req: Request) -> Any:
        await server_stream.aclose()
        return None

    nursery.start_soon(_peer, server_stream, handler, seen)
    conn = await BrokerConnection.from_stream(client_stream)
    with pytest.raises(KafkaConnectionError, match="closed by the broker"):
        await conn.send(ApiKey.METADATA, None, _ask("x"))
    assert conn.closed
    assert KafkaConnectionError.retriable


async def test_cancelled_waiter_leaves_the_connection_usable(nursery: trio.Nursery) -> None:
    release = trio.Event()

    async def handler(req: Request) -> Any:
        if req.body.topics[0].name == "slow":
            await release.wait()
        return _metadata_answer(req)

    conn, _ = await _connect(nursery, handler)
    with trio.move_on_after(0.05):
        await conn.send(ApiKey.METADATA, None, _ask("slow"))
    release.set()
    # The late answer to "slow" is read and dropped; the next caller gets its own answer.
    assert (await conn.send(ApiKey.METADATA, None, _ask("next"))).cluster_id == "next"
    assert not conn.closed


async def test_connection_refused_is_a_retriable_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KafkaConnectionError, match="could not be established") as info:
        await BrokerConnection.connect("127.0.0.1", port, node_id=3)
    assert info.value.retriable and info.value.code == 13
