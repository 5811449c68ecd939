"""The `kclone` console script."""

import click


@click.group()
def main() -> None:
    """kafka-clone: classic ZooKeeper-era Kafka in Python."""
