"""ControllerContext: what the active controller knows about the cluster.

Mirrors Kafka's `ControllerContext`.  Owned by the controller's event task alone (no locks, no
sharing): other tasks learn about it only through events and published snapshots.
Reset on resignation; rebuilt from ZooKeeper on failover.
"""

from __future__ import annotations

import attrs

from zk.znodes import BrokerInfo


@attrs.define(eq=False)
class ControllerContext:
    epoch: int = 0
    epoch_zk_version: int = 0
    #: broker id → (registration, broker epoch = czxid of its `/brokers/ids/<id>`, KIP-380)
    live_brokers: dict[int, tuple[BrokerInfo, int]] = attrs.Factory(dict)
    shutting_down_broker_ids: set[int] = attrs.Factory(set)

    @property
    def live_broker_ids(self) -> frozenset[int]:
        return frozenset(self.live_brokers)

    def live_or_shutting_down_broker_ids(self) -> frozenset[int]:
        return frozenset(self.live_brokers) | frozenset(self.shutting_down_broker_ids)

    def broker_epoch(self, broker_id: int) -> int | None:
        entry = self.live_brokers.get(broker_id)
        return entry[1] if entry else None

    def reset(self) -> None:
        self.epoch = 0
        self.epoch_zk_version = 0
        self.live_brokers.clear()
        self.shutting_down_broker_ids.clear()
