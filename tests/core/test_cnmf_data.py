"""CNMFData: shape validation, footprints in (x, y), npz round trip and format versions."""
import numpy as np
import pytest
import scipy.sparse as sp

from mesmerize.core.errors import FormatVersionError, ROIError
from mesmerize.core.roi.cnmf_data import FORMAT_VERSION, CNMFData

DIMS = (12, 17)  # (H, W)
T = 25
K = 4


def arrays(seed=0, **overrides):
    rng = np.random.default_rng(seed)
    dense = rng.random((DIMS[0] * DIMS[1], K))
    dense[dense < 0.8] = 0
    out = dict(
        A=sp.csc_matrix(dense),
        b=rng.random((DIMS[0] * DIMS[1], 2)),
        C=rng.random((K, T)),
        f=rng.random((2, T)),
        YrA=rng.standard_normal((K, T)),
        dims=DIMS,
    )
    out.update(overrides)
    return out


def test_footprint_is_the_transposed_fortran_image():
    images_yx = np.random.default_rng(1).random((K, *DIMS))
    A = np.column_stack([img.ravel(order="F") for img in images_yx])
    data = CNMFData(**arrays(A=sp.csr_matrix(A)))
    for k in range(K):
        fp = data.footprint(k)
        assert fp.dtype == np.float32 and fp.shape == (DIMS[1], DIMS[0])
        np.testing.assert_allclose(fp, images_yx[k].T, rtol=1e-6)
    with pytest.raises(ROIError, match="component 4 does not exist"):
        data.footprint(4)


def test_dense_a_is_accepted_and_stored_sparse():
    dense = arrays()["A"].toarray()
    data = CNMFData(**arrays(A=dense))
    assert sp.issparse(data.A)
    np.testing.assert_array_equal(data.A.toarray(), dense)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ({"A": sp.csc_matrix((10, K))}, "A has 10 rows"),
        ({"C": np.zeros((K + 1, T))}, r"C has shape \(5, 25\), expected \(K, T\)"),
        ({"YrA": np.zeros((K, T - 1))}, r"YrA has shape \(4, 24\), expected \(4, 25\)"),
        ({"b": np.zeros((7, 1))}, "b has shape"),
        ({"f": np.zeros((1, T))}, r"f has shape \(1, 25\), expected \(2, 25\)"),
        ({"S": np.zeros((K, T + 2))}, "S has shape"),
        ({"sn": np.zeros(5)}, "sn has shape"),
        ({"g": np.zeros((K + 1, 2))}, "g has shape"),
        ({"idx_components": [0, 9]}, r"within \[0, 4\)"),
        ({"idx_components": [1, 1]}, "repeated"),
        ({"idx_components": np.array([True, False])}, "boolean idx_components"),
        ({"dims": (5,)}, r"dims must be \(H, W\)"),
        ({"C": np.array([["a"] * T] * K)}, "real numeric"),
    ],
)
def test_shape_validation_messages(override, pattern):
    with pytest.raises(ROIError, match=pattern):
        CNMFData(**arrays(**override))


def test_no_background_is_allowed():
    data = CNMFData(**arrays(b=None, f=None))
    assert data.b.shape == (DIMS[0] * DIMS[1], 0) and data.f.shape == (0, T)


def test_component_indices():
    assert CNMFData(**arrays()).component_indices().tolist() == [0, 1, 2, 3]
    data = CNMFData(**arrays(idx_components=np.array([True, False, True, True])))
    assert data.component_indices().tolist() == [0, 2, 3]


@pytest.mark.parametrize("name", ["sample_cnmf.npz", "no_suffix"])
def test_npz_round_trip(tmp_path, name):
    rng = np.random.default_rng(5)
    data = CNMFData(
        **arrays(
            S=rng.random((K, T)),
            sn=rng.random(DIMS[0] * DIMS[1]),
            g=rng.random((K, 2)),
            idx_components=[3, 0],
        )
    )
    path = tmp_path / name
    data.to_npz(path)
    assert path.exists() and sorted(p.name for p in tmp_path.iterdir()) == [name]
    back = CNMFData.from_npz(path)
    assert (back.A != data.A).nnz == 0 and back.dims == DIMS
    for attr in ("b", "C", "f", "YrA", "S", "sn", "g", "idx_components"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(data, attr))
    minimal = CNMFData(**arrays())
    minimal.to_npz(path)
    back = CNMFData.from_npz(path)
    assert back.S is None and back.sn is None and back.g is None and back.idx_components is None


def test_newer_or_missing_format_version_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    CNMFData(**arrays()).to_npz(path)
    with np.load(path) as npz:
        content = dict(npz)
    content["format_version"] = np.array(FORMAT_VERSION + 1)
    np.savez(path, **content)
    with pytest.raises(FormatVersionError, match="upgrade Mesmerize"):
        CNMFData.from_npz(path)
    del content["format_version"]
    np.savez(path, **content)
    with pytest.raises(FormatVersionError, match="not a Mesmerize CNMF data file"):
        CNMFData.from_npz(path)


def test_pickled_or_incomplete_files_are_refused(tmp_path):
    path = tmp_path / "x.npz"
    content = {"format_version": np.array(1), "C": np.array([{"evil": 1}], dtype=object)}
    content.update({k: np.zeros(2) for k in ("A_data", "A_indices", "A_indptr", "A_shape")})
    content.update({k: np.zeros(2) for k in ("b", "f", "YrA", "dims")})
    np.savez(path, **content)
    with pytest.raises(ROIError, match="pickled objects are refused"):
        CNMFData.from_npz(path)
    np.savez(path, format_version=np.array(1), C=np.zeros(3))
    with pytest.raises(ROIError, match="incomplete"):
        CNMFData.from_npz(path)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ROIError, match="cannot read"):
        CNMFData.from_npz(tmp_path / "bad.npz")


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.npz"
    CNMFData(**arrays(seed=1)).to_npz(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        CNMFData(**arrays(seed=2)).to_npz(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]
