"""The SASL connection-state table, checked for every (state, api_key) pair (h2 style)."""

from __future__ import annotations

import itertools

import pytest

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.connection_state import TRANSITIONS, ConnectionState, SaslState
from kafka_clone.protocol.errors import IllegalSaslState


@pytest.mark.parametrize(("state", "api_key"), list(itertools.product(SaslState, ApiKey)))
def test_every_pair_follows_the_table_or_raises_without_changing_state(state, api_key):
    conn = ConnectionState(sasl=True)
    conn.state = state
    if state is SaslState.COMPLETE:
        conn.receive_request(api_key)
        assert conn.state is SaslState.COMPLETE
    elif (state, api_key) in TRANSITIONS:
        conn.receive_request(api_key)
        assert conn.state is TRANSITIONS[(state, api_key)]
    else:
        with pytest.raises(IllegalSaslState):
            conn.receive_request(api_key)
        assert conn.state is state


def test_sasl_sequence():
    conn = ConnectionState(sasl=True)
    for key in (ApiKey.API_VERSIONS, ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE, ApiKey.SASL_AUTHENTICATE):
        conn.receive_request(key)
    assert conn.state is SaslState.AUTHENTICATE
    conn.authentication_complete()
    conn.receive_request(ApiKey.METADATA)
    assert conn.state is SaslState.COMPLETE


def test_plaintext_listener_starts_complete():
    conn = ConnectionState(sasl=False)
    conn.receive_request(ApiKey.PRODUCE)
    assert conn.state is SaslState.COMPLETE
    with pytest.raises(AssertionError):
        conn.authentication_complete()


def test_metadata_before_authentication_is_refused():
    conn = ConnectionState(sasl=True)
    conn.receive_request(ApiKey.API_VERSIONS)
    with pytest.raises(IllegalSaslState):
        conn.receive_request(ApiKey.METADATA)
