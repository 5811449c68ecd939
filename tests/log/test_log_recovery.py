"""Recovery after an unclean shutdown: torn or corrupt tails, lost indexes, a real SIGKILL."""

import os
import signal
import subprocess
import sys
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from log_helpers import T0, ManualClock, batch, read_all

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.log.log_manager import LogManager
from kafka_clone.protocol import records as R

CONFIG = LogConfig(segment_bytes=2000, index_interval_bytes=150)


def write_log(path, n_batches, config=CONFIG):
    log = Log.open(path, config, clock=ManualClock())
    ends = []
    for i in range(n_batches):
        log.append_as_leader(batch(1 + i % 3, ts=T0 + i, value_size=40), 1)
        ends.append((log.active_segment.base_offset, log.active_segment.size, log.log_end_offset))
    log.close()  # no flush, no checkpoint: whatever is on disk is what a crash leaves
    return ends


def reopen(path, config=CONFIG):
    return Log.open(path, config, clock=ManualClock(), recovery_point=0, clean_shutdown=False)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_cut_at_any_byte_keeps_exactly_the_complete_batches(tmp_path_factory, data):
    path = str(tmp_path_factory.mktemp("cut") / "t-0")
    ends = write_log(path, 30)
    active_base = ends[-1][0]
    active_ends = [(size, leo) for base, size, leo in ends if base == active_base]
    log_file = os.path.join(path, f"{active_base:020d}.log")
    cut = data.draw(st.integers(0, os.path.getsize(log_file)))
    os.truncate(log_file, cut)
    expected_leo = max([leo for size, leo in active_ends if size <= cut], default=active_base)
    log = reopen(path)
    try:
        assert log.log_end_offset == expected_leo
        assert [r.offset for r in read_all(log)] == list(range(expected_leo))
        assert log.append_as_leader(batch(1), 1).first_offset == expected_leo
    finally:
        log.close()


def test_garbage_after_the_last_batch_is_truncated(tmp_path):
    path = str(tmp_path / "t-0")
    ends = write_log(path, 5)
    log_file = os.path.join(path, "00000000000000000000.log")
    with open(log_file, "ab") as f:
        f.write(os.urandom(100))
    log = reopen(path)
    try:
        assert log.log_end_offset == ends[-1][2] and log.size == ends[-1][1]
    finally:
        log.close()


def test_a_corrupt_batch_truncates_there_and_drops_later_segments(tmp_path):
    path = str(tmp_path / "t-0")
    ends = write_log(path, 60)
    bases = sorted({base for base, _, _ in ends})
    assert len(bases) >= 3
    first = os.path.join(path, f"{bases[0]:020d}.log")
    sizes = [size for base, size, _ in ends if base == bases[0]]
    with open(first, "r+b") as f:  # flip a byte inside the third batch
        f.seek(sizes[1] + 70)
        byte = f.read(1)
        f.seek(sizes[1] + 70)
        f.write(bytes([byte[0] ^ 0xFF]))
    log = reopen(path)
    try:
        assert len(log.segments) == 1 and log.size == sizes[1]
        assert log.log_end_offset == [leo for base, _, leo in ends if base == bases[0]][1]
        assert not os.path.exists(os.path.join(path, f"{bases[1]:020d}.log"))
    finally:
        log.close()


def test_recovery_point_limits_what_is_rescanned(tmp_path):
    path = str(tmp_path / "t-0")
    ends = write_log(path, 60)
    bases = sorted({base for base, _, _ in ends})
    # Corrupt the first segment, but say it was flushed: Kafka does not re-read it.
    with open(os.path.join(path, f"{bases[0]:020d}.log"), "r+b") as f:
        f.seek(100)
        f.write(b"\xff")
    log = Log.open(path, CONFIG, clock=ManualClock(), recovery_point=bases[-1], clean_shutdown=False)
    try:
        assert log.log_end_offset == ends[-1][2]
    finally:
        log.close()


def test_lost_and_corrupt_indexes_are_rebuilt(tmp_path):
    path = str(tmp_path / "t-0")
    write_log(path, 60)
    log = Log.open(path, CONFIG, clock=ManualClock(), clean_shutdown=True)
    expected = read_all(log)
    entries = [s.offset_index.entries for s in log.segments]
    lookup = log.fetch_offset_by_timestamp(T0 + 33)
    log.close()
    bases = [int(n[:20]) for n in sorted(os.listdir(path)) if n.endswith(".log")]
    os.unlink(os.path.join(path, f"{bases[0]:020d}.index"))
    os.unlink(os.path.join(path, f"{bases[1]:020d}.timeindex"))
    with open(os.path.join(path, f"{bases[2]:020d}.index"), "wb") as f:
        f.write(b"\x7f\xff\xff\xff\x7f\xff\xff\xff")  # an entry pointing past the log
    log = Log.open(path, CONFIG, clock=ManualClock(), clean_shutdown=True)
    try:
        assert read_all(log) == expected
        assert [s.offset_index.entries for s in log.segments] == entries
        assert log.fetch_offset_by_timestamp(T0 + 33) == lookup
    finally:
        log.close()


def test_lost_epoch_checkpoint_is_relearned_from_recovered_batches(tmp_path):
    path = str(tmp_path / "t-0")
    log = Log.open(path, CONFIG, clock=ManualClock())
    for epoch in (1, 1, 4, 4, 7):
        log.append_as_leader(batch(2), epoch)
    log.close()
    os.unlink(os.path.join(path, "leader-epoch-checkpoint"))
    log = reopen(path)
    try:
        assert [(e.epoch, e.start_offset) for e in log.leader_epoch_cache.entries] == [(1, 0), (4, 4), (7, 8)]
    finally:
        log.close()


def test_leftover_cleaner_and_deleted_files_are_discarded(tmp_path):
    path = str(tmp_path / "t-0")
    write_log(path, 5)
    for name in ("00000000000000000000.log.cleaned", "00000000000000000050.log.deleted"):
        with open(os.path.join(path, name), "wb") as f:
            f.write(b"junk")
    log = Log.open(path, CONFIG, clock=ManualClock(), clean_shutdown=True)
    try:
        assert not any(n.endswith((".cleaned", ".deleted")) for n in os.listdir(path))
        assert log.log_end_offset > 0
    finally:
        log.close()


CHILD = textwrap.dedent("""
    import sys
    from kafka_clone.log.log_manager import LogManager
    from kafka_clone.log.log_config import LogConfig
    from kafka_clone.protocol import records as R

    manager = LogManager.open([sys.argv[1]], LogConfig(segment_bytes=256 * 1024, index_interval_bytes=4096))
    log = manager.get_or_create_log("crash", 0)
    manager.checkpoint_recovery_points()
    i = 0
    while True:
        records = [R.Record(j, 1700000000000 + i, b"%d" % (i * 10 + j), b"v" * (50 + (i % 7) * 300)) for j in range(10)]
        info = log.append_as_leader(bytearray(R.build_batch(records)), 0)
        i += 1
        if i % 50 == 0:
            sys.stdout.write("%d\\n" % info.last_offset)
            sys.stdout.flush()
""")


def test_sigkill_mid_append_recovers_exactly_the_complete_batches(tmp_path):
    log_dir = str(tmp_path / "data")
    child = subprocess.Popen([sys.executable, "-c", CHILD, log_dir], stdout=subprocess.PIPE, text=True)
    try:
        acked = -1
        for _ in range(40):  # wait for ~2000 batches to be appended, then kill mid-stream
            line = child.stdout.readline()
            assert line, "the appending child exited early"
            acked = int(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    manager = LogManager.open([log_dir], LogConfig(segment_bytes=256 * 1024, index_interval_bytes=4096))
    try:
        assert not manager.had_clean_shutdown[os.path.abspath(log_dir)]
        log = manager.get_log("crash", 0)
        assert len(log.segments) > 1
        assert log.log_end_offset > acked  # a killed process loses nothing the kernel has
        assert log.log_end_offset % 10 == 0  # whole batches only
        records = read_all(log)
        assert [r.offset for r in records] == list(range(log.log_end_offset))
        assert all(r.key == b"%d" % r.offset for r in records)
        for segment in log.segments:
            data = os.pread(segment.fd, segment.size, 0)
            assert sum(h.size for _, h in R.iter_batches(data)) == segment.size  # every CRC checks
    finally:
        manager.shutdown()


def test_rebuilding_indexes_leaks_no_file_descriptors(tmp_path):
    path = str(tmp_path / "t-0")
    write_log(path, 60)
    for name in os.listdir(path):
        if name.endswith(".index"):
            os.unlink(os.path.join(path, name))
    before = len(os.listdir("/proc/self/fd"))
    log = Log.open(path, CONFIG, clock=ManualClock(), clean_shutdown=True)
    log.close()
    assert len(os.listdir("/proc/self/fd")) == before
