"""Replica assignment and its validation, as pure functions.

Mirrors ``kafka.admin.AdminUtils.assignReplicasToBrokers`` and the pure parts of
``kafka.zk.AdminZkClient`` (``getBrokerMetadatas``' rack-awareness modes,
``createNewPartitionsAssignment``, ``validateTopicCreate``'s assignment checks and
``validateReplicaAssignment``) from Kafka 2.8. Nothing here touches ZooKeeper; the
callers write the resulting assignment with ``zk.znodes.TopicZNode``.

Goals of the algorithm (AdminUtils' class doc): spread replicas evenly over brokers,
put each partition's replicas on distinct brokers (and racks when racks are known),
and spread the followers of a broker's leader partitions over other brokers. The
first replica of each partition is its preferred leader.

Randomness: without ``fixed_start_index`` Kafka draws the start index and then the
replica shift from ``Random.nextInt(brokers)``; here they come from the injected
``random.Random`` in the same order, so tests can pin them.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable, Mapping, Sequence

import attrs

__all__ = [
    "AdminError",
    "InvalidPartitionsError",
    "InvalidReplicationFactorError",
    "InvalidReplicaAssignmentError",
    "BrokerNotAvailableError",
    "AdminOperationError",
    "BrokerMetadata",
    "RackAwareMode",
    "broker_metadatas",
    "assign_replicas_to_brokers",
    "rack_alternated_broker_list",
    "create_new_partitions_assignment",
    "validate_replica_assignment",
    "validate_new_partitions_assignment",
]


class AdminError(Exception):
    """Base of the admin errors; each maps to one Kafka exception (and error code)."""


class InvalidPartitionsError(AdminError):
    """Kafka's ``InvalidPartitionsException`` (INVALID_PARTITIONS, 37)."""


class InvalidReplicationFactorError(AdminError):
    """Kafka's ``InvalidReplicationFactorException`` (INVALID_REPLICATION_FACTOR, 38)."""


class InvalidReplicaAssignmentError(AdminError):
    """Kafka's ``InvalidReplicaAssignmentException`` (INVALID_REPLICA_ASSIGNMENT, 39)."""


class BrokerNotAvailableError(AdminError):
    """Kafka's ``BrokerNotAvailableException`` (BROKER_NOT_AVAILABLE, 8)."""


class AdminOperationError(AdminError):
    """Kafka's ``AdminOperationException`` (no dedicated code: UNKNOWN_SERVER_ERROR)."""


@attrs.frozen
class BrokerMetadata:
    """A broker as the assignment sees it (``kafka.admin.BrokerMetadata``)."""

    id: int
    rack: str | None = None


class RackAwareMode(enum.Enum):
    """``kafka.admin.RackAwareMode``.

    DISABLED ignores racks; ENFORCED uses them and fails if only some brokers have one;
    SAFE uses them only when every broker has one (what CreateTopics uses).
    """

    DISABLED = "Disabled"
    ENFORCED = "Enforced"
    SAFE = "Safe"


def broker_metadatas(
    brokers: Iterable[BrokerMetadata], mode: RackAwareMode = RackAwareMode.ENFORCED
) -> list[BrokerMetadata]:
    """``AdminZkClient.getBrokerMetadatas``: brokers sorted by id, racks kept per ``mode``."""
    brokers = list(brokers)
    with_rack = sum(1 for b in brokers if b.rack is not None)
    if mode is RackAwareMode.DISABLED or (mode is RackAwareMode.SAFE and with_rack < len(brokers)):
        brokers = [BrokerMetadata(b.id) for b in brokers]
    return sorted(brokers, key=lambda b: b.id)


def _replica_index(first_replica_index: int, second_replica_shift: int, replica_index: int, n_brokers: int) -> int:
    # The shift is 1..n-1, so a follower never lands on the leader's slot.
    shift = 1 + (second_replica_shift + replica_index) % (n_brokers - 1)
    return (first_replica_index + shift) % n_brokers


def assign_replicas_to_brokers(
    brokers: Sequence[BrokerMetadata],
    n_partitions: int,
    replication_factor: int,
    fixed_start_index: int = -1,
    start_partition_id: int = -1,
    *,
    rng: random.Random | None = None,
) -> dict[int, tuple[int, ...]]:
    """Assign ``n_partitions`` partitions of ``replication_factor`` replicas to ``brokers``.

    ``brokers`` are used in the given order (``broker_metadatas`` sorts them by id, as
    Kafka's callers do). Rack-aware when every broker has a rack, rack-unaware when none
    has; a mix raises ``AdminOperationError``. Partition ids start at
    ``max(0, start_partition_id)``. The result maps partition id to replicas, leader first.
    """
    if n_partitions <= 0:
        raise InvalidPartitionsError("Number of partitions must be larger than 0.")
    if replication_factor <= 0:
        raise InvalidReplicationFactorError("Replication factor must be larger than 0.")
    if replication_factor > len(brokers):
        raise InvalidReplicationFactorError(
            f"Replication factor: {replication_factor} larger than available brokers: {len(brokers)}."
        )
    rng = rng if rng is not None else random.Random()
    if all(b.rack is None for b in brokers):
        return _assign_rack_unaware(
            n_partitions, replication_factor, [b.id for b in brokers], fixed_start_index, start_partition_id, rng
        )
    if any(b.rack is None for b in brokers):
        raise AdminOperationError("Not all brokers have rack information for replica rack aware assignment.")
    return _assign_rack_aware(n_partitions, replication_factor, brokers, fixed_start_index, start_partition_id, rng)


def _start_and_shift(n: int, fixed_start_index: int, rng: random.Random) -> tuple[int, int]:
    if fixed_start_index >= 0:
        return fixed_start_index, fixed_start_index
    start_index = rng.randrange(n)
    return start_index, rng.randrange(n)


def _assign_rack_unaware(
    n_partitions: int,
    replication_factor: int,
    broker_ids: list[int],
    fixed_start_index: int,
    start_partition_id: int,
    rng: random.Random,
) -> dict[int, tuple[int, ...]]:
    n = len(broker_ids)
    start_index, next_replica_shift = _start_and_shift(n, fixed_start_index, rng)
    partition_id = max(0, start_partition_id)
    result: dict[int, tuple[int, ...]] = {}
    for _ in range(n_partitions):
        # After each full round of leaders, shift followers so that a broker's leaders
        # do not always share the same followers.
        if partition_id > 0 and partition_id % n == 0:
            next_replica_shift += 1
        first = (partition_id + start_index) % n
        replicas = [broker_ids[first]]
        for j in range(replication_factor - 1):
            replicas.append(broker_ids[_replica_index(first, next_replica_shift, j, n)])
        result[partition_id] = tuple(replicas)
        partition_id += 1
    return result


def rack_alternated_broker_list(broker_racks: Mapping[int, str]) -> list[int]:
    """Brokers taken round-robin over racks (racks by name, brokers by id within a rack).

    ``{0:"rack1", 1:"rack3", 2:"rack3", 3:"rack2", 4:"rack2", 5:"rack1"}`` gives
    ``[0, 3, 1, 5, 4, 2]`` (``AdminUtils.getRackAlternatedBrokerList``).
    """
    by_rack: dict[str, list[int]] = {}
    for broker, rack in broker_racks.items():
        by_rack.setdefault(rack, []).append(broker)
    iterators = {rack: iter(sorted(ids)) for rack, ids in by_rack.items()}
    racks = sorted(iterators)
    result: list[int] = []
    rack_index = 0
    while len(result) < len(broker_racks):
        broker = next(iterators[racks[rack_index]], None)
        if broker is not None:
            result.append(broker)
        rack_index = (rack_index + 1) % len(racks)
    return result


def _assign_rack_aware(
    n_partitions: int,
    replication_factor: int,
    brokers: Sequence[BrokerMetadata],
    fixed_start_index: int,
    start_partition_id: int,
    rng: random.Random,
) -> dict[int, tuple[int, ...]]:
    broker_racks = {b.id: b.rack for b in brokers if b.rack is not None}
    num_racks = len(set(broker_racks.values()))
    arranged = rack_alternated_broker_list(broker_racks)
    n = len(arranged)
    start_index, next_replica_shift = _start_and_shift(n, fixed_start_index, rng)
    partition_id = max(0, start_partition_id)
    result: dict[int, tuple[int, ...]] = {}
    for _ in range(n_partitions):
        if partition_id > 0 and partition_id % n == 0:
            next_replica_shift += 1
        first = (partition_id + start_index) % n
        leader = arranged[first]
        replicas = [leader]
        racks_with_replicas = {broker_racks[leader]}
        brokers_with_replicas = {leader}
        k = 0
        for _ in range(replication_factor - 1):
            while True:
                broker = arranged[_replica_index(first, next_replica_shift * num_racks, k, n)]
                rack = broker_racks[broker]
                k += 1
                # Prefer a new rack until every rack has a replica, and a new broker
                # until every broker has one.
                if (rack not in racks_with_replicas or len(racks_with_replicas) == num_racks) and (
                    broker not in brokers_with_replicas or len(brokers_with_replicas) == n
                ):
                    replicas.append(broker)
                    racks_with_replicas.add(rack)
                    brokers_with_replicas.add(broker)
                    break
        result[partition_id] = tuple(replicas)
        partition_id += 1
    return result


def validate_replica_assignment(assignment: Mapping[int, Sequence[int]]) -> None:
    """The assignment checks of ``AdminZkClient.validateTopicCreate`` for a manual assignment.

    Same replication factor everywhere, no duplicate brokers, partition ids ``0..n-1``.
    Kafka checks the last rule through the sum of the non-negative ids; this checks the
    exact set, rejecting the odd inputs (negative ids) the sum lets through.
    """
    if len({len(r) for r in assignment.values()}) != 1:
        raise InvalidReplicaAssignmentError("All partitions should have the same number of replicas")
    for replicas in assignment.values():
        if len(replicas) != len(set(replicas)):
            raise InvalidReplicaAssignmentError(f"Duplicate replica assignment found: {_scala_map(assignment)}")
    if set(assignment) != set(range(len(assignment))):
        raise InvalidReplicaAssignmentError("partitions should be a consecutive 0-based integer sequence")


def _scala_map(assignment: Mapping[int, Sequence[int]]) -> str:
    # Approximates Scala's Map/Seq toString in Kafka's message (the exact collection
    # classes, e.g. Buffer vs List, depend on the caller there).
    inner = ", ".join(f"{p} -> List({', '.join(map(str, r))})" for p, r in assignment.items())
    return f"Map({inner})"


def validate_new_partitions_assignment(
    assignment: Mapping[int, Sequence[int]], expected_replication_factor: int, available_broker_ids: Iterable[int]
) -> None:
    """``AdminZkClient.validateReplicaAssignment`` for partitions being added."""
    available = set(available_broker_ids)
    for partition_id, replicas in assignment.items():
        if not replicas:
            raise InvalidReplicaAssignmentError(f"Cannot have replication factor of 0 for partition id {partition_id}.")
        if len(replicas) != len(set(replicas)):
            raise InvalidReplicaAssignmentError(
                "Duplicate brokers not allowed in replica assignment: "
                f"{', '.join(map(str, replicas))} for partition id {partition_id}."
            )
        if not set(replicas) <= available:
            raise BrokerNotAvailableError(
                f"Some brokers specified for partition id {partition_id} are not available. "
                f"Specified brokers: {', '.join(map(str, replicas))}, "
                f"available brokers: {', '.join(map(str, sorted(available)))}."
            )
        if len(replicas) != expected_replication_factor:
            raise InvalidReplicaAssignmentError(
                "Inconsistent replication factor between partitions, "
                f"partition 0 has {expected_replication_factor} while partition {partition_id} has "
                f"replica factor {len(replicas)}."
            )


def create_new_partitions_assignment(
    topic: str,
    existing_assignment: Mapping[int, Sequence[int]],
    all_brokers: Sequence[BrokerMetadata],
    num_partitions: int = 1,
    replica_assignment: Mapping[int, Sequence[int]] | None = None,
    *,
    rng: random.Random | None = None,
) -> dict[int, tuple[int, ...]]:
    """Replicas for the partitions that grow ``topic`` to ``num_partitions`` (CreatePartitions).

    New partitions keep partition 0's replication factor and, when assigned
    automatically, continue the round-robin where partition 0's leader sits:
    ``fixed_start_index`` is the index of the first broker with id >= that leader.
    Only the new partitions are returned (their adding/removing replicas are empty).
    """
    if 0 not in existing_assignment:
        raise AdminOperationError(
            f"Unexpected existing replica assignment for topic '{topic}', partition id 0 is missing. "
            f"Assignment: {_scala_map(existing_assignment)}"
        )
    partition0 = list(existing_assignment[0])
    partitions_to_add = num_partitions - len(existing_assignment)
    if partitions_to_add <= 0:
        raise InvalidPartitionsError(
            "The number of partitions for a topic can only be increased. "
            f"Topic {topic} currently has {len(existing_assignment)} partitions, "
            f"{num_partitions} would not be an increase."
        )
    if replica_assignment is not None:
        validate_new_partitions_assignment(replica_assignment, len(partition0), (b.id for b in all_brokers))
        return {p: tuple(r) for p, r in replica_assignment.items()}
    start_index = next((i for i, b in enumerate(all_brokers) if b.id >= partition0[0]), 0)
    return assign_replicas_to_brokers(
        all_brokers, partitions_to_add, len(partition0), start_index, len(existing_assignment), rng=rng
    )
