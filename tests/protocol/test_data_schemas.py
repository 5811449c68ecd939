"""The version-prefixed "data" schemas: ConsumerProtocol payloads and __consumer_offsets records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafka_clone.protocol.codec import DecodeError, decode_versioned, encode_versioned
from kafka_clone.protocol.messages import consumer_protocol as cp
from kafka_clone.protocol.messages import group_metadata as gm

from .strategies import message_strategy

DATA_SCHEMAS = [
    cp.ConsumerProtocolSubscription,
    cp.ConsumerProtocolAssignment,
    gm.OffsetCommitKey,
    gm.OffsetCommitValue,
    gm.GroupMetadataKey,
    gm.GroupMetadataValue,
]
CASES = [pytest.param(cls, v, id=f"{cls.__name__}-v{v}") for cls in DATA_SCHEMAS for v in cls.VALID_VERSIONS]


@pytest.mark.parametrize(("cls", "version"), CASES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_round_trip(cls, version, data):
    msg = data.draw(message_strategy(cls, version))
    assert decode_versioned(cls, encode_versioned(msg, version)) == (version, msg)


def test_subscription_v1_known_bytes():
    sub = cp.ConsumerProtocolSubscription(
        topics=("t",),
        owned_partitions=(cp.ConsumerProtocolSubscriptionTopicPartition(topic="t", partitions=(0,)),),
    )
    data = encode_versioned(sub, 1)
    # version, topics ["t"], user_data null, owned [{"t", [0]}]
    assert data.hex() == "0001" "00000001" "000174" "ffffffff" "00000001" "000174" "00000001" "00000000"
    assert decode_versioned(cp.ConsumerProtocolSubscription, data) == (1, sub)


def test_newer_versions_read_with_our_layout():
    sub = cp.ConsumerProtocolSubscription(topics=("t",), rack_id="r")
    future = b"\x00\x09" + encode_versioned(sub, 3)[2:] + b"future fields"
    assert decode_versioned(cp.ConsumerProtocolSubscription, future) == (9, sub)
    with pytest.raises(DecodeError):
        decode_versioned(gm.GroupMetadataKey, b"\x00\x01\x00\x01g")
    with pytest.raises(DecodeError):
        decode_versioned(gm.GroupMetadataKey, b"\x00")


def test_offset_commit_value_v3_known_bytes():
    value = gm.OffsetCommitValue(offset=5, leader_epoch=2, metadata="", commit_timestamp=7)
    assert encode_versioned(value, 3).hex() == (
        "0003" "0000000000000005" "00000002" "0000" "0000000000000007"
    )
