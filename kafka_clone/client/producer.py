"""A simple producer: Kafka's ``KafkaProducer`` (2.8) without the background sender thread.

``send_batch(records)`` does in one call what the Java producer's accumulator and ``Sender`` do
over time:

1. wait for metadata of each topic (Metadata with ``allow_auto_topic_creation=true``, as the Java
   producer asks), up to ``max.block.ms``;
2. choose each record's partition: the one given, else ``murmur2(key)`` for keyed records, else
   the topic's sticky partition (``partitioner.py``);
3. build one RecordBatch v2 per partition (more when ``batch.size`` is exceeded) with
   ``protocol.records.build_batch``, compressed with ``compression.type``;
4. send one Produce per leader (one batch per partition per request, as Produce v3+ demands),
   to all leaders at once;
5. retry batches failing with a retriable error (NOT_LEADER_OR_FOLLOWER,
   UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a lost connection, ...) after refreshing
   metadata, until ``delivery.timeout.ms``; any other error is raised.

There is no idempotence (producer id -1, sequence -1) and no transactions. acks=0 returns
metadata with offset -1, as Kafka does, since the broker never answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import attrs
import trio

from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.compression import CompressionType
from kafka_clone.protocol.errors import KafkaError, error_for_code
from kafka_clone.protocol.messages.produce import PartitionProduceData, ProduceRequest, TopicProduceData
from kafka_clone.protocol.records import Record, build_batch

from .errors import KafkaConnectionError, KafkaTimeoutError
from .metadata import TopicMetadata
from .network_client import KafkaClient, run_concurrently
from .partitioner import StickyPartitionCache, partition_for_key

__all__ = ["KafkaProducer", "ProducerRecord", "RecordMetadata", "parse_acks"]

#: Per-record overhead estimate (varints, attributes) used only to cut batches near batch.size.
_RECORD_OVERHEAD = 16


@attrs.frozen
class ProducerRecord:
    """A record to send (Kafka's ``ProducerRecord``); headers are ``(name, value)`` pairs."""

    topic: str
    value: bytes | None = None
    key: bytes | None = None
    partition: int | None = None
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()


@attrs.frozen
class RecordMetadata:
    """Where a record was written (Kafka's ``RecordMetadata``); offset -1 with acks=0."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    log_start_offset: int = -1


def parse_acks(value: str | int) -> int:
    """Kafka's ``acks`` values: ``all``/``-1``, ``0``, ``1``."""
    text = str(value).strip().lower()
    if text == "all":
        return -1
    if text in ("-1", "0", "1"):
        return int(text)
    raise ValueError(f'Invalid value {value} for configuration acks: String must be one of: all, -1, 0, 1')


@attrs.define(eq=False)
class _Batch:
    tp: TopicPartition
    indexes: list[int]
    data: bytes


@attrs.define(eq=False)
class KafkaProducer:
    """Sends records to partition leaders. ``async with KafkaProducer.create("h:p") as p``."""

    client: KafkaClient
    acks: int = -1
    compression: CompressionType = CompressionType.NONE
    batch_size: int = 16384
    max_block_ms: int = 60000
    delivery_timeout_ms: int = 120000
    sticky: StickyPartitionCache = attrs.field(factory=StickyPartitionCache)

    @classmethod
    def create(
        cls,
        bootstrap_servers: str | Iterable[str],
        *,
        acks: str | int = -1,
        compression_type: str = "none",
        client_id: str = "producer-1",
        request_timeout_ms: int = 30000,
        retry_backoff_ms: int = 100,
        batch_size: int = 16384,
        max_block_ms: int = 60000,
        delivery_timeout_ms: int = 120000,
    ) -> KafkaProducer:
        """Build a producer from Kafka's config names (``acks``, ``compression.type``, ...)."""
        client = KafkaClient.create(
            bootstrap_servers, client_id=client_id, request_timeout_ms=request_timeout_ms,
            retry_backoff_ms=retry_backoff_ms,
        )
        return cls(
            client, parse_acks(acks), CompressionType.from_name(compression_type), batch_size, max_block_ms,
            delivery_timeout_ms,
        )

    async def __aenter__(self) -> KafkaProducer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> RecordMetadata:
        """Send one record and wait for its acknowledgement (``send(record).get()``)."""
        record = ProducerRecord(topic, value, key, partition, timestamp_ms, tuple(headers))
        return (await self.send_batch([record]))[0]

    async def partitions_for(self, topic: str) -> tuple[int, ...]:
        """The topic's partition ids, waiting for its metadata like ``partitionsFor``."""
        meta = await self._wait_on_metadata(topic)
        return tuple(p.partition for p in meta.partitions)

    async def send_batch(self, records: Sequence[ProducerRecord]) -> list[RecordMetadata]:
        """Send ``records`` (any topics and partitions) and return their metadata, in order.

        Raises the first non-retriable error, or ``KafkaTimeoutError`` when metadata does not
        arrive within ``max.block.ms`` or a batch is not acknowledged within
        ``delivery.timeout.ms``. If cancelled, some batches may have been written.
        """
        if not records:
            return []
        now = time.time_ns() // 1_000_000
        topics = {}
        for name in dict.fromkeys(r.topic for r in records):
            topics[name] = await self._wait_on_metadata(name)
        stamped = [r if r.timestamp_ms is not None else attrs.evolve(r, timestamp_ms=now) for r in records]
        partitions = self._partition_all(stamped, topics)
        batches = self._build_batches(stamped, partitions)
        results: list[RecordMetadata | None] = [None] * len(records)
        await self._deliver(batches, stamped, results)
        return [r for r in results if r is not None]

    # ---- internals ------------------------------------------------------------------------------

    async def _wait_on_metadata(self, topic: str) -> TopicMetadata:
        deadline = trio.current_time() + self.max_block_ms / 1000
        while True:
            cluster = self.client.cluster
            meta = cluster.topic(topic) if cluster is not None else None
            if meta is not None and meta.error is None and meta.partitions:
                return meta
            if meta is not None and meta.error is not None and not meta.error.retriable:
                raise meta.error
            if trio.current_time() >= deadline:
                raise KafkaTimeoutError(f"Topic {topic} not present in metadata after {self.max_block_ms} ms.")
            if meta is not None:
                await self.client.backoff()
            try:
                await self.client.refresh_metadata([topic], allow_auto_topic_creation=True)
            except (KafkaConnectionError, KafkaTimeoutError):
                if trio.current_time() >= deadline:
                    raise
                await self.client.backoff()

    def _partition_all(self, records: list[ProducerRecord], topics: dict[str, TopicMetadata]) -> list[int]:
        """Each record's partition. Unkeyed records fill the sticky partition's batch; when it is
        full (``batch.size``), or at the end of the call, the sticky partition moves on (KIP-480)."""
        result = []
        sticky_bytes: dict[str, int] = {}
        for r in records:
            meta = topics[r.topic]
            count = len(meta.partitions)
            if r.partition is not None:
                if not 0 <= r.partition < count:
                    raise KafkaError(
                        f"Invalid partition given with record: {r.partition} is not in the range [0...{count})."
                    )
                result.append(r.partition)
            elif r.key is not None:
                result.append(partition_for_key(r.key, count))
            else:
                size = sticky_bytes.get(r.topic, 0) + _estimate(r)
                if size > self.batch_size and r.topic in sticky_bytes:
                    self.sticky.next_partition(r.topic, count, _available(meta))
                    size = _estimate(r)
                sticky_bytes[r.topic] = size
                result.append(self.sticky.partition(r.topic, count, _available(meta)))
        for name in sticky_bytes:
            self.sticky.next_partition(name, len(topics[name].partitions), _available(topics[name]))
        return result

    def _build_batches(self, records: list[ProducerRecord], partitions: list[int]) -> list[_Batch]:
        by_tp: dict[TopicPartition, list[int]] = {}
        for i, (r, p) in enumerate(zip(records, partitions)):
            by_tp.setdefault(TopicPartition(r.topic, p), []).append(i)
        batches = []
        for tp, indexes in by_tp.items():
            chunk: list[int] = []
            size = 0
            for i in indexes:
                r = records[i]
                est = _estimate(r)
                if chunk and size + est > self.batch_size:
                    batches.append(self._batch(tp, chunk, records))
                    chunk, size = [], 0
                chunk.append(i)
                size += est
            batches.append(self._batch(tp, chunk, records))
        return batches

    def _batch(self, tp: TopicPartition, indexes: list[int], records: list[ProducerRecord]) -> _Batch:
        encoded = [
            Record(n, records[i].timestamp_ms, records[i].key, records[i].value, records[i].headers)
            for n, i in enumerate(indexes)
        ]
        return _Batch(tp, indexes, build_batch(encoded, base_offset=0, compression=self.compression))

    async def _deliver(
        self, batches: list[_Batch], records: list[ProducerRecord], results: list[RecordMetadata | None]
    ) -> None:
        deadline = trio.current_time() + self.delivery_timeout_ms / 1000
        pending = batches
        while pending:
            cluster = self.client.cluster
            assert cluster is not None
            by_leader: dict[int, list[_Batch]] = {}
            retry: list[_Batch] = []
            for b in pending:
                meta = cluster.topic(b.tp.topic)
                pm = meta.partition(b.tp.partition) if meta is not None else None
                if pm is None or pm.leader < 0:
                    retry.append(b)
                else:
                    by_leader.setdefault(pm.leader, []).append(b)
            failures: list[KafkaError] = []
            await run_concurrently(
                (self._send_to_leader, (leader, group, records, results, retry, failures))
                for leader, group in by_leader.items()
            )
            if failures:
                raise failures[0]
            if not retry:
                return
            if trio.current_time() >= deadline:
                tp = retry[0].tp
                raise KafkaTimeoutError(
                    f"Expiring {len(retry[0].indexes)} record(s) for {tp}: "
                    f"{self.delivery_timeout_ms} ms has passed since batch creation"
                )
            pending = retry
            await self.client.backoff()
            try:
                await self.client.refresh_metadata(
                    sorted({b.tp.topic for b in pending}), allow_auto_topic_creation=True
                )
            except (KafkaConnectionError, KafkaTimeoutError):
                if trio.current_time() >= deadline:
                    raise

    async def _send_to_leader(
        self,
        leader: int,
        group: list[_Batch],
        records: list[ProducerRecord],
        results: list[RecordMetadata | None],
        retry: list[_Batch],
        failures: list[KafkaError],
    ) -> None:
        # Produce v3+ takes one batch per partition per request: send the k-th batch of every
        # partition in round k, so each partition's batches stay in order.
        rounds: list[list[_Batch]] = []
        seen: dict[TopicPartition, int] = {}
        for b in group:
            k = seen.get(b.tp, 0)
            seen[b.tp] = k + 1
            if k == len(rounds):
                rounds.append([])
            rounds[k].append(b)
        for n, round_batches in enumerate(rounds):
            ok = await self._produce(leader, round_batches, records, results, retry, failures)
            if not ok:
                for later in rounds[n + 1:]:
                    retry.extend(later)
                return

    async def _produce(
        self,
        leader: int,
        batches: list[_Batch],
        records: list[ProducerRecord],
        results: list[RecordMetadata | None],
        retry: list[_Batch],
        failures: list[KafkaError],
    ) -> bool:
        topics: dict[str, list[PartitionProduceData]] = {}
        for b in batches:
            topics.setdefault(b.tp.topic, []).append(PartitionProduceData(index=b.tp.partition, records=b.data))
        request = ProduceRequest(
            acks=self.acks,
            timeout_ms=self.client.request_timeout_ms,
            topic_data=tuple(TopicProduceData(name=t, partition_data=tuple(ps)) for t, ps in topics.items()),
        )
        try:
            response = await self.client.send(leader, ApiKey.PRODUCE, request)
        except (KafkaConnectionError, KafkaTimeoutError):
            retry.extend(batches)
            return False
        if response is None:  # acks=0
            for b in batches:
                for i in b.indexes:
                    results[i] = RecordMetadata(b.tp.topic, b.tp.partition, -1, records[i].timestamp_ms or -1)
            return True
        answers = {
            (t.name, p.index): p for t in response.responses for p in t.partition_responses
        }
        all_ok = True
        for b in batches:
            p = answers.get((b.tp.topic, b.tp.partition))
            if p is None:
                retry.append(b)
                all_ok = False
                continue
            if p.error_code:
                error = error_for_code(p.error_code)
                if error.retriable:
                    retry.append(b)
                    all_ok = False
                else:
                    failures.append(error(p.error_message or None))
                continue
            for n, i in enumerate(b.indexes):
                ts = p.log_append_time_ms if p.log_append_time_ms != -1 else records[i].timestamp_ms
                results[i] = RecordMetadata(b.tp.topic, b.tp.partition, p.base_offset + n, ts, p.log_start_offset)
        return all_ok


def _estimate(r: ProducerRecord) -> int:
    return _RECORD_OVERHEAD + len(r.key or b"") + len(r.value or b"") + sum(
        len(k) + len(v or b"") for k, v in r.headers
    )


def _available(meta: TopicMetadata) -> list[int]:
    return [p.partition for p in meta.partitions if p.leader >= 0]
