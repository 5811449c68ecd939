"""Iteration order of the JVM maps Kafka 2.8 hands to Jackson.

Kafka's ``kafka.utils.Json.encodeAsBytes`` writes a map's entries in the map's own
iteration order, so the byte-exact JSON a student sees with ``zkCli.sh get`` depends on
which JVM collection built it. These pure functions reproduce that order for the
collections used by ``ZkData.scala`` on the Scala 2.13 build of Kafka 2.8:

* ``scala_immutable_map_order`` - ``Map(...)``: ``Map1``..``Map4`` keep insertion order,
  five or more entries become a CHAMP ``HashMap`` ordered by the bits of the improved
  hash (root payload first, then sub-nodes depth first).
* ``scala_mutable_hashmap_order`` - ``mutable.Map(...)``/``mutable.HashMap``: buckets by
  ``h ^ (h >>> 16)`` masked to the table size, ascending hash inside a bucket; the table
  size follows ``HashMap.from`` sizing and doubling at the 0.75 load factor.
* ``java8_hashtable_order`` - ``java.util.Properties`` on Java 8 (a ``Hashtable``):
  buckets ``(h & 0x7fffffff) % capacity`` walked from the last bucket down, newest entry
  first in a bucket, capacity 11 growing to ``2n + 1`` (with rehash reversing buckets).
* ``java_hashmap_order`` - ``java.util.HashMap`` (Java 8+), used by ``Features.toMap``.

The models were checked against every observed sample in the project reference: broker
registration v5 (mutable, 16 buckets), topic assignment v3 (mutable, 8 buckets),
partition state (CHAMP) and the ``__consumer_offsets`` config znode (Java 8 Hashtable).
Known limits: Java's tree bins (a bucket of 8+ colliding keys in a table of 64+) are
not modelled; they need adversarial keys.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "java_string_hash",
    "scala_immutable_map_order",
    "scala_mutable_hashmap_order",
    "java8_hashtable_order",
    "java_hashmap_order",
]

_MASK32 = 0xFFFFFFFF


def _signed32(value: int) -> int:
    value &= _MASK32
    return value - (1 << 32) if value & 0x80000000 else value


def java_string_hash(s: str) -> int:
    """``String.hashCode`` over UTF-16 code units, as an unsigned 32-bit value."""
    units = s.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & _MASK32
    return h


def _key_hash(key: str | int) -> int:
    # Integer.hashCode is the value itself; Scala's ## agrees for Int.
    return key & _MASK32 if isinstance(key, int) else java_string_hash(key)


def _scala_improve(h: int) -> int:
    # scala.collection.Hashing.improve, the spreader used by the 2.13 CHAMP HashMap.
    h &= _MASK32
    h = (h + (~(h << 9) & _MASK32)) & _MASK32
    h ^= h >> 14
    h = (h + (h << 4)) & _MASK32
    return h ^ (h >> 10)


def scala_immutable_map_order(keys: Sequence[str]) -> list[str]:
    """Key order of a Scala 2.13 ``immutable.Map`` built by inserting ``keys`` in order."""
    if len(keys) <= 4:
        return list(keys)

    def walk(group: list[str], shift: int) -> list[str]:
        if shift >= 35:
            # Full 32-bit hash collision: a HashCollisionMapNode keeps insertion order.
            return group
        by_mask: dict[int, list[str]] = {}
        for k in group:
            by_mask.setdefault((_scala_improve(_key_hash(k)) >> shift) & 31, []).append(k)
        payload = [g[0] for _, g in sorted(by_mask.items()) if len(g) == 1]
        for _, g in sorted(by_mask.items()):
            if len(g) > 1:
                payload.extend(walk(g, shift + 5))
        return payload

    return walk(list(keys), 0)


def _scala_table_size_for(capacity: int) -> int:
    highest = 1 << (max(capacity - 1, 4).bit_length() - 1)
    return min(highest * 2, 1 << 30)


def scala_mutable_hashmap_order(keys: Sequence[str | int], known_size: int = 0) -> list[str | int]:
    """Key order of a Scala 2.13 ``mutable.HashMap``.

    ``known_size`` is the size of the collection passed to ``mutable.Map(...)`` (0 for
    ``mutable.Map()``, which starts with 16 buckets); the remaining keys are ``+=``-ed
    one at a time. Inside a bucket nodes are kept sorted by (signed) hash, so for
    distinct hashes the order does not depend on insertion order.
    """
    cap = int((known_size + 1) / 0.75) if known_size > 0 else 16
    table = _scala_table_size_for(cap)
    size = 0
    seen: dict[str | int, int] = {}
    for k in keys:
        if k in seen:
            continue
        if size + 1 >= int(table * 0.75):
            table *= 2
        seen[k] = len(seen)
        size += 1

    def sort_key(k: str | int) -> tuple[int, int, int]:
        h = _key_hash(k)
        improved = (h ^ (h >> 16)) & _MASK32
        return (improved & (table - 1), _signed32(improved), seen[k])

    return sorted(seen, key=sort_key)


def java8_hashtable_order(keys: Sequence[str]) -> list[str]:
    """Iteration order of a Java 8 ``Properties`` after ``put``-ting ``keys`` in order."""
    capacity = 11
    threshold = int(capacity * 0.75)
    buckets: list[list[str]] = [[] for _ in range(capacity)]
    count = 0
    present: set[str] = set()
    for k in keys:
        if k in present:
            continue  # put of an existing key replaces the value in place
        if count >= threshold:
            new_capacity = capacity * 2 + 1
            new_buckets: list[list[str]] = [[] for _ in range(new_capacity)]
            for i in range(capacity - 1, -1, -1):
                for old in buckets[i]:
                    new_buckets[(java_string_hash(old) & 0x7FFFFFFF) % new_capacity].insert(0, old)
            capacity, buckets = new_capacity, new_buckets
            threshold = int(capacity * 0.75)
        buckets[(java_string_hash(k) & 0x7FFFFFFF) % capacity].insert(0, k)
        present.add(k)
        count += 1
    return [k for i in range(capacity - 1, -1, -1) for k in buckets[i]]


def java_hashmap_order(keys: Sequence[str]) -> list[str]:
    """Iteration order of a ``java.util.HashMap`` (16 buckets, doubling past 0.75 load).

    Resizing splits each bucket preserving relative order, so the final order is a
    stable sort of insertion order by bucket index in the final table.
    """
    unique = list(dict.fromkeys(keys))
    table = 16
    while len(unique) > table * 0.75:
        table *= 2

    def index(k: str) -> int:
        h = java_string_hash(k)
        return (h ^ (h >> 16)) & (table - 1)

    return sorted(unique, key=index)
