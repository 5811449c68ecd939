"""Run one broker with the group coordinator: ``python -m tests.coordinator.group_broker CONFIG``.

Until ``KafkaServer`` wires the coordinator itself (``broker.group_coordinator``, started in its
nursery), the tests start brokers through this module: it registers the group handlers, runs the
broker and starts a ``GroupCoordinator`` beside it once the broker is up. When the broker already
has the field, this is plain ``kclone broker start``.
"""

from __future__ import annotations

import logging
import signal
import sys

import attrs
import trio

from kafka_clone.coordinator.group.group_coordinator import GroupCoordinator
from kafka_clone.server.apis import group as _group_handlers  # noqa: F401  (registers the handlers)
from kafka_clone.server.broker import KafkaServer, run_broker
from kafka_clone.server.config import KafkaConfig

WIRED = "group_coordinator" in attrs.fields_dict(KafkaServer)


class GroupServer(KafkaServer):
    """A KafkaServer that may carry a ``group_coordinator`` attribute (the attrs class is slotted)."""


async def run_with_coordinator(server: KafkaServer, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Run ``server`` and, once it is up, a GroupCoordinator for it; until cancelled."""
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        if not WIRED:
            server.group_coordinator = GroupCoordinator.from_broker(server)
            await nursery.start(server.group_coordinator.run)
        task_status.started(server)


async def main(config: KafkaConfig) -> None:
    if WIRED:
        await run_broker(config)
        return
    server = GroupServer(config)
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(run_with_coordinator, server)
            async for _ in signals:
                with trio.move_on_after(60):
                    await server.controlled_shutdown()
                nursery.cancel_scope.cancel()
                break


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s (%(name)s)",
                        stream=sys.stderr)
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    trio.run(main, KafkaConfig.load(sys.argv[1]))
