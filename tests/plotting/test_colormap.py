import matplotlib
import numpy as np
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap


def test_qualitative_colormap_gives_listed_colours_in_order():
    cmap = get_colormap(["b", "a", "c"], "tab10")
    tab10 = matplotlib.colormaps["tab10"].colors
    assert list(cmap) == ["b", "a", "c"]
    np.testing.assert_allclose(cmap["a"][:3], tab10[1])
    assert cmap["c"][3] == 1.0


def test_pyqt_output_is_0_255_rgba_with_alpha():
    cmap = get_colormap(np.array([0, 45, 90]), "tab10", output="pyqt", alpha=0.6)
    assert all(len(c) == 4 and all(isinstance(v, int) for v in c) for c in cmap.values())
    assert cmap[45][3] == round(0.6 * 255)


def test_continuous_colormap_spans_the_whole_map_and_hex_output():
    cmap = get_colormap(["x", "y"], "viridis", output="hex")
    assert cmap["x"] == matplotlib.colors.to_hex(matplotlib.colormaps["viridis"](0.0), keep_alpha=True)
    assert cmap["y"] == matplotlib.colors.to_hex(matplotlib.colormaps["viridis"](1.0), keep_alpha=True)


@pytest.mark.parametrize("kwargs", [{"cmap": "nope"}, {"cmap": "tab10", "output": "qt6"},
                                   {"cmap": "tab10", "alpha": 2}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ParameterError):
        get_colormap(["a"], **kwargs)
