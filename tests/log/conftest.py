"""Fixtures for the log tests (helpers live in log_helpers.py)."""

import pytest
from log_helpers import ManualClock

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def open_log(tmp_path, clock):
    opened = []

    def make(config: LogConfig | None = None, name: str = "topic-0", **kw) -> Log:
        log = Log.open(str(tmp_path / name), config or LogConfig(), clock=clock, **kw)
        opened.append(log)
        return log

    yield make
    for log in opened:
        try:
            log.close()
        except OSError:
            pass
