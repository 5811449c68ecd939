"""Replication throttles: Kafka's ReplicationQuotaManager (KIP-73), for reassignments.

`kclone reassign-partitions --throttle` (like Kafka's tool) sets, per broker,
`leader.replication.throttled.rate` / `follower.replication.throttled.rate` (bytes/s, dynamic
broker configs in `/config/brokers/<id>`), and per topic the replicas they apply to,
`leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`
(`"0:101,1:102"` partition:broker pairs, or `"*"`).

As in Kafka, only replicas that are *not in sync* are throttled (a reassignment's new replicas
catching up); in-sync followers are never slowed down.  The leader leaves a throttled
partition out of a follower's fetch response while its rate is over the quota, and the follower
leaves it out of its fetch request while its own rate is.  The rate is the bytes of throttled
partitions over the last `quota.replication.window.num` (11) one-second windows.
"""

from __future__ import annotations

import collections
import math

import attrs

WINDOW_NUM = 11
WINDOW_SIZE_S = 1.0


def throttled_replicas(value: str | None) -> frozenset[tuple[int, int]] | str:
    """Parse a `*.replication.throttled.replicas` value: "*" or {(partition, broker)}."""
    if not value:
        return frozenset()
    if value.strip() == "*":
        return "*"
    pairs = set()
    for item in value.split(","):
        partition, _, broker = item.strip().partition(":")
        if partition.strip().isdigit() and broker.strip().isdigit():
            pairs.add((int(partition), int(broker)))
    return frozenset(pairs)


@attrs.define(eq=False)
class ReplicationQuotaManager:
    rate_bytes_per_s: float = math.inf
    _samples: collections.deque = attrs.Factory(collections.deque)

    def _trim(self, now_s: float) -> None:
        horizon = now_s - WINDOW_NUM * WINDOW_SIZE_S
        while self._samples and self._samples[0][0] < horizon:
            self._samples.popleft()

    def record(self, size: int, now_s: float) -> None:
        if size and self.rate_bytes_per_s != math.inf:
            self._samples.append((now_s, size))

    def is_quota_exceeded(self, now_s: float) -> bool:
        if self.rate_bytes_per_s == math.inf:
            return False
        self._trim(now_s)
        if not self._samples:
            return False
        elapsed = max(now_s - self._samples[0][0], WINDOW_SIZE_S)
        return sum(size for _, size in self._samples) / elapsed > self.rate_bytes_per_s

    @staticmethod
    def is_throttled(replicas_config: str | None, partition: int, broker_id: int) -> bool:
        parsed = throttled_replicas(replicas_config)
        return parsed == "*" or (partition, broker_id) in parsed

    def update_rate(self, value: str | None) -> None:
        try:
            self.rate_bytes_per_s = float(value) if value else math.inf
        except ValueError:
            self.rate_bytes_per_s = math.inf
