"""Regenerate the kafka-python golden batches in this directory (run from the repo root).

    .venv/bin/python tests/data/records/capture_kafka_python.py

The batches are built by kafka-python's own producer code path
(``kafka.record.default_records.DefaultRecordBatchBuilder``, kafka-python 3.0.12), offline: the
same builder ``KafkaProducer`` uses before it sends a Produce request. Timestamps are fixed so the
bytes are reproducible. Only codecs whose library kafka-python found are captured (none, gzip in
our venv); snappy/lz4/zstd batches are covered by round-trip tests instead. gzip output depends
on the zlib build, so the test compares decoded records for gzip and exact bytes for none.
"""

import os

from kafka.record.default_records import DefaultRecordBatchBuilder

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_TS = 1700000000000


def build(codec: int, producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=codec, is_transactional=False, producer_id=producer_id,
        producer_epoch=producer_epoch, base_sequence=base_sequence, batch_size=1 << 20)
    builder.append(0, timestamp=BASE_TS, key=b"key-0", value=b"hello", headers=[])
    builder.append(1, timestamp=BASE_TS + 5, key=None, value=b"x" * 100, headers=[("trace", b"abc"), ("n", None)])
    builder.append(2, timestamp=BASE_TS + 3, key=b"key-2", value=None, headers=[])
    return bytes(builder.build())


if __name__ == "__main__":
    for name, data in [
        ("kafka_python_none.hex", build(0)),
        ("kafka_python_gzip.hex", build(1)),
        ("kafka_python_idempotent_none.hex", build(0, producer_id=4000, producer_epoch=2, base_sequence=17)),
    ]:
        with open(os.path.join(HERE, name), "w") as f:
            f.write(data.hex() + "\n")
        print(name, len(data), "bytes")
