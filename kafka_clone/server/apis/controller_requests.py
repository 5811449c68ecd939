"""LeaderAndIsr (4), StopReplica (5), UpdateMetadata (6): the controller's orders to a broker;
ControlledShutdown (7): a broker's request to the controller.

Every one carries the controller epoch and (KIP-380) the broker epoch it was meant for; older
ones are refused (STALE_CONTROLLER_EPOCH / STALE_BROKER_EPOCH) so a deposed controller or an
order for a previous incarnation of this broker changes nothing.
"""

from __future__ import annotations

import logging

import trio

from kafka_clone.controller.events import ControlledShutdown
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import NotController, RequestTimedOut, StaleBrokerEpoch, StaleControllerEpoch
from kafka_clone.protocol.messages.controller import ControlledShutdownResponse, RemainingPartition
from kafka_clone.protocol.messages.update_metadata import UpdateMetadataResponse
from kafka_clone.server.apis import RequestContext, handles

log = logging.getLogger(__name__)


@handles(ApiKey.LEADER_AND_ISR)
async def handle_leader_and_isr(ctx: RequestContext):
    rm, configs = ctx.broker.replica_manager, ctx.broker.dynamic_config_manager
    new_topics = rm.topics_without_local_log(ctx.body)
    if new_topics and configs is not None:
        # New logs take their topic's config as ZooKeeper has it now (Kafka's fetchLogConfig).
        await configs.load_topic_configs(sorted(new_topics))
    return rm.become_leader_or_follower(ctx.body, ctx.version)


@handles(ApiKey.STOP_REPLICA)
async def handle_stop_replica(ctx: RequestContext):
    return ctx.broker.replica_manager.stop_replicas(ctx.body, ctx.version)


@handles(ApiKey.UPDATE_METADATA)
async def handle_update_metadata(ctx: RequestContext):
    body = ctx.body
    broker = ctx.broker
    rm = broker.replica_manager
    if body.controller_epoch < rm.controller_epoch:
        log.warning("Ignoring UpdateMetadata from controller %d with stale epoch %d (latest %d)",
                    body.controller_id, body.controller_epoch, rm.controller_epoch)
        return UpdateMetadataResponse(error_code=StaleControllerEpoch.code)
    if body.broker_epoch != -1 and body.broker_epoch < broker.broker_epoch:
        return UpdateMetadataResponse(error_code=StaleBrokerEpoch.code)
    rm.controller_epoch = body.controller_epoch
    broker.metadata_cache.update_metadata(body)
    broker.metadata_updated()
    return UpdateMetadataResponse(error_code=0)


@handles(ApiKey.CONTROLLED_SHUTDOWN)
async def handle_controlled_shutdown(ctx: RequestContext):
    """Only the active controller answers; it moves the broker's leaderships first."""
    controller = ctx.broker.controller
    if controller is None or not controller.is_active:
        return ControlledShutdownResponse(error_code=NotController.code)
    send, receive = trio.open_memory_channel(1)
    controller.put(ControlledShutdown(ctx.body.broker_id, ctx.body.broker_epoch, send))
    with trio.move_on_after(ctx.broker.config["request.timeout.ms"] / 1000):
        code, remaining = await receive.receive()
        return ControlledShutdownResponse(error_code=code, remaining_partitions=tuple(
            RemainingPartition(topic_name=t, partition_index=p) for t, p in remaining))
    return ControlledShutdownResponse(error_code=RequestTimedOut.code)
