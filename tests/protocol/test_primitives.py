"""Varints, zig-zag and the length-prefixed primitives: known bytes and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafka_clone.protocol import primitives as p
from kafka_clone.protocol.primitives import DecodeError

# (value, zig-zag varint bytes) from Kafka's ByteUtilsTest / the protocol guide.
VARINTS = [
    (0, "00"),
    (-1, "01"),
    (1, "02"),
    (-2, "03"),
    (63, "7e"),
    (-64, "7f"),
    (64, "8001"),
    (300, "d804"),
    (2**31 - 1, "feffffff0f"),
    (-(2**31), "ffffffff0f"),
]

UNSIGNED = [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (2**32 - 1, "ffffffff0f")]


@pytest.mark.parametrize(("value", "hexbytes"), VARINTS)
def test_varint_known_bytes(value, hexbytes):
    assert p.encode_varint(value).hex() == hexbytes
    assert p.read_varint(bytes.fromhex(hexbytes), 0) == (value, len(hexbytes) // 2)


@pytest.mark.parametrize(("value", "hexbytes"), UNSIGNED)
def test_unsigned_varint_known_bytes(value, hexbytes):
    assert p.encode_unsigned_varint(value).hex() == hexbytes
    assert p.read_unsigned_varint(bytes.fromhex(hexbytes), 0) == (value, len(hexbytes) // 2)
    assert p.size_of_unsigned_varint(value) == len(hexbytes) // 2
    out = bytearray()
    p.write_unsigned_varint(out, value)
    assert out.hex() == hexbytes


def test_varlong_extremes():
    for value in (2**63 - 1, -(2**63)):
        data = p.encode_varlong(value)
        assert len(data) == 10
        assert p.read_varlong(data, 0) == (value, 10)
    with pytest.raises(OverflowError):
        p.encode_varint(2**31)


@given(st.integers(-(2**63), 2**63 - 1))
def test_zigzag_round_trip_and_small_magnitudes_stay_small(n):
    z = p.zigzag_encode(n)
    assert z >= 0 and p.zigzag_decode(z) == n
    assert z == (2 * n if n >= 0 else -2 * n - 1)


@given(st.integers(-(2**31), 2**31 - 1), st.binary(max_size=4))
def test_varint_round_trip_with_offset(n, prefix):
    data = prefix + p.encode_varint(n) + b"tail"
    assert p.read_varint(data, len(prefix)) == (n, len(data) - 4)


@given(st.integers(-(2**63), 2**63 - 1))
def test_varlong_round_trip(n):
    data = p.encode_varlong(n)
    assert p.read_varlong(data, 0) == (n, len(data))


@given(st.integers(0, 2**32 - 1))
def test_unsigned_varint_round_trip(n):
    data = p.encode_unsigned_varint(n)
    assert p.read_unsigned_varint(data, 0) == (n, len(data))


def test_overlong_varints_are_rejected():
    with pytest.raises(DecodeError):
        p.read_unsigned_varint(b"\x80\x80\x80\x80\x80\x01", 0)
    with pytest.raises(DecodeError):
        p.read_varint(b"\xff" * 6, 0)


@pytest.mark.parametrize(
    ("compact", "nullable", "value", "hexbytes"),
    [
        (False, False, "ab", "00026162"),
        (False, True, None, "ffff"),
        (True, False, "ab", "036162"),
        (True, True, None, "00"),
        (True, False, "", "01"),
    ],
)
def test_string_encodings(compact, nullable, value, hexbytes):
    read, write = p.string_codec(compact=compact, nullable=nullable)
    out = bytearray()
    write(out, [], value)
    assert out.hex() == hexbytes
    assert read(memoryview(bytes(out)), 0) == (value, len(out))


def test_lengths_past_the_end_and_bad_utf8_are_decode_errors():
    read_string, _ = p.string_codec(compact=False, nullable=False)
    with pytest.raises(DecodeError):
        read_string(memoryview(b"\x00\x05ab"), 0)
    with pytest.raises(DecodeError):
        read_string(memoryview(b"\x00\x02\xff\xfe"), 0)
    with pytest.raises(DecodeError):
        read_string(memoryview(b"\xff\xff"), 0)  # null in a non-nullable string
    read_array, _ = p.array_codec((p.read_int32, p.write_int32), compact=False, nullable=False)
    with pytest.raises(DecodeError):
        read_array(memoryview(b"\x7f\xff\xff\xff\x00"), 0)  # 2**31-1 elements in 1 byte


def test_records_decode_to_a_view_and_encode_file_records_as_parts():
    read, write = p.records_codec(compact=False)
    frame = b"\x00\x00\x00\x03abcXYZ"
    value, end = read(memoryview(frame), 0)
    assert isinstance(value, memoryview) and value.obj is frame and value == b"abc" and end == 7

    class Segment:
        size_in_bytes = 5

    assert isinstance(Segment(), p.FileRecordsRef)
    out, parts = bytearray(b"hd"), []
    ref = Segment()
    write(out, parts, ref)
    assert out == b"hd\x00\x00\x00\x05" and parts == [(6, ref)]
    out, parts = bytearray(), []
    write(out, parts, b"xy")
    assert out == b"\x00\x00\x00\x02xy" and parts == []
    write(out, parts, None)
    assert out.endswith(b"\xff\xff\xff\xff")
