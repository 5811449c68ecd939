"""Figures for the foundation: cluster start-up and controller failover (not a test).

    .venv/bin/python bench/cluster_bench.py [--runs 5] [--session-timeout-ms 6000]

Prints, per run and as medians: seconds from `kclone cluster up` (3 ZooKeeper nodes + 3 brokers)
to ready (every broker registered, a controller elected), and seconds from kill -9 of the
controller to a new controller in `/controller`.  The lab's ZooKeeper tickTime is 500 ms, so the
failover figure is dominated by the session timeout (ZooKeeper checks expiry once per tick).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kafka_clone.lab import cluster as lab  # noqa: E402
from kafka_clone.lab.tour import _wait_new_controller  # noqa: E402


def one_run(base: Path, session_timeout_ms: int) -> tuple[float, float]:
    d = base / f"run-{time.monotonic_ns()}"
    t0 = time.monotonic()
    lab.up(d, brokers=3, zookeepers=3, config={"zookeeper.session.timeout.ms": str(session_timeout_ms)})
    ready = time.monotonic() - t0
    try:
        controller = lab.status(d)["controller"]
        lab.kill(d, broker=controller)
        _, _, failover = trio.run(_wait_new_controller, lab.ClusterFile.load(d).data["zookeeper_connect"],
                                  controller, 120.0)
    finally:
        lab.down(d)
    return ready, failover


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--session-timeout-ms", type=int, default=6000)
    args = ap.parse_args()
    ups, failovers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            up, fo = one_run(Path(tmp), args.session_timeout_ms)
            ups.append(up)
            failovers.append(fo)
            print(f"run {i + 1}: cluster up (3 ZooKeeper + 3 brokers) to ready {up:.2f} s; "
                  f"kill -9 controller to new controller {fo:.2f} s")
    print(f"median over {args.runs} runs: up {statistics.median(ups):.2f} s, "
          f"controller failover {statistics.median(failovers):.2f} s "
          f"(zookeeper.session.timeout.ms={args.session_timeout_ms}, tickTime={lab.LAB_TICK_TIME_MS})")


if __name__ == "__main__":
    main()
