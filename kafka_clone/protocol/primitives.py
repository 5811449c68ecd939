"""Primitive wire types: Kafka's ``org.apache.kafka.common.protocol.types.Type`` and ``ByteUtils``.

Readers have the shape ``read(buf, pos) -> (value, new_pos)`` over a ``memoryview`` (or bytes);
writers have the shape ``write(out, parts, value)`` appending to a ``bytearray``. ``parts`` is
the list of zero-copy record chunks (see ``RecordsWriter``) and is ignored by every other type.

Invariants:

* Every length read from the wire is checked against the bytes remaining before it is used, so
  a hostile length cannot make us allocate or loop (Kafka's "Tried to allocate a collection of
  size N, but there are only M bytes remaining"). Failures raise ``DecodeError``, which the
  framing layer turns into ``InvalidRequestError``.
* ``records`` values decode to ``memoryview`` slices of the frame: no copy (design §5).
* Two varint families: signed zig-zag ``varint``/``varlong`` are used *inside* record batches;
  the unsigned varint is used for compact lengths and tags (KIP-482).
"""

from __future__ import annotations

import struct
import uuid
from typing import Any, Callable, Protocol, runtime_checkable

__all__ = [
    "DecodeError",
    "FileRecordsRef",
    "Reader",
    "Writer",
    "read_unsigned_varint",
    "write_unsigned_varint",
    "encode_unsigned_varint",
    "read_varint",
    "read_varlong",
    "encode_varint",
    "encode_varlong",
    "zigzag_encode",
    "zigzag_decode",
    "size_of_unsigned_varint",
    "ZERO_UUID",
]

Reader = Callable[[Any, int], tuple[Any, int]]
Writer = Callable[[bytearray, list, Any], None]

ZERO_UUID = uuid.UUID(int=0)


class DecodeError(ValueError):
    """The bytes do not match the schema (short, bad length, bad UTF-8, trailing garbage)."""


@runtime_checkable
class FileRecordsRef(Protocol):
    """Record data that lives in a log segment, sent with ``os.sendfile`` (Kafka's ``FileRecords``).

    Any object with an int ``size_in_bytes`` may be placed in a ``records`` field of a message
    being encoded. The encoder writes its length prefix and emits the object itself as a separate
    part, in order, so the network layer can send it without copying. The sans-IO layer never
    reads it, except that ``encode_response`` (the single-``bytes`` form) calls ``bytes(ref)``.
    """

    @property
    def size_in_bytes(self) -> int: ...


_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_F64 = struct.Struct(">d")


def _fixed(st: struct.Struct) -> tuple[Reader, Writer]:
    size = st.size
    unpack_from = st.unpack_from
    pack = st.pack

    def read(buf: Any, pos: int) -> tuple[Any, int]:
        return unpack_from(buf, pos)[0], pos + size

    def write(out: bytearray, parts: list, value: Any) -> None:
        out += pack(value)

    return read, write


read_int8, write_int8 = _fixed(_I8)
read_int16, write_int16 = _fixed(_I16)
read_int32, write_int32 = _fixed(_I32)
read_int64, write_int64 = _fixed(_I64)
read_uint16, write_uint16 = _fixed(_U16)
read_uint32, write_uint32 = _fixed(_U32)
read_float64, write_float64 = _fixed(_F64)


def read_bool(buf: Any, pos: int) -> tuple[bool, int]:
    # Kafka reads any non-zero byte as true.
    return buf[pos] != 0, pos + 1


def write_bool(out: bytearray, parts: list, value: bool) -> None:
    out.append(1 if value else 0)


def read_uuid(buf: Any, pos: int) -> tuple[uuid.UUID, int]:
    end = pos + 16
    if end > len(buf):
        raise DecodeError("uuid past end of buffer")
    return uuid.UUID(bytes=bytes(buf[pos:end])), end


def write_uuid(out: bytearray, parts: list, value: uuid.UUID) -> None:
    out += value.bytes


# -- varints ---------------------------------------------------------------------------------


def read_unsigned_varint(buf: Any, pos: int) -> tuple[int, int]:
    """Unsigned base-128 varint of at most 5 bytes (Kafka's ``ByteUtils.readUnsignedVarint``)."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    value = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise DecodeError("unsigned varint longer than 5 bytes")


def _read_varlong_raw(buf: Any, pos: int, max_shift: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > max_shift:
            raise DecodeError("varint too long")


def zigzag_encode(n: int, bits: int = 64) -> int:
    """Map signed to unsigned so small magnitudes stay short: 0,-1,1,-2 -> 0,1,2,3."""
    return ((n << 1) ^ (n >> (bits - 1))) & ((1 << bits) - 1)


def zigzag_decode(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def read_varint(buf: Any, pos: int) -> tuple[int, int]:
    """Signed zig-zag varint (int32 range, at most 5 bytes), as used inside records."""
    raw, pos = _read_varlong_raw(buf, pos, 28)
    return zigzag_decode(raw & 0xFFFFFFFF), pos


def read_varlong(buf: Any, pos: int) -> tuple[int, int]:
    """Signed zig-zag varlong (int64 range, at most 10 bytes), as used inside records."""
    raw, pos = _read_varlong_raw(buf, pos, 63)
    return zigzag_decode(raw & 0xFFFFFFFFFFFFFFFF), pos


_SMALL_UVARINTS = [bytes([i]) for i in range(0x80)]


def encode_unsigned_varint(n: int) -> bytes:
    if n < 0x80:
        return _SMALL_UVARINTS[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write_unsigned_varint(out: bytearray, n: int) -> None:
    if n < 0x80:
        out.append(n)
        return
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def size_of_unsigned_varint(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def encode_varint(n: int) -> bytes:
    if not -(1 << 31) <= n < (1 << 31):
        raise OverflowError(f"{n} does not fit a varint")
    return encode_unsigned_varint(zigzag_encode(n, 32))


def encode_varlong(n: int) -> bytes:
    if not -(1 << 63) <= n < (1 << 63):
        raise OverflowError(f"{n} does not fit a varlong")
    return encode_unsigned_varint(zigzag_encode(n, 64))


# -- length-prefixed types -------------------------------------------------------------------
# Each factory returns (reader, writer) for one of the four length encodings:
# classic int16/int32 lengths with -1 = null, or compact unsigned varint N+1 with 0 = null.


def _take(buf: Any, pos: int, n: int) -> tuple[Any, int]:
    end = pos + n
    if n < 0 or end > len(buf):
        raise DecodeError(f"length {n} at {pos} runs past the end ({len(buf)} bytes)")
    return buf[pos:end], end


def string_codec(*, compact: bool, nullable: bool) -> tuple[Reader, Writer]:
    def read(buf: Any, pos: int) -> tuple[str | None, int]:
        if compact:
            n, pos = read_unsigned_varint(buf, pos)
            n -= 1
        else:
            n = _I16.unpack_from(buf, pos)[0]
            pos += 2
        if n < 0:
            if nullable and n == -1:
                return None, pos
            raise DecodeError("null or negative length for a non-nullable string")
        raw, pos = _take(buf, pos, n)
        try:
            return str(raw, "utf-8"), pos
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8 in string: {exc}") from None

    def write(out: bytearray, parts: list, value: str | None) -> None:
        if value is None:
            assert nullable, "null written to a non-nullable string"
            if compact:
                out.append(0)
            else:
                out += b"\xff\xff"
            return
        data = value.encode("utf-8")
        if compact:
            write_unsigned_varint(out, len(data) + 1)
        else:
            if len(data) > 0x7FFF:
                raise ValueError("string longer than 32767 bytes")
            out += _I16.pack(len(data))
        out += data

    return read, write


def bytes_codec(*, compact: bool, nullable: bool, zero_copy: bool = False) -> tuple[Reader, Writer]:
    def read(buf: Any, pos: int) -> tuple[Any, int]:
        if compact:
            n, pos = read_unsigned_varint(buf, pos)
            n -= 1
        else:
            n = _I32.unpack_from(buf, pos)[0]
            pos += 4
        if n < 0:
            if nullable and n == -1:
                return None, pos
            raise DecodeError("null or negative length for non-nullable bytes")
        raw, pos = _take(buf, pos, n)
        return (raw if zero_copy else bytes(raw)), pos

    def write(out: bytearray, parts: list, value: Any) -> None:
        if value is None:
            assert nullable, "null written to non-nullable bytes"
            if compact:
                out.append(0)
            else:
                out += b"\xff\xff\xff\xff"
            return
        n = value.nbytes if isinstance(value, memoryview) else len(value)
        if compact:
            write_unsigned_varint(out, n + 1)
        else:
            out += _I32.pack(n)
        out += value

    return read, write


def records_codec(*, compact: bool) -> tuple[Reader, Writer]:
    """``records``: nullable bytes that stay a memoryview on decode.

    On encode, ``bytes`` are copied into the frame (small, built in memory); a ``memoryview`` or
    any ``FileRecordsRef`` becomes its own part so large record data is never copied: ``parts``
    receives ``(offset_in_out, chunk)`` and the framing layer splits the output there.
    """
    read, write_bytes = bytes_codec(compact=compact, nullable=True, zero_copy=True)

    def write(out: bytearray, parts: list, value: Any) -> None:
        if value is None or isinstance(value, (bytes, bytearray)):
            write_bytes(out, parts, value)
            return
        if isinstance(value, memoryview):
            n = value.nbytes
        else:
            n = value.size_in_bytes
        if compact:
            write_unsigned_varint(out, n + 1)
        else:
            out += _I32.pack(n)
        if n:
            parts.append((len(out), value))

    return read, write


def array_codec(element: tuple[Reader, Writer], *, compact: bool, nullable: bool) -> tuple[Reader, Writer]:
    read_element, write_element = element

    def read(buf: Any, pos: int) -> tuple[tuple | None, int]:
        if compact:
            n, pos = read_unsigned_varint(buf, pos)
            n -= 1
        else:
            n = _I32.unpack_from(buf, pos)[0]
            pos += 4
        if n < 0:
            if nullable and n == -1:
                return None, pos
            raise DecodeError("null or negative count for a non-nullable array")
        # Every element takes at least one byte: refuse counts the buffer cannot hold.
        if n > len(buf) - pos:
            raise DecodeError(f"array of {n} elements but only {len(buf) - pos} bytes remain")
        items = []
        append = items.append
        for _ in range(n):
            item, pos = read_element(buf, pos)
            append(item)
        return tuple(items), pos

    def write(out: bytearray, parts: list, value: Any) -> None:
        if value is None:
            assert nullable, "null written to a non-nullable array"
            if compact:
                out.append(0)
            else:
                out += b"\xff\xff\xff\xff"
            return
        if compact:
            write_unsigned_varint(out, len(value) + 1)
        else:
            out += _I32.pack(len(value))
        for item in value:
            write_element(out, parts, item)

    return read, write
