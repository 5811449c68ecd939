"""The API registry: Kafka's ``ApiKeys`` enum and ``ApiMessageType`` for the APIs we speak.

``ApiKey`` lists only the APIs this broker declares; a request with any other key is a protocol
fault (``framing.py``). ``API_REGISTRY`` maps each key to its request and response classes and the
version range we support and advertise in ApiVersions. The ranges are those recommended by the
wire-protocol reference §3: Kafka 2.8's ranges trimmed to magic-2 record batches (Produce >= 3,
Fetch >= 4), no topic-id fetches (Fetch <= 12, Metadata <= 11), no ZooKeeper-stored offsets
(OffsetCommit >= 2, OffsetFetch >= 1, ListOffsets >= 1), and every minimum at or below what
aiokafka implements.

Header versions follow ``ApiMessageType.requestHeaderVersion``/``responseHeaderVersion``:
flexible request versions use request header v2 (KIP-482), ControlledShutdown v0 uses header v0,
and the ApiVersions response header is always v0 (KIP-511: a client that does not yet know our
versions must be able to read it).
"""

from __future__ import annotations

import enum
import re

import attrs

from .messages import (
    api_versions,
    configs,
    controller,
    fetch,
    group,
    group_admin,
    metadata,
    offset_commit,
    offsets,
    produce,
    sasl,
    topics,
    update_metadata,
)
from .schema import VersionRange

__all__ = [
    "ApiKey",
    "ApiSpec",
    "API_REGISTRY",
    "api_spec",
    "request_header_version",
    "response_header_version",
    "api_versions_response",
    "api_versions_request_is_valid",
]


class ApiKey(enum.IntEnum):
    """The api_key of each API we declare (Kafka's ``ApiKeys`` ids)."""

    PRODUCE = 0
    FETCH = 1
    LIST_OFFSETS = 2
    METADATA = 3
    LEADER_AND_ISR = 4
    STOP_REPLICA = 5
    UPDATE_METADATA = 6
    CONTROLLED_SHUTDOWN = 7
    OFFSET_COMMIT = 8
    OFFSET_FETCH = 9
    FIND_COORDINATOR = 10
    JOIN_GROUP = 11
    HEARTBEAT = 12
    LEAVE_GROUP = 13
    SYNC_GROUP = 14
    DESCRIBE_GROUPS = 15
    LIST_GROUPS = 16
    SASL_HANDSHAKE = 17
    API_VERSIONS = 18
    CREATE_TOPICS = 19
    DELETE_TOPICS = 20
    DELETE_RECORDS = 21
    INIT_PRODUCER_ID = 22
    OFFSET_FOR_LEADER_EPOCH = 23
    DESCRIBE_CONFIGS = 32
    ALTER_CONFIGS = 33
    SASL_AUTHENTICATE = 36
    CREATE_PARTITIONS = 37
    DELETE_GROUPS = 42
    ELECT_LEADERS = 43
    INCREMENTAL_ALTER_CONFIGS = 44
    ALTER_PARTITION_REASSIGNMENTS = 45
    LIST_PARTITION_REASSIGNMENTS = 46
    OFFSET_DELETE = 47
    DESCRIBE_CLUSTER = 60


@attrs.frozen
class ApiSpec:
    """One API: its key, Kafka's name, message classes and supported versions."""

    api_key: ApiKey
    name: str
    request: type
    response: type
    min_version: int
    max_version: int

    @property
    def versions(self) -> range:
        return range(self.min_version, self.max_version + 1)

    @property
    def flexible_versions(self) -> VersionRange:
        return self.request.FLEXIBLE_VERSIONS

    def is_flexible(self, version: int) -> bool:
        return version in self.request.FLEXIBLE_VERSIONS


def _spec(key: ApiKey, request: type, response: type) -> ApiSpec:
    assert request.API_KEY == key == response.API_KEY, key
    assert request.VALID_VERSIONS == response.VALID_VERSIONS, key
    assert request.FLEXIBLE_VERSIONS == response.FLEXIBLE_VERSIONS, key
    valid = request.VALID_VERSIONS
    return ApiSpec(key, request.__name__.removesuffix("Request"), request, response, valid.lo, valid.hi)


API_REGISTRY: dict[ApiKey, ApiSpec] = {
    s.api_key: s
    for s in (
        _spec(ApiKey.PRODUCE, produce.ProduceRequest, produce.ProduceResponse),
        _spec(ApiKey.FETCH, fetch.FetchRequest, fetch.FetchResponse),
        _spec(ApiKey.LIST_OFFSETS, offsets.ListOffsetsRequest, offsets.ListOffsetsResponse),
        _spec(ApiKey.METADATA, metadata.MetadataRequest, metadata.MetadataResponse),
        _spec(ApiKey.LEADER_AND_ISR, controller.LeaderAndIsrRequest, controller.LeaderAndIsrResponse),
        _spec(ApiKey.STOP_REPLICA, controller.StopReplicaRequest, controller.StopReplicaResponse),
        _spec(
            ApiKey.UPDATE_METADATA,
            update_metadata.UpdateMetadataRequest,
            update_metadata.UpdateMetadataResponse,
        ),
        _spec(
            ApiKey.CONTROLLED_SHUTDOWN,
            controller.ControlledShutdownRequest,
            controller.ControlledShutdownResponse,
        ),
        _spec(ApiKey.OFFSET_COMMIT, offset_commit.OffsetCommitRequest, offset_commit.OffsetCommitResponse),
        _spec(ApiKey.OFFSET_FETCH, offset_commit.OffsetFetchRequest, offset_commit.OffsetFetchResponse),
        _spec(ApiKey.FIND_COORDINATOR, group.FindCoordinatorRequest, group.FindCoordinatorResponse),
        _spec(ApiKey.JOIN_GROUP, group.JoinGroupRequest, group.JoinGroupResponse),
        _spec(ApiKey.HEARTBEAT, group.HeartbeatRequest, group.HeartbeatResponse),
        _spec(ApiKey.LEAVE_GROUP, group.LeaveGroupRequest, group.LeaveGroupResponse),
        _spec(ApiKey.SYNC_GROUP, group.SyncGroupRequest, group.SyncGroupResponse),
        _spec(ApiKey.DESCRIBE_GROUPS, group_admin.DescribeGroupsRequest, group_admin.DescribeGroupsResponse),
        _spec(ApiKey.LIST_GROUPS, group_admin.ListGroupsRequest, group_admin.ListGroupsResponse),
        _spec(ApiKey.SASL_HANDSHAKE, sasl.SaslHandshakeRequest, sasl.SaslHandshakeResponse),
        _spec(ApiKey.API_VERSIONS, api_versions.ApiVersionsRequest, api_versions.ApiVersionsResponse),
        _spec(ApiKey.CREATE_TOPICS, topics.CreateTopicsRequest, topics.CreateTopicsResponse),
        _spec(ApiKey.DELETE_TOPICS, topics.DeleteTopicsRequest, topics.DeleteTopicsResponse),
        _spec(ApiKey.DELETE_RECORDS, offsets.DeleteRecordsRequest, offsets.DeleteRecordsResponse),
        _spec(ApiKey.INIT_PRODUCER_ID, produce.InitProducerIdRequest, produce.InitProducerIdResponse),
        _spec(
            ApiKey.OFFSET_FOR_LEADER_EPOCH,
            offsets.OffsetForLeaderEpochRequest,
            offsets.OffsetForLeaderEpochResponse,
        ),
        _spec(ApiKey.DESCRIBE_CONFIGS, configs.DescribeConfigsRequest, configs.DescribeConfigsResponse),
        _spec(ApiKey.ALTER_CONFIGS, configs.AlterConfigsRequest, configs.AlterConfigsResponse),
        _spec(ApiKey.SASL_AUTHENTICATE, sasl.SaslAuthenticateRequest, sasl.SaslAuthenticateResponse),
        _spec(ApiKey.CREATE_PARTITIONS, topics.CreatePartitionsRequest, topics.CreatePartitionsResponse),
        _spec(ApiKey.DELETE_GROUPS, group_admin.DeleteGroupsRequest, group_admin.DeleteGroupsResponse),
        _spec(ApiKey.ELECT_LEADERS, topics.ElectLeadersRequest, topics.ElectLeadersResponse),
        _spec(
            ApiKey.INCREMENTAL_ALTER_CONFIGS,
            configs.IncrementalAlterConfigsRequest,
            configs.IncrementalAlterConfigsResponse,
        ),
        _spec(
            ApiKey.ALTER_PARTITION_REASSIGNMENTS,
            topics.AlterPartitionReassignmentsRequest,
            topics.AlterPartitionReassignmentsResponse,
        ),
        _spec(
            ApiKey.LIST_PARTITION_REASSIGNMENTS,
            topics.ListPartitionReassignmentsRequest,
            topics.ListPartitionReassignmentsResponse,
        ),
        _spec(ApiKey.OFFSET_DELETE, offset_commit.OffsetDeleteRequest, offset_commit.OffsetDeleteResponse),
        _spec(ApiKey.DESCRIBE_CLUSTER, metadata.DescribeClusterRequest, metadata.DescribeClusterResponse),
    )
}

assert set(API_REGISTRY) == set(ApiKey)


def api_spec(api_key: int) -> ApiSpec | None:
    """The spec for a raw api_key from the wire, or None if we do not declare that API."""
    try:
        return API_REGISTRY[ApiKey(api_key)]
    except ValueError:
        return None


def request_header_version(api_key: int, version: int) -> int:
    """0, 1 or 2 (``ApiMessageType.requestHeaderVersion``)."""
    if api_key == ApiKey.CONTROLLED_SHUTDOWN and version == 0:
        # ControlledShutdown v0 predates client ids: the one user of header v0.
        return 0
    spec = API_REGISTRY[ApiKey(api_key)]
    return 2 if version in spec.flexible_versions else 1


def response_header_version(api_key: int, version: int) -> int:
    """0 or 1 (``ApiMessageType.responseHeaderVersion``)."""
    if api_key == ApiKey.API_VERSIONS:
        # KIP-511: always v0, so a client can read the answer whatever version it sent.
        return 0
    spec = API_REGISTRY[ApiKey(api_key)]
    return 1 if version in spec.flexible_versions else 0


def api_versions_response(
    request_version: int,
    *,
    throttle_time_ms: int = 0,
    exclude: frozenset[ApiKey] | set[ApiKey] = frozenset(),
) -> api_versions.ApiVersionsResponse:
    """The ApiVersions answer for a request at ``request_version``.

    Lists every declared API except ``exclude`` (e.g. the SASL APIs when no SASL listener is
    configured). If ``request_version`` is above our maximum, this is the KIP-511 fallback of
    ``ApiVersionsRequest.getErrorResponse``: UNSUPPORTED_VERSION (35) with only the ApiVersions
    range, which the caller must encode at version 0 (``Request.response_version``).
    """
    spec = API_REGISTRY[ApiKey.API_VERSIONS]
    if request_version > spec.max_version:
        return api_versions.ApiVersionsResponse(
            error_code=35,
            api_keys=(api_versions.ApiVersion(api_key=18, min_version=spec.min_version, max_version=spec.max_version),),
        )
    return api_versions.ApiVersionsResponse(
        error_code=0,
        api_keys=tuple(
            api_versions.ApiVersion(api_key=int(s.api_key), min_version=s.min_version, max_version=s.max_version)
            for s in API_REGISTRY.values()
            if s.api_key not in exclude
        ),
        throttle_time_ms=throttle_time_ms,
    )


# KIP-511: what ApiVersionsRequest.isValid accepts as a client software name or version.
_SOFTWARE_NAME_OR_VERSION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?")


def api_versions_request_is_valid(body: api_versions.ApiVersionsRequest, version: int) -> bool:
    """False if a v3+ request's software name or version breaks KIP-511's pattern.

    Kafka then answers INVALID_REQUEST (42) at the request's version instead of the API list.
    """
    if version < 3:
        return True
    return all(
        _SOFTWARE_NAME_OR_VERSION.fullmatch(value)
        for value in (body.client_software_name, body.client_software_version)
    )
