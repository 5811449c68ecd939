"""The schema DSL: how every request and response is declared once.

This plays the part of Kafka's JSON message specs plus ``MessageDataGenerator``: a message is a
frozen attrs class whose attributes carry wire metadata, and ``codec.py`` compiles one encoder and
one decoder per (class, version) from that metadata. Example::

    @struct
    class PartitionProduceData:
        index: int = f(INT32)
        records: Records | None = f(RECORDS, nullable="0+")

    @message(api_key=0, valid="3-9", flexible="9+")
    class ProduceRequest:
        transactional_id: str | None = f(STRING, "3+", nullable="3+", default=None)
        acks: int = f(INT16)
        timeout_ms: int = f(INT32)
        topic_data: tuple[TopicProduceData, ...] = f(ArrayOf(TopicProduceData))

Field names are Kafka's JSON names in snake_case (``TimeoutMs`` -> ``timeout_ms``); versions use
Kafka's notation (``"3+"``, ``"0-4"``, ``"none"``). Attributes are keyword-only and all have
defaults (Kafka's defaults: 0, ``""``, ``()``, or the JSON ``default``), so a handler builds a
response with only the fields it cares about. A field is on the wire only in its ``versions``;
outside them its value is ignored on encode and the default on decode.

Flexible versions (KIP-482): from the message's ``flexible`` version onward strings, bytes,
arrays and records use compact lengths and every struct ends in a tagged-field section. Tagged
fields (``tag=`` with ``tagged=`` versions) are written only when they differ from their default.
"""

from __future__ import annotations

from typing import Any, Union

import attrs

from .primitives import ZERO_UUID, FileRecordsRef

__all__ = [
    "VersionRange",
    "Type",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT16",
    "FLOAT64",
    "BOOL",
    "STRING",
    "BYTES",
    "RECORDS",
    "UUID",
    "ArrayOf",
    "FieldSpec",
    "Records",
    "f",
    "struct",
    "message",
    "is_struct",
]

#: What a ``records`` field may hold: decoded frames give a memoryview; encoders accept bytes,
#: a memoryview or a ``FileRecordsRef`` (data left in a log segment, sent with sendfile).
Records = Union[bytes, memoryview, FileRecordsRef]

_MAX_VERSION = 0x7FFF


@attrs.frozen
class VersionRange:
    """An inclusive range of versions, parsed from Kafka's notation."""

    lo: int
    hi: int

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        text = text.strip()
        if text == "none":
            return cls(1, 0)
        if text.endswith("+"):
            return cls(int(text[:-1]), _MAX_VERSION)
        if "-" in text:
            lo, hi = text.split("-")
            return cls(int(lo), int(hi))
        return cls(int(text), int(text))

    def __contains__(self, version: int) -> bool:
        return self.lo <= version <= self.hi

    def __iter__(self):
        return iter(range(self.lo, self.hi + 1))

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.hi == _MAX_VERSION:
            return f"{self.lo}+"
        return f"{self.lo}-{self.hi}" if self.lo != self.hi else str(self.lo)


@attrs.frozen
class Type:
    """A primitive wire type; ``kind`` selects the codec in ``codec.py``."""

    kind: str
    default: Any

    def __repr__(self) -> str:
        return self.kind.upper()


INT8 = Type("int8", 0)
INT16 = Type("int16", 0)
INT32 = Type("int32", 0)
INT64 = Type("int64", 0)
UINT16 = Type("uint16", 0)
FLOAT64 = Type("float64", 0.0)
BOOL = Type("bool", False)
STRING = Type("string", "")
BYTES = Type("bytes", b"")
RECORDS = Type("records", None)
UUID = Type("uuid", ZERO_UUID)


@attrs.frozen
class ArrayOf:
    """``[]T``: an array of a primitive ``Type`` or of a ``@struct`` class."""

    element: Any

    def __repr__(self) -> str:
        name = getattr(self.element, "__name__", None) or repr(self.element)
        return f"ArrayOf({name})"


@attrs.frozen
class FieldSpec:
    """One field's wire metadata (one entry of a JSON ``fields`` list)."""

    name: str
    type: Any  # Type, ArrayOf, or a @struct class
    versions: VersionRange
    nullable: VersionRange
    tag: int | None
    tagged: VersionRange
    default: Any
    flexible: VersionRange | None  # field-level override; only the request header's ClientId


_KAFKA = "kafka"
_NO_DEFAULT = object()


def _type_default(tp: Any) -> Any:
    if isinstance(tp, Type):
        return tp.default
    if isinstance(tp, ArrayOf):
        return ()
    assert is_struct(tp), f"unknown field type {tp!r}"
    return tp()


def f(
    tp: Any,
    versions: str = "0+",
    *,
    nullable: str = "none",
    tag: int | None = None,
    tagged: str = "none",
    default: Any = _NO_DEFAULT,
    flexible: str | None = None,
) -> Any:
    """Declare a field: its type, the versions it exists in and its wire options.

    ``nullable`` and ``tagged`` are version ranges (Kafka's ``nullableVersions`` and
    ``taggedVersions``); ``tag`` is the tag number of a tagged field; ``flexible`` overrides the
    message's flexible versions for this field alone (``"none"`` keeps it non-compact).
    """
    if default is _NO_DEFAULT:
        default = _type_default(tp)
    assert (tag is None) == (tagged == "none"), "tag and tagged go together"
    spec = {
        "type": tp,
        "versions": VersionRange.parse(versions),
        "nullable": VersionRange.parse(nullable),
        "tag": tag,
        "tagged": VersionRange.parse(tagged),
        "default": default,
        "flexible": VersionRange.parse(flexible) if flexible is not None else None,
    }
    return attrs.field(default=default, metadata={_KAFKA: spec})


def _finish(cls: type) -> type:
    cls = attrs.frozen(kw_only=True)(cls)
    specs = []
    for a in attrs.fields(cls):
        meta = a.metadata.get(_KAFKA)
        assert meta is not None, f"{cls.__name__}.{a.name} must be declared with f()"
        specs.append(FieldSpec(name=a.name, **meta))
    cls.__kafka_fields__ = tuple(specs)
    return cls


def struct(cls: type) -> type:
    """Make ``cls`` a frozen, keyword-only attrs class whose fields are wire fields."""
    return _finish(cls)


def message(*, api_key: int, valid: str, flexible: str) -> Any:
    """Declare a top-level request or response: Kafka's ``validVersions``/``flexibleVersions``."""

    def wrap(cls: type) -> type:
        cls = _finish(cls)
        cls.API_KEY = api_key
        cls.VALID_VERSIONS = VersionRange.parse(valid)
        cls.FLEXIBLE_VERSIONS = VersionRange.parse(flexible)
        return cls

    return wrap


def is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "__kafka_fields__")
