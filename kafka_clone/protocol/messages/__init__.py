"""Declarations of every request and response we speak, one module per API family.

Each module declares Kafka's JSON message specs (2.8) in our DSL (``..schema``): frozen attrs
classes with Kafka's field names in snake_case, restricted to the versions we support.
``..api_keys.API_REGISTRY`` ties them to api keys.
"""
