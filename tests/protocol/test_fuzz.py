"""Fuzz the decoders: whatever the bytes, only a decoded message, NEED_DATA or a typed protocol
error may come out (style B7; h11's fuzzing in spirit). Inputs are arbitrary bytes and valid
frames (captured from real clients or generated from the schemas) with mutations."""

from __future__ import annotations

import pathlib
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafka_clone.protocol import (
    NEED_DATA,
    ApiKey,
    ClientConnection,
    InvalidRequestError,
    InvalidResponseError,
    Request,
    Response,
    ServerConnection,
    encode_request,
    encode_response,
)
from kafka_clone.protocol.api_keys import API_REGISTRY

from .strategies import message_strategy

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "protocol"
CAPTURED = [bytes.fromhex(p.read_text().strip()) for p in sorted(DATA.glob("*.hex"))]
SPEC_VERSIONS = [(spec, v) for spec in API_REGISTRY.values() for v in spec.versions]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _drain_server(data: bytes, max_request_size: int = 1 << 16) -> list:
    conn = ServerConnection(max_request_size=max_request_size)
    out = []
    try:
        conn.receive_data(data)
        while (req := conn.next_request()) is not NEED_DATA:
            assert isinstance(req, Request)
            out.append(req)
    except InvalidRequestError:
        out.append("error")
    return out


@st.composite
def valid_request_payloads(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.sampled_from(CAPTURED))
    spec, version = draw(st.sampled_from(SPEC_VERSIONS))
    body = draw(message_strategy(spec.request, version))
    return encode_request(draw(st.integers(0, 2**31 - 1)), "fuzz", spec.api_key, version, body)[4:]


@st.composite
def mutated(draw, payloads) -> bytes:
    data = bytearray(draw(payloads))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[pos]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    _drain_server(data)


@FUZZ
@given(st.binary(max_size=120))
def test_arbitrary_payload_with_a_correct_size_prefix(payload):
    _drain_server(struct.pack(">i", len(payload)) + payload)


@FUZZ
@given(mutated(valid_request_payloads()), st.booleans())
def test_mutated_valid_frames(payload, keep_size):
    size = len(payload) if keep_size else max(len(payload) - 1, 0)
    _drain_server(struct.pack(">i", size) + payload)


@FUZZ
@given(valid_request_payloads())
def test_valid_frames_decode(payload):
    assert _drain_server(struct.pack(">i", len(payload)) + payload)[0] != "error"


@st.composite
def response_case(draw):
    spec, version = draw(st.sampled_from(SPEC_VERSIONS))
    body = draw(message_strategy(spec.response, version))
    frame = encode_response(0, spec.api_key, version, body)
    return spec, version, draw(mutated(st.just(frame[4:])))


@FUZZ
@given(response_case())
def test_client_side_mutated_responses(case):
    spec, version, payload = case
    client = ClientConnection("fuzz")
    # acks=1 so that a Produce is awaited (acks=0, the default, expects no response).
    request = spec.request(acks=1) if spec.api_key == ApiKey.PRODUCE else spec.request()
    client.send_request(spec.api_key, version, request)
    try:
        client.receive_data(struct.pack(">i", len(payload)) + payload)
        resp = client.next_response()
        assert resp is NEED_DATA or isinstance(resp, Response)
    except InvalidResponseError:
        pass
