"""The full demo pipeline, from a synthetic raw movie to figures, scored against ground truth.

``run_demo_pipeline(out_dir)`` writes ``out_dir/raw/`` (movie, meta data, ground truth),
``out_dir/project/`` (a project whose ``batches/demo/`` batch ran motion correction then CNMF in
subprocesses, one sample holding the CNMF components with tags and a stimulus map, and a
``trns/demo_clusters.trn``) and ``out_dir/figures/`` (``heatmap.png``, ``beeswarm.png``). It
returns a summary dict with the accuracy of each step against the generator's ground truth.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np
import pandas as pd

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.core.batch import Batch, BatchRunner
from mesmerize.core.batch.item import FINISHED
from mesmerize.core.batch.outputs import load_cnmf_item_output
from mesmerize.core.errors import MetaDataError, ProjectError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.project.layout import BATCHES_DIR, TRNS_DIR
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.demo.demo_project import (
    ANIMAL_ID, DEFAULT_DEMO_PARAMS, GENOTYPE_COLUMN, MOVIE_NAME, PROJECT_DIR, RAW_DIR,
    ROI_TYPE_COLUMN, STIMULUS_TYPE, TRIAL_ID, _cell_type_tags, _stimulus_periods,
)
from mesmerize.demo.synthetic import SyntheticMovie, SyntheticParams, generate
from mesmerize.engines.cnmf.scoring import match_components

PathLike = Union[str, os.PathLike]

FIGURES_DIR = "figures"
BATCH_NAME = "demo"
TRN_NAME = "demo_clusters.trn"
UNMATCHED_TAG = "unmatched"
CLUSTER_COLUMN = "cluster"


@dataclass
class PipelineParams:
    """What the demo runs on and with.

    ``movie``: the synthetic movie (default 600 frames of 128 x 128 px, 2-photon, 20 neurons,
    up to 1.5 px of rigid motion). ``motion_correction`` / ``cnmf``: parameter dicts of the batch
    items (the Viewer modules' keys); empty dicts pick values matched to ``movie``.
    ``n_clusters``: flat clusters cut from the hierarchical clustering of the z-scored traces.
    ``peak_threshold``: relative amplitude threshold (of the normalised trace) of PeakDetect.
    ``timeout_s``: the most the batch may run before the demo gives up.
    ``movie_path`` / ``meta_path``: run on this TIFF movie (``[t, y, x]`` on disk) and meta data
    JSON (default: the JSON beside the movie) instead of a synthetic one; there is no ground
    truth then, so the summary has no accuracy and ROIs are tagged by their CNMF spike rate.
    ``movie`` still sets the motion search range and the CNMF neuron size and count.
    """

    movie: SyntheticParams = field(default_factory=lambda: replace(DEFAULT_DEMO_PARAMS))
    motion_correction: dict[str, Any] = field(default_factory=dict)
    cnmf: dict[str, Any] = field(default_factory=dict)
    n_clusters: int = 3
    peak_threshold: float = 0.2
    timeout_s: float = 1800.0
    movie_path: str | None = None
    meta_path: str | None = None

    def mc_params(self) -> dict[str, Any]:
        """Rigid motion correction searching up to 3x the movie's largest shift."""
        reach = max(2, int(np.ceil(3 * self.movie.max_shift)))
        return {"max_shifts_x": reach, "max_shifts_y": reach, "iters_rigid": 2,
                "pw_rigid": False, "upsample_factor_fft": 10, "output_bit_depth": "Do not convert",
                "name_rigid": "demo_mc", "n_template_frames": min(200, self.movie.shape[0]),
                **self.motion_correction}

    def cnmf_params(self) -> dict[str, Any]:
        """CNMF over the whole field of view with a few more seeds than true neurons."""
        radius = max(1, int(round(self.movie.neuron_radius)))
        return {"p": 1, "gnb": 1, "merge_thresh": 0.8, "rf": None, "k": self.movie.n_neurons + 5,
                "gSig": [radius, radius], "min_SNR": 2.5, "rval_thr": 0.8,
                "decay_time": 0.6, "refit": True, **self.cnmf}


def _check_out_dir(out_dir: Path) -> None:
    for name in (RAW_DIR, PROJECT_DIR, FIGURES_DIR):
        if (out_dir / name).exists():
            raise ProjectError(f"{out_dir / name} already exists: choose an empty output "
                               "directory or remove the previous demo first")


def _run_batch(batch: Batch, progress: Callable[[str], Any], timeout_s: float) -> None:
    names = {item.uuid: f"{item.module} {item.name!r}" for item in batch.items}
    last: dict[str, int] = {}

    def on_progress(uuid: str, fraction: float, message: str) -> None:
        step = int(fraction * 10)  # a line per 10 %, per item
        if last.get(uuid) != step:
            last[uuid] = step
            progress(f"  [{names.get(uuid, uuid)}] {100 * fraction:5.1f} % {message}".rstrip())

    def on_finished(uuid: str, status: str) -> None:
        item = batch.get_item(uuid)
        took = "" if item.duration_s is None else f" in {item.duration_s:.1f} s"
        progress(f"  [{names.get(uuid, uuid)}] {status}{took}")

    runner = BatchRunner(batch)
    runner.progress.connect(on_progress)
    runner.item_finished.connect(on_finished)
    runner.start()
    if not runner.wait(timeout_s):
        runner.abort()
        runner.wait(30.0)
        raise ProjectError(f"The demo batch ran longer than {timeout_s:.0f} s and was aborted; "
                           "run the demo on a smaller movie or raise timeout_s.")
    if runner.error is not None:
        raise runner.error
    for item in batch.items:
        if item.status != FINISHED:
            log = batch.log_path(item.uuid)
            tail = log.read_text(errors="replace").splitlines()[-15:] if log.is_file() else []
            raise ProjectError(
                f"The demo's {item.module} item ended {item.status}: "
                f"{item.error or 'see its log'}\n" + "\n".join(tail))


def shift_rmse(estimated: np.ndarray, truth: np.ndarray) -> float:
    """RMS error (px) of ``(T, 2)`` ``(dy, dx)`` shifts after removing the mean difference (the
    template's own offset from the motion-free frame): sqrt(mean over frames of |error|^2)."""
    error = np.asarray(estimated, np.float64) - np.asarray(truth, np.float64)
    error -= error.mean(axis=0)
    return float(np.sqrt(np.mean(np.sum(error ** 2, axis=1))))


def _found_footprints(cnmf_data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Accepted footprints ``(D, H, W)`` and their traces ``(D, T)``."""
    idx = np.asarray(cnmf_data.component_indices(), dtype=np.int64)
    h, w = cnmf_data.dims
    fp = np.stack([np.asarray(cnmf_data.footprint(i)).T for i in idx]) if idx.size else \
        np.zeros((0, h, w))
    traces = np.asarray(cnmf_data.C)[idx] if idx.size else np.zeros((0, cnmf_data.n_frames))
    return fp, traces


def _corrected_seq_xyt(mc_result: Any) -> np.ndarray:
    """The motion-corrected movie ``[x, y, t]`` float32 with the engine's bit-depth scaling
    undone (``value = stored / output_scale + output_offset``)."""
    movie = mc_result.load_movie()
    seq = np.asarray(movie, dtype=np.float32).transpose(2, 1, 0)
    if mc_result.output_scale != 1.0 or mc_result.output_offset != 0.0:
        seq = seq / np.float32(mc_result.output_scale) + np.float32(mc_result.output_offset)
    return np.ascontiguousarray(seq)


def _rate_tags(rates: np.ndarray) -> np.ndarray:
    """"high_rate" from the median rate up, else "low_rate" (the ground truth's rule)."""
    rates = np.asarray(rates, dtype=np.float64)
    return np.where(rates >= np.median(rates), "high_rate", "low_rate").astype(object)


def _import_sample(project: Project, config: ProjectConfig, batch: Batch, cnmf_uuid: str,
                   mc_result: Any, truth: SyntheticMovie | None,
                   periods: pd.DataFrame) -> tuple[str, Any, np.ndarray]:
    """Load the CNMF components into a work environment, tag them by their matched true neuron
    ("high_rate" / "low_rate", or "unmatched"; without ground truth by the median split of
    their CNMF spike counts, the sums of ``S``), map the stimuli, add the sample.
    Returns the sample ID, the detection score (None without ground truth) and the tags."""
    output = load_cnmf_item_output(batch, cnmf_uuid)
    work_env = ViewerWorkEnv(ImgData(_corrected_seq_xyt(mc_result), output.meta or None))
    work_env.roi_manager.set_roi_type_columns(config.roi_type_columns)
    work_env.roi_manager.set_cnmf_data(output.cnmf_data, mode=output.mode)
    work_env.history_trace = list(output.history_trace)
    work_env.stim_maps.set_stim_types(config.stimulus_type_columns)
    work_env.stim_maps.maps[STIMULUS_TYPE].set_data(periods)
    found, found_traces = _found_footprints(output.cnmf_data)
    if truth is None:
        score = None
        idx = np.asarray(output.cnmf_data.component_indices(), dtype=np.int64)
        spikes = output.cnmf_data.S
        tags = _rate_tags(np.asarray(spikes)[idx].sum(axis=1)) if spikes is not None and \
            idx.size else np.full(len(found), UNMATCHED_TAG, dtype=object)
    else:
        score = match_components(truth.footprints, found,
                                 max_distance=truth.params.neuron_radius,
                                 true_traces=truth.calcium, found_traces=found_traces)
        true_tags = _cell_type_tags(truth)
        tags = np.full(len(found), UNMATCHED_TAG, dtype=object)
        for true_ix, found_ix in score.matches:
            tags[found_ix] = true_tags[true_ix]
    for roi, tag in zip(work_env.roi_manager.roi_list, tags):
        roi.set_tag(ROI_TYPE_COLUMN, str(tag))
    work_env.comments = "Synthetic demo movie; ROIs are the CNMF components of the demo batch."
    sample_id = project.add_sample(work_env, ANIMAL_ID, TRIAL_ID,
                                   custom_values={GENOTYPE_COLUMN: "wild_type"})
    work_env.mark_saved()
    return sample_id, score, tags


def _analyse(project: Project, params: PipelineParams) -> tuple[Transmission, Transmission]:
    """The flowchart graph from code. Returns the clustered Transmission (one row per ROI,
    ``_ZSCORE``, each trace z-scored on its own, and ``cluster``) and the peak features (one
    row per peak, with ``cluster``)."""
    t = Transmission.from_proj_df(project.dataframe, project, "root", [])
    z = get_operation("ZScore")(t, data_column="_RAW_CURVE", group_by="uuid_curve")
    norm = get_operation("Normalize")(z, data_column="_ZSCORE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    peaks = get_operation("PeakDetect")(z, deriv, norm, None, data_column="_ZSCORE",
                                        AmplThrRel=params.peak_threshold, Fictional_Bases=True)
    features = get_operation("PeakFeatures")(peaks, data_column="_ZSCORE")
    link = get_node_spec("Linkage")(z, data_column="_ZSCORE", method="average",
                                    metric="correlation", optimal_ordering=True)
    n_clusters = min(params.n_clusters, len(z.df))
    clustered = get_node_spec("FCluster")(link, z, None, None, threshold=float(n_clusters),
                                          criterion="maxclust", depth=1)
    label_column = clustered.last_output
    clustered.df[CLUSTER_COLUMN] = [f"cluster {int(c)}" for c in clustered.df[label_column]]
    by_curve = dict(zip(clustered.df["uuid_curve"], clustered.df[CLUSTER_COLUMN]))
    features.df[CLUSTER_COLUMN] = [by_curve[u] for u in features.df["uuid_curve"]]
    return clustered, features


def run_demo_pipeline(out_dir: PathLike, params: PipelineParams | None = None,
                      progress: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run the whole demo in ``out_dir`` (which must not hold ``raw/``, ``project/`` or
    ``figures/`` yet); ``progress(message)`` receives every step and the batch's progress.

    Returns: ``project_path``, ``movie_path``, ``truth_path``, ``batch_path``, ``trn_path``,
    ``heatmap_path``, ``beeswarm_path`` (Paths); ``sample_id``; ``n_true`` / ``n_found`` neurons;
    ``f1``, ``precision``, ``recall`` of CNMF detection (``match_components``: centroid within a
    neuron radius and footprint correlation > 0.7); ``trace_corr`` (median correlation of
    matched traces with the true calcium); ``shift_rmse_px`` (``shift_rmse``);
    ``n_peaks``; ``clusters`` (ROIs per cluster); ``timings_s`` per step. For a movie of
    ``params.movie_path`` nothing is written to ``raw/`` and ``truth_path``, ``n_true``, the
    accuracy figures and ``shift_rmse_px`` are None.
    """
    from mesmerize.plotting.beeswarm import build_beeswarm
    from mesmerize.plotting.heatmap import build_heatmap

    out_dir = Path(out_dir)
    params = PipelineParams() if params is None else params
    _check_out_dir(out_dir)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    truth: SyntheticMovie | None = None
    truth_path: Path | None = None
    input_env: ViewerWorkEnv | None = None
    if params.movie_path is None:
        t, h, w = params.movie.validated().shape
        progress(f"[1/6] Generating a synthetic {params.movie.mode} movie: {t} frames of {w} x "
                 f"{h} px, {params.movie.n_neurons} neurons, up to {params.movie.max_shift} px "
                 "motion")
        truth = generate(params.movie)
        movie_path, _meta_path, truth_path = truth.save(out_dir / RAW_DIR, MOVIE_NAME)
        fps = params.movie.fps
    else:
        movie_path = Path(params.movie_path)
        progress(f"[1/6] Loading the movie {movie_path}")
        input_env = ViewerWorkEnv.from_tiff(movie_path, "asarray", meta_path=params.meta_path)
        fps = (input_env.imgdata.meta or {}).get("fps")
        if not isinstance(fps, (int, float)) or not fps > 0:
            raise MetaDataError(
                f"The meta data of {movie_path} has no frame rate 'fps' (Hz); pass the movie's "
                "meta data JSON with --meta (see the guide's meta data format).")
        t = input_env.imgdata.seq.shape[2]
    lap("generate" if truth is not None else "load")

    project_path = out_dir / PROJECT_DIR
    config = ProjectConfig(roi_type_columns=[ROI_TYPE_COLUMN],
                           stimulus_type_columns=[STIMULUS_TYPE],
                           custom_columns={GENOTYPE_COLUMN: CustomColumn("str")})
    project = Project.create(project_path, config)
    batch_path = project_path / BATCHES_DIR / BATCH_NAME
    batch = Batch.create(batch_path)
    if input_env is None:
        mc_uuid = batch.add_item("caiman_motion_correction", "demo_mc", params.mc_params(),
                                 input_movie=movie_path)
    else:
        mc_uuid = batch.add_item("caiman_motion_correction", "demo_mc", params.mc_params(),
                                 input_work_env=input_env)
        del input_env
    cnmf_uuid = batch.add_item("cnmf", "demo_cnmf", params.cnmf_params(), input_item=mc_uuid)
    progress(f"[2/6] Created the project {project_path} and queued motion correction then "
             f"CNMF in the batch {batch_path}")
    lap("project")

    progress("[3/6] Processing the batch (each item in its own subprocess)")
    _run_batch(batch, progress, params.timeout_s)
    mc_result = batch.load_item_output(mc_uuid)
    rmse = None if truth is None else shift_rmse(mc_result.shifts, truth.shifts)
    lap("batch")

    sample_id, score, tags = _import_sample(project, config, batch, cnmf_uuid, mc_result, truth,
                                            _stimulus_periods(t, float(fps)))
    n_found = len(tags)
    progress(f"[4/6] Imported {n_found} CNMF components (ROI manager in cnmf mode), tagged and "
             f"with a stimulus map, as sample {sample_id}")
    lap("import")

    clustered, features = _analyse(project, params)
    trn_path = project_path / TRNS_DIR / TRN_NAME
    trn_path.parent.mkdir(parents=True, exist_ok=True)
    clustered.to_hdf5(trn_path)
    progress(f"[5/6] Ran ZScore -> Normalize -> Derivative -> PeakDetect -> PeakFeatures and "
             f"Linkage -> FCluster: {len(features.df)} peaks, saved {trn_path}")
    lap("analysis")

    figures = out_dir / FIGURES_DIR
    figures.mkdir(parents=True)
    heatmap_path, beeswarm_path = figures / "heatmap.png", figures / "beeswarm.png"
    heat = build_heatmap(clustered.df, "_ZSCORE", CLUSTER_COLUMN, cmap="viridis",
                         xlabel="frame", title=f"Z-scored CNMF traces of {sample_id} by cluster")
    heat.savefig(heatmap_path, dpi=100, bbox_inches="tight")
    swarm = build_beeswarm(features.df, "_pf_ampl_rel_b_mean", CLUSTER_COLUMN, kind="both",
                           ylabel="peak amplitude (z-score, relative to its bases)",
                           title="Peak amplitudes per cluster")
    swarm.savefig(beeswarm_path, dpi=100, bbox_inches="tight")
    progress(f"[6/6] Rendered {heatmap_path} and {beeswarm_path}")
    lap("figures")

    accuracy: dict[str, Any] = {"n_true": None, "f1": None, "precision": None,
                                "recall": None, "trace_corr": None}
    if score is not None:
        corr = score.trace_corr
        accuracy = {"n_true": len(truth.footprints), "f1": float(score.f1),
                    "precision": float(score.precision), "recall": float(score.recall),
                    "trace_corr": float(np.nanmedian(corr)) if np.size(corr) else float("nan")}
    return {
        "project_path": project_path, "movie_path": movie_path, "truth_path": truth_path,
        "batch_path": batch_path, "trn_path": trn_path, "heatmap_path": heatmap_path,
        "beeswarm_path": beeswarm_path, "sample_id": sample_id,
        "n_found": n_found, **accuracy, "shift_rmse_px": rmse, "n_peaks": len(features.df),
        "clusters": {str(k): int(v) for k, v in
                     clustered.df[CLUSTER_COLUMN].value_counts().sort_index().items()},
        "timings_s": timings,
    }


def remove_previous_pipeline_demo(out_dir: PathLike) -> None:
    """Delete the ``raw/``, ``project/`` and ``figures/`` a previous ``run_demo_pipeline`` (or
    ``build_demo_project``) left in ``out_dir``.

    Refuses (``ProjectError``, nothing deleted) when ``out_dir`` holds anything else, when
    ``raw/`` or ``figures/`` hold files the demo does not write, or ``project/`` is not a
    Mesmerize project.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    expected = {RAW_DIR: {f"{MOVIE_NAME}.tiff", f"{MOVIE_NAME}.json", f"{MOVIE_NAME}_truth.npz"},
                FIGURES_DIR: {"heatmap.png", "beeswarm.png"}}
    others = sorted(p.name for p in out_dir.iterdir()
                    if p.name not in (RAW_DIR, PROJECT_DIR, FIGURES_DIR))
    for folder, names in expected.items():
        if (out_dir / folder).is_dir():
            others += [f"{folder}/{p.name}" for p in (out_dir / folder).iterdir()
                       if p.name not in names]
        elif (out_dir / folder).exists():
            others.append(f"{folder} (not a directory)")
    project = out_dir / PROJECT_DIR
    if project.exists() and not (project / "config.json").is_file():
        others.append(f"{PROJECT_DIR}/ (not a Mesmerize project)")
    if others:
        raise ProjectError(
            f"{out_dir} holds more than a previous demo ({', '.join(others[:5])}); nothing was "
            "removed: choose another output directory")
    for name in (RAW_DIR, PROJECT_DIR, FIGURES_DIR):
        if (out_dir / name).exists():
            shutil.rmtree(out_dir / name)


def format_summary(summary: dict[str, Any]) -> str:
    """The summary printed by ``mesmerize demo``."""
    clusters = ", ".join(f"{k}: {v}" for k, v in summary["clusters"].items())
    if summary["f1"] is None:
        accuracy = (f"  sample {summary['sample_id']}: {summary['n_found']} CNMF components\n"
                    "  no ground truth for this movie: accuracy not measured\n")
    else:
        accuracy = (
            f"  sample {summary['sample_id']}: {summary['n_found']} CNMF components for "
            f"{summary['n_true']} true neurons\n"
            f"  accuracy against the ground truth:\n"
            f"    detected neurons F1 {summary['f1']:.3f} (precision "
            f"{summary['precision']:.3f}, recall {summary['recall']:.3f}); median trace "
            f"correlation {summary['trace_corr']:.3f}\n"
            f"    motion correction shift RMSE {summary['shift_rmse_px']:.3f} px (mean offset "
            f"removed)\n")
    return (
        f"Demo ready: project {summary['project_path']}\n"
        + accuracy +
        f"  analysis: {summary['n_peaks']} peaks; clusters {clusters}\n"
        f"  transmission {summary['trn_path']}\n"
        f"  figures {summary['heatmap_path']} and {summary['beeswarm_path']}\n"
        f"  time per step (s): "
        + ", ".join(f"{k} {v}" for k, v in summary["timings_s"].items())
    )
