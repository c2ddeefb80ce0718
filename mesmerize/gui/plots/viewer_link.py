"""Opening a datapoint's parent sample in a Viewer ("Open in viewer" of the Datapoint Tracer
and the Peak Editor). The application registers how (``set_sample_opener``); without it, as in
a plot opened by a script with no Welcome Window, the request is refused with a message."""
from __future__ import annotations

from typing import Any, Callable

from mesmerize.core.errors import ProjectError

SampleOpener = Callable[[str, str], Any]
"""``(sample_id, project path) -> Viewer window``."""

_opener: list[SampleOpener] = []


def set_sample_opener(opener: SampleOpener | None) -> None:
    """Register how samples are opened in a Viewer (None forgets it)."""
    _opener.clear()
    if opener is not None:
        _opener.append(opener)


def open_sample_in_viewer(sample_id: str, proj_path: str | None) -> Any:
    """Open ``sample_id`` of the project at ``proj_path`` in a new Viewer; ``ProjectError`` when
    the data have no project or no application is there to open Viewers."""
    if not proj_path:
        raise ProjectError("This datapoint has no project path, so its sample cannot be opened; "
                           "load the data from a project (LoadProjDF) or set the Transmission's "
                           "project path.")
    if not _opener:
        raise ProjectError("No Mesmerize application is running to open a Viewer; start "
                           "mesmerize and open the plot from its Flowchart or Welcome Window.")
    return _opener[0](sample_id, proj_path)
