"""KafkaAdminClient against the fake cluster (real sockets, real protocol layer)."""

from __future__ import annotations

import pytest
import trio

from kafka_clone.client import (
    AlterConfigOp,
    AlterConfigOpType,
    ConfigResource,
    ConfigResourceType,
    ConfigSource,
    KafkaAdminClient,
    KafkaConnectionError,
    NewPartitions,
    NewTopic,
)
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    InvalidPartitions,
    InvalidReplicationFactor,
    TopicAlreadyExists,
    UnknownTopicOrPartition,
    UnsupportedVersion,
)

from .fake_broker import CLUSTER_ID, FakeCluster


def _admin(cluster: FakeCluster) -> KafkaAdminClient:
    return KafkaAdminClient.create(cluster.bootstrap, retry_backoff_ms=1)


async def test_metadata_has_cluster_id_controller_and_topics(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("a", [[1, 2], [2, 3]])
    fake_cluster.add_topic("__consumer_offsets", [[1]], internal=True)
    async with _admin(fake_cluster) as admin:
        md = await admin.metadata()
        assert md.cluster_id == CLUSTER_ID
        assert md.controller_id == 1 and md.controller is not None and md.controller.node_id == 1
        assert [b.node_id for b in md.brokers] == [1, 2, 3]
        a = md.topic("a")
        assert a is not None and [p.replicas for p in a.partitions] == [(1, 2), (2, 3)]
        assert await admin.list_topics() == ["__consumer_offsets", "a"]
        assert await admin.list_topics(include_internal=False) == ["a"]
        (missing,) = await admin.describe_topics(["nope"])
        assert isinstance(missing.error, UnknownTopicOrPartition)


async def test_create_topics_goes_to_the_controller_with_per_topic_errors(fake_cluster: FakeCluster) -> None:
    fake_cluster.controller_id = 2
    fake_cluster.add_topic("exists", [[1]])
    async with _admin(fake_cluster) as admin:
        results = await admin.create_topics([
            NewTopic("new", 3, 2, configs={"cleanup.policy": "compact"}),
            NewTopic("exists", 1, 1),
            NewTopic("too-big", 1, 4),
            NewTopic("placed", replica_assignment={0: [3, 1], 1: [1, 2]}),
        ])
    assert [r.name for r in results] == ["new", "exists", "too-big", "placed"]
    assert results[0].error is None and results[0].num_partitions == 3 and results[0].replication_factor == 2
    assert isinstance(results[1].error, TopicAlreadyExists) and str(results[1].error) == "Topic 'exists' already exists."
    assert isinstance(results[2].error, InvalidReplicationFactor)
    with pytest.raises(TopicAlreadyExists):
        results[1].check()
    assert fake_cluster.topics["new"].configs == {"cleanup.policy": "compact"}
    assert fake_cluster.topics["placed"].replicas == [[3, 1], [1, 2]]
    controller_calls = {b for b, k in fake_cluster.seen if k == ApiKey.CREATE_TOPICS}
    assert controller_calls == {2}


async def test_not_controller_refreshes_metadata_and_retries(fake_cluster: FakeCluster) -> None:
    async with _admin(fake_cluster) as admin:
        await admin.metadata()  # caches controller 1
        fake_cluster.controller_id = 3  # the controller moves
        (result,) = await admin.create_topics([NewTopic("t", 1, 1)])
        assert result.error is None
        (deleted,) = await admin.delete_topics(["t"])
        assert deleted.error is None
    calls = [b for b, k in fake_cluster.seen if k == ApiKey.CREATE_TOPICS]
    assert calls == [1, 3]
    assert "t" not in fake_cluster.topics


async def test_validate_only_creates_nothing(fake_cluster: FakeCluster) -> None:
    async with _admin(fake_cluster) as admin:
        (result,) = await admin.create_topics([NewTopic("v", 2, 1)], validate_only=True)
    assert result.error is None and result.num_partitions == 2
    assert "v" not in fake_cluster.topics


async def test_delete_and_create_partitions(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("grow", [[1], [2]])
    async with _admin(fake_cluster) as admin:
        (missing,) = await admin.delete_topics(["missing"])
        assert isinstance(missing.error, UnknownTopicOrPartition)
        grown, shrunk = await admin.create_partitions({
            "grow": NewPartitions(4, ((3,), (1,))),
            "missing": NewPartitions(2),
        })
        assert grown.error is None
        assert isinstance(shrunk.error, UnknownTopicOrPartition)
        (too_few,) = await admin.create_partitions({"grow": NewPartitions(2)})
        assert isinstance(too_few.error, InvalidPartitions)
        assert "which is higher than the requested 2" in str(too_few.error)
    assert fake_cluster.topics["grow"].replicas == [[1], [2], [3], [1]]


async def test_configs_describe_alter_incremental(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_topic("c", [[1]], {"retention.ms": "1000"})
    resource = ConfigResource(ConfigResourceType.TOPIC, "c")
    async with _admin(fake_cluster) as admin:
        (described,) = await admin.describe_configs([resource])
        retention = described.check().get("retention.ms")
        assert retention is not None and retention.value == "1000"
        assert retention.source == ConfigSource.DYNAMIC_TOPIC_CONFIG and not retention.is_default
        policy = described.get("cleanup.policy")
        assert policy is not None and policy.is_default
        (altered,) = await admin.alter_configs({resource: {"cleanup.policy": "compact"}})
        assert altered.error is None
        assert fake_cluster.topics["c"].configs == {"cleanup.policy": "compact"}
        (inc,) = await admin.incremental_alter_configs({
            resource: [AlterConfigOp("retention.ms", "5"), AlterConfigOp("cleanup.policy", None, AlterConfigOpType.DELETE)]
        })
        assert inc.error is None
        assert fake_cluster.topics["c"].configs == {"retention.ms": "5"}
        (missing,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "zz")])
        assert isinstance(missing.error, UnknownTopicOrPartition)


async def test_describe_cluster_uses_describe_cluster_or_falls_back_to_metadata(fake_cluster: FakeCluster) -> None:
    async with _admin(fake_cluster) as admin:
        desc = await admin.describe_cluster()
    assert desc.cluster_id == CLUSTER_ID and desc.controller is not None and desc.controller.node_id == 1
    assert [n.node_id for n in desc.nodes] == [1, 2, 3]
    assert any(k == ApiKey.DESCRIBE_CLUSTER for _, k in fake_cluster.seen)

    fake_cluster.hidden_apis.add(ApiKey.DESCRIBE_CLUSTER)
    fake_cluster.seen.clear()
    async with _admin(fake_cluster) as admin:
        desc = await admin.describe_cluster()
    assert [n.node_id for n in desc.nodes] == [1, 2, 3]
    assert not any(k == ApiKey.DESCRIBE_CLUSTER for _, k in fake_cluster.seen)


async def test_unsupported_api_is_a_typed_error(fake_cluster: FakeCluster) -> None:
    fake_cluster.hidden_apis.add(ApiKey.CREATE_TOPICS)
    async with _admin(fake_cluster) as admin:
        with pytest.raises(UnsupportedVersion, match="does not support CreateTopics"):
            await admin.create_topics([NewTopic("x", 1, 1)])


async def test_no_reachable_broker_raises_connection_error() -> None:
    with trio.socket.socket() as s:
        await s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with KafkaAdminClient.create(f"127.0.0.1:{port}") as admin:
        with pytest.raises(KafkaConnectionError, match="could not be established"):
            await admin.list_topics()


def test_bad_bootstrap_servers_are_rejected_with_kafkas_message() -> None:
    with pytest.raises(ValueError, match="Invalid url in bootstrap.servers: nohost"):
        KafkaAdminClient.create("nohost")


async def test_metadata_survives_the_loss_of_the_cached_broker(fake_cluster: FakeCluster) -> None:
    async with _admin(fake_cluster) as admin:
        await admin.metadata()
        # Break the socket under the cached connection, as a dying broker would: the next call
        # fails on it and asks another broker.
        (conn,) = [c for c in admin.client._connections.values() if not c.closed]
        await conn._stream.aclose()
        md = await admin.metadata()
        assert conn.closed
        assert [b.node_id for b in md.brokers] == [1, 2, 3]
