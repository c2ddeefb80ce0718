"""Registry of batch item kinds: which engine function runs an item and how its output loads.

An engine is called as ``engine(movie_path, params, output_dir, progress=callback)`` (plus the
frame rate as ``fps_kwarg`` for kinds that declare one) where
``movie_path`` is the item's input movie (TIFF, ``[t, y, x]`` on disk), ``params`` the item's
parameter dict, ``output_dir`` an empty directory for its outputs, and ``progress(fraction,
message)`` a callback with ``fraction`` in [0, 1]. It returns a result object saved in
``output_dir``; ``result_loader(output_dir)`` loads it again.

Targets are import strings (``"package.module:attribute.path"``) resolved when an item is added
(refused when the engine cannot be imported) and when it runs, so registering a kind never
imports heavy engines. Kinds registered at run time (plugins, tests) are handed to the batch
runner subprocesses through the environment variable ``MESMERIZE_BATCH_KINDS`` (JSON), so they
resolve there too.
"""
from __future__ import annotations

import importlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable

from mesmerize.core.batch.errors import EngineUnavailableError

ENV_VAR = "MESMERIZE_BATCH_KINDS"


@dataclass(frozen=True)
class ItemKind:
    """How to run and load one kind of batch item.

    ``engine`` and ``result_loader`` are ``"module:attribute.path"`` import strings.
    ``output_movie_attr`` names the attribute of the result holding the path of its output movie
    (for kinds whose output is a movie other items can take as input), else None.
    ``fps_kwarg`` names the engine keyword that receives the input's frame rate (Hz, from its
    meta data ``fps``), for engines that need it; else None.
    """

    name: str
    engine: str
    result_loader: str
    output_movie_attr: str | None = None
    fps_kwarg: str | None = None

    @property
    def engine_module(self) -> str:
        """The module that holds the engine function."""
        return self.engine.partition(":")[0]


_BUILTIN = (
    ItemKind("caiman_motion_correction", "mesmerize.engines.motion_correction:correct",
             "mesmerize.engines.motion_correction:MotionCorrectionResult.load", "output_path"),
    ItemKind("cnmf", "mesmerize.engines.cnmf:fit", "mesmerize.engines.cnmf:CNMFResult.load",
             fps_kwarg="fr"),
    ItemKind("cnmfe", "mesmerize.engines.cnmfe:fit", "mesmerize.engines.cnmf:CNMFResult.load",
             fps_kwarg="fr"),
    ItemKind("corr_pnr", "mesmerize.engines.cnmfe:corr_pnr",
             "mesmerize.engines.cnmfe:CorrPNRResult.load"),
)

_registry: dict[str, ItemKind] = {kind.name: kind for kind in _BUILTIN}
_custom: set[str] = set()


def register_kind(kind: ItemKind) -> None:
    """Add or replace an item kind. Batch runner subprocesses started afterwards know it too."""
    if ":" not in kind.engine or ":" not in kind.result_loader:
        raise ValueError(
            f"Item kind {kind.name!r}: engine and result_loader must be 'module:attribute' "
            f"import strings, got {kind.engine!r} and {kind.result_loader!r}."
        )
    _registry[kind.name] = kind
    _custom.add(kind.name)


def unregister_kind(name: str) -> None:
    """Remove a kind added with ``register_kind`` (built-in kinds stay)."""
    if name in _custom:
        _custom.discard(name)
        del _registry[name]
        builtin = {k.name: k for k in _BUILTIN}
        if name in builtin:
            _registry[name] = builtin[name]


def kind_names() -> list[str]:
    """Names of all known kinds."""
    return sorted(_registry)


def get_kind(name: str) -> ItemKind:
    """The kind called ``name``; ``EngineUnavailableError`` listing known kinds otherwise."""
    try:
        return _registry[name]
    except KeyError:
        raise EngineUnavailableError(
            f"Unknown batch item kind {name!r}; known kinds: {', '.join(kind_names())}."
        ) from None


def _import_target(target: str, kind: ItemKind) -> Any:
    module_name, _, attr_path = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineUnavailableError(
            f"The engine for {kind.name!r} items ({module_name}) cannot be imported in this "
            f"installation: {exc}. This kind of item is not available until that engine is "
            "installed."
        ) from exc
    for attr in attr_path.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise EngineUnavailableError(
                f"The engine module {module_name} has no {attr_path!r}, needed for "
                f"{kind.name!r} items; the installation is incomplete or out of date."
            ) from None
    return obj


def resolve_engine(name: str) -> Callable[..., Any]:
    """Import and return the engine function of kind ``name``."""
    kind = get_kind(name)
    return _import_target(kind.engine, kind)


def resolve_result_loader(name: str) -> Callable[..., Any]:
    """Import and return the result loader of kind ``name``."""
    kind = get_kind(name)
    return _import_target(kind.result_loader, kind)


def custom_kinds_env() -> dict[str, str]:
    """Environment entries that hand the kinds registered at run time to a subprocess."""
    if not _custom:
        return {}
    return {ENV_VAR: json.dumps({n: asdict(_registry[n]) for n in sorted(_custom)})}


def _load_from_environment() -> None:
    text = os.environ.get(ENV_VAR)
    if not text:
        return
    for spec in json.loads(text).values():
        register_kind(ItemKind(**spec))


_load_from_environment()
