"""`kclone topics`: Kafka 2.8's ``kafka-topics.sh`` (``TopicCommand`` with ``--bootstrap-server``).

Same options, checks and output lines as the ``AdminClientTopicService`` of ``TopicCommand``:
``Created topic foo.``; ``--list`` prints one name per line; ``--describe`` prints
``Topic: foo<TAB>TopicId: ...<TAB>PartitionCount: 3<TAB>ReplicationFactor: 1<TAB>Configs: ...``
then one ``<TAB>Topic: foo<TAB>Partition: 0<TAB>Leader: 1<TAB>Replicas: 1<TAB>Isr: 1`` per
partition; ``--alter`` and ``--delete`` print nothing on success. ``--topic`` is a Java-style regex
(full match) except for ``--create``. Failures print Kafka's
``Error while executing topic command : <message>`` and exit 1; option errors print Kafka's
message and exit 1. ``--zookeeper`` (deprecated in 2.8) is not offered.

Also holds the few helpers the console tools share (``ToolError``, ``run_tool``,
``parse_key_value_args``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import click
import trio

from kafka_clone.client import (
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    KafkaConnectionError,
    KafkaTimeoutError,
    NewPartitions,
    NewTopic,
)
from kafka_clone.client.metadata import is_zero_uuid, topic_id_string
from kafka_clone.common.topic import COLLISION_WARNING, TopicPartition, has_collision_chars, is_internal
from kafka_clone.protocol.errors import KafkaError, TopicAlreadyExists, UnsupportedVersion
from kafka_clone.server.config import ConfigError, load_properties

__all__ = ["topics", "ToolError", "run_tool", "parse_key_value_args"]


class ToolError(click.ClickException):
    """One line, exit 1: how Kafka's tools report errors (never a traceback).

    ``stdout=True`` for the lines Kafka itself prints on standard output (TopicCommand's
    "Error while executing topic command : ..."); option errors go to standard error, as
    ``CommandLineUtils.printUsageAndDie`` does.
    """

    exit_code = 1

    def __init__(self, message: str, *, stdout: bool = False) -> None:
        super().__init__(message)
        self.stdout = stdout

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=not self.stdout)


def _single(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


#: What a user can cause: shown as one line.
EXPECTED_ERRORS = (KafkaError, KafkaConnectionError, KafkaTimeoutError, ValueError, OSError)


def read_tool_file(path: str, fail: Callable[[str], ToolError]) -> str:
    """A tool's input file (a JSON plan); an unreadable one is `fail`'s one line."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise fail(f"{path} ({exc.strerror or exc})") from None


def read_client_properties(path: str | None, fail: Callable[[str], ToolError]) -> dict[str, str]:
    """`--command-config`/`--admin.config`: the admin client's properties file, if given."""
    if not path:
        return {}
    try:
        return load_properties(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def run_tool(fn: Callable[[], Awaitable[Any]], error_prefix: str = "", *, stdout: bool = False) -> Any:
    """``trio.run(fn)``, turning expected errors into one-line ``ToolError``s."""
    try:
        return trio.run(fn)
    except BaseException as exc:  # trio wraps task errors in groups; unwrap before deciding
        inner = _single(exc)
        if isinstance(inner, click.ClickException):
            raise inner from None
        if isinstance(inner, EXPECTED_ERRORS):
            raise ToolError(f"{error_prefix}{_message(inner)}", stdout=stdout) from None
        if inner is not exc:
            raise inner from None
        raise


def _message(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text


def parse_key_value_args(values: Sequence[str]) -> dict[str, str]:
    """``CommandLineUtils.parseKeyValueArgs``: ``k=v`` pairs; ``k`` alone means an empty value."""
    props: dict[str, str] = {}
    for arg in values:
        parts = arg.split("=")
        if len(parts) == 1:
            props[parts[0]] = ""
        elif len(parts) == 2:
            props[parts[0]] = parts[1]
        else:
            raise ToolError("Invalid command line properties: " + " ".join(values))
    return props


# ---- option parsing (TopicCommandOptions) ------------------------------------------------------


def parse_replica_assignment(text: str) -> dict[int, list[int]]:
    """``0:1,1:2`` -> ``{0: [0, 1], 1: [1, 2]}`` with TopicCommand's checks and messages."""
    result: dict[int, list[int]] = {}
    for i, part in enumerate(text.split(",")):
        brokers = []
        for s in part.split(":"):
            try:
                brokers.append(int(s.strip()))
            except ValueError:
                raise ValueError(f'For input string: "{s.strip()}"') from None
        duplicates = sorted({b for b in brokers if brokers.count(b) > 1})
        if duplicates:
            raise ValueError(
                "Partition replica lists may not contain duplicate entries: " + ",".join(map(str, duplicates))
            )
        result[i] = brokers
        if len(brokers) != len(result[0]):
            raise ValueError(f"Partition {i} has different replication factor: {brokers}")
    return result


def parse_topic_configs(values: Sequence[str]) -> dict[str, str]:
    """``--config k=v`` values, split like Kafka (``\\s*=\\s*``, exactly two parts)."""
    configs = {}
    for v in values:
        parts = [p for p in re.split(r"\s*=\s*", v)]
        while parts and parts[-1] == "":
            parts.pop()  # Java's String.split drops trailing empty strings
        if len(parts) != 2:
            raise ValueError(
                'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".'
            )
        configs[parts[0].strip()] = parts[1].strip()
    return configs


def topic_filter(spec: str) -> re.Pattern[str]:
    """Kafka's ``IncludeList``: commas are alternatives, quotes and spaces are stripped."""
    cleaned = spec.strip().replace(",", "|").replace(" ", "")
    cleaned = re.sub(r"^[\"']+", "", cleaned)
    cleaned = re.sub(r"[\"']+$", "", cleaned)
    try:
        return re.compile(cleaned)
    except re.error as exc:
        raise ValueError(f"{cleaned} is an invalid regex. ({exc})") from None


def _usage_error(message: str) -> ToolError:
    # printUsageAndDie also prints the whole option list; `kclone topics --help` shows it.
    return ToolError(message)


def _check_args(o: dict[str, Any]) -> None:
    """``TopicCommandOptions.checkArgs``, for the options we offer."""
    actions = [a for a in ("create", "list", "alter", "describe", "delete") if o[a]]
    if len(actions) != 1:
        raise _usage_error("Command must include exactly one action: --list, --describe, --create, --alter or --delete")
    action = actions[0]
    if not o["bootstrap_server"]:
        raise ToolError("Only one of --bootstrap-server or --zookeeper must be specified")
    if action == "describe" and o["if_exists"] and not o["topic"]:
        raise _usage_error('Missing required argument "[topic]"')
    if action not in ("list", "describe") and not o["topic"]:
        raise _usage_error('Missing required argument "[topic]"')
    if action == "alter":
        if o["config"]:
            raise _usage_error(
                'Option combination "[bootstrap-server],[config]" can\'t be used with option "[alter]" '
                "(the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)"
            )
        if o["partitions"] is None:
            raise _usage_error('Missing required argument "[partitions]"')

    def invalid(option: str, allowed_actions: set[str], extra: Sequence[str] = ()) -> None:
        if not o[option.replace("-", "_")]:
            return
        for a in ("alter", "create", "describe", "list", "delete"):
            if o[a] and a not in allowed_actions:
                raise _usage_error(f'Option "[{option}]" can\'t be used with option "[{a}]"')
        for e in extra:
            if o[e.replace("-", "_")]:
                raise _usage_error(f'Option "[{option}]" can\'t be used with option "[{e}]"')

    invalid("config", {"alter", "create"})
    invalid("partitions", {"alter", "create"})
    invalid("replication-factor", {"create"})
    invalid("replica-assignment", {"create", "alter"})
    if action == "create":
        invalid("replica-assignment", {"create"}, ["partitions", "replication-factor"])
    reports = [
        "under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"
    ]
    for r in reports:
        invalid(r, {"describe"}, [x for x in reports if x != r] + ["topics-with-overrides"])
    invalid("topics-with-overrides", {"describe"}, reports)
    invalid("if-exists", {"alter", "delete", "describe"})
    invalid("if-not-exists", {"create"})
    invalid("exclude-internal", {"list", "describe"})


# ---- the command -------------------------------------------------------------------------------


@click.command("topics", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="REQUIRED: The Kafka server to connect to.")
@click.option("--create", is_flag=True, help="Create a new topic.")
@click.option("--list", "list_", is_flag=True, help="List all available topics.")
@click.option("--describe", is_flag=True, help="List details for the given topics.")
@click.option("--delete", is_flag=True, help="Delete a topic")
@click.option("--alter", is_flag=True, help="Alter the number of partitions and replica assignment for the topic.")
@click.option("--topic",
              help="The topic to create, alter, describe or delete. A regular expression except with --create.")
@click.option("--partitions", type=int, help="The number of partitions for the topic being created or altered.")
@click.option("--replication-factor", type=int, help="The replication factor for each partition of a new topic.")
@click.option("--replica-assignment", metavar="B1:B2,B1:B2,...", help="Manual partition-to-broker assignments.")
@click.option("--config", multiple=True, metavar="NAME=VALUE", help="A topic configuration override (repeatable).")
@click.option("--if-exists", is_flag=True, help="With --alter, --delete or --describe: only if the topic exists.")
@click.option("--if-not-exists", is_flag=True, help="With --create: only if the topic does not exist yet.")
@click.option("--exclude-internal", is_flag=True, help="Exclude internal topics when listing or describing.")
@click.option("--under-replicated-partitions", is_flag=True, help="Describe only under-replicated partitions.")
@click.option("--unavailable-partitions", is_flag=True, help="Describe only partitions whose leader is not available.")
@click.option("--under-min-isr-partitions", is_flag=True,
              help="Describe only partitions with ISR below min.insync.replicas.")
@click.option("--at-min-isr-partitions", is_flag=True,
              help="Describe only partitions with ISR equal to min.insync.replicas.")
@click.option("--topics-with-overrides", is_flag=True, help="Describe only topics that have overridden configs.")
def topics(**options: Any) -> None:
    """Create, delete, describe, or change a topic (kafka-topics.sh)."""
    options["list"] = options.pop("list_")
    _check_args(options)
    command = _TopicCommand(options)
    run_tool(command.run, "Error while executing topic command : ", stdout=True)


class _TopicCommand:
    """``TopicCommand.AdminClientTopicService`` for one invocation."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.o = options

    async def run(self) -> None:
        async with KafkaAdminClient.create(self.o["bootstrap_server"], client_id="adminclient-1") as admin:
            self.admin = admin
            if self.o["create"]:
                await self.create()
            elif self.o["alter"]:
                await self.alter()
            elif self.o["list"]:
                await self.list()
            elif self.o["describe"]:
                await self.describe()
            else:
                await self.delete()

    async def get_topics(self) -> list[str]:
        names = await self.admin.list_topics(include_internal=not self.o["exclude_internal"])
        if self.o["topic"] is None:
            return names
        pattern = topic_filter(self.o["topic"])
        return [n for n in names if pattern.fullmatch(n) and not (self.o["exclude_internal"] and is_internal(n))]

    def ensure_topic_exists(self, found: list[str]) -> None:
        if self.o["topic"] is not None and not self.o["if_exists"] and not found:
            raise ValueError(f"Topic '{self.o['topic']}' does not exist as expected")

    async def create(self) -> None:
        name = self.o["topic"]
        configs = parse_topic_configs(self.o["config"])
        assignment = parse_replica_assignment(self.o["replica_assignment"]) if self.o["replica_assignment"] else None
        if has_collision_chars(name):
            click.echo(COLLISION_WARNING)
        rf, partitions = self.o["replication_factor"], self.o["partitions"]
        if rf is not None and not 1 <= rf <= 32767:
            raise ValueError("The replication factor must be between 1 and 32767 inclusive")
        if partitions is not None and partitions < 1:
            raise ValueError("The partitions must be greater than 0")
        new_topic = NewTopic(
            name,
            num_partitions=-1 if partitions is None else partitions,
            replication_factor=-1 if rf is None else rf,
            replica_assignment=assignment,
            configs=configs,
        )
        (result,) = await self.admin.create_topics([new_topic])
        if isinstance(result.error, TopicAlreadyExists) and self.o["if_not_exists"]:
            return
        result.check()
        click.echo(f"Created topic {name}.")

    async def list(self) -> None:
        click.echo("\n".join(await self.get_topics()))

    async def alter(self) -> None:
        found = await self.get_topics()
        self.ensure_topic_exists(found)
        if not found:
            return
        assignment = parse_replica_assignment(self.o["replica_assignment"]) if self.o["replica_assignment"] else None
        requests = {}
        if assignment is not None:
            for td in await self.admin.describe_topics(found):
                if td.error is not None:
                    raise td.error
                existing = len(td.partitions)
                new = [tuple(b) for p, b in sorted(assignment.items()) if p >= existing]
                requests[td.name] = NewPartitions(self.o["partitions"], tuple(new))
        else:
            requests = {t: NewPartitions(self.o["partitions"]) for t in found}
        for result in await self.admin.create_partitions(requests):
            result.check()

    async def delete(self) -> None:
        found = await self.get_topics()
        self.ensure_topic_exists(found)
        if not found:
            return
        for result in await self.admin.delete_topics(found):
            result.check()

    async def describe(self) -> None:
        found = await self.get_topics()
        self.ensure_topic_exists(found)
        if not found:
            return
        o = self.o
        configs = {
            r.resource.name: r
            for r in await self.admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in found])
        }
        live = {n.node_id for n in (await self.admin.describe_cluster()).nodes}
        descriptions = await self.admin.describe_topics(found)
        reassignments = await self._reassignments(descriptions)
        reports = (
            o["under_replicated_partitions"] or o["unavailable_partitions"]
            or o["under_min_isr_partitions"] or o["at_min_isr_partitions"]
        )
        describe_configs = not reports
        describe_partitions = not o["topics_with_overrides"]
        for td in descriptions:
            if td.error is not None:
                raise td.error
            config = configs[td.name].check()
            overrides = [e for e in config.entries if not e.is_default]
            if describe_configs and td.partitions and (not o["topics_with_overrides"] or overrides):
                first = td.partitions[0]
                rf = _replication_factor(first.replicas, reassignments.get(TopicPartition(td.name, first.partition)))
                line = f"Topic: {td.name}"
                if not is_zero_uuid(td.topic_id):
                    line += f"\tTopicId: {topic_id_string(td.topic_id)}"
                line += f"\tPartitionCount: {len(td.partitions)}\tReplicationFactor: {rf}"
                line += "\tConfigs: " + ",".join(f"{e.name}={e.value}" for e in overrides)
                click.echo(line)
            if not describe_partitions:
                continue
            min_isr_entry = config.get("min.insync.replicas")
            min_isr = int(min_isr_entry.value) if min_isr_entry is not None and min_isr_entry.value else None
            for p in td.partitions:
                reassignment = reassignments.get(TopicPartition(td.name, p.partition))
                has_leader = p.leader >= 0
                under_replicated = _replication_factor(p.replicas, reassignment) - len(p.isr) > 0
                under_min_isr = not has_leader or (min_isr is not None and len(p.isr) < min_isr)
                show = (
                    describe_configs
                    or (o["under_replicated_partitions"] and under_replicated)
                    or (o["unavailable_partitions"] and (not has_leader or p.leader not in live))
                    or (o["under_min_isr_partitions"] and under_min_isr)
                    or (o["at_min_isr_partitions"] and min_isr is not None and len(p.isr) == min_isr)
                )
                if not show:
                    continue
                line = (
                    f"\tTopic: {td.name}\tPartition: {p.partition}\tLeader: {p.leader if has_leader else 'none'}"
                    f"\tReplicas: {','.join(map(str, p.replicas))}\tIsr: {','.join(map(str, p.isr))}"
                )
                if reassignment is not None:
                    line += f"\tAdding Replicas: {','.join(map(str, reassignment.adding_replicas))}"
                    line += f"\tRemoving Replicas: {','.join(map(str, reassignment.removing_replicas))}"
                click.echo(line)

    async def _reassignments(self, descriptions: Sequence[Any]) -> dict[TopicPartition, Any]:
        # TopicCommand ignores UnsupportedVersionException here (older brokers, mock clusters).
        partitions = [TopicPartition(td.name, p.partition) for td in descriptions for p in td.partitions]
        try:
            return await self.admin.list_partition_reassignments(partitions)
        except UnsupportedVersion:
            return {}


def _replication_factor(replicas: Sequence[int], reassignment: Any) -> int:
    """TopicCommand.getReplicationFactor: during a reassignment, the target size only."""
    if reassignment is not None:
        changing = set(reassignment.adding_replicas) | set(reassignment.removing_replicas)
        if changing & set(replicas):
            return len([r for r in reassignment.replicas if r not in reassignment.adding_replicas])
    return len(replicas)

