"""Helpers for the log tests: a manual clock, batch builders, reading a whole log."""

import attrs

from kafka_clone.log.log import Log
from kafka_clone.protocol import records as R

T0 = 1_700_000_000_000


@attrs.define
class ManualClock:
    """An injectable clock (ms) that only moves when a test says so."""

    now: int = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def batch(n: int = 1, *, ts: int = T0, key: bytes | None = b"k", value_size: int = 10, keys=None, values=None,
          **kw) -> bytearray:
    """A client batch of ``n`` records (base offset 0), as a producer would send it."""
    records = [
        R.Record(i, ts, keys[i] if keys is not None else key,
                 values[i] if values is not None else bytes([65 + i % 26]) * value_size)
        for i in range(n)
    ]
    return bytearray(R.build_batch(records, **kw))


def read_all(log: Log, start: int | None = None) -> list[R.Record]:
    """Every record from ``start`` (default: the log start) to the log end, segment by segment."""
    out: list[R.Record] = []
    offset = log.log_start_offset if start is None else start
    while offset < log.log_end_offset:
        info = log.read(offset, 1 << 30)
        if info.records is None:
            break
        records = R.records_of(info.records.read_bytes())
        out.extend(r for r in records if r.offset >= offset)
        last_header = list(R.iter_batches(info.records.read_bytes()))[-1][1]
        offset = last_header.next_offset
    return out


