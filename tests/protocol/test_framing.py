"""The h11-style connection objects: framing, limits, protocol faults, a back-to-back pair."""

from __future__ import annotations

import struct

import pytest

from kafka_clone.protocol import (
    NEED_DATA,
    ApiKey,
    ClientConnection,
    FrameTooLarge,
    InvalidRequestError,
    InvalidResponseError,
    ServerConnection,
    api_versions_response,
    decode_response,
    encode_request,
    encode_response,
)
from kafka_clone.protocol.messages.api_versions import ApiVersionsRequest
from kafka_clone.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
)
from kafka_clone.protocol.messages.produce import ProduceRequest, ProduceResponse


def _metadata_frame(correlation_id: int) -> bytes:
    return encode_request(correlation_id, "c", ApiKey.METADATA, 9, MetadataRequest(topics=None))


def test_pipelined_frames_delivered_one_byte_at_a_time():
    data = _metadata_frame(1) + _metadata_frame(2)
    conn = ServerConnection()
    got = []
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])
        while (req := conn.next_request()) is not NEED_DATA:
            got.append(req.correlation_id)
    assert got == [1, 2]
    assert conn.buffered == 0


def test_oversized_frame_is_refused_from_its_prefix_alone():
    conn = ServerConnection(max_request_size=100)
    conn.receive_data(b"\x00\x00")
    with pytest.raises(FrameTooLarge) as info:
        conn.receive_data(b"\x00\x65")  # 101: only the 4 prefix bytes have arrived
    assert info.value.size == 101 and info.value.max_size == 100
    # The connection is dead: every later call raises the same error.
    with pytest.raises(FrameTooLarge):
        conn.next_request()
    with pytest.raises(FrameTooLarge):
        conn.receive_data(b"x")


def test_frame_at_the_limit_is_accepted():
    frame = _metadata_frame(1)
    conn = ServerConnection(max_request_size=len(frame) - 4)
    conn.receive_data(frame)
    assert conn.next_request().api_key == ApiKey.METADATA


def test_negative_size_is_a_protocol_fault():
    conn = ServerConnection()
    with pytest.raises(InvalidRequestError):
        conn.receive_data(b"\xff\xff\xff\xfe")


@pytest.mark.parametrize(
    "payload",
    [
        "00630000" "00000001" "0000",  # unknown api key 99
        "00000002" "00000001" "0000",  # Produce v2: below our minimum (magic 2 only)
        "0001000d" "00000001" "0000",  # Fetch v13: topic ids, not supported
        "0003",  # shorter than a header
        "0003000900000001",  # Metadata v9 with the header cut short
    ],
)
def test_unknown_or_unsupported_requests_are_protocol_faults(payload):
    payload = bytes.fromhex(payload)
    conn = ServerConnection()
    conn.receive_data(struct.pack(">i", len(payload)) + payload)
    with pytest.raises(InvalidRequestError):
        conn.next_request()


def test_produce_with_acks_0_expects_no_response():
    body = ProduceRequest(acks=0, timeout_ms=1)
    conn = ServerConnection()
    conn.receive_data(encode_request(1, "c", ApiKey.PRODUCE, 7, body))
    req = conn.next_request()
    assert not req.expects_response
    conn.receive_data(encode_request(2, "c", ApiKey.PRODUCE, 7, ProduceRequest(acks=1)))
    assert conn.next_request().expects_response


def _serve(server: ServerConnection, data: bytes) -> bytes:
    """A tiny broker: answers ApiVersions and Metadata, swallows acks=0 Produce."""
    server.receive_data(data)
    out = b""
    while (req := server.next_request()) is not NEED_DATA:
        if not req.expects_response:
            continue
        if req.api_key == ApiKey.API_VERSIONS:
            body = api_versions_response(req.api_version)
        elif req.api_key == ApiKey.METADATA:
            body = MetadataResponse(
                brokers=(MetadataResponseBroker(node_id=1, host="h", port=9092),), controller_id=1
            )
        else:
            body = ProduceResponse()
        out += encode_response(req.correlation_id, req.api_key, req.response_version, body)
    return out


def test_client_and_server_back_to_back():
    client = ClientConnection("me")
    server = ServerConnection()
    sent = b""
    for api_key, version, body in [
        (ApiKey.API_VERSIONS, 3, ApiVersionsRequest(client_software_name="x", client_software_version="1")),
        (ApiKey.PRODUCE, 9, ProduceRequest(acks=0)),
        (ApiKey.METADATA, 11, MetadataRequest(topics=None)),
        (ApiKey.PRODUCE, 8, ProduceRequest(acks=1)),
    ]:
        sent += client.send_request(api_key, version, body)[1]
    assert client.in_flight == 3  # the acks=0 Produce is not awaited
    reply = _serve(server, sent)
    client.receive_data(reply)
    got = []
    while (resp := client.next_response()) is not NEED_DATA:
        got.append((resp.correlation_id, resp.api_key, resp.api_version))
    assert got == [(0, ApiKey.API_VERSIONS, 3), (2, ApiKey.METADATA, 11), (3, ApiKey.PRODUCE, 8)]
    assert client.in_flight == 0


def test_client_reads_the_kip_511_answer_as_v0():
    # What a broker sends for an ApiVersions version it does not know: a v0 error body.
    frame = encode_response(0, ApiKey.API_VERSIONS, 0, api_versions_response(99))
    client = ClientConnection("me")
    client.send_request(ApiKey.API_VERSIONS, 3, ApiVersionsRequest())
    client.receive_data(frame)
    resp = client.next_response()
    assert resp.api_version == 0 and resp.body.error_code == 35
    assert [(k.api_key, k.max_version) for k in resp.body.api_keys] == [(18, 3)]
    assert decode_response(frame[4:], ApiKey.API_VERSIONS, 3).body == resp.body


def test_client_rejects_unexpected_correlation_ids():
    client = ClientConnection("me")
    client.send_request(ApiKey.METADATA, 1, MetadataRequest())
    client.receive_data(encode_response(42, ApiKey.METADATA, 1, MetadataResponse()))
    with pytest.raises(InvalidResponseError):
        client.next_response()
    stray = ClientConnection("me")
    stray.receive_data(encode_response(0, ApiKey.METADATA, 1, MetadataResponse()))
    with pytest.raises(InvalidResponseError):
        stray.next_response()
