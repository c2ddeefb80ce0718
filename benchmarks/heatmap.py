"""Heatmap drawing speed: 20,000 rows x 3,000 samples (target: drawn in under 3 s).

Usage (run by hand; prints figures):

    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/heatmap.py
    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/heatmap.py --rows 50000 --cols 3000

Times, each the best of ``--repeats``:
- ``stack``: ``heatmap_data`` (stacking the DataFrame's arrays into the matrix, sorted by label);
- ``figure``: building the HeatmapGrid on a 1100 x 700 px Agg figure and its first draw;
- ``zoom``: redrawing after zooming to 1/10 of the rows and columns;
- ``dendro``: the clustered layout (row dendrogram of 10,000 leaves, cluster/label bars);
- ``widget``: the Heatmap plot window (``HeatmapTracerWidget.set_input`` -> drawn Qt canvas), from
  the input Transmission to pixels on the screen (offscreen Qt).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.cluster import hierarchy

from mesmerize.plotting.heatmap import draw_heatmap, heatmap_data


def make_frame(n_rows: int, n_cols: int, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` noisy calcium-like traces (float32 arrays of ``n_cols`` samples) in 5 groups."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_cols, dtype=np.float32)
    phases = rng.uniform(0, 2 * np.pi, n_rows).astype(np.float32)
    periods = rng.uniform(100, 600, n_rows).astype(np.float32)
    data = np.sin(t[None, :] * (2 * np.pi / periods[:, None]) + phases[:, None])
    data += rng.standard_normal((n_rows, n_cols), dtype=np.float32) * 0.3
    return pd.DataFrame({"_ZSCORE": list(data), "group": rng.integers(0, 5, n_rows)})


def best(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_figure(df: pd.DataFrame, repeats: int) -> None:
    t_stack, data = best(lambda: heatmap_data(df, "_ZSCORE", "group", sort_by="group"), repeats)
    print(f"stack   {t_stack:7.3f} s  heatmap_data -> matrix {data.matrix.shape} "
          f"{data.matrix.dtype}")
    fig = Figure(figsize=(11, 7), dpi=100)
    canvas = FigureCanvasAgg(fig)

    def draw():
        grid = draw_heatmap(fig, data, cmap="jet")
        canvas.draw()
        return grid

    t_fig, grid = best(draw, repeats)
    print(f"figure  {t_fig:7.3f} s  HeatmapGrid + first draw at {fig.bbox.width:.0f} x "
          f"{fig.bbox.height:.0f} px (image drawn {grid.image.get_array().shape})")
    n_rows, n_cols = data.matrix.shape

    def zoom():
        grid.ax_heatmap.set_xlim(n_cols * 0.4, n_cols * 0.5)
        grid.ax_heatmap.set_ylim(n_rows * 0.5, n_rows * 0.4)
        canvas.draw()
        grid.ax_heatmap.set_xlim(0, n_cols)
        grid.ax_heatmap.set_ylim(n_rows, 0)

    t_zoom, _ = best(zoom, repeats)
    print(f"zoom    {t_zoom:7.3f} s  redraw zoomed to 1/10 of rows and columns")


def bench_dendrogram(df: pd.DataFrame, n_rows: int, repeats: int) -> None:
    """Heatmap with a row dendrogram of ``n_rows`` leaves (the linkage is computed on 10
    columns only: this times drawing, not clustering)."""
    sub = df.iloc[:n_rows]
    z = hierarchy.linkage(np.stack(sub["_ZSCORE"])[:, :10], "average")
    data = heatmap_data(sub, "_ZSCORE", "group", linkage=z)
    fig = Figure(figsize=(11, 7), dpi=100)
    canvas = FigureCanvasAgg(fig)

    def draw():
        draw_heatmap(fig, data, cmap="jet")
        canvas.draw()

    t_dendro, _ = best(draw, repeats)
    print(f"dendro  {t_dendro:7.3f} s  {n_rows} rows with a dendrogram + label bar, first draw")


def bench_widget(df: pd.DataFrame, repeats: int) -> None:
    from qtpy import QtWidgets

    from mesmerize.analysis.transmission import Transmission
    from mesmerize.gui.plots.heatmap import HeatmapTracerWidget

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    t = Transmission.from_dataframe(df, last_output="_ZSCORE")
    window = HeatmapTracerWidget()
    window.show()
    app.processEvents()

    def show():
        window.set_input(t)
        window.plot_area.canvas.repaint()
        app.processEvents()

    t_widget, _ = best(show, repeats)
    assert not window.status.is_problem, window.status.details
    size = window.plot_area.canvas.size()
    print(f"widget  {t_widget:7.3f} s  set_input -> drawn Qt canvas {size.width()} x "
          f"{size.height()} px")
    window.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--cols", type=int, default=3_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-widget", action="store_true", help="skip the Qt window timing")
    args = ap.parse_args()
    start = time.perf_counter()
    df = make_frame(args.rows, args.cols)
    print(f"{args.rows} rows x {args.cols} samples made in {time.perf_counter() - start:.1f} s")
    bench_figure(df, args.repeats)
    bench_dendrogram(df, min(args.rows, 10_000), args.repeats)
    if not args.no_widget:
        bench_widget(df, args.repeats)


if __name__ == "__main__":
    main()
