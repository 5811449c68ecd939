"""Partition: one replica of a partition on this broker, as leader or follower.

Mirrors Kafka 2.8's `cluster/Partition.scala`:
- `make_leader` / `make_follower` apply a LeaderAndIsr partition state, accepted only when its
  leader epoch is newer than ours (KIP-101 fencing; an older or equal epoch is ignored).
- The leader tracks each follower's log end offset from its fetches and keeps the **high
  watermark** = min log end offset over the ISR (plus replicas caught up within
  `replica.lag.time.max.ms`), monotonic; consumers read only below it.
- acks=all: `|ISR| < min.insync.replicas` before the append is NOT_ENOUGH_REPLICAS and nothing is
  written (Kafka's `appendRecordsToLeader`).
- A new leader records `(leader_epoch, log end offset)` in the leader-epoch cache, so followers
  can truncate by epoch (KIP-101/KIP-279).

Owned by the trio thread (no locks): every method runs between checkpoints.
"""

from __future__ import annotations

import attrs

from kafka_clone.log.log import FetchDataInfo, Log, LogAppendInfo
from kafka_clone.protocol.errors import (
    FencedLeaderEpoch, NotEnoughReplicas, NotLeaderOrFollower, OffsetOutOfRange, UnknownLeaderEpoch,
)
from kafka_clone.protocol.messages.controller import LeaderAndIsrPartitionState
from kafka_clone.server.producer_state import ProducerStateManager


@attrs.define(eq=False)
class ReplicaState:
    """What the leader knows of one follower (Kafka's `Replica`)."""

    broker_id: int
    log_end_offset: int = -1
    last_fetch_leader_log_end_offset: int = 0
    last_fetch_time_ms: int = 0
    last_caught_up_time_ms: int = 0


@attrs.frozen
class ReadResult:
    info: FetchDataInfo
    high_watermark: int
    log_start_offset: int
    log_end_offset: int


@attrs.define(eq=False)
class Partition:
    topic: str
    partition: int
    local_broker_id: int
    log: Log | None = None
    leader_id: int = -1
    leader_epoch: int = -1
    leader_epoch_start_offset: int = -1
    controller_epoch: int = -1
    zk_version: int = -1
    isr: tuple[int, ...] = ()
    assignment: tuple[int, ...] = ()
    high_watermark: int = 0
    remote_replicas: dict[int, ReplicaState] = attrs.Factory(dict)
    replica_lag_time_max_ms: int = 30000
    #: Idempotent-producer state, created with the log and rebuilt from it.
    producer_state: ProducerStateManager | None = None

    @property
    def is_leader(self) -> bool:
        return self.leader_id == self.local_broker_id

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"

    # ---- LeaderAndIsr ----

    def make_leader(self, state: LeaderAndIsrPartitionState, log: Log, now_ms: int) -> bool:
        """Become leader for `state.leader_epoch`; True if leadership is new (not a re-send)."""
        was_leader = self.is_leader
        self._apply(state, log)
        self.leader_epoch_start_offset = log.log_end_offset
        # KIP-101: the new epoch starts at our log end; followers truncate to it.
        log.assign_epoch_start_offset(state.leader_epoch, log.log_end_offset)
        replicas = {}
        for r in state.replicas:
            if r == self.local_broker_id:
                continue
            replica = self.remote_replicas.get(r) if was_leader else None
            replica = replica or ReplicaState(r)
            # Kafka's makeLeader (resetLastCaughtUpTime): ISR members count as caught up now,
            # others not at all, so a replica the controller took out of the ISR (a dead broker)
            # stops holding the high watermark back at once.
            replica.last_caught_up_time_ms = now_ms if r in state.isr else 0
            replicas[r] = replica
        self.remote_replicas = replicas
        if not was_leader:
            self.high_watermark = max(log.log_start_offset, min(self.high_watermark, log.log_end_offset))
        self.leader_id = self.local_broker_id
        self.maybe_increment_high_watermark(now_ms, self.replica_lag_time_max_ms)
        return not was_leader

    def make_follower(self, state: LeaderAndIsrPartitionState, log: Log) -> bool:
        """Follow `state.leader`; True if the leader changed (the fetcher must restart)."""
        old_leader = self.leader_id
        self._apply(state, log)
        self.remote_replicas = {}
        self.leader_id = state.leader
        self.high_watermark = min(self.high_watermark, log.log_end_offset)
        return old_leader != state.leader

    def _apply(self, state: LeaderAndIsrPartitionState, log: Log) -> None:
        self.log = log
        self.controller_epoch = state.controller_epoch
        self.leader_epoch = state.leader_epoch
        self.zk_version = state.zk_version
        self.isr = tuple(state.isr)
        self.assignment = tuple(state.replicas)

    # ---- the leader's write path ----

    def check_leader_epoch(self, current_leader_epoch: int) -> None:
        """KIP-320: a request that names a leader epoch must name ours."""
        if current_leader_epoch < 0:
            return
        if current_leader_epoch < self.leader_epoch:
            raise FencedLeaderEpoch(f"epoch {current_leader_epoch} is older than {self.leader_epoch} for {self.name}")
        if current_leader_epoch > self.leader_epoch:
            raise UnknownLeaderEpoch(f"epoch {current_leader_epoch} is newer than {self.leader_epoch} for {self.name}")

    def leader_log_or_error(self) -> Log:
        if not self.is_leader or self.log is None:
            raise NotLeaderOrFollower(f"broker {self.local_broker_id} is not the leader of {self.name}")
        return self.log

    def append_records_to_leader(self, records: memoryview, required_acks: int, min_insync_replicas: int,
                                 now_ms: int) -> LogAppendInfo:
        log = self.leader_log_or_error()
        if required_acks == -1 and len(self.isr) < min_insync_replicas:
            raise NotEnoughReplicas(f"the size of the current ISR {set(self.isr)} is insufficient to satisfy "
                                    f"the min.isr requirement of {min_insync_replicas} for partition {self.name}")
        producers = self.producer_state
        # KIP-98: sequence and epoch checks by batch header, before anything is written; a
        # retried batch already in the log is answered with its original offsets, not appended.
        analysis = producers.analyze(records) if producers is not None else None
        if analysis is not None and analysis.duplicate is not None:
            # Kafka recomputes the high watermark after every append attempt; a retried batch's
            # acks=all must not wait for some later append to move it.
            self.maybe_increment_high_watermark(now_ms, self.replica_lag_time_max_ms)
            dup = analysis.duplicate
            return LogAppendInfo(dup.first_offset, dup.last_offset, dup.timestamp, dup.last_offset, dup.timestamp,
                                 log.log_start_offset, 0, 0, 0)
        info = log.append_as_leader(records, self.leader_epoch)
        if analysis is not None:
            producers.complete(analysis, info.first_offset, info.last_offset, info.log_append_time)
        self.maybe_increment_high_watermark(now_ms, self.replica_lag_time_max_ms)
        return info

    # ---- reads ----

    def read_records(self, fetch_offset: int, max_bytes: int, *, current_leader_epoch: int = -1,
                     from_follower: bool = False, min_one_message: bool = True) -> ReadResult:
        """Consumers read below the high watermark, followers up to the log end (Kafka's
        FetchHighWatermark / FetchLogEnd isolation)."""
        log = self.leader_log_or_error()
        self.check_leader_epoch(current_leader_epoch)
        hw, leo, start = self.high_watermark, log.log_end_offset, log.log_start_offset
        if fetch_offset < start or fetch_offset > leo:
            raise OffsetOutOfRange(f"fetch offset {fetch_offset} out of range [{start}, {leo}] for {self.name}")
        info = log.read(fetch_offset, max_bytes, max_offset=None if from_follower else hw,
                        min_one_message=min_one_message)
        return ReadResult(info, hw, start, leo)

    # ---- followers' progress and the high watermark ----

    def update_follower_fetch_state(self, replica_id: int, fetch_offset: int, now_ms: int) -> bool:
        """Record a follower's fetch (its log end offset); True if the high watermark moved."""
        log = self.leader_log_or_error()
        replica = self.remote_replicas.get(replica_id)
        if replica is None:
            return False
        leo = log.log_end_offset
        # Kafka's Replica.updateFetchState: caught up now, or caught up to where we were last time.
        if fetch_offset >= leo:
            replica.last_caught_up_time_ms = max(replica.last_caught_up_time_ms, now_ms)
        elif fetch_offset >= replica.last_fetch_leader_log_end_offset:
            replica.last_caught_up_time_ms = max(replica.last_caught_up_time_ms, replica.last_fetch_time_ms)
        replica.log_end_offset = fetch_offset
        replica.last_fetch_leader_log_end_offset = leo
        replica.last_fetch_time_ms = now_ms
        return self.maybe_increment_high_watermark(now_ms, self.replica_lag_time_max_ms)

    def maybe_increment_high_watermark(self, now_ms: int, replica_lag_time_max_ms: int = 30000) -> bool:
        """HW = min LEO of the leader and every replica in the ISR or caught up recently."""
        if self.log is None or not self.is_leader:
            return False
        new_hw = self.log.log_end_offset
        for r in self.remote_replicas.values():
            # Kafka 2.8: a replica holds the HW back if it is in the ISR or caught up recently
            # (so a replica about to join the ISR is not overtaken by the HW).
            if r.broker_id in self.isr or now_ms - r.last_caught_up_time_ms <= replica_lag_time_max_ms:
                new_hw = min(new_hw, r.log_end_offset)
        if new_hw > self.high_watermark:
            self.high_watermark = new_hw
            return True
        return False

    # ---- ISR changes the leader decides (written to ZooKeeper by the ReplicaManager) ----

    def isr_candidate(self, replica_id: int) -> bool:
        """Kafka's isFollowerInSync for expansion: caught up to the high watermark and into the
        current leader epoch (so it has every record this leader acknowledged)."""
        replica = self.remote_replicas.get(replica_id)
        return (replica is not None and replica_id not in self.isr and replica_id in self.assignment
                and replica.log_end_offset >= self.high_watermark
                and replica.log_end_offset >= self.leader_epoch_start_offset)

    def out_of_sync_replicas(self, now_ms: int) -> tuple[int, ...]:
        """ISR followers that are behind the leader's log end and have not caught up within
        `replica.lag.time.max.ms` (covers both stuck and slow followers; Kafka 2.5+)."""
        if self.log is None or not self.is_leader:
            return ()
        leo = self.log.log_end_offset
        return tuple(r.broker_id for r in self.remote_replicas.values()
                     if r.broker_id in self.isr and r.log_end_offset != leo
                     and now_ms - r.last_caught_up_time_ms > self.replica_lag_time_max_ms)

    def follower_update_high_watermark(self, leader_high_watermark: int) -> None:
        if self.log is not None:
            self.high_watermark = min(leader_high_watermark, self.log.log_end_offset)
