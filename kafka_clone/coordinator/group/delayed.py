"""The coordinator's timers: Kafka's join/heartbeat purgatories as trio deadlines.

Kafka 2.8 parks ``DelayedJoin``/``InitialDelayedJoin`` (complete when every member rejoined, else
at the rebalance timeout) and ``DelayedHeartbeat`` (a member's session) in purgatories checked by
a timing wheel. Here each is a named deadline in ``Timers``: one task sleeps until the earliest
deadline (``trio.move_on_at``) or until a nearer one is scheduled, and calls the due callbacks.
"Complete early" is the coordinator calling its completion check directly on each join; the
timer is only the expiry. Time is ``trio.current_time()``, so ``MockClock`` drives the tests.

Callbacks are synchronous and run in the timer task; they must not block (I/O they need is
started as a task by the coordinator). Rescheduling a key replaces its deadline.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Callable, Hashable

import attrs
import trio


@attrs.define(eq=False)
class Timers:
    _heap: list[tuple[float, int, Hashable]] = attrs.Factory(list)
    _entries: dict[Hashable, tuple[float, int, Callable[[], None]]] = attrs.Factory(dict)
    _seq: itertools.count = attrs.Factory(itertools.count)
    _wake: trio.Event = attrs.Factory(trio.Event)

    def schedule(self, key: Hashable, deadline: float, fn: Callable[[], None]) -> None:
        """Call ``fn`` at ``deadline`` (trio time), replacing any earlier schedule of ``key``."""
        seq = next(self._seq)
        self._entries[key] = (deadline, seq, fn)
        heapq.heappush(self._heap, (deadline, seq, key))
        if self._heap[0][1] == seq:
            self._wake.set()

    def schedule_in(self, key: Hashable, delay_s: float, fn: Callable[[], None]) -> None:
        self.schedule(key, trio.current_time() + max(delay_s, 0.0), fn)

    def cancel(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def cancel_where(self, predicate: Callable[[Hashable], bool]) -> None:
        for key in [k for k in self._entries if predicate(k)]:
            del self._entries[key]

    def deadline(self, key: Hashable) -> float | None:
        entry = self._entries.get(key)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def fire_due(self, now: float) -> int:
        """Call every callback due at ``now``; returns how many ran."""
        fired = 0
        while self._heap and self._heap[0][0] <= now:
            deadline, seq, key = heapq.heappop(self._heap)
            entry = self._entries.get(key)
            if entry is None or entry[1] != seq:
                continue  # cancelled or rescheduled
            del self._entries[key]
            entry[2]()
            fired += 1
        return fired

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Fire callbacks at their deadlines until cancelled (nothing is left half-done)."""
        task_status.started()
        while True:
            self.fire_due(trio.current_time())
            while self._heap and self._heap[0][2] not in self._entries:
                heapq.heappop(self._heap)
            next_deadline = self._heap[0][0] if self._heap else math.inf
            self._wake = trio.Event()
            with trio.move_on_at(next_deadline):
                await self._wake.wait()
