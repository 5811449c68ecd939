"""Followers: one fetcher task per source broker, fetching all its partitions in one Fetch.

Mirrors Kafka 2.8's `ReplicaFetcherManager` / `ReplicaFetcherThread` / `AbstractFetcherThread`:
- A partition this broker follows is added to the fetcher of its leader, first in the
  *truncating* state: before fetching, the follower asks the leader (OffsetForLeaderEpoch) where
  its latest leader epoch ends and truncates to that, never by the high watermark alone when an
  epoch is known (KIP-101; KIP-279 repeats the question with an older epoch when the leader does
  not know ours).
- Then one Fetch (`replica_id` = this broker, `replica.fetch.*` limits, long polling with
  `replica.fetch.wait.max.ms`) brings every partition's new batches, appended exactly as the
  leader wrote them (offsets and epochs kept), and the leader's high watermark.
- Errors back off for `replica.fetch.backoff.ms`; a partition whose leader moved waits for the
  controller's next LeaderAndIsr, which moves it to another fetcher.

Each fetcher is a task in the ReplicaManager's nursery; the data it appends goes through the
same `Partition` and `Log` objects as everything else, in the trio thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import attrs
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.log.log import UnexpectedAppendOffset
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import KafkaError, OffsetOutOfRange, error_for_code
from kafka_clone.protocol.messages import fetch as fm
from kafka_clone.protocol.messages.offsets import (
    ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic, OffsetForLeaderEpochRequest,
    OffsetForLeaderPartition, OffsetForLeaderTopic,
)
from kafka_clone.server.partition import Partition

if TYPE_CHECKING:
    from kafka_clone.server.replica_manager import ReplicaManager

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]
UNDEFINED_EPOCH = -1
UNDEFINED_EPOCH_OFFSET = -1


@attrs.define(eq=False)
class FetchState:
    partition: Partition
    leader_epoch: int
    fetch_offset: int
    truncating: bool = True


@attrs.define(eq=False)
class ReplicaFetcher:
    """Fetches every partition this broker follows from one source broker."""

    replica_manager: "ReplicaManager"
    source_broker_id: int
    host: str
    port: int
    partitions: dict[TopicPartition, FetchState] = attrs.Factory(dict)
    _wakeup: trio.Event = attrs.Factory(trio.Event)
    fetches: int = 0

    @property
    def _config(self):
        return self.replica_manager.config

    def add(self, partition: Partition) -> None:
        tp = (partition.topic, partition.partition)
        self.partitions[tp] = FetchState(partition, partition.leader_epoch, partition.log.log_end_offset)
        self._wakeup.set()

    def remove(self, tp: TopicPartition) -> None:
        self.partitions.pop(tp, None)

    def _current(self, tp: TopicPartition, state: FetchState) -> bool:
        """Still ours at the same epoch? (A LeaderAndIsr may have moved it while we waited.)"""
        now = self.partitions.get(tp)
        return now is state and state.partition.leader_epoch == state.leader_epoch and not state.partition.is_leader

    async def run(self) -> None:
        backoff = self._config["replica.fetch.backoff.ms"] / 1000
        conn: BrokerConnection | None = None
        try:
            while True:
                if not self.partitions:
                    self._wakeup = trio.Event()
                    await self._wakeup.wait()
                    continue
                try:
                    if conn is None or conn.closed:
                        conn = await BrokerConnection.connect(
                            self.host, self.port, node_id=self.source_broker_id,
                            client_id=f"broker-{self.replica_manager.broker_id}-fetcher-0",
                            request_timeout_ms=self._config["replica.socket.timeout.ms"])
                    if any(s.truncating for s in self.partitions.values()):
                        await self._truncate(conn)
                    if any(not s.truncating for s in self.partitions.values()):
                        await self._fetch(conn)
                except KafkaError as exc:
                    log.info("[ReplicaFetcher replicaId=%d, leaderId=%d] Error in fetch: %s",
                             self.replica_manager.broker_id, self.source_broker_id, exc)
                    if conn is not None:
                        await conn.aclose()
                        conn = None
                    await trio.sleep(backoff)
        finally:
            if conn is not None:
                with trio.CancelScope(shield=True):
                    await conn.aclose()

    # ---- truncation (KIP-101 / KIP-279) ----

    async def _truncate(self, conn: BrokerConnection) -> None:
        pending = {tp: s for tp, s in self.partitions.items() if s.truncating}
        asked: dict[TopicPartition, int] = {}
        for tp, s in list(pending.items()):
            epoch = s.partition.log.latest_epoch()
            if epoch == UNDEFINED_EPOCH:
                # No epoch known locally: the high watermark is all we can trust.
                self._truncate_to(tp, s, s.partition.high_watermark)
                del pending[tp]
            else:
                asked[tp] = epoch
        if not pending:
            return
        by_topic: dict[str, list[OffsetForLeaderPartition]] = {}
        for tp, s in pending.items():
            by_topic.setdefault(tp[0], []).append(OffsetForLeaderPartition(
                partition=tp[1], current_leader_epoch=s.leader_epoch, leader_epoch=asked[tp]))
        response = await conn.send(ApiKey.OFFSET_FOR_LEADER_EPOCH, None, OffsetForLeaderEpochRequest(
            replica_id=self.replica_manager.broker_id,
            topics=tuple(OffsetForLeaderTopic(topic=t, partitions=tuple(ps)) for t, ps in by_topic.items())))
        for topic in response.topics:
            for r in topic.partitions:
                tp = (topic.topic, r.partition)
                s = pending.get(tp)
                if s is None or not self._current(tp, s):
                    continue
                if r.error_code:
                    log.info("Leader %d answered OffsetForLeaderEpoch for %s-%d with error %d; retrying",
                             self.source_broker_id, *tp, r.error_code)
                    continue
                plog = s.partition.log
                if r.end_offset == UNDEFINED_EPOCH_OFFSET:
                    self._truncate_to(tp, s, s.partition.high_watermark)
                elif r.leader_epoch == UNDEFINED_EPOCH:
                    self._truncate_to(tp, s, min(r.end_offset, plog.log_end_offset))
                else:
                    ours_epoch, ours_end = plog.end_offset_for_epoch(r.leader_epoch)
                    if ours_epoch == r.leader_epoch:
                        self._truncate_to(tp, s, min(r.end_offset, ours_end, plog.log_end_offset))
                    elif 0 <= ours_end < plog.log_end_offset:
                        # KIP-279: we never had the leader's epoch. Cut to the end of our largest
                        # smaller epoch and ask again about that one (still truncating).
                        plog.truncate_to(ours_end)
                        s.partition.producer_state.truncate_and_reload(plog)
                    else:
                        self._truncate_to(tp, s, min(r.end_offset, plog.log_end_offset))

    def _truncate_to(self, tp: TopicPartition, s: FetchState, offset: int) -> None:
        plog = s.partition.log
        if plog.truncate_to(max(offset, 0)):
            log.info("[ReplicaFetcher replicaId=%d] Truncated %s-%d to offset %d",
                     self.replica_manager.broker_id, *tp, plog.log_end_offset)
            s.partition.producer_state.truncate_and_reload(plog)
        s.partition.high_watermark = min(s.partition.high_watermark, plog.log_end_offset)
        s.fetch_offset = plog.log_end_offset
        s.truncating = False

    # ---- fetching ----

    async def _fetch(self, conn: BrokerConnection) -> None:
        cfg = self._config
        rm = self.replica_manager
        states = {tp: s for tp, s in self.partitions.items()
                  if not s.truncating and not rm.should_follower_throttle(s.partition)}
        if not states:
            # Every partition is throttled right now: wait for the quota window to move on.
            await trio.sleep(cfg["replica.fetch.backoff.ms"] / 1000)
            return
        by_topic: dict[str, list[fm.FetchPartition]] = {}
        for tp, s in states.items():
            by_topic.setdefault(tp[0], []).append(fm.FetchPartition(
                partition=tp[1], current_leader_epoch=s.leader_epoch, fetch_offset=s.fetch_offset,
                log_start_offset=s.partition.log.log_start_offset, partition_max_bytes=cfg["replica.fetch.max.bytes"]))
        wait_ms = cfg["replica.fetch.wait.max.ms"]
        request = fm.FetchRequest(
            replica_id=self.replica_manager.broker_id, max_wait_ms=wait_ms, min_bytes=cfg["replica.fetch.min.bytes"],
            max_bytes=cfg["replica.fetch.response.max.bytes"], isolation_level=0, session_id=0, session_epoch=-1,
            topics=tuple(fm.FetchTopic(topic=t, partitions=tuple(ps)) for t, ps in by_topic.items()))
        response = await conn.send(ApiKey.FETCH, None, request,
                                   timeout_ms=cfg["replica.socket.timeout.ms"] + wait_ms)
        self.fetches += 1
        errors = False
        for topic in response.responses:
            for r in topic.partition_responses:
                tp = (topic.topic, r.partition)
                s = states.get(tp)
                if s is None or not self._current(tp, s):
                    continue
                if r.error_code:
                    errors = True
                    await self._on_partition_error(conn, tp, s, r.error_code)
                    continue
                self._append(tp, s, r)
        if errors:
            await trio.sleep(cfg["replica.fetch.backoff.ms"] / 1000)

    def _append(self, tp: TopicPartition, s: FetchState, r: fm.FetchablePartitionResponse) -> None:
        partition = s.partition
        plog = partition.log
        records = r.record_set
        if records is not None and len(records):
            try:
                info = plog.append_as_follower(records)
            except UnexpectedAppendOffset:
                # The leader's log no longer matches ours at this point: truncate again.
                s.truncating = True
                return
            partition.producer_state.append_replicated(records)
            rm = self.replica_manager
            if rm.follower_quota.is_throttled(
                    rm.topic_overrides.get(tp[0], {}).get("follower.replication.throttled.replicas"),
                    tp[1], rm.broker_id):
                rm.follower_quota.record(len(records), trio.current_time())
            if info.records_count:
                self.replica_manager.on_follower_append(partition)
        s.fetch_offset = plog.log_end_offset
        partition.follower_update_high_watermark(r.high_watermark)
        if r.log_start_offset > plog.log_start_offset:
            plog.maybe_increment_log_start_offset(min(r.log_start_offset, partition.high_watermark))

    async def _on_partition_error(self, conn: BrokerConnection, tp: TopicPartition, s: FetchState, code: int) -> None:
        if code == OffsetOutOfRange.code:
            await self._handle_out_of_range(conn, tp, s)
            return
        log.info("[ReplicaFetcher replicaId=%d, leaderId=%d] Partition %s-%d: %s",
                 self.replica_manager.broker_id, self.source_broker_id, *tp, error_for_code(code).name)

    async def _handle_out_of_range(self, conn: BrokerConnection, tp: TopicPartition, s: FetchState) -> None:
        """Kafka's handleOutOfRangeError: behind the leader's log start → start over there;
        ahead of its log end (an unclean leader) → truncate to it."""
        async def leader_offset(timestamp: int) -> int:
            response = await conn.send(ApiKey.LIST_OFFSETS, None, ListOffsetsRequest(
                replica_id=self.replica_manager.broker_id, topics=(ListOffsetsTopic(name=tp[0], partitions=(
                    ListOffsetsPartition(partition_index=tp[1], current_leader_epoch=s.leader_epoch,
                                         timestamp=timestamp),)),)))
            return response.topics[0].partitions[0].offset

        plog = s.partition.log
        leader_end = await leader_offset(-1)
        if leader_end < plog.log_end_offset:
            log.warning("Truncating %s-%d to the leader's log end %d (unclean leader election?)", *tp, leader_end)
            self._truncate_to(tp, s, leader_end)
            return
        leader_start = await leader_offset(-2)
        if leader_start > plog.log_end_offset:
            plog.truncate_fully_and_start_at(leader_start)
            s.partition.producer_state.truncate_fully_and_start_at(leader_start)
        s.fetch_offset = plog.log_end_offset


@attrs.define(eq=False)
class ReplicaFetcherManager:
    replica_manager: "ReplicaManager"
    nursery: trio.Nursery
    fetchers: dict[int, tuple[ReplicaFetcher, trio.CancelScope]] = attrs.Factory(dict)
    _where: dict[TopicPartition, int] = attrs.Factory(dict)

    def add_partition(self, partition: Partition, host: str, port: int) -> None:
        tp = (partition.topic, partition.partition)
        self.remove_partition(tp)
        leader = partition.leader_id
        entry = self.fetchers.get(leader)
        if entry is None or (entry[0].host, entry[0].port) != (host, port):
            if entry is not None:
                entry[1].cancel()
            fetcher = ReplicaFetcher(self.replica_manager, leader, host, port)
            scope = trio.CancelScope()
            self.fetchers[leader] = (fetcher, scope)
            self.nursery.start_soon(self._run, fetcher, scope)
            if entry is not None:
                for old_tp, old_state in entry[0].partitions.items():
                    fetcher.partitions[old_tp] = old_state
        self.fetchers[leader][0].add(partition)
        self._where[tp] = leader

    def remove_partition(self, tp: TopicPartition) -> None:
        leader = self._where.pop(tp, None)
        if leader is not None and leader in self.fetchers:
            fetcher, scope = self.fetchers[leader]
            fetcher.remove(tp)
            if not fetcher.partitions:
                scope.cancel()
                del self.fetchers[leader]

    @staticmethod
    async def _run(fetcher: ReplicaFetcher, scope: trio.CancelScope) -> None:
        with scope:
            await fetcher.run()
