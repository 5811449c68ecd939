"""`kclone zookeeper-shell` (Kafka 2.8's zookeeper-shell.sh) and `kclone zk watch` (the lab's).

Thin commands over ``kafka_clone.lab.zk_shell`` and ``kafka_clone.lab.watch``. Both open their
ZooKeeper session without the chroot and apply it themselves, so neither creates a chroot that
does not exist (zkCli does not either).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click
import trio

from kafka_clone.lab.watch import DEFAULT_PATHS, ZkWatcher
from kafka_clone.lab.zk_shell import CONNECTED_EVENT, ZkShell, parse_command_line
from zk.client import ZkClient, ZkError, split_chroot

__all__ = ["zookeeper_shell", "zk_watch"]

#: zkCli's default session timeout (its -timeout option).
_SESSION_TIMEOUT_MS = 30000
_CONNECT_TIMEOUT_MS = 10000


def _single(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _run(fn: Callable[[], Awaitable[Any]]) -> Any:
    """``trio.run``; a ZooKeeper failure is one line and exit 1, Ctrl-C a clean exit."""
    try:
        return trio.run(fn)
    except BaseException as exc:
        inner = _single(exc)
        if isinstance(inner, KeyboardInterrupt):
            sys.exit(130)
        if isinstance(inner, ZkError):
            raise click.ClickException(str(inner).splitlines()[0] if str(inner) else type(inner).__name__) from None
        if inner is not exc:
            raise inner from None
        raise


def _echo(line: str) -> None:
    click.echo(line)


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


@click.command("zookeeper-shell", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("server", metavar="HOST:PORT[/chroot]")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def zookeeper_shell(server: str, command: tuple[str, ...]) -> None:
    """ZooKeeper's shell (zookeeper-shell.sh): run COMMAND, or read commands from standard input.

    Commands: ls [-s] [-w] [-R] path, get [-s] [-w] path, stat [-w] path,
    create [-s] [-e] path [data], set [-s] [-v version] path data, delete [-v version] path,
    deleteall path (rmr), quit.
    """
    hosts, chroot = split_chroot(server)
    code = [0]

    async def run() -> None:
        # ZooKeeperMain's constructor prints this before connecting.
        click.echo(f"Connecting to {server}")
        if not command:
            click.echo("Welcome to ZooKeeper!")
            # Kafka's distribution ships no jline, so its shell reads plain lines: no prompt.
            click.echo("JLine support is disabled")
        async with ZkClient.open(hosts, session_timeout_ms=_SESSION_TIMEOUT_MS,
                                 connection_timeout_ms=_CONNECT_TIMEOUT_MS) as client:
            # The default watcher's first event, printed as zkCli's printMessage does.
            click.echo("\nWATCHER::")
            click.echo("\n" + CONNECTED_EVENT)
            shell = ZkShell(client, chroot, _echo, _echo_err)
            if command:
                code[0] = await shell.execute(list(command))
                return
            while not shell.quit_requested:
                line = await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
                if not line:
                    break
                args = parse_command_line(line.rstrip("\r\n"))
                if args:
                    await shell.execute(args)
            code[0] = shell.exit_code

    _run(run)
    sys.exit(code[0])


@click.command("watch")
@click.option("--zookeeper", "connect", required=True, metavar="HOST:PORT[/chroot]",
              help="The ZooKeeper connection string, as in zookeeper.connect.")
@click.argument("paths", nargs=-1)
def zk_watch(connect: str, paths: tuple[str, ...]) -> None:
    """Print one timestamped line per change of PATHs (children, data, created, deleted), until Ctrl-C.

    Default PATHs: /brokers/ids /controller /controller_epoch /brokers/topics
    /isr_change_notification /admin.
    """
    for p in paths:
        if not p.startswith("/") or (len(p) > 1 and p.endswith("/")):
            raise click.BadParameter(f"not a znode path: {p}", param_hint="PATH")
    hosts, chroot = split_chroot(connect)

    async def run() -> None:
        # Ctrl-C (or SIGTERM) is how this tool ends: turned into a cancellation, so the session is
        # closed on the way out instead of a KeyboardInterrupt landing anywhere.
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with ZkClient.open(hosts, session_timeout_ms=_SESSION_TIMEOUT_MS,
                                     connection_timeout_ms=_CONNECT_TIMEOUT_MS) as client, \
                    trio.open_nursery() as nursery:
                async def stop_on_signal() -> None:
                    async for _ in signals:
                        nursery.cancel_scope.cancel()
                        return
                nursery.start_soon(stop_on_signal)
                await ZkWatcher(client, paths or DEFAULT_PATHS, _echo, chroot).run()

    try:
        _run(run)
    except SystemExit as exc:
        if exc.code == 130:  # Ctrl-C is how this tool ends: a clean exit
            return
        raise
