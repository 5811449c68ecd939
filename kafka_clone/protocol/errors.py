"""Kafka's error codes: one table, mirroring ``org.apache.kafka.common.protocol.Errors`` (2.8).

Every error a broker can put on the wire is a ``KafkaError`` subclass carrying

* ``code``      -- the int16 sent in ``error_code`` fields (never changes across releases),
* ``name``      -- Kafka's enum name (``CORRUPT_MESSAGE``), used in logs and by the CLI,
* ``retriable`` -- whether the Java exception subclasses ``RetriableException``,
* ``message``   -- Kafka's default message, used when no detail is given.

The class name is the CamelCase of the enum name (``CORRUPT_MESSAGE`` -> ``CorruptMessage``),
so ``errors.CorruptMessage`` reads like ``Errors.CORRUPT_MESSAGE``. Each class is declared
explicitly (one statement per error) so readers and type checkers can find it; the keyword
arguments of the class statement are the table row, registered by ``__init_subclass__``.

Handlers raise these for whole-request failures; per-partition errors are returned as
``SomeError.code`` values. ``code_for_exception`` maps anything else to
``UNKNOWN_SERVER_ERROR`` (-1), as Kafka's ``Errors.forException`` does.

``InvalidRequestError`` is the protocol fault of the sans-IO layer: the peer sent bytes we cannot
parse (an h11 ``RemoteProtocolError``). It is ``INVALID_REQUEST`` (42), so a handler that lets
it escape still produces a meaningful code; the network layer closes the connection on it, like
``SocketServer`` does for ``InvalidRequestException``.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "KafkaError",
    "InvalidRequestError",
    "FrameTooLarge",
    "InvalidResponseError",
    "error_for_code",
    "code_for_exception",
    "ALL_ERRORS",
    "NONE_CODE",
]

#: The "no error" code. It has no exception class: a response field holding 0 means success.
NONE_CODE = 0

_BY_CODE: dict[int, type["KafkaError"]] = {}


class KafkaError(Exception):
    """Base of every Kafka protocol error. ``SomeError("detail")``; the detail is optional."""

    code: ClassVar[int]
    name: ClassVar[str]
    retriable: ClassVar[bool]
    message: ClassVar[str]

    def __init_subclass__(
        cls,
        *,
        code: int | None = None,
        name: str | None = None,
        retriable: bool = False,
        message: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is None:
            # A plain subclass (e.g. InvalidRequestError) refines an existing row.
            return
        assert name is not None and message is not None, cls
        assert code not in _BY_CODE, f"duplicate error code {code}"
        cls.code = code
        cls.name = name
        cls.retriable = retriable
        cls.message = message
        _BY_CODE[code] = cls

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail if detail is not None else self.message)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


# fmt: off
class UnknownServerError(KafkaError, code=-1, name="UNKNOWN_SERVER_ERROR", message="The server experienced an unexpected error when processing the request."): pass  # noqa: E501,E701
class OffsetOutOfRange(KafkaError, code=1, name="OFFSET_OUT_OF_RANGE", message="The requested offset is not within the range of offsets maintained by the server."): pass  # noqa: E501,E701
class CorruptMessage(KafkaError, code=2, name="CORRUPT_MESSAGE", retriable=True, message="This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."): pass  # noqa: E501,E701
class UnknownTopicOrPartition(KafkaError, code=3, name="UNKNOWN_TOPIC_OR_PARTITION", retriable=True, message="This server does not host this topic-partition."): pass  # noqa: E501,E701
class InvalidFetchSize(KafkaError, code=4, name="INVALID_FETCH_SIZE", message="The requested fetch size is invalid."): pass  # noqa: E501,E701
class LeaderNotAvailable(KafkaError, code=5, name="LEADER_NOT_AVAILABLE", retriable=True, message="There is no leader for this topic-partition as we are in the middle of a leadership election."): pass  # noqa: E501,E701
class NotLeaderOrFollower(KafkaError, code=6, name="NOT_LEADER_OR_FOLLOWER", retriable=True, message="For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."): pass  # noqa: E501,E701
class RequestTimedOut(KafkaError, code=7, name="REQUEST_TIMED_OUT", retriable=True, message="The request timed out."): pass  # noqa: E501,E701
class BrokerNotAvailable(KafkaError, code=8, name="BROKER_NOT_AVAILABLE", message="The broker is not available."): pass  # noqa: E501,E701
class ReplicaNotAvailable(KafkaError, code=9, name="REPLICA_NOT_AVAILABLE", retriable=True, message="The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition."): pass  # noqa: E501,E701
class MessageTooLarge(KafkaError, code=10, name="MESSAGE_TOO_LARGE", message="The request included a message larger than the max message size the server will accept."): pass  # noqa: E501,E701
class StaleControllerEpoch(KafkaError, code=11, name="STALE_CONTROLLER_EPOCH", message="The controller moved to another broker."): pass  # noqa: E501,E701
class OffsetMetadataTooLarge(KafkaError, code=12, name="OFFSET_METADATA_TOO_LARGE", message="The metadata field of the offset request was too large."): pass  # noqa: E501,E701
class NetworkException(KafkaError, code=13, name="NETWORK_EXCEPTION", retriable=True, message="The server disconnected before a response was received."): pass  # noqa: E501,E701
class CoordinatorLoadInProgress(KafkaError, code=14, name="COORDINATOR_LOAD_IN_PROGRESS", retriable=True, message="The coordinator is loading and hence can't process requests."): pass  # noqa: E501,E701
class CoordinatorNotAvailable(KafkaError, code=15, name="COORDINATOR_NOT_AVAILABLE", retriable=True, message="The coordinator is not available."): pass  # noqa: E501,E701
class NotCoordinator(KafkaError, code=16, name="NOT_COORDINATOR", retriable=True, message="This is not the correct coordinator."): pass  # noqa: E501,E701
class InvalidTopicException(KafkaError, code=17, name="INVALID_TOPIC_EXCEPTION", message="The request attempted to perform an operation on an invalid topic."): pass  # noqa: E501,E701
class RecordListTooLarge(KafkaError, code=18, name="RECORD_LIST_TOO_LARGE", message="The request included message batch larger than the configured segment size on the server."): pass  # noqa: E501,E701
class NotEnoughReplicas(KafkaError, code=19, name="NOT_ENOUGH_REPLICAS", retriable=True, message="Messages are rejected since there are fewer in-sync replicas than required."): pass  # noqa: E501,E701
class NotEnoughReplicasAfterAppend(KafkaError, code=20, name="NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable=True, message="Messages are written to the log, but to fewer in-sync replicas than required."): pass  # noqa: E501,E701
class InvalidRequiredAcks(KafkaError, code=21, name="INVALID_REQUIRED_ACKS", message="Produce request specified an invalid value for required acks."): pass  # noqa: E501,E701
class IllegalGeneration(KafkaError, code=22, name="ILLEGAL_GENERATION", message="Specified group generation id is not valid."): pass  # noqa: E501,E701
class InconsistentGroupProtocol(KafkaError, code=23, name="INCONSISTENT_GROUP_PROTOCOL", message="The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list."): pass  # noqa: E501,E701
class InvalidGroupId(KafkaError, code=24, name="INVALID_GROUP_ID", message="The configured groupId is invalid."): pass  # noqa: E501,E701
class UnknownMemberId(KafkaError, code=25, name="UNKNOWN_MEMBER_ID", message="The coordinator is not aware of this member."): pass  # noqa: E501,E701
class InvalidSessionTimeout(KafkaError, code=26, name="INVALID_SESSION_TIMEOUT", message="The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."): pass  # noqa: E501,E701
class RebalanceInProgress(KafkaError, code=27, name="REBALANCE_IN_PROGRESS", message="The group is rebalancing, so a rejoin is needed."): pass  # noqa: E501,E701
class InvalidCommitOffsetSize(KafkaError, code=28, name="INVALID_COMMIT_OFFSET_SIZE", message="The committing offset data size is not valid."): pass  # noqa: E501,E701
class TopicAuthorizationFailed(KafkaError, code=29, name="TOPIC_AUTHORIZATION_FAILED", message="Topic authorization failed."): pass  # noqa: E501,E701
class GroupAuthorizationFailed(KafkaError, code=30, name="GROUP_AUTHORIZATION_FAILED", message="Group authorization failed."): pass  # noqa: E501,E701
class ClusterAuthorizationFailed(KafkaError, code=31, name="CLUSTER_AUTHORIZATION_FAILED", message="Cluster authorization failed."): pass  # noqa: E501,E701
class InvalidTimestamp(KafkaError, code=32, name="INVALID_TIMESTAMP", message="The timestamp of the message is out of acceptable range."): pass  # noqa: E501,E701
class UnsupportedSaslMechanism(KafkaError, code=33, name="UNSUPPORTED_SASL_MECHANISM", message="The broker does not support the requested SASL mechanism."): pass  # noqa: E501,E701
class IllegalSaslState(KafkaError, code=34, name="ILLEGAL_SASL_STATE", message="Request is not valid given the current SASL state."): pass  # noqa: E501,E701
class UnsupportedVersion(KafkaError, code=35, name="UNSUPPORTED_VERSION", message="The version of API is not supported."): pass  # noqa: E501,E701
class TopicAlreadyExists(KafkaError, code=36, name="TOPIC_ALREADY_EXISTS", message="Topic with this name already exists."): pass  # noqa: E501,E701
class InvalidPartitions(KafkaError, code=37, name="INVALID_PARTITIONS", message="Number of partitions is below 1."): pass  # noqa: E501,E701
class InvalidReplicationFactor(KafkaError, code=38, name="INVALID_REPLICATION_FACTOR", message="Replication factor is below 1 or larger than the number of available brokers."): pass  # noqa: E501,E701
class InvalidReplicaAssignment(KafkaError, code=39, name="INVALID_REPLICA_ASSIGNMENT", message="Replica assignment is invalid."): pass  # noqa: E501,E701
class InvalidConfig(KafkaError, code=40, name="INVALID_CONFIG", message="Configuration is invalid."): pass  # noqa: E501,E701
class NotController(KafkaError, code=41, name="NOT_CONTROLLER", retriable=True, message="This is not the correct controller for this cluster."): pass  # noqa: E501,E701
class InvalidRequest(KafkaError, code=42, name="INVALID_REQUEST", message="This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."): pass  # noqa: E501,E701
class UnsupportedForMessageFormat(KafkaError, code=43, name="UNSUPPORTED_FOR_MESSAGE_FORMAT", message="The message format version on the broker does not support the request."): pass  # noqa: E501,E701
class PolicyViolation(KafkaError, code=44, name="POLICY_VIOLATION", message="Request parameters do not satisfy the configured policy."): pass  # noqa: E501,E701
class OutOfOrderSequenceNumber(KafkaError, code=45, name="OUT_OF_ORDER_SEQUENCE_NUMBER", message="The broker received an out of order sequence number."): pass  # noqa: E501,E701
class DuplicateSequenceNumber(KafkaError, code=46, name="DUPLICATE_SEQUENCE_NUMBER", message="The broker received a duplicate sequence number."): pass  # noqa: E501,E701
class InvalidProducerEpoch(KafkaError, code=47, name="INVALID_PRODUCER_EPOCH", message="Producer attempted to produce with an old epoch."): pass  # noqa: E501,E701
class InvalidTxnState(KafkaError, code=48, name="INVALID_TXN_STATE", message="The producer attempted a transactional operation in an invalid state."): pass  # noqa: E501,E701
class InvalidProducerIdMapping(KafkaError, code=49, name="INVALID_PRODUCER_ID_MAPPING", message="The producer attempted to use a producer id which is not currently assigned to its transactional id."): pass  # noqa: E501,E701
class InvalidTransactionTimeout(KafkaError, code=50, name="INVALID_TRANSACTION_TIMEOUT", message="The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)."): pass  # noqa: E501,E701
class ConcurrentTransactions(KafkaError, code=51, name="CONCURRENT_TRANSACTIONS", retriable=True, message="The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."): pass  # noqa: E501,E701
class TransactionCoordinatorFenced(KafkaError, code=52, name="TRANSACTION_COORDINATOR_FENCED", message="Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."): pass  # noqa: E501,E701
class TransactionalIdAuthorizationFailed(KafkaError, code=53, name="TRANSACTIONAL_ID_AUTHORIZATION_FAILED", message="Transactional Id authorization failed."): pass  # noqa: E501,E701
class SecurityDisabled(KafkaError, code=54, name="SECURITY_DISABLED", message="Security features are disabled."): pass  # noqa: E501,E701
class OperationNotAttempted(KafkaError, code=55, name="OPERATION_NOT_ATTEMPTED", message="The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest."): pass  # noqa: E501,E701
class KafkaStorageError(KafkaError, code=56, name="KAFKA_STORAGE_ERROR", retriable=True, message="Disk error when trying to access log file on the disk."): pass  # noqa: E501,E701
class LogDirNotFound(KafkaError, code=57, name="LOG_DIR_NOT_FOUND", message="The user-specified log directory is not found in the broker config."): pass  # noqa: E501,E701
class SaslAuthenticationFailed(KafkaError, code=58, name="SASL_AUTHENTICATION_FAILED", message="SASL Authentication failed."): pass  # noqa: E501,E701
class UnknownProducerId(KafkaError, code=59, name="UNKNOWN_PRODUCER_ID", message="This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception."): pass  # noqa: E501,E701
class ReassignmentInProgress(KafkaError, code=60, name="REASSIGNMENT_IN_PROGRESS", message="A partition reassignment is in progress."): pass  # noqa: E501,E701
class DelegationTokenAuthDisabled(KafkaError, code=61, name="DELEGATION_TOKEN_AUTH_DISABLED", message="Delegation Token feature is not enabled."): pass  # noqa: E501,E701
class DelegationTokenNotFound(KafkaError, code=62, name="DELEGATION_TOKEN_NOT_FOUND", message="Delegation Token is not found on server."): pass  # noqa: E501,E701
class DelegationTokenOwnerMismatch(KafkaError, code=63, name="DELEGATION_TOKEN_OWNER_MISMATCH", message="Specified Principal is not valid Owner/Renewer."): pass  # noqa: E501,E701
class DelegationTokenRequestNotAllowed(KafkaError, code=64, name="DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", message="Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."): pass  # noqa: E501,E701
class DelegationTokenAuthorizationFailed(KafkaError, code=65, name="DELEGATION_TOKEN_AUTHORIZATION_FAILED", message="Delegation Token authorization failed."): pass  # noqa: E501,E701
class DelegationTokenExpired(KafkaError, code=66, name="DELEGATION_TOKEN_EXPIRED", message="Delegation Token is expired."): pass  # noqa: E501,E701
class InvalidPrincipalType(KafkaError, code=67, name="INVALID_PRINCIPAL_TYPE", message="Supplied principalType is not supported."): pass  # noqa: E501,E701
class NonEmptyGroup(KafkaError, code=68, name="NON_EMPTY_GROUP", message="The group is not empty."): pass  # noqa: E501,E701
class GroupIdNotFound(KafkaError, code=69, name="GROUP_ID_NOT_FOUND", message="The group id does not exist."): pass  # noqa: E501,E701
class FetchSessionIdNotFound(KafkaError, code=70, name="FETCH_SESSION_ID_NOT_FOUND", retriable=True, message="The fetch session ID was not found."): pass  # noqa: E501,E701
class InvalidFetchSessionEpoch(KafkaError, code=71, name="INVALID_FETCH_SESSION_EPOCH", retriable=True, message="The fetch session epoch is invalid."): pass  # noqa: E501,E701
class ListenerNotFound(KafkaError, code=72, name="LISTENER_NOT_FOUND", retriable=True, message="There is no listener on the leader broker that matches the listener on which metadata request was processed."): pass  # noqa: E501,E701
class TopicDeletionDisabled(KafkaError, code=73, name="TOPIC_DELETION_DISABLED", message="Topic deletion is disabled."): pass  # noqa: E501,E701
class FencedLeaderEpoch(KafkaError, code=74, name="FENCED_LEADER_EPOCH", retriable=True, message="The leader epoch in the request is older than the epoch on the broker."): pass  # noqa: E501,E701
class UnknownLeaderEpoch(KafkaError, code=75, name="UNKNOWN_LEADER_EPOCH", retriable=True, message="The leader epoch in the request is newer than the epoch on the broker."): pass  # noqa: E501,E701
class UnsupportedCompressionType(KafkaError, code=76, name="UNSUPPORTED_COMPRESSION_TYPE", message="The requesting client does not support the compression type of given partition."): pass  # noqa: E501,E701
class StaleBrokerEpoch(KafkaError, code=77, name="STALE_BROKER_EPOCH", message="Broker epoch has changed."): pass  # noqa: E501,E701
class OffsetNotAvailable(KafkaError, code=78, name="OFFSET_NOT_AVAILABLE", retriable=True, message="The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."): pass  # noqa: E501,E701
class MemberIdRequired(KafkaError, code=79, name="MEMBER_ID_REQUIRED", message="The group member needs to have a valid member id before actually entering a consumer group."): pass  # noqa: E501,E701
class PreferredLeaderNotAvailable(KafkaError, code=80, name="PREFERRED_LEADER_NOT_AVAILABLE", retriable=True, message="The preferred leader was not available."): pass  # noqa: E501,E701
class GroupMaxSizeReached(KafkaError, code=81, name="GROUP_MAX_SIZE_REACHED", message="The consumer group has reached its max size."): pass  # noqa: E501,E701
class FencedInstanceId(KafkaError, code=82, name="FENCED_INSTANCE_ID", message="The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."): pass  # noqa: E501,E701
class EligibleLeadersNotAvailable(KafkaError, code=83, name="ELIGIBLE_LEADERS_NOT_AVAILABLE", retriable=True, message="Eligible topic partition leaders are not available."): pass  # noqa: E501,E701
class ElectionNotNeeded(KafkaError, code=84, name="ELECTION_NOT_NEEDED", retriable=True, message="Leader election not needed for topic partition."): pass  # noqa: E501,E701
class NoReassignmentInProgress(KafkaError, code=85, name="NO_REASSIGNMENT_IN_PROGRESS", message="No partition reassignment is in progress."): pass  # noqa: E501,E701
class GroupSubscribedToTopic(KafkaError, code=86, name="GROUP_SUBSCRIBED_TO_TOPIC", message="Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."): pass  # noqa: E501,E701
class InvalidRecord(KafkaError, code=87, name="INVALID_RECORD", message="This record has failed the validation on broker and hence will be rejected."): pass  # noqa: E501,E701
class UnstableOffsetCommit(KafkaError, code=88, name="UNSTABLE_OFFSET_COMMIT", retriable=True, message="There are unstable offsets that need to be cleared."): pass  # noqa: E501,E701
class ThrottlingQuotaExceeded(KafkaError, code=89, name="THROTTLING_QUOTA_EXCEEDED", retriable=True, message="The throttling quota has been exceeded."): pass  # noqa: E501,E701
class ProducerFenced(KafkaError, code=90, name="PRODUCER_FENCED", message="There is a newer producer with the same transactionalId which fences the current one."): pass  # noqa: E501,E701
class ResourceNotFound(KafkaError, code=91, name="RESOURCE_NOT_FOUND", message="A request illegally referred to a resource that does not exist."): pass  # noqa: E501,E701
class DuplicateResource(KafkaError, code=92, name="DUPLICATE_RESOURCE", message="A request illegally referred to the same resource twice."): pass  # noqa: E501,E701
class UnacceptableCredential(KafkaError, code=93, name="UNACCEPTABLE_CREDENTIAL", message="Requested credential would not meet criteria for acceptability."): pass  # noqa: E501,E701
class InconsistentVoterSet(KafkaError, code=94, name="INCONSISTENT_VOTER_SET", message="Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters"): pass  # noqa: E501,E701
class InvalidUpdateVersion(KafkaError, code=95, name="INVALID_UPDATE_VERSION", message="The given update version was invalid."): pass  # noqa: E501,E701
class FeatureUpdateFailed(KafkaError, code=96, name="FEATURE_UPDATE_FAILED", message="Unable to update finalized features due to an unexpected server error."): pass  # noqa: E501,E701
class PrincipalDeserializationFailure(KafkaError, code=97, name="PRINCIPAL_DESERIALIZATION_FAILURE", message="Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup."): pass  # noqa: E501,E701
class SnapshotNotFound(KafkaError, code=98, name="SNAPSHOT_NOT_FOUND", message="Requested snapshot was not found"): pass  # noqa: E501,E701
class PositionOutOfRange(KafkaError, code=99, name="POSITION_OUT_OF_RANGE", message="Requested position is not greater than or equal to zero, and less than the size of the snapshot."): pass  # noqa: E501,E701
class UnknownTopicId(KafkaError, code=100, name="UNKNOWN_TOPIC_ID", retriable=True, message="This server does not host this topic ID."): pass  # noqa: E501,E701
class DuplicateBrokerRegistration(KafkaError, code=101, name="DUPLICATE_BROKER_REGISTRATION", message="This broker ID is already in use."): pass  # noqa: E501,E701
class BrokerIdNotRegistered(KafkaError, code=102, name="BROKER_ID_NOT_REGISTERED", message="The given broker ID was not registered."): pass  # noqa: E501,E701
class InconsistentTopicId(KafkaError, code=103, name="INCONSISTENT_TOPIC_ID", retriable=True, message="The log's topic ID did not match the topic ID in the request"): pass  # noqa: E501,E701
# fmt: on


class InvalidRequestError(InvalidRequest):
    """The peer sent bytes we cannot parse (h11's ``RemoteProtocolError``).

    Raised by the sans-IO layer for malformed frames, unknown api keys and unsupported versions
    (other than ApiVersions, KIP-511). The network layer logs it and closes the connection, as
    Kafka's ``SocketServer`` does for ``InvalidRequestException``; no response is sent.
    """


class FrameTooLarge(InvalidRequestError):
    """The int32 size prefix exceeds ``socket.request.max.bytes``.

    Raised before any of the body is buffered (Kafka's ``InvalidReceiveException`` from
    ``NetworkReceive``), so a hostile or confused peer cannot make us allocate the frame.
    """

    def __init__(self, size: int, max_size: int) -> None:
        super().__init__(f"frame of {size} bytes exceeds the maximum request size {max_size}")
        self.size = size
        self.max_size = max_size


class InvalidResponseError(Exception):
    """A broker's response frame we cannot parse or did not expect (client side).

    Not a Kafka error code: our own client closes the connection on it, as Kafka's
    ``NetworkClient`` does on a correlation id mismatch.
    """


#: Every error class, ordered by code.
ALL_ERRORS: tuple[type[KafkaError], ...] = tuple(_BY_CODE[c] for c in sorted(_BY_CODE))


def error_for_code(code: int) -> type[KafkaError]:
    """The error class for a wire ``error_code``.

    Unknown codes map to ``UnknownServerError``, as ``Errors.forCode`` does. ``0`` (NONE) is not
    an error and raises ``ValueError``: callers test ``code != 0`` first.
    """
    if code == NONE_CODE:
        raise ValueError("error code 0 is NONE, not an error")
    return _BY_CODE.get(code, UnknownServerError)


def code_for_exception(exc: BaseException) -> int:
    """The wire ``error_code`` for an exception; anything that is not a ``KafkaError`` is -1."""
    if isinstance(exc, KafkaError):
        return exc.code
    return UnknownServerError.code
