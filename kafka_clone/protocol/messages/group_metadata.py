"""The records of ``__consumer_offsets``: ``OffsetCommitKey/Value`` and ``GroupMetadataKey/Value``.

Mirrors the JSON specs Kafka 3.0 ships for the bytes 2.8's ``GroupMetadataManager`` writes. Keys
and values are an int16 version followed by the struct (``codec.encode_versioned``/
``codec.decode_versioned``); the key version says which record it is: 0 or 1 an offset commit,
2 a group's metadata. Value versions written by 2.8: OffsetCommitValue v3 (v1 only when an
expire timestamp is set), GroupMetadataValue v3.
"""

from __future__ import annotations

from ..schema import BYTES, INT32, INT64, STRING, ArrayOf, f, message, struct


@message(api_key=-1, valid="0-1", flexible="none")
class OffsetCommitKey:
    group: str = f(STRING, "0-1")
    topic: str = f(STRING, "0-1")
    partition: int = f(INT32, "0-1")


@message(api_key=-1, valid="0-3", flexible="none")
class OffsetCommitValue:
    offset: int = f(INT64)
    leader_epoch: int = f(INT32, "3+", default=-1)
    metadata: str = f(STRING)
    commit_timestamp: int = f(INT64)
    expire_timestamp: int = f(INT64, "1", default=-1)


@message(api_key=-1, valid="2", flexible="none")
class GroupMetadataKey:
    group: str = f(STRING, "2")


@struct
class MemberMetadata:
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "3+", nullable="3+", default=None)
    client_id: str = f(STRING)
    client_host: str = f(STRING)
    rebalance_timeout: int = f(INT32, "1+")
    session_timeout: int = f(INT32)
    subscription: bytes = f(BYTES)
    assignment: bytes = f(BYTES)


@message(api_key=-1, valid="0-3", flexible="none")
class GroupMetadataValue:
    protocol_type: str = f(STRING)
    generation: int = f(INT32)
    protocol: str | None = f(STRING, nullable="0+")
    leader: str | None = f(STRING, nullable="0+")
    current_state_timestamp: int = f(INT64, "2+", default=-1)
    members: tuple[MemberMetadata, ...] = f(ArrayOf(MemberMetadata))
