"""A fake of our own ReplicaManager interface for the coordinator's component tests.

It holds real ``Log``s (so loading reads real RecordBatch bytes) and lets a test make this
"broker" leader or follower of a ``__consumer_offsets`` partition, or make writes fail.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import trio

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol.errors import NotLeaderOrFollower


@attrs.define(eq=False)
class FakePartition:
    topic: str
    partition: int
    log: Log
    leader_epoch: int = 0
    is_leader: bool = True

    @property
    def high_watermark(self) -> int:
        return self.log.log_end_offset


@attrs.define(eq=False)
class FakeReplicaManager:
    directory: Path
    partitions: dict = attrs.Factory(dict)
    on_become_leader: list = attrs.Factory(list)
    on_become_follower: list = attrs.Factory(list)
    #: error code every replication wait answers (0: replicated)
    replication_error: int = 0
    #: when set, replication waits for this event (a slow follower)
    replication_gate: trio.Event | None = None
    appends: int = 0

    def log_for(self, topic: str, partition: int) -> Log:
        p = self.partitions.get((topic, partition))
        if p is not None:
            return p.log
        return Log.open(str(self.directory / f"{topic}-{partition}"), LogConfig(), clean_shutdown=True)

    def lead(self, topic: str, partition: int, epoch: int) -> FakePartition:
        p = FakePartition(topic, partition, self.log_for(topic, partition), epoch, True)
        self.partitions[(topic, partition)] = p
        for callback in list(self.on_become_leader):
            callback(p)
        return p

    def follow(self, topic: str, partition: int, epoch: int) -> None:
        p = self.partitions[(topic, partition)]
        p.is_leader, p.leader_epoch = False, epoch
        for callback in list(self.on_become_follower):
            callback(p)

    def append_to_leader(self, topic: str, partition: int, records, required_acks: int):
        p = self.partitions.get((topic, partition))
        if p is None or not p.is_leader:
            raise NotLeaderOrFollower(f"not the leader of {topic}-{partition}")
        self.appends += 1
        return p, p.log.append_as_leader(records, p.leader_epoch)

    async def wait_for_replication(self, required: dict, timeout_ms: int) -> dict:
        await trio.lowlevel.checkpoint()
        if self.replication_gate is not None:
            await self.replication_gate.wait()
        return {tp: self.replication_error for tp in required}
