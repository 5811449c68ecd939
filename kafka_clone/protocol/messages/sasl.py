"""SaslHandshake (17) and SaslAuthenticate (36).

Mirrors ``SaslHandshake*.json`` and ``SaslAuthenticate*.json``. SaslHandshake is never flexible;
v1 means the SASL tokens then travel in SaslAuthenticate frames (KIP-152).
"""

from __future__ import annotations

from ..schema import ArrayOf, BYTES, INT16, INT64, STRING, f, message, struct


@message(api_key=17, valid="0-1", flexible="none")
class SaslHandshakeRequest:
    mechanism: str = f(STRING)


@message(api_key=17, valid="0-1", flexible="none")
class SaslHandshakeResponse:
    error_code: int = f(INT16)
    mechanisms: tuple[str, ...] = f(ArrayOf(STRING))


@message(api_key=36, valid="0-2", flexible="2+")
class SaslAuthenticateRequest:
    auth_bytes: bytes = f(BYTES)


@message(api_key=36, valid="0-2", flexible="2+")
class SaslAuthenticateResponse:
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, nullable="0+")
    auth_bytes: bytes = f(BYTES)
    session_lifetime_ms: int = f(INT64, "1+")
