"""Time a 3-column Project Browser filter on a 100,000-row project DataFrame (target < 100 ms).

Run: PYTHONPATH=. python benchmarks/filter.py [n_rows]
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from mesmerize.core.project.filters import apply_filters

TAGS = ["atena", "atenp", "mn_l", "mn_r", "palp", "pr_l", "pr_r", "untagged", "cor", "ddn"]
PROMOTERS = ["pc2", "cng_ch4", "pc1", "vgat", "elav"]


def project_dataframe(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A realistic project DataFrame: one row per ROI, ~30 ROIs per sample."""
    rng = np.random.default_rng(seed)
    n_samples = max(1, n_rows // 30)
    sample = rng.integers(0, n_samples, n_rows)
    animal = np.char.add("animal_", (sample // 4).astype(str))
    trial = np.char.add("trial_", (sample % 4).astype(str))
    return pd.DataFrame({
        "SampleID": pd.Series(np.char.add(np.char.add(animal, "-_-"), trial), dtype=object),
        "AnimalID": pd.Series(animal, dtype=object),
        "TrialID": pd.Series(trial, dtype=object),
        "ImgUUID": [f"{u:032x}" for u in rng.integers(0, 2**62, n_rows)],
        "uuid_curve": [f"{u:032x}" for u in rng.integers(0, 2**62, n_rows)],
        "ROI_State": pd.Series([f'{{"type": "cnmf", "cnmf_idx": {i}}}' for i in range(n_rows)],
                               dtype=object),
        "date": pd.Series(np.full(n_rows, "20190412_143000"), dtype=object),
        "cell_name": pd.Series(np.asarray(TAGS, dtype=object)[rng.integers(0, len(TAGS), n_rows)]),
        "anatomical_region": pd.Series(np.asarray(["head", "tail", "untagged"], dtype=object)[
            rng.integers(0, 3, n_rows)]),
        "odor": pd.Series(np.asarray(["untagged", "amino acid", "bile acid, amino acid"],
                                     dtype=object)[rng.integers(0, 3, n_rows)]),
        "promoter": pd.Series(np.asarray(PROMOTERS, dtype=object)[sample % len(PROMOTERS)]),
        "stage": pd.array(rng.integers(20, 200, n_rows), dtype="Int64"),
        "dose": rng.uniform(0, 10, n_rows),
        "comments": pd.Series(np.full(n_rows, ""), dtype=object),
    })


def main() -> None:
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    df = project_dataframe(n_rows)
    cases = {
        "partial|alternatives, exact, numeric": {
            "cell_name": "mn|palp|pr", "promoter": "$STR=:pc2|cng_ch4", "stage": "$<:100"},
        "partial, negation, partial on int": {
            "cell_name": "aten", "odor": "$NOT:bile", "stage": "4"},
        "exact negation, numeric OR, float": {
            "SampleID": "$STR!=:animal_0-_-trial_0", "stage": "$>=:150", "dose": "$>:2.5"},
    }
    print(f"{n_rows:,} rows, {df.shape[1]} columns")
    for label, filters in cases.items():
        apply_filters(df, filters)
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            out, _ = apply_filters(df, filters)
            times.append(time.perf_counter() - t0)
        print(f"  {label:40s} -> {len(out):6d} rows  median {np.median(times) * 1e3:6.1f} ms  "
              f"min {min(times) * 1e3:6.1f} ms  (target < 100 ms)")


if __name__ == "__main__":
    main()
