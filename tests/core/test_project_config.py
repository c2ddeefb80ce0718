"""ProjectConfig / CustomColumn: column-name rules, types, visibility, JSON round trip."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import ColumnTypeError, ConfigError, FormatVersionError
from mesmerize.core.project import CustomColumn, ProjectConfig
from mesmerize.core.project.config import (
    BASE_COLUMNS, CONFIG_FORMAT_VERSION, DEFAULT_HIDDEN_COLUMNS, coerce_custom_value,
    load_config, save_config,
)


def full_config(**kwargs):
    args = dict(roi_type_columns=["cell_name", "anatomical_region"],
                stimulus_type_columns=["odor"],
                custom_columns={"stage": CustomColumn("int", 48), "promoter": CustomColumn("str"),
                                "dose": CustomColumn("float")})
    args.update(kwargs)
    return ProjectConfig(**args)


def test_columns_in_dataframe_order():
    cfg = full_config()
    assert cfg.all_columns == [*BASE_COLUMNS, "cell_name", "anatomical_region", "odor", "stage",
                               "promoter", "dose"]
    assert cfg.pandas_dtype("stage") == "Int64"
    assert cfg.pandas_dtype("dose") == "float64"
    assert cfg.pandas_dtype("promoter") == "object"
    assert cfg.pandas_dtype("cell_name") == "object"
    assert cfg.column_kind("odor") == "stimulus"
    assert cfg.column_kind("cell_name") == "roi"
    assert cfg.column_kind("dose") == "custom:float"
    assert cfg.column_kind("SampleID") is None


@pytest.mark.parametrize("name, fragment", [
    ("", "non-empty"),
    ("   ", "non-empty"),
    (" padded", "white space"),
    ("_RAW_CURVE", "reserved"),
    ("a-_-b", "-_-"),
    ("SampleID", "built-in"),
    ("uuid_curve", "built-in"),
    ("comments", "built-in"),
    (3, "non-empty text"),
])
@pytest.mark.parametrize("kind", ["roi", "stim", "custom"])
def test_bad_column_names_refused(name, fragment, kind):
    args = {"roi": dict(roi_type_columns=[name]), "stim": dict(stimulus_type_columns=[name]),
            "custom": dict(custom_columns={name: CustomColumn("str")})}[kind]
    with pytest.raises(ConfigError, match=fragment):
        ProjectConfig(**args)


@pytest.mark.parametrize("args", [
    dict(roi_type_columns=["a", "a"]),
    dict(roi_type_columns=["a"], stimulus_type_columns=["a"]),
    dict(stimulus_type_columns=["a"], custom_columns={"a": CustomColumn("int")}),
])
def test_names_unique_across_kinds(args):
    with pytest.raises(ConfigError, match="unique.*repeated: a"):
        ProjectConfig(**args)


def test_custom_column_types_and_replace_values():
    assert CustomColumn("float", 2).replace_value == 2.0
    assert isinstance(CustomColumn("float", 2).replace_value, float)
    assert CustomColumn("int", np.int64(7)).replace_value == 7
    assert type(CustomColumn("int", np.int64(7)).replace_value) is int
    assert CustomColumn("str", "ctrl").fill_value == "ctrl"
    assert CustomColumn("str").fill_value == "untagged"
    assert CustomColumn("int").fill_value is pd.NA
    assert math.isnan(CustomColumn("float").fill_value)
    with pytest.raises(ConfigError, match="one of str, int, float"):
        CustomColumn("bool")
    for bad in [("int", 1.5), ("int", True), ("int", "3"), ("float", "x"), ("float", float("inf")),
                ("str", 3)]:
        with pytest.raises(ConfigError, match="replace value"):
            CustomColumn(*bad)


def test_custom_column_shorthands():
    cfg = ProjectConfig(custom_columns={"a": "int", "b": {"type": "str", "replace_value": "x"}})
    assert cfg.custom_columns == {"a": CustomColumn("int"), "b": CustomColumn("str", "x")}
    with pytest.raises(ConfigError, match="expected CustomColumn"):
        ProjectConfig(custom_columns={"a": 5})


@pytest.mark.parametrize("column_type, value, expected", [
    ("str", "ptz", "ptz"), ("int", 3, 3), ("int", np.int32(3), 3), ("float", 3, 3.0),
    ("float", np.float32(0.5), 0.5), ("int", None, None), ("float", float("nan"), None),
    ("str", None, None), ("int", pd.NA, None),
])
def test_coerce_custom_value_accepts(column_type, value, expected):
    assert coerce_custom_value("c", column_type, value) == expected


@pytest.mark.parametrize("column_type, value", [
    ("int", 2.5), ("int", 2.0), ("int", "2"), ("int", True), ("float", "0.5"), ("float", False),
    ("str", 1), ("str", 1.0), ("float", float("inf")),
])
def test_coerce_custom_value_refuses(column_type, value):
    with pytest.raises(ColumnTypeError, match="Custom column 'c' holds"):
        coerce_custom_value("c", column_type, value)


def test_visibility_defaults_and_order():
    cfg = full_config(visible_columns=["odor", "SampleID"], hidden_columns=["comments"])
    assert cfg.visible_columns[:2] == ["odor", "SampleID"]
    assert "comments" in cfg.hidden_columns
    assert set(DEFAULT_HIDDEN_COLUMNS) <= set(cfg.hidden_columns)
    assert sorted(cfg.visible_columns + cfg.hidden_columns) == sorted(cfg.all_columns)
    with pytest.raises(ConfigError, match="does not have: nope"):
        full_config(visible_columns=["nope"])
    with pytest.raises(ConfigError, match="listed more than once: odor"):
        full_config(visible_columns=["odor"], hidden_columns=["odor"])
    with pytest.raises(ConfigError, match="listed more than once: odor"):
        full_config(visible_columns=["odor", "odor"])


def test_validated_revalidates_in_place_edits():
    cfg = full_config()
    cfg.roi_type_columns.append("bad-_-name")
    with pytest.raises(ConfigError, match="-_-"):
        cfg.validated()
    cfg = full_config()
    cfg.custom_columns["new"] = "int"
    new = cfg.validated()
    assert new.custom_columns["new"] == CustomColumn("int")
    assert "new" in new.visible_columns


def test_json_round_trip(tmp_path):
    cfg = full_config(hidden_columns=["date"])
    path = tmp_path / "config.json"
    save_config(path, cfg)
    data = json.loads(path.read_text())
    assert data["format_version"] == CONFIG_FORMAT_VERSION
    assert data["custom_columns"]["stage"] == {"type": "int", "replace_value": 48}
    assert load_config(path) == cfg


def test_newer_or_missing_format_version_refused(tmp_path):
    path = tmp_path / "config.json"
    data = full_config().to_dict()
    data["format_version"] = CONFIG_FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="Upgrade Mesmerize"):
        load_config(path)
    del data["format_version"]
    path.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="not a Mesmerize project config"):
        load_config(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(path)
    data["format_version"] = 1
    data["surprise"] = 1
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="unknown keys: surprise"):
        load_config(path)


def test_type_and_kind_changes_refused():
    old = full_config()
    old.check_changes_to(full_config(roi_type_columns=["cell_name"]))
    old.check_changes_to(full_config(custom_columns={"stage": CustomColumn("int", 1)}))
    with pytest.raises(ColumnTypeError, match="data types cannot be changed later"):
        old.check_changes_to(full_config(custom_columns={"stage": CustomColumn("float")}))
    with pytest.raises(ColumnTypeError, match="ROI type column and cannot become a stimulus"):
        old.check_changes_to(full_config(roi_type_columns=[], stimulus_type_columns=["cell_name"]))
