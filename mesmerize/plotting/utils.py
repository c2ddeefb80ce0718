"""Colour maps for categorical labels, shared by the viewer, stimulus maps and plots."""
from __future__ import annotations

from typing import Any, Hashable, Iterable

import matplotlib
import numpy as np

from mesmerize.core.errors import ParameterError

_OUTPUTS = ("mpl", "pyqt", "hex", "bokeh")


def get_colormap(
    labels: Iterable[Hashable], cmap: str, output: str = "mpl", alpha: float = 1.0
) -> dict[Hashable, Any]:
    """Map each label to a colour sampled evenly from the matplotlib colormap ``cmap``.

    Labels keep their given order. ``output``:

    - ``"mpl"``: RGBA float tuples in 0-1 (matplotlib),
    - ``"pyqt"``: RGBA int tuples in 0-255, which pyqtgraph and Qt brushes accept directly,
    - ``"hex"`` / ``"bokeh"``: ``"#rrggbbaa"`` strings.

    Qualitative colormaps (``tab10``, ``Set1``...) give their listed colours in order and repeat
    when there are more labels than colours.
    """
    if output not in _OUTPUTS:
        raise ParameterError(f"get_colormap: output must be one of {_OUTPUTS}, got {output!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ParameterError(f"get_colormap: alpha must be within 0 and 1, got {alpha!r}")
    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise ParameterError(
            f"get_colormap: unknown colormap {cmap!r}; use a matplotlib name such as 'tab10' or "
            "'viridis'"
        ) from None

    labels = list(dict.fromkeys(labels))
    n = len(labels)
    if isinstance(colormap, matplotlib.colors.ListedColormap) and colormap.N <= 20:
        positions = [(i % colormap.N) for i in range(n)]
        rgba = [colormap(p) for p in positions]
    else:
        rgba = [colormap(x) for x in np.linspace(0.0, 1.0, max(n, 1))][:n]

    colours: dict[Hashable, Any] = {}
    for label, (r, g, b, _) in zip(labels, rgba):
        rgba_f = (float(r), float(g), float(b), float(alpha))
        if output == "mpl":
            colours[label] = rgba_f
        elif output == "pyqt":
            colours[label] = tuple(int(round(c * 255)) for c in rgba_f)
        else:
            colours[label] = "#" + "".join(f"{int(round(c * 255)):02x}" for c in rgba_f)
    return colours
