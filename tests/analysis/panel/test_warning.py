"""Early warning on a constructed decline; GM(1,1) against the textbook sequence worked by
hand; linear trend; bad input."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis import integration as it
from urbanrural.analysis.panel import index as pi
from urbanrural.analysis.panel import warning as pw
from urbanrural.geo.errors import DataError, UnknownNameError

DIRS = {"u_gdp": "+", "u_road": "+", "r_income": "+", "r_gap": "-"}
DIMS = {"urban": ["u_gdp", "u_road"], "rural": ["r_income", "r_gap"]}
YEARS = [2017, 2018, 2019, 2020]
UNITS = [f"c{i:02d}" for i in range(20)]
DECLINE = ["c03", "c08", "c15"]


def make_indicators() -> pd.DataFrame:
    """20 units x 4 years; every indicator improves every year except in three units, whose
    rural indicators collapse in 2020 (income to the panel minimum, the gap to the maximum)."""
    rows = []
    for i, u in enumerate(UNITS):
        for t, y in enumerate(YEARS):
            lvl = 1 + (i % 7) / 7
            row = {"unit": u, "year": y, "u_gdp": 30 * lvl + 4 * t, "u_road": 2 * lvl + 0.3 * t,
                   "r_income": 10 * lvl + 1.5 * t, "r_gap": 3.0 / lvl - 0.15 * t}
            if u in DECLINE:
                row["u_gdp"] += 25  # strong urban side: the obstacles are the rural indicators
                row["u_road"] += 2
                if y == 2020:
                    row["r_income"], row["r_gap"] = 8.0, 3.4
            rows.append(row)
    return pd.DataFrame(rows).set_index(["unit", "year"])


@pytest.fixture
def indicators():
    return make_indicators()


@pytest.fixture
def results(indicators):
    r = pi.entropy_index(indicators, directions=DIRS, dimensions=DIMS, ccd={"subsystems": ["urban", "rural"]})
    s = r.scores.copy()
    s["gi_class"] = "not significant"
    s.loc[("c03", 2020), "gi_class"] = "cold 95%"
    s.loc[("c08", 2020), "gi_class"] = "cold 99%"
    s.loc[pd.IndexSlice["c11", :], "gi_class"] = "cold 99%"  # a cold spot all along: not "moved into"
    s.loc[("c12", 2020), "gi_class"] = "hot 95%"
    s["ur_ratio"] = 2.5 - 0.01 * np.tile(np.arange(4), 20)  # narrowing slowly everywhere...
    for u in DECLINE:
        s.loc[(u, 2020), "ur_ratio"] = 2.9  # ...but widening in the declining units
    return r, s


def test_constructed_decline_is_flagged_with_the_right_rules(results):
    _, s = results
    out = pw.early_warning(s, hotspot="gi_class", ratio="ur_ratio")
    assert set(out["unit"]) == set(DECLINE)
    fired = out.groupby("unit")["rule"].apply(set).to_dict()
    both = {"index_drop", "class_worse", "ratio_widened"}
    assert fired["c03"] == both | {"cold_spot"} and fired["c08"] == both | {"cold_spot"}
    assert fired["c15"] == both
    assert not out.duplicated(["unit", "rule"]).any()  # once per rule fired
    # sorted by severity: the units with four rules first, class_worse before index_drop within a unit
    assert list(out["severity"]) == sorted(out["severity"], reverse=True)
    assert list(out["unit"][:4]) in (["c03"] * 4, ["c08"] * 4)
    first = out[out["unit"] == out["unit"].iloc[0]]
    assert list(first["rule"]) == ["class_worse", "cold_spot", "index_drop", "ratio_widened"]
    # reasons and values from the data
    row = out[(out["unit"] == "c15") & (out["rule"] == "index_drop")].iloc[0]
    b, l_ = s.loc[("c15", 2019), "integration_index"], s.loc[("c15", 2020), "integration_index"]
    assert (row["base_year"], row["latest_year"]) == (2019, 2020)
    assert row["value"] == pytest.approx(l_ - b) and row["base"] == pytest.approx(b)
    assert row["reasons"].startswith(f"integration_index fell by {b - l_:.4g} from") and "more than 0.05" in row["reasons"]
    cold = out[(out["unit"] == "c03") & (out["rule"] == "cold_spot")].iloc[0]
    assert "cold 95%" in cold["reasons"] and "not significant" in cold["reasons"]
    ratio = out[(out["unit"] == "c08") & (out["rule"] == "ratio_widened")].iloc[0]
    assert ratio["value"] == pytest.approx(2.9 - 2.48) and "ur_ratio widened" in ratio["reasons"]
    cls = out[(out["unit"] == "c08") & (out["rule"] == "class_worse")].iloc[0]
    assert cls["latest"] < cls["base"] and cls["reasons"].startswith("ccd_class worsened from")


def test_obstacles_named_are_the_indicators_built_to_fall(results, indicators):
    r, s = results
    out = pw.early_warning(s, indicators=indicators, directions=DIRS, weights=r.weights)
    assert set(out["unit"]) == set(DECLINE)
    for text in out["pulled_down_by"]:
        names = [t.split(" (")[0] for t in text.split(", ")]
        assert set(names) == {"r_income", "r_gap"}  # only these contributions fell
    for text in out["obstacles"]:
        names = [t.split(" (")[0] for t in text.split(", ")]
        assert set(names[:2]) == {"r_income", "r_gap"}
    # the obstacle degree shown is integration.obstacle_degree on the pooled indicators
    od = it.obstacle_degree(indicators, directions=DIRS, weights=r.weights)
    top = od.loc[("c15", 2020)].sort_values(ascending=False)
    text = out.loc[out["unit"] == "c15", "obstacles"].iloc[0]
    assert text.startswith(f"{top.index[0]} ({top.iloc[0]:.2f})")
    # the contribution fall shown is w_j (Z_2019 - Z_2020)
    z = it.normalize(indicators, directions=DIRS)
    fall = r.weights["r_income"] * (z.loc[("c15", 2019), "r_income"] - z.loc[("c15", 2020), "r_income"])
    assert f"r_income (-{fall:.3f})" in out.loc[out["unit"] == "c15", "pulled_down_by"].iloc[0]
    # default weights are the pooled entropy weights: the same answer
    again = pw.early_warning(s, indicators=indicators, directions=DIRS)
    assert list(again["pulled_down_by"]) == list(out["pulled_down_by"])
    # indicators given as column names of the panel
    joined = s.join(indicators)
    named = pw.early_warning(joined, indicators=list(DIRS), directions=DIRS)
    assert list(named["obstacles"]) == list(out["obstacles"])


def test_compare_first_and_relative_drop():
    idx = pd.MultiIndex.from_product([["a", "b"], [2017, 2018, 2019, 2020]], names=["unit", "year"])
    res = pd.DataFrame({"integration_index": [0.50, 0.47, 0.44, 0.43, 0.20, 0.21, 0.19, 0.18]}, index=idx)
    # previous year: no fall > 0.05; first -> last: a fell 0.07
    assert pw.early_warning(res, ccd_class=None).empty
    first = pw.early_warning(res, ccd_class=None, rules=pw.WarningRules(compare="first"))
    assert list(first["unit"]) == ["a"] and first["base_year"].iloc[0] == 2017
    # relative, previous year: a fell 0.01 / 0.44 = 2.3%, b fell 0.01 / 0.19 = 5.3% (> 5%)
    rel = pw.early_warning(res, ccd_class=None, rules=pw.WarningRules(index_drop=None, index_drop_relative=0.05))
    assert list(rel["unit"]) == ["b"] and "5.3% of its 2019 value" in rel["reasons"].iloc[0]


def test_text_classes_need_an_order():
    idx = pd.MultiIndex.from_product([["a", "b"], [2019, 2020]], names=["unit", "year"])
    res = pd.DataFrame({"cls": ["good", "fair", "fair", "good"]}, index=idx)
    with pytest.raises(DataError, match="holds text.*class_order"):
        pw.early_warning(res, index=None, ccd_class="cls")
    out = pw.early_warning(res, index=None, ccd_class="cls", rules=pw.WarningRules(class_order=("fair", "good")))
    assert list(out["unit"]) == ["a"] and out["reasons"].iloc[0] == "cls worsened from good (2019) to fair (2020)"
    with pytest.raises(DataError, match=r"classes \['poor'\] missing from class_order"):
        pw.early_warning(res.replace("fair", "poor"), index=None, ccd_class="cls",
                         rules=pw.WarningRules(class_order=("fair", "good")))


def test_warning_bad_input(results):
    _, s = results
    with pytest.raises(DataError, match=r"no column\(s\) \{'hotspot': 'gi'\}.*hotspot=None"):
        pw.early_warning(s, hotspot="gi")
    with pytest.raises(DataError, match="all None"):
        pw.early_warning(s, index=None, ccd_class=None)
    with pytest.raises(DataError, match="single year"):
        pw.early_warning(s.xs(2020, level="year", drop_level=False))
    with pytest.raises(DataError, match="duplicate"):
        pw.early_warning(pd.concat([s, s.iloc[[0]]]))
    with pytest.raises(DataError, match=r"1 unit\(s\) miss a year"):
        pw.early_warning(s.drop(("c05", 2018)))
    assert pw.early_warning(s.drop(("c05", 2018)), missing="drop").attrs["notes"][0].startswith("dropped 1")
    bad = s.astype({"integration_index": object})
    bad.loc[("c01", 2019), "integration_index"] = "high"
    with pytest.raises(DataError, match="'integration_index' has non-numeric values"):
        pw.early_warning(bad)
    with pytest.raises(DataError, match="directions"):
        pw.early_warning(s, indicators=make_indicators())
    with pytest.raises(DataError, match="pass indicators"):
        pw.early_warning(s, directions=DIRS)
    with pytest.raises(DataError, match="not per-year weights"):
        pw.early_warning(s, indicators=make_indicators(), directions=DIRS,
                         weights=pd.DataFrame({"u_gdp": [0.5]}))
    with pytest.raises(UnknownNameError, match="compare"):
        pw.WarningRules(compare="last")
    with pytest.raises(DataError, match="index_drop must be a number"):
        pw.WarningRules(index_drop=-1)
    with pytest.raises(FrozenInstanceError):
        pw.WarningRules().index_drop = 0.1  # type: ignore[misc]


def test_no_flags_gives_an_empty_frame_with_the_columns(results, indicators):
    _, s = results
    calm = s.drop(index=DECLINE, level="unit")
    out = pw.early_warning(calm, indicators=indicators, directions=DIRS)
    assert out.empty and list(out.columns) == pw.COLUMNS + ["obstacles", "pulled_down_by"]


# --- GM(1,1) ------------------------------------------------------------------------------

X0 = [2.874, 3.278, 3.337, 3.390, 3.679]  # Deng's textbook sequence


def test_gm11_textbook_sequence_worked_by_hand():
    # accumulate: x1 = 2.874, 6.152, 9.489, 12.879, 16.558
    x1 = [2.874]
    for v in X0[1:]:
        x1.append(x1[-1] + v)
    assert x1[-1] == pytest.approx(16.558)
    z = [(x1[k] + x1[k - 1]) / 2 for k in range(1, 5)]  # 4.513, 7.8205, 11.184, 14.7185
    y = X0[1:]
    # least squares for y = -a z + b: the 2 x 2 normal equations solved by hand
    n, sz, szz = 4, sum(z), sum(v * v for v in z)
    sy, szy = sum(y), sum(zv * yv for zv, yv in zip(z, y, strict=True))
    det = n * szz - sz * sz
    minus_a = (n * szy - sz * sy) / det
    b = (szz * sy - sz * szy) / det
    a = -minus_a
    g = pw.gm11(X0, horizon=2)
    assert g.a == pytest.approx(a, abs=1e-12) and g.b == pytest.approx(b, abs=1e-12)
    assert g.a == pytest.approx(-0.037, abs=1e-3) and g.b == pytest.approx(3.065, abs=1e-3)  # the published values
    # time response: x1^(k+1) = (x0(1) - b/a) e^(-ak) + b/a; x0^ by differencing
    x1h = [(X0[0] - b / a) * math.exp(-a * k) + b / a for k in range(7)]
    x0h = [X0[0]] + [x1h[k] - x1h[k - 1] for k in range(1, 7)]
    np.testing.assert_allclose(g.fitted, x0h[:5], atol=1e-12)
    np.testing.assert_allclose(g.forecast, x0h[5:], atol=1e-12)
    assert g.fitted.iloc[1] == pytest.approx(3.2320, abs=1e-4)  # the textbook's fitted 3.278 -> 3.2320
    # posterior-error check with population standard deviations over k = 1..5
    e = [X0[k] - x0h[k] for k in range(5)]
    mx, me = sum(X0) / 5, sum(e) / 5
    s1 = math.sqrt(sum((v - mx) ** 2 for v in X0) / 5)
    s2 = math.sqrt(sum((v - me) ** 2 for v in e) / 5)
    assert g.C == pytest.approx(s2 / s1, abs=1e-12)
    assert g.P == sum(abs(v - me) < 0.6745 * s1 for v in e) / 5 == 1.0
    assert g.grade == "good" and g.ratio_check
    assert g.relative_error == pytest.approx(sum(abs(e[k]) / X0[k] for k in range(1, 5)) / 4)
    assert g.note.startswith("indicative only")


def test_gm11_years_and_checks():
    g = pw.gm11(pd.Series(X0, index=[2016, 2017, 2018, 2019, 2020]), horizon=3)
    assert list(g.forecast.index) == [2021, 2022, 2023]
    jumpy = pw.gm11([1.0, 5.0, 1.5, 6.0, 2.0])
    assert not jumpy.ratio_check and "not suited" in jumpy.note
    with pytest.raises(FrozenInstanceError):
        g.a = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("fn", [pw.gm11, pw.linear_trend])
def test_forecasts_refuse_short_or_bad_series(fn):
    with pytest.raises(DataError, match="at least 4 points; got 3"):
        fn([1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="missing values"):
        fn([1.0, np.nan, 3.0, 4.0])
    with pytest.raises(DataError, match="needs numbers"):
        fn(["a", "b", "c", "d"])
    with pytest.raises(DataError, match="horizon"):
        fn([1.0, 2.0, 3.0, 4.0], horizon=0)


def test_gm11_refuses_non_positive_values():
    with pytest.raises(DataError, match="values > 0.*linear_trend"):
        pw.gm11([1.0, 0.0, 2.0, 3.0])


def test_linear_trend_by_hand():
    s = pd.Series([1.0, 2.1, 2.9, 4.0], index=[2017, 2018, 2019, 2020])
    t = pw.linear_trend(s, horizon=2)
    # t - tbar = -1.5, -0.5, 0.5, 1.5; y - ybar = -1.5, -0.4, 0.4, 1.5: slope = 4.9 / 5
    assert t.slope == pytest.approx(0.98) and t.intercept + t.slope * 2018.5 == pytest.approx(2.5)
    assert t.forecast.to_dict() == pytest.approx({2021: 2.5 + 2.5 * 0.98, 2022: 2.5 + 3.5 * 0.98})
    resid = s - t.fitted
    assert t.r2 == pytest.approx(1 - (resid ** 2).sum() / ((s - 2.5) ** 2).sum())
    plain = pw.linear_trend([3.0, 2.0, 1.5, 1.0])
    assert list(plain.forecast.index) == [4, 5, 6] and plain.slope < 0


def test_names_resolve_through_the_package():
    from urbanrural.analysis import panel as pkg

    assert pkg.early_warning is pw.early_warning and pkg.gm11 is pw.gm11 and pkg.WarningRules is pw.WarningRules
