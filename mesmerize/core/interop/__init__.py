"""Exchange with other tools' file formats (NWB, CaImAn, suite2p, ...), one module per format.

NWB: ``export_samples_to_nwb(project, sample_ids, out_dir)`` writes one NWB file per sample;
``import_nwb(path).work_env`` reads one back (or any ophys NWB file) as a work environment that
``Project.add_sample`` takes; ``add_nwb_to_project`` does both steps.
suite2p / CaImAn: ``import_suite2p(work_env, folder)`` and ``import_caiman_hdf5(work_env, path)``
put the components into a work environment's ROI manager as CNMF-type ROIs (suite2p's pickled
``.npy`` files are read by a restricted unpickler that builds arrays and nothing else).
Multi-session: ``register_project_samples(project, sample_ids)`` gives the matched components of
several sessions a shared identity column. The names below resolve lazily: importing this
package loads neither pynwb nor the other readers.
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
    "read_suite2p": "mesmerize.core.interop.suite2p_import",
    "import_suite2p": "mesmerize.core.interop.suite2p_import",
    "read_caiman_hdf5": "mesmerize.core.interop.caiman_import",
    "import_caiman_hdf5": "mesmerize.core.interop.caiman_import",
    "register_sessions": "mesmerize.core.interop.multisession",
    "register_project_samples": "mesmerize.core.interop.multisession",
    "read_npy": "mesmerize.core.interop.safe_pickle",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
