"""Metadata (3) and DescribeCluster (60): answered from the MetadataCache, never from ZooKeeper.

Mirrors `KafkaApis.handleTopicMetadataRequest` (2.8): all topics for a null list (an empty list
for v0), auto-creation of unknown topics when the client allows it and
`auto.create.topics.enable` is on (the topic is created through ZooKeeper like any other, and
this answer says LEADER_NOT_AVAILABLE until the controller has elected its leaders).
"""

from __future__ import annotations

import logging

from kafka_clone.common.topic import InvalidTopicError, validate
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    InvalidTopicException, KafkaError, LeaderNotAvailable, UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages.metadata import (
    DescribeClusterBroker, DescribeClusterResponse, MetadataResponse, MetadataResponseBroker,
)
from kafka_clone.server.apis import RequestContext, handles
from kafka_clone.server.metadata_cache import unknown_topic_metadata

log = logging.getLogger(__name__)


@handles(ApiKey.METADATA)
async def handle_metadata(ctx: RequestContext):
    body, version, broker = ctx.body, ctx.version, ctx.broker
    cache = broker.metadata_cache
    if body.topics is None or (version == 0 and not body.topics):
        requested = cache.all_topics()
    else:
        requested = [t.name for t in body.topics if t.name is not None]
    known = [t for t in requested if cache.contains_topic(t)]
    topics = cache.get_topic_metadata(known, ctx.listener_name, error_unavailable_endpoints=version == 0,
                                      error_unavailable_listeners=version >= 6)
    allow_auto = body.allow_auto_topic_creation if version >= 4 else True
    for name in requested:
        if cache.contains_topic(name):
            continue
        topics.append(unknown_topic_metadata(name, await _unknown_topic_error(ctx, name, allow_auto)))
    brokers = tuple(MetadataResponseBroker(node_id=i, host=h, port=p, rack=r)
                    for i, h, p, r in cache.alive_brokers(ctx.listener_name))
    return MetadataResponse(brokers=brokers, cluster_id=broker.cluster_id, controller_id=cache.controller_id,
                            topics=tuple(topics))


async def _unknown_topic_error(ctx: RequestContext, topic: str, allow_auto: bool) -> int:
    try:
        validate(topic)
    except InvalidTopicError:
        return InvalidTopicException.code
    broker = ctx.broker
    if not (allow_auto and broker.config["auto.create.topics.enable"]):
        return UnknownTopicOrPartition.code
    try:
        await broker.topic_admin.auto_create_topic(topic)
    except KafkaError as exc:
        # TOPIC_ALREADY_EXISTS here means another request created it a moment ago.
        if exc.code != 36:
            log.info("Auto-creation of topic %s failed: %s", topic, exc)
            return exc.code
    return LeaderNotAvailable.code


@handles(ApiKey.DESCRIBE_CLUSTER)
async def handle_describe_cluster(ctx: RequestContext):
    cache = ctx.broker.metadata_cache
    return DescribeClusterResponse(
        error_code=0, cluster_id=ctx.broker.cluster_id, controller_id=cache.controller_id,
        brokers=tuple(DescribeClusterBroker(broker_id=i, host=h, port=p, rack=r)
                      for i, h, p, r in cache.alive_brokers(ctx.listener_name)),
    )
