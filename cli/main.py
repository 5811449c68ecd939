"""The `kclone` console script: thin click commands over the library.

Subcommands mirror Kafka's tools with the same option names (design §7): `topics`, `configs`,
`console-producer`, `console-consumer`, `consumer-groups`, `reassign-partitions`,
`leader-election`, `producer-perf-test`, `consumer-perf-test`, `dump-log`, `zookeeper-shell`; plus
the lab's own (`zookeeper`, `broker`, `cluster`, `zk tree|watch`, `demo`).  Known failures (bad config, no ZooKeeper,
a duplicate broker id, a lab error) print one line and exit 1, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
import trio

from cli.configs import configs
from cli.console import console_consumer, console_producer
from cli.consumer_groups import consumer_groups
from cli.dump_log import dump_log
from cli.leader_election import leader_election
from cli.perf import consumer_perf_test, producer_perf_test
from cli.reassign_partitions import reassign_partitions
from cli.topics import topics
from cli.zk_tools import zk_watch, zookeeper_shell
from kafka_clone.lab import cluster as lab
from kafka_clone.server.broker import BrokerStartupError
from kafka_clone.server.config import ConfigError
from zk import ensemble as zke
from zk.client import ZkError
from zk.kafka_zk_client import DuplicateBrokerIdError
from zk.znodes import ZNodeDecodeError

#: Errors a user can cause; shown as one line.
USER_ERRORS = (lab.LabError, ConfigError, BrokerStartupError, DuplicateBrokerIdError, ZkError,
               ZNodeDecodeError, zke.ZooKeeperNotFound, zke.EnsembleStartError, OSError)

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(message)s (%(name)s)"


def _single(exc: BaseException) -> BaseException:
    """trio wraps task errors in ExceptionGroups; show the one error inside."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


class KcloneGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BaseException as exc:
            inner = _single(exc)
            if isinstance(inner, USER_ERRORS):
                raise click.ClickException(str(inner).splitlines()[0] if str(inner) else type(inner).__name__) from None
            if isinstance(inner, KeyboardInterrupt):
                raise click.Abort() from None
            raise


def _parse_overrides(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {v!r}", param_hint="--config")
        result[key.strip()] = value.strip()
    return result


@click.group(cls=KcloneGroup)
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def main(log_level: str) -> None:
    """kafka-clone: classic ZooKeeper-era Kafka in Python."""
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("kazoo").setLevel(logging.WARNING)


# ---- broker -------------------------------------------------------------------------------------


@main.group(cls=KcloneGroup)
def broker() -> None:
    """Run a broker (kafka-server-start.sh)."""


@broker.command("start")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--override", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a property of the file (kafka-server-start.sh --override).")
def broker_start(config: str, overrides: tuple[str, ...]) -> None:
    """Start a broker from a server.properties file; SIGTERM stops it cleanly."""
    from kafka_clone.server.broker import run_broker
    from kafka_clone.server.config import KafkaConfig

    cfg = KafkaConfig.load(config, _parse_overrides(overrides))
    for name in cfg.unknown:
        logging.getLogger("kafka_clone.server.config").warning(
            "The configuration '%s' was supplied but isn't a known config.", name)
    trio.run(run_broker, cfg)


# ---- ZooKeeper ensemble -------------------------------------------------------------------------


ENSEMBLE_FILE = "ensemble.json"


@main.group(cls=KcloneGroup)
def zookeeper() -> None:
    """Start, stop and inspect a real ZooKeeper ensemble on loopback."""


@zookeeper.command("up")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--nodes", default=3, show_default=True, type=click.Choice(["1", "3", "5"]))
@click.option("--tick-time", default=lab.LAB_TICK_TIME_MS, show_default=True, type=click.IntRange(50, 10000),
              help="ZooKeeper tickTime in ms; sessions last between 2 and 20 ticks.")
def zookeeper_up(directory: str, nodes: str, tick_time: int) -> None:
    """Start an ensemble and wait for its leader."""
    ens = zke.Ensemble.start(directory, int(nodes), tick_time_ms=tick_time,
                             usual_ports=os.environ.get("KCLONE_LAB_ANY_PORTS") != "1")
    info = {"connect": ens.connect_string, "tick_time_ms": tick_time,
            "nodes": [{"id": n.id, "pid": ens.pids[n.id], "client_port": n.client_port,
                       "quorum_port": n.quorum_port, "election_port": n.election_port,
                       "data_dir": str(n.data_dir)} for n in ens.spec.nodes]}
    (Path(directory) / ENSEMBLE_FILE).write_text(json.dumps(info, indent=2) + "\n")
    for node_id, mode in ens.modes().items():
        click.echo(f"zookeeper {node_id}: {mode} on 127.0.0.1:{ens.spec.node(node_id).client_port}")
    click.echo(f"zookeeper.connect={ens.connect_string}")


def _load_ensemble(directory: str) -> tuple[zke.EnsembleSpec, dict[str, Any]]:
    path = Path(directory) / ENSEMBLE_FILE
    if not path.exists():
        raise lab.LabError(f"no ensemble in {directory} ({path} not found)")
    info = json.loads(path.read_text())
    spec = zke.EnsembleSpec(tuple(zke.NodeSpec(n["id"], n["client_port"], n["quorum_port"], n["election_port"],
                                               Path(n["data_dir"])) for n in info["nodes"]), info["tick_time_ms"])
    return spec, info


@zookeeper.command("down")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
def zookeeper_down(directory: str) -> None:
    """Stop every node of the ensemble in DIR."""
    _, info = _load_ensemble(directory)
    for n in info["nodes"]:
        zke.stop_pid(n["pid"])
        click.echo(f"zookeeper {n['id']}: stopped")


@zookeeper.command("status")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
def zookeeper_status(directory: str) -> None:
    """Each node's mode (leader, follower, standalone, or down)."""
    spec, info = _load_ensemble(directory)
    modes = zke.node_modes(spec)
    for n in info["nodes"]:
        alive = zke.pid_alive(n["pid"])
        click.echo(f"zookeeper {n['id']}: {modes[n['id']] or ('no quorum' if alive else 'down')} "
                   f"(pid {n['pid']}{'' if alive else ', not running'}) 127.0.0.1:{n['client_port']}")


# ---- the lab cluster ----------------------------------------------------------------------------


@main.group(cls=KcloneGroup)
def cluster() -> None:
    """The lab: a ZooKeeper ensemble and brokers as background processes (DIR/cluster.json)."""


_dir_option = click.option("--dir", "directory", required=True, type=click.Path(file_okay=False),
                           help="The cluster's directory (holds cluster.json, configs, data, logs).")


@cluster.command("up")
@_dir_option
@click.option("--brokers", default=3, show_default=True, type=click.IntRange(1, 9))
@click.option("--zookeepers", default=3, show_default=True, type=click.Choice(["1", "3", "5"]))
@click.option("--config", "configs", multiple=True, metavar="KEY=VALUE", help="Broker property override (repeatable).")
@click.option("--zookeeper-connect", default=None, help="Use an existing ensemble (host:port[,..][/chroot]) instead of starting one.")
@click.option("--timeout", default=60.0, show_default=True, type=float)
def cluster_up(directory: str, brokers: int, zookeepers: str, configs: tuple[str, ...],
               zookeeper_connect: str | None, timeout: float) -> None:
    """Start the cluster; return when every broker is registered and a controller elected."""
    c = lab.up(directory, brokers=brokers, zookeepers=int(zookeepers), config=_parse_overrides(configs),
               zookeeper_connect=zookeeper_connect, timeout=timeout)
    _print_status(lab.status(c.dir))


@cluster.command("down")
@_dir_option
def cluster_down(directory: str) -> None:
    """Stop every broker (cleanly) and ZooKeeper node started in DIR."""
    lab.down(directory)
    click.echo(f"cluster in {directory} stopped")


@cluster.command("status")
@_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def cluster_status(directory: str, as_json: bool) -> None:
    """Processes, ZooKeeper modes, registered brokers and the controller."""
    st = lab.status(directory)
    if as_json:
        click.echo(json.dumps(st, indent=2))
    else:
        _print_status(st)


def _target_options(f: Any) -> Any:
    f = click.option("--zookeeper", "zookeeper_id", type=int, default=None, help="A ZooKeeper node id.")(f)
    return click.option("--broker", "broker_id", type=int, default=None, help="A broker id.")(f)


@cluster.command("kill")
@_dir_option
@_target_options
def cluster_kill(directory: str, broker_id: int | None, zookeeper_id: int | None) -> None:
    """kill -9 one broker or ZooKeeper node."""
    _one_target(broker_id, zookeeper_id)
    entry = lab.kill(directory, broker=broker_id, zookeeper=zookeeper_id)
    click.echo(f"killed {'broker' if broker_id is not None else 'zookeeper'} {entry['id']}")


@cluster.command("start")
@_dir_option
@_target_options
def cluster_start(directory: str, broker_id: int | None, zookeeper_id: int | None) -> None:
    """Bring one broker or ZooKeeper node back (same id, config and data)."""
    _one_target(broker_id, zookeeper_id)
    entry = lab.start(directory, broker=broker_id, zookeeper=zookeeper_id)
    click.echo(f"started {'broker' if broker_id is not None else 'zookeeper'} {entry['id']} (pid {entry['pid']})")


def _one_target(broker_id: int | None, zookeeper_id: int | None) -> None:
    if (broker_id is None) == (zookeeper_id is None):
        raise click.UsageError("give exactly one of --broker ID or --zookeeper ID")


def _print_status(st: dict[str, Any]) -> None:
    click.echo(f"cluster in {st['dir']}")
    click.echo(f"  zookeeper.connect  {st['zookeeper_connect']}")
    click.echo(f"  bootstrap.servers  {st['bootstrap_servers']}")
    for z in st["zookeepers"]:
        state = z["mode"] or ("no quorum" if z["alive"] else "down")
        click.echo(f"  zookeeper {z['id']}  {state:<10} pid {z['pid'] or '-':<8} port {z['client_port']}")
    for b in st["brokers"]:
        state = "registered" if b["registered"] else ("running" if b["alive"] else "down")
        mark = "  <- controller" if st.get("controller") == b["id"] else ""
        click.echo(f"  broker {b['id']}     {state:<10} pid {b['pid'] or '-':<8} port {b['port']}{mark}")
    if st.get("error"):
        click.echo(f"  {st['error']}")
    else:
        click.echo(f"  controller: broker {st['controller']} (controller_epoch {st['controller_epoch']})")


# ---- ZooKeeper inspection -----------------------------------------------------------------------


@main.group(cls=KcloneGroup)
def zk() -> None:
    """Look at Kafka's metadata in ZooKeeper."""


@zk.command("tree")
@click.option("--zookeeper", "connect", required=True, metavar="HOST:PORT[/chroot]")
@click.option("--path", default="/", show_default=True)
@click.option("--all", "include_zookeeper", is_flag=True, help="Include ZooKeeper's own /zookeeper.")
def zk_tree(connect: str, path: str, include_zookeeper: bool) -> None:
    """Print the znode tree with data, marking ephemeral znodes and their owner session."""
    from kafka_clone.lab.tree import walk
    from zk.client import ZkClient

    async def run() -> None:
        async with ZkClient.open(connect, session_timeout_ms=10000, connection_timeout_ms=5000) as client:
            async for view in walk(client, path, include_zookeeper=include_zookeeper):
                click.echo(view.render())

    trio.run(run)


# ---- demos --------------------------------------------------------------------------------------


@main.group(cls=KcloneGroup)
def demo() -> None:
    """Guided demos on a live cluster."""


@demo.command("tour")
@click.option("--dir", "directory", default="lab", show_default=True, type=click.Path(file_okay=False))
@click.option("--keep/--down", default=True, show_default=True, help="Leave the cluster running at the end.")
def demo_tour(directory: str, keep: bool) -> None:
    """Bring up 3 ZooKeeper nodes and 3 brokers, show the znodes, kill the controller, watch the election."""
    from kafka_clone.lab.tour import tour

    tour(directory, keep=keep, echo=click.echo)


# Kafka's tools, with their option names (kafka-topics.sh, kafka-console-*.sh, kafka-consumer-groups.sh,
# kafka-reassign-partitions.sh, kafka-leader-election.sh, kafka-configs.sh, kafka-dump-log.sh,
# kafka-*-perf-test.sh, zookeeper-shell.sh).
main.add_command(topics)
main.add_command(console_producer)
main.add_command(console_consumer)
main.add_command(consumer_groups)
main.add_command(reassign_partitions)
main.add_command(leader_election)
main.add_command(configs)
main.add_command(dump_log)
main.add_command(producer_perf_test)
main.add_command(consumer_perf_test)
main.add_command(zookeeper_shell)
zk.add_command(zk_watch)


if __name__ == "__main__":
    main()
