"""InitProducerId (22): producer ids for idempotent producers (KIP-98).

Mirrors Kafka 2.8's ``KafkaApis.handleInitProducerIdRequest`` and the non-transactional branch of
``TransactionCoordinator.handleInitProducerId``:

* ``producer_id``/``producer_epoch`` (v3+, KIP-360) must both be -1 or both be set, else
  INVALID_REQUEST;
* a null ``transactional_id`` always gets a fresh id from the broker's ``ProducerIdManager`` with
  epoch 0, whatever id and epoch the request carries: for an idempotent producer, KIP-360's
  "bump" is a new producer id, which starts every partition's sequences from scratch;
* an empty ``transactional_id`` is INVALID_REQUEST (Kafka keeps the broker consistent with the
  client, which rejects it too);
* any other ``transactional_id``: transactions are not implemented, so there is no transaction
  coordinator (see ``_NO_TRANSACTION_COORDINATOR``).

Every error answer carries producer id -1 and epoch -1 (``InitProducerIdRequest.getErrorResponse``).
"""

from __future__ import annotations

import logging

from kafka_clone.protocol import ApiKey
from kafka_clone.protocol.errors import (
    CoordinatorNotAvailable, InvalidRequest, InvalidTransactionTimeout, KafkaError, UnknownServerError,
)
from kafka_clone.protocol.messages.produce import InitProducerIdResponse
from kafka_clone.server.apis import RequestContext, handles

log = logging.getLogger(__name__)

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
#: ``transaction.max.timeout.ms`` default (15 minutes), for the timeout check Kafka makes before
#: looking for the coordinator.
TRANSACTION_MAX_TIMEOUT_MS = 15 * 60 * 1000

#: With no transaction coordinator, a 2.8 cluster answers COORDINATOR_NOT_AVAILABLE: it is what
#: FindCoordinator(key_type=1) and the coordinator give while ``__transaction_state`` cannot be
#: created or has no leader (e.g. fewer brokers than its replication factor, 3), so clients
#: report the familiar "coordinator not available" and the operator's search finds the real cause.
#: NOT_COORDINATOR would instead claim that some *other* broker is the coordinator and send the
#: client looking for it. Both codes are retriable in every client (Java, librdkafka, kafka-python
#: 3 re-run FindCoordinator and retry), so neither fails at once: ``init_transactions()`` ends with
#: the client's own timeout (``max.block.ms`` / the call's timeout), naming InitProducerId.
_NO_TRANSACTION_COORDINATOR = CoordinatorNotAvailable


def _error(exc: KafkaError) -> InitProducerIdResponse:
    return InitProducerIdResponse(throttle_time_ms=0, error_code=exc.code,
                                  producer_id=NO_PRODUCER_ID, producer_epoch=NO_PRODUCER_EPOCH)


@handles(ApiKey.INIT_PRODUCER_ID)
async def handle_init_producer_id(ctx: RequestContext) -> InitProducerIdResponse:
    body = ctx.body
    if (body.producer_id == NO_PRODUCER_ID) != (body.producer_epoch == NO_PRODUCER_EPOCH):
        return _error(InvalidRequest())
    transactional_id = body.transactional_id
    if transactional_id is None:
        try:
            producer_id = await ctx.broker.producer_id_manager.generate_producer_id()
        except Exception as exc:
            # Kafka 2.8 lets any exception (expired ZooKeeper session, an unreadable
            # /latest_producer_id_block, ids exhausted) reach KafkaApis.handleError, which answers
            # with Errors.forException: UNKNOWN_SERVER_ERROR unless it is a KafkaError. A lost
            # connection only delays the answer: the manager waits for it, as Kafka's client does.
            log.warning("InitProducerId from %s failed: %r", ctx.client_address, exc, exc_info=True)
            return _error(exc if isinstance(exc, KafkaError) else UnknownServerError())
        return InitProducerIdResponse(throttle_time_ms=0, error_code=0,
                                      producer_id=producer_id, producer_epoch=0)
    if not transactional_id:
        return _error(InvalidRequest())
    if not 0 < body.transaction_timeout_ms <= TRANSACTION_MAX_TIMEOUT_MS:
        return _error(InvalidTransactionTimeout())
    return _error(_NO_TRANSACTION_COORDINATOR())
