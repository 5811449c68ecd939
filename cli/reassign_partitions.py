"""`kclone reassign-partitions`: Kafka 2.8's ``kafka-reassign-partitions.sh`` (``ReassignPartitionsCommand``).

The ``--bootstrap-server`` (KIP-455) half of the tool, with its options, checks and lines:

* ``--generate`` reads ``{"topics":[{"topic":"t"}],"version":1}`` and ``--broker-list 1,2,3`` and
  prints "Current partition replica assignment" and "Proposed partition reassignment
  configuration", each as Kafka's compact JSON (partitions sorted by topic, then partition).
  The proposal is ``AdminUtils.assignReplicasToBrokers`` per topic, which draws a random start
  index and replica shift; ``--random-seed`` (a kafka-clone extension) seeds that draw so a
  lesson or a test can show the same proposal every time.
* ``--execute`` prints the current assignment for rollback, sets the throttles (``--throttle``),
  sends AlterPartitionReassignments and prints "Successfully started partition reassignments for".
  It refuses while other reassignments run unless ``--additional``.
* ``--verify`` prints each partition's state; when no reassignment is left in the cluster it
  clears every throttle (unless ``--preserve-throttles``). ``--wait`` (kafka-clone extension)
  re-checks every second, printing which partitions are done and which new replicas have joined
  the ISR (when that changes, else every 10 s), until all are done or ``--wait-timeout-ms``.
* ``--cancel`` reverts the file's ongoing reassignments; ``--list`` shows the ongoing ones.

``--zookeeper`` (deprecated in 2.8) is not offered. Replica moves between log directories
(``log_dirs`` other than ``"any"``, AlterReplicaLogDirs) are not supported by kafka-clone and are
refused before anything changes. Option errors print Kafka's message on standard error; command
failures print Kafka's line ("Error: ..." or the tool's own message) on standard output; both
exit 1, never with a traceback.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import click
import trio

from cli.topics import ToolError, read_client_properties, read_tool_file, run_tool
from kafka_clone.client import KafkaAdminClient
from kafka_clone.client import reassignment_admin as ra
from kafka_clone.client.admin import PartitionReassignment
from kafka_clone.common.topic import TopicPartition
from zk.admin import AdminError, BrokerMetadata, assign_replicas_to_brokers

__all__ = ["reassign_partitions", "parse_reassignment_json", "parse_topics_json", "format_reassignment_json",
           "calculate_assignment", "ReassignmentState", "partition_states_to_string"]

ANY_LOG_DIR = "any"
CANNOT_EXECUTE_BECAUSE_OF_EXISTING = (
    "Cannot execute because there is an existing partition assignment.  Use --additional to override this and "
    "create a new partition assignment in addition to the existing one. The --additional flag can also be used "
    "to change the throttle by resubmitting the current reassignment."
)
YOU_MUST_RUN_VERIFY = ("Warning: You must run --verify periodically, until the reassignment completes, to ensure "
                       "the throttle is removed.")
ACTIONS = ("generate", "execute", "verify", "cancel", "list")
#: Per action: required options, then the other options it accepts (``validateAndParseArgs``).
REQUIRED = {"verify": ("reassignment-json-file",), "generate": ("topics-to-move-json-file", "broker-list"),
            "execute": ("reassignment-json-file",), "cancel": ("reassignment-json-file",), "list": ()}
PERMITTED = {
    "verify": ("bootstrap-server", "command-config", "preserve-throttles", "wait", "wait-timeout-ms"),
    "generate": ("bootstrap-server", "broker-list", "command-config", "disable-rack-aware", "random-seed"),
    "execute": ("additional", "bootstrap-server", "command-config", "throttle", "replica-alter-log-dirs-throttle",
                "timeout"),
    "cancel": ("bootstrap-server", "command-config", "preserve-throttles", "timeout"),
    "list": ("bootstrap-server", "command-config"),
}
WAIT_INTERVAL_S = 1.0
#: With --wait, an unchanged progress block is printed again after this long.
WAIT_REPEAT_S = 10.0

Assignment = dict[TopicPartition, list[int]]


def _fail(message: str) -> ToolError:
    """An error Kafka's tool prints as "Error: <message>" (its generic catch) on stdout."""
    return ToolError(f"Error: {message}", stdout=True)


def _terse(message: str) -> ToolError:
    """Kafka's ``TerseReassignmentFailureException``: the message alone, on stdout."""
    return ToolError(message, stdout=True)


# ---- JSON files -----------------------------------------------------------------------------------


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"The input string is not a valid JSON: {exc}") from None


def _field(obj: Any, name: str, kind: type, what: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise _fail(f"No such field exists: `{name}` in {what}")
    value = obj[name]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is list and ok:
        ok = all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in value)
    if not ok:
        raise _fail(f"Field `{name}` in {what} has the wrong type: {json.dumps(value)}")
    return value


def _version(js: Any) -> int:
    version = js.get("version", 1) if isinstance(js, dict) else 1
    if version != 1:
        raise _fail(f"Not supported version field value {version}")
    return version


def parse_reassignment_json(text: str) -> tuple[list[tuple[TopicPartition, list[int]]], dict[tuple[TopicPartition, int], str]]:
    """``parsePartitionReassignmentData``: the (partition, replicas) list in file order (duplicates
    kept, so they can be reported) and the replicas whose ``log_dirs`` entry is not ``"any"``."""
    js = _load_json(text)
    _version(js)
    parts: list[tuple[TopicPartition, list[int]]] = []
    log_dirs: dict[tuple[TopicPartition, int], str] = {}
    entries = js.get("partitions", []) if isinstance(js, dict) else []
    if not isinstance(entries, list):
        raise _fail("Field `partitions` has the wrong type")
    for entry in entries:
        topic = _field(entry, "topic", str, "a partition entry")
        partition = _field(entry, "partition", int, "a partition entry")
        replicas = _field(entry, "replicas", list, "a partition entry")
        if not all(isinstance(r, int) for r in replicas):
            raise _fail(f"Field `replicas` in a partition entry has the wrong type: {json.dumps(replicas)}")
        dirs = _field(entry, "log_dirs", list, "a partition entry") if "log_dirs" in entry else [ANY_LOG_DIR] * len(replicas)
        tp = TopicPartition(topic, partition)
        if len(dirs) != len(replicas):
            raise _fail(f"Size of replicas list {_scala_list(replicas)} is different from size of log dirs list "
                        f"{_scala_list(dirs)} for partition {tp}")
        parts.append((tp, list(replicas)))
        log_dirs.update({(tp, r): d for r, d in zip(replicas, dirs) if d != ANY_LOG_DIR})
    return parts, log_dirs


def _scala_list(items: Sequence[Any]) -> str:
    # How a Scala Seq prints in Kafka's messages: List(1, 2, 3).
    return "List(" + ", ".join(str(i) for i in items) + ")"


def _duplicates(items: Sequence[Any]) -> list[Any]:
    seen: dict[Any, int] = {}
    for i in items:
        seen[i] = seen.get(i, 0) + 1
    return [i for i, n in seen.items() if n > 1]


def validate_execute(parts: list[tuple[TopicPartition, list[int]]]) -> Assignment:
    """``parseExecuteAssignmentArgs``' checks; the assignment as a map."""
    if not parts:
        raise _fail("Partition reassignment list cannot be empty")
    if any(not replicas for _, replicas in parts):
        raise _fail("Partition replica list cannot be empty")
    dup_parts = _duplicates([tp for tp, _ in parts])
    if dup_parts:
        raise _fail("Partition reassignment contains duplicate topic partitions: " + ",".join(map(str, dup_parts)))
    dup_replicas = [(tp, _duplicates(r)) for tp, r in parts if _duplicates(r)]
    if dup_replicas:
        raise _fail("Partition replica lists may not contain duplicate entries: " + ". ".join(
            f"{tp} contains multiple entries for {','.join(map(str, d))}" for tp, d in dup_replicas))
    return dict(parts)


def parse_topics_json(text: str) -> list[str]:
    """``parseTopicsData``: the topic names of ``{"topics":[{"topic":"t"}],"version":1}``."""
    js = _load_json(text)
    _version(js)
    entries = js.get("topics", []) if isinstance(js, dict) else []
    return [_field(e, "topic", str, "a topic entry") for e in (entries if isinstance(entries, list) else [])]


def parse_broker_list(text: str) -> list[int]:
    """``--broker-list 1,2,3`` as Scala's ``split(',').map(_.toInt)`` reads it (no spaces allowed)."""
    brokers = []
    for s in text.split(","):
        if not s.lstrip("-").isdigit():
            raise _fail(f'For input string: "{s}"')
        brokers.append(int(s))
    dups = _duplicates(brokers)
    if dups:
        raise _fail("Broker list contains duplicate entries: " + ",".join(map(str, dups)))
    return brokers


def format_reassignment_json(parts: Mapping[TopicPartition, Sequence[int]],
                             log_dirs: Mapping[tuple[TopicPartition, int], str] | None = None) -> str:
    """``formatAsReassignmentJson``: compact, version first, partitions by (topic, partition)."""
    log_dirs = log_dirs or {}
    return json.dumps({"version": 1, "partitions": [
        {"topic": tp.topic, "partition": tp.partition, "replicas": list(parts[tp]),
         "log_dirs": [log_dirs.get((tp, r), ANY_LOG_DIR) for r in parts[tp]]}
        for tp in sorted(parts, key=lambda tp: (tp.topic, tp.partition))
    ]}, separators=(",", ":"), ensure_ascii=False)


def calculate_assignment(current: Mapping[TopicPartition, Sequence[int]], brokers: Sequence[BrokerMetadata],
                         rng: random.Random) -> Assignment:
    """``calculateAssignment``: each topic re-spread over ``brokers`` with its partition count and
    the replication factor of its first partition. Topics are taken in name order so one seed
    gives one proposal."""
    by_topic: dict[str, list[TopicPartition]] = {}
    for tp in current:
        by_topic.setdefault(tp.topic, []).append(tp)
    proposed: Assignment = {}
    for topic in sorted(by_topic):
        partitions = sorted(by_topic[topic], key=lambda tp: tp.partition)
        rf = len(current[partitions[0]])
        try:
            assigned = assign_replicas_to_brokers(brokers, len(partitions), rf, rng=rng)
        except AdminError as exc:
            raise _fail(str(exc)) from None
        proposed.update({TopicPartition(topic, p): list(r) for p, r in assigned.items()})
    return proposed


# ---- reassignment states (verify) --------------------------------------------------------------------


@attrs.frozen
class ReassignmentState:
    """``PartitionReassignmentState``: replicas now, replicas wanted, and whether it is over."""

    current: tuple[int, ...]
    target: tuple[int, ...]
    done: bool


def partition_states_to_string(states: Mapping[TopicPartition, ReassignmentState]) -> str:
    lines = ["Status of partition reassignment:"]
    for tp in sorted(states, key=lambda tp: (tp.topic, tp.partition)):
        s = states[tp]
        if not s.done:
            lines.append(f"Reassignment of partition {tp} is still in progress.")
        elif s.current == s.target:
            lines.append(f"Reassignment of partition {tp} is complete.")
        else:
            lines.append(f"There is no active reassignment of partition {tp}, but replica set is "
                         f"{','.join(map(str, s.current))} rather than {','.join(map(str, s.target))}.")
    return "\n".join(lines)


def current_reassignments_to_string(ongoing: Mapping[TopicPartition, PartitionReassignment]) -> str:
    if not ongoing:
        return "No partition reassignments found."
    lines = ["Current partition reassignments:"]
    for tp in sorted(ongoing, key=lambda tp: (tp.topic, tp.partition)):
        r = ongoing[tp]
        line = f"{tp}: replicas: {','.join(map(str, r.replicas))}."
        if r.adding_replicas:
            line += f" adding: {','.join(map(str, r.adding_replicas))}."
        if r.removing_replicas:
            line += f" removing: {','.join(map(str, r.removing_replicas))}."
        lines.append(line)
    return "\n".join(lines)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _tps(tps: Sequence[TopicPartition] | set[TopicPartition]) -> str:
    return ",".join(str(tp) for tp in sorted(tps, key=lambda tp: (tp.topic, tp.partition)))


# ---- the actions ------------------------------------------------------------------------------------


@attrs.define
class _Command:
    """One invocation of ``ReassignPartitionsCommand`` against a cluster."""

    o: dict[str, Any]
    admin: KafkaAdminClient = attrs.field(init=False)

    async def run(self) -> None:
        props = read_client_properties(self.o["command_config"], _fail)
        self.admin = KafkaAdminClient.create(
            self.o["bootstrap_server"], client_id=props.get("client.id", "reassign-partitions-tool"),
            request_timeout_ms=int(props.get("request.timeout.ms", 30000)),
            default_api_timeout_ms=int(props.get("default.api.timeout.ms", 60000)))
        async with self.admin:
            action = "list_reassignments" if self.o["action"] == "list" else self.o["action"]
            await getattr(self, action)()

    async def _current(self, topics: Sequence[str]) -> Assignment:
        """``getReplicaAssignmentForTopics``: an unknown topic fails the command."""
        current: Assignment = {}
        for td in await self.admin.describe_topics(list(dict.fromkeys(topics))):
            if td.error is not None:
                # The Java client's exception carries the error's default message.
                raise _fail(td.error.message)
            current.update({TopicPartition(td.name, p.partition): list(p.replicas) for p in td.partitions})
        return current

    async def _live_brokers(self) -> list[Any]:
        return list((await self.admin.describe_cluster()).nodes)

    async def generate(self) -> None:
        brokers = parse_broker_list(self.o["broker_list"])
        topics = parse_topics_json(read_tool_file(self.o["topics_to_move_json_file"], _fail))
        dups = _duplicates(topics)
        if dups:
            raise _fail("List of topics to reassign contains duplicate entries: " + ",".join(dups))
        current = await self._current(topics)
        rack_aware = not self.o["disable_rack_aware"]
        wanted = set(brokers)
        # Brokers the cluster does not know are left out, as Kafka's getBrokerMetadata does; the
        # rest in id order, so the proposal depends only on the seed.
        metadatas = sorted((BrokerMetadata(n.node_id, n.rack if rack_aware else None)
                            for n in await self._live_brokers() if n.node_id in wanted), key=lambda b: b.id)
        rackless = sum(1 for b in metadatas if b.rack is None)
        if rack_aware and rackless not in (0, len(metadatas)):
            raise _fail("Not all brokers have rack information. Add --disable-rack-aware in command line to make "
                        "replica assignment without rack information.")
        seed = self.o["random_seed"]
        proposed = calculate_assignment(current, metadatas, random.Random(seed))
        click.echo(f"Current partition replica assignment\n{format_reassignment_json(current)}\n")
        click.echo(f"Proposed partition reassignment configuration\n{format_reassignment_json(proposed)}")

    async def execute(self) -> None:
        parts, log_dirs = parse_reassignment_json(read_tool_file(self.o["reassignment_json_file"], _fail))
        proposed = validate_execute(parts)
        _refuse_log_dirs(log_dirs)
        ongoing = await ra.list_partition_reassignments(self.admin)
        if ongoing and not self.o["additional"]:
            raise _terse(CANNOT_EXECUTE_BECAUSE_OF_EXISTING)
        live = {n.node_id for n in await self._live_brokers()}
        unknown = sorted({b for r in proposed.values() for b in r} - live)
        if unknown:
            raise _fail(f"Unknown broker id {unknown[0]}")
        current = {tp: r for tp, r in (await self._current([tp.topic for tp in proposed])).items() if tp in proposed}
        click.echo("Current partition replica assignment\n\n" + format_reassignment_json(current)
                   + "\n\nSave this to use as the --reassignment-json-file option during rollback")
        throttle, log_dir_throttle = self.o["throttle"], self.o["replica_alter_log_dirs_throttle"]
        if throttle >= 0 or log_dir_throttle >= 0:
            click.echo(YOU_MUST_RUN_VERIFY)
            if throttle >= 0:
                try:
                    moves = ra.proposed_move_map(ongoing, proposed, current)
                except ValueError as exc:
                    raise _fail(str(exc)) from None
                await ra.set_topic_throttles(self.admin, ra.leader_throttles(moves), ra.follower_throttles(moves))
                await ra.set_inter_broker_throttle(self.admin, ra.reassigning_brokers(moves), throttle)
                click.echo(f"The inter-broker throttle limit was set to {throttle} B/s")
            if log_dir_throttle >= 0:
                # No replica moves between log dirs (refused above), so no broker to throttle;
                # Kafka still prints the line.
                await ra.set_log_dir_throttle(self.admin, sorted({b for _, b in log_dirs}), log_dir_throttle)
                click.echo(f"The replica-alter-dir throttle limit was set to {log_dir_throttle} B/s")
        errors = {tp: e for tp, e in (await ra.alter_partition_reassignments(self.admin, proposed)).items() if e}
        if errors:
            raise _terse("Error reassigning partition(s):\n" + "\n".join(
                f"{tp}: {errors[tp]}" for tp in sorted(errors, key=lambda tp: (tp.topic, tp.partition))))
        click.echo(f"Successfully started partition reassignment{_plural(len(proposed))} for {_tps(set(proposed))}")

    async def _states(self, targets: list[tuple[TopicPartition, list[int]]]
                      ) -> tuple[dict[TopicPartition, ReassignmentState], dict[TopicPartition, PartitionReassignment]]:
        """``findPartitionReassignmentStates``: ongoing ones from the controller, the rest from
        Metadata (done; an unknown topic or partition counts as done with no replicas)."""
        ongoing = await ra.list_partition_reassignments(self.admin)
        states: dict[TopicPartition, ReassignmentState] = {}
        missing = [(tp, t) for tp, t in targets if tp not in ongoing]
        described = {td.name: td for td in await self.admin.describe_topics(list(dict.fromkeys(
            tp.topic for tp, _ in missing)))} if missing else {}
        for tp, target in targets:
            if tp in ongoing:
                states[tp] = ReassignmentState(tuple(ongoing[tp].replicas), tuple(target), False)
                continue
            td = described.get(tp.topic)
            p = td.partition(tp.partition) if td is not None and td.error is None else None
            states[tp] = ReassignmentState(tuple(p.replicas) if p else (), tuple(target), True)
        return states, ongoing

    async def verify(self) -> None:
        parts, log_dirs = parse_reassignment_json(read_tool_file(self.o["reassignment_json_file"], _fail))
        _refuse_log_dirs(log_dirs)
        if self.o["wait"]:
            states, ongoing = await self._wait(parts)
        else:
            states, ongoing = await self._states(parts)
        click.echo(partition_states_to_string(states))
        # Kafka prints the (here always empty) replica log-dir move report as a line of its own.
        click.echo("")
        if not ongoing and not self.o["preserve_throttles"]:
            await self._clear_all_throttles(parts)
        if self.o["wait"] and ongoing:
            raise _terse(f"Timed out after {self.o['wait_timeout_ms']} ms waiting for the reassignment to complete.")

    async def _wait(self, parts: list[tuple[TopicPartition, list[int]]]
                    ) -> tuple[dict[TopicPartition, ReassignmentState], dict[TopicPartition, PartitionReassignment]]:
        """Re-check until nothing is being reassigned or the deadline. A progress block is printed
        when something changed, and at least every ``WAIT_REPEAT_S`` so a quiet wait shows it lives."""
        start = trio.current_time()
        deadline = start + self.o["wait_timeout_ms"] / 1000
        shown: tuple[list[str], float] = ([], -WAIT_REPEAT_S)
        while True:
            states, ongoing = await self._states(parts)
            now = trio.current_time()
            head, details = await self._progress(states, ongoing)
            if [head, *details] != shown[0] or now - shown[1] >= WAIT_REPEAT_S or not ongoing:
                click.echo(f"[{now - start:6.1f}s] {head}")
                for line in details:
                    click.echo(line)
                shown = ([head, *details], now)
            if not ongoing or now >= deadline:
                return states, ongoing
            # A poll of another process's state, at the pace of a person watching it.
            await trio.sleep(min(WAIT_INTERVAL_S, max(0.0, deadline - now)))

    async def _progress(self, states: Mapping[TopicPartition, ReassignmentState],
                        ongoing: Mapping[TopicPartition, PartitionReassignment]) -> tuple[str, list[str]]:
        """A summary line, and per unfinished partition its moves and how far the ISR has got."""
        waiting = [tp for tp, s in sorted(states.items(), key=lambda i: (i[0].topic, i[0].partition)) if not s.done]
        head = f"{len(states) - len(waiting)} of {len(states)} partitions complete"
        others = len([tp for tp in ongoing if tp not in states])
        if others:
            head += f"; {others} other reassignment{_plural(others)} in the cluster"
        if not waiting:
            return head, []
        described = {td.name: td for td in await self.admin.describe_topics(list(dict.fromkeys(
            tp.topic for tp in waiting)))}
        details = []
        for tp in waiting:
            r = ongoing.get(tp)
            td = described.get(tp.topic)
            p = td.partition(tp.partition) if td is not None and td.error is None else None
            isr = set(p.isr) if p is not None else set()
            adding = list(r.adding_replicas) if r is not None else []
            caught_up = [b for b in adding if b in isr]
            text = f"  {tp}: replicas {','.join(map(str, states[tp].current))}"
            if adding:
                text += f", adding {','.join(map(str, adding))} ({len(caught_up)} of {len(adding)} in the ISR)"
            if r is not None and r.removing_replicas:
                text += f", removing {','.join(map(str, r.removing_replicas))}"
            if p is not None:
                text += f"; leader {p.leader}, ISR {','.join(map(str, p.isr))}"
            details.append(text)
        return head, details

    async def _clear_all_throttles(self, parts: list[tuple[TopicPartition, list[int]]]) -> None:
        """``clearAllThrottles``: every live broker plus every target replica, every topic of the file."""
        brokers = sorted({n.node_id for n in await self._live_brokers()} | {b for _, r in parts for b in r})
        click.echo(f"Clearing broker-level throttles on broker{_plural(len(brokers))} {','.join(map(str, brokers))}")
        await ra.clear_broker_throttles(self.admin, brokers)
        topics = sorted({tp.topic for tp, _ in parts})
        click.echo(f"Clearing topic-level throttles on topic{_plural(len(topics))} {','.join(topics)}")
        await ra.clear_topic_throttles(self.admin, topics)

    async def cancel(self) -> None:
        parts, log_dirs = parse_reassignment_json(read_tool_file(self.o["reassignment_json_file"], _fail))
        _refuse_log_dirs(log_dirs)
        wanted = list(dict.fromkeys(tp for tp, _ in parts))
        ongoing = await ra.list_partition_reassignments(self.admin, wanted)
        active = {tp for tp, r in ongoing.items() if r.adding_replicas or r.removing_replicas}
        if active:
            errors = {tp: e for tp, e in (await ra.cancel_partition_reassignments(self.admin, active)).items() if e}
            if errors:
                raise _terse(f"Error cancelling partition reassignment{_plural(len(errors))} for:\n" + "\n".join(
                    f"{tp}: {errors[tp]}" for tp in sorted(errors, key=lambda tp: (tp.topic, tp.partition))))
            click.echo(f"Successfully cancelled partition reassignment{_plural(len(active))} for: {_tps(active)}")
        else:
            click.echo("None of the specified partition reassignments are active.")
        click.echo("None of the specified partition moves are active.")
        if not self.o["preserve_throttles"]:
            await self._clear_all_throttles(parts)

    async def list_reassignments(self) -> None:
        click.echo(current_reassignments_to_string(await ra.list_partition_reassignments(self.admin)))


def _refuse_log_dirs(log_dirs: Mapping[tuple[TopicPartition, int], str]) -> None:
    if log_dirs:
        (tp, broker), directory = sorted(log_dirs.items(), key=lambda i: (i[0][0].topic, i[0][0].partition))[0]
        raise _fail(f"Moving replicas between log directories is not supported by kafka-clone (log_dirs entry "
                    f"{directory!r} for partition {tp} on broker {broker}): use \"any\"")


# ---- options (ReassignPartitionsCommandOptions, validateAndParseArgs) --------------------------------


def _usage(message: str) -> ToolError:
    # printUsageAndDie: the message on standard error (the option list is `--help`).
    return ToolError(message)


def check_args(given: set[str]) -> str:
    """The action to run, after Kafka's checks; ``given`` holds the option names on the line."""
    actions = [a for a in ACTIONS if a in given]
    if len(actions) != 1:
        raise _usage("Command must include exactly one action: " + ", ".join(f"--{a}" for a in ACTIONS))
    action = actions[0]
    if "bootstrap-server" not in given:
        raise _usage("Please specify --bootstrap-server")
    for name in REQUIRED[action]:
        if name not in given:
            raise _usage(f'Missing required argument "[{name}]"')
    for name in sorted(given):
        if name != action and name not in REQUIRED[action] and name not in PERMITTED[action]:
            raise _usage(f'Option "[{name}]" can\'t be used with action "[{action}]"')
    if "wait-timeout-ms" in given and "wait" not in given:
        raise _usage('Option "[wait-timeout-ms]" needs "[wait]"')
    return action


HELP = """This tool helps to move topic partitions between replicas.

\b
JSON files (Kafka's formats):
  --reassignment-json-file: {"version":1,"partitions":[{"topic":"t","partition":0,
                             "replicas":[1,2,3],"log_dirs":["any","any","any"]}]}
  --topics-to-move-json-file: {"topics":[{"topic":"t"}],"version":1}

--wait, --wait-timeout-ms and --random-seed are kafka-clone extensions."""


@click.command("reassign-partitions", help=HELP, context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="REQUIRED: the server(s) to use for bootstrapping.")
@click.option("--command-config", metavar="FILE", help="Property file containing configs to be passed to Admin Client.")
@click.option("--generate", is_flag=True, help="Generate a candidate partition reassignment configuration. Note that "
              "this only generates a candidate assignment, it does not execute it.")
@click.option("--execute", is_flag=True, help="Kick off the reassignment as specified by the --reassignment-json-file option.")
@click.option("--verify", is_flag=True, help="Verify if the reassignment completed as specified by the "
              "--reassignment-json-file option. If there is a throttle engaged for the replicas specified, and the "
              "rebalance has completed, the throttle will be removed")
@click.option("--cancel", is_flag=True, help="Cancel an active reassignment.")
@click.option("--list", "list_", is_flag=True, help="List all active partition reassignments.")
@click.option("--reassignment-json-file", metavar="FILE", help="The JSON file with the partition reassignment configuration.")
@click.option("--topics-to-move-json-file", metavar="FILE", help="Generate a reassignment configuration to move the "
              "partitions of the specified topics to the list of brokers specified by the --broker-list option.")
@click.option("--broker-list", metavar="BROKERLIST", help='The list of brokers to which the partitions need to be '
              'reassigned in the form "0,1,2". Required with --generate.')
@click.option("--disable-rack-aware", is_flag=True, help="Disable rack aware replica assignment")
@click.option("--throttle", type=int, metavar="BYTES/S", help="The movement of partitions between brokers will be "
              "throttled to this value (bytes/sec). Can be altered by resubmitting the current reassignment along "
              "with the --additional flag. The throttle rate should be at least 1 KB/s.")
@click.option("--replica-alter-log-dirs-throttle", type=int, metavar="BYTES/S", help="The movement of replicas "
              "between log directories on the same broker will be throttled to this value (bytes/sec).")
@click.option("--timeout", type=int, metavar="MS", help="The maximum time in ms to wait for log directory replica "
              "assignment to begin.  [default: 10000]")
@click.option("--additional", is_flag=True, help="Execute this reassignment in addition to any other ongoing ones. "
              "This option can also be used to change the throttle of an ongoing reassignment.")
@click.option("--preserve-throttles", is_flag=True, help="Do not modify broker or topic throttles.")
@click.option("--wait", is_flag=True, help="(kafka-clone extension) With --verify: re-check every second, printing "
              "which partitions are done and how far the new replicas' ISR has got, until all are done.")
@click.option("--wait-timeout-ms", type=click.IntRange(0), metavar="MS", help="(kafka-clone extension) How long "
              "--wait waits before giving up (exit 1, throttles kept).  [default: 300000]")
@click.option("--random-seed", type=int, metavar="N", help="(kafka-clone extension) Seed --generate's random start "
              "index and replica shift, so the proposal is reproducible.")
@click.pass_context
def reassign_partitions(ctx: click.Context, **options: Any) -> None:
    """Move partitions between brokers (kafka-reassign-partitions.sh)."""
    given = {p.name.replace("list_", "list").replace("_", "-") for p in ctx.command.params  # type: ignore[union-attr]
             if p.name and ctx.get_parameter_source(p.name) is click.core.ParameterSource.COMMANDLINE}
    options["list"] = options.pop("list_")
    options["action"] = check_args(given)
    options["throttle"] = -1 if options["throttle"] is None else options["throttle"]
    if options["replica_alter_log_dirs_throttle"] is None:
        options["replica_alter_log_dirs_throttle"] = -1
    options["timeout"] = 10000 if options["timeout"] is None else options["timeout"]
    if options["wait_timeout_ms"] is None:
        options["wait_timeout_ms"] = 300000
    run_tool(_Command(options).run, "Error: ", stdout=True)
