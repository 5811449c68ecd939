"""LeaderAndIsr (4), StopReplica (5), UpdateMetadata (6): the controller's orders to a broker.

Every one carries the controller epoch and (KIP-380) the broker epoch it was meant for; older
ones are refused (STALE_CONTROLLER_EPOCH / STALE_BROKER_EPOCH) so a deposed controller or an
order for a previous incarnation of this broker changes nothing.
"""

from __future__ import annotations

import logging

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import StaleBrokerEpoch, StaleControllerEpoch
from kafka_clone.protocol.messages.update_metadata import UpdateMetadataResponse
from kafka_clone.server.apis import RequestContext, handles

log = logging.getLogger(__name__)


@handles(ApiKey.LEADER_AND_ISR)
async def handle_leader_and_isr(ctx: RequestContext):
    return ctx.broker.replica_manager.become_leader_or_follower(ctx.body, ctx.version)


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
