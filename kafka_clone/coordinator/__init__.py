"""Broker-side coordinators (Kafka's ``kafka.coordinator``): the group coordinator lives in ``group``."""
