"""Golden bytes: frames captured from real clients, and hand-checked tables for the quirks.

The captured frames (``tests/data/protocol``, see its README) must decode to the expected fields
and re-encode byte for byte. The hand-written tables pin what Kafka's documentation and the
reference §1-2 say the bytes must be: ApiVersions v0/v3 responses (whose header is always v0),
the KIP-511 fallback, Produce requests around a record batch, a Fetch response whose records are
sent as a separate part, and the header-v0 ControlledShutdown.
"""

from __future__ import annotations

import pathlib
import struct

import attrs
import pytest

from kafka_clone.protocol import (
    NEED_DATA,
    ApiKey,
    ServerConnection,
    api_versions_response,
    decode_request,
    encode_request,
    encode_response,
    encode_response_parts,
)
from kafka_clone.protocol.api_keys import api_versions_request_is_valid
from kafka_clone.protocol.messages.api_versions import ApiVersion, ApiVersionsRequest, ApiVersionsResponse
from kafka_clone.protocol.messages.controller import ControlledShutdownRequest
from kafka_clone.protocol.messages.fetch import (
    FetchablePartitionResponse,
    FetchableTopicResponse,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
)
from kafka_clone.protocol.messages.group import FindCoordinatorRequest
from kafka_clone.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic
from kafka_clone.protocol.messages.offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic
from kafka_clone.protocol.messages.produce import (
    InitProducerIdRequest,
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "protocol"
CAPTURED = sorted(DATA.glob("*.hex"))

CLIENT_IDS = {"kafka-python": "golden-kp", "confluent-kafka": "golden-rdkafka", "aiokafka": "golden-aiokafka"}

# What each captured frame must decode to (body fields), by file name.
EXPECTED_BODIES = {
    "kafka-python-3.0.12_01_ApiVersions_v3.hex": ApiVersionsRequest(
        client_software_name="kafka-python", client_software_version="3.0.12"
    ),
    "kafka-python-3.0.12_02_Metadata_v11.hex": MetadataRequest(
        topics=(), allow_auto_topic_creation=True, include_topic_authorized_operations=False
    ),
    "kafka-python-3.0.12_03_Metadata_v11.hex": MetadataRequest(topics=None, allow_auto_topic_creation=True),
    "confluent-kafka-2-librdkafka-2.16.0_00_ApiVersions_v3.hex": ApiVersionsRequest(
        client_software_name="confluent-kafka-python", client_software_version="2.16.1-rdkafka-2.16.0"
    ),
    # A broker-only refresh: an empty (not null) topic list.
    "confluent-kafka-2-librdkafka-2.16.0_01_Metadata_v11.hex": MetadataRequest(
        topics=(), allow_auto_topic_creation=False
    ),
    # All topics; Kafka reads the same fields and ignores the 3 trailing bytes.
    "confluent-kafka-2-librdkafka-2.16.0_02_Metadata_v11.hex": MetadataRequest(
        topics=None, allow_auto_topic_creation=False
    ),
    "aiokafka-0.14.0_00_ApiVersions_v0.hex": ApiVersionsRequest(),
    "aiokafka-0.14.0_01_Metadata_v5.hex": MetadataRequest(topics=(), allow_auto_topic_creation=True),
}
# Produce frames from each client's producer: (acks, timeout_ms) and one 70-byte batch.
CAPTURED_PRODUCE = {
    "kafka-python-3.0.12-producer_04_Produce_v9.hex": (-1, 30000),
    "confluent-kafka-2-librdkafka-2.16.0-producer_02_Produce_v9.hex": (-1, 30000),
    "aiokafka-0.14.0-producer_02_Produce_v7.hex": (1, 40000),
}
EXPECTED_BODIES["kafka-python-3.0.12-producer_03_InitProducerId_v4.hex"] = InitProducerIdRequest(
    transactional_id=None, transaction_timeout_ms=0, producer_id=-1, producer_epoch=-1
)
EXPECTED_BODIES["confluent-kafka-2-librdkafka-2.16.0-producer_01_Metadata_v11.hex"] = MetadataRequest(
    topics=(MetadataRequestTopic(name="golden"),), allow_auto_topic_creation=True
)


def _fetch(*, isolation_level: int, session_epoch: int, current_leader_epoch: int) -> FetchRequest:
    partition = FetchPartition(
        partition=0, current_leader_epoch=current_leader_epoch, fetch_offset=0, partition_max_bytes=1048576
    )
    return FetchRequest(
        replica_id=-1, max_wait_ms=500, min_bytes=1, max_bytes=52428800, isolation_level=isolation_level,
        session_id=0, session_epoch=session_epoch, topics=(FetchTopic(topic="golden", partitions=(partition,)),),
    )


# The reference's §5 facts, as sent: librdkafka defaults to read_committed and sends leader
# epoch 0 (not -1); kafka-python asks for a fetch session (epoch 0); aiokafka is sessionless.
EXPECTED_BODIES["confluent-kafka-2-librdkafka-2.16.0-consumer_03_Fetch_v12.hex"] = _fetch(
    isolation_level=1, session_epoch=-1, current_leader_epoch=0
)
EXPECTED_BODIES["kafka-python-3.0.12-consumer_04_Fetch_v12.hex"] = _fetch(
    isolation_level=0, session_epoch=0, current_leader_epoch=0
)
EXPECTED_BODIES["aiokafka-0.14.0-consumer_04_Fetch_v11.hex"] = _fetch(
    isolation_level=0, session_epoch=-1, current_leader_epoch=-1
)
EXPECTED_BODIES["kafka-python-3.0.12-consumer_03_ListOffsets_v6.hex"] = ListOffsetsRequest(
    replica_id=-1,
    topics=(ListOffsetsTopic(name="golden", partitions=(ListOffsetsPartition(partition_index=0, timestamp=-2),)),),
)
EXPECTED_BODIES["confluent-kafka-2-librdkafka-2.16.0-consumer_02_FindCoordinator_v2.hex"] = (
    FindCoordinatorRequest(key="golden", key_type=0)
)
TRAILING = {"confluent-kafka-2-librdkafka-2.16.0_02_Metadata_v11.hex": 3}


def _frame(path: pathlib.Path) -> bytes:
    return bytes.fromhex(path.read_text().strip())


def test_captures_exist_for_every_client():
    names = {p.name for p in CAPTURED}
    assert set(EXPECTED_BODIES) <= names
    for client in CLIENT_IDS:
        assert any(n.startswith(client) for n in names)


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: p.stem)
def test_captured_frame_decodes_and_reencodes(path):
    payload = _frame(path)
    api_name, version = path.stem.split("_")[-2:]
    version = int(version.removeprefix("v"))
    conn = ServerConnection()
    conn.receive_data(struct.pack(">i", len(payload)) + payload)
    req = conn.next_request()
    assert conn.next_request() is NEED_DATA
    assert req.api_key.name.replace("_", "").lower() == api_name.lower()
    assert req.api_version == version
    assert req.client_id == next(v for k, v in CLIENT_IDS.items() if path.name.startswith(k))
    assert req.size == len(payload)
    if req.unsupported_version:
        # kafka-python opens with ApiVersions v4; we answer it at v0 (KIP-511).
        assert (req.api_key, req.api_version, req.response_version) == (ApiKey.API_VERSIONS, 4, 0)
        return
    if path.name in EXPECTED_BODIES:
        assert req.body == EXPECTED_BODIES[path.name]
    again = encode_request(req.correlation_id, req.header.client_id, req.api_key, version, req.body)
    used = len(payload) - TRAILING.get(path.name, 0)
    assert again == struct.pack(">i", used) + payload[:used]


@pytest.mark.parametrize("name", sorted(CAPTURED_PRODUCE))
def test_captured_produce_requests_keep_the_batch_as_a_view(name):
    payload = _frame(DATA / name)
    req = decode_request(payload)
    assert (req.body.acks, req.body.timeout_ms) == CAPTURED_PRODUCE[name]
    assert req.body.transactional_id is None and req.expects_response
    (topic,) = req.body.topic_data
    (partition,) = topic.partition_data
    assert topic.name == "golden" and partition.index == 0
    batch = partition.records
    assert isinstance(batch, memoryview) and batch.obj is payload
    # RecordBatch v2 header (reference §4.1): batchLength counts the bytes after offset 12.
    assert struct.unpack_from(">i", batch, 8)[0] + 12 == len(batch) == 70
    assert batch[16] == 2  # magic


# -- hand-checked tables ---------------------------------------------------------------------

ONE_KEY = ApiVersionsResponse(
    error_code=0, api_keys=(ApiVersion(api_key=18, min_version=0, max_version=3),), throttle_time_ms=7
)

RESPONSE_TABLE = [
    # (api_key, version, body, expected frame hex) with correlation id 0x01020304
    (
        ApiKey.API_VERSIONS,
        0,
        ONE_KEY,
        # size, correlation, error_code, int32 count, {key, min, max}; v0 has no throttle field
        "00000010" "01020304" "0000" "00000001" "0012" "0000" "0003",
    ),
    (
        ApiKey.API_VERSIONS,
        1,
        ONE_KEY,
        "00000014" "01020304" "0000" "00000001" "0012" "0000" "0003" "00000007",
    ),
    (
        ApiKey.API_VERSIONS,
        3,
        ONE_KEY,
        # header v0 even though v3 is flexible (KIP-511); compact array N+1; element tags;
        # throttle; empty top-level tag section
        "00000013" "01020304" "0000" "02" "0012" "0000" "0003" "00" "00000007" "00",
    ),
    (
        ApiKey.API_VERSIONS,
        3,
        attrs.evolve(ONE_KEY, finalized_features_epoch=5),
        # a tagged field that differs from its default is written: tag 1, size 8, int64
        "0000001d" "01020304" "0000" "02" "0012" "0000" "0003" "00" "00000007"
        "01" "01" "08" "0000000000000005",
    ),
]


@pytest.mark.parametrize(("api_key", "version", "body", "expected"), RESPONSE_TABLE)
def test_response_table(api_key, version, body, expected):
    assert encode_response(0x01020304, api_key, version, body).hex() == expected.replace(" ", "")


def test_kip_511_fallback_for_too_high_api_versions():
    # ApiVersions v9, header v2, correlation id 5, client id "c", a body we cannot know.
    payload = bytes.fromhex("0012" "0009" "00000005" "0001" "63" "00" "ffee")
    req = decode_request(payload)
    assert req.unsupported_version and req.response_version == 0
    assert req.correlation_id == 5 and req.client_id == "c"
    body = api_versions_response(req.api_version)
    assert body.error_code == 35
    frame = encode_response(req.correlation_id, req.api_key, req.response_version, body)
    assert frame.hex() == "00000010" "00000005" "0023" "00000001" "0012" "0000" "0003"


def test_api_versions_response_lists_every_declared_api():
    body = api_versions_response(3)
    assert body.error_code == 0
    ranges = {k.api_key: (k.min_version, k.max_version) for k in body.api_keys}
    assert ranges[ApiKey.PRODUCE] == (3, 9)
    assert ranges[ApiKey.FETCH] == (4, 12)
    assert ranges[ApiKey.METADATA] == (0, 11)
    assert ranges[ApiKey.OFFSET_FOR_LEADER_EPOCH] == (0, 4)
    assert len(ranges) == len(ApiKey)
    sasl_free = api_versions_response(3, exclude={ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE})
    assert len(sasl_free.api_keys) == len(ApiKey) - 2


BATCH = bytes(range(70))  # opaque to the protocol layer: any bytes stand for a record batch


def _produce(version: int) -> ProduceRequest:
    return ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        topic_data=(TopicProduceData(name="t", partition_data=(PartitionProduceData(index=2, records=BATCH),)),),
    )


PRODUCE_TABLE = [
    (
        3,
        # header v1: key 0, version 3, correlation 9, client id "c"
        "0000" "0003" "00000009" "0001" "63"
        # transactional_id null, acks -1, timeout 30000
        "ffff" "ffff" "00007530"
        # one topic "t", one partition 2, records as int32-length bytes
        "00000001" "0001" "74" "00000001" "00000002" "00000046" + BATCH.hex(),
    ),
    (
        8,
        "0000" "0008" "00000009" "0001" "63" "ffff" "ffff" "00007530"
        "00000001" "0001" "74" "00000001" "00000002" "00000046" + BATCH.hex(),
    ),
    (
        9,
        # header v2: client id keeps its int16 length, then an empty tag section
        "0000" "0009" "00000009" "0001" "63" "00"
        # compact nullable string null, acks, timeout
        "00" "ffff" "00007530"
        # compact arrays/strings are N+1; records are compact bytes (70+1 = 0x47); tag sections
        "02" "02" "74" "02" "00000002" "47" + BATCH.hex() + "00" "00" "00",
    ),
]


@pytest.mark.parametrize(("version", "expected"), PRODUCE_TABLE)
def test_produce_request_table(version, expected):
    frame = encode_request(9, "c", ApiKey.PRODUCE, version, _produce(version))
    payload = bytes.fromhex(expected)
    assert frame == struct.pack(">i", len(payload)) + payload
    req = decode_request(payload)
    assert req.body == _produce(version)
    records = req.body.topic_data[0].partition_data[0].records
    # Zero copy: the record bytes are a view into the request frame itself.
    assert isinstance(records, memoryview) and records.obj is payload
    assert records.tobytes() == BATCH


@attrs.frozen
class FakeFileRecords:
    """Stands in for a log segment slice (the network layer's object for os.sendfile)."""

    data: bytes

    @property
    def size_in_bytes(self) -> int:
        return len(self.data)

    def __bytes__(self) -> bytes:
        return self.data


def _fetch_response(records) -> FetchResponse:
    partition = FetchablePartitionResponse(
        partition=0, error_code=0, high_watermark=10, last_stable_offset=10, log_start_offset=0,
        aborted_transactions=None, record_set=records,
    )
    return FetchResponse(responses=(FetchableTopicResponse(topic="t", partition_responses=(partition,)),))


FETCH_PARTITION_V11 = (
    "00000000" "0000" "000000000000000a" "000000000000000a" "0000000000000000" "ffffffff" "ffffffff"
)


def test_fetch_response_v11_sends_file_records_as_a_part():
    segment = FakeFileRecords(b"B" * 100)
    parts = encode_response_parts(7, ApiKey.FETCH, 11, _fetch_response(segment))
    assert len(parts) == 2 and parts[1] is segment
    head = parts[0]
    expected_head = (
        # size counts the 100 record bytes; response header v0 is only the correlation id
        f"{4 + 4 + 2 + 4 + 4 + 3 + 4 + 38 + 4 + 100:08x}" "00000007"
        # throttle, error_code, session_id, one topic "t", one partition
        "00000000" "0000" "00000000" "00000001" "0001" "74" "00000001"
        # partition, error, hw, lso, log start, aborted null, preferred replica -1, records len
        + FETCH_PARTITION_V11 + "00000064"
    )
    assert head.hex() == expected_head
    assert encode_response(7, ApiKey.FETCH, 11, _fetch_response(segment)) == head + segment.data


def test_fetch_response_v12_has_header_v1_and_trailing_tag_sections():
    parts = encode_response_parts(7, ApiKey.FETCH, 12, _fetch_response(FakeFileRecords(b"B" * 3)))
    assert len(parts) == 3
    head, records, tail = parts
    assert head[4:9].hex() == "0000000700"  # correlation id + the response header's tag section
    assert head.endswith(bytes([3 + 1]))  # compact records length N+1
    assert tail == b"\0\0\0"  # partition, topic and top-level tag sections


def test_controlled_shutdown_v0_uses_request_header_v0():
    frame = encode_request(3, "ignored", ApiKey.CONTROLLED_SHUTDOWN, 0, ControlledShutdownRequest(broker_id=2))
    assert frame.hex() == "0000000c" "0007" "0000" "00000003" "00000002"
    req = decode_request(frame[4:])
    assert req.body.broker_id == 2 and req.client_id == ""


def test_metadata_v10_topic_ids_round_trip_through_frames():
    body = MetadataRequest(topics=(MetadataRequestTopic(name="t"),), allow_auto_topic_creation=False)
    frame = encode_request(1, None, ApiKey.METADATA, 10, body)
    req = decode_request(frame[4:])
    assert req.body == body and req.header.client_id is None and req.client_id == ""


def test_api_versions_client_software_must_match_the_kip_511_pattern():
    ok = ApiVersionsRequest(client_software_name="confluent-kafka-python", client_software_version="2.16.1-rdkafka-2.16.0")
    assert api_versions_request_is_valid(ok, 3)
    bad = ApiVersionsRequest(client_software_name="kafka python", client_software_version="1.0")
    assert not api_versions_request_is_valid(bad, 3)
    assert not api_versions_request_is_valid(ApiVersionsRequest(client_software_name="x", client_software_version="-1"), 3)
    assert api_versions_request_is_valid(bad, 2)
