"""Consumer-group administration: the group half of Kafka's ``KafkaAdminClient``.

``listConsumerGroups`` (ListGroups to every broker), ``describeConsumerGroups`` (FindCoordinator,
then DescribeGroups to the coordinator), ``listConsumerGroupOffsets`` (OffsetFetch),
``alterConsumerGroupOffsets`` (OffsetCommit with generation -1 and no member id, accepted only
by an Empty group), ``deleteConsumerGroups`` (DeleteGroups) and ``deleteConsumerGroupOffsets``
(OffsetDelete). Calls to a group's coordinator retry COORDINATOR_NOT_AVAILABLE,
COORDINATOR_LOAD_IN_PROGRESS and NOT_COORDINATOR (finding the coordinator again) until the
deadline, as the Java admin client does; other errors are returned per group or partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey, codec
from kafka_clone.protocol.errors import (
    CoordinatorLoadInProgress, CoordinatorNotAvailable, KafkaError, NotCoordinator, error_for_code,
)
from kafka_clone.protocol.messages import group as gm
from kafka_clone.protocol.messages import group_admin as ga
from kafka_clone.protocol.messages import offset_commit as oc
from kafka_clone.protocol.messages.consumer_protocol import ConsumerProtocolAssignment

from .errors import KafkaConnectionError, KafkaTimeoutError
from .metadata import Node
from .network_client import KafkaClient
from .offsets import ListOffsetsResult, list_offsets

__all__ = ["GroupAdminClient", "GroupListing", "GroupDescription", "MemberDescription", "CommittedOffset"]

_RETRIABLE = (CoordinatorNotAvailable.code, CoordinatorLoadInProgress.code, NotCoordinator.code)


@attrs.frozen
class GroupListing:
    group_id: str
    protocol_type: str
    state: str = ""


@attrs.frozen
class MemberDescription:
    member_id: str
    group_instance_id: str | None
    client_id: str
    host: str
    #: The decoded consumer assignment (empty unless the group is a Stable consumer group).
    assignment: tuple[TopicPartition, ...]


@attrs.frozen
class GroupDescription:
    group_id: str
    state: str
    protocol_type: str
    protocol: str
    coordinator: Node
    members: tuple[MemberDescription, ...]
    error: KafkaError | None = attrs.field(default=None, eq=False)


@attrs.frozen
class CommittedOffset:
    offset: int
    metadata: str
    leader_epoch: int = -1


def _error(code: int) -> KafkaError | None:
    return error_for_code(code)() if code else None


def decode_assignment(data: bytes) -> tuple[TopicPartition, ...]:
    if not data:
        return ()
    try:
        assignment = codec.decode_versioned(ConsumerProtocolAssignment, data)[1]
    except codec.DecodeError:
        return ()
    return tuple(TopicPartition(t.topic, p) for t in assignment.assigned_partitions for p in t.partitions)


@attrs.define(eq=False)
class GroupAdminClient:
    client: KafkaClient
    timeout_ms: int = 60000

    @classmethod
    def create(cls, bootstrap_servers: str | Iterable[str], *, client_id: str = "adminclient-groups",
               timeout_ms: int = 60000, **kwargs: Any) -> "GroupAdminClient":
        return cls(KafkaClient.create(bootstrap_servers, client_id=client_id, **kwargs), timeout_ms)

    async def __aenter__(self) -> "GroupAdminClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.aclose()

    # ---- coordinator routing ----

    async def find_coordinator(self, group_id: str) -> Node:
        """The group's coordinator, retrying while it is not available (the offsets topic may be
        being created) until the deadline."""
        deadline = trio.current_time() + self.timeout_ms / 1000
        while True:
            try:
                response = await self.client.send_any(ApiKey.FIND_COORDINATOR, gm.FindCoordinatorRequest(
                    key=group_id, key_type=0))
                code = response.error_code
            except KafkaConnectionError:
                code = CoordinatorNotAvailable.code
            if code == 0:
                return Node(response.node_id, response.host, response.port, None)
            if code not in _RETRIABLE or trio.current_time() >= deadline:
                raise error_for_code(code)(f"FindCoordinator for group {group_id!r} failed")
            await self.client.backoff()

    async def _call(self, group_id: str, api_key: ApiKey, build: Callable[[int], Any],
                    error_of: Callable[[Any], int]) -> tuple[Node, Any]:
        deadline = trio.current_time() + self.timeout_ms / 1000
        while True:
            node = await self.find_coordinator(group_id)
            try:
                await self._ensure_known(node)
                conn = await self.client.connection(node.node_id)
                response = await conn.send(api_key, None, build(conn.version_for(api_key)))
                code = error_of(response)
            except (KafkaConnectionError, KafkaTimeoutError):
                code = CoordinatorNotAvailable.code
                response = None
            if code not in _RETRIABLE:
                return node, response
            if trio.current_time() >= deadline:
                raise error_for_code(code)(f"{api_key.name} for group {group_id!r} failed")
            await self.client.backoff()

    async def _ensure_known(self, node: Node) -> None:
        cluster = self.client.cluster
        if cluster is None or cluster.broker(node.node_id) is None:
            await self.client.refresh_metadata(())

    # ---- the API ----

    async def list_groups(self, states: Sequence[str] = ()) -> list[GroupListing]:
        """Every group of every broker (ListGroups is answered per coordinator)."""
        cluster = await self.client.refresh_metadata(())
        found: dict[str, GroupListing] = {}
        for broker in cluster.brokers:
            conn = await self.client.connection(broker.node_id)
            request = ga.ListGroupsRequest(states_filter=tuple(states))
            response = await conn.send(ApiKey.LIST_GROUPS, None, request)
            if response.error_code and response.error_code != CoordinatorLoadInProgress.code:
                raise error_for_code(response.error_code)(f"ListGroups on broker {broker.node_id} failed")
            for g in response.groups:
                found[g.group_id] = GroupListing(g.group_id, g.protocol_type, g.group_state)
        return [found[k] for k in sorted(found)]

    async def describe_group(self, group_id: str) -> GroupDescription:
        node, response = await self._call(
            group_id, ApiKey.DESCRIBE_GROUPS, lambda v: ga.DescribeGroupsRequest(groups=(group_id,)),
            lambda r: r.groups[0].error_code)
        g = response.groups[0]
        consumer = g.protocol_type == "consumer"
        return GroupDescription(g.group_id, g.group_state, g.protocol_type, g.protocol_data, node, tuple(
            MemberDescription(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                              decode_assignment(m.member_assignment) if consumer else ())
            for m in g.members), _error(g.error_code))

    async def list_group_offsets(self, group_id: str, partitions: Sequence[TopicPartition] | None = None
                                 ) -> dict[TopicPartition, CommittedOffset]:
        """Committed offsets (all of the group's when ``partitions`` is None); -1 = none committed."""
        def build(version: int) -> oc.OffsetFetchRequest:
            if partitions is None:
                return oc.OffsetFetchRequest(group_id=group_id, topics=None, require_stable=False)
            by_topic: dict[str, list[int]] = {}
            for tp in partitions:
                by_topic.setdefault(tp.topic, []).append(tp.partition)
            return oc.OffsetFetchRequest(group_id=group_id, require_stable=False, topics=tuple(
                oc.OffsetFetchRequestTopic(name=t, partition_indexes=tuple(ps)) for t, ps in by_topic.items()))

        _, response = await self._call(group_id, ApiKey.OFFSET_FETCH, build, lambda r: r.error_code)
        if response.error_code:
            raise error_for_code(response.error_code)(f"OffsetFetch for group {group_id!r} failed")
        result = {}
        for t in response.topics:
            for p in t.partitions:
                if p.error_code:
                    raise error_for_code(p.error_code)(f"OffsetFetch of {t.name}-{p.partition_index} failed")
                result[TopicPartition(t.name, p.partition_index)] = CommittedOffset(
                    p.committed_offset, p.metadata or "", p.committed_leader_epoch)
        return result

    async def alter_group_offsets(self, group_id: str, offsets: Mapping[TopicPartition, int]
                                  ) -> dict[TopicPartition, KafkaError | None]:
        """Commit ``offsets`` as a non-member (generation -1): only an Empty group accepts it."""
        by_topic: dict[str, list[oc.OffsetCommitRequestPartition]] = {}
        for tp, offset in offsets.items():
            by_topic.setdefault(tp.topic, []).append(oc.OffsetCommitRequestPartition(
                partition_index=tp.partition, committed_offset=offset, committed_metadata=""))
        request = oc.OffsetCommitRequest(group_id=group_id, generation_id=-1, member_id="", topics=tuple(
            oc.OffsetCommitRequestTopic(name=t, partitions=tuple(ps)) for t, ps in by_topic.items()))

        def first_error(r: Any) -> int:
            codes = [p.error_code for t in r.topics for p in t.partitions]
            return next((c for c in codes if c in _RETRIABLE), 0)

        _, response = await self._call(group_id, ApiKey.OFFSET_COMMIT, lambda v: request, first_error)
        return {TopicPartition(t.name, p.partition_index): _error(p.error_code)
                for t in response.topics for p in t.partitions}

    async def delete_groups(self, group_ids: Sequence[str]) -> dict[str, KafkaError | None]:
        results = {}
        for group_id in group_ids:
            _, response = await self._call(
                group_id, ApiKey.DELETE_GROUPS, lambda v, g=group_id: ga.DeleteGroupsRequest(groups_names=(g,)),
                lambda r: r.results[0].error_code)
            results[group_id] = _error(response.results[0].error_code)
        return results

    async def delete_group_offsets(self, group_id: str, partitions: Sequence[TopicPartition]
                                   ) -> tuple[KafkaError | None, dict[TopicPartition, KafkaError | None]]:
        by_topic: dict[str, list[int]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        request = oc.OffsetDeleteRequest(group_id=group_id, topics=tuple(
            oc.OffsetDeleteRequestTopic(name=t, partitions=tuple(
                oc.OffsetDeleteRequestPartition(partition_index=p) for p in ps)) for t, ps in by_topic.items()))
        _, response = await self._call(group_id, ApiKey.OFFSET_DELETE, lambda v: request, lambda r: r.error_code)
        return _error(response.error_code), {
            TopicPartition(t.name, p.partition_index): _error(p.error_code)
            for t in response.topics for p in t.partitions}

    async def list_offsets(self, specs: Mapping[TopicPartition, int]) -> dict[TopicPartition, ListOffsetsResult]:
        return await list_offsets(self.client, specs, timeout_ms=self.timeout_ms)

    async def partitions_of(self, topics: Sequence[str]) -> list[TopicPartition]:
        cluster = await self.client.refresh_metadata(list(topics))
        result = []
        for name in topics:
            topic = cluster.topic(name)
            if topic is None or topic.error is not None:
                raise (topic.error if topic is not None else KafkaError(f"unknown topic {name}"))
            result.extend(TopicPartition(name, p.partition) for p in topic.partitions)
        return sorted(result)
