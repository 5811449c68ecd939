"""Our own small Kafka client on trio (design §3): inter-broker traffic and the CLI's tools.

* ``BrokerConnection`` -- one negotiated connection to one broker (the controller channel and
  the replica fetchers use it directly).
* ``KafkaClient`` -- connections to a cluster plus its metadata (``NetworkClient``/``Metadata``).
* ``KafkaAdminClient``, ``KafkaProducer``, ``KafkaConsumer`` -- what the CLI builds on.

It speaks only the Kafka protocol (``kafka_clone.protocol``), so it works against any Kafka
broker; real clients (kafka-python, librdkafka) stay test-only dependencies.
"""

from .admin import (
    AlterConfigOp,
    AlterConfigOpType,
    ClusterDescription,
    ConfigEntry,
    ConfigResource,
    ConfigResourceType,
    ConfigResult,
    ConfigSource,
    KafkaAdminClient,
    NewPartitions,
    NewTopic,
    TopicResult,
)
from .connection import BrokerConnection, negotiate_versions
from .consumer import ConsumerRecord, KafkaConsumer
from .errors import KafkaConnectionError, KafkaTimeoutError
from .metadata import ClusterMetadata, Node, PartitionMetadata, TopicMetadata, parse_bootstrap_servers
from .network_client import KafkaClient
from .offsets import EARLIEST, LATEST, ListOffsetsResult
from .partitioner import murmur2, partition_for_key, to_positive
from .producer import KafkaProducer, ProducerRecord, RecordMetadata

__all__ = [
    "AlterConfigOp",
    "AlterConfigOpType",
    "BrokerConnection",
    "ClusterDescription",
    "ClusterMetadata",
    "ConfigEntry",
    "ConfigResource",
    "ConfigResourceType",
    "ConfigResult",
    "ConfigSource",
    "ConsumerRecord",
    "EARLIEST",
    "KafkaAdminClient",
    "KafkaClient",
    "KafkaConnectionError",
    "KafkaConsumer",
    "KafkaProducer",
    "KafkaTimeoutError",
    "LATEST",
    "ListOffsetsResult",
    "NewPartitions",
    "NewTopic",
    "Node",
    "PartitionMetadata",
    "ProducerRecord",
    "RecordMetadata",
    "TopicMetadata",
    "TopicResult",
    "murmur2",
    "negotiate_versions",
    "parse_bootstrap_servers",
    "partition_for_key",
    "to_positive",
]
