"""`kclone zk tree`: the znode tree with data, the way a student explores it with zkCli.

Ephemeral znodes are marked with their owner session, so one can see that `/controller` and
`/brokers/ids/<id>` belong to a broker's session and vanish with it.
"""

from __future__ import annotations

from typing import AsyncIterator

import attrs

from zk.client import NoNodeError, Stat, ZkClient


@attrs.frozen
class ZNodeView:
    path: str
    data: bytes | None
    stat: Stat

    @property
    def ephemeral(self) -> bool:
        return self.stat.ephemeral_owner != 0

    def render(self, *, indent: bool = True) -> str:
        depth = self.path.count("/") - 1 if self.path != "/" else 0
        name = self.path.rsplit("/", 1)[-1] or "/"
        shown = "null" if self.data is None else self.data.decode("utf-8", errors="replace")
        mark = f"  [ephemeral, owner session 0x{self.stat.ephemeral_owner:x}]" if self.ephemeral else ""
        version = f"  (dataVersion {self.stat.version})" if self.stat.version else ""
        prefix = "  " * depth if indent else ""
        label = name if indent else self.path
        return f"{prefix}{label} = {shown}{mark}{version}"


async def walk(zk: ZkClient, path: str = "/", *, include_zookeeper: bool = False) -> AsyncIterator[ZNodeView]:
    """Depth-first, children sorted; a znode deleted while we walk is skipped."""
    try:
        data, stat = await zk.get(path)
        children = sorted(await zk.get_children(path))
    except NoNodeError:
        return
    yield ZNodeView(path, data, stat)
    for child in children:
        child_path = f"{path.rstrip('/')}/{child}"
        if child_path == "/zookeeper" and not include_zookeeper:
            continue
        async for view in walk(zk, child_path, include_zookeeper=include_zookeeper):
            yield view
