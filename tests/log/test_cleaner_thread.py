"""Compaction in a worker thread (``LogManager.clean_logs_in_thread``): the event loop keeps
running during a pass, cancellation aborts it, and a log changed meanwhile keeps what it has.

The worker is held at a known point by wrapping ``cleaner._clean_segment`` (it runs once per
segment, in the worker): the tests assert on the order of events, never on durations."""

import os
import threading
import time

import pytest
import trio
from log_helpers import T0, batch, read_all

from kafka_clone.log import cleaner
from kafka_clone.log.log_config import LogConfig
from kafka_clone.log.log_manager import LogManager

#: How long a held worker waits for the trio thread before the test fails rather than hangs.
HOLD_LIMIT_S = 60
KEYS = 500
RECORDS = 20_000
PER_BATCH = 100


@pytest.fixture
def compacted(tmp_path):
    """A manager with one large compacted log: 20 000 records over 500 keys, many segments."""
    config = LogConfig(cleanup_policy=("compact",), segment_bytes=64 * 1024)
    manager = LogManager.open([str(tmp_path / "d")], LogConfig(), topic_configs={"c": config})
    log = manager.get_or_create_log("c", 0)
    for first in range(0, RECORDS, PER_BATCH):
        keys = [b"k%d" % ((first + i) % KEYS) for i in range(PER_BATCH)]
        log.append_as_leader(batch(PER_BATCH, ts=T0, keys=keys, values=[b"v%d" % (first + i) for i in range(PER_BATCH)]), 0)
    assert len(log.segments) > 5
    yield manager, log
    manager.close()


def hold_worker(monkeypatch, at_first_segment):
    """Run ``at_first_segment(aborted)`` in the worker when it starts writing the first copy."""
    real = cleaner._clean_segment
    calls = []

    def wrapper(plan, source, latest, aborted):
        if not calls:
            calls.append(threading.current_thread())
            at_first_segment(aborted)
        return real(plan, source, latest, aborted)

    monkeypatch.setattr(cleaner, "_clean_segment", wrapper)
    return calls


def leftovers(root) -> list[str]:
    return [n for _d, _s, names in os.walk(root) for n in names if n.endswith((".cleaned", ".swap"))]


async def test_the_event_loop_runs_while_the_worker_compacts(compacted, monkeypatch):
    manager, log = compacted
    active_base = log.active_segment.base_offset
    ticks = 0
    target: list[int] = []
    ticked = threading.Event()
    waited: list[bool] = []

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            if target and ticks >= target[0]:
                ticked.set()
            await trio.sleep(0)

    def at_first_segment(aborted):
        # Mid-pass, in the worker: the ticker can only reach the target if the trio thread is free.
        target.append(ticks + 10)
        waited.append(ticked.wait(HOLD_LIMIT_S))

    calls = hold_worker(monkeypatch, at_first_segment)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        assert await manager.clean_logs_in_thread(force=True) == 1
        nursery.cancel_scope.cancel()
    assert waited == [True]
    assert calls[0] is not threading.main_thread()
    assert manager.cleaner_offsets[("c", 0)] == active_base
    survivors = read_all(log)
    below = [r for r in survivors if r.offset < active_base]
    assert len({r.key for r in below}) == len(below) == KEYS  # one record per key below the active segment
    assert all(r.value == b"v%d" % r.offset for r in survivors)
    assert leftovers(log.dir) == []


async def test_cancelling_aborts_the_worker_and_leaves_the_log_as_it_was(compacted, monkeypatch):
    manager, log = compacted
    before = read_all(log)
    aborted_seen: list[bool] = []
    scope = trio.CancelScope()

    def at_first_segment(aborted):
        trio.from_thread.run_sync(scope.cancel)
        deadline = time.monotonic() + HOLD_LIMIT_S
        while not aborted() and time.monotonic() < deadline:
            time.sleep(0.001)
        aborted_seen.append(aborted())

    hold_worker(monkeypatch, at_first_segment)
    with scope:
        await manager.clean_logs_in_thread(force=True)
    assert scope.cancelled_caught
    assert aborted_seen == [True]
    assert read_all(log) == before
    assert ("c", 0) not in manager.cleaner_offsets
    assert leftovers(log.dir) == []
    # The next pass starts afresh and works.
    monkeypatch.undo()
    assert await manager.clean_logs_in_thread(force=True) == 1


@pytest.mark.parametrize("change", ["truncate", "retention", "delete"])
async def test_a_log_changed_during_the_pass_keeps_what_it_has(compacted, monkeypatch, change):
    manager, log = compacted
    parent = os.path.dirname(log.dir)

    def at_first_segment(aborted):
        # The owner changes the log while the worker holds its plan.
        if change == "truncate":
            trio.from_thread.run_sync(log.truncate_to, 150)
        elif change == "retention":
            trio.from_thread.run_sync(log.maybe_increment_log_start_offset, log.segments[2].base_offset)
            trio.from_thread.run_sync(log.delete_old_segments)
        else:
            trio.from_thread.run_sync(manager.delete_log, "c", 0)

    hold_worker(monkeypatch, at_first_segment)
    assert await manager.clean_logs_in_thread(force=True) == 0
    assert leftovers(parent) == []
    assert ("c", 0) not in manager.cleaner_offsets
    if change == "truncate":
        assert [r.offset for r in read_all(log)] == list(range(100))  # the batch straddling 150 went whole
    elif change == "retention":
        records = read_all(log)
        assert records[0].offset == log.log_start_offset and len(records) == log.log_end_offset - log.log_start_offset
