"""AlterPartitionReassignments (45), ListPartitionReassignments (46), ElectLeaders (43).

KIP-455 and KIP-460 admin APIs: only the controller answers (NOT_CONTROLLER otherwise); each
request becomes a controller event with a one-shot reply, so the controller's single task does
the work and answers per partition.
"""

from __future__ import annotations

import trio

from kafka_clone.controller.events import ApiElectLeaders, ApiPartitionReassignment, ListPartitionReassignments
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import NotController, RequestTimedOut
from kafka_clone.protocol.messages.topics import (
    AlterPartitionReassignmentsResponse, ElectLeadersResponse, ListPartitionReassignmentsResponse,
    OngoingPartitionReassignment, OngoingTopicReassignment, PartitionResult, ReassignablePartitionResponse,
    ReassignableTopicResponse, ReplicaElectionResult,
)
from kafka_clone.server.apis import RequestContext, handles


async def _ask_controller(ctx: RequestContext, make_event, timeout_ms: int):
    """Put an event to the active controller and wait for its reply; None if not the controller,
    RequestTimedOut if it does not answer in time."""
    controller = ctx.broker.controller
    if controller is None or not controller.is_active:
        return None
    send, receive = trio.open_memory_channel(1)
    controller.put(make_event(send))
    with trio.move_on_after(max(timeout_ms, 1) / 1000):
        return await receive.receive()
    raise RequestTimedOut("The controller did not answer in time.")


def _by_topic(items):
    grouped: dict[str, list] = {}
    for (topic, partition), value in items:
        grouped.setdefault(topic, []).append((partition, value))
    return grouped


@handles(ApiKey.ALTER_PARTITION_REASSIGNMENTS)
async def handle_alter_partition_reassignments(ctx: RequestContext):
    body = ctx.body
    wanted = tuple(((t.name, p.partition_index), None if p.replicas is None else tuple(p.replicas))
                   for t in body.topics for p in t.partitions)
    try:
        results = await _ask_controller(ctx, lambda reply: ApiPartitionReassignment(wanted, reply), body.timeout_ms)
    except RequestTimedOut as exc:
        return AlterPartitionReassignmentsResponse(error_code=exc.code, error_message=str(exc))
    if results is None:
        return AlterPartitionReassignmentsResponse(error_code=NotController.code)
    return AlterPartitionReassignmentsResponse(error_code=0, responses=tuple(
        ReassignableTopicResponse(name=t, partitions=tuple(
            ReassignablePartitionResponse(partition_index=p, error_code=e.code if e else 0,
                                          error_message=str(e) if e else None) for p, e in ps))
        for t, ps in _by_topic(results.items()).items()))


@handles(ApiKey.LIST_PARTITION_REASSIGNMENTS)
async def handle_list_partition_reassignments(ctx: RequestContext):
    body = ctx.body
    wanted = None if body.topics is None else tuple(
        (t.name, p) for t in body.topics for p in t.partition_indexes)
    try:
        ongoing = await _ask_controller(ctx, lambda reply: ListPartitionReassignments(wanted, reply), body.timeout_ms)
    except RequestTimedOut as exc:
        return ListPartitionReassignmentsResponse(error_code=exc.code, error_message=str(exc))
    if ongoing is None:
        return ListPartitionReassignmentsResponse(error_code=NotController.code)
    return ListPartitionReassignmentsResponse(error_code=0, topics=tuple(
        OngoingTopicReassignment(name=t, partitions=tuple(
            OngoingPartitionReassignment(partition_index=p, replicas=r.replicas, adding_replicas=r.adding,
                                         removing_replicas=r.removing) for p, r in ps))
        for t, ps in _by_topic(sorted(ongoing.items())).items()))


@handles(ApiKey.ELECT_LEADERS)
async def handle_elect_leaders(ctx: RequestContext):
    body = ctx.body
    kind = body.election_type if ctx.version >= 1 else 0
    wanted = None if body.topic_partitions is None else tuple(
        (t.topic, p) for t in body.topic_partitions for p in t.partition_id)
    cache = ctx.broker.metadata_cache
    epochs_before = {(t, p): info.leader_epoch for t, parts in cache.snapshot.partitions.items()
                     for p, info in parts.items() if wanted is None or (t, p) in wanted}
    try:
        results = await _ask_controller(ctx, lambda reply: ApiElectLeaders(kind, wanted, reply), body.timeout_ms)
    except RequestTimedOut as exc:
        return ElectLeadersResponse(error_code=exc.code)
    if results is None:
        return ElectLeadersResponse(error_code=NotController.code)
    # Kafka's DelayedElectLeader: answer once this broker's metadata shows the new leaders, so a
    # client that asks next sees them.
    elected = [tp for tp, e in results.items() if e is None]

    def propagated() -> bool:
        return all((info := cache.get_partition_info(*tp)) is not None
                   and info.leader_epoch > epochs_before.get(tp, -1) for tp in elected)
    await ctx.broker.topic_admin.wait_for(propagated, body.timeout_ms)
    return ElectLeadersResponse(error_code=0, replica_election_results=tuple(
        ReplicaElectionResult(topic=t, partition_result=tuple(
            PartitionResult(partition_id=p, error_code=e.code if e else 0, error_message=str(e) if e else None)
            for p, e in ps))
        for t, ps in _by_topic(sorted(results.items())).items()))
