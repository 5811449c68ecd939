"""The lab's own commands end to end: `kclone zookeeper` and the tour (the README's main job)."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_broker_cli import kclone

pytestmark = [pytest.mark.zk, pytest.mark.slow]


def test_zookeeper_up_status_down(tmp_path):
    d = str(tmp_path / "zk")
    up = kclone("zookeeper", "up", "--dir", d, "--nodes", "3", "--tick-time", "200")
    try:
        assert up.returncode == 0, up.stderr
        assert sorted(line.split(": ")[1].split()[0] for line in up.stdout.splitlines()[:3]) == ["follower", "follower", "leader"]
        info = json.loads((tmp_path / "zk" / "ensemble.json").read_text())
        assert up.stdout.strip().endswith(f"zookeeper.connect={info['connect']}")
        status = kclone("zookeeper", "status", "--dir", d)
        assert status.stdout.count("follower") == 2 and status.stdout.count("leader") == 1
    finally:
        down = kclone("zookeeper", "down", "--dir", d)
    assert down.returncode == 0
    assert kclone("zookeeper", "status", "--dir", d).stdout.count("down") == 3


def test_tour(tmp_path):
    result = kclone("demo", "tour", "--dir", str(tmp_path / "lab"), "--down", timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "won the election: it created the ephemeral /controller first" in out
    assert "(controller_epoch is now 2)" in out
    assert "[ephemeral, owner session 0x" in out
    assert "/brokers/topics/clicks/partitions/0/state = " in out
    assert "reading every partition back: 12 records, none lost." in out
    assert "and the leader put it back in the ISR" in out
    assert "now owns partitions [0, 1, 2], and would resume from the commits." in out
    assert out.strip().endswith("Cluster stopped.")


def test_every_tool_of_the_blueprint_is_a_kclone_subcommand():
    """Design §7: Kafka's tools by their names, plus the lab's own."""
    from cli.main import main

    assert {"topics", "reassign-partitions", "leader-election", "consumer-groups", "configs", "console-producer",
            "console-consumer", "producer-perf-test", "consumer-perf-test", "dump-log", "zookeeper-shell",
            "zookeeper", "broker", "cluster", "zk", "demo"} <= set(main.commands)
    assert {"tree", "watch"} <= set(main.commands["zk"].commands)
