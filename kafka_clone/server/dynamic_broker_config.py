"""Dynamic broker configs (KIP-226), mirroring Kafka 2.8's ``DynamicBrokerConfig``.

A broker's current config is built from three layers, later ones winning:

1. the static config (``server.properties`` and ``--override``s, Kafka's defaults below them);
2. the cluster-wide dynamic defaults in ``/config/brokers/<default>``;
3. this broker's dynamic configs in ``/config/brokers/<id>``.

The layers are merged as property strings and the result parsed again as one ``KafkaConfig``,
as Kafka's ``updateCurrentConfig`` does, so derived values keep their static rules: a dynamic
``log.retention.ms`` beats a static ``log.retention.hours`` because ms beats hours, and it beats
a static ``log.retention.ms`` because the dynamic layer wins.

What ZooKeeper holds is filtered before use, as ``fromPersistentProps`` does, each drop logged:
configs that cannot change dynamically, per-broker-only configs at the default level, and values
that do not parse. Names the broker does not know are kept (custom configs). If the merged
config is still refused, the update is logged and the previous config stays in force, as
Kafka's ``updateBrokerConfig`` catches and logs the error.

``validate_dynamic_broker_configs`` is the AlterConfigs side (``DynamicBrokerConfig.validate``):
it raises, with Kafka's wording, instead of dropping.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import attrs

from kafka_clone.common.topic_config import InvalidConfigValue, parse_value
from kafka_clone.server.config import BROKER_CONFIGS, ConfigError, KafkaConfig
from kafka_clone.server.topic_configs import BROKER_LOG_CONFIGS, TOPIC_CONFIG_SYNONYMS

__all__ = [
    "DynamicBrokerConfig", "DYNAMIC_BROKER_CONFIGS", "PER_BROKER_CONFIGS", "DEFAULT_ENTITY",
    "validate_broker_config_types", "validate_dynamic_broker_configs", "from_persistent_props",
    "current_broker_config",
]

log = logging.getLogger(__name__)

#: ``ConfigEntityName.Default``: the entity holding the cluster-wide dynamic defaults.
DEFAULT_ENTITY = "<default>"

#: ``DynamicLogConfig.ReconfigurableConfigs``: the broker names behind topic configs
#: (``LogConfig.TopicConfigSynonyms`` values), without the message format version. Only the
#: highest-priority name of a synonym group is dynamic, so ``log.retention.hours`` and
#: ``log.roll.hours`` stay static in 2.8.
DYNAMIC_LOG_CONFIGS: frozenset[str] = frozenset(TOPIC_CONFIG_SYNONYMS.values()) - {"log.message.format.version"}

#: ``DynamicBrokerConfig.AllDynamicConfigs`` restricted to the configs this broker knows:
#: the log defaults above, thread pools, the log cleaner, listeners and connection limits.
#: Everything else the broker knows is read-only; names it does not know may be stored (custom
#: configs).
DYNAMIC_BROKER_CONFIGS: frozenset[str] = DYNAMIC_LOG_CONFIGS | {
    "num.io.threads", "num.network.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir",
    "background.threads", "log.cleaner.threads", "log.cleaner.dedupe.buffer.size",
    "log.cleaner.io.buffer.load.factor", "log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second",
    "log.cleaner.backoff.ms", "metric.reporters", "listeners", "advertised.listeners",
    "listener.security.protocol.map", "max.connections", "max.connections.per.ip",
    "max.connections.per.ip.overrides", "max.connection.creation.rate",
}
#: Dynamic configs that only make sense for one broker ("broker id must be specified").
PER_BROKER_CONFIGS = frozenset({"listeners", "advertised.listeners", "listener.security.protocol.map"})


def _known(name: str) -> bool:
    return name in BROKER_CONFIGS or name in BROKER_LOG_CONFIGS


def _scala_set(names: list[str]) -> str:
    return "Set(" + ", ".join(names) + ")"


def _check_type(name: str, raw: str) -> None:
    """Parse one value with its Kafka type and validator; unknown names pass."""
    if name in BROKER_CONFIGS:
        try:
            BROKER_CONFIGS[name].parse(raw)
        except ConfigError as exc:
            raise InvalidConfigValue(str(exc)) from None
    elif name in BROKER_LOG_CONFIGS:
        spec = BROKER_LOG_CONFIGS[name]
        value = parse_value(name, raw, spec.type)
        if spec.validator is not None:
            spec.validator(name, value)


def validate_broker_config_types(configs: Mapping[str, str]) -> None:
    """``DynamicConfig.Broker.validate``: every config the broker knows parses with its type."""
    for name, raw in configs.items():
        _check_type(name, raw)


def validate_dynamic_broker_configs(configs: Mapping[str, str], *, per_broker: bool) -> None:
    """``DynamicBrokerConfig.validateConfigs``, in Kafka's order: dynamic names, then types, then
    per-broker-only names at the default level. Raises ``InvalidConfigValue`` (a ConfigException)."""
    static = [n for n in configs if _known(n) and n not in DYNAMIC_BROKER_CONFIGS]
    if static:
        raise InvalidConfigValue(f"Cannot update these configs dynamically: {_scala_set(static)}")
    validate_broker_config_types(configs)
    only_per_broker = [n for n in configs if n in PER_BROKER_CONFIGS]
    if not per_broker and only_per_broker:
        raise InvalidConfigValue("Cannot update these configs at default cluster level, broker id must be "
                                 f"specified: {_scala_set(only_per_broker)}")


def from_persistent_props(props: Mapping[str, str], *, per_broker: bool, quiet: bool = False) -> dict[str, str]:
    """The usable part of a ``/config/brokers/*`` znode (``fromPersistentProps``); what is dropped
    is logged unless ``quiet`` (DescribeConfigs, which reads it again on every request)."""
    report = (lambda *args: None) if quiet else log.error
    kept = dict(props)
    non_dynamic = [n for n in kept if _known(n) and n not in DYNAMIC_BROKER_CONFIGS]
    if non_dynamic:
        report("Non-dynamic configs configured in ZooKeeper will be ignored: %s", _scala_set(non_dynamic))
    misplaced = [] if per_broker else [n for n in kept if n in PER_BROKER_CONFIGS]
    if misplaced:
        report("Per-broker configs defined at default cluster level will be ignored: %s", _scala_set(misplaced))
    for name in non_dynamic + misplaced:
        kept.pop(name, None)
    for name, raw in list(kept.items()):
        try:
            _check_type(name, raw)
        except InvalidConfigValue as exc:
            report("Dynamic broker config %s=%s will be ignored: %s", name, raw, exc)
            del kept[name]
    return kept


def current_broker_config(static: KafkaConfig, default_configs: Mapping[str, str],
                          broker_configs: Mapping[str, str]) -> KafkaConfig:
    """Static < cluster default < per-broker, re-parsed as one config; raises ``ConfigError``."""
    return KafkaConfig.from_properties(static.originals, {**default_configs, **broker_configs})


@attrs.define(eq=False)
class DynamicBrokerConfig:
    """This broker's dynamic layers and the config they yield; updated by the DynamicConfigManager."""

    static_config: KafkaConfig
    broker_id: int
    #: ``currentDynamicDefaultConfigs`` and ``currentDynamicBrokerConfigs``, already filtered.
    default_configs: dict[str, str] = attrs.Factory(dict)
    broker_configs: dict[str, str] = attrs.Factory(dict)
    current: KafkaConfig = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.current is None:
            self.current = self.static_config

    def concerns(self, entity: str) -> bool:
        """Kafka's ``BrokerConfigHandler`` only applies ``<default>`` and this broker's id."""
        return entity in (DEFAULT_ENTITY, str(self.broker_id))

    def update(self, entity: str, persistent_props: Mapping[str, str]) -> bool:
        """Replace one layer and rebuild the current config; True if it changed."""
        if not self.concerns(entity):
            return False
        per_broker = entity != DEFAULT_ENTITY
        layer = from_persistent_props(persistent_props, per_broker=per_broker)
        default = self.default_configs if per_broker else layer
        mine = layer if per_broker else self.broker_configs
        try:
            config = current_broker_config(self.static_config, default, mine)
        except ConfigError as exc:
            log.error("%s configs could not be applied, keeping the current ones: %s: %s",
                      "Per-broker" if per_broker else "Cluster default", dict(persistent_props), exc)
            return False
        self.default_configs, self.broker_configs = dict(default), dict(mine)
        changed = config != self.current
        self.current = config
        return changed
