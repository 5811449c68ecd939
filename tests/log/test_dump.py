"""``kafka_clone.log.dump``: Kafka 2.8's DumpLogSegments lines for files our own code wrote."""

from __future__ import annotations

import os
import re
import struct

import attrs
import pytest

from kafka_clone.coordinator.group.group_metadata import GroupMetadata, GroupState, OffsetAndMetadata
from kafka_clone.coordinator.group.group_metadata_manager import (
    group_metadata_key, group_metadata_value, offset_commit_key, offset_commit_value,
)
from kafka_clone.coordinator.group.member_metadata import MemberMetadata
from kafka_clone.client.group_consumer import encode_assignment
from kafka_clone.common.topic import TopicPartition
from kafka_clone.log.dump import DumpError, DumpOptions, ErrLine, dump
from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import records as R
from kafka_clone.protocol.compression import CompressionType
from kafka_clone.server.producer_state import BatchMetadata, ProducerStateEntry, write_snapshot

T = 1_600_000_000_000
SEG = "00000000000000000000"


def lines(paths, **options) -> list[str]:
    return list(dump([str(p) for p in paths], DumpOptions(**options)))


def out(result: list[str]) -> list[str]:
    return [line for line in result if not isinstance(line, ErrLine)]


def err(result: list[str]) -> list[str]:
    return [line for line in result if isinstance(line, ErrLine)]


def write_log(directory, batches, config: LogConfig | None = None) -> str:
    """Append client batches through our ``Log`` (leader epoch 0), close it, return the dir."""
    log = Log.open(str(directory), config or LogConfig(), clock=lambda: T)
    for batch in batches:
        log.append_as_leader(bytearray(batch), 0)
    log.close()
    return str(directory)


def two_batches() -> list[bytes]:
    return [
        R.build_batch([R.Record(i, T + i, None, b"hello") for i in range(3)]),
        R.build_batch([R.Record(0, T + 5, b"k1", b"v1", (("h1", b"x"), ("h2", None))),
                       R.Record(1, T + 6, b"k2", None)]),
    ]


# ---- .log ----------------------------------------------------------------------------------------


def test_log_with_print_data_log_is_kafka_28s_lines(tmp_path):
    d = write_log(tmp_path / "t-0", two_batches())
    path = f"{d}/{SEG}.log"
    assert lines([path], print_data_log=True) == [
        f"Dumping {path}",
        "Starting offset: 0",
        "baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
        "partitionLeaderEpoch: 0 isTransactional: false isControl: false position: 0 CreateTime: 1600000000002 "
        "size: 97 magic: 2 compresscodec: NONE crc: 2650752987 isvalid: true",
        "| offset: 0 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: 1600000000000 baseOffset: 0 "
        "lastOffset: 2 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: 97 "
        "magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [] payload: hello",
        "| offset: 1 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: 1600000000001 baseOffset: 0 "
        "lastOffset: 2 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: 97 "
        "magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [] payload: hello",
        "| offset: 2 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: 1600000000002 baseOffset: 0 "
        "lastOffset: 2 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: 97 "
        "magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [] payload: hello",
        "baseOffset: 3 lastOffset: 4 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
        "partitionLeaderEpoch: 0 isTransactional: false isControl: false position: 97 CreateTime: 1600000000006 "
        "size: 90 magic: 2 compresscodec: NONE crc: 1133932725 isvalid: true",
        "| offset: 3 isValid: true crc: null keySize: 2 valueSize: 2 CreateTime: 1600000000005 baseOffset: 3 "
        "lastOffset: 4 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: 90 "
        "magic: 2 compressType: NONE position: 97 sequence: -1 headerKeys: [h1,h2] key: k1 payload: v1",
        # a tombstone: a key, no payload
        "| offset: 4 isValid: true crc: null keySize: 2 valueSize: -1 CreateTime: 1600000000006 baseOffset: 3 "
        "lastOffset: 4 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: 90 "
        "magic: 2 compressType: NONE position: 97 sequence: -1 headerKeys: [] key: k2",
    ]


def test_shallow_and_deep_iteration(tmp_path):
    d = write_log(tmp_path / "t-0", two_batches())
    path = f"{d}/{SEG}.log"
    shallow = lines([path])
    assert len(shallow) == 4 and all(line.startswith("baseOffset: ") for line in shallow[2:])
    deep = lines([path], deep_iteration=True)
    assert len(deep) == 9
    # without --print-data-log the record lines stop at the header keys
    assert deep[3].endswith("sequence: -1 headerKeys: []")
    assert deep[7].endswith("headerKeys: [h1,h2]")


def test_skip_record_metadata(tmp_path):
    d = write_log(tmp_path / "t-0", two_batches())
    result = lines([f"{d}/{SEG}.log"], print_data_log=True, skip_record_metadata=True)
    # Kafka prints " payload:" with its own space, so a record without key has no "|"
    assert [line for line in result if not line.startswith(("Dumping", "Starting", "baseOffset"))] == [
        " payload: hello", " payload: hello", " payload: hello", "| key: k1 payload: v1", "| key: k2"]


def mask(line: str) -> str:
    """Compressed sizes and CRCs depend on the codec library's version; the rest must not."""
    return re.sub(r"\b(size|batchSize|crc|position): \d+", r"\1: _", line)


@pytest.mark.parametrize("codec", [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4,
                                   CompressionType.ZSTD])
def test_compressed_batches_are_decompressed(tmp_path, codec):
    batch = R.build_batch([R.Record(0, T, b"k", b"x" * 10, (("trace", b"1"),)), R.Record(1, T + 1, None, None)],
                          compression=codec)
    d = write_log(tmp_path / "t-0", [batch])
    result = [mask(line) for line in lines([f"{d}/{SEG}.log"], print_data_log=True)]
    assert result[2:] == [
        "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 "
        "partitionLeaderEpoch: 0 isTransactional: false isControl: false position: _ CreateTime: 1600000000001 "
        f"size: _ magic: 2 compresscodec: {codec.name} crc: _ isvalid: true",
        "| offset: 0 isValid: true crc: null keySize: 1 valueSize: 10 CreateTime: 1600000000000 baseOffset: 0 "
        "lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: _ "
        f"magic: 2 compressType: {codec.name} position: _ sequence: -1 headerKeys: [trace] key: k payload: xxxxxxxxxx",
        "| offset: 1 isValid: true crc: null keySize: -1 valueSize: -1 CreateTime: 1600000000001 baseOffset: 0 "
        "lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: _ "
        f"magic: 2 compressType: {codec.name} position: _ sequence: -1 headerKeys: []",
    ]


def test_idempotent_batch_sequences(tmp_path):
    batch = R.build_batch([R.Record(i, T, None, b"v") for i in range(3)], producer_id=7, producer_epoch=1,
                          base_sequence=2147483646)
    d = write_log(tmp_path / "t-0", [batch])
    result = lines([f"{d}/{SEG}.log"], deep_iteration=True)
    assert "baseSequence: 2147483646 lastSequence: 0 producerId: 7 producerEpoch: 1" in result[2]
    # per-record sequences wrap past Integer.MAX_VALUE as DefaultRecord.sequence does
    assert [re.search(r" sequence: (-?\d+)", line).group(1) for line in result[3:]] == ["2147483646",
                                                                                        "2147483647", "0"]


def test_control_batch_shows_the_marker(tmp_path):
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(R.build_control_batch(R.ControlRecordType.COMMIT, 5, producer_id=3, producer_epoch=0,
                                           timestamp=T))
    result = lines([path], print_data_log=True)
    assert "isTransactional: true isControl: true" in result[2]
    assert result[3].endswith("sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 5")


def test_torn_tail_is_reported_as_invalid_bytes(tmp_path):
    d = write_log(tmp_path / "t-0", two_batches())
    path = f"{d}/{SEG}.log"
    valid = os.path.getsize(path)
    whole = R.build_batch([R.Record(0, T, None, b"lost")])
    with open(path, "ab") as f:
        f.write(whole[:40])  # a batch cut by a crash: its length says more than the file holds
    result = lines([path])
    assert result[-1] == f"Found 40 invalid bytes at the end of {SEG}.log"
    with open(path, "ab") as f:
        f.truncate(valid + 10)  # fewer bytes than even a batch's offset, length, epoch and magic
    assert lines([path])[-1] == f"Found 10 invalid bytes at the end of {SEG}.log"


def test_crc_mismatch_says_isvalid_false(tmp_path):
    d = write_log(tmp_path / "t-0", two_batches())
    path = f"{d}/{SEG}.log"
    with open(path, "r+b") as f:
        f.seek(97 + 61 + 3)  # a byte inside the second batch's records
        byte = f.read(1)
        f.seek(97 + 61 + 3)
        f.write(bytes([byte[0] ^ 0x01]))
    result = lines([path])
    assert result[2].endswith("isvalid: true") and result[3].endswith("isvalid: false")


def test_a_record_size_below_the_minimum_overhead_is_an_error(tmp_path):
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(R.build_batch([R.Record(0, T, None, b"v")]) + struct.pack(">qi", 1, 5) + bytes(10))
    result = []
    with pytest.raises(DumpError, match=re.escape(f"Found record size 5 smaller than minimum record overhead (14) "
                                                  f"in file {path}.")):
        for line in dump([str(path)], DumpOptions()):
            result.append(line)
    assert result[-1].startswith("baseOffset: 0")  # what came before the bad batch was printed


def test_non_consecutive_offsets_are_reported(tmp_path):
    path = tmp_path / f"{SEG}.log"  # a compacted log has gaps
    path.write_bytes(R.build_batch([R.Record(0, T, b"a", b"1")]) + R.build_batch([R.Record(5, T, b"a", b"2")])
                     + R.build_batch([R.Record(9, T, b"a", b"3")]))
    result = lines([path], deep_iteration=True)
    assert err(result) == [f"Non-consecutive offsets in {path}", "  5 is followed by 9", "  0 is followed by 5"]


# ---- __consumer_offsets --------------------------------------------------------------------------


def offsets_log(directory) -> str:
    group = GroupMetadata("g", GroupState.STABLE, current_state_timestamp=T, protocol_type="consumer",
                          protocol_name="range", generation_id=1, leader_id="m-1")
    group.members["m-1"] = MemberMetadata("m-1", None, "c1", "/127.0.0.1", 300000, 10000, "consumer",
                                          (("range", b""),))
    group.members["m-2"] = MemberMetadata("m-2", None, "c2", "/127.0.0.1", 300000, 10000, "consumer",
                                          (("range", b""),))
    assignment = {"m-1": encode_assignment([TopicPartition("t", 0), TopicPartition("t", 1)]),
                  "m-2": encode_assignment([TopicPartition("u", 0)])}
    records = [
        (group_metadata_key("g"), group_metadata_value(group, assignment)),
        (offset_commit_key("g", "t", 0), offset_commit_value(OffsetAndMetadata(5, 0, "", T))),
        (offset_commit_key("g", "t", 1), offset_commit_value(OffsetAndMetadata(7, -1, "note", T, T + 1))),
        (offset_commit_key("g", "t", 1), None),
        (group_metadata_key("g"), None),
    ]
    batches = [R.build_batch([R.Record(0, T, k, v)]) for k, v in records]
    return write_log(directory, batches)


def test_offsets_decoder_prints_kafkas_keys_and_payloads(tmp_path):
    d = offsets_log(tmp_path / "__consumer_offsets-0")
    result = lines([f"{d}/{SEG}.log"], offsets_decoder=True)
    contents = [line[line.index(" key: ") + 1:] for line in result if line.startswith("| ")]
    assert contents == [
        'key: group_metadata::group=g payload: {"protocolType":"consumer","protocol":"range","generationId":1,'
        '"assignment":"{m-1=[t-0, t-1],m-2=[u-0]}"}',
        "key: offset_commit::group=g,partition=t-0 payload: offset=5",
        "key: offset_commit::group=g,partition=t-1 payload: offset=7,metadata=note",
        "key: offset_commit::group=g,partition=t-1 payload: <DELETE>",
        "key: group_metadata::group=g payload: <DELETE>",
    ]


def test_offsets_decoder_without_a_key_is_an_error(tmp_path):
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(R.build_batch([R.Record(0, T, None, b"x")]))
    with pytest.raises(DumpError, match=r"message had a missing key"):
        lines([path], offsets_decoder=True)
    path.write_bytes(R.build_batch([R.Record(0, T, struct.pack(">h", 9), b"x")]))
    with pytest.raises(DumpError, match=r"Unknown group metadata message version: 9"):
        lines([path], offsets_decoder=True)


def test_transaction_log_decoder_reads_kafkas_records(tmp_path):
    # We write no __transaction_state; these are Kafka's v0 key and value, packed by hand.
    key = struct.pack(">hh", 0, 3) + b"tx1"
    value = (struct.pack(">hqhib", 0, 42, 1, 60000, 1) + struct.pack(">i", 1) + struct.pack(">h", 1) + b"o"
             + struct.pack(">ii", 1, 0) + struct.pack(">qq", T, T))
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(R.build_batch([R.Record(0, T, key, value), R.Record(1, T, key, None)]))
    result = lines([path], transaction_log_decoder=True)
    assert result[3].endswith("key: transaction_metadata::transactionalId=tx1 payload: producerId:42,producerEpoch:1,"
                              "state=Ongoing,partitions=[o-0],txnLastUpdateTimestamp=1600000000000,txnTimeoutMs=60000")
    assert result[4].endswith("key: transaction_metadata::transactionalId=tx1 payload: <DELETE>")


def test_decoder_classes(tmp_path):
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(R.build_batch([R.Record(0, T, struct.pack(">i", 7), struct.pack(">q", -3))]))
    result = lines([path], key_decoder_class="kafka.serializer.IntegerDecoder",
                   value_decoder_class="kafka.serializer.LongDecoder")  # a decoder option implies printing
    assert result[3].endswith("key: 7 payload: -3")
    with pytest.raises(DumpError, match=r"ClassNotFoundException: com.example.Avro"):
        DumpOptions(value_decoder_class="com.example.Avro")


# ---- .index and .timeindex -----------------------------------------------------------------------


def indexed_log(directory) -> str:
    """Four batches of two records, indexed from the second on (index.interval.bytes=1: Kafka indexes a
    batch once more than that many bytes came since the last entry), then a roll."""
    config = LogConfig(index_interval_bytes=1)
    log = Log.open(str(directory), config, clock=lambda: T)
    for i in range(4):
        log.append_as_leader(bytearray(R.build_batch([R.Record(j, T + 10 * i + j, None, b"v") for j in range(2)])), 0)
    log.roll()
    log.close()
    return str(directory)


def test_index_and_timeindex_lines(tmp_path):
    d = indexed_log(tmp_path / "t-0")
    index, timeindex = f"{d}/{SEG}.index", f"{d}/{SEG}.timeindex"
    size = len(R.build_batch([R.Record(j, T + j, None, b"v") for j in range(2)]))
    assert lines([index]) == [f"Dumping {index}"] + [
        f"offset: {2 * i + 1} position: {size * i}" for i in range(1, 4)]
    assert lines([timeindex]) == [f"Dumping {timeindex}"] + [
        f"timestamp: {T + 10 * i + 1} offset: {2 * i + 1}" for i in range(1, 4)]
    # our own files verify cleanly: nothing printed, nothing reported
    assert lines([index, timeindex], verify_index_only=True) == [f"Dumping {index}", f"Dumping {timeindex}"]
    assert lines([index, timeindex], index_sanity_check=True) == [
        f"Dumping {index}", f"{index} passed sanity check.",
        f"Dumping {timeindex}", f"{timeindex} passed sanity check."]


def test_a_live_segments_preallocated_indexes(tmp_path):
    # While a segment is active its index files are preallocated (zeros after the entries): the
    # entries are counted as the broker counts them, so the zeros are neither printed nor a failure.
    log = Log.open(str(tmp_path / "t-0"), LogConfig(index_interval_bytes=1), clock=lambda: T)
    try:
        for i in range(3):
            log.append_as_leader(bytearray(R.build_batch([R.Record(0, T + i, None, b"v")])), 0)
        index, timeindex = f"{tmp_path}/t-0/{SEG}.index", f"{tmp_path}/t-0/{SEG}.timeindex"
        assert os.path.getsize(index) > 1000
        size = len(R.build_batch([R.Record(0, T, None, b"v")]))
        assert lines([index, timeindex]) == [
            f"Dumping {index}", f"offset: 1 position: {size}", f"offset: 2 position: {2 * size}",
            f"Dumping {timeindex}", f"timestamp: {T + 1} offset: 1", f"timestamp: {T + 2} offset: 2"]
        assert out(lines([index, timeindex], index_sanity_check=True))[-1] == f"{timeindex} passed sanity check."
    finally:
        log.close()
    empty = tmp_path / "00000000000000000005.index"
    empty.write_bytes(bytes(80))
    (tmp_path / "00000000000000000005.log").write_bytes(b"")
    assert lines([empty]) == [f"Dumping {empty}", f"{empty} is empty."]


def test_index_mismatch_is_reported(tmp_path):
    d = indexed_log(tmp_path / "t-0")
    index = f"{d}/{SEG}.index"
    with open(index, "r+b") as f:
        f.write(struct.pack(">i", 2))  # first entry now says offset 2, but its batch ends at 3
    result = lines([index], verify_index_only=True)
    assert err(result) == [f"Mismatches in :{os.path.abspath(index)}", "  Index offset: 2, log offset: 3"]


def test_time_index_problems_are_reported(tmp_path):
    d = indexed_log(tmp_path / "t-0")
    timeindex = f"{d}/{SEG}.timeindex"
    with open(timeindex, "r+b") as f:
        f.seek(12)
        f.write(struct.pack(">q", T))  # second entry: a timestamp the batch does not have, and not above the first
        f.seek(24 + 8)
        f.write(struct.pack(">i", 4))  # third entry: offset 4 is not the last offset of a batch
    result = lines([timeindex], verify_index_only=True)
    path = os.path.abspath(timeindex)
    assert err(result) == [
        f"Found timestamp mismatch in :{path}", f"  Index timestamp: {T}, log timestamp: {T + 21}",
        f"Found out of order timestamp in :{path}", f"  Index timestamp: {T}, Previously indexed timestamp: {T + 11}",
        "The following indexed offsets are not found in the log.", "Indexed offset: 4, found log offset: 5",
    ]


def test_index_sanity_check_failures(tmp_path):
    d = indexed_log(tmp_path / "t-0")
    index, timeindex = f"{d}/{SEG}.index", f"{d}/{SEG}.timeindex"
    with open(index, "ab") as f:
        f.write(b"\x01\x02\x03")
    with pytest.raises(DumpError, match=r"is corrupt, found 27 bytes which is neither positive nor a multiple of 8"):
        lines([index], index_sanity_check=True)
    with open(timeindex, "ab") as f:
        f.write(struct.pack(">qi", T - 1, 7))
    with pytest.raises(DumpError, match=rf"the last timestamp is {T - 1} which is less than the first timestamp"):
        lines([timeindex], index_sanity_check=True)


def test_index_past_the_end_of_its_log_fails_the_brokers_check(tmp_path):
    d = indexed_log(tmp_path / "t-0")
    index = f"{d}/{SEG}.index"
    with open(index, "ab") as f:
        f.write(struct.pack(">ii", 9, 100_000))
    with pytest.raises(DumpError, match=r"last entry \(offset 9, position 100000\) outside its log"):
        lines([index], index_sanity_check=True)


# ---- other files ---------------------------------------------------------------------------------


def test_producer_snapshot(tmp_path):
    path = tmp_path / "00000000000000000010.snapshot"
    write_snapshot(str(path), [ProducerStateEntry(1000, 2, (BatchMetadata(9, 9, 4, T),), T, -1)])
    assert lines([path]) == [
        f"Dumping {path}",
        f"producerId: 1000 producerEpoch: 2 coordinatorEpoch: -1 currentTxnFirstOffset: None lastTimestamp: {T} "
        f"firstSequence: 5 lastSequence: 9 lastOffset: 9 offsetDelta: 4 timestamp: {T}",
    ]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    result = lines([path])
    assert len(result) == 2 and isinstance(result[1], ErrLine)
    assert result[1].startswith("Snapshot is corrupt (CRC is no longer valid). Stored crc: ")


def test_txn_index(tmp_path):
    path = tmp_path / f"{SEG}.txnindex"
    path.write_bytes(struct.pack(">hqqqq", 0, 5, 10, 20, 21))
    assert lines([path])[1] == "version: 0 producerId: 5 firstOffset: 10 lastOffset: 20 lastStableOffset: 21"


def test_unknown_and_missing_files(tmp_path):
    checkpoint = tmp_path / "leader-epoch-checkpoint"
    checkpoint.write_text("0\n1\n0 0\n")
    assert lines([checkpoint, tmp_path / "notes.txt"]) == [
        f"Dumping {checkpoint}", f"Ignoring unknown file {checkpoint}",
        f"Dumping {tmp_path}/notes.txt", f"Ignoring unknown file {tmp_path}/notes.txt"]
    assert isinstance(lines([checkpoint])[1], ErrLine)
    missing = tmp_path / f"{SEG}.log"
    with pytest.raises(DumpError, match=re.escape(f"{missing} (No such file or directory)")):
        lines([missing])
    with pytest.raises(DumpError, match=r'For input string: "orders"'):
        (tmp_path / "orders.log").write_bytes(b"")
        lines([tmp_path / "orders.log"])


def test_an_empty_log(tmp_path):
    path = tmp_path / f"{SEG}.log"
    path.write_bytes(b"")
    assert lines([path]) == [f"Dumping {path}", "Starting offset: 0"]


def test_options_are_frozen():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        DumpOptions().print_data_log = True  # type: ignore[misc]
