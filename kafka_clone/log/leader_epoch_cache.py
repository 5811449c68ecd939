"""Leader epoch -> start offset cache, mirroring Kafka's ``kafka.server.epoch.LeaderEpochFileCache``.

Each entry ``(epoch, start_offset)`` says: the first offset written under leader epoch ``epoch``
(KIP-101). The cache backs OffsetsForLeaderEpoch, which followers use to find where their log
diverged from the leader's after a leader change (KIP-279).

Invariants: epochs and start offsets both strictly increase; every change is written to
``leader-epoch-checkpoint`` in the partition directory (``checkpoints.write_epochs``: version
``0``, count, ``epoch start_offset`` lines) before the method returns, so a restarted broker
answers OffsetsForLeaderEpoch exactly as before the restart.
"""

from __future__ import annotations

import bisect
import os

import attrs

from kafka_clone.log.checkpoints import LEADER_EPOCH_CHECKPOINT, read_epochs, write_epochs

__all__ = ["EpochEntry", "LeaderEpochFileCache", "UNDEFINED_EPOCH", "UNDEFINED_EPOCH_OFFSET"]

UNDEFINED_EPOCH = -1
UNDEFINED_EPOCH_OFFSET = -1


@attrs.frozen
class EpochEntry:
    epoch: int
    start_offset: int


@attrs.define(eq=False)
class LeaderEpochFileCache:
    path: str
    entries: list[EpochEntry] = attrs.Factory(list)

    @classmethod
    def open(cls, partition_dir: str) -> "LeaderEpochFileCache":
        path = os.path.join(partition_dir, LEADER_EPOCH_CHECKPOINT)
        cache = cls(path, [EpochEntry(e, o) for e, o in read_epochs(path)])
        if not os.path.exists(path):
            cache._flush()  # Kafka creates the (empty) checkpoint with the log
        return cache

    def _flush(self) -> None:
        write_epochs(self.path, ((e.epoch, e.start_offset) for e in self.entries))

    @property
    def latest_epoch(self) -> int:
        return self.entries[-1].epoch if self.entries else UNDEFINED_EPOCH

    def assign(self, epoch: int, start_offset: int) -> None:
        """Record that ``epoch`` starts at ``start_offset`` (a new leader, or a follower that
        appends a batch with a newer epoch). Entries with a larger-or-equal epoch or start offset
        are superseded and dropped, as in Kafka's ``assign``."""
        if epoch < 0:
            return
        if self.entries:
            last = self.entries[-1]
            if last.epoch == epoch and start_offset >= last.start_offset:
                return
        self.entries = [e for e in self.entries if e.epoch < epoch and e.start_offset < start_offset]
        self.entries.append(EpochEntry(epoch, start_offset))
        self._flush()

    def end_offset_for(self, requested_epoch: int, log_end_offset: int) -> tuple[int, int]:
        """Kafka's ``endOffsetFor``: ``(epoch, end offset)`` for OffsetsForLeaderEpoch.

        * the latest epoch: ``(epoch, log_end_offset)``;
        * an older epoch: ``(largest cached epoch <= requested, start of the next higher epoch)``;
        * below every cached epoch: ``(requested, start offset of the first epoch)``;
        * undefined, or above every cached epoch: ``(-1, -1)``.
        """
        if requested_epoch == UNDEFINED_EPOCH or not self.entries:
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if requested_epoch == self.latest_epoch:
            return requested_epoch, log_end_offset
        epochs = [e.epoch for e in self.entries]
        higher = bisect.bisect_right(epochs, requested_epoch)
        if higher == len(epochs):
            return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
        if higher == 0:
            return requested_epoch, self.entries[0].start_offset
        return self.entries[higher - 1].epoch, self.entries[higher].start_offset

    def epoch_for_offset(self, offset: int) -> int:
        """The epoch under which ``offset`` was written (largest start offset <= it), or -1."""
        starts = [e.start_offset for e in self.entries]
        n = bisect.bisect_right(starts, offset)
        return self.entries[n - 1].epoch if n else UNDEFINED_EPOCH

    def truncate_from_end(self, end_offset: int) -> None:
        """Drop epochs that start at or after ``end_offset`` (the log was truncated there)."""
        kept = [e for e in self.entries if e.start_offset < end_offset]
        if len(kept) != len(self.entries):
            self.entries = kept
            self._flush()

    def truncate_from_start(self, start_offset: int) -> None:
        """The log now starts at ``start_offset``: the epoch covering it now starts there."""
        before = [e for e in self.entries if e.start_offset <= start_offset]
        after = [e for e in self.entries if e.start_offset > start_offset]
        if before and before[-1].start_offset != start_offset or len(before) > 1:
            self.entries = [EpochEntry(before[-1].epoch, start_offset), *after]
            self._flush()

    def clear(self) -> None:
        self.entries = []
        self._flush()
