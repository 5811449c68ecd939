"""A real ZooKeeper ensemble on loopback, started and stopped by us.

Kafka's classic cluster keeps all its metadata in ZooKeeper, so the lab and the tests need a real
ensemble (Debian's `zookeeper` package, 3.8) that they can start, break and mend.  This module
writes one `zoo.cfg` (and `myid`) per node, starts each node as its own JVM in its own session,
waits until the ensemble has a leader and every node we started is alive and serving, and kills,
stops or restarts single nodes by pid.  Nothing here imports kazoo: readiness and each node's mode
come from the `srvr` four-letter word, exactly what `echo srvr | nc host port` shows a student.

Invariants:
- Every node is identified by its pid alone once started, so a later process (`kclone cluster
  kill --zookeeper 2`) can act on a node started by an earlier one.
- A node is "ready" only when its process is alive *and* it answers `srvr` with a serving mode:
  a stale server left on the same port could answer for a node that died with BindException.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterable

import attrs

#: JVM flags that keep a node at ~60 MB RSS and start it in well under a second.
JVM_FLAGS = (
    "-Xmx64m", "-Xms16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData", "-Xss256k",
)
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
DEBIAN_JAR_DIR = Path("/usr/share/java")
SERVING_MODES = frozenset({"leader", "follower", "standalone", "observer"})


class ZooKeeperNotFound(RuntimeError):
    """No ZooKeeper installation: neither ZOOKEEPER_HOME nor Debian's package."""


class EnsembleStartError(RuntimeError):
    """A node died or the ensemble did not elect a leader in time."""


def find_classpath(zookeeper_home: str | None = None) -> str:
    """The Java classpath for a ZooKeeper server.

    `ZOOKEEPER_HOME` (an Apache tarball: `lib/*.jar`) wins over Debian's package, whose
    `zookeeper.jar` manifest pulls in its dependencies; slf4j-simple is added so the node logs.
    """
    home = zookeeper_home or os.environ.get("ZOOKEEPER_HOME")
    if home:
        home_path = Path(home)
        jars = sorted(str(p) for p in [*home_path.glob("*.jar"), *home_path.glob("lib/*.jar")])
        if not jars:
            raise ZooKeeperNotFound(f"ZOOKEEPER_HOME={home} holds no ZooKeeper jars (looked in . and lib/)")
        return os.pathsep.join([*jars, str(home_path / "conf")])
    jar = DEBIAN_JAR_DIR / "zookeeper.jar"
    if not jar.exists():
        raise ZooKeeperNotFound(
            "ZooKeeper is not installed: run scripts/bootstrap.sh (apt-get install zookeeper) "
            "or set ZOOKEEPER_HOME to a ZooKeeper install"
        )
    parts = [str(jar)]
    simple = DEBIAN_JAR_DIR / "slf4j-simple.jar"
    if simple.exists():
        parts.append(str(simple))
    return os.pathsep.join(parts)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_ports(count: int, preferred: Iterable[int] | None = None, host: str = "127.0.0.1") -> list[int]:
    """`count` ports: the preferred ones while they are free, else ports the kernel picks.

    Sockets are held open until all are chosen so that one call never returns the same port
    twice; a port may still be taken by someone else before its server binds it (then the node
    fails with BindException and `wait_ready` says so).
    """
    held: list[socket.socket] = []
    ports: list[int] = []
    wanted = list(preferred or [])
    try:
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            try:
                s.bind((host, wanted[i] if i < len(wanted) else 0))
            except OSError:
                s.bind((host, 0))
            ports.append(s.getsockname()[1])
    finally:
        for s in held:
            s.close()
    return ports


@attrs.frozen
class NodeSpec:
    """One ZooKeeper server of an ensemble (a `server.N` line and its own data dir)."""

    id: int
    client_port: int
    quorum_port: int
    election_port: int
    data_dir: Path
    host: str = "127.0.0.1"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.client_port}"


@attrs.frozen
class EnsembleSpec:
    """The static shape of an ensemble; `tick_time_ms` bounds session timeouts to [2, 20] ticks,
    unless `max_session_timeout_ms` (ZooKeeper's `maxSessionTimeout`) raises the upper bound."""

    nodes: tuple[NodeSpec, ...]
    tick_time_ms: int = 2000
    max_session_timeout_ms: int | None = None

    @property
    def connect_string(self) -> str:
        return ",".join(n.address for n in self.nodes)

    def node(self, node_id: int) -> NodeSpec:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no ZooKeeper node {node_id} (nodes: {[n.id for n in self.nodes]})")

    @classmethod
    def plan(
        cls,
        base_dir: Path,
        size: int,
        *,
        tick_time_ms: int = 2000,
        max_session_timeout_ms: int | None = None,
        usual_ports: bool = False,
        host: str = "127.0.0.1",
    ) -> "EnsembleSpec":
        """Lay out `size` nodes under `base_dir/zk-<id>`.

        With `usual_ports`, ZooKeeper's customary 2181/2888/3888 (+ id - 1) are used while free,
        as the lab contract asks; otherwise every port is picked free.
        """
        if size not in (1, 3, 5):
            raise ValueError(f"an ensemble has 1, 3 or 5 nodes, not {size}")
        preferred: list[int] = []
        if usual_ports:
            for i in range(size):
                preferred += [2181 + i, 2888 + i, 3888 + i]
        ports = pick_ports(3 * size, preferred, host)
        nodes = tuple(
            NodeSpec(
                id=i + 1,
                client_port=ports[3 * i],
                quorum_port=ports[3 * i + 1],
                election_port=ports[3 * i + 2],
                data_dir=Path(base_dir) / f"zk-{i + 1}",
                host=host,
            )
            for i in range(size)
        )
        return cls(nodes=nodes, tick_time_ms=tick_time_ms, max_session_timeout_ms=max_session_timeout_ms)


def write_config(spec: EnsembleSpec, node: NodeSpec) -> Path:
    """Write `zoo.cfg` (and `myid` for ensembles) into the node's data dir; return the cfg path."""
    node.data_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f"tickTime={spec.tick_time_ms}",
        "initLimit=10",
        "syncLimit=5",
        f"dataDir={node.data_dir.resolve()}",
        f"clientPort={node.client_port}",
        f"clientPortAddress={node.host}",
        # The admin server needs Jetty, which Debian's classpath cannot load; 4lw words give the
        # same facts (mode, sessions) to the launcher and to students with netcat.
        "admin.enableServer=false",
        "4lw.commands.whitelist=srvr,ruok,mntr,cons,stat,conf,dump,envi",
        # Without this every transaction log preallocates 64 MB.
        "preAllocSize=4096",
        "maxClientCnxns=0",
    ]
    if spec.max_session_timeout_ms is not None:
        lines.append(f"maxSessionTimeout={spec.max_session_timeout_ms}")
    if len(spec.nodes) > 1:
        lines += [
            f"server.{n.id}={n.host}:{n.quorum_port}:{n.election_port}" for n in spec.nodes
        ]
        (node.data_dir / "myid").write_text(f"{node.id}\n")
    cfg = node.data_dir / "zoo.cfg"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def start_node(spec: EnsembleSpec, node_id: int, *, java: str = "java") -> int:
    """Start one node as a detached JVM (its own session, log in `data_dir/zookeeper.log`); its pid."""
    node = spec.node(node_id)
    cfg = write_config(spec, node)
    log = open(node.data_dir / "zookeeper.log", "ab")
    try:
        proc = subprocess.Popen(
            [java, *JVM_FLAGS, "-cp", find_classpath(), MAIN_CLASS, str(cfg)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=node.data_dir,
        )
    except FileNotFoundError as exc:
        raise ZooKeeperNotFound(f"cannot run {java!r}: install a Java runtime (Debian's zookeeper package pulls one in)") from exc
    finally:
        log.close()
    (node.data_dir / "zookeeper.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def four_letter_word(host: str, port: int, word: str, timeout: float = 1.0) -> str | None:
    """Send a ZooKeeper four-letter word; the answer, or None if the node does not answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode(errors="replace")


def node_mode(host: str, port: int, timeout: float = 1.0) -> str | None:
    """`leader`, `follower`, `standalone`, ... as `srvr` reports it; None when not serving."""
    answer = four_letter_word(host, port, "srvr", timeout)
    if not answer:
        return None
    for line in answer.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    # "This ZooKeeper instance is not currently serving requests": alive but without quorum.
    return None


def pid_alive(pid: int | None) -> bool:
    """True when `pid` runs and is not a zombie (a killed child we have not reaped yet)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            _reap(pid)
            return False
    except (OSError, IndexError):
        pass
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def kill_pid(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the process group `pid` leads (nodes and brokers start their own sessions)."""
    for target in (lambda: os.killpg(pid, sig), lambda: os.kill(pid, sig)):
        try:
            target()
            return
        except ProcessLookupError:
            continue
        except PermissionError:
            continue


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, wait up to `timeout` for the process to go, then SIGKILL."""
    if not pid_alive(pid):
        return
    kill_pid(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            _reap(pid)
            return
        time.sleep(0.05)
    kill_pid(pid, signal.SIGKILL)
    _reap(pid)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def wait_ready(spec: EnsembleSpec, pids: dict[int, int], timeout: float = 30.0) -> dict[int, str]:
    """Wait until every node in `pids` is alive and serving and one of them leads.

    Polls `srvr` with a deadline (the node is another process; there is nothing to wait on).
    Returns each node's mode; raises EnsembleStartError naming the dead or silent node.
    """
    deadline = time.monotonic() + timeout
    modes: dict[int, str | None] = {}
    while True:
        for node_id, pid in pids.items():
            node = spec.node(node_id)
            if not pid_alive(pid):
                raise EnsembleStartError(
                    f"ZooKeeper node {node_id} (pid {pid}) exited: {_tail(node.data_dir / 'zookeeper.log')}"
                )
            modes[node_id] = node_mode(node.host, node.client_port, timeout=0.5)
        if all(m in SERVING_MODES for m in modes.values()) and (
            len(spec.nodes) == 1 or any(m == "leader" for m in node_modes(spec).values())
        ):
            return {k: v for k, v in modes.items() if v}
        if time.monotonic() > deadline:
            silent = [k for k, m in modes.items() if m not in SERVING_MODES]
            raise EnsembleStartError(
                f"ZooKeeper nodes {silent} not serving after {timeout:.0f}s (modes: {modes})"
            )
        time.sleep(0.05)


def node_modes(spec: EnsembleSpec) -> dict[int, str | None]:
    """Each node's mode as `srvr` reports it (None: down or without quorum)."""
    return {n.id: node_mode(n.host, n.client_port, timeout=0.5) for n in spec.nodes}


@attrs.define(eq=False)
class Ensemble:
    """A running ensemble: its spec and the pid of each node we started.

    Usable as a context manager (`with Ensemble.start(...) as ens:`), which stops every node on
    exit.  `kill`, `stop_node` and `start_node` act on one node for failure demos and tests.
    """

    spec: EnsembleSpec
    pids: dict[int, int] = attrs.Factory(dict)

    @classmethod
    def start(
        cls,
        base_dir: Path | str,
        size: int = 3,
        *,
        tick_time_ms: int = 2000,
        max_session_timeout_ms: int | None = None,
        usual_ports: bool = False,
        timeout: float = 30.0,
    ) -> "Ensemble":
        spec = EnsembleSpec.plan(Path(base_dir), size, tick_time_ms=tick_time_ms,
                                 max_session_timeout_ms=max_session_timeout_ms, usual_ports=usual_ports)
        ens = cls(spec)
        try:
            for node in spec.nodes:
                ens.pids[node.id] = start_node(spec, node.id)
            ens.wait_ready(timeout)
        except BaseException:
            ens.stop()
            raise
        return ens

    @property
    def connect_string(self) -> str:
        return self.spec.connect_string

    def wait_ready(self, timeout: float = 30.0) -> dict[int, str]:
        live = {i: p for i, p in self.pids.items() if p}
        return wait_ready(self.spec, live, timeout)

    def modes(self) -> dict[int, str | None]:
        return node_modes(self.spec)

    def leader_id(self) -> int | None:
        for node_id, mode in self.modes().items():
            if mode in ("leader", "standalone"):
                return node_id
        return None

    def kill(self, node_id: int) -> None:
        """kill -9 one node (the data dir stays, so `start_node` brings it back as it was)."""
        pid = self.pids.get(node_id)
        if pid:
            kill_pid(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            _reap(pid)
        self.pids[node_id] = 0

    def stop_node(self, node_id: int) -> None:
        pid = self.pids.get(node_id)
        if pid:
            stop_pid(pid)
        self.pids[node_id] = 0

    def start_node(self, node_id: int, *, wait: bool = True, timeout: float = 30.0) -> int:
        self.pids[node_id] = start_node(self.spec, node_id)
        if wait:
            wait_ready(self.spec, {node_id: self.pids[node_id]}, timeout)
        return self.pids[node_id]

    def stop(self) -> None:
        for node_id in list(self.pids):
            self.stop_node(node_id)

    def remove_data(self) -> None:
        for node in self.spec.nodes:
            shutil.rmtree(node.data_dir, ignore_errors=True)

    def __enter__(self) -> "Ensemble":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

