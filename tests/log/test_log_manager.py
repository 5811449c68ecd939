"""LogManager: directories, checkpoints, clean-shutdown marker, deletion, the background task."""

import functools
import os

import pytest
import trio
from log_helpers import T0, batch, read_all

from kafka_clone.log import checkpoints
from kafka_clone.log.log_config import LogConfig
from kafka_clone.log.log_manager import CLEAN_SHUTDOWN_FILE, LogManager, run_in_this_thread
from kafka_clone.protocol import errors

DAY = 24 * 3600 * 1000


@pytest.fixture
def dirs(tmp_path):
    return [str(tmp_path / "d1"), str(tmp_path / "d2")]


def test_logs_spread_over_dirs_and_survive_a_clean_restart(dirs, clock):
    manager = LogManager.open(dirs, LogConfig(), clock=clock)
    logs = [manager.get_or_create_log("t", p) for p in range(4)]
    assert sorted(os.path.dirname(log.dir) for log in logs) == sorted(dirs * 2)
    for i, log in enumerate(logs):
        for _ in range(i + 1):
            log.append_as_leader(batch(2), 0)
    logs[1].maybe_increment_log_start_offset(2)
    manager.write_high_watermarks({("t", 0): 2, ("t", 3): 5})
    manager.shutdown()
    for d in dirs:
        assert os.path.exists(os.path.join(d, CLEAN_SHUTDOWN_FILE))
    with open(os.path.join(logs[1].dir, "..", checkpoints.RECOVERY_POINT_CHECKPOINT)) as f:
        lines = f.read().splitlines()
    assert lines[0] == "0" and int(lines[1]) == len(lines) - 2 == 2

    again = LogManager.open(dirs, LogConfig(), clock=clock)
    assert all(again.had_clean_shutdown.values())
    assert not any(os.path.exists(os.path.join(d, CLEAN_SHUTDOWN_FILE)) for d in dirs)
    assert [again.get_log("t", p).log_end_offset for p in range(4)] == [2, 4, 6, 8]
    assert again.get_log("t", 1).log_start_offset == 2
    assert again.read_high_watermarks() == {("t", 0): 2, ("t", 3): 5}
    again.shutdown()


def test_a_log_dir_is_locked_by_one_manager(dirs, clock):
    manager = LogManager.open(dirs, LogConfig(), clock=clock)
    with pytest.raises(errors.KafkaStorageError):
        LogManager.open(dirs[1:], LogConfig(), clock=clock)
    manager.shutdown()
    LogManager.open(dirs, LogConfig(), clock=clock).shutdown()


def test_checkpoint_file_format(tmp_path):
    path = str(tmp_path / "cp")
    checkpoints.write_offsets(path, {("b", 1): 7, ("a", 0): 3})
    with open(path) as f:
        assert f.read() == "0\n2\na 0 3\nb 1 7\n"
    assert checkpoints.read_offsets(path) == {("a", 0): 3, ("b", 1): 7}
    assert not os.path.exists(path + ".tmp")
    with open(path, "w") as f:
        f.write("0\n3\na 0 3\n")
    with pytest.raises(errors.KafkaStorageError):
        checkpoints.read_offsets(path)


def test_unclean_restart_recovers_from_the_checkpointed_recovery_point(dirs, clock):
    manager = LogManager.open(dirs[:1], LogConfig(), clock=clock)
    log = manager.get_or_create_log("t", 0)
    log.append_as_leader(batch(3), 0)
    log.flush()
    manager.checkpoint_recovery_points()
    log.append_as_leader(batch(3), 0)
    segment_file = os.path.join(log.dir, "00000000000000000000.log")
    manager.close()  # crash: no marker, and a torn last batch
    os.truncate(segment_file, os.path.getsize(segment_file) - 5)
    again = LogManager.open(dirs[:1], LogConfig(), clock=clock)
    assert not any(again.had_clean_shutdown.values())
    assert again.get_log("t", 0).log_end_offset == 3
    again.shutdown()


def test_delete_log_renames_then_removes(dirs, clock):
    manager = LogManager.open(dirs, LogConfig(file_delete_delay_ms=1000), clock=clock)
    log = manager.get_or_create_log("gone", 0)
    log.append_as_leader(batch(1), 0)
    parent = os.path.dirname(log.dir)
    in_flight = log.read(0, 100).records
    manager.delete_log("gone", 0)
    assert len(in_flight.read_bytes()) == in_flight.length  # still readable until removal
    assert manager.get_log("gone", 0) is None
    (renamed,) = [n for n in os.listdir(parent) if n.startswith("gone-0.")]
    assert renamed.endswith("-delete") and len(renamed) == len("gone-0.") + 32 + len("-delete")
    clock.advance(1000)
    manager.cleanup_logs()
    assert not any(n.startswith("gone-0") for n in os.listdir(parent))
    manager.shutdown()


def test_per_topic_config_and_config_update(dirs, clock):
    manager = LogManager.open(dirs, LogConfig(), clock=clock,
                              topic_configs={"small": LogConfig(max_message_bytes=100)})
    small = manager.get_or_create_log("small", 0)
    with pytest.raises(errors.MessageTooLarge):
        small.append_as_leader(batch(1, value_size=200), 0)
    manager.update_topic_config("small", LogConfig())
    small.append_as_leader(batch(1, value_size=200), 0)
    manager.shutdown()


def test_log_config_from_properties():
    config = LogConfig.from_properties({"segment.bytes": "1000", "cleanup.policy": "compact,delete",
                                        "message.timestamp.type": "LogAppendTime"})
    assert config.segment_bytes == 1000 and config.compact and config.delete and config.log_append_time
    assert LogConfig().retention_ms == 7 * DAY and LogConfig().max_message_bytes == 1048588
    broker = LogConfig.from_broker_properties({"log.retention.hours": "1", "log.retention.minutes": "2",
                                               "log.segment.bytes": "4096"})
    assert broker.retention_ms == 120_000 and broker.segment_bytes == 4096
    for bad in ({"segment.bytes": "abc"}, {"segment.bytes": "1"}, {"cleanup.policy": "zap"},
                {"min.cleanable.dirty.ratio": "2"}, {"no.such.config": "1"}):
        with pytest.raises(errors.InvalidConfig) as info:
            LogConfig.from_properties(bad)
        assert "\n" not in str(info.value)


async def test_background_task_applies_retention_and_compaction(dirs, clock, autojump_clock):
    manager = LogManager.open(dirs[:1], LogConfig(), clock=clock, topic_configs={
        "r": LogConfig(retention_ms=DAY, segment_bytes=300),
        "c": LogConfig(cleanup_policy=("compact",), segment_bytes=300)})
    expiring, compacted = manager.get_or_create_log("r", 0), manager.get_or_create_log("c", 0)
    for i in range(10):
        expiring.append_as_leader(batch(1, ts=T0, value_size=100), 0)
        compacted.append_as_leader(batch(1, ts=T0, keys=[b"same"], values=[b"%d" % i]), 0)
    async with trio.open_nursery() as nursery:
        # The virtual clock would jump while a worker thread compacts: compact in this thread.
        await nursery.start(functools.partial(manager.run, cleaner_thread=run_in_this_thread))
        clock.advance(2 * DAY)
        await trio.sleep(301)  # one retention period (300 s), in autojump time
        assert expiring.log_start_offset == 10 and len(expiring.segments) == 1
        assert len(read_all(compacted)) < 10
        nursery.cancel_scope.cancel()
    manager.shutdown()


def test_flush_messages_and_flush_ms(dirs, clock):
    manager = LogManager.open(dirs[:1], LogConfig(), clock=clock, topic_configs={
        "count": LogConfig(flush_messages=3), "timed": LogConfig(flush_ms=1000)})
    by_count, timed, lazy = (manager.get_or_create_log(t, 0) for t in ("count", "timed", "lazy"))
    for log in (by_count, timed, lazy):
        log.append_as_leader(batch(2), 0)
    assert [log.recovery_point for log in (by_count, timed, lazy)] == [0, 0, 0]
    by_count.append_as_leader(batch(1), 0)
    assert by_count.recovery_point == 3  # flush.messages reached: fsynced
    clock.advance(1000)
    manager.flush_dirty_logs()
    assert (timed.recovery_point, lazy.recovery_point) == (2, 0)  # default: left to the OS
    lazy.roll()
    manager.flush_dirty_logs()
    assert lazy.recovery_point == 2  # but a rolled segment is flushed (Kafka's flush on roll)
    manager.shutdown()


def test_a_failed_open_releases_every_lock(dirs, clock):
    os.makedirs(dirs[1])
    bad = os.path.join(dirs[1], checkpoints.RECOVERY_POINT_CHECKPOINT)
    with open(bad, "w") as f:
        f.write("7\n")
    with pytest.raises(errors.KafkaStorageError):
        LogManager.open(dirs, LogConfig(), clock=clock)
    os.unlink(bad)
    LogManager.open(dirs, LogConfig(), clock=clock).shutdown()
