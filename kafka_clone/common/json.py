"""Compact JSON exactly as Kafka 2.8's ``kafka.utils.Json`` (Jackson) writes it.

Mirrors ``core/src/main/scala/kafka/utils/Json.scala``. Objects are given as a ``JsonObject``
of ``(key, value)`` pairs (or a dict) so the caller controls key order, which in Kafka is the
iteration order of the Scala/Java map being serialised (see ``jvm_collections``).

Jackson's default output: no whitespace, UTF-8 without ``\\u`` escaping of non-ASCII,
short escapes for ``\\b \\t \\n \\f \\r \\" \\\\``, ``\\u00XX`` with *upper-case* hex for the
other control characters, and ``/`` left alone. Python's ``json.dumps`` differs only in
the hex case, which is why this small writer exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["JsonObject", "encode_as_bytes", "encode_as_string"]


class JsonObject(tuple):
    """An ordered JSON object: a tuple of ``(key, value)`` pairs; key order is part of the value."""

    __slots__ = ()

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _quote(s: str) -> str:
    out = ['"']
    for ch in s:
        esc = _SHORT_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, JsonObject):
        _write_object(value, out)
    elif isinstance(value, Mapping):
        _write_object(tuple(value.items()), out)
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as Kafka JSON")


def _write_object(pairs: Sequence[tuple[str, Any]], out: list[str]) -> None:
    out.append("{")
    for i, (key, item) in enumerate(pairs):
        if i:
            out.append(",")
        out.append(_quote(key))
        out.append(":")
        _write(item, out)
    out.append("}")


def encode_as_string(value: Any) -> str:
    """Serialise ``value``: ``JsonObject``/mappings become objects, other sequences arrays."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def encode_as_bytes(value: Any) -> bytes:
    return encode_as_string(value).encode("utf-8", "surrogatepass")
