"""ROI Manager module: draw, list, tag and plot the work environment's ROIs.

A view over the core ``ROIManager`` (``get_workEnv().roi_manager``): every button calls the
core, and the list, graphics and curves follow the core's ``changed`` events.

In CNMF(E) mode "Show rejected" lists the rejected components after the accepted ones (their
contours dashed, in ``REJECTED_COLOR``); the ROI list's context menu accepts or rejects the
selected component, and each decision is recorded in the work environment's ``history_trace``.
"""
from __future__ import annotations

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.errors import MesmerizeError
from mesmerize.core.roi.manager import ROIManager, record_curation
from mesmerize.core.roi.roi_types import CNMFROI
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.viewer.modules.base import ViewerModule
from mesmerize.gui.viewer.modules.roi_graphics import ROIGraphic, make_graphic
from mesmerize.plotting.utils import get_colormap

PALETTE = list(get_colormap(range(10), "tab10", output="pyqt").values())
FAST_PLAY_FACTOR = 5.0
REJECTED_COLOR = (170, 170, 170)


class ROIManagerModule(ViewerModule):
    """The ROI Manager of the user guide (manual and CNMF(E) modes)."""

    name = "roi_manager"
    title = "ROI Manager"

    def __init__(self, vi, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(vi, parent)
        self.graphics: dict[str, ROIGraphic] = {}
        self._manager: ROIManager | None = None
        self._colors: dict[str, tuple[int, ...]] = {}
        self._next_color = 0
        self._selected_roi_uuid: str | None = None

        self.add_button = QtWidgets.QPushButton("Add ROI", self)
        self.add_button.setToolTip("Add a polygon ROI; right click to add an elliptical ROI")
        self.add_button.clicked.connect(self.add_polygon)
        self.add_button.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        self.add_button.customContextMenuRequested.connect(lambda *_: self.add_ellipse())
        self.show_all = QtWidgets.QCheckBox("Show all", self)
        self.show_all.setChecked(True)
        self.show_all.toggled.connect(lambda *_: self._update_visibility())
        self.show_rejected = QtWidgets.QCheckBox("Show rejected", self)
        self.show_rejected.setToolTip(
            "CNMF(E) mode: also list the components CaImAn rejected (dashed grey contours); "
            "right click a component in the ROI list to accept or reject it by hand")
        self.show_rejected.toggled.connect(self._show_rejected_toggled)
        self.live_plot = QtWidgets.QCheckBox("Live plot", self)
        self.live_plot.setToolTip("Recompute and plot the curves whenever an ROI is edited")
        self.plot_button = QtWidgets.QPushButton("Plot", self)
        self.plot_button.clicked.connect(self.plot)
        self.import_button = QtWidgets.QPushButton("Import from ImageJ", self)
        self.import_button.clicked.connect(self._import_clicked)
        self.manual_button = QtWidgets.QPushButton("Switch to manual ...", self)
        self.manual_button.clicked.connect(self._switch_to_manual_clicked)
        self.mode_label = QtWidgets.QLabel(self)
        self.status = QtWidgets.QLabel(self)
        self.status.setWordWrap(True)

        self.roi_list_widget = QtWidgets.QListWidget(self)
        self.roi_list_widget.currentRowChanged.connect(self._on_row_changed)
        self.roi_list_widget.setContextMenuPolicy(QtCore.Qt.ActionsContextMenu)
        self.delete_action = QtWidgets.QAction("Delete ROI", self.roi_list_widget)
        self.delete_action.triggered.connect(lambda *_: self.delete_roi(self.current_index))
        self.roi_list_widget.addAction(self.delete_action)
        self.accept_action = QtWidgets.QAction("Accept component", self.roi_list_widget)
        self.accept_action.triggered.connect(lambda *_: self.accept_component(self.current_index))
        self.roi_list_widget.addAction(self.accept_action)
        self.reject_action = QtWidgets.QAction("Reject component", self.roi_list_widget)
        self.reject_action.triggered.connect(lambda *_: self.reject_component(self.current_index))
        self.roi_list_widget.addAction(self.reject_action)
        self.tags_list = QtWidgets.QListWidget(self)
        self.tag_entry = QtWidgets.QLineEdit(self)
        self.tag_entry.setPlaceholderText("Add Tag to ROI Definition")
        self.tag_entry.returnPressed.connect(self.set_tag_clicked)
        self.tag_entry.installEventFilter(self)
        self.set_tag_button = QtWidgets.QPushButton("Set ROI Tag", self)
        self.set_tag_button.clicked.connect(self.set_tag_clicked)

        buttons = QtWidgets.QGridLayout()
        buttons.addWidget(self.add_button, 0, 0)
        buttons.addWidget(self.show_all, 0, 1)
        buttons.addWidget(self.live_plot, 0, 2)
        buttons.addWidget(self.plot_button, 0, 3)
        buttons.addWidget(self.import_button, 1, 0, 1, 2)
        buttons.addWidget(self.manual_button, 1, 2, 1, 2)
        buttons.addWidget(self.show_rejected, 2, 0, 1, 2)
        lists = QtWidgets.QHBoxLayout()
        left = QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("ROIs", self))
        left.addWidget(self.roi_list_widget)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(QtWidgets.QLabel("Tags (ROI Type: tag)", self))
        right.addWidget(self.tags_list)
        lists.addLayout(left)
        lists.addLayout(right)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.mode_label)
        layout.addLayout(lists, 1)
        layout.addWidget(self.tag_entry)
        layout.addWidget(self.set_tag_button)
        layout.addWidget(self.status)

    # ---- core binding --------------------------------------------------------------------
    @property
    def roi_manager(self) -> ROIManager:
        """The core ROI manager shown (``get_workEnv().roi_manager``)."""
        return self.vi.viewer.workEnv.roi_manager

    def on_work_env_changed(self, work_env: ViewerWorkEnv) -> None:
        self.unbind_all()
        self._clear_graphics()
        if work_env.roi_manager is not self._manager:
            self._colors.clear()
            self._next_color = 0
        self._manager = work_env.roi_manager
        self.show_rejected.blockSignals(True)
        self.show_rejected.setChecked(self._manager.showing_rejected)
        self.show_rejected.blockSignals(False)
        self.bind(self._manager.changed, self._on_rois_changed)
        self._on_rois_changed()

    def _clear_graphics(self) -> None:
        for graphic in self.graphics.values():
            graphic.remove_from(self.vi.viewer.view_box)
        self.graphics.clear()

    def _color(self, uuid: str) -> tuple[int, ...]:
        if uuid not in self._colors:
            self._colors[uuid] = PALETTE[self._next_color % len(PALETTE)]
            self._next_color += 1
        return self._colors[uuid]

    def listed_rois(self) -> list:
        """The rows of the ROI list: the ROI list, then the shown rejected components."""
        return list(self._manager.roi_list) + self._manager.rejected_rois

    def _on_rois_changed(self) -> None:
        previous = self._selected_roi_uuid
        row = self.current_index
        rois = self.listed_rois()
        n_accepted = len(self._manager.roi_list)
        wanted = {roi.uuid: i >= n_accepted for i, roi in enumerate(rois)}
        for uuid in [u for u, g in self.graphics.items() if wanted.get(u) != g.dashed]:
            self.graphics.pop(uuid).remove_from(self.vi.viewer.view_box)
        for roi in rois:
            if roi.uuid not in self.graphics:
                rejected = wanted[roi.uuid]
                color = REJECTED_COLOR if rejected else self._color(roi.uuid)
                graphic = make_graphic(roi, color, self._on_graphic_edited,
                                       self._on_graphic_hovered, dashed=rejected)
                graphic.add_to(self.vi.viewer.view_box)
                self.graphics[roi.uuid] = graphic
        self.roi_list_widget.blockSignals(True)
        self.roi_list_widget.clear()
        for i, roi in enumerate(rois):
            label = f"{i}: {roi.roi_type}"
            if isinstance(roi, CNMFROI):
                label += f" #{roi.cnmf_idx}"
            color = self._color(roi.uuid)
            if i >= n_accepted:
                label = f"{roi.roi_type} #{roi.cnmf_idx} (rejected)"
                color = REJECTED_COLOR
            item = QtWidgets.QListWidgetItem(label)
            item.setBackground(QtGui.QColor(*color[:3], 110))
            self.roi_list_widget.addItem(item)
        uuids = [roi.uuid for roi in rois]
        if previous in uuids:
            self.roi_list_widget.setCurrentRow(uuids.index(previous))
        elif rois:
            self.roi_list_widget.setCurrentRow(min(max(row, 0), len(rois) - 1))
        self._selected_roi_uuid = self._selected_roi().uuid if rois else None
        self.roi_list_widget.blockSignals(False)
        manual = self._manager.mode == "manual"
        text = f"Mode: {self._manager.mode}, {n_accepted} ROIs"
        if len(rois) > n_accepted:
            text += f" ({len(rois) - n_accepted} rejected shown)"
        self.mode_label.setText(text)
        for widget in (self.add_button, self.import_button, self.live_plot, self.plot_button):
            widget.setEnabled(manual)
        self.manual_button.setEnabled(not manual)
        self.show_rejected.setEnabled(not manual)
        self._show_selection()

    # ---- selection -----------------------------------------------------------------------
    @property
    def current_index(self) -> int:
        """Row of the selected ROI (-1: none)."""
        return self.roi_list_widget.currentRow()

    def select_roi(self, index: int) -> None:
        """Select (highlight) the ROI at ``index`` of the ROI list."""
        if 0 <= index < self.roi_list_widget.count():
            self.roi_list_widget.setCurrentRow(index)

    def _on_row_changed(self, row: int) -> None:
        selected = self._selected_roi()
        self._selected_roi_uuid = None if selected is None else selected.uuid
        self._show_selection()

    def _selected_roi(self):
        row = self.current_index
        rois = self.listed_rois()
        return rois[row] if 0 <= row < len(rois) else None

    def _show_selection(self) -> None:
        selected = self._selected_roi()
        cnmf = self._manager.mode != "manual" and selected is not None
        rejected = cnmf and self._manager.is_rejected(selected)
        self.accept_action.setVisible(bool(rejected))
        self.reject_action.setVisible(bool(cnmf and not rejected))
        self.delete_action.setVisible(selected is not None and not rejected)
        for uuid, graphic in self.graphics.items():
            graphic.set_highlighted(selected is not None and uuid == selected.uuid)
        self._update_visibility()
        self._show_tags(selected)
        self._plot_curves()

    def _update_visibility(self) -> None:
        selected = self._selected_roi()
        show_all = self.show_all.isChecked()
        for uuid, graphic in self.graphics.items():
            graphic.set_visible(show_all or (selected is not None and uuid == selected.uuid))

    def _show_tags(self, roi) -> None:
        row = max(self.tags_list.currentRow(), 0)
        self.tags_list.clear()
        if roi is None:
            return
        for column, tag in roi.get_all_tags().items():
            item = QtWidgets.QListWidgetItem(f"{column}: {tag}")
            item.setData(QtCore.Qt.UserRole, column)
            self.tags_list.addItem(item)
        if self.tags_list.count():
            self.tags_list.setCurrentRow(min(row, self.tags_list.count() - 1))

    def _on_graphic_hovered(self, graphic: ROIGraphic) -> None:
        rois = self.listed_rois()
        for i, roi in enumerate(rois):
            if roi is graphic.roi:
                self.select_roi(i)
                return

    # ---- editing -------------------------------------------------------------------------
    def _default_place(self) -> tuple[float, float] | None:
        """``(offset, size)`` in pixels of a new ROI near the top left corner; each new ROI is
        shifted a little so that it does not hide the previous one."""
        imgdata = self.vi.viewer.workEnv.imgdata
        if imgdata is None:
            self.status.setText("Load an image before adding ROIs")
            return None
        size = max(4.0, min(imgdata.frame_shape) / 8)
        room = max(1.0, min(imgdata.frame_shape) - size - 2)
        return 1 + (len(self._manager.roi_list) * size / 2) % room, size

    def _run(self, func, *args) -> bool:
        """Call the core; show its error in the status line. True when it succeeded."""
        try:
            func(*args)
        except MesmerizeError as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText("")
        return True

    def _announce_edit(self) -> None:
        # tags and geometry live on the ROI objects, which have no events of their own: the
        # manager's event marks the work environment modified and refreshes this view
        self._manager.changed.emit()

    def add_polygon(self) -> None:
        """Add ROI: a rectangular polygon ROI at the top left corner of the image."""
        place = self._default_place()
        if place is not None:
            o, size = place
            vertices = [(o, o), (o + size, o), (o + size, o + size), (o, o + size)]
            if self._run(self._manager.add_polygon_roi, vertices):
                self._added()

    def add_ellipse(self) -> None:
        """Right click on Add ROI: an elliptical ROI at the top left corner of the image."""
        place = self._default_place()
        if place is not None:
            o, size = place
            r = size / 2
            if self._run(self._manager.add_ellipse_roi, (o + r, o + r), (r, r)):
                self._added()

    def _added(self) -> None:
        self.select_roi(len(self._manager.roi_list) - 1)
        if self.live_plot.isChecked():
            self.plot()

    def delete_roi(self, index: int) -> None:
        """Remove the ROI at ``index`` of the ROI list."""
        if 0 <= index < len(self._manager.roi_list):
            self._manager.roi_list.pop(index)

    # ---- manual curation of CNMF(E) components ---------------------------------------------
    def _show_rejected_toggled(self, checked: bool) -> None:
        self._manager.show_rejected(checked)

    def accept_component(self, index: int) -> None:
        """Accept the (rejected) component listed at row ``index``; recorded in the history."""
        self._curate(index, self._manager.accept_component)

    def reject_component(self, index: int) -> None:
        """Reject the (accepted) component listed at row ``index``; recorded in the history."""
        self._curate(index, self._manager.reject_component)

    def _curate(self, index: int, action) -> None:
        rois = self.listed_rois()
        if not 0 <= index < len(rois) or not isinstance(rois[index], CNMFROI):
            self.status.setText("Select a CNMF(E) component in the ROI list first")
            return
        try:
            record = action(rois[index].cnmf_idx)
        except MesmerizeError as exc:
            self.status.setText(str(exc))
            return
        # the manager's changed event has marked the work environment modified
        record_curation(self.vi.viewer.workEnv.history_trace, record)
        self.status.setText("")

    def _on_graphic_edited(self, graphic: ROIGraphic) -> None:
        if self.live_plot.isChecked():
            self.plot()
        else:
            self._announce_edit()

    def set_tag_clicked(self) -> None:
        """Set ROI Tag: the entry's text becomes the tag of the selected ROI Type column."""
        roi = self._selected_roi()
        item = self.tags_list.currentItem()
        text = self.tag_entry.text().strip()
        if roi is None or item is None:
            self.status.setText("Select an ROI and an ROI Type in the tags list first")
            return
        if not text:
            self.status.setText("Type a tag in the entry first")
            return
        if self._run(roi.set_tag, item.data(QtCore.Qt.UserRole), text):
            self.tag_entry.clear()
            self._announce_edit()

    # ---- curves --------------------------------------------------------------------------
    def plot(self) -> None:
        """Plot: compute the curves of all manual ROIs from the movie and plot them."""
        imgdata = self.vi.viewer.workEnv.imgdata
        if imgdata is not None:
            self._run(self._manager.update_curves, imgdata.seq)
        self._plot_curves()

    def _plot_curves(self) -> None:
        selected = self._selected_roi()
        curves = []
        for roi in self.listed_rois():
            is_selected = selected is not None and roi.uuid == selected.uuid
            if self._manager.mode != "manual" and not is_selected:
                continue
            data = roi.curve_data
            if data is not None:
                color = REJECTED_COLOR if self._manager.is_rejected(roi) else self._color(roi.uuid)
                curves.append((data[1], color, 3.0 if is_selected else 1.0))
        self.vi.viewer.set_curves(curves)

    # ---- other buttons -------------------------------------------------------------------
    def import_imagej(self, path: str) -> None:
        """Add the ROIs of an ImageJ ``.roi`` / ``.zip`` file."""
        imgdata = self.vi.viewer.workEnv.imgdata
        if imgdata is None:
            self.status.setText("Load an image before importing ROIs")
            return
        self._run(self._manager.import_imagej, path, imgdata.frame_shape)

    def _import_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import ImageJ ROIs", "", "ImageJ ROIs (*.zip *.roi);;All files (*)")
        if path:
            self.import_imagej(path)

    def _switch_to_manual_clicked(self) -> None:
        answer = QtWidgets.QMessageBox.question(
            self, "Switch to manual", "This removes all CNMF(E) ROIs. Continue?")
        if answer == QtWidgets.QMessageBox.Yes:
            self._manager.switch_to_manual()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Shortcuts while typing in the tag entry: Page Up/Down select the previous/next ROI,
        Right/Left play fast forwards/backwards while held, Home/End go to the first/last
        frame."""
        if obj is not self.tag_entry:
            return super().eventFilter(obj, event)
        display = self.vi.viewer
        if event.type() == QtCore.QEvent.KeyPress:
            key = event.key()
            if key == QtCore.Qt.Key_PageUp:
                self.select_roi(self.current_index - 1)
            elif key == QtCore.Qt.Key_PageDown:
                self.select_roi(self.current_index + 1)
            elif key in (QtCore.Qt.Key_Right, QtCore.Qt.Key_Left):
                if not event.isAutoRepeat():
                    sign = 1 if key == QtCore.Qt.Key_Right else -1
                    display.play(sign * FAST_PLAY_FACTOR * display.fps_spin.value())
            elif key == QtCore.Qt.Key_Home:
                display.set_frame(0)
            elif key == QtCore.Qt.Key_End:
                display.set_frame(2**31 - 1)
            else:
                return False
            return True
        if (event.type() == QtCore.QEvent.KeyRelease and not event.isAutoRepeat()
                and event.key() in (QtCore.Qt.Key_Right, QtCore.Qt.Key_Left)):
            display.play(0)
            return True
        return False

    def shutdown(self) -> None:
        self._clear_graphics()
        super().shutdown()
