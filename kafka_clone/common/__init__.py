"""Shared pure helpers: topic names (Kafka's ``Topic.java``), Jackson-exact JSON and JVM map ordering."""
