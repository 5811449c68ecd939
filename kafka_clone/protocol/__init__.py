"""The sans-IO protocol layer: Kafka's wire format without sockets (design §3, style B2).

Primitive types (``primitives``), the schema DSL (``schema``) and its one generic codec
(``codec``), one declaration module per API family (``messages``), the API registry
(``api_keys``), headers, and h11-style connection objects (``framing``,
``client_connection``). Errors live in ``errors``. This package imports nothing else of ours.
"""

from .api_keys import API_REGISTRY, ApiKey, ApiSpec, api_spec, api_versions_response
from .client_connection import ClientConnection, Response, decode_response
from .codec import decode_message, encode_message
from .errors import FrameTooLarge, InvalidRequestError, InvalidResponseError, KafkaError
from .framing import (
    DEFAULT_MAX_REQUEST_SIZE,
    NEED_DATA,
    Request,
    ServerConnection,
    decode_request,
    encode_request,
    encode_response,
    encode_response_parts,
)
from .headers import RequestHeader, ResponseHeader
from .primitives import FileRecordsRef

__all__ = [
    "API_REGISTRY",
    "ApiKey",
    "ApiSpec",
    "api_spec",
    "api_versions_response",
    "ClientConnection",
    "Response",
    "decode_response",
    "decode_message",
    "encode_message",
    "FrameTooLarge",
    "InvalidRequestError",
    "InvalidResponseError",
    "KafkaError",
    "DEFAULT_MAX_REQUEST_SIZE",
    "NEED_DATA",
    "Request",
    "ServerConnection",
    "decode_request",
    "encode_request",
    "encode_response",
    "encode_response_parts",
    "RequestHeader",
    "ResponseHeader",
    "FileRecordsRef",
]
