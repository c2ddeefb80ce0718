"""The Batch Manager window over a real batch processed in subprocesses (small test engine)."""
from __future__ import annotations

import numpy as np
import pytest
from qtpy import QtCore, QtWidgets

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import Batch, RunnerSettings, register_kind, unregister_kind
from mesmerize.core.errors import ParameterError
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.gui.batch import (
    STATUS_COLORS, BatchManagerWindow, install_batch_manager, install_batch_manager_menu,
)
from mesmerize.gui.batch.item_output import corrected_seq_xyt, input_work_env
from mesmerize.gui.console import build_viewer_namespace
from tests.core import batch_kinds_for_tests as helpers

RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def kind():
    register_kind(helpers.KIND)
    yield helpers.KIND.name
    unregister_kind(helpers.KIND.name)


@pytest.fixture
def batch(tmp_path, kind):
    return Batch.create(tmp_path / "batch_1")


@pytest.fixture
def movie(tmp_path):
    return helpers.make_movie(tmp_path)[0]


@pytest.fixture
def messages(monkeypatch):
    """QMessageBox.warning / information calls as (kind, title, text); no box is shown."""
    shown = []
    for name in ("warning", "information"):
        monkeypatch.setattr(QtWidgets.QMessageBox, name,
                            lambda parent, title, text, *a, _n=name, **k:
                            shown.append((_n, title, text)))
    return shown


def answer_questions(monkeypatch, *answers):
    """Answer the next QMessageBox.question calls with ``answers`` (Yes/No); returns the texts
    asked."""
    asked, queue = [], list(answers)

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return queue.pop(0)

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", question)
    return asked


@pytest.fixture
def window(qtbot, batch):
    win = BatchManagerWindow(batch, runner_settings=RunnerSettings())
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.runner is not None:
        win.runner.abort()
        win.runner.wait(30)


def click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)


def wait_colors(qtbot, window, expected: dict[str, str]):
    def check():
        for uuid, status in expected.items():
            assert window.item_color(uuid) == STATUS_COLORS[status], (uuid, status)
    qtbot.waitUntil(check, timeout=RUN_TIMEOUT_MS)


def test_run_colours_stdout_progress_and_failed_item(window, batch, kind, movie, qtbot,
                                                     messages, tmp_path):
    first = batch.add_item(kind, "scaled", {"scale": 2.0, "sleep_s": 1.5}, input_movie=movie)
    bad = batch.add_item(kind, "scaled", {"scale": 3.0, "fail": True}, input_movie=movie)
    chained = batch.add_item(kind, "chained", {"scale": 0.5}, input_item=first)
    window.refresh_items()
    assert window.item_list.count() == 3
    wait_colors(qtbot, window, {first: "pending", bad: "pending", chained: "pending"})
    assert window.windowTitle() == "Batch Manager - batch_1"
    assert window.parent_label.text() == str(batch.path.parent)
    assert not window.abort_button.isEnabled()

    click(qtbot, window.start_button)
    assert window.abort_button.isEnabled() and not window.start_button.isEnabled()
    wait_colors(qtbot, window, {first: "running"})
    window.grab().save(str(tmp_path / "batch_manager_running.png"))
    wait_colors(qtbot, window, {first: "finished", bad: "failed", chained: "finished"})
    qtbot.waitUntil(lambda: window.progress_bar.format() == "done", timeout=RUN_TIMEOUT_MS)

    stdout = window.stdout_text.toPlainText()
    assert f"==== scaled ({first}) ====" in stdout
    assert "copy engine started" in stdout
    assert "==== chained: finished ====" in stdout
    assert "@mesmerize-progress" not in stdout
    assert window.progress_bar.value() == window.progress_bar.maximum()
    assert window.start_button.isEnabled() and not window.abort_button.isEnabled()

    window.select_item(bad)
    params = window.params_text.toPlainText().splitlines()
    assert params[0] == bad
    assert "  fail: True" in params
    assert "  scale: 3.0" in params  # differs from the other item named "scaled"
    info = window.output_text.toPlainText()
    assert "status: failed" in info and "ParameterError" in info and "Traceback" in info
    window.select_item(first)
    assert "  movie: " in window.output_text.toPlainText()
    assert messages == []
    assert window.grab().save(str(tmp_path / "batch_manager.png"))


def test_start_at_selection_skips_earlier_items(window, batch, kind, movie, qtbot):
    skipped = batch.add_item(kind, "a", {"scale": 1.0}, input_movie=movie)
    run = batch.add_item(kind, "b", {"scale": 1.0}, input_movie=movie)
    window.refresh_items()
    window.select_item(run)
    click(qtbot, window.start_at_selection_button)
    wait_colors(qtbot, window, {run: "finished"})
    qtbot.waitUntil(lambda: not window.is_running, timeout=RUN_TIMEOUT_MS)
    assert window.item_color(skipped) == STATUS_COLORS["pending"]


def test_abort_marks_the_item_orange(window, batch, kind, movie, qtbot):
    slow = batch.add_item(kind, "slow", {"scale": 1.0, "sleep_s": 30}, input_movie=movie)
    window.refresh_items()
    click(qtbot, window.start_button)
    wait_colors(qtbot, window, {slow: "running"})
    click(qtbot, window.abort_button)
    wait_colors(qtbot, window, {slow: "aborted"})
    qtbot.waitUntil(lambda: window.start_button.isEnabled(), timeout=RUN_TIMEOUT_MS)
    assert Batch.open(batch.path).get_item(slow).status == "aborted"


def test_delete_item_asks_and_respects_dependencies(window, batch, kind, movie, qtbot,
                                                    monkeypatch, messages):
    source = batch.add_item(kind, "source", {"scale": 1.0}, input_movie=movie)
    user = batch.add_item(kind, "user", {"scale": 1.0}, input_item=source)
    window.refresh_items()
    yes, no = QtWidgets.QMessageBox.Yes, QtWidgets.QMessageBox.No

    window.select_item(source)
    asked = answer_questions(monkeypatch, yes, no)
    click(qtbot, window.delete_button)
    assert "'source'" in asked[0]
    assert "input of item" in asked[1] and user in asked[1]
    assert [i.uuid for i in batch.items] == [source, user]

    window.select_item(user)
    answer_questions(monkeypatch, yes)
    click(qtbot, window.delete_button)
    assert [i.uuid for i in batch.items] == [source]
    assert window.item_list.count() == 1
    assert not batch.item_dir(user).exists()
    assert messages == []


def test_export_shell_scripts(window, batch, kind, movie, qtbot, monkeypatch, messages,
                              tmp_path):
    uuids = [batch.add_item(kind, f"item{i}", {"scale": 1.0}, input_movie=movie)
             for i in range(2)]
    window.refresh_items()
    out = tmp_path / "scripts"
    out.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(out))
    click(qtbot, window.export_button)
    assert messages == [("information", "Export shell scripts",
                         f"Wrote 2 item scripts and run_all.sh to {out}.")]
    scripts = sorted(p.name for p in out.iterdir())
    assert scripts == [f"0000_{uuids[0]}.sh", f"0001_{uuids[1]}.sh", "run_all.sh"]
    text = (out / f"0001_{uuids[1]}.sh").read_text()
    assert "mesmerize.cli.batch_runner" in text and uuids[1] in text


def test_open_and_new_batch_buttons(qtbot, tmp_path, monkeypatch, messages, kind, movie):
    window = BatchManagerWindow(runner_settings=RunnerSettings())
    qtbot.addWidget(window)
    assert window.windowTitle() == "Batch Manager"
    assert "No batch open" in window.parent_label.text()
    assert not window.start_button.isEnabled() and window.open_batch_button.isEnabled()

    bad = tmp_path / "my batch"
    bad.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: str(bad))
    click(qtbot, window.open_batch_button)
    assert messages[-1][1] == "Open batch"
    assert "' '" in messages[-1][2] and "without spaces or special characters" in messages[-1][2]
    assert window.batch is None

    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("batch_2", True))
    click(qtbot, window.new_batch_button)
    assert window.batch is not None and window.batch.path == tmp_path / "batch_2"
    assert window.windowTitle() == "Batch Manager - batch_2"

    Batch.create(tmp_path / "batch_3").add_item(kind, "x", {"scale": 1.0}, input_movie=movie)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(tmp_path / "batch_3"))
    click(qtbot, window.open_batch_button)
    assert window.batch.path == tmp_path / "batch_3"
    assert window.item_list.count() == 1
    assert len(messages) == 1


def test_items_added_by_others_appear_through_polling(window, batch, kind, movie, qtbot):
    other = Batch.open(batch.path)  # another process's view of the same batch
    uuid = other.add_item(kind, "from console", {"scale": 1.0}, input_movie=movie)
    qtbot.waitUntil(lambda: window.item_list.count() == 1, timeout=5000)
    assert window.item_color(uuid) == STATUS_COLORS["pending"]


def test_double_click_calls_the_output_opener(window, batch, kind, movie, qtbot, messages):
    opened = []
    window.output_opener = lambda b, u: opened.append((b, u))
    done = batch.add_item(kind, "done", {"scale": 2.0}, input_movie=movie)
    waiting = batch.add_item(kind, "waiting", {"scale": 2.0}, input_movie=movie)
    window.refresh_items()
    window.api.process_batch(0)
    wait_colors(qtbot, window, {done: "finished"})
    qtbot.waitUntil(lambda: not window.is_running, timeout=RUN_TIMEOUT_MS)
    batch.reset_item(waiting)
    window.refresh_items()

    def double_click(uuid):
        window.select_item(uuid)
        rect = window.item_list.visualItemRect(window.item_list.currentItem())
        # an item view needs the press of the first click before it sees a double click
        qtbot.mouseClick(window.item_list.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(window.item_list.viewport(), QtCore.Qt.LeftButton,
                          pos=rect.center())

    double_click(done)
    assert opened == [(batch, done)]
    double_click(waiting)
    assert opened == [(batch, done)]
    assert "is pending" in messages[-1][2]


def test_api_names_of_the_guide(window, batch, kind, movie, viewer, qtbot):
    install_batch_manager(viewer, window)
    bm = build_viewer_namespace(viewer)["get_batch_manager"]()
    assert bm is window.api and bm.get_batch() is batch
    first = batch.add_item(kind, "one", {"scale": 2.0}, input_movie=movie)
    second = batch.add_item(kind, "two", {"scale": 3.0}, input_movie=movie)
    assert bm.df.index.size == 2 and list(bm.df["uuid"]) == [first, second]
    work_env = ViewerWorkEnv(ImgData(np.zeros((4, 4, 3), np.uint16)))
    viewer.vi.viewer.workEnv = work_env
    runner = bm.process_batch(1, clear_viewers=True)
    assert work_env.is_empty  # the viewer was cleared before processing
    assert runner.wait(60)
    assert runner.results == {second: "finished"}
    result = bm.load_item_output(module=kind, UUID=second)
    np.testing.assert_allclose(result.load_movie(), 3.0 * np.asarray(open_movie_tyx(movie)))
    assert bm.load_item_output(viewers=viewer, UUID=second) is not None
    assert viewer.vi.viewer.workEnv.is_empty  # only motion correction movies are loaded
    with pytest.raises(ParameterError, match="is a 'test_copy' item"):
        bm.load_item_output(module="cnmf", UUID=second)
    with pytest.raises(ParameterError, match="viewers must be a Viewer window"):
        bm.load_item_output(viewers=42, UUID=second)
    with pytest.raises(ParameterError, match="needs UUID"):
        bm.load_item_output(module=kind)


def test_corrected_seq_keeps_unscaled_movies_as_stored():
    stored = np.random.default_rng(1).integers(0, 4000, (7, 5, 6)).astype(np.uint16)  # [t, y, x]
    seq = corrected_seq_xyt(stored, 1.0, 0.0, chunk_frames=3)
    assert seq.dtype == np.uint16 and seq.shape == (6, 5, 7)
    np.testing.assert_array_equal(seq, stored.transpose(2, 1, 0))


def test_corrected_seq_undoes_the_bit_depth_scaling():
    rng = np.random.default_rng(1)
    corrected = rng.uniform(-10, 30, (7, 5, 6)).astype(np.float32)  # [t, y, x]
    offset, scale = -10.0, 65535 / 40.0
    stored = np.rint((corrected - offset) * scale).astype(np.uint16)
    seq = corrected_seq_xyt(stored, scale, offset, chunk_frames=3)
    assert seq.dtype == np.float32 and seq.shape == (6, 5, 7)
    # within half a quantisation step of the stored integers, in intensity units
    np.testing.assert_allclose(seq, corrected.transpose(2, 1, 0), atol=0.5 / scale + 1e-5)


def test_double_click_loads_a_motion_corrected_movie_into_the_viewer(window, batch, viewer,
                                                                     qtbot, messages):
    from mesmerize.core.system_config import SystemConfig, save_system_config
    from mesmerize.demo.synthetic import SyntheticParams, generate
    from tests.core.test_batch_motion_correction import MC_PARAMS

    save_system_config(SystemConfig(max_threads=1))
    synthetic = generate(SyntheticParams(shape=(30, 32, 32), n_neurons=4, max_shift=2))
    work_env = ViewerWorkEnv(ImgData(synthetic.movie.T, synthetic.meta),
                             history_trace=[{"crop": {"x0": 0}}])
    as_float = batch.add_item("caiman_motion_correction", "mc", MC_PARAMS,
                              input_work_env=work_env)
    as_8bit = batch.add_item("caiman_motion_correction", "mc",
                              {**MC_PARAMS, "output_bit_depth": "8"}, input_work_env=work_env)
    install_batch_manager(viewer, window)
    window.refresh_items()
    click(qtbot, window.start_button)
    wait_colors(qtbot, window, {as_float: "finished", as_8bit: "finished"})
    reference = window.api.load_item_output(UUID=as_float)
    expected = np.asarray(reference.load_movie()).transpose(2, 1, 0)  # [x, y, t] float32

    window.select_item(as_8bit)
    rect = window.item_list.visualItemRect(window.item_list.currentItem())
    qtbot.mouseClick(window.item_list.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.item_list.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    assert messages == []
    loaded = viewer.vi.viewer.workEnv
    assert loaded.sample_id is None and loaded.meta["fps"] == synthetic.meta["fps"]
    assert [list(h) for h in loaded.history_trace] == [["crop"], ["caiman_motion_correction"]]
    assert loaded.history_trace[1]["caiman_motion_correction"]["output_bit_depth"] == "8"
    seq = loaded.imgdata.seq
    assert seq.dtype == np.float32 and seq.shape == expected.shape
    assert expected.max() > 255  # so the 8-bit output had to be rescaled
    step = (expected.max() - expected.min()) / 255
    np.testing.assert_allclose(seq, expected, atol=0.5 * step + 1e-3)  # 8-bit rounding only
    assert viewer.image_display.image_view.image is seq
    # the guide's script form: bm.load_item_output(module=..., viewers=viewer, UUID=...)
    window.api.load_item_output(module="caiman_motion_correction",
                                viewers=viewer.vi.viewer, UUID=as_float)
    np.testing.assert_array_equal(viewer.vi.viewer.workEnv.imgdata.seq, expected)


def test_view_input_loads_the_input_into_the_attached_viewer(window, batch, kind, movie,
                                                             viewer, qtbot, messages):
    uuid = batch.add_item(kind, "in", {"scale": 2.0}, input_movie=movie)
    chained = batch.add_item(kind, "chained", {"scale": 1.0}, input_item=uuid)
    window.refresh_items()
    window.select_item(uuid)
    click(qtbot, window.view_input_button)
    assert "No Viewer is attached" in messages[-1][2]

    install_batch_manager(viewer, window)
    click(qtbot, window.view_input_button)
    seq = viewer.vi.viewer.workEnv.imgdata.seq
    np.testing.assert_array_equal(seq, np.asarray(open_movie_tyx(movie)).T)
    assert viewer.vi.viewer.workEnv.meta["fps"] == helpers.META["fps"]

    window.select_item(chained)
    click(qtbot, window.view_input_button)
    assert "process it first" in messages[-1][2]
    window.api.process_batch(0)
    qtbot.waitUntil(lambda: not window.is_running, timeout=RUN_TIMEOUT_MS)
    chained_input = input_work_env(batch, chained)
    np.testing.assert_allclose(chained_input.imgdata.seq,
                               2.0 * np.asarray(open_movie_tyx(movie)).T)
    assert [list(h) for h in chained_input.history_trace] == [[kind]]


def test_viewer_menu_opens_the_shared_batch_manager_and_asks_for_a_batch(
        viewer, qtbot, tmp_path, monkeypatch, messages):
    created = []

    def provider():
        if not created:
            created.append(BatchManagerWindow(runner_settings=RunnerSettings()))
            qtbot.addWidget(created[0])
        return created[0]

    install_batch_manager_menu(viewer, provider)
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("New batch", True))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("menu_batch", True))
    viewer.menu_action("Modules", "Batch Manager").trigger()
    window = created[0]
    assert window.isVisible() and window.batch.path == tmp_path / "menu_batch"
    bm = build_viewer_namespace(viewer)["get_batch_manager"]()
    assert bm is window.api and bm.df.empty
    viewer.menu_action("Modules", "Batch Manager").trigger()
    assert len(created) == 1 and window.viewers == [viewer]
    assert messages == []


def test_use_work_dir_without_a_work_dir_is_explained(window, batch, kind, movie, qtbot,
                                                      messages):
    uuid = batch.add_item(kind, "a", {"scale": 1.0}, input_movie=movie)
    window.refresh_items()
    window.use_work_dir_check.setChecked(True)
    click(qtbot, window.start_button)
    assert messages[-1][1] == "Start" and "no work dir is set" in messages[-1][2]
    assert not window.is_running and batch.get_item(uuid).status == "pending"
