"""Produce (0) and InitProducerId (22): the producer's write path.

Mirrors ``ProduceRequest.json``/``ProduceResponse.json`` from v3 (magic-2 record batches only)
and ``InitProducerId*.json``. ``PartitionProduceData.records`` decodes to a memoryview slice of
the request frame, so the log can validate and append the batch without a copy (design §5).
"""

from __future__ import annotations

from ..schema import ArrayOf, INT16, INT32, INT64, RECORDS, Records, STRING, f, message, struct


@struct
class PartitionProduceData:
    index: int = f(INT32)
    records: Records | None = f(RECORDS, nullable="0+")


@struct
class TopicProduceData:
    name: str = f(STRING)
    partition_data: tuple[PartitionProduceData, ...] = f(ArrayOf(PartitionProduceData))


@message(api_key=0, valid="3-9", flexible="9+")
class ProduceRequest:
    transactional_id: str | None = f(STRING, "3+", nullable="3+", default=None)
    acks: int = f(INT16)
    timeout_ms: int = f(INT32)
    topic_data: tuple[TopicProduceData, ...] = f(ArrayOf(TopicProduceData))


@struct
class BatchIndexAndErrorMessage:
    batch_index: int = f(INT32, "8+")
    batch_index_error_message: str | None = f(STRING, "8+", nullable="8+", default=None)


@struct
class PartitionProduceResponse:
    index: int = f(INT32)
    error_code: int = f(INT16)
    base_offset: int = f(INT64)
    log_append_time_ms: int = f(INT64, "2+", default=-1)
    log_start_offset: int = f(INT64, "5+", default=-1)
    record_errors: tuple[BatchIndexAndErrorMessage, ...] = f(ArrayOf(BatchIndexAndErrorMessage), "8+")
    error_message: str | None = f(STRING, "8+", nullable="8+", default=None)


@struct
class TopicProduceResponse:
    name: str = f(STRING)
    partition_responses: tuple[PartitionProduceResponse, ...] = f(ArrayOf(PartitionProduceResponse))


@message(api_key=0, valid="3-9", flexible="9+")
class ProduceResponse:
    responses: tuple[TopicProduceResponse, ...] = f(ArrayOf(TopicProduceResponse))
    throttle_time_ms: int = f(INT32, "1+")


@message(api_key=22, valid="0-4", flexible="2+")
class InitProducerIdRequest:
    transactional_id: str | None = f(STRING, nullable="0+")
    transaction_timeout_ms: int = f(INT32)
    producer_id: int = f(INT64, "3+", default=-1)
    producer_epoch: int = f(INT16, "3+", default=-1)


@message(api_key=22, valid="0-4", flexible="2+")
class InitProducerIdResponse:
    throttle_time_ms: int = f(INT32)
    error_code: int = f(INT16)
    producer_id: int = f(INT64, default=-1)
    producer_epoch: int = f(INT16)
