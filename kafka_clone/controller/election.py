"""Leader election algorithms: pure functions, as Kafka's `PartitionLeaderElectionAlgorithms`.

Each takes the assignment (replica order = preference order; the first is the *preferred*
leader), the current ISR and the live brokers, and returns the new leader or None.  Keeping them
pure makes the rules testable without a cluster (controller/Election.scala in Kafka 2.8).
"""

from __future__ import annotations

from typing import Collection, Sequence

import attrs


@attrs.frozen
class ElectionResult:
    leader: int | None
    isr: tuple[int, ...]
    #: True when the leader came from outside the ISR (data may be lost: KIP-106's warning).
    unclean: bool = False


def offline_partition_leader_election(assignment: Sequence[int], isr: Sequence[int],
                                      live: Collection[int], unclean_allowed: bool) -> ElectionResult:
    """Leader = first replica in assignment order that is live and in the ISR; new ISR = ISR ∩ live.

    With none and unclean election allowed: the first live replica, ISR = [it].
    """
    new_isr = tuple(r for r in isr if r in live)
    for replica in assignment:
        if replica in live and replica in isr:
            return ElectionResult(replica, new_isr)
    if unclean_allowed:
        for replica in assignment:
            if replica in live:
                return ElectionResult(replica, (replica,), unclean=True)
    return ElectionResult(None, tuple(isr))


def reassign_partition_leader_election(reassignment: Sequence[int], isr: Sequence[int],
                                       live: Collection[int]) -> ElectionResult:
    """During reassignment: the first target replica that is live and in the ISR."""
    for replica in reassignment:
        if replica in live and replica in isr:
            return ElectionResult(replica, tuple(isr))
    return ElectionResult(None, tuple(isr))


def preferred_replica_partition_leader_election(assignment: Sequence[int], isr: Sequence[int],
                                                live: Collection[int]) -> ElectionResult:
    """The preferred (first) replica, only if it is live and in the ISR; the ISR is unchanged."""
    if assignment and assignment[0] in live and assignment[0] in isr:
        return ElectionResult(assignment[0], tuple(isr))
    return ElectionResult(None, tuple(isr))


def controlled_shutdown_partition_leader_election(assignment: Sequence[int], isr: Sequence[int],
                                                  live: Collection[int],
                                                  shutting_down: Collection[int]) -> ElectionResult:
    """First replica live, in the ISR and not shutting down; ISR minus the shutting-down brokers."""
    new_isr = tuple(r for r in isr if r not in shutting_down)
    for replica in assignment:
        if replica in live and replica in isr and replica not in shutting_down:
            return ElectionResult(replica, new_isr)
    return ElectionResult(None, tuple(isr))
