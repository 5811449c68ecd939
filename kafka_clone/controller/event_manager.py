"""ControllerEventManager: ONE task drains ONE channel of controller events.

Kafka moved to this design in 1.1 (KAFKA-5028) because the multi-threaded controller's shared
state was "hard to reason about": with a single consumer, `ControllerContext` needs no locks.
Producers are ZooKeeper watch handlers (already in the trio thread, via `zk.client`), broker
request handlers and the controller itself; `put` never blocks, so the channel is unbounded.
"""

from __future__ import annotations

import logging
import math
from typing import Awaitable, Callable

import attrs
import trio

from kafka_clone.controller.events import ControllerEvent, ShutdownEventThread

log = logging.getLogger(__name__)


@attrs.define(eq=False)
class ControllerEventManager:
    process: Callable[[ControllerEvent], Awaitable[None]]
    _send: trio.MemorySendChannel = attrs.field(init=False)
    _receive: trio.MemoryReceiveChannel = attrs.field(init=False)
    processed: int = 0

    def __attrs_post_init__(self) -> None:
        self._send, self._receive = trio.open_memory_channel(math.inf)

    def put(self, event: ControllerEvent) -> None:
        """Enqueue an event; never blocks (callable from watch handlers)."""
        try:
            self._send.send_nowait(event)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            log.debug("controller event %r after shut-down dropped", event)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Drain events until ShutdownEventThread or cancellation.

        A failing event is logged and the next one processed, as Kafka's ControllerEventThread
        does ("Uncaught error processing event"); the controller's state stays consistent because
        every handler re-reads ZooKeeper.
        """
        task_status.started()
        async with self._receive:
            async for event in self._receive:
                if isinstance(event, ShutdownEventThread):
                    return
                try:
                    await self.process(event)
                except Exception:
                    log.exception("Uncaught error processing controller event %s", type(event).__name__)
                self.processed += 1

    def close(self) -> None:
        self._send.close()
