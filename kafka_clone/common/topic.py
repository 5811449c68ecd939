"""Topic names and topic-partitions.

Mirrors ``org.apache.kafka.common.internals.Topic`` and ``org.apache.kafka.common.TopicPartition``
(Kafka 2.8 clients). Topic names end up in ZooKeeper paths, directory names
(``<topic>-<partition>``) and metric names, hence the narrow alphabet and the length cap
(249 leaves room for the partition suffix and ``.deleted``-style suffixes in a 255-byte
file name). Because metric names turn '.' into '_', two topics that differ only there
"collide"; Kafka refuses to create the second one (``AdminZkClient.validateTopicCreate``).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "GROUP_METADATA_TOPIC_NAME",
    "TRANSACTION_STATE_TOPIC_NAME",
    "INTERNAL_TOPICS",
    "LEGAL_CHARS",
    "MAX_NAME_LENGTH",
    "COLLISION_WARNING",
    "InvalidTopicError",
    "TopicPartition",
    "validate",
    "is_internal",
    "has_collision_chars",
    "unify_collision_chars",
    "has_collision",
    "colliding_topics",
]

GROUP_METADATA_TOPIC_NAME = "__consumer_offsets"
TRANSACTION_STATE_TOPIC_NAME = "__transaction_state"
INTERNAL_TOPICS = frozenset({GROUP_METADATA_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME})
LEGAL_CHARS = "[a-zA-Z0-9._-]"
MAX_NAME_LENGTH = 249

# What kafka-topics.sh prints when creating a topic with '.' or '_' (TopicCommand).
COLLISION_WARNING = (
    "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') "
    "could collide. To avoid issues it is best to use either, but not both."
)

_LEGAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class InvalidTopicError(ValueError):
    """Kafka's ``InvalidTopicException`` (error code INVALID_TOPIC_EXCEPTION, 17)."""


@attrs.frozen(order=True)
class TopicPartition:
    """A partition of a topic; ``str()`` is Kafka's ``topic-partition`` form (also the log directory name)."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


def _java_length(s: str) -> int:
    # String.length() counts UTF-16 code units, so a non-BMP character counts twice.
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def validate(topic: str) -> None:
    """``Topic.validate``: raise ``InvalidTopicError`` with Kafka's message if ``topic`` is illegal."""
    if not topic:
        raise InvalidTopicError("Topic name is illegal, it can't be empty")
    if topic in (".", ".."):
        raise InvalidTopicError('Topic name cannot be "." or ".."')
    if _java_length(topic) > MAX_NAME_LENGTH:
        raise InvalidTopicError(
            f"Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, topic name: {topic}"
        )
    if not set(topic) <= _LEGAL:
        raise InvalidTopicError(
            f'Topic name "{topic}" is illegal, it contains a character other than '
            "ASCII alphanumerics, '.', '_' and '-'"
        )


def is_internal(topic: str) -> bool:
    return topic in INTERNAL_TOPICS


def has_collision_chars(topic: str) -> bool:
    """True if ``topic`` contains '.' or '_', which metric names cannot tell apart."""
    return "_" in topic or "." in topic


def unify_collision_chars(topic: str) -> str:
    """Replace '.' with '_' - the form under which colliding names become equal."""
    return topic.replace(".", "_")


def has_collision(topic_a: str, topic_b: str) -> bool:
    return unify_collision_chars(topic_a) == unify_collision_chars(topic_b)


def colliding_topics(topic: str, existing_topics: Iterable[str]) -> list[str]:
    """Existing topics ``topic`` collides with (``AdminZkClient.validateTopicCreate``).

    Kafka then fails with ``InvalidTopicException("Topic '<t>' collides with existing
    topics: a, b")``; an identical name is a TopicExists case, not a collision.
    """
    if not has_collision_chars(topic):
        return []
    return [t for t in existing_topics if t != topic and has_collision(t, topic)]
