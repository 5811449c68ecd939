"""The error table mirrors Kafka 2.8's ``Errors`` enum."""

import re

import pytest

from kafka_clone.protocol import errors
from kafka_clone.protocol.errors import (
    ALL_ERRORS,
    CorruptMessage,
    FrameTooLarge,
    InvalidRequest,
    InvalidRequestError,
    KafkaError,
    NotController,
    UnknownServerError,
    code_for_exception,
    error_for_code,
)


def test_codes_are_unique_and_cover_the_2_8_range():
    codes = [e.code for e in ALL_ERRORS]
    assert codes == sorted(set(codes))
    assert codes == [-1] + list(range(1, 104))


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.name)
def test_class_name_is_camel_case_of_kafka_name(cls):
    camel = "".join(part.capitalize() for part in cls.name.split("_"))
    assert cls.__name__ == camel
    assert getattr(errors, camel) is cls
    assert re.fullmatch(r"[A-Z_]+", cls.name)
    assert cls.message
    assert error_for_code(cls.code) is cls


def test_known_rows():
    assert CorruptMessage.code == 2 and CorruptMessage.retriable
    assert CorruptMessage.name == "CORRUPT_MESSAGE"
    assert NotController.code == 41 and NotController.retriable
    assert errors.MessageTooLarge.code == 10 and not errors.MessageTooLarge.retriable
    assert errors.InvalidRecord.code == 87
    assert errors.UnsupportedCompressionType.code == 76


def test_detail_and_default_message():
    assert str(CorruptMessage()) == CorruptMessage.message
    exc = CorruptMessage("bad crc")
    assert str(exc) == "bad crc" and exc.detail == "bad crc"
    assert code_for_exception(exc) == 2


def test_unknown_codes_and_exceptions():
    assert error_for_code(12345) is UnknownServerError
    assert code_for_exception(ValueError("x")) == -1
    with pytest.raises(ValueError):
        error_for_code(0)


def test_protocol_faults_are_invalid_request():
    assert issubclass(InvalidRequestError, InvalidRequest)
    assert issubclass(FrameTooLarge, InvalidRequestError)
    assert code_for_exception(InvalidRequestError("garbage")) == 42
    exc = FrameTooLarge(200, 100)
    assert exc.size == 200 and exc.max_size == 100 and code_for_exception(exc) == 42
    assert isinstance(exc, KafkaError)
