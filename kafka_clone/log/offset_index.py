"""The offset index (``NNNNNNNNNNNNNNNNNNNN.index``), mirroring Kafka's ``kafka.log.OffsetIndex``.

File format: 8-byte big-endian entries ``relative offset int32 | physical position int32``, where
the relative offset is ``offset - base_offset`` of the segment. An entry ``(o, p)`` means: the
batch containing offset ``o`` starts at or after byte ``p`` of the ``.log`` file, and ``p`` is a
batch boundary. Entries are sparse (one per ``index.interval.bytes`` appended) and strictly
increasing in both fields, so a lookup is a binary search followed by a short forward scan of
batch headers in the log.
"""

from __future__ import annotations

import struct

import attrs

from kafka_clone.log.abstract_index import AbstractIndex, CorruptIndexError

__all__ = ["OffsetIndex", "OffsetPosition"]


@attrs.frozen
class OffsetPosition:
    offset: int
    position: int


@attrs.define(eq=False)
class OffsetIndex(AbstractIndex):
    ENTRY = struct.Struct(">ii")
    #: Offset of the last entry (base offset when empty), cached for the append path.
    last_offset: int = -1

    def _entries_changed(self) -> None:
        self.last_offset = self.base_offset + self.entry(self.entries - 1)[0] if self.entries else self.base_offset

    def append(self, offset: int, position: int) -> None:
        """Add ``(offset, position)``; both must exceed the last entry (Kafka: InvalidOffsetException)."""
        if self.entries and offset <= self.last_offset:
            raise CorruptIndexError(f"offset {offset} is not above the last index entry {self.last_offset}")
        self._write(offset - self.base_offset, position)
        self.last_offset = offset

    def lookup(self, target_offset: int) -> OffsetPosition:
        """The last entry with offset <= target, or ``(base_offset, 0)`` if there is none."""
        n = self._largest_lower_bound(target_offset - self.base_offset, 0)
        if n < 0:
            return OffsetPosition(self.base_offset, 0)
        rel, pos = self.entry(n)
        return OffsetPosition(self.base_offset + rel, pos)

    def lookup_position(self, target_position: int) -> OffsetPosition:
        """The last entry whose position is <= ``target_position`` (positions also ascend)."""
        n = self._largest_lower_bound(target_position, 1)
        if n < 0:
            return OffsetPosition(self.base_offset, 0)
        rel, pos = self.entry(n)
        return OffsetPosition(self.base_offset + rel, pos)

    def truncate_to(self, offset: int) -> None:
        """Remove every entry whose offset is >= ``offset``."""
        self._truncate_entries(self._largest_lower_bound(offset - self.base_offset - 1, 0) + 1)

    def sanity_check(self, log_size: int) -> None:
        """Kafka's ``OffsetIndex.sanityCheck`` plus: the last entry lies inside the log file."""
        if self.entries:
            rel, pos = self.entry(self.entries - 1)
            if rel <= 0 or pos <= 0 or pos >= log_size:
                raise CorruptIndexError(f"index {self.path} has a last entry ({rel}, {pos}) outside its log")
