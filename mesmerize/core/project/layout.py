"""The on-disk layout of a Mesmerize project directory (see docs/conventions.md).

```
<project>/config.json  dataframes/root.dfr  dataframes/root_<timestamp>.dfr  images/  curves/
          batches/  flowcharts/  plots/  trns/  .mesmerize.lock
```
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mesmerize.core.errors import ProjectError

CONFIG_FILE = "config.json"
DATAFRAMES_DIR = "dataframes"
ROOT_DATAFRAME_FILE = "root.dfr"
IMAGES_DIR = "images"
CURVES_DIR = "curves"
BATCHES_DIR = "batches"
FLOWCHARTS_DIR = "flowcharts"
PLOTS_DIR = "plots"
TRNS_DIR = "trns"
LOCK_FILE = ".mesmerize.lock"

PROJECT_DIRS: tuple[str, ...] = (
    DATAFRAMES_DIR, IMAGES_DIR, CURVES_DIR, BATCHES_DIR, FLOWCHARTS_DIR, PLOTS_DIR, TRNS_DIR,
)

SAMPLE_ID_SEPARATOR = "-_-"
"""Joins AnimalID and TrialID into a SampleID, and SampleID and ImgUUID into file names."""


@dataclass(frozen=True)
class ProjectLayout:
    """Absolute paths of everything inside one project directory."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def dataframes_dir(self) -> Path:
        return self.root / DATAFRAMES_DIR

    @property
    def root_dataframe(self) -> Path:
        return self.dataframes_dir / ROOT_DATAFRAME_FILE

    @property
    def images_dir(self) -> Path:
        return self.root / IMAGES_DIR

    @property
    def curves_dir(self) -> Path:
        return self.root / CURVES_DIR

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    def create_directories(self) -> None:
        """Make the root directory and every sub-directory of the layout.

        Raises ``ProjectError`` when ``root`` exists and is not an empty directory.
        """
        if self.root.exists():
            if not self.root.is_dir():
                raise ProjectError(
                    f"Cannot create a project at {self.root}: a file with that name exists. "
                    "Choose another location or name."
                )
            if any(self.root.iterdir()):
                raise ProjectError(
                    f"Cannot create a project in {self.root}: the directory is not empty. "
                    "Choose a new name or an empty directory (use Project.open for an existing "
                    "project)."
                )
        self.root.mkdir(parents=True, exist_ok=True)
        for name in PROJECT_DIRS:
            (self.root / name).mkdir()

    def validate(self) -> None:
        """Raise ``ProjectError`` naming every missing part of the layout."""
        if not self.root.is_dir():
            raise ProjectError(
                f"{self.root} is not a directory. Choose the project directory (the one that "
                f"holds {CONFIG_FILE} and {DATAFRAMES_DIR}/)."
            )
        missing = [CONFIG_FILE] if not self.config_file.is_file() else []
        missing += [f"{name}/" for name in PROJECT_DIRS if not (self.root / name).is_dir()]
        if self.dataframes_dir.is_dir() and not self.root_dataframe.is_file():
            missing.append(f"{DATAFRAMES_DIR}/{ROOT_DATAFRAME_FILE}")
        if missing:
            raise ProjectError(
                f"{self.root} is not a valid Mesmerize project; missing: {', '.join(missing)}. "
                "Choose the project directory itself; if dataframes/root.dfr is missing, restore "
                "a backup by renaming dataframes/root_<timestamp>.dfr to root.dfr."
            )

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root, POSIX style (as stored in the DataFrame)."""
        return Path(os.path.relpath(path, self.root)).as_posix()

    def absolute(self, relative_path: str) -> Path:
        """The absolute path of a project-relative POSIX path stored in the DataFrame."""
        return self.root.joinpath(*PurePosixPath(relative_path).parts)


def sample_file_stem(sample_id: str, img_uuid: str) -> str:
    """``<SampleID>-_-<ImgUUID>``, the stem of a sample's image, info and curve files."""
    return f"{sample_id}{SAMPLE_ID_SEPARATOR}{img_uuid}"


def cnmf_file_for_info(info_relative_path: str) -> str:
    """The project-relative path of the CNMF npz saved beside a sample info JSON."""
    return f"{info_relative_path.removesuffix('.json')}_cnmf.npz"
