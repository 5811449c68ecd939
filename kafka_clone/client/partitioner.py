"""Kafka's default partitioner (2.8): murmur2 for keyed records, sticky for the rest.

``murmur2`` is exactly ``org.apache.kafka.common.utils.Utils.murmur2`` (seed ``0x9747b28c``,
32-bit two's-complement arithmetic, little-endian 4-byte words, the tail mixed in the order of the
Java ``switch`` fall-through), so a keyed record lands in the same partition as with the Java
client, kafka-python or librdkafka's ``murmur2_random`` partitioner:
``to_positive(murmur2(key)) % num_partitions`` over *all* partitions, available or not.

Records without a key use the sticky partitioner (KIP-480, ``StickyPartitionCache``): every
record of a topic goes to one randomly chosen available partition until a batch for it is
completed, then another partition is chosen. This fills batches instead of spreading single
records over all partitions.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

import attrs

__all__ = ["murmur2", "to_positive", "partition_for_key", "StickyPartitionCache"]

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 of ``data``, as a signed int (like the Java ``int``)."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    words = length // 4
    # One C call unpacks every 4-byte little-endian word; the loop body is just the mixing.
    for k in struct.unpack_from(f"<{words}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def to_positive(number: int) -> int:
    """``Utils.toPositive``: clear the sign bit (not ``abs``, which maps MIN_VALUE to itself)."""
    return number & 0x7FFFFFFF


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition of a keyed record under Kafka's default partitioner."""
    return to_positive(murmur2(key)) % num_partitions


@attrs.define(eq=False)
class StickyPartitionCache:
    """The current sticky partition per topic (``StickyPartitionCache``)."""

    rng: random.Random = attrs.field(factory=random.Random)
    _current: dict[str, int] = attrs.field(factory=dict)

    def partition(self, topic: str, num_partitions: int, available: Sequence[int]) -> int:
        """The topic's sticky partition, choosing one if there is none yet."""
        current = self._current.get(topic)
        if current is None or current >= num_partitions:
            current = self._choose(num_partitions, available, previous=None)
            self._current[topic] = current
        return current

    def next_partition(self, topic: str, num_partitions: int, available: Sequence[int]) -> int:
        """A batch for the sticky partition completed: switch to another available partition."""
        previous = self._current.get(topic)
        current = self._choose(num_partitions, available, previous)
        self._current[topic] = current
        return current

    def _choose(self, num_partitions: int, available: Sequence[int], previous: int | None) -> int:
        if not available:
            return self.rng.randrange(num_partitions)
        if len(available) == 1:
            return available[0]
        choices = [p for p in available if p != previous]
        return self.rng.choice(choices)
