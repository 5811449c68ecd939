"""Memory-mapped, fixed-width, sparse index files, mirroring Kafka's ``kafka.log.AbstractIndex``.

An index file is a run of fixed-size big-endian entries sorted by offset (and by the second key,
position or timestamp). While its segment is active the file is preallocated to
``segment.index.bytes`` (rounded down to whole entries); when the segment rolls the file is
trimmed to its entries (``trim_to_valid_size``), exactly as Kafka does. Lookups binary-search a
read-only use of a memory map, as Kafka's ``MappedByteBuffer``; appends, unlike Kafka's, are one
``pwrite`` each: under page-cache writeback pressure a store into a shared map faults every time
the flusher has cleaned the page, which cost ~20 µs per entry in ``bench/log_bench.py`` against
~5 µs for the syscall (Linux keeps the map and the file coherent, so lookups see the new entry).

Invariants:

* ``entries`` valid entries are at the front; anything after them is zeros (preallocation).
  After an unclean shutdown the file is still preallocated, so ``open`` counts entries by finding
  the last non-zero entry, and the log re-validates the segment anyway.
* Entries never point past their segment's last complete batch; ``Log`` recovery rebuilds an
  index that fails ``sanity_check`` or is missing.

Sub-classes define ``ENTRY`` (a ``struct.Struct``) and the ordering key used by lookups.
"""

from __future__ import annotations

import mmap
import os
import struct
from typing import ClassVar

import attrs

__all__ = ["AbstractIndex", "CorruptIndexError"]


class CorruptIndexError(Exception):
    """An index file contradicts its own invariants; the segment rebuilds it from the log."""


@attrs.define(eq=False)
class AbstractIndex:
    path: str
    base_offset: int
    max_index_size: int
    entries: int = 0
    #: Capacity of the current file, kept as a field because ``is_full`` runs on every append.
    max_entries: int = 0
    _fd: int = -1
    _map: mmap.mmap | None = None
    _length: int = 0

    ENTRY: ClassVar[struct.Struct]

    @classmethod
    def open(cls, path: str, base_offset: int, max_index_size: int, *, writable: bool = True) -> "AbstractIndex":
        """Open or create the index; a new or writable index is preallocated to ``max_index_size``."""
        index = cls(path, base_offset, max_index_size)
        index._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        length = os.fstat(index._fd).st_size
        index._length = length - length % cls.ENTRY.size
        index._remap()
        index.entries = index._count_entries()
        index._entries_changed()
        if writable:
            index.resize(max_index_size)
        return index

    # -- size management ---------------------------------------------------------------------

    def is_full(self) -> bool:
        return self.entries >= self.max_entries

    @property
    def size_in_bytes(self) -> int:
        return self.entries * self.ENTRY.size

    def resize(self, new_size: int) -> None:
        """Set the file (and the map) to ``new_size`` rounded down to whole entries."""
        new_length = max(new_size - new_size % self.ENTRY.size, self.entries * self.ENTRY.size)
        if new_length == self._length:
            return
        self._unmap()
        os.ftruncate(self._fd, new_length)
        self._length = new_length
        self._remap()

    def trim_to_valid_size(self) -> None:
        """Shrink the file to its entries: done when the segment stops being active."""
        self.resize(self.entries * self.ENTRY.size)

    def _remap(self) -> None:
        # mmap cannot map an empty file; an empty trimmed index simply has no map.
        self._map = mmap.mmap(self._fd, self._length) if self._length else None
        self.max_entries = self._length // self.ENTRY.size

    def _entries_changed(self) -> None:
        """Hook: sub-classes cache their last entry (read on every append)."""

    def _unmap(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None

    def _count_entries(self) -> int:
        """Entries are a prefix followed by zeros: binary-search the last non-zero entry."""
        if self._map is None:
            return 0
        size = self.ENTRY.size
        zero = bytes(size)
        lo, hi = 0, self._length // size  # invariant: entries in [lo, hi]
        while lo < hi:
            mid = (lo + hi) // 2
            if self._map[mid * size:(mid + 1) * size] != zero:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # -- entries -------------------------------------------------------------------------------

    def entry(self, n: int) -> tuple[int, ...]:
        assert self._map is not None and 0 <= n < self.entries
        return self.ENTRY.unpack_from(self._map, n * self.ENTRY.size)

    def _write(self, *fields: int) -> None:
        if self.is_full():
            raise CorruptIndexError(f"attempt to append to a full index {self.path}")
        os.pwrite(self._fd, self.ENTRY.pack(*fields), self.entries * self.ENTRY.size)
        self.entries += 1

    def _largest_lower_bound(self, target: int, field: int) -> int:
        """Index of the last entry whose ``field`` is <= ``target``, or -1."""
        lo, hi = 0, self.entries
        unpack, size, mem = self.ENTRY.unpack_from, self.ENTRY.size, self._map
        while lo < hi:
            mid = (lo + hi) // 2
            if unpack(mem, mid * size)[field] <= target:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    def _truncate_entries(self, n: int) -> None:
        """Keep the first ``n`` entries and zero the rest, so a later reopen counts ``n``."""
        n = max(0, min(n, self.entries))
        if self._map is not None and n < self.entries:
            size = self.ENTRY.size
            self._map[n * size:self.entries * size] = bytes((self.entries - n) * size)
        self.entries = n
        self._entries_changed()

    def reset(self) -> None:
        """Drop every entry (used before rebuilding from the log)."""
        self._truncate_entries(0)

    # -- file lifecycle ----------------------------------------------------------------------

    def flush(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)

    def close(self) -> None:
        """Trim to the valid entries and close, as Kafka's ``AbstractIndex.close`` does."""
        if self._fd >= 0:
            self.trim_to_valid_size()
            self._unmap()
            os.close(self._fd)
            self._fd = -1

    def delete(self) -> None:
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def rename_to(self, path: str) -> None:
        os.replace(self.path, path)
        self.path = path
