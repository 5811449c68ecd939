"""The client side of a connection, sans-IO: requests out, ``Response`` objects in.

For our own trio client (controller channel, replica fetcher, CLI). Mirrors the bookkeeping of
Kafka's ``NetworkClient``/``InFlightRequests``: correlation ids are assigned in order, a response
is decoded with the api key and version of the oldest in-flight request, and a correlation id
that does not match it is a fault (``InvalidResponseError``). Produce with acks=0 is not put in
flight, because the broker sends no response to it.

Bytes after the end of a response body are ignored, as the Java client does.

KIP-511: if an ApiVersions response carries a non-zero error code, it is decoded as v0, which
is how the broker answers a version it does not support (kafka-python does the same).
"""

from __future__ import annotations

import collections
import struct as _struct
from typing import Any

import attrs

from .api_keys import ApiKey, api_spec, response_header_version
from .codec import DecodeError, decode_message
from .errors import InvalidRequestError, InvalidResponseError
from .framing import DEFAULT_MAX_REQUEST_SIZE, NEED_DATA, FrameBuffer, _NeedData, encode_request
from .headers import decode_response_header

__all__ = ["Response", "ClientConnection", "decode_response"]

_I16 = _struct.Struct(">h")


@attrs.frozen
class Response:
    """One decoded response, matched to the request that asked for it."""

    correlation_id: int
    api_key: ApiKey
    api_version: int
    body: Any
    #: Frame size in bytes, without the 4-byte size prefix.
    size: int


@attrs.frozen
class _InFlight:
    correlation_id: int
    api_key: ApiKey
    api_version: int


def decode_response(payload: bytes, api_key: int, version: int) -> Response:
    """Decode one response frame (without its size prefix) for a request of (api_key, version)."""
    spec = api_spec(api_key)
    if spec is None:
        raise ValueError(f"unknown api key {api_key}")
    view = memoryview(payload)
    try:
        header, pos = decode_response_header(view, response_header_version(api_key, version))
        if spec.api_key == ApiKey.API_VERSIONS and version > 0:
            # KIP-511: an error answer (e.g. UNSUPPORTED_VERSION) is always a v0 body.
            if len(view) >= pos + 2 and _I16.unpack_from(view, pos)[0] != 0:
                version = 0
        # Bytes after the body are ignored, as Kafka's clients do (librdkafka's mock cluster
        # sends one extra byte after Metadata v11).
        body, _ = decode_message(spec.response, view, version, pos, exact=False)
    except DecodeError as exc:
        raise InvalidResponseError(f"malformed {spec.name} v{version} response: {exc}") from None
    return Response(header.correlation_id, spec.api_key, version, body, len(payload))


class ClientConnection:
    """Our side of a connection to a broker. Owns no socket."""

    def __init__(
        self,
        client_id: str | None,
        *,
        max_response_size: int = DEFAULT_MAX_REQUEST_SIZE,
        first_correlation_id: int = 0,
    ) -> None:
        self.client_id = client_id
        self._next_correlation_id = first_correlation_id
        self._in_flight: collections.deque[_InFlight] = collections.deque()
        self._frames = FrameBuffer(max_response_size)

    def send_request(self, api_key: int, version: int, body: Any) -> tuple[int, bytes]:
        """``(correlation_id, frame_bytes)`` for a request; the caller sends the bytes."""
        key = ApiKey(api_key)
        correlation_id = self._next_correlation_id
        self._next_correlation_id = (correlation_id + 1) & 0x7FFFFFFF
        data = encode_request(correlation_id, self.client_id, key, version, body)
        if not (key == ApiKey.PRODUCE and body.acks == 0):
            self._in_flight.append(_InFlight(correlation_id, key, version))
        return correlation_id, data

    @property
    def in_flight(self) -> int:
        """Requests sent whose responses have not been returned yet."""
        return len(self._in_flight)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._frames.receive_data(data)
        except InvalidRequestError as exc:
            raise InvalidResponseError(str(exc)) from None

    def next_response(self) -> Response | _NeedData:
        try:
            frame = self._frames.next_frame()
        except InvalidRequestError as exc:
            raise InvalidResponseError(str(exc)) from None
        if frame is None:
            return NEED_DATA
        if not self._in_flight:
            raise InvalidResponseError("response received with no request in flight")
        expected = self._in_flight.popleft()
        response = decode_response(frame, expected.api_key, expected.api_version)
        if response.correlation_id != expected.correlation_id:
            raise InvalidResponseError(
                f"correlation id {response.correlation_id} does not match the expected "
                f"{expected.correlation_id} ({expected.api_key.name})"
            )
        return response
