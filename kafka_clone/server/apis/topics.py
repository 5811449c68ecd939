"""CreateTopics (19), DeleteTopics (20), CreatePartitions (37): topic administration.

As in Kafka 2.8 (without KIP-590 forwarding), these go to the controller: any other broker
answers NOT_CONTROLLER and the admin client retries against the controller named in Metadata.
The controller's broker writes ZooKeeper (`ZkAdminManager`) and waits until the new metadata has
reached it, so that a client can use the topic as soon as it gets the answer.
"""

from __future__ import annotations

import logging

import attrs

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    InvalidRequest, KafkaError, NotController, RequestTimedOut, TopicDeletionDisabled,
)
from kafka_clone.protocol.messages.topics import (
    CreatableTopicResult, CreatePartitionsResponse, CreatePartitionsTopicResult, CreateTopicsResponse,
    DeletableTopicResult, DeleteTopicsResponse,
)
from kafka_clone.server.admin_manager import TopicCreation, as_kafka_error
from kafka_clone.server.apis import RequestContext, handles

log = logging.getLogger(__name__)


def _is_controller(ctx: RequestContext) -> bool:
    return ctx.broker.controller is not None and ctx.broker.controller.is_active


@handles(ApiKey.CREATE_TOPICS)
async def handle_create_topics(ctx: RequestContext):
    body = ctx.body
    admin = ctx.broker.topic_admin
    results: dict[str, CreatableTopicResult] = {}
    planned: list[TopicCreation] = []
    names = [t.name for t in body.topics]
    for t in body.topics:
        try:
            if names.count(t.name) > 1:
                raise InvalidRequest(f"Create topics request from client contains duplicate topic {t.name}")
            if not _is_controller(ctx):
                raise NotController("This is not the correct controller for this cluster.")
            creation = admin.plan_topic(
                t.name, t.num_partitions, t.replication_factor,
                {a.partition_index: tuple(a.broker_ids) for a in t.assignments},
                {c.name: c.value for c in t.configs if c.value is not None})
            if not body.validate_only:
                await admin.create_topic(creation)
            planned.append(creation)
            rf = len(next(iter(creation.assignment.values())))
            results[t.name] = CreatableTopicResult(name=t.name, error_code=0, num_partitions=len(creation.assignment),
                                                   replication_factor=rf)
        except Exception as exc:
            err = as_kafka_error(exc)
            results[t.name] = CreatableTopicResult(name=t.name, error_code=err.code, error_message=str(err) or None)
    if planned and not body.validate_only:
        created = await admin.wait_for(lambda: all(admin.has_leaders(c.name, len(c.assignment)) for c in planned),
                                       body.timeout_ms)
        if not created:
            for c in planned:
                if not admin.has_leaders(c.name, len(c.assignment)):
                    results[c.name] = CreatableTopicResult(
                        name=c.name, error_code=RequestTimedOut.code,
                        error_message="Timed out waiting for the topic's partitions to get leaders.")
    for c in planned:
        topic_id = ctx.broker.metadata_cache.snapshot.topic_ids.get(c.name)
        if topic_id is not None:
            results[c.name] = _with_topic_id(results[c.name], topic_id)
    return CreateTopicsResponse(topics=tuple(results[n] for n in dict.fromkeys(names)))


def _with_topic_id(result: CreatableTopicResult, topic_id) -> CreatableTopicResult:
    return attrs.evolve(result, topic_id=topic_id)


@handles(ApiKey.DELETE_TOPICS)
async def handle_delete_topics(ctx: RequestContext):
    body = ctx.body
    admin = ctx.broker.topic_admin
    names = list(body.topic_names) if ctx.version < 6 else [t.name for t in body.topics if t.name is not None]
    results: dict[str, int] = {}
    messages: dict[str, str] = {}
    for name in names:
        try:
            if not _is_controller(ctx):
                raise NotController("This is not the correct controller for this cluster.")
            if not ctx.broker.config["delete.topic.enable"]:
                raise TopicDeletionDisabled("Topic deletion is disabled.")
            await admin.delete_topic(name)
            results[name] = 0
        except KafkaError as exc:
            results[name], messages[name] = exc.code, str(exc)
    pending = [n for n, code in results.items() if code == 0]
    if pending and not await admin.wait_for(
            lambda: not any(ctx.broker.metadata_cache.contains_topic(n) for n in pending), body.timeout_ms):
        for n in pending:
            if ctx.broker.metadata_cache.contains_topic(n):
                results[n], messages[n] = RequestTimedOut.code, "Timed out waiting for the topic to be deleted."
    return DeleteTopicsResponse(responses=tuple(
        DeletableTopicResult(name=n, error_code=code, error_message=messages.get(n)) for n, code in results.items()))


@handles(ApiKey.CREATE_PARTITIONS)
async def handle_create_partitions(ctx: RequestContext):
    body = ctx.body
    admin = ctx.broker.topic_admin
    results = []
    for t in body.topics:
        try:
            if not _is_controller(ctx):
                raise NotController("This is not the correct controller for this cluster.")
            await admin.create_partitions(t.name, t.count,
                                          None if t.assignments is None else [tuple(a.broker_ids) for a in t.assignments],
                                          validate_only=body.validate_only)
            if not body.validate_only and not await admin.wait_for(lambda: admin.has_leaders(t.name, t.count), body.timeout_ms):
                raise RequestTimedOut("Timed out waiting for the new partitions to get leaders.")
            results.append(CreatePartitionsTopicResult(name=t.name, error_code=0))
        except Exception as exc:
            err = as_kafka_error(exc)
            results.append(CreatePartitionsTopicResult(name=t.name, error_code=err.code, error_message=str(err) or None))
    return CreatePartitionsResponse(results=tuple(results))
