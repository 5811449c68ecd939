"""Timers: deadlines fire in order, rescheduling replaces, cancelling removes (MockClock)."""

from __future__ import annotations

import trio

from kafka_clone.coordinator.group.delayed import Timers


async def test_timers_fire_at_their_deadlines(nursery, autojump_clock):
    timers = Timers()
    fired: list[tuple[str, float]] = []
    await nursery.start(timers.run)
    start = trio.current_time()
    timers.schedule_in("b", 2, lambda: fired.append(("b", trio.current_time() - start)))
    timers.schedule_in("a", 1, lambda: fired.append(("a", trio.current_time() - start)))
    timers.schedule_in("c", 3, lambda: fired.append(("c", trio.current_time() - start)))
    timers.cancel("c")
    timers.schedule_in("b", 5, lambda: fired.append(("b2", trio.current_time() - start)))
    await trio.sleep(10)
    assert fired == [("a", 1), ("b2", 5)]
    assert len(timers) == 0


async def test_a_nearer_deadline_wakes_the_timer_task(nursery, autojump_clock):
    timers = Timers()
    done = trio.Event()
    await nursery.start(timers.run)
    timers.schedule_in("far", 100, lambda: None)
    await trio.sleep(1)
    timers.schedule_in("near", 1, done.set)
    with trio.fail_after(2):
        await done.wait()
    timers.cancel_where(lambda key: key == "far")
    assert timers.deadline("far") is None
