"""The record formats ``kclone dump-log`` decodes for ``--offsets-decoder`` (``__consumer_offsets``)
and ``--transaction-log-decoder`` (``__transaction_state``), in Kafka 2.8's words: see
``kafka_clone.log.dump``. A record Kafka's tool would die of raises DumpError."""

from __future__ import annotations

import struct

import attrs

from kafka_clone.common.json import JsonObject, encode_as_string
from kafka_clone.protocol import codec
from kafka_clone.protocol import records as R
from kafka_clone.protocol.messages.consumer_protocol import ConsumerProtocolAssignment
from kafka_clone.protocol.messages.group_metadata import (
    GroupMetadataKey, GroupMetadataValue, OffsetCommitKey, OffsetCommitValue,
)
from kafka_clone.protocol.primitives import DecodeError

_INT16 = struct.Struct(">h")


class DumpError(Exception):
    """What Kafka's tool would die of; the CLI prints it as one line and exits 1."""


_TXN_STATES = ("Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead",
               "PrepareEpochFence")


def _hex(data: bytes) -> str:
    # Scala's "%X".format(BigInt(1, bytes)): upper case, leading zeros dropped.
    return f"{int.from_bytes(data, 'big'):X}" if data else ""


def parse_offsets_record(record: R.Record) -> tuple[str | None, str | None]:
    """Kafka 2.8's ``GroupMetadataManager.formatRecordKeyAndValue`` (KAFKA-9293), what
    ``--offsets-decoder`` prints for one ``__consumer_offsets`` record."""
    if record.key is None:
        raise DumpError("Failed to decode message using offset topic decoder (message had a missing key)")
    version = _INT16.unpack_from(record.key)[0] if len(record.key) >= 2 else -1
    try:
        if version in (0, 1):
            k = codec.decode_versioned(OffsetCommitKey, record.key)[1]
            key = f"offset_commit::group={k.group},partition={k.topic}-{k.partition}"
            if record.value is None:
                return key, "<DELETE>"
            v = codec.decode_versioned(OffsetCommitValue, record.value)[1]
            return key, f"offset={v.offset}" + (f",metadata={v.metadata}" if v.metadata else "")
        if version == 2:
            g = codec.decode_versioned(GroupMetadataKey, record.key)[1]
            key = f"group_metadata::group={g.group}"
            if record.value is None:
                return key, "<DELETE>"
            return key, _format_group_value(codec.decode_versioned(GroupMetadataValue, record.value)[1])
    except DecodeError as exc:
        raise DumpError(f"Failed to decode __consumer_offsets record at offset {record.offset}: {exc}") from None
    raise DumpError(f"java.lang.IllegalStateException: Unknown group metadata message version: {version}")


def _format_group_value(value: GroupMetadataValue) -> str:
    assignments = []
    for member in value.members:  # Kafka: the members' hash-map order; here the record's
        if value.protocol_type == "consumer":
            try:
                a = codec.decode_versioned(ConsumerProtocolAssignment, member.assignment)[1]
            except DecodeError:
                # Kafka would throw; a member stored before its assignment has none to show.
                assignments.append(f"{member.member_id}={_hex(member.assignment)}")
                continue
            partitions = "[" + ", ".join(f"{tp.topic}-{p}" for tp in a.assigned_partitions
                                         for p in tp.partitions) + "]"
            user_data = _hex(a.user_data or b"")
            assignments.append(f"{member.member_id}={partitions}" + (f":{user_data}" if user_data else ""))
        else:
            assignments.append(f"{member.member_id}={_hex(member.assignment)}")
    return encode_as_string(JsonObject((
        ("protocolType", value.protocol_type),
        ("protocol", value.protocol),
        ("generationId", value.generation),
        ("assignment", "{" + ",".join(assignments) + "}"),
    )))


def parse_transaction_record(record: R.Record) -> tuple[str | None, str | None]:
    """Kafka 2.8's ``TransactionLog.formatRecordKeyAndValue`` for ``__transaction_state``.

    kafka-clone has no transactions, so its logs never hold these records; this reads real
    Kafka's (key v0: transactional id; value v0: the transaction's metadata)."""
    try:
        reader = _Reader(record.key or b"")
        version = reader.int16()
        if version != 0:
            raise DumpError(f"java.lang.IllegalStateException: Unknown version {version} from the transaction "
                            f"log message")
        txn_id = reader.string()
        key = f"transaction_metadata::transactionalId={txn_id}"
        if record.value is None:
            return key, "<DELETE>"
        reader = _Reader(record.value)
        version = reader.int16()
        if version != 0:
            raise DumpError(f"java.lang.IllegalStateException: Unknown version {version} from the transaction "
                            f"log message value")
        producer_id, epoch, timeout, state = reader.int64(), reader.int16(), reader.int32(), reader.int8()
        partitions = []
        for _ in range(max(reader.int32(), 0)):
            topic = reader.string()
            partitions.extend(f"{topic}-{reader.int32()}" for _ in range(max(reader.int32(), 0)))
        last_update = reader.int64()
        state_name = _TXN_STATES[state] if 0 <= state < len(_TXN_STATES) else f"Unknown({state})"
        return key, (f"producerId:{producer_id},producerEpoch:{epoch},state={state_name},"
                     f"partitions=[{','.join(partitions)}],txnLastUpdateTimestamp={last_update},"
                     f"txnTimeoutMs={timeout}")
    except struct.error:
        raise DumpError(f"Failed to decode __transaction_state record at offset {record.offset}: "
                        f"it is too short (is this a __transaction_state log?)") from None


@attrs.define
class _Reader:
    data: bytes
    pos: int = 0

    def _take(self, fmt: str) -> int:
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def int8(self) -> int:
        return self._take(">b")

    def int16(self) -> int:
        return self._take(">h")

    def int32(self) -> int:
        return self._take(">i")

    def int64(self) -> int:
        return self._take(">q")

    def string(self) -> str:
        length = self.int16()
        if length < 0 or self.pos + length > len(self.data):
            raise struct.error("string runs past the end")
        text = bytes(self.data[self.pos:self.pos + length]).decode("utf-8", "replace")
        self.pos += length
        return text
