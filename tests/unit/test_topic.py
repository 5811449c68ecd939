"""Topic-name rules of Kafka's Topic.java and the TopicPartition value."""

from __future__ import annotations

import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafka_clone.common.topic import (
    GROUP_METADATA_TOPIC_NAME,
    INTERNAL_TOPICS,
    LEGAL_CHARS,
    MAX_NAME_LENGTH,
    TRANSACTION_STATE_TOPIC_NAME,
    InvalidTopicError,
    TopicPartition,
    colliding_topics,
    has_collision,
    has_collision_chars,
    is_internal,
    unify_collision_chars,
    validate,
)


@pytest.mark.parametrize("name", ["foo", "a" * 249, "my.topic_v2-x", "__consumer_offsets", "...", "-", "_"])
def test_legal_names(name):
    validate(name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Topic name is illegal, it can't be empty"),
        (".", 'Topic name cannot be "." or ".."'),
        ("..", 'Topic name cannot be "." or ".."'),
        ("a" * 250, f"Topic name is illegal, it can't be longer than 249 characters, topic name: {'a' * 250}"),
        ("foo bar", "Topic name \"foo bar\" is illegal, it contains a character other than "
                    "ASCII alphanumerics, '.', '_' and '-'"),
        ("caf\u00e9", "Topic name \"caf\u00e9\" is illegal, it contains a character other than "
                      "ASCII alphanumerics, '.', '_' and '-'"),
        ("a/b", "Topic name \"a/b\" is illegal, it contains a character other than "
                "ASCII alphanumerics, '.', '_' and '-'"),
    ],
)
def test_illegal_names_have_kafkas_messages(name, message):
    with pytest.raises(InvalidTopicError) as info:
        validate(name)
    assert str(info.value) == message


def test_length_counts_utf16_units_like_java():
    # 125 astral characters are 250 UTF-16 units: Kafka reports the length first.
    with pytest.raises(InvalidTopicError, match="can't be longer than 249"):
        validate("\U0001F600" * 125)


@given(st.text(max_size=260))
def test_validate_agrees_with_the_legal_chars_pattern(name):
    legal = (
        name not in ("", ".", "..")
        and len(name.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_NAME_LENGTH
        and re.fullmatch(f"{LEGAL_CHARS}+", name, re.ASCII) is not None
    )
    try:
        validate(name)
    except InvalidTopicError:
        assert not legal
    else:
        assert legal


def test_internal_topics():
    assert INTERNAL_TOPICS == {"__consumer_offsets", "__transaction_state"}
    assert is_internal(GROUP_METADATA_TOPIC_NAME) and is_internal(TRANSACTION_STATE_TOPIC_NAME)
    assert not is_internal("__consumer_offsets2")


def test_collisions():
    assert has_collision_chars("a.b") and has_collision_chars("a_b") and not has_collision_chars("a-b")
    assert unify_collision_chars("a.b_c") == "a_b_c"
    assert has_collision("a.b", "a_b") and not has_collision("a.b", "a-b")
    assert colliding_topics("a.b", ["a_b", "a.b", "x", "a-b"]) == ["a_b"]
    assert colliding_topics("ab", ["ab"]) == []


def test_topic_partition():
    tp = TopicPartition("foo", 3)
    assert str(tp) == "foo-3"
    assert tp == TopicPartition("foo", 3) and hash(tp) == hash(TopicPartition("foo", 3))
    assert sorted([TopicPartition("b", 0), TopicPartition("a", 2), TopicPartition("a", 1)])[0] == TopicPartition("a", 1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        tp.partition = 4
