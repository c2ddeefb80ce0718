"""Valid sample files of every user-exchanged Mesmerize format, and how Mesmerize loads each.

A ``Format`` builds a small valid file (or result directory) in ``root`` and names the one file
inside it that a user could hand over damaged (``target``); ``load`` opens it through Mesmerize's
public reader and touches every array so lazy readers are exercised too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import roifile
import scipy.sparse as sp
import tifffile

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.batch.item import BatchItem
from mesmerize.core.batch.table import ItemsTable, TableState
from mesmerize.core.imaging.tiff_io import LOAD_METHODS, load_tiff
from mesmerize.core.meta import load_meta_json, write_meta_json
from mesmerize.core.project.config import ProjectConfig, load_config, save_config
from mesmerize.core.project.dataframe_store import read_dataframe_file, write_dataframe_file
from mesmerize.core.project.samples import (
    SAMPLE_INFO_FORMAT_VERSION,
    CurveFile,
    read_sample_info,
    write_curves_npz,
)
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.imagej import read_imagej_rois
from mesmerize.core.system_config import SystemConfig, load_system_config, save_system_config
from mesmerize.engines.cnmf.result import CNMFResult
from mesmerize.engines.motion_correction.result import MotionCorrectionResult
from mesmerize.gui.flowchart.fc_file import read_fc, write_fc

KNOWN_NODE_TYPES = ("Normalize", "LoadProjDF")


@dataclass(frozen=True)
class Format:
    """``make(root) -> target file``; ``load(target)`` reads it back through Mesmerize."""

    name: str
    make: Callable[[Path], Path]
    load: Callable[[Path], object]
    kind: str  # "json", "npz", "hdf5", "parquet", "binary"


def _touch_arrays(obj: object) -> None:
    for value in vars(obj).values():
        if isinstance(value, np.ndarray):
            np.asarray(value).sum()


def _make_config(root: Path) -> Path:
    path = root / "config.json"
    save_config(path, ProjectConfig.from_dict({"format_version": 1,
                                               "roi_type_columns": ["cell_type"],
                                               "stimulus_type_columns": ["odor"]}))
    return path


def _make_dataframe(root: Path) -> Path:
    path = root / "root.dfr"
    df = pd.DataFrame({"SampleID": ["a-_-1", "b-_-2"], "uuid_curve": ["u1", "u2"],
                       "ROI_State": ['{"x": 1}', '{"x": 2}'], "n": [1.5, 2.5]})
    write_dataframe_file(path, df)
    return path


def _load_dataframe(path: Path) -> object:
    return read_dataframe_file(path)


def _make_sample_info(root: Path) -> Path:
    path = root / "a-_-1.json"
    write_json_atomic(path, {"format_version": SAMPLE_INFO_FORMAT_VERSION, "SampleID": "a-_-1",
                             "meta": {"fps": 10.0}, "roi_states": [{"x": 1}]})
    return path


def _make_curves(root: Path) -> Path:
    path = root / "a-_-1_curves.npz"
    write_curves_npz(path, {"u1": np.arange(20, dtype=np.float32),
                            "u2": np.ones(20, dtype=np.float32)})
    return path


def _load_curves(path: Path) -> object:
    cf = CurveFile(path)
    try:
        return [cf.curve(k) for k in ("u1", "u2")]
    finally:
        cf.close()


def _cnmf_arrays(h: int = 6, w: int = 5, k: int = 2, t: int = 8) -> dict:
    rng = np.random.default_rng(0)
    A = sp.csc_matrix(rng.random((h * w, k)) * (rng.random((h * w, k)) > 0.5))
    return dict(A=A, b=rng.random((h * w, 1)), C=rng.random((k, t)), f=rng.random((1, t)),
                YrA=rng.random((k, t)), dims=(h, w))


def _make_cnmf_data(root: Path) -> Path:
    path = root / "a-_-1_cnmf.npz"
    CNMFData(**_cnmf_arrays()).to_npz(path)
    return path


def _load_cnmf_data(path: Path) -> object:
    data = CNMFData.from_npz(path)
    data.A.toarray()
    return data


def _make_meta(root: Path) -> Path:
    path = root / "movie.json"
    write_meta_json(path, {"source": "test", "fps": 20.0, "date": "20190425_114405"})
    return path


def _make_tiff(root: Path) -> Path:
    path = root / "movie.tiff"
    tifffile.imwrite(path, np.arange(4 * 8 * 6, dtype=np.uint16).reshape(4, 8, 6),
                     photometric="minisblack")
    return path


def _load_tiff_all_methods(path: Path) -> object:
    return [np.asarray(load_tiff(path, method=m, meta_path=None).seq).sum()
            for m in LOAD_METHODS]


def _make_imagej(root: Path) -> Path:
    path = root / "rois.zip"
    rois = [roifile.ImagejRoi.frompoints(np.array([[1, 1], [9, 1], [9, 7], [1, 8]]) + i,
                                         name=f"r{i}") for i in range(2)]
    roifile.roiwrite(path, rois)
    return path


def _make_trn(root: Path) -> Path:
    path = root / "t.trn"
    curves = [np.sin(np.arange(30) / (2 + i)) for i in range(3)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * 3,
                       "label": ["a", "b", "c"]})
    Transmission.from_dataframe(df).to_hdf5(path)
    return path


def _load_trn(path: Path) -> object:
    return Transmission.from_hdf5(path)


def _make_fc(root: Path) -> Path:
    nodes = [{"name": "LoadProjDF.0", "type": "LoadProjDF", "pos": [0.0, 0.0], "bypass": False,
              "apply": None, "controls": {}},
             {"name": "Normalize.0", "type": "Normalize", "pos": [100.0, 0.0], "bypass": False,
              "apply": True, "controls": {"data_column": "_RAW_CURVE"}}]
    return write_fc(root / "chart.fc", nodes, [["LoadProjDF.0", "Out", "Normalize.0", "In"]])


def _load_fc(path: Path) -> object:
    return read_fc(path, KNOWN_NODE_TYPES)


def _make_batch(root: Path) -> Path:
    table = ItemsTable(root)
    table.write(TableState([BatchItem(module="motion_correction", name="mc",
                                      params={"max_shifts": [4, 4]})], None))
    return table.path


def _load_batch(path: Path) -> object:
    return ItemsTable(path.parent).read()


def _make_system_config(root: Path) -> Path:
    return save_system_config(SystemConfig(), root / "system_config.json")


def _mc_result(root: Path) -> MotionCorrectionResult:
    rng = np.random.default_rng(1)
    img = rng.random((8, 6)).astype(np.float32)
    np.save(root / "corrected.npy", rng.random((5, 8, 6)).astype(np.float32))
    return MotionCorrectionResult(
        shifts=rng.random((5, 2)).astype(np.float32), shifts_els=None, patch_centres_y=None,
        patch_centres_x=None, template=img, mean_image=img, correlation_image=img,
        output_path=root / "corrected.npy", params={"max_shifts": [4, 4]}, movie_path="m.tiff")


def _make_mc_json(root: Path) -> Path:
    _mc_result(root).save(root)
    return root / "motion_correction.json"


def _make_mc_npz(root: Path) -> Path:
    _mc_result(root).save(root)
    return root / "motion_correction.npz"


def _load_mc(path: Path) -> object:
    result = MotionCorrectionResult.load(path.parent)
    _touch_arrays(result)
    return result


def _cnmf_result(root: Path) -> CNMFResult:
    a = _cnmf_arrays()
    k, t = a["C"].shape
    return CNMFResult(A=a["A"], b=a["b"], C=a["C"], f=a["f"], YrA=a["YrA"], S=a["C"] * 0,
                      sn=np.ones(30), g=np.full((k, 1), 0.9), dims=a["dims"],
                      idx_components=np.arange(k), idx_components_bad=np.array([], dtype=int),
                      SNR_comp=np.ones(k), r_values=np.ones(k), params={"K": k})


def _make_cnmf_json(root: Path) -> Path:
    return _cnmf_result(root).save(root)


def _make_cnmf_npz(root: Path) -> Path:
    _cnmf_result(root).save(root)
    return root / "cnmf_result.npz"


def _load_cnmf_result(path: Path) -> object:
    result = CNMFResult.load(path.parent)
    result.A.toarray()
    return result


FORMATS = {f.name: f for f in (
    Format("project_config", _make_config, load_config, "json"),
    Format("root_dfr", _make_dataframe, _load_dataframe, "parquet"),
    Format("sample_info", _make_sample_info, read_sample_info, "json"),
    Format("curves_npz", _make_curves, _load_curves, "npz"),
    Format("cnmf_data_npz", _make_cnmf_data, _load_cnmf_data, "npz"),
    Format("meta_json", _make_meta, load_meta_json, "json"),
    Format("tiff", _make_tiff, _load_tiff_all_methods, "binary"),
    Format("imagej_zip", _make_imagej, read_imagej_rois, "binary"),
    Format("trn", _make_trn, _load_trn, "hdf5"),
    Format("fc", _make_fc, _load_fc, "json"),
    Format("batch_table", _make_batch, _load_batch, "json"),
    Format("system_config", _make_system_config, load_system_config, "json"),
    Format("mc_result_json", _make_mc_json, _load_mc, "json"),
    Format("mc_result_npz", _make_mc_npz, _load_mc, "npz"),
    Format("cnmf_result_json", _make_cnmf_json, _load_cnmf_result, "json"),
    Format("cnmf_result_npz", _make_cnmf_npz, _load_cnmf_result, "npz"),
)}
