"""``__consumer_offsets``: Kafka 2.8's ``coordinator/group/GroupMetadataManager.scala``.

- A group lives in partition ``abs(groupId.hashCode) % offsets.topic.num.partitions`` (Java's
  ``String.hashCode``; ``Utils.abs(Integer.MIN_VALUE) == 0``); the partition's leader is the
  group's coordinator.
- Records (key and value each an int16 version then the struct, Kafka's formats):
  an offset commit is ``OffsetCommitKey`` v1 ``(group, topic, partition)`` -> ``OffsetCommitValue``
  v3 ``(offset, leader_epoch, metadata, commit_timestamp)``, or v1 with an ``expire_timestamp``
  when the commit asked for a retention (OffsetCommit v2-4); a group is ``GroupMetadataKey`` v2
  ``(group)`` -> ``GroupMetadataValue`` v3. A null value (tombstone) deletes; the topic is
  compacted, so the latest record per key is the state.
- Becoming leader of a partition loads it: it reads the whole log, as 2.8's
  ``doLoadGroupsAndOffsets`` does with ``FetchLogEnd`` (a new leader's high watermark may still
  lag), the last record per key winning; until then requests for its groups get
  COORDINATOR_LOAD_IN_PROGRESS. Losing the leadership unloads it (its groups become Dead and are
  forgotten here).
- Writes go through the leader's normal append path with ``offsets.commit.required.acks`` (-1)
  and wait up to ``offsets.commit.timeout.ms`` for replication; failures map to the coordinator
  errors Kafka's ``storeOffsets``/``storeGroup`` return.
- Offsets expire ``offsets.retention.minutes`` after the group became Empty (KIP-211), or after
  their commit for topics a live consumer group no longer subscribes to and for groups that only
  hold offsets (no protocol type); an explicit expire timestamp (old commits) wins. An Empty
  group whose offsets are all gone becomes Dead.

Owned by the trio thread, like the coordinator that uses it.
"""

from __future__ import annotations

import logging
from typing import Iterable

import attrs
import trio

from kafka_clone.common.jvm_collections import java_string_hash
from kafka_clone.common.topic import GROUP_METADATA_TOPIC_NAME
from kafka_clone.coordinator.group.group_metadata import (
    GroupMetadata, GroupState, OffsetAndMetadata, wall_clock_ms,
)
from kafka_clone.coordinator.group.member_metadata import MemberMetadata
from kafka_clone.protocol import codec
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import (
    CoordinatorNotAvailable, InvalidCommitOffsetSize, InvalidFetchSize, KafkaError, KafkaStorageError,
    MessageTooLarge, NotCoordinator, NotEnoughReplicas, NotEnoughReplicasAfterAppend, NotLeaderOrFollower,
    RecordListTooLarge, RequestTimedOut, UnknownServerError, UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages.group_metadata import (
    GroupMetadataKey, GroupMetadataValue, MemberMetadata as MemberRecord, OffsetCommitKey, OffsetCommitValue,
)

log = logging.getLogger(__name__)

OFFSET_KEY_VERSION = 1
OFFSET_VALUE_VERSION = 3
OFFSET_VALUE_VERSION_WITH_EXPIRY = 1
GROUP_KEY_VERSION = 2
GROUP_VALUE_VERSION = 3
#: Read this much of the log per step when loading (Kafka's ``offsets.load.buffer.size``).
LOAD_BUFFER_SIZE = 5 * 1024 * 1024


def partition_for(group_id: str, num_partitions: int) -> int:
    h = java_string_hash(group_id)
    signed = h - (1 << 32) if h & 0x80000000 else h
    return (0 if signed == -(1 << 31) else abs(signed)) % num_partitions


# ---- the record formats ----

def offset_commit_key(group_id: str, topic: str, partition: int) -> bytes:
    return codec.encode_versioned(OffsetCommitKey(group=group_id, topic=topic, partition=partition),
                                  OFFSET_KEY_VERSION)


def offset_commit_value(o: OffsetAndMetadata) -> bytes:
    if o.expire_timestamp is not None:
        return codec.encode_versioned(OffsetCommitValue(
            offset=o.offset, metadata=o.metadata, commit_timestamp=o.commit_timestamp,
            expire_timestamp=o.expire_timestamp), OFFSET_VALUE_VERSION_WITH_EXPIRY)
    return codec.encode_versioned(OffsetCommitValue(
        offset=o.offset, leader_epoch=o.leader_epoch, metadata=o.metadata, commit_timestamp=o.commit_timestamp),
        OFFSET_VALUE_VERSION)


def group_metadata_key(group_id: str) -> bytes:
    return codec.encode_versioned(GroupMetadataKey(group=group_id), GROUP_KEY_VERSION)


def group_metadata_value(group: GroupMetadata, assignment: dict[str, bytes]) -> bytes:
    protocol = group.protocol_name
    members = tuple(
        MemberRecord(member_id=m.member_id, group_instance_id=m.group_instance_id, client_id=m.client_id,
                     client_host=m.client_host, rebalance_timeout=m.rebalance_timeout_ms,
                     session_timeout=m.session_timeout_ms,
                     subscription=m.metadata(protocol) if protocol else b"",
                     assignment=assignment.get(m.member_id, b""))
        for m in group.members.values())
    return codec.encode_versioned(GroupMetadataValue(
        protocol_type=group.protocol_type or "", generation=group.generation_id, protocol=protocol,
        leader=group.leader_id, current_state_timestamp=group.current_state_timestamp or -1,
        members=members), GROUP_VALUE_VERSION)


def decode_key(key: bytes) -> OffsetCommitKey | GroupMetadataKey:
    """An offset key (versions 0-1) or a group key (version 2); ValueError otherwise."""
    version = int.from_bytes(key[:2], "big", signed=True)
    if version in (0, 1):
        return codec.decode_versioned(OffsetCommitKey, key)[1]
    if version == 2:
        return codec.decode_versioned(GroupMetadataKey, key)[1]
    raise ValueError(f"unknown __consumer_offsets key version {version}")


def decode_offset_value(value: bytes) -> OffsetAndMetadata:
    version, v = codec.decode_versioned(OffsetCommitValue, value)
    return OffsetAndMetadata(v.offset, v.leader_epoch if version >= 3 else -1, v.metadata, v.commit_timestamp,
                             v.expire_timestamp if version == 1 else None)


def decode_group_value(value: bytes) -> GroupMetadataValue:
    return codec.decode_versioned(GroupMetadataValue, value)[1]


def format_record(key: bytes | None, value: bytes | None) -> str:
    """One line per record, as Kafka's ``OffsetsMessageFormatter`` prints offset commits
    (``[group,topic,partition]::OffsetAndMetadata(offset=.., leaderEpoch=Optional[..], metadata=..,
    commitTimestamp=.., expireTimestamp=None)``) and ``GroupMetadataMessageFormatter`` groups
    (``group::GroupMetadata(...)``, approximated: Kafka prints a Scala map there). For
    ``dump-log --offsets-decoder``."""
    if key is None:
        return "NULL KEY"
    k = decode_key(key)
    if isinstance(k, OffsetCommitKey):
        if value is None:
            return f"[{k.group},{k.topic},{k.partition}]::NULL"
        o = decode_offset_value(value)
        epoch = f"Optional[{o.leader_epoch}]" if o.leader_epoch >= 0 else "Optional.empty"
        expire = f"Some({o.expire_timestamp})" if o.expire_timestamp is not None else "None"
        return (f"[{k.group},{k.topic},{k.partition}]::OffsetAndMetadata(offset={o.offset}, leaderEpoch={epoch}, "
                f"metadata={o.metadata}, commitTimestamp={o.commit_timestamp}, expireTimestamp={expire})")
    if value is None:
        return f"{k.group}::NULL"
    g = decode_group_value(value)
    state = "Stable" if g.members else "Empty"
    members = ", ".join(
        f"{m.member_id} -> MemberMetadata(memberId={m.member_id}, groupInstanceId={m.group_instance_id}, "
        f"clientId={m.client_id}, clientHost={m.client_host}, sessionTimeoutMs={m.session_timeout}, "
        f"rebalanceTimeoutMs={m.rebalance_timeout}, supportedProtocols=List({g.protocol}))" for m in g.members)
    return (f"{k.group}::GroupMetadata(groupId={k.group}, generation={g.generation}, "
            f"protocolType=Some({g.protocol_type}), currentState={state}, members=Map({members}))")


# ---- the manager ----

_STORE_ERRORS: dict[type[KafkaError], type[KafkaError]] = {
    UnknownTopicOrPartition: CoordinatorNotAvailable,
    NotEnoughReplicas: CoordinatorNotAvailable,
    NotEnoughReplicasAfterAppend: CoordinatorNotAvailable,
    RequestTimedOut: CoordinatorNotAvailable,
    NotLeaderOrFollower: NotCoordinator,
    KafkaStorageError: NotCoordinator,
    MessageTooLarge: InvalidCommitOffsetSize,
    RecordListTooLarge: InvalidCommitOffsetSize,
    InvalidFetchSize: InvalidCommitOffsetSize,
}


def _store_error(code: int) -> int:
    """Kafka's mapping of append errors to what a committing client may act on."""
    for kind, mapped in _STORE_ERRORS.items():
        if kind.code == code:
            return mapped.code
    return code if code in (CoordinatorNotAvailable.code, NotCoordinator.code) else UnknownServerError.code


@attrs.define(eq=False)
class GroupMetadataManager:
    broker_id: int
    replica_manager: object  # ReplicaManager: append_to_leader, wait_for_replication, partitions
    num_partitions: int = 50
    retention_ms: int = 10080 * 60_000
    commit_timeout_ms: int = 5000
    required_acks: int = -1
    groups: dict[str, GroupMetadata] = attrs.Factory(dict)
    owned_partitions: set[int] = attrs.Factory(set)
    loading_partitions: set[int] = attrs.Factory(set)
    #: partition -> the leader epoch its current load/ownership belongs to
    _epochs: dict[int, int] = attrs.Factory(dict)

    def partition_for(self, group_id: str) -> int:
        return partition_for(group_id, self.num_partitions)

    def is_loading(self, group_id: str) -> bool:
        return self.partition_for(group_id) in self.loading_partitions

    def is_local(self, group_id: str) -> bool:
        return self.partition_for(group_id) in self.owned_partitions

    def groups_in(self, partition: int) -> list[GroupMetadata]:
        return [g for g in self.groups.values() if self.partition_for(g.group_id) == partition]

    # ---- load / unload ----

    def schedule_load(self, partition: int, leader_epoch: int) -> bool:
        """Mark ``partition`` loading for ``leader_epoch``; False if it is already loaded (a newer
        epoch of our own leadership, e.g. after an ISR change, keeps the groups as they are) or
        that load is already under way."""
        if partition in self.owned_partitions:
            self._epochs[partition] = leader_epoch
            return False
        if self._epochs.get(partition) == leader_epoch and partition in self.loading_partitions:
            return False
        self._epochs[partition] = leader_epoch
        self.owned_partitions.discard(partition)
        self.loading_partitions.add(partition)
        return True

    async def load(self, partition: int, leader_epoch: int) -> list[GroupMetadata] | None:
        """Read the partition to its log end and install its groups; None if the
        leadership changed meanwhile (nothing installed). Cancelled midway: nothing installed,
        the partition stays in ``loading_partitions`` until the next leadership change."""
        p = self.replica_manager.partitions.get((GROUP_METADATA_TOPIC_NAME, partition))
        if p is None or p.log is None:
            return None
        offsets: dict[str, dict[tuple[str, int], OffsetAndMetadata]] = {}
        group_values: dict[str, GroupMetadataValue | None] = {}
        position = p.log.log_start_offset
        started = trio.current_time()
        while True:
            if not self._still_leader(partition, leader_epoch):
                return None
            end = p.log.log_end_offset
            if position >= end:
                break
            info = p.log.read(position, LOAD_BUFFER_SIZE)
            if info.records is None:
                break
            data = info.records.read_bytes()
            for pos, header in rec.iter_batches(data, validate=False):
                if header.is_control:
                    position = header.next_offset
                    continue
                for record in rec.iter_records(data, pos, header):
                    self._apply_loaded(record, offsets, group_values)
                position = header.next_offset
            await trio.sleep(0)
        if not self._still_leader(partition, leader_epoch):
            return None
        loaded = []
        for group_id in set(offsets) | {g for g, v in group_values.items() if v is not None}:
            value = group_values.get(group_id)
            group = _group_from_record(group_id, value)
            group.offsets = offsets.get(group_id, {})
            self.groups[group_id] = group
            loaded.append(group)
        self.loading_partitions.discard(partition)
        self.owned_partitions.add(partition)
        log.info("[GroupMetadataManager brokerId=%d] Finished loading offsets and group metadata from "
                 "__consumer_offsets-%d in %d milliseconds (%d groups)", self.broker_id, partition,
                 int((trio.current_time() - started) * 1000), len(loaded))
        return loaded

    def _still_leader(self, partition: int, leader_epoch: int) -> bool:
        p = self.replica_manager.partitions.get((GROUP_METADATA_TOPIC_NAME, partition))
        return (p is not None and p.is_leader and p.leader_epoch == leader_epoch
                and self._epochs.get(partition) == leader_epoch)

    @staticmethod
    def _apply_loaded(record: rec.Record, offsets: dict, group_values: dict) -> None:
        if record.key is None:
            return
        try:
            key = decode_key(record.key)
        except (ValueError, codec.DecodeError) as exc:
            log.warning("skipping an unreadable __consumer_offsets record at offset %d: %s", record.offset, exc)
            return
        if isinstance(key, OffsetCommitKey):
            tp = (key.topic, key.partition)
            if record.value is None:
                offsets.get(key.group, {}).pop(tp, None)
            else:
                offsets.setdefault(key.group, {})[tp] = decode_offset_value(record.value)
        elif record.value is None:
            group_values[key.group] = None
            offsets.pop(key.group, None)
        else:
            group_values[key.group] = decode_group_value(record.value)

    def unload(self, partition: int) -> list[GroupMetadata]:
        """Forget the partition's groups (Kafka's ``removeGroupsForPartition``); they become Dead."""
        self._epochs.pop(partition, None)
        self.loading_partitions.discard(partition)
        self.owned_partitions.discard(partition)
        removed = self.groups_in(partition)
        for group in removed:
            group.transition_to(GroupState.DEAD)
            del self.groups[group.group_id]
        if removed:
            log.info("[GroupMetadataManager brokerId=%d] Unloaded %d groups of __consumer_offsets-%d",
                     self.broker_id, len(removed), partition)
        return removed

    # ---- writes ----

    async def append(self, group_id: str, entries: Iterable[tuple[bytes, bytes | None]]) -> int:
        """Append records for ``group_id``'s partition and wait for replication: 0 or an error code."""
        partition = self.partition_for(group_id)
        now = wall_clock_ms()
        records = [rec.Record(i, now, k, v) for i, (k, v) in enumerate(entries)]
        if not records:
            return 0
        batch = memoryview(bytearray(rec.build_batch(records, base_offset=0)))
        rm = self.replica_manager
        try:
            p, info = rm.append_to_leader(GROUP_METADATA_TOPIC_NAME, partition, batch, self.required_acks)
        except KafkaError as exc:
            log.debug("append to __consumer_offsets-%d failed: %r", partition, exc)
            return _store_error(exc.code)
        if self.required_acks != -1:
            return 0
        tp = (GROUP_METADATA_TOPIC_NAME, partition)
        outcome = await rm.wait_for_replication({tp: (p, info.last_offset + 1)}, self.commit_timeout_ms)
        return _store_error(outcome[tp]) if outcome[tp] else 0

    async def store_group(self, group: GroupMetadata, assignment: dict[str, bytes]) -> int:
        return await self.append(group.group_id, [(group_metadata_key(group.group_id),
                                                    group_metadata_value(group, assignment))])

    async def store_offsets(self, group: GroupMetadata, offsets: dict[tuple[str, int], OffsetAndMetadata]) -> int:
        """Write the commits; on success they are the group's offsets (in the order written)."""
        code = await self.append(group.group_id, [
            (offset_commit_key(group.group_id, t, p), offset_commit_value(o)) for (t, p), o in offsets.items()])
        if code == 0 and not group.is_state(GroupState.DEAD):
            group.offsets.update(offsets)
        return code

    async def delete_offsets(self, group: GroupMetadata, partitions: Iterable[tuple[str, int]],
                             *, delete_group: bool = False) -> int:
        """Tombstones for ``partitions`` (and the group record); the cache is updated first, as Kafka."""
        entries: list[tuple[bytes, bytes | None]] = []
        for tp in list(partitions):
            group.offsets.pop(tp, None)
            entries.append((offset_commit_key(group.group_id, *tp), None))
        if delete_group:
            entries.append((group_metadata_key(group.group_id), None))
        return await self.append(group.group_id, entries)

    # ---- expiry (KIP-211) ----

    def expired_offsets(self, group: GroupMetadata, now_ms: int) -> list[tuple[str, int]]:
        """The partitions whose committed offset has expired at ``now_ms``."""
        def expired(o: OffsetAndMetadata, base: int) -> bool:
            if o.expire_timestamp is not None:
                return now_ms >= o.expire_timestamp
            return now_ms >= base + self.retention_ms

        if group.protocol_type is None:
            # Offsets only (assign() consumers, tools): each expires from its commit.
            return [tp for tp, o in group.offsets.items() if expired(o, o.commit_timestamp)]
        if group.is_state(GroupState.EMPTY):
            return [tp for tp, o in group.offsets.items()
                    if expired(o, group.current_state_timestamp or o.commit_timestamp)]
        if group.is_consumer_group() and group.subscribed_topics is not None and group.is_state(GroupState.STABLE):
            return [tp for tp, o in group.offsets.items()
                    if tp[0] not in group.subscribed_topics and expired(o, o.commit_timestamp)]
        return []


def _group_from_record(group_id: str, value: GroupMetadataValue | None) -> GroupMetadata:
    """A loaded group: Stable with its members, or Empty (Kafka's ``GroupMetadata.loadGroup``)."""
    if value is None:
        return GroupMetadata(group_id, GroupState.EMPTY)
    state = GroupState.STABLE if value.members else GroupState.EMPTY
    group = GroupMetadata(
        group_id, state,
        current_state_timestamp=value.current_state_timestamp if value.current_state_timestamp >= 0 else None,
        protocol_type=value.protocol_type or None, protocol_name=value.protocol,
        generation_id=value.generation, leader_id=value.leader)
    for m in value.members:
        member = MemberMetadata(
            m.member_id, m.group_instance_id, m.client_id, m.client_host,
            m.rebalance_timeout if m.rebalance_timeout >= 0 else m.session_timeout, m.session_timeout,
            value.protocol_type, ((value.protocol or "", bytes(m.subscription)),), bytes(m.assignment))
        group.members[m.member_id] = member
        if m.group_instance_id is not None:
            group.static_members[m.group_instance_id] = m.member_id
    return group
