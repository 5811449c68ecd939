"""Log storage benchmark: append, sendfile read and recovery throughput, and peak memory.

    .venv/bin/python bench/log_bench.py [--mib 256] [--rounds 3] [--dir DIR] [--profile]

Appends 100-byte records in 16 KiB and 1 MiB batches through ``Log.append_as_leader`` and, in the
same run, writes the same bytes with a plain buffered ``file.write`` loop and an ``os.write``
loop (the ceiling: what the page cache takes from one Python thread). Then reads the whole log back through ``Log.read`` +
``os.sendfile`` to /dev/null, and re-opens it as after a crash (every batch CRC-checked, indexes
rebuilt). No fsync anywhere, as Kafka's default ``flush.messages``/``flush.ms`` leave flushing to
the OS. Prints one line per figure; the numbers are noisy on a shared machine, the ratios less so.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import socket
import tempfile
import threading
import time

from kafka_clone.log.log import Log
from kafka_clone.log.log_config import LogConfig
from kafka_clone.protocol import records as R

RECORD_SIZE = 100
T0 = 1_700_000_000_000


def make_batch(batch_bytes: int) -> bytes:
    """A producer batch of 100-byte values, as large as fits in ``batch_bytes`` and in the
    default ``max.message.bytes`` (1 MiB + 12)."""
    limit = min(batch_bytes, LogConfig().max_message_bytes)
    value = bytes(range(RECORD_SIZE))
    n = limit // RECORD_SIZE
    while True:
        data = R.build_batch([R.Record(i, T0 + i, None, value) for i in range(n)])
        if len(data) <= limit:
            return data
        n -= max(1, (len(data) - limit) // RECORD_SIZE)


def bench_plain_write(path: str, data: bytes, count: int) -> float:
    """The ceiling: ``os.write`` of the same bytes, one call per batch."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    start = time.perf_counter()
    for _ in range(count):
        os.write(fd, data)
    elapsed = time.perf_counter() - start
    os.close(fd)
    os.unlink(path)
    return elapsed


def bench_file_write(path: str, data: bytes, count: int) -> float:
    """The issue's baseline: a buffered Python ``file.write`` loop of the same bytes."""
    start = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(count):
            f.write(data)
    elapsed = time.perf_counter() - start
    os.unlink(path)
    return elapsed


def bench_append(log_dir: str, data: bytes, count: int) -> tuple[float, Log]:
    log = Log.open(log_dir, LogConfig(), clock=lambda: T0)
    buf = bytearray(data)  # the produce path hands the log a writable buffer, patched in place
    start = time.perf_counter()
    for _ in range(count):
        R.patch_base_offset(buf, 0, 0)  # a fresh request buffer says 0; we reuse one buffer
        log.append_as_leader(buf, 1)
    return time.perf_counter() - start, log


def bench_read(log: Log, fetch_bytes: int, sink: int) -> tuple[float, int]:
    """Fetch the whole log in ``fetch_bytes`` reads and sendfile each range to ``sink``."""
    first = R.unpack_header(os.pread(log.segments[0].fd, R.BATCH_HEADER_SIZE, 0))
    batch_size, records_per_batch = first.size, first.records_count
    offset, total = log.log_start_offset, 0
    start = time.perf_counter()
    while offset < log.log_end_offset:
        info = log.read(offset, fetch_bytes)
        records = info.records
        sent = 0
        while sent < records.length:
            sent += os.sendfile(sink, records.fd, records.position + sent, records.length - sent)
        total += records.length
        # The next fetch starts after the last batch returned. A client learns it by parsing
        # the batches; every batch here has the same size and count, so arithmetic will do.
        offset += records.length // batch_size * records_per_batch
    return time.perf_counter() - start, total


def bench_read_socket(log: Log, fetch_bytes: int) -> tuple[float, int]:
    """As ``bench_read`` into one end of a socketpair drained by a thread (what a fetch
    response costs on loopback, minus the protocol framing)."""
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    drained = [0]

    def drain() -> None:
        buf = bytearray(1024 * 1024)
        while (n := b.recv_into(buf)) > 0:
            drained[0] += n

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        elapsed, total = bench_read(log, fetch_bytes, a.fileno())
    finally:
        a.shutdown(socket.SHUT_WR)
        reader.join()
        a.close()
        b.close()
    assert drained[0] == total
    return elapsed, total


def bench_recovery(log_dir: str) -> tuple[float, Log]:
    start = time.perf_counter()
    log = Log.open(log_dir, LogConfig(), clock=lambda: T0, recovery_point=0, clean_shutdown=False)
    return time.perf_counter() - start, log


def mb_s(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


def run_case(root: str, label: str, batch_bytes: int, total_mib: int, rounds: int, profile: bool) -> None:
    data = make_batch(batch_bytes)
    n_records = R.read_header(data).records_count
    count = max(1, total_mib * 1024 * 1024 // len(data))
    nbytes = count * len(data)
    # Alternate the plain loop and the log, best of ``rounds`` each: page-cache writeback from
    # one run otherwise lands on whichever runs next and swamps the difference being measured.
    plain_times, file_times, log_times = [], [], []
    for i in range(rounds):
        plain_times.append(bench_plain_write(os.path.join(root, "plain.bin"), data, count))
        file_times.append(bench_file_write(os.path.join(root, "file.bin"), data, count))
        log_dir = os.path.join(root, f"bench-{label}-{i}")
        profiler = cProfile.Profile() if profile and i == 0 else None
        if profiler:
            profiler.enable()
        elapsed, log = bench_append(log_dir, data, count)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(10)
        log_times.append(elapsed)
        if i + 1 < rounds:
            log.close()
            shutil.rmtree(log_dir)
    plain, file_write, elapsed = min(plain_times), min(file_times), min(log_times)
    print(f"append {label:>6} batches ({len(data)} B, {n_records} records), best of {rounds}: "
          f"{mb_s(nbytes, elapsed):8.1f} MB/s {count * n_records / elapsed:12,.0f} records/s | "
          f"file.write {mb_s(nbytes, file_write):8.1f} MB/s, ratio {file_write / elapsed:.2f} | "
          f"os.write {mb_s(nbytes, plain):8.1f} MB/s, ratio {plain / elapsed:.2f}")
    sink = os.open(os.devnull, os.O_WRONLY)
    read_time, read_bytes = bench_read(log, 1024 * 1024, sink)
    os.close(sink)
    sock_time, sock_bytes = bench_read_socket(log, 1024 * 1024)
    print(f"read   {label:>6} batches, 1 MiB fetches, sendfile: to /dev/null {mb_s(read_bytes, read_time):8.1f} MB/s"
          f" | to a socketpair (drained by a thread) {mb_s(sock_bytes, sock_time):8.1f} MB/s")
    log.close()
    recover_time, recovered = bench_recovery(log_dir)
    assert recovered.log_end_offset == count * n_records
    print(f"recover {label:>5} batches (every CRC, index rebuild): {mb_s(nbytes, recover_time):8.1f} MB/s")
    recovered.close()
    shutil.rmtree(log_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="MiB appended per case")
    parser.add_argument("--dir", default=None, help="where to put the logs (default: a temp dir)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case (best is kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile the first append round")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="log-bench-", dir=args.dir)
    try:
        for label, size in (("16KiB", 16 * 1024), ("1MiB", 1024 * 1024)):
            run_case(root, label, size, args.mib, args.rounds, args.profile)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
