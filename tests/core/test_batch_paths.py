"""Batch directory validation and stored (relative, POSIX) paths."""
from __future__ import annotations

from pathlib import Path

import pytest

from mesmerize.core.batch.errors import BatchPathError
from mesmerize.core.batch.paths import (
    from_batch_relative, from_source_reference, to_batch_relative, to_source_reference,
    validate_batch_dir,
)


@pytest.mark.parametrize("path", ["/share/data/temp/kushal/pc2_batch", "/data/2026-01-02/b.v1"])
def test_valid_batch_dirs(path):
    assert validate_batch_dir(path) == Path(path)


@pytest.mark.parametrize("path, bad", [
    ("/data/my batch", "' '"),
    ("/data/batch(1)", "'('"),
    ("/data/bätch", "'ä'"),
    ("/data/a$b", "'$'"),
])
def test_invalid_batch_dirs_name_the_character(path, bad):
    with pytest.raises(BatchPathError) as info:
        validate_batch_dir(path)
    assert bad in str(info.value)
    assert "a-z, A-Z, 0-9, underscores" in str(info.value)


def test_relative_paths_are_posix_and_resolve(tmp_path):
    batch_dir = tmp_path / "b"
    stored = to_batch_relative(batch_dir / "u1" / "output" / "x.npy", batch_dir)
    assert stored == "u1/output/x.npy"
    assert from_batch_relative(stored, batch_dir) == batch_dir / "u1" / "output" / "x.npy"
    with pytest.raises(BatchPathError, match="not inside the batch"):
        to_batch_relative(tmp_path / "elsewhere.tiff", batch_dir)


def test_raw_data_references_follow_the_raw_data_root(tmp_path):
    raw = tmp_path / "raw"
    ref = to_source_reference(raw / "animal_1" / "t1.tiff", raw)
    assert ref == "$RAW/animal_1/t1.tiff"
    moved = tmp_path / "cluster_copy"
    assert from_source_reference(ref, moved) == moved / "animal_1" / "t1.tiff"
    outside = to_source_reference(tmp_path / "other.tiff", raw)
    assert outside == (tmp_path / "other.tiff").as_posix()
    assert from_source_reference(outside, raw) == tmp_path / "other.tiff"
    with pytest.raises(BatchPathError, match="raw_data_root"):
        from_source_reference(ref, None)
