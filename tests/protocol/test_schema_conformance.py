"""Our declarations against Kafka 2.8's JSON message specs, field by field.

The specs are read at test time from the shared read-only reference
(``/work/shared/reference/kafka-2.8-message-schemas``); nothing is copied into the project. The
test is skipped where that directory does not exist (a clean CI machine). For every declared
message, the fields that exist somewhere in our version range must appear in the same order with
the same snake_case name, type, versions, nullable versions, tag and default.
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest

from kafka_clone.protocol.api_keys import API_REGISTRY
from kafka_clone.protocol.headers import RequestHeader, ResponseHeader
from kafka_clone.protocol.messages import consumer_protocol, group_metadata
from kafka_clone.protocol.schema import ArrayOf, Type, VersionRange, is_struct

SPECS = pathlib.Path(
    os.environ.get("KAFKA_MESSAGE_SPECS", "/work/shared/reference/kafka-2.8-message-schemas")
)
pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason="Kafka's JSON specs are not available")

# ConsumerProtocolSubscription/Assignment go beyond 2.8's v0-1 on purpose (see their module).
MESSAGES = [cls for spec in API_REGISTRY.values() for cls in (spec.request, spec.response)] + [
    RequestHeader,
    ResponseHeader,
    group_metadata.OffsetCommitKey,
    group_metadata.OffsetCommitValue,
    group_metadata.GroupMetadataKey,
    group_metadata.GroupMetadataValue,
]


def _load(name: str) -> dict:
    lines = [line for line in (SPECS / f"{name}.json").read_text().splitlines() if not line.strip().startswith("//")]
    obj, _ = json.JSONDecoder().raw_decode("\n".join(lines).strip())
    return obj


def _snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _overlaps(r: VersionRange, ours: VersionRange) -> bool:
    return not r.empty and r.lo <= ours.hi and r.hi >= ours.lo


def _type_name(tp) -> str:
    if isinstance(tp, Type):
        return tp.kind
    if isinstance(tp, ArrayOf):
        return "[]" + _type_name(tp.element)
    assert is_struct(tp)
    return "struct"


def _json_type_name(field: dict) -> str:
    tp = field["type"]
    array = tp.startswith("[]")
    base = tp[2:] if array else tp
    known = {"int8", "int16", "int32", "int64", "uint16", "float64", "bool", "string", "bytes", "records", "uuid"}
    name = base if base in known else "struct"
    return ("[]" if array else "") + name


def _json_default(field: dict, spec):
    raw = field.get("default")
    if raw is None:
        return spec.type.default if isinstance(spec.type, Type) else None
    if raw == "null":
        return None
    kind = spec.type.kind if isinstance(spec.type, Type) else None
    if kind == "bool":
        return raw in ("true", True)
    if kind == "string":
        return raw
    return int(raw, 0) if isinstance(raw, str) else raw


def _compare(json_fields: list, cls, ours: VersionRange, common: dict, path: str) -> None:
    expected = [f for f in json_fields if _overlaps(VersionRange.parse(f["versions"]), ours)]
    specs = cls.__kafka_fields__
    assert [_snake(f["name"]) for f in expected] == [s.name for s in specs], path
    for field, spec in zip(expected, specs):
        where = f"{path}.{spec.name}"
        assert spec.versions == VersionRange.parse(field["versions"]), where
        assert _type_name(spec.type) == _json_type_name(field), where
        nullable = VersionRange.parse(field.get("nullableVersions", "none"))
        if _overlaps(nullable, ours):
            assert spec.nullable == nullable, where
        assert spec.tag == field.get("tag"), where
        assert spec.tagged == VersionRange.parse(field.get("taggedVersions", "none")), where
        if "flexibleVersions" in field:
            assert spec.flexible == VersionRange.parse(field["flexibleVersions"]), where
        if isinstance(spec.type, Type) or "default" in field:
            if not (isinstance(spec.type, ArrayOf) and field.get("default") != "null"):
                assert spec.default == _json_default(field, spec), where
        element = spec.type.element if isinstance(spec.type, ArrayOf) else spec.type
        if is_struct(element):
            sub = field.get("fields") or common[field["type"].removeprefix("[]")]
            _compare(sub, element, ours, common, where)


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda c: c.__name__)
def test_declaration_matches_kafka_spec(cls):
    spec = _load(cls.__name__)
    valid = VersionRange.parse(spec["validVersions"])
    assert valid.lo <= cls.VALID_VERSIONS.lo and cls.VALID_VERSIONS.hi <= valid.hi
    assert cls.FLEXIBLE_VERSIONS == VersionRange.parse(spec.get("flexibleVersions", "none"))
    common = {c["name"]: c["fields"] for c in spec.get("commonStructs", [])}
    _compare(spec["fields"], cls, cls.VALID_VERSIONS, common, cls.__name__)


def test_consumer_protocol_extends_the_2_8_layout():
    for cls in (consumer_protocol.ConsumerProtocolSubscription, consumer_protocol.ConsumerProtocolAssignment):
        spec = _load(cls.__name__)
        names = [_snake(f["name"]) for f in spec["fields"]]
        assert [s.name for s in cls.__kafka_fields__][: len(names)] == names
