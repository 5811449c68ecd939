"""The rest of Kafka 2.8's ``GroupCoordinator``: offsets and group administration.

- OffsetCommit (``handleCommitOffsets``): a group-managed commit must come from a member of the
  current generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION; REBALANCE_IN_PROGRESS while the
  group completes a rebalance); a commit with generation -1 to an Empty or unknown group is a
  "simple" commit (``assign()`` consumers, tools) and creates the group to hold the offsets.
  Metadata above ``offset.metadata.max.bytes`` is OFFSET_METADATA_TOO_LARGE for that partition.
- OffsetFetch, OffsetDelete (KIP-496: not for topics the live consumer group subscribes to).
- ListGroups, DescribeGroups, DeleteGroups (only Empty groups: NON_EMPTY_GROUP otherwise).
- Offset expiry (KIP-211), every ``offsets.retention.check.interval.ms``.

A mixin of ``GroupCoordinator`` (same owner, same trio thread); split out to keep modules small.
"""

from __future__ import annotations

import logging
from typing import Iterable

import trio

from kafka_clone.coordinator.group.group_metadata import (
    GroupMetadata, GroupState, GroupSummary, OffsetAndMetadata, wall_clock_ms,
)
from kafka_clone.protocol.errors import (
    CoordinatorLoadInProgress, CoordinatorNotAvailable, FencedInstanceId, GroupIdNotFound, GroupSubscribedToTopic,
    IllegalGeneration, NonEmptyGroup, OffsetMetadataTooLarge, RebalanceInProgress, UnknownMemberId,
)

log = logging.getLogger(__name__)

EMPTY, COMPLETING, DEAD = GroupState.EMPTY, GroupState.COMPLETING_REBALANCE, GroupState.DEAD


class OffsetsAndAdmin:
    """Needs from the coordinator: ``manager``, ``active``, ``max_metadata_size``,
    ``retention_check_interval_ms``, ``_validate`` and ``_schedule_heartbeat``."""

    # ---- offsets ----

    async def handle_commit_offsets(self, group_id: str, member_id: str, group_instance_id: str | None,
                                    generation_id: int,
                                    offsets: dict[tuple[str, int], OffsetAndMetadata]) -> dict[tuple[str, int], int]:
        def all_(code: int) -> dict[tuple[str, int], int]:
            return {tp: code for tp in offsets}

        code = self._validate(group_id, allow_empty=True)
        if code:
            return all_(code)
        group = self.manager.groups.get(group_id)
        if group is None:
            if generation_id >= 0:
                return all_(IllegalGeneration.code)
            # Not managed by Kafka (assign() consumers, tools): a group just to hold offsets.
            group = self.manager.groups[group_id] = GroupMetadata(group_id)
        if group.is_state(DEAD):
            return all_(CoordinatorNotAvailable.code)
        if group.is_static_member_fenced(member_id, group_instance_id):
            return all_(FencedInstanceId.code)
        if not (generation_id < 0 and group.is_state(EMPTY)):
            if group.is_state(COMPLETING):
                return all_(RebalanceInProgress.code)
            if not group.has(member_id):
                return all_(UnknownMemberId.code)
            if generation_id != group.generation_id:
                return all_(IllegalGeneration.code)
            self._schedule_heartbeat(group, group.get(member_id))
        results: dict[tuple[str, int], int] = {}
        valid: dict[tuple[str, int], OffsetAndMetadata] = {}
        for tp, o in offsets.items():
            if o.metadata is not None and len(o.metadata.encode()) > self.max_metadata_size:
                results[tp] = OffsetMetadataTooLarge.code
            else:
                valid[tp] = o
        if valid:
            code = await self.manager.store_offsets(group, valid)
            results.update({tp: code for tp in valid})
        return {tp: results[tp] for tp in offsets}

    def handle_fetch_offsets(self, group_id: str, partitions: Iterable[tuple[str, int]] | None
                             ) -> tuple[int, dict[tuple[str, int], OffsetAndMetadata | None]]:
        code = self._validate(group_id, allow_empty=True)
        if code:
            return code, {}
        group = self.manager.groups.get(group_id)
        known = group.offsets if group is not None and not group.is_state(DEAD) else {}
        if partitions is None:
            return 0, dict(known)
        return 0, {tp: known.get(tp) for tp in partitions}

    async def handle_delete_offsets(self, group_id: str, partitions: list[tuple[str, int]]
                                    ) -> tuple[int, dict[tuple[str, int], int]]:
        code = self._validate(group_id)
        if code:
            return code, {}
        group = self.manager.groups.get(group_id)
        if group is None or group.is_state(DEAD):
            return GroupIdNotFound.code, {}
        results: dict[tuple[str, int], int] = {}
        if group.is_state(EMPTY):
            deletable = list(partitions)
        elif group.is_consumer_group():
            subscribed = group.subscribed_topics or frozenset()
            deletable = [tp for tp in partitions if tp[0] not in subscribed]
            results.update({tp: GroupSubscribedToTopic.code for tp in partitions if tp[0] in subscribed})
        else:
            return NonEmptyGroup.code, {}
        if deletable:
            await self.manager.delete_offsets(group, deletable)
        results.update({tp: 0 for tp in deletable})
        return 0, results

    # ---- group administration ----

    def handle_list_groups(self, states: Iterable[str] = ()) -> tuple[int, list[tuple[str, str, str]]]:
        if not self.active:
            return CoordinatorNotAvailable.code, []
        wanted = {s.lower() for s in states}
        code = CoordinatorLoadInProgress.code if self.manager.loading_partitions else 0
        return code, [(g.group_id, g.protocol_type or "", str(g.state)) for g in self.manager.groups.values()
                      if not wanted or str(g.state).lower() in wanted]

    def handle_describe_group(self, group_id: str) -> tuple[int, GroupSummary]:
        dead = GroupSummary("Dead", "", "", ())
        code = self._validate(group_id, allow_empty=True)
        if code:
            return code, dead
        group = self.manager.groups.get(group_id)
        return 0, group.summary() if group is not None else dead

    async def handle_delete_groups(self, group_ids: list[str]) -> dict[str, int]:
        results = {}
        for group_id in group_ids:
            code = self._validate(group_id, allow_empty=True)
            group = self.manager.groups.get(group_id)
            if code:
                results[group_id] = code
            elif group is None or group.is_state(DEAD):
                results[group_id] = GroupIdNotFound.code
            elif not group.is_state(EMPTY):
                results[group_id] = NonEmptyGroup.code
            else:
                group.transition_to(DEAD)
                del self.manager.groups[group_id]
                await self.manager.delete_offsets(group, list(group.offsets), delete_group=True)
                results[group_id] = 0
        return results

    # ---- offset expiry (KIP-211) ----

    async def _expire_offsets_periodically(self) -> None:
        while True:
            await trio.sleep(self.retention_check_interval_ms / 1000)
            await self.expire_offsets()

    async def expire_offsets(self) -> int:
        """One pass of Kafka's ``cleanupGroupMetadata``: how many offsets were removed."""
        removed = 0
        now = wall_clock_ms()
        for group in list(self.manager.groups.values()):
            expired = self.manager.expired_offsets(group, now)
            drop_group = group.is_state(EMPTY) and len(expired) == len(group.offsets)
            if not expired and not drop_group:
                continue
            if drop_group:
                group.transition_to(DEAD)
                self.manager.groups.pop(group.group_id, None)
            removed += len(expired)
            await self.manager.delete_offsets(group, expired, delete_group=drop_group)
            log.info("Removed %d expired offsets of group %s%s", len(expired), group.group_id,
                     " and the group (now Dead)" if drop_group else "")
        return removed
