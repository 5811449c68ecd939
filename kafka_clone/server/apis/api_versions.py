"""ApiVersions (18): what this broker speaks, including the KIP-511 fallback."""

from __future__ import annotations

from kafka_clone.protocol import ApiKey, api_versions_response
from kafka_clone.server.apis import HANDLERS, RequestContext, handles


@handles(ApiKey.API_VERSIONS)
async def handle_api_versions(ctx: RequestContext):
    # Only APIs with a handler are advertised, so a client never picks one we cannot answer.
    # A version above ours gets the KIP-511 answer (UNSUPPORTED_VERSION, encoded at v0).
    unhandled = frozenset(k for k in ApiKey if k not in HANDLERS)
    return api_versions_response(ctx.request.api_version, exclude=unhandled)
