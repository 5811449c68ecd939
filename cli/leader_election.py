"""`kclone leader-election`: Kafka 2.8's ``kafka-leader-election.sh`` (``LeaderElectionCommand``).

ElectLeaders (KIP-460) for one partition (``--topic`` + ``--partition``), the partitions of a JSON
file (``--path-to-json-file``, ``{"partitions":[{"topic":"t","partition":0}]}``) or every
partition (``--all-topic-partitions``: the request names none and the controller picks the
eligible ones). ``--election-type`` is ``preferred`` or ``unclean``, in any case.

Output lines, as Kafka prints them (partitions sorted here, where Kafka uses hash order):

* ``Successfully completed leader election (PREFERRED) for partitions t-0, t-1``
* ``Valid replica already elected for partitions t-2`` (ELECTION_NOT_NEEDED)
* ``Error completing leader election (PREFERRED) for partition: t-3: <Java exception>: <message>``,
  then the command fails with "N replica(s) could not be elected" (exit 1).

Option errors print Kafka's message on standard error and exit 1, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from cli.topics import ToolError, read_client_properties, read_tool_file, run_tool
from kafka_clone.client import KafkaAdminClient, KafkaTimeoutError
from kafka_clone.client.reassignment_admin import ElectionType, elect_leaders
from kafka_clone.common.topic import TopicPartition
from kafka_clone.protocol.errors import ElectionNotNeeded, KafkaError

__all__ = ["leader_election", "parse_election_json", "java_exception", "election_report", "check_args"]

#: LeaderElectionCommand's timeout for the admin client (``run(args, 30.second)``).
TIMEOUT_MS = 30000

#: Errors whose Java exception is not simply the CamelCase name plus "Exception".
_JAVA_NAMES = {
    "UNKNOWN_SERVER_ERROR": "UnknownServerException",
    "CLUSTER_AUTHORIZATION_FAILED": "ClusterAuthorizationException",
    "TOPIC_AUTHORIZATION_FAILED": "TopicAuthorizationException",
    "INVALID_TOPIC_EXCEPTION": "InvalidTopicException",
    "REQUEST_TIMED_OUT": "TimeoutException",
    "NETWORK_EXCEPTION": "NetworkException",
}


def java_exception(error: BaseException) -> str:
    """What Java's ``Throwable.toString`` prints for the client's exception: class: message."""
    if isinstance(error, KafkaError):
        camel = _JAVA_NAMES.get(error.name) or "".join(w.capitalize() for w in error.name.split("_")) + "Exception"
        return f"org.apache.kafka.common.errors.{camel}: {error}"
    if isinstance(error, KafkaTimeoutError):
        return f"org.apache.kafka.common.errors.TimeoutException: {error}"
    return f"{type(error).__name__}: {error}"


def _fail(message: str) -> ToolError:
    return ToolError(message)


def parse_election_json(text: str) -> list[TopicPartition]:
    """``parseReplicaElectionData``: the partitions of the file, duplicates refused."""
    try:
        js = json.loads(text)
    except json.JSONDecodeError:
        js = None
    if js is None:
        raise _fail("Replica election data is empty")
    if not isinstance(js, dict) or "partitions" not in js:
        raise _fail('Replica election data is missing "partitions" field')
    partitions = []
    for entry in js["partitions"] if isinstance(js["partitions"], list) else []:
        topic = entry.get("topic") if isinstance(entry, dict) else None
        partition = entry.get("partition") if isinstance(entry, dict) else None
        if not isinstance(topic, str) or not isinstance(partition, int) or isinstance(partition, bool):
            raise _fail(f"Invalid partition entry in replica election data: {json.dumps(entry)}")
        partitions.append(TopicPartition(topic, partition))
    seen: dict[TopicPartition, int] = {}
    for tp in partitions:
        seen[tp] = seen.get(tp, 0) + 1
    duplicates = [str(tp) for tp, n in seen.items() if n > 1]
    if duplicates:
        raise _fail(f"Replica election data contains duplicate partitions: {','.join(duplicates)}")
    return partitions


def _sorted(tps: Any) -> list[TopicPartition]:
    return sorted(tps, key=lambda tp: (tp.topic, tp.partition))


def election_report(election_type: ElectionType, results: Mapping[TopicPartition, KafkaError | None]) -> tuple[list[str], int]:
    """The lines Kafka prints for the results, and how many partitions failed."""
    succeeded = _sorted(tp for tp, e in results.items() if e is None)
    noop = _sorted(tp for tp, e in results.items() if isinstance(e, ElectionNotNeeded))
    failed = _sorted(tp for tp, e in results.items() if e is not None and not isinstance(e, ElectionNotNeeded))
    lines = []
    if succeeded:
        lines.append(f"Successfully completed leader election ({election_type.name}) for partitions "
                     + ", ".join(map(str, succeeded)))
    if noop:
        lines.append("Valid replica already elected for partitions " + ", ".join(map(str, noop)))
    for tp in failed:
        lines.append(f"Error completing leader election ({election_type.name}) for partition: {tp}: "
                     f"{java_exception(results[tp])}")  # type: ignore[arg-type]
    return lines, len(failed)


def check_args(o: dict[str, Any]) -> None:
    """``LeaderElectionCommand.validate``."""
    missing = [name for name, key in (("election-type", "election_type"), ("bootstrap-server", "bootstrap_server"))
               if o[key] is None]
    if missing:
        raise _fail(f"Missing required option(s): {', '.join(missing)}")
    exclusive = [o["topic"] is not None, o["all_topic_partitions"], o["path_to_json_file"] is not None]
    if sum(exclusive) != 1:
        raise _fail("One and only one of the following options is required: topic, all-topic-partitions, "
                    "path-to-json-file")
    if o["topic"] is not None and o["partition"] is None:
        raise _fail("Missing required option(s): partition")
    if o["topic"] is None and o["partition"] is not None:
        raise _fail("Option partition is only allowed if topic is used")


def parse_election_type(value: str) -> ElectionType:
    """joptsimple's ``EnumConverter``: the enum name in any case."""
    try:
        return ElectionType[value.strip().upper()]
    except KeyError:
        raise _fail(f"Value [{value}] is not one of [PREFERRED, UNCLEAN]") from None


async def _run(o: dict[str, Any], election_type: ElectionType, partitions: list[TopicPartition] | None) -> None:
    props = read_client_properties(o["admin_config"], _fail)
    async with KafkaAdminClient.create(
        o["bootstrap_server"], client_id=props.get("client.id", "adminclient-1"),
        request_timeout_ms=int(props.get("request.timeout.ms", TIMEOUT_MS)),
        default_api_timeout_ms=int(props.get("default.api.timeout.ms", TIMEOUT_MS)),
    ) as admin:
        try:
            results = await elect_leaders(admin, election_type, partitions)
        except KafkaTimeoutError:
            click.echo("Timeout waiting for election results")
            raise ToolError("Timeout waiting for election results") from None
        except KafkaError as exc:
            if exc.name == "CLUSTER_AUTHORIZATION_FAILED":
                click.echo("Not authorized to perform leader election")
                raise ToolError("Not authorized to perform leader election") from None
            click.echo("Error while making request")
            raise
    lines, failed = election_report(election_type, results)
    for line in lines:
        click.echo(line)
    if failed:
        raise ToolError(f"{failed} replica(s) could not be elected")


HELP = ("This tool attempts to elect a new leader for a set of topic partitions. The type of elections "
        "supported are preferred replicas and unclean replicas.")


@click.command("leader-election", help=HELP, context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT", help="A hostname and port for the broker to connect to, in "
              "the form host:port. Multiple comma separated URLs can be given. REQUIRED.")
@click.option("--admin.config", "admin_config", metavar="FILE",
              help="Configuration properties files to pass to the admin client")
@click.option("--path-to-json-file", metavar="FILE", help='The JSON file with the list of partitions for which leader '
              'elections should be performed, e.g. {"partitions":[{"topic": "foo", "partition": 1}]}. Not allowed '
              "if --all-topic-partitions or --topic flags are specified.")
@click.option("--topic", metavar="TOPIC", help="Name of topic for which to perform an election. Not allowed if "
              "--path-to-json-file or --all-topic-partitions is specified.")
@click.option("--partition", type=int, metavar="ID",
              help="Partition id for which to perform an election. REQUIRED if --topic is specified.")
@click.option("--all-topic-partitions", is_flag=True, help="Perform election on all of the eligible topic partitions "
              "based on the type of election (see the --election-type flag). Not allowed if --topic or "
              "--path-to-json-file is specified.")
@click.option("--election-type", metavar="preferred|unclean", help='Type of election to attempt. Possible values are '
              '"preferred" for preferred leader election or "unclean" for unclean leader election. If preferred '
              "election is selected, the election is only performed if the current leader is not the preferred "
              "leader for the topic partition. If unclean election is selected, the election is only performed if "
              "there is no leader for the topic partition. REQUIRED.")
def leader_election(**o: Any) -> None:
    """Elect preferred or unclean leaders (kafka-leader-election.sh)."""
    check_args(o)
    election_type = parse_election_type(o["election_type"])
    partitions: list[TopicPartition] | None = None
    if o["path_to_json_file"] is not None:
        partitions = parse_election_json(read_tool_file(o["path_to_json_file"], _fail))
    elif o["topic"] is not None:
        partitions = [TopicPartition(o["topic"], o["partition"])]
    run_tool(lambda: _run(o, election_type, partitions), "Error: ", stdout=True)
