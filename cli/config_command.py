"""The work behind `kclone configs` (`cli/configs.py`): Kafka 2.8's ``ConfigCommand`` past its
option checks, i.e. the entity names, the ``--add-config`` syntax, and the describe/alter commands
through the admin client (``processCommand``) or ZooKeeper (``processCommandWithZk``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import urllib.parse
from pathlib import Path
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import attrs
import click
import trio

from cli.topics import ToolError
from kafka_clone.client import (
    AlterConfigOp,
    AlterConfigOpType,
    ConfigResource,
    ConfigResourceType,
    ConfigSource,
    KafkaAdminClient,
    KafkaConnectionError,
    KafkaTimeoutError,
)
from kafka_clone.client.admin import ConfigEntry
from kafka_clone.common import topic as topic_rules
from kafka_clone.common.jvm_collections import java8_hashtable_order
from kafka_clone.common.topic_config import InvalidConfigValue
from kafka_clone.protocol.errors import InvalidConfig, UnsupportedVersion
from kafka_clone.server.config import load_properties
from kafka_clone.server.dynamic_broker_config import validate_broker_config_types, validate_dynamic_broker_configs
from zk.admin_zk_client import AdminZkClient
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient

T = TypeVar("T")

TOPICS, CLIENTS, USERS, BROKERS, IPS = "topics", "clients", "users", "brokers", "ips"
BROKER_LOGGERS = "broker-loggers"
#: ``ConfigType.all``: what ``--zookeeper`` can reach.
ZK_SUPPORTED_TYPES = (TOPICS, CLIENTS, USERS, BROKERS, IPS)
#: ``BrokerSupportedConfigTypes``: ``ConfigType.all :+ broker-loggers``.
BROKER_SUPPORTED_TYPES = ZK_SUPPORTED_TYPES + (BROKER_LOGGERS,)
#: ``ConfigEntityName.Default``, the znode name of a default entity.
DEFAULT_ENTITY = "<default>"
#: ``BrokerDefaultEntityName``: how the admin client names the broker default resource.
BROKER_DEFAULT_NAME = ""
#: ``BrokerConfigsUpdatableUsingZooKeeperWhileBrokerRunning`` (replication throttles, KIP-73).
ZK_WHILE_RUNNING = frozenset({
    "leader.replication.throttled.rate", "follower.replication.throttled.rate",
    "replica.alter.log.dirs.io.max.bytes.per.second",
})
#: ``ConfigCommand`` waits for each describe 30 s and each alter 60 s (``future.get``).
DESCRIBE_TIMEOUT_S, ALTER_TIMEOUT_S = 30.0, 60.0
ZK_TIMEOUT_MS = 30000
ZK_DEPRECATION = ("Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.\n"
                  "Use --bootstrap-server instead to specify a broker to connect to.")
#: The ``(?=[^\]]*(?:\[|$))`` lookahead: a separator outside square brackets.
_OUTSIDE_BRACKETS = r"(?=[^\]]*(?:\[|$))"

# Quota configs (``DynamicConfig.Client``/``User``/``Ip``) and SCRAM mechanisms, with their types.
_CLIENT_QUOTAS = {"producer_byte_rate": "LONG", "consumer_byte_rate": "LONG", "request_percentage": "DOUBLE",
                  "controller_mutation_rate": "DOUBLE"}
_SCRAM = {"SCRAM-SHA-256": ("sha256", 4096), "SCRAM-SHA-512": ("sha512", 4096)}
_IP_QUOTAS = {"connection_creation_rate": "INT"}
DEFAULT_SCRAM_ITERATIONS = 4096


class ConfigCommandError(ToolError):
    """Kafka's ``IllegalArgumentException``/``InvalidConfigurationException``: the message alone."""


def _illegal(message: str) -> ConfigCommandError:
    return ConfigCommandError(message)


def _require(condition: bool, message: str) -> None:
    """Scala's ``require``: its ``IllegalArgumentException`` says ``requirement failed: ...``."""
    if not condition:
        raise _illegal(f"requirement failed: {message}")


# ---- parsing --------------------------------------------------------------------------------------


def _java_split(pattern: str, text: str, limit: int = 0) -> list[str]:
    """``String.split(regex, limit)``: limit 0 drops trailing empty strings, -1 keeps them."""
    parts = re.split(pattern, text)
    if limit == 0:
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
    return parts


def parse_configs_to_be_added(add_config: str | None, add_config_file: str | None) -> dict[str, str]:
    """``parseConfigsToBeAdded``: the file's properties, then ``k1=v1,k2=[v1,v2]``.

    Commas and ``=`` inside square brackets belong to the value; every bracket is then removed
    from the value (``replaceAll("\\[?\\]?", "")``), and keys and values are trimmed.
    """
    props: dict[str, str] = {}
    if add_config_file is not None:
        props.update(load_properties(add_config_file))
    if add_config is not None:
        pairs = [_java_split(r"\s*=\s*" + _OUTSIDE_BRACKETS, item, -1)
                 for item in _java_split("," + _OUTSIDE_BRACKETS, add_config)]
        _require(all(len(p) == 2 for p in pairs),
                 'Invalid entity config: all configs to be added must be in the format "key=val".')
        for key, value in pairs:
            props[key.strip()] = re.sub(r"[\[\]]", "", value).strip()
    if "message.format.version" in props:
        click.echo(f"WARNING: The configuration message.format.version={props['message.format.version']} is "
                   "specified. This configuration will be ignored if the version is newer than the "
                   "inter.broker.protocol.version specified in the broker.")
    return props


def parse_configs_to_be_deleted(values: Sequence[str]) -> list[str]:
    """``--delete-config k1,k2`` (repeatable; joptsimple splits on commas), each trimmed."""
    return [name.strip() for value in values for name in value.split(",")]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


# ---- ConfigCommandOptions -------------------------------------------------------------------------

# The specific entity flags (--topic ...) and the default flags, in ConfigCommandOptions' order.
_ENTITY_FLAGS = (("topic", TOPICS), ("client", CLIENTS), ("user", USERS), ("broker", BROKERS),
                 ("broker_logger", BROKER_LOGGERS), ("ip", IPS))
_DEFAULT_FLAGS = (("client_defaults", CLIENTS), ("user_defaults", USERS), ("broker_defaults", BROKERS),
                  ("ip_defaults", IPS))


@attrs.frozen
class _Options:
    o: dict[str, Any]
    #: The arguments as given: joptsimple keeps the order of --entity-name and --entity-default.
    argv: tuple[str, ...]

    def has(self, name: str) -> bool:
        value = self.o[name]
        return bool(value) if isinstance(value, (bool, tuple)) else value is not None

    @property
    def entity_types(self) -> list[str]:
        return list(self.o["entity_type"]) + [t for opt, t in _ENTITY_FLAGS + _DEFAULT_FLAGS if self.has(opt)]

    @property
    def entity_names(self) -> list[str]:
        """``--entity-name`` values and ``""`` per ``--entity-default``, in command-line order,
        then the specific flags' names and ``""`` per default flag."""
        names = iter(self.o["entity_name"])
        ordered: list[str] = []
        for arg in self.argv:
            if arg == "--":
                break
            if arg == "--entity-default":
                ordered.append(BROKER_DEFAULT_NAME)
            elif arg == "--entity-name" or arg.startswith("--entity-name="):
                ordered.append(next(names, ""))
        return (ordered + [self.o[opt] for opt, _ in _ENTITY_FLAGS if self.has(opt)]
                + [BROKER_DEFAULT_NAME for opt, _ in _DEFAULT_FLAGS if self.has(opt)])


def _configs_to_add(opts: _Options) -> dict[str, str]:
    file = opts.o["add_config_file"]
    if file is not None and not Path(file).is_file():
        # Utils.loadProps' NoSuchFileException.
        raise FileNotFoundError(2, "No such file", file)
    return parse_configs_to_be_added(opts.o["add_config"], file)


# ---- with --bootstrap-server (the admin client) ---------------------------------------------------


def _synonyms_text(entry: ConfigEntry) -> str:
    return ", ".join(f"{s.source.name}:{s.name}={_java_str(s.value)}" for s in entry.synonyms)


def _java_str(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class _AdminCommand:
    """``processCommand``: ``describeConfig``/``alterConfig`` through the admin client."""

    def __init__(self, opts: _Options) -> None:
        self.opts = opts
        file = opts.o["command_config"]
        if file is not None and not Path(file).is_file():
            raise FileNotFoundError(2, "No such file", file)
        props = load_properties(file) if file is not None else {}
        self.client_id = props.get("client.id", "adminclient-1")
        self.request_timeout_ms = int(props.get("request.timeout.ms", 30000))
        self.api_timeout_ms = int(props.get("default.api.timeout.ms", 60000))
        self.retry_backoff_ms = int(props.get("retry.backoff.ms", 100))

    async def run(self) -> None:
        opts = self.opts
        if opts.has("alter") and len(opts.entity_types) != len(opts.entity_names):
            raise _illegal("An entity name must be specified for every entity type")
        async with KafkaAdminClient.create(
            self.opts.o["bootstrap_server"], client_id=self.client_id, request_timeout_ms=self.request_timeout_ms,
            default_api_timeout_ms=self.api_timeout_ms, retry_backoff_ms=self.retry_backoff_ms,
        ) as admin:
            self.admin = admin
            if opts.has("alter"):
                await self.alter()
            else:
                await self.describe()

    async def _call(self, name: str, fn: Callable[[], Awaitable[T]], future_timeout_s: float) -> T:
        """One admin call: connection failures are retried (Kafka's client waits for a node) until
        the call's deadline, ``default.api.timeout.ms`` or the tool's ``future.get`` timeout."""
        with trio.move_on_after(min(future_timeout_s, self.api_timeout_ms / 1000)):
            while True:
                try:
                    return await fn()
                except KafkaConnectionError:
                    await trio.sleep(self.retry_backoff_ms / 1000)
        raise KafkaTimeoutError(f"Timed out waiting for a node assignment. Call: {name}")

    async def lacking(self, call_name: str, api_name: str) -> NoReturn:
        """A call to an API our broker does not offer: as Kafka's client, reach a broker (so a dead
        one still times out), learn its API versions, then fail."""
        await self._call(call_name, self.admin.client.any_connection, DESCRIBE_TIMEOUT_S)
        raise UnsupportedVersion(f"The broker does not support {api_name}")

    # -- describe --

    async def describe(self) -> None:
        types, names = self.opts.entity_types, self.opts.entity_names
        entity_type = types[0]
        if entity_type in (TOPICS, BROKERS, BROKER_LOGGERS):
            await self.describe_resource(entity_type, names[0] if names else None, self.opts.has("all"))
        else:
            # describeClientQuotas: the first call ConfigCommand makes for these entities.
            await self.lacking("describeClientQuotas", "DESCRIBE_CLIENT_QUOTAS")

    async def describe_resource(self, entity_type: str, name: str | None, describe_all: bool) -> None:
        if name is not None:
            entities = [name]
        elif entity_type == TOPICS:
            entities = await self._call("listTopics", lambda: self.admin.list_topics(include_internal=True),
                                        DESCRIBE_TIMEOUT_S)
        else:
            cluster = await self._call("describeCluster", self.admin.describe_cluster, DESCRIBE_TIMEOUT_S)
            entities = [str(n.node_id) for n in cluster.nodes] + [BROKER_DEFAULT_NAME]
        for entity in entities:
            if entity == BROKER_DEFAULT_NAME:
                click.echo(f"Default configs for {entity_type} in the cluster are:")
            else:
                click.echo(f"{'All' if describe_all else 'Dynamic'} configs for {entity_type[:-1]} {entity} are:")
            for entry in await self.resource_config(entity_type, entity, include_synonyms=True,
                                                    describe_all=describe_all):
                click.echo(f"  {entry.name}={_java_str(entry.value)} sensitive={_java_str(entry.is_sensitive)} "
                           f"synonyms={{{_synonyms_text(entry)}}}")

    async def resource_config(self, entity_type: str, name: str, *, include_synonyms: bool,
                              describe_all: bool) -> list[ConfigEntry]:
        """``getResourceConfig``: the entity's dynamic entries (all with ``--all``), by name."""
        def validate_broker_id() -> None:
            if not _is_int(name):
                raise _illegal(f"The entity name for {entity_type} must be a valid integer broker id, found: {name}")

        source: ConfigSource | None
        if entity_type == TOPICS:
            if name:
                topic_rules.validate(name)
            resource_type, source = ConfigResourceType.TOPIC, ConfigSource.DYNAMIC_TOPIC_CONFIG
        elif entity_type == BROKERS:
            if name == BROKER_DEFAULT_NAME:
                resource_type, source = ConfigResourceType.BROKER, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
            else:
                validate_broker_id()
                resource_type, source = ConfigResourceType.BROKER, ConfigSource.DYNAMIC_BROKER_CONFIG
        else:
            if name:
                validate_broker_id()
            resource_type, source = ConfigResourceType.BROKER_LOGGER, None
        resource = ConfigResource(resource_type, name)
        (result,) = await self._call(
            "describeConfigs",
            lambda: self.admin.describe_configs([resource], include_synonyms=include_synonyms),
            DESCRIBE_TIMEOUT_S)
        result.check()
        wanted = None if describe_all else source
        return sorted((e for e in result.entries if wanted is None or e.source == wanted), key=lambda e: e.name)

    # -- alter --

    async def alter(self) -> None:
        opts = self.opts
        entity_type, name = opts.entity_types[0], opts.entity_names[0]
        to_add = _configs_to_add(opts)
        to_delete = parse_configs_to_be_deleted(opts.o["delete_config"])
        if entity_type in (TOPICS, BROKER_LOGGERS):
            await self.alter_incrementally(entity_type, name, to_add, to_delete)
        elif entity_type == BROKERS:
            await self.alter_broker(name, to_add, to_delete)
        elif entity_type in (USERS, CLIENTS):
            await self.alter_quotas_or_scram(opts.entity_types, opts.entity_names, to_add, to_delete)
        else:
            unknown = [k for k in list(to_add) + list(to_delete) if k not in _IP_QUOTAS]
            if unknown:
                raise _illegal(f"Only connection quota configs can be added for '{IPS}' using --bootstrap-server. "
                               f"Unexpected config names: {','.join(unknown)}")
            await self.lacking("describeClientQuotas", "DESCRIBE_CLIENT_QUOTAS")
        if name:
            click.echo(f"Completed updating config for {entity_type[:-1]} {name}.")
        else:
            click.echo(f"Completed updating default config for {entity_type} in the cluster.")

    async def alter_incrementally(self, entity_type: str, name: str, to_add: Mapping[str, str],
                                  to_delete: Sequence[str]) -> None:
        if entity_type == TOPICS:
            old = {e.name for e in await self.resource_config(entity_type, name, include_synonyms=False,
                                                                describe_all=False)}
            invalid = [k for k in to_delete if k not in old]
            if invalid:
                raise _illegal(f"Invalid config(s): {','.join(invalid)}")
            resource = ConfigResource(ConfigResourceType.TOPIC, name)
        else:
            loggers = {e.name for e in await self.resource_config(entity_type, name, include_synonyms=True,
                                                                    describe_all=False)}
            invalid = [k for k in to_delete if k not in loggers] + [k for k in to_add if k not in loggers]
            if invalid:
                raise _illegal(f"Invalid broker logger(s): {','.join(invalid)}")
            resource = ConfigResource(ConfigResourceType.BROKER_LOGGER, name)
        # 2.8 lists the SETs, then the DELETEs (with an empty value).
        ops = ([AlterConfigOp(k, v, AlterConfigOpType.SET) for k, v in to_add.items()]
               + [AlterConfigOp(k, "", AlterConfigOpType.DELETE) for k in to_delete])
        (result,) = await self._call(
            "incrementalAlterConfigs", lambda: self.admin.incremental_alter_configs({resource: ops}), ALTER_TIMEOUT_S)
        result.check()

    async def alter_broker(self, name: str, to_add: Mapping[str, str], to_delete: Sequence[str]) -> None:
        """2.8 alters broker configs with the legacy AlterConfigs: the complete new dynamic set."""
        old = {e.name: e for e in await self.resource_config(BROKERS, name, include_synonyms=False,
                                                             describe_all=False)}
        invalid = [k for k in to_delete if k not in old]
        if invalid:
            raise _illegal(f"Invalid config(s): {','.join(invalid)}")
        new = {k: e.value for k, e in old.items()}
        new.update(to_add)
        for k in to_delete:
            new.pop(k, None)
        sensitive = [k for k, v in new.items() if v is None]
        if sensitive:
            raise _illegal("All sensitive broker config entries must be specified for --alter, missing entries: "
                           f"Set({', '.join(sensitive)})")
        resource = ConfigResource(ConfigResourceType.BROKER, name)
        (result,) = await self._call("alterConfigs", lambda: self.admin.alter_configs({resource: new}),
                                     ALTER_TIMEOUT_S)
        result.check()

    async def alter_quotas_or_scram(self, types: Sequence[str], names: Sequence[str], to_add: Mapping[str, str],
                                    to_delete: Sequence[str]) -> None:
        """2.8's checks for users and clients, then the first call, to an API our broker lacks."""
        def split(keys: Sequence[str]) -> tuple[list[str], list[str], bool]:
            scram = [k for k in keys if k in _SCRAM]
            unknown = [k for k in keys if k not in _SCRAM and k not in _CLIENT_QUOTAS]
            return scram, unknown, any(k in _CLIENT_QUOTAS for k in keys)

        scram_add, unknown_add, quota_add = split(list(to_add))
        scram_delete, unknown_delete, quota_delete = split(to_delete)
        # The names to add are a Scala Set, the names to delete a Buffer: their toString differs.
        if types[0] == CLIENTS or len(types) == 2:
            if unknown_add or scram_add:
                raise _illegal(f"Only quota configs can be added for '{CLIENTS}' using --bootstrap-server. "
                               f"Unexpected config names: {_scala_set(unknown_add + scram_add)}")
            if unknown_delete or scram_delete:
                raise _illegal(f"Only quota configs can be deleted for '{CLIENTS}' using --bootstrap-server. "
                               f"Unexpected config names: {_scala_buffer(unknown_delete + scram_delete)}")
        else:
            if unknown_add:
                raise _illegal(f"Only quota and SCRAM credential configs can be added for '{USERS}' using "
                               f"--bootstrap-server. Unexpected config names: {_scala_set(unknown_add)}")
            if unknown_delete:
                raise _illegal(f"Only quota and SCRAM credential configs can be deleted for '{USERS}' using "
                               f"--bootstrap-server. Unexpected config names: {_scala_buffer(unknown_delete)}")
            if scram_add or scram_delete:
                if any(n == "" for n in names):
                    raise _illegal("The use of --entity-default or --user-defaults is not allowed with User SCRAM "
                                   "Credentials using --bootstrap-server.")
                if quota_add or quota_delete:
                    raise _illegal(f"Cannot alter both quota and SCRAM credential configs simultaneously for "
                                   f"'{USERS}' using --bootstrap-server.")
        if quota_add or quota_delete:
            # alterQuotaConfigs starts by reading the current quotas.
            await self.lacking("describeClientQuotas", "DESCRIBE_CLIENT_QUOTAS")
        await self.lacking("alterUserScramCredentials", "ALTER_USER_SCRAM_CREDENTIALS")


def _scala_set(names: Sequence[str]) -> str:
    return "Set(" + ", ".join(names) + ")"


def _scala_buffer(names: Sequence[str]) -> str:
    return "ArrayBuffer(" + ", ".join(names) + ")"


# ---- with --zookeeper (AdminZkClient) -------------------------------------------------------------


def _sanitize(name: str) -> str:
    """``Sanitizer.sanitize``: URL-encoding as Java's URLEncoder, with ``%20`` for spaces and ``%2A``."""
    return urllib.parse.quote(name, safe="").replace("~", "%7E")


@attrs.frozen
class _Entity:
    """``ConfigCommand.Entity``: a type and a sanitized name (None: every entity of the type)."""

    entity_type: str
    sanitized_name: str | None

    def __str__(self) -> str:
        type_name = {USERS: "user-principal", CLIENTS: "client-id", TOPICS: "topic"}.get(
            self.entity_type, self.entity_type)
        if self.sanitized_name == DEFAULT_ENTITY:
            return f"default {type_name}"
        if self.sanitized_name is None:
            return self.entity_type
        name = self.sanitized_name
        if self.entity_type in (USERS, CLIENTS):
            name = urllib.parse.unquote(name)
        return f"{type_name} '{name}'"


@attrs.frozen
class _ConfigEntity:
    root: _Entity
    child: _Entity | None = None

    @property
    def full_sanitized_name(self) -> str:
        name = self.root.sanitized_name or ""
        if self.child is not None:
            name += f"/{self.child.entity_type}"
            if self.child.sanitized_name is not None:
                name += f"/{self.child.sanitized_name}"
        return name

    def __str__(self) -> str:
        return str(self.root) + (f", {self.child}" if self.child is not None else "")


def _parse_entity(opts: _Options) -> _ConfigEntity:
    """``parseEntity``: users and clients may be nested (``users/<u>/clients/<c>``)."""
    types, names = opts.entity_types, opts.entity_names
    if types[0] not in (USERS, CLIENTS):
        name = names[0] if names else None
        return _ConfigEntity(_Entity(types[0], DEFAULT_ENTITY if name == "" else name))
    if opts.has("alter") and len(types) != len(names):
        raise _illegal("--entity-name or --entity-default must be specified with each --entity-type for --alter")
    reverse = len(types) == 2 and types[0] == CLIENTS
    if reverse:
        types = list(reversed(types))
        if len(names) == 2:
            names = list(reversed(names))
    entities = [_Entity(t, (DEFAULT_ENTITY if names[i] == "" else _sanitize(names[i])) if i < len(names) else None)
                for i, t in enumerate(types)]
    return _ConfigEntity(entities[0], entities[1] if len(entities) > 1 else None)


def _validate_quotas(configs: Mapping[str, str], known: Mapping[str, str]) -> None:
    """``DynamicConfig.validate`` for clients, users and ips: known names, values of their type."""
    unknown = [k for k in configs if k not in known]
    _require(not unknown, f"Unknown Dynamic Configuration: {_scala_set(unknown)}.")
    for k, v in configs.items():
        kind = known[k]
        if kind == "STRING":
            continue
        try:
            float(v.strip()) if kind == "DOUBLE" else int(v.strip())
        except ValueError:
            raise InvalidConfigValue(f"Invalid value {v} for configuration {k}: Not a number of type {kind}") from None


def _scram_credential(mechanism: str, text: str) -> str:
    """``preProcessScramCredentials``: ``[iterations=N,]password=P`` becomes the stored
    ``salt=...,stored_key=...,server_key=...,iterations=N`` (RFC 5802, as ``ScramFormatter``)."""
    m = re.fullmatch(r"(?:iterations=([0-9]*),)?password=(.*)", text, re.DOTALL)
    if m is None:
        raise _illegal(f"Invalid credential property {mechanism}={text}")
    digest, minimum = _SCRAM[mechanism]
    iterations = int(m.group(1)) if m.group(1) else DEFAULT_SCRAM_ITERATIONS
    if iterations < minimum:
        raise _illegal(f"Iterations {iterations} is less than the minimum {minimum} required for {mechanism}")
    # ScramFormatter's salt: the UTF-8 bytes of a random 130-bit number written in base 36.
    salt = _base36(secrets.randbits(130)).encode()
    salted = hashlib.pbkdf2_hmac(digest, m.group(2).encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    stored_key = hashlib.new(digest, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"salt={b64(salt)},stored_key={b64(stored_key)},server_key={b64(server_key)},iterations={iterations}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


class _ZkCommand:
    """``processCommandWithZk``: ``alterConfigWithZk``/``describeConfigWithZk``."""

    def __init__(self, opts: _Options) -> None:
        self.opts = opts

    async def run(self) -> None:
        connect = self.opts.o["zookeeper"]
        async with ZkClient.open(connect, session_timeout_ms=ZK_TIMEOUT_MS, connection_timeout_ms=ZK_TIMEOUT_MS) as zk:
            self.zk_client = KafkaZkClient(zk)
            self.admin = AdminZkClient(self.zk_client)
            if self.opts.has("alter"):
                await self.alter()
            else:
                await self.describe()

    async def alter(self) -> None:
        to_add = _configs_to_add(self.opts)
        to_delete = parse_configs_to_be_deleted(self.opts.o["delete_config"])
        entity = _parse_entity(self.opts)
        entity_type, name = entity.root.entity_type, entity.full_sanitized_name
        if entity_type == USERS:
            for mechanism in _SCRAM:
                if mechanism in to_add:
                    to_add[mechanism] = _scram_credential(mechanism, to_add[mechanism])
        elif entity_type == BROKERS:
            dynamic = [k for k in to_add if k not in ZK_WHILE_RUNNING]
            if dynamic:
                await self.check_brokers_down(name, dynamic)
                # preProcessBrokerConfigs: what a broker would refuse is refused before writing.
                validate_dynamic_broker_configs(to_add, per_broker=name != DEFAULT_ENTITY)

        configs = await self.admin.fetch_entity_config(entity_type, name)
        invalid = [k for k in to_delete if k not in configs]
        if invalid:
            raise _illegal(f"Invalid config(s): {','.join(invalid)}")
        # Properties ++= Properties: the added ones in their Hashtable order.
        for k in java8_hashtable_order(list(to_add)):
            configs[k] = to_add[k]
        for k in to_delete:
            configs.pop(k, None)
        await self.change_configs(entity_type, name, configs)
        click.echo(f"Completed updating config for entity: {entity}.")

    async def check_brokers_down(self, name: str, dynamic: Sequence[str]) -> None:
        message = f"--bootstrap-server option must be specified to update broker configs {_scala_set(dynamic)}."
        info = ("Broker configuration updates using ZooKeeper are supported for bootstrapping before brokers are "
                "started to enable encrypted password configs to be stored in ZooKeeper.")
        brokers = await self.zk_client.get_all_brokers_in_cluster()
        if name != DEFAULT_ENTITY:
            _require(int(name) not in brokers, f"{message} when broker {name} is running. {info}")
        else:
            _require(not brokers, f"{message} for default cluster if any broker is running. {info}")

    async def change_configs(self, entity_type: str, name: str, configs: Mapping[str, str]) -> None:
        """``AdminZkClient.changeConfigs``: validate for the entity type, store, notify."""
        try:
            if entity_type == TOPICS:
                await self.admin.change_topic_config(name, configs)
                return
            if entity_type == BROKERS:
                validate_broker_config_types(configs)  # DynamicConfig.Broker.validate
            elif entity_type == CLIENTS or (entity_type == USERS and (name == DEFAULT_ENTITY or "/clients" in name)):
                _validate_quotas(configs, _CLIENT_QUOTAS)
            elif entity_type == USERS:
                _validate_quotas(configs, {**_CLIENT_QUOTAS, **{m: "STRING" for m in _SCRAM}})
            else:
                _validate_quotas(configs, _IP_QUOTAS)
        except InvalidConfig as exc:
            if type(exc) is InvalidConfig:
                # LogConfig.validateNames' InvalidConfigurationException: its message alone.
                raise _illegal(str(exc)) from None
            raise
        await self.admin.change_entity_config(entity_type, name, configs)

    async def describe(self) -> None:
        entity = _parse_entity(self.opts)
        describe_all_users = entity.root.entity_type == USERS and entity.root.sanitized_name is None \
            and entity.child is None
        for e in await self.all_entities(entity):
            configs = await self.admin.fetch_entity_config(e.root.entity_type, e.full_sanitized_name)
            # When describing all users, users with only <user, client> overrides are skipped.
            if configs or not describe_all_users:
                pairs = ",".join(f"{k}={configs[k]}" for k in java8_hashtable_order(list(configs)))
                click.echo(f"Configs for {e} are {pairs}")

    async def all_entities(self, entity: _ConfigEntity) -> list[_ConfigEntity]:
        """``ConfigEntity.getAllEntities``: a named entity, or every one with a config znode."""
        zk = self.zk_client.zk
        root = entity.root
        if root.sanitized_name is not None:
            roots = [root]
        else:
            names = await zk.get_children_or_empty(f"/config/{root.entity_type}")
            roots = [_Entity(root.entity_type, n) for n in sorted(names)]
        if entity.child is None:
            return [_ConfigEntity(r) for r in roots]
        out = []
        for r in roots:
            if entity.child.sanitized_name is not None:
                out.append(_ConfigEntity(r, entity.child))
                continue
            children = await zk.get_children_or_empty(f"/config/{r.entity_type}/{r.sanitized_name}/{CLIENTS}")
            out += [_ConfigEntity(r, _Entity(CLIENTS, c)) for c in sorted(children)]
        return out
