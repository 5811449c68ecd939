"""Kafka's ZooKeeper operations, on top of `zk.client` and `zk.znodes`.

Mirrors the parts of Kafka 2.8's `KafkaZkClient` the broker and controller need: the persistent
top-level paths, the cluster id, broker registration (KIP-380 broker epoch), and the controller
election multi with its `/controller_epoch` fencing.  Every controller write goes through
`controller_multi` (or `controller_multi_many`, its pipelined form), which prepends a check of
`/controller_epoch`'s zkVersion so that a deposed controller's writes fail (Kafka 2.2+,
KAFKA-7235's zkVersion fencing).
"""

from __future__ import annotations

import logging
from typing import Iterable, Mapping

import attrs

from zk.client import (
    BadVersionError, CheckOp, CreateOp, DeleteOp, MultiError, NodeExistsError, NoNodeError, Op, SetDataOp,
    Stat, ZkClient, ZkError,
)
from zk.znodes import (
    PERSISTENT_ZK_PATHS, BrokerIdsZNode, BrokerIdZNode, BrokerInfo, ClusterIdZNode,
    ControllerEpochZNode, ControllerZNode, FeatureZNode, LeaderAndIsr, TopicPartitionStateZNode,
)

log = logging.getLogger(__name__)

#: Partitions per ZooKeeper multi when the controller writes state znodes in bulk (about 250
#: bytes each, far below ZooKeeper's 1 MiB request limit, `jute.maxbuffer`).
MULTI_CHUNK = 500


class ControllerMovedError(Exception):
    """Another broker is (or became) the controller: Kafka's ControllerMovedException."""


class DuplicateBrokerIdError(Exception):
    """`/brokers/ids/<id>` is held by another live session: a second broker with the same id."""


@attrs.frozen
class ControllerEpoch:
    """The epoch we won and the zkVersion of `/controller_epoch` that fences our writes."""

    epoch: int
    epoch_zk_version: int


@attrs.frozen
class UpdateLeaderAndIsrResult:
    """Kafka's `UpdateLeaderAndIsrResult`, the answer of `update_leader_and_isr`.

    `finished`: per partition, the LeaderAndIsr as written (with the znode's new zkVersion) or
    the error that failed its write for good.  `updates_to_retry`: the partitions whose zkVersion
    was stale (BADVERSION): someone else (a leader changing its ISR) wrote the znode since we read
    it, so the caller re-reads them and decides again.
    """

    finished: dict[tuple[str, int], LeaderAndIsr | ZkError]
    updates_to_retry: tuple[tuple[str, int], ...]


@attrs.define(eq=False)
class KafkaZkClient:
    zk: ZkClient

    # ---- start-up ----

    async def create_top_level_paths(self) -> None:
        """Kafka's `createTopLevelPaths`: every broker makes sure the persistent paths exist."""
        for path in PERSISTENT_ZK_PATHS:
            await self.zk.ensure_path(path)

    async def get_or_create_cluster_id(self, proposed: str) -> str:
        """The cluster id from `/cluster/id`, created with `proposed` by the first broker."""
        got = await self.zk.get_or_none(ClusterIdZNode.path())
        if got is not None:
            return ClusterIdZNode.decode(got[0])
        await self.zk.ensure_path("/cluster")
        try:
            await self.zk.create(ClusterIdZNode.path(), ClusterIdZNode.encode(proposed))
            return proposed
        except NodeExistsError:
            data, _ = await self.zk.get(ClusterIdZNode.path())
            return ClusterIdZNode.decode(data)

    async def register_broker(self, info: BrokerInfo) -> int:
        """Create the ephemeral `/brokers/ids/<id>` as Kafka 2.2+ does; return the broker epoch.

        One multi creates the znode with null data and sets its data at version 0, so zkCli shows
        dataVersion 1, and the znode's czxid becomes the broker epoch (KIP-380).  A znode left by
        our own earlier session (not yet expired) is replaced; one held by another session means a
        duplicate `broker.id`.
        """
        path = BrokerIdZNode.path(info.id)
        data = BrokerIdZNode.encode(info)
        for _ in range(2):
            try:
                results = await self.zk.multi([CreateOp(path, None, ephemeral=True), SetDataOp(path, data, 0)])
                stat = results[1]
                log.info("Registered broker %d at path %s with addresses: %s, czxid (broker epoch): %d",
                         info.id, path, ",".join(e.connection_string() for e in info.endpoints), stat.czxid)
                return stat.czxid
            except MultiError as exc:
                if not isinstance(exc.first(), NodeExistsError):
                    raise exc.first() or exc
            existing = await self.zk.exists(path)
            if existing is None:
                continue  # it went away between our two calls: try again
            if existing.ephemeral_owner == self.zk.session_id:
                await self.zk.set(path, data)
                return existing.czxid
            raise DuplicateBrokerIdError(
                f"Error while creating ephemeral at {path}, node already exists and owner "
                f"'0x{existing.ephemeral_owner:x}' does not match current session "
                f"'0x{self.zk.session_id:x}': broker.id {info.id} is already registered by another broker"
            )
        raise DuplicateBrokerIdError(f"could not register {path}")

    async def get_all_brokers_in_cluster(self, *, watch: bool = False) -> dict[int, tuple[BrokerInfo, int]]:
        """Live brokers → (registration, broker epoch), sorted by id."""
        ids = await self.zk.get_children(BrokerIdsZNode.path(), watch=watch)
        brokers: dict[int, tuple[BrokerInfo, int]] = {}
        for name in sorted(ids, key=lambda s: int(s) if s.isdigit() else -1):
            if not name.isdigit():
                continue
            got = await self.zk.get_or_none(BrokerIdZNode.path(int(name)))
            if got is None:
                continue
            data, stat = got
            brokers[int(name)] = (BrokerIdZNode.decode(int(name), data), stat.czxid)
        return brokers

    # ---- controller ----

    async def get_controller_id(self, *, watch: bool = False) -> int | None:
        """The controller's broker id; with `watch`, also arm the exists-watch on `/controller`."""
        stat = await self.zk.exists(ControllerZNode.path(), watch=watch)
        if stat is None:
            return None
        got = await self.zk.get_or_none(ControllerZNode.path(), watch=watch)
        return ControllerZNode.decode(got[0]) if got else None

    async def get_controller_epoch(self) -> tuple[int, int] | None:
        got = await self.zk.get_or_none(ControllerEpochZNode.path())
        if got is None:
            return None
        return ControllerEpochZNode.decode(got[0]), got[1].version

    async def register_controller_and_increment_controller_epoch(
        self, broker_id: int, timestamp_ms: int
    ) -> ControllerEpoch:
        """Kafka's election: one multi creates the ephemeral `/controller` and bumps the epoch.

        The multi is conditional on `/controller_epoch`'s zkVersion, so two brokers can never both
        win the same epoch.  On failure we re-read: if `/controller` is ours with the epoch we
        tried to write (our multi landed but the answer was lost), we won; otherwise
        ControllerMovedError.
        """
        current = await self.get_controller_epoch()
        if current is None:
            try:
                # Kafka 2.1+: `/controller_epoch` starts at 0 so the first controller's multi makes it 1.
                await self.zk.create(ControllerEpochZNode.path(), ControllerEpochZNode.encode(0))
            except NodeExistsError:
                pass
            current = await self.get_controller_epoch()
            assert current is not None
        epoch, zk_version = current
        new_epoch = epoch + 1
        try:
            results = await self.zk.multi([
                CreateOp(ControllerZNode.path(), ControllerZNode.encode(broker_id, timestamp_ms), ephemeral=True),
                SetDataOp(ControllerEpochZNode.path(), ControllerEpochZNode.encode(new_epoch), zk_version),
            ])
            return ControllerEpoch(new_epoch, results[1].version)
        except MultiError as exc:
            if not isinstance(exc.first(), (NodeExistsError, BadVersionError)):
                raise exc.first() or exc
        controller = await self.get_controller_id()
        after = await self.get_controller_epoch()
        if controller == broker_id and after is not None and after[0] == new_epoch:
            return ControllerEpoch(new_epoch, after[1])
        raise ControllerMovedError(f"Controller moved to another broker ({controller}); aborting controller startup")

    async def enable_feature_versioning(self) -> None:
        """KIP-584 (2.7+): with IBP >= 2.7-IV0 the controller makes sure `/feature` exists with
        status enabled (1), so `ls /` shows `feature` as on a real 2.8 cluster."""
        got = await self.zk.get_or_none(FeatureZNode.path())
        if got is None:
            try:
                await self.zk.create(FeatureZNode.path(), FeatureZNode.encode(status=1))
            except NodeExistsError:
                pass
        elif FeatureZNode.decode(got[0]).status != 1:
            await self.zk.set(FeatureZNode.path(), FeatureZNode.encode(status=1), version=got[1].version)

    async def controller_multi(self, epoch_zk_version: int, ops: Iterable[Op]) -> list[Stat | str]:
        """Run `ops` only if we are still the controller (check on `/controller_epoch`).

        Returns the results of `ops` (without the check); a failed check raises
        ControllerMovedError, any other failure the op's own error.
        """
        try:
            results = await self.zk.multi([CheckOp(ControllerEpochZNode.path(), epoch_zk_version), *ops])
        except MultiError as exc:
            if isinstance(exc.errors[0], (BadVersionError, NoNodeError)):
                raise ControllerMovedError("Controller epoch zkVersion check fails: controller moved") from None
            raise exc.first() or exc
        return results[1:]

    async def controller_multi_many(self, epoch_zk_version: int,
                                    requests: list[list[Op]]) -> list[list[Stat | str] | ZkError]:
        """Many `controller_multi`s with all of them in flight at once.

        Each request is its own multi behind the `/controller_epoch` check, as Kafka wraps every
        request of a pipelined batch (`wrapRequestWithControllerEpochCheck`), so one request's
        failure never holds back the others.  Returns, per request, its results (without the
        check) or its failing op's error.  A failed check on any of them raises
        ControllerMovedError.  The requests ZooKeeper applied before the epoch moved stand, as
        any write of a controller before it was deposed does: its successor reads them when it
        loads the cluster.
        """
        check = CheckOp(ControllerEpochZNode.path(), epoch_zk_version)
        outcomes = await self.zk.multi_many([[check, *ops] for ops in requests])
        out: list[list[Stat | str] | ZkError] = []
        for outcome in outcomes:
            if isinstance(outcome, MultiError):
                if isinstance(outcome.errors[0], (BadVersionError, NoNodeError)):
                    raise ControllerMovedError("Controller epoch zkVersion check fails: controller moved")
                out.append(outcome.first() or outcome)
            else:
                out.append(outcome[1:])
        return out

    async def update_leader_and_isr(self, leader_and_isrs: Mapping[tuple[str, int], LeaderAndIsr],
                                    epoch_zk_version: int) -> UpdateLeaderAndIsrResult:
        """Kafka's `updateLeaderAndIsr`: write many partition state znodes, pipelined.

        Each write is a setData conditional on the zkVersion carried in its LeaderAndIsr, fenced
        by the controller epoch.  BADVERSION goes to `updates_to_retry`, any other error to
        `finished` as the error.

        *Departure:* Kafka sends one request per partition.  Here up to MULTI_CHUNK partitions
        share one multi behind one epoch check, and the chunks are in flight at once: through
        kazoo each request costs about half a millisecond of Python whatever it carries (1,000
        state writes took 0.7 s as 1,000 pipelined requests, 0.06 s as two multis).  A multi is
        atomic, so one stale zkVersion fails its whole chunk; that chunk is then sent again one
        request per partition (Kafka's way), which sorts the stale partitions from the others.
        """
        writes = [(tp, li, _set_partition_state(tp, li)) for tp, li in leader_and_isrs.items()]
        chunks = [writes[i:i + MULTI_CHUNK] for i in range(0, len(writes), MULTI_CHUNK)]
        outcomes = await self.controller_multi_many(epoch_zk_version, [[op for _, _, op in chunk] for chunk in chunks])
        finished: dict[tuple[str, int], LeaderAndIsr | ZkError] = {}
        one_by_one: list[tuple[tuple[str, int], LeaderAndIsr, SetDataOp]] = []
        for chunk, outcome in zip(chunks, outcomes):
            if isinstance(outcome, ZkError):
                one_by_one += chunk
            else:
                finished.update((tp, attrs.evolve(li, zk_version=stat.version))
                                for (tp, li, _), stat in zip(chunk, outcome))
        if not one_by_one:
            return UpdateLeaderAndIsrResult(finished, ())
        retry: list[tuple[str, int]] = []
        outcomes = await self.controller_multi_many(epoch_zk_version, [[op] for _, _, op in one_by_one])
        for (tp, li, _), outcome in zip(one_by_one, outcomes):
            if isinstance(outcome, BadVersionError):
                retry.append(tp)
            elif isinstance(outcome, ZkError):
                finished[tp] = outcome
            else:
                finished[tp] = attrs.evolve(li, zk_version=outcome[0].version)
        return UpdateLeaderAndIsrResult(finished, tuple(retry))

    async def delete_controller(self, epoch_zk_version: int) -> None:
        """Resigning controller removes `/controller`, fenced by its epoch (Kafka's deleteController)."""
        try:
            await self.controller_multi(epoch_zk_version, [DeleteOp(ControllerZNode.path())])
        except (ControllerMovedError, NoNodeError):
            pass


def _set_partition_state(tp: tuple[str, int], li: LeaderAndIsr) -> SetDataOp:
    return SetDataOp(TopicPartitionStateZNode.path(*tp), TopicPartitionStateZNode.encode(li), li.zk_version)
