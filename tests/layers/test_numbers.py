"""parse_numeric: formatted numbers, placeholders, refusals (with hypothesis round trips)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrural.geo.errors import DataError
from urbanrural.layers.numbers import PLACEHOLDERS, classify_numeric, parse_numeric

FULL = str.maketrans("0123456789,.+-", "０１２３４５６７８９，．＋－")


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@settings(deadline=None)  # the machine is shared: no per-example deadline
@given(st.integers(min_value=0, max_value=10**15),
       st.sampled_from([",", " ", "\u00a0", "\u2009", "\u202f", "'", "\u2019"]))
def test_thousands_separators_round_trip(n, sep):
    v, counts = parse_numeric(pd.Series([grouped(n, sep)]), name="t: x")
    assert v.iloc[0] == n
    assert counts["separators"] == (1 if n >= 1000 else 0)


@settings(deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=99))
def test_full_width_and_signs_round_trip(whole, cents):
    text = f"{whole:+,}.{cents:02d}"
    v, counts = parse_numeric(pd.Series([text, text.translate(FULL)]), name="t: x")
    expect = math.copysign(abs(whole) + cents / 100, whole if whole else 1)
    assert v.tolist() == pytest.approx([expect, expect])
    assert counts["full_width"] == 1 and counts["numbers"] == 2


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_plain_reprs_round_trip(x):
    v, counts = parse_numeric(pd.Series([repr(x)], dtype=object), name="t: x")
    assert v.iloc[0] == x and counts["reformatted"] == 0


@settings(deadline=None)
@given(st.lists(st.sampled_from(sorted(PLACEHOLDERS | {"N/A", "NA", "", "  ", "\u3000"})), min_size=1, max_size=8))
def test_placeholders_are_missing_and_counted(cells):
    v, counts = parse_numeric(pd.Series(["1", *cells]), name="t: x")
    assert v.iloc[0] == 1 and v.iloc[1:].isna().all()
    assert sum(counts["placeholders"].values()) + counts["empty"] == len(cells)


def test_the_issue_value_and_index_alignment():
    s = pd.Series(["43,228", "１２３４", "+5", "—", "", "12.5"], index=list("fedcba"), name="pop")
    v, counts = parse_numeric(s, name="yearbook.csv: pop")
    assert v.index.equals(s.index) and v.name == "pop"
    assert v.tolist()[:3] == [43228.0, 1234.0, 5.0] and v.iloc[5] == 12.5
    assert counts["separators"] == 1 and counts["plus_sign"] == 1 and counts["placeholders"] == {"—": 1}
    assert counts["empty"] == 1 and counts["reformatted"] == 3


@pytest.mark.parametrize("bad", ["abc", "1,5", "1.2.3", "12,34", "(12)", "1 2", "12-", "%", "--", "1e"])
def test_anything_else_is_refused_naming_the_cell(bad):
    s = pd.Series(["1", bad], index=["0101001", "0101002"])
    with pytest.raises(DataError, match=r"t: x: 1 value\(s\) are not numbers \(row '0101002': "):
        parse_numeric(s, name="t: x")


def test_refusal_names_five_cells_and_the_count():
    s = pd.Series(["x"] * 7, index=[f"u{i}" for i in range(7)], name="income")
    with pytest.raises(DataError, match=r"7 value\(s\).*row 'u4' column 'income': 'x' and 2 more"):
        parse_numeric(s, name="ind.csv")


def test_percent_as_points_and_mixed_percent_refused():
    v, counts = parse_numeric(pd.Series(["45.2%", "１０％", "—"]), name="t: share")
    assert v.tolist()[:2] == [45.2, 10.0] and counts["percent"] == 2
    with pytest.raises(DataError, match="end in '%' and 1 do not"):
        parse_numeric(pd.Series(["45%", "0.3"]), name="t: share")


def test_numeric_columns_pass_through():
    v, counts = parse_numeric(pd.Series([1, 2, None], dtype="Int64"), name="t: x")
    assert v.dtype == float and counts["numbers"] == 2 and counts["empty"] == 1


def test_booleans_are_not_numbers():
    with pytest.raises(DataError):
        parse_numeric(pd.Series([True, "1"], dtype=object), name="t: x")


def test_classify_never_raises():
    kinds = classify_numeric(pd.Series(["1", "1,000", "—", None, "x"]))["kind"].tolist()
    assert kinds == ["number", "separated", "placeholder", "empty", "text"]
