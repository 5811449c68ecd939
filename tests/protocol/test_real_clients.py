"""Real clients against our encoder: each connects to a throwaway socket server that answers with
``kafka_clone.protocol`` (see ``capture_clients.py``), negotiates versions (kafka-python through
the KIP-511 v0 answer) and completes a metadata request and a produce."""

from __future__ import annotations

import pytest

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.framing import decode_request

from . import capture_clients as cc

pytestmark = [pytest.mark.compat, pytest.mark.timeout(120)]

CLIENTS = {
    "kafka-python": (cc.capture_kafka_python, cc.produce_kafka_python),
    "confluent-kafka": (cc.capture_confluent, cc.produce_confluent),
    "aiokafka": (cc.capture_aiokafka, cc.produce_aiokafka),
}


def _run(fn, *, with_topic: bool) -> list:
    server = cc.CaptureServer(with_topic=with_topic)
    try:
        fn(server)
    finally:
        server.close()
    return [decode_request(frame) for frame in server.frames]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_bootstraps_against_our_responses(client):
    requests = _run(CLIENTS[client][0], with_topic=False)
    keys = [r.api_key for r in requests]
    assert keys[0] == ApiKey.API_VERSIONS and ApiKey.METADATA in keys


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_produces_against_our_responses(client):
    requests = _run(CLIENTS[client][1], with_topic=True)
    produce = [r for r in requests if r.api_key == ApiKey.PRODUCE]
    assert produce and produce[0].body.topic_data[0].name == "golden"
