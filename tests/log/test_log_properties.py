"""Hypothesis state machine (derandomized, so every run tries the same cases; raise max_examples
locally to hunt): a Log against a list-of-records model, through appends, reads,
truncation, rolls, log-start moves, retention, clean and unclean reopens and timestamp lookups."""

import os
import shutil
import tempfile

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from log_helpers import T0, ManualClock, read_all

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import errors
from kafka_clone.protocol import records as R
from kafka_clone.protocol.compression import CompressionType


class LogMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="logprop")
        self.clock = ManualClock()
        self.config = LogConfig(segment_bytes=1000, index_interval_bytes=120, segment_index_bytes=96,
                                retention_ms=-1)
        self.log = Log.open(os.path.join(self.tmp, "p-0"), self.config, clock=self.clock)
        # A follower replicating the log with append_as_follower, as a replica fetcher would.
        self.follower = Log.open(os.path.join(self.tmp, "f-0"), self.config, clock=self.clock)
        self.model: list[R.Record] = []
        self.epoch = 0

    def teardown(self):
        self.log.close()
        self.follower.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(n=st.integers(1, 4), size=st.integers(0, 120), ts=st.lists(st.integers(0, 500), min_size=4, max_size=4),
          codec=st.sampled_from([CompressionType.NONE, CompressionType.ZSTD]), bump=st.booleans())
    def append(self, n, size, ts, codec, bump):
        if bump:
            self.epoch += 1
        records = [R.Record(i, T0 + ts[i], b"%d" % i, os.urandom(size)) for i in range(n)]
        leo = self.log.log_end_offset
        info = self.log.append_as_leader(bytearray(R.build_batch(records, compression=codec)), self.epoch)
        assert (info.first_offset, info.last_offset) == (leo, leo + n - 1)
        self.model.extend(attrs.evolve(r, offset=leo + r.offset) for r in records)

    @rule(data=st.data())
    def read(self, data):
        leo, lso = self.log.log_end_offset, self.log.log_start_offset
        start = data.draw(st.integers(lso, leo))
        max_bytes = data.draw(st.integers(1, 2000))
        info = self.log.read(start, max_bytes)
        if info.records is None:
            assert not [r for r in self.model if r.offset >= start]
            return
        raw = info.records.read_bytes()
        batches = list(R.iter_batches(raw))
        assert batches[0][1].base_offset <= start <= batches[0][1].last_offset or batches[0][1].base_offset >= start
        assert len(raw) <= max_bytes or len(batches) == 1
        got = [r for r in R.records_of(raw) if r.offset >= start]
        expected = [r for r in self.model if r.offset >= start][: len(got)]
        assert got == expected

    @rule(data=st.data())
    def truncate(self, data):
        target = data.draw(st.integers(self.log.log_start_offset, self.log.log_end_offset))
        self.log.truncate_to(target)
        self.epoch += 1  # only a leader change truncates a leader in Kafka, and it bumps the epoch
        # Whole batches go: the model keeps exactly the records below the new log end.
        assert self.log.log_end_offset <= target
        self.model = [r for r in self.model if r.offset < self.log.log_end_offset]

    @rule(max_bytes=st.integers(1, 3000))
    def replicate(self, max_bytes):
        leader, follower = self.log, self.follower
        # KIP-101: ask the leader where the follower's latest epoch ends and truncate there, so
        # records the leader truncated away (and overwrote under a newer epoch) disappear.
        epoch, end = leader.end_offset_for_epoch(follower.latest_epoch())
        if end >= 0:
            follower.truncate_to(min(end, follower.log_end_offset))
        if follower.log_end_offset > leader.log_end_offset:
            # What Kafka's fetcher does on OFFSET_OUT_OF_RANGE above the leader's end.
            follower.truncate_to(leader.log_end_offset)
        if follower.log_end_offset < leader.log_start_offset or (end < 0 and follower.latest_epoch() >= 0):
            follower.truncate_fully_and_start_at(leader.log_start_offset)
        info = leader.read(follower.log_end_offset, max_bytes)
        if info.records is not None:
            data = info.records.read_bytes()
            first = R.read_header(data)
            if first.base_offset < follower.log_end_offset:
                return  # a batch straddles the follower's end: wait for the leader to move on
            follower.append_as_follower(data)
        # After reconciling, the follower holds exactly a prefix of the leader's records.
        assert follower.log_end_offset <= leader.log_end_offset
        start, end = max(follower.log_start_offset, leader.log_start_offset), follower.log_end_offset
        if start < end:
            assert read_all(follower, start) == [r for r in self.model if start <= r.offset < end]

    @rule()
    def roll(self):
        self.log.roll()

    @precondition(lambda self: self.log.log_end_offset > self.log.log_start_offset)
    @rule(data=st.data())
    def advance_log_start(self, data):
        new = data.draw(st.integers(self.log.log_start_offset, self.log.log_end_offset))
        self.log.maybe_increment_log_start_offset(new)
        self.log.delete_old_segments()
        self.model = [r for r in self.model if r.offset >= self.log.log_start_offset]

    @rule(clean=st.booleans(), data=st.data())
    def reopen(self, clean, data):
        lso, rp = self.log.log_start_offset, self.log.recovery_point
        if not clean:
            rp = data.draw(st.integers(0, rp))
        self.log.close()
        self.log = Log.open(self.log.dir, self.config, clock=self.clock, log_start_offset=lso,
                            recovery_point=rp, clean_shutdown=clean)

    @rule(delta=st.integers(-10, 520))
    def lookup_by_timestamp(self, delta):
        found = self.log.fetch_offset_by_timestamp(T0 + delta)
        expected = next((r for r in self.model if r.timestamp >= T0 + delta), None)
        if expected is None:
            assert found is None
        else:
            assert (found.timestamp, found.offset) == (expected.timestamp, expected.offset)

    @invariant()
    def offsets_and_indexes_are_consistent(self):
        log = self.log
        assert log.log_start_offset <= log.log_end_offset
        assert (self.model[-1].offset + 1 if self.model else log.log_end_offset) == log.log_end_offset
        bases = [s.base_offset for s in log.segments]
        assert bases == sorted(bases) and len(set(bases)) == len(bases)
        for segment in log.segments:
            index = segment.offset_index
            for i in range(index.entries):
                rel, pos = index.entry(i)
                assert 0 < pos < segment.size
                assert index.lookup(segment.base_offset + rel).offset <= segment.base_offset + rel

    @invariant()
    def reading_everything_gives_the_model(self):
        if self.model:
            assert read_all(self.log) == self.model


LogMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None, derandomize=True)
TestLog = LogMachine.TestCase


def test_offset_out_of_range_outside_the_log(tmp_path):
    log = Log.open(str(tmp_path / "p-0"), LogConfig(), clock=ManualClock())
    try:
        for offset in (-1, 1):
            try:
                log.read(offset, 10)
            except errors.OffsetOutOfRange as exc:
                assert exc.code == 1
            else:
                raise AssertionError("expected OffsetOutOfRange")
    finally:
        log.close()
