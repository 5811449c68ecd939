"""Hypothesis properties of the RecordBatch v2 codec."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kafka_clone.protocol import errors
from kafka_clone.protocol import records as R
from kafka_clone.protocol.compression import CompressionType

maybe_bytes = st.one_of(st.none(), st.binary(max_size=64))
headers = st.lists(st.tuples(st.text(max_size=8), maybe_bytes), max_size=3).map(tuple)


@st.composite
def record_lists(draw):
    n = draw(st.integers(1, 20))
    base_offset = draw(st.integers(0, 2**40))
    base_ts = draw(st.integers(0, 2**41))
    gaps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    offsets, o = [], base_offset
    for g in gaps:
        offsets.append(o)
        o += g
    return [
        R.Record(off, base_ts + draw(st.integers(-1000, 1000)), draw(maybe_bytes), draw(maybe_bytes), draw(headers))
        for off in offsets
    ]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(record_lists(), st.sampled_from(list(CompressionType)))
def test_build_then_iterate_is_identity(records, codec):
    data = R.build_batch(records, compression=codec)
    header = R.validate_batch(data)
    assert header.base_offset == records[0].offset and header.last_offset == records[-1].offset
    assert header.max_timestamp == max(r.timestamp for r in records)
    assert list(R.iter_records(data)) == records


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_a_batch_or_a_typed_error(data):
    try:
        for pos, header in R.iter_batches(data):
            list(R.iter_records(data, pos, header))
    except (errors.CorruptMessage, errors.InvalidRecord, errors.UnsupportedCompressionType):
        pass


@settings(max_examples=100, deadline=None, derandomize=True)
@given(record_lists(), st.data())
def test_any_single_bit_flip_after_the_epoch_is_detected(records, data):
    batch = bytearray(R.build_batch(records))
    i = data.draw(st.integers(17, len(batch) - 1))
    batch[i] ^= 1 << data.draw(st.integers(0, 7))
    try:
        R.validate_batch(batch)
    except (errors.CorruptMessage, errors.InvalidRecord, errors.UnsupportedCompressionType):
        return
    raise AssertionError(f"flip at byte {i} went unnoticed")
