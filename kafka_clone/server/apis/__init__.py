"""KafkaApis as a dispatch table: one module per API family, one handler per API.

Kafka's `KafkaApis.scala` grew into a 3,000-line class with a 58-branch `match` (criticised in
apache/kafka PR #626 and #9715); here each family lives in its own module and registers its
handlers in `HANDLERS` through the `handles` decorator.  A handler is

    async def handle_x(ctx: RequestContext) -> ResponseMessage | None

It returns the response body (None only for Produce with acks=0).  Per-partition failures are
values in the response (error codes); a handler raising means a broker bug or a malformed request
we could not answer, and the connection is closed with one logged line.

ApiVersions advertises exactly the APIs that have a handler, so clients never pick one we lack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import attrs

from kafka_clone.protocol import ApiKey, Request

if TYPE_CHECKING:
    from kafka_clone.server.broker import KafkaServer

Handler = Callable[["RequestContext"], Awaitable[Any]]

HANDLERS: dict[ApiKey, Handler] = {}

#: The API family modules; importing one registers its handlers.
FAMILIES = (
    "api_versions", "metadata", "produce", "fetch", "offsets", "topics", "configs",
    "controller_requests", "producer_ids", "reassignments", "group",
)


@attrs.frozen
class RequestContext:
    """What a handler may use: the request, where it came from, and the broker's components."""

    request: Request
    broker: "KafkaServer"
    listener_name: str
    client_address: str

    @property
    def body(self) -> Any:
        return self.request.body

    @property
    def version(self) -> int:
        return self.request.api_version


def handles(api_key: ApiKey) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        assert api_key not in HANDLERS, f"two handlers for {api_key.name}"
        HANDLERS[api_key] = fn
        return fn
    return register


def load_handlers() -> dict[ApiKey, Handler]:
    """Import every family module that exists (families land one by one) and return the table."""
    for family in FAMILIES:
        try:
            importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{family}":
                raise
    return HANDLERS
