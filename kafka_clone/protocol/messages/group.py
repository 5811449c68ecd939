"""The group membership protocol: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
LeaveGroup (13) and SyncGroup (14).

Mirrors the corresponding Kafka 2.8 JSON specs. ``metadata`` and ``assignment`` bytes are the
opaque ConsumerProtocol payloads the coordinator stores and echoes.
"""

from __future__ import annotations

from ..schema import ArrayOf, BYTES, INT16, INT32, INT8, STRING, f, message, struct


@message(api_key=10, valid="0-3", flexible="3+")
class FindCoordinatorRequest:
    key: str = f(STRING)
    key_type: int = f(INT8, "1+")


@message(api_key=10, valid="0-3", flexible="3+")
class FindCoordinatorResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16)
    error_message: str | None = f(STRING, "1+", nullable="1+")
    node_id: int = f(INT32)
    host: str = f(STRING)
    port: int = f(INT32)


@struct
class JoinGroupRequestProtocol:
    name: str = f(STRING)
    metadata: bytes = f(BYTES)


@message(api_key=11, valid="0-7", flexible="6+")
class JoinGroupRequest:
    group_id: str = f(STRING)
    session_timeout_ms: int = f(INT32)
    rebalance_timeout_ms: int = f(INT32, "1+", default=-1)
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "5+", nullable="5+", default=None)
    protocol_type: str = f(STRING)
    protocols: tuple[JoinGroupRequestProtocol, ...] = f(ArrayOf(JoinGroupRequestProtocol))


@struct
class JoinGroupResponseMember:
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "5+", nullable="5+", default=None)
    metadata: bytes = f(BYTES)


@message(api_key=11, valid="0-7", flexible="6+")
class JoinGroupResponse:
    throttle_time_ms: int = f(INT32, "2+")
    error_code: int = f(INT16)
    generation_id: int = f(INT32, default=-1)
    protocol_type: str | None = f(STRING, "7+", nullable="7+", default=None)
    protocol_name: str | None = f(STRING, nullable="7+")
    leader: str = f(STRING)
    member_id: str = f(STRING)
    members: tuple[JoinGroupResponseMember, ...] = f(ArrayOf(JoinGroupResponseMember))


@message(api_key=12, valid="0-4", flexible="4+")
class HeartbeatRequest:
    group_id: str = f(STRING)
    generation_id: int = f(INT32)
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "3+", nullable="3+", default=None)


@message(api_key=12, valid="0-4", flexible="4+")
class HeartbeatResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16)


@struct
class MemberIdentity:
    member_id: str = f(STRING, "3+")
    group_instance_id: str | None = f(STRING, "3+", nullable="3+", default=None)


@message(api_key=13, valid="0-4", flexible="4+")
class LeaveGroupRequest:
    group_id: str = f(STRING)
    member_id: str = f(STRING, "0-2")
    members: tuple[MemberIdentity, ...] = f(ArrayOf(MemberIdentity), "3+")


@struct
class MemberResponse:
    member_id: str = f(STRING, "3+")
    group_instance_id: str | None = f(STRING, "3+", nullable="3+")
    error_code: int = f(INT16, "3+")


@message(api_key=13, valid="0-4", flexible="4+")
class LeaveGroupResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16)
    members: tuple[MemberResponse, ...] = f(ArrayOf(MemberResponse), "3+")


@struct
class SyncGroupRequestAssignment:
    member_id: str = f(STRING)
    assignment: bytes = f(BYTES)


@message(api_key=14, valid="0-5", flexible="4+")
class SyncGroupRequest:
    group_id: str = f(STRING)
    generation_id: int = f(INT32)
    member_id: str = f(STRING)
    group_instance_id: str | None = f(STRING, "3+", nullable="3+", default=None)
    protocol_type: str | None = f(STRING, "5+", nullable="5+", default=None)
    protocol_name: str | None = f(STRING, "5+", nullable="5+", default=None)
    assignments: tuple[SyncGroupRequestAssignment, ...] = f(ArrayOf(SyncGroupRequestAssignment))


@message(api_key=14, valid="0-5", flexible="4+")
class SyncGroupResponse:
    throttle_time_ms: int = f(INT32, "1+")
    error_code: int = f(INT16)
    protocol_type: str | None = f(STRING, "5+", nullable="5+", default=None)
    protocol_name: str | None = f(STRING, "5+", nullable="5+", default=None)
    assignment: bytes = f(BYTES)
