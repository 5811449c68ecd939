"""Capture record batches exactly as librdkafka (confluent-kafka) sends them, into ``*.hex`` here.

    .venv/bin/python tests/data/records/capture_librdkafka.py

A throw-away fake broker on 127.0.0.1 answers just enough of the protocol for a producer:
ApiVersions (advertising Produce v3-v7, Fetch v4-v11, Metadata v1, FindCoordinator v0-v2),
Metadata v1 (one broker, topic ``golden`` with one partition led by it) and Produce (ack with
offset 0). The ``records`` field of each Produce request is written out unchanged. Five
producers run in turn, one per ``compression.type``; each sends the same three records with
fixed timestamps (the 1000-byte value makes every codec worth using: librdkafka sends a batch
uncompressed when compression does not shrink it). The stored files were written by librdkafka
2.16.0 (bundled with confluent-kafka 2.16.1); the compressed payloads may differ with another
librdkafka build, which is why the tests compare decoded records for those.
"""

import os
import socket
import struct
import threading

from confluent_kafka import Producer

HERE = os.path.dirname(os.path.abspath(__file__))
TOPIC = b"golden"
BASE_TS = 1700000000000


def _string(s: bytes) -> bytes:
    return struct.pack(">h", len(s)) + s


def _read_string(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    (n,) = struct.unpack_from(">h", buf, pos)
    if n < 0:
        return None, pos + 2
    return buf[pos + 2:pos + 2 + n], pos + 2 + n


def _api_versions_v3(correlation_id: int) -> bytes:
    # Fetch and FindCoordinator are never called, but librdkafka enables MsgVer2 only with Fetch
    # v4+, zstd only with Fetch v10+, and lz4 only if FindCoordinator exists (its feature table).
    keys = [(0, 3, 7), (1, 4, 11), (3, 1, 1), (10, 0, 2), (18, 0, 3)]
    body = struct.pack(">h", 0) + bytes([len(keys) + 1])
    for key, lo, hi in keys:
        body += struct.pack(">hhh", key, lo, hi) + b"\x00"
    body += struct.pack(">i", 0) + b"\x00"
    return struct.pack(">i", correlation_id) + body  # the ApiVersions response header is v0


def _metadata_v1(correlation_id: int, port: int) -> bytes:
    body = struct.pack(">i", 1) + struct.pack(">i", 1) + _string(b"127.0.0.1") + struct.pack(">i", port)
    body += struct.pack(">h", -1)  # rack: null
    body += struct.pack(">i", 1)  # controller id
    body += struct.pack(">i", 1) + struct.pack(">h", 0) + _string(TOPIC) + b"\x00"
    body += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 1) + struct.pack(">ii", 1, 1) + struct.pack(">ii", 1, 1)
    return struct.pack(">i", correlation_id) + body


def _produce(correlation_id: int, version: int, request: bytes, pos: int, captured: list[bytes]) -> bytes:
    _txn, pos = _read_string(request, pos)
    pos += 2 + 4  # acks, timeout
    (n_topics,) = struct.unpack_from(">i", request, pos)
    pos += 4
    body = struct.pack(">i", n_topics)
    for _ in range(n_topics):
        name, pos = _read_string(request, pos)
        (n_parts,) = struct.unpack_from(">i", request, pos)
        pos += 4
        body += _string(name) + struct.pack(">i", n_parts)
        for _ in range(n_parts):
            index, size = struct.unpack_from(">ii", request, pos)
            pos += 8
            captured.append(request[pos:pos + size])
            pos += size
            body += struct.pack(">ihqq", index, 0, 0, -1) + (struct.pack(">q", 0) if version >= 5 else b"")
    body += struct.pack(">i", 0)
    return struct.pack(">i", correlation_id) + body


def _serve(listener: socket.socket, captured: list[bytes], stop: threading.Event) -> None:
    port = listener.getsockname()[1]
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        threading.Thread(target=_connection, args=(conn, port, captured), daemon=True).start()


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


def _connection(conn: socket.socket, port: int, captured: list[bytes]) -> None:
    with conn:
        try:
            while True:
                (size,) = struct.unpack(">i", _recv_exact(conn, 4))
                request = _recv_exact(conn, size)
                api_key, version, correlation_id = struct.unpack_from(">hhi", request)
                _client, pos = _read_string(request, 8)
                if api_key == 18:
                    response = _api_versions_v3(correlation_id)
                elif api_key == 3:
                    response = _metadata_v1(correlation_id, port)
                elif api_key == 0:
                    response = _produce(correlation_id, version, request, pos, captured)
                else:
                    return
                conn.sendall(struct.pack(">i", len(response)) + response)
        except (ConnectionError, OSError):
            return


def capture(codec: str) -> bytes:
    listener = socket.create_server(("127.0.0.1", 0))
    captured: list[bytes] = []
    stop = threading.Event()
    server = threading.Thread(target=_serve, args=(listener, captured, stop), daemon=True)
    server.start()
    try:
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{listener.getsockname()[1]}",
                             "compression.type": codec, "linger.ms": 100, "enable.idempotence": False})
        producer.produce("golden", key=b"key-0", value=b"hello", timestamp=BASE_TS)
        producer.produce("golden", value=b"x" * 1000, timestamp=BASE_TS + 5, headers=[("trace", b"abc"), ("n", None)])
        producer.produce("golden", key=b"key-2", value=None, timestamp=BASE_TS + 3)
        assert producer.flush(10) == 0, "the producer did not finish"
    finally:
        stop.set()
        server.join()
        listener.close()
    assert len(captured) == 1, f"expected one batch, got {len(captured)}"
    return captured[0]


if __name__ == "__main__":
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        data = capture(codec)
        with open(os.path.join(HERE, f"librdkafka_{codec}.hex"), "w") as f:
            f.write(data.hex() + "\n")
        print(codec, len(data), "bytes")
