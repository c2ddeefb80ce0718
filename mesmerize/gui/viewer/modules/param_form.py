"""Shared parts of the CaImAn-style Viewer modules (motion correction, CNMF, CNMF-E).

``ParamForm``: a form of parameter widgets over a plain parameter dict (the guide's keys). The
dict is the source of truth: ``values()`` returns it, ``set_values()`` shows it; editing a widget
writes its value back. ``BatchModule``: a ``ViewerModule`` that owns parameter dicts, validates
them through an engine's params class and adds items to the Viewer's batch manager.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from qtpy import QtCore, QtWidgets

from mesmerize.core.batch.errors import BatchError
from mesmerize.core.errors import MesmerizeError, ParameterError
from mesmerize.gui.viewer.modules.base import ViewerModule

if TYPE_CHECKING:
    from mesmerize.core.work_env import ViewerWorkEnv
    from mesmerize.gui.viewer.viewer_utils import ViewerUtils

NONE_TEXT = "None"


@dataclass(frozen=True)
class Field:
    """One parameter of a form.

    ``kind``: ``"int"``, ``"float"``, ``"text"``, ``"bool"``, ``"choice"`` or ``"int_none"`` (an
    int whose lowest value ``low`` is shown as "None" and means None). ``low``/``high``: widget
    range; ``decimals``/``step`` for floats; ``choices`` for ``"choice"``. ``tooltip`` says what
    the parameter does, its unit and range.
    """

    key: str
    label: str
    kind: str
    tooltip: str
    low: float = 0
    high: float = 100000
    decimals: int = 2
    step: float = 1.0
    choices: tuple[str, ...] = ()


def _shown_int(value: Any) -> int:
    """An int widget's display of a parameter: pairs ``(y, x)`` show their first value."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else 0
    return int(value)


class ParamForm(QtWidgets.QWidget):
    """Widgets for ``fields`` over the dict ``params`` (edited in place)."""

    def __init__(self, fields: Sequence[Field], params: dict[str, Any],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = {f.key: f for f in fields}
        self.params = params
        self.widgets: dict[str, QtWidgets.QWidget] = {}
        layout = QtWidgets.QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for field in fields:
            widget = self._make_widget(field)
            widget.setToolTip(field.tooltip)
            label = QtWidgets.QLabel(field.label)
            label.setToolTip(field.tooltip)
            layout.addRow(label, widget)
            self.widgets[field.key] = widget
        self.show_values()

    def _make_widget(self, field: Field) -> QtWidgets.QWidget:
        key = field.key
        if field.kind in ("int", "int_none"):
            w = QtWidgets.QSpinBox()
            w.setRange(int(field.low), int(field.high))
            if field.kind == "int_none":
                w.setSpecialValueText(NONE_TEXT)
            w.valueChanged.connect(lambda v, k=key, f=field: self._edited(
                k, None if f.kind == "int_none" and v == f.low else v))
        elif field.kind == "float":
            w = QtWidgets.QDoubleSpinBox()
            w.setDecimals(field.decimals)
            w.setRange(field.low, field.high)
            w.setSingleStep(field.step)
            w.valueChanged.connect(lambda v, k=key: self._edited(k, float(v)))
        elif field.kind == "text":
            w = QtWidgets.QLineEdit()
            w.textEdited.connect(lambda v, k=key: self._edited(k, v))
        elif field.kind == "bool":
            w = QtWidgets.QCheckBox()
            w.toggled.connect(lambda v, k=key: self._edited(k, bool(v)))
        elif field.kind == "choice":
            w = QtWidgets.QComboBox()
            w.addItems(list(field.choices))
            w.currentTextChanged.connect(lambda v, k=key: self._edited(k, v))
        else:
            raise ValueError(f"unknown field kind {field.kind!r} for {key!r}")
        return w

    def _edited(self, key: str, value: Any) -> None:
        self.params[key] = value

    def show_values(self) -> None:
        """Show ``params`` in the widgets (no write-back while doing so)."""
        for key, widget in self.widgets.items():
            field = self.fields[key]
            value = self.params.get(key)
            widget.blockSignals(True)
            try:
                if field.kind in ("int", "int_none"):
                    widget.setValue(int(field.low) if value is None else _shown_int(value))
                elif field.kind == "float":
                    widget.setValue(float(value))
                elif field.kind == "text":
                    widget.setText("" if value is None else str(value))
                elif field.kind == "bool":
                    widget.setChecked(bool(value))
                elif field.kind == "choice":
                    widget.setCurrentText(str(value))
            finally:
                widget.blockSignals(False)


def find_viewer_window(widget: QtWidgets.QWidget) -> Any:
    """The ViewerWindow above ``widget`` (its dock's parent), or None."""
    from mesmerize.gui.viewer.window import ViewerWindow

    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, ViewerWindow):
        parent = parent.parentWidget()
    return parent


class BatchModule(ViewerModule):
    """A module whose forms add batch items.

    Subclasses build their forms with ``add_section`` and call ``add_item``. ``last_error`` is
    the text of the last error shown in the panel (None after a success).
    """

    def __init__(self, vi: ViewerUtils, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(vi, parent)
        self._input_work_env: ViewerWorkEnv | None = None
        self.last_error: str | None = None
        # the forms scroll inside the dock, so stacked module docks keep a usable height
        content = QtWidgets.QWidget()
        self.layout_ = QtWidgets.QVBoxLayout(content)
        self.scroll_area = QtWidgets.QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QtWidgets.QFrame.NoFrame)
        self.scroll_area.setWidget(content)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        self.error_label = QtWidgets.QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d03030;")
        self.error_label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.status_label = QtWidgets.QLabel()
        self.status_label.setWordWrap(True)

    def add_section(self, title: str, form: ParamForm, button_text: str,
                    on_click: Callable[[], Any]) -> QtWidgets.QPushButton:
        """A titled group with ``form`` and a button running ``on_click`` with errors shown."""
        group = QtWidgets.QGroupBox(title)
        box = QtWidgets.QVBoxLayout(group)
        box.addWidget(form)
        button = QtWidgets.QPushButton(button_text)
        button.clicked.connect(lambda *_: self.run_guarded(on_click))
        box.addWidget(button)
        self.layout_.addWidget(group)
        return button

    def finish_layout(self) -> None:
        """Put the status and error lines under the forms."""
        self.layout_.addWidget(self.status_label)
        self.layout_.addWidget(self.error_label)
        self.layout_.addStretch(1)

    def run_guarded(self, action: Callable[[], Any]) -> Any:
        """Run a button's action; a Mesmerize error is shown in the panel instead of raised."""
        try:
            result = action()
        except MesmerizeError as exc:
            self.last_error = str(exc)
            self.error_label.setText(str(exc))
            return None
        self.last_error = None
        self.error_label.setText("")
        return result

    # ---- script API shared by the modules ------------------------------------------------
    # set by each module: its parameters (the guide's dict), the forms showing them, and
    # validate_params(params), raising ParameterError when the engine cannot run with them
    params: dict[str, Any]
    forms: Sequence[ParamForm] = ()
    validate_params: Callable[[Mapping[str, Any]], None]

    def get_params(self) -> dict[str, Any]:
        """A copy of the current parameters (the guide's keys)."""
        return dict(self.params)

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Set parameters from the guide's dict (keys not given keep their value); refused with
        ``ParameterError`` naming the problem when the result is not valid."""
        if not isinstance(params, Mapping):
            raise ParameterError(f"set_params needs a dict, got {type(params).__name__}")
        merged = {**self.params, **params}
        self.validate_params(merged)
        self.params.clear()
        self.params.update(merged)
        for form in self.forms:
            form.show_values()

    def set_input_workEnv(self, work_env: ViewerWorkEnv) -> None:  # noqa: N802 (guide name)
        """Use ``work_env`` as the input of items added from scripts (instead of the Viewer's)."""
        from mesmerize.core.work_env import ViewerWorkEnv

        if not isinstance(work_env, ViewerWorkEnv):
            raise ParameterError(f"set_input_workEnv needs a ViewerWorkEnv, got "
                                 f"{type(work_env).__name__}; e.g. ViewerWorkEnv.from_tiff(path)")
        self._input_work_env = work_env

    def input_work_env(self) -> ViewerWorkEnv:
        """The work environment items are added from: the one given to ``set_input_workEnv``,
        else the Viewer's current one."""
        return self._input_work_env if self._input_work_env is not None else self.vi.work_env

    def get_batch(self):
        """The ``Batch`` of this Viewer's batch manager; ``BatchError`` when none is open."""
        window = find_viewer_window(self)
        manager = None if window is None else window.batch_manager
        if manager is None:
            raise BatchError("no Batch Manager is open for this Viewer: open or create a batch "
                             "with Modules -> Batch Manager first")
        return manager.get_batch()

    def add_item(self, kind: str, name: Any, params: Mapping[str, Any],
                 work_env: ViewerWorkEnv) -> str:
        """Add a ``kind`` item called ``name`` with ``params`` and input ``work_env``; return
        its UUID."""
        if not isinstance(name, str) or not name.strip():
            raise ParameterError(f"enter a name for the {kind!r} batch item (the name entry is "
                                 "empty)")
        if work_env.is_empty:
            raise ParameterError("the work environment has no image: load a movie first "
                                 "(Modules -> Load Images -> Tiff files)")
        uuid = self.get_batch().add_item(kind, name.strip(), dict(params),
                                         input_work_env=work_env)
        self.status_label.setText(f"Added {kind} item {name.strip()!r}")
        return uuid
