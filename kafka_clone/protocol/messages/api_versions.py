"""ApiVersions (key 18): the first request on every connection.

Mirrors ``ApiVersionsRequest.json``/``ApiVersionsResponse.json``. v3 is flexible (KIP-482) and
carries the client's software name and version (KIP-511). The response header is always v0,
and an unsupported request version is answered at v0 (see ``framing.py``).
"""

from __future__ import annotations

from ..schema import ArrayOf, INT16, INT32, INT64, STRING, f, message, struct


@message(api_key=18, valid="0-3", flexible="3+")
class ApiVersionsRequest:
    client_software_name: str = f(STRING, "3+")
    client_software_version: str = f(STRING, "3+")


@struct
class ApiVersion:
    api_key: int = f(INT16)
    min_version: int = f(INT16)
    max_version: int = f(INT16)


@struct
class SupportedFeatureKey:
    name: str = f(STRING, "3+")
    min_version: int = f(INT16, "3+")
    max_version: int = f(INT16, "3+")


@struct
class FinalizedFeatureKey:
    name: str = f(STRING, "3+")
    max_version_level: int = f(INT16, "3+")
    min_version_level: int = f(INT16, "3+")


@message(api_key=18, valid="0-3", flexible="3+")
class ApiVersionsResponse:
    error_code: int = f(INT16)
    api_keys: tuple[ApiVersion, ...] = f(ArrayOf(ApiVersion))
    throttle_time_ms: int = f(INT32, "1+")
    supported_features: tuple[SupportedFeatureKey, ...] = f(ArrayOf(SupportedFeatureKey), "3+", tag=0, tagged="3+")
    finalized_features_epoch: int = f(INT64, "3+", tag=1, tagged="3+", default=-1)
    finalized_features: tuple[FinalizedFeatureKey, ...] = f(ArrayOf(FinalizedFeatureKey), "3+", tag=2, tagged="3+")
