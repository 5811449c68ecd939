"""Controller events (Kafka's `ControllerEvent` case objects in KafkaController.scala).

Events carry no ZooKeeper data: a watch only says "look again", and the handler re-reads
(Kafka's rule, and kazoo's: a watch wakes, it never carries the answer).  An event that needs a
reply carries a one-shot channel.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ControllerEvent:
    #: Events that make sense only while this broker is the controller run inside its term's
    #: cancel scope, so losing the role interrupts them (Kafka checks `isActive` instead).
    needs_active_controller = False


@attrs.frozen
class Startup(ControllerEvent):
    """Broker start-up: watch `/controller` and try to become the controller."""


@attrs.frozen
class ControllerChange(ControllerEvent):
    """`/controller` was created or changed: perhaps we lost the role."""


@attrs.frozen
class Reelect(ControllerEvent):
    """`/controller` was deleted: everybody tries to win it."""


@attrs.frozen
class Expire(ControllerEvent):
    """Our ZooKeeper session expired: resign at once (our `/controller` is gone).

    `term` is the term the session ended (None if we were not the controller). Events queued
    before the expiry may run first and elect a new term on the new session; that one stays
    (Kafka gets the same by clearing the queue: `clearAndPut(Expire)`).
    """

    term: object | None = attrs.field(default=None, eq=False)


@attrs.frozen
class RegisterBrokerAndReelect(ControllerEvent):
    """A new session after expiry: register `/brokers/ids/<id>` again (new broker epoch), re-elect."""


@attrs.frozen
class BrokerChange(ControllerEvent):
    """`/brokers/ids` children changed: diff the live brokers against the context."""

    needs_active_controller = True


@attrs.frozen
class BrokerModifications(ControllerEvent):
    """A broker's registration data changed (e.g. new endpoints)."""

    broker_id: int
    needs_active_controller = True


@attrs.frozen
class ShutdownEventThread(ControllerEvent):
    """Stop draining events (broker shut-down)."""


@attrs.frozen
class TopicChange(ControllerEvent):
    """`/brokers/topics` children changed: new topics to create (or deleted ones to forget)."""

    needs_active_controller = True


@attrs.frozen
class PartitionModifications(ControllerEvent):
    """A topic's assignment znode changed: partitions were added."""

    topic: str
    needs_active_controller = True


@attrs.frozen
class TopicDeletion(ControllerEvent):
    """`/admin/delete_topics` children changed."""

    needs_active_controller = True


@attrs.frozen
class TopicDeletionStopReplicaResponseReceived(ControllerEvent):
    """A broker answered StopReplica(delete=true) for partitions of topics being deleted."""

    broker_id: int
    error_code: int
    partition_errors: tuple[tuple[str, int, int], ...]
    needs_active_controller = True


@attrs.frozen
class IsrChangeNotification(ControllerEvent):
    """`/isr_change_notification` children changed: leaders changed ISRs (IBP < 2.7-IV2)."""

    needs_active_controller = True


@attrs.frozen
class ControlledShutdown(ControllerEvent):
    """A broker asks to be shut down cleanly: move its leaderships away first.

    `reply` receives (error_code, remaining partitions it still leads).
    """

    broker_id: int
    broker_epoch: int
    reply: object = attrs.field(eq=False)
    needs_active_controller = True


@attrs.frozen
class UncleanLeaderElectionEnable(ControllerEvent):
    """The broker default `unclean.leader.election.enable` became true (KIP-226): elect every
    offline partition (Kafka's `enableDefaultUncleanLeaderElection`)."""

    needs_active_controller = True


@attrs.frozen
class TopicUncleanLeaderElectionEnable(ControllerEvent):
    """A topic's `unclean.leader.election.enable` became true: elect its offline partitions."""

    topic: str
    needs_active_controller = True


@attrs.frozen
class ZkPartitionReassignment(ControllerEvent):
    """`/admin/reassign_partitions` was created or changed (the old tool's path)."""

    needs_active_controller = True


@attrs.frozen
class PartitionReassignmentIsrChange(ControllerEvent):
    """A reassigning partition's state znode changed: maybe its new replicas are in the ISR."""

    partition: tuple[str, int]
    needs_active_controller = True


@attrs.frozen
class ApiPartitionReassignment(ControllerEvent):
    """AlterPartitionReassignments: target replicas per partition (None cancels); `reply` gets
    the error per partition."""

    reassignments: tuple[tuple[tuple[str, int], tuple[int, ...] | None], ...]
    reply: object = attrs.field(eq=False)
    needs_active_controller = True


@attrs.frozen
class ListPartitionReassignments(ControllerEvent):
    partitions: tuple[tuple[str, int], ...] | None
    reply: object = attrs.field(eq=False)
    needs_active_controller = True


@attrs.frozen
class ZkPreferredReplicaElection(ControllerEvent):
    """`/admin/preferred_replica_election` was created (the old tool's path)."""

    needs_active_controller = True


@attrs.frozen
class ApiElectLeaders(ControllerEvent):
    """ElectLeaders (KIP-460): preferred (0) or unclean (1); None means every partition."""

    election_type: int
    partitions: tuple[tuple[str, int], ...] | None
    reply: object = attrs.field(eq=False)
    needs_active_controller = True


@attrs.frozen
class AutoPreferredReplicaLeaderElection(ControllerEvent):
    """Periodic check of leader imbalance (`auto.leader.rebalance.enable`)."""

    needs_active_controller = True
