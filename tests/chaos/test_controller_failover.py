"""Controller failover with real broker processes: kill -9 and a freeze past the session."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from kafka_clone.lab import cluster as lab
from tests.chaos.conftest import SESSION_TIMEOUT_MS, wait_until
from zk import ensemble as zke

pytestmark = [pytest.mark.zk, pytest.mark.chaos, pytest.mark.slow]

MARGIN_S = 15  # generous: a loaded 2-core CI machine


def test_kill_controller_elects_a_new_one_with_next_epoch(lab_cluster):
    st = lab.status(lab_cluster.dir)
    assert all(b["registered"] for b in st["brokers"])
    old, epoch = st["controller"], st["controller_epoch"]
    started = time.monotonic()
    lab.kill(lab_cluster.dir, broker=old)
    st2 = wait_until(lambda: (s := lab.status(lab_cluster.dir))["controller"] not in (None, old) and s,
                     timeout=SESSION_TIMEOUT_MS / 1000 + MARGIN_S)
    took = time.monotonic() - started
    assert st2, "no new controller"
    assert st2["controller_epoch"] == epoch + 1
    assert took < SESSION_TIMEOUT_MS / 1000 + MARGIN_S
    assert [b["registered"] for b in st2["brokers"] if b["id"] == old] == [False]

    # The killed broker comes back with the same id and data, as an ordinary broker.
    entry = lab.start(lab_cluster.dir, broker=old)
    assert zke.pid_alive(entry["pid"])
    st3 = lab.status(lab_cluster.dir)
    assert st3["controller"] == st2["controller"] and st3["controller_epoch"] == epoch + 1
    assert all(b["registered"] for b in st3["brokers"])


def test_frozen_controller_loses_the_role_and_does_not_act_when_resumed(lab_cluster):
    st = lab.status(lab_cluster.dir)
    old, epoch = st["controller"], st["controller_epoch"]
    pid = lab_cluster.broker(old)["pid"]
    log = Path(lab_cluster.broker(old)["config"]).parent / "broker.log"
    zke.kill_pid(pid, signal.SIGSTOP)
    try:
        st2 = wait_until(lambda: (s := lab.status(lab_cluster.dir))["controller"] not in (None, old) and s,
                         timeout=SESSION_TIMEOUT_MS / 1000 + MARGIN_S)
        assert st2 and st2["controller_epoch"] == epoch + 1
    finally:
        zke.kill_pid(pid, signal.SIGCONT)
    new = st2["controller"]
    # Resumed, the old controller finds its session expired: it resigns, registers again with a
    # new broker epoch, and leaves the controller role to the winner.
    assert wait_until(lambda: "re-registered broker after session expiry" in log.read_text(), timeout=MARGIN_S)
    text = log.read_text()
    assert "Resigned as the controller (epoch %d)" % epoch in text
    st3 = wait_until(lambda: (s := lab.status(lab_cluster.dir))["brokers"][old - 1]["registered"] and s)
    assert st3["controller"] == new and st3["controller_epoch"] == epoch + 1
    assert text.count("successfully elected as the controller") == 1
