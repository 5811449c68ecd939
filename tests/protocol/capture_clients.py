"""Record the first requests real Kafka clients send, as golden data for ``test_golden.py``.

Run by hand (not collected by pytest)::

    .venv/bin/python -m tests.protocol.capture_clients [metadata] [produce] [fetch]

A throwaway one-thread socket server accepts connections from kafka-python, confluent-kafka
(librdkafka) and aiokafka in turn. It answers ApiVersions with our own encoded response (the
KIP-511 v0 error answer if the version is too high) and Metadata with a one-broker cluster
pointing back at itself. For the ``produce`` captures, each client's producer sends one record
to a topic ``golden`` (one partition, led by this server), which also answers InitProducerId
and Produce. It writes every request frame it receives, as hex without the size
prefix, to ``tests/data/protocol/<client>_<n>_<Api>_v<version>.hex`` (at most ``MAX_FRAMES``
per client).
"""

from __future__ import annotations

import asyncio
import pathlib
import socket
import sys
import threading
import uuid

from kafka_clone.protocol import ApiKey, api_versions_response, encode_response
from kafka_clone.protocol.framing import FrameBuffer, decode_request
from kafka_clone.protocol.messages.metadata import (
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from kafka_clone.protocol.messages.fetch import (
    FetchablePartitionResponse,
    FetchableTopicResponse,
    FetchResponse,
)
from kafka_clone.protocol.messages.offsets import (
    ListOffsetsPartitionResponse,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from kafka_clone.protocol.messages.produce import (
    InitProducerIdResponse,
    PartitionProduceResponse,
    ProduceResponse,
    TopicProduceResponse,
)

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "protocol"
CLUSTER_ID = "a2Fma2EtY2xvbmUtdGVzdA"
NODE_ID = 1
MAX_FRAMES = 8
GOLDEN_TOPIC = MetadataResponseTopic(
    name="golden",
    topic_id=uuid.UUID(int=0x60D),
    partitions=(
        MetadataResponsePartition(
            partition_index=0, leader_id=NODE_ID, leader_epoch=0, replica_nodes=(NODE_ID,), isr_nodes=(NODE_ID,)
        ),
    ),
)


class CaptureServer:
    def __init__(self, *, with_topic: bool = False) -> None:
        self.with_topic = with_topic
        self.fetches = 0
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
                topics=(GOLDEN_TOPIC,) if self.with_topic else (),
            )
        elif req.api_key == ApiKey.LIST_OFFSETS:
            body = ListOffsetsResponse(
                topics=tuple(
                    ListOffsetsTopicResponse(
                        name=t.name,
                        partitions=tuple(
                            ListOffsetsPartitionResponse(partition_index=p.partition_index, timestamp=-1, offset=0)
                            for p in t.partitions
                        ),
                    )
                    for t in req.body.topics
                )
            )
        elif req.api_key == ApiKey.FETCH:
            if self.fetches >= 2:
                return None  # enough: let the client wait until it is closed
            self.fetches += 1
            body = FetchResponse(
                responses=tuple(
                    FetchableTopicResponse(
                        topic=t.topic,
                        partition_responses=tuple(
                            FetchablePartitionResponse(
                                partition=p.partition, high_watermark=0, last_stable_offset=0, log_start_offset=0,
                                record_set=b"",
                            )
                            for p in t.partitions
                        ),
                    )
                    for t in req.body.topics
                )
            )
        elif req.api_key == ApiKey.INIT_PRODUCER_ID:
            body = InitProducerIdResponse(producer_id=4000, producer_epoch=0)
        elif req.api_key == ApiKey.PRODUCE and req.expects_response:
            body = ProduceResponse(
                responses=tuple(
                    TopicProduceResponse(
                        name=t.name,
                        partition_responses=tuple(
                            PartitionProduceResponse(index=p.index, base_offset=0) for p in t.partition_data
                        ),
                    )
                    for t in req.body.topic_data
                )
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


def produce_kafka_python(server: CaptureServer) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-kp", linger_ms=0)
    producer.send("golden", key=b"k", value=b"v").get(timeout=10)
    producer.close(timeout=5)


def produce_confluent(server: CaptureServer) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": f"127.0.0.1:{server.port}", "client.id": "golden-rdkafka", "linger.ms": 0})
    producer.produce("golden", key=b"k", value=b"v")
    producer.flush(10)


def produce_aiokafka(server: CaptureServer) -> None:
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-aiokafka")
        await producer.start()
        try:
            await producer.send_and_wait("golden", b"v", key=b"k")
        finally:
            await producer.stop()

    asyncio.run(run())


def _until(predicate, timeout: float = 10.0) -> None:
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not predicate() and not deadline.wait(0.05):
            pass
    finally:
        timer.cancel()


def fetch_kafka_python(server: CaptureServer) -> None:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-kp", auto_offset_reset="earliest"
    )
    consumer.assign([TopicPartition("golden", 0)])
    consumer.poll(timeout_ms=3000)
    consumer.close()


def fetch_confluent(server: CaptureServer) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": f"127.0.0.1:{server.port}",
            "client.id": "golden-rdkafka",
            "group.id": "golden",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition("golden", 0, 0)])

    def fetched_twice() -> bool:
        consumer.poll(0.1)
        return server.fetches >= 2

    _until(fetched_twice)
    consumer.close()


def fetch_aiokafka(server: CaptureServer) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=f"127.0.0.1:{server.port}", client_id="golden-aiokafka", auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            consumer.assign([TopicPartition("golden", 0)])
            await consumer.getmany(timeout_ms=3000)
        finally:
            await consumer.stop()

    asyncio.run(run())


def main() -> None:
    import confluent_kafka
    import kafka
    import aiokafka

    DATA.mkdir(parents=True, exist_ok=True)
    kp = f"kafka-python-{kafka.__version__}"
    rd = f"confluent-kafka-{confluent_kafka.version()[0]}-librdkafka-{confluent_kafka.libversion()[0]}"
    aio = f"aiokafka-{aiokafka.__version__}"
    clients = {
        "metadata": [(kp, capture_kafka_python), (rd, capture_confluent), (aio, capture_aiokafka)],
        "produce": [
            (f"{kp}-producer", produce_kafka_python),
            (f"{rd}-producer", produce_confluent),
            (f"{aio}-producer", produce_aiokafka),
        ],
        "fetch": [
            (f"{kp}-consumer", fetch_kafka_python),
            (f"{rd}-consumer", fetch_confluent),
            (f"{aio}-consumer", fetch_aiokafka),
        ],
    }
    which = sys.argv[1:] or list(clients)
    for name, run in [c for w in which for c in clients[w]]:
        server = CaptureServer(with_topic=name.endswith(("-producer", "-consumer")))
        try:
            run(server)
        except Exception as exc:
            print(f"{name}: {exc!r}")
        finally:
            server.close()
        # Clients reconnect to the advertised broker and repeat themselves: keep the frames that
        # differ in more than their correlation id.
        distinct: dict[bytes, bytes] = {}
        for frame in server.frames:
            distinct.setdefault(frame[:4] + frame[8:], frame)
        frames = list(distinct.values())[:MAX_FRAMES]
        for n, frame in enumerate(frames):
            api_key = int.from_bytes(frame[:2], "big")
            version = int.from_bytes(frame[2:4], "big", signed=True)
            api = ApiKey(api_key).name.title().replace("_", "")
            path = DATA / f"{name}_{n:02d}_{api}_v{version}.hex"
            path.write_text(frame.hex() + "\n")
            print(path.name)


if __name__ == "__main__":
    main()
