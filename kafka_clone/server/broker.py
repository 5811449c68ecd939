"""KafkaServer: one broker's wiring, start-up order and shut-down.

Mirrors Kafka 2.8's `KafkaServer.startup()`, which reads like a script and is kept in that order:
1. connect to ZooKeeper (creating the chroot), create the persistent top-level paths;
2. get or create `/cluster/id`;
3. resolve the broker id (configured, or generated through `/brokers/seqid`) and check
   `meta.properties` in every log dir;
4. bind the listeners (ports known, requests not yet processed);
5. register `/brokers/ids/<id>` (ephemeral; its czxid is the broker epoch, KIP-380);
6. start the controller (every broker runs one; the one that wins `/controller` is active).

Shut-down = cancel the broker's scope.  The clean-up that must talk to peers runs shielded with a
deadline: the active controller deletes `/controller` (fenced by its epoch) so a successor is
elected at once, and closing the ZooKeeper session removes `/brokers/ids/<id>` at once.
"""

from __future__ import annotations

import logging
import signal
import socket
import time

import attrs
import trio

from kafka_clone.controller.controller import KafkaController
from kafka_clone.server import broker_metadata
from kafka_clone.server.config import KafkaConfig
from kafka_clone.server.network import SocketServer
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient
from zk.znodes import BrokerInfo, BrokerSequenceIdZNode, ClusterIdZNode, EndPoint

log = logging.getLogger(__name__)


class BrokerStartupError(RuntimeError):
    """The broker cannot start; the message is one line for the operator."""


@attrs.frozen
class BrokerStatistics:
    broker_id: int
    cluster_id: str
    broker_epoch: int
    bound_ports: dict[str, int]
    active_controller_id: int
    is_controller: bool
    controller_epoch: int


@attrs.define(eq=False)
class KafkaServer:
    config: KafkaConfig
    broker_id: int = -1
    cluster_id: str = ""
    broker_epoch: int = -1
    bound_ports: dict[str, int] = attrs.Factory(dict)
    zk_client: KafkaZkClient | None = None
    controller: KafkaController | None = None
    socket_server: SocketServer | None = None
    startup_complete: trio.Event = attrs.Factory(trio.Event)

    def statistics(self) -> BrokerStatistics:
        c = self.controller
        return BrokerStatistics(
            self.broker_id, self.cluster_id, self.broker_epoch, dict(self.bound_ports),
            c.active_controller_id if c else -1, bool(c and c.is_active), c.context.epoch if c else 0,
        )

    async def run(self, *, task_status: trio.TaskStatus["KafkaServer"] = trio.TASK_STATUS_IGNORED) -> None:
        """Start in Kafka's order, report readiness, serve until cancelled, then shut down."""
        cfg = self.config
        log.info("starting")
        async with ZkClient.open(
            cfg.zookeeper_connect,
            session_timeout_ms=cfg.zookeeper_session_timeout_ms,
            connection_timeout_ms=cfg.zookeeper_connection_timeout_ms,
        ) as zk:
            self.zk_client = kzk = KafkaZkClient(zk)
            await kzk.create_top_level_paths()
            self.cluster_id = await kzk.get_or_create_cluster_id(ClusterIdZNode.generate_cluster_id())
            log.info("Cluster ID = %s", self.cluster_id)
            self.broker_id = await self._resolve_broker_id(kzk)
            broker_metadata.check_and_write(cfg.log_dirs, self.broker_id, self.cluster_id)

            async with trio.open_nursery() as nursery:
                self.socket_server = SocketServer(cfg.listeners)
                self.bound_ports = await nursery.start(self.socket_server.run)
                self.broker_epoch = await self._register_broker()
                self.controller = KafkaController(self.broker_id, kzk, self._register_broker)
                await nursery.start(self.controller.run)
                self.startup_complete.set()
                log.info("[KafkaServer id=%d] started", self.broker_id)
                task_status.started(self)
                try:
                    await trio.sleep_forever()
                finally:
                    log.info("[KafkaServer id=%d] shutting down", self.broker_id)

    def broker_info(self) -> BrokerInfo:
        """Our registration: advertised listeners, a port of 0 replaced by the bound one (as Kafka)."""
        endpoints = tuple(
            EndPoint(
                host=l.host or _default_host(),
                port=l.port or self.bound_ports.get(l.listener_name, 0),
                listener_name=l.listener_name,
                security_protocol=l.security_protocol,
            )
            for l in self.config.advertised_listeners
        )
        return BrokerInfo(
            id=self.broker_id,
            endpoints=endpoints,
            rack=self.config["broker.rack"],
            timestamp_ms=int(time.time() * 1000),
        )

    async def _register_broker(self) -> int:
        assert self.zk_client is not None
        self.broker_epoch = await self.zk_client.register_broker(self.broker_info())
        return self.broker_epoch

    async def _resolve_broker_id(self, kzk: KafkaZkClient) -> int:
        """Kafka's getOrGenerateBrokerId: configured id, else the one in meta.properties, else a
        new one from `/brokers/seqid`'s dataVersion + `reserved.broker.max.id` (first: 1001)."""
        cfg = self.config
        stored = broker_metadata.stored_broker_id(cfg.log_dirs)
        configured = cfg.broker_id
        if configured >= 0:
            if stored is not None and stored != configured:
                raise BrokerStartupError(
                    f"Configured broker.id {configured} doesn't match stored broker.id {stored} in "
                    f"meta.properties. If you moved your data, make sure your configured broker.id matches.")
            return configured
        if stored is not None:
            return stored
        if not cfg["broker.id.generation.enable"]:
            raise BrokerStartupError("broker.id is -1 and broker.id.generation.enable is false")
        stat = await kzk.zk.set(BrokerSequenceIdZNode.path(), None, version=-1)
        return stat.version + cfg["reserved.broker.max.id"]


def _default_host() -> str:
    # Kafka advertises the canonical host name when a listener has no host.
    return socket.getfqdn()


async def run_broker(config: KafkaConfig) -> None:
    """Run one broker until SIGTERM/SIGINT (used by `kclone broker start`)."""
    server = KafkaServer(config)
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:

            async def stop_on_signal() -> None:
                async for signum in signals:
                    log.info("Received %s: shutting down", signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()
                    return

            nursery.start_soon(stop_on_signal)
            await server.run()
            nursery.cancel_scope.cancel()
