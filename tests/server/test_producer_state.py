"""ProducerStateManager: Kafka 2.8's idempotent-producer checks (epochs, sequences, the 5 retained
batches, duplicates), atomic multi-batch analysis, rebuild from a real log, expiry; Hypothesis
against an independent model of the rules and against a retrying producer (exactly once, in order).
"""

from __future__ import annotations

import os
import struct

import attrs
import crc32c
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import records as rec
from kafka_clone.protocol.errors import (
    CorruptMessage, InvalidProducerEpoch, InvalidRecord, KafkaError, OutOfOrderSequenceNumber,
)
from kafka_clone.server.producer_state import (
    NUM_BATCHES_TO_RETAIN, BatchMetadata, ProducerStateEntry, ProducerStateManager, decrement_sequence,
    increment_sequence, read_snapshot, snapshot_path, write_snapshot,
)

INT32_MAX = 2**31 - 1


def batch(pid: int, epoch: int, seq: int, count: int = 1, *, ts: int = 1_000) -> bytes:
    """A producer's batch as it arrives: base offset 0, ``count`` records."""
    records = [rec.Record(i, ts, b"k%d" % i, b"v") for i in range(count)]
    return rec.build_batch(records, base_offset=0, producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def plain(count: int = 1) -> bytes:
    return rec.build_batch([rec.Record(i, 1_000, None, b"v") for i in range(count)], base_offset=0)


@attrs.define
class MemLog:
    """Offsets assigned like ``Log.append_as_leader``, bytes kept with their offsets stamped."""

    next_offset: int = 0
    data: bytearray = attrs.Factory(bytearray)

    def append(self, records: bytes) -> tuple[int, int]:
        buf = bytearray(records)
        first = self.next_offset
        for pos, header in rec.iter_batches(buf):
            rec.patch_base_offset(buf, pos, self.next_offset)
            self.next_offset += header.last_offset_delta + 1
        self.data += buf
        return first, self.next_offset - 1


def produce(state: ProducerStateManager, log: MemLog, records: bytes, log_append_time: int = -1):
    """What Partition.append_records_to_leader does: analyze, append unless duplicate, complete.
    Returns ("ok", first, last) or ("dup", first, last); raises the KafkaError."""
    analysis = state.analyze(records)
    if analysis.duplicate is not None:
        return ("dup", analysis.duplicate.first_offset, analysis.duplicate.last_offset)
    first, last = log.append(records)
    state.complete(analysis, first, last, log_append_time)
    return ("ok", first, last)


@pytest.fixture
def state() -> ProducerStateManager:
    return ProducerStateManager("t-0", clock=lambda: 1_000)


# -- unit: Kafka's rules one by one ----------------------------------------------------------------


def test_sequence_helpers_wrap_like_default_record_batch():
    assert increment_sequence(INT32_MAX, 1) == 0
    assert increment_sequence(INT32_MAX - 1, 3) == 1
    assert decrement_sequence(1, 3) == INT32_MAX - 1
    assert decrement_sequence(10, 3) == 7


@given(st.integers(0, INT32_MAX), st.integers(0, 10_000))
def test_decrement_undoes_increment(seq, delta):
    assert decrement_sequence(increment_sequence(seq, delta), delta) == seq


def test_non_idempotent_batches_pass_and_record_nothing(state):
    log = MemLog()
    assert produce(state, log, plain(3)) == ("ok", 0, 2)
    assert produce(state, log, plain(3)) == ("ok", 3, 5)
    assert state.active_producers == {}
    assert state.map_end_offset == 6


def test_unknown_producer_accepts_any_sequence_then_requires_the_next(state):
    log = MemLog()
    assert produce(state, log, batch(7, 0, 42, 3)) == ("ok", 0, 2)
    entry = state.last_entry(7)
    assert (entry.producer_epoch, entry.first_seq, entry.last_seq, entry.last_data_offset) == (0, 42, 44, 2)
    assert produce(state, log, batch(7, 0, 45)) == ("ok", 3, 3)
    for bad in (44, 47, 0):
        with pytest.raises(OutOfOrderSequenceNumber) as err:
            state.analyze(batch(7, 0, bad))
        assert err.value.code == 45
    assert state.last_entry(7).last_seq == 45


def test_lower_epoch_is_invalid_producer_epoch(state):
    log = MemLog()
    produce(state, log, batch(7, 3, 0))
    with pytest.raises(InvalidProducerEpoch) as err:
        state.analyze(batch(7, 2, 1))
    assert err.value.code == 47


def test_new_epoch_must_start_at_sequence_zero_and_drops_retained_batches(state):
    log = MemLog()
    produce(state, log, batch(7, 0, 0))
    produce(state, log, batch(7, 0, 1))
    with pytest.raises(OutOfOrderSequenceNumber):
        state.analyze(batch(7, 1, 2))
    assert produce(state, log, batch(7, 1, 0)) == ("ok", 2, 2)
    entry = state.last_entry(7)
    assert entry.producer_epoch == 1 and len(entry.batches) == 1
    # A retry from the old epoch is fenced, not recognised as a duplicate.
    with pytest.raises(InvalidProducerEpoch):
        state.analyze(batch(7, 0, 1))


def test_new_epoch_of_an_epochless_entry_accepts_any_sequence(state):
    # An entry with epoch -1 (only reachable through a replicated batch) has no epoch to bump from.
    state.append_replicated(_stamped(batch(7, -1, 5), 0))
    assert produce(state, MemLog(1), batch(7, 0, 9)) == ("ok", 1, 1)


def test_sequence_wraps_after_int32_max(state):
    log = MemLog()
    assert produce(state, log, batch(7, 0, INT32_MAX - 1, 3)) == ("ok", 0, 2)
    assert state.last_entry(7).last_seq == 0  # MAX-1, MAX, 0
    assert produce(state, log, batch(7, 0, 1)) == ("ok", 3, 3)
    assert produce(state, log, batch(7, 0, INT32_MAX - 1, 3)) == ("dup", 0, 2)
    state2 = ProducerStateManager("t-0")
    produce(state2, MemLog(), batch(8, 0, INT32_MAX))
    assert produce(state2, MemLog(1), batch(8, 0, 0)) == ("ok", 1, 1)


def test_any_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets(state):
    log = MemLog()
    placed = []
    for i in range(7):
        placed.append(produce(state, log, batch(7, 0, 2 * i, 2)))
    assert len(state.last_entry(7).batches) == NUM_BATCHES_TO_RETAIN
    for i in range(2, 7):
        assert produce(state, log, batch(7, 0, 2 * i, 2)) == ("dup",) + placed[i][1:]
    assert log.next_offset == 14  # nothing appended by duplicates
    # Older than the retained five: an ordinary out-of-order sequence, as in Kafka.
    for i in (0, 1):
        with pytest.raises(OutOfOrderSequenceNumber):
            state.analyze(batch(7, 0, 2 * i, 2))
    # Same first sequence but a different range is not a duplicate.
    with pytest.raises(OutOfOrderSequenceNumber):
        state.analyze(batch(7, 0, 12, 1))


def test_duplicate_reports_the_original_timestamp_or_append_time(state):
    log = MemLog()
    produce(state, log, batch(7, 0, 0, ts=111))
    produce(state, log, batch(7, 0, 1, ts=222), log_append_time=999)
    assert state.analyze(batch(7, 0, 0, ts=5)).duplicate.timestamp == 111
    assert state.analyze(batch(7, 0, 1, ts=5)).duplicate.timestamp == 999
    assert state.last_entry(7).last_timestamp == 999


def test_a_failing_request_records_nothing(state):
    log = MemLog()
    produce(state, log, batch(7, 0, 0))
    good, bad = batch(7, 0, 1), batch(7, 0, 5)
    before = state.active_producers
    with pytest.raises(OutOfOrderSequenceNumber):
        state.analyze(good + bad)
    assert state.active_producers == before
    # An analysis whose append failed is simply dropped: the next one validates from scratch.
    state.analyze(good)
    assert produce(state, log, good) == ("ok", 1, 1)


def test_batches_of_one_request_are_checked_against_each_other(state):
    log = MemLog()
    assert produce(state, log, batch(7, 0, 0, 2) + plain(1) + batch(7, 0, 2, 3) + batch(8, 0, 9)) == ("ok", 0, 6)
    e7, e8 = state.last_entry(7), state.last_entry(8)
    placed = [(b.first_seq, b.last_seq, b.first_offset, b.last_offset) for b in e7.batches]
    assert placed == [(0, 1, 0, 1), (2, 4, 3, 5)]
    assert (e8.last_seq, e8.last_data_offset) == (9, 6)
    with pytest.raises(OutOfOrderSequenceNumber):
        state.analyze(batch(7, 0, 5) + batch(7, 0, 7))
    # An epoch bump inside one request, then the old epoch again in the same request.
    with pytest.raises(InvalidProducerEpoch):
        state.analyze(batch(7, 1, 0) + batch(7, 0, 5))


def test_one_duplicate_makes_the_whole_request_a_duplicate(state):
    # Kafka's analyzeAndValidateProducerState returns at the first duplicate: nothing is appended.
    log = MemLog()
    produce(state, log, batch(7, 0, 0))
    assert produce(state, log, batch(8, 0, 0) + batch(7, 0, 0)) == ("dup", 0, 0)
    assert state.last_entry(8) is None and log.next_offset == 1


def test_log_errors_take_precedence_over_producer_state_errors(state):
    log = MemLog()
    produce(state, log, batch(7, 0, 0))
    corrupt = bytearray(batch(7, 0, 9))
    corrupt[-1] ^= 0xFF
    with pytest.raises(CorruptMessage):
        state.analyze(bytes(corrupt))
    dup = bytearray(batch(7, 0, 0))
    dup[-1] ^= 0xFF
    with pytest.raises(CorruptMessage):  # a corrupt "duplicate" is not answered as a success
        state.analyze(bytes(dup))
    with pytest.raises(InvalidRecord):
        state.analyze(batch(7, 0, -1))
    offset_set = bytearray(batch(7, 0, 9))
    rec.patch_base_offset(offset_set, 0, 5)
    with pytest.raises(InvalidRecord):
        state.analyze(bytes(offset_set))


def test_complete_refuses_misuse(state):
    log = MemLog()
    produce(state, log, batch(7, 0, 0))
    stale = state.analyze(batch(7, 0, 1))
    produce(state, log, batch(7, 0, 1))
    with pytest.raises(AssertionError):
        state.complete(stale, 2, 2)
    dup = state.analyze(batch(7, 0, 1))
    with pytest.raises(ValueError):
        state.complete(dup, 2, 2)
    analysis = state.analyze(batch(7, 0, 2, 2))
    with pytest.raises(AssertionError):
        state.complete(analysis, 2, 2)


def test_expired_producers_are_forgotten_and_then_accept_any_sequence():
    now = [10_000]
    state = ProducerStateManager("t-0", max_producer_id_expiration_ms=5_000, clock=lambda: now[0])
    log = MemLog()
    produce(state, log, batch(7, 0, 0, ts=10_000))
    produce(state, log, batch(8, 0, 0, ts=12_000))
    now[0] = 14_999
    assert state.remove_expired_producers() == 0
    now[0] = 15_000
    assert state.remove_expired_producers() == 1
    assert state.last_entry(7) is None and state.last_entry(8) is not None
    assert produce(state, log, batch(7, 0, 77)) == ("ok", 2, 2)
    assert state.statistics().expired_producers == 1


# -- rebuild from a real log ------------------------------------------------------------------------


def _stamped(records: bytes, offset: int) -> bytes:
    buf = bytearray(records)
    rec.patch_base_offset(buf, 0, offset)
    return bytes(buf)


def _leader_appends(log: Log, state: ProducerStateManager, requests: list[bytes]) -> None:
    for records in requests:
        analysis = state.analyze(records)
        if analysis.duplicate is None:
            info = log.append_as_leader(bytearray(records), 0)
            state.complete(analysis, info.first_offset, info.last_offset, info.log_append_time)


def _requests() -> list[bytes]:
    out = []
    seqs = {7: 0, 8: 100, 9: 0}
    for i in range(40):
        pid = (7, 8, 9)[i % 3]
        count = 1 + i % 4
        epoch = 1 if (pid == 9 and i >= 20) else 0
        if pid == 9 and i == 20:  # an epoch bump restarts the sequence
            seqs[9] = 0
        out.append(batch(pid, epoch, seqs[pid], count, ts=1_000 + i))
        seqs[pid] += count
        if i % 5 == 0:
            out.append(plain(2))
    return out


def test_load_rebuilds_the_leaders_state_from_batch_headers(tmp_path):
    # Small segments, so the scan crosses many segment files.
    log = Log.open(str(tmp_path / "t-0"), LogConfig(segment_bytes=600), clock=lambda: 1_000)
    try:
        leader = ProducerStateManager("t-0", clock=lambda: 1_000)
        _leader_appends(log, leader, _requests())
        assert len(log.segments) > 3
        loaded = ProducerStateManager("t-0", clock=lambda: 1_000)
        loaded.load(log)
        assert loaded.active_producers == leader.active_producers
        assert loaded.map_end_offset == log.log_end_offset == leader.map_end_offset
        # A reopened log (broker restart) gives the same state.
        log.close()
        log = Log.open(str(tmp_path / "t-0"), LogConfig(segment_bytes=600), clock=lambda: 1_000,
                       clean_shutdown=True)
        reopened = ProducerStateManager("t-0", clock=lambda: 1_000)
        reopened.load(log)
        assert reopened.active_producers == leader.active_producers
    finally:
        log.close()


def test_truncate_and_reload_matches_the_state_of_the_remaining_prefix(tmp_path):
    log = Log.open(str(tmp_path / "t-0"), LogConfig(segment_bytes=600), clock=lambda: 1_000)
    prefix_dir = str(tmp_path / "p-0")
    try:
        requests = _requests()
        leader = ProducerStateManager("t-0", clock=lambda: 1_000)
        _leader_appends(log, leader, requests)
        target = log.log_end_offset // 2
        log.truncate_to(target)
        leader.truncate_and_reload(log)
        # The same state as a leader that only ever wrote what survived.
        expected = ProducerStateManager("p-0", clock=lambda: 1_000)
        prefix = Log.open(prefix_dir, LogConfig(segment_bytes=600), clock=lambda: 1_000)
        for records in requests:
            if prefix.log_end_offset + rec.unpack_header(records).last_offset_delta >= log.log_end_offset:
                break
            _leader_appends(prefix, expected, [records])
        assert prefix.log_end_offset == log.log_end_offset
        assert leader.active_producers == expected.active_producers
        assert leader.map_end_offset == log.log_end_offset
        prefix.close()
        # The leader carries on from the truncated state.
        e7 = leader.last_entry(7)
        _leader_appends(log, leader, [batch(7, 0, e7.last_seq + 1)])
        assert leader.last_entry(7).last_data_offset == log.log_end_offset - 1
    finally:
        log.close()


def test_truncate_and_reload_is_a_no_op_when_the_log_did_not_move(tmp_path):
    log = Log.open(str(tmp_path / "t-0"), LogConfig(), clock=lambda: 1_000)
    try:
        state = ProducerStateManager("t-0", clock=lambda: 1_000)
        _leader_appends(log, state, [batch(7, 0, 0)])
        analysis = state.analyze(batch(7, 0, 1))
        state.truncate_and_reload(log)
        info = log.append_as_leader(bytearray(batch(7, 0, 1)), 0)
        state.complete(analysis, info.first_offset, info.last_offset)  # not stale: nothing changed
        state.truncate_fully_and_start_at(50)
        assert state.active_producers == {} and state.map_end_offset == 50
    finally:
        log.close()


def test_truncate_and_reload_always_drops_snapshots_beyond_the_log_end(tmp_path):
    log = _open(tmp_path)
    try:
        state = ProducerStateManager("t-0", clock=lambda: 1_000)
        state.load(log)
        _leader_appends(log, state, [batch(7, 0, 0, 3)])
        stale = snapshot_path(log.dir, 10)  # from data a truncation removed
        write_snapshot(stale, [ProducerStateEntry(99, 0, (), 1_000)])
        state.truncate_and_reload(log)       # state and log agree: no reload, but the file goes
        assert not os.path.exists(stale) and state.last_entry(7).last_seq == 2
    finally:
        log.close()


def test_follower_state_from_replicated_batches_equals_the_leaders(state):
    log = MemLog()
    for records in _requests():
        produce(state, log, records)
    follower = ProducerStateManager("t-0")
    follower.append_replicated(bytes(log.data))
    assert follower.active_producers == state.active_producers
    assert follower.map_end_offset == state.map_end_offset


# -- producer snapshot files -----------------------------------------------------------------------


def test_snapshot_file_layout_is_kafkas_version_1(tmp_path):
    path = str(tmp_path / "00000000000000000042.snapshot")
    assert snapshot_path(str(tmp_path), 42) == path
    entries = [
        ProducerStateEntry(9, 3, (BatchMetadata(10, 40, 1, 777), BatchMetadata(12, 41, 0, 778)), 778),
        ProducerStateEntry(5, 0, (), 555),
    ]
    write_snapshot(path, entries)
    data = open(path, "rb").read()
    body = struct.pack(">i", 2)
    body += struct.pack(">qhiqiqiq", 5, 0, -1, -1, 0, 555, -1, -1)       # sorted by producer id
    body += struct.pack(">qhiqiqiq", 9, 3, 12, 41, 0, 778, -1, -1)       # only the last batch
    assert data == struct.pack(">hI", 1, crc32c.crc32c(body)) + body
    assert read_snapshot(path) == [ProducerStateEntry(5, 0, (), 555),
                                   ProducerStateEntry(9, 3, (BatchMetadata(12, 41, 0, 778),), 778)]


def _open(tmp_path, name="t-0") -> Log:
    return Log.open(str(tmp_path / name), LogConfig(segment_bytes=600), clock=lambda: 1_000)


def test_load_starts_from_the_latest_snapshot_and_scans_only_after_it(tmp_path):
    log = _open(tmp_path)
    try:
        state = ProducerStateManager("t-0", clock=lambda: 1_000)
        state.load(log)
        requests = _requests()
        _leader_appends(log, state, requests[:20])
        mid = log.log_end_offset
        # A snapshot naming a producer the log never saw proves the snapshot is read.
        stranger = ProducerStateEntry(99, 0, (BatchMetadata(0, 1, 0, 1_000),), 1_000)
        write_snapshot(snapshot_path(log.dir, mid), [*state.active_producers.values(), stranger])
        _leader_appends(log, state, requests[20:])
        loaded = ProducerStateManager("t-0", clock=lambda: 1_000)
        loaded.load(log)
        assert loaded.last_entry(99) is not None
        assert loaded.map_end_offset == log.log_end_offset
        for pid, entry in state.active_producers.items():
            got = loaded.last_entry(pid)
            # Batches after the snapshot come from the scan; before it only the last one survives.
            after = tuple(b for b in entry.batches if b.first_offset >= mid)
            expected = got.batches[-len(after):] if after else got.batches
            assert expected == (after or entry.batches[-1:])
            assert got.producer_epoch == entry.producer_epoch and got.last_seq == entry.last_seq
        # The producers can carry on: their next sequences are accepted.
        for pid, entry in state.active_producers.items():
            loaded.analyze(batch(pid, entry.producer_epoch, entry.last_seq + 1))
    finally:
        log.close()


def test_take_snapshot_before_close_then_reload_after_restart(tmp_path):
    log = _open(tmp_path)
    state = ProducerStateManager("t-0", clock=lambda: 1_000)
    state.load(log)
    _leader_appends(log, state, _requests())
    path = state.take_snapshot()
    assert path == snapshot_path(log.dir, log.log_end_offset)
    assert state.take_snapshot() is None  # one per offset
    log.close()
    log = Log.open(str(tmp_path / "t-0"), LogConfig(segment_bytes=600), clock=lambda: 1_000, clean_shutdown=True)
    try:
        loaded = ProducerStateManager("t-0", clock=lambda: 1_000)
        loaded.load(log)
        assert {pid: (e.producer_epoch, e.batches[-1:]) for pid, e in loaded.active_producers.items()} == \
            {pid: (e.producer_epoch, e.batches[-1:]) for pid, e in state.active_producers.items()}
    finally:
        log.close()


def test_corrupt_or_out_of_range_snapshots_are_deleted(tmp_path):
    log = _open(tmp_path)
    try:
        state = ProducerStateManager("t-0", clock=lambda: 1_000)
        state.load(log)
        _leader_appends(log, state, _requests())
        end = log.log_end_offset
        older = snapshot_path(log.dir, end // 2)
        write_snapshot(older, [ProducerStateEntry(99, 0, (BatchMetadata(0, 1, 0, 1_000),), 1_000)])
        newest = snapshot_path(log.dir, end)
        write_snapshot(newest, state.active_producers.values())
        with open(newest, "r+b") as f:
            f.seek(10)
            f.write(b"\xff")
        beyond = snapshot_path(log.dir, end + 10)
        write_snapshot(beyond, [])
        loaded = ProducerStateManager("t-0", clock=lambda: 1_000)
        loaded.load(log)
        assert not os.path.exists(newest) and not os.path.exists(beyond) and os.path.exists(older)
        assert loaded.last_entry(99) is not None  # fell back to the older snapshot
        # Truncation below a snapshot removes it on reload.
        log.truncate_to(end // 4)
        loaded.truncate_and_reload(log)
        assert not os.path.exists(older) and loaded.last_entry(99) is None
        write_snapshot(snapshot_path(log.dir, 1), [])
        kept = loaded.take_snapshot()
        loaded.delete_snapshots_before(log.log_end_offset)
        assert [n for n in os.listdir(log.dir) if n.endswith(".snapshot")] == [os.path.basename(kept)]
        loaded.truncate_fully_and_start_at(500)
        assert not [n for n in os.listdir(log.dir) if n.endswith(".snapshot")]
    finally:
        log.close()


# -- Hypothesis: an independent model of the rules --------------------------------------------------


@attrs.define
class ModelProducer:
    epoch: int
    batches: list[tuple[int, int, int, int]]  # (first seq, last seq, first offset, last offset)
    last_ts: int


class RulesModel:
    """The rules of wire-protocol reference §4.5, kept as unbounded history per producer."""

    def __init__(self) -> None:
        self.producers: dict[int, ModelProducer] = {}
        self.next_offset = 0

    def produce(self, pid: int, epoch: int, seq: int, count: int, ts: int):
        last_seq = (seq + count - 1) % 2**31
        p = self.producers.get(pid)
        if p is not None and p.epoch == epoch:
            for first, last, first_off, last_off in p.batches[-5:]:
                if (first, last) == (seq, last_seq):
                    return ("dup", first_off, last_off)
        if p is not None:
            if epoch < p.epoch:
                return ("error", 47)
            if epoch > p.epoch and seq != 0:
                return ("error", 45)
            if epoch == p.epoch and seq != (p.batches[-1][1] + 1) % 2**31:
                return ("error", 45)
        if p is None or epoch != p.epoch:
            p = self.producers[pid] = ModelProducer(epoch, [], ts)
        placed = (seq, last_seq, self.next_offset, self.next_offset + count - 1)
        p.batches.append(placed)
        p.last_ts = ts
        self.next_offset += count
        return ("ok",) + placed[2:]

    def expire(self, now: int, max_ms: int) -> None:
        self.producers = {pid: p for pid, p in self.producers.items() if now - p.last_ts < max_ms}


def outcome(state: ProducerStateManager, log: MemLog, records: bytes):
    try:
        return produce(state, log, records)
    except KafkaError as exc:
        return ("error", exc.code)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_state_machine_accepts_exactly_what_the_rules_accept(data):
    now = [0]
    state = ProducerStateManager("t-0", max_producer_id_expiration_ms=1_000, clock=lambda: now[0])
    log, model = MemLog(), RulesModel()
    # After an expiry, a rebuild from the log legitimately differs (the replay knows batches of
    # the forgotten incarnation), in Kafka too: compare rebuilds only until something expired.
    expired_any = False
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        action = data.draw(st.sampled_from(["produce"] * 8 + ["tick", "expire", "reload"]), label="action")
        if action == "tick":
            now[0] += 400
            continue
        if action == "expire":
            expired_any |= state.remove_expired_producers() > 0
            model.expire(now[0], 1_000)
            continue
        if action == "reload":
            if not expired_any:
                # A new leader rebuilding from the replicated log agrees with the old one.
                fresh = ProducerStateManager("t-0", max_producer_id_expiration_ms=1_000, clock=lambda: now[0])
                fresh.append_replicated(bytes(log.data))
                assert fresh.active_producers == state.active_producers
                assert fresh.map_end_offset == state.map_end_offset
                state = fresh
            continue
        pid = data.draw(st.sampled_from([1, 2]), label="pid")
        known = model.producers.get(pid)
        epoch = data.draw(st.integers(0, 2), label="epoch")
        count = data.draw(st.integers(1, 3), label="count")
        candidates = [st.integers(0, 6), st.sampled_from([INT32_MAX - 1, INT32_MAX])]
        if known is not None:
            nxt = (known.batches[-1][1] + 1) % 2**31
            candidates += [st.just(nxt), st.just(nxt), st.sampled_from([b[0] for b in known.batches])]
        seq = data.draw(st.one_of(candidates), label="seq")
        if known is not None and data.draw(st.booleans(), label="exact retry"):
            first, last, _, _ = data.draw(st.sampled_from(known.batches), label="retried")
            seq, count, epoch = first, (last - first) % 2**31 + 1, known.epoch
        expected = model.produce(pid, epoch, seq, count, now[0])
        event(f"outcome {expected[0]} {expected[1] if expected[0] == 'error' else ''}")
        assert outcome(state, log, batch(pid, epoch, seq, count, ts=now[0])) == expected
        assert log.next_offset == model.next_offset


# -- Hypothesis: a retrying idempotent producer gets exactly-once, in-order delivery ----------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_retrying_producer_gets_each_record_once_and_in_order(data):
    """A KIP-98 producer with at most 5 unacknowledged batches, over connections that break at any
    moment: requests sent but not processed and responses not yet received are lost, and the
    producer re-sends every unacknowledged batch in order on a new connection. The log ends with
    every record exactly once, in sequence order, and no batch is ever rejected -- the guarantee
    ``max.in.flight.requests.per.connection <= 5`` with idempotence relies on."""
    state = ProducerStateManager("t-0")
    log = MemLog()
    pid, epoch = 4, 0
    next_seq = sent = 0
    total = data.draw(st.integers(1, 25), label="batches")
    unacked: list[tuple[int, int]] = []     # (first seq, count), oldest first
    requests: list[tuple[int, int]] = []    # on the wire to the broker, in order
    responses: list[tuple[tuple[int, int], tuple]] = []  # on the wire back, in order

    def step(kind: str) -> None:
        nonlocal next_seq, sent, requests, responses
        if kind == "send":
            count = data.draw(st.integers(1, 3), label="count")
            unacked.append((next_seq, count))
            requests.append((next_seq, count))
            next_seq += count
            sent += 1
        elif kind == "process":
            first, count = requests.pop(0)
            result = produce(state, log, batch(pid, epoch, first, count))
            event(f"retry answered as a duplicate: {result[0] == 'dup'}")
            responses.append(((first, count), result))
        elif kind == "respond":
            acked, result = responses.pop(0)
            assert unacked[0] == acked  # responses come back in order
            assert result[2] - result[1] + 1 == acked[1]
            unacked.pop(0)
        else:  # the connection breaks; everything unacknowledged is sent again, in order
            requests, responses = list(unacked), []

    disconnects = 0
    for _ in range(data.draw(st.integers(0, 150), label="steps")):
        kinds = []
        if sent < total and len(unacked) < NUM_BATCHES_TO_RETAIN:
            kinds.append("send")
        if requests:
            kinds.append("process")
        if responses:
            kinds.append("respond")
        if disconnects < 6 and (requests or responses):
            kinds.append("disconnect")
        if not kinds:
            break
        kind = data.draw(st.sampled_from(kinds), label="step")
        disconnects += kind == "disconnect"
        step(kind)
    while sent < total or unacked:  # a healthy connection finishes the job
        if responses:
            step("respond")
        elif requests:
            step("process")
        elif unacked:
            step("disconnect")
        else:
            step("send")
    sequences = []
    for _pos, header in rec.iter_batches(bytes(log.data)):
        sequences.extend(range(header.base_sequence, header.base_sequence + header.records_count))
    assert sequences == list(range(next_seq))
