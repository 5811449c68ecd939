"""DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44, KIP-339).

Mirrors Kafka 2.8's ``ConfigHelper.describeConfigs`` and ``ZkAdminManager.alterConfigs`` /
``incrementalAlterConfigs``. Any broker answers (2.8 writes ZooKeeper directly from the broker
that got the request; KIP-590 forwarding came later); every topic change goes through
``zk/admin_zk_client.py``, so each broker learns it from ``/config/changes``.

Describe, per resource (an error is that resource's result, never the whole response):

* The broker's values are its current config (KIP-226): ``server.properties`` overlaid with the
  dynamic cluster defaults (``/config/brokers/<default>``) and this broker's dynamic configs
  (``/config/brokers/<id>``), merged as ``dynamic_broker_config`` does. A synonym's source is
  the first layer holding it: DYNAMIC_BROKER_CONFIG (2), DYNAMIC_DEFAULT_BROKER_CONFIG (3),
  STATIC_BROKER_CONFIG (4), else DEFAULT_CONFIG (5), as ``ConfigHelper.configSynonyms`` orders them.
* TOPIC: every topic config with its effective value (broker log defaults + overrides), source
  DYNAMIC_TOPIC_CONFIG (1) for an override, else the source of the first broker synonym,
  ``read_only`` false.
  Kafka keeps only the synonyms from the topic config's own broker name on (a filter meant for
  listener prefixes), so ``retention.ms`` with only ``log.retention.hours`` in
  ``server.properties`` shows no synonyms and source DEFAULT_CONFIG although the value comes
  from the file; we reproduce that. An unknown topic is UNKNOWN_TOPIC_OR_PARTITION (3).
* BROKER with our id: ``server.properties`` entries and every known broker config (``null``
  when unset), ``read_only`` unless Kafka can change it dynamically (KIP-226), names the broker
  does not know reported as sensitive with a null value, as Kafka does. The empty name lists the
  cluster-wide dynamic defaults (synonyms from every layer but the per-broker one). Another id
  is INVALID_REQUEST (42).
* ``configuration_keys`` selects names exactly (null lists all; KAFKA-12235's fix is in 2.8).

Alter: AlterConfigs replaces a resource's whole override set; IncrementalAlterConfigs applies
SET/DELETE/APPEND/SUBTRACT (the last two only to LIST configs) to the stored overrides.
``validate_only`` runs every check and writes nothing. Errors, with Kafka's codes and wording:
INVALID_REQUEST (42) for null values, duplicate keys, unsupported resource types, a foreign
broker id and any bad value (``Invalid config value for resource ConfigResource(type=TOPIC,
name='t'): Invalid value ...``); INVALID_CONFIG (40) for unknown names and conflicting
compaction lags; UNKNOWN_TOPIC_OR_PARTITION (3). No ``alter.config.policy.class.name`` is
supported, so POLICY_VIOLATION (44) is never returned. A broker resource is checked as
``DynamicBrokerConfig.validate`` does (``Cannot update these configs dynamically: Set(...)`` for a
config that is not dynamic, the type of every config the broker knows, per-broker-only configs
at the default level; names the broker does not know are stored as custom configs, as in
Kafka), then stored in ``/config/brokers/<id|<default>>``; every broker applies it from
``/config/changes`` (``DynamicConfigManager``).

BROKER_LOGGER (KIP-412) maps Kafka's ``Log4jController`` onto Python's ``logging``: describe lists
``root`` and every logger with its effective level (log4j names: WARN for WARNING, FATAL for
CRITICAL, TRACE below DEBUG); IncrementalAlterConfigs SETs a level or DELETEs it (the logger then
inherits its parent's). Levels change in this process only and are not stored, as in Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from kafka_clone.common import topic as topic_rules
from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    InvalidConfig, InvalidRequest, InvalidTopicException, KafkaError, UnknownTopicOrPartition,
)
from kafka_clone.protocol.messages.configs import (
    AlterConfigsResourceResponse, AlterConfigsResponse, DescribeConfigsResourceResult, DescribeConfigsResponse,
    DescribeConfigsResult, DescribeConfigsSynonym, IncrementalAlterConfigsResponse,
)
from kafka_clone.server.apis import RequestContext, handles
from kafka_clone.server.config import BROKER_CONFIGS, ConfigError, KafkaConfig
from kafka_clone.server.dynamic_broker_config import (
    DYNAMIC_BROKER_CONFIGS, current_broker_config, from_persistent_props, validate_dynamic_broker_configs,
)
from kafka_clone.server.topic_configs import (
    BROKER_LOG_CONFIGS, TOPIC_CONFIG_SYNONYMS, TOPIC_CONFIGS, ConfigSource, ConfigType, InvalidConfigValue,
    broker_config_synonyms, broker_config_type, broker_log_defaults, broker_value, effective_topic_values,
    static_default_broker_configs, to_config_string,
)
from zk.admin_zk_client import BROKER, DEFAULT_ENTITY, TOPIC, AdminZkClient

log = logging.getLogger(__name__)

# ConfigResource.Type ids (2.8 has no GROUP resource; unknown ids read as UNKNOWN).
TOPIC_RESOURCE = 2
BROKER_RESOURCE = 4
BROKER_LOGGER_RESOURCE = 8
_RESOURCE_NAMES = {TOPIC_RESOURCE: "TOPIC", BROKER_RESOURCE: "BROKER", BROKER_LOGGER_RESOURCE: "BROKER_LOGGER"}

# AlterConfigOp.OpType ids (KIP-339).
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
_OP_NAMES = {SET: "SET", DELETE: "DELETE", APPEND: "APPEND", SUBTRACT: "SUBTRACT"}

def _resource_string(resource_type: int, name: str) -> str:
    """``ConfigResource.toString``, as Kafka's messages show it."""
    return f"ConfigResource(type={_RESOURCE_NAMES.get(resource_type, 'UNKNOWN')}, name='{name}')"


def _api_error(exc: Exception) -> tuple[int, str | None]:
    """``ApiError.fromThrowable``: the code, and the message unless it is the code's default."""
    if isinstance(exc, topic_rules.InvalidTopicError):
        exc = InvalidTopicException(str(exc))
    if isinstance(exc, KafkaError):
        message = str(exc)
        return exc.code, None if message == exc.message else message
    log.error("Unexpected error processing a config request", exc_info=exc)
    return -1, None


# ------------------------------------------------------------------------------ broker loggers

ROOT_LOGGER = "root"
#: ``LogLevelConfig.VALID_LOG_LEVELS`` and the Python level each one sets.
LOG_LEVELS = {"TRACE": 5, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
              "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


def _logger(name: str) -> logging.Logger | None:
    if name == ROOT_LOGGER:
        return logging.getLogger()
    found = logging.root.manager.loggerDict.get(name)
    return found if isinstance(found, logging.Logger) else None


def _level_name(level: int) -> str:
    """The log4j name of a Python level: the highest named level at or below it."""
    named = [n for n, v in LOG_LEVELS.items() if v <= level]
    return max(named, key=LOG_LEVELS.__getitem__) if named else "TRACE"


def current_loggers() -> dict[str, str]:
    """``Log4jController.loggers``: every existing logger and ``root`` with its effective level."""
    loggers = {name: _level_name(found.getEffectiveLevel())
               for name, found in sorted(logging.root.manager.loggerDict.items()) if isinstance(found, logging.Logger)}
    loggers[ROOT_LOGGER] = _level_name(logging.getLogger().getEffectiveLevel())
    return loggers


def _logger_broker_id(ctx: RequestContext, name: str) -> None:
    if not name:
        raise InvalidRequest("Broker id must not be empty")
    try:
        broker_id = int(name)
    except ValueError:
        raise InvalidRequest(f"Broker id must be an integer, but it is: {name}") from None
    if broker_id != ctx.broker.broker_id:
        raise InvalidRequest(f"Unexpected broker id, expected {ctx.broker.broker_id} but received {name}")


def _alter_loggers(ops: Sequence[Any], validate_only: bool) -> None:
    """``validateLogLevelConfigs`` then ``alterLogLevelConfigs``: all checked before any applies."""
    for op in ops:
        if op.config_operation in (APPEND, SUBTRACT):
            raise InvalidRequest(f"{_OP_NAMES[op.config_operation]} operation is not allowed for the "
                                 "BROKER_LOGGER resource")
        if op.config_operation not in (SET, DELETE):
            raise InvalidRequest(f"Unknown config operation {op.config_operation} for config key: {op.name}")
        if _logger(op.name) is None:
            raise InvalidConfigValue(f"Logger {op.name} does not exist!")
        if op.config_operation == SET and op.value not in LOG_LEVELS:
            raise InvalidConfigValue(f"Cannot set the log level of {op.name} to {op.value} as it is not a "
                                     f"supported log level. Valid log levels are {', '.join(LOG_LEVELS)}")
        if op.config_operation == DELETE and op.name == ROOT_LOGGER:
            raise InvalidRequest(f"Removing the log level of the {ROOT_LOGGER} logger is not allowed")
    if validate_only:
        return
    for op in ops:
        target = _logger(op.name)
        assert target is not None
        target.setLevel(LOG_LEVELS[op.value] if op.config_operation == SET else logging.NOTSET)
        log.info("Set the log level of %s to %s", op.name, op.value if op.config_operation == SET else "its parent's")


# ------------------------------------------------------------------------------ describe


Sources = Sequence[tuple[ConfigSource, Mapping[str, str]]]


def _config_synonyms(name: str, synonyms: Sequence[str], sensitive: bool,
                     sources: Sources) -> list[DescribeConfigsSynonym]:
    """``ConfigHelper.configSynonyms``: by source priority, then synonym priority; entries before
    the first one for ``name`` itself are dropped, as Kafka does."""
    found = [
        DescribeConfigsSynonym(name=s, value=None if sensitive else values[s], source=int(source))
        for source, values in sources for s in synonyms if s in values
    ]
    first = next((i for i, s in enumerate(found) if s.name == name), len(found))
    return found[first:]


def _entry(name: str, value: str | None, synonyms: list[DescribeConfigsSynonym], *, read_only: bool,
           sensitive: bool, type_: ConfigType | None, include_synonyms: bool, documentation: str | None
           ) -> DescribeConfigsResourceResult:
    source = synonyms[0].source if synonyms else int(ConfigSource.DEFAULT_CONFIG)
    return DescribeConfigsResourceResult(
        name=name, value=value, read_only=read_only, is_default=source == ConfigSource.DEFAULT_CONFIG,
        config_source=source, is_sensitive=sensitive, synonyms=tuple(synonyms) if include_synonyms else (),
        config_type=int(type_ if type_ is not None else ConfigType.UNKNOWN), documentation=documentation,
    )


def _wanted(keys: Sequence[str] | None, name: str) -> bool:
    return keys is None or name in keys


@attrs.frozen
class _BrokerView:
    """The broker's current config (static + dynamic layers) and the sources of its values."""

    config: KafkaConfig
    #: ``configSynonyms``' order: per-broker dynamic, default dynamic, static, Kafka's defaults.
    sources: tuple[tuple[ConfigSource, Mapping[str, str]], ...]

    def without(self, source: ConfigSource) -> Sources:
        return [entry for entry in self.sources if entry[0] is not source]

    def layer(self, source: ConfigSource) -> Mapping[str, str]:
        return next(values for s, values in self.sources if s is source)


async def _broker_view(ctx: RequestContext) -> _BrokerView:
    """The dynamic layers as stored in ZooKeeper, filtered and merged as the broker applies them
    (``dynamic_broker_config``). Kafka reads its in-memory copy; reading ZooKeeper gives the same
    answer once the broker has processed the change notification, and needs no broker state."""
    admin = AdminZkClient(ctx.broker.zk_client)
    static = ctx.broker.config
    stored_default = await admin.fetch_entity_config(BROKER, DEFAULT_ENTITY)
    stored_mine = await admin.fetch_entity_config(BROKER, str(ctx.broker.broker_id))
    default = from_persistent_props(stored_default, per_broker=False, quiet=True)
    mine = from_persistent_props(stored_mine, per_broker=True, quiet=True)
    try:
        current = current_broker_config(static, default, mine)
    except ConfigError as exc:
        log.warning("The dynamic broker configs in ZooKeeper are not applicable, describing the static ones: %s", exc)
        current, default, mine = static, {}, {}
    return _BrokerView(current, (
        (ConfigSource.DYNAMIC_BROKER_CONFIG, mine),
        (ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, default),
        (ConfigSource.STATIC_BROKER_CONFIG, dict(static.originals)),
        (ConfigSource.DEFAULT_CONFIG, static_default_broker_configs()),
    ))


async def _describe_topic(ctx: RequestContext, resource: Any, include_synonyms: bool, include_doc: bool,
                          view: _BrokerView) -> DescribeConfigsResult:
    topic = resource.resource_name
    topic_rules.validate(topic)
    if not ctx.broker.metadata_cache.contains_topic(topic):
        return DescribeConfigsResult(error_code=UnknownTopicOrPartition.code)
    overrides = await AdminZkClient(ctx.broker.zk_client).fetch_entity_config(TOPIC, topic)
    values = effective_topic_values(broker_log_defaults(view.config), overrides)
    entries = []
    for name in sorted(values):
        if not _wanted(resource.configuration_keys, name):
            continue
        spec = TOPIC_CONFIGS[name]
        shown = to_config_string(values[name])
        synonyms = []
        if name in TOPIC_CONFIG_SYNONYMS:
            broker_name = TOPIC_CONFIG_SYNONYMS[name]
            synonyms = _config_synonyms(broker_name, broker_config_synonyms(broker_name), False, view.sources)
        if name in overrides:
            synonyms.insert(0, DescribeConfigsSynonym(name=name, value=shown,
                                                      source=int(ConfigSource.DYNAMIC_TOPIC_CONFIG)))
        entries.append(_entry(name, shown, synonyms, read_only=False, sensitive=False, type_=spec.type,
                              include_synonyms=include_synonyms,
                              documentation=spec.documentation if include_doc else None))
    return DescribeConfigsResult(configs=tuple(entries))


def _broker_id(ctx: RequestContext, name: str, *, describing: bool) -> int | None:
    """``getBrokerId``: None for the cluster default (empty name), else it must be our id."""
    if not name:
        return None
    try:
        broker_id = int(name)
    except ValueError:
        raise InvalidRequest(f"Broker id must be an integer, but it is: {name}") from None
    if broker_id != ctx.broker.broker_id:
        expected = f"{ctx.broker.broker_id} or empty string" if describing else f"{ctx.broker.broker_id}"
        raise InvalidRequest(f"Unexpected broker id, expected {expected}, but received {name}")
    return broker_id


def _broker_values(config: KafkaConfig) -> dict[str, Any]:
    """``allConfigs(config)``: the originals, overlaid with the parsed value of every known config."""
    values: dict[str, Any] = dict(config.originals)
    values.update({name: config[name] for name in BROKER_CONFIGS})
    values.update({name: broker_value(config, name) for name in BROKER_LOG_CONFIGS})
    return values


async def _describe_broker(ctx: RequestContext, resource: Any, include_synonyms: bool, include_doc: bool,
                           view: _BrokerView) -> DescribeConfigsResult:
    broker_id = _broker_id(ctx, resource.resource_name, describing=True)
    sources: Sources = view.sources
    if broker_id is None:
        # createBrokerConfigEntry(perBrokerConfig = false): the default entity's own entries,
        # with every synonym but the per-broker ones.
        values: dict[str, Any] = dict(view.layer(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG))
        sources = view.without(ConfigSource.DYNAMIC_BROKER_CONFIG)
    else:
        values = _broker_values(view.config)
    entries = []
    for name in sorted(values):
        if not _wanted(resource.configuration_keys, name):
            continue
        type_ = broker_config_type(name)
        # Kafka's maybeSensitive: a config it cannot type may hold a secret. Kafka knows the
        # dynamic configs this broker does not declare, so those are not hidden.
        sensitive = type_ is ConfigType.PASSWORD or (type_ is None and name not in DYNAMIC_BROKER_CONFIGS)
        value = values[name]
        shown = None if sensitive else value if isinstance(value, str) else to_config_string(value)
        synonyms = _config_synonyms(name, broker_config_synonyms(name), sensitive, sources)
        entries.append(_entry(name, shown, synonyms, read_only=name not in DYNAMIC_BROKER_CONFIGS,
                              sensitive=sensitive, type_=type_, include_synonyms=include_synonyms,
                              documentation=None))
    return DescribeConfigsResult(configs=tuple(entries))


@handles(ApiKey.DESCRIBE_CONFIGS)
async def handle_describe_configs(ctx: RequestContext) -> DescribeConfigsResponse:
    body = ctx.body
    include_synonyms = bool(ctx.version >= 1 and body.include_synonyms)
    include_doc = bool(ctx.version >= 3 and body.include_documentation)
    view = await _broker_view(ctx) if any(
        r.resource_type in (TOPIC_RESOURCE, BROKER_RESOURCE) for r in body.resources) else None
    results = []
    for resource in body.resources:
        try:
            if resource.resource_type == TOPIC_RESOURCE:
                result = await _describe_topic(ctx, resource, include_synonyms, include_doc, view)
            elif resource.resource_type == BROKER_RESOURCE:
                result = await _describe_broker(ctx, resource, include_synonyms, include_doc, view)
            elif resource.resource_type == BROKER_LOGGER_RESOURCE:
                _logger_broker_id(ctx, resource.resource_name)
                result = DescribeConfigsResult(configs=tuple(
                    DescribeConfigsResourceResult(
                        name=name, value=level, read_only=False, is_sensitive=False,
                        config_source=int(ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG))
                    for name, level in current_loggers().items() if _wanted(resource.configuration_keys, name)))
            else:
                name = _RESOURCE_NAMES.get(resource.resource_type, "UNKNOWN")
                raise InvalidRequest(f"Unsupported resource type: {name}")
        except Exception as exc:
            log.info("Error processing describe configs request for resource %s: %s",
                     _resource_string(resource.resource_type, resource.resource_name), exc)
            code, message = _api_error(exc)
            result = DescribeConfigsResult(error_code=code, error_message=message)
        results.append(DescribeConfigsResult(
            error_code=result.error_code, error_message=result.error_message, configs=result.configs,
            resource_type=resource.resource_type, resource_name=resource.resource_name))
    return DescribeConfigsResponse(throttle_time_ms=0, results=tuple(results))


# ------------------------------------------------------------------------------ alter


async def _alter_topic(ctx: RequestContext, topic: str, props: Mapping[str, str], validate_only: bool) -> None:
    """``ZkAdminManager.alterTopicConfigs``."""
    if not ctx.broker.metadata_cache.contains_topic(topic):
        raise UnknownTopicOrPartition(f"The topic '{topic}' does not exist.")
    admin = AdminZkClient(ctx.broker.zk_client)
    await admin.validate_topic_config(topic, props)
    if not validate_only:
        log.info("Updating topic %s with new configuration %s", topic, dict(props))
        await admin.change_topic_config(topic, props)


async def _alter_broker(ctx: RequestContext, name: str, props: Mapping[str, str], validate_only: bool) -> None:
    """``ZkAdminManager.alterBrokerConfigs``: ``DynamicBrokerConfig.validate``, then store."""
    broker_id = _broker_id(ctx, name, describing=False)
    validate_dynamic_broker_configs(props, per_broker=broker_id is not None)
    if not validate_only:
        await AdminZkClient(ctx.broker.zk_client).change_broker_config(broker_id, props)


def _list_type(name: str, resource_type: int) -> bool:
    if resource_type == TOPIC_RESOURCE:
        spec = TOPIC_CONFIGS.get(name)
        type_ = spec.type if spec is not None else None
    else:
        type_ = broker_config_type(name)
    if type_ is None:
        # Kafka means to say this (its Scala map lookup throws first, answering UNKNOWN_SERVER_ERROR).
        raise InvalidConfig(f"Unknown topic config name: {name}")
    return type_ is ConfigType.LIST


def _list_default(name: str, resource_type: int) -> str:
    if resource_type == TOPIC_RESOURCE:
        return to_config_string(TOPIC_CONFIGS[name].default) or ""
    default = BROKER_CONFIGS[name].default if name in BROKER_CONFIGS else BROKER_LOG_CONFIGS[name].default
    return to_config_string(default) or ""


def _java_split_comma(text: str) -> list[str]:
    """``String.split(",")``: trailing empty strings go, but ``""`` splits to ``[""]``."""
    if "," not in text:
        return [text]
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _multiset_diff(old: list[str], remove: list[str]) -> list[str]:
    """Scala's ``Seq.diff``: each element of ``remove`` cancels one occurrence."""
    left = list(remove)
    out = []
    for item in old:
        if item in left:
            left.remove(item)
        else:
            out.append(item)
    return out


def _prepare_incremental(ops: Sequence[Any], props: dict[str, str], resource_type: int) -> None:
    """``ZkAdminManager.prepareIncrementalConfigs``: apply the KIP-339 operations to ``props``."""
    for op in ops:
        name, value = op.name, op.value
        if op.config_operation == SET:
            props[name] = value
        elif op.config_operation == DELETE:
            props.pop(name, None)
        elif op.config_operation in (APPEND, SUBTRACT):
            verb = "append" if op.config_operation == APPEND else "subtract"
            if not _list_type(name, resource_type):
                raise InvalidRequest(f"Config value {verb} is not allowed for config key: {name}")
            old = _java_split_comma(props[name] if name in props else _list_default(name, resource_type))
            given = _java_split_comma(value)
            new = old + given if op.config_operation == APPEND else _multiset_diff(old, given)
            props[name] = ",".join(new)
        else:
            raise InvalidRequest(f"Unknown config operation {op.config_operation} for config key: {name}")


def _unique_resources(resources: Sequence[Any]) -> list[Any]:
    """Kafka builds a map keyed by resource: a repeated resource counts once, the last one wins."""
    by_key: dict[tuple[int, str], Any] = {}
    for r in resources:
        by_key[(r.resource_type, r.resource_name)] = r
    return list(by_key.values())


def _response_entry(resource: Any, exc: Exception | None) -> AlterConfigsResourceResponse:
    if exc is None:
        code, message = 0, None
    elif isinstance(exc, (InvalidConfigValue, ConfigError)):
        where = _resource_string(resource.resource_type, resource.resource_name)
        code, message = InvalidRequest.code, f"Invalid config value for resource {where}: {exc}"
    else:
        code, message = _api_error(exc)
    if exc is not None:
        log.info("Error processing alter configs request for resource %s: %s",
                 _resource_string(resource.resource_type, resource.resource_name), exc)
    return AlterConfigsResourceResponse(error_code=code, error_message=message,
                                        resource_type=resource.resource_type, resource_name=resource.resource_name)


def _unsupported(resource: Any) -> InvalidRequest:
    name = _RESOURCE_NAMES.get(resource.resource_type, "UNKNOWN")
    return InvalidRequest(f"AlterConfigs is only supported for topics and brokers, but resource type is {name}")


@handles(ApiKey.ALTER_CONFIGS)
async def handle_alter_configs(ctx: RequestContext) -> AlterConfigsResponse:
    responses = []
    for resource in _unique_resources(ctx.body.resources):
        error: Exception | None = None
        try:
            nulls = [c.name for c in resource.configs if c.value is None]
            if nulls:
                raise InvalidRequest(f"Null value not supported for : {','.join(nulls)}")
            props = {c.name: c.value for c in resource.configs}
            if resource.resource_type == TOPIC_RESOURCE:
                await _alter_topic(ctx, resource.resource_name, props, ctx.body.validate_only)
            elif resource.resource_type == BROKER_RESOURCE:
                await _alter_broker(ctx, resource.resource_name, props, ctx.body.validate_only)
            else:
                raise _unsupported(resource)
        except Exception as exc:
            error = exc
        responses.append(_response_entry(resource, error))
    return AlterConfigsResponse(throttle_time_ms=0, responses=tuple(responses))


@handles(ApiKey.INCREMENTAL_ALTER_CONFIGS)
async def handle_incremental_alter_configs(ctx: RequestContext) -> IncrementalAlterConfigsResponse:
    responses = []
    for resource in _unique_resources(ctx.body.resources):
        error: Exception | None = None
        try:
            names = [c.name for c in resource.configs]
            duplicates = list(dict.fromkeys(n for n in names if names.count(n) > 1))
            if duplicates:
                raise InvalidRequest(f"Error due to duplicate config keys : {','.join(duplicates)}")
            nulls = [f"{_OP_NAMES.get(c.config_operation, c.config_operation)}:{c.name}"
                     for c in resource.configs if c.value is None and c.config_operation != DELETE]
            if nulls:
                raise InvalidRequest(f"Null value not supported for : {','.join(nulls)}")
            admin = AdminZkClient(ctx.broker.zk_client)
            if resource.resource_type == TOPIC_RESOURCE:
                props = await admin.fetch_entity_config(TOPIC, resource.resource_name)
                _prepare_incremental(resource.configs, props, TOPIC_RESOURCE)
                await _alter_topic(ctx, resource.resource_name, props, ctx.body.validate_only)
            elif resource.resource_type == BROKER_RESOURCE:
                broker_id = _broker_id(ctx, resource.resource_name, describing=False)
                entity = DEFAULT_ENTITY if broker_id is None else str(broker_id)
                props = await admin.fetch_entity_config(BROKER, entity)
                _prepare_incremental(resource.configs, props, BROKER_RESOURCE)
                await _alter_broker(ctx, resource.resource_name, props, ctx.body.validate_only)
            elif resource.resource_type == BROKER_LOGGER_RESOURCE:
                _broker_id(ctx, resource.resource_name, describing=False)
                _alter_loggers(resource.configs, ctx.body.validate_only)
            else:
                raise _unsupported(resource)
        except Exception as exc:
            error = exc
        responses.append(_response_entry(resource, error))
    return IncrementalAlterConfigsResponse(throttle_time_ms=0, responses=tuple(responses))
