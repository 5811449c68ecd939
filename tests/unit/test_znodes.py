"""Golden bytes for every znode sample in the reference, round trips and garbage handling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafka_clone.common.jvm_collections import (
    java8_hashtable_order,
    java_string_hash,
    scala_immutable_map_order,
    scala_mutable_hashmap_order,
)
from zk.znodes import (
    PERSISTENT_ZK_PATHS,
    BrokerIdZNode,
    BrokerInfo,
    BrokerSequenceIdZNode,
    ClusterIdZNode,
    ConfigEntityChangeNotificationSequenceZNode,
    ConfigEntityZNode,
    ControllerEpochZNode,
    ControllerZNode,
    DeleteTopicsTopicZNode,
    EndPoint,
    FeatureZNode,
    FinalizedFeatures,
    IsrChangeNotificationSequenceZNode,
    LeaderAndIsr,
    LogDirEventNotificationSequenceZNode,
    PreferredReplicaElectionZNode,
    ProducerIdBlock,
    ProducerIdBlockZNode,
    ReassignPartitionsZNode,
    TopicAssignment,
    TopicPartitionStateZNode,
    TopicZNode,
    ZNodeDecodeError,
)

PLAINTEXT = EndPoint("kafka-1", 9092, "PLAINTEXT", "PLAINTEXT")

# ---------------------------------------------------------------- reference samples (2.13 build)

BROKER_V5 = (
    b'{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},'
    b'"endpoints":["PLAINTEXT://kafka-1:9092"],"jmx_port":-1,"port":9092,"host":"kafka-1",'
    b'"version":5,"timestamp":"1633056051250"}'
)
TOPIC_V3 = (
    b'{"partitions":{"0":[2,3,1]},"topic_id":"cMr3GpVESX2L3byPGf93lQ",'
    b'"adding_replicas":{},"removing_replicas":{},"version":3}'
)
STATE = b'{"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3,1]}'
CONTROLLER = b'{"version":1,"brokerid":1,"timestamp":"1627960928034"}'
OFFSETS_CONFIG = (
    b'{"version":1,"config":{"segment.bytes":"104857600","compression.type":"producer",'
    b'"cleanup.policy":"compact"}}'
)


def test_broker_v5_sample_round_trips_byte_for_byte():
    info = BrokerIdZNode.decode(1, BROKER_V5)
    assert info == BrokerInfo(1, (PLAINTEXT,), timestamp_ms=1633056051250)
    assert BrokerIdZNode.encode(info) == BROKER_V5
    assert BrokerIdZNode.path(1) == "/brokers/ids/1"


def test_broker_v4_has_no_features_and_keeps_bucket_order():
    info = BrokerInfo(1, (PLAINTEXT,), timestamp_ms=1574676574001, version=4)
    assert BrokerIdZNode.encode(info) == (
        b'{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},'
        b'"endpoints":["PLAINTEXT://kafka-1:9092"],"jmx_port":-1,"port":9092,"host":"kafka-1",'
        b'"version":4,"timestamp":"1574676574001"}'
    )


def test_broker_v4_sample_from_other_build_decodes():
    # The 2.12-build sample in the reference: any key order must decode.
    data = (
        b'{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":'
        b'["PLAINTEXT://kafka-1:9092"],"jmx_port":-1,"host":"kafka-1","timestamp":"1574676574001",'
        b'"port":9092,"version":4}'
    )
    assert BrokerIdZNode.decode(1, data) == BrokerInfo(1, (PLAINTEXT,), timestamp_ms=1574676574001, version=4)


def test_broker_with_rack_and_non_plaintext_listeners():
    eps = (EndPoint("h", 9093, "INTERNAL", "SSL"), EndPoint("h", 9092, "EXTERNAL", "SASL_PLAINTEXT"))
    info = BrokerInfo(2, eps, rack="r1", jmx_port=9999, timestamp_ms=5)
    data = BrokerIdZNode.encode(info)
    assert data == (
        b'{"features":{},"listener_security_protocol_map":{"INTERNAL":"SSL","EXTERNAL":"SASL_PLAINTEXT"},'
        b'"endpoints":["INTERNAL://h:9093","EXTERNAL://h:9092"],"rack":"r1","jmx_port":9999,'
        b'"port":-1,"host":null,"version":5,"timestamp":"5"}'
    )
    assert BrokerIdZNode.decode(2, data) == info


def test_broker_v1_and_v2_decode():
    v1 = b'{"version":1,"host":"h","port":9092,"jmx_port":-1,"timestamp":"1"}'
    assert BrokerIdZNode.decode(3, v1).endpoints == (EndPoint("h", 9092, "PLAINTEXT", "PLAINTEXT"),)
    v2 = b'{"version":2,"host":"h","port":9092,"jmx_port":-1,"timestamp":"1","endpoints":["SSL://h:9093"]}'
    assert BrokerIdZNode.decode(3, v2).endpoints == (EndPoint("h", 9093, "SSL", "SSL"),)


def test_broker_timestamp_is_not_validated_like_kafka():
    data = b'{"version":4,"jmx_port":-1,"endpoints":["plaintext://h:1"],"timestamp":123}'
    info = BrokerIdZNode.decode(1, data)
    assert info.timestamp_ms == -1
    assert info.endpoints == (EndPoint("h", 1, "PLAINTEXT", "PLAINTEXT"),)


def test_ipv6_endpoint_is_bracketed():
    ep = EndPoint("::1", 9092, "PLAINTEXT", "PLAINTEXT")
    assert ep.connection_string() == "PLAINTEXT://[::1]:9092"
    info = BrokerInfo(1, (ep,), timestamp_ms=1)
    assert BrokerIdZNode.decode(1, BrokerIdZNode.encode(info)) == info


def test_topic_v3_sample_round_trips():
    assignment = TopicZNode.decode("foo", TOPIC_V3)
    assert assignment == TopicAssignment({0: (2, 3, 1)}, topic_id="cMr3GpVESX2L3byPGf93lQ")
    assert TopicZNode.encode(assignment) == TOPIC_V3
    assert TopicZNode.path("foo") == "/brokers/topics/foo"


def test_topic_v1_and_v2_samples_decode():
    v1 = TopicZNode.decode("t", b'{"version":1,"partitions":{"2":[1,2],"1":[0,1],"0":[2,0]}}')
    assert v1 == TopicAssignment({0: (2, 0), 1: (0, 1), 2: (1, 2)})
    v2 = TopicZNode.decode("t", b'{"version":2,"partitions":{"0":[1,0]},"adding_replicas":{},"removing_replicas":{}}')
    assert v2 == TopicAssignment({0: (1, 0)})


def test_topic_without_id_and_with_reassignment():
    a = TopicAssignment({0: (4, 5, 6, 1, 2, 3)}, {0: (4, 5, 6)}, {0: (1, 2, 3)})
    data = TopicZNode.encode(a)
    assert data == (
        b'{"partitions":{"0":[4,5,6,1,2,3]},"adding_replicas":{"0":[4,5,6]},'
        b'"removing_replicas":{"0":[1,2,3]},"version":3}'
    )
    assert TopicZNode.decode("t", data) == a


def test_topic_partition_keys_use_scala_mutable_hashmap_bucket_order():
    # 12+ entries grow the 16-bucket table to 32: "10" (hash 1567) lands in the last bucket.
    data = TopicZNode.encode(TopicAssignment({p: (1,) for p in range(12)}))
    keys = data.split(b'"partitions":{')[1].split(b"}")[0]
    assert keys == b'"11":[1],"0":[1],"1":[1],"2":[1],"3":[1],"4":[1],"5":[1],"6":[1],"7":[1],"8":[1],"9":[1],"10":[1]'
    small = TopicZNode.encode(TopicAssignment({p: (1,) for p in range(11)}))
    assert small.startswith(b'{"partitions":{"0":[1],"1":[1],"2":[1]')
    assert b'"9":[1],"10":[1]}' in small


def test_partition_state_sample_round_trips():
    lai = TopicPartitionStateZNode.decode(STATE, zk_version=7)
    assert lai == LeaderAndIsr(leader=2, leader_epoch=0, isr=(2, 3, 1), controller_epoch=1, zk_version=7)
    assert TopicPartitionStateZNode.encode(lai) == STATE
    assert TopicPartitionStateZNode.path("foo", 0) == "/brokers/topics/foo/partitions/0/state"


def test_partition_state_without_leader():
    lai = LeaderAndIsr(leader=-1, leader_epoch=3, isr=(1,), controller_epoch=2)
    assert TopicPartitionStateZNode.encode(lai) == (
        b'{"controller_epoch":2,"leader":-1,"version":1,"leader_epoch":3,"isr":[1]}'
    )


def test_controller_and_epoch():
    assert ControllerZNode.encode(1, 1627960928034) == CONTROLLER
    assert ControllerZNode.decode(CONTROLLER) == 1
    assert ControllerEpochZNode.encode(1) == b"1"
    assert ControllerEpochZNode.decode(b"0") == 0
    assert ControllerEpochZNode.path() == "/controller_epoch"


def test_cluster_id():
    cid = ClusterIdZNode.generate_cluster_id()
    assert len(cid) == 22 and "=" not in cid and set(cid) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert ClusterIdZNode.encode(cid) == b'{"version":"1","id":"%s"}' % cid.encode()
    assert ClusterIdZNode.decode(ClusterIdZNode.encode(cid)) == cid
    assert ClusterIdZNode.path() == "/cluster/id"


def test_config_entity_sample():
    # __consumer_offsets config in Kafka's put order (GroupMetadataManager.offsetsTopicConfigs).
    config = {"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"}
    assert ConfigEntityZNode.encode(config) == OFFSETS_CONFIG
    assert ConfigEntityZNode.decode(OFFSETS_CONFIG) == config
    assert ConfigEntityZNode.encode({}) == b'{"version":1,"config":{}}'
    assert ConfigEntityZNode.encode({"log.cleaner.threads": "2"}) == (
        b'{"version":1,"config":{"log.cleaner.threads":"2"}}'
    )
    assert ConfigEntityZNode.decode(None) == {}
    assert ConfigEntityZNode.path("brokers", "<default>") == "/config/brokers/<default>"


def test_config_change_notifications():
    assert ConfigEntityChangeNotificationSequenceZNode.encode("topics/foo") == (
        b'{"version":2,"entity_path":"topics/foo"}'
    )
    assert ConfigEntityChangeNotificationSequenceZNode.decode(b'{"version":2,"entity_path":"topics/foo"}') == "topics/foo"
    legacy = b'{"version":1,"entity_type":"topics","entity_name":"foo"}'
    assert ConfigEntityChangeNotificationSequenceZNode.decode(legacy) == "topics/foo"
    assert ConfigEntityChangeNotificationSequenceZNode.create_path() == "/config/changes/config_change_"
    path = "/config/changes/config_change_0000000007"
    assert ConfigEntityChangeNotificationSequenceZNode.sequence_number(path) == "0000000007"


def test_reassignment_sample():
    data = b'{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}'
    assert ReassignPartitionsZNode.decode(data) == {("foo", 0): (1, 2, 3)}
    assert ReassignPartitionsZNode.encode({("foo", 0): [1, 2, 3]}) == data


def test_partition_list_samples():
    data = b'{"version":1,"partitions":[{"topic":"t","partition":0}]}'
    assert PreferredReplicaElectionZNode.decode(data) == {("t", 0)}
    assert PreferredReplicaElectionZNode.encode({("t", 0)}) == data
    assert IsrChangeNotificationSequenceZNode.encode([("t", 0)]) == data
    assert IsrChangeNotificationSequenceZNode.decode(data) == {("t", 0)}
    assert IsrChangeNotificationSequenceZNode.path("0000000000") == "/isr_change_notification/isr_change_0000000000"


def test_log_dir_event_sample():
    data = b'{"version":1,"broker":1,"event":1}'
    assert LogDirEventNotificationSequenceZNode.encode(1) == data
    assert LogDirEventNotificationSequenceZNode.decode(data) == 1


def test_producer_id_block_sample():
    data = b'{"version":1,"broker":2,"block_start":"2000","block_end":"2999"}'
    assert ProducerIdBlockZNode.decode(data) == ProducerIdBlock(2, 2000, 2999)
    assert ProducerIdBlockZNode.encode(ProducerIdBlock(2, 2000, 2999)) == data


def test_feature_znode_uses_mutable_map_order_and_decodes_reference_order():
    assert FeatureZNode.encode() == b'{"features":{},"version":1,"status":1}'
    assert FeatureZNode.encode(status=0) == b'{"features":{},"version":1,"status":0}'
    assert FeatureZNode.decode(b'{"version":1,"status":1,"features":{}}') == FinalizedFeatures(1)


def test_paths():
    assert PERSISTENT_ZK_PATHS == (
        "/consumers", "/brokers/ids", "/brokers/topics", "/config/changes", "/admin/delete_topics",
        "/brokers/seqid", "/isr_change_notification", "/latest_producer_id_block",
        "/log_dir_event_notification", "/config/topics", "/config/clients", "/config/users",
        "/config/brokers", "/config/ips",
    )
    assert DeleteTopicsTopicZNode.path("foo") == "/admin/delete_topics/foo"
    assert BrokerSequenceIdZNode.path() == "/brokers/seqid"


# ---------------------------------------------------------------- ordering models


def test_java_string_hash():
    assert java_string_hash("") == 0
    assert java_string_hash("10") == 1567
    assert java_string_hash("version") == 351608024


def test_ordering_models_match_reference_samples():
    assert scala_mutable_hashmap_order(
        ["version", "host", "port", "endpoints", "jmx_port", "timestamp",
         "listener_security_protocol_map", "features"], known_size=6
    ) == ["features", "listener_security_protocol_map", "endpoints", "jmx_port", "port", "host",
          "version", "timestamp"]
    assert scala_immutable_map_order(["version", "leader", "leader_epoch", "controller_epoch", "isr"]) == [
        "controller_epoch", "leader", "version", "leader_epoch", "isr"]
    assert scala_immutable_map_order(["b", "a"]) == ["b", "a"]
    assert java8_hashtable_order(["cleanup.policy", "segment.bytes", "compression.type"]) == [
        "segment.bytes", "compression.type", "cleanup.policy"]


@given(st.lists(st.text(max_size=8), max_size=40, unique=True))
def test_ordering_models_are_permutations(keys):
    for order in (java8_hashtable_order(keys), scala_mutable_hashmap_order(keys), scala_immutable_map_order(keys)):
        assert sorted(order) == sorted(keys)


# ---------------------------------------------------------------- round trips

ints = st.integers(-(2**31), 2**31 - 1)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
listener_names = st.from_regex(r"[A-Z][A-Z_]{0,10}", fullmatch=True)
hosts = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,15}", fullmatch=True)
protocols = st.sampled_from(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"])
endpoints = st.builds(EndPoint, hosts, st.integers(0, 65535), listener_names, protocols)


@st.composite
def broker_infos(draw):
    eps = draw(st.lists(endpoints, min_size=1, max_size=4, unique_by=lambda e: e.listener_name))
    feats = draw(st.lists(st.tuples(names, st.integers(0, 32767), st.integers(0, 32767)),
                          max_size=3, unique_by=lambda f: f[0]))
    return BrokerInfo(
        draw(st.integers(0, 2**31 - 1)), eps, draw(st.none() | names), draw(ints), feats,
        timestamp_ms=draw(st.integers(0, 2**63 - 1)),
    )


@given(broker_infos())
def test_broker_info_round_trip(info):
    assert BrokerIdZNode.decode(info.id, BrokerIdZNode.encode(info)) == info


replica_maps = st.dictionaries(st.integers(0, 2000), st.lists(st.integers(0, 10**6), max_size=5).map(tuple), max_size=40)


@given(replica_maps, st.none() | st.just("cMr3GpVESX2L3byPGf93lQ"), st.data())
def test_topic_assignment_round_trip(partitions, topic_id, data):
    moving = [p for p, r in partitions.items() if r]
    adding = {p: partitions[p] for p in data.draw(st.lists(st.sampled_from(moving), unique=True) if moving else st.just([]))}
    a = TopicAssignment(partitions, adding, {}, topic_id)
    assert TopicZNode.decode("t", TopicZNode.encode(a)) == a


@given(ints, ints, st.lists(ints, max_size=6), ints, st.integers(0, 10**6))
def test_leader_and_isr_round_trip(leader, leader_epoch, isr, controller_epoch, zk_version):
    lai = LeaderAndIsr(leader, leader_epoch, isr, controller_epoch, zk_version)
    assert TopicPartitionStateZNode.decode(TopicPartitionStateZNode.encode(lai), zk_version=zk_version) == lai


@given(st.dictionaries(names, names, max_size=30))
def test_config_round_trip(config):
    assert ConfigEntityZNode.decode(ConfigEntityZNode.encode(config)) == config


@given(ints, st.integers(0, 2**62), st.integers(0, 2**62))
def test_producer_id_block_round_trip(broker, start, end):
    block = ProducerIdBlock(broker, start, end)
    assert ProducerIdBlockZNode.decode(ProducerIdBlockZNode.encode(block)) == block


@given(st.dictionaries(st.tuples(names, st.integers(0, 2**31 - 1)), st.lists(ints, max_size=4).map(tuple), max_size=5))
def test_reassignment_round_trip(reassignment):
    assert ReassignPartitionsZNode.decode(ReassignPartitionsZNode.encode(reassignment)) == reassignment


@given(st.frozensets(st.tuples(names, st.integers(0, 2**31 - 1)), max_size=6))
def test_partition_sets_round_trip(partitions):
    assert IsrChangeNotificationSequenceZNode.decode(IsrChangeNotificationSequenceZNode.encode(partitions)) == partitions
    assert PreferredReplicaElectionZNode.decode(PreferredReplicaElectionZNode.encode(partitions)) == partitions


@given(names.filter(lambda s: "/" not in s), st.sampled_from(["topics", "clients", "users", "brokers", "ips"]))
def test_config_change_round_trip(name, entity_type):
    path = f"{entity_type}/{name}"
    assert ConfigEntityChangeNotificationSequenceZNode.decode(
        ConfigEntityChangeNotificationSequenceZNode.encode(path)) == path


@given(st.integers(0, 1), st.lists(st.tuples(names, st.integers(0, 32767), st.integers(0, 32767)),
                                    max_size=4, unique_by=lambda f: f[0]))
def test_feature_round_trip(status, features):
    assert FeatureZNode.decode(FeatureZNode.encode(status, features)) == FinalizedFeatures(status, features)


@given(ints)
def test_controller_epoch_round_trip(epoch):
    assert ControllerEpochZNode.decode(ControllerEpochZNode.encode(epoch)) == epoch


# ---------------------------------------------------------------- garbage

GARBAGE = [None, b"", b"{", b"\xff\xfe", b"[]", b"null", b'"x"', b"NaN", b'{"version":1}']


@pytest.mark.parametrize("data", GARBAGE)
@pytest.mark.parametrize(
    "decode",
    [
        lambda d: BrokerIdZNode.decode(1, d),
        lambda d: TopicPartitionStateZNode.decode(d),
        ControllerZNode.decode,
        ClusterIdZNode.decode,
        ProducerIdBlockZNode.decode,
        ReassignPartitionsZNode.decode,
        IsrChangeNotificationSequenceZNode.decode,
        ConfigEntityChangeNotificationSequenceZNode.decode,
        LogDirEventNotificationSequenceZNode.decode,
        FeatureZNode.decode,
        ControllerEpochZNode.decode,
    ],
)
def test_garbage_raises_typed_error(decode, data):
    with pytest.raises(ZNodeDecodeError):
        decode(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"version":3,"partitions":{"x":[1]}}',
        b'{"version":3,"partitions":{"0":["1"]}}',
        b'{"version":3,"partitions":{"0":[1]},"topic_id":"short"}',
        b'{"version":3,"partitions":[]}',
        b"garbage",
    ],
)
def test_topic_garbage(data):
    with pytest.raises(ZNodeDecodeError) as info:
        TopicZNode.decode("foo", data)
    assert info.value.path == "/brokers/topics/foo"


@pytest.mark.parametrize(
    "data",
    [
        b'{"version":5,"jmx_port":-1,"endpoints":["nonsense"]}',
        b'{"version":5,"jmx_port":-1,"endpoints":["CLIENT://h:1"]}',  # no protocol map entry
        b'{"version":0,"jmx_port":-1}',
        b'{"version":5,"jmx_port":"x","endpoints":[]}',
        b'{"version":5,"jmx_port":-1,"endpoints":["PLAINTEXT://h:99999999999"]}',
        b'{"version":5,"jmx_port":-1,"endpoints":["PLAINTEXT://h:1\\n"]}',
        b'{"version":5,"jmx_port":-1,"endpoints":["X://h:1"],"listener_security_protocol_map":{"X":"BOGUS"}}',
    ],
)
def test_broker_garbage(data):
    with pytest.raises(ZNodeDecodeError):
        BrokerIdZNode.decode(1, data)


@pytest.mark.parametrize("data", [b" 1", b"1.0", b"1_0", b"", b"99999999999"])
def test_controller_epoch_garbage(data):
    with pytest.raises(ZNodeDecodeError):
        ControllerEpochZNode.decode(data)


def test_config_garbage():
    with pytest.raises(ZNodeDecodeError):
        ConfigEntityZNode.decode(b'{"version":1,"config":{"a":1}}')
    with pytest.raises(ZNodeDecodeError):
        ConfigEntityChangeNotificationSequenceZNode.decode(b'{"version":1,"entity_type":"users","entity_name":"x"}')
    with pytest.raises(ZNodeDecodeError):
        ConfigEntityChangeNotificationSequenceZNode.decode(b'{"version":2,"entity_path":"nope"}')
