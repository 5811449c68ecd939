"""The group APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13),
SyncGroup (14), OffsetCommit (8), OffsetFetch (9), DescribeGroups (15), ListGroups (16),
DeleteGroups (42) and OffsetDelete (47).

Mirrors the group parts of Kafka 2.8's ``KafkaApis``: each handler turns the request into a call
on the broker's ``GroupCoordinator`` (``broker.group_coordinator``) and the answer into the
response of the request's version. Every failure is an error code in the response; a broker
without a running coordinator answers COORDINATOR_NOT_AVAILABLE.

FindCoordinator creates ``__consumer_offsets`` on first use (Kafka's ``createInternalTopic``):
``offsets.topic.num.partitions`` partitions, compacted, and refused with
COORDINATOR_NOT_AVAILABLE while fewer brokers are alive than ``offsets.topic.replication.factor``
(KIP-115; Kafka 2.8 no longer shrinks the replication factor to the live brokers).
"""

from __future__ import annotations

import logging

from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME
from kafka_clone.coordinator.group.group_metadata import OffsetAndMetadata, wall_clock_ms
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import CoordinatorNotAvailable, KafkaError, TopicAlreadyExists, error_for_code
from kafka_clone.protocol.messages import group as gm
from kafka_clone.protocol.messages import group_admin as ga
from kafka_clone.protocol.messages import offset_commit as oc
from kafka_clone.server.apis import RequestContext, handles

log = logging.getLogger(__name__)


def _coordinator(ctx: RequestContext):
    return getattr(ctx.broker, "group_coordinator", None)


def _client_host(ctx: RequestContext) -> str:
    # Kafka shows the client's InetAddress ("/127.0.0.1").
    host = ctx.client_address.rsplit(":", 1)[0]
    return f"/{host}"


def offsets_topic_configs(config) -> dict[str, str]:
    """``GroupMetadataManager.offsetsTopicConfigs`` (this order is Kafka's put order)."""
    return {"cleanup.policy": "compact", "segment.bytes": str(config["offsets.topic.segment.bytes"]),
            "compression.type": "producer"}


async def create_offsets_topic(broker) -> int:
    """Create ``__consumer_offsets`` (0, or the error code the requester should see)."""
    cfg = broker.config
    alive = len(broker.metadata_cache.alive_broker_ids())
    rf = cfg["offsets.topic.replication.factor"]
    if alive < rf:
        log.error("Number of alive brokers '%d' does not meet the required replication factor '%d' for the "
                  "offsets topic (configured via 'offsets.topic.replication.factor'). This error can be ignored "
                  "if the cluster is starting up and not all brokers are up yet.", alive, rf)
        return CoordinatorNotAvailable.code
    try:
        creation = broker.topic_admin.plan_topic(GROUP_METADATA_TOPIC_NAME, cfg["offsets.topic.num.partitions"], rf,
                                                 {}, offsets_topic_configs(cfg))
        await broker.topic_admin.create_topic(creation)
        log.info("Created __consumer_offsets with %d partitions and replication factor %d",
                 cfg["offsets.topic.num.partitions"], rf)
    except TopicAlreadyExists:
        pass
    except KafkaError as exc:
        log.warning("Could not create __consumer_offsets: %r", exc)
    return CoordinatorNotAvailable.code


@handles(ApiKey.FIND_COORDINATOR)
async def handle_find_coordinator(ctx: RequestContext):
    body, version = ctx.body, ctx.version

    def answer(code: int, node_id: int = -1, host: str = "", port: int = -1):
        message = None if code == 0 else error_for_code(code).message
        return gm.FindCoordinatorResponse(throttle_time_ms=0, error_code=code, error_message=message,
                                          node_id=node_id, host=host, port=port)

    coordinator = _coordinator(ctx)
    key_type = body.key_type if version >= 1 else 0
    if coordinator is None or key_type != 0:
        # Transactions (key type 1) are out of the project's scope: no transaction coordinator.
        return answer(CoordinatorNotAvailable.code)
    cache = ctx.broker.metadata_cache
    if not cache.contains_topic(GROUP_METADATA_TOPIC_NAME):
        return answer(await create_offsets_topic(ctx.broker))
    info = cache.get_partition_info(GROUP_METADATA_TOPIC_NAME, coordinator.partition_for(body.key))
    endpoint = cache.get_alive_endpoint(info.leader, ctx.listener_name) if info is not None and info.leader >= 0 \
        else None
    if endpoint is None:
        return answer(CoordinatorNotAvailable.code)
    return answer(0, info.leader, *endpoint)


@handles(ApiKey.JOIN_GROUP)
async def handle_join_group(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    if coordinator is None:
        return gm.JoinGroupResponse(error_code=CoordinatorNotAvailable.code, generation_id=-1, protocol_name="",
                                    leader="", member_id=body.member_id, members=())
    # v0 has no rebalance timeout: it is the session timeout.
    rebalance_timeout = body.rebalance_timeout_ms if version >= 1 else body.session_timeout_ms
    result = await coordinator.handle_join_group(
        body.group_id, body.member_id, body.group_instance_id if version >= 5 else None,
        version >= 4 and body.group_instance_id is None, ctx.request.header.client_id or "", _client_host(ctx),
        rebalance_timeout, body.session_timeout_ms, body.protocol_type,
        tuple((p.name, bytes(p.metadata)) for p in body.protocols))
    return gm.JoinGroupResponse(
        throttle_time_ms=0, error_code=result.error_code, generation_id=result.generation_id,
        protocol_type=result.protocol_type,
        protocol_name=result.protocol_name if (result.protocol_name is not None or version >= 7) else "",
        leader=result.leader_id, member_id=result.member_id,
        members=tuple(gm.JoinGroupResponseMember(member_id=m, group_instance_id=i, metadata=md)
                      for m, i, md in result.members))


@handles(ApiKey.SYNC_GROUP)
async def handle_sync_group(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    if coordinator is None:
        return gm.SyncGroupResponse(error_code=CoordinatorNotAvailable.code, assignment=b"")
    result = await coordinator.handle_sync_group(
        body.group_id, body.generation_id, body.member_id, body.group_instance_id if version >= 3 else None,
        body.protocol_type if version >= 5 else None, body.protocol_name if version >= 5 else None,
        {a.member_id: bytes(a.assignment) for a in body.assignments})
    return gm.SyncGroupResponse(throttle_time_ms=0, error_code=result.error_code,
                                protocol_type=result.protocol_type, protocol_name=result.protocol_name,
                                assignment=result.assignment)


@handles(ApiKey.HEARTBEAT)
async def handle_heartbeat(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    if coordinator is None:
        return gm.HeartbeatResponse(throttle_time_ms=0, error_code=CoordinatorNotAvailable.code)
    code = coordinator.handle_heartbeat(body.group_id, body.member_id,
                                        body.group_instance_id if version >= 3 else None, body.generation_id)
    return gm.HeartbeatResponse(throttle_time_ms=0, error_code=code)


@handles(ApiKey.LEAVE_GROUP)
async def handle_leave_group(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    leaving = [(m.member_id, m.group_instance_id) for m in body.members] if version >= 3 else [(body.member_id, None)]
    if coordinator is None:
        code, codes = CoordinatorNotAvailable.code, []
    else:
        code, codes = coordinator.handle_leave_group(body.group_id, leaving)
    if version < 3:
        # One member: its error is the request's (Kafka's LeaveGroupResponse for v0-2).
        return gm.LeaveGroupResponse(throttle_time_ms=0, error_code=code or (codes[0] if codes else 0))
    return gm.LeaveGroupResponse(throttle_time_ms=0, error_code=code, members=tuple(
        gm.MemberResponse(member_id=m, group_instance_id=i, error_code=c) for (m, i), c in zip(leaving, codes)))


@handles(ApiKey.OFFSET_COMMIT)
async def handle_offset_commit(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    now = wall_clock_ms()
    # OffsetCommit v2-4 may ask for a retention: the record then carries an expire timestamp.
    retention = body.retention_time_ms if 2 <= version <= 4 else -1
    offsets: dict[tuple[str, int], OffsetAndMetadata] = {}
    for t in body.topics:
        for p in t.partitions:
            offsets[(t.name, p.partition_index)] = OffsetAndMetadata(
                p.committed_offset, p.committed_leader_epoch if version >= 6 else -1,
                p.committed_metadata if p.committed_metadata is not None else "", now,
                now + retention if retention != -1 else None)
    if coordinator is None:
        codes = {tp: CoordinatorNotAvailable.code for tp in offsets}
    else:
        codes = await coordinator.handle_commit_offsets(
            body.group_id, body.member_id, body.group_instance_id if version >= 7 else None,
            body.generation_id, offsets)
    by_topic: dict[str, list[oc.OffsetCommitResponsePartition]] = {}
    for (topic, partition), code in codes.items():
        by_topic.setdefault(topic, []).append(oc.OffsetCommitResponsePartition(partition_index=partition,
                                                                               error_code=code))
    return oc.OffsetCommitResponse(throttle_time_ms=0, topics=tuple(
        oc.OffsetCommitResponseTopic(name=t, partitions=tuple(ps)) for t, ps in by_topic.items()))


@handles(ApiKey.OFFSET_FETCH)
async def handle_offset_fetch(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    requested = None if body.topics is None else [(t.name, p) for t in body.topics for p in t.partition_indexes]
    if coordinator is None:
        code, found = CoordinatorNotAvailable.code, {}
    else:
        code, found = coordinator.handle_fetch_offsets(body.group_id, requested)
    if code and version < 2:
        # No top-level error before v2: every requested partition carries it.
        found = {tp: None for tp in requested or []}
    by_topic: dict[str, list[oc.OffsetFetchResponsePartition]] = {}
    for (topic, partition), o in found.items():
        by_topic.setdefault(topic, []).append(oc.OffsetFetchResponsePartition(
            partition_index=partition, committed_offset=o.offset if o else -1,
            committed_leader_epoch=o.leader_epoch if o else -1, metadata=o.metadata if o else "",
            error_code=code if version < 2 else 0))
    return oc.OffsetFetchResponse(throttle_time_ms=0, error_code=code, topics=tuple(
        oc.OffsetFetchResponseTopic(name=t, partitions=tuple(ps)) for t, ps in by_topic.items()))


@handles(ApiKey.OFFSET_DELETE)
async def handle_offset_delete(ctx: RequestContext):
    body = ctx.body
    coordinator = _coordinator(ctx)
    partitions = [(t.name, p.partition_index) for t in body.topics for p in t.partitions]
    if coordinator is None:
        code, results = CoordinatorNotAvailable.code, {}
    else:
        code, results = await coordinator.handle_delete_offsets(body.group_id, partitions)
    by_topic: dict[str, list[oc.OffsetDeleteResponsePartition]] = {}
    for (topic, partition), c in results.items():
        by_topic.setdefault(topic, []).append(oc.OffsetDeleteResponsePartition(partition_index=partition,
                                                                               error_code=c))
    return oc.OffsetDeleteResponse(error_code=code, throttle_time_ms=0, topics=tuple(
        oc.OffsetDeleteResponseTopic(name=t, partitions=tuple(ps)) for t, ps in by_topic.items()))


@handles(ApiKey.LIST_GROUPS)
async def handle_list_groups(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    if coordinator is None:
        return ga.ListGroupsResponse(throttle_time_ms=0, error_code=CoordinatorNotAvailable.code, groups=())
    code, groups = coordinator.handle_list_groups(body.states_filter if version >= 4 else ())
    return ga.ListGroupsResponse(throttle_time_ms=0, error_code=code, groups=tuple(
        ga.ListedGroup(group_id=g, protocol_type=t, group_state=s) for g, t, s in groups))


#: KIP-430 without an authorizer: every operation a group supports (READ 3, DELETE 6, DESCRIBE 8).
GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)


@handles(ApiKey.DESCRIBE_GROUPS)
async def handle_describe_groups(ctx: RequestContext):
    body, version = ctx.body, ctx.version
    coordinator = _coordinator(ctx)
    described = []
    for group_id in body.groups:
        if coordinator is None:
            described.append(ga.DescribedGroup(error_code=CoordinatorNotAvailable.code, group_id=group_id,
                                               group_state="", protocol_type="", protocol_data="", members=()))
            continue
        code, summary = coordinator.handle_describe_group(group_id)
        operations = GROUP_OPERATIONS if version >= 3 and body.include_authorized_operations and not code \
            else -2147483648
        described.append(ga.DescribedGroup(
            error_code=code, group_id=group_id, group_state=summary.state, protocol_type=summary.protocol_type,
            protocol_data=summary.protocol, members=tuple(
                ga.DescribedGroupMember(member_id=m.member_id, group_instance_id=m.group_instance_id,
                                        client_id=m.client_id, client_host=m.client_host,
                                        member_metadata=m.metadata, member_assignment=m.assignment)
                for m in summary.members), authorized_operations=operations))
    return ga.DescribeGroupsResponse(throttle_time_ms=0, groups=tuple(described))


@handles(ApiKey.DELETE_GROUPS)
async def handle_delete_groups(ctx: RequestContext):
    body = ctx.body
    coordinator = _coordinator(ctx)
    if coordinator is None:
        results = {g: CoordinatorNotAvailable.code for g in body.groups_names}
    else:
        results = await coordinator.handle_delete_groups(list(body.groups_names))
    return ga.DeleteGroupsResponse(throttle_time_ms=0, results=tuple(
        ga.DeletableGroupResult(group_id=g, error_code=c) for g, c in results.items()))
