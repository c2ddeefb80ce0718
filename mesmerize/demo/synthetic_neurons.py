"""Synthetic somata: placement, soft elliptical footprints, spike trains, calcium (dF/F)."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.signal import lfilter

from mesmerize.core.errors import ParameterError

#: Fraction of neurons placed so that they overlap a neighbour.
OVERLAP_FRACTION = 0.15
#: Footprint values below this (footprints peak at 1) are set to 0 so footprints are sparse.
FOOTPRINT_CUTOFF = 1e-3
#: Sub-frame time bins used to place spikes and integrate calcium over each frame.
SUBFRAME_BINS = 8


def place_neurons(
    rng: np.random.Generator, n: int, shape_hw: tuple[int, int], radius: float
) -> np.ndarray:
    """Soma centres ``(n, 2)`` float64 ``(y, x)`` px.

    About ``OVERLAP_FRACTION`` of the neurons come in overlapping pairs (centres 1.0-1.6 radii
    apart); all other centres are at least 2.2 radii from every other centre (relaxed gradually
    only if the field is too crowded). Centres stay one radius inside the image.
    """
    h, w = shape_hw
    margin = radius
    if n == 0:
        return np.zeros((0, 2))
    if h <= 2 * margin + 1 or w <= 2 * margin + 1:
        raise ParameterError(
            f"frame {h}x{w} px is too small for neurons of radius {radius} px: use a larger shape "
            "or a smaller neuron_radius"
        )
    usable = (h - 2 * margin) * (w - 2 * margin)
    if n * np.pi * radius**2 > 0.6 * usable:
        raise ParameterError(
            f"{n} neurons of radius {radius} px do not fit in a {h}x{w} px frame (they would "
            "cover more than 60% of it): reduce n_neurons or neuron_radius, or enlarge the frame"
        )
    n_pairs = int(round(OVERLAP_FRACTION * n / 2))
    min_dist = 2.2 * radius
    centres = np.zeros((n, 2))
    for i in range(n):
        is_partner = i < 2 * n_pairs and i % 2 == 1
        spacing = min_dist
        while True:
            for _ in range(100):
                if is_partner:
                    ang = rng.uniform(0, 2 * np.pi)
                    dist = rng.uniform(1.0, 1.6) * radius
                    c = centres[i - 1] + dist * np.array([np.sin(ang), np.cos(ang)])
                    others = np.delete(centres[:i], i - 1, axis=0)
                else:
                    c = np.array([rng.uniform(margin, h - margin), rng.uniform(margin, w - margin)])
                    others = centres[:i]
                inside = margin <= c[0] <= h - margin and margin <= c[1] <= w - margin
                if inside and (len(others) == 0 or np.min(np.hypot(*(others - c).T)) >= spacing):
                    break
            else:
                spacing *= 0.95
                continue
            break
        centres[i] = c
    return centres[rng.permutation(n)]


def neuron_footprints(
    rng: np.random.Generator,
    centres: np.ndarray,
    shape_hw: tuple[int, int],
    radius: float,
    one_photon: bool,
) -> np.ndarray:
    """Soft elliptical soma footprints ``(K, H, W)`` float32, each peaking at 1.

    Each soma has a random size (0.85-1.15 radius), eccentricity (axis ratio up to 1.5) and
    orientation, a sigmoid edge, and (2-photon, 70% of cells) a darker, slightly off-centre
    nucleus, as cytosolic GCaMP leaves the nucleus dim. In 1-photon mode footprints are blurred
    (sigma 0.4 radius) as out-of-focus light spreads them. Values below ``FOOTPRINT_CUTOFF`` are 0.
    """
    h, w = shape_hw
    k = len(centres)
    out = np.zeros((k, h, w), np.float32)
    half = int(np.ceil(3.0 * radius)) + 2
    blur = 0.4 * radius if one_photon else 0.0
    for i, (cy, cx) in enumerate(centres):
        size = radius * rng.uniform(0.85, 1.15)
        ratio = rng.uniform(1.0, 1.5)
        a, b = size * np.sqrt(ratio), size / np.sqrt(ratio)
        theta = rng.uniform(0, np.pi)
        has_nucleus = (not one_photon) and rng.random() < 0.7
        depth = rng.uniform(0.3, 0.6)
        nuc_off = rng.normal(0, 0.12 * size, 2)
        y0, y1 = max(0, int(cy) - half), min(h, int(cy) + half + 1)
        x0, x1 = max(0, int(cx) - half), min(w, int(cx) + half + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        dy, dx = yy - cy, xx - cx
        u = dx * np.cos(theta) + dy * np.sin(theta)
        v = -dx * np.sin(theta) + dy * np.cos(theta)
        rho = np.hypot(u / a, v / b)
        patch = 1.0 / (1.0 + np.exp((rho - 1.0) / 0.12))
        if has_nucleus:
            rn = np.hypot(dy - nuc_off[0], dx - nuc_off[1]) / (0.45 * size)
            patch *= 1.0 - depth * np.exp(-(rn**4))
        if blur > 0:
            patch = gaussian_filter(patch, blur, mode="constant")
        patch /= patch.max()
        patch[patch < FOOTPRINT_CUTOFF] = 0.0
        out[i, y0:y1, x0:x1] = patch
    return out


def spike_trains(
    rng: np.random.Generator, n: int, n_frames: int, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spikes of ``n`` neurons on a sub-frame grid.

    Returns ``(amplitudes, counts)``: ``amplitudes`` ``(n, n_frames * SUBFRAME_BINS)`` float64,
    the summed dF/F amplitude of the spikes in each sub-frame bin; ``counts`` ``(n, n_frames)``
    float32, spikes per frame. Rates are log-uniform in 0.05-0.3 Hz; 15% of spikes start a burst
    of 1-5 more spikes ~30 ms apart. Each cell's unitary dF/F is 0.3-0.8, each spike's amplitude
    varies around it (log-normal, sigma 0.25).
    """
    nb = n_frames * SUBFRAME_BINS
    dt = 1.0 / (fps * SUBFRAME_BINS)
    rates = np.exp(rng.uniform(np.log(0.05), np.log(0.3), n))
    counts_fine = rng.poisson(rates[:, None] * dt, size=(n, nb))
    nz_cell, nz_bin = np.nonzero(counts_fine)
    reps = counts_fine[nz_cell, nz_bin]
    cell, binx = np.repeat(nz_cell, reps), np.repeat(nz_bin, reps)
    n_extra = rng.integers(1, 6, size=len(cell)) * (rng.random(len(cell)) < 0.15)
    b_cell = np.repeat(cell, n_extra)
    b_start = np.repeat(binx, n_extra)
    # offset of each burst spike from its burst's first spike: a cumulative sum of ISIs that
    # restarts at every burst
    isi = rng.exponential(0.03, size=len(b_cell)) + 0.005
    csum = np.cumsum(isi)
    group_first = np.cumsum(n_extra) - n_extra
    base = np.concatenate([[0.0], csum])[group_first]
    b_bin = b_start + np.round((csum - np.repeat(base, n_extra)) / dt).astype(np.int64)
    keep = b_bin < nb
    all_cell = np.concatenate([cell, b_cell[keep]])
    all_bin = np.concatenate([binx, b_bin[keep]])
    unitary = rng.uniform(0.3, 0.8, n)
    amp = unitary[all_cell] * rng.lognormal(0.0, 0.25, len(all_cell))
    amplitudes = np.zeros((n, nb))
    np.add.at(amplitudes, (all_cell, all_bin), amp)
    counts = np.zeros((n, n_frames), np.float32)
    np.add.at(counts, (all_cell, all_bin // SUBFRAME_BINS), 1.0)
    return amplitudes, counts


def calcium_traces(rng: np.random.Generator, amplitudes: np.ndarray, fps: float) -> np.ndarray:
    """dF/F traces ``(n, n_frames)`` float32 from sub-frame spike amplitudes.

    Each cell's kernel is a difference of exponentials (rise 50-100 ms, decay 0.5-1.5 s) peaking
    at 1, applied as the equivalent AR(2) filter; the indicator saturates mildly
    (``x / (1 + x / 6)``), and each frame integrates its sub-frame bins (exposure over the frame).
    """
    n, nb = amplitudes.shape
    dt = 1.0 / (fps * SUBFRAME_BINS)
    out = np.zeros((n, nb // SUBFRAME_BINS), np.float32)
    for i in range(n):
        decay_r = np.exp(-dt / rng.uniform(0.05, 0.1))
        decay_d = np.exp(-dt / rng.uniform(0.5, 1.5))
        # the sampled difference of exponentials d^n - r^n is exactly an AR(2) impulse response
        steps = np.arange(int(np.ceil(np.log(1e-3) / np.log(decay_d))) + 1)
        peak = np.max(decay_d**steps - decay_r**steps)
        c = lfilter([0.0, (decay_d - decay_r) / peak],
                    [1.0, -(decay_d + decay_r), decay_d * decay_r], amplitudes[i])
        c = c / (1.0 + c / 6.0)
        out[i] = c.reshape(-1, SUBFRAME_BINS).mean(axis=1)
    return out
