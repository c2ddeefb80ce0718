"""CNMF(E) components accepted or rejected by hand in the core ROIManager."""
import numpy as np
import pytest
import scipy.sparse as sp

from mesmerize.core.errors import ROIError
from mesmerize.core.project import Project
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import CURATION_OPERATION, ROIManager, record_curation
from tests.core.test_project_samples import make_cnmf_work_env, project_config

DIMS = (12, 10)  # (H, W)
N_FRAMES = 15


def cnmf_data(k=4, idx_components=(0, 2)):
    """``k`` square components side by side; component ``i``'s trace is ``i + 1`` everywhere."""
    h, w = DIMS
    footprints = np.zeros((k, h, w))
    for i in range(k):
        footprints[i, 1 + 2 * i: 3 + 2 * i, 2:6] = 1.0 + i
    A = sp.csc_matrix(np.stack([f.reshape(-1, order="F") for f in footprints], axis=1))
    C = np.repeat(np.arange(1.0, k + 1)[:, None], N_FRAMES, axis=1)
    return CNMFData(A, np.ones((h * w, 1)), C, np.ones((1, N_FRAMES)), np.zeros_like(C),
                    dims=DIMS, idx_components=None if idx_components is None
                    else np.array(idx_components))


@pytest.fixture
def manager():
    m = ROIManager(roi_type_columns=["cell_type"])
    m.set_cnmf_data(cnmf_data(), mode="cnmf")
    events = []
    m.changed.connect(lambda: events.append(1))
    m.events = events
    return m


def listed(m):
    return [roi.cnmf_idx for roi in m.roi_list]


def test_show_rejected_lists_the_other_components_outside_the_roi_list(manager):
    assert listed(manager) == [0, 2] and manager.rejected_rois == []
    manager.show_rejected(True)
    assert manager.showing_rejected
    assert [r.cnmf_idx for r in manager.rejected_rois] == [1, 3]
    assert listed(manager) == [0, 2]
    assert all(manager.is_rejected(r) for r in manager.rejected_rois)
    assert not any(manager.is_rejected(r) for r in manager.roi_list)
    # each rejected ROI is its own component: footprint and trace of component k
    for roi in manager.rejected_rois:
        np.testing.assert_array_equal(roi.curve_data[1], np.full(N_FRAMES, roi.cnmf_idx + 1.0))
        np.testing.assert_array_equal(roi.footprint, manager.cnmf_data.footprint(roi.cnmf_idx))
    assert manager.events == [1]
    manager.show_rejected(False)
    assert manager.rejected_rois == [] and manager.events == [1, 1]


def test_accept_updates_idx_components_and_inserts_in_component_order(manager):
    manager.show_rejected(True)
    shown = manager.rejected_rois[0]
    shown.set_tag("cell_type", "glia")
    manager.events.clear()
    record = manager.accept_component(1)
    assert record == {CURATION_OPERATION: {"accepted": [1], "rejected": []}}
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [0, 1, 2])
    assert listed(manager) == [0, 1, 2]
    # the listed rejected ROI itself moves over: same UUID and tags
    assert manager.roi_list[1] is shown and shown.get_tag("cell_type") == "glia"
    assert [r.cnmf_idx for r in manager.rejected_rois] == [3]
    assert manager.events  # changed emitted


def test_reject_removes_from_roi_list_and_idx_components(manager):
    record = manager.reject_component(2)
    assert record == {CURATION_OPERATION: {"accepted": [], "rejected": [2]}}
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [0])
    assert listed(manager) == [0] and manager.rejected_rois == []
    assert manager.events == [1]
    manager.show_rejected(True)
    assert [r.cnmf_idx for r in manager.rejected_rois] == [1, 2, 3]
    # rejecting while rejected ones are shown keeps the very same ROI object in the shown list
    roi0 = manager.roi_list[0]
    manager.reject_component(0)
    assert manager.rejected_rois[0] is roi0 and len(manager.roi_list) == 0
    assert manager.cnmf_data.idx_components.size == 0


def test_accept_without_idx_components_and_reject_from_all_accepted():
    m = ROIManager()
    m.set_cnmf_data(cnmf_data(k=3, idx_components=None), mode="cnmfe")
    assert listed(m) == [0, 1, 2]
    m.reject_component(1)
    np.testing.assert_array_equal(m.cnmf_data.idx_components, [0, 2])
    assert m.cnmf_data.idx_components.dtype == np.int64
    m.accept_component(1)
    np.testing.assert_array_equal(m.cnmf_data.idx_components, [0, 1, 2])
    assert listed(m) == [0, 1, 2]


@pytest.mark.parametrize("action, k, message", [
    ("accept_component", 0, "already accepted"),
    ("reject_component", 1, "already rejected"),
    ("accept_component", 4, "does not exist"),
    ("reject_component", -1, "does not exist"),
    ("accept_component", "one", "must be a component index"),
])
def test_bad_curation_is_refused_and_changes_nothing(manager, action, k, message):
    with pytest.raises(ROIError, match=message):
        getattr(manager, action)(k)
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [0, 2])
    assert listed(manager) == [0, 2] and manager.events == []


def test_curation_needs_cnmf_mode():
    m = ROIManager()
    with pytest.raises(ROIError, match="manual mode"):
        m.accept_component(0)
    m.show_rejected(True)
    assert m.rejected_rois == []


def test_switching_data_or_to_manual_rebuilds_the_rejected_list(manager):
    manager.show_rejected(True)
    manager.set_cnmf_data(cnmf_data(k=3, idx_components=[1]), mode="cnmf")
    assert [r.cnmf_idx for r in manager.rejected_rois] == [0, 2]
    manager.switch_to_manual()
    assert manager.rejected_rois == [] and manager.showing_rejected


def test_record_curation_merges_consecutive_records():
    history = [{"cnmf": {"gSig": 3}}]
    record_curation(history, {CURATION_OPERATION: {"accepted": [3], "rejected": []}})
    record_curation(history, {CURATION_OPERATION: {"accepted": [], "rejected": [5]}})
    record_curation(history, {CURATION_OPERATION: {"accepted": [1], "rejected": []}})
    assert history == [{"cnmf": {"gSig": 3}},
                       {CURATION_OPERATION: {"accepted": [1, 3], "rejected": [5]}}]
    # accepted, then rejected by hand: only the last decision stays
    record_curation(history, {CURATION_OPERATION: {"accepted": [], "rejected": [3]}})
    assert history[-1] == {CURATION_OPERATION: {"accepted": [1], "rejected": [3, 5]}}
    # another operation in between starts a new entry
    history.append({"cnmf": {"gSig": 4}})
    record_curation(history, {CURATION_OPERATION: {"accepted": [], "rejected": [0]}})
    assert len(history) == 4 and history[-1] == {CURATION_OPERATION: {"accepted": [],
                                                                      "rejected": [0]}}


def test_curated_components_survive_the_project_round_trip(tmp_path):
    project = Project.create(tmp_path / "proj", project_config())
    work_env = make_cnmf_work_env(k=3)
    manager = work_env.roi_manager
    record_curation(work_env.history_trace, manager.reject_component(1))
    manager.show_rejected(True)  # shown rejected components are not saved as ROIs
    sample_id = project.add_sample(work_env, "fish", "t1")
    loaded = project.load_sample(sample_id)
    np.testing.assert_array_equal(loaded.roi_manager.cnmf_data.idx_components, [0, 2])
    assert listed(loaded.roi_manager) == [0, 2]
    assert loaded.history_trace[-1] == {CURATION_OPERATION: {"accepted": [], "rejected": [1]}}
    assert len(project.dataframe) == 2
    loaded.roi_manager.show_rejected(True)
    assert [r.cnmf_idx for r in loaded.roi_manager.rejected_rois] == [1]
