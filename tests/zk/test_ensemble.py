"""The ensemble launcher against real ZooKeeper processes."""

from __future__ import annotations

import pytest
import trio

from zk.client import ConnectionLossError, ZkClient
from zk.ensemble import Ensemble, EnsembleSpec, four_letter_word, node_mode, write_config

pytestmark = [pytest.mark.zk]


def test_zoo_cfg_for_an_ensemble(tmp_path):
    spec = EnsembleSpec.plan(tmp_path, 3, tick_time_ms=300)
    cfg = write_config(spec, spec.nodes[1]).read_text()
    assert "tickTime=300" in cfg
    assert f"clientPort={spec.nodes[1].client_port}" in cfg
    for n in spec.nodes:
        assert f"server.{n.id}=127.0.0.1:{n.quorum_port}:{n.election_port}" in cfg
    assert (spec.nodes[1].data_dir / "myid").read_text().strip() == "2"
    ports = [p for n in spec.nodes for p in (n.client_port, n.quorum_port, n.election_port)]
    assert len(set(ports)) == 9


def test_standalone_node(tmp_path):
    with Ensemble.start(tmp_path, 1, tick_time_ms=200) as ens:
        assert ens.modes() == {1: "standalone"}
        assert "maxSessionTimeout" not in write_config(ens.spec, ens.spec.nodes[0]).read_text()


def _granted_session_timeout(ens: Ensemble, requested_ms: int) -> int:
    """The timeout ZooKeeper granted a new session, as its `cons` word reports it."""
    node = ens.spec.nodes[0]

    async def granted() -> int:
        async with ZkClient.open(ens.connect_string, session_timeout_ms=requested_ms) as zk:
            sid = f"sid=0x{zk.session_id:x},"
            line = next(ln for ln in four_letter_word(node.host, node.client_port, "cons").splitlines() if sid in ln)
            return int(line.split(",to=")[1].split(",")[0])
    return trio.run(granted)


def test_max_session_timeout_raises_the_twenty_tick_bound(tmp_path):
    with Ensemble.start(tmp_path / "default", 1, tick_time_ms=200) as ens:
        assert _granted_session_timeout(ens, 8000) == 4000  # 20 ticks
    with Ensemble.start(tmp_path / "raised", 1, tick_time_ms=200, max_session_timeout_ms=10000) as ens:
        assert "maxSessionTimeout=10000" in write_config(ens.spec, ens.spec.nodes[0]).read_text()
        assert _granted_session_timeout(ens, 8000) == 8000


@pytest.mark.slow
def test_survives_one_node_loss_and_refuses_writes_without_quorum(tmp_path):
    with Ensemble.start(tmp_path, 3, tick_time_ms=200) as ens:
        modes = ens.wait_ready()
        assert sorted(modes.values()) == ["follower", "follower", "leader"]
        leader = ens.leader_id()

        async def write(path: str, timeout: float) -> None:
            async with ZkClient.open(ens.connect_string, session_timeout_ms=4000) as zk:
                with trio.fail_after(timeout):
                    await zk.create(path, b"x")

        # Losing the leader: the two survivors elect a new one and keep serving writes.
        ens.kill(leader)
        trio.run(write, "/after-leader-loss", 20)
        survivors = [i for i in (1, 2, 3) if i != leader]
        assert {node_mode("127.0.0.1", ens.spec.node(i).client_port) for i in survivors} == {"leader", "follower"}

        # Losing a second node: no quorum, so the last node serves nothing and writes fail.
        ens.kill(survivors[0])
        last = ens.spec.node(survivors[1])
        with pytest.raises((ConnectionLossError, trio.TooSlowError)):
            trio.run(write, "/without-quorum", 3)
        assert node_mode(last.host, last.client_port) is None

        # Quorum back: writes succeed again.
        ens.start_node(leader, wait=False)
        ens.wait_ready(30)
        trio.run(write, "/quorum-back", 20)
