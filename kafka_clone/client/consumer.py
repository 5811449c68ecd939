"""A simple consumer of assigned partitions: Kafka's ``KafkaConsumer`` + ``Fetcher`` (2.8), no groups.

State per assigned partition is its *position* (the next offset to fetch) or a pending reset
(``seek_to_beginning``/``seek_to_end``, or the ``auto.offset.reset`` policy). Each ``poll``:

1. resolves pending resets with ListOffsets at the leaders (``offsets.list_offsets``);
2. sends one Fetch per leader for all its partitions (``max_wait_ms``, ``min_bytes``,
   ``max_bytes``, ``max_partition_fetch_bytes``, ``isolation_level``), to all leaders at once;
3. parses the returned record batches with ``protocol.records``: the CRC of each batch is checked
   (``check.crcs``), control batches are skipped, records below the position (a batch may begin
   before it) are dropped, and a truncated batch at the end of the data is left for the next
   fetch (the broker may slice its log mid-batch);
4. advances the positions past the returned records.

Errors: NOT_LEADER_OR_FOLLOWER and the like refresh metadata on the next poll; OFFSET_OUT_OF_RANGE
resets the position by ``auto.offset.reset`` (``earliest``/``latest``) or raises
``OffsetOutOfRange`` for ``none``. Consumer groups, committed offsets and fetch sessions
(KIP-227: we always send session id 0, epoch -1) are not implemented.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    CorruptMessage,
    KafkaError,
    OffsetOutOfRange,
    UnknownTopicOrPartition,
    error_for_code,
)
from kafka_clone.protocol.messages.fetch import FetchPartition, FetchRequest, FetchTopic
from kafka_clone.protocol.records import (
    BATCH_HEADER_SIZE,
    LOG_OVERHEAD,
    TimestampType,
    iter_records,
    unpack_header,
    validate_batch,
)

from .errors import KafkaConnectionError, KafkaTimeoutError
from .network_client import KafkaClient, run_concurrently
from .offsets import CONSUMER_REPLICA_ID, EARLIEST, LATEST, list_offsets

__all__ = ["KafkaConsumer", "ConsumerRecord"]

_RESETS = {"earliest": EARLIEST, "latest": LATEST}


@attrs.frozen
class ConsumerRecord:
    """One consumed record (Kafka's ``ConsumerRecord``)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: TimestampType
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    leader_epoch: int = -1


@attrs.define(eq=False)
class KafkaConsumer:
    """Fetches from assigned partitions. ``async with KafkaConsumer.create("h:p") as c``."""

    client: KafkaClient
    auto_offset_reset: str = "latest"
    fetch_max_wait_ms: int = 500
    fetch_min_bytes: int = 1
    fetch_max_bytes: int = 52428800
    max_partition_fetch_bytes: int = 1048576
    isolation_level: int = 0
    check_crcs: bool = True
    default_api_timeout_ms: int = 60000
    #: Assigned partitions -> position (None = to be reset with the pending timestamp spec).
    _positions: dict[TopicPartition, int | None] = attrs.field(factory=dict)
    _resets: dict[TopicPartition, int] = attrs.field(factory=dict)

    @classmethod
    def create(
        cls,
        bootstrap_servers: str | Iterable[str],
        *,
        client_id: str = "consumer-1",
        auto_offset_reset: str = "latest",
        fetch_max_wait_ms: int = 500,
        fetch_min_bytes: int = 1,
        fetch_max_bytes: int = 52428800,
        max_partition_fetch_bytes: int = 1048576,
        isolation_level: str = "read_uncommitted",
        request_timeout_ms: int = 30000,
        retry_backoff_ms: int = 100,
    ) -> KafkaConsumer:
        """Build a consumer from Kafka's config names (``auto.offset.reset``, ``fetch.max.wait.ms``, ...)."""
        if auto_offset_reset not in ("earliest", "latest", "none"):
            raise ValueError(
                f"Invalid value {auto_offset_reset} for configuration auto.offset.reset: "
                "String must be one of: latest, earliest, none"
            )
        if isolation_level not in ("read_uncommitted", "read_committed"):
            raise ValueError(f"Invalid value {isolation_level} for configuration isolation.level")
        client = KafkaClient.create(
            bootstrap_servers, client_id=client_id, request_timeout_ms=request_timeout_ms,
            retry_backoff_ms=retry_backoff_ms,
        )
        return cls(
            client, auto_offset_reset, fetch_max_wait_ms, fetch_min_bytes, fetch_max_bytes, max_partition_fetch_bytes,
            1 if isolation_level == "read_committed" else 0,
        )

    async def __aenter__(self) -> KafkaConsumer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    # ---- assignment and positions ---------------------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Replace the assignment; new partitions start at ``auto.offset.reset``."""
        wanted = list(dict.fromkeys(partitions))
        self._positions = {tp: self._positions.get(tp) for tp in wanted}
        self._resets = {tp: spec for tp, spec in self._resets.items() if tp in self._positions}
        for tp, position in self._positions.items():
            if position is None and tp not in self._resets and self.auto_offset_reset != "none":
                self._resets[tp] = _RESETS[self.auto_offset_reset]

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(self._positions)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Fetch ``tp`` from ``offset`` next."""
        self._require_assigned(tp)
        if offset < 0:
            raise ValueError(f"seek offset must not be negative: {offset}")
        self._positions[tp] = offset
        self._resets.pop(tp, None)

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Reset to the log start offset at the next poll (lazily, as Kafka does)."""
        self._seek_spec(partitions, EARLIEST)

    def seek_to_end(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Reset to the log end offset at the next poll."""
        self._seek_spec(partitions, LATEST)

    async def position(self, tp: TopicPartition) -> int:
        """The next offset to fetch, resolving a pending reset first."""
        self._require_assigned(tp)
        await trio.lowlevel.checkpoint()
        await self._resolve_resets()
        position = self._positions[tp]
        assert position is not None
        return position

    # ---- fetching -------------------------------------------------------------------------------

    async def poll(self, timeout_ms: int = 0) -> list[ConsumerRecord]:
        """Records from the assigned partitions, waiting up to ``timeout_ms`` for some.

        Every fetch round waits at most ``fetch.max.wait.ms`` at the broker; rounds repeat until
        records arrive or ``timeout_ms`` has passed (one round at least). Raises
        ``OffsetOutOfRange`` under ``auto.offset.reset=none`` and non-retriable partition
        errors; retriable ones are retried on the next round. If cancelled, positions are not
        advanced for records not yet returned.
        """
        if not self._positions:
            raise ValueError("Consumer is not subscribed to any topics or assigned any partitions")
        deadline = trio.current_time() + timeout_ms / 1000
        while True:
            records = await self._fetch_round()
            if records or trio.current_time() >= deadline:
                return records

    async def _fetch_round(self) -> list[ConsumerRecord]:
        if not self._positions:
            return []
        await self._resolve_resets()
        cluster = self.client.cluster
        if cluster is None or any(cluster.topic(tp.topic) is None for tp in self._positions):
            cluster = await self.client.refresh_metadata(sorted({tp.topic for tp in self._positions}))
        by_leader: dict[int, list[TopicPartition]] = {}
        stale = False
        for tp in self._positions:
            meta = cluster.topic(tp.topic)
            if meta is not None and isinstance(meta.error, UnknownTopicOrPartition):
                raise UnknownTopicOrPartition(f"Topic {tp.topic} not present in metadata")
            pm = meta.partition(tp.partition) if meta is not None else None
            if pm is None or pm.leader < 0:
                stale = True
                continue
            by_leader.setdefault(pm.leader, []).append(tp)
        fetched: dict[TopicPartition, list[ConsumerRecord]] = {}
        errors: list[KafkaError] = []
        refresh: list[bool] = [stale]
        await run_concurrently(
            (self._fetch_from, (leader, tps, fetched, errors, refresh)) for leader, tps in by_leader.items()
        )
        if errors:
            raise errors[0]
        if any(refresh):
            await self.client.backoff()
            await self.client.refresh_metadata(sorted({tp.topic for tp in self._positions}))
        records: list[ConsumerRecord] = []
        for tp, recs in fetched.items():
            if recs and tp in self._positions:
                self._positions[tp] = recs[-1].offset + 1
                records.extend(recs)
        return records

    async def _fetch_from(
        self,
        leader: int,
        tps: list[TopicPartition],
        fetched: dict[TopicPartition, list[ConsumerRecord]],
        errors: list[KafkaError],
        refresh: list[bool],
    ) -> None:
        topics: dict[str, list[FetchPartition]] = {}
        for tp in tps:
            topics.setdefault(tp.topic, []).append(
                FetchPartition(
                    partition=tp.partition, fetch_offset=self._positions[tp] or 0,
                    partition_max_bytes=self.max_partition_fetch_bytes,
                )
            )
        request = FetchRequest(
            replica_id=CONSUMER_REPLICA_ID,
            max_wait_ms=self.fetch_max_wait_ms,
            min_bytes=self.fetch_min_bytes,
            max_bytes=self.fetch_max_bytes,
            isolation_level=self.isolation_level,
            session_id=0,
            session_epoch=-1,
            topics=tuple(FetchTopic(topic=t, partitions=tuple(ps)) for t, ps in topics.items()),
        )
        try:
            # The broker may hold a fetch for max_wait_ms before answering (long poll).
            response = await self.client.send(
                leader, ApiKey.FETCH, request, timeout_ms=self.client.request_timeout_ms + self.fetch_max_wait_ms
            )
        except (KafkaConnectionError, KafkaTimeoutError):
            refresh.append(True)
            return
        if response.error_code:
            errors.append(error_for_code(response.error_code)())
            return
        for t in response.responses:
            for p in t.partition_responses:
                tp = TopicPartition(t.topic, p.partition)
                if tp not in self._positions or self._positions[tp] is None:
                    continue
                if p.error_code == 0:
                    fetched[tp] = self._parse(tp, p.record_set, self._positions[tp])
                elif p.error_code == OffsetOutOfRange.code:
                    self._out_of_range(tp, errors)
                else:
                    error = error_for_code(p.error_code)
                    if error.retriable:
                        refresh.append(True)
                    else:
                        errors.append(error(f"{error.message} ({tp})"))

    def _parse(self, tp: TopicPartition, data: memoryview | bytes | None, position: int) -> list[ConsumerRecord]:
        if not data:
            return []
        out: list[ConsumerRecord] = []
        pos, end = 0, len(data)
        while end - pos >= BATCH_HEADER_SIZE:
            header = unpack_header(data, pos)
            if header.batch_length + LOG_OVERHEAD < BATCH_HEADER_SIZE:
                raise CorruptMessage(f"batch length {header.batch_length} at position {pos} of {tp}")
            if pos + header.size > end:
                break  # a partial batch at the end of the response: fetched again next round
            if self.check_crcs:
                validate_batch(data, pos, end)
            if not header.is_control and header.next_offset > position:
                for r in iter_records(data, pos, header):
                    if r.offset >= position:
                        out.append(
                            ConsumerRecord(
                                tp.topic, tp.partition, r.offset, r.timestamp, header.timestamp_type, r.key, r.value,
                                r.headers, header.partition_leader_epoch,
                            )
                        )
            pos += header.size
        return out

    def _out_of_range(self, tp: TopicPartition, errors: list[KafkaError]) -> None:
        if self.auto_offset_reset == "none":
            errors.append(OffsetOutOfRange(f"Fetch position {self._positions[tp]} is out of range for partition {tp}"))
            return
        self._positions[tp] = None
        self._resets[tp] = _RESETS[self.auto_offset_reset]

    async def _resolve_resets(self) -> None:
        missing = [tp for tp, pos in self._positions.items() if pos is None and tp not in self._resets]
        if missing:
            raise KafkaError(f"No current offset and no reset policy for partitions: {missing}")
        if not self._resets:
            return
        results = await list_offsets(
            self.client, dict(self._resets), isolation_level=self.isolation_level,
            timeout_ms=self.default_api_timeout_ms,
        )
        for tp, result in results.items():
            result.check()
            if tp in self._positions and self._resets.get(tp) is not None:
                self._positions[tp] = result.offset
                del self._resets[tp]

    def _seek_spec(self, partitions: Iterable[TopicPartition] | None, spec: int) -> None:
        targets = list(self._positions) if partitions is None else list(partitions)
        for tp in targets:
            self._require_assigned(tp)
            self._positions[tp] = None
            self._resets[tp] = spec

    def _require_assigned(self, tp: TopicPartition) -> None:
        if tp not in self._positions:
            raise ValueError(f"No current assignment for partition {tp}")
