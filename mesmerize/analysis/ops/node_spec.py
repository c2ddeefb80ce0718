"""Nodes outside the operation registry: terminals that carry plain dicts, or several outputs.

The registry's operations map Transmission(s) to one Transmission. The Hierarchical nodes pass
a linkage matrix (a dict, as the user guide says) between them, and LDA has four outputs; they
are described by a ``NodeSpec`` with the same ``Param`` specifications, and called as
``spec(*inputs, **params)``. Each one logs its own history entries (see its module).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from mesmerize.analysis.registry import CATEGORIES, Param
from mesmerize.core.errors import ParameterError

_SPECS: dict[str, "NodeSpec"] = {}


@dataclass(frozen=True)
class NodeSpec:
    """A node ``func(*inputs, params) -> output(s)``; ``inputs``/``outputs`` name the terminals
    and ``input_kinds``/``output_kinds`` say what each carries ("transmission" or "dict");
    several outputs are returned as a dict keyed by terminal name."""

    name: str
    category: str
    func: Callable[..., Any]
    params: tuple[Param, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    input_kinds: tuple[str, ...]
    output_kinds: tuple[str, ...]
    optional_inputs: tuple[str, ...] = ()
    doc: str = ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Defaults filled in, every value checked; unknown names raise ``ParameterError``."""
        given = {**(params or {}), **kwargs}
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise ParameterError(
                f"{self.name} has no parameter(s) {unknown}; its parameters are "
                f"{[p.name for p in self.params]}.")
        return {p.name: p.validate(given.get(p.name, p.default), self.name) for p in self.params}

    def __call__(self, *inputs: Any, params: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> Any:
        if len(inputs) != len(self.inputs):
            raise ParameterError(
                f"{self.name} takes {len(self.inputs)} input(s) {list(self.inputs)}, got "
                f"{len(inputs)}.")
        for name, value in zip(self.inputs, inputs):
            if value is None and name not in self.optional_inputs:
                raise ParameterError(f"{self.name}: connect the {name} input.")
        return self.func(*inputs, self.validate(params, **kwargs))


def node_spec(name: str, category: str, params: tuple[Param, ...], inputs: tuple[str, ...],
              outputs: tuple[str, ...], input_kinds: tuple[str, ...],
              output_kinds: tuple[str, ...],
              optional_inputs: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], NodeSpec]:
    """Decorator registering ``func`` as the node ``name``; returns the NodeSpec."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown category {category!r}; use one of {CATEGORIES}.")

    def register(func: Callable[..., Any]) -> NodeSpec:
        if name in _SPECS:
            raise ValueError(f"A node named {name!r} is registered already.")
        spec = NodeSpec(name, category, func, tuple(params), tuple(inputs), tuple(outputs),
                        tuple(input_kinds), tuple(output_kinds), tuple(optional_inputs),
                        (func.__doc__ or "").strip())
        _SPECS[name] = spec
        return spec

    return register


def get_node_spec(name: str) -> NodeSpec:
    """The node registered under ``name`` (e.g. "Linkage")."""
    from mesmerize.analysis import ops  # noqa: F401  (registers the built-in nodes)

    try:
        return _SPECS[name]
    except KeyError:
        raise ParameterError(f"No node named {name!r}; available: {sorted(_SPECS)}.") from None


def list_node_specs(category: str | None = None) -> list[NodeSpec]:
    """Registered nodes (of one category), sorted by category then name."""
    from mesmerize.analysis import ops  # noqa: F401  (registers the built-in nodes)

    specs = [s for s in _SPECS.values() if category is None or s.category == category]
    return sorted(specs, key=lambda s: (CATEGORIES.index(s.category), s.name))
