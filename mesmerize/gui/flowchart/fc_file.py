"""The ``.fc`` flowchart file: JSON (never pickle, never evaluated), written atomically.

Layout::

    {"kind": "mesmerize-flowchart", "format_version": 1,
     "nodes": [{"name": "Normalize.0", "type": "Normalize", "pos": [x, y], "bypass": false,
                "apply": true, "controls": {param: value, ...}}, ...],
     "connections": [[out_node, out_terminal, in_node, in_terminal], ...]}

``apply`` is null for nodes without an Apply check box. Control values are JSON values (text,
numbers, booleans, null, lists of text). pyqtgraph's own ``.fc`` format is not used: its reader
``eval``s the file's text, so opening a shared file could run code.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.errors import FormatVersionError

FC_FORMAT_VERSION = 1
FC_KIND = "mesmerize-flowchart"
FC_SUFFIX = ".fc"


def write_fc(path: str | os.PathLike, nodes: list[dict], connections: Iterable) -> Path:
    """Atomically write a ``.fc`` file (the suffix is added when missing)."""
    path = Path(path)
    if path.suffix != FC_SUFFIX:
        path = path.with_name(path.name + FC_SUFFIX)
    write_json_atomic(path, {"kind": FC_KIND, "format_version": FC_FORMAT_VERSION,
                             "nodes": nodes, "connections": [list(c) for c in connections]})
    return path


def _fail(path: Path, problem: str) -> FormatVersionError:
    return FormatVersionError(f"{path} is not a usable Mesmerize flowchart (.fc) file: {problem}")


def read_fc(path: str | os.PathLike, known_types: Iterable[str]) -> dict[str, Any]:
    """The checked content of a ``.fc`` file: ``{"nodes": [...], "connections": [...]}``.

    Raises ``FileNotFoundError``, or ``FormatVersionError`` for a file that is not JSON, was
    written by a newer Mesmerize, names unknown node types, or is inconsistent.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No flowchart file at {path}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"it is not JSON ({exc}). Flowcharts saved by the original Mesmerize "
                          "are not read because opening them could run code.") from None
    if not isinstance(data, dict) or data.get("kind") != FC_KIND:
        raise _fail(path, f"kind is not {FC_KIND!r}.")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail(path, f"invalid format_version {version!r}.")
    if version > FC_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format_version {version}, newer than this Mesmerize understands "
            f"({FC_FORMAT_VERSION}). Upgrade Mesmerize to open it.")
    nodes, connections = data.get("nodes"), data.get("connections")
    if not isinstance(nodes, list) or not isinstance(connections, list):
        raise _fail(path, "it needs the lists 'nodes' and 'connections'.")
    known = set(known_types)
    names: set[str] = set()
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            raise _fail(path, f"bad node entry {node!r}.")
        if not isinstance(node.get("type"), str) or node.get("type") not in known:
            raise _fail(path, f"node {node['name']!r} has the unknown type {node.get('type')!r} "
                              "(made by a newer Mesmerize or a plugin that is not installed).")
        pos = node.get("pos")
        if (not isinstance(pos, list) or len(pos) != 2
                or not all(isinstance(v, (int, float)) for v in pos)):
            raise _fail(path, f"node {node['name']!r} has a bad position {pos!r}.")
        if not isinstance(node.get("controls"), dict):
            raise _fail(path, f"node {node['name']!r} has no controls dict.")
        if node["name"] in names:
            raise _fail(path, f"two nodes are named {node['name']!r}.")
        names.add(node["name"])
    for c in connections:
        if (not isinstance(c, list) or len(c) != 4 or not all(isinstance(v, str) for v in c)
                or c[0] not in names or c[2] not in names):
            raise _fail(path, f"bad connection {c!r}: it must be [out_node, out_terminal, "
                              "in_node, in_terminal] between nodes of the file.")
    return {"nodes": nodes, "connections": connections}
