"""Geodetector (urbanrural.analysis.drivers) and its discretisation (_discretize).

Reference run: the R package geodetector 1.0-5's vignette on its CollectData table
(tests/analysis/data_geodetector/README.md gives the source and the printed values).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mapclassify
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from urbanrural.analysis import _discretize as disc
from urbanrural.analysis.drivers import _interaction_type, geodetector, q_statistic
from urbanrural.geo.errors import DataError, UnknownNameError

DATA = Path(__file__).parent / "data_geodetector" / "collectdata.csv"


@pytest.fixture(scope="module")
def collectdata() -> pd.DataFrame:
    return pd.read_csv(DATA)


# --- factor detector by hand --------------------------------------------------------


def test_factor_detector_hand_worked():
    # strata a = {1, 2, 3}, b = {6, 8}, c = {10, 11, 12}; N = 8, L = 3
    y = pd.Series([1.0, 2.0, 3.0, 6.0, 8.0, 10.0, 11.0, 12.0])
    x = pd.DataFrame({"zone": list("aaabbccc")})
    # population variances: a 2/3, b 1, c 2/3 -> sum N_h s_h^2 = 3*2/3 + 2*1 + 3*2/3 = 6
    # SST = N s^2 = sum y^2 - (sum y)^2 / N = 479 - 53^2 / 8 = 127.875
    q = 1 - 6 / 127.875
    # F = (N - L) / (L - 1) * q / (1 - q) = 5/2 * 121.875 / 6 = 50.78125
    f = 2.5 * 121.875 / 6
    assert f == 50.78125
    # lambda = [sum Ybar_h^2 - (sum sqrt(N_h) Ybar_h)^2 / N] / s^2, means 2, 7, 11,
    # s^2 = 127.875 / 8 (population variance of y)
    lam = (2**2 + 7**2 + 11**2 - (np.sqrt(3) * 2 + np.sqrt(2) * 7 + np.sqrt(3) * 11) ** 2 / 8) / (
        127.875 / 8
    )
    # p = P(F' > F), F' ~ non-central F(2, 5; lambda): a Poisson(lambda/2) mixture of
    # central tails, written out here (independent of scipy.stats.ncf)
    j = np.arange(400)
    xb = 2 * f / (2 * f + 5)
    p = np.sum(stats.poisson.pmf(j, lam / 2) * special.betaincc(2 / 2 + j, 5 / 2, xb))

    r = geodetector(y, x)
    row = r.factor.loc["zone"]
    assert row["q"] == pytest.approx(q, abs=1e-14)
    assert row["F"] == pytest.approx(f, rel=1e-12)
    assert row["lambda"] == pytest.approx(lam, rel=1e-12)
    assert row["p"] == pytest.approx(p, rel=1e-9)
    assert (row["strata"], row["n"], row["method"]) == (3, 8, "categorical")
    assert q_statistic(y, x["zone"]) == pytest.approx(q, abs=1e-14)
    # the sample-variance lambda of the R package geodetector: lambda * (N - 1) / N
    r1 = geodetector(y, x, lambda_ddof=1)
    assert r1.factor.at["zone", "lambda"] == pytest.approx(lam * 7 / 8, rel=1e-12)


def test_perfect_and_null_factor():
    y = pd.Series([1.0, 1.0, 5.0, 5.0, 1.0, 5.0])
    r = geodetector(y, pd.DataFrame({"perfect": list("aabbab"), "null": list("ababcc")}))
    assert r.factor.at["perfect", "q"] == 1.0 and r.factor.at["perfect", "p"] == 0.0
    assert np.isinf(r.factor.at["perfect", "F"])
    # equal stratum means: q = 0, lambda = 0, p = 1 (central F; scipy's ncf fails at nc = 0)
    assert r.factor.at["null", "q"] == pytest.approx(0, abs=1e-15)
    assert r.factor.at["null", "p"] == pytest.approx(1.0)


# --- published reference: R geodetector's CollectData ---------------------------------

# vignette of geodetector 1.0-5 (inst/doc/geodetector.html), factor_detector output
PUBLISHED_Q = {"watershed": 0.6377737, "soiltype": 0.3857168, "elevation": 0.6067087}
PUBLISHED_P = {"watershed": 0.0001169914, "soiltype": 0.3632363, "elevation": 0.04080407}
PRINTED_STEP = {"watershed": 1e-10, "soiltype": 1e-7, "elevation": 1e-8}  # last printed digit
PUBLISHED_Q12 = {
    ("watershed", "soiltype"): 0.735680548139531,
    ("watershed", "elevation"): 0.71359677853471,
    ("soiltype", "elevation"): 0.663523698335635,
}
PUBLISHED_MEANS = {
    "soiltype": [6.340000, 6.687500, 6.583279, 5.843810, 6.347073],
    "watershed": [
        6.167813,
        6.813103,
        6.474231,
        6.728000,
        5.910000,
        5.845714,
        6.494167,
        6.360769,
        6.579231,
    ],
    "elevation": [6.455882, 6.171111, 6.258108, 6.621364, 5.908889, 6.888636, 5.790000],
}
# risk_detector "Significance t-test:0.05" matrices (1 = TRUE), strata 1..L
PUBLISHED_RISK = {
    "soiltype": ["01110", "10011", "10011", "11101", "01110"],
    "watershed": [
        "011111111",
        "101011111",
        "110111000",
        "101011111",
        "111100111",
        "111100111",
        "110111000",
        "110111001",
        "110111010",
    ],
    "elevation": ["0111111", "1001111", "1001111", "1110111", "1111011", "1111101", "1111110"],
}


def test_reproduces_r_geodetector_collectdata(collectdata):
    y = collectdata["incidence"]
    x = collectdata[["watershed", "soiltype", "elevation"]]
    r = geodetector(y, x, lambda_ddof=1)
    assert list(r.factor["method"]) == ["categorical"] * 3  # whole-number codes
    for name, q in PUBLISHED_Q.items():
        assert r.factor.at[name, "q"] == pytest.approx(q, abs=5e-8)
        # to the printed precision, plus the absolute error bound of R's pnbeta (1e-9):
        # scipy's ncf agrees with the Poisson-mixture sum to 1e-15 (see the hand-worked
        # test), R's value for watershed is 9.6e-10 off it
        tol = PRINTED_STEP[name] / 2 + 1e-9
        assert r.factor.at[name, "p"] == pytest.approx(PUBLISHED_P[name], abs=tol)
    for (a, b), q12 in PUBLISHED_Q12.items():
        row = r.interaction[(r.interaction.factor_1 == a) & (r.interaction.factor_2 == b)]
        assert row["q12"].item() == pytest.approx(q12, abs=1e-13)
    for name, means in PUBLISHED_MEANS.items():
        got = r.means[r.means.factor == name].sort_values("stratum")["mean"].to_numpy()
        np.testing.assert_allclose(got, means, atol=5e-7)
    for name, rows in PUBLISHED_RISK.items():
        want = np.array([[int(c) for c in row] for row in rows])
        got = np.zeros_like(want)
        for _, t in r.risk[r.risk.factor == name].iterrows():
            got[t.stratum_1 - 1, t.stratum_2 - 1] = got[t.stratum_2 - 1, t.stratum_1 - 1] = (
                t.significant
            )
        np.testing.assert_array_equal(got, want)
    # ecological_detector matrix: soiltype differs from watershed and from elevation;
    # watershed and elevation do not differ
    eco = {frozenset((e.factor_1, e.factor_2)): e.significant for e in r.ecological.itertuples()}
    assert eco == {
        frozenset(("soiltype", "watershed")): True,
        frozenset(("soiltype", "elevation")): True,
        frozenset(("watershed", "elevation")): False,
    }
    # the default lambda (population variance) gives slightly larger p-values
    r0 = geodetector(y, x)
    assert (r0.factor["p"] > r.factor["p"]).all()
    assert (r0.factor["q"] == r.factor["q"]).all()


# --- interaction detector -------------------------------------------------------------


def _types(y, x1, x2):
    r = geodetector(pd.Series(y, dtype=float), pd.DataFrame({"x1": list(x1), "x2": list(x2)}))
    return r.interaction.iloc[0]


def test_interaction_uni_variable_weaken_when_nested():
    # x2 merges x1's strata pairwise: the overlay is x1 itself, q12 = q1 = max(q1, q2)
    row = _types([1, 2, 4, 5, 8, 9, 3, 4], "aabbccdd", "ppppqqqq")
    assert row.q12 == pytest.approx(max(row.q1, row.q2), abs=1e-12)
    assert row.type == "uni-variable weaken"


def test_interaction_independent_for_additive_balanced_design():
    # balanced 2 x 2, 2 units per cell, y = x1 + 2 x2 +- 0.5: no interaction sum of
    # squares, so q12 = q1 + q2 exactly
    x1 = [0, 0, 0, 0, 1, 1, 1, 1]
    x2 = [0, 0, 1, 1, 0, 0, 1, 1]
    e = [0.5, -0.5] * 4
    y = [a + 2 * b + d for a, b, d in zip(x1, x2, e, strict=True)]
    row = _types(y, x1, x2)
    assert row.q12 == pytest.approx(row.q1 + row.q2, abs=1e-12)
    assert row.type == "independent"


def test_interaction_bi_variable_enhance():
    row = _types([1.0, 1.2, 2.0, 1.1, 3.0, 3.9, 3.2, 4.1], "aaaabbbb", "ppqpqqpq")
    assert max(row.q1, row.q2) < row.q12 < row.q1 + row.q2
    assert row.type == "bi-variable enhance"


def test_interaction_nonlinear_enhance_xor():
    # y = x1 XOR x2: neither factor alone explains anything, together they do
    row = _types([0.1, -0.1, 1.1, 0.9, 1.1, 0.9, 0.1, -0.1], "aaaabbbb", "ppqqppqq")
    assert row.q1 == pytest.approx(0, abs=1e-12) and row.q2 == pytest.approx(0, abs=1e-12)
    assert row.q12 > row.q1 + row.q2
    assert row.type == "nonlinear enhance"


def test_interaction_type_boundaries():
    # "nonlinear weaken" cannot come out of an overlay on the same units (see the
    # property below): the rule is checked on numbers
    assert _interaction_type(0.4, 0.6, 0.3, tol=1e-6) == "nonlinear weaken"
    assert _interaction_type(0.4, 0.6, 0.5, tol=1e-6) == "uni-variable weaken"
    assert _interaction_type(0.4, 0.6, 0.6 + 1e-9, tol=1e-6) == "uni-variable weaken"
    assert _interaction_type(0.2, 0.3, 0.5 + 1e-9, tol=1e-6) == "independent"
    assert _interaction_type(0.2, 0.3, 0.45, tol=1e-6) == "bi-variable enhance"
    assert _interaction_type(0.2, 0.3, 0.6, tol=1e-6) == "nonlinear enhance"
    assert _interaction_type(0.2, 0.3, 0.52, tol=0.05) == "independent"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_overlay_q_at_least_max_of_both(seed):
    rng = np.random.default_rng(seed)
    n = 30
    y = rng.normal(size=n)
    a, b = rng.integers(0, 3, n), rng.integers(0, 4, n)
    q1, q2 = q_statistic(y, a), q_statistic(y, b)
    q12 = q_statistic(y, a * 10 + b)
    assert q12 >= max(q1, q2) - 1e-12
    assert 0 <= q1 <= 1 and 0 <= q12 <= 1


# --- risk and ecological detectors ------------------------------------------------------


def test_risk_detector_is_welch_t_test():
    rng = np.random.default_rng(3)
    zone = np.repeat(["a", "b", "c"], [5, 8, 12])
    y = pd.Series(rng.normal(np.select([zone == "a", zone == "b"], [0.0, 1.0], 1.5), [0.5] * 25))
    r = geodetector(y, pd.DataFrame({"zone": zone}), alpha=0.05)
    assert len(r.risk) == 3
    for row in r.risk.itertuples():
        a, b = y[zone == row.stratum_1], y[zone == row.stratum_2]
        res = stats.ttest_ind(a, b, equal_var=False)
        assert row.t == pytest.approx(res.statistic, rel=1e-12)
        assert row.p == pytest.approx(res.pvalue, rel=1e-10)
        assert row.df == pytest.approx(res.df, rel=1e-12)
        assert row.significant == (res.pvalue < 0.05)
        assert (row.n_1, row.n_2) == (len(a), len(b))


def test_risk_detector_zero_variance_pair_is_nan_with_note():
    y = pd.Series([1.0, 1.0, 2.0, 2.0, 3.0, 4.0])
    r = geodetector(y, pd.DataFrame({"z": list("aabbcc")}))
    ab = r.risk[(r.risk.stratum_1 == "a") & (r.risk.stratum_2 == "b")].iloc[0]
    assert np.isnan(ab.t) and np.isnan(ab.p) and not ab.significant
    assert any("without variance" in n for n in r.notes)


def test_ecological_detector_by_hand():
    y = np.array([1.0, 2.0, 3.0, 6.0, 8.0, 10.0, 11.0, 12.0])
    x1 = list("aaabbccc")  # SSW: {1,2,3} 2 + {6,8} 2 + {10,11,12} 2 = 6
    x2 = list("ppppqqqq")  # SSW: {1,2,3,6} 14 + {8,10,11,12} 8.75 = 22.75
    r = geodetector(pd.Series(y), pd.DataFrame({"x1": x1, "x2": x2}))
    e = r.ecological.iloc[0]
    n1 = n2 = 8
    f = n1 * (n2 - 1) * 22.75 / (n2 * (n1 - 1) * 6)  # x2 is the weaker factor: numerator
    assert (e.factor_1, e.factor_2) == ("x2", "x1")
    assert e.F == pytest.approx(f, rel=1e-12)
    assert (e.df1, e.df2) == (7, 7)
    assert e.p == pytest.approx(stats.f.sf(f, 7, 7), rel=1e-12)
    assert e.significant == (e.p < 0.05)
    assert e.q_1 == pytest.approx(r.factor.at["x2", "q"]) and e.q_2 == pytest.approx(
        r.factor.at["x1", "q"]
    )


# --- discretisation -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def skewed() -> np.ndarray:
    return np.random.default_rng(7).lognormal(1.0, 0.8, 200)


@pytest.mark.parametrize(
    ("method", "classifier"),
    [
        ("equal", mapclassify.EqualInterval),
        ("quantile", mapclassify.Quantiles),
        ("natural", mapclassify.FisherJenks),
    ],
)
@pytest.mark.parametrize("k", [3, 5, 8])
def test_discretisation_matches_mapclassify(skewed, method, classifier, k):
    ref = classifier(skewed, k=k)
    b = disc.breaks(skewed, method, k)
    np.testing.assert_allclose(b, ref.bins, rtol=1e-12)
    # classify numbers the non-empty classes 1..L (mapclassify keeps empty class numbers)
    _, dense = np.unique(ref.yb, return_inverse=True)
    np.testing.assert_array_equal(disc.classify(skewed, b), dense + 1)


def test_geometric_and_sd_breaks(skewed):
    lo, hi = skewed.min(), skewed.max()
    g = disc.breaks(skewed, "geometric", 4)
    np.testing.assert_allclose(g, lo * (hi / lo) ** (np.arange(1, 5) / 4), rtol=1e-12)
    assert np.allclose(np.diff(np.log(g)), np.log(hi / lo) / 4)
    with pytest.raises(DataError, match="values > 0"):
        disc.breaks([-1.0, 2.0, 3.0], "geometric", 3)
    m, s = skewed.mean(), skewed.std()
    sd4 = disc.breaks(skewed, "sd", 4)
    np.testing.assert_allclose(sd4, [m - s, m, m + s, hi], rtol=1e-12)
    sd3 = disc.breaks(skewed, "sd", 3)
    np.testing.assert_allclose(sd3, [m - s / 2, m + s / 2, hi], rtol=1e-12)


def test_merge_singletons_goes_to_nearer_neighbour():
    x = [1.0, 1.1, 8.5, 9.0, 9.2, 20.0, 20.5]
    classes, merged = disc.merge_singletons(x, [1, 1, 2, 3, 3, 4, 4])
    assert classes.tolist() == [1, 1, 2, 2, 2, 3, 3] and merged == 1
    # several singletons, ends included
    classes, merged = disc.merge_singletons([0.0, 5.0, 5.1, 9.9, 10.0], [1, 2, 2, 3, 4])
    assert classes.tolist() == [1, 1, 1, 2, 2] and merged == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=6, max_size=40),
    st.sampled_from(list(disc.METHODS)),
    st.integers(2, 8),
)
def test_classes_ordered_and_no_singletons_after_merge(values, method, k):
    x = np.asarray(values)
    try:
        b = disc.breaks(x, method, k)
    except DataError:  # geometric with values <= 0
        return
    classes, _ = disc.merge_singletons(x, disc.classify(x, b))
    order = np.argsort(x, kind="stable")
    assert (np.diff(classes[order]) >= 0).all()  # classes follow the order of x
    counts = np.bincount(classes)[1:]
    assert (counts > 0).all()
    assert counts.min() >= 2 or len(counts) == 1


def test_opgd_table_and_choice(skewed):
    rng = np.random.default_rng(11)
    y = pd.Series(np.log(skewed) * 2 + rng.normal(0, 0.3, len(skewed)))
    r = geodetector(y, pd.DataFrame({"x": skewed}))
    t = r.discretization
    assert set(t.method) == set(disc.METHODS) and set(t.k) == set(range(3, 9))
    assert len(t) == 5 * 6
    best = t.loc[t.q.idxmax()]
    assert t.chosen.sum() == 1 and t.loc[t.chosen, "q"].item() == best.q
    row = r.factor.loc["x"]
    assert (row.method, row.k) == (best.method, best.k)
    assert row.q == pytest.approx(best.q, abs=1e-15)
    assert row.strata == best.strata
    # the strata used are on the input index, ordered classes 1..L
    assert r.strata.index.equals(y.index) and r.strata["x"].max() == row.strata
    m = r.means[r.means.factor == "x"]
    assert (m.x_max.to_numpy()[:-1] < m.x_min.to_numpy()[1:]).all()


def test_fixed_method_and_per_factor_dict(skewed):
    y = pd.Series(np.log(skewed))
    f = pd.DataFrame({"a": skewed, "b": skewed[::-1].copy(), "c": np.tile(list("uvw"), 67)[:200]})
    r = geodetector(y, f, discretize="quantile", k=4)
    assert list(r.factor.method) == ["quantile", "quantile", "categorical"]
    assert r.factor.at["a", "strata"] == 4
    r = geodetector(y, f, discretize={"a": ("equal", 5), "b": "natural"}, k=[3, 4])
    assert (r.factor.at["a", "method"], r.factor.at["a", "k"]) == ("equal", 5)
    assert r.factor.at["b", "method"] == "natural" and r.factor.at["b", "k"] in (3, 4)
    assert len(r.discretization[r.discretization.factor == "b"]) == 2
    # whole-number codes with many values can be forced to stay categories
    codes = pd.Series(np.arange(24) // 2)
    r = geodetector(
        pd.Series(np.arange(24.0)), pd.DataFrame({"id": codes}), discretize={"id": "categorical"}
    )
    assert r.factor.at["id", "strata"] == 12


def test_geometric_skipped_for_non_positive_factor():
    rng = np.random.default_rng(2)
    x = rng.normal(size=60)
    r = geodetector(pd.Series(x + rng.normal(0, 0.5, 60)), pd.DataFrame({"x": x}))
    assert "geometric" not in set(r.discretization.method)
    assert any("'geometric' skipped" in n for n in r.notes)


def test_singleton_class_merged_with_note():
    # equal intervals, k = 5: bounds 10.8, 20.6, 30.4, 40.2, 50 -> classes {1.x}, {20.x},
    # {50}; the one-unit class {50} joins {20.x}, its only neighbour
    x = np.array([1.0, 1.1, 1.2, 1.3, 20.0, 20.1, 20.2, 20.3, 50.0])
    y = pd.Series(x * 2.0 + np.array([0.1, -0.1] * 4 + [0.0]))
    r = geodetector(y, pd.DataFrame({"x": x}), discretize="equal", k=5)
    assert r.strata["x"].tolist() == [1] * 4 + [2] * 5
    assert r.factor.at["x", "strata"] == 2 and r.factor.at["x", "merged"] == 1
    assert any("merged" in n for n in r.notes)


# --- inputs and errors ------------------------------------------------------------------------


def test_alignment_nan_drop_and_frozen():
    y = pd.Series([3.0, 1.0, np.nan, 2.0, 5.0, 6.0, 7.0], index=list("gabcdef"))
    f = pd.DataFrame({"z": ["u", "u", "u", "v", "v", "w", "w"]}, index=list("abcdefg"))
    r = geodetector(y, f)
    assert r.factor.at["z", "n"] == 6
    assert any("1 of 7 units dropped" in n for n in r.notes)
    assert list(r.strata.index) == list("acdefg")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.factor = None  # type: ignore[misc]


def test_misaligned_index_refused():
    y = pd.Series([1.0, 2.0, 3.0, 4.0], index=[0, 1, 2, 9])
    with pytest.raises(DataError, match="not aligned.*intersection"):
        geodetector(y, pd.DataFrame({"z": list("aabb")}))
    with pytest.raises(DataError, match="3 values for 4 rows"):
        geodetector([1.0, 2.0, 3.0], pd.DataFrame({"z": list("aabb")}))


def test_constant_y_refused():
    with pytest.raises(DataError, match="y is constant"):
        geodetector(pd.Series([2.0] * 6), pd.DataFrame({"z": list("aabbcc")}))


def test_all_factor_problems_reported_at_once():
    y = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    f = pd.DataFrame({"const": [1.5] * 6, "one": ["a"] * 6, "single": list("aabbbc")})
    with pytest.raises(DataError) as err:
        geodetector(y, f)
    msg = str(err.value)
    assert "'const' is constant" in msg and "drop it" in msg
    assert "'one' has a single stratum" in msg
    assert "'single': stratum(s) ['c'] have one unit" in msg and "replace" in msg


def test_bad_options_refused():
    y = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    f = pd.DataFrame({"z": list("aabbcc")})
    with pytest.raises(UnknownNameError, match="'jenks'.*'natural'"):
        geodetector(y, f, discretize="jenks")
    with pytest.raises(UnknownNameError, match="not factors"):
        geodetector(y, f, discretize={"w": "equal"})
    with pytest.raises(DataError, match="k=1"):
        geodetector(y, f, k=1)
    with pytest.raises(DataError, match="lambda_ddof"):
        geodetector(y, f, lambda_ddof=2)
    with pytest.raises(DataError, match="not numeric"):
        geodetector(y, f, discretize={"z": "quantile"})
