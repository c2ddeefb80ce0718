"""Peak Editor model: every edit keeps base, peak, ..., base; partners are the brute-force
lowest/highest samples; edits reach PeakFeatures through to_transmission."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.peak_editing import PeakEditModel
from mesmerize.core.errors import ParameterError

from .test_ops_peaks import PEAK_TIMES, pipeline, transients


def assert_valid(model, i):
    ev = model.events(i)
    assert ev.size == 0 or ev.size % 2 == 1
    assert np.all(np.diff(ev) > 0)
    assert ev.size == 0 or (ev[0] >= 0 and ev[-1] < model.curve(i).size)
    frame = model.frame(i)
    assert list(frame.columns) == ["event", "label"]
    assert list(frame.label) == ["base", "peak"] * (ev.size // 2) + ["base"] * (ev.size > 0)


def brute_argmin(y, a, b):
    best = a
    for j in range(a, b):
        if y[j] < y[best]:
            best = j
    return best


def brute_argmax(y, a, b):
    best = a
    for j in range(a, b):
        if y[j] > y[best]:
            best = j
    return best


@pytest.fixture
def detected():
    curve = transients(PEAK_TIMES)
    t, _, _, out = pipeline([curve, curve[::-1].copy()], AmplThrRel=0.05, Fictional_Bases=True)
    return out


@pytest.fixture
def model(detected):
    return PeakEditModel.from_transmission(detected, "_RAW_CURVE")


def test_model_reads_peakdetect_output(detected, model):
    assert len(model) == 2
    for i in range(2):
        pb = detected.df.peaks_bases[i]
        np.testing.assert_array_equal(model.events(i), pb.event.to_numpy())
        np.testing.assert_array_equal(model.peaks(i), [p for p, _ in PEAK_TIMES] if i == 0
                                      else sorted(399 - p for p, _ in PEAK_TIMES))
        assert_valid(model, i)
    assert model.edited == set()


def test_move_within_neighbours_and_refused_past_them(model):
    seen = []
    model.changed.connect(seen.append)
    ev = model.events(0)
    model.move_event(0, ev[1], ev[1] + 3)
    assert model.events(0)[1] == ev[1] + 3 and seen == [0] and model.edited == {0}
    with pytest.raises(ParameterError, match="between its neighbours"):
        model.move_event(0, ev[1] + 3, ev[2] + 1)
    with pytest.raises(ParameterError, match="no peak or base"):
        model.move_event(0, ev[1], ev[1] + 1)
    with pytest.raises(ParameterError, match="outside the curve"):
        model.move_event(0, ev[0], 10_000)
    assert_valid(model, 0)
    assert seen == [0]


def test_add_peak_brings_lowest_base(model):
    y = model.curve(0)
    ev = model.events(0)
    s = ev[1] + 20  # on the falling side of the first peak: the new base goes before it
    base = model.add_peak(0, s)
    assert base == brute_argmin(y, ev[1] + 1, s)
    np.testing.assert_array_equal(model.events(0)[1:5], [ev[1], base, s, ev[2]])
    s2 = ev[3] - 10  # rising side of the second peak: the new base goes after it
    base2 = model.add_peak(0, s2)
    assert base2 == brute_argmin(y, s2 + 1, ev[3])
    assert_valid(model, 0)
    with pytest.raises(ParameterError, match="already has"):
        model.add_peak(0, s)


def test_add_base_brings_highest_peak(model):
    y = model.curve(0)
    ev = model.events(0)
    s = ev[1] + 15
    peak = model.add_base(0, s)
    assert peak == brute_argmax(y, s + 1, ev[2])
    s2 = ev[3] - 5
    peak2 = model.add_base(0, s2)
    assert peak2 == brute_argmax(y, model.events(0)[np.searchsorted(model.events(0), s2) - 2] + 1,
                                 s2)
    assert_valid(model, 0)


def test_add_on_empty_curve():
    y = np.sin(np.linspace(0, 3 * np.pi, 90))
    m = PeakEditModel([y], [np.empty(0, np.int64)])
    with pytest.raises(ParameterError, match="add a peak first"):
        m.add_base(0, 10)
    with pytest.raises(ParameterError, match="room for a base"):
        m.add_peak(0, 0)
    m.add_peak(0, 15)
    np.testing.assert_array_equal(m.events(0), [0, 15, brute_argmin(y, 16, 90)])
    assert_valid(m, 0)


def test_delete_keeps_alternation(model):
    y = model.curve(0)
    ev = model.events(0)
    removed = model.delete_event(0, ev[3])  # a peak: its higher base goes
    higher = ev[2] if y[ev[2]] > y[ev[4]] else ev[4]
    assert sorted(removed) == sorted([ev[3], higher])
    assert_valid(model, 0)
    ev = model.events(0)
    removed = model.delete_event(0, ev[2])  # inner base: its lower peak goes
    lower = ev[1] if y[ev[1]] < y[ev[3]] else ev[3]
    assert sorted(removed) == sorted([ev[2], lower])
    assert_valid(model, 0)
    ev = model.events(0)
    assert model.delete_event(0, ev[-1]) == [ev[-2], ev[-1]]  # outer base with its peak
    assert_valid(model, 0)
    while model.events(0).size:
        model.delete_event(0, model.events(0)[0])
        assert_valid(model, 0)
    with pytest.raises(ParameterError):
        model.delete_event(0, 5)


def test_relative_maxima_and_clear(model):
    y = model.curve(1)
    ev = model.events(1)
    model.move_event(1, ev[1], ev[1] - 4)
    peaks = model.set_relative_maxima(1)
    expected = [brute_argmax(y, a + 1, b) for a, b in zip(ev[0:-1:2], ev[2::2])]
    np.testing.assert_array_equal(peaks, expected)
    np.testing.assert_array_equal(model.bases(1), ev[0::2])
    model.clear(1)
    assert model.events(1).size == 0 and model.edited == {1}
    with pytest.raises(ParameterError, match="no bases"):
        model.set_relative_maxima(1)


def test_to_transmission_feeds_peak_features(detected, model):
    model.delete_event(0, model.peaks(0)[0])
    model.clear(1)
    out = model.to_transmission(detected)
    assert out is not detected and len(detected.df.peaks_bases[0]) == 9  # input untouched
    assert len(out.df.peaks_bases[0]) == 7 and len(out.df.peaks_bases[1]) == 0
    pf = get_operation("PeakFeatures")(out, data_column="_RAW_CURVE")
    assert len(pf.df) == 3
    np.testing.assert_array_equal(np.sort(pf.df._pf_p_ix), model.peaks(0))


def test_from_transmission_refuses_broken_tables():
    df = pd.DataFrame({"_RAW_CURVE": [np.zeros(10)],
                       "peaks_bases": [pd.DataFrame({"event": [1, 3], "label": ["base", "peak"]})]})
    t = Transmission.from_dataframe(df)
    with pytest.raises(ValueError, match="alternate"):
        PeakEditModel.from_transmission(t, "_RAW_CURVE")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["peak", "base", "delete", "move", "max", "clear"]),
                          st.integers(0, 59), st.integers(0, 59)), max_size=25))
def test_random_edits_never_break_the_invariant(edits):
    y = np.random.default_rng(1).normal(size=60).cumsum()
    m = PeakEditModel([y], [np.array([3, 10, 20])])
    for kind, a, b in edits:
        ev = m.events(0)
        try:
            if kind == "peak":
                m.add_peak(0, a)
            elif kind == "base":
                m.add_base(0, a)
            elif kind == "delete" and ev.size:
                m.delete_event(0, ev[a % ev.size])
            elif kind == "move" and ev.size:
                m.move_event(0, ev[a % ev.size], b)
            elif kind == "max":
                m.set_relative_maxima(0)
            elif kind == "clear":
                m.clear(0)
        except ParameterError:
            np.testing.assert_array_equal(m.events(0), ev)  # a refused edit changes nothing
        assert_valid(m, 0)


def test_constructor_refuses_invalid_events():
    y = np.zeros(20)
    with pytest.raises(ValueError, match="odd number"):
        PeakEditModel([y], [np.array([1, 5])])
    with pytest.raises(ValueError, match="sorted and distinct"):
        PeakEditModel([y], [np.array([5, 1, 8])])
    with pytest.raises(ValueError, match="outside the curve"):
        PeakEditModel([y], [np.array([1, 5, 20])])
    with pytest.raises(ParameterError, match="one table per curve"):
        PeakEditModel([y, y], [np.array([1, 5, 8])])
