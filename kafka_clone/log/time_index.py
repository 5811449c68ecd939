"""The time index (``NNNNNNNNNNNNNNNNNNNN.timeindex``), mirroring Kafka's ``kafka.log.TimeIndex``.

File format: 12-byte big-endian entries ``timestamp int64 | relative offset int32``. An entry
``(t, o)`` records that ``t`` was the largest timestamp in the segment when offset ``o`` held it
(Kafka's ``maxTimestampSoFar`` / ``offsetOfMaxTimestampSoFar``), so a record with a timestamp
above ``t`` can only be found after ``o``: a timestamp lookup starts its scan at ``o``. An entry is only appended when its
timestamp is larger than the last one, so timestamps strictly increase; it is written alongside
each sparse offset-index entry and once more when the segment rolls.
"""

from __future__ import annotations

import struct

import attrs

from kafka_clone.log.abstract_index import AbstractIndex, CorruptIndexError

__all__ = ["TimeIndex", "TimestampOffset"]


@attrs.frozen
class TimestampOffset:
    timestamp: int
    offset: int


@attrs.define(eq=False)
class TimeIndex(AbstractIndex):
    ENTRY = struct.Struct(">qi")
    #: The last entry, cached for the append path: ``(-1, base_offset)`` when empty.
    last_timestamp: int = -1
    last_offset: int = -1

    def _entries_changed(self) -> None:
        if self.entries:
            ts, rel = self.entry(self.entries - 1)
            self.last_timestamp, self.last_offset = ts, self.base_offset + rel
        else:
            self.last_timestamp, self.last_offset = -1, self.base_offset

    def last_entry(self) -> TimestampOffset:
        return TimestampOffset(self.last_timestamp, self.last_offset)

    def maybe_append(self, timestamp: int, offset: int, *, skip_full_check: bool = False) -> None:
        """Append ``(timestamp, offset)`` if ``timestamp`` beats the last entry (Kafka's rule)."""
        if skip_full_check and self.is_full():
            return
        if self.entries and offset < self.last_offset:
            raise CorruptIndexError(f"offset {offset} is below the last time index offset {self.last_offset}")
        if timestamp > self.last_timestamp:
            self._write(timestamp, offset - self.base_offset)
            self.last_timestamp, self.last_offset = timestamp, offset

    def lookup(self, target_timestamp: int) -> TimestampOffset:
        """The last entry with timestamp <= target, or ``(-1, base_offset)`` if there is none."""
        n = self._largest_lower_bound(target_timestamp, 0)
        if n < 0:
            return TimestampOffset(-1, self.base_offset)
        ts, rel = self.entry(n)
        return TimestampOffset(ts, self.base_offset + rel)

    def truncate_to(self, offset: int) -> None:
        """Remove every entry whose offset is >= ``offset``."""
        keep = self.entries
        while keep and self.base_offset + self.entry(keep - 1)[1] >= offset:
            keep -= 1
        self._truncate_entries(keep)

    def sanity_check(self) -> None:
        if self.entries:
            _ts, rel = self.entry(self.entries - 1)
            if rel < 0:
                raise CorruptIndexError(f"time index {self.path} has a negative relative offset")
