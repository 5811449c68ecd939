"""DelayedOperationPurgatory: requests that wait for something to happen, with a deadline.

Mirrors the role of Kafka's `DelayedOperationPurgatory` (server/DelayedOperation.scala) for
DelayedFetch (long polling: wait until `min_bytes` are there or `max_wait_ms` passes) and
DelayedProduce (acks=all: wait until the high watermark passes the batch or `timeout_ms`).
Kafka keeps operations in watcher lists keyed by partition and re-checks them when the key is
"completed"; here the waiting task registers a trio Event under its keys and re-checks its own
condition when woken.  No sleep-and-poll: a waiter wakes only on `check_and_complete(key)` or its
deadline.

Keys are tuples such as `("fetch", topic, partition)` (woken by appends and high-watermark moves)
and `("produce", topic, partition)` (woken by high-watermark moves).
"""

from __future__ import annotations

from typing import Hashable, Iterable

import attrs
import trio


@attrs.define(eq=False)
class DelayedOperationPurgatory:
    name: str
    _watchers: dict[Hashable, set[trio.Event]] = attrs.Factory(dict)

    def check_and_complete(self, key: Hashable) -> int:
        """Wake every operation watching `key`; they re-check their own condition."""
        events = self._watchers.pop(key, None)
        if not events:
            return 0
        for event in events:
            event.set()
        return len(events)

    async def wait_any(self, keys: Iterable[Hashable], deadline: float) -> bool:
        """Wait until one of `keys` is completed or `deadline` (trio time) passes.

        True if woken by a key, False on the deadline.  Cancellation leaves no watcher behind.
        """
        event = trio.Event()
        keys = list(keys)
        for key in keys:
            self._watchers.setdefault(key, set()).add(event)
        try:
            with trio.move_on_at(deadline):
                await event.wait()
                return True
            return False
        finally:
            for key in keys:
                watchers = self._watchers.get(key)
                if watchers is not None:
                    watchers.discard(event)
                    if not watchers:
                        del self._watchers[key]

    def watched(self) -> int:
        """Operations currently waiting (Kafka's `PurgatorySize` metric, roughly)."""
        return len({e for events in self._watchers.values() for e in events})
