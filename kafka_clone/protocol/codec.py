"""The one generic codec: compiles a ``@struct``/``@message`` declaration into specialised functions.

The counterpart of the Java code Kafka's ``MessageDataGenerator`` writes per message
(``read(Readable, version)``/``write(Writable, cache, version)``), built at run time instead:
``compile_struct(cls, version, flexible)`` walks the field table once and generates a reader and
a writer specialised for that version (absent fields dropped, compact or classic lengths chosen,
tagged fields mapped). Results are cached, so decoding a Produce request costs one call per
variable-size field and one ``struct`` unpack per run of fixed-size fields, with no version tests
on the hot path.

Wire order of a struct: the non-tagged fields present in the version, in declaration order;
then, in flexible versions, the tagged-field section (KIP-482): an unsigned-varint count, then
per field ``tag``, ``size`` (unsigned varints) and the value. Unknown tags are skipped, as the
Kafka readers do; we do not keep them (no message we serve needs to echo them back).
"""

from __future__ import annotations

import struct as _struct
from functools import lru_cache
from typing import Any

from . import primitives as p
from .primitives import DecodeError, Reader, Writer, read_unsigned_varint, write_unsigned_varint
from .schema import ArrayOf, FieldSpec, Type, is_struct

__all__ = [
    "compile_struct",
    "encode_message",
    "encode_message_parts",
    "decode_message",
    "encode_versioned",
    "decode_versioned",
    "DecodeError",
    "DECODE_FAULTS",
]

_FIXED: dict[str, tuple[Reader, Writer]] = {
    "int8": (p.read_int8, p.write_int8),
    "int16": (p.read_int16, p.write_int16),
    "int32": (p.read_int32, p.write_int32),
    "int64": (p.read_int64, p.write_int64),
    "uint16": (p.read_uint16, p.write_uint16),
    "float64": (p.read_float64, p.write_float64),
    "bool": (p.read_bool, p.write_bool),
    "uuid": (p.read_uuid, p.write_uuid),
}


@lru_cache(maxsize=None)
def _type_codec(tp: Any, version: int, flexible: bool, nullable: bool) -> tuple[Reader, Writer]:
    if isinstance(tp, Type):
        kind = tp.kind
        if kind in _FIXED:
            return _FIXED[kind]
        if kind == "string":
            return p.string_codec(compact=flexible, nullable=nullable)
        if kind == "bytes":
            return p.bytes_codec(compact=flexible, nullable=nullable)
        if kind == "records":
            return p.records_codec(compact=flexible)
        raise AssertionError(f"unknown type {kind}")
    if isinstance(tp, ArrayOf):
        element = _type_codec(tp.element, version, flexible, False)
        return p.array_codec(element, compact=flexible, nullable=nullable)
    assert is_struct(tp), f"unknown field type {tp!r}"
    assert not nullable, "nullable struct fields are not used by the 2.8 APIs we declare"
    return compile_struct(tp, version, flexible)


def _field_codec(spec: FieldSpec, version: int, flexible: bool) -> tuple[Reader, Writer]:
    compact = flexible and (spec.flexible is None or version in spec.flexible)
    return _type_codec(spec.type, version, compact, version in spec.nullable)


# Fixed-size kinds and their struct format characters. "?" reads any non-zero byte as true,
# which is Kafka's rule for booleans. Runs of consecutive fixed-size fields are read and
# written with one precompiled struct.Struct.
_FIXED_FORMATS = {
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "uint16": "H",
    "float64": "d",
    "bool": "?",
}


def _fixed_format(spec: FieldSpec) -> str | None:
    tp = spec.type
    return _FIXED_FORMATS.get(tp.kind) if isinstance(tp, Type) else None


@lru_cache(maxsize=None)
def compile_struct(cls: type, version: int, flexible: bool) -> tuple[Reader, Writer]:
    """Reader ``(buf, pos) -> (obj, pos)`` and writer ``(out, parts, obj)`` for one version.

    The two functions are generated as Python source specialised to the version (absent fields
    dropped, runs of fixed-size fields merged into one ``struct.Struct``) and compiled once.
    """
    plain: list[FieldSpec] = []
    tagged: list[tuple[int, str, Reader, Writer, Any]] = []
    for spec in cls.__kafka_fields__:
        if version not in spec.versions:
            continue
        if flexible and spec.tag is not None and version in spec.tagged:
            rd, wr = _field_codec(spec, version, flexible)
            tagged.append((spec.tag, spec.name, rd, wr, spec.default))
        else:
            plain.append(spec)
    tagged.sort(key=lambda t: t[0])

    env: dict[str, Any] = {"cls": cls}
    read_lines = ["def read(buf, pos):"]
    write_lines = ["def write(out, parts, obj):"]
    kwargs = []
    i = 0
    while i < len(plain):
        fmt = _fixed_format(plain[i])
        if fmt is not None:
            run = [plain[i]]
            while i + len(run) < len(plain) and _fixed_format(plain[i + len(run)]) is not None:
                run.append(plain[i + len(run)])
            st = _struct.Struct(">" + "".join(_fixed_format(f) for f in run))
            env[f"S{i}"] = st
            names = [f"v{i + k}" for k in range(len(run))]
            read_lines.append(f"    {', '.join(names)}, = S{i}.unpack_from(buf, pos)")
            read_lines.append(f"    pos += {st.size}")
            write_lines.append(f"    out += S{i}.pack({', '.join('obj.' + f.name for f in run)})")
            kwargs.extend(f"{f.name}={n}" for f, n in zip(run, names))
            i += len(run)
            continue
        spec = plain[i]
        rd, wr = _field_codec(spec, version, flexible)
        env[f"R{i}"], env[f"W{i}"] = rd, wr
        read_lines.append(f"    v{i}, pos = R{i}(buf, pos)")
        write_lines.append(f"    W{i}(out, parts, obj.{spec.name})")
        kwargs.append(f"{spec.name}=v{i}")
        i += 1
    if not flexible:
        read_lines.append(f"    return cls({', '.join(kwargs)}), pos")
    else:
        env["read_tags"] = _tag_reader(tagged)
        env["write_tags"] = _tag_writer(tagged)
        # Nearly every tag section on the wire is empty (one 0x00 byte): test that first.
        read_lines.append("    if buf[pos] == 0:")
        read_lines.append(f"        return cls({', '.join(kwargs)}), pos + 1")
        read_lines.append("    kw = {}")
        read_lines.append("    pos = read_tags(buf, pos, kw)")
        read_lines.append(f"    return cls({''.join(k + ', ' for k in kwargs)}**kw), pos")
        write_lines.append("    write_tags(out, obj)" if tagged else "    out.append(0)")
    if len(write_lines) == 1:
        write_lines.append("    pass")
    source = "\n".join(read_lines) + "\n\n" + "\n".join(write_lines) + "\n"
    code = compile(source, f"<kafka codec {cls.__name__} v{version}>", "exec")
    exec(code, env)
    return env["read"], env["write"]


def _tag_reader(tagged: list[tuple[int, str, Reader, Writer, Any]]) -> Any:
    """Reads a tagged-field section (KIP-482), keeping known tags and skipping unknown ones."""
    by_tag = {tag: (name, rd) for tag, name, rd, _, _ in tagged}

    def read_tags(buf: Any, pos: int, kw: dict) -> int:
        count, pos = read_unsigned_varint(buf, pos)
        for _ in range(count):
            tag, pos = read_unsigned_varint(buf, pos)
            size, pos = read_unsigned_varint(buf, pos)
            end = pos + size
            if end > len(buf):
                raise DecodeError(f"tagged field {tag} of {size} bytes runs past the end")
            known = by_tag.get(tag)
            if known is not None:
                name, rd = known
                kw[name], used = rd(buf, pos)
                if used != end:
                    raise DecodeError(f"tagged field {tag} declared {size} bytes, used {used - pos}")
            pos = end
        return pos

    return read_tags


def _tag_writer(tagged: list[tuple[int, str, Reader, Writer, Any]]) -> Any:
    """Writes the fields that differ from their defaults, in tag order (KIP-482)."""
    writers = tuple((tag, name, wr, default) for tag, name, _, wr, default in tagged)

    def write_tags(out: bytearray, obj: Any) -> None:
        present = []
        for tag, name, wr, default in writers:
            value = getattr(obj, name)
            # Untouched fields hold the very default object: skip the (struct) comparison.
            if value is not default and value != default:
                present.append((tag, wr, value))
        if not present:
            out.append(0)
            return
        write_unsigned_varint(out, len(present))
        for tag, wr, value in present:
            body = bytearray()
            inner_parts: list = []
            wr(body, inner_parts, value)
            assert not inner_parts, "records cannot be tagged fields"
            write_unsigned_varint(out, tag)
            write_unsigned_varint(out, len(body))
            out += body

    return write_tags


def _codec(cls: type, version: int) -> tuple[Reader, Writer]:
    if version not in cls.VALID_VERSIONS:
        raise ValueError(f"{cls.__name__} has no version {version} (valid {cls.VALID_VERSIONS})")
    return compile_struct(cls, version, version in cls.FLEXIBLE_VERSIONS)


def encode_message_parts(msg: Any, version: int, out: bytearray, parts: list) -> None:
    """Append ``msg`` at ``version`` to ``out``; zero-copy records go to ``parts``."""
    _codec(type(msg), version)[1](out, parts, msg)


def encode_message(msg: Any, version: int) -> bytes:
    """``msg`` at ``version`` as one ``bytes`` (records parts joined in)."""
    out = bytearray()
    parts: list = []
    encode_message_parts(msg, version, out, parts)
    return join_parts(out, parts)


def join_parts(out: bytearray, parts: list) -> bytes:
    if not parts:
        return bytes(out)
    chunks = []
    last = 0
    for offset, ref in parts:
        chunks.append(out[last:offset])
        chunks.append(ref if isinstance(ref, (bytes, memoryview)) else bytes(ref))
        last = offset
    chunks.append(out[last:])
    return b"".join(chunks)


# What a reader raises on bad input: our DecodeError, or the builtins a short buffer or a bad
# value provokes (struct.error, IndexError on a varint past the end, ...).
DECODE_FAULTS = (DecodeError, _struct.error, IndexError, ValueError, OverflowError, TypeError)


def decode_message(cls: type, buf: Any, version: int, pos: int = 0, *, exact: bool = True) -> tuple[Any, int]:
    """Decode ``cls`` at ``version`` from ``buf[pos:]``; returns ``(message, end)``.

    With ``exact`` (the default) the message must end exactly at the end of ``buf``. Any
    mismatch raises ``DecodeError``.
    """
    reader = _codec(cls, version)[0]
    if not isinstance(buf, memoryview):
        buf = memoryview(buf)
    try:
        msg, end = reader(buf, pos)
    except DecodeError:
        raise
    except DECODE_FAULTS as exc:
        raise DecodeError(f"{cls.__name__} v{version}: {type(exc).__name__}: {exc}") from None
    if exact and end != len(buf):
        raise DecodeError(f"{cls.__name__} v{version}: {len(buf) - end} trailing bytes")
    return msg, end


_VERSION = _struct.Struct(">h")


def encode_versioned(msg: Any, version: int) -> bytes:
    """An int16 version then ``msg`` at that version: how "data" schemas are stored.

    Used for the ConsumerProtocol payloads and the ``__consumer_offsets`` keys and values.
    """
    return _VERSION.pack(version) + encode_message(msg, version)


def decode_versioned(cls: type, data: Any) -> tuple[int, Any]:
    """``(version, message)`` from an int16 version prefix and the struct that follows.

    A version above ours is read with our newest layout, ignoring what follows it (what
    ``ConsumerProtocol`` does for newer subscriptions); a version below ours is an error.
    """
    buf = memoryview(data)
    if len(buf) < 2:
        raise DecodeError(f"{cls.__name__}: no version prefix")
    version = _VERSION.unpack_from(buf, 0)[0]
    if version < cls.VALID_VERSIONS.lo:
        raise DecodeError(f"{cls.__name__}: unknown version {version}")
    msg, _ = decode_message(cls, buf, min(version, cls.VALID_VERSIONS.hi), 2, exact=False)
    return version, msg
