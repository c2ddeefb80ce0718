"""Fixtures shared by the engine tests."""
import pytest
import tifffile
from threadpoolctl import threadpool_limits

from mesmerize.demo.synthetic import SyntheticParams, generate


@pytest.fixture(scope="session")
def cnmf_2p_movie(tmp_path_factory):
    """``(SyntheticMovie, tiff path)``: 1000 frames of 128 x 128, 30 neurons of radius 4, 2-photon,
    seed 1 (generated once for every CNMF test module)."""
    sm = generate(SyntheticParams(shape=(1000, 128, 128), n_neurons=30, neuron_radius=4,
                                  mode="2p", seed=1))
    path = tmp_path_factory.mktemp("cnmf_2p") / "movie.tif"
    tifffile.imwrite(path, sm.movie)
    return sm, path


@pytest.fixture(scope="module")
def one_blas_thread():
    """The test machine's cores are shared; BLAS threads only oversubscribe them (use with
    ``pytestmark = pytest.mark.usefixtures("one_blas_thread")``)."""
    with threadpool_limits(1):
        yield
