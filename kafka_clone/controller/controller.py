"""KafkaController: election, failover, resignation and broker membership.

Mirrors Kafka 2.8's `KafkaController` (controller/KafkaController.scala):
- Every broker watches `/controller` and, when it is absent, tries to win it with the election
  multi (`KafkaZkClient.register_controller_and_increment_controller_epoch`).  First writer wins.
- The winner runs `on_controller_failover`: it watches `/brokers/ids`, loads the live brokers and
  their epochs (czxid) into `ControllerContext`, and from then on reacts to brokers joining,
  leaving and bouncing.
- All of it runs in ONE task (`ControllerEventManager`): watch handlers only enqueue events.

The controller's *term* (Kafka: the time between `onControllerFailover` and
`onControllerResignation`) is a trio cancel scope.  Losing `/controller` or the ZooKeeper session
cancels it, which interrupts any controller work in flight; what still reaches ZooKeeper is
fenced by the `/controller_epoch` zkVersion check on every controller write.
"""

from __future__ import annotations

import logging
import time
from typing import Awaitable, Callable

import attrs
import trio

from kafka_clone.controller.context import ControllerContext
from kafka_clone.controller.event_manager import ControllerEventManager
from kafka_clone.controller.active_controller import ActiveController
from kafka_clone.controller.events import (
    BrokerModifications, ControllerChange, ControllerEvent, Expire, Reelect, RegisterBrokerAndReelect,
    ShutdownEventThread, Startup,
)
from kafka_clone.server.config import KafkaConfig
from zk.client import ConnectionLossError, SessionExpiredError, StateChangeHandler, ZNodeChangeHandler
from zk.kafka_zk_client import ControllerMovedError, KafkaZkClient
from zk.znodes import (
    BrokerIdsZNode, BrokerIdZNode, ControllerZNode, DeleteTopicsZNode, IsrChangeNotificationZNode,
    PreferredReplicaElectionZNode, ReassignPartitionsZNode, TopicPartitionStateZNode, TopicsZNode, TopicZNode,
)

log = logging.getLogger(__name__)


@attrs.define(eq=False)
class ControllerTerm:
    """One term as controller: its epoch, its work (`ActiveController`) and the cancel scopes
    that end with it (the term's nursery of channel senders, and each event being processed)."""

    epoch: int
    epoch_zk_version: int
    scopes: set[trio.CancelScope] = attrs.Factory(set)
    cancelled: bool = False
    active: ActiveController | None = None

    def cancel(self) -> None:
        self.cancelled = True
        for scope in self.scopes:
            scope.cancel()


@attrs.frozen
class ControllerStatistics:
    active_controller_id: int
    is_active: bool
    epoch: int
    live_broker_ids: tuple[int, ...]
    events_processed: int
    terms_won: int


@attrs.define(eq=False)
class KafkaController:
    broker_id: int
    config: KafkaConfig
    zk_client: KafkaZkClient
    #: Registers `/brokers/ids/<id>` again after a session expiry; returns the new broker epoch.
    register_broker: Callable[[], Awaitable[int]]
    context: ControllerContext = attrs.Factory(ControllerContext)
    active_controller_id: int = -1
    terms_won: int = 0
    _term: ControllerTerm | None = None
    _nursery: trio.Nursery | None = None
    _events: ControllerEventManager = attrs.field(init=False)
    #: Set each time the active controller id changes; replaced after firing (tests, CLI, demos).
    changed: trio.Event = attrs.Factory(trio.Event)

    def __attrs_post_init__(self) -> None:
        self._events = ControllerEventManager(self._process)

    # ---- public ----

    @property
    def is_active(self) -> bool:
        return self._term is not None and not self._term.cancelled

    def statistics(self) -> ControllerStatistics:
        return ControllerStatistics(
            self.active_controller_id, self.is_active, self.context.epoch,
            tuple(sorted(self.context.live_brokers)), self._events.processed, self.terms_won,
        )

    def put(self, event: ControllerEvent) -> None:
        self._events.put(event)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the event task, queue Startup, run until cancelled; resign on the way out."""
        zk = self.zk_client.zk
        zk.register_state_change_handler(StateChangeHandler(
            "controller-state-change-handler",
            before_initializing_session=self._on_session_expired,
            after_initializing_session=lambda: self.put(RegisterBrokerAndReelect()),
        ))
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await nursery.start(self._events.run)
                self.put(Startup())
                task_status.started()
        finally:
            zk.unregister_state_change_handler("controller-state-change-handler")
            self._events.close()
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                await self._resign(delete_znode=True)

    def shutdown(self) -> None:
        self.put(ShutdownEventThread())

    # ---- event processing ----

    async def _process(self, event: ControllerEvent) -> None:
        if event.needs_active_controller:
            term = self._term
            if term is None or term.cancelled:
                return
            with trio.CancelScope() as scope:
                term.scopes.add(scope)
                try:
                    await self._dispatch_until_connected(event)
                except ControllerMovedError as exc:
                    log.warning("[Controller id=%d] %s", self.broker_id, exc)
                    await self._maybe_resign()
                finally:
                    term.scopes.discard(scope)
            if scope.cancelled_caught:
                log.info("[Controller id=%d] %s interrupted: no longer the controller",
                         self.broker_id, type(event).__name__)
            return
        await self._dispatch_until_connected(event)

    async def _dispatch_until_connected(self, event: ControllerEvent) -> None:
        """Run an event, again after a lost connection comes back.

        Kafka's ZooKeeper client waits for the connection and resends a request lost to a
        connection blip (`retryRequestsUntilConnected`); ours raises instead, so the whole event
        runs again. That is safe because handlers re-read ZooKeeper and every controller write is
        conditional. An event whose session expired is dropped, as Kafka clears the queue on expiry:
        Expire and RegisterBrokerAndReelect follow.
        """
        zk = self.zk_client.zk
        while True:
            session = zk.session_id
            try:
                await self._dispatch(event)
                return
            except ConnectionLossError:
                log.warning("[Controller id=%d] ZooKeeper connection lost while processing %s; retrying once "
                            "reconnected", self.broker_id, type(event).__name__)
                await zk.wait_connected()
                if zk.session_id != session:
                    return
            except SessionExpiredError:
                log.warning("[Controller id=%d] ZooKeeper session expired while processing %s",
                            self.broker_id, type(event).__name__)
                return

    async def _dispatch(self, event: ControllerEvent) -> None:
        match event:
            case Startup():
                await self._process_startup()
            case ControllerChange():
                await self._maybe_resign()
            case Reelect():
                await self._process_reelect()
            case Expire(term=term):
                await self._process_expire(term)
            case RegisterBrokerAndReelect():
                epoch = await self.register_broker()
                log.info("[Controller id=%d] re-registered broker after session expiry, broker epoch %d",
                         self.broker_id, epoch)
                await self._process_reelect()
            case BrokerModifications(broker_id=broker_id):
                await self._term.active.process_broker_modification(broker_id)
            case _ if event.needs_active_controller:
                await self._term.active.process(event)

    # ---- election (KafkaController.elect / maybeResign) ----

    def _controller_change_handler(self) -> ZNodeChangeHandler:
        return ZNodeChangeHandler(
            ControllerZNode.path(),
            on_create=lambda: self.put(ControllerChange()),
            on_delete=lambda: self.put(Reelect()),
            on_data_change=lambda: self.put(ControllerChange()),
        )

    async def _process_startup(self) -> None:
        self.zk_client.zk.register_znode_change_handler(self._controller_change_handler())
        await self._elect()

    async def _process_reelect(self) -> None:
        await self._maybe_resign()
        await self._elect()

    async def _process_expire(self, term: ControllerTerm | None) -> None:
        if self._term is not term:
            return  # a newer term, won on the new session, is not the one that expired
        self._set_active_controller(-1)
        await self._resign(delete_znode=False)

    def _on_session_expired(self) -> None:
        # Runs in the trio thread the moment kazoo reports LOST: end the term now, before any
        # queued event runs, then let the event task do the bookkeeping.
        if self._term is not None:
            self._term.cancel()
        self.put(Expire(self._term))

    def _set_active_controller(self, controller_id: int) -> None:
        if controller_id != self.active_controller_id:
            self.active_controller_id = controller_id
            self.changed.set()
            self.changed = trio.Event()

    async def _elect(self) -> None:
        current = await self.zk_client.get_controller_id(watch=True)
        if current is not None:
            self._set_active_controller(current)
            log.debug("[Controller id=%d] broker %d has been elected as the controller, so stopping the election process.",
                      self.broker_id, current)
            return
        try:
            won = await self.zk_client.register_controller_and_increment_controller_epoch(
                self.broker_id, int(time.time() * 1000))
        except ControllerMovedError:
            log.info("[Controller id=%d] another broker won the election", self.broker_id)
            await self._maybe_resign()
            return
        log.info("[Controller id=%d] %d successfully elected as the controller. Epoch incremented to %d "
                 "and epoch zk version is now %d", self.broker_id, self.broker_id, won.epoch, won.epoch_zk_version)
        self.context.epoch, self.context.epoch_zk_version = won.epoch, won.epoch_zk_version
        self._term = ControllerTerm(won.epoch, won.epoch_zk_version)
        self.terms_won += 1
        self._set_active_controller(self.broker_id)
        # Arm the watch again: the create above fired it (ControllerChange will find us active).
        await self.zk_client.get_controller_id(watch=True)
        term = self._term
        nursery = await self._nursery.start(self._run_term, term)
        term.active = ActiveController(self.broker_id, self.config, self.zk_client, self.context, nursery, self.put)
        with trio.CancelScope() as scope:
            term.scopes.add(scope)
            try:
                await term.active.on_failover()
            except ControllerMovedError as exc:
                log.warning("[Controller id=%d] %s", self.broker_id, exc)
                await self._maybe_resign()
            except (ConnectionLossError, SessionExpiredError) as exc:
                # Running the failover again would find us elected and skip it, leaving a term
                # with half a context: give the role up instead, as Kafka does on any failover error.
                log.error("[Controller id=%d] Error while electing or becoming controller: %r. Trigger "
                          "controller movement immediately", self.broker_id, exc)
                await self._trigger_controller_move(term)
            finally:
                term.scopes.discard(scope)

    async def _trigger_controller_move(self, term: ControllerTerm) -> None:
        """Kafka's triggerControllerMove: delete `/controller` (fenced by our epoch) once connected,
        then resign; its deletion makes every broker, this one too, elect again, and the winner
        runs a fresh failover. If the session expired meanwhile, Expire already ended the term."""
        zk = self.zk_client.zk
        while True:
            await zk.wait_connected()
            if term.cancelled:
                return
            try:
                await self.zk_client.delete_controller(term.epoch_zk_version)
            except ConnectionLossError:
                continue
            except SessionExpiredError:
                return
            await self._resign(delete_znode=False)
            return

    async def _run_term(self, term: ControllerTerm, *, task_status: trio.TaskStatus[trio.Nursery]) -> None:
        """The term's nursery: the channel senders live here and die with the term."""
        with trio.CancelScope() as scope:
            term.scopes.add(scope)
            if term.cancelled:
                scope.cancel()
            async with trio.open_nursery() as nursery:
                task_status.started(nursery)
                await trio.sleep_forever()

    async def _maybe_resign(self) -> None:
        was_active = self.is_active
        current = await self.zk_client.get_controller_id(watch=True)
        self._set_active_controller(current if current is not None else -1)
        if was_active and current != self.broker_id:
            await self._resign(delete_znode=False)

    async def _resign(self, *, delete_znode: bool) -> None:
        """Kafka's onControllerResignation: stop acting, forget the context.

        With `delete_znode` (clean shut-down of the active controller) `/controller` is deleted
        under the epoch check, so the others elect at once instead of after our session ends.
        """
        term = self._term
        if term is None:
            return
        self._term = None
        term.cancel()
        zk = self.zk_client.zk
        for path in (BrokerIdsZNode.path(), TopicsZNode.path(), DeleteTopicsZNode.path(),
                     IsrChangeNotificationZNode.path()):
            zk.unregister_znode_child_change_handler(path)
        for broker_id in self.context.live_brokers:
            zk.unregister_znode_change_handler(BrokerIdZNode.path(broker_id))
        for topic in self.context.all_topics:
            zk.unregister_znode_change_handler(TopicZNode.path(topic))
        for path in (ReassignPartitionsZNode.path(), PreferredReplicaElectionZNode.path()):
            zk.unregister_znode_change_handler(path)
        if term.active is not None:
            for tp in term.active.reassignments.ongoing:
                zk.unregister_znode_change_handler(TopicPartitionStateZNode.path(*tp))
        if term.active is not None:
            term.active.channel.close()
        self.context.reset()
        if delete_znode:
            await self.zk_client.delete_controller(term.epoch_zk_version)
        log.info("[Controller id=%d] Resigned as the controller (epoch %d)", self.broker_id, term.epoch)

