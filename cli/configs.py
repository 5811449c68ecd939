"""`kclone configs`: Kafka 2.8's ``kafka-configs.sh`` (``ConfigCommand``).

Same options, checks and output as 2.8:

* ``--bootstrap-server`` (the admin client). ``--describe`` prints ``Dynamic configs for topic t
  are:`` (``All configs ...`` with ``--all``; ``Default configs for brokers in the cluster are:``
  for the broker default) and one ``  name=value sensitive=false synonyms={SOURCE:name=value, ...}``
  line per config, sorted by name. Without a name it describes every topic, or every broker and
  then the default. ``--alter`` prints ``Completed updating config for topic t.`` (``... for
  broker 1.``, ``Completed updating default config for brokers in the cluster.``). As in 2.8,
  topics and broker loggers change through IncrementalAlterConfigs (SET, and DELETE with an
  empty value), brokers through the legacy AlterConfigs with the whole new dynamic set (the
  current dynamic entries plus the added minus the deleted), which is why a sensitive entry,
  whose value the broker hides, must be given again.
* ``--zookeeper`` (deprecated in 2.8 and still working): warns on standard output, then reads
  or writes ``/config/<type>/<name>`` and creates a ``/config/changes`` notification
  (``AdminZkClient.changeConfigs``). Describe prints ``Configs for topic 't' are k=v,...``; alter
  prints ``Completed updating config for entity: topic 't'.``. Broker configs other than the
  replication throttles may only be written this way while that broker (or, for the default,
  every broker) is down: it exists to bootstrap a cluster, the broker validates the rest.
* Users, clients and ips exist only as ZooKeeper entities here: our broker has no client-quota
  or SCRAM APIs, so with ``--bootstrap-server`` they fail as a 2.8 tool fails against a broker
  without them (``UnsupportedVersionException: The broker does not support ...``).

Errors: Kafka's ``IllegalArgumentException``/``InvalidConfigurationException`` messages are
printed alone on standard error (``Invalid config(s): x``, ``requirement failed: Invalid entity
config: ...``); anything else is Kafka's ``Error while executing config command with args
'...'`` followed, on the same line instead of a stack trace, by the exception Kafka would show.
Every admin call gives up after 30 s (Kafka's ``future.get(30, SECONDS)``) or
``default.api.timeout.ms`` from ``--command-config``, whichever is shorter: a dead bootstrap
server ends in ``TimeoutException: Timed out waiting for a node assignment. Call: ...``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import click
import trio

from cli.topics import EXPECTED_ERRORS, ToolError
from kafka_clone.client import KafkaConnectionError, KafkaTimeoutError
from kafka_clone.common import topic as topic_rules
from kafka_clone.common.topic_config import InvalidConfigValue
from kafka_clone.protocol.errors import InvalidConfig, KafkaError, UnknownServerError
from kafka_clone.server.config import ConfigError
from zk.client import ConnectionLossError, ZkError
from cli.config_command import (
    BROKERS, BROKER_LOGGERS, BROKER_SUPPORTED_TYPES, CLIENTS, ConfigCommandError, IPS, USERS, ZK_DEPRECATION, ZK_SUPPORTED_TYPES,
    _AdminCommand, _DEFAULT_FLAGS, _ENTITY_FLAGS, _Options, _ZkCommand, _illegal, _is_int, parse_configs_to_be_added,
)

__all__ = ["configs", "parse_configs_to_be_added", "ConfigCommandError"]


def _check_args(opts: _Options) -> None:
    """``ConfigCommandOptions.checkArgs`` (2.8), message for message."""
    actions = [a for a in ("alter", "describe") if opts.has(a)]
    if len(actions) != 1:
        raise _illegal("Command must include exactly one action: --describe, --alter")
    for other in ("add_config", "delete_config"):
        if opts.has("describe") and opts.has(other):
            raise _illegal(f'Option "[describe]" can\'t be used with option "[{other.replace("_", "-")}]"')

    types = opts.entity_types
    duplicates = list(dict.fromkeys(t for i, t in enumerate(types) if t in types[:i]))
    if duplicates:
        raise _illegal(f"Duplicate entity type(s) specified: {','.join(duplicates)}")
    allowed, connect = ((BROKER_SUPPORTED_TYPES, "--bootstrap-server") if opts.has("bootstrap_server")
                        else (ZK_SUPPORTED_TYPES, "--zookeeper"))
    for t in types:
        if t not in allowed:
            raise _illegal(f"Invalid entity type {t}, the entity type must be one of {', '.join(allowed)} "
                           f"with the {connect} argument")
    if not types:
        raise _illegal("At least one entity type must be specified")
    if len(types) > 1 and set(types) != {USERS, CLIENTS}:
        raise _illegal(f"Only '{USERS}' and '{CLIENTS}' entity types may be specified together")
    if ((opts.has("entity_name") or opts.has("entity_type") or opts.has("entity_default"))
            and any(opts.has(opt) for opt, _ in _ENTITY_FLAGS + _DEFAULT_FLAGS)):
        raise _illegal("--entity-{type,name,default} should not be used in conjunction with specific entity flags")

    names = opts.entity_names
    has_name = any(names)
    has_default = any(n == "" for n in names)
    if not opts.has("bootstrap_server") and not opts.has("zookeeper"):
        raise _illegal("One of the required --bootstrap-server or --zookeeper arguments must be specified")
    if opts.has("bootstrap_server") and opts.has("zookeeper"):
        raise _illegal("Only one of --bootstrap-server or --zookeeper must be specified")
    if opts.has("all") and opts.has("zookeeper"):
        raise _illegal("--bootstrap-server must be specified for --all")
    if has_name and (BROKERS in types or BROKER_LOGGERS in types):
        given = list(opts.o["entity_name"]) + [opts.o[f] for f in ("broker", "broker_logger") if opts.has(f)]
        for broker_id in given:
            if not _is_int(broker_id):
                raise _illegal(f"The entity name for {types[0]} must be a valid integer broker id, "
                               f"but it is: {broker_id}")
    if has_name and IPS in types:
        for ip in list(opts.o["entity_name"]) + ([opts.o["ip"]] if opts.has("ip") else []):
            if not _valid_ip(ip):
                raise _illegal(f"The entity name for {types[0]} must be a valid IP or resolvable host, "
                               f"but it is: {ip}")
    if opts.has("describe") and BROKER_LOGGERS in types and not has_name:
        raise _illegal(f"an entity name must be specified with --describe of {','.join(types)}")
    if opts.has("alter"):
        if any(t in types for t in (USERS, CLIENTS, BROKERS, IPS)):
            if not has_name and not has_default:
                raise _illegal("an entity-name or default entity must be specified with --alter of users, "
                               "clients, brokers or ips")
        elif not has_name:
            raise _illegal(f"an entity name must be specified with --alter of {','.join(types)}")
        if opts.has("add_config") and opts.has("add_config_file"):
            raise _illegal("Only one of --add-config or --add-config-file must be specified")
        if not (opts.has("add_config") or opts.has("add_config_file") or opts.has("delete_config")):
            raise _illegal("At least one of --add-config, --add-config-file, or --delete-config must be "
                           "specified with --alter")


def _valid_ip(text: str) -> bool:
    """``DynamicConfig.Ip.isValidIpEntity``: an IP literal (resolving host names is left out)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ---- the command ----------------------------------------------------------------------------------


class _ConfigsCommand(click.Command):
    """Keeps the raw arguments: for the order of --entity-name/--entity-default and for Kafka's
    ``Error while executing config command with args '...'``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["configs.argv"] = tuple(args)
        return super().parse_args(ctx, args)


@click.command("configs", cls=_ConfigsCommand, context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="The Kafka server to connect to.")
@click.option("--command-config", metavar="FILE",
              help="Property file with admin client configs (used with --bootstrap-server; honoured: "
                   "client.id, request.timeout.ms, default.api.timeout.ms, retry.backoff.ms).")
@click.option("--zookeeper", metavar="HOST:PORT[/chroot]",
              help="DEPRECATED. The ZooKeeper connection string. Replaced by --bootstrap-server, REQUIRED "
                   "unless --bootstrap-server is given.")
@click.option("--alter", is_flag=True, help="Alter the configuration for the entity.")
@click.option("--describe", is_flag=True, help="List configs for the given entity.")
@click.option("--all", "all_", is_flag=True,
              help="List all configs for the given topic, broker, or broker-logger entity (includes static "
                   "configuration when the entity type is brokers)")
@click.option("--entity-type", multiple=True,
              help="Type of entity (topics/clients/users/brokers/broker-loggers/ips)")
@click.option("--entity-name", multiple=True,
              help="Name of entity (topic name/client id/user principal name/broker id/ip)")
@click.option("--entity-default", is_flag=True,
              help="Default entity name for clients/users/brokers/ips (applies to corresponding entity type "
                   "in command line)")
@click.option("--add-config", metavar="K=V,K=[V1,V2]",
              help="Key Value pairs of configs to add. Square brackets can be used to group values which "
                   "contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'.")
@click.option("--add-config-file", metavar="FILE",
              help="Path to a properties file with configs to add. See add-config for a list of valid "
                   "configurations.")
@click.option("--delete-config", multiple=True, metavar="K1,K2", help="config keys to remove 'k1,k2'")
@click.option("--force", is_flag=True, help="Suppress console prompts")
@click.option("--topic", help="The topic's name.")
@click.option("--client", help="The client's ID.")
@click.option("--client-defaults", is_flag=True, help="The config defaults for all clients.")
@click.option("--user", help="The user's principal name.")
@click.option("--user-defaults", is_flag=True, help="The config defaults for all users.")
@click.option("--broker", help="The broker's ID.")
@click.option("--broker-defaults", is_flag=True, help="The config defaults for all brokers.")
@click.option("--broker-logger", help="The broker's ID for its logger config.")
@click.option("--ip", help="The IP address.")
@click.option("--ip-defaults", is_flag=True, help="The config defaults for all IPs.")
def configs(**options: Any) -> None:
    """Add/Remove entity config for a topic, client, user, broker or ip (kafka-configs.sh)."""
    options["all"] = options.pop("all_")
    ctx = click.get_current_context()
    argv = ctx.meta.get("configs.argv", ())
    if not argv:
        # printHelpAndExitIfNeeded: no arguments prints the tool's purpose and the options, exit 1.
        raise ToolError("This tool helps to manipulate and describe entity config for a topic, client, user, "
                        "broker or ip\n" + ctx.get_help())
    opts = _Options(options, argv)
    _check_args(opts)
    if opts.has("zookeeper"):
        click.echo(ZK_DEPRECATION)
    try:
        trio.run(_run, opts)
    except BaseException as exc:
        inner = _single(exc)
        if isinstance(inner, click.ClickException):
            raise inner from None
        if isinstance(inner, (*EXPECTED_ERRORS, ZkError, ConfigError)):
            # Kafka's main: anything else prints this line and a stack trace; we print the
            # trace's first line (the exception) after it instead.
            raise ToolError(f"Error while executing config command with args '{' '.join(argv)}': "
                            f"{_java_exception(inner)}") from None
        if inner is not exc:
            raise inner from None
        raise


async def _run(opts: _Options) -> None:
    """``processCommandWithZk`` or ``processCommand``."""
    await (_ZkCommand(opts) if opts.has("zookeeper") else _AdminCommand(opts)).run()


def _single(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


#: Kafka's exception classes where they are not our error's name + "Exception".
_JAVA_NAMES = {InvalidConfig: "InvalidConfigurationException", UnknownServerError: "UnknownServerException",
               KafkaTimeoutError: "TimeoutException", KafkaConnectionError: "NetworkException"}


def _java_exception(exc: BaseException) -> str:
    """What the first line of Kafka's stack trace would name, for one line instead of a trace."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, InvalidConfigValue | ConfigError):
        return f"org.apache.kafka.common.config.ConfigException: {message}"
    if isinstance(exc, KafkaError):
        name = next((n for cls, n in _JAVA_NAMES.items() if type(exc) is cls), type(exc).__name__)
        if not name.endswith("Exception"):
            name += "Exception"
        return f"org.apache.kafka.common.errors.{name}: {message}"
    if isinstance(exc, topic_rules.InvalidTopicError):
        return f"org.apache.kafka.common.errors.InvalidTopicException: {message}"
    if isinstance(exc, FileNotFoundError):
        return f"java.nio.file.NoSuchFileException: {exc.filename}"
    if isinstance(exc, ConnectionLossError):
        # KafkaZkClient's wait for the session, after zookeeper.connection.timeout.ms (30 s here).
        return "kafka.zookeeper.ZooKeeperClientTimeoutException: Timed out waiting for connection while in state: " \
               "CONNECTING"
    if isinstance(exc, ZkError):
        return f"kafka.zookeeper.ZooKeeperClientException: {message}"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
