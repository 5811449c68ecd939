"""Client-side errors: what Kafka's Java client raises without a broker having said so.

Broker errors arrive as wire codes and become the ``KafkaError`` subclasses of
``protocol/errors.py`` (``error_for_code``). The errors here are the client's own, each refining
the row of that table whose meaning it carries, so ``exc.retriable`` and ``exc.code`` still work:

* ``KafkaConnectionError`` -- connection refused, reset or closed by the peer. Kafka's
  ``NetworkClient`` treats these as a disconnect and the request fails with the retriable
  ``NetworkException`` (13).
* ``KafkaTimeoutError`` -- ``request.timeout.ms`` or an API deadline passed. Kafka raises the
  retriable ``org.apache.kafka.common.errors.TimeoutException``; the closest wire row is
  ``REQUEST_TIMED_OUT`` (7).
"""

from __future__ import annotations

from kafka_clone.protocol.errors import NetworkException, RequestTimedOut

__all__ = ["KafkaConnectionError", "KafkaTimeoutError"]


class KafkaConnectionError(NetworkException):
    """The TCP connection to a broker could not be opened, or broke (retriable)."""


class KafkaTimeoutError(RequestTimedOut):
    """A request or an API call did not complete in time (retriable)."""
