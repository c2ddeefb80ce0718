"""Meta data validation and the <movie>.json file (user guide: "Convert Meta Data")."""
import json
import math

import numpy as np
import pytest

from mesmerize.core.errors import MetaDataError
from mesmerize.core.meta import find_meta_path, load_meta_json, validate_meta, write_meta_json

MINIMAL = {"source": "our_recording_program", "fps": 20.0, "date": "20190425_114405"}

# The guide's get_meta() output: 'origin' instead of 'source', extra keys, nested orig_meta.
GUIDE_GET_META = {
    "origin": "AwesomeImager", "version": "4107ff58a0c3d4d5d3c15c3d6a69f8798a20e3de",
    "fps": 10.0, "date": "20190426_152034", "vmin": 323, "vmax": 1529,
    "orig_meta": {"source": "AwesomeImager", "level_min": 323, "stims": {}, "time": "152034",
                  "date": "20190426", "framerate": 10.0, "level_max": 1529},
}


def test_minimal_example_from_guide_is_valid(tmp_path):
    path = tmp_path / "xyz.json"
    path.write_text('{\n"source": "our_recording_program",\n"fps": 20.0,\n'
                    '"date": "20190425_114405"\n\n}\n')
    assert load_meta_json(path) == MINIMAL


def test_origin_alias_and_extra_keys_kept():
    meta = validate_meta(GUIDE_GET_META)
    assert meta["source"] == "AwesomeImager"
    assert meta["origin"] == "AwesomeImager"
    assert meta["vmin"] == 323 and meta["version"] == GUIDE_GET_META["version"]
    assert meta["orig_meta"] == GUIDE_GET_META["orig_meta"]


def test_validate_returns_a_copy_and_normalises_fps():
    given = dict(MINIMAL, fps=np.int64(30), orig_meta={"a": 1})
    meta = validate_meta(given)
    assert type(meta["fps"]) is float and meta["fps"] == 30.0
    meta["orig_meta"]["a"] = 2
    assert given["orig_meta"]["a"] == 1 and given["fps"] == 30


@pytest.mark.parametrize(
    "change, field, fix_word",
    [
        ({"fps": None}, "fps", "number"),
        ({"fps": "20.0"}, "fps", "without quotes"),
        ({"fps": True}, "fps", "number"),
        ({"fps": 0}, "fps", "greater than 0"),
        ({"fps": -5.0}, "fps", "greater than 0"),
        ({"fps": math.nan}, "fps", "finite"),
        ({"fps": math.inf}, "fps", "finite"),
        ({"fps": [20.0]}, "fps", "number"),
        ({"source": 3}, "source", "string"),
        ({"date": 20190425114405}, "date", "quotes"),
        ({"date": "2019-04-25 11:44:05"}, "date", "YYYYMMDD_HHMMSS"),
        ({"date": "20190425"}, "date", "YYYYMMDD_HHMMSS"),
        ({"date": "20191325_114405"}, "date", "real date"),
        ({"date": "20190230_114405"}, "date", "real date"),
        ({"date": "20190425_246105"}, "date", "real date"),
        ({"orig_meta": [1, 2, 3]}, "orig_meta", "dict"),
        ({"orig_meta": None}, "orig_meta", "dict"),
    ],
)
def test_bad_field_names_field_and_fix(change, field, fix_word):
    with pytest.raises(MetaDataError) as info:
        validate_meta(dict(MINIMAL, **change))
    assert f"'{field}'" in str(info.value)
    assert fix_word in str(info.value)


@pytest.mark.parametrize("field", ["source", "fps", "date"])
def test_missing_mandatory_field(field):
    meta = {k: v for k, v in MINIMAL.items() if k != field}
    with pytest.raises(MetaDataError, match=f"'{field}' is missing"):
        validate_meta(meta)


def test_meta_must_be_a_mapping_with_string_keys():
    with pytest.raises(MetaDataError, match="must be a dict"):
        validate_meta([("fps", 20.0)])
    with pytest.raises(MetaDataError, match="keys must be strings"):
        validate_meta({**MINIMAL, 1: "x"})


def test_meta_data_error_is_a_value_error():
    with pytest.raises(ValueError):
        validate_meta({})


def test_load_missing_file(tmp_path):
    with pytest.raises(MetaDataError, match="does not exist"):
        load_meta_json(tmp_path / "nope.json")
    with pytest.raises(MetaDataError, match="is a directory"):
        load_meta_json(tmp_path)


def test_load_invalid_json_reports_line(tmp_path):
    # The guide's second example has an unquoted date and version: not JSON.
    path = tmp_path / "bad.json"
    path.write_text('{\n"source": "our_recording_program",\n"version": 0.1.2,\n"fps": 20.0,\n'
                    '"date": 20190425_114405\n}\n')
    with pytest.raises(MetaDataError) as info:
        load_meta_json(path)
    msg = str(info.value)
    assert "not valid JSON" in msg and "line 3" in msg and str(path) in msg


def test_load_non_object_and_non_utf8(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(MetaDataError, match="JSON object"):
        load_meta_json(path)
    path.write_bytes(b'{"source": "\xff\xfe"}')
    with pytest.raises(MetaDataError, match="UTF-8"):
        load_meta_json(path)


def test_load_invalid_field_names_file_and_field(tmp_path):
    path = tmp_path / "nofps.json"
    path.write_text(json.dumps({"source": "x", "date": "20190425_114405"}))
    with pytest.raises(MetaDataError) as info:
        load_meta_json(path)
    assert str(path) in str(info.value) and "'fps' is missing" in str(info.value)
    path.write_text(json.dumps(dict(MINIMAL, fps="twenty")))
    with pytest.raises(MetaDataError, match="'fps' must be a number"):
        load_meta_json(path)


def test_find_meta_path(tmp_path):
    for name in ("xyz.tif", "abc.tiff", "v.ome.tif"):
        assert find_meta_path(tmp_path / name) is None
    (tmp_path / "xyz.json").write_text("{}")
    (tmp_path / "abc.json").write_text("{}")
    (tmp_path / "v.json").write_text("{}")
    assert find_meta_path(tmp_path / "xyz.tif") == tmp_path / "xyz.json"
    assert find_meta_path(tmp_path / "abc.tiff") == tmp_path / "abc.json"
    assert find_meta_path(tmp_path / "v.ome.tif") == tmp_path / "v.json"
    (tmp_path / "v.ome.json").write_text("{}")
    assert find_meta_path(tmp_path / "v.ome.tif") == tmp_path / "v.ome.json"


def test_write_roundtrip_with_numpy_values(tmp_path):
    path = tmp_path / "sub" / "m.json"
    meta = dict(MINIMAL, fps=np.float32(15.0),
                orig_meta={"scanner_info": np.array([1, 2, 3]), "gain": np.int16(4), "t": (1, 2)})
    write_meta_json(path, meta)
    loaded = load_meta_json(path)
    assert loaded["fps"] == 15.0
    assert loaded["orig_meta"] == {"scanner_info": [1, 2, 3], "gain": 4, "t": [1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["m.json"]


def test_write_refuses_invalid_and_leaves_old_file(tmp_path):
    path = tmp_path / "m.json"
    write_meta_json(path, MINIMAL)
    before = path.read_text()
    with pytest.raises(MetaDataError, match="'fps'"):
        write_meta_json(path, dict(MINIMAL, fps="20"))
    with pytest.raises(MetaDataError, match="cannot be stored in JSON"):
        write_meta_json(path, dict(MINIMAL, orig_meta={"f": object()}))
    with pytest.raises(MetaDataError, match="finite number or null"):
        write_meta_json(path, dict(MINIMAL, orig_meta={"x": math.nan}))
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
