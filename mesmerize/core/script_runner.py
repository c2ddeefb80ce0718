"""Running a user's script in a window's namespace: the one code path of ``mesmerize exec`` and
the Viewer's Script Editor, so a script behaves the same wherever it runs."""
from __future__ import annotations

import linecache
from typing import Any


def run_source(source: str, filename: str, namespace: dict[str, Any],
               set_file: bool = True) -> None:
    """Compile ``source`` as ``filename`` and run it in ``namespace`` (as ``__main__``).

    The source is registered with ``linecache`` so tracebacks show the script's lines;
    ``set_file`` defines ``__file__`` (off for inline code and unsaved editor text).
    """
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace.setdefault("__name__", "__main__")
    if set_file:
        namespace.setdefault("__file__", filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 (running the user's script)
