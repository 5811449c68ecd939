"""Per-connection protocol state: which requests a connection may send before it is authenticated.

Mirrors the states of Kafka's ``SaslServerAuthenticator`` (2.8) as a table, in the style of h11's
``_state.py``: a (state, api_key) pair missing from the table is refused and leaves the state
unchanged.

States:

* ``HANDSHAKE_OR_VERSIONS_REQUEST`` -- a new connection on a SASL listener.
  action: ApiVersions -> ``HANDSHAKE_REQUEST``; SaslHandshake -> ``AUTHENTICATE``.
* ``HANDSHAKE_REQUEST`` -- versions known, the mechanism is not.
  action: SaslHandshake -> ``AUTHENTICATE``.
* ``AUTHENTICATE`` -- exchanging SASL tokens in SaslAuthenticate frames (KIP-152).
  action: SaslAuthenticate -> ``AUTHENTICATE``; ``authentication_complete()`` -> ``COMPLETE``.
* ``COMPLETE`` -- every request is handled. A PLAINTEXT listener starts here. SaslHandshake and
  SaslAuthenticate are still passed on: Kafka answers them with ILLEGAL_SASL_STATE (34).

Anything else before ``COMPLETE`` raises ``IllegalSaslState``; like ``SaslServerAuthenticator``
the network layer then closes the connection. Re-authentication (KIP-368) is not modelled.
"""

from __future__ import annotations

import enum

from .api_keys import ApiKey
from .errors import IllegalSaslState

__all__ = ["SaslState", "ConnectionState", "TRANSITIONS"]


class SaslState(enum.Enum):
    HANDSHAKE_OR_VERSIONS_REQUEST = "HANDSHAKE_OR_VERSIONS_REQUEST"
    HANDSHAKE_REQUEST = "HANDSHAKE_REQUEST"
    AUTHENTICATE = "AUTHENTICATE"
    COMPLETE = "COMPLETE"


#: (state, api_key) -> next state, for every request allowed before authentication completes.
TRANSITIONS: dict[tuple[SaslState, ApiKey], SaslState] = {
    (SaslState.HANDSHAKE_OR_VERSIONS_REQUEST, ApiKey.API_VERSIONS): SaslState.HANDSHAKE_REQUEST,
    (SaslState.HANDSHAKE_OR_VERSIONS_REQUEST, ApiKey.SASL_HANDSHAKE): SaslState.AUTHENTICATE,
    (SaslState.HANDSHAKE_REQUEST, ApiKey.SASL_HANDSHAKE): SaslState.AUTHENTICATE,
    (SaslState.AUTHENTICATE, ApiKey.SASL_AUTHENTICATE): SaslState.AUTHENTICATE,
}


class ConnectionState:
    """The authentication state of one connection; ``sasl=False`` for a PLAINTEXT listener."""

    def __init__(self, *, sasl: bool) -> None:
        self.state = SaslState.HANDSHAKE_OR_VERSIONS_REQUEST if sasl else SaslState.COMPLETE

    def receive_request(self, api_key: ApiKey) -> None:
        """Record an incoming request, or raise ``IllegalSaslState`` leaving the state as it was."""
        if self.state is SaslState.COMPLETE:
            return
        try:
            self.state = TRANSITIONS[(self.state, api_key)]
        except KeyError:
            raise IllegalSaslState(
                f"unexpected {api_key.name} request in SASL state {self.state.value}"
            ) from None

    def authentication_complete(self) -> None:
        """The SASL mechanism accepted the client's credentials."""
        assert self.state is SaslState.AUTHENTICATE, f"not authenticating (state {self.state.value})"
        self.state = SaslState.COMPLETE
