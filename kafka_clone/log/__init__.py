"""Log storage: Kafka's ``kafka.log`` package (2.8), as plain synchronous file code.

Module map (each mirrors the Kafka class in its name):

* ``log_manager.LogManager``: every log of the broker, ``log.dirs``, checkpoints, recovery,
  the clean-shutdown marker, retention/flush/cleaner background task (``run``).
* ``log.Log``: one partition: append (leader/follower), read, truncate, timestamps, epochs,
  retention of whole segments.
* ``segment.LogSegment``: one ``.log`` file with its ``offset_index.OffsetIndex`` and
  ``time_index.TimeIndex`` (both ``abstract_index.AbstractIndex``).
* ``log_validator``: the per-batch checks of an append; ``cleaner``: compaction;
  ``leader_epoch_cache.LeaderEpochFileCache``; ``checkpoints``: the text checkpoint files;
  ``log_config.LogConfig``: topic-level configuration; ``clock``: the injectable clock.

The record-batch format itself lives in ``kafka_clone.protocol.records``. See docs/storage.md
for the on-disk layout.
"""

from kafka_clone.log.log import FetchDataInfo, Log, LogAppendInfo, LogOffsetMetadata, TimestampAndOffset
from kafka_clone.log.log_config import LogConfig
from kafka_clone.log.log_manager import LogManager
from kafka_clone.log.segment import FileRecords

__all__ = [
    "FetchDataInfo", "FileRecords", "Log", "LogAppendInfo", "LogConfig", "LogManager", "LogOffsetMetadata",
    "TimestampAndOffset",
]
