"""The Project Browser's filter language: one text entry per column -> rows of a DataFrame.

An entry is an optional modifier prefix followed by ``|``-separated alternatives (OR)::

    aten               partial text match (case-sensitive substring, no regex)
    mn|palp|pr         any of the alternatives is contained
    $NOT:mn|pr         none of the alternatives is contained
    $STR:aten          explicit partial text match (use it to search text starting with '$')
    $STR=:atena        exact text match of any alternative
    $STR!=:atena       none of the alternatives is an exact match
    $=: $!=: $<: $>: $<=: $>=:   numeric comparisons (numeric columns only), alternatives OR-ed

Text matching works on the column's values converted with ``astype(str)``. Missing values
(NaN, None, <NA>) never match a positive filter; negations (``$NOT:``, ``$STR!=:``, ``$!=:``)
therefore keep them. An empty (or whitespace-only) entry is no filter.

Every applied filter also returns the equivalent pandas expression (the Project Browser's
"filter history"): valid Python that, evaluated with the input DataFrame bound to ``df``,
gives exactly the same rows.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Mapping

import pandas as pd
from pandas.api.types import is_numeric_dtype

from mesmerize.core.errors import FilterSyntaxError

__all__ = [
    "NUMERIC_MODIFIERS", "TEXT_MODIFIERS", "MODIFIERS", "ParsedFilter", "parse_filter",
    "apply_column_filter", "apply_filters",
]

TEXT_MODIFIERS: tuple[str, ...] = ("$NOT:", "$STR:", "$STR=:", "$STR!=:")
NUMERIC_MODIFIERS: tuple[str, ...] = ("$=:", "$!=:", "$<:", "$>:", "$<=:", "$>=:")
MODIFIERS: tuple[str, ...] = TEXT_MODIFIERS + NUMERIC_MODIFIERS

_NEGATIONS = frozenset({"$NOT:", "$STR!=:", "$!=:"})
_COMPARISONS = {"$<:": "<", "$>:": ">", "$<=:": "<=", "$>=:": ">="}
_INT64_LIMIT = 2 ** 63


@dataclass(frozen=True)
class ParsedFilter:
    """A parsed entry: ``modifier`` ("" for the default partial match) and its alternatives."""

    modifier: str
    alternatives: tuple[str, ...]

    @property
    def is_numeric(self) -> bool:
        return self.modifier in NUMERIC_MODIFIERS


def parse_filter(text: str) -> ParsedFilter | None:
    """Split an entry into modifier and alternatives; ``None`` for an empty entry.

    Raises ``FilterSyntaxError`` for an unknown ``$...:`` modifier or a modifier with no value.
    """
    if not isinstance(text, str):
        raise FilterSyntaxError(f"A filter entry must be text, got {type(text).__name__}: {text!r}")
    if not text.strip():
        return None
    modifier = ""
    body = text
    if text.startswith("$"):
        colon = text.find(":")
        prefix = text[: colon + 1] if colon >= 0 else text
        if prefix not in MODIFIERS:
            raise FilterSyntaxError(
                f"Unknown filter modifier {prefix!r} in entry {text!r}. Valid modifiers: "
                f"{', '.join(MODIFIERS)}. To search for text that starts with '$', "
                f"prefix the entry with $STR:")
        modifier = prefix
        body = text[len(prefix):]
    alternatives = tuple(body.split("|"))
    if modifier not in ("$STR=:", "$STR!=:"):
        # An empty alternative would contain-match (or compare) everything: it is a stray '|'.
        alternatives = tuple(a for a in alternatives if a.strip())
    if not alternatives:
        raise FilterSyntaxError(
            f"Filter entry {text!r} has no value after the modifier {modifier or '(none)'}; "
            f"type the text or number to match after it, or clear the entry")
    return ParsedFilter(modifier, alternatives)


def _check_column(df: pd.DataFrame, column: object) -> None:
    if column not in df.columns:
        names = [str(c) for c in df.columns]
        close = difflib.get_close_matches(str(column), names, n=5, cutoff=0.6)
        hint = f" Did you mean: {', '.join(map(repr, close))}?" if close else ""
        raise FilterSyntaxError(
            f"Cannot filter column {column!r}: the DataFrame has no such column.{hint} "
            f"Available columns: {', '.join(map(repr, names))}")
    if not df.columns.is_unique and (df.columns == column).sum() > 1:
        raise FilterSyntaxError(
            f"Cannot filter column {column!r}: the DataFrame has several columns with this name; "
            f"rename them so that each column name is unique")


def _parse_number(value: str, column: object, entry: str) -> int | float:
    """Parse a numeric alternative; integers stay exact within the int64 range."""
    try:
        number: int | float = int(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            raise FilterSyntaxError(
                f"Column {column!r}, entry {entry!r}: {value.strip()!r} is not a number; numeric "
                f"modifiers ({', '.join(NUMERIC_MODIFIERS)}) need numbers such as 5, -2.5 or "
                f"1e3") from None
    else:
        if abs(number) >= _INT64_LIMIT:  # pandas overflows on such ints (float, bool columns)
            try:
                number = float(number)
            except OverflowError:
                number = math.inf if number > 0 else -math.inf
    if isinstance(number, float) and math.isnan(number):
        raise FilterSyntaxError(
            f"Column {column!r}, entry {entry!r}: NaN never compares equal or ordered to anything; "
            f"use a number instead")
    return number


def _number_literal(number: int | float) -> str:
    if isinstance(number, float) and math.isinf(number):
        return "float('inf')" if number > 0 else "float('-inf')"
    return repr(number)


def _text_mask(s: pd.Series, col: str, parsed: ParsedFilter) -> tuple[pd.Series, str]:
    """Positive text mask (partial or exact) and its expression (a single method chain)."""
    text = s.astype(str)
    alts = list(parsed.alternatives)
    if parsed.modifier in ("$STR=:", "$STR!=:"):
        return text.isin(alts), f"{col}.astype(str).isin({alts!r})"
    if len(alts) == 1:
        return (text.str.contains(alts[0], regex=False),
                f"{col}.astype(str).str.contains({alts[0]!r}, regex=False)")
    pattern = "|".join(re.escape(a) for a in alts)
    return (text.str.contains(pattern, regex=True),
            f"{col}.astype(str).str.contains({pattern!r}, regex=True)")


def _numeric_mask(s: pd.Series, col: str, parsed: ParsedFilter, column: object,
                  entry: str) -> tuple[pd.Series, str, bool]:
    """Positive numeric mask, its expression, and whether the expression is a single call."""
    numbers = [_parse_number(a, column, entry) for a in parsed.alternatives]
    literals = [_number_literal(n) for n in numbers]
    if parsed.modifier in ("$=:", "$!=:"):
        return s.isin(numbers), f"{col}.isin([{', '.join(literals)}])", True
    op = _COMPARISONS[parsed.modifier]
    compare = {"<": s.lt, ">": s.gt, "<=": s.le, ">=": s.ge}[op]
    mask = compare(numbers[0])
    for number in numbers[1:]:
        mask = mask | compare(number)
    terms = [f"({col} {op} {lit})" for lit in literals]
    expr = " | ".join(terms) if len(terms) > 1 else f"{col} {op} {literals[0]}"
    if mask.isna().any():
        # nullable dtypes (Int64, Float64) compare <NA> to <NA>; a row selection needs True/False
        return mask.fillna(False), f"({expr}).fillna(False)", True
    return mask, expr, False


def _filter(df: pd.DataFrame, column: object, text: str) -> tuple[pd.DataFrame, str | None]:
    _check_column(df, column)
    parsed = parse_filter(text)
    if parsed is None:
        return df, None
    s = df[column]
    col = f"df[{column!r}]"
    if parsed.is_numeric:
        if not is_numeric_dtype(s.dtype):
            raise FilterSyntaxError(
                f"Column {column!r} holds {s.dtype} values, not numbers: the numeric modifier "
                f"{parsed.modifier} in entry {text!r} cannot be used on it. Use a text modifier "
                f"({', '.join(TEXT_MODIFIERS)}) instead")
        mask, expr, single = _numeric_mask(s, col, parsed, column, text)
    else:
        mask, expr = _text_mask(s, col, parsed)
        single = True
        if s.isna().any():
            mask = s.notna() & mask
            expr, single = f"{col}.notna() & {expr}", False
    if parsed.modifier in _NEGATIONS:
        mask = ~mask
        expr = f"~{expr}" if single else f"~({expr})"
    return df[mask], f"df[{expr}]"


def apply_column_filter(df: pd.DataFrame, column: object, text: str) -> tuple[pd.DataFrame, str]:
    """Filter the rows of ``df`` with one column's entry.

    Returns ``(filtered, expr)``; ``filtered`` keeps ``df``'s index and columns, ``expr`` is the
    pandas expression (with the input bound to ``df``) that gives the same rows. An empty entry
    returns ``(df, "df")``. Raises ``FilterSyntaxError`` naming the column and the entry.
    """
    filtered, expr = _filter(df, column, text)
    return filtered, "df" if expr is None else expr


def apply_filters(df: pd.DataFrame,
                  filters: Mapping[object, str]) -> tuple[pd.DataFrame, list[str]]:
    """Apply one entry per column sequentially, in the mapping's order.

    Returns the filtered DataFrame and the expressions of the non-empty entries, in order;
    evaluating them one after another (``df = eval(expr)``) reproduces the result.
    """
    history: list[str] = []
    for column, text in filters.items():
        df, expr = _filter(df, column, text)
        if expr is not None:
            history.append(expr)
    return df, history
