"""Request and response headers: Kafka's ``RequestHeader.json``/``ResponseHeader.json``.

Request header versions: v0 is ``api_key, api_version, correlation_id`` (ControlledShutdown v0
only); v1 adds ``client_id``; v2 (flexible API versions, KIP-482) adds a tagged-field section.
``client_id`` keeps its int16 length even in v2 (field-level ``flexibleVersions: none``) so any
broker can read the header of any ApiVersions request. Response header v0 is the correlation id;
v1 adds a tagged-field section. ``api_keys.request_header_version``/``response_header_version``
choose the version for an (api_key, api_version).
"""

from __future__ import annotations

import struct as _struct

from .codec import DecodeError, decode_message, encode_message_parts
from .schema import INT16, INT32, STRING, f, message

__all__ = [
    "RequestHeader",
    "ResponseHeader",
    "peek_api_key_and_version",
    "encode_request_header",
    "decode_request_header",
    "encode_response_header",
    "decode_response_header",
]

_HEADER_PREFIX = _struct.Struct(">hhi")


@message(api_key=-1, valid="0-2", flexible="2+")
class RequestHeader:
    request_api_key: int = f(INT16)
    request_api_version: int = f(INT16)
    correlation_id: int = f(INT32)
    # Kafka treats a null client id as "" on the broker; we keep None so re-encoding is exact.
    client_id: str | None = f(STRING, "1+", nullable="1+", flexible="none")


@message(api_key=-1, valid="0-1", flexible="1+")
class ResponseHeader:
    correlation_id: int = f(INT32)


def peek_api_key_and_version(payload) -> tuple[int, int, int]:
    """``(api_key, api_version, correlation_id)`` from the first 8 bytes of a request payload.

    The header version depends on the API and version, so these are read before parsing
    (``RequestHeader.parse`` does the same).
    """
    if len(payload) < _HEADER_PREFIX.size:
        raise DecodeError(f"request of {len(payload)} bytes is shorter than a header")
    return _HEADER_PREFIX.unpack_from(payload, 0)


def encode_request_header(header: RequestHeader, header_version: int, out: bytearray) -> None:
    encode_message_parts(header, header_version, out, [])


def decode_request_header(payload, header_version: int) -> tuple[RequestHeader, int]:
    """The header and the offset of the body that follows it."""
    return decode_message(RequestHeader, payload, header_version, exact=False)


def encode_response_header(correlation_id: int, header_version: int, out: bytearray) -> None:
    encode_message_parts(ResponseHeader(correlation_id=correlation_id), header_version, out, [])


def decode_response_header(payload, header_version: int) -> tuple[ResponseHeader, int]:
    return decode_message(ResponseHeader, payload, header_version, exact=False)
