"""Sigma and beta convergence, Dagum per year: checked against statsmodels, spreg, esda and by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis import inequality
from urbanrural.analysis.panel import (
    beta_convergence,
    convergence,
    dagum_by_year,
    sigma_convergence,
)
from urbanrural.analysis.panel.sigma_beta import lm_decision
from urbanrural.geo.errors import DataError

sm = pytest.importorskip("statsmodels.api")
spreg = pytest.importorskip("spreg")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def columbus():
    from urbanrural.layers import load_example

    return load_example("columbus")


@pytest.fixture(scope="module")
def columbus_w(columbus):
    from urbanrural.analysis.autocorrelation import weights

    return weights(columbus, "queen")


def _panel(y0: np.ndarray, growth: np.ndarray, ids, years=(2000, 2005, 2010)) -> pd.DataFrame:
    return pd.DataFrame({yr: y0 * np.exp(growth * (yr - years[0])) for yr in years}, index=pd.Index(ids))


@pytest.fixture(scope="module")
def spatial_panel(columbus, columbus_w):
    """Growth with a strong spatial error process (lambda 0.8) on Columbus, 2000-2010."""
    rng = np.random.default_rng(7)
    ids = list(columbus_w.w.id_order)
    y0 = columbus.loc[ids, "INC"].to_numpy(float)
    W = columbus_w.w.sparse.toarray()
    u = np.linalg.solve(np.eye(len(ids)) - 0.8 * W, rng.normal(0, 0.01, len(ids)))
    growth = 0.12 - 0.035 * np.log(y0) + u
    return _panel(y0, growth, ids)


@pytest.fixture(scope="module")
def random_panel():
    rng = np.random.default_rng(3)
    n = 30
    y0 = rng.lognormal(2, 0.5, n)
    growth = 0.08 - 0.02 * np.log(y0) + rng.normal(0, 0.01, n)
    return _panel(y0, growth, [f"u{i:02d}" for i in range(n)])


# --------------------------------------------------------------------------- beta vs statsmodels
def test_absolute_beta_equals_statsmodels(random_panel):
    r = beta_convergence(random_panel)
    d = r.data
    T = 10
    assert np.allclose(d["growth"], np.log(random_panel[2010] / random_panel[2000]) / T, atol=1e-15)
    fit = sm.OLS(d["growth"].to_numpy(), sm.add_constant(d["ln_y0"].to_numpy())).fit()
    tab = r.coefficients
    assert list(tab.index) == ["const", "ln_y0"]
    np.testing.assert_allclose(tab["coef"], fit.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tab["se"], fit.bse, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tab["t"], fit.tvalues, rtol=1e-10)
    np.testing.assert_allclose(tab["p"], fit.pvalues, rtol=1e-8, atol=1e-12)
    assert r.r2 == pytest.approx(fit.rsquared, abs=1e-10)
    assert r.adj_r2 == pytest.approx(fit.rsquared_adj, abs=1e-10)
    assert r.logll == pytest.approx(fit.llf, abs=1e-9)
    assert r.aic == pytest.approx(fit.aic, abs=1e-9)
    np.testing.assert_allclose(d["residual"], fit.resid, atol=1e-12)
    assert r.variant == "absolute" and r.n == 30 and r.T == 10 and (r.start, r.end) == (2000, 2010)
    assert r.b < 0 and r.converges and r.recommendation == "ols" and r.lag is None and r.lm is None


def test_conditional_beta_equals_statsmodels(random_panel):
    rng = np.random.default_rng(11)
    controls = pd.DataFrame({"urbanisation": rng.uniform(0.2, 0.9, 30), "roads": rng.normal(5, 1, 30)},
                            index=random_panel.index[::-1])  # any order: aligned by unit id
    r = beta_convergence(random_panel, controls=controls)
    d = r.data
    X = pd.concat([d[["ln_y0"]], controls.loc[d.index]], axis=1)
    fit = sm.OLS(d["growth"], sm.add_constant(X)).fit()
    assert list(r.coefficients.index) == ["const", "ln_y0", "urbanisation", "roads"]
    assert r.variant == "conditional"
    np.testing.assert_allclose(r.coefficients["coef"], fit.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(r.coefficients["se"], fit.bse, rtol=0, atol=1e-10)
    np.testing.assert_allclose(r.coefficients["p"], fit.pvalues, rtol=1e-8, atol=1e-12)
    assert r.r2 == pytest.approx(fit.rsquared, abs=1e-10)


def test_long_series_equals_wide_frame(random_panel):
    long = random_panel.stack()
    long.index.names = ["unit", "year"]
    a, b = beta_convergence(random_panel), beta_convergence(long.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients, atol=1e-14, rtol=0)
    pd.testing.assert_frame_equal(sigma_convergence(random_panel), sigma_convergence(long), atol=1e-14, rtol=0)


# --------------------------------------------------------------------------- speed by hand
def test_speed_and_half_life_by_hand():
    # growth = -0.05 ln y0 + 0.1 exactly: b = -0.05, T = 10 -> 1 + bT = 0.5
    y0 = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    v = pd.DataFrame({2000: y0, 2010: y0 * np.exp(10 * (0.1 - 0.05 * np.log(y0)))}, index=list("abcde"))
    r = beta_convergence(v)
    assert r.b == pytest.approx(-0.05, abs=1e-12)
    assert r.theta == pytest.approx(np.log(2) / 10, abs=1e-12)  # -ln(0.5) / 10
    assert r.half_life == pytest.approx(10.0, abs=1e-9)  # ln 2 / theta
    # b = -0.02, T = 10: theta = -ln(0.8) / 10
    v2 = pd.DataFrame({2000: y0, 2010: y0 * np.exp(10 * (0.1 - 0.02 * np.log(y0)))}, index=list("abcde"))
    r2 = beta_convergence(v2)
    assert r2.theta == pytest.approx(-np.log(0.8) / 10, abs=1e-12)
    assert r2.half_life == pytest.approx(np.log(2) / (-np.log(0.8) / 10), abs=1e-9)


def test_no_speed_when_diverging_or_overshooting():
    y0 = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    div = pd.DataFrame({2000: y0, 2010: y0 * np.exp(10 * 0.03 * np.log(y0))}, index=list("abcde"))
    r = beta_convergence(div)
    assert r.b > 0 and not r.converges and np.isnan(r.theta) and np.isnan(r.half_life)
    assert any("no beta convergence" in n for n in r.notes)
    over = pd.DataFrame({2000: y0, 2010: y0 * np.exp(10 * (0.1 - 0.15 * np.log(y0)))}, index=list("abcde"))
    r = beta_convergence(over)
    assert r.b * r.T < -1 and np.isnan(r.theta) and any("overshooting" in n for n in r.notes)


# --------------------------------------------------------------------------- spatial models vs spreg
def _spreg_direct(r, W):
    y = r.data["growth"].to_numpy()[:, None]
    x = r.data[["ln_y0"]].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ols = spreg.OLS(y, x, w=W, spat_diag=True, moran=True)
        lag = spreg.ML_Lag(y, x, w=W, method="full")
        err = spreg.ML_Error(y, x, w=W, method="full")
    return ols, lag, err


def test_spatial_models_equal_spreg(spatial_panel, columbus_w):
    r = beta_convergence(spatial_panel, w=columbus_w, seed=1)
    W = columbus_w.w
    assert list(r.data.index) == [str(i) for i in W.id_order]
    ols, lag, err = _spreg_direct(r, W)
    np.testing.assert_allclose(r.coefficients["coef"], ols.betas.ravel(), atol=1e-10)
    # residual Moran's I: significant here, equal to esda's I; E[I] by the Cliff-Ord formula
    import esda

    m = esda.Moran(r.data["residual"].to_numpy(), W, permutations=0)
    assert r.residual_moran["I"] == pytest.approx(m.I, abs=1e-12)
    assert r.residual_moran["I"] == pytest.approx(ols.moran_res[0], abs=1e-12)
    assert r.residual_moran["p (residuals)"] == pytest.approx(ols.moran_res[2], abs=1e-12)
    Wd = W.sparse.toarray()
    X = np.column_stack([np.ones(r.n), r.data["ln_y0"]])
    M = np.eye(r.n) - X @ np.linalg.inv(X.T @ X) @ X.T
    assert r.residual_moran["E[I] (residuals)"] == pytest.approx(r.n / W.s0 * np.trace(M @ Wd) / (r.n - 2), abs=1e-12)
    assert r.residual_moran["p (residuals)"] < 0.05
    # LM tests
    for key, ref in (("lm_lag", ols.lm_lag), ("lm_error", ols.lm_error), ("rlm_lag", ols.rlm_lag),
                     ("rlm_error", ols.rlm_error), ("lm_sarma", ols.lm_sarma)):
        assert r.lm.loc[key, "stat"] == pytest.approx(ref[0], abs=1e-10)
        assert r.lm.loc[key, "p"] == pytest.approx(ref[1], abs=1e-10)
    # ML lag and error fits
    assert r.lag is not None and r.error is not None
    np.testing.assert_allclose(r.lag.coefficients["coef"], lag.betas.ravel(), atol=1e-8)
    np.testing.assert_allclose(r.lag.coefficients["se"], np.asarray(lag.std_err).ravel(), atol=1e-8)
    assert r.lag.spatial == pytest.approx(lag.rho, abs=1e-8) and r.lag.spatial_name == "rho"
    assert r.lag.logll == pytest.approx(lag.logll, abs=1e-8) and r.lag.pseudo_r2 == pytest.approx(lag.pr2, abs=1e-8)
    np.testing.assert_allclose(r.error.coefficients["coef"], err.betas.ravel(), atol=1e-8)
    np.testing.assert_allclose(r.error.coefficients["se"], np.asarray(err.std_err).ravel(), atol=1e-8)
    assert r.error.spatial == pytest.approx(err.lam, abs=1e-8) and r.error.spatial_name == "lambda"
    assert r.error.b == pytest.approx(err.betas[1, 0], abs=1e-8)
    assert r.lag.method == "full"
    # recommendation follows the decision rule on these LM tests (lag and error are hard to tell
    # apart when ln y0 is itself clustered, as INC is)
    assert r.recommendation == lm_decision(r.lm)[0] != "ols"
    assert set(r.summary().index) == {"ols", "lag", "error"}


def test_w_order_does_not_matter(spatial_panel, columbus_w):
    a = beta_convergence(spatial_panel, w=columbus_w, permutations=0)
    b = beta_convergence(spatial_panel.iloc[::-1], w=columbus_w, permutations=0)
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients, atol=1e-14, rtol=0)
    assert a.error.spatial == pytest.approx(b.error.spatial, abs=1e-12)


def test_no_spatial_models_when_residuals_are_not_autocorrelated(columbus, columbus_w):
    rng = np.random.default_rng(5)
    ids = list(columbus_w.w.id_order)
    y0 = columbus.loc[ids, "INC"].to_numpy(float)
    v = _panel(y0, 0.1 - 0.03 * np.log(y0) + rng.normal(0, 0.01, len(ids)), ids)
    r = beta_convergence(v, w=columbus_w, seed=0)
    assert r.residual_moran["p (residuals)"] >= 0.05
    assert r.lag is None and r.error is None and r.recommendation == "ols" and r.lm is not None


@pytest.mark.parametrize(("p", "stat", "expected"), [
    ([0.3, 0.4, 0.5, 0.6], [1, 1, 1, 1], "ols"),          # neither LM significant
    ([0.01, 0.4, 0.5, 0.6], [7, 1, 1, 1], "lag"),         # only LM-lag
    ([0.3, 0.01, 0.5, 0.6], [1, 7, 1, 1], "error"),       # only LM-error
    ([0.01, 0.02, 0.04, 0.3], [7, 6, 4, 1], "lag"),       # both; only robust lag
    ([0.01, 0.02, 0.3, 0.04], [7, 6, 1, 4], "error"),     # both; only robust error
    ([0.001, 0.002, 0.01, 0.02], [12, 10, 7, 5], "lag"),  # both robust: larger robust statistic
    ([0.001, 0.002, 0.01, 0.001], [12, 10, 7, 11], "error"),
    ([0.01, 0.02, 0.3, 0.4], [7, 6, 1, 2], "lag"),        # neither robust: larger LM
])
def test_lm_decision_rule(p, stat, expected):
    lm = pd.DataFrame({"stat": stat, "p": p}, index=["lm_lag", "lm_error", "rlm_lag", "rlm_error"])
    assert lm_decision(lm, alpha=0.05)[0] == expected


# --------------------------------------------------------------------------- sigma
def test_sigma_equals_inequality_per_year(random_panel):
    s = sigma_convergence(random_panel)
    for year in random_panel.columns:
        y = random_panel[year].to_numpy()
        assert s.loc[year, "cv"] == pytest.approx(inequality.cv(y), abs=1e-15)
        assert s.loc[year, "gini"] == pytest.approx(inequality.gini(y), abs=1e-15)
        assert s.loc[year, "theil"] == pytest.approx(inequality.theil(y).total, abs=1e-15)
        assert s.loc[year, "mean"] == pytest.approx(y.mean(), abs=1e-12)
    assert s.index.name == "year" and list(s.index) == [2000, 2005, 2010]
    tr = s.trend
    x = np.array([2000, 2005, 2010.0])
    slope = np.polyfit(x, s["cv"].to_numpy(), 1)[0]
    assert tr.slope == pytest.approx(slope, abs=1e-12)
    assert tr.direction == ("sigma convergence" if slope < 0 else "sigma divergence")
    from scipy import stats

    lr = stats.linregress(x, s["gini"].to_numpy())
    g = s.trend_of("gini")
    assert g.slope == pytest.approx(lr.slope, abs=1e-12) and g.p == pytest.approx(lr.pvalue, abs=1e-10)
    assert g.r2 == pytest.approx(lr.rvalue ** 2, abs=1e-10)


def test_sigma_weighted_and_grouped(random_panel):
    rng = np.random.default_rng(2)
    pop = pd.Series(rng.integers(1000, 90000, 30).astype(float), index=random_panel.index)
    groups = pd.Series(np.where(np.arange(30) < 12, "urban", "rural"), index=random_panel.index)
    s = sigma_convergence(random_panel, groups=groups, population=pop)
    for year in random_panel.columns:
        y, p, g = random_panel[year].to_numpy(), pop.to_numpy(), groups.to_numpy()
        t = inequality.theil(y, population=p, groups=g)
        d = inequality.dagum(y, g)
        assert s.loc[year, "cv"] == pytest.approx(inequality.cv(y, weights=p), abs=1e-15)
        assert s.loc[year, "gini"] == pytest.approx(inequality.gini(y, weights=p), abs=1e-15)
        assert s.loc[year, "theil"] == pytest.approx(t.total, abs=1e-15)
        assert s.loc[year, "theil_between"] == pytest.approx(t.between, abs=1e-15)
        assert s.loc[year, "theil_within"] == pytest.approx(t.within, abs=1e-15)
        assert s.loc[year, "dagum_G"] == pytest.approx(d.total, abs=1e-15)
        assert s.loc[year, "dagum_Gt"] == pytest.approx(d.transvariation, abs=1e-15)
    assert np.allclose(s["theil_between"] + s["theil_within"], s["theil"], atol=1e-12)
    # population by unit and year (constant here) gives the same table
    popf = pd.DataFrame({yr: pop for yr in random_panel.columns})
    pd.testing.assert_frame_equal(s, sigma_convergence(random_panel, groups=groups, population=popf))


# --------------------------------------------------------------------------- Dagum
def test_dagum_components_add_up(random_panel):
    rng = np.random.default_rng(4)
    groups = pd.Series(rng.choice(["east", "centre", "west"], 30), index=random_panel.index)
    d = dagum_by_year(random_panel, groups)
    np.testing.assert_allclose(d["Gw"] + d["Gnb"] + d["Gt"], d["G"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["Cw"] + d["Cnb"] + d["Ct"], 1.0, rtol=0, atol=1e-12)
    for year in random_panel.columns:
        assert d.loc[year, "G"] == pytest.approx(inequality.gini(random_panel[year]), abs=1e-12)
    assert {"Gjj[centre]", "Gjj[east]", "Gjj[west]", "Gjh[centre|east]", "Gjh[east|west]"} <= set(d.columns)


def test_dagum_two_groups_by_hand():
    # rural {1, 4} (mean 2.5), urban {3, 6} (mean 4.5); n = 4, mean 3.5
    # G = 32 / (2 * 16 * 3.5) = 2/7; G_rr = 6 / (2 * 4 * 2.5) = 0.3; G_uu = 6 / (2 * 4 * 4.5) = 1/6
    # p = (1/2, 1/2), s = (5/14, 9/14): Gw = 0.3 * 1/2 * 5/14 + 1/6 * 1/2 * 9/14 = 3/28
    # G_ur = (2 + 1 + 5 + 2) / (4 * (4.5 + 2.5)) = 5/14; d = 9/4, p = 1/4, D = 0.8
    # Gnb = 5/14 * (1/2 * 5/14 + 1/2 * 9/14) * 0.8 = 1/7; Gt = 5/14 * 1/2 * 0.2 = 1/28
    v = pd.DataFrame({2000: [1.0, 4.0, 3.0, 6.0], 2001: [1.0, 4.0, 3.0, 6.0]}, index=["r1", "r2", "u1", "u2"])
    d = dagum_by_year(v, {"r1": "rural", "r2": "rural", "u1": "urban", "u2": "urban"}).loc[2000]
    assert d["G"] == pytest.approx(2 / 7, abs=1e-15)
    assert d["Gw"] == pytest.approx(3 / 28, abs=1e-15)
    assert d["Gnb"] == pytest.approx(1 / 7, abs=1e-15)
    assert d["Gt"] == pytest.approx(1 / 28, abs=1e-15)
    assert d["Gjj[rural]"] == pytest.approx(0.3, abs=1e-15) and d["Gjj[urban]"] == pytest.approx(1 / 6, abs=1e-15)
    assert d["Gjh[rural|urban]"] == pytest.approx(5 / 14, abs=1e-15)
    assert d["Cnb"] == pytest.approx(0.5, abs=1e-15)


def test_convergence_bundle(spatial_panel, columbus_w):
    groups = pd.Series(np.where(spatial_panel[2000] > spatial_panel[2000].median(), "urban", "rural"),
                       index=spatial_panel.index)
    r = convergence(spatial_panel, w=columbus_w, groups=groups, seed=0)
    assert r.sigma.trend.direction in ("sigma convergence", "sigma divergence")
    assert "dagum_G" in r.sigma.columns and r.beta.recommendation in ("lag", "error")
    assert "spatial" in r.variant and any("sigma" in n for n in r.notes)
    with pytest.raises(AttributeError):
        r.variant = "x"  # frozen


def test_package_name_convergence_is_the_function(random_panel):
    # the module is sigma_beta, so importing it never hides the package's function convergence
    import urbanrural.analysis.panel as panel
    import urbanrural.analysis.panel.sigma_beta as mod

    assert callable(panel.convergence) and panel.convergence is mod.convergence
    assert panel.convergence(random_panel).beta.b == mod.convergence(random_panel).beta.b


# --------------------------------------------------------------------------- bad input
def test_bad_input(random_panel, columbus_w):
    with pytest.raises(DataError, match="1 year"):
        sigma_convergence(random_panel[[2000]])
    bad = random_panel.copy()
    bad.loc["u03", 2005] = np.nan
    with pytest.raises(DataError, match=r"\(u03, 2005\)"):
        beta_convergence(bad)
    neg = random_panel.copy()
    neg.loc["u07", 2010] = 0.0
    with pytest.raises(DataError, match=r"> 0.*\(u07, 2010\)"):
        beta_convergence(neg)
    neg.loc["u07", 2010] = -1.0
    with pytest.raises(DataError, match=r"negative at \(unit, year\) '\(u07, 2010\)'"):
        sigma_convergence(neg)
    with pytest.raises(DataError, match="not in w"):
        beta_convergence(random_panel, w=columbus_w)
    with pytest.raises(DataError, match="columns must be years"):
        sigma_convergence(random_panel.rename(columns={2005: "mid"}))
    with pytest.raises(DataError, match="no entry for 1 unit"):
        sigma_convergence(random_panel, groups=pd.Series("rural", index=random_panel.index[1:]))
    with pytest.raises(DataError, match="no row for"):
        beta_convergence(random_panel, controls=pd.DataFrame({"x": 1.0}, index=random_panel.index[:5]))
    with pytest.raises(DataError, match="collinear"):
        beta_convergence(random_panel, controls=pd.DataFrame({"x": 1.0}, index=random_panel.index))
    with pytest.raises(DataError, match=r"\(unit, year\)"):
        sigma_convergence(pd.Series([1.0, 2.0], index=["a", "b"]))
    dup = pd.Series([1.0, 2.0, 3.0], index=pd.MultiIndex.from_tuples([("a", 2000), ("a", 2000), ("b", 2000)]))
    with pytest.raises(DataError, match="duplicate"):
        sigma_convergence(dup)
    with pytest.raises(DataError, match="DataFrame"):
        sigma_convergence([[1, 2], [3, 4]])
