"""AdminUtils.assignReplicasToBrokers and AdminZkClient's assignment checks (reference section 4)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zk.admin import (
    AdminOperationError,
    BrokerMetadata,
    BrokerNotAvailableError,
    InvalidPartitionsError,
    InvalidReplicaAssignmentError,
    InvalidReplicationFactorError,
    RackAwareMode,
    assign_replicas_to_brokers,
    broker_metadatas,
    create_new_partitions_assignment,
    rack_alternated_broker_list,
    validate_replica_assignment,
)

FIVE = [BrokerMetadata(i) for i in range(5)]
RACKS = {0: "r1", 1: "r3", 2: "r3", 3: "r2", 4: "r2", 5: "r1"}
RACKED = [BrokerMetadata(i, r) for i, r in RACKS.items()]


def test_rack_unaware_reference_example():
    assert assign_replicas_to_brokers(FIVE, 10, 3, fixed_start_index=0, start_partition_id=0) == {
        0: (0, 1, 2), 1: (1, 2, 3), 2: (2, 3, 4), 3: (3, 4, 0), 4: (4, 0, 1),
        5: (0, 2, 3), 6: (1, 3, 4), 7: (2, 4, 0), 8: (3, 0, 1), 9: (4, 1, 2),
    }


def test_rack_alternated_list_reference_example():
    assert rack_alternated_broker_list(RACKS) == [0, 3, 1, 5, 4, 2]


def test_rack_alternated_list_with_uneven_racks():
    assert rack_alternated_broker_list({0: "a", 1: "a", 2: "a", 3: "b"}) == [0, 3, 1, 2]


def test_rack_aware_reference_example():
    assert assign_replicas_to_brokers(RACKED, 7, 3, fixed_start_index=0, start_partition_id=0) == {
        0: (0, 3, 1), 1: (3, 1, 5), 2: (1, 5, 4), 3: (5, 4, 2), 4: (4, 2, 0), 5: (2, 0, 3), 6: (0, 4, 2),
    }


def test_random_start_and_shift_come_from_injected_rng_in_kafka_order():
    # start index is drawn first, then the replica shift.
    class Scripted(random.Random):
        def __init__(self, values):
            super().__init__()
            self.values = list(values)

        def randrange(self, *args, **kwargs):
            return self.values.pop(0)

    got = assign_replicas_to_brokers(FIVE, 2, 2, rng=Scripted([3, 1]))
    # first = (p + 3) % 5; follower = first + 1 + (1 + 0) % 4
    assert got == {0: (3, 0), 1: (4, 1)}
    assert assign_replicas_to_brokers(FIVE, 6, 3, rng=random.Random(7)) == assign_replicas_to_brokers(
        FIVE, 6, 3, rng=random.Random(7)
    )


def test_start_partition_id():
    got = assign_replicas_to_brokers(FIVE, 2, 3, fixed_start_index=0, start_partition_id=5)
    assert got == {5: (0, 2, 3), 6: (1, 3, 4)}


@pytest.mark.parametrize(
    ("partitions", "rf", "error", "message"),
    [
        (0, 1, InvalidPartitionsError, "Number of partitions must be larger than 0."),
        (-1, 1, InvalidPartitionsError, "Number of partitions must be larger than 0."),
        (1, 0, InvalidReplicationFactorError, "Replication factor must be larger than 0."),
        (1, 6, InvalidReplicationFactorError, "Replication factor: 6 larger than available brokers: 5."),
    ],
)
def test_errors(partitions, rf, error, message):
    with pytest.raises(error, match=f"^{message.replace('.', '[.]')}$"):
        assign_replicas_to_brokers(FIVE, partitions, rf)


def test_partial_racks_are_an_error_unless_disabled_or_safe():
    brokers = [BrokerMetadata(0, "a"), BrokerMetadata(1), BrokerMetadata(2, "b")]
    with pytest.raises(AdminOperationError, match="Not all brokers have rack information"):
        assign_replicas_to_brokers(brokers, 3, 2)
    for mode in (RackAwareMode.DISABLED, RackAwareMode.SAFE):
        usable = broker_metadatas(brokers, mode)
        assert [b.rack for b in usable] == [None, None, None]
        assign_replicas_to_brokers(usable, 3, 2)
    assert broker_metadatas(reversed(RACKED), RackAwareMode.SAFE) == RACKED


def test_new_partitions_continue_from_partition_zero_leader():
    existing = {0: (3, 4, 0), 1: (4, 0, 1), 2: (0, 1, 2)}
    got = create_new_partitions_assignment("t", existing, FIVE, num_partitions=5)
    # start index = index of broker 3; shift = 3; partition ids 3 and 4.
    assert got == assign_replicas_to_brokers(FIVE, 2, 3, fixed_start_index=3, start_partition_id=3)
    assert set(got) == {3, 4}


def test_new_partitions_do_not_replay_earlier_shift_bumps():
    # As in Kafka: partition 4 of 3 brokers starts with shift 0 although a one-shot
    # assignment would have bumped it at partition 3.
    three = [BrokerMetadata(i) for i in range(3)]
    existing = assign_replicas_to_brokers(three, 4, 2, fixed_start_index=0, start_partition_id=0)
    assert create_new_partitions_assignment("t", existing, three, 5) == {4: (1, 2)}
    assert assign_replicas_to_brokers(three, 5, 2, fixed_start_index=0, start_partition_id=0)[4] == (1, 0)


def test_new_partitions_errors_and_manual_assignment():
    existing = {0: (0, 1), 1: (1, 2)}
    with pytest.raises(InvalidPartitionsError, match="Topic t currently has 2 partitions, 2 would not be an increase."):
        create_new_partitions_assignment("t", existing, FIVE, num_partitions=2)
    with pytest.raises(AdminOperationError, match="partition id 0 is missing"):
        create_new_partitions_assignment("t", {1: (0, 1)}, FIVE, num_partitions=3)
    assert create_new_partitions_assignment("t", existing, FIVE, 3, {2: [4, 3]}) == {2: (4, 3)}
    with pytest.raises(InvalidReplicaAssignmentError, match="Inconsistent replication factor"):
        create_new_partitions_assignment("t", existing, FIVE, 3, {2: [4]})
    with pytest.raises(InvalidReplicaAssignmentError, match="Duplicate brokers not allowed"):
        create_new_partitions_assignment("t", existing, FIVE, 3, {2: [4, 4]})
    with pytest.raises(InvalidReplicaAssignmentError, match="Cannot have replication factor of 0"):
        create_new_partitions_assignment("t", existing, FIVE, 3, {2: []})
    with pytest.raises(BrokerNotAvailableError, match="Specified brokers: 4, 9, available brokers: 0, 1, 2, 3, 4."):
        create_new_partitions_assignment("t", existing, FIVE, 3, {2: [4, 9]})


def test_manual_assignment_validation():
    validate_replica_assignment({0: [1, 2], 1: [2, 3]})
    with pytest.raises(InvalidReplicaAssignmentError, match="same number of replicas"):
        validate_replica_assignment({0: [1, 2], 1: [2]})
    with pytest.raises(InvalidReplicaAssignmentError, match="Duplicate replica assignment found"):
        validate_replica_assignment({0: [1, 1]})
    with pytest.raises(InvalidReplicaAssignmentError, match="consecutive 0-based"):
        validate_replica_assignment({0: [1], 2: [2]})
    with pytest.raises(InvalidReplicaAssignmentError, match="consecutive 0-based"):
        validate_replica_assignment({-3: [1], 1: [2], 2: [3]})


# ---------------------------------------------------------------- properties


@st.composite
def unaware_cases(draw):
    n = draw(st.integers(1, 12))
    ids = sorted(draw(st.sets(st.integers(0, 2000), min_size=n, max_size=n)))
    rf = draw(st.integers(1, n))
    partitions = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**32))
    return [BrokerMetadata(i) for i in ids], partitions, rf, seed


@given(unaware_cases())
def test_each_partition_has_rf_distinct_brokers(case):
    brokers, partitions, rf, seed = case
    got = assign_replicas_to_brokers(brokers, partitions, rf, rng=random.Random(seed))
    assert sorted(got) == list(range(partitions))
    ids = {b.id for b in brokers}
    for replicas in got.values():
        assert len(replicas) == rf == len(set(replicas)) and set(replicas) <= ids


@given(unaware_cases())
def test_leaders_and_replicas_spread_evenly(case):
    brokers, partitions, rf, seed = case
    got = assign_replicas_to_brokers(brokers, partitions, rf, rng=random.Random(seed))
    leaders = Counter(r[0] for r in got.values())
    counts = [leaders.get(b.id, 0) for b in brokers]
    assert max(counts) - min(counts) <= 1
    n = len(brokers)
    if partitions % n == 0:
        replicas = Counter(b for r in got.values() for b in r)
        assert set(replicas.values()) == {partitions * rf // n}


@st.composite
def rack_cases(draw):
    n = draw(st.integers(1, 12))
    racks = draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n))
    rf = draw(st.integers(1, n))
    return [BrokerMetadata(i, r) for i, r in enumerate(racks)], draw(st.integers(1, 40)), rf, draw(st.integers(0, 2**32))


@given(rack_cases())
def test_rack_aware_spreads_over_racks(case):
    brokers, partitions, rf, seed = case
    num_racks = len({b.rack for b in brokers})
    got = assign_replicas_to_brokers(brokers, partitions, rf, rng=random.Random(seed))
    rack_of = {b.id: b.rack for b in brokers}
    for replicas in got.values():
        assert len(set(replicas)) == rf
        assert len({rack_of[b] for b in replicas}) == min(rf, num_racks)
    leaders = Counter(r[0] for r in got.values())
    counts = [leaders.get(b.id, 0) for b in brokers]
    assert max(counts) - min(counts) <= 1


@given(unaware_cases(), st.integers(1, 20), st.data())
def test_adding_partitions_continues_a_fixed_start_assignment(case, extra, data):
    brokers, partitions, rf, _ = case
    start = data.draw(st.integers(0, len(brokers) - 1))
    whole = assign_replicas_to_brokers(brokers, partitions + extra, rf, fixed_start_index=start, start_partition_id=0)
    existing = {p: r for p, r in whole.items() if p < partitions}
    # Kafka does not replay the shift bumps of rounds before start_partition_id, so the
    # continuation matches a one-shot assignment only while the first round is unfinished.
    assume(partitions <= len(brokers))
    added = create_new_partitions_assignment("t", existing, brokers, partitions + extra)
    assert added == {p: r for p, r in whole.items() if p >= partitions}
