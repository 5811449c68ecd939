"""Kafka's command-line tools that are more than a thin command: the perf tests
(``ProducerPerformance``, ``ConsumerPerformance``) and the JVM formatting they print with."""
