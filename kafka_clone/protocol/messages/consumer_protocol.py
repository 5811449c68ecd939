"""The consumer group payloads inside JoinGroup/SyncGroup: ``ConsumerProtocolSubscription`` and
``ConsumerProtocolAssignment`` (Kafka's ``ConsumerProtocol``).

The broker treats them as opaque bytes (it only echoes them in DescribeGroups); our tools and
client decode them. On the wire each is an int16 version followed by the struct, never flexible:
use ``codec.encode_versioned``/``codec.decode_versioned``. A newer version is read with our
layout and its extra bytes ignored, as ``ConsumerProtocol`` does. Kafka 2.8 declares v0-1; the
later fields (v2 ``generation_id``, v3 ``rack_id``, both KIP-792/KIP-881 era) are declared too
because librdkafka 2.x writes subscription v3 (wire-protocol reference §8).
"""

from __future__ import annotations

from ..schema import BYTES, INT32, STRING, ArrayOf, f, message, struct


@struct
class ConsumerProtocolSubscriptionTopicPartition:
    topic: str = f(STRING, "1+")
    partitions: tuple[int, ...] = f(ArrayOf(INT32), "1+")


@message(api_key=-1, valid="0-3", flexible="none")
class ConsumerProtocolSubscription:
    topics: tuple[str, ...] = f(ArrayOf(STRING))
    user_data: bytes | None = f(BYTES, nullable="0+", default=None)
    owned_partitions: tuple[ConsumerProtocolSubscriptionTopicPartition, ...] = f(
        ArrayOf(ConsumerProtocolSubscriptionTopicPartition), "1+"
    )
    generation_id: int = f(INT32, "2+", default=-1)
    rack_id: str | None = f(STRING, "3+", nullable="3+", default=None)


@struct
class ConsumerProtocolAssignmentTopicPartition:
    topic: str = f(STRING)
    partitions: tuple[int, ...] = f(ArrayOf(INT32))


@message(api_key=-1, valid="0-3", flexible="none")
class ConsumerProtocolAssignment:
    assigned_partitions: tuple[ConsumerProtocolAssignmentTopicPartition, ...] = f(
        ArrayOf(ConsumerProtocolAssignmentTopicPartition)
    )
    user_data: bytes | None = f(BYTES, nullable="0+", default=None)
