"""Atomic writes: all or nothing, and files get the permissions a plain write would give."""
import json
import os
import stat

import pytest

from mesmerize.core.atomic import atomic_path, write_json_atomic, write_text_atomic


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    try:
        new = tmp_path / "new.txt"
        write_text_atomic(new, "a")
        assert mode(new) == 0o644  # readable by the lab, as open(..., "w") would make it
        os.chmod(new, 0o640)
        write_text_atomic(new, "b")
        assert mode(new) == 0o640 and new.read_text() == "b"
    finally:
        os.umask(umask)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "data.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]
