"""__consumer_offsets record bytes (Kafka's key/value layouts, packed by hand here) and partitions."""

from __future__ import annotations

import struct

import pytest

from kafka_clone.coordinator.group.group_metadata import GroupMetadata, GroupState, OffsetAndMetadata
from kafka_clone.coordinator.group.group_metadata_manager import (
    decode_key, decode_offset_value, format_record, group_metadata_key, group_metadata_value, offset_commit_key,
    offset_commit_value, partition_for,
)
from kafka_clone.coordinator.group.member_metadata import MemberMetadata
from kafka_clone.protocol.messages.group_metadata import GroupMetadataKey, OffsetCommitKey


def s(text: str | None) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def b(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def test_offset_commit_key_v1_and_value_v3():
    assert offset_commit_key("grp", "topic", 7) == struct.pack(">h", 1) + s("grp") + s("topic") + struct.pack(">i", 7)
    value = offset_commit_value(OffsetAndMetadata(1234, 5, "md", 1_600_000_000_000))
    assert value == struct.pack(">hqi", 3, 1234, 5) + s("md") + struct.pack(">q", 1_600_000_000_000)
    assert decode_offset_value(value) == OffsetAndMetadata(1234, 5, "md", 1_600_000_000_000)


def test_offset_commit_value_v1_with_an_expire_timestamp():
    value = offset_commit_value(OffsetAndMetadata(9, 5, "", 1000, 2000))
    assert value == struct.pack(">hq", 1, 9) + s("") + struct.pack(">qq", 1000, 2000)
    assert decode_offset_value(value) == OffsetAndMetadata(9, -1, "", 1000, 2000)


def test_group_metadata_key_v2_and_value_v3():
    assert group_metadata_key("grp") == struct.pack(">h", 2) + s("grp")
    group = GroupMetadata("grp", GroupState.STABLE, current_state_timestamp=77, protocol_type="consumer",
                          protocol_name="range", generation_id=4, leader_id="m-1")
    group.members["m-1"] = MemberMetadata("m-1", "inst", "cid", "/10.0.0.1", 300000, 45000, "consumer",
                                          (("range", b"SUB"),))
    expected = (struct.pack(">h", 3) + s("consumer") + struct.pack(">i", 4) + s("range") + s("m-1")
                + struct.pack(">q", 77) + struct.pack(">i", 1)
                + s("m-1") + s("inst") + s("cid") + s("/10.0.0.1") + struct.pack(">ii", 300000, 45000)
                + b(b"SUB") + b(b"ASSIGN"))
    assert group_metadata_value(group, {"m-1": b"ASSIGN"}) == expected


def test_keys_decode_by_version_and_format():
    assert decode_key(offset_commit_key("g", "t", 1)) == OffsetCommitKey(group="g", topic="t", partition=1)
    assert decode_key(group_metadata_key("g")) == GroupMetadataKey(group="g")
    with pytest.raises(ValueError):
        decode_key(struct.pack(">h", 9))
    assert format_record(offset_commit_key("g", "t", 1), None) == "[g,t,1]::NULL"
    assert format_record(group_metadata_key("g"), None) == "g::NULL"
    assert format_record(offset_commit_key("g", "t", 1), offset_commit_value(OffsetAndMetadata(5, 2, "x", 9))) == (
        "[g,t,1]::OffsetAndMetadata(offset=5, leaderEpoch=Optional[2], metadata=x, commitTimestamp=9, "
        "expireTimestamp=None)")


@pytest.mark.parametrize("group_id,expected", [
    # abs(String.hashCode) % 50, checked against Java's hashCode by hand:
    ("", 0),                     # hashCode 0
    ("a", 97 % 50),              # hashCode 97
    ("ab", (97 * 31 + 98) % 50),
    ("polygenelubricants", 0),   # hashCode Integer.MIN_VALUE: Utils.abs gives 0
])
def test_partition_for_is_kafkas(group_id, expected):
    assert partition_for(group_id, 50) == expected


def test_partition_for_negative_hash():
    # "console-consumer-1": a negative Java hash code; abs() before the modulo.
    h = 0
    for ch in "console-consumer-1":
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    signed = h - (1 << 32) if h & 0x80000000 else h
    assert partition_for("console-consumer-1", 50) == abs(signed) % 50
