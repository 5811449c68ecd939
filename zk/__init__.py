"""ZooKeeper for kafka-clone: the ensemble launcher, the trio bridge to kazoo and Kafka 2.8's znodes."""
