"""Size-prefixed frames and the broker side of a connection, in the style of h11.

Mirrors what Kafka's ``NetworkReceive`` (frame splitting, ``socket.request.max.bytes``) and
``RequestContext.parseRequest`` (header, then body by api key and version) do, without any I/O::

    conn = ServerConnection(max_request_size=104857600)
    conn.receive_data(chunk)
    while (req := conn.next_request()) is not NEED_DATA:
        ...handle req.body...
        sock.send(encode_response(req.correlation_id, req.api_key, req.response_version, body))

Invariants and Kafka behaviours honoured:

* A frame is an int32 size N then N bytes. N is checked against the maximum request size as
  soon as the 4 prefix bytes arrive (``FrameTooLarge``), so at most the chunk that carried the
  prefix is ever held of an oversized frame. A peer that closes mid-frame leaves ``buffered``
  non-zero; end of stream is the network layer's business.
* An unknown api key, or a version outside our range for any API other than ApiVersions, is a
  protocol fault (``InvalidRequestError``): the network layer closes the connection without a
  response, as ``SocketServer.parseRequestHeader`` does.
* ApiVersions above our maximum (KIP-511): the body is not parsed; ``next_request`` returns a
  ``Request`` with ``unsupported_version=True`` and ``response_version=0`` so the handler answers
  UNSUPPORTED_VERSION at v0 (``api_keys.api_versions_response``) and the connection stays open.
* Bytes after the end of the body are ignored, as in Kafka (``AbstractRequest.parseRequest``
  reads what the schema describes and nothing more); real clients depend on it.
* Decoded ``records`` are memoryview slices of the frame's ``bytes`` (zero copy after the one
  copy out of the receive buffer).
* A response is ``size, header, body``; ``encode_response_parts`` keeps record data (memoryviews
  and ``FileRecordsRef`` objects) as separate parts so it is never copied.
"""

from __future__ import annotations

import struct as _struct
from typing import Any, Union

import attrs

from .api_keys import (
    API_REGISTRY,
    ApiKey,
    ApiSpec,
    api_spec,
    request_header_version,
    response_header_version,
)
from .codec import DECODE_FAULTS, DecodeError, compile_struct, encode_message_parts
from .errors import FrameTooLarge, InvalidRequestError
from .headers import (
    RequestHeader,
    decode_request_header,
    encode_request_header,
    encode_response_header,
    peek_api_key_and_version,
)
from .primitives import FileRecordsRef

__all__ = [
    "NEED_DATA",
    "DEFAULT_MAX_REQUEST_SIZE",
    "Request",
    "FrameBuffer",
    "ServerConnection",
    "decode_request",
    "encode_request",
    "encode_response",
    "encode_response_parts",
    "encode_frame_parts",
    "Part",
]

#: Kafka's ``socket.request.max.bytes`` default.
DEFAULT_MAX_REQUEST_SIZE = 104857600

_SIZE = _struct.Struct(">i")

#: One piece of an encoded frame: bytes to copy, or record data to send as is (sendfile).
Part = Union[bytes, memoryview, FileRecordsRef]


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by ``next_request``/``next_response`` when no complete frame is buffered.
NEED_DATA = _NeedData()


@attrs.frozen
class Request:
    """One decoded request: the header, the body message and what the response needs."""

    header: RequestHeader
    api_key: ApiKey
    api_version: int
    body: Any
    #: Frame size in bytes, without the 4-byte size prefix.
    size: int
    #: The version to encode the response at: ``api_version``, or 0 for KIP-511.
    response_version: int
    #: True for an ApiVersions request above our maximum (KIP-511); ``body`` is then empty.
    unsupported_version: bool = False

    @property
    def correlation_id(self) -> int:
        return self.header.correlation_id

    @property
    def client_id(self) -> str:
        # Kafka treats a null client id as "".
        return self.header.client_id or ""

    @property
    def expects_response(self) -> bool:
        """False only for Produce with acks=0, which clients never wait on."""
        return not (self.api_key == ApiKey.PRODUCE and self.body.acks == 0)


class FrameBuffer:
    """Splits a byte stream into size-prefixed frames, refusing oversized ones early."""

    def __init__(self, max_frame_size: int) -> None:
        self._buf = bytearray()
        self._max = max_frame_size

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        self._buf += data
        self._check_head()

    def _check_head(self) -> None:
        if len(self._buf) >= 4:
            size = _SIZE.unpack_from(self._buf, 0)[0]
            if size < 0:
                raise InvalidRequestError(f"negative frame size {size}")
            if size > self._max:
                raise FrameTooLarge(size, self._max)

    def next_frame(self) -> bytes | None:
        """The next complete frame's payload (without its prefix), or None."""
        buf = self._buf
        if len(buf) < 4:
            return None
        self._check_head()
        size = _SIZE.unpack_from(buf, 0)[0]
        end = 4 + size
        if len(buf) < end:
            return None
        # One copy out of the receive buffer; the view is released before the buffer shrinks.
        with memoryview(buf) as view:
            frame = view[4:end].tobytes()
        del buf[:end]
        return frame

    @property
    def buffered(self) -> int:
        return len(self._buf)


class ServerConnection:
    """The broker's side of one connection: bytes in, ``Request`` objects out.

    Owns no socket. After any protocol error every later call raises the same error: the only
    correct reaction is to close the connection.
    """

    def __init__(self, *, max_request_size: int = DEFAULT_MAX_REQUEST_SIZE) -> None:
        self._frames = FrameBuffer(max_request_size)
        self._error: InvalidRequestError | None = None

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        self._raise_if_failed()
        try:
            self._frames.receive_data(data)
        except InvalidRequestError as exc:
            self._error = exc
            raise

    def next_request(self) -> Request | _NeedData:
        self._raise_if_failed()
        try:
            frame = self._frames.next_frame()
            if frame is None:
                return NEED_DATA
            return decode_request(frame)
        except InvalidRequestError as exc:
            self._error = exc
            raise

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as requests."""
        return self._frames.buffered

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


def _request_readers() -> dict[tuple[int, int], tuple[ApiSpec, Any, Any]]:
    """(api_key, version) -> (spec, header reader, body reader), compiled once at import."""
    table = {}
    for spec in API_REGISTRY.values():
        for version in spec.versions:
            header_version = request_header_version(spec.api_key, version)
            table[(int(spec.api_key), version)] = (
                spec,
                compile_struct(RequestHeader, header_version, header_version >= 2)[0],
                compile_struct(spec.request, version, spec.is_flexible(version))[0],
            )
    return table


_REQUEST_READERS = _request_readers()


def decode_request(payload: bytes) -> Request:
    """Decode one request frame (without its size prefix)."""
    try:
        api_key, version, correlation_id = peek_api_key_and_version(payload)
    except DecodeError as exc:
        raise InvalidRequestError(str(exc)) from None
    entry = _REQUEST_READERS.get((api_key, version))
    if entry is None:
        return _unsupported(payload, api_key, version, correlation_id)
    spec, read_header, read_body = entry
    view = memoryview(payload)
    try:
        header, pos = read_header(view, 0)
        # Trailing bytes are ignored, as Kafka's AbstractRequest.parseRequest does: librdkafka 2.x
        # sends its all-topics Metadata v9+ request with 3 extra bytes (tests/data/protocol).
        body, _ = read_body(view, pos)
    except DECODE_FAULTS as exc:
        raise InvalidRequestError(
            f"malformed {spec.name} v{version} request (correlation id {correlation_id}): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return Request(
        header=header,
        api_key=spec.api_key,
        api_version=version,
        body=body,
        size=len(payload),
        response_version=version,
    )


def _unsupported(payload: bytes, api_key: int, version: int, correlation_id: int) -> Request:
    spec = api_spec(api_key)
    if spec is None:
        raise InvalidRequestError(f"unknown api key {api_key} (correlation id {correlation_id})")
    if spec.api_key == ApiKey.API_VERSIONS and version > spec.max_version:
        return _unsupported_api_versions(memoryview(payload), version, correlation_id)
    raise InvalidRequestError(
        f"{spec.name} v{version} is not supported (we support {spec.min_version}-{spec.max_version})"
    )


def _unsupported_api_versions(view: memoryview, version: int, correlation_id: int) -> Request:
    # KIP-511: do not parse the body; keep the client id if the (v2) header is readable.
    try:
        header, _ = decode_request_header(view, 2)
    except DecodeError:
        header = RequestHeader(
            request_api_key=ApiKey.API_VERSIONS,
            request_api_version=version,
            correlation_id=correlation_id,
            client_id=None,
        )
    spec = API_REGISTRY[ApiKey.API_VERSIONS]
    return Request(
        header=header,
        api_key=ApiKey.API_VERSIONS,
        api_version=version,
        body=spec.request(),
        size=len(view),
        response_version=0,
        unsupported_version=True,
    )


def _split(out: bytearray, parts: list) -> list[Part]:
    if not parts:
        return [bytes(out)]
    result: list[Part] = []
    last = 0
    for offset, ref in parts:
        if offset > last:
            result.append(bytes(out[last:offset]))
        result.append(ref)
        last = offset
    if last < len(out):
        result.append(bytes(out[last:]))
    return result


def _part_size(ref: Any) -> int:
    if isinstance(ref, memoryview):
        return ref.nbytes
    return ref.size_in_bytes


def encode_frame_parts(header_writer, body: Any, version: int) -> list[Part]:
    """Size prefix + header (written by ``header_writer(out)``) + body, as parts."""
    out = bytearray(b"\0\0\0\0")
    header_writer(out)
    parts: list = []
    encode_message_parts(body, version, out, parts)
    size = len(out) - 4 + sum(_part_size(ref) for _, ref in parts)
    _SIZE.pack_into(out, 0, size)
    return _split(out, parts)


def encode_response_parts(correlation_id: int, api_key: int, version: int, body: Any) -> list[Part]:
    """A response frame as parts, in order: ``bytes`` chunks and zero-copy record data.

    Every ``memoryview`` or ``FileRecordsRef`` placed in a ``records`` field of ``body`` appears
    as its own part; its length is counted in the frame size. Send the parts in order.
    """
    header_version = response_header_version(api_key, version)
    return encode_frame_parts(
        lambda out: encode_response_header(correlation_id, header_version, out), body, version
    )


def encode_response(correlation_id: int, api_key: int, version: int, body: Any) -> bytes:
    """A response frame (size prefix, header, body) as one ``bytes``.

    ``FileRecordsRef`` values must support ``bytes(ref)`` here; use ``encode_response_parts``
    to send them without copying.
    """
    return _join(encode_response_parts(correlation_id, api_key, version, body))


def encode_request(
    correlation_id: int, client_id: str | None, api_key: int, version: int, body: Any
) -> bytes:
    """A request frame (size prefix, header, body) as one ``bytes``."""
    header = RequestHeader(
        request_api_key=api_key,
        request_api_version=version,
        correlation_id=correlation_id,
        client_id=client_id,
    )
    header_version = request_header_version(api_key, version)
    return _join(
        encode_frame_parts(lambda out: encode_request_header(header, header_version, out), body, version)
    )


def _join(parts: list[Part]) -> bytes:
    if len(parts) == 1 and isinstance(parts[0], bytes):
        return parts[0]
    return b"".join(p if isinstance(p, (bytes, memoryview)) else bytes(p) for p in parts)
