"""The lab contract: a real ZooKeeper ensemble and brokers as background processes in one dir.

`up` starts them, waits until every broker is registered in `/brokers/ids` and a controller is
elected, and writes `DIR/cluster.json` (design §7).  `kill`/`start` act on one broker or
ZooKeeper node by pid (SIGKILL, then the same id, config and data back), `down` stops all of it.
Scripts, demos and tests build on `cluster.json`, so every command re-reads it and reports dead
processes honestly instead of trusting it.

Lab defaults differ from Kafka's on purpose, for snappy demos: ZooKeeper `tickTime=500`,
`zookeeper.session.timeout.ms=6000` (Kafka's default is 18000), so a killed broker's ephemeral
znodes vanish in about 6 seconds, and `controlled.shutdown.retry.backoff.ms=500` (Kafka: 5000).  `--config KEY=VALUE` overrides any broker property.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import attrs
import trio

from kafka_clone.client.connection import BrokerConnection
from kafka_clone.protocol import ApiKey, KafkaError
from kafka_clone.protocol.messages.metadata import MetadataRequest
from zk import ensemble as zke
from zk.client import ZkClient
from zk.kafka_zk_client import KafkaZkClient

LAB_TICK_TIME_MS = 500
LAB_BROKER_DEFAULTS = {
    "zookeeper.session.timeout.ms": "6000",
    # Kafka waits 5 s between controlled-shutdown attempts; stopping a whole lab cluster makes the
    # last brokers retry (nobody is left to lead), so the lab waits 0.5 s instead.
    "controlled.shutdown.retry.backoff.ms": "500",
}
CLUSTER_FILE = "cluster.json"


class LabError(RuntimeError):
    """A lab command cannot proceed; the message is one line for the user."""


@attrs.define
class ClusterFile:
    """`DIR/cluster.json`, the one place scripts learn where everything runs."""

    dir: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, directory: str | Path) -> "ClusterFile":
        path = Path(directory) / CLUSTER_FILE
        try:
            return cls(Path(directory), json.loads(path.read_text()))
        except FileNotFoundError:
            raise LabError(f"no cluster in {directory} ({path} not found): run `kclone cluster up --dir {directory}`") from None
        except json.JSONDecodeError as exc:
            raise LabError(f"{path} is not valid JSON: {exc}") from None

    def save(self) -> None:
        path = self.dir / CLUSTER_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        os.replace(tmp, path)

    def broker(self, broker_id: int) -> dict[str, Any]:
        for b in self.data["brokers"]:
            if b["id"] == broker_id:
                return b
        raise LabError(f"no broker {broker_id} in {self.dir / CLUSTER_FILE} (brokers: {[b['id'] for b in self.data['brokers']]})")

    def zookeeper(self, node_id: int) -> dict[str, Any]:
        for z in self.data["zookeepers"]:
            if z["id"] == node_id:
                return z
        raise LabError(f"no ZooKeeper node {node_id} in {self.dir / CLUSTER_FILE}")

    def ensemble_spec(self) -> zke.EnsembleSpec:
        return zke.EnsembleSpec(
            nodes=tuple(
                zke.NodeSpec(z["id"], z["client_port"], z["quorum_port"], z["election_port"], Path(z["data_dir"]))
                for z in self.data["zookeepers"]
            ),
            tick_time_ms=self.data.get("tick_time_ms", LAB_TICK_TIME_MS),
        )


def _broker_command(config_path: Path) -> list[str]:
    return [sys.executable, "-m", "cli.main", "broker", "start", str(config_path)]


def write_server_properties(path: Path, props: Mapping[str, str]) -> None:
    lines = ["# Written by `kclone cluster up`; Kafka's property names (server.properties)."]
    lines += [f"{k}={v}" for k, v in props.items()]
    path.write_text("\n".join(lines) + "\n")


def start_broker_process(broker: Mapping[str, Any]) -> int:
    directory = Path(broker["config"]).parent
    with open(directory / "broker.log", "ab") as log:
        proc = subprocess.Popen(
            _broker_command(Path(broker["config"])),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=directory,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return proc.pid


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


async def _wait_registered(zookeeper_connect: str, brokers: list[dict[str, Any]], timeout: float,
                           need_controller: bool = True) -> dict[str, Any]:
    """Wait (watch-driven, with a deadline) until the brokers are in `/brokers/ids` and, when
    asked, a controller is elected; fail early if a broker process died."""
    want = {b["id"] for b in brokers}
    with trio.fail_after(timeout):
        async with ZkClient.open(zookeeper_connect, session_timeout_ms=10000) as zk:
            kzk = KafkaZkClient(zk)
            while True:
                for b in brokers:
                    if not zke.pid_alive(b.get("pid")):
                        raise LabError(f"broker {b['id']} (pid {b.get('pid')}) exited: "
                                       f"{_log_tail(Path(b['config']).parent / 'broker.log')}")
                ids = {int(i) for i in await zk.get_children_or_empty("/brokers/ids") if i.isdigit()}
                controller = await kzk.get_controller_id()
                if want <= ids and (controller is not None or not need_controller) \
                        and (not need_controller or await _metadata_ready(brokers, ids, controller)):
                    epoch = await kzk.get_controller_epoch()
                    return {"controller": controller, "controller_epoch": epoch[0] if epoch else None,
                            "registered": sorted(ids)}
                # The brokers are other processes; a short poll keeps death detection simple.
                await trio.sleep(0.05)


async def _metadata_ready(brokers: list[dict[str, Any]], ids: set[int], controller: int) -> bool:
    """Every started broker already tells clients about all live brokers and the controller.

    Registration in ZooKeeper comes before the controller's UpdateMetadata reaches a broker; a
    client bootstrapping in between would see no controller (librdkafka then waits for its next
    metadata refresh, minutes later), so the lab waits for this too.
    """
    for b in brokers:
        try:
            with trio.fail_after(5):
                async with await BrokerConnection.connect("127.0.0.1", b["port"], client_id="kclone-lab") as conn:
                    md = await conn.send(ApiKey.METADATA, None, MetadataRequest(topics=()))
        except (KafkaError, trio.TooSlowError):
            return False
        if md.controller_id != controller or not ids <= {broker.node_id for broker in md.brokers}:
            return False
    return True


def wait_registered(zookeeper_connect: str, brokers: list[dict[str, Any]], timeout: float = 60.0,
                    need_controller: bool = True) -> dict[str, Any]:
    try:
        return trio.run(_wait_registered, zookeeper_connect, brokers, timeout, need_controller)
    except trio.TooSlowError:
        raise LabError(f"brokers {[b['id'] for b in brokers]} not registered with a controller after {timeout:.0f}s") from None


def up(directory: str | Path, *, brokers: int = 3, zookeepers: int = 3,
       config: Mapping[str, str] | None = None, zookeeper_connect: str | None = None,
       timeout: float = 60.0, usual_ports: bool | None = None) -> ClusterFile:
    """Start the ensemble (unless `zookeeper_connect` names an existing one) and the brokers.

    Ports are Kafka's and ZooKeeper's usual ones when free (the lab contract); with
    `usual_ports=False`, or `KCLONE_LAB_ANY_PORTS=1` in the environment (the test suite sets it,
    so that clusters started side by side never race for 9092), any free ports.
    """
    if usual_ports is None:
        usual_ports = os.environ.get("KCLONE_LAB_ANY_PORTS") != "1"
    d = Path(directory).resolve()
    if (d / CLUSTER_FILE).exists():
        existing = ClusterFile.load(d)
        alive = [p for p in _all_pids(existing) if zke.pid_alive(p)]
        if alive:
            raise LabError(f"a cluster is already running in {d} (pids {alive}): `kclone cluster down --dir {directory}` first")
    if brokers < 1:
        raise LabError("--brokers must be at least 1")
    d.mkdir(parents=True, exist_ok=True)
    ens: zke.Ensemble | None = None
    started: list[dict[str, Any]] = []
    try:
        if zookeeper_connect is None:
            try:
                ens = zke.Ensemble.start(d, zookeepers, tick_time_ms=LAB_TICK_TIME_MS, usual_ports=usual_ports)
            except (ValueError, zke.ZooKeeperNotFound, zke.EnsembleStartError) as exc:
                raise LabError(str(exc)) from None
            zookeeper_connect = ens.connect_string
        ports = zke.pick_ports(brokers, [9092 + i for i in range(brokers)] if usual_ports else [])
        for i in range(brokers):
            broker_id = i + 1
            bdir = d / f"broker-{broker_id}"
            bdir.mkdir(exist_ok=True)
            props = {
                "broker.id": str(broker_id),
                "listeners": f"PLAINTEXT://127.0.0.1:{ports[i]}",
                "log.dirs": str(bdir / "data"),
                "zookeeper.connect": zookeeper_connect,
                **LAB_BROKER_DEFAULTS,
                **(config or {}),
            }
            write_server_properties(bdir / "server.properties", props)
            entry = {"id": broker_id, "pid": None, "port": ports[i],
                     "config": str(bdir / "server.properties"), "log_dirs": props["log.dirs"]}
            entry["pid"] = start_broker_process(entry)
            started.append(entry)
        cluster = ClusterFile(d, {
            "zookeeper_connect": zookeeper_connect,
            "bootstrap_servers": ",".join(f"127.0.0.1:{b['port']}" for b in started),
            "tick_time_ms": LAB_TICK_TIME_MS,
            "zookeepers": [
                {"id": n.id, "pid": ens.pids[n.id], "client_port": n.client_port,
                 "quorum_port": n.quorum_port, "election_port": n.election_port, "data_dir": str(n.data_dir)}
                for n in ens.spec.nodes
            ] if ens else [],
            "brokers": started,
        })
        cluster.save()
        wait_registered(zookeeper_connect, started, timeout)
        return cluster
    except BaseException:
        for b in started:
            zke.stop_pid(b["pid"], timeout=5)
        if ens is not None:
            ens.stop()
        raise


def _all_pids(cluster: ClusterFile) -> list[int]:
    return [x["pid"] for x in cluster.data["brokers"] + cluster.data["zookeepers"] if x.get("pid")]


def down(directory: str | Path) -> ClusterFile:
    """Stop brokers (SIGTERM: clean shut-down) and then ZooKeeper, by pid."""
    cluster = ClusterFile.load(directory)
    for b in cluster.data["brokers"]:
        if b.get("pid"):
            zke.stop_pid(b["pid"], timeout=20)
            b["pid"] = None
    for z in cluster.data["zookeepers"]:
        if z.get("pid"):
            zke.stop_pid(z["pid"], timeout=10)
            z["pid"] = None
    cluster.save()
    return cluster


def kill(directory: str | Path, *, broker: int | None = None, zookeeper: int | None = None) -> dict[str, Any]:
    """kill -9 one broker or ZooKeeper node; its entry's pid becomes null in cluster.json."""
    cluster = ClusterFile.load(directory)
    entry = cluster.broker(broker) if broker is not None else cluster.zookeeper(_required(zookeeper))
    pid = entry.get("pid")
    if not zke.pid_alive(pid):
        raise LabError(f"{_name(broker, zookeeper)} is not running")
    zke.kill_pid(pid)
    deadline = time.monotonic() + 10
    while zke.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    entry["pid"] = None
    cluster.save()
    return entry


def start(directory: str | Path, *, broker: int | None = None, zookeeper: int | None = None,
          timeout: float = 60.0) -> dict[str, Any]:
    """Bring one broker or node back with the same id, config and data; record its new pid."""
    cluster = ClusterFile.load(directory)
    if broker is not None:
        entry = cluster.broker(broker)
        if zke.pid_alive(entry.get("pid")):
            raise LabError(f"broker {broker} is already running (pid {entry['pid']})")
        entry["pid"] = start_broker_process(entry)
        cluster.save()
        wait_registered(cluster.data["zookeeper_connect"], [entry], timeout, need_controller=False)
    else:
        node_id = _required(zookeeper)
        entry = cluster.zookeeper(node_id)
        if zke.pid_alive(entry.get("pid")):
            raise LabError(f"ZooKeeper node {node_id} is already running (pid {entry['pid']})")
        spec = cluster.ensemble_spec()
        entry["pid"] = zke.start_node(spec, node_id)
        cluster.save()
        try:
            zke.wait_ready(spec, {node_id: entry["pid"]}, timeout)
        except zke.EnsembleStartError as exc:
            raise LabError(str(exc)) from None
    return entry


def _required(zookeeper: int | None) -> int:
    if zookeeper is None:
        raise LabError("say which: --broker ID or --zookeeper ID")
    return zookeeper


def _name(broker: int | None, zookeeper: int | None) -> str:
    return f"broker {broker}" if broker is not None else f"ZooKeeper node {zookeeper}"


async def _zk_view(zookeeper_connect: str) -> dict[str, Any]:
    async with ZkClient.open(zookeeper_connect, session_timeout_ms=10000, connection_timeout_ms=3000) as zk:
        kzk = KafkaZkClient(zk)
        ids = sorted(int(i) for i in await zk.get_children_or_empty("/brokers/ids") if i.isdigit())
        epoch = await kzk.get_controller_epoch()
        return {"registered": ids, "controller": await kzk.get_controller_id(),
                "controller_epoch": epoch[0] if epoch else None}


def status(directory: str | Path) -> dict[str, Any]:
    """Each process's liveness, each node's mode, the registered brokers and the controller."""
    cluster = ClusterFile.load(directory)
    spec = cluster.ensemble_spec()
    modes = zke.node_modes(spec) if spec.nodes else {}
    try:
        view = trio.run(_zk_view, cluster.data["zookeeper_connect"])
    except Exception as exc:
        view = {"registered": [], "controller": None, "controller_epoch": None, "error": f"ZooKeeper unreachable: {exc}"}
    return {
        "dir": str(cluster.dir),
        "zookeeper_connect": cluster.data["zookeeper_connect"],
        "bootstrap_servers": cluster.data["bootstrap_servers"],
        "zookeepers": [{**z, "alive": zke.pid_alive(z.get("pid")), "mode": modes.get(z["id"])}
                       for z in cluster.data["zookeepers"]],
        "brokers": [{**b, "alive": zke.pid_alive(b.get("pid")), "registered": b["id"] in view["registered"]}
                    for b in cluster.data["brokers"]],
        **{k: v for k, v in view.items() if k != "registered"},
    }
