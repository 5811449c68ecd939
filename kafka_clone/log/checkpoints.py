"""Kafka's text checkpoint files, mirroring ``kafka.server.checkpoints.CheckpointFile`` and
``OffsetCheckpointFile`` / ``LeaderEpochCheckpointFile`` (2.8).

Format (ASCII, one item per line, ``\\n`` line ends)::

    0                      <- version
    2                      <- number of entries
    my-topic 0 1234        <- offset checkpoints: "topic partition offset"
    my-topic 1 99

``leader-epoch-checkpoint`` uses the same frame with ``epoch start_offset`` lines.

Writes are atomic the way Kafka makes them: write ``<file>.tmp``, fsync it, rename over the file,
fsync the directory. A reader therefore sees the old or the new file, never a mix. A malformed
file raises ``KafkaStorageError`` (56), as Kafka fails the log directory on an IOException.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from kafka_clone.protocol.errors import KafkaStorageError

__all__ = [
    "RECOVERY_POINT_CHECKPOINT", "REPLICATION_OFFSET_CHECKPOINT", "LOG_START_OFFSET_CHECKPOINT",
    "CLEANER_OFFSET_CHECKPOINT", "LEADER_EPOCH_CHECKPOINT", "read_offsets", "write_offsets",
    "read_epochs", "write_epochs", "atomic_write",
]

RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint"
REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint"
LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint"
CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint"
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"
_VERSION = 0


def atomic_write(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` via ``.tmp`` + fsync + rename + directory fsync."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write(path: str, lines: Iterable[str]) -> None:
    body = list(lines)
    atomic_write(path, "".join(f"{line}\n" for line in [str(_VERSION), str(len(body)), *body]))


def _read(path: str, fields: int) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    if len(lines) < 2 or lines[0].strip() != str(_VERSION):
        raise KafkaStorageError(f"unrecognized version or truncated header in checkpoint file {path}")
    try:
        count = int(lines[1])
    except ValueError:
        raise KafkaStorageError(f"malformed entry count in checkpoint file {path}") from None
    entries = [line.split() for line in lines[2:] if line.strip()]
    if len(entries) != count or any(len(e) != fields for e in entries):
        raise KafkaStorageError(f"expected {count} entries of {fields} fields in checkpoint file {path}")
    return entries


def write_offsets(path: str, offsets: Mapping[tuple[str, int], int]) -> None:
    """Write a ``topic partition offset`` checkpoint (sorted, so diffs are readable)."""
    _write(path, (f"{t} {p} {o}" for (t, p), o in sorted(offsets.items())))


def read_offsets(path: str) -> dict[tuple[str, int], int]:
    """Read a ``topic partition offset`` checkpoint; a missing file is empty."""
    try:
        return {(t, int(p)): int(o) for t, p, o in _read(path, 3)}
    except ValueError:
        raise KafkaStorageError(f"malformed line in checkpoint file {path}") from None


def write_epochs(path: str, entries: Iterable[tuple[int, int]]) -> None:
    """Write a ``leader-epoch-checkpoint`` (``epoch start_offset`` lines)."""
    _write(path, (f"{e} {o}" for e, o in entries))


def read_epochs(path: str) -> list[tuple[int, int]]:
    try:
        return [(int(e), int(o)) for e, o in _read(path, 2)]
    except ValueError:
        raise KafkaStorageError(f"malformed line in checkpoint file {path}") from None
