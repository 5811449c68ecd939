"""Retention (delete policy) and compaction, driven by an injected clock."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from log_helpers import T0, batch, read_all

from kafka_clone.log.cleaner import clean_log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import errors

DAY = 24 * 3600 * 1000


def fill(log, n, *, ts_step=0, value_size=100, epoch=0):
    for i in range(n):
        log.append_as_leader(batch(1, ts=T0 + i * ts_step, value_size=value_size), epoch)


def segment_size(value_size=100):
    return len(batch(1, value_size=value_size))


def test_retention_ms_deletes_whole_old_segments_but_never_the_active_one(open_log, clock):
    log = open_log(LogConfig(segment_bytes=segment_size() * 5, retention_ms=DAY))
    fill(log, 12, ts_step=1000)
    assert [s.base_offset for s in log.segments] == [0, 5, 10]
    clock.now = T0 + DAY + 4500  # segment 0's newest record (T0+4000) is now older than a day
    assert log.delete_old_segments() == 1
    assert [s.base_offset for s in log.segments] == [5, 10] and log.log_start_offset == 5
    with pytest.raises(errors.OffsetOutOfRange):
        log.read(0, 100)
    clock.now = T0 + 10 * DAY  # everything expired: roll first, keep an empty active segment
    assert log.delete_old_segments() == 2
    assert [s.base_offset for s in log.segments] == [12]
    assert (log.log_start_offset, log.log_end_offset, log.size) == (12, 12, 0)
    assert log.append_as_leader(batch(1, ts=clock.now), 0).first_offset == 12


def test_deleted_segments_are_renamed_then_removed_after_the_delay(open_log, clock):
    log = open_log(LogConfig(segment_bytes=segment_size() * 5, retention_ms=DAY, file_delete_delay_ms=60_000))
    fill(log, 12)
    clock.now = T0 + 2 * DAY
    info = log.read(0, 1 << 20)  # an in-flight fetch of a segment about to be deleted
    log.delete_old_segments(high_watermark=10)
    assert "00000000000000000000.log.deleted" in os.listdir(log.dir)
    assert len(info.records.read_bytes()) == info.records.length  # the fd is still good
    clock.advance(60_000)
    log.delete_pending_segments()
    assert not any(n.endswith(".deleted") for n in os.listdir(log.dir))


def test_retention_is_bounded_by_the_high_watermark(open_log, clock):
    log = open_log(LogConfig(segment_bytes=segment_size() * 5, retention_ms=DAY))
    fill(log, 12)
    clock.now = T0 + 2 * DAY
    assert log.delete_old_segments(high_watermark=7) == 1  # segment [5, 10) is not all below the HW
    assert log.segments[0].base_offset == 5


def test_retention_bytes(open_log):
    size = segment_size()
    log = open_log(LogConfig(segment_bytes=size * 5, retention_bytes=size * 6, retention_ms=-1))
    fill(log, 17)
    assert [s.base_offset for s in log.segments] == [0, 5, 10, 15]
    assert log.delete_old_segments() == 2  # 17 batches; dropping 10 leaves 7 > 6 but 15 would leave 2
    assert [s.base_offset for s in log.segments] == [10, 15]


def test_log_start_offset_beyond_a_segment_deletes_it_even_under_compact(open_log):
    log = open_log(LogConfig(segment_bytes=segment_size() * 5, cleanup_policy=("compact",)))
    fill(log, 12)
    log.maybe_increment_log_start_offset(6)
    assert log.delete_old_segments() == 1
    assert log.segments[0].base_offset == 5 and log.log_start_offset == 6
    with pytest.raises(errors.OffsetOutOfRange):
        log.maybe_increment_log_start_offset(11, high_watermark=10)


def compact_config(**kw):
    return LogConfig(cleanup_policy=("compact",), segment_bytes=400, delete_retention_ms=DAY, **kw)


def append_kv(log, key, value, ts):
    log.append_as_leader(batch(1, ts=ts, keys=[key], values=[value]), 0)


def test_compaction_keeps_the_latest_value_per_key_with_offsets_preserved(open_log, clock):
    log = open_log(compact_config())
    history = []
    for i in range(40):
        key = b"k%d" % (i % 4)
        append_kv(log, key, b"v%d" % i, T0 + i)
        history.append((i, key))
    active_base = log.active_segment.base_offset
    new_dirty = clean_log(log, first_dirty_offset=0, now_ms=clock.now)
    assert new_dirty == active_base
    survivors = [(r.offset, r.key, r.value) for r in read_all(log)]
    below = [(o, k) for o, k in history if o < active_base]
    latest_below = {k: o for o, k in below}
    expected = sorted([(o, k, b"v%d" % o) for k, o in latest_below.items()]
                      + [(o, k, b"v%d" % o) for o, k in history if o >= active_base])
    assert survivors == expected
    assert log.log_end_offset == 40 and log.segments[-1].base_offset == active_base


def test_tombstones_survive_delete_retention_then_vanish(open_log, clock):
    log = open_log(compact_config())
    append_kv(log, b"a", b"1", T0)
    append_kv(log, b"b", b"1", T0)
    append_kv(log, b"a", None, T0)  # tombstone for a
    log.roll()
    append_kv(log, b"c", b"1", T0)
    clean_log(log, first_dirty_offset=0, now_ms=T0 + 1000, force=True)
    assert [(r.key, r.value) for r in read_all(log)] == [(b"b", b"1"), (b"a", None), (b"c", b"1")]
    clean_log(log, first_dirty_offset=0, now_ms=T0 + 2 * DAY, force=True)
    assert [(r.key, r.value) for r in read_all(log)] == [(b"b", b"1"), (b"c", b"1")]


def test_compaction_survives_a_restart_and_a_crashed_swap(open_log, clock, tmp_path):
    from kafka_clone.log.log import Log

    log = open_log(compact_config(), name="c-0")
    for i in range(30):
        append_kv(log, b"k%d" % (i % 3), b"v%d" % i, T0 + i)
    clean_log(log, first_dirty_offset=0, now_ms=clock.now, force=True)
    expected = read_all(log)
    log.close()
    # Simulate a crash during a later swap: an unfinished output and a finished .swap.
    log_file = os.path.join(log.dir, "00000000000000000000.log")
    with open(log_file, "rb") as f:
        content = f.read()
    with open(log_file + ".swap", "wb") as f:
        f.write(content)
    with open(os.path.join(log.dir, "00000000000000000000.index.cleaned"), "wb") as f:
        f.write(b"junk")
    again = Log.open(log.dir, compact_config(), clock=clock, clean_shutdown=True)
    try:
        assert read_all(again) == expected
        assert not any(n.endswith((".swap", ".cleaned")) for n in os.listdir(log.dir))
    finally:
        again.close()


def test_dirty_ratio_gates_cleaning(open_log, clock):
    log = open_log(compact_config(min_cleanable_dirty_ratio=0.99))
    for i in range(20):
        append_kv(log, b"k", b"v%d" % i, T0)
    log.roll()
    first = clean_log(log, first_dirty_offset=0, now_ms=clock.now)
    assert first == 20  # everything was dirty: cleaned
    for i in range(5):
        append_kv(log, b"j%d" % i, b"x", T0)
    log.roll()
    assert clean_log(log, first_dirty_offset=first, now_ms=clock.now) == first  # ratio < 0.99


def latest_view(records):
    """What a consumer reading from the start ends up with: key -> latest value, tombstones delete."""
    view = {}
    for r in records:
        if r.value is None:
            view.pop(r.key, None)
        else:
            view[r.key] = r.value
    return view


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from([b"a", b"b", b"c", b"d"]), st.one_of(st.none(), st.binary(max_size=8)),
                              st.booleans()), min_size=1, max_size=40),
       passes=st.lists(st.integers(0, 3 * DAY), min_size=1, max_size=3))
def test_compaction_never_changes_what_a_consumer_sees(tmp_path_factory, ops, passes):
    from log_helpers import ManualClock

    from kafka_clone.log.log import Log

    clock = ManualClock()
    log = Log.open(str(tmp_path_factory.mktemp("compact") / "c-0"), compact_config(), clock=clock)
    try:
        model = []
        for i, (key, value, roll) in enumerate(ops):
            append_kv(log, key, value, T0 + i)
            model.append((log.log_end_offset - 1, key, value))
            if roll:
                log.roll()
        first_dirty = 0
        for advance in passes:
            clock.advance(advance)
            first_dirty = clean_log(log, first_dirty_offset=first_dirty, now_ms=clock.now, force=True)
            survivors = read_all(log)
            assert latest_view(survivors) == latest_view(read_all_model(model))
            assert {(r.offset, r.key, r.value) for r in survivors} <= set(model)
            assert log.log_end_offset == len(ops)
    finally:
        log.close()


def read_all_model(model):
    from kafka_clone.protocol.records import Record

    return [Record(o, 0, k, v) for o, k, v in model]
