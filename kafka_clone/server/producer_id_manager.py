"""Cluster-unique producer ids, mirroring Kafka 2.8's ``coordinator/transaction/ProducerIdManager.scala``.

Every broker hands out producer ids (KIP-98) from a block of ``PID_BLOCK_SIZE`` (1000) that it
claims in ZooKeeper. ``/latest_producer_id_block`` holds the last block claimed by anyone::

    {"version":1,"broker":2,"block_start":"2000","block_end":"2999"}

(bounds are strings of longs, both inclusive). To claim, a broker reads the znode and its
zkVersion, and writes the next block ``end + 1 .. end + 1000`` with a setData conditional on that
version; losing the race (BadVersion) means another broker claimed in between, so it re-reads
and tries again. With no block yet the first one is ``0 .. 999``.

Invariants:

* No id is handed out twice in the cluster: every block is won by exactly one conditional write,
  and a broker hands out ids only from a block it won.
* Ids from one manager increase; after a block runs out the next call claims a new one.
* Ids may be skipped (a claimed block is abandoned at restart, or when a claim is cancelled after
  its write reached ZooKeeper), never reused -- as in Kafka.

Concurrency: the hand-out itself is synchronous, so trio never interleaves two callers inside it.
Claiming awaits ZooKeeper, so a ``trio.Lock`` makes one caller claim while the others wait for
that block instead of each claiming its own (which would be correct but waste blocks). This is
the one lock here; it guards a single ZooKeeper round trip, like the ``synchronized`` in Kafka.
"""

from __future__ import annotations

import logging

import attrs
import trio

from kafka_clone.common.zk_values import ProducerIdBlock
from kafka_clone.protocol.errors import UnknownServerError
from zk.client import BadVersionError, ConnectionLossError, NodeExistsError, ZkClient
from zk.znodes import ProducerIdBlockZNode

__all__ = ["PID_BLOCK_SIZE", "ProducerIdManager", "ProducerIdManagerStatistics", "ProducerIdsExhausted"]

log = logging.getLogger(__name__)

#: ``ProducerIdManager.PidBlockSize``.
PID_BLOCK_SIZE = 1000
_LONG_MAX = 2**63 - 1


class ProducerIdsExhausted(UnknownServerError):
    """The next block would pass ``Long.MaxValue`` (Kafka throws a fatal ``KafkaException``,
    which a request sees as UNKNOWN_SERVER_ERROR)."""


@attrs.frozen
class ProducerIdManagerStatistics:
    broker_id: int
    current_block: ProducerIdBlock | None
    next_producer_id: int
    blocks_claimed: int


@attrs.define(eq=False)
class ProducerIdManager:
    """Hands out producer ids from blocks claimed in ``/latest_producer_id_block``.

    ``zk`` is the broker's ``zk.client.ZkClient`` (``KafkaZkClient.zk``). Kafka claims the first
    block when the transaction coordinator starts; here the first ``generate_producer_id`` does.
    """

    broker_id: int
    zk: ZkClient
    _block: ProducerIdBlock | None = None
    _next_id: int = -1
    _blocks_claimed: int = 0
    _claim_lock: trio.Lock = attrs.Factory(trio.Lock)

    def statistics(self) -> ProducerIdManagerStatistics:
        return ProducerIdManagerStatistics(self.broker_id, self._block, self._next_id, self._blocks_claimed)

    async def generate_producer_id(self) -> int:
        """The next producer id, claiming a new block first if this one is used up.

        Raises ``ProducerIdsExhausted``, or the ``zk.client`` error that ended a claim (session
        expired, client closed). If cancelled while claiming, nothing is handed out; the block
        may still have been written to ZooKeeper, and is then simply never used.
        """
        await trio.lowlevel.checkpoint()
        while True:
            block = self._block
            if block is not None and self._next_id <= block.block_end:
                producer_id = self._next_id
                self._next_id += 1
                return producer_id
            async with self._claim_lock:
                # Another caller may have claimed while we waited for the lock.
                if self._block is block:
                    new_block = await self._claim_new_block()
                    self._block, self._next_id = new_block, new_block.block_start
                    self._blocks_claimed += 1

    async def _claim_new_block(self) -> ProducerIdBlock:
        """Kafka's ``getNewProducerIdBlock``: read, compute the next block, write conditionally,
        retry until this broker's write wins."""
        zk, path = self.zk, ProducerIdBlockZNode.path()
        attempted: ProducerIdBlock | None = None
        while True:
            try:
                if attempted is not None and await self._is_current(attempted):
                    # Kafka's checkProducerIdBlockZkData: our earlier write went through even
                    # though its answer was lost (connection loss) or looked stale (BadVersion).
                    return self._claimed(attempted, -1)
                attempted = None
                current = await zk.get_or_none(path)
                if current is None:
                    # Brokers create the path (null data) at start-up; create it if that has not
                    # happened, racing other brokers like any claim.
                    attempted = self._first_block()
                    try:
                        await zk.create(path, ProducerIdBlockZNode.encode(attempted), makepath=True)
                    except NodeExistsError:
                        continue
                    return self._claimed(attempted, 0)
                data, stat = current
                attempted = self._next_block(data)
                try:
                    new_stat = await zk.set(path, ProducerIdBlockZNode.encode(attempted), version=stat.version)
                except BadVersionError:
                    log.debug("[ProducerId Manager %d]: lost the race for %s, retrying", self.broker_id, attempted)
                    continue
                return self._claimed(attempted, new_stat.version)
            except ConnectionLossError:
                # Kafka's ZooKeeper client waits for the connection to come back and retries.
                await zk.wait_connected()

    def _first_block(self) -> ProducerIdBlock:
        return ProducerIdBlock(self.broker_id, 0, PID_BLOCK_SIZE - 1)

    def _next_block(self, data: bytes | None) -> ProducerIdBlock:
        if not data:
            return self._first_block()
        current = ProducerIdBlockZNode.decode(data)
        if current.block_end > _LONG_MAX - PID_BLOCK_SIZE:
            raise ProducerIdsExhausted(
                f"have exhausted all producerIds: the block after {current.block_end} passes Long.MaxValue")
        return ProducerIdBlock(self.broker_id, current.block_end + 1, current.block_end + PID_BLOCK_SIZE)

    async def _is_current(self, block: ProducerIdBlock) -> bool:
        current = await self.zk.get_or_none(ProducerIdBlockZNode.path())
        return current is not None and bool(current[0]) and ProducerIdBlockZNode.decode(current[0]) == block

    def _claimed(self, block: ProducerIdBlock, version: int) -> ProducerIdBlock:
        log.info("[ProducerId Manager %d]: Acquired new producerId block %s by writing to Zk with path version %d",
                 self.broker_id, block, version)
        return block
