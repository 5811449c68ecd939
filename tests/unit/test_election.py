"""The controller's election rules (pure), with Kafka's examples and properties."""

from hypothesis import given, strategies as st

from kafka_clone.controller.election import (
    controlled_shutdown_partition_leader_election as controlled,
    offline_partition_leader_election as offline,
    preferred_replica_partition_leader_election as preferred,
    reassign_partition_leader_election as reassign,
)


def test_offline_election_prefers_assignment_order_within_isr():
    assert offline([1, 2, 3], [3, 2], {2, 3}, False).leader == 2
    r = offline([1, 2, 3], [1, 2, 3], {2, 3}, False)
    assert (r.leader, r.isr, r.unclean) == (2, (2, 3), False)


def test_offline_election_without_isr_is_clean_only_when_allowed():
    assert offline([1, 2], [1], {2}, False).leader is None
    r = offline([1, 2], [1], {2}, True)
    assert (r.leader, r.isr, r.unclean) == (2, (2,), True)


def test_preferred_and_reassign_and_controlled_shutdown():
    assert preferred([1, 2], [2, 1], {1, 2}).leader == 1
    assert preferred([1, 2], [2], {1, 2}).leader is None
    assert reassign([4, 5, 6], [5, 1, 4], {4, 5}).leader == 4
    r = controlled([1, 2, 3], [1, 2, 3], {1, 2, 3}, {1})
    assert (r.leader, r.isr) == (2, (2, 3))


brokers = st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True)


@given(brokers, st.data())
def test_offline_election_properties(assignment, data):
    isr = data.draw(st.lists(st.sampled_from(assignment), unique=True, min_size=1))
    live = set(data.draw(st.lists(st.integers(0, 6), unique=True)))
    clean = offline(assignment, isr, live, False)
    if clean.leader is not None:
        assert clean.leader in live and clean.leader in isr and set(clean.isr) <= live
    else:
        assert not (set(isr) & live)
    unclean = offline(assignment, isr, live, True)
    assert (unclean.leader is None) == (not (set(assignment) & live))
