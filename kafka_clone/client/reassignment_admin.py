"""Reassignment, leader election and replication throttles over the Kafka protocol.

What Kafka 2.8's ``KafkaAdminClient`` does for ``alterPartitionReassignments``,
``listPartitionReassignments`` and ``electLeaders`` (KIP-455, KIP-460), plus the throttle
bookkeeping of ``ReassignPartitionsCommand`` (``calculateProposedMoveMap``,
``calculateLeaderThrottles``, ``calculateFollowerThrottles``, ``modifyInterBrokerThrottle``,
``clearAllThrottles``), as async functions over ``KafkaAdminClient``.

Routing, as in the Java client (``ControllerNodeProvider``): the three APIs go to the controller
named in Metadata (``KafkaAdminClient._controller_connection``, shared with CreateTopics). A NOT_CONTROLLER answer -- top level or per partition -- means the controller
moved: refresh metadata, back off ``retry.backoff.ms`` and resend the affected partitions, until
the call's timeout. Throttles are IncrementalAlterConfigs: broker resources go to that broker,
topic resources to any broker.

Throttles, as the tool sets them (reference §5): on every broker that is a source or a
destination of a move, the dynamic broker configs ``leader.replication.throttled.rate`` and
``follower.replication.throttled.rate`` (bytes/s); on each moving topic,
``leader.replication.throttled.replicas`` = every *source* replica (``"partition:broker"``, sorted
as strings, comma-separated) and ``follower.replication.throttled.replicas`` = every destination
that is not already a source. Clearing deletes all of them (plus
``replica.alter.log.dirs.io.max.bytes.per.second``) from the given brokers and topics.

Cancellation: each request is a single write to the controller; a call cancelled midway may
have changed some partitions (or throttles) but not others, and says nothing about which.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError, NotController, error_for_code
from kafka_clone.protocol.messages import topics as tm

from .admin import (
    AlterConfigOp,
    AlterConfigOpType,
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    PartitionReassignment,
)
from .errors import KafkaConnectionError, KafkaTimeoutError

__all__ = [
    "ElectionType",
    "PartitionMove",
    "BROKER_LEADER_THROTTLE",
    "BROKER_FOLLOWER_THROTTLE",
    "BROKER_LOG_DIR_THROTTLE",
    "TOPIC_LEADER_THROTTLE",
    "TOPIC_FOLLOWER_THROTTLE",
    "alter_partition_reassignments",
    "cancel_partition_reassignments",
    "list_partition_reassignments",
    "elect_leaders",
    "proposed_move_map",
    "leader_throttles",
    "follower_throttles",
    "reassigning_brokers",
    "set_topic_throttles",
    "set_inter_broker_throttle",
    "set_log_dir_throttle",
    "clear_broker_throttles",
    "clear_topic_throttles",
]

BROKER_LEADER_THROTTLE = "leader.replication.throttled.rate"
BROKER_FOLLOWER_THROTTLE = "follower.replication.throttled.rate"
BROKER_LOG_DIR_THROTTLE = "replica.alter.log.dirs.io.max.bytes.per.second"
TOPIC_LEADER_THROTTLE = "leader.replication.throttled.replicas"
TOPIC_FOLLOWER_THROTTLE = "follower.replication.throttled.replicas"
BROKER_THROTTLES = (BROKER_LEADER_THROTTLE, BROKER_FOLLOWER_THROTTLE, BROKER_LOG_DIR_THROTTLE)
TOPIC_THROTTLES = (TOPIC_LEADER_THROTTLE, TOPIC_FOLLOWER_THROTTLE)


class ElectionType(enum.IntEnum):
    """``org.apache.kafka.common.ElectionType`` (the ElectLeaders ``election_type`` byte)."""

    PREFERRED = 0
    UNCLEAN = 1


def _by_topic(partitions: Iterable[TopicPartition]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for tp in partitions:
        grouped.setdefault(tp.topic, []).append(tp.partition)
    return grouped


def _error(code: int, message: str | None) -> KafkaError | None:
    if code == 0:
        return None
    return error_for_code(code)(message or None)


async def _controller_call(
    admin: KafkaAdminClient,
    api_key: ApiKey,
    pending: list[TopicPartition],
    build: Callable[[list[TopicPartition]], Any],
    parse: Callable[[Any, list[TopicPartition]], dict[TopicPartition, KafkaError | None]],
    timeout_ms: int,
) -> dict[TopicPartition, KafkaError | None]:
    """Send ``build(pending)`` to the controller; resend what got NOT_CONTROLLER or no answer.

    ``parse`` maps the response to per-partition errors (a top-level error applies to every
    partition sent). Connection failures count as "the controller may have moved" too.
    """
    deadline = trio.current_time() + timeout_ms / 1000
    results: dict[TopicPartition, KafkaError | None] = {}
    while True:
        try:
            conn = await admin._controller_connection()
            parsed = parse(await conn.send(api_key, None, build(pending)), pending)
        except (KafkaConnectionError, KafkaTimeoutError):
            if trio.current_time() >= deadline:
                raise
            parsed = {}
        retry = [tp for tp in pending if tp not in parsed or isinstance(parsed[tp], NotController)]
        results.update({tp: parsed[tp] for tp in pending if tp not in retry})
        if not retry:
            return results
        if trio.current_time() >= deadline:
            for tp in retry:
                results[tp] = parsed.get(tp) or KafkaTimeoutError(
                    f"Timed out waiting for the controller to answer for {tp.topic}-{tp.partition}")
            return results
        pending = retry
        await admin.client.backoff()
        await admin.client.refresh_metadata(())


# ---- AlterPartitionReassignments / ListPartitionReassignments (KIP-455) -------------------------


async def alter_partition_reassignments(
    admin: KafkaAdminClient,
    reassignments: Mapping[TopicPartition, Sequence[int] | None],
    *,
    timeout_ms: int | None = None,
) -> dict[TopicPartition, KafkaError | None]:
    """Start (replicas given) or cancel (``None``) reassignments; the error of each partition."""
    timeout_ms = admin._timeout(timeout_ms)
    wanted = dict(reassignments)

    def build(partitions: list[TopicPartition]) -> tm.AlterPartitionReassignmentsRequest:
        return tm.AlterPartitionReassignmentsRequest(
            timeout_ms=timeout_ms,
            topics=tuple(
                tm.ReassignableTopic(name=topic, partitions=tuple(
                    tm.ReassignablePartition(
                        partition_index=p,
                        replicas=None if wanted[TopicPartition(topic, p)] is None
                        else tuple(wanted[TopicPartition(topic, p)]))  # type: ignore[arg-type]
                    for p in ps))
                for topic, ps in _by_topic(partitions).items()
            ),
        )

    def parse(response: tm.AlterPartitionReassignmentsResponse,
              sent: list[TopicPartition]) -> dict[TopicPartition, KafkaError | None]:
        top = _error(response.error_code, response.error_message)
        if top is not None:
            # The Java client fails every partition of the request with a top-level error.
            return {tp: top for tp in sent}
        return {
            TopicPartition(t.name, p.partition_index): _error(p.error_code, p.error_message)
            for t in response.responses for p in t.partitions
        }

    return await _controller_call(admin, ApiKey.ALTER_PARTITION_REASSIGNMENTS, list(wanted), build, parse,
                                  timeout_ms)


async def cancel_partition_reassignments(
    admin: KafkaAdminClient, partitions: Iterable[TopicPartition], *, timeout_ms: int | None = None
) -> dict[TopicPartition, KafkaError | None]:
    """Cancel ongoing reassignments: AlterPartitionReassignments with null replicas."""
    return await alter_partition_reassignments(admin, {tp: None for tp in partitions}, timeout_ms=timeout_ms)


async def list_partition_reassignments(
    admin: KafkaAdminClient, partitions: Sequence[TopicPartition] | None = None, *, timeout_ms: int | None = None
) -> dict[TopicPartition, PartitionReassignment]:
    """Ongoing reassignments from the controller (all when ``partitions`` is None).

    Unlike ``KafkaAdminClient.list_partition_reassignments`` this follows a moving controller
    (NOT_CONTROLLER is retried). Other top-level errors are raised.
    """
    timeout_ms = admin._timeout(timeout_ms)
    deadline = trio.current_time() + timeout_ms / 1000
    topics = None if partitions is None else tuple(
        tm.ListPartitionReassignmentsTopics(name=t, partition_indexes=tuple(ps))
        for t, ps in _by_topic(partitions).items())
    request = tm.ListPartitionReassignmentsRequest(timeout_ms=timeout_ms, topics=topics)
    while True:
        error: KafkaError | None
        try:
            conn = await admin._controller_connection()
            response = await conn.send(ApiKey.LIST_PARTITION_REASSIGNMENTS, None, request)
            error = _error(response.error_code, response.error_message)
        except (KafkaConnectionError, KafkaTimeoutError) as exc:
            if trio.current_time() >= deadline:
                raise
            error = NotController(str(exc))
        if error is None:
            return {
                TopicPartition(t.name, p.partition_index): PartitionReassignment(
                    tuple(p.replicas), tuple(p.adding_replicas), tuple(p.removing_replicas))
                for t in response.topics for p in t.partitions
            }
        if not isinstance(error, NotController) or trio.current_time() >= deadline:
            raise error
        await admin.client.backoff()
        await admin.client.refresh_metadata(())


# ---- ElectLeaders (KIP-460) -----------------------------------------------------------------------


async def elect_leaders(
    admin: KafkaAdminClient,
    election_type: ElectionType,
    partitions: Iterable[TopicPartition] | None,
    *,
    timeout_ms: int | None = None,
) -> dict[TopicPartition, KafkaError | None]:
    """ElectLeaders at the controller; ``partitions=None`` asks for every eligible partition.

    The result has one entry per partition the controller answered for: ``None`` when a leader
    was elected, else the error (ELECTION_NOT_NEEDED when the wanted leader already leads,
    PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION).
    A top-level error (v1+, e.g. CLUSTER_AUTHORIZATION_FAILED) is raised.
    """
    timeout_ms = admin._timeout(timeout_ms)
    deadline = trio.current_time() + timeout_ms / 1000

    def request(wanted: list[TopicPartition] | None) -> tm.ElectLeadersRequest:
        return tm.ElectLeadersRequest(
            election_type=int(election_type),
            topic_partitions=None if wanted is None else tuple(
                tm.TopicPartitions(topic=t, partition_id=tuple(ps)) for t, ps in _by_topic(wanted).items()),
            timeout_ms=timeout_ms,
        )

    def parse(response: tm.ElectLeadersResponse) -> dict[TopicPartition, KafkaError | None]:
        return {
            TopicPartition(r.topic, p.partition_id): _error(p.error_code, p.error_message)
            for r in response.replica_election_results for p in r.partition_result
        }

    if partitions is None:
        # "All partitions" has no per-partition retry: resend the whole request while the
        # controller moves.
        while True:
            try:
                conn = await admin._controller_connection()
                response = await conn.send(ApiKey.ELECT_LEADERS, None, request(None))
                top = _error(getattr(response, "error_code", 0), None)
            except (KafkaConnectionError, KafkaTimeoutError) as exc:
                if trio.current_time() >= deadline:
                    raise
                top = NotController(str(exc))
            if top is None:
                results = parse(response)
                if not any(isinstance(e, NotController) for e in results.values()):
                    return results
                top = NotController()
            if not isinstance(top, NotController) or trio.current_time() >= deadline:
                raise top
            await admin.client.backoff()
            await admin.client.refresh_metadata(())

    def parse_some(response: tm.ElectLeadersResponse,
                   sent: list[TopicPartition]) -> dict[TopicPartition, KafkaError | None]:
        top = _error(getattr(response, "error_code", 0), None)
        if top is not None and not isinstance(top, NotController):
            raise top
        if top is not None:
            return {tp: top for tp in sent}
        return parse(response)

    return await _controller_call(admin, ApiKey.ELECT_LEADERS, list(dict.fromkeys(partitions)), request,
                                  parse_some, timeout_ms)


# ---- throttles (ReassignPartitionsCommand's move map) ----------------------------------------------


@attrs.frozen
class PartitionMove:
    """One partition's move: the brokers it leaves from (all current) and the ones it goes to."""

    sources: frozenset[int]
    destinations: frozenset[int]


MoveMap = dict[TopicPartition, PartitionMove]


def proposed_move_map(
    current_reassignments: Mapping[TopicPartition, PartitionReassignment],
    proposed: Mapping[TopicPartition, Sequence[int]],
    current: Mapping[TopicPartition, Sequence[int]],
) -> MoveMap:
    """Every moving partition: ongoing reassignments plus the proposed ones.

    A partition already being reassigned keeps its original replicas (replicas minus adding)
    as sources, so resubmitting with ``--additional`` throttles the same brokers again.
    """
    moves: MoveMap = {}
    for tp, r in current_reassignments.items():
        moves[tp] = PartitionMove(frozenset(set(r.replicas) - set(r.adding_replicas)), frozenset(r.adding_replicas))
    for tp, replicas in proposed.items():
        if tp in moves:
            sources = moves[tp].sources
        elif tp in current:
            sources = frozenset(current[tp])
        else:
            raise ValueError(f"Trying to reassign a topic partition {tp.topic}-{tp.partition} with 0 replicas")
        moves[tp] = PartitionMove(sources, frozenset(replicas) - sources)
    return moves


def _throttle_values(moves: MoveMap, pick: Callable[[PartitionMove], Iterable[int]]) -> dict[str, str]:
    per_topic: dict[str, set[str]] = {}
    for tp, move in moves.items():
        per_topic.setdefault(tp.topic, set()).update(f"{tp.partition}:{b}" for b in pick(move))
    # Kafka keeps the entries in a TreeSet of strings: sorted as text, "10:1" before "2:1".
    return {topic: ",".join(sorted(entries)) for topic, entries in per_topic.items()}


def leader_throttles(moves: MoveMap) -> dict[str, str]:
    """``leader.replication.throttled.replicas`` per topic: every source replica."""
    return _throttle_values(moves, lambda m: m.sources)


def follower_throttles(moves: MoveMap) -> dict[str, str]:
    """``follower.replication.throttled.replicas`` per topic: destinations that are not sources."""
    return _throttle_values(moves, lambda m: m.destinations - m.sources)


def reassigning_brokers(moves: MoveMap) -> list[int]:
    """Every broker that is a source or a destination of some move, sorted."""
    return sorted({b for m in moves.values() for b in m.sources | m.destinations})


async def _alter(admin: KafkaAdminClient, ops: Mapping[ConfigResource, Sequence[AlterConfigOp]]) -> None:
    if not ops:
        return
    for result in await admin.incremental_alter_configs(ops):
        result.check()


async def set_topic_throttles(admin: KafkaAdminClient, leader: Mapping[str, str], follower: Mapping[str, str]) -> None:
    """SET the two topic-level throttled-replica lists (a topic may have only one of them)."""
    ops: dict[ConfigResource, list[AlterConfigOp]] = {}
    for topic in sorted(set(leader) | set(follower)):
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        if topic in leader:
            ops.setdefault(resource, []).append(AlterConfigOp(TOPIC_LEADER_THROTTLE, leader[topic]))
        if topic in follower:
            ops.setdefault(resource, []).append(AlterConfigOp(TOPIC_FOLLOWER_THROTTLE, follower[topic]))
    await _alter(admin, ops)


async def set_inter_broker_throttle(admin: KafkaAdminClient, brokers: Iterable[int], rate: int) -> None:
    """SET the leader and follower replication rates (bytes/s) on each broker."""
    await _alter(admin, {
        ConfigResource(ConfigResourceType.BROKER, str(b)): [
            AlterConfigOp(BROKER_LEADER_THROTTLE, str(rate)), AlterConfigOp(BROKER_FOLLOWER_THROTTLE, str(rate))]
        for b in brokers
    })


async def set_log_dir_throttle(admin: KafkaAdminClient, brokers: Iterable[int], rate: int) -> None:
    """SET ``replica.alter.log.dirs.io.max.bytes.per.second`` on each broker."""
    await _alter(admin, {ConfigResource(ConfigResourceType.BROKER, str(b)): [
        AlterConfigOp(BROKER_LOG_DIR_THROTTLE, str(rate))] for b in brokers})


async def clear_broker_throttles(admin: KafkaAdminClient, brokers: Iterable[int]) -> None:
    """DELETE the three broker-level throttles (deleting an unset config is not an error)."""
    await _alter(admin, {
        ConfigResource(ConfigResourceType.BROKER, str(b)): [
            AlterConfigOp(name, None, AlterConfigOpType.DELETE) for name in BROKER_THROTTLES]
        for b in brokers
    })


async def clear_topic_throttles(admin: KafkaAdminClient, topics: Iterable[str]) -> None:
    """DELETE both topic-level throttled-replica lists."""
    await _alter(admin, {
        ConfigResource(ConfigResourceType.TOPIC, t): [
            AlterConfigOp(name, None, AlterConfigOpType.DELETE) for name in TOPIC_THROTTLES]
        for t in topics
    })
