"""`kclone consumer-groups`: Kafka 2.8's ``kafka-consumer-groups.sh`` (``ConsumerGroupCommand``).

Same options and columns: ``--list`` (``--state`` adds the state column); ``--describe`` with the
offsets view (``GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST
CLIENT-ID``), ``--members`` (``--verbose`` adds the assignment), ``--state``; ``--reset-offsets``
(``--to-earliest``, ``--to-latest``, ``--to-current``, ``--to-offset``, ``--shift-by``,
``--to-datetime``, ``--by-duration``, ``--from-file``; ``--dry-run`` shows, ``--execute`` commits;
only for an inactive group; ``--export`` prints the plan as the CSV ``--from-file`` reads);
``--delete``; ``--delete-offsets``. Errors print Kafka's lines and exit 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from collections.abc import Mapping, Sequence

import attrs
import click

from cli.topics import ToolError, run_tool
from kafka_clone.client.group_admin import GroupAdminClient, GroupDescription
from kafka_clone.client.offsets import EARLIEST, LATEST
from kafka_clone.common.topic import TopicPartition

MISSING = "-"
NO_EXECUTE_WARNING = (
    "WARN: No action will be performed as the --execute option is missing.In a future major release, the "
    "default behavior of this command will be to prompt the user before executing the reset rather than doing a "
    "dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep "
    "the current default behavior without prompting.")


def _fmt(widths: Sequence[int], values: Sequence[object]) -> str:
    """Java's ``%-Ns`` columns joined by one space; the last column unpadded."""
    cells = [str(v).ljust(w) for w, v in zip(widths, values[:-1])]
    return " ".join(cells + [str(values[-1])])


# ---- --describe ----

async def _offset_rows(admin: GroupAdminClient, group: str, d: GroupDescription):
    committed = await admin.list_group_offsets(group)
    assigned: dict[TopicPartition, tuple[str, str, str]] = {}
    idle_members = []
    for m in d.members:
        if not m.assignment:
            idle_members.append(m)
        for tp in m.assignment:
            assigned[tp] = (m.member_id, m.host, m.client_id)
    partitions = sorted(set(assigned) | set(committed))
    ends = await admin.list_offsets({tp: LATEST for tp in partitions}) if partitions else {}
    rows = []
    for tp in partitions:
        current = committed.get(tp)
        current_offset = current.offset if current is not None and current.offset >= 0 else None
        end = ends.get(tp)
        end_offset = end.offset if end is not None and end.error is None else None
        lag = end_offset - current_offset if current_offset is not None and end_offset is not None else None
        consumer, host, client = assigned.get(tp, (MISSING, MISSING, MISSING))
        rows.append((group, tp.topic, tp.partition, MISSING if current_offset is None else current_offset,
                     MISSING if end_offset is None else end_offset, MISSING if lag is None else lag,
                     consumer, host, client))
    for m in idle_members:
        rows.append((group, MISSING, MISSING, MISSING, MISSING, MISSING, m.member_id, m.host, m.client_id))
    return rows


def _state_notice(group: str, state: str) -> bool:
    """ConsumerGroupCommand's notes before a group's table; False when there is no table."""
    if state == "Dead":
        click.echo(f"\nConsumer group '{group}' does not exist.", err=True)
        return False
    if state == "Empty":
        click.echo(f"\nConsumer group '{group}' has no active members.", err=True)
    elif state in ("PreparingRebalance", "CompletingRebalance"):
        click.echo(f"\nWarning: Consumer group '{group}' is rebalancing.", err=True)
    return True


async def _describe(admin: GroupAdminClient, groups: list[str], view: str, verbose: bool) -> None:
    for group in groups:
        d = await admin.describe_group(group)
        if d.error is not None:
            raise ToolError(f"Error: Executing consumer group command failed due to {d.error}")
        if view == "state":
            coordinator = f"{d.coordinator.host}:{d.coordinator.port}  ({d.coordinator.node_id})"
            if d.state == "Dead":
                click.echo(f"\nConsumer group '{group}' does not exist.", err=True)
                continue
            widths = (max(15, len(group)), max(25, len(coordinator)), 25, 20, 15)
            click.echo("\n" + _fmt(widths, ("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")))
            click.echo(_fmt(widths, (group, coordinator, d.protocol, d.state, len(d.members))))
            continue
        if not _state_notice(group, d.state):
            continue
        if view == "members":
            rows = [(group, m.member_id, m.group_instance_id or MISSING, m.host, m.client_id, len(m.assignment),
                     _assignment_text(m.assignment)) for m in d.members]
            if not rows:
                continue
            widths = [max(15, *(len(str(r[i])) for r in rows)) for i in range(5)] + [15]
            header = ("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
            click.echo("\n" + _fmt(widths, header + (("ASSIGNMENT",) if verbose else ())))
            for r in rows:
                click.echo(_fmt(widths, r if verbose else r[:6]))
            continue
        rows = await _offset_rows(admin, group, d)
        if not rows:
            continue
        widths = [max(15, *(len(str(r[0])) for r in rows)), max(15, *(len(str(r[1])) for r in rows)), 10, 15, 15, 15,
                  max(15, *(len(str(r[6])) for r in rows)), max(15, *(len(str(r[7])) for r in rows))]
        click.echo("\n" + _fmt(widths, ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                        "CONSUMER-ID", "HOST", "CLIENT-ID")))
        for r in rows:
            click.echo(_fmt(widths, r))


def _assignment_text(assignment: Sequence[TopicPartition]) -> str:
    by_topic: dict[str, list[int]] = {}
    for tp in assignment:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    if not by_topic:
        return MISSING
    return ",".join(f"{t}({','.join(map(str, sorted(ps)))})" for t, ps in sorted(by_topic.items()))


# ---- --reset-offsets ----

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration_ms(text: str) -> int:
    """ISO-8601 ``PnDTnHnMnS`` (what ``java.time.Duration.parse`` accepts here)."""
    m = _DURATION.match(text)
    if not m or text in ("P", "PT"):
        raise ValueError(f"Error parsing duration {text!r}: expected PnDTnHnMnS")
    days, hours, minutes, seconds = (float(x) if x else 0.0 for x in m.groups())
    return int(((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)


def parse_datetime_ms(text: str) -> int:
    """``YYYY-MM-DDTHH:mm:SS.sss`` with an optional zone (``Z``, ``+hh:mm``); local time without."""
    value = text.replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Error parsing timestamp. It does not follow format 'YYYY-MM-DDTHH:mm:SS.sss': {text}") \
            from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return int(parsed.timestamp() * 1000)


# ``--export`` and ``--from-file``: ConsumerGroupCommand's CSV (``CsvRecordNoGroup`` /
# ``CsvRecordWithGroup`` through Jackson's CsvMapper: no header, ``,`` between columns, ``"`` quotes,
# ``\n`` after every row).

NO_GROUP_COLUMNS = "topic,partition,offset"
WITH_GROUP_COLUMNS = "group,topic,partition,offset"
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
#: Jackson's CsvEncoder quotes (without STRICT_CHECK_FOR_QUOTING, Kafka's setting) every value
#: longer than this, without looking at it.
_JACKSON_MAX_QUOTE_CHECK = 24
#: ... and a shorter value holding any character below this one: one past the largest of the
#: separator ``,``, the quote ``"`` and the line feed, so space, ``!``, ``#`` ... ``+`` too.
_JACKSON_MIN_SAFE_CHAR = ord(",") + 1


def _csv_value(text: str) -> str:
    if len(text) > _JACKSON_MAX_QUOTE_CHECK or any(ord(c) < _JACKSON_MIN_SAFE_CHAR for c in text):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_reset_plan_csv(plans: Mapping[str, Mapping[TopicPartition, int]], *, with_group: bool) -> str:
    """``exportOffsetsToCsv``: ``topic,partition,offset`` rows when exactly one ``--group`` was
    given, ``group,topic,partition,offset`` otherwise; each row ends with a newline."""
    rows = []
    for group, offsets in plans.items():
        for tp, offset in offsets.items():
            cells = ([_csv_value(group)] if with_group else []) + [_csv_value(tp.topic), str(tp.partition),
                                                                   str(offset)]
            rows.append(",".join(cells) + "\n")
    return "".join(rows)


class ResetPlanError(ValueError):
    """A reset plan file that cannot be read or parsed (one line, nothing committed)."""


def _csv_fields(line: str) -> list[str] | None:
    try:
        rows = list(csv.reader([line], strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _csv_record(number: int, line: str, columns: str, expected: str) -> tuple[str, ...]:
    """One row as ``columns`` (``topic,partition,offset`` or with the group first), checked the way
    Jackson binds it to the record: the partition an int, the offset a long."""
    names = columns.split(",")
    fields = _csv_fields(line)
    where = f"line {number} of the reset plan ({line!r})"
    if fields is None or len(fields) != len(names):
        raise ResetPlanError(f"Malformed {where}: expected {expected}")
    record = dict(zip(names, fields))
    if not record["topic"]:
        raise ResetPlanError(f"Malformed {where}: the topic is empty")
    for name, bits in (("partition", 32), ("offset", 64)):
        text = record[name].strip()
        if not _INTEGER.match(text) or not -(2 ** (bits - 1)) <= int(text) < 2 ** (bits - 1):
            kind = "an int" if bits == 32 else "a long"
            raise ResetPlanError(f"Malformed {where}: {name} {record[name]!r} is not {kind}")
        record[name] = str(int(text))
    return tuple(record[n] for n in names)


def parse_reset_plan_csv(text: str, single_group: str | None) -> dict[str, dict[TopicPartition, int]]:
    """``parseResetPlan``: group -> partition -> offset.

    With exactly one ``--group`` (``single_group``) a plan whose first line is a
    ``topic,partition,offset`` row is that group's; any other plan is read as
    ``group,topic,partition,offset`` rows. A later row for the same partition wins, as in Kafka.
    Lines are split on ``\n`` and trailing empty lines dropped (Java's ``split``); a ``\r`` before
    the ``\n`` ends the row as it does for Jackson's parser.
    """
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ResetPlanError("The reset plan is empty")
    first = _csv_fields(lines[0])
    no_group = single_group is not None and first is not None and len(first) == len(NO_GROUP_COLUMNS.split(","))
    plan: dict[str, dict[TopicPartition, int]] = {}
    for number, line in enumerate(lines, 1):
        if no_group:
            assert single_group is not None
            topic, partition, offset = _csv_record(number, line, NO_GROUP_COLUMNS, NO_GROUP_COLUMNS)
            group = single_group
        else:
            # With one group, the first line could have meant either format.
            expected = f"{NO_GROUP_COLUMNS} or {WITH_GROUP_COLUMNS}" if single_group is not None and number == 1 \
                else WITH_GROUP_COLUMNS
            group, topic, partition, offset = _csv_record(number, line, WITH_GROUP_COLUMNS, expected)
        plan.setdefault(group, {})[TopicPartition(topic, int(partition))] = int(offset)
    return plan


def read_reset_plan(path: str, single_group: str | None) -> dict[str, dict[TopicPartition, int]]:
    """``Utils.readFileAsString(path)`` then ``parseResetPlan``."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ResetPlanError(f"Cannot read the reset plan {path}: {reason}") from None
    return parse_reset_plan_csv(text, single_group)


async def _partitions_to_reset(admin: GroupAdminClient, group: str, topics: Sequence[str], all_topics: bool):
    if all_topics:
        return sorted(await admin.list_group_offsets(group))
    result: list[TopicPartition] = []
    for spec in topics:
        name, _, parts = spec.partition(":")
        if parts:
            result.extend(TopicPartition(name, int(p)) for p in parts.split(","))
        else:
            result.extend(await admin.partitions_of([name]))
    return sorted(result)


@attrs.frozen
class ResetSpec:
    """One ``--reset-offsets`` scenario: its kind and argument (``--to-offset``'s offset, a timestamp
    for ``--to-datetime``/``--by-duration``, the parsed ``--from-file`` plan)."""

    kind: str
    arg: object = None


async def _plan_group(admin: GroupAdminClient, group: str, partitions: Sequence[TopicPartition],
                      spec: ResetSpec) -> dict[TopicPartition, int]:
    """``prepareOffsetsToReset`` for one inactive group: every scenario's target, clamped to the
    partition's [log start, log end] as Kafka's ``checkOffsetsRange`` does."""
    earliest = await admin.list_offsets({tp: EARLIEST for tp in partitions})
    latest = await admin.list_offsets({tp: LATEST for tp in partitions})
    committed = await admin.list_group_offsets(group, partitions)
    new: dict[TopicPartition, int] = {}
    for tp in partitions:
        low, high = earliest[tp].check().offset, latest[tp].check().offset
        current = committed.get(tp)
        current_offset = current.offset if current is not None and current.offset >= 0 else None
        if spec.kind == "earliest":
            target = low
        elif spec.kind == "latest":
            target = high
        elif spec.kind == "current":
            target = current_offset if current_offset is not None else high
        elif spec.kind == "offset":
            target = int(spec.arg)
        elif spec.kind == "shift":
            target = (current_offset if current_offset is not None else high) + int(spec.arg)
        elif spec.kind == "file":
            target = spec.arg[group][tp]
        else:
            found = (await admin.list_offsets({tp: int(spec.arg)}))[tp]
            target = found.offset if found.error is None and found.offset >= 0 else high
        new[tp] = min(max(target, low), high)
    return new


async def _reset(admin: GroupAdminClient, groups: list[str], topics: Sequence[str], all_topics: bool,
                 spec: ResetSpec, execute: bool, export: bool, single_group: bool) -> None:
    """``resetOffsets`` then the table or, with ``--export``, the CSV.

    Every group is planned before anything is committed, so a bad plan (an unknown topic, a
    busy group) leaves every group's offsets as they were. Kafka 2.8 commits group by group and
    may stop half-way; with one group, which is the common case, the two are the same.
    """
    plans: dict[str, dict[TopicPartition, int]] = {}
    for group in groups:
        d = await admin.describe_group(group)
        if d.state not in ("Empty", "Dead"):
            raise ToolError(f"Error: Assignments can only be reset if the group '{group}' is inactive, but the "
                            f"current state is {d.state}.")
        if spec.kind == "file":
            if group not in spec.arg:
                # Kafka prints this and leaves the group out (it may be one of --all-groups).
                click.echo(f"\nError: No reset plan for group {group} found", err=True)
                continue
            partitions = sorted(spec.arg[group])
        else:
            partitions = await _partitions_to_reset(admin, group, topics, all_topics)
        plans[group] = await _plan_group(admin, group, partitions, spec)
    if not plans and spec.kind == "file":
        raise ToolError("Error: Executing consumer group command failed due to the reset plan has no line for "
                        + ", ".join(f"'{g}'" for g in groups))
    if execute:
        for group, new in plans.items():
            if not new:
                continue
            errors = {tp: e for tp, e in (await admin.alter_group_offsets(group, new)).items() if e is not None}
            if errors:
                tp, error = next(iter(errors.items()))
                raise ToolError(f"Error: Executing consumer group command failed due to {type(error).__name__}: "
                                f"{error.message if hasattr(error, 'message') else error}")
    if export:
        # ``println(exportOffsetsToCsv(...))``: every row ends with a newline, and println adds one.
        click.echo(format_reset_plan_csv(plans, with_group=not single_group))
        return
    if plans:
        widths = (30, 30, 10, 15)
        click.echo("\n" + _fmt(widths, ("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")))
        for group, new in plans.items():
            for tp, offset in new.items():
                click.echo(_fmt(widths, (group, tp.topic, tp.partition, offset)))


# ---- the command ----

@click.command("consumer-groups", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="REQUIRED: The server(s) to connect to.")
@click.option("--list", "list_", is_flag=True, help="List all consumer groups.")
@click.option("--describe", is_flag=True, help="Describe consumer group and list offset lag.")
@click.option("--delete", is_flag=True, help="Pass in groups to delete topic partition offsets and ownership.")
@click.option("--delete-offsets", is_flag=True, help="Delete offsets of consumer group.")
@click.option("--reset-offsets", is_flag=True, help="Reset offsets of consumer group (one group at a time).")
@click.option("--group", "groups", multiple=True, help="The consumer group we wish to act on.")
@click.option("--all-groups", is_flag=True, help="Apply to all consumer groups.")
@click.option("--topic", "topics", multiple=True, help="The topic (topic:0,1 for partitions).")
@click.option("--all-topics", is_flag=True, help="Consider all topics assigned to a group.")
@click.option("--members", is_flag=True, help="Describe members of the group.")
@click.option("--offsets", is_flag=True, help="Describe the group and list all topic partitions with offsets.")
@click.option("--state", "state", is_flag=True, help="Describe the group state (with --list: show states).")
@click.option("--verbose", is_flag=True, help="Provide additional information when describing members.")
@click.option("--to-earliest", is_flag=True, help="Reset offsets to earliest offset.")
@click.option("--to-latest", is_flag=True, help="Reset offsets to latest offset.")
@click.option("--to-current", is_flag=True, help="Reset offsets to current offset.")
@click.option("--to-offset", type=int, help="Reset offsets to a specific offset.")
@click.option("--shift-by", type=int, help="Reset offsets shifting current offset by 'n' (may be negative).")
@click.option("--to-datetime", help="Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'")
@click.option("--by-duration", help="Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'")
@click.option("--from-file", metavar="PATH", help="Reset offsets to values defined in CSV file.")
@click.option("--dry-run", is_flag=True, help="Only show results without executing changes on Consumer Groups.")
@click.option("--execute", is_flag=True, help="Execute operation.")
@click.option("--export", is_flag=True, help="Export operation execution to a CSV file. Supported operations: "
              "reset-offsets.")
@click.option("--timeout", "timeout_ms", type=int, default=5000, help="Timeout (ms) for some use cases.")
@click.option("--command-config", help="Property file with configs for the admin client (accepted, unused).")
def consumer_groups(bootstrap_server, list_, describe, delete, delete_offsets, reset_offsets, groups, all_groups,
                    topics, all_topics, members, offsets, state, verbose, to_earliest, to_latest, to_current,
                    to_offset, shift_by, to_datetime, by_duration, from_file, dry_run, execute, export, timeout_ms,
                    command_config) -> None:
    """List all consumer groups, describe a consumer group, delete consumer group info, or reset offsets."""
    actions = [a for a in (list_, describe, delete, delete_offsets, reset_offsets) if a]
    if len(actions) != 1:
        raise ToolError("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, "
                        "--delete-offsets")
    if not bootstrap_server:
        raise ToolError("Missing required argument \"[bootstrap-server]\"")
    if (describe or delete or reset_offsets or delete_offsets) and not groups and not all_groups:
        raise ToolError("Option [describe] takes one of these options: [all-groups], [group]" if describe
                        else "Option requires one of these options: [all-groups], [group]")

    async def run() -> None:
        async with GroupAdminClient.create(bootstrap_server, timeout_ms=max(timeout_ms, 30000)) as admin:
            chosen = list(groups)
            if all_groups:
                chosen = [g.group_id for g in await admin.list_groups()]
            if list_:
                listed = await admin.list_groups()
                if state:
                    width = max([15] + [len(g.group_id) for g in listed])
                    click.echo(_fmt((width,), ("GROUP", "STATE")))
                    for g in listed:
                        click.echo(_fmt((width,), (g.group_id, g.state)))
                else:
                    for g in listed:
                        click.echo(g.group_id)
            elif describe:
                view = "members" if members else "state" if state else "offsets"
                await _describe(admin, chosen, view, verbose)
            elif delete:
                results = await admin.delete_groups(chosen)
                failed = {g: e for g, e in results.items() if e is not None}
                ok = [g for g, e in results.items() if e is None]
                if ok:
                    click.echo("Deletion of requested consumer groups (" + ", ".join(f"'{g}'" for g in ok)
                               + ") was successful.")
                if failed:
                    click.echo("Deletion of some consumer groups failed:")
                    for g, e in failed.items():
                        click.echo(f"* Group '{g}' could not be deleted due to: {type(e).__name__}: {e.message}")
            elif delete_offsets:
                parts = await _partitions_to_reset(admin, chosen[0], topics, all_topics)
                error, results = await admin.delete_group_offsets(chosen[0], parts)
                if error is not None:
                    raise ToolError(f"Error: Encountered some partition level error(s): {type(error).__name__}")
                click.echo("\n" + _fmt((30, 10), ("TOPIC", "PARTITION", "STATUS")))
                for tp, e in results.items():
                    click.echo(_fmt((30, 10), (tp.topic, tp.partition, "Successful" if e is None
                                               else f"Error: {e.message}")))
            else:
                assert spec is not None
                await _reset(admin, chosen, topics, all_topics, spec, execute, export, len(groups) == 1)

    def _reset_spec() -> ResetSpec:
        """The one scenario (``allResetOffsetScenarioOpts``), its argument parsed before anything
        is sent: a bad datetime, duration or plan file fails with nothing committed."""
        flags = [to_earliest, to_latest, to_current, to_offset is not None, shift_by is not None,
                 to_datetime is not None, by_duration is not None, from_file is not None]
        if sum(flags) != 1:
            raise ToolError("Option [reset-offsets] takes exactly one of these options: [to-datetime], "
                            "[by-duration], [to-earliest], [to-latest], [shift-by], [from-file], [to-current], "
                            "[to-offset]")
        # ``getPartitionsToReset``: a scope is required unless the plan file names the partitions.
        if from_file is None and not topics and not all_topics:
            raise ToolError("Option [reset-offsets] takes one of these options: [all-topics], [topic]")
        try:
            if to_earliest:
                return ResetSpec("earliest")
            if to_latest:
                return ResetSpec("latest")
            if to_current:
                return ResetSpec("current")
            if to_offset is not None:
                return ResetSpec("offset", to_offset)
            if shift_by is not None:
                return ResetSpec("shift", shift_by)
            if to_datetime is not None:
                return ResetSpec("time", parse_datetime_ms(to_datetime))
            if by_duration is not None:
                return ResetSpec("time", int(time.time() * 1000) - parse_duration_ms(by_duration))
            # ``isSingleGroupQuery``: exactly one --group (not --all-groups) reads topic,partition,offset.
            return ResetSpec("file", read_reset_plan(from_file, groups[0] if len(groups) == 1 else None))
        except ResetPlanError as exc:
            raise ToolError(f"Error: Executing consumer group command failed due to {exc}") from None
        except ValueError as exc:
            raise ToolError(str(exc)) from None

    spec = None
    if reset_offsets:
        if dry_run and execute:
            raise ToolError("Option [reset-offsets] only accepts one of [execute] and [dry-run]")
        spec = _reset_spec()
        if not dry_run and not execute:
            click.echo(NO_EXECUTE_WARNING, err=True)
    run_tool(run, "Error: Executing consumer group command failed due to ")
