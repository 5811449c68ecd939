"""server.properties parsing and KafkaConfig validation (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kafka_clone.server.config import ConfigError, KafkaConfig, Listener, parse_properties

BASE = {"zookeeper.connect": "127.0.0.1:2181"}


def test_java_properties_syntax():
    text = "# comment\n! also\nbroker.id=1\nlisteners : PLAINTEXT://h:1\nlog.dirs /a,\\\n  /b\nkey\\ with\\=odd=v\\tx\nempty=\n"
    assert parse_properties(text) == {
        "broker.id": "1", "listeners": "PLAINTEXT://h:1", "log.dirs": "/a,/b", "key with=odd": "v\tx", "empty": "",
    }


@given(st.dictionaries(st.from_regex(r"[a-z][a-z.]{0,20}", fullmatch=True), st.from_regex(r"[A-Za-z0-9:/,._-]{0,30}", fullmatch=True)))
def test_simple_properties_round_trip(props):
    assert parse_properties("".join(f"{k}={v}\n" for k, v in props.items())) == props


def test_defaults_are_kafka_2_8():
    c = KafkaConfig.from_properties(BASE)
    assert c["zookeeper.session.timeout.ms"] == 18000
    assert c.zookeeper_connection_timeout_ms == 18000
    assert c["broker.id"] == -1 and c["num.partitions"] == 1 and c["message.max.bytes"] == 1048588
    assert c["offsets.topic.num.partitions"] == 50 and c["replica.lag.time.max.ms"] == 30000
    assert c.listeners == (Listener("PLAINTEXT", "", 9092, "PLAINTEXT"),)
    assert c.log_dirs == ("/tmp/kafka-logs",)
    assert c["log.cleanup.policy"] == ("delete",)


def test_advertised_listeners_default_to_listeners_and_overrides_win():
    c = KafkaConfig.from_properties({**BASE, "listeners": "PLAINTEXT://127.0.0.1:9093", "log.dirs": "/a, /b"},
                                    {"broker.id": "3"})
    assert c.advertised_listeners == c.listeners and c.broker_id == 3 and c.log_dirs == ("/a", "/b")
    c2 = KafkaConfig.from_properties({**BASE, "advertised.listeners": "PLAINTEXT://kafka-1:9092"})
    assert c2.advertised_listeners[0].host == "kafka-1"


def test_unknown_names_are_kept_and_reported():
    c = KafkaConfig.from_properties({**BASE, "no.such.thing": "1"})
    assert c.unknown == ("no.such.thing",) and c.originals["no.such.thing"] == "1"


@pytest.mark.parametrize("props, message", [
    ({"broker.id": "2147483648"}, "Not a number of type INT"),
    ({"broker.id": "-2"}, "must be -1 (generated) or >= 0"),
    ({"broker.id": "1001"}, "not greater than reserved.broker.max.id"),
    ({"num.partitions": "0"}, "Value must be at least 1"),
    ({"listeners": "PLAINTEXT://:1,PLAINTEXT://:2"}, "Each listener must have a different name"),
    ({"listeners": "SSL://:9093"}, "PLAINTEXT only"),
    ({"log.cleanup.policy": "delete,shred"}, "String must be one of: delete, compact"),
    ({"zookeeper.connect": "/chroot-only"}, "no host given"),
])
def test_invalid_values(props, message):
    with pytest.raises(ConfigError) as info:
        KafkaConfig.from_properties({**BASE, **props})
    assert message in str(info.value) and "\n" not in str(info.value)
