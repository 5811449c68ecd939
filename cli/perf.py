"""`kclone producer-perf-test` and `kclone consumer-perf-test`: Kafka 2.8's perf tools.

Thin commands over ``kafka_clone.tools``: same option names and defaults, same output lines
(see the library modules for what is measured and how it differs). Option errors are one line
and exit 1: ``producer-performance: error: ...`` as argparse4j words them for the producer tool,
joptsimple's ``Missing required argument "[topic]"`` for the consumer tool. ``--print-metrics``
is accepted and prints nothing: our client keeps no metrics registry.
"""

from __future__ import annotations

import re
from typing import Any

import click

from kafka_clone.tools.consumer_perf import ConsumerPerfConfig, default_group, header, run_consumer_perf
from kafka_clone.tools.java_format import simple_date_format
from kafka_clone.tools.producer_perf import ProducerPerfConfig, read_payload_file, run_producer_perf

from .console import _load_properties
from .topics import ToolError, run_tool

__all__ = ["producer_perf_test", "consumer_perf_test"]


def _argparse_error(message: str) -> ToolError:
    return ToolError(f"producer-performance: error: {message}")


def _producer_props(values: list[str], config_file: str | None) -> dict[str, str]:
    """``readProps``: the file first, then each ``k=v`` (exactly one ``=``, as Java's split sees it)."""
    props = _load_properties(config_file)
    for prop in values:
        pieces = prop.split("=")
        while len(pieces) > 1 and pieces[-1] == "":  # String.split drops trailing empty strings
            pieces.pop()
        if len(pieces) != 2:
            raise ToolError(f"Invalid property: {prop}")
        props[pieces[0]] = pieces[1]
    return props


@click.command("producer-perf-test", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--topic", metavar="TOPIC", help="produce messages to this topic")
@click.option("--num-records", metavar="NUM-RECORDS", type=int, help="number of messages to produce")
@click.option("--record-size", metavar="RECORD-SIZE", type=int,
              help="message size in bytes. Note that you must provide exactly one of --record-size or --payload-file.")
@click.option("--payload-file", metavar="PAYLOAD-FILE",
              help="file to read the message payloads from (UTF-8 text); a payload is drawn at random per message.")
@click.option("--payload-delimiter", metavar="PAYLOAD-DELIMITER", default="\\n", show_default=True,
              help="delimiter between the payloads of --payload-file (a regular expression).")
@click.option("--throughput", metavar="THROUGHPUT", type=float,
              help="throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. "
                   "Set this to -1 to disable throttling.")
@click.option("--producer-props", "producer_props", multiple=True, metavar="PROP-NAME=PROP-VALUE",
              help="kafka producer related configuration properties like bootstrap.servers,client.id etc. "
                   "These configs take precedence over those passed via --producer.config.")
@click.option("--producer.config", "producer_config", metavar="CONFIG-FILE", type=click.Path(dir_okay=False),
              help="producer config properties file.")
@click.option("--print-metrics", is_flag=True, help="print out metrics at the end of the test (none here).")
@click.option("--transactional-id", metavar="TRANSACTIONAL-ID", default="performance-producer-default-transactional-id",
              show_default=True, help="The transactionalId to use if transaction-duration-ms is > 0.")
@click.option("--transaction-duration-ms", metavar="TRANSACTION-DURATION", type=int, default=0, show_default=True,
              help="The max age of each transaction; transactions are enabled if positive (not supported here).")
@click.argument("more_props", nargs=-1, metavar="")
def producer_perf_test(**o: Any) -> None:
    """This tool is used to verify the producer performance (kafka-producer-perf-test.sh)."""
    # --producer-props takes several values (argparse4j nargs="+"): the words after it arrive here.
    more = list(o["more_props"])
    if more and not o["producer_props"]:
        raise _argparse_error(f"unrecognized arguments: '{more[0]}'")
    for name in ("topic", "num_records", "throughput"):
        if o[name] is None:
            raise _argparse_error(f"argument --{name.replace('_', '-')} is required")
    if o["record_size"] is not None and o["payload_file"] is not None:
        raise _argparse_error("argument --payload-file: not allowed with argument --record-size")
    if o["record_size"] is None and o["payload_file"] is None:
        raise _argparse_error("one of the arguments --record-size --payload-file is required")
    if not o["producer_props"] and o["producer_config"] is None:
        raise _argparse_error("Either --producer-props or --producer.config must be specified.")
    if o["num_records"] <= 0:
        raise _argparse_error("--num-records should be greater than zero")
    if o["record_size"] is not None and o["record_size"] <= 0:
        raise _argparse_error("--record-size should be greater than zero")
    props = _producer_props(list(o["producer_props"]) + more, o["producer_config"])
    if o["transaction_duration_ms"] > 0:
        # Kafka 2.8 enables transactions only for a positive duration; a bare --transactional-id
        # is unused there too.
        raise ToolError("--transaction-duration-ms: kafka-clone has no transactions")
    delimiter = "\n" if o["payload_delimiter"] == "\\n" else o["payload_delimiter"]
    payloads: tuple[bytes, ...] = ()
    if o["payload_file"] is not None:
        try:
            payloads = tuple(read_payload_file(o["payload_file"], delimiter, click.echo))
        except (ValueError, re.error) as exc:
            raise ToolError(str(exc)) from None
        if not payloads:
            raise ToolError("File does not exist or empty file provided.")
    cfg = ProducerPerfConfig(o["topic"], o["num_records"], o["throughput"], props, o["record_size"], payloads)

    async def run() -> None:
        await run_producer_perf(cfg, click.echo)

    run_tool(run)


@click.command("consumer-perf-test", context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--bootstrap-server", metavar="HOST:PORT",
              help="REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.")
@click.option("--broker-list", metavar="HOST:PORT",
              help="DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.")
@click.option("--topic", help="REQUIRED: The topic to consume from.")
@click.option("--messages", type=int, help="REQUIRED: The number of messages to send or consume")
@click.option("--group", help="The group id to consume on.  [default: perf-consumer-<random>]")
@click.option("--fetch-size", type=int, default=1024 * 1024, show_default=True,
              help="The amount of data to fetch in a single request.")
@click.option("--from-latest", is_flag=True,
              help="If the consumer does not already have an established offset to consume from, start with the "
                   "latest message present in the log rather than the earliest message.")
@click.option("--socket-buffer-size", type=int, default=2 * 1024 * 1024, show_default=True,
              help="The size of the tcp RECV size (ignored).")
@click.option("--threads", type=int, default=10, help="DEPRECATED AND IGNORED: Number of processing threads.")
@click.option("--num-fetch-threads", type=int, default=1, help="DEPRECATED AND IGNORED: Number of fetcher threads.")
@click.option("--consumer.config", "consumer_config", type=click.Path(dir_okay=False, exists=True),
              help="Consumer config properties file.")
@click.option("--print-metrics", is_flag=True, help="Print out the metrics (none here).")
@click.option("--show-detailed-stats", is_flag=True,
              help="If set, stats are reported for each reporting interval as configured by reporting-interval")
@click.option("--timeout", type=int, default=10000, show_default=True,
              help="The maximum allowed time in milliseconds between returned records.")
@click.option("--reporting-interval", type=int, default=5000, show_default=True,
              help="Interval in milliseconds at which to print progress info.")
@click.option("--date-format", default="yyyy-MM-dd HH:mm:ss:SSS", show_default=True,
              help="The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.")
@click.option("--hide-header", is_flag=True, help="If set, skips printing the header for the stats ")
def consumer_perf_test(**o: Any) -> None:
    """This tool helps in performance test for the full zookeeper consumer (kafka-consumer-perf-test.sh)."""
    for name in ("topic", "messages"):
        if o[name] is None:
            raise ToolError(f'Missing required argument "[{name}]"')
    servers = o["bootstrap_server"] or o["broker_list"]
    if not servers:
        raise ToolError('Missing required argument "[bootstrap-server]"')
    if o["reporting_interval"] <= 0:
        raise ToolError("Reporting interval must be greater than 0.")
    try:
        date_format = simple_date_format(o["date_format"])
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    cfg = ConsumerPerfConfig(
        servers, o["topic"], o["messages"], o["group"] or default_group(), date_format,
        from_latest=o["from_latest"], fetch_size=o["fetch_size"], timeout_ms=o["timeout"],
        reporting_interval_ms=o["reporting_interval"], show_detailed_stats=o["show_detailed_stats"],
        props=_load_properties(o["consumer_config"]),
    )
    if not o["hide_header"]:
        click.echo(header(o["show_detailed_stats"]))

    async def run() -> None:
        result = await run_consumer_perf(cfg, click.echo)
        if not cfg.show_detailed_stats:
            click.echo(result.summary_line(date_format))

    run_tool(run)
