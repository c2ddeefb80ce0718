"""The documentation: a Sphinx build with warnings as errors whose key pages exist and say what
the code says (every registered node documented, every format's version), the committed
screenshots (small PNGs referenced by the guide), and ``docs/make_screenshots.py`` rendering
every window from the demo project. Sphinx and the screenshot script run in subprocesses: both
start Qt, which this (non-GUI) test process must not."""
from __future__ import annotations

import html as html_lib
import importlib.util
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
SCREENSHOTS = DOCS / "screenshots"
SCREENSHOT_NAMES = ("welcome", "viewer", "batch_manager", "project_browser", "flowchart",
                    "heatmap", "beeswarm")
MAX_SCREENSHOT_BYTES = 300 * 1024
MAX_SCREENSHOT_WIDTH = 1100
CHAPTERS = ("installation", "welcome_and_projects", "viewer", "batch_manager", "project_browser",
            "flowchart", "plots", "consoles", "interop", "system_configuration", "faq")
API_PAGES = ("work_env", "roi_manager", "stimulus", "project", "batch", "analysis", "plotting",
             "interop", "consoles", "errors")

needs_sphinx = pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None
    or importlib.util.find_spec("sphinx_rtd_theme") is None,
    reason="Sphinx and sphinx-rtd-theme are not installed: pip install \".[docs]\"")


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["MESMERIZE_CONFIG_DIR"] = str(tmp_path / "config")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    """The HTML build of docs/ (sphinx-build -W: any warning fails the build)."""
    tmp = tmp_path_factory.mktemp("docs_build")
    out = tmp / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
         str(out)], cwd=REPO_ROOT, env=subprocess_env(tmp), capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, f"sphinx-build failed:\n{done.stdout}\n{done.stderr}"
    return out


def page_text_of(markup: str) -> str:
    """The visible text of HTML markup (tags removed, entities decoded, Sphinx's typographic
    quotes made plain)."""
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", markup))
    return text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'})


def page_text(path: Path) -> str:
    """The visible text of an HTML page."""
    return page_text_of(path.read_text(encoding="utf-8"))


@needs_sphinx
def test_every_chapter_api_page_and_reference_page_is_built(html):
    pages = ([html / "index.html", html / "formats.html", html / "citation.html",
              html / "api" / "index.html"]
             + [html / "user_guide" / f"{c}.html" for c in CHAPTERS]
             + [html / "api" / f"{p}.html" for p in API_PAGES])
    missing = [str(p.relative_to(html)) for p in pages if not p.is_file()]
    assert missing == []
    index = (html / "index.html").read_text(encoding="utf-8")
    for chapter in CHAPTERS:
        assert f'href="user_guide/{chapter}.html"' in index


@needs_sphinx
def test_api_reference_is_generated_from_the_docstrings(html):
    from mesmerize.core.work_env import ViewerWorkEnv
    from mesmerize.gui.batch.api import BatchManagerAPI

    work_env = page_text(html / "api" / "work_env.html")
    first_line = ViewerWorkEnv.__doc__.strip().splitlines()[0]
    assert "ViewerWorkEnv" in work_env and first_line[:40] in work_env
    batch = page_text(html / "api" / "batch.html")
    for name in ("process_batch", "load_item_output", "df"):
        assert name in batch and hasattr(BatchManagerAPI, name)
    analysis = page_text(html / "api" / "analysis.html")
    for name in ("Transmission", "HistoryTrace", "get_data_block_history", "get_operation"):
        assert name in analysis


@needs_sphinx
def test_flowchart_chapter_documents_every_registered_node_and_parameter(html):
    from mesmerize.analysis.ops.node_spec import list_node_specs
    from mesmerize.analysis.registry import list_operations

    text = page_text(html / "user_guide" / "flowchart.html")
    nodes = [*list_operations(), *list_node_specs()]
    assert len(nodes) > 30
    for node in nodes:
        assert node.name in text, node.name
        for param in node.params:
            assert param.name in text, f"{node.name}.{param.name}"


@needs_sphinx
def test_formats_page_states_the_version_of_every_format(html):
    from mesmerize.analysis.trn_file import TRN_FORMAT_VERSION
    from mesmerize.core.batch.table import FORMAT_VERSION as BATCH_VERSION
    from mesmerize.core.project.config import CONFIG_FORMAT_VERSION
    from mesmerize.core.project.dataframe_store import DATAFRAME_FORMAT_VERSION
    from mesmerize.gui.flowchart.fc_file import FC_FORMAT_VERSION
    from mesmerize.plotting.ptrn_file import PTRN_FORMAT_VERSION

    table = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", (html / "formats.html").read_text(), re.S):
        cells = [page_text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 4:
            table[cells[0]] = cells[2]
    rows = {
        "Project configuration config.json": CONFIG_FORMAT_VERSION,
        "Project DataFrame dataframes/root.dfr": DATAFRAME_FORMAT_VERSION,
        "Transmission .trn": TRN_FORMAT_VERSION, "Saved plot .ptrn": PTRN_FORMAT_VERSION,
        "Flowchart .fc": FC_FORMAT_VERSION, "Batch table <batch>/batch.json": BATCH_VERSION,
    }
    for name, version in rows.items():
        versions = [v for file, v in table.items() if file.startswith(name)]
        assert versions == [str(version)], (name, versions)
    source = (DOCS / "formats.rst").read_text(encoding="utf-8")
    constants = ("CONFIG_FORMAT_VERSION", "DATAFRAME_FORMAT_VERSION", "SAMPLE_INFO_FORMAT_VERSION",
                 "CURVES_FORMAT_VERSION", "TRN_FORMAT_VERSION", "PTRN_FORMAT_VERSION",
                 "FC_FORMAT_VERSION", "WORK_ENV_FORMAT_VERSION")
    for constant in constants:
        assert constant in source, constant


@needs_sphinx
def test_screenshots_are_part_of_the_build(html):
    for name in SCREENSHOT_NAMES:
        assert (html / "_images" / f"{name}.png").is_file(), name


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_committed_screenshots_are_small_pngs_used_by_the_guide():
    sources = "".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.rst"))
    for name in SCREENSHOT_NAMES:
        path = SCREENSHOTS / f"{name}.png"
        assert path.is_file(), f"{path} missing: run python docs/make_screenshots.py"
        assert path.stat().st_size < MAX_SCREENSHOT_BYTES, path
        width, height = png_size(path)
        assert 300 <= width <= MAX_SCREENSHOT_WIDTH and height >= 200, (path, width, height)
        assert f"screenshots/{name}.png" in sources, f"{name}.png is not used by any page"


def test_make_screenshots_renders_every_window(tmp_path):
    """The script renders each window offscreen from the demo project; each image has content
    (not one flat colour: per-channel standard deviation > 10 of 255 levels)."""
    import matplotlib.image as mpimg

    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, str(DOCS / "make_screenshots.py"), "--out", str(out)],
                          cwd=tmp_path, env=subprocess_env(tmp_path), capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(SCREENSHOT_NAMES)
    for name in SCREENSHOT_NAMES:
        path = out / f"{name}.png"
        assert path.stat().st_size < MAX_SCREENSHOT_BYTES, path
        pixels = mpimg.imread(str(path))
        assert pixels.shape[1] <= MAX_SCREENSHOT_WIDTH
        assert float(np.std(pixels[..., :3] * 255.0)) > 10.0, f"{name}.png looks blank"


def literal_block_after(rst: str, marker: str) -> str:
    """The ``::`` literal block that follows the paragraph ending with ``marker``."""
    start = rst.index(marker) + len(marker)
    lines = rst[start:].splitlines()[1:]
    block = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip() + "\n"


def test_exec_worked_example_of_the_consoles_chapter_runs(tmp_path):
    """The ``mesmerize exec`` example, copied from the chapter, on two small movies made here:
    exit status 0, both items queued and finished, the corrected movies in the batch."""
    from mesmerize.core.batch import Batch
    from mesmerize.core.imaging.tiff_io import save_tiff
    from mesmerize.core.meta import write_meta_json

    script = literal_block_after((DOCS / "user_guide" / "consoles.rst").read_text(encoding="utf-8"),
                                 "Save it as ``queue_motion_correction.py``::")
    assert "get_module('caiman_motion_correction', hide=True)" in script
    (tmp_path / "queue_motion_correction.py").write_text(script)
    raw = tmp_path / "raw"
    raw.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:80, :80]
    for name in ("rec_a", "rec_b"):
        cells = sum(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 12.0)
                    for cx, cy in rng.uniform(10, 70, (15, 2)))
        frames = np.stack([np.roll(cells, (int(dy), int(dx)), axis=(0, 1))
                           for dy, dx in rng.integers(-2, 3, (20, 2))])
        tyx = rng.poisson(100 + 800 * frames).astype(np.uint16)
        save_tiff(raw / f"{name}.tiff", tyx.T)
        write_meta_json(raw / f"{name}.json",
                        {"source": "docs_test", "fps": 10.0, "date": "20200101_120000"})
    batch_dir = tmp_path / "batch"
    env = subprocess_env(tmp_path)
    env.pop("QT_QPA_PLATFORM")  # exec chooses the offscreen platform itself without a display
    done = subprocess.run(
        [sys.executable, "-m", "mesmerize", "exec", "queue_motion_correction.py", "--batch",
         str(batch_dir), "--set", f"raw_dir={raw}"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "queued rec_a" in done.stdout and "queued rec_b" in done.stdout
    items = Batch.open(batch_dir).items
    assert [(i.name, i.status) for i in items] == [("rec_a", "finished"), ("rec_b", "finished")]
