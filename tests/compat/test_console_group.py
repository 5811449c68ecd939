"""`kclone console-consumer --group`: a group member that resumes from its committed offsets."""

from __future__ import annotations

import subprocess
import sys

import pytest
from confluent_kafka import Producer

pytestmark = [pytest.mark.compat, pytest.mark.zk]


def console_consumer(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "console-consumer", "--bootstrap-server", bootstrap,
                           *args], capture_output=True, text=True, timeout=120)


def test_console_consumer_group_resumes_from_commits(bootstrap, topic_name):
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(10):
        p.produce(topic_name, f"m{i}".encode(), partition=0)
    assert p.flush(30) == 0
    first = console_consumer(bootstrap, "--topic", topic_name, "--group", "console", "--from-beginning",
                             "--max-messages", "6")
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [f"m{i}" for i in range(6)]
    second = console_consumer(bootstrap, "--topic", topic_name, "--group", "console", "--timeout-ms", "5000")
    assert second.stdout.split() == [f"m{i}" for i in range(6, 10)]  # the group's committed offset
    assert "Processed a total of 4 messages" in second.stderr
    bad = console_consumer(bootstrap, "--topic", topic_name, "--group", "console", "--partition", "0")
    assert bad.returncode == 1 and "Options group and partition cannot be specified together." in bad.stdout + bad.stderr
