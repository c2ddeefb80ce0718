"""SpaceMap: a categorical column mapped as coloured ROI patches onto a projection of a sample's
movie (guide: "SpaceMap"). No Qt.

``sample_patches`` collects the ROI outlines and labels of one sample's rows;
``label_colours`` gives every label of the whole Transmission one colour, so a category keeps
its colour from sample to sample; ``draw_spacemap`` draws the projection, the patches and a
legend (titled with the label column) into a matplotlib Axes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.patches import Patch, Polygon

from mesmerize.analysis.arrays import require_column
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError, ProjectError
from mesmerize.plotting.cross_correlation import SAMPLE_COLUMN, sample_ids
from mesmerize.plotting.proportions import categorical_columns
from mesmerize.plotting.sample_image import PROJECTIONS, roi_outline, sample_projection
from mesmerize.plotting.utils import get_colormap

#: Project bookkeeping columns: single values, but no use as patch labels.
_NOT_LABELS = ("ROI_State", "ImgPath", "ImgInfoPath", "CurvePath", "ImgUUID", "uuid_curve",
               "_BLOCK_", "date", "comments", "meta", "stim_maps")


@dataclass
class SamplePatches:
    """The ROIs of one sample: ``outlines`` (one ``(n_vertices, 2)`` ``(x, y)`` float array per
    row), ``labels`` (the row's label as text), ``index`` (DataFrame index labels) and the
    project-relative ``img_path`` of the sample's movie."""

    sample_id: str
    outlines: list[np.ndarray]
    labels: list[str]
    index: list[Hashable]
    img_path: str


def label_columns(t: Transmission) -> list[str]:
    """Columns usable as patch labels: the ROI type columns first, then the other columns of
    single (categorical) values, without project bookkeeping columns."""
    candidates = [c for c in categorical_columns(t.df) if c not in _NOT_LABELS]
    first = [c for c in t.roi_type_columns if c in candidates]
    return first + [c for c in candidates if c not in first]


def label_text(value: Any) -> str:
    """A label's legend text (missing values as "NaN")."""
    return "NaN" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def label_colours(t: Transmission, label_column: str, cmap: str) -> dict[str, tuple]:
    """``{label text: RGBA}`` for all labels of ``label_column`` in ``t`` (sorted), from the
    matplotlib colormap ``cmap``."""
    require_column(t.df, label_column, "Patch labels")
    if label_column not in categorical_columns(t.df[[label_column]]):
        raise ParameterError(f"Patch labels: column {label_column!r} holds arrays; choose a "
                             "column of categorical labels (one value per row).")
    labels = sorted({label_text(v) for v in t.df[label_column].to_numpy(dtype=object)})
    return get_colormap(labels, cmap, output="mpl")


def sample_patches(t: Transmission, sample_id: str, label_column: str) -> SamplePatches:
    """Outlines and labels of the rows of ``sample_id``. ``ParameterError`` for an unknown
    sample; ``ProjectError`` when ROIs or files cannot be found."""
    require_column(t.df, label_column, "Patch labels")
    require_column(t.df, "ImgPath", "ImgPath")
    require_column(t.df, SAMPLE_COLUMN, "SampleID")
    rows = t.df[t.df[SAMPLE_COLUMN].astype(str) == str(sample_id)]
    if len(rows) == 0:
        raise ParameterError(f"Sample {sample_id!r} is not in the input; choose one of "
                             f"{sample_ids(t)}.")
    img_paths = rows["ImgPath"].astype(str).unique()
    if len(img_paths) != 1:
        raise ProjectError(f"The rows of sample {sample_id!r} refer to {len(img_paths)} movies "
                           f"({list(img_paths)[:3]}); a sample has one movie.")
    outlines = [roi_outline(t.proj_path, row) for _, row in rows.iterrows()]
    labels = [label_text(v) for v in rows[label_column].to_numpy(dtype=object)]
    return SamplePatches(str(sample_id), outlines, labels, list(rows.index), str(img_paths[0]))


def draw_spacemap(ax: Axes, image: np.ndarray, patches: SamplePatches,
                  colours: dict[str, tuple], label_column: str, image_cmap: str = "gray",
                  fill: bool = False, line_width: float = 2.0, alpha: float = 0.8) -> Legend:
    """Draw the ``(x, y)`` ``image`` (pixel ``(i, j)`` covering ``x in [i, i+1)``,
    ``y in [j, j+1)``, y downwards as in the Viewer) and one polygon per ROI coloured by its
    label; returns the legend (title ``label_column``, one entry per label of the sample)."""
    if image_cmap not in matplotlib.colormaps:
        raise ParameterError(f"Image Colormap: unknown colormap {image_cmap!r}; use a "
                             "matplotlib name such as 'gray' or 'viridis'.")
    if not (line_width >= 0 and 0.0 <= alpha <= 1.0):
        raise ParameterError(f"Line width must be >= 0 and Alpha within 0 and 1, got "
                             f"{line_width!r} and {alpha!r}.")
    nx, ny = image.shape
    ax.imshow(image.T, cmap=image_cmap, origin="upper", extent=(0, nx, ny, 0),
              interpolation="nearest")
    for outline, label in zip(patches.outlines, patches.labels):
        colour = colours[label]
        ax.add_patch(Polygon(outline, closed=True, fill=fill, facecolor=colour,
                             edgecolor=colour, linewidth=line_width, alpha=alpha))
    ax.set_xlim(0, nx)
    ax.set_ylim(ny, 0)
    ax.set_title(patches.sample_id)
    present = [label for label in colours if label in set(patches.labels)]
    handles = [Patch(facecolor=colours[label] if fill else "none", edgecolor=colours[label],
                     linewidth=max(line_width, 1.0), alpha=alpha, label=label)
               for label in present]
    return ax.legend(handles=handles, title=label_column, loc="upper left",
                     bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")


def build_spacemap(ax: Axes, t: Transmission, sample_id: str, label_column: str,
                   projection: str = "max", image_cmap: str = "gray",
                   patches_cmap: str = "tab10", fill: bool = False, line_width: float = 2.0,
                   alpha: float = 0.8) -> SamplePatches:
    """Draw the SpaceMap of ``sample_id`` into ``ax`` (the Max or Std ``projection`` of its
    movie, read from ``t.proj_path``); returns the sample's patches."""
    if projection not in PROJECTIONS:
        raise ParameterError(f"Projection must be one of {PROJECTIONS}, got {projection!r}.")
    colours = label_colours(t, label_column, patches_cmap)
    patches = sample_patches(t, sample_id, label_column)
    image = sample_projection(t.proj_path, patches.img_path, projection)
    draw_spacemap(ax, image, patches, colours, label_column, image_cmap, fill, line_width, alpha)
    return patches

