"""The injectable clock of the log layer, standing in for Kafka's ``org.apache.kafka.common.utils.Time``.

Every log class takes ``clock: Callable[[], int]`` returning wall-clock milliseconds, so tests can
drive segment rolling, retention and tombstone expiry deterministically. This module is the only
place in ``kafka_clone.log`` that reads the system clock: record timestamps, ``segment.ms`` and
``retention.ms`` are wall-clock quantities in Kafka too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "wall_clock_ms"]

Clock = Callable[[], int]


def wall_clock_ms() -> int:
    """Milliseconds since the epoch (Kafka's ``Time.SYSTEM.milliseconds()``)."""
    return time.time_ns() // 1_000_000
