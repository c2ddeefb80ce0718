"""Benchmark: open a large project and read its DataFrame; filter it on three columns.

A project of 1,000 samples x 100 ROIs (100,000 rows) is built directly through the DataFrame
store (sample files are not needed to open a project). Targets: ``Project.open`` +
``.dataframe`` < 2 s; a 3-column Project Browser filter < 100 ms (when
``mesmerize.core.project.filters`` exists). Also prints the time of ``set_dataframe`` and of one
``add_sample`` into the 100,000-row project (each rewrites root.dfr and a backup).

    PYTHONPATH=. python benchmarks/project_open.py [--samples 1000] [--rois 100] [--repeats 5]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mesmerize.core import ImgData, ViewerWorkEnv  # noqa: E402
from mesmerize.core.project import CustomColumn, Project, ProjectConfig  # noqa: E402
from mesmerize.core.project.dataframe_store import (  # noqa: E402
    DataFrameStore, conform_dataframe,
)
from mesmerize.core.roi.manager import ROIManager  # noqa: E402

CELL_NAMES = np.array(["untagged", "atena", "atenp", "mn", "palp", "pr", "ATENA"])
PROMOTERS = np.array(["pc2", "cng_ch4", "brn3b", "untagged"])


def build_dataframe(config: ProjectConfig, n_samples: int, rois_per_sample: int,
                    seed: int = 0) -> pd.DataFrame:
    """A realistic project DataFrame: one row per ROI, polygon ROI states of 12 vertices."""
    rng = np.random.default_rng(seed)
    n = n_samples * rois_per_sample
    sample = np.repeat(np.arange(n_samples), rois_per_sample)
    animal = np.array([f"animal_{i // 4}" for i in range(n_samples)])[sample]
    trial = np.array([f"trial_{i % 4}" for i in range(n_samples)])[sample]
    sample_id = np.char.add(np.char.add(animal.astype(str), "-_-"), trial.astype(str))
    img_uuid = np.array([str(uuid.UUID(int=int(rng.integers(2**62)))) for _ in range(n_samples)])
    stem = np.char.add(np.char.add(sample_id, "-_-"), img_uuid[sample])
    states = []
    for _ in range(n):
        vertices = np.round(rng.uniform(0, 512, size=(12, 2)), 2).tolist()
        states.append(json.dumps({"roi_type": "PolygonROI", "uuid": str(uuid.uuid4()),
                                  "tags": {"cell_name": "untagged"}, "vertices": vertices}))
    columns = {
        "SampleID": sample_id, "AnimalID": animal, "TrialID": trial, "ImgUUID": img_uuid[sample],
        "ImgPath": np.char.add(np.char.add("images/", stem), ".tiff"),
        "ImgInfoPath": np.char.add(np.char.add("images/", stem), ".json"),
        "CurvePath": np.char.add(np.char.add("curves/", stem), ".npz"),
        "ROI_State": states, "uuid_curve": [str(uuid.uuid4()) for _ in range(n)],
        "date": np.repeat("20240131_094500", n), "comments": np.repeat("", n),
        "cell_name": CELL_NAMES[rng.integers(len(CELL_NAMES), size=n)],
        "anatomical_region": np.repeat("head", n),
        "odor": np.repeat("citral, vanillin", n),
        "promoter": PROMOTERS[rng.integers(len(PROMOTERS), size=n_samples)][sample],
        "stage": rng.integers(40, 80, size=n_samples)[sample],
        "dose": rng.uniform(0, 1, size=n_samples)[sample],
    }
    df = pd.DataFrame({k: (v.astype(object) if isinstance(v, np.ndarray) and v.dtype.kind == "U"
                           else v) for k, v in columns.items()})
    return conform_dataframe(df, config, strict=True)


def small_work_env() -> ViewerWorkEnv:
    """A 64 x 64 x 100 uint16 movie with three polygon ROIs."""
    rng = np.random.default_rng(0)
    seq = rng.poisson(100, size=(64, 64, 100)).astype(np.uint16)
    manager = ROIManager(roi_type_columns=["cell_name"])
    for i in range(3):
        manager.add_polygon_roi(np.array([[5 + 10 * i, 5], [12 + 10 * i, 6], [8 + 10 * i, 14]]))
    meta = {"source": "benchmark", "fps": 10.0, "date": "20240131_094500"}
    return ViewerWorkEnv(imgdata=ImgData(seq, meta), roi_manager=manager)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rois", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = ProjectConfig(
        roi_type_columns=["cell_name", "anatomical_region"], stimulus_type_columns=["odor"],
        custom_columns={"promoter": CustomColumn("str"), "stage": CustomColumn("int"),
                        "dose": CustomColumn("float")},
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big_project"
        project = Project.create(path, config)
        t0 = time.perf_counter()
        df = build_dataframe(config, args.samples, args.rois)
        DataFrameStore(project.layout).write(df)
        build_s = time.perf_counter() - t0
        size_mb = project.layout.root_dataframe.stat().st_size / 1e6
        print(f"built {len(df):,} rows ({args.samples:,} samples) in {build_s:.1f} s; "
              f"root.dfr = {size_mb:.1f} MB")

        open_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            opened = Project.open(path)
            frame = opened.dataframe
            open_times.append(time.perf_counter() - t0)
        assert len(frame) == len(df)
        print(f"Project.open + .dataframe: median {statistics.median(open_times) * 1e3:.0f} ms, "
              f"min {min(open_times) * 1e3:.0f} ms over {args.repeats} runs (target < 2000 ms)")

        t0 = time.perf_counter()
        opened.set_dataframe(frame)
        set_ms = (time.perf_counter() - t0) * 1e3
        print(f"set_dataframe (validate + backup + write): {set_ms:.0f} ms")
        work_env = small_work_env()
        t0 = time.perf_counter()
        opened.add_sample(work_env, "bench_animal", "bench_trial")
        print(f"add_sample (3 ROIs, 64x64x100 movie) into the {len(frame):,}-row project: "
              f"{(time.perf_counter() - t0) * 1e3:.0f} ms")

        if importlib.util.find_spec("mesmerize.core.project.filters") is None:
            print("filters: mesmerize.core.project.filters not available, skipped")
            return
        from mesmerize.core.project.filters import apply_filters

        filters = {"cell_name": "aten", "promoter": "pc2|cng_ch4", "AnimalID": "animal_1"}
        filter_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            result, expressions = apply_filters(frame, filters)
            filter_times.append(time.perf_counter() - t0)
        print(f"3-column filter {filters}: {len(result):,} rows, median "
              f"{statistics.median(filter_times) * 1e3:.1f} ms, "
              f"min {min(filter_times) * 1e3:.1f} ms "
              f"(target < 100 ms)")
        for expression in expressions:
            print(f"  {expression}")


if __name__ == "__main__":
    main()
