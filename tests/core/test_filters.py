"""Project Browser filter language: modifiers, alternatives, numeric filters, errors, and the
pandas expressions of the filter history (evaluated and compared with the filtered rows)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesmerize.core.errors import FilterSyntaxError
from mesmerize.core.project.filters import (
    MODIFIERS, NUMERIC_MODIFIERS, apply_column_filter, apply_filters, parse_filter,
)


@pytest.fixture
def df():
    return pd.DataFrame({
        "SampleID": ["a1-_-t1", "a1-_-t1", "a1-_-t2", "a2-_-t1", "a2-_-t1", "a3-_-t9", "a3-_-t9"],
        "cell_name": ["atena", "atenp", "mn_l", "palp", "pr_r", "untagged", "ATENA"],
        "promoter": ["pc2", "cng_ch4", "pc2", "pc2", "cng_ch4", "pc1", "pc2"],
        "stage": [48, 52, 60, 48, 100, 7, 52],
        "dose": [0.5, np.nan, 1.5, 2.0, -1.0, 0.5, 3.25],
        "age": pd.array([1, 2, None, 4, 5, 6, 7], dtype="Int64"),
        "comments": ["it's ok", 'say "hi"', None, "a|b", "$STR:x", "back\\slash", ""],
    }, index=[10, 11, 12, 13, 14, 15, 16])


def rows(result):
    return list(result.index)


def check(df, column, text):
    """Apply a filter, verify its expression reproduces it exactly, return the row labels."""
    out, expr = apply_column_filter(df, column, text)
    pd.testing.assert_frame_equal(eval(expr, {"df": df}), out)
    return rows(out)


# --- the guide's examples ------------------------------------------------------------------

def test_guide_partial_match_aten(df):
    out, expr = apply_column_filter(df, "cell_name", "aten")
    assert rows(out) == [10, 11]  # case-sensitive: "ATENA" is not matched
    assert expr == "df[df['cell_name'].astype(str).str.contains('aten', regex=False)]"
    pd.testing.assert_frame_equal(eval(expr, {"df": df}), out)
    assert list(out.columns) == list(df.columns)


def test_guide_alternatives_mn_palp_pr(df):
    assert check(df, "cell_name", "mn|palp|pr") == [12, 13, 14]


def test_guide_multiple_columns_applied_sequentially(df):
    out, history = apply_filters(df, {"cell_name": "pr", "promoter": "pc2|cng_ch4"})
    assert rows(out) == [14]
    assert len(history) == 2
    assert history[0].startswith("df[df['cell_name']")
    assert history[1].startswith("df[df['promoter']")
    replay = df
    for expr in history:
        replay = eval(expr, {"df": replay})
    pd.testing.assert_frame_equal(replay, out)
    # the same result as filtering one column after the other
    step1, _ = apply_column_filter(df, "cell_name", "pr")
    step2, _ = apply_column_filter(step1, "promoter", "pc2|cng_ch4")
    pd.testing.assert_frame_equal(step2, out)


def test_apply_filters_skips_empty_entries(df):
    out, history = apply_filters(df, {"cell_name": "", "promoter": "  ", "stage": "$>:50"})
    assert rows(out) == [11, 12, 14, 16]
    assert history == ["df[df['stage'] > 50]"]


def test_apply_filters_with_no_entries_is_identity(df):
    out, history = apply_filters(df, {})
    assert out is df and history == []


# --- text modifiers ------------------------------------------------------------------------

def test_str_modifier_is_partial_match(df):
    assert check(df, "cell_name", "$STR:aten") == check(df, "cell_name", "aten") == [10, 11]


def test_not_modifier_negates_partial_matches(df):
    assert check(df, "cell_name", "$NOT:aten") == [12, 13, 14, 15, 16]
    assert check(df, "cell_name", "$NOT:aten|pr") == [12, 13, 15, 16]


def test_exact_match(df):
    assert check(df, "cell_name", "$STR=:atena") == [10]
    assert check(df, "cell_name", "$STR=:aten") == []
    assert check(df, "promoter", "$STR=:pc1|cng_ch4") == [11, 14, 15]


def test_exact_negation(df):
    assert check(df, "promoter", "$STR!=:pc2") == [11, 14, 15]
    assert check(df, "promoter", "$STR!=:pc2|cng_ch4") == [15]


def test_text_modifiers_on_numeric_column_use_the_text(df):
    assert check(df, "stage", "4") == [10, 13]
    assert check(df, "stage", "$STR=:52") == [11, 16]
    assert check(df, "stage", "$NOT:5") == [10, 12, 13, 14, 15]


def test_values_with_quotes_backslashes_and_pipes(df):
    assert check(df, "comments", "it's") == [10]
    assert check(df, "comments", 'say "hi"') == [11]
    assert check(df, "comments", "back\\sl") == [15]
    assert check(df, "comments", "$STR:$STR:") == [14]
    assert check(df, "comments", "$STR=:it's ok|back\\slash") == [10, 15]
    # '|' always separates alternatives: "a|b" searches "a" or "b"
    assert check(df, "comments", "a|b") == [11, 13, 15]


def test_regex_characters_are_literal(df):
    assert check(df, "cell_name", "a.e") == []
    assert check(df, "cell_name", "m.|pr_") == [14]
    assert check(df, "comments", "$STR:\\|zzz") == [15]


def test_empty_exact_alternative_matches_empty_text(df):
    assert check(df, "comments", "$STR=:") == [16]
    assert check(df, "comments", "$STR!=:") == [10, 11, 12, 13, 14, 15]


def test_stray_pipe_is_ignored_in_partial_match(df):
    assert check(df, "cell_name", "aten|") == [10, 11]


# --- missing values ------------------------------------------------------------------------

def test_missing_values_never_match_positive_filters(df):
    assert check(df, "comments", "None") == []
    assert check(df, "dose", "nan") == []
    assert check(df, "age", "NA") == []
    assert check(df, "comments", "$STR=:None") == []
    assert check(df, "dose", "$>:-10") == [10, 12, 13, 14, 15, 16]
    assert check(df, "age", "$<:100") == [10, 11, 13, 14, 15, 16]
    assert check(df, "age", "$=:1|2|4") == [10, 11, 13]


def test_missing_values_are_kept_by_negations(df):
    assert 12 in check(df, "comments", "$NOT:ok")
    assert 12 in check(df, "comments", "$STR!=:it's ok")
    assert 11 in check(df, "dose", "$!=:0.5")
    assert 12 in check(df, "age", "$!=:1")


# --- numeric modifiers ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("$=:48", [10, 13]),
    ("$=:48|7", [10, 13, 15]),
    ("$!=:48|52", [12, 14, 15]),
    ("$<:52", [10, 13, 15]),
    ("$<=:52", [10, 11, 13, 15, 16]),
    ("$>:60", [14]),
    ("$>=:60", [12, 14]),
    ("$<:10|$", None),
    ("$<:10|101", [10, 11, 12, 13, 14, 15, 16]),
    ("$>:99.5", [14]),
    ("$>=: 1e2 ", [14]),
    ("$<:inf", [10, 11, 12, 13, 14, 15, 16]),
    ("$>:-inf", [10, 11, 12, 13, 14, 15, 16]),
    ("$<:100000000000000000000000000", [10, 11, 12, 13, 14, 15, 16]),
    ("$=:48.0", [10, 13]),
])
def test_numeric_comparisons_on_int_column(df, text, expected):
    if expected is None:
        with pytest.raises(FilterSyntaxError):
            apply_column_filter(df, "stage", text)
    else:
        assert check(df, "stage", text) == expected


def test_numeric_expression_is_plain_pandas(df):
    assert apply_column_filter(df, "stage", "$<:52")[1] == "df[df['stage'] < 52]"
    assert apply_column_filter(df, "stage", "$=:48|7")[1] == "df[df['stage'].isin([48, 7])]"
    assert apply_column_filter(df, "stage", "$!=:48")[1] == "df[~df['stage'].isin([48])]"
    assert apply_column_filter(df, "stage", "$>:1|2")[1] == \
        "df[(df['stage'] > 1) | (df['stage'] > 2)]"


def test_numeric_comparisons_on_float_and_nullable_columns(df):
    assert check(df, "dose", "$<=:0.5") == [10, 14, 15]
    assert check(df, "dose", "$=:3.25") == [16]
    assert check(df, "age", "$>=:4") == [13, 14, 15, 16]


def test_huge_integers_compare_as_float(df):
    assert check(df, "dose", "$>:-1" + "0" * 400) == [10, 12, 13, 14, 15, 16]
    assert check(df, "dose", "$<:-1" + "0" * 400) == []
    assert check(pd.DataFrame({"flag": [True, False]}), "flag", "$<:" + "9" * 20) == [0, 1]


def test_bool_column_is_numeric():
    frame = pd.DataFrame({"flag": [True, False, True]})
    assert check(frame, "flag", "$=:1") == [0, 2]
    assert check(frame, "flag", "$<:1") == [1]


# --- errors --------------------------------------------------------------------------------

def test_non_numeric_value_names_column_and_entry(df):
    with pytest.raises(FilterSyntaxError, match=r"'stage'.*'\$<:abc'"):
        apply_column_filter(df, "stage", "$<:abc")


def test_nan_value_refused(df):
    with pytest.raises(FilterSyntaxError, match="NaN"):
        apply_column_filter(df, "dose", "$=:nan")


def test_numeric_modifier_on_text_column(df):
    with pytest.raises(FilterSyntaxError, match=r"'cell_name'.*\$>:.*'\$>:5'"):
        apply_column_filter(df, "cell_name", "$>:5")


def test_unknown_modifier_lists_valid_ones(df):
    with pytest.raises(FilterSyntaxError) as info:
        apply_column_filter(df, "cell_name", "$NOPE:aten")
    message = str(info.value)
    assert "$NOPE:" in message
    assert all(m in message for m in MODIFIERS)
    with pytest.raises(FilterSyntaxError, match="Unknown filter modifier"):
        apply_column_filter(df, "cell_name", "$aten")


def test_modifier_without_value(df):
    for text in ("$NOT:", "$STR:|", "$<:", "$=: | "):
        with pytest.raises(FilterSyntaxError, match="no value"):
            apply_column_filter(df, "stage", text)


def test_unknown_column_suggests_close_matches(df):
    with pytest.raises(FilterSyntaxError, match=r"'cel_name'.*Did you mean: 'cell_name'"):
        apply_column_filter(df, "cel_name", "aten")
    with pytest.raises(FilterSyntaxError, match="'zzz'"):
        apply_filters(df, {"zzz": ""})


def test_duplicate_column_names_refused():
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(FilterSyntaxError, match="unique"):
        apply_column_filter(frame, "a", "1")


def test_non_text_entry_refused(df):
    with pytest.raises(FilterSyntaxError, match="must be text"):
        apply_column_filter(df, "stage", 5)


def test_empty_entry_is_no_filter(df):
    out, expr = apply_column_filter(df, "cell_name", "")
    assert out is df and expr == "df"
    assert parse_filter("   ") is None


def test_parse_filter():
    parsed = parse_filter("$STR!=:a|b|")
    assert parsed.modifier == "$STR!=:" and parsed.alternatives == ("a", "b", "")
    assert parse_filter("x|y").modifier == "" and parse_filter("x|y").alternatives == ("x", "y")
    assert parse_filter("$<=:3").is_numeric


# --- fuzzing: eval(expr) always equals the result ------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list("ab1.-e5 |$:'\"\\n_=<>!NOTSRinf")), max_size=8)
_ENTRY = st.one_of(
    _TEXT,
    st.builds(lambda m, t: m + t, st.sampled_from(MODIFIERS + ("$X:", "$")), _TEXT),
    st.builds(lambda m, n: m + str(n), st.sampled_from(NUMERIC_MODIFIERS),
              st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True))),
)
_STRINGS = st.lists(st.one_of(st.none(), st.text(alphabet="ab1.-5 |$:'\"\\", max_size=5)),
                    min_size=6, max_size=6)


@st.composite
def frames(draw):
    n = 6
    return pd.DataFrame({
        "text": pd.Series(draw(_STRINGS), dtype=object),
        "string": pd.Series(draw(_STRINGS), dtype="string"),
        "int": draw(st.lists(st.integers(-100, 100), min_size=n, max_size=n)),
        "float": draw(st.lists(st.one_of(st.floats(-1e3, 1e3), st.just(np.nan)),
                               min_size=n, max_size=n)),
        "nullable": pd.array(draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)),
                                           min_size=n, max_size=n)), dtype="Int64"),
        "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    }, index=draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), column=st.sampled_from(["text", "string", "int", "float", "nullable",
                                               "flag"]), entry=_ENTRY)
def test_fuzz_expression_reproduces_result(frame, column, entry):
    try:
        out, expr = apply_column_filter(frame, column, entry)
    except FilterSyntaxError:
        return
    pd.testing.assert_frame_equal(eval(expr, {"df": frame}), out)
    assert set(out.index) <= set(frame.index)
    assert list(out.columns) == list(frame.columns)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), entries=st.dictionaries(
    st.sampled_from(["text", "string", "int", "float", "nullable"]), _ENTRY, max_size=3))
def test_fuzz_sequential_history_replays(frame, entries):
    try:
        out, history = apply_filters(frame, entries)
    except FilterSyntaxError:
        return
    replay = frame
    for expr in history:
        replay = eval(expr, {"df": replay})
    pd.testing.assert_frame_equal(replay, out)
