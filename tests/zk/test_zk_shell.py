"""`kclone zookeeper-shell` against the session's real ZooKeeper: zkCli 3.5's output and errors."""

from __future__ import annotations

import re

import pytest
import trio
from click.testing import CliRunner

from cli.zk_tools import zookeeper_shell
from kafka_clone.lab.zk_shell import format_stat, java_date, parse_command_line
from zk.client import Stat, ZkClient

pytestmark = [pytest.mark.zk]

PREAMBLE = "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
STAT_KEYS = ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion", "aclVersion",
             "ephemeralOwner", "dataLength", "numChildren"]


def shell(connect: str, *args: str, input: str | None = None):
    return CliRunner().invoke(zookeeper_shell, [connect, *args], input=input)


def output_of(result, connect: str) -> str:
    """What the command printed after zkCli's connection preamble."""
    head = f"Connecting to {connect}\n" + PREAMBLE
    assert result.stdout.startswith(head), result.stdout
    return result.stdout[len(head):]


def prepare(connect: str) -> None:
    async def go() -> None:
        async with ZkClient.open(connect, session_timeout_ms=6000) as zk:
            await zk.create("/brokers")
            await zk.create("/brokers/ids")
            for i in (3, 1, 2):
                await zk.create(f"/brokers/ids/{i}", b'{"id":%d}' % i)
            await zk.create("/controller", b'{"version":1,"brokerid":2,"timestamp":"1"}')
    trio.run(go)


def test_parse_command_line_strips_quotes():
    assert parse_command_line("  set /a 'hello world'  ") == ["set", "/a", "hello world"]
    assert parse_command_line('create /b "x y" ') == ["create", "/b", "x y"]


def test_stat_block_format():
    s = Stat(czxid=0x1A, mzxid=0x2B, ctime=0, mtime=1000, version=3, cversion=4, aversion=0,
             ephemeral_owner=0x10000AB, data_length=5, num_children=2, pzxid=0x3C)
    lines = format_stat(s)
    assert [line.split(" = ")[0] for line in lines] == STAT_KEYS
    assert lines[0] == "cZxid = 0x1a" and lines[8] == "ephemeralOwner = 0x10000ab"
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}", java_date(1_700_000_000_000))


def test_read_commands(zk_connect):
    prepare(zk_connect)
    result = shell(zk_connect, "ls", "/brokers/ids")
    assert result.exit_code == 0 and output_of(result, zk_connect) == "[1, 2, 3]\n"

    result = shell(zk_connect, "get", "/controller")
    assert output_of(result, zk_connect) == '{"version":1,"brokerid":2,"timestamp":"1"}\n'

    result = shell(zk_connect, "get", "/brokers")  # created with null data
    assert output_of(result, zk_connect) == "null\n"

    result = shell(zk_connect, "stat", "/controller")
    lines = output_of(result, zk_connect).splitlines()
    assert [line.split(" = ")[0] for line in lines] == STAT_KEYS
    assert "dataLength = 42" in lines and "numChildren = 0" in lines

    result = shell(zk_connect, "get", "-s", "/brokers/ids/1")
    lines = output_of(result, zk_connect).splitlines()
    assert lines[0] == '{"id":1}' and [line.split(" = ")[0] for line in lines[1:]] == STAT_KEYS

    result = shell(zk_connect, "ls", "-s", "/brokers/ids")
    lines = output_of(result, zk_connect).splitlines()
    assert lines[0] == "[1, 2, 3]" and "numChildren = 3" in lines

    result = shell(zk_connect, "ls", "-R", "/brokers")
    assert output_of(result, zk_connect) == "/brokers\n/brokers/ids\n/brokers/ids/1\n/brokers/ids/2\n/brokers/ids/3\n"


def test_write_commands(zk_connect):
    prepare(zk_connect)
    result = shell(zk_connect, "create", "/t", "hello")
    assert result.exit_code == 0 and output_of(result, zk_connect) == "Created /t\n"
    result = shell(zk_connect, "create", "-s", "/t/seq-", "x")
    assert re.fullmatch(r"Created /t/seq-\d{10}\n", output_of(result, zk_connect))
    result = shell(zk_connect, "create", "-e", "/t/eph")
    assert output_of(result, zk_connect) == "Created /t/eph\n"

    result = shell(zk_connect, "set", "/t", "world")
    assert result.exit_code == 0 and output_of(result, zk_connect) == ""
    result = shell(zk_connect, "set", "-s", "/t", "again")
    assert "dataVersion = 2" in output_of(result, zk_connect).splitlines()
    assert output_of(shell(zk_connect, "get", "/t"), zk_connect) == "again\n"

    result = shell(zk_connect, "delete", "/t")
    assert result.exit_code == 1 and result.stderr == "Node not empty: /t\n"
    result = shell(zk_connect, "deleteall", "/t")
    assert result.exit_code == 0
    result = shell(zk_connect, "create", "/u")
    assert output_of(shell(zk_connect, "get", "/u"), zk_connect) == "null\n"
    assert shell(zk_connect, "delete", "/u").exit_code == 0
    assert output_of(shell(zk_connect, "ls", "/"), zk_connect) == "[brokers, controller]\n"


@pytest.mark.parametrize("args,message,code", [
    (("ls", "/nope"), "Node does not exist: /nope", 1),
    (("get", "/nope"), "Node does not exist: /nope", 1),
    (("stat", "/nope"), "Node does not exist: /nope", 1),
    (("set", "/nope", "x"), "Node does not exist: /nope", 1),
    (("delete", "/nope"), "Node does not exist: /nope", 1),
    (("deleteall", "/nope"), "Node does not exist: /nope", 1),
    (("create", "/x/y", "z"), "Node does not exist: /x/y", 1),
    (("create", "/controller", "z"), "Node already exists: /controller", 1),
    (("set", "-v", "7", "/controller", "z"), "version No is not valid : /controller", 1),
    (("ls",), "ls [-s] [-w] [-R] path", 1),
    (("get", "relative"), "Path must start with / character", 1),
    (("stat", "-s", "/"), "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -s", 1),
])
def test_errors_are_zkclis_lines(zk_connect, args, message, code):
    prepare(zk_connect)
    result = shell(zk_connect, *args)
    assert result.exit_code == code and result.stderr == message + "\n", result.output
    assert "Traceback" not in result.output


def test_ephemerals_cannot_have_children(zk_connect):
    async def go() -> None:
        async with ZkClient.open(zk_connect, session_timeout_ms=6000) as zk:
            await zk.create("/e", ephemeral=True)
            result = await trio.to_thread.run_sync(shell, zk_connect, "create", "/e/c")
            assert result.exit_code == 1 and result.stderr == "Ephemerals cannot have children: /e/c\n"
    trio.run(go)


def test_unknown_command_prints_usage_and_exits_127(zk_connect):
    result = shell(zk_connect, "foo", "/")
    lines = result.stderr.splitlines()
    assert result.exit_code == 127
    assert lines[0] == "ZooKeeper -server host:port [-zk-tls-config-file <file>] cmd args"
    assert "\tls [-s] [-w] [-R] path" in lines
    assert lines[-1] == "Command not found: Command not found foo"


def test_interactive_reads_commands_until_quit(zk_connect):
    prepare(zk_connect)
    result = shell(zk_connect, input="ls /brokers/ids\ncreate /i 'a b'\n\nget /i\nquit\nls /\n")
    assert result.exit_code == 0
    assert result.stdout == (f"Connecting to {zk_connect}\nWelcome to ZooKeeper!\nJLine support is disabled\n"
                             + PREAMBLE + "[1, 2, 3]\nCreated /i\na b\n")


def test_interactive_exit_code_is_the_last_commands(zk_connect):
    prepare(zk_connect)
    result = shell(zk_connect, input="get /nope\n")
    assert result.exit_code == 1 and result.stderr == "Node does not exist: /nope\n"


def test_a_missing_chroot_is_not_created(zk_connect):
    result = shell(zk_connect, "ls", "/")
    assert result.exit_code == 1 and result.stderr == "Node does not exist: /\n"
    hosts = zk_connect.split("/", 1)[0]
    chroot = "/" + zk_connect.split("/", 1)[1]
    result = shell(hosts, "stat", chroot)
    assert result.stderr == f"Node does not exist: {chroot}\n"


def test_no_zookeeper_is_one_line():
    result = CliRunner().invoke(zookeeper_shell, ["127.0.0.1:1", "ls", "/"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: could not connect to ZooKeeper at 127.0.0.1:1")
