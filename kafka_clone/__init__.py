"""kafka-clone: classic ZooKeeper-era Apache Kafka, re-implemented in Python for teaching."""
