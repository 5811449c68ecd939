"""Our schemas against an independent implementation: kafka-python 3.0's bundled Kafka specs.

For every client-facing API and version we declare, a random message encoded by us must be
decoded by kafka-python and re-encoded by it to the same bytes. This catches a wrong type,
order, version range or tag in our declarations, which a self round trip cannot. (kafka-python
has no classes for the inter-broker APIs; those are covered by the golden tables instead.)
"""

from __future__ import annotations

import importlib
import pkgutil

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafka_clone.protocol.api_keys import API_REGISTRY
from kafka_clone.protocol.codec import encode_message

from .strategies import message_strategy

kafka_protocol = pytest.importorskip("kafka.protocol")
from kafka.protocol.api_message import ApiMessage  # noqa: E402


def _kafka_python_classes() -> dict[str, type]:
    for mod in pkgutil.walk_packages(kafka_protocol.__path__, "kafka.protocol."):
        if ".old" in mod.name or "generate_stubs" in mod.name:
            continue
        importlib.import_module(mod.name)
    found = {}
    todo = [ApiMessage]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if getattr(cls, "_class_version", None) is None and getattr(cls, "_json", None):
            found[cls._json["name"]] = cls
    return found


KP = _kafka_python_classes()

CASES = [
    pytest.param(cls, version, id=f"{cls.__name__}-v{version}")
    for spec in API_REGISTRY.values()
    for cls in (spec.request, spec.response)
    if cls.__name__ in KP
    for version in spec.versions
]


def test_most_apis_are_cross_checked():
    assert len({c.values[0].__name__ for c in CASES}) >= 50


@pytest.mark.parametrize(("cls", "version"), CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_kafka_python_reads_and_rewrites_our_bytes(cls, version, data):
    msg = data.draw(message_strategy(cls, version))
    if cls.__name__ == "ApiVersionsResponse":
        # kafka-python reads any error answer as v0 (KIP-511); covered in test_golden.py.
        msg = attrs.evolve(msg, error_code=0)
    ours = encode_message(msg, version)
    theirs = KP[cls.__name__].decode(ours, version=version)
    theirs._header = None  # kafka-python's decode leaves the slot unset; encode reads it
    assert bytes(theirs.encode(version=version)) == ours
