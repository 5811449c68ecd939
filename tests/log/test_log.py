"""Log: leader/follower append, read ranges, timestamp lookup, truncation, epochs, rolling, errors."""

import os
import socket

import pytest

from kafka_clone.log.log import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from kafka_clone.log.log_validator import UnexpectedAppendOffset
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import errors
from kafka_clone.protocol import records as R

from log_helpers import T0, batch, read_all


def test_leader_append_assigns_offsets_and_stamps_the_epoch(open_log):
    log = open_log()
    first = log.append_as_leader(batch(3), leader_epoch=5)
    second = log.append_as_leader(batch(2), leader_epoch=5)
    assert (first.first_offset, first.last_offset) == (0, 2)
    assert (second.first_offset, second.last_offset, log.log_end_offset) == (3, 4, 5)
    data = log.read(0, 1 << 20).records.read_bytes()
    headers = [h for _, h in R.iter_batches(data)]
    assert [(h.base_offset, h.partition_leader_epoch) for h in headers] == [(0, 5), (3, 5)]
    assert [r.offset for r in read_all(log)] == [0, 1, 2, 3, 4]


def test_segment_files_use_kafka_names(open_log):
    log = open_log()
    log.append_as_leader(batch(1), 0)
    assert sorted(os.listdir(log.dir)) == [
        "00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex",
        "leader-epoch-checkpoint"]
    with open(os.path.join(log.dir, "leader-epoch-checkpoint")) as f:
        assert f.read() == "0\n1\n0 0\n"


def test_follower_append_keeps_the_leaders_offsets(open_log):
    leader, follower = open_log(name="l-0"), open_log(name="f-0")
    leader.append_as_leader(batch(3), 1)
    leader.append_as_leader(batch(2), 2)
    data = leader.read(0, 1 << 20).records.read_bytes()
    info = follower.append_as_follower(data)
    assert (info.first_offset, info.last_offset, follower.log_end_offset) == (0, 4, 5)
    assert follower.read(0, 1 << 20).records.read_bytes() == data
    assert follower.leader_epoch_cache.entries == leader.leader_epoch_cache.entries
    with pytest.raises(UnexpectedAppendOffset):
        follower.append_as_follower(data)
    assert follower.log_end_offset == 5


def test_read_returns_whole_batches_within_the_limit_but_at_least_one(open_log):
    log = open_log()
    sizes = [len(batch(1, value_size=100)) for _ in range(5)]
    for _ in range(5):
        log.append_as_leader(batch(1, value_size=100), 0)
    info = log.read(1, sizes[0] * 2 + 10)
    assert info.records.length == sizes[0] * 2
    assert info.fetch_offset_metadata.relative_position_in_segment == sizes[0]
    assert log.read(1, 1).records.length == sizes[0]  # KIP-74: one whole batch regardless
    assert log.read(1, 1, min_one_message=False).records is None


def test_read_respects_the_high_watermark_and_the_range(open_log):
    log = open_log()
    for _ in range(4):
        log.append_as_leader(batch(2), 0)
    assert [r.offset for r in R.records_of(log.read(0, 1 << 20, max_offset=4).records.read_bytes())] == [0, 1, 2, 3]
    assert log.read(4, 1 << 20, max_offset=4).records is None
    assert log.read(8, 1 << 20).records is None  # at the log end: empty, not an error
    with pytest.raises(errors.OffsetOutOfRange):
        log.read(9, 100)
    log.maybe_increment_log_start_offset(2)
    with pytest.raises(errors.OffsetOutOfRange):
        log.read(1, 100)


def test_read_range_works_with_sendfile(open_log):
    log = open_log()
    log.append_as_leader(batch(10, value_size=500), 0)
    info = log.read(0, 1 << 20)
    a, b = socket.socketpair()
    with a, b:
        sent = os.sendfile(a.fileno(), info.records.fd, info.records.position, info.records.length)
        received = b.recv(1 << 20)
    assert sent == info.records.length and received == info.records.read_bytes()


def test_read_offset_in_the_middle_of_a_batch_starts_at_that_batch(open_log):
    log = open_log()
    log.append_as_leader(batch(5), 0)
    info = log.read(3, 1 << 20)
    assert info.fetch_offset_metadata.relative_position_in_segment == 0
    assert [r.offset for r in R.records_of(info.records.read_bytes())] == [0, 1, 2, 3, 4]


def test_fetch_offset_by_timestamp(open_log):
    log = open_log(LogConfig(index_interval_bytes=50))
    for i in range(20):
        log.append_as_leader(batch(2, ts=T0 + 10 * i), 3)
    assert log.fetch_offset_by_timestamp(T0 + 55).offset == 12
    assert log.fetch_offset_by_timestamp(T0 + 50).offset == 10
    assert log.fetch_offset_by_timestamp(T0 - 1).offset == 0
    assert log.fetch_offset_by_timestamp(T0 + 10_000) is None
    assert log.fetch_offset_by_timestamp(EARLIEST_TIMESTAMP).offset == 0
    latest = log.fetch_offset_by_timestamp(LATEST_TIMESTAMP)
    assert (latest.offset, latest.leader_epoch) == (40, 3)


def test_roll_on_segment_bytes_and_offsets_continue(open_log):
    size = len(batch(1, value_size=100))
    log = open_log(LogConfig(segment_bytes=size * 3))
    for _ in range(10):
        log.append_as_leader(batch(1, value_size=100), 0)
    assert [s.base_offset for s in log.segments] == [0, 3, 6, 9]
    assert [r.offset for r in read_all(log)] == list(range(10))
    # Rolled segments' indexes are trimmed; the active one stays preallocated.
    assert os.path.getsize(os.path.join(log.dir, "00000000000000000000.index")) == 0
    assert os.path.getsize(os.path.join(log.dir, "00000000000000000009.index")) == 10 * 1024 * 1024


def test_roll_on_segment_ms_by_record_timestamps(open_log, clock):
    log = open_log(LogConfig(segment_ms=1000))
    log.append_as_leader(batch(1, ts=T0), 0)
    log.append_as_leader(batch(1, ts=T0 + 999), 0)
    assert len(log.segments) == 1
    log.append_as_leader(batch(1, ts=T0 + 1001), 0)
    assert [s.base_offset for s in log.segments] == [0, 2]


def test_roll_when_the_offset_index_is_full(open_log):
    log = open_log(LogConfig(segment_index_bytes=16, index_interval_bytes=0))
    for _ in range(6):
        log.append_as_leader(batch(1), 0)
    assert len(log.segments) > 1
    assert [r.offset for r in read_all(log)] == list(range(6))


def test_sparse_index_entries_every_interval(open_log):
    size = len(batch(1, value_size=100))
    log = open_log(LogConfig(index_interval_bytes=size * 4))
    for _ in range(20):
        log.append_as_leader(batch(1, value_size=100), 0)
    index = log.active_segment.offset_index
    entries = [index.entry(i) for i in range(index.entries)]
    assert entries and all(pos % size == 0 for _, pos in entries)
    assert all(b[1] - a[1] >= size * 4 for a, b in zip(entries, entries[1:]))


@pytest.mark.parametrize("mutate, error", [
    (lambda b: b.__setitem__(-1, b[-1] ^ 1), errors.CorruptMessage),
    (lambda b: b.__setitem__(16, 1), errors.InvalidRecord),
    (lambda b: R.patch_base_offset(b, 0, 7), errors.InvalidRecord),
    (lambda b: b.extend(b"\x00\x00\x00"), errors.CorruptMessage),
])
def test_bad_batches_raise_typed_errors_and_leave_the_log_unchanged(open_log, mutate, error):
    log = open_log()
    log.append_as_leader(batch(2), 0)
    before = (log.log_end_offset, log.size)
    good, bad = batch(1), batch(1)
    mutate(bad)
    with pytest.raises(error):
        log.append_as_leader(good + bad, 0)
    assert (log.log_end_offset, log.size) == before
    assert R.validate_batch(good).base_offset == 0  # nothing was stamped either


def test_message_too_large_and_record_list_too_large(open_log):
    log = open_log(LogConfig(max_message_bytes=200, segment_bytes=300))
    with pytest.raises(errors.MessageTooLarge) as info:
        log.append_as_leader(batch(1, value_size=300), 0)
    assert info.value.code == 10
    with pytest.raises(errors.RecordListTooLarge):
        log.append_as_leader(batch(1, value_size=100) * 3, 0)
    assert log.log_end_offset == 0 and log.size == 0


def test_control_batches_and_missing_sequences_from_clients_are_invalid(open_log):
    log = open_log()
    control = bytearray(R.build_control_batch(R.ControlRecordType.ABORT, 0, producer_id=1, producer_epoch=0, timestamp=T0))
    with pytest.raises(errors.InvalidRecord):
        log.append_as_leader(control, 0)
    with pytest.raises(errors.InvalidRecord):
        log.append_as_leader(batch(1, producer_id=5, producer_epoch=0, base_sequence=-1), 0)
    assert log.log_end_offset == 0


def test_compacted_topics_reject_null_keys(open_log):
    log = open_log(LogConfig(cleanup_policy=("compact",)))
    with pytest.raises(errors.InvalidRecord):
        log.append_as_leader(batch(2, key=None), 0)
    log.append_as_leader(batch(2, key=b"a"), 0)


def test_log_append_time(open_log, clock):
    log = open_log(LogConfig(message_timestamp_type="LogAppendTime"))
    clock.advance(12345)
    info = log.append_as_leader(batch(2, ts=5), 0)
    assert info.log_append_time == clock.now and info.max_timestamp == clock.now
    assert {r.timestamp for r in read_all(log)} == {clock.now}


def test_invalid_timestamp_when_difference_is_bounded(open_log):
    log = open_log(LogConfig(message_timestamp_difference_max_ms=1000))
    with pytest.raises(errors.InvalidTimestamp):
        log.append_as_leader(batch(1, ts=T0 - 5000), 0)
    log.append_as_leader(batch(1, ts=T0 - 500), 0)


def test_truncate_to_removes_whole_batches_and_epochs(open_log):
    log = open_log(LogConfig(segment_bytes=400))
    for epoch in (1, 1, 2, 2, 3, 3):
        log.append_as_leader(batch(2, value_size=50), epoch)
    assert len(log.segments) > 2
    assert log.truncate_to(6)
    assert log.log_end_offset == 6 and [r.offset for r in read_all(log)] == list(range(6))
    assert [(e.epoch, e.start_offset) for e in log.leader_epoch_cache.entries] == [(1, 0), (2, 4)]
    assert not log.truncate_to(100)
    info = log.append_as_leader(batch(1), 4)
    assert info.first_offset == 6


def test_truncate_fully_and_start_at(open_log):
    log = open_log()
    log.append_as_leader(batch(5), 1)
    log.truncate_fully_and_start_at(100)
    assert (log.log_start_offset, log.log_end_offset, len(log.segments)) == (100, 100, 1)
    assert log.segments[0].base_offset == 100
    assert log.end_offset_for_epoch(1) == (-1, -1)  # the epoch cache went with the data
    assert log.append_as_leader(batch(1), 2).first_offset == 100
    assert log.end_offset_for_epoch(1) == (1, 100)


def test_end_offset_for_epoch_follows_offsets_for_leader_epoch(open_log):
    log = open_log()
    log.assign_epoch_start_offset(2, 0)
    log.append_as_leader(batch(3), 2)
    log.assign_epoch_start_offset(4, 3)
    log.append_as_leader(batch(3), 4)
    assert log.end_offset_for_epoch(4) == (4, 6)      # latest: the log end
    assert log.end_offset_for_epoch(3) == (2, 3)      # unknown, in between: floor epoch, next start
    assert log.end_offset_for_epoch(2) == (2, 3)
    assert log.end_offset_for_epoch(1) == (1, 0)      # below every epoch
    assert log.end_offset_for_epoch(5) == (-1, -1)    # above every epoch
    assert log.end_offset_for_epoch(-1) == (-1, -1)


def test_reopen_after_close_keeps_everything(open_log, tmp_path, clock):
    from kafka_clone.log.log import Log

    log = open_log(LogConfig(segment_bytes=500, index_interval_bytes=100))
    for i in range(30):
        log.append_as_leader(batch(2, ts=T0 + i), i // 10)
    expected = read_all(log)
    log.flush()
    log.close()
    again = Log.open(log.dir, log.config, clock=clock, clean_shutdown=True)
    try:
        assert again.log_end_offset == 60 and read_all(again) == expected
        assert again.end_offset_for_epoch(1) == (1, 40)
        assert again.fetch_offset_by_timestamp(T0 + 15).offset == 30
    finally:
        again.close()


def test_topic_compression_type_recompresses_client_batches(open_log):
    from kafka_clone.protocol.compression import CompressionType

    log = open_log(LogConfig(compression_type="zstd"))
    sent = batch(3, compression=CompressionType.GZIP, producer_id=7, producer_epoch=1, base_sequence=0)
    expected = list(R.iter_records(sent))
    info = log.append_as_leader(sent, 0)
    assert (info.first_offset, info.last_offset) == (0, 2)
    data = log.read(0, 1 << 20).records.read_bytes()
    ((_, header),) = list(R.iter_batches(data))
    assert header.compression == CompressionType.ZSTD and (header.producer_id, header.base_sequence) == (7, 0)
    assert list(R.iter_records(data)) == expected


def test_read_across_segments_and_bounded_by_a_high_watermark_in_a_later_segment(open_log):
    size = len(batch(2, value_size=50))
    log = open_log(LogConfig(segment_bytes=size * 3, index_interval_bytes=size))
    for _ in range(10):
        log.append_as_leader(batch(2, value_size=50), 0)
    assert [s.base_offset for s in log.segments] == [0, 6, 12, 18]
    # A read returns batches from one segment only, as Kafka's Log.read does.
    info = log.read(2, 1 << 20)
    assert info.fetch_offset_metadata.segment_base_offset == 0 and info.records.length == size * 2
    # The high watermark (14) cuts the segment holding it at the batch that starts there.
    info = log.read(12, 1 << 20, max_offset=14)
    assert [r.offset for r in R.records_of(info.records.read_bytes())] == [12, 13]
    assert log.read(14, 1 << 20, max_offset=14).records is None
    # A fetch limit in the middle of a batch stops before it (whole batches only).
    info = log.read(6, size * 2 + size // 2)
    assert info.records.length == size * 2
