"""PeakDetect and PeakFeatures against brute-force references and hand-computed features."""
import numpy as np
import pandas as pd
import pytest
from scipy.integrate import simpson
from scipy.signal import find_peaks

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.errors import TransmissionError
from mesmerize.core.errors import ParameterError

T = 400
PEAK_TIMES = [(60, 1.0), (150, 0.5), (250, 0.8), (330, 0.3)]


def transients(times, length=T, rise=6.0, decay=12.0, noise=0.0, seed=0):
    """Sum of calcium-like transients (smooth rise, exponential decay) peaking at ``times``."""
    t = np.arange(length, dtype=float)
    x = np.zeros(length)
    for peak, amp in times:
        rising = np.exp(-((t - peak) ** 2) / (2 * rise ** 2))
        falling = np.exp(-(t - peak) / decay)
        x += amp * np.where(t <= peak, rising, falling)
    return x + np.random.default_rng(seed).normal(0, noise, length) + 1.0


def pipeline(curves, **params):
    df = pd.DataFrame({"_RAW_CURVE": list(curves), "meta": [{"fps": 10.0}] * len(curves)})
    t = Transmission.from_dataframe(df)
    norm = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    out = get_operation("PeakDetect")(t, deriv, norm, None, data_column="_RAW_CURVE", **params)
    return t, norm, deriv, out


def events(pb, label):
    return pb.loc[pb.label == label, "event"].to_numpy()


def brute_force_bases(x, peaks):
    """Lowest sample strictly between consecutive peaks, by a plain loop."""
    out = []
    for a, b in zip(peaks[:-1], peaks[1:]):
        best = a + 1
        for i in range(a + 1, b):
            if x[i] < x[best]:
                best = i
        out.append(best)
    return out


def test_peaks_found_at_known_times_and_match_find_peaks():
    curve = transients(PEAK_TIMES)
    t, norm, _, out = pipeline([curve], AmplThrRel=0.05, Fictional_Bases=True)
    pb = out.df.peaks_bases[0]
    assert list(pb.columns) == ["event", "label"]
    assert list(pb.label) == ["base", "peak"] * 4 + ["base"]
    peaks = events(pb, "peak")
    np.testing.assert_array_equal(peaks, [p for p, _ in PEAK_TIMES])  # exact on smooth data
    n = norm.df._NORMALIZE[0]
    np.testing.assert_array_equal(peaks, find_peaks(n, prominence=0.05)[0])
    bases = events(pb, "base")
    assert bases[0] == 0 and bases[-1] == T - 1  # lonely edge peaks: fictional bases
    np.testing.assert_array_equal(bases[1:-1], brute_force_bases(curve, peaks))


def test_noisy_transients_within_one_sample_and_thresholds():
    curve = transients(PEAK_TIMES, noise=0.01, seed=3)
    smooth = np.convolve(curve, np.ones(9) / 9, mode="same")
    t, norm, deriv, out = pipeline([smooth], AmplThrRel=0.1, Fictional_Bases=True)
    peaks = events(out.df.peaks_bases[0], "peak")
    assert peaks.size == 4
    # tolerance: +-2 samples (noise moves the maximum of the smoothed curve)
    assert np.all(np.abs(peaks - [p for p, _ in PEAK_TIMES]) <= 2)
    n = norm.df._NORMALIZE[0]
    high = get_operation("PeakDetect")(t, deriv, norm, None, data_column="_RAW_CURVE",
                                       AmplThrRel=0.1, AmplThrAbs=0.5, Fictional_Bases=True)
    kept = events(high.df.peaks_bases[0], "peak")
    np.testing.assert_array_equal(kept, peaks[n[peaks] >= 0.5])


def test_slope_threshold_against_brute_force_crossings():
    curve = transients(PEAK_TIMES)
    _, norm, deriv, _ = pipeline([curve])
    d = deriv.df._DERIVATIVE[0]
    n = norm.df._NORMALIZE[0]
    drops = {}
    for i in range(T - 1):
        if d[i] > 0 >= d[i + 1]:
            drops[i + int(n[i + 1] > n[i])] = d[i] - d[i + 1]
    thr = float(np.median(list(drops.values())))
    expected = sorted(k for k, v in drops.items() if v >= thr)
    out = pipeline([curve], SlopeThr=thr, Fictional_Bases=True)[3]
    np.testing.assert_array_equal(events(out.df.peaks_bases[0], "peak"), expected)


def test_lonely_edge_peaks_dropped_without_fictional_bases():
    curve = transients(PEAK_TIMES)
    out = pipeline([curve], AmplThrRel=0.05, Fictional_Bases=False)[3]
    pb = out.df.peaks_bases[0]
    # the first transient rises from a flat baseline and the last decays to the end: no
    # derivative zero crossing bounds them
    np.testing.assert_array_equal(events(pb, "peak"), [150, 250])
    flat = pipeline([np.ones(50)])[3]
    assert len(flat.df.peaks_bases[0]) == 0


def test_rows_of_different_lengths_and_history():
    curves = [transients(PEAK_TIMES), transients(PEAK_TIMES[:2], length=200)]
    t, _, _, out = pipeline(curves, AmplThrRel=0.05, Fictional_Bases=True)
    np.testing.assert_array_equal(events(out.df.peaks_bases[1], "peak"), [60, 150])
    assert out.last_output == "peaks_bases"
    block = t.df._BLOCK_[0]
    ops = out.history_trace.get_operations_list(block)
    assert ops == ["spawn_transmission", "peak_detect"]
    assert out.history_trace.get_operation_params(block, "peak_detect") == {
        "data_column": "_RAW_CURVE", "Fictional_Bases": True, "SlopeThr": 0.0,
        "AmplThrAbs": 0.0, "AmplThrRel": 0.05, "derivative_column": "_DERIVATIVE",
        "normalized_column": "_NORMALIZE", "units": "time"}


def test_pb_input_and_terminal_errors():
    t, norm, deriv, out = pipeline([transients(PEAK_TIMES)], AmplThrRel=0.05)
    op = get_operation("PeakDetect")
    again = op(None, None, None, out, data_column="_RAW_CURVE")
    pd.testing.assert_frame_equal(again.df.peaks_bases[0], out.df.peaks_bases[0])
    with pytest.raises(TransmissionError, match="PB_Input overrides"):
        op(t, deriv, norm, out, data_column="_RAW_CURVE")
    with pytest.raises(TransmissionError, match="connect the Derivative"):
        op(t, None, norm, None, data_column="_RAW_CURVE")
    with pytest.raises(TransmissionError, match="no _DERIVATIVE column"):
        op(t, norm, norm, None, data_column="_RAW_CURVE")
    short = pipeline([transients(PEAK_TIMES, length=300)])[2]
    with pytest.raises(TransmissionError, match="300 samples but the curve has 400"):
        op(t, short, norm, None, data_column="_RAW_CURVE")
    broken = out.df.copy()
    broken.at[0, "peaks_bases"] = broken.peaks_bases[0].iloc[1:].reset_index(drop=True)
    with pytest.raises(TransmissionError, match="flanked by bases"):
        op(None, None, None, out.with_df(broken), data_column="_RAW_CURVE")


@pytest.mark.parametrize("params, message", [
    ({"AmplThrAbs": 1.5}, "'AmplThrAbs' must be >= 0.0 and <= 1.0"),
    ({"AmplThrRel": -0.1}, "'AmplThrRel' must be >= 0.0"),
    ({"SlopeThr": -1.0}, "'SlopeThr' must be >= 0.0"),
    ({"Fictional_Bases": 1}, "'Fictional_Bases' must be True or False"),
])
def test_peak_detect_bad_params(params, message):
    t, norm, deriv, _ = pipeline([transients(PEAK_TIMES)])
    with pytest.raises(ParameterError, match=message):
        get_operation("PeakDetect")(t, deriv, norm, None, data_column="_RAW_CURVE", **params)


def features_input():
    curve = np.array([0, 1, 3, 2, 1, 0.5, 2, 4, 1], dtype=float)
    pb = pd.DataFrame({"event": [0, 2, 4, 7, 8],
                       "label": ["base", "peak", "base", "peak", "base"]})
    df = pd.DataFrame({"_RAW_CURVE": [curve, curve[:5]], "cell": ["a", "b"],
                       "peaks_bases": [pb, pb.iloc[:3]]})
    return Transmission.from_dataframe(df)


def test_peak_features_hand_computed():
    t = features_input()
    out = get_operation("PeakFeatures")(t, data_column="_RAW_CURVE")
    df = out.df
    assert len(df) == 3 and list(df.cell) == ["a", "a", "b"]
    expected = {  # rows: peak at 2 (bases 0, 4), peak at 7 (bases 4, 8)
        "_pf_ampl_rel_b_ix_l": [3.0, 3.0], "_pf_ampl_rel_b_ix_r": [2.0, 3.0],
        "_pf_ampl_rel_b_mean": [2.5, 3.0], "_pf_ampl_rel_zero": [3.0, 4.0],
        "_pf_area_rel_zero": [19 / 3, 8.0], "_pf_area_rel_min": [19 / 3, 6.0],
        "_pf_rising_slope_avg": [1.5, 1.0], "_pf_falling_slope_avg": [1.0, 3.0],
        "_pf_duration_base": [4, 4], "_pf_p_ix": [2, 7], "_pf_b_ix_l": [0, 4],
        "_pf_b_ix_r": [4, 8],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(df[column].to_numpy(dtype=float)[:2], values, rtol=1e-12,
                                   err_msg=column)
    np.testing.assert_array_equal(df._pf_peak_curve[1], [1, 0.5, 2, 4, 1])
    assert df._pf_uuid.nunique() == 3
    block = t.df._BLOCK_[0]
    assert out.history_trace.get_operation_params(block, "peak_features") == {
        "data_column": "_RAW_CURVE", "units": "time"}


def test_peak_features_even_length_area_matches_scipy():
    curve = np.array([0, 2, 5, 3, 1, 0], dtype=float)
    pb = pd.DataFrame({"event": [0, 2, 5], "label": ["base", "peak", "base"]})
    t = Transmission.from_dataframe(pd.DataFrame({"_X": [curve], "peaks_bases": [pb]}))
    out = get_operation("PeakFeatures")(t, data_column="_X")
    assert out.df._pf_area_rel_zero[0] == pytest.approx(simpson(curve), rel=1e-12)


def test_peak_features_errors():
    t = features_input()
    with pytest.raises(TransmissionError, match="no peaks_bases column"):
        get_operation("PeakFeatures")(t.with_df(t.df.drop(columns="peaks_bases")),
                                      data_column="_RAW_CURVE")
    df = t.df.copy()
    df.at[1, "peaks_bases"] = pd.DataFrame({"event": [0, 9], "label": ["base", "peak"]})
    with pytest.raises(TransmissionError, match="outside the curve's 5 samples"):
        get_operation("PeakFeatures")(t.with_df(df), data_column="_RAW_CURVE")


def test_empty_inputs_give_empty_outputs():
    t, norm, deriv, _ = pipeline([transients(PEAK_TIMES)])
    empty = [x.with_df(x.df.iloc[0:0]) for x in (t, deriv, norm)]
    out = get_operation("PeakDetect")(*empty, None, data_column="_RAW_CURVE")
    assert len(out.df) == 0 and "peaks_bases" in out.df.columns
    features = get_operation("PeakFeatures")(out, data_column="_RAW_CURVE")
    assert len(features.df) == 0 and "_pf_uuid" in features.df.columns


def reference_events(d, x, slope_thr, abs_thr, rel_thr, fictional):
    """Plain per-curve reference of the documented algorithm (loops, scipy prominences)."""
    from scipy.signal import peak_prominences
    size = x.size
    peaks = [i + (x[i + 1] > x[i]) for i in range(size - 1)
             if d[i] > 0 and d[i + 1] <= 0 and d[i] - d[i + 1] >= slope_thr]
    ups = [i + (x[i + 1] < x[i]) for i in range(size - 1) if d[i] < 0 and d[i + 1] >= 0]
    peaks = [p for p in peaks if not np.isnan(x[p]) and x[p] >= abs_thr]
    if peaks and rel_thr > 0:
        y = np.nan_to_num(x, nan=np.nanmin(x))
        peaks = [p for p, pr in zip(peaks, peak_prominences(y, peaks)[0]) if pr >= rel_thr]
    kept = []
    for p in peaks:
        if kept and p == kept[-1] + 1:
            if x[kept[-1]] < x[p]:
                kept[-1] = p
        else:
            kept.append(p)
    first = last = None
    while kept:
        before = [u for u in ups if u < kept[0]]
        if before or (fictional and kept[0] > 0):
            first = before[-1] if before else 0
            break
        kept.pop(0)
    while kept:
        after = [u for u in ups if u > kept[-1]]
        if after or (fictional and kept[-1] < size - 1):
            last = after[0] if after else size - 1
            break
        kept.pop()
    if not kept:
        return []
    out = [first]
    for a, b in zip(kept[:-1], kept[1:]):
        seg = np.where(np.isnan(x[a + 1:b]), np.inf, x[a + 1:b])
        out += [a, a + 1 + int(np.argmin(seg))]
    return out + [kept[-1], last]


@pytest.mark.parametrize("slope_thr, abs_thr, rel_thr, fictional", [
    (0.0, 0.0, 0.0, False), (0.0, 0.0, 0.0, True), (0.01, 0.3, 0.0, True),
    (0.0, 0.0, 0.1, False), (0.02, 0.2, 0.05, True)])
def test_compiled_detection_matches_plain_reference(slope_thr, abs_thr, rel_thr, fictional):
    from mesmerize.analysis.peak_detection import detect_block, pb_frame
    rng = np.random.default_rng(5)
    x = rng.normal(size=(12, 200)).cumsum(axis=1)
    x = (x - x.min(1, keepdims=True)) / np.ptp(x, axis=1, keepdims=True)
    x[3, 50:55] = np.nan  # NaNs count as the minimum (prominence) and +inf (bases)
    d = np.gradient(x, axis=1)
    frames = detect_block(d, x, slope_thr, abs_thr, rel_thr, fictional)
    assert sum(len(f) for f in frames) > 12 * 3
    for r, frame in enumerate(frames):
        assert frame.event.tolist() == reference_events(d[r], x[r], slope_thr, abs_thr,
                                                        rel_thr, fictional), r
        # the block-built frames equal ones made by pandas' public constructor
        pd.testing.assert_frame_equal(frame, pb_frame(frame.event.to_numpy()))
        assert frame.label.tolist() == ["base", "peak"] * (len(frame) // 2) + \
            ["base"] * (len(frame) > 0)


def test_peaks_bases_frames_are_independent_and_survive_trn(tmp_path):
    curve = transients(PEAK_TIMES)
    _, _, _, out = pipeline([curve], AmplThrRel=0.05, Fictional_Bases=True)
    frames = out.df.peaks_bases
    first = frames[0].event.to_numpy().copy()
    edited = frames[0].copy()
    edited.loc[1, "event"] = 61
    np.testing.assert_array_equal(frames[0].event, first)  # a copy is free to change
    with pytest.raises(ValueError, match="read-only"):
        frames[0].loc[0, "label"] = "peak"  # labels are shared: in-place edits refused
    _, _, _, two = pipeline([curve, curve], AmplThrRel=0.05, Fictional_Bases=True)
    two.df.peaks_bases[0].loc[1, "event"] = 61  # events of one row are its own
    assert two.df.peaks_bases[1].event[1] == 60
    path = tmp_path / "peaks.trn"
    out.to_hdf5(path)
    back = Transmission.from_hdf5(path)
    pd.testing.assert_frame_equal(back.df.peaks_bases[0], frames[0])
    pf = get_operation("PeakFeatures")(back, data_column="_RAW_CURVE")
    assert len(pf.df) == 4


def test_segment_areas_match_scipy_simpson_for_odd_and_even_counts():
    from mesmerize.analysis.ops.peaks import _segment_areas
    rng = np.random.default_rng(2)
    flat = rng.normal(size=200) + 1000.0  # a large offset: area above the minimum stays exact
    start = rng.integers(0, 150, 40)
    stop = start + np.arange(40) % 12 + 1  # 1 to 12 samples
    zero, above_min = _segment_areas(flat, start, stop)
    for j, (a, b) in enumerate(zip(start, stop)):
        c = flat[a:b]
        assert zero[j] == pytest.approx(simpson(c) if c.size > 1 else 0.0, rel=1e-12)
        assert above_min[j] == pytest.approx(simpson(c - c.min()) if c.size > 1 else 0.0,
                                             rel=1e-9, abs=1e-9)


def test_peak_uuids_are_unique_version_4():
    import uuid

    from mesmerize.analysis.ops.peaks import uuid4_strings
    values = uuid4_strings(5000)
    assert values.dtype == object and len(set(values)) == 5000
    for text in values[:200]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert uuid4_strings(0).size == 0
