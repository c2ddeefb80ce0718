"""Exchange with other tools' file formats (NWB, CaImAn, suite2p, ...), one module per format.

NWB: ``export_samples_to_nwb(project, sample_ids, out_dir)`` writes one NWB file per sample;
``import_nwb(path).work_env`` reads one back (or any ophys NWB file) as a work environment that
``Project.add_sample`` takes; ``add_nwb_to_project`` does both steps. The names below resolve
lazily: importing this package loads neither pynwb nor the other readers.
"""
from mesmerize.lazy_exports import lazy_exports

_EXPORTS = {
    "NWBImagingInfo": "mesmerize.core.interop.nwb_export",
    "export_sample_to_nwb": "mesmerize.core.interop.nwb_export",
    "export_samples_to_nwb": "mesmerize.core.interop.nwb_export",
    "export_work_env_to_nwb": "mesmerize.core.interop.nwb_export",
    "NWBImport": "mesmerize.core.interop.nwb_import",
    "add_nwb_to_project": "mesmerize.core.interop.nwb_import",
    "import_nwb": "mesmerize.core.interop.nwb_import",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
