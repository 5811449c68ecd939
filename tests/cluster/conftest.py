"""In-process brokers: several KafkaServers in one trio nursery (design §2, for speed)."""

from __future__ import annotations

import pytest
import trio

from kafka_clone.server.broker import KafkaServer


@pytest.fixture
def start_broker(nursery, broker_config):
    """`await start_broker(id)` runs a broker in the test's nursery; cancel its scope to stop it."""

    async def start(broker_id: int, **overrides: str) -> tuple[KafkaServer, trio.CancelScope]:
        server = KafkaServer(broker_config(broker_id, **overrides))
        scope = trio.CancelScope()

        async def run(task_status=trio.TASK_STATUS_IGNORED):
            with scope:
                await server.run(task_status=task_status)

        await nursery.start(run)
        return server, scope

    return start
