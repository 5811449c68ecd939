"""Kafka's default partitioner: murmur2 golden values and the sticky partition cache."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, strategies as st

from kafka_clone.client.partitioner import StickyPartitionCache, murmur2, partition_for_key, to_positive

kafka_python_murmur2 = pytest.importorskip("kafka.partitioner.default").murmur2

# Utils.murmur2 values asserted by Kafka's own UtilsTest (Java ints, so signed).
JAVA_GOLDEN = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize("data,expected", sorted(JAVA_GOLDEN.items()))
def test_murmur2_matches_kafka_java(data: bytes, expected: int) -> None:
    assert murmur2(data) == expected


@pytest.mark.parametrize("data", [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\xff" * 7, bytes(range(256))])
def test_murmur2_matches_kafka_python(data: bytes) -> None:
    # kafka-python returns the same 32 bits as an unsigned int.
    assert murmur2(data) & 0xFFFFFFFF == kafka_python_murmur2(data)


@given(st.binary(max_size=200))
def test_murmur2_matches_kafka_python_property(data: bytes) -> None:
    assert murmur2(data) & 0xFFFFFFFF == kafka_python_murmur2(data)
    assert -(2**31) <= murmur2(data) < 2**31


def test_to_positive_clears_the_sign_bit_like_java() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(2**31)) == 0  # Math.abs would keep MIN_VALUE negative
    assert to_positive(5) == 5


def test_partition_for_key_is_to_positive_murmur2_mod_n() -> None:
    assert partition_for_key(b"foobar", 7) == (-790332482 & 0x7FFFFFFF) % 7
    for key in (b"k1", b"key-2", b"\x00\x01", b"x" * 33):
        # kafka-python's DefaultPartitioner: (murmur2(key) & 0x7fffffff) % len(partitions).
        assert partition_for_key(key, 12) == (kafka_python_murmur2(key) & 0x7FFFFFFF) % 12


def test_sticky_partition_stays_until_next_batch_then_changes() -> None:
    cache = StickyPartitionCache(random.Random(7))
    first = cache.partition("t", 6, [0, 1, 2, 3, 4, 5])
    assert all(cache.partition("t", 6, [0, 1, 2, 3, 4, 5]) == first for _ in range(20))
    second = cache.next_partition("t", 6, [0, 1, 2, 3, 4, 5])
    assert second != first
    assert cache.partition("t", 6, [0, 1, 2, 3, 4, 5]) == second


def test_sticky_partition_prefers_available_partitions() -> None:
    cache = StickyPartitionCache(random.Random(1))
    assert cache.partition("t", 4, [2]) == 2
    assert cache.next_partition("t", 4, [2]) == 2
    # With no partition available, any partition of the topic.
    assert 0 <= cache.next_partition("u", 4, []) < 4
