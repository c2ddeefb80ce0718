"""A matplotlib Figure on a Qt canvas with matplotlib's navigation toolbar (the guide's "Plot
Navbar": home, pan, zoom, subplot configuration, axis/curve editing, save image)."""
from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from qtpy import QtWidgets


class MatplotlibArea(QtWidgets.QWidget):
    """``fig``: the matplotlib Figure; ``canvas``: its Qt canvas; ``toolbar``: the navbar.

    Console scripts change ``fig``'s axes and then call ``draw()`` to show the changes.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None,
                 figsize: tuple[float, float] = (6.0, 4.0)) -> None:
        super().__init__(parent)
        self.fig = Figure(figsize=figsize)
        self.canvas = FigureCanvasQTAgg(self.fig)
        self.canvas.setSizePolicy(QtWidgets.QSizePolicy.Expanding,
                                  QtWidgets.QSizePolicy.Expanding)
        self.toolbar = NavigationToolbar2QT(self.canvas, self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)

    def draw(self) -> None:
        """Redraw the canvas now (after changing the figure)."""
        self.canvas.draw()

    def clear(self) -> None:
        """Remove every axes from the figure."""
        self.fig.clear()
