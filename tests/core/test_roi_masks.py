"""Polygon and ellipse masks against brute-force geometry, clipping and the error rules."""
import math

import numpy as np
import pytest

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.masks import ellipse_mask, polygon_mask


def brute_force_polygon(vertices, frame_shape):
    """Even-odd ray casting at every pixel centre, in plain Python."""
    n_x, n_y = frame_shape
    out = np.zeros(frame_shape, dtype=bool)
    n = len(vertices)
    for i in range(n_x):
        for j in range(n_y):
            px, py = i + 0.5, j + 0.5
            inside = False
            for k in range(n):
                x1, y1 = vertices[k]
                x2, y2 = vertices[(k + 1) % n]
                if (y1 > py) != (y2 > py):
                    x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
                    if px < x_cross:
                        inside = not inside
            out[i, j] = inside
    return out


def brute_force_ellipse(center, radii, angle_deg, frame_shape):
    """Sum of distances to the two foci <= major axis length (a different formula)."""
    (cx, cy), (rx, ry) = center, radii
    theta = math.radians(angle_deg)
    if rx >= ry:
        a, b, axis = rx, ry, (math.cos(theta), math.sin(theta))
    else:
        a, b, axis = ry, rx, (-math.sin(theta), math.cos(theta))
    c = math.sqrt(a * a - b * b)
    f1 = (cx + c * axis[0], cy + c * axis[1])
    f2 = (cx - c * axis[0], cy - c * axis[1])
    out = np.zeros(frame_shape, dtype=bool)
    for i in range(frame_shape[0]):
        for j in range(frame_shape[1]):
            p = (i + 0.5, j + 0.5)
            out[i, j] = math.dist(p, f1) + math.dist(p, f2) <= 2 * a + 1e-12
    return out


def random_star_polygon(rng, centre, r_min, r_max, n):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(r_min, r_max, n)
    return np.column_stack(
        [centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)]
    )


@pytest.mark.parametrize("seed", range(8))
def test_polygon_mask_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    frame_shape = (23, 17)
    centre = rng.uniform([-3, -3], [26, 20])  # some polygons stick out of the frame
    vertices = random_star_polygon(rng, centre, 2.0, 9.0, int(rng.integers(3, 12)))
    expected = brute_force_polygon(vertices.tolist(), frame_shape)
    if not expected.any():
        with pytest.raises(ROIError):
            polygon_mask(vertices, frame_shape)
        return
    np.testing.assert_array_equal(polygon_mask(vertices, frame_shape), expected)


def test_polygon_mask_is_indexed_x_y_and_uses_pixel_centres():
    # the rectangle x in [2, 5], y in [1, 3] covers pixel centres x = 2.5..4.5, y = 1.5..2.5
    mask = polygon_mask([(2, 1), (5, 1), (5, 3), (2, 3)], (8, 6))
    expected = np.zeros((8, 6), bool)
    expected[2:5, 1:3] = True
    np.testing.assert_array_equal(mask, expected)
    # a half-pixel shift moves the rectangle's edges across pixel centres: one fewer column
    shifted = polygon_mask([(2.6, 1), (5.4, 1), (5.4, 3), (2.6, 3)], (8, 6))
    assert shifted[3:5, 1:3].all() and shifted.sum() == 4


def test_self_intersecting_polygon_uses_even_odd_rule():
    bow_tie = [(1.2, 1.1), (9.3, 8.8), (8.9, 1.3), (1.1, 9.2)]
    np.testing.assert_array_equal(
        polygon_mask(bow_tie, (11, 11)), brute_force_polygon(bow_tie, (11, 11))
    )
    # pentagram: the central pentagon is wound twice, so even-odd leaves it out
    angles = np.deg2rad(90 + 144 * np.arange(5))
    star = np.column_stack([20.1 + 15 * np.cos(angles), 20.2 + 15 * np.sin(angles)])
    mask = polygon_mask(star, (41, 41))
    np.testing.assert_array_equal(mask, brute_force_polygon(star.tolist(), (41, 41)))
    assert not mask[20, 20] and mask[20, 32]


def test_polygon_partly_outside_is_clipped():
    mask = polygon_mask([(-5, -5), (3, -5), (3, 2), (-5, 2)], (10, 10))
    expected = np.zeros((10, 10), bool)
    expected[:3, :2] = True
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize(
    "vertices",
    [
        [(20, 20), (25, 20), (25, 25)],  # beyond both edges
        [(-9, 2), (-1, 2), (-1, 6)],  # left of the frame
        [(2, 10), (5, 10), (5, 14)],  # below (y >= n_y)
    ],
)
def test_polygon_entirely_outside_raises_with_name_and_shape(vertices):
    with pytest.raises(ROIError, match=r"cell A.*outside the frame.*\(10, 10\)"):
        polygon_mask(vertices, (10, 10), name="cell A")


def test_polygon_without_any_pixel_centre_raises():
    with pytest.raises(ROIError, match=r"tiny.*no pixel centre.*\(10, 10\)"):
        polygon_mask([(2.1, 2.1), (2.4, 2.1), (2.4, 2.4)], (10, 10), name="tiny")


@pytest.mark.parametrize(
    ("vertices", "pattern"),
    [
        ([(1, 1), (4, 4)], "at least 3 vertices"),
        ([(1, 1), (4, np.nan), (4, 1)], "NaN"),
        ([(1, 1), (2, 2), (3, 3)], "zero area"),
        ([(1, 1, 1), (2, 2, 2), (3, 1, 3)], r"\(n, 2\)"),
        ("abc", r"numbers"),
    ],
)
def test_invalid_polygon_vertices_raise(vertices, pattern):
    with pytest.raises(ROIError, match=pattern):
        polygon_mask(vertices, (10, 10), name="bad roi")


@pytest.mark.parametrize(
    ("center", "radii", "angle"),
    [
        ((10.0, 8.0), (6.0, 3.0), 0.0),
        ((10.3, 8.7), (6.0, 3.0), 30.0),
        ((11.1, 7.2), (2.5, 7.5), -65.0),
        ((2.0, 3.0), (5.0, 4.0), 10.0),  # partly outside: clipped
        ((9.5, 9.5), (4.0, 4.0), 45.0),
    ],
)
def test_ellipse_mask_matches_foci_brute_force(center, radii, angle):
    frame_shape = (21, 18)
    np.testing.assert_array_equal(
        ellipse_mask(center, radii, angle, frame_shape),
        brute_force_ellipse(center, radii, angle, frame_shape),
    )


def test_ellipse_rotated_90_degrees_equals_swapped_radii():
    a = ellipse_mask((10, 10), (7, 3), 90.0, (20, 20))
    b = ellipse_mask((10, 10), (3, 7), 0.0, (20, 20))
    np.testing.assert_array_equal(a, b)
    # angle rotates the rx axis from +x towards +y: at 90 deg the long axis runs along y
    assert a[10, 3:17].all() and not a[3, 10]


def test_ellipse_errors():
    with pytest.raises(ROIError, match=r"oval.*outside the frame.*\(20, 20\)"):
        ellipse_mask((40, 40), (3, 3), 0.0, (20, 20), name="oval")
    with pytest.raises(ROIError, match="radii must be > 0"):
        ellipse_mask((5, 5), (0, 3), 0.0, (20, 20))
    with pytest.raises(ROIError, match="NaN"):
        ellipse_mask((np.nan, 5), (2, 3), 0.0, (20, 20))
    with pytest.raises(ROIError, match="no pixel centre"):
        ellipse_mask((5.0, 5.0), (0.3, 0.3), 0.0, (20, 20))


def test_bad_frame_shape_raises():
    with pytest.raises(ROIError, match="frame shape"):
        polygon_mask([(1, 1), (4, 1), (4, 4)], (0, 10))
