"""Group administration: DescribeGroups (15), ListGroups (16) and DeleteGroups (42).

Mirrors the corresponding Kafka 2.8 JSON specs.
"""

from __future__ import annotations

from ..schema import ArrayOf, BOOL, BYTES, INT16, INT32, STRING, f, message, struct


@message(api_key=15, valid="0-5", flexible="5+")
class DescribeGroupsRequest:
    groups: tuple[str, ...] = f(ArrayOf(STRING))
    include_authorized_operations: bool = f(BOOL, "3+")


@struct
class DescribedGroupMember:
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "4+", nullable="4+", default=None)
    client_id: str = f(STRING)
    client_host: str = f(STRING)
    member_metadata: bytes = f(BYTES)
    member_assignment: bytes = f(BYTES)


@struct
class DescribedGroup:
    error_code: int = f(INT16)
    group_id: str = f(STRING)
    group_state: str = f(STRING)
    protocol_type: str = f(STRING)
    protocol_data: str = f(STRING)
    members: tuple[DescribedGroupMember, ...] = f(ArrayOf(DescribedGroupMember))
    authorized_operations: int = f(INT32, "3+", default=-2147483648)


@message(api_key=15, valid="0-5", flexible="5+")
class DescribeGroupsResponse:
    throttle_time_ms: int = f(INT32, "1+")
    groups: tuple[DescribedGroup, ...] = f(ArrayOf(DescribedGroup))


@message(api_key=16, valid="0-4", flexible="3+")
class ListGroupsRequest:
    states_filter: tuple[str, ...] = f(ArrayOf(STRING), "4+")


@struct
class ListedGroup:
    group_id: str = f(STRING)
    protocol_type: str = f(STRING)
    group_state: str = f(STRING, "4+")


@message(api_key=16, valid="0-4", flexible="3+")
class ListGroupsResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16)
    groups: tuple[ListedGroup, ...] = f(ArrayOf(ListedGroup))


@message(api_key=42, valid="0-2", flexible="2+")
class DeleteGroupsRequest:
    groups_names: tuple[str, ...] = f(ArrayOf(STRING))


@struct
class DeletableGroupResult:
    group_id: str = f(STRING)
    error_code: int = f(INT16)


@message(api_key=42, valid="0-2", flexible="2+")
class DeleteGroupsResponse:
    throttle_time_ms: int = f(INT32)
    results: tuple[DeletableGroupResult, ...] = f(ArrayOf(DeletableGroupResult))
