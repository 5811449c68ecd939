"""KafkaServer: one broker's wiring, start-up order and shut-down.

Mirrors Kafka 2.8's `KafkaServer.startup()`, which reads like a script and is kept in that order:
1. connect to ZooKeeper (creating the chroot), create the persistent top-level paths;
2. get or create `/cluster/id`;
3. resolve the broker id (configured, or generated through `/brokers/seqid`) and check
   `meta.properties` in every log dir;
4. LogManager: load (and, after an unclean shutdown, recover) every log, with the topic configs
   read from `/config/topics`;
5. MetadataCache, ReplicaManager, the dynamic config manager, the log background tasks and the
   group coordinator;
6. bind the listeners and serve requests (ports known before registration);
7. register `/brokers/ids/<id>` (ephemeral; its czxid is the broker epoch, KIP-380);
8. start the controller (every broker runs one; the one that wins `/controller` is active).

Shut-down = cancel the broker's scope.  The clean-up that must talk to peers runs shielded with a
deadline: the active controller deletes `/controller` (fenced by its epoch) so a successor is
elected at once, and closing the ZooKeeper session removes `/brokers/ids/<id>` at once.  Then
the high watermarks are checkpointed and the LogManager writes its checkpoints and the
clean-shutdown marker, so the next start skips recovery.
"""

from __future__ import annotations

import functools
import logging
import resource
import signal
import socket
import time

import attrs
import trio

from kafka_clone.controller.controller import KafkaController
from kafka_clone.controller.events import TopicUncleanLeaderElectionEnable, UncleanLeaderElectionEnable
from kafka_clone.coordinator.group.group_coordinator import GroupCoordinator
from kafka_clone.log.log_manager import LogManager
from kafka_clone.server import broker_metadata
from kafka_clone.server import topic_configs as topic_configs_module
from kafka_clone.server.admin_manager import ZkAdminManager
from kafka_clone.server.apis import RequestContext, load_handlers
from kafka_clone.server.config import KafkaConfig
from kafka_clone.server.dynamic_config_manager import DynamicConfigManager
from kafka_clone.server.metadata_cache import MetadataCache
from kafka_clone.server.network import KafkaRequestLoop, SocketServer
from kafka_clone.server.producer_id_manager import ProducerIdManager
from kafka_clone.server.replica_manager import ReplicaManager
from kafka_clone.client.connection import BrokerConnection
from kafka_clone.protocol import ApiKey, KafkaError
from kafka_clone.protocol.messages.controller import ControlledShutdownRequest
from zk.admin_zk_client import AdminZkClient
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
    log_manager: LogManager | None = None
    metadata_cache: MetadataCache | None = None
    replica_manager: ReplicaManager | None = None
    producer_id_manager: ProducerIdManager | None = None
    admin_zk_client: AdminZkClient | None = None
    topic_admin: ZkAdminManager | None = None
    dynamic_config_manager: DynamicConfigManager | None = None
    group_coordinator: GroupCoordinator | None = None
    startup_complete: trio.Event = attrs.Factory(trio.Event)
    _metadata_changed: trio.Event = attrs.Factory(trio.Event)

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
            self.admin_zk_client = AdminZkClient(kzk)
            topic_overrides = await self.admin_zk_client.fetch_all_entity_configs("topics")
            self.log_manager = await trio.to_thread.run_sync(functools.partial(
                LogManager.open, cfg.log_dirs, topic_configs_module.broker_default_log_config(cfg),
                topic_configs={t: topic_configs_module.effective_log_config(cfg, o) for t, o in topic_overrides.items()}))
            try:
                await self._serve(kzk, task_status)
            finally:
                with trio.CancelScope(shield=True):
                    if self.replica_manager is not None:
                        self.replica_manager.checkpoint_high_watermarks()
                    await trio.to_thread.run_sync(self.log_manager.shutdown)
                    log.info("[KafkaServer id=%d] shut down completed", self.broker_id)

    async def _serve(self, kzk: KafkaZkClient, task_status: trio.TaskStatus["KafkaServer"]) -> None:
        cfg = self.config
        self.metadata_cache = MetadataCache(self.broker_id)
        self.replica_manager = ReplicaManager(self.broker_id, cfg, self.log_manager, self.metadata_cache, kzk,
                                              lambda: self.broker_epoch)
        self.producer_id_manager = ProducerIdManager(self.broker_id, kzk.zk)
        self.topic_admin = ZkAdminManager(self)
        self.dynamic_config_manager = DynamicConfigManager(kzk, cfg, self.log_manager, broker_id=self.broker_id)
        self.dynamic_config_manager.add_broker_config_listener(self.replica_manager.on_broker_config)
        self.dynamic_config_manager.add_topic_config_listener(self._remember_topic_overrides)
        async with trio.open_nursery() as nursery:
            await nursery.start(self.dynamic_config_manager.run)
            await nursery.start(functools.partial(
                self.log_manager.run, retention_check_interval_ms=cfg["log.retention.check.interval.ms"],
                high_watermarks=self._high_watermarks))
            await nursery.start(self.replica_manager.run)
            self.group_coordinator = GroupCoordinator.from_broker(self)
            await nursery.start(self.group_coordinator.run)
            self.socket_server = SocketServer(cfg.listeners, KafkaRequestLoop(
                load_handlers(), self._request_context, cfg["socket.request.max.bytes"],
                cfg["connections.max.idle.ms"] / 1000))
            self.bound_ports = await nursery.start(self.socket_server.run)
            self.broker_epoch = await self._register_broker()
            self.controller = KafkaController(self.broker_id, cfg, kzk, self._register_broker)
            self.dynamic_config_manager.add_topic_config_listener(self._on_topic_config_change)
            self.dynamic_config_manager.add_broker_config_listener(self._on_broker_config_change)
            await nursery.start(self.controller.run)
            self.startup_complete.set()
            log.info("[KafkaServer id=%d] started", self.broker_id)
            task_status.started(self)
            try:
                await trio.sleep_forever()
            finally:
                log.info("[KafkaServer id=%d] shutting down", self.broker_id)

    def _request_context(self, request, listener, peer: str) -> RequestContext:
        return RequestContext(request, self, listener.listener_name, peer)

    def _high_watermarks(self) -> dict[tuple[str, int], int]:
        return {tp: p.high_watermark for tp, p in self.replica_manager.partitions.items() if p.log is not None}

    def _remember_topic_overrides(self, topic: str, overrides: dict[str, str]) -> None:
        self.replica_manager.topic_overrides[topic] = dict(overrides)

    def _controller_needs_unclean_retry(self, overrides: dict[str, str]) -> bool:
        return overrides.get("unclean.leader.election.enable", "").strip().lower() == "true" \
            and self.controller is not None and self.controller.is_active

    def _on_topic_config_change(self, topic: str, overrides: dict[str, str]) -> None:
        # Kafka 2.8: enabling unclean election on a topic makes the controller retry its
        # offline partitions at once (TopicUncleanLeaderElectionEnable).
        if self._controller_needs_unclean_retry(overrides):
            self.controller.put(TopicUncleanLeaderElectionEnable(topic))

    def _on_broker_config_change(self, entity: str, overrides: dict[str, str]) -> None:
        # ... and so does a dynamic default for this broker, KIP-226 (enableDefaultUncleanLeaderElection).
        if entity in ("<default>", str(self.broker_id)) and self._controller_needs_unclean_retry(overrides):
            self.controller.put(UncleanLeaderElectionEnable())

    # ---- controlled shutdown ----

    async def controlled_shutdown(self) -> bool:
        """Ask the controller to move our leaderships away before we stop (Kafka's
        `KafkaServer.controlledShutdown`): up to `controlled.shutdown.max.retries` attempts,
        `controlled.shutdown.retry.backoff.ms` apart, until no partition is left on us.
        Runs while the broker still serves, so followers can take over with all the data."""
        cfg = self.config
        if not cfg["controlled.shutdown.enable"] or self.controller is None:
            return False
        listener = cfg["inter.broker.listener.name"] or cfg["security.inter.broker.protocol"]
        for attempt in range(1, cfg["controlled.shutdown.max.retries"] + 1):
            controller_id = self.metadata_cache.controller_id
            if controller_id < 0:
                controller_id = self.controller.active_controller_id
            endpoint = self.metadata_cache.get_alive_endpoint(controller_id, listener)
            remaining = None
            if endpoint is not None:
                try:
                    async with await BrokerConnection.connect(
                            *endpoint, node_id=controller_id, client_id=f"broker-{self.broker_id}-controlled-shutdown",
                            request_timeout_ms=cfg["controller.socket.timeout.ms"]) as conn:
                        response = await conn.send(ApiKey.CONTROLLED_SHUTDOWN, None, ControlledShutdownRequest(
                            broker_id=self.broker_id, broker_epoch=self.broker_epoch))
                    if response.error_code == 0:
                        remaining = [(p.topic_name, p.partition_index) for p in response.remaining_partitions]
                    else:
                        log.info("Controlled shutdown attempt %d answered with error %d", attempt, response.error_code)
                except KafkaError as exc:
                    log.info("Controlled shutdown attempt %d failed: %s", attempt, exc)
            if remaining == []:
                log.info("[KafkaServer id=%d] Controlled shutdown succeeded", self.broker_id)
                return True
            if remaining:
                log.info("Remaining partitions to move: %s", remaining)
            await trio.sleep(cfg["controlled.shutdown.retry.backoff.ms"] / 1000)
        log.warning("[KafkaServer id=%d] Proceeding to do an unclean shutdown as all the controlled shutdown "
                    "attempts failed", self.broker_id)
        return False

    # ---- metadata propagation (Kafka's DelayedCreatePartitions waits on this) ----

    def metadata_updated(self) -> None:
        """Called after every UpdateMetadata: wakes requests waiting for the controller's work."""
        self._metadata_changed.set()
        self._metadata_changed = trio.Event()

    async def wait_metadata_change(self) -> None:
        await self._metadata_changed.wait()

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


async def _cancel_on_next_signal(signals, scope: trio.CancelScope) -> None:
    async for _ in signals:
        scope.cancel()
        return


def raise_open_files_limit() -> None:
    """Every partition replica keeps a few files open (segment, indexes); Kafka's docs ask
    operators for a high `ulimit -n`. The broker raises its soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("Could not raise the open-files limit from %d: %s", soft, exc)


async def run_broker(config: KafkaConfig) -> None:
    """Run one broker until SIGTERM/SIGINT (used by `kclone broker start`)."""
    raise_open_files_limit()
    server = KafkaServer(config)
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:

            async def stop_on_signal() -> None:
                async for signum in signals:
                    log.info("Received %s: shutting down", signal.Signals(signum).name)
                    if server.startup_complete.is_set():
                        # A second signal while this runs stops at once.
                        with trio.move_on_after(60):
                            async with trio.open_nursery() as inner:
                                inner.start_soon(_cancel_on_next_signal, signals, inner.cancel_scope)
                                await server.controlled_shutdown()
                                inner.cancel_scope.cancel()
                    nursery.cancel_scope.cancel()
                    return

            nursery.start_soon(stop_on_signal)
            await server.run()
            nursery.cancel_scope.cancel()
