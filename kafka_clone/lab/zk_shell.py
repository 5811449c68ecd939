"""`kclone zookeeper-shell`: Kafka 2.8's ``zookeeper-shell.sh``, i.e. ZooKeeper 3.5's ``ZooKeeperMain``.

Kafka 2.8 ships ZooKeeper 3.5.9 and its shell is ``ZooKeeperMainWithTlsSupportForKafka``, a thin
subclass of zkCli's ``ZooKeeperMain``; what a student sees is zkCli's output:

* ``Connecting to <host:port[/chroot]>`` first, then, once connected, the default watcher's
  ``WATCHER::`` / ``WatchedEvent state:SyncConnected type:None path:null`` (each preceded by an
  empty line: zkCli's ``printMessage``);
* ``ls`` prints the children sorted as ``[a, b]``; ``get`` the data as text (``null`` for null
  data); ``stat``, ``ls -s``, ``get -s`` and ``set -s`` print the stat block (``cZxid = 0x..``,
  dates as ``java.util.Date.toString()``); ``create`` prints ``Created <path>``;
* errors are ``CliWrapperException``'s one line on standard error (``Node does not exist: /x``,
  ``Node already exists: /x``, ``Node not empty: /x``, ``version No is not valid : /x``,
  ``Ephemerals cannot have children: /x``) and the exit code is the command's (1; 127 for an
  unknown command, after the usage on standard error).

Only the commands Kafka users need are implemented: ``ls``, ``get``, ``stat``, ``create``, ``set``,
``delete``, ``deleteall`` (and 3.5's ``rmr`` alias), ``quit``. ACLs, quotas, ``sync``,
``reconfig`` and history are not: they print one line saying so.

The chroot is applied here rather than by kazoo: zkCli does not create a missing chroot (commands
just fail with ``Node does not exist``), while ``ZkClient.open`` creates it as Kafka's broker does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import attrs

from zk.client import (
    BadVersionError, NodeExistsError, NoNodeError, NotEmptyError, Stat, ZkClient, ZkError, ZNodeChangeHandler,
    ZNodeChildChangeHandler,
)

__all__ = ["ZkShell", "parse_command_line", "format_stat", "java_date", "USAGE_HEADER", "CONNECTED_EVENT"]

#: Kafka's wrapper prints its own first usage line (ZooKeeperMainWithTlsSupportForKafka.kafkaTlsUsage).
USAGE_HEADER = "ZooKeeper -server host:port [-zk-tls-config-file <file>] cmd args"
CONNECTED_EVENT = "WatchedEvent state:SyncConnected type:None path:null"

#: Each command's option string, as zkCli 3.5 lists it in the usage (only those we implement).
COMMANDS = {
    "create": "[-s] [-e] path [data]",
    "delete": "[-v version] path",
    "deleteall": "path",
    "get": "[-s] [-w] path",
    "ls": "[-s] [-w] [-R] path",
    "quit": "",
    "rmr": "path",
    "set": "[-s] [-v version] path data",
    "stat": "[-w] path",
}
#: zkCli 3.5 commands this shell leaves out.
NOT_IMPLEMENTED = {"addauth", "close", "config", "connect", "delquota", "getAcl", "history", "listquota", "ls2",
                   "printwatches", "reconfig", "redo", "removewatches", "setAcl", "setquota", "sync"}

#: commons-cli takes an unknown "-..." word for an argument only when it is a negative number.
_NUMBER = re.compile(r"-\d+(\.\d+)?")
#: zkCli's MyCommandOptions.ARGS_PATTERN: words, or "..." / '...' quoted strings.
_ARGS = re.compile(r"""\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*""")


def parse_command_line(line: str) -> list[str]:
    """Split an interactive line as zkCli does (quotes group words and are stripped)."""
    args = []
    for m in _ARGS.finditer(line):
        value = m.group(1)
        if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
            value = value[1:-1]
        args.append(value)
    return args


def java_date(ms: int) -> str:
    """``new java.util.Date(ms).toString()``: ``Sat Nov 21 10:16:51 UTC 2026`` in local time."""
    t = time.localtime(ms / 1000)
    return time.strftime("%a %b %d %H:%M:%S ", t) + (time.strftime("%Z", t) or "UTC") + time.strftime(" %Y", t)


def format_stat(s: Stat) -> list[str]:
    """zkCli's ``StatPrinter.print``: zxids and the owner session in hex without padding."""
    return [
        f"cZxid = 0x{s.czxid:x}",
        f"ctime = {java_date(s.ctime)}",
        f"mZxid = 0x{s.mzxid:x}",
        f"mtime = {java_date(s.mtime)}",
        f"pZxid = 0x{s.pzxid:x}",
        f"cversion = {s.cversion}",
        f"dataVersion = {s.version}",
        f"aclVersion = {s.aversion}",
        f"ephemeralOwner = 0x{s.ephemeral_owner:x}",
        f"dataLength = {s.data_length}",
        f"numChildren = {s.num_children}",
    ]


class CliError(Exception):
    """One line on standard error and an exit code, as zkCli's ``CliException``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@attrs.frozen
class _Parsed:
    flags: frozenset[str]
    values: dict[str, str]
    args: list[str]  # the command name first, as commons-cli's getArgs() returns it


def _parse(args: Sequence[str], flags: str, valued: str = "") -> _Parsed:
    """commons-cli's DefaultParser over one command: options may appear anywhere."""
    found: set[str] = set()
    values: dict[str, str] = {}
    rest: list[str] = []
    it = iter(args)
    for a in it:
        if len(a) == 2 and a[0] == "-" and a[1] in flags:
            found.add(a[1])
        elif len(a) == 2 and a[0] == "-" and a[1] in valued:
            value = next(it, None)
            if value is None:
                raise CliError(f"org.apache.commons.cli.MissingArgumentException: Missing argument for option: {a[1]}")
            values[a[1]] = value
        elif a.startswith("-") and len(a) > 1 and not _NUMBER.fullmatch(a):
            raise CliError(f"org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: {a}")
        else:
            rest.append(a)
    return _Parsed(frozenset(found), values, rest)


def _check_path(path: str) -> None:
    # PathUtils.validatePath's first checks (MalformedPathException's message).
    if not path.startswith("/"):
        raise CliError("Path must start with / character")
    if len(path) > 1 and path.endswith("/"):
        raise CliError("Path must not end with / character")
    if "//" in path:
        raise CliError(f"Invalid path string \"{path}\" caused by empty node name specified @{path.index('//') + 1}")


def _text(data: bytes | None) -> str:
    # zkCli prints new String(data) (UTF-8 here) and "null" for null data.
    return "null" if data is None else data.decode("utf-8", errors="replace")


@attrs.define(eq=False)
class ZkShell:
    """Runs zkCli commands over one ``ZkClient`` opened without a chroot; ``chroot`` is applied here."""

    client: ZkClient
    chroot: str
    out: Callable[[str], None]
    err: Callable[[str], None]
    exit_code: int = 0
    quit_requested: bool = False

    def _full(self, path: str) -> str:
        if not self.chroot:
            return path
        return self.chroot if path == "/" else self.chroot + path

    def _relative(self, full: str) -> str:
        if not self.chroot:
            return full
        rest = full[len(self.chroot):]
        return rest or "/"

    def usage(self) -> None:
        self.err(USAGE_HEADER)
        for name in sorted(COMMANDS):
            self.err(f"\t{name} {COMMANDS[name]}")

    async def execute(self, args: Sequence[str]) -> int:
        """Run one command; print its output and errors; return (and remember) its exit code."""
        try:
            await self._dispatch(list(args))
            self.exit_code = 0
        except CliError as exc:
            self.err(str(exc))
            self.exit_code = exc.exit_code
        return self.exit_code

    async def _dispatch(self, args: list[str]) -> None:
        if not args:
            self.usage()
            raise CliError("No command entered")
        cmd = args[0]
        if cmd in NOT_IMPLEMENTED:
            raise CliError(f"kclone zookeeper-shell does not implement '{cmd}'")
        if cmd not in COMMANDS:
            self.usage()
            # ZooKeeperMain throws CommandNotFoundException("Command not found <cmd>"), whose
            # message adds its own prefix; exit code 127 as in zkCli.
            raise CliError(f"Command not found: Command not found {cmd}", 127)
        if cmd == "quit":
            self.quit_requested = True
            return
        handler = getattr(self, f"_cmd_{cmd}")
        try:
            await handler(args)
        except ZkError as exc:
            raise CliError(self._zk_message(exc, args)) from None

    def _zk_message(self, exc: ZkError, args: list[str]) -> str:
        # CliWrapperException's messages name the path the failing request was for; every
        # command here makes requests about the one path it was given.
        path = next((a for a in args[1:] if a.startswith("/")), "")
        if isinstance(exc, NoNodeError):
            return f"Node does not exist: {path}"
        if isinstance(exc, NodeExistsError):
            return f"Node already exists: {path}"
        if isinstance(exc, NotEmptyError):
            return f"Node not empty: {path}"
        if isinstance(exc, BadVersionError):
            return f"version No is not valid : {path}"
        if str(exc).startswith("NoChildrenForEphemeralsError"):  # zk.client's generic ZkError text
            return f"Ephemerals cannot have children: {path}"
        return str(exc)

    def _path(self, p: _Parsed, cmd: str, at: int = 1) -> str:
        if len(p.args) <= at:
            raise CliError(f"{cmd} {COMMANDS[cmd]}")
        path = p.args[at]
        _check_path(path)
        return path

    def _arm_watch(self, path: str, children: bool) -> None:
        """A ``-w`` read's one-shot watch prints the event when it fires, as zkCli's watcher does."""
        full = self._full(path)

        def say(kind: str) -> Callable[[], None]:
            return lambda: self._event(kind, path)

        if children:
            self.client.register_znode_child_change_handler(ZNodeChildChangeHandler(full, say("NodeChildrenChanged")))
        else:
            self.client.register_znode_change_handler(ZNodeChangeHandler(
                full, on_create=say("NodeCreated"), on_delete=say("NodeDeleted"),
                on_data_change=say("NodeDataChanged")))

    def _event(self, kind: str, path: str) -> None:
        self.out("")
        self.out("WATCHER::")
        self.out("")
        self.out(f"WatchedEvent state:SyncConnected type:{kind} path:{path}")

    async def _cmd_ls(self, args: list[str]) -> None:
        p = _parse(args, "swR?")
        if len(p.args) > 2:
            # LsCommand.retainCompatibility: a third word is the old "watch" argument.
            self.err("'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.")
            p = _Parsed(p.flags | {"w"}, p.values, p.args[:2])
        path = self._path(p, "ls")
        watch = "w" in p.flags
        if "R" in p.flags:
            await self._ls_recursive(path)
            return
        if watch:
            self._arm_watch(path, children=True)
        children = sorted(await self.client.get_children(self._full(path), watch=watch))
        self.out("[" + ", ".join(children) + "]")
        if "s" in p.flags:
            stat = await self.client.exists(self._full(path))
            if stat is None:
                raise NoNodeError(path)
            for line in format_stat(stat):
                self.out(line)

    async def _ls_recursive(self, path: str) -> None:
        # ZKUtil.visitSubTreeDFS: the path, then each subtree depth first, children sorted.
        if await self.client.exists(self._full(path)) is None:
            raise NoNodeError(path)
        self.out(path)
        for child in sorted(await self.client.get_children_or_empty(self._full(path))):
            await self._ls_recursive_child(f"{path.rstrip('/')}/{child}")

    async def _ls_recursive_child(self, path: str) -> None:
        self.out(path)
        for child in sorted(await self.client.get_children_or_empty(self._full(path))):
            await self._ls_recursive_child(f"{path}/{child}")

    async def _cmd_get(self, args: list[str]) -> None:
        p = _parse(args, "sw?")
        path = self._path(p, "get")
        watch = "w" in p.flags
        if watch:
            self._arm_watch(path, children=False)
        data, stat = await self.client.get(self._full(path), watch=watch)
        self.out(_text(data))
        if "s" in p.flags:
            for line in format_stat(stat):
                self.out(line)

    async def _cmd_stat(self, args: list[str]) -> None:
        p = _parse(args, "w?")
        path = self._path(p, "stat")
        watch = "w" in p.flags
        if watch:
            self._arm_watch(path, children=False)
        stat = await self.client.exists(self._full(path), watch=watch)
        if stat is None:
            raise NoNodeError(path)
        for line in format_stat(stat):
            self.out(line)

    async def _cmd_create(self, args: list[str]) -> None:
        p = _parse(args, "se?", "t")
        if "t" in p.values:
            raise CliError("kclone zookeeper-shell does not implement TTL znodes (-t)")
        path = self._path(p, "create")
        # CreateCommand: no data argument means null data (zkCli's get then prints "null").
        data = p.args[2].encode("utf-8") if len(p.args) > 2 else None
        created = await self.client.create(self._full(path), data, ephemeral="e" in p.flags,
                                           sequence="s" in p.flags)
        self.out(f"Created {self._relative(created)}")

    async def _cmd_set(self, args: list[str]) -> None:
        p = _parse(args, "s?", "v")
        path = self._path(p, "set")
        if len(p.args) < 3:
            raise CliError(f"set {COMMANDS['set']}")
        version = self._version(p)
        stat = await self.client.set(self._full(path), p.args[2].encode("utf-8"), version=version)
        if "s" in p.flags:
            for line in format_stat(stat):
                self.out(line)

    async def _cmd_delete(self, args: list[str]) -> None:
        p = _parse(args, "?", "v")
        path = self._path(p, "delete")
        await self.client.delete(self._full(path), version=self._version(p))

    async def _cmd_deleteall(self, args: list[str]) -> None:
        p = _parse(args, "?", "b")
        path = self._path(p, args[0])
        if await self.client.exists(self._full(path)) is None:
            raise NoNodeError(path)
        await self.client.delete(self._full(path), recursive=True)

    _cmd_rmr = _cmd_deleteall  # ZooKeeper 3.5 keeps rmr as a deprecated name of deleteall

    @staticmethod
    def _version(p: _Parsed) -> int:
        if "v" not in p.values:
            return -1
        try:
            return int(p.values["v"])
        except ValueError:
            raise CliError("-v argument must be a number") from None
