"""The optional torch kernels agree with numpy; ``use_cuda`` falls back to the CPU cleanly.

torch is not a Mesmerize dependency: the agreement tests skip when it is not installed. They run
the torch *CPU* path, which executes the same code as the GPU path on another device.
"""
import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

from mesmerize.engines.motion_correction import correct
from mesmerize.engines.motion_correction.piecewise import (PatchGrid, estimate_patch_shifts,
                                                           template_patch_spectra)
from mesmerize.engines.motion_correction.registration import estimate_shifts, template_spectrum
from mesmerize.engines.motion_correction.torch_backend import cuda_available


def moving_texture(n_frames=24, size=120, seed=0):
    rng = np.random.default_rng(seed)
    big = ndi.gaussian_filter(rng.normal(size=(size + 20, size + 20)), 2) * 100 + 500
    truth = rng.uniform(-7, 7, size=(n_frames, 2))
    frames = np.stack([ndi.shift(big, s, order=3)[10:-10, 10:-10] for s in truth])
    frames = frames + rng.normal(0, 3, frames.shape)
    return big[10:-10, 10:-10].astype(np.float32), frames.astype(np.float32), truth


def test_torch_cpu_rigid_shifts_agree_with_numpy_within_0_02_px():
    pytest.importorskip("torch", reason="torch is not installed (optional GPU backend)")
    template, frames, _ = moving_texture()
    spec = template_spectrum(template, (9, 9))
    numpy_shifts = estimate_shifts(frames, spec, (8, 8), 10)
    torch_shifts = estimate_shifts(frames, spec, (8, 8), 10, device="cpu")
    assert np.abs(numpy_shifts - torch_shifts).max() <= 0.02


def test_torch_cpu_patch_shifts_agree_with_numpy_within_0_02_px():
    pytest.importorskip("torch", reason="torch is not installed (optional GPU backend)")
    template, frames, truth = moving_texture(seed=1)
    grid = PatchGrid.build(template.shape, (32, 32), (16, 16), 4)
    spectra = template_patch_spectra(grid, template, 4)
    args = (frames, grid, spectra, truth, 3, 10)
    numpy_els = estimate_patch_shifts(*args)
    torch_els = estimate_patch_shifts(*args, device="cpu")
    assert np.abs(numpy_els - torch_els).max() <= 0.02


def test_use_cuda_without_cuda_warns_and_matches_the_cpu_run(tmp_path):
    if cuda_available():
        pytest.skip("a CUDA device is present: the fallback path is not taken")
    _, frames, _ = moving_texture(n_frames=20, size=64)
    path = tmp_path / "m.tif"
    tifffile.imwrite(path, frames)
    params = {"max_shifts_x": 8, "max_shifts_y": 8, "pw_rigid": False}
    with pytest.warns(UserWarning, match="use_cuda"):
        gpu = correct(path, {**params, "use_cuda": True}, tmp_path / "gpu", max_workers=1)
    cpu = correct(path, params, tmp_path / "cpu", max_workers=1)
    assert np.array_equal(gpu.shifts, cpu.shifts)


def test_cuda_shifts_agree_with_numpy_within_0_02_px():
    if not cuda_available():
        pytest.skip("no CUDA device (or torch) available")
    template, frames, truth = moving_texture(seed=2)
    spec = template_spectrum(template, (9, 9))
    assert np.abs(estimate_shifts(frames, spec, (8, 8), 10, device="cuda")
                  - estimate_shifts(frames, spec, (8, 8), 10)).max() <= 0.02
    grid = PatchGrid.build(template.shape, (32, 32), (16, 16), 4)
    spectra = template_patch_spectra(grid, template, 4)
    args = (frames, grid, spectra, truth, 3, 10)
    assert np.abs(estimate_patch_shifts(*args, device="cuda")
                  - estimate_patch_shifts(*args)).max() <= 0.02


def test_use_cuda_run_matches_the_cpu_run(tmp_path):
    if not cuda_available():
        pytest.skip("no CUDA device (or torch) available")
    _, frames, _ = moving_texture(n_frames=20, size=96)
    path = tmp_path / "m.tif"
    tifffile.imwrite(path, frames)
    params = {"max_shifts_x": 8, "max_shifts_y": 8, "strides": 32, "overlaps": 16}
    gpu = correct(path, {**params, "use_cuda": True}, tmp_path / "gpu", max_workers=1)
    cpu = correct(path, params, tmp_path / "cpu", max_workers=1)
    assert np.abs(gpu.shifts - cpu.shifts).max() <= 0.02
    assert np.abs(gpu.shifts_els - cpu.shifts_els).max() <= 0.02
