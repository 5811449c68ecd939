"""`kclone broker start` and the lab commands as a user runs them: real processes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

pytestmark = [pytest.mark.zk]


def kclone(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=timeout)


def write_props(path, **props):
    path.write_text("".join(f"{k.replace('_', '.')}={v}\n" for k, v in props.items()))
    return str(path)


@pytest.mark.parametrize("props, message", [
    ({"broker_id": "abc"}, "Invalid value abc for configuration broker.id: Not a number of type INT"),
    ({"zookeeper_connect": None}, 'Missing required configuration "zookeeper.connect" which has no default value.'),
    ({"listeners": "PLAINTEXT//127.0.0.1:9092"}, "Unable to parse PLAINTEXT//127.0.0.1:9092 to a broker endpoint"),
    ({"listeners": "FOO://127.0.0.1:9092"}, "No security protocol defined for listener FOO"),
    ({"zookeeper.session.timeout.ms": "soon"}, "Invalid value soon for configuration zookeeper.session.timeout.ms"),
    ({"auto.create.topics.enable": "maybe"}, "Expected value to be either true or false"),
])
def test_bad_server_properties_give_one_line(tmp_path, props, message):
    base = {"broker_id": "1", "listeners": "PLAINTEXT://127.0.0.1:0", "log_dirs": str(tmp_path / "d"),
            "zookeeper_connect": "127.0.0.1:1"}
    base.update(props)
    cfg = write_props(tmp_path / "server.properties", **{k: v for k, v in base.items() if v is not None})
    result = kclone("broker", "start", cfg)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_missing_config_file(tmp_path):
    result = kclone("broker", "start", str(tmp_path / "nope.properties"))
    assert result.returncode == 1 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_dead_zookeeper_is_one_line(tmp_path):
    cfg = write_props(tmp_path / "server.properties", broker_id=1, listeners="PLAINTEXT://127.0.0.1:0",
                      log_dirs=tmp_path / "d", zookeeper_connect="127.0.0.1:1",
                      zookeeper_connection_timeout_ms=1000)
    result = kclone("--log-level", "ERROR", "broker", "start", cfg)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "could not connect to ZooKeeper at 127.0.0.1:1" in result.stderr.strip().splitlines()[-1]


def test_duplicate_broker_id_process_is_refused(tmp_path, zookeeper_connect):
    connect = f"{zookeeper_connect}/dup-{uuid.uuid4().hex[:8]}"
    first = write_props(tmp_path / "a.properties", broker_id=5, listeners="PLAINTEXT://127.0.0.1:0",
                        log_dirs=tmp_path / "a", zookeeper_connect=connect)
    second = write_props(tmp_path / "b.properties", broker_id=5, listeners="PLAINTEXT://127.0.0.1:0",
                         log_dirs=tmp_path / "b", zookeeper_connect=connect)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "broker", "start", first],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Wait for the first broker's registration line, then start the twin.
        for line in proc.stderr:
            if "Registered broker 5" in line:
                break
        result = kclone("broker", "start", second)
        assert result.returncode == 1
        assert "broker.id 5 is already registered by another broker" in result.stderr.strip().splitlines()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0  # SIGTERM is a clean shut-down


def test_cluster_commands_and_cluster_json(tmp_path, zookeeper_connect):
    d = tmp_path / "lab"
    connect = f"{zookeeper_connect}/lab-{uuid.uuid4().hex[:8]}"
    up = kclone("cluster", "up", "--dir", str(d), "--brokers", "2", "--zookeeper-connect", connect,
                "--config", "zookeeper.session.timeout.ms=2000", "--config", "num.partitions=3")
    try:
        assert up.returncode == 0, up.stderr
        info = json.loads((d / "cluster.json").read_text())
        assert info["zookeeper_connect"] == connect
        assert [b["id"] for b in info["brokers"]] == [1, 2]
        assert info["bootstrap_servers"] == ",".join(f"127.0.0.1:{b['port']}" for b in info["brokers"])
        props = (d / "broker-1" / "server.properties").read_text()
        assert "num.partitions=3" in props and "zookeeper.session.timeout.ms=2000" in props
        status = json.loads(kclone("cluster", "status", "--dir", str(d), "--json").stdout)
        assert status["controller"] in (1, 2) and all(b["registered"] for b in status["brokers"])
        tree = kclone("zk", "tree", "--zookeeper", connect)
        assert "[ephemeral, owner session 0x" in tree.stdout and "controller_epoch = 1" in tree.stdout
        bad = kclone("cluster", "kill", "--dir", str(d), "--broker", "9")
        assert bad.returncode == 1 and "no broker 9" in bad.stderr
        both = kclone("cluster", "kill", "--dir", str(d))
        assert both.returncode == 2 and "exactly one of --broker ID or --zookeeper ID" in both.stderr
        again = kclone("cluster", "up", "--dir", str(d), "--zookeeper-connect", connect)
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        down = kclone("cluster", "down", "--dir", str(d))
    assert down.returncode == 0
    assert not any(b["pid"] for b in json.loads((d / "cluster.json").read_text())["brokers"])
