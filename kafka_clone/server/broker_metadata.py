"""`meta.properties` in each log dir: which broker and cluster the data belongs to.

Mirrors Kafka's `BrokerMetadataCheckpoint` (server/BrokerMetadataCheckpoint.scala): version 0
holds `broker.id` and `cluster.id`.  A broker refuses to start when its log dirs disagree with each
other, with `broker.id`, or with `/cluster/id` (Kafka's InconsistentBrokerIdException and
InconsistentClusterIdException): mixing two clusters' data in one log dir would lose data.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import attrs

from kafka_clone.server.config import ConfigError, parse_properties

FILE_NAME = "meta.properties"


class InconsistentBrokerMetadataError(ConfigError):
    pass


@attrs.frozen
class BrokerMetadata:
    broker_id: int
    cluster_id: str | None


def read(log_dir: str | Path) -> BrokerMetadata | None:
    path = Path(log_dir) / FILE_NAME
    try:
        props = parse_properties(path.read_text())
    except FileNotFoundError:
        return None
    if props.get("version", "0") != "0":
        raise InconsistentBrokerMetadataError(f"{path}: unrecognized meta.properties version {props.get('version')}")
    try:
        return BrokerMetadata(int(props["broker.id"]), props.get("cluster.id"))
    except (KeyError, ValueError):
        raise InconsistentBrokerMetadataError(f"{path}: no valid broker.id") from None


def write(log_dir: str | Path, metadata: BrokerMetadata) -> None:
    """Write atomically (tmp + fsync + rename), with Java Properties' comment header."""
    path = Path(log_dir) / FILE_NAME
    stamp = datetime.datetime.now().strftime("%a %b %d %H:%M:%S UTC %Y")
    lines = ["#", f"#{stamp}", f"broker.id={metadata.broker_id}", "version=0"]
    if metadata.cluster_id:
        lines.insert(2, f"cluster.id={metadata.cluster_id}")
    tmp = path.with_suffix(".properties.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def check_and_write(log_dirs: tuple[str, ...], broker_id: int, cluster_id: str) -> None:
    """Validate every log dir's meta.properties against `broker_id`/`cluster_id`, then write it."""
    for d in log_dirs:
        Path(d).mkdir(parents=True, exist_ok=True)
    found = {d: read(d) for d in log_dirs}
    for d, meta in found.items():
        if meta is None:
            continue
        if meta.broker_id != broker_id:
            raise InconsistentBrokerMetadataError(
                f"Configured broker.id {broker_id} doesn't match stored broker.id {meta.broker_id} in "
                f"meta.properties of {d}. If you moved your data, make sure your configured broker.id matches."
            )
        if meta.cluster_id and meta.cluster_id != cluster_id:
            raise InconsistentBrokerMetadataError(
                f"The Cluster ID {cluster_id} doesn't match stored clusterId Some({meta.cluster_id}) in "
                f"meta.properties of {d}. The broker is trying to join the wrong cluster."
            )
    for d in log_dirs:
        write(d, BrokerMetadata(broker_id, cluster_id))


def stored_broker_id(log_dirs: tuple[str, ...]) -> int | None:
    """The broker id recorded in the log dirs (for `broker.id=-1`, generated earlier)."""
    ids = {m.broker_id for m in (read(d) for d in log_dirs if Path(d).exists()) if m}
    if len(ids) > 1:
        raise InconsistentBrokerMetadataError(
            f"Failed to match broker.id across log.dirs: found {sorted(ids)}")
    return ids.pop() if ids else None
