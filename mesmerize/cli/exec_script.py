"""``mesmerize exec``: run a console script in a real window, with or without a screen.

``mesmerize exec SCRIPT.py [--window KIND] [--project DIR] [--batch DIR] [--open FILE]
[--set NAME=VALUE ...]`` and ``mesmerize exec -c "CODE" ...``.

The window is really constructed (a Viewer through the Welcome Window, so Add to Project and the
Batch Manager work) and the script runs in the namespace built by that window's console
namespace function, with ``this`` the window. Without a display (no ``DISPLAY`` or
``WAYLAND_DISPLAY``) Qt's ``offscreen`` platform is chosen before Qt is imported.

Dialogs cannot be answered by a script: message boxes are printed on stderr instead of shown
(questions are answered with their default button, else No).

Exit status: 0 when the script ends normally; 1 with the traceback on stderr when it raises,
or when a batch run it started (``get_batch_manager().process_batch(...)``) has a failed item or
stopped early; 2 for bad arguments (a missing script, project or ``--open`` file, a file
``--open`` cannot load into the window, an unknown window kind). A batch run started by the
script is waited for before the windows close; ``process_batch`` returns the ``BatchRunner``,
whose ``.wait()`` a script may also call itself.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from mesmerize.core import script_runner
from mesmerize.core.script_runner import run_source

PLOT_KINDS = ("heatmap", "kshape", "beeswarm", "proportions", "scatter", "timeseries",
              "spacemap", "crosscorr", "simple")
"""The plot windows (``mesmerize.gui.plots.kinds.PLOT_WINDOWS``; named here so that parsing the
arguments imports no Qt)."""

WINDOW_KINDS = ("viewer", "browser", "flowchart", "welcome", "batch", *PLOT_KINDS)
"""The ``--window`` kinds, in the order of the help text; ``viewer`` is the default."""

OPEN_SUFFIXES: dict[str, tuple[str, ...]] = {
    "viewer": (".tif", ".tiff"),
    "flowchart": (".fc",),
    **{kind: (".trn", ".ptrn") for kind in PLOT_KINDS},
}
"""Which files ``--open`` loads into which window kind (lower-case suffixes)."""

INLINE_FILENAME = "<exec -c>"
"""The file name shown in tracebacks of ``-c CODE``."""

EXIT_OK, EXIT_SCRIPT_FAILED, EXIT_BAD_ARGUMENTS = 0, 1, 2


class ExecArgumentError(Exception):
    """An argument of ``mesmerize exec`` cannot be used (exit status 2); the message says why."""


def choose_qt_platform(environ: dict[str, str] | None = None) -> str | None:
    """Set ``QT_QPA_PLATFORM=offscreen`` in ``environ`` (default ``os.environ``) when there is no
    display (no ``DISPLAY``/``WAYLAND_DISPLAY``, no platform chosen, not macOS/Windows).

    Must run before Qt is imported. Returns the platform it chose, or None when it left the
    choice to Qt.
    """
    env = os.environ if environ is None else environ
    if (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM")
            or sys.platform in ("darwin", "win32")):
        return None
    env["QT_QPA_PLATFORM"] = "offscreen"
    return "offscreen"


def parse_assignment(text: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` -> ``(NAME, VALUE)``; NAME must be a Python identifier."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=VALUE with NAME a Python identifier, e.g. --set "
            "movie=/data/a.tiff")
    return name, value


def add_exec_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``exec`` subcommand on the ``mesmerize`` parser's subparsers."""
    parser = subparsers.add_parser(
        "exec",
        help="run a console script in a window, headless when there is no display",
        description="Run a Python script in the console namespace of a Mesmerize window, the\n"
        "window really constructed (Qt's offscreen platform when there is no display).\n"
        "Exit status: 0 on success, 1 when the script raises (traceback on stderr) or a\n"
        "batch run it started has a failed item, 2 for bad arguments.",
        epilog="Example: add a motion-correction item for one movie to a batch\n"
        "  mesmerize exec add_mc.py --open /data/rec_01.tiff --batch /data/batch "
        "--set name=rec_01\n"
        "where add_mc.py holds\n"
        "  mc = get_module('caiman_motion_correction', hide=True)\n"
        "  mc.set_params({**my_params, 'name_elas': name})\n"
        "  mc.add_to_batch()\n"
        "A script may start processing with runner = get_batch_manager().process_batch();\n"
        "runner.wait() waits for it, and exec itself waits for a started run before\n"
        "exiting (progress on stderr).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("script", nargs="?", metavar="SCRIPT.py", help="the script to run")
    source.add_argument("-c", dest="code", metavar="CODE", help="run CODE instead of a file")
    parser.add_argument("--window", choices=WINDOW_KINDS, default="viewer", metavar="KIND",
                        help=f"the window whose console namespace the script gets: "
                        f"{', '.join(WINDOW_KINDS)} (default: viewer)")
    parser.add_argument("--project", metavar="DIR",
                        help="open this project first, as the Welcome Window does")
    parser.add_argument("--batch", metavar="DIR",
                        help="open (or create) this batch for get_batch_manager()")
    parser.add_argument("--open", dest="open_file", metavar="FILE",
                        help="load FILE first: a TIFF into the viewer (meta data JSON beside "
                        "it), a .fc into the flowchart, a .trn (the input Transmission) or a "
                        ".ptrn (a saved plot) into a plot window")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        type=parse_assignment, metavar="NAME=VALUE",
                        help="define NAME as the string VALUE for the script (repeatable)")
    parser.set_defaults(func=run_exec)
    return parser


def _read_source(args: argparse.Namespace) -> tuple[str, str]:
    """(source text, file name for tracebacks) of the script to run."""
    if args.code is not None:
        return args.code, INLINE_FILENAME
    path = Path(args.script)
    if not path.is_file():
        raise ExecArgumentError(f"no script file at {path}; give the path of a .py file, or "
                                "the code itself with -c")
    try:
        return path.read_text(encoding="utf-8"), str(path.absolute())
    except (OSError, UnicodeDecodeError) as exc:
        raise ExecArgumentError(f"the script {path} cannot be read: {exc}") from exc


def _check_paths(args: argparse.Namespace) -> None:
    """Refuse missing or misplaced paths before any window is built."""
    if args.project is not None and not Path(args.project).is_dir():
        raise ExecArgumentError(f"no project directory at {args.project}")
    if args.batch is not None and Path(args.batch).exists() and not Path(args.batch).is_dir():
        raise ExecArgumentError(f"--batch {args.batch} is a file; give a batch directory (it "
                                "is created when it does not exist)")
    if args.batch is not None and args.window not in ("viewer", "batch"):
        raise ExecArgumentError(f"--batch is for --window viewer or batch, not {args.window}")
    if args.window == "browser" and args.project is None:
        raise ExecArgumentError("--window browser needs --project DIR (the project to browse)")
    if args.open_file is None:
        return
    suffixes = OPEN_SUFFIXES.get(args.window)
    if suffixes is None:
        accepted = "; ".join(f"{' / '.join(s)} for --window {kind}"
                             for kind, s in OPEN_SUFFIXES.items())
        raise ExecArgumentError(f"--open is not available for --window {args.window} "
                                f"(it opens {accepted})")
    path = Path(args.open_file)
    if path.suffix.lower() not in suffixes:
        raise ExecArgumentError(f"--open {path}: the {args.window} window opens "
                                f"{' / '.join(suffixes)} files, not {path.suffix or 'this file'}")
    if not path.is_file():
        raise ExecArgumentError(f"--open {path}: no such file")


def _print_dialogs_on_stderr() -> None:
    """Replace QMessageBox's blocking dialogs: nobody can answer them in a script."""
    from qtpy import QtWidgets

    box = QtWidgets.QMessageBox

    def show(kind: str) -> Callable[..., Any]:
        def report(parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Any:
            sys.stderr.write(f"mesmerize exec: {kind}: {title}: {text}\n")
            return box.Ok
        return staticmethod(report)

    def question(parent: Any, title: str, text: str, buttons: Any = None,
                 defaultButton: Any = None) -> Any:  # noqa: N803 (Qt's keyword)
        answer = defaultButton if defaultButton not in (None, box.NoButton) else box.No
        sys.stderr.write(f"mesmerize exec: question answered "
                         f"{'Yes' if answer == box.Yes else 'No'}: {title}: {text}\n")
        return answer

    box.critical = show("error")
    box.warning = show("warning")
    box.information = show("information")
    box.question = staticmethod(question)


def _open_batch_window(batch_dir: str | None) -> Any:
    """A Batch Manager window over ``batch_dir`` (opened, or created when new or empty)."""
    from mesmerize.gui.batch import BatchManagerWindow
    from mesmerize.gui.batch.output_opener import output_opener_for

    window = BatchManagerWindow()
    window.output_opener = output_opener_for(window)
    if batch_dir is not None:
        path = Path(batch_dir)
        if path.is_dir() and any(path.iterdir()):
            window.open_batch(path)
        else:
            window.new_batch(path)
    window.show()
    return window


def build_batch_window_namespace(window: Any) -> dict[str, Any]:
    """The Batch Manager window's script namespace: ``this`` (the window), ``bm`` and
    ``get_batch_manager()`` (its script API, as a Viewer's ``get_batch_manager()``), pd, np."""
    import numpy as np
    import pandas as pd

    def get_batch_manager() -> Any:
        """The Batch Manager's script API (df, process_batch, load_item_output, ...)."""
        return window.api

    return {"this": window, "bm": window.api, "get_batch_manager": get_batch_manager,
            "pd": pd, "np": np}


class _Session:
    """The windows of one ``exec`` run: built from the arguments, closed at the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        from mesmerize.gui.app import build_welcome_window

        self.args = args
        self.batch_window: Any = None
        self.welcome = build_welcome_window()
        if args.project is not None and self.welcome.open_project(args.project) is None:
            raise ExecArgumentError(f"the project {args.project} cannot be opened (reason above)")
        self.window, self.namespace = self._build_window(args.window)

    def _build_window(self, kind: str) -> tuple[Any, dict[str, Any]]:
        from mesmerize.core.errors import MesmerizeError

        args = self.args
        try:
            if kind == "batch" or args.batch is not None:
                self.batch_window = _open_batch_window(args.batch)
        except (MesmerizeError, OSError) as exc:
            raise ExecArgumentError(f"--batch {args.batch}: {exc}") from exc
        if kind == "viewer":
            from mesmerize.gui.batch import install_batch_manager
            from mesmerize.gui.console import build_viewer_namespace

            window = self.welcome.new_viewer()
            if self.batch_window is not None:
                install_batch_manager(window, self.batch_window)
            if args.open_file is not None:
                self._load(lambda: window.vi.get_module("tiff_io", hide=True)
                           .load_tiff(args.open_file))
            return window, build_viewer_namespace(window)
        if kind == "browser":
            from mesmerize.gui.project.namespaces import build_browser_namespace

            window = self.welcome.open_project_browser()
            return window, build_browser_namespace(window)
        if kind == "flowchart":
            from mesmerize.gui.flowchart.namespace import build_flowchart_namespace

            window = self.welcome.new_flowchart()
            # a script reads node outputs right after changing them: compute before returning
            window.set_run_in_background(False)
            if args.open_file is not None:
                self._load(lambda: window.load_fc(args.open_file))
            return window, build_flowchart_namespace(window)
        if kind in PLOT_KINDS:
            return self._plot_window(kind)
        if kind == "welcome":
            from mesmerize.gui.project.namespaces import build_welcome_namespace

            self.welcome.show()
            return self.welcome, build_welcome_namespace(self.welcome)
        return self.batch_window, build_batch_window_namespace(self.batch_window)

    def _plot_window(self, kind: str) -> tuple[Any, dict[str, Any]]:
        from mesmerize.analysis.transmission import Transmission
        from mesmerize.gui.plots.kinds import PLOT_WINDOWS

        window = PLOT_WINDOWS[kind]()
        window.show()
        path = self.args.open_file
        if path is not None and Path(path).suffix.lower() == ".ptrn":
            self._load(lambda: window.load_ptrn(path))
        elif path is not None:
            self._load(lambda: window.set_input(Transmission.from_hdf5(path)))
        return window, window.console_namespace()

    def _load(self, action: Callable[[], Any]) -> None:
        from mesmerize.core.errors import MesmerizeError

        try:
            action()
        except (MesmerizeError, OSError) as exc:
            raise ExecArgumentError(f"--open {self.args.open_file} cannot be loaded: {exc}") \
                from exc

    def wait_for_batch_run(self) -> int:
        """Wait for a batch run the script started (progress on stderr); 1 when an item failed
        or the run stopped early, else 0."""
        from qtpy import QtWidgets

        from mesmerize.core.batch.item import FAILED

        runner = None if self.batch_window is None else self.batch_window.runner
        if runner is None:
            return EXIT_OK
        names = {item.uuid: item.name for item in self.batch_window.get_batch().items}

        def progress(uuid: str, fraction: float, message: str) -> None:
            sys.stderr.write(f"[batch] {names.get(uuid, uuid)}: {fraction:4.0%} {message}\n")

        def finished(uuid: str, status: str) -> None:
            sys.stderr.write(f"[batch] {names.get(uuid, uuid)}: {status}\n")

        if runner.is_running:
            sys.stderr.write("mesmerize exec: waiting for the batch run to finish\n")
            runner.progress.connect(progress)
            runner.item_finished.connect(finished)
            app = QtWidgets.QApplication.instance()
            try:
                while not runner.wait(0.1):
                    app.processEvents()
            except KeyboardInterrupt:
                sys.stderr.write("mesmerize exec: interrupted; aborting the batch run\n")
                runner.abort()
                runner.wait()
                raise
            app.processEvents()
        failed = [names.get(uuid, uuid) for uuid, status in runner.results.items()
                  if status == FAILED]
        if runner.error is not None:
            sys.stderr.write(f"mesmerize exec: the batch run stopped: {runner.error}\n")
            return EXIT_SCRIPT_FAILED
        if failed:
            sys.stderr.write(f"mesmerize exec: batch items failed: {', '.join(failed)}\n")
            return EXIT_SCRIPT_FAILED
        return EXIT_OK

    def close(self) -> None:
        """Close every window and let Qt deliver the pending events."""
        from qtpy import QtWidgets

        app = QtWidgets.QApplication.instance()
        for widget in app.topLevelWidgets():
            widget.close()
        app.processEvents()


def _run_script(source: str, filename: str, namespace: dict[str, Any]) -> int:
    """Run the script; its traceback (without this module's frame) on stderr when it raises."""
    try:
        run_source(source, filename, namespace, set_file=filename != INLINE_FILENAME)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        sys.stderr.write(f"{exc.code}\n")
        return EXIT_SCRIPT_FAILED
    except BaseException as exc:  # noqa: BLE001 (every error of the script is reported)
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in (__file__, script_runner.__file__):
            tb = tb.tb_next
        sys.stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))
        return EXIT_SCRIPT_FAILED
    return EXIT_OK


def run_exec(args: argparse.Namespace) -> int:
    """Run ``mesmerize exec`` for parsed ``args``; returns the exit status."""
    try:
        source, filename = _read_source(args)
        _check_paths(args)
    except ExecArgumentError as exc:
        sys.stderr.write(f"mesmerize exec: error: {exc}\n")
        return EXIT_BAD_ARGUMENTS
    choose_qt_platform()
    from qtpy import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["mesmerize"])
    _print_dialogs_on_stderr()
    session = None
    try:
        session = _Session(args)
        namespace = session.namespace
        namespace.update(dict(args.assignments))
        status = _run_script(source, filename, namespace)
        batch_status = session.wait_for_batch_run()
        return status if status != EXIT_OK else batch_status
    except ExecArgumentError as exc:
        sys.stderr.write(f"mesmerize exec: error: {exc}\n")
        return EXIT_BAD_ARGUMENTS
    finally:
        if session is not None:
            session.close()
        else:
            for widget in app.topLevelWidgets():
                widget.close()
