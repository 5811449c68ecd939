"""The protocol layer is sans-IO and self-contained (design §3, style B1/B2)."""

from __future__ import annotations

import ast
import pathlib

import kafka_clone.protocol

PACKAGE = pathlib.Path(kafka_clone.protocol.__file__).parent
FORBIDDEN = ("trio", "kazoo", "socket", "asyncio", "selectors", "threading")


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_protocol_imports_nothing_else_of_ours_and_no_io():
    for path in PACKAGE.rglob("*.py"):
        for module, level in _imports(path):
            top = module.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {module}"
            if level == 0:
                assert top != "kafka_clone" or module.startswith("kafka_clone.protocol"), (
                    f"{path.name} imports {module}"
                )


def test_modules_stay_small():
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 600, path.name
