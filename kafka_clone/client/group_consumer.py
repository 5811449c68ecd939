"""A minimal consumer-group member: the part of Kafka's ``ConsumerCoordinator`` a console consumer needs.

``GroupMember`` finds the group's coordinator, joins (KIP-394: the first JoinGroup of v4+ returns
MEMBER_ID_REQUIRED and the id to come back with), computes the assignment when it is the leader
(the ``range`` assignor: per topic, partitions split in contiguous ranges over the members
sorted by id), syncs, heartbeats every ``heartbeat_interval_ms`` and rejoins when the coordinator
answers REBALANCE_IN_PROGRESS (or the coordinator moved). Each completed rebalance publishes
``(generation, assignment)``; the caller assigns those partitions to a ``KafkaConsumer``, seeks
them to ``committed()`` and commits its positions with ``commit()``. Closing sends LeaveGroup.

Usage with the project's ``KafkaConsumer`` (what ``console-consumer --group`` needs)::

    async with GroupMember.create(bootstrap, "group", ["topic"]) as member, trio.open_nursery() as n:
        await n.start(member.run)                  # returns once the first assignment is in
        generation = 0
        while True:
            generation = await member.follow_assignment(consumer, generation)
            records = await consumer.poll(500)
            ...                                    # use them
            await member.commit_positions(consumer)  # Kafka's auto-commit, every auto.commit.interval.ms
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey, codec
from kafka_clone.protocol.errors import (
    CoordinatorNotAvailable, IllegalGeneration, KafkaError, MemberIdRequired, NotCoordinator, RebalanceInProgress,
    UnknownMemberId, error_for_code,
)
from kafka_clone.protocol.messages import group as gm
from kafka_clone.protocol.messages import offset_commit as oc
from kafka_clone.protocol.messages.consumer_protocol import (
    ConsumerProtocolAssignment, ConsumerProtocolAssignmentTopicPartition, ConsumerProtocolSubscription,
)

from .connection import BrokerConnection
from .errors import KafkaConnectionError, KafkaTimeoutError
from .group_admin import GroupAdminClient, decode_assignment
from .network_client import KafkaClient

__all__ = ["GroupMember", "range_assign"]

log = logging.getLogger(__name__)

_REJOIN = (RebalanceInProgress.code, IllegalGeneration.code, UnknownMemberId.code)
_REDISCOVER = (NotCoordinator.code, CoordinatorNotAvailable.code)


def range_assign(members: Mapping[str, Sequence[str]], partitions: Mapping[str, int]
                 ) -> dict[str, list[TopicPartition]]:
    """Kafka's ``RangeAssignor``: per topic, sorted members get contiguous ranges, the first ones one more."""
    result: dict[str, list[TopicPartition]] = {m: [] for m in members}
    for topic, count in sorted(partitions.items()):
        subscribers = sorted(m for m, topics in members.items() if topic in topics)
        if not subscribers:
            continue
        per, extra = divmod(count, len(subscribers))
        start = 0
        for i, m in enumerate(subscribers):
            n = per + (1 if i < extra else 0)
            result[m].extend(TopicPartition(topic, p) for p in range(start, start + n))
            start += n
    return result


def encode_assignment(partitions: Iterable[TopicPartition]) -> bytes:
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return codec.encode_versioned(ConsumerProtocolAssignment(assigned_partitions=tuple(
        ConsumerProtocolAssignmentTopicPartition(topic=t, partitions=tuple(sorted(ps)))
        for t, ps in sorted(by_topic.items()))), 0)


class RejoinNeeded(Exception):
    """The generation ended (rebalance, fenced, coordinator moved): join again."""


@attrs.define(eq=False)
class GroupMember:
    admin: GroupAdminClient
    group_id: str
    topics: tuple[str, ...]
    session_timeout_ms: int = 10000
    rebalance_timeout_ms: int = 300000
    heartbeat_interval_ms: int = 3000
    member_id: str = ""
    generation_id: int = -1
    assignment: frozenset[TopicPartition] = frozenset()
    _conn: BrokerConnection | None = None
    _changed: trio.Event = attrs.Factory(trio.Event)

    @classmethod
    def create(cls, bootstrap_servers: str, group_id: str, topics: Iterable[str], *,
               client_id: str = "console-consumer", **kwargs: Any) -> "GroupMember":
        admin = GroupAdminClient(KafkaClient.create(bootstrap_servers, client_id=client_id))
        return cls(admin, group_id, tuple(topics), **kwargs)

    async def __aenter__(self) -> "GroupMember":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Leave the group (shielded, short) and close the connections."""
        with trio.move_on_after(5, shield=True):
            if self._conn is not None and self.member_id:
                try:
                    await self._conn.send(ApiKey.LEAVE_GROUP, None, gm.LeaveGroupRequest(
                        group_id=self.group_id, member_id=self.member_id,
                        members=(gm.MemberIdentity(member_id=self.member_id),)))
                except (KafkaError, KafkaConnectionError, KafkaTimeoutError) as exc:
                    log.info("LeaveGroup failed: %s", exc)
            await self.admin.client.aclose()

    async def wait_assignment(self, *, after: int) -> tuple[int, frozenset[TopicPartition]]:
        """Wait for a generation newer than ``after``; its number and our partitions."""
        while self.generation_id <= after:
            await self._changed.wait()
        return self.generation_id, self.assignment

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Join, then heartbeat; rejoin whenever the generation ends. Until cancelled."""
        started = False
        while True:
            try:
                await self._join_and_sync()
                if not started:
                    task_status.started()
                    started = True
                await self._heartbeat_until_rejoin()
            except RejoinNeeded as why:
                log.info("Rejoining group %s: %s", self.group_id, why)
            except (KafkaConnectionError, KafkaTimeoutError) as exc:
                log.info("Lost the coordinator of %s: %s", self.group_id, exc)
                self._conn = None
            await self.admin.client.backoff()

    async def _coordinator(self) -> BrokerConnection:
        if self._conn is None or self._conn.closed:
            node = await self.admin.find_coordinator(self.group_id)
            self._conn = await BrokerConnection.connect(node.host, node.port, node_id=node.node_id,
                                                        client_id=self.admin.client.client_id)
        return self._conn

    def _check(self, code: int, what: str) -> None:
        if code in _REDISCOVER:
            self._conn = None
            raise RejoinNeeded(f"{what}: {error_for_code(code).name}")
        if code == UnknownMemberId.code:
            self.member_id = ""
        if code in _REJOIN:
            raise RejoinNeeded(f"{what}: {error_for_code(code).name}")
        if code:
            raise error_for_code(code)(f"{what} for group {self.group_id!r} failed")

    async def _join_and_sync(self) -> None:
        conn = await self._coordinator()
        metadata = codec.encode_versioned(ConsumerProtocolSubscription(topics=self.topics), 0)
        while True:
            response = await conn.send(ApiKey.JOIN_GROUP, None, gm.JoinGroupRequest(
                group_id=self.group_id, session_timeout_ms=self.session_timeout_ms,
                rebalance_timeout_ms=self.rebalance_timeout_ms, member_id=self.member_id, protocol_type="consumer",
                protocols=(gm.JoinGroupRequestProtocol(name="range", metadata=metadata),)),
                timeout_ms=self.rebalance_timeout_ms + 5000)
            if response.error_code == MemberIdRequired.code:
                self.member_id = response.member_id  # KIP-394: come back with it
                continue
            self._check(response.error_code, "JoinGroup")
            break
        self.member_id = response.member_id
        generation = response.generation_id
        assignments: tuple[gm.SyncGroupRequestAssignment, ...] = ()
        if response.leader == self.member_id:
            subscriptions = {m.member_id: codec.decode_versioned(ConsumerProtocolSubscription, m.metadata)[1].topics
                             for m in response.members}
            wanted = sorted({t for topics in subscriptions.values() for t in topics})
            counts: dict[str, int] = {}
            for tp in await self.admin.partitions_of(wanted):
                counts[tp.topic] = counts.get(tp.topic, 0) + 1
            plan = range_assign(subscriptions, counts)
            assignments = tuple(gm.SyncGroupRequestAssignment(member_id=m, assignment=encode_assignment(ps))
                                for m, ps in plan.items())
        sync = await conn.send(ApiKey.SYNC_GROUP, None, gm.SyncGroupRequest(
            group_id=self.group_id, generation_id=generation, member_id=self.member_id,
            protocol_type="consumer", protocol_name="range", assignments=assignments))
        self._check(sync.error_code, "SyncGroup")
        self.generation_id = generation
        self.assignment = frozenset(decode_assignment(sync.assignment))
        self._changed.set()
        self._changed = trio.Event()

    async def _heartbeat_until_rejoin(self) -> None:
        while True:
            await trio.sleep(self.heartbeat_interval_ms / 1000)
            conn = await self._coordinator()
            response = await conn.send(ApiKey.HEARTBEAT, None, gm.HeartbeatRequest(
                group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id))
            self._check(response.error_code, "Heartbeat")

    async def follow_assignment(self, consumer: Any, generation: int) -> int:
        """If a generation newer than ``generation`` completed, assign its partitions to
        ``consumer`` (a ``KafkaConsumer``) and seek each to its committed offset (partitions
        without one start at the consumer's ``auto.offset.reset``). Returns the generation followed."""
        if self.generation_id == generation:
            await trio.lowlevel.checkpoint()
            return generation
        generation, partitions = self.generation_id, sorted(self.assignment)
        consumer.assign(partitions)
        for tp, offset in (await self.committed(partitions)).items():
            if offset >= 0:
                consumer.seek(tp, offset)
        return generation

    async def commit_positions(self, consumer: Any) -> bool:
        """Commit ``consumer``'s positions; False if the generation ended meanwhile (the next
        assignment will resume from the last successful commit: at-least-once)."""
        positions = {tp: await consumer.position(tp) for tp in consumer.assignment()}
        if not positions:
            return True
        try:
            await self.commit(positions)
        except (RebalanceInProgress, IllegalGeneration, UnknownMemberId) as exc:
            log.info("Offset commit skipped: %s", exc)
            return False
        return True

    async def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The group's committed offsets for ``partitions`` (-1: none)."""
        found = await self.admin.list_group_offsets(self.group_id, partitions)
        return {tp: found[tp].offset if tp in found else -1 for tp in partitions}

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit positions as a member of the current generation (raises if it ended)."""
        by_topic: dict[str, list[oc.OffsetCommitRequestPartition]] = {}
        for tp, offset in offsets.items():
            by_topic.setdefault(tp.topic, []).append(oc.OffsetCommitRequestPartition(
                partition_index=tp.partition, committed_offset=offset, committed_metadata=""))
        conn = await self._coordinator()
        response = await conn.send(ApiKey.OFFSET_COMMIT, None, oc.OffsetCommitRequest(
            group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id, topics=tuple(
                oc.OffsetCommitRequestTopic(name=t, partitions=tuple(ps)) for t, ps in by_topic.items())))
        for t in response.topics:
            for p in t.partitions:
                if p.error_code:
                    raise error_for_code(p.error_code)(f"commit of {t.name}-{p.partition_index} failed")
