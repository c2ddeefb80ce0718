"""Package attributes imported on first access (PEP 562), so importing a light sub-module does
not load heavy siblings (the imaging stack, pandas-heavy analysis, ...)."""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` resolving each name of ``exports`` (name ->
    module path) from its module when first used."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(import_module(package).__dict__) | set(exports))

    return __getattr__, __dir__
