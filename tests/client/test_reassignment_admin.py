"""client/reassignment_admin: KIP-455/KIP-460 calls at the controller, the move map, throttles.

``ReassignFakeCluster`` extends the fake cluster of the admin tests with the controller's side of
AlterPartitionReassignments and ElectLeaders and with per-broker dynamic configs (a broker
resource is answered only by that broker, as in Kafka). The CLI tests use it too.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import trio

from kafka_clone.client import KafkaAdminClient
from kafka_clone.client import reassignment_admin as ra
from kafka_clone.client.admin import PartitionReassignment
from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    ElectionNotNeeded,
    EligibleLeadersNotAvailable,
    NoReassignmentInProgress,
    PreferredLeaderNotAvailable,
    UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages import configs as cm
from kafka_clone.protocol.messages import topics as tm

from .fake_broker import FakeCluster, serve

NOT_CONTROLLER = 41


@attrs.define
class ReassignFakeCluster(FakeCluster):
    #: (topic, partition) -> target replicas of an ongoing reassignment.
    targets: dict[tuple[str, int], list[int]] = attrs.Factory(dict)
    #: broker id -> its dynamic configs.
    broker_configs: dict[int, dict[str, str]] = attrs.Factory(dict)
    #: Finish every ongoing reassignment when this many more ListPartitionReassignments arrived.
    complete_after_lists: int | None = None

    def complete_reassignments(self) -> None:
        """What the controller does once the targets are in the ISR: RS = TRS, leader kept if in it."""
        for (topic, p), target in self.targets.items():
            t = self.topics[topic]
            t.replicas[p], t.isr[p] = list(target), list(target)
            if t.leaders[p] not in target:
                t.leaders[p] = target[0]
        self.targets.clear()
        self.reassignments.clear()

    def _alter_partition_reassignments(self, broker_id: int, version: int, body: Any) -> Any:
        if broker_id != self.controller_id:
            return tm.AlterPartitionReassignmentsResponse(error_code=NOT_CONTROLLER, error_message=None)
        responses = []
        for rt in body.topics:
            parts = []
            for rp in rt.partitions:
                key, code, message = (rt.name, rp.partition_index), 0, None
                topic = self.topics.get(rt.name)
                if topic is None or rp.partition_index >= len(topic.replicas):
                    code = UnknownTopicOrPartition.code
                elif rp.replicas is None:
                    if key in self.targets:
                        original = [r for r in self.reassignments[key][0] if r not in self.reassignments[key][1]]
                        topic.replicas[rp.partition_index] = original
                        del self.targets[key], self.reassignments[key]
                    else:
                        code, message = NoReassignmentInProgress.code, None
                else:
                    current = topic.replicas[rp.partition_index]
                    target = list(rp.replicas)
                    adding = [r for r in target if r not in current]
                    removing = [r for r in current if r not in target]
                    self.targets[key] = target
                    self.reassignments[key] = (target + removing, adding, removing)
                parts.append(tm.ReassignablePartitionResponse(partition_index=rp.partition_index, error_code=code,
                                                              error_message=message))
            responses.append(tm.ReassignableTopicResponse(name=rt.name, partitions=tuple(parts)))
        return tm.AlterPartitionReassignmentsResponse(error_code=0, error_message=None, responses=tuple(responses))

    def _list_partition_reassignments(self, broker_id: int, version: int, body: Any) -> Any:
        if broker_id != self.controller_id:
            return tm.ListPartitionReassignmentsResponse(error_code=NOT_CONTROLLER, error_message=None)
        if self.complete_after_lists is not None:
            self.complete_after_lists -= 1
            if self.complete_after_lists <= 0:
                self.complete_reassignments()
        response = super()._list_partition_reassignments(broker_id, version, body)
        if body.topics is None:
            return response
        wanted = {(t.name, p) for t in body.topics for p in t.partition_indexes}
        return attrs.evolve(response, topics=tuple(
            attrs.evolve(t, partitions=tuple(p for p in t.partitions if (t.name, p.partition_index) in wanted))
            for t in response.topics))

    def _elect_leaders(self, broker_id: int, version: int, body: Any) -> Any:
        if broker_id != self.controller_id:
            return tm.ElectLeadersResponse(error_code=NOT_CONTROLLER, replica_election_results=())
        if body.topic_partitions is None:
            wanted = [(name, p) for name, t in sorted(self.topics.items()) for p in range(len(t.replicas))]
        else:
            wanted = [(tp.topic, p) for tp in body.topic_partitions for p in tp.partition_id]
        by_topic: dict[str, list[Any]] = {}
        for name, p in wanted:
            t = self.topics.get(name)
            if t is None or p >= len(t.replicas):
                code = UnknownTopicOrPartition.code
            elif body.election_type == 0:
                preferred = t.replicas[p][0]
                if t.leaders[p] == preferred:
                    code = ElectionNotNeeded.code
                elif preferred in t.isr[p]:
                    code, t.leaders[p] = 0, preferred
                else:
                    code = PreferredLeaderNotAvailable.code
            elif t.leaders[p] >= 0:
                code = ElectionNotNeeded.code
            else:
                live = [r for r in t.replicas[p] if r in self.broker_ids]
                code = EligibleLeadersNotAvailable.code if not live else 0
                if live:
                    t.leaders[p], t.isr[p] = live[0], [live[0]]
            by_topic.setdefault(name, []).append(tm.PartitionResult(partition_id=p, error_code=code, error_message=None))
        return tm.ElectLeadersResponse(error_code=0, replica_election_results=tuple(
            tm.ReplicaElectionResult(topic=name, partition_result=tuple(ps)) for name, ps in by_topic.items()))

    def _incremental_alter_configs(self, broker_id: int, version: int, body: Any) -> Any:
        out = []
        for r in body.resources:
            code = 0
            if r.resource_type == 4:
                if int(r.resource_name) != broker_id:
                    code = 42
                else:
                    stored = self.broker_configs.setdefault(broker_id, {})
                    for c in r.configs:
                        if c.config_operation == 0:
                            stored[c.name] = c.value
                        else:
                            stored.pop(c.name, None)
            else:
                topic = self.topics.get(r.resource_name)
                code = 0 if topic else 3
                for c in r.configs if topic is not None else ():
                    if c.config_operation == 0:
                        topic.configs[c.name] = c.value
                    else:
                        topic.configs.pop(c.name, None)
            out.append(cm.AlterConfigsResourceResponse(error_code=code, resource_type=r.resource_type,
                                                      resource_name=r.resource_name))
        return cm.IncrementalAlterConfigsResponse(responses=tuple(out))


@pytest.fixture
async def cluster(nursery: trio.Nursery) -> ReassignFakeCluster:
    c = await nursery.start(serve, ReassignFakeCluster())
    c.add_topic("t", [[1], [2], [3]])
    return c


def tp(topic: str, p: int) -> TopicPartition:
    return TopicPartition(topic, p)


# ---- AlterPartitionReassignments / ListPartitionReassignments ------------------------------------


async def test_alter_list_cancel(cluster: ReassignFakeCluster) -> None:
    async with KafkaAdminClient.create(cluster.bootstrap) as admin:
        errors = await ra.alter_partition_reassignments(admin, {tp("t", 0): [1, 2, 3], tp("nope", 0): [1]})
        assert errors[tp("t", 0)] is None
        assert isinstance(errors[tp("nope", 0)], UnknownTopicOrPartition)
        ongoing = await ra.list_partition_reassignments(admin)
        assert ongoing == {tp("t", 0): PartitionReassignment((1, 2, 3), (2, 3), ())}
        assert await ra.list_partition_reassignments(admin, [tp("t", 1)]) == {}
        cancelled = await ra.cancel_partition_reassignments(admin, [tp("t", 0), tp("t", 1)])
        assert cancelled[tp("t", 0)] is None
        assert isinstance(cancelled[tp("t", 1)], NoReassignmentInProgress)
        assert await ra.list_partition_reassignments(admin) == {}
    assert {b for b, k in cluster.seen if k in (ApiKey.ALTER_PARTITION_REASSIGNMENTS,
                                                ApiKey.LIST_PARTITION_REASSIGNMENTS)} == {1}


async def test_not_controller_is_retried_at_the_new_controller(cluster: ReassignFakeCluster) -> None:
    async with KafkaAdminClient.create(cluster.bootstrap, retry_backoff_ms=1) as admin:
        await admin.metadata()
        cluster.controller_id = 2  # the controller moved after the client's last metadata
        errors = await ra.alter_partition_reassignments(admin, {tp("t", 1): [2, 3]})
        assert errors == {tp("t", 1): None}
        cluster.controller_id = 3
        assert await ra.list_partition_reassignments(admin) == {tp("t", 1): PartitionReassignment((2, 3), (3,), ())}
        cluster.controller_id = 1
        elected = await ra.elect_leaders(admin, ra.ElectionType.PREFERRED, [tp("t", 0)])
        assert isinstance(elected[tp("t", 0)], ElectionNotNeeded)
    alters = [b for b, k in cluster.seen if k == ApiKey.ALTER_PARTITION_REASSIGNMENTS]
    assert alters == [1, 2]
    lists = [b for b, k in cluster.seen if k == ApiKey.LIST_PARTITION_REASSIGNMENTS]
    assert lists == [2, 3]
    assert [b for b, k in cluster.seen if k == ApiKey.ELECT_LEADERS] == [3, 1]


# ---- ElectLeaders ------------------------------------------------------------------------------------


async def test_elect_preferred_and_unclean(cluster: ReassignFakeCluster) -> None:
    cluster.add_topic("e", [[1, 2], [2, 3], [3, 1]])
    topic = cluster.topics["e"]
    topic.leaders[0] = 2  # the leader moved away from the preferred replica
    topic.leaders[1], topic.isr[1] = 3, [3]  # preferred replica out of the ISR
    async with KafkaAdminClient.create(cluster.bootstrap) as admin:
        results = await ra.elect_leaders(admin, ra.ElectionType.PREFERRED, [tp("e", 0), tp("e", 1), tp("e", 2)])
        assert results[tp("e", 0)] is None and topic.leaders[0] == 1
        assert isinstance(results[tp("e", 1)], PreferredLeaderNotAvailable)
        assert isinstance(results[tp("e", 2)], ElectionNotNeeded)
        everything = await ra.elect_leaders(admin, ra.ElectionType.PREFERRED, None)
        assert set(everything) == {tp("t", p) for p in range(3)} | {tp("e", p) for p in range(3)}
        topic.leaders[2] = -1
        unclean = await ra.elect_leaders(admin, ra.ElectionType.UNCLEAN, [tp("e", 2)])
        assert unclean == {tp("e", 2): None} and topic.leaders[2] == 3
    requests = [b for b, k in cluster.seen if k == ApiKey.ELECT_LEADERS]
    assert requests == [1, 1, 1]


# ---- move map and throttle values (golden) --------------------------------------------------------


def test_move_map_and_throttle_values() -> None:
    current = {tp("t", 0): [1, 2], tp("t", 10): [1, 2], tp("u", 0): [3]}
    proposed = {tp("t", 0): [3, 2], tp("t", 10): [2, 3, 4]}
    ongoing = {tp("u", 0): PartitionReassignment((1, 3), (1,), ())}
    moves = ra.proposed_move_map(ongoing, proposed, current)
    assert moves[tp("t", 0)] == ra.PartitionMove(frozenset({1, 2}), frozenset({3}))
    assert moves[tp("u", 0)] == ra.PartitionMove(frozenset({3}), frozenset({1}))
    # Kafka keeps the entries in a TreeSet of strings, so "10:1" sorts before "2:1".
    assert ra.leader_throttles(moves) == {"t": "0:1,0:2,10:1,10:2", "u": "0:3"}
    assert ra.follower_throttles(moves) == {"t": "0:3,10:3,10:4", "u": "0:1"}
    assert ra.reassigning_brokers(moves) == [1, 2, 3, 4]


def test_resubmitting_an_ongoing_reassignment_keeps_its_sources() -> None:
    ongoing = {tp("t", 0): PartitionReassignment((4, 5, 1), (4, 5), ())}
    moves = ra.proposed_move_map(ongoing, {tp("t", 0): [4, 6]}, {tp("t", 0): [4, 5, 1]})
    assert moves[tp("t", 0)] == ra.PartitionMove(frozenset({1}), frozenset({4, 6}))
    with pytest.raises(ValueError, match="Trying to reassign a topic partition t-9 with 0 replicas"):
        ra.proposed_move_map({}, {tp("t", 9): [1]}, {})


async def test_set_and_clear_throttles(cluster: ReassignFakeCluster) -> None:
    async with KafkaAdminClient.create(cluster.bootstrap) as admin:
        await ra.set_inter_broker_throttle(admin, [1, 3], 1024)
        await ra.set_topic_throttles(admin, {"t": "0:1"}, {"t": "0:2"})
        assert cluster.broker_configs == {
            b: {"leader.replication.throttled.rate": "1024", "follower.replication.throttled.rate": "1024"}
            for b in (1, 3)}
        assert cluster.topics["t"].configs == {"leader.replication.throttled.replicas": "0:1",
                                               "follower.replication.throttled.replicas": "0:2"}
        await ra.clear_broker_throttles(admin, [1, 2, 3])
        await ra.clear_topic_throttles(admin, ["t"])
    assert cluster.broker_configs == {1: {}, 2: {}, 3: {}}
    assert cluster.topics["t"].configs == {}  # each broker resource was answered by its own broker


def test_throttle_entries_sort_as_text() -> None:
    moves = ra.proposed_move_map({}, {tp("t", 2): [1, 3], tp("t", 10): [1, 3]}, {tp("t", 2): [1], tp("t", 10): [1]})
    assert ra.leader_throttles(moves) == {"t": "10:1,2:1"}
    assert ra.follower_throttles(moves) == {"t": "10:3,2:3"}
