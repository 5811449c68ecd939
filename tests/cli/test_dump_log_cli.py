"""`kclone dump-log`: kafka-dump-log.sh's options, streams and one-line errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.dump_log import dump_log
from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import records as R

T = 1_600_000_000_000
SEG = "00000000000000000000"


def run(*args: str):
    return CliRunner().invoke(dump_log, list(args))


@pytest.fixture
def segment(tmp_path) -> str:
    """A closed one-segment log with an index entry: returns its directory."""
    log = Log.open(str(tmp_path / "orders-0"), LogConfig(index_interval_bytes=1), clock=lambda: T)
    log.append_as_leader(bytearray(R.build_batch([R.Record(0, T, None, b"hello")])), 0)
    log.append_as_leader(bytearray(R.build_batch([R.Record(0, T + 1, b"k", b"world")])), 0)
    log.close()
    return str(tmp_path / "orders-0")


def test_print_data_log(segment):
    result = run("--files", f"{segment}/{SEG}.log", "--print-data-log")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"Dumping {segment}/{SEG}.log", "Starting offset: 0"]
    assert lines[3].startswith("| offset: 0 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: "
                               f"{T} baseOffset: 0 lastOffset: 0 ")
    assert lines[3].endswith("headerKeys: [] payload: hello")
    assert lines[5].endswith("headerKeys: [] key: k payload: world")
    assert result.stderr == ""


def test_shallow_by_default_and_several_files(segment):
    result = run("--files", f"{segment}/{SEG}.log,{segment}/{SEG}.index,{segment}/{SEG}.timeindex")
    assert result.exit_code == 0
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        f"Dumping {segment}/{SEG}.log", "Starting offset", "baseOffset", "baseOffset",
        f"Dumping {segment}/{SEG}.index", "offset", f"Dumping {segment}/{SEG}.timeindex", "timestamp"]


def test_a_decoder_option_alone_prints_the_data(segment):
    # Kafka's optional-argument option: given without a class it is StringDecoder, and it implies
    # --print-data-log.
    result = run("--files", f"{segment}/{SEG}.log", "--value-decoder-class", "--skip-record-metadata")
    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if "payload" in line] == [
        " payload: hello", "| key: k payload: world"]


def test_unknown_files_go_to_stderr(segment):
    result = run("--files", f"{segment}/leader-epoch-checkpoint")
    assert result.exit_code == 0
    assert result.stdout == f"Dumping {segment}/leader-epoch-checkpoint\n"
    assert result.stderr == f"Ignoring unknown file {segment}/leader-epoch-checkpoint\n"


def test_verify_and_sanity_check(segment):
    result = run("--files", f"{segment}/{SEG}.index", "--verify-index-only")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"Dumping {segment}/{SEG}.index\n", "")
    result = run("--files", f"{segment}/{SEG}.index", "--index-sanity-check")
    assert result.stdout.splitlines()[-1] == f"{segment}/{SEG}.index passed sanity check."
    with open(f"{segment}/{SEG}.index", "ab") as f:
        f.write(b"\x00\x01")
    result = run("--files", f"{segment}/{SEG}.index", "--index-sanity-check")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "neither positive nor a multiple of 8" in result.stderr


@pytest.mark.parametrize("args,message", [
    ((), 'Missing required argument "[files]"'),
    (("--files", "x.log", "--max-message-size", "big"), "Cannot parse argument 'big' of option max-message-size"),
    (("--files", "x.log", "--key-decoder-class", "com.example.AvroDecoder"),
     "java.lang.ClassNotFoundException: com.example.AvroDecoder"),
    (("--files", "x.log", "--cluster-metadata-decoder"), "--cluster-metadata-decoder reads KRaft's"),
])
def test_option_errors_are_one_line(args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_file_errors_are_one_line_after_what_was_printed(tmp_path):
    missing = tmp_path / f"{SEG}.log"
    result = run("--files", str(missing))
    assert result.exit_code == 1
    assert result.stdout == f"Dumping {missing}\nStarting offset: 0\n"
    assert result.stderr == f"{missing} (No such file or directory)\n"
    corrupt = tmp_path / f"{SEG}.log"
    corrupt.write_bytes(R.build_batch([R.Record(0, T, None, b"v")]) + bytes(8) + b"\x00\x00\x00\x03" + bytes(8))
    result = run("--files", str(corrupt), "--deep-iteration")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("| offset: 0 ")
    assert result.stderr == f"Found record size 3 smaller than minimum record overhead (14) in file {corrupt}.\n"


def test_torn_tail(segment):
    with open(f"{segment}/{SEG}.log", "ab") as f:
        f.write(R.build_batch([R.Record(0, T, None, b"torn")])[:30])
    result = run("--files", f"{segment}/{SEG}.log")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == f"Found 30 invalid bytes at the end of {SEG}.log"
