"""`kclone dump-log`: Kafka 2.8's ``kafka-dump-log.sh`` (``kafka.tools.DumpLogSegments``).

Same options and output lines; the work is ``kafka_clone.log.dump`` (see its docstring for what
each file gives and where the lines differ from Kafka's). Lines Kafka prints on standard error
(``Ignoring unknown file``, the index-mismatch and non-consecutive-offset reports) go there too.
What Kafka would die of with a stack trace (a missing file, a corrupt batch length, a failed
``--index-sanity-check``) is one line on standard error and exit 1, after the lines already
printed. The files are only read, so it is safe on a running broker's log directories.

    kclone dump-log --files /data/k1/orders-0/00000000000000000000.log --print-data-log
    kclone dump-log --offsets-decoder --files /data/k1/__consumer_offsets-12/00000000000000000000.log
"""

from __future__ import annotations

import os
import sys

import click

from cli.topics import ToolError
from kafka_clone.log.dump import DEFAULT_MAX_MESSAGE_SIZE, STRING_DECODER, DumpError, DumpOptions, ErrLine, dump

__all__ = ["dump_log"]

HELP = ("This tool helps to parse a log file and dump its contents to the console, useful for debugging a "
        "seemingly corrupt log segment.")


def _parse_int(value: str | None, option: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        # joptsimple's message for an argument that does not convert
        raise ToolError(f"Cannot parse argument '{value}' of option {option}") from None


@click.command("dump-log", help=HELP, context_settings={"help_option_names": ["--help", "-h"]})
@click.option("--files", metavar="file1, file2, ...",
              help="REQUIRED: The comma separated list of data and index log files to be dumped.")
@click.option("--print-data-log", is_flag=True, help="if set, printing the messages content when dumping data "
              "logs. Automatically set if any decoder option is specified.")
@click.option("--deep-iteration", is_flag=True, help="if set, uses deep instead of shallow iteration. "
              "Automatically set if print-data-log is enabled.")
@click.option("--verify-index-only", is_flag=True, help="if set, just verify the index log without printing "
              "its content.")
@click.option("--index-sanity-check", is_flag=True, help="if set, just checks the index sanity without printing "
              "its content. This is the same check that is executed on broker startup to determine if an index "
              "needs rebuilding or not.")
@click.option("--max-message-size", metavar="size", help=f"Size of largest message. (default: "
              f"{DEFAULT_MAX_MESSAGE_SIZE})")
@click.option("--offsets-decoder", is_flag=True, help="if set, log data will be parsed as offset data from the "
              "__consumer_offsets topic.")
@click.option("--transaction-log-decoder", is_flag=True, help="if set, log data will be parsed as transaction "
              "metadata from the __transaction_state topic.")
@click.option("--cluster-metadata-decoder", is_flag=True, help="KRaft's metadata log decoder: not available, "
              "this is ZooKeeper-mode Kafka.")
# Optional-argument options, as in Kafka: "--key-decoder-class" alone means the default decoder,
# and giving either at all turns on --print-data-log.
@click.option("--key-decoder-class", is_flag=False, flag_value=STRING_DECODER, default=None, metavar="[class]",
              help=f"if set, used to deserialize the keys. (default: {STRING_DECODER}; also IntegerDecoder, "
              "LongDecoder)")
@click.option("--value-decoder-class", is_flag=False, flag_value=STRING_DECODER, default=None, metavar="[class]",
              help=f"if set, used to deserialize the messages. (default: {STRING_DECODER}; also IntegerDecoder, "
              "LongDecoder)")
@click.option("--skip-record-metadata", is_flag=True, help="whether to skip printing metadata for each record.")
def dump_log(files: str | None, print_data_log: bool, deep_iteration: bool, verify_index_only: bool,
             index_sanity_check: bool, max_message_size: str | None, offsets_decoder: bool,
             transaction_log_decoder: bool, cluster_metadata_decoder: bool, key_decoder_class: str | None,
             value_decoder_class: str | None, skip_record_metadata: bool) -> None:
    if not files:
        # CommandLineUtils.checkRequiredArgs; Kafka then prints the option list (see --help)
        raise ToolError('Missing required argument "[files]"')
    if cluster_metadata_decoder:
        raise ToolError("--cluster-metadata-decoder reads KRaft's __cluster_metadata log, which ZooKeeper-mode "
                        "Kafka (and kafka-clone) does not have")
    try:
        options = DumpOptions(
            print_data_log=print_data_log, deep_iteration=deep_iteration, verify_index_only=verify_index_only,
            index_sanity_check=index_sanity_check,
            max_message_size=_parse_int(max_message_size, "max-message-size", DEFAULT_MAX_MESSAGE_SIZE),
            offsets_decoder=offsets_decoder, transaction_log_decoder=transaction_log_decoder,
            key_decoder_class=key_decoder_class, value_decoder_class=value_decoder_class,
            skip_record_metadata=skip_record_metadata)
        for line in dump(files.split(","), options):
            click.echo(line, err=isinstance(line, ErrLine))
    except DumpError as exc:
        raise ToolError(str(exc)) from None
    except BrokenPipeError:
        # `kclone dump-log ... | head`: stop quietly, as a JVM tool does, instead of a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
