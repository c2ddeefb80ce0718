"""Sphinx directive ``.. mesmerize-nodes:: CATEGORY``: the flowchart nodes of one category.

The tables are generated from the operation registry (``mesmerize.analysis.registry``) and the
NodeSpecs (``mesmerize.analysis.ops.node_spec``), the same metadata the Flowchart window builds
its nodes from, so the documented parameters cannot drift from the code. For every node: its
name as a rubric, its docstring, its input/output terminals, and a table of its parameters
(name, kind, default, allowed values, description).
"""
from __future__ import annotations

import inspect
import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from mesmerize.analysis.ops.node_spec import list_node_specs
from mesmerize.analysis.registry import CATEGORIES, Param, list_operations


def _literal(value: Any) -> str:
    """``value`` as inline RST code (backquotes cannot occur in it)."""
    text = repr(value).replace("`", "'")
    return f"``{text}``"


def _allowed(param: Param) -> str:
    """The allowed values of ``param`` as table text."""
    if param.kind == "choice":
        return ", ".join(_literal(c) for c in param.choices)
    if param.kind in ("column", "columns"):
        return f"{param.column_kind} column{'s' if param.kind == 'columns' else ''}"
    parts = []
    if param.min is not None:
        parts.append(f"{'>' if param.min_exclusive else '>='} {param.min:g}")
    if param.max is not None:
        parts.append(f"<= {param.max:g}")
    text = " and ".join(parts)
    if param.optional:
        text = f"{text}, or None" if text else "None accepted"
    return text


_RST_SPECIAL = re.compile(r"([\\`*_|])")


def _plain(text: str) -> str:
    """Plain text (parameter descriptions are not RST) escaped for RST."""
    return _RST_SPECIAL.sub(r"\\\1", text)


def _cell(text: str) -> str:
    """One-line table cell text (empty cells hold a non-breaking space)."""
    return " ".join(text.split()) or "\u00a0"


def _node_lines(name: str, doc: str, inputs: tuple[str, ...], outputs: tuple[str, ...],
                params: tuple[Param, ...]) -> list[str]:
    """RST lines documenting one node."""
    lines = [f".. rubric:: {name}", ""]
    for doc_line in (inspect.cleandoc(doc) or "No description.").splitlines():
        lines.append(doc_line.rstrip())
    lines += ["", f"Inputs: {', '.join(f'``{i}``' for i in inputs)}; "
              f"outputs: {', '.join(f'``{o}``' for o in outputs)}.", ""]
    if not params:
        lines += ["No parameters.", ""]
        return lines
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 18 10 14 22 36", "",
              "   * - Parameter", "     - Kind", "     - Default", "     - Allowed",
              "     - Description"]
    for p in params:
        lines += [f"   * - ``{p.name}``", f"     - {p.kind}", f"     - {_literal(p.default)}",
                  f"     - {_cell(_allowed(p))}", f"     - {_cell(_plain(p.doc))}"]
    lines.append("")
    return lines


def category_rst(category: str) -> list[str]:
    """RST lines for every registered node of ``category``, sorted by name."""
    entries = [(op.name, op.doc, op.inputs, op.outputs, op.params)
               for op in list_operations(category)]
    entries += [(s.name, s.doc, s.inputs, s.outputs, s.params)
                for s in list_node_specs(category)]
    lines: list[str] = []
    for entry in sorted(entries, key=lambda e: e[0].lower()):
        lines += _node_lines(*entry)
    return lines


class MesmerizeNodesDirective(SphinxDirective):
    """``.. mesmerize-nodes:: Signal`` inserts the documentation of the Signal nodes."""

    required_arguments = 1
    has_content = False
    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        category = self.arguments[0]
        if category not in CATEGORIES:
            raise self.error(f"unknown node category {category!r}; use one of {CATEGORIES}")
        lines = category_rst(category)
        if not lines:
            raise self.error(f"no node is registered in the category {category!r}")
        container = nodes.container()
        source = f"<mesmerize-nodes {category}>"
        self.state.nested_parse(StringList(lines, source=source), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("mesmerize-nodes", MesmerizeNodesDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
