"""One member of a group: Kafka 2.8's ``coordinator/group/MemberMetadata.scala``.

A member is identified by its ``member_id`` (``clientId-UUID``, or ``groupInstanceId-UUID`` for
a static member, KIP-345) and carries what it sent in its last JoinGroup: timeouts, the protocol
type and its ``(name, metadata)`` list in preference order. The coordinator parks a member's
JoinGroup and SyncGroup requests on ``awaiting_join``/``awaiting_sync`` (Kafka's response
callbacks): a one-shot ``Reply`` that the handler's task waits on.

Invariants: at most one parked JoinGroup and one parked SyncGroup per member; a parked reply is
answered exactly once (a second answer is refused); ``assignment`` is the opaque bytes of the
current generation (empty until the leader's SyncGroup).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs
import trio

T = TypeVar("T")


@attrs.define(eq=False)
class Reply(Generic[T]):
    """A one-shot answer to a parked request (Kafka's ``awaitingJoinCallback``)."""

    _event: trio.Event = attrs.Factory(trio.Event)
    _value: T | None = None

    def send(self, value: T) -> bool:
        """Answer; False (and nothing changes) if already answered."""
        if self._event.is_set():
            return False
        self._value = value
        self._event.set()
        return True

    @property
    def answered(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> T:
        await self._event.wait()
        return self._value  # type: ignore[return-value]


@attrs.frozen
class MemberSummary:
    """What DescribeGroups shows of a member (Kafka's ``MemberSummary``)."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    metadata: bytes
    assignment: bytes


@attrs.define(eq=False)
class MemberMetadata:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    supported_protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    awaiting_join: Reply | None = None
    awaiting_sync: Reply | None = None
    #: Joined during the current rebalance and not yet answered (Kafka's ``isNew``).
    is_new: bool = False
    #: ``trio.current_time()`` after which the member is considered dead.
    heartbeat_deadline: float = 0.0

    @property
    def is_static(self) -> bool:
        return self.group_instance_id is not None

    @property
    def is_awaiting_join(self) -> bool:
        return self.awaiting_join is not None

    @property
    def is_awaiting_sync(self) -> bool:
        return self.awaiting_sync is not None

    def protocols(self) -> set[str]:
        return {name for name, _ in self.supported_protocols}

    def metadata(self, protocol: str) -> bytes:
        for name, metadata in self.supported_protocols:
            if name == protocol:
                return metadata
        raise ValueError(f"member {self.member_id} does not support protocol {protocol}")

    def matches(self, protocols: tuple[tuple[str, bytes], ...]) -> bool:
        """Same protocols with the same metadata, in the same order (Kafka's ``matches``)."""
        return tuple((n, bytes(m)) for n, m in protocols) == tuple(
            (n, bytes(m)) for n, m in self.supported_protocols)

    def vote(self, candidates: set[str]) -> str:
        """The first of our protocols (in our preference order) that every member supports."""
        for name, _ in self.supported_protocols:
            if name in candidates:
                return name
        raise ValueError(f"member {self.member_id} supports none of {sorted(candidates)}")

    def summary(self, protocol: str | None) -> MemberSummary:
        """With metadata and assignment only in Stable (``protocol`` given), as Kafka's summary."""
        if protocol is None:
            return MemberSummary(self.member_id, self.group_instance_id, self.client_id, self.client_host, b"", b"")
        return MemberSummary(self.member_id, self.group_instance_id, self.client_id, self.client_host,
                             self.metadata(protocol), self.assignment)
