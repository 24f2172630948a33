"""Panel index: pooled and per-year entropy weights against integration.py and by hand, CCD per
year, change and annual rate, class transitions, the data contract."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis import integration as it
from urbanrural.analysis.panel import index as pi
from urbanrural.geo.errors import DataError, UnknownNameError

DIRS = {"u_gdp": "+", "u_road": "+", "r_income": "+", "r_gap": "-"}
DIMS = {"urban": ["u_gdp", "u_road"], "rural": ["r_income", "r_gap"]}
YEARS = [2015, 2017, 2019, 2020]


def make_panel(n_units: int = 12, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([[f"u{i:02d}" for i in range(n_units)], YEARS], names=["unit", "year"])
    trend = np.tile(np.arange(len(YEARS)), n_units)
    return pd.DataFrame({"u_gdp": rng.uniform(10, 50, len(idx)) + 3 * trend,
                         "u_road": rng.uniform(1, 5, len(idx)),
                         "r_income": rng.uniform(5, 20, len(idx)) + trend,
                         "r_gap": rng.uniform(1.5, 3.5, len(idx)) - 0.1 * trend}, index=idx)


@pytest.fixture
def panel():
    return make_panel()


def entropy_by_hand(frame: pd.DataFrame, directions: dict) -> tuple[dict, pd.DataFrame]:
    """Min-max by direction over all rows, p = Z / sum Z, e = -sum p ln p / ln m, w = d / sum d."""
    m = len(frame)
    z = pd.DataFrame(index=frame.index)
    for c, d in directions.items():
        lo, hi = frame[c].min(), frame[c].max()
        z[c] = [((x - lo) if d == "+" else (hi - x)) / (hi - lo) for x in frame[c]]
    div = {}
    for c in directions:
        tot = z[c].sum()
        e = -sum((v / tot) * math.log(v / tot) for v in z[c] if v > 0) / math.log(m)
        div[c] = 1 - e
    return {c: div[c] / sum(div.values()) for c in directions}, z


def test_pooled_weights_equal_entropy_weights_on_stacked_frame(panel):
    r = pi.entropy_index(panel, directions=DIRS)
    ref = it.entropy_weights(panel, directions=DIRS)  # the stacked frame: one row per unit-year
    np.testing.assert_allclose(r.weights.to_numpy(), ref.weights[list(DIRS)].to_numpy(), rtol=0, atol=1e-12)
    w, _ = entropy_by_hand(panel, DIRS)
    np.testing.assert_allclose(r.weights.to_numpy(), [w[c] for c in DIRS], rtol=0, atol=1e-12)
    assert r.pooled and r.weights.sum() == pytest.approx(1.0)
    assert "pooled" in r.variant and r.notes == ()
    assert list(r.scores.index.names) == ["unit", "year"] and len(r.scores) == len(panel)


def test_pooled_scores_are_weighted_sums_of_the_pooled_normalisation(panel):
    r = pi.entropy_index(panel, directions=DIRS)
    w, z = entropy_by_hand(panel, DIRS)
    # one unit-year at a time, min and max over the whole panel
    for key in [("u00", 2015), ("u05", 2019), ("u11", 2020)]:
        row = panel.loc[key]
        by_hand = 0.0
        for c, d in DIRS.items():
            lo, hi = panel[c].min(), panel[c].max()
            zc = (row[c] - lo) / (hi - lo) if d == "+" else (hi - row[c]) / (hi - lo)
            by_hand += w[c] * zc
        assert r.scores.loc[key, "integration_index"] == pytest.approx(by_hand, abs=1e-12)
    np.testing.assert_allclose(r.normalized.to_numpy(), z.to_numpy(), atol=1e-12)
    ref_topsis = it.topsis(panel, directions=DIRS)
    np.testing.assert_allclose(r.scores["topsis"], ref_topsis.to_numpy(), atol=1e-12)


def test_pooled_scores_compare_years_per_year_scores_do_not(panel):
    # a unit whose indicators do not move keeps its pooled score across years
    p = panel.copy()
    p.loc[("u03", 2020)] = p.loc[("u03", 2015)].to_numpy()
    r = pi.entropy_index(p, directions=DIRS)
    s = r.scores["integration_index"]
    assert s[("u03", 2020)] == pytest.approx(s[("u03", 2015)], abs=1e-15)


def test_per_year_weights_and_scores_reproduce_entropy_weights_each_year(panel):
    r = pi.entropy_index(panel, directions=DIRS, pooled=False)
    assert isinstance(r.weights, pd.DataFrame) and list(r.weights.index) == YEARS
    assert any("not comparable" in n for n in r.notes) and not r.pooled
    for y in YEARS:
        year = panel.xs(y, level="year")
        ref = it.entropy_weights(year, directions=DIRS)
        np.testing.assert_allclose(r.weights.loc[y].to_numpy(), ref.weights.to_numpy(), atol=1e-12)
        got = r.scores.xs(y, level="year")
        np.testing.assert_allclose(got["integration_index"], ref.scores.to_numpy(), atol=1e-12)
        np.testing.assert_allclose(got["topsis"], it.topsis(year, directions=DIRS).to_numpy(), atol=1e-12)
        w, _ = entropy_by_hand(year, DIRS)
        np.testing.assert_allclose(r.weights.loc[y].to_numpy(), [w[c] for c in DIRS], atol=1e-12)


@pytest.mark.parametrize("pooled", [True, False])
def test_dimension_scores_and_ccd_per_year(panel, pooled):
    r = pi.entropy_index(panel, directions=DIRS, pooled=pooled, dimensions=DIMS,
                         ccd={"subsystems": ["urban", "rural"], "method": "standard"})
    s = r.scores
    # the dimensions partition the indicators: their partial sums add up to the index
    np.testing.assert_allclose(s["score_urban"] + s["score_rural"], s["integration_index"], atol=1e-12)
    for y in YEARS:
        sy = s.xs(y, level="year")
        w = r.weights if pooled else r.weights.loc[y]
        # U = score_dim / (sum of the dimension's weights)
        u_urban = sy["score_urban"] / w[DIMS["urban"]].sum()
        np.testing.assert_allclose(sy["ccd_U_urban"], u_urban, atol=1e-12)
        ref = it.coupling_coordination(sy[["ccd_U_urban", "ccd_U_rural"]], method="standard")
        np.testing.assert_allclose(sy["ccd_C"], ref["C"], atol=1e-12)
        np.testing.assert_allclose(sy["ccd_T"], ref["T"], atol=1e-12)
        np.testing.assert_allclose(sy["ccd_D"], ref["D"], atol=1e-12)
        assert list(sy["ccd_class"]) == list(ref["level"]) and list(sy["ccd_label"]) == list(ref["label_en"])
        lag = it.urban_rural_lag(sy["ccd_U_urban"], sy["ccd_U_rural"])
        assert list(sy["ccd_lag"]) == list(lag)
    # n = 2 standard coupling by hand on one unit-year
    u1, u2 = s.loc[("u02", 2017), ["ccd_U_urban", "ccd_U_rural"]]
    assert s.loc[("u02", 2017), "ccd_C"] == pytest.approx(2 * math.sqrt(u1 * u2) / (u1 + u2), abs=1e-12)
    assert s.loc[("u02", 2017), "ccd_D"] == pytest.approx(
        math.sqrt(2 * math.sqrt(u1 * u2) / (u1 + u2) * (u1 + u2) / 2), abs=1e-12)


def test_subsystem_score_equals_entropy_on_the_subsystem_alone(panel):
    """Entropy depends on each column alone, so within-subsystem weights = w_j / sum w."""
    r = pi.entropy_index(panel, directions=DIRS, dimensions=DIMS, ccd={"subsystems": ["urban", "rural"]})
    for d, cols in DIMS.items():
        alone = it.entropy_weights(panel, directions={c: DIRS[c] for c in cols})
        np.testing.assert_allclose(r.scores[f"ccd_U_{d}"], alone.scores.to_numpy(), atol=1e-12)


def test_dimension_not_covering_all_indicators_is_noted(panel):
    r = pi.entropy_index(panel, directions=DIRS, dimensions={"urban": ["u_gdp", "u_road"]})
    assert any("r_income" in n and "do not add up" in n for n in r.notes)


def test_change_and_annual_rate_by_hand():
    idx = pd.MultiIndex.from_product([["a", "b", "c"], [2010, 2012, 2015]], names=["unit", "year"])
    s = pd.DataFrame({"integration_index": [0.2, 0.3, 0.4, 0.5, 0.45, 0.4, 0.0, 0.1, 0.3]}, index=idx)
    out = pi.change(s)
    assert out.loc["a", "change"] == pytest.approx(0.2)
    assert out.loc["a", "annual_rate"] == pytest.approx((0.4 / 0.2) ** (1 / 5) - 1)  # T = 2015 - 2010
    assert out.loc["b", "annual_rate"] == pytest.approx((0.4 / 0.5) ** 0.2 - 1)
    assert math.isnan(out.loc["c", "annual_rate"])  # first value 0: no compound rate
    # OLS slope by hand: sum (t - tbar)(y - ybar) / sum (t - tbar)^2
    t = np.array([2010, 2012, 2015.0])
    y = np.array([0.0, 0.1, 0.3])
    slope = ((t - t.mean()) * (y - y.mean())).sum() / ((t - t.mean()) ** 2).sum()
    assert out.loc["c", "slope"] == pytest.approx(slope, abs=1e-12)
    assert out.loc["c", ["first_year", "last_year"]].tolist() == [2010, 2015]
    assert list(out.columns) == ["first_year", "last_year", "first", "last", "change", "annual_rate", "slope"]


def test_change_takes_a_panel_index_and_refuses_a_missing_column(panel):
    r = pi.entropy_index(panel, directions=DIRS)
    out = pi.change(r)
    assert len(out) == 12
    assert out.loc["u00", "change"] == pytest.approx(r.scores.loc[("u00", 2020), "integration_index"]
                                                     - r.scores.loc[("u00", 2015), "integration_index"])
    with pytest.raises(DataError, match="no column 'ccd_D'"):
        pi.change(r.scores, column="ccd_D")


def test_class_transitions_counts_by_hand():
    idx = pd.MultiIndex.from_product([list("abcdef"), [2015, 2018, 2020]], names=["unit", "year"])
    cls = pd.Series([3, 3, 4,   4, 4, 4,   4, 5, 5,   5, 4, 3,   3, 3, 3,   5, 5, 6], index=idx)
    tab = pi.class_transitions(cls)
    # first -> last: a 3->4, b 4->4, c 4->5, d 5->3, e 3->3, f 5->6
    assert list(tab.index) == [3, 4, 5, 6] and list(tab.columns) == [3, 4, 5, 6]
    assert tab.loc[3, 4] == 1 and tab.loc[3, 3] == 1 and tab.loc[4, 4] == 1 and tab.loc[4, 5] == 1
    assert tab.loc[5, 3] == 1 and tab.loc[5, 6] == 1 and tab.to_numpy().sum() == 6
    assert tab.index.name == 2015 and tab.columns.name == 2020
    mid = pi.class_transitions(cls, first=2015, last=2018)
    assert mid.loc[4, 5] == 1 and mid.loc[5, 4] == 1 and mid.loc[3, 3] == 2
    long = pi.unit_transitions(cls)
    assert long.loc["d", "move"] == "down" and long.loc["a", "move"] == "up" and long.loc["b", "move"] == "same"
    # the units x years form gives the same table
    pd.testing.assert_frame_equal(pi.class_transitions(cls.unstack()), tab)
    text = pi.unit_transitions(pd.DataFrame({1: ["x", "y"], 2: ["x", "z"]}, index=["p", "q"]))
    assert list(text["move"]) == ["same", "changed"]


def test_class_transitions_refuse_bad_input():
    t = pd.DataFrame({2015: [1, np.nan], 2020: [2, 2]}, index=["a", "b"])
    with pytest.raises(DataError, match="no class in 2015 or 2020.*'b'"):
        pi.class_transitions(t)
    with pytest.raises(DataError, match=r"year\(s\) \[2016\] not in the classes"):
        pi.class_transitions(t.fillna(1), first=2016)
    with pytest.raises(DataError, match="single year"):
        pi.class_transitions(t[[2020]])
    with pytest.raises(DataError, match="unit, year"):
        pi.class_transitions(pd.Series([1, 2]))


def test_bad_panels_name_the_rule_and_the_fix(panel):
    with pytest.raises(DataError, match=r"single year \[2015\].*at least 2 years"):
        pi.entropy_index(panel.xs(2015, level="year", drop_level=False), directions=DIRS)
    with pytest.raises(DataError, match=r"2-level index.*set_index\(\['unit', 'year'\]\)"):
        pi.entropy_index(panel.reset_index(), directions=DIRS)
    dup = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(DataError, match=r"duplicate \(unit, year\) rows for .*u00"):
        pi.entropy_index(dup, directions=DIRS)
    txt = panel.astype({"u_road": object})
    txt.loc[("u01", 2017), "u_road"] = "n/a"
    with pytest.raises(DataError, match="column 'u_road' has non-numeric values.*n/a"):
        pi.entropy_index(txt, directions=DIRS)
    years_txt = panel.rename(index=lambda y: f"Y{y}" if isinstance(y, int) else y, level="year")
    with pytest.raises(DataError, match="years .* must be integers"):
        pi.entropy_index(years_txt, directions=DIRS)
    with pytest.raises(DataError, match="no column"):
        pi.entropy_index(panel, directions={"nope": "+"})
    with pytest.raises(DataError, match="'\\+' or '-'"):
        pi.entropy_index(panel, directions={"u_gdp": "up"})
    with pytest.raises(UnknownNameError, match="normalization"):
        pi.entropy_index(panel, directions=DIRS, normalization="zscore")


def test_problems_are_collected_then_raised_once(panel):
    bad = pd.concat([panel, panel.iloc[[0]]]).astype({"u_road": object})
    bad.iloc[3, 1] = "x"
    with pytest.raises(DataError) as exc:
        pi.entropy_index(bad, directions=DIRS)
    assert "duplicate" in str(exc.value) and "non-numeric" in str(exc.value)


def test_unit_missing_a_year_raise_or_drop(panel):
    gappy = panel.drop([("u04", 2017), ("u07", 2020)])
    with pytest.raises(DataError, match=r"2 unit\(s\) miss a year.*'u04', 'u07'.*missing='drop'"):
        pi.entropy_index(gappy, directions=DIRS)
    r = pi.entropy_index(gappy, directions=DIRS, missing="drop")
    assert r.scores.index.get_level_values("unit").nunique() == 10
    assert any("dropped 2 unit(s)" in n for n in r.notes)
    nan = panel.copy()
    nan.loc[("u09", 2019), "r_gap"] = np.nan
    with pytest.raises(DataError, match=r"missing values \('u09'\)"):
        pi.entropy_index(nan, directions=DIRS)
    assert any("dropped 1 unit(s)" in n for n in pi.entropy_index(nan, directions=DIRS, missing="drop").notes)


def test_constant_indicator_in_one_year_names_the_year(panel):
    p = panel.copy()
    p.loc[pd.IndexSlice[:, 2019], "u_road"] = 2.0
    with pytest.raises(DataError, match="year 2019: .*constant"):
        pi.entropy_index(p, directions=DIRS, pooled=False)
    pi.entropy_index(p, directions=DIRS)  # pooled: the column still varies over the panel


def test_bad_dimensions_and_ccd(panel):
    with pytest.raises(DataError, match="'zz'.*not in directions"):
        pi.entropy_index(panel, directions=DIRS, dimensions={"urban": ["zz"]})
    with pytest.raises(DataError, match="'u_gdp' is in both"):
        pi.entropy_index(panel, directions=DIRS, dimensions={"a": ["u_gdp"], "b": ["u_gdp", "r_gap"]})
    with pytest.raises(DataError, match="ccd subsystems must name at least 2 of the dimensions"):
        pi.entropy_index(panel, directions=DIRS, ccd={"subsystems": ["urban", "rural"]})
    with pytest.raises(DataError, match="unknown ccd option"):
        pi.entropy_index(panel, directions=DIRS, dimensions=DIMS, ccd={"subsystems": ["urban", "rural"], "k": 1})
    with pytest.raises(UnknownNameError, match="CCD method"):
        pi.entropy_index(panel, directions=DIRS, dimensions=DIMS, ccd={"subsystems": ["urban", "rural"],
                                                                       "method": "tian"})


def test_names_resolve_through_the_package():
    from urbanrural.analysis import panel as pkg

    assert pkg.entropy_index is pi.entropy_index and pkg.class_transitions is pi.class_transitions
