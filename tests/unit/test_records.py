"""RecordBatch v2: golden bytes (kafka-python's builder), validation errors, in-place patching."""

import os
import struct

import crc32c
import pytest

from kafka_clone.protocol import errors
from kafka_clone.protocol import records as R
from kafka_clone.protocol.compression import CompressionType

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "records")
BASE_TS = 1700000000000

# The records tests/data/records/capture_kafka_python.py puts in every golden batch.
GOLDEN_RECORDS = [
    R.Record(0, BASE_TS, b"key-0", b"hello"),
    R.Record(1, BASE_TS + 5, None, b"x" * 100, (("trace", b"abc"), ("n", None))),
    R.Record(2, BASE_TS + 3, b"key-2", None),
]


def golden(name: str) -> bytes:
    with open(os.path.join(DATA, name)) as f:
        return bytes.fromhex(f.read().strip())


def test_kafka_python_uncompressed_batch_decodes_and_re_encodes_byte_for_byte():
    data = golden("kafka_python_none.hex")
    header = R.validate_batch(data)
    assert header.magic == 2 and header.records_count == 3 and header.last_offset_delta == 2
    assert header.base_timestamp == BASE_TS and header.max_timestamp == BASE_TS + 5
    assert header.size == len(data) and header.compression == CompressionType.NONE
    assert list(R.iter_records(data)) == GOLDEN_RECORDS
    # kafka-python writes partitionLeaderEpoch 0 where the Java client writes -1.
    assert R.build_batch(GOLDEN_RECORDS, partition_leader_epoch=0) == data


def test_kafka_python_idempotent_batch_fields():
    data = golden("kafka_python_idempotent_none.hex")
    header = R.validate_batch(data)
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (4000, 2, 17)
    assert R.build_batch(GOLDEN_RECORDS, partition_leader_epoch=0, producer_id=4000,
                         producer_epoch=2, base_sequence=17) == data


def test_kafka_python_gzip_batch_decodes():
    data = golden("kafka_python_gzip.hex")
    header = R.validate_batch(data)
    assert header.compression == CompressionType.GZIP and header.records_count == 3
    assert list(R.iter_records(data)) == GOLDEN_RECORDS


def test_header_layout_matches_the_wire_table():
    data = R.build_batch(GOLDEN_RECORDS, base_offset=0)
    base_offset, length, epoch, magic, crc = struct.unpack_from(">qiibI", data)
    assert (base_offset, length + 12, epoch, magic) == (0, len(data), -1, 2)
    assert crc == crc32c.crc32c(data[21:])
    assert struct.unpack_from(">i", data, 57)[0] == 3


@pytest.mark.parametrize("codec", list(CompressionType))
def test_every_codec_round_trips(codec):
    records = [R.Record(i, BASE_TS + i, b"k%d" % i, os.urandom(50) * 3) for i in range(40)]
    data = R.build_batch(records, compression=codec)
    header = R.validate_batch(data)
    assert header.compression == codec
    assert list(R.iter_records(data)) == records


def test_snappy_raw_block_as_librdkafka_writes_it_is_accepted():
    import cramjam

    plain = R.build_batch(GOLDEN_RECORDS)
    payload = bytes(cramjam.snappy.compress_raw(plain[61:]))
    buf = bytearray(plain[:61] + payload)
    struct.pack_into(">i", buf, 8, len(buf) - 12)
    struct.pack_into(">h", buf, 21, int(CompressionType.SNAPPY))
    struct.pack_into(">I", buf, 17, crc32c.crc32c(bytes(buf[21:])))
    assert list(R.iter_records(bytes(buf))) == GOLDEN_RECORDS


def test_snappy_writes_xerial_framing_like_the_java_client():
    data = R.build_batch(GOLDEN_RECORDS, compression=CompressionType.SNAPPY)
    assert data[61:69] == b"\x82SNAPPY\x00" and struct.unpack_from(">ii", data, 69) == (1, 1)


def test_wrong_crc_is_corrupt_message():
    data = bytearray(golden("kafka_python_none.hex"))
    data[-1] ^= 0xFF
    with pytest.raises(errors.CorruptMessage):
        R.validate_batch(data)


@pytest.mark.parametrize("cut", [0, 11, 60, 100, 211])
def test_truncated_batch_is_corrupt_message(cut):
    data = golden("kafka_python_none.hex")[:cut]
    with pytest.raises(errors.CorruptMessage):
        R.validate_batch(data)


def test_batch_length_smaller_than_a_header_is_corrupt():
    data = bytearray(golden("kafka_python_none.hex"))
    struct.pack_into(">i", data, 8, 20)
    with pytest.raises(errors.CorruptMessage):
        R.validate_batch(data)


def test_wrong_magic_is_invalid_record():
    data = bytearray(golden("kafka_python_none.hex"))
    data[16] = 1
    with pytest.raises(errors.InvalidRecord):
        R.validate_batch(data)


def test_unknown_codec_is_unsupported_compression_type():
    data = bytearray(R.build_batch(GOLDEN_RECORDS))
    struct.pack_into(">h", data, 21, 6)
    struct.pack_into(">I", data, 17, crc32c.crc32c(bytes(data[21:])))
    with pytest.raises(errors.UnsupportedCompressionType) as info:
        R.validate_batch(data)
    assert info.value.code == 76


def test_garbage_compressed_payload_is_corrupt_message():
    data = bytearray(R.build_batch(GOLDEN_RECORDS, compression=CompressionType.LZ4))
    data[70:80] = b"\x00" * 10
    struct.pack_into(">I", data, 17, crc32c.crc32c(bytes(data[21:])))
    with pytest.raises(errors.CorruptMessage):
        list(R.iter_records(bytes(data)))


def test_patching_offset_and_epoch_keeps_the_crc_valid():
    data = bytearray(golden("kafka_python_none.hex"))
    R.patch_base_offset(data, 0, 1234567)
    R.patch_leader_epoch(data, 0, 42)
    header = R.validate_batch(data)
    assert (header.base_offset, header.partition_leader_epoch, header.last_offset) == (1234567, 42, 1234569)
    assert [r.offset for r in R.iter_records(data)] == [1234567, 1234568, 1234569]


def test_log_append_time_rewrites_max_timestamp_and_crc():
    data = bytearray(golden("kafka_python_none.hex"))
    header = R.validate_batch(data)
    R.set_log_append_time(data, 0, header, 1800000000000)
    new = R.validate_batch(data)
    assert new.timestamp_type == R.TimestampType.LOG_APPEND_TIME and new.max_timestamp == 1800000000000
    assert {r.timestamp for r in R.iter_records(data)} == {1800000000000}


def test_control_batch_round_trip():
    data = R.build_control_batch(R.ControlRecordType.COMMIT, 7, producer_id=9, producer_epoch=1, timestamp=BASE_TS)
    header = R.validate_batch(data)
    assert header.is_control and header.is_transactional and header.records_count == 1
    (record,) = R.iter_records(data)
    assert R.parse_control_record(record) == (R.ControlRecordType.COMMIT, 7)


def test_iter_batches_walks_concatenated_batches_and_rejects_a_torn_tail():
    a = R.build_batch(GOLDEN_RECORDS)
    b = R.build_batch([R.Record(3, BASE_TS, b"k", b"v")])
    assert [(p, h.base_offset) for p, h in R.iter_batches(a + b)] == [(0, 0), (len(a), 3)]
    with pytest.raises(errors.CorruptMessage):
        list(R.iter_batches(a + b[:-1]))


# tests/data/records/capture_librdkafka.py: the same three records (one value is 1000 bytes) as
# librdkafka sends them with each compression.type.
LIBRDKAFKA_RECORDS = [
    R.Record(0, BASE_TS, b"key-0", b"hello"),
    R.Record(1, BASE_TS + 5, None, b"x" * 1000, (("trace", b"abc"), ("n", None))),
    R.Record(2, BASE_TS + 3, b"key-2", None),
]


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_librdkafka_batches_decode(codec):
    data = golden(f"librdkafka_{codec}.hex")
    header = R.validate_batch(data)
    assert header.compression == CompressionType.from_name(codec)
    assert list(R.iter_records(data)) == LIBRDKAFKA_RECORDS


def test_librdkafka_snappy_is_a_raw_block_not_xerial():
    data = golden("librdkafka_snappy.hex")
    assert data[61:69] != b"\x82SNAPPY\x00"


def test_librdkafka_uncompressed_batch_re_encodes_byte_for_byte():
    data = golden("librdkafka_none.hex")
    header = R.validate_batch(data)
    assert R.build_batch(LIBRDKAFKA_RECORDS, partition_leader_epoch=header.partition_leader_epoch) == data
