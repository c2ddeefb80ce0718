"""Registration kernels checked against exact references: Fourier-shifted images, brute-force
correlations, scipy interpolation and numpy statistics."""
import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

from mesmerize.core.errors import ImageLoadError
from mesmerize.engines.motion_correction.filtering import highpass_kernel, prepare_frames
from mesmerize.engines.motion_correction.io import movie_info, read_frames
from mesmerize.engines.motion_correction.piecewise import (PatchGrid, estimate_patch_shifts,
                                                           template_patch_spectra)
from mesmerize.engines.motion_correction.registration import estimate_shifts, template_spectrum
from mesmerize.engines.motion_correction.summary_images import SummaryAccumulator
from mesmerize.engines.motion_correction.warp import apply_field, apply_rigid


def textured_image(shape, seed=0, sigma=2.0):
    rng = np.random.default_rng(seed)
    return (ndi.gaussian_filter(rng.normal(size=shape), sigma) * 100 + 500).astype(np.float32)


def fourier_shift(image, shift):
    """Exact periodic band-limited shift: out(r) = image(r - shift)."""
    spec = ndi.fourier_shift(np.fft.fft2(image), shift)
    return np.fft.ifft2(spec).real.astype(np.float32)


def test_periodic_subpixel_shifts_are_exact_to_the_precision():
    # 1 / upsample_factor = 0.05 px precision, plus parabolic refinement: error < 0.02 px
    img = textured_image((96, 96))
    rng = np.random.default_rng(1)
    truth = rng.uniform(-7, 7, size=(20, 2))
    frames = np.stack([fourier_shift(img, s) for s in truth])
    est = estimate_shifts(frames, template_spectrum(img), (8, 8), 20)
    assert np.abs(est - truth).max() < 0.02


def test_shifts_of_cropped_windows_are_unbiased():
    # frames cut from a bigger image: content enters and leaves at the edges. With the template
    # kept only inside a margin of max_shift + 1 px, the error stays < 0.05 px for 8 px shifts.
    big = textured_image((140, 140), seed=3)
    rng = np.random.default_rng(2)
    truth = rng.uniform(-8, 8, size=(30, 2))
    frames = np.stack([fourier_shift(big, s)[10:-10, 10:-10] for s in truth])
    template = big[10:-10, 10:-10]
    est = estimate_shifts(frames, template_spectrum(template, (9, 9)), (8, 8), 10)
    assert np.sqrt(((est - truth) ** 2).mean()) < 0.05


def test_search_window_limits_the_shift():
    img = textured_image((64, 64))
    frame = fourier_shift(img, (6, -6))
    est = estimate_shifts(frame[None], template_spectrum(img), (3, 3), 10)[0]
    assert np.all(np.abs(est) <= 3 + 0.75)
    est = estimate_shifts(frame[None], template_spectrum(img), (6, 6), 10)[0]
    assert np.allclose(est, (6, -6), atol=0.02)


def test_highpass_kernel_is_odd_and_zero_mean():
    for g in [(1, 1), (4, 4), (10, 10), (3, 7)]:
        k = highpass_kernel(g)
        assert k.shape == (2 * (3 * g[0] // 2) + 1, 2 * (3 * g[1] // 2) + 1)
        assert abs(k.sum()) < 1e-5
        assert k[k.shape[0] // 2, k.shape[1] // 2] == k.max() > 0


def test_highpass_removes_smooth_background():
    yy, xx = np.mgrid[0:64, 0:64]
    background = 1000 + 5 * yy + 3 * xx
    out = prepare_frames(background[None].astype(np.float32), (4, 4), 0)[0]
    assert np.abs(out[8:-8, 8:-8]).max() < 1e-2
    assert prepare_frames(np.zeros((2, 64, 64)), None, 5).shape == (2, 54, 54)


def test_rigid_warp_inverts_the_shift():
    img = textured_image((64, 64), sigma=3)
    shifts = np.array([[2.5, -1.25], [-3.0, 0.5]])
    frames = np.stack([fourier_shift(img, s) for s in shifts])
    corrected = apply_rigid(frames, shifts)
    # bicubic interpolation of a smooth texture: interior RMS error < 0.5% of the range,
    # largest error < 2%
    err = (corrected - img)[:, 6:-6, 6:-6]
    assert np.sqrt((err ** 2).mean()) < 0.005 * np.ptp(img)
    assert np.abs(err).max() < 0.02 * np.ptp(img)
    field = np.broadcast_to(shifts[:, None, None, :], (2, 64, 64, 2)).astype(np.float32)
    assert np.allclose(apply_field(frames, field), corrected, atol=0.05)


def test_patch_grid_covers_the_frame():
    grid = PatchGrid.build((100, 70), (24, 24), (8, 8), upsample=1)
    assert grid.n_patches == (4, 3)
    assert list(grid.starts_y) == [0, 24, 48, 68] and list(grid.starts_x) == [0, 24, 38]
    assert grid.starts_y[-1] + 32 == 100 and grid.starts_x[-1] + 32 == 70
    assert PatchGrid.build((30, 100), (24, 24), (8, 8), 1) is None
    assert PatchGrid.build((100, 100), (24, 24), (8, 8), 1, bord_px=40) is None


@pytest.mark.parametrize("upsample", [1, 4])
def test_field_is_exact_at_patch_centres_and_reproduces_linear_fields(upsample):
    grid = PatchGrid.build((96, 80), (16, 16), (8, 8), upsample)
    cy, cx = grid.centres_y, grid.centres_x
    patch = np.stack(np.broadcast_arrays(0.02 * cy[:, None] + 0 * cx,
                                         0.03 * cx[None, :] + 0 * cy[:, None]), -1)
    field = grid.field(patch[None])[0]
    yy, xx = np.mgrid[0:96, 0:80]
    inside = (yy >= cy[0]) & (yy <= cy[-1]) & (xx >= cx[0]) & (xx <= cx[-1])
    assert np.allclose(field[..., 0][inside], 0.02 * yy[inside], atol=1e-4)
    assert np.allclose(field[..., 1][inside], 0.03 * xx[inside], atol=1e-4)
    # odd patches (16 + 9 px) put the centres on pixels: the field equals the patch values there
    odd = PatchGrid.build((96, 80), (16, 16), (9, 9), upsample)
    rng = np.random.default_rng(0)
    random_patch = rng.normal(size=(1,) + odd.n_patches + (2,)).astype(np.float32)
    f = odd.field(random_patch)[0]
    iy, ix = odd.centres_y.astype(int), odd.centres_x.astype(int)
    assert np.allclose(f[iy][:, ix], random_patch[0], atol=1e-5)


def test_patch_shifts_recover_a_known_per_patch_translation():
    big = textured_image((130, 130), seed=5)
    template = big[9:-9, 9:-9]
    grid = PatchGrid.build(template.shape, (28, 28), (14, 14), 1)
    rigid = np.array([[2.3, -1.6]])
    frame = fourier_shift(big, rigid[0])[9:-9, 9:-9]
    spectra = template_patch_spectra(grid, template, 4)
    est = estimate_patch_shifts(frame[None], grid, spectra, rigid, 3, 10)
    assert est.shape == (1,) + grid.n_patches + (2,)
    # 42 px patches of a smooth texture: error < 0.1 px (edge patches see mirrored content)
    interior = est[0, 1:-1, 1:-1]
    assert np.abs(interior - rigid[0]).max() < 0.1


def test_summary_images_match_numpy():
    rng = np.random.default_rng(0)
    movie = rng.normal(size=(40, 12, 9)).cumsum(axis=1).astype(np.float32) + 100
    acc_a = SummaryAccumulator(reference=movie[0].astype(np.float64))
    acc_b = SummaryAccumulator(reference=movie[0].astype(np.float64))
    acc_a.add(movie[:25])
    acc_b.add(movie[25:])
    acc_a += acc_b
    assert np.allclose(acc_a.mean_image(), movie.mean(axis=0), atol=1e-4)
    z = (movie - movie.mean(0)) / movie.std(0)
    expected = np.zeros((12, 9))
    for y in range(12):
        for x in range(9):
            rs = [(z[:, y, x] * z[:, y + dy, x + dx]).mean()
                  for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                  if (dy, dx) != (0, 0) and 0 <= y + dy < 12 and 0 <= x + dx < 9]
            expected[y, x] = np.mean(rs)
    assert np.allclose(acc_a.correlation_image(), expected, atol=1e-5)


def test_io_reads_contiguous_and_compressed_tiffs_and_npy(tmp_path):
    movie = (np.arange(6 * 8 * 5) % 251).reshape(6, 8, 5).astype(np.uint16)
    plain, packed, npy = tmp_path / "a.tif", tmp_path / "b.tiff", tmp_path / "c.npy"
    tifffile.imwrite(plain, movie)
    tifffile.imwrite(packed, movie, compression="zlib")
    np.save(npy, movie)
    for path in (plain, packed, npy):
        assert movie_info(path) == ((6, 8, 5), np.dtype(np.uint16))
        assert np.array_equal(read_frames(path, 2, 5), movie[2:5])
    with pytest.raises(ImageLoadError, match="not found"):
        movie_info(tmp_path / "missing.tif")
    with pytest.raises(ImageLoadError, match="unsupported"):
        movie_info(tmp_path / "x.avi")
    np.save(tmp_path / "flat.npy", movie[0])
    with pytest.raises(ImageLoadError, match=r"\[t, y, x\]"):
        movie_info(tmp_path / "flat.npy")
