"""Every declared API, request and response, at every version: encode -> decode -> equal.

Messages are generated from the schema declarations (``strategies.py``), so a new API is
covered as soon as it is registered.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafka_clone.protocol.api_keys import API_REGISTRY
from kafka_clone.protocol.codec import decode_message, encode_message

from .strategies import message_strategy

CASES = [
    pytest.param(cls, version, id=f"{cls.__name__}-v{version}")
    for spec in API_REGISTRY.values()
    for cls in (spec.request, spec.response)
    for version in spec.versions
]


@pytest.mark.parametrize(("cls", "version"), CASES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(cls, version, data):
    msg = data.draw(message_strategy(cls, version))
    encoded = encode_message(msg, version)
    decoded, end = decode_message(cls, encoded, version)
    assert end == len(encoded)
    assert decoded == msg
    assert encode_message(decoded, version) == encoded


def test_every_api_has_both_encodings_or_none():
    # The reference (§3.1 "Implement both encodings"): clients use both classic and flexible
    # versions, so the round trip above covers both codecs wherever an API has them.
    flexible = [s.name for s in API_REGISTRY.values() if s.flexible_versions.lo <= s.max_version]
    assert "Metadata" in flexible and "Produce" in flexible and "Fetch" in flexible
