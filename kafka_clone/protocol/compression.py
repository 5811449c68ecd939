"""Record-batch compression codecs, mirroring Kafka's ``CompressionType`` (2.8).

The codec id lives in bits 0-2 of a RecordBatch v2's ``attributes``. The compressed payload is the
concatenated records (everything after the 61-byte header); ``recordsCount`` stays outside.

Wire formats (what Kafka and the common clients actually put in a batch):

* gzip (1): a standard gzip stream (RFC 1952).
* snappy (2): the Java client writes *xerial* framing: ``0x82 "SNAPPY" 0x00``, int32 version 1,
  int32 min-compatible 1, then repeated ``int32 length + raw snappy block``. librdkafka writes one
  raw snappy block with no framing. We read both and write xerial, as the Java client does.
* lz4 (3): the standard LZ4 frame (magic ``0x184D2204``), as Kafka's ``KafkaLZ4BlockOutputStream``.
* zstd (4): a standard zstd frame (KIP-110, Kafka 2.1+).

The broker never decompresses on fetch, and only decompresses on produce when the topic needs
per-record work (compaction keys, see ``records.validate_records_for_compaction``). All codecs are
C (cramjam) so the caller never loops over bytes in Python.
"""

from __future__ import annotations

import enum
import struct

import cramjam

from kafka_clone.protocol.errors import CorruptMessage, UnsupportedCompressionType

__all__ = ["CompressionType", "compress", "decompress"]


class CompressionType(enum.IntEnum):
    """Codec ids of the attributes field (``CompressionType.java``)."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4

    @classmethod
    def from_id(cls, codec_id: int) -> "CompressionType":
        try:
            return cls(codec_id)
        except ValueError:
            # Ids 5-7 fit in the three bits but no Kafka release defines them.
            raise UnsupportedCompressionType(f"unknown compression codec id {codec_id}") from None

    @classmethod
    def from_name(cls, name: str) -> "CompressionType":
        """Parse ``compression.type`` values (``none``/``gzip``/``snappy``/``lz4``/``zstd``)."""
        try:
            return cls[name.upper()]
        except KeyError:
            raise UnsupportedCompressionType(f"unknown compression type {name!r}") from None


_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)
# xerial's SnappyOutputStream default block size, which the Java client uses.
_XERIAL_BLOCK = 32 * 1024
_INT32 = struct.Struct(">i")


def compress(codec: CompressionType, data: bytes | memoryview) -> bytes:
    """Compress ``data`` (the concatenated records) with ``codec``."""
    if codec == CompressionType.NONE:
        return bytes(data)
    if codec == CompressionType.GZIP:
        return bytes(cramjam.gzip.compress(data))
    if codec == CompressionType.SNAPPY:
        return _xerial_encode(memoryview(data))
    if codec == CompressionType.LZ4:
        return bytes(cramjam.lz4.compress(data))
    if codec == CompressionType.ZSTD:
        return bytes(cramjam.zstd.compress(data))
    raise UnsupportedCompressionType(f"unknown compression codec {codec!r}")


def decompress(codec: CompressionType, data: bytes | memoryview) -> bytes:
    """Decompress a batch payload; a malformed payload is ``CorruptMessage``."""
    try:
        if codec == CompressionType.NONE:
            return bytes(data)
        if codec == CompressionType.GZIP:
            return bytes(cramjam.gzip.decompress(data))
        if codec == CompressionType.SNAPPY:
            mv = memoryview(data)
            if mv[:8] == _XERIAL_MAGIC:
                return _xerial_decode(mv)
            return bytes(cramjam.snappy.decompress_raw(mv))
        if codec == CompressionType.LZ4:
            return bytes(cramjam.lz4.decompress(data))
        if codec == CompressionType.ZSTD:
            return bytes(cramjam.zstd.decompress(data))
    except cramjam.DecompressionError as exc:
        raise CorruptMessage(f"cannot decompress {codec.name} payload: {exc}") from None
    raise UnsupportedCompressionType(f"unknown compression codec {codec!r}")


def _xerial_encode(data: memoryview) -> bytes:
    parts = [_XERIAL_HEADER]
    for start in range(0, len(data), _XERIAL_BLOCK):
        block = bytes(cramjam.snappy.compress_raw(data[start:start + _XERIAL_BLOCK]))
        parts.append(_INT32.pack(len(block)))
        parts.append(block)
    return b"".join(parts)


def _xerial_decode(data: memoryview) -> bytes:
    pos = len(_XERIAL_HEADER)
    if len(data) < pos:
        raise CorruptMessage("truncated xerial snappy header")
    out = []
    while pos < len(data):
        if pos + 4 > len(data):
            raise CorruptMessage("truncated xerial snappy block length")
        (length,) = _INT32.unpack_from(data, pos)
        pos += 4
        if length < 0 or pos + length > len(data):
            raise CorruptMessage("xerial snappy block overruns the payload")
        out.append(bytes(cramjam.snappy.decompress_raw(data[pos:pos + length])))
        pos += length
    return b"".join(out)
