"""Record the first requests real Kafka clients send, as golden data for ``test_golden.py``.

Run by hand (not collected by pytest)::

    .venv/bin/python -m tests.protocol.capture_clients

A throwaway one-thread socket server accepts connections from kafka-python, confluent-kafka
(librdkafka) and aiokafka in turn. It answers ApiVersions with our own encoded response (the
KIP-511 v0 error answer if the version is too high) and Metadata with a one-broker cluster
pointing back at itself, and writes every request frame it receives, as hex without the size
prefix, to ``tests/data/protocol/<client>_<n>_<Api>_v<version>.hex`` (at most ``MAX_FRAMES``
per client).
"""

from __future__ import annotations

import asyncio
import pathlib
import socket
import threading

from kafka_clone.protocol import ApiKey, api_versions_response, encode_response
from kafka_clone.protocol.framing import FrameBuffer, decode_request
from kafka_clone.protocol.messages.metadata import MetadataResponse, MetadataResponseBroker

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "protocol"
CLUSTER_ID = "a2Fma2EtY2xvbmUtdGVzdA"
NODE_ID = 1
MAX_FRAMES = 6


class CaptureServer:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.frames: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        frames = FrameBuffer(1 << 20)
        conn.settimeout(0.2)
        with conn:
            while not self.stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                frames.receive_data(data)
                while (frame := frames.next_frame()) is not None:
                    self.frames.append(frame)
                    try:
                        reply = self._answer(frame)
                    except Exception as exc:  # keep capturing; the frame is recorded
                        print(f"cannot answer {frame.hex()}: {exc!r}")
                        return
                    if reply is not None:
                        conn.sendall(reply)

    def _answer(self, frame: bytes) -> bytes | None:
        req = decode_request(frame)
        if req.api_key == ApiKey.API_VERSIONS:
            body = api_versions_response(req.api_version)
        elif req.api_key == ApiKey.METADATA:
            body = MetadataResponse(
                brokers=(MetadataResponseBroker(node_id=NODE_ID, host="127.0.0.1", port=self.port),),
                cluster_id=CLUSTER_ID,
                controller_id=NODE_ID,
                topics=(),
            )
        else:
            return None
        return encode_response(req.correlation_id, req.api_key, req.response_version, body)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


def capture_kafka_python(server: CaptureServer) -> None:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-kp")
    consumer.topics()
    consumer.close()


def capture_confluent(server: CaptureServer) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{server.port}", "client.id": "golden-rdkafka"})
    admin.list_topics(timeout=10)


def capture_aiokafka(server: CaptureServer) -> None:
    from aiokafka import AIOKafkaClient

    async def run() -> None:
        client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-aiokafka")
        await client.bootstrap()
        await client.close()

    asyncio.run(run())


def main() -> None:
    import confluent_kafka
    import kafka
    import aiokafka

    DATA.mkdir(parents=True, exist_ok=True)
    clients = [
        (f"kafka-python-{kafka.__version__}", capture_kafka_python),
        (f"confluent-kafka-{confluent_kafka.version()[0]}-librdkafka-{confluent_kafka.libversion()[0]}", capture_confluent),
        (f"aiokafka-{aiokafka.__version__}", capture_aiokafka),
    ]
    for name, run in clients:
        server = CaptureServer()
        try:
            run(server)
        except Exception as exc:
            print(f"{name}: {exc!r}")
        finally:
            server.close()
        # Clients reconnect to the advertised broker and repeat themselves: keep distinct frames.
        frames = list(dict.fromkeys(server.frames))[:MAX_FRAMES]
        for n, frame in enumerate(frames):
            api_key = int.from_bytes(frame[:2], "big")
            version = int.from_bytes(frame[2:4], "big", signed=True)
            api = ApiKey(api_key).name.title().replace("_", "")
            path = DATA / f"{name}_{n:02d}_{api}_v{version}.hex"
            path.write_text(frame.hex() + "\n")
            print(path.name)


if __name__ == "__main__":
    main()
