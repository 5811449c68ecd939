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
    """Our ZooKeeper session expired: resign at once (our `/controller` is gone)."""


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
class TopicUncleanLeaderElectionEnable(ControllerEvent):
    """A topic's `unclean.leader.election.enable` became true: elect its offline partitions."""

    topic: str
    needs_active_controller = True
