"""A small ready-to-explore Mesmerize project built from a synthetic movie.

``build_demo_project(out_dir)`` writes ``out_dir/raw/`` (the movie, its meta data and ground
truth) and ``out_dir/project/`` (a project with one sample whose hand-drawn-style polygon ROIs
outline the true neurons, tagged, with a stimulus map and extracted curves).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Union

import cv2
import numpy as np
import pandas as pd

from mesmerize.core.errors import ProjectError
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.demo.synthetic import SyntheticMovie, SyntheticParams, generate

PathLike = Union[str, os.PathLike]

RAW_DIR = "raw"
PROJECT_DIR = "project"
MOVIE_NAME = "demo_movie"
ROI_TYPE_COLUMN = "cell_type"
STIMULUS_TYPE = "stimulus"
GENOTYPE_COLUMN = "genotype"
ANIMAL_ID = "demo_mouse"
TRIAL_ID = "session_1"
#: Footprint level (footprints peak at 1) whose outline becomes an ROI.
ROI_LEVEL = 0.5

DEFAULT_DEMO_PARAMS = SyntheticParams(
    shape=(600, 128, 128), n_neurons=20, fps=10.0, neuron_radius=4.0, mode="2p", max_shift=1.5,
    seed=0,
)


def footprint_polygon(footprint: np.ndarray, level: float = ROI_LEVEL) -> np.ndarray:
    """Outline of ``footprint >= level`` as polygon vertices ``(n, 2)`` float ``(x, y)`` px.

    ``footprint`` is ``(H, W)`` = ``(y, x)``. The contour is traced on the mask upsampled 2x, so
    it runs a quarter pixel inside the outer pixel edges: exactly the pixels of the mask, holes
    filled (a dim nucleus stays in the ROI, as when drawn by hand), have their centres inside the
    polygon (docs/conventions.md). The largest connected part is used.
    """
    mask = np.asarray(footprint) >= level
    if not mask.any():
        raise ProjectError(f"footprint never reaches {level}: no ROI can be drawn around it")
    up = np.kron(mask, np.ones((2, 2), bool)).astype(np.uint8)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    largest = max(contours, key=cv2.contourArea)[:, 0, :].astype(np.float64)
    return (largest + 0.5) / 2.0


def _cell_type_tags(movie: SyntheticMovie) -> list[str]:
    """Tag each neuron by its true spike count: "high_rate" from the median up, else "low_rate"."""
    rates = movie.spikes.sum(axis=1)
    return ["high_rate" if r >= np.median(rates) else "low_rate" for r in rates]


def _stimulus_periods(n_frames: int, fps: float) -> pd.DataFrame:
    """Alternating "light" and "sound" periods of 3 s every 12 s (frames)."""
    period, length = int(12 * fps), int(3 * fps)
    starts = np.arange(period // 2, n_frames - length, period)
    names = ["light" if i % 2 == 0 else "sound" for i in range(len(starts))]
    return pd.DataFrame({"name": names, "start": starts, "end": starts + length})


def build_demo_project(
    out_dir: PathLike,
    params: SyntheticParams | None = None,
    progress: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Generate a synthetic movie and a project holding it as one sample.

    ``out_dir`` must not contain ``raw/`` or ``project/`` yet. ``params`` default to
    ``DEFAULT_DEMO_PARAMS`` (600 frames of 128 x 128 px, 2-photon, 20 neurons, slight motion).
    ``progress(message)`` is called at each step. Returns a summary: ``project_path``,
    ``movie_path``, ``meta_path``, ``truth_path`` (Paths), ``sample_id``, ``n_rois``,
    ``n_frames``, ``stimulus_periods``.
    """
    out_dir = Path(out_dir)
    params = DEFAULT_DEMO_PARAMS if params is None else params
    project_path = out_dir / PROJECT_DIR
    for existing in (out_dir / RAW_DIR, project_path):
        if existing.exists():
            raise ProjectError(
                f"{existing} already exists: choose an empty output directory or remove the "
                "previous demo first"
            )
    t, h, w = params.validated().shape
    progress(f"Generating a synthetic {params.mode} movie: {t} frames of {w} x {h} px, "
             f"{params.n_neurons} neurons")
    movie = generate(params)
    movie_path, meta_path, truth_path = movie.save(out_dir / RAW_DIR, MOVIE_NAME)
    progress(f"Saved the movie to {movie_path} (meta data {meta_path.name}, ground truth "
             f"{truth_path.name})")

    config = ProjectConfig(
        roi_type_columns=[ROI_TYPE_COLUMN],
        stimulus_type_columns=[STIMULUS_TYPE],
        custom_columns={GENOTYPE_COLUMN: CustomColumn("str")},
    )
    project = Project.create(project_path, config)
    progress(f"Created the project {project_path}")

    work_env = ViewerWorkEnv.from_tiff(movie_path, "asarray")
    work_env.roi_manager.set_roi_type_columns(config.roi_type_columns)
    work_env.stim_maps.set_stim_types(config.stimulus_type_columns)
    for footprint, tag in zip(movie.footprints, _cell_type_tags(movie)):
        roi = work_env.roi_manager.add_polygon_roi(footprint_polygon(footprint))
        roi.set_tag(ROI_TYPE_COLUMN, tag)
    periods = _stimulus_periods(t, params.fps)
    work_env.stim_maps.maps[STIMULUS_TYPE].set_data(periods)
    work_env.roi_manager.update_curves(work_env.imgdata.seq)
    work_env.comments = "Synthetic demo movie; ROIs outline the true neurons."
    progress(f"Drew {len(work_env.roi_manager.roi_list)} ROIs around the true neurons and "
             f"mapped {len(periods)} stimulus periods")

    sample_id = project.add_sample(work_env, ANIMAL_ID, TRIAL_ID,
                                   custom_values={GENOTYPE_COLUMN: "wild_type"})
    work_env.mark_saved()
    n_rois = len(work_env.roi_manager.roi_list)
    progress(f"Added sample {sample_id} with {n_rois} ROIs to the project")
    return {
        "project_path": project_path,
        "movie_path": movie_path,
        "meta_path": meta_path,
        "truth_path": truth_path,
        "sample_id": sample_id,
        "n_rois": n_rois,
        "n_frames": t,
        "stimulus_periods": len(periods),
    }


def remove_previous_demo(out_dir: PathLike) -> None:
    """Delete the ``raw/`` and ``project/`` a previous ``build_demo_project`` left in ``out_dir``.

    Refuses (``ProjectError``, nothing deleted) when ``out_dir`` holds anything else, when
    ``raw/`` holds files other than the demo movie's, or ``project/`` is not a Mesmerize project.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    demo_files = {f"{MOVIE_NAME}.tiff", f"{MOVIE_NAME}.json", f"{MOVIE_NAME}_truth.npz"}
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in (RAW_DIR, PROJECT_DIR))
    raw, project = out_dir / RAW_DIR, out_dir / PROJECT_DIR
    if raw.exists():
        others += [f"{RAW_DIR}/{p.name}" for p in raw.iterdir() if p.name not in demo_files]
    if project.exists() and not (project / "config.json").is_file():
        others.append(f"{PROJECT_DIR}/ (not a Mesmerize project)")
    if others:
        raise ProjectError(
            f"{out_dir} holds more than a previous demo ({', '.join(others[:5])}); nothing was "
            "removed: choose another output directory"
        )
    for path in (raw, project):
        if path.exists():
            shutil.rmtree(path)
