"""Gravity models against spint and statsmodels (same dummies), marginals, zeros, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis.flows._glm import poisson_fe_irls
from urbanrural.analysis.flows._gravity import CONSTRAINTS, DECAYS, gravity_model, underflow
from urbanrural.geo.errors import DataError, UnknownNameError

N_UNITS = 25


@pytest.fixture(scope="module")
def unit_ids():
    return np.array([f"U{i:02d}" for i in range(N_UNITS)], dtype=object)


@pytest.fixture(scope="module")
def cost_table(unit_ids):
    """Every ordered pair of 25 units (intra-unit rows included), km along straight lines + 1."""
    rng = np.random.default_rng(42)
    xy = rng.uniform(0, 80, (N_UNITS, 2))
    o, d = np.divmod(np.arange(N_UNITS**2), N_UNITS)
    km = np.hypot(*(xy[o] - xy[d]).T) + 1.0
    return pd.DataFrame({"origin": unit_ids[o], "destination": unit_ids[d], "cost": km})


@pytest.fixture(scope="module")
def population(unit_ids):
    rng = np.random.default_rng(7)
    return pd.Series(rng.lognormal(9, 0.8, N_UNITS).round(), index=unit_ids)


@pytest.fixture(scope="module")
def flow_table(cost_table, population):
    """Poisson flows from a doubly-constrained-like truth; only volume > 0 rows listed (zeros
    come from the cost table), plus the intra-unit rows, which the models ignore."""
    rng = np.random.default_rng(2024)
    p = population.reindex(cost_table["origin"]).to_numpy()
    q = population.reindex(cost_table["destination"]).to_numpy()
    mu = 2e-3 * p**0.8 * q**0.7 * cost_table["cost"].to_numpy() ** -1.6
    vol = rng.poisson(mu).astype(float)
    out = cost_table[["origin", "destination"]].assign(volume=vol)
    out = out[(out["volume"] > 0) | (out["origin"] == out["destination"])]
    return out.reset_index(drop=True)


@pytest.fixture(scope="module")
def modelled_pairs(flow_table, cost_table):
    """The modelled set with zeros: every inter-unit pair of the cost table, observed volume."""
    pairs = cost_table[cost_table["origin"] != cost_table["destination"]].merge(
        flow_table, on=["origin", "destination"], how="left").fillna({"volume": 0.0})
    return pairs.reset_index(drop=True)


def _design(pairs, constraint, decay, dense=False):
    """The GLM design spint/statsmodels use: constant, dropped-first dummies, log masses, f(d)."""
    y = pairs["volume"].to_numpy()
    f = np.log(pairs["cost"].to_numpy()) if decay == "power" else pairs["cost"].to_numpy()
    o_tot = pairs.groupby("origin")["volume"].transform("sum").to_numpy()
    d_tot = pairs.groupby("destination")["volume"].transform("sum").to_numpy()
    cols = [np.ones(len(y))]
    if constraint in ("production", "doubly"):
        cols.append(pd.get_dummies(pairs["origin"], drop_first=True, dtype=float).to_numpy())
    if constraint in ("attraction", "doubly"):
        cols.append(pd.get_dummies(pairs["destination"], drop_first=True, dtype=float).to_numpy())
    if constraint in ("unconstrained", "attraction"):
        cols.append(np.log(o_tot)[:, None])
    if constraint in ("unconstrained", "production"):
        cols.append(np.log(d_tot)[:, None])
    cols.append(f[:, None])
    return y, np.column_stack(cols), o_tot, d_tot


def _spint(pairs, constraint, decay):
    from spint.gravity import Attraction, Doubly, Gravity, Production

    y, _, o_tot, d_tot = _design(pairs, constraint, decay)
    y = y.astype(np.int64)
    c = pairs["cost"].to_numpy()
    o = pairs["origin"].to_numpy()
    d = pairs["destination"].to_numpy()
    cf = "pow" if decay == "power" else "exp"
    if constraint == "doubly":
        return Doubly(y, o, d, c, cf)
    if constraint == "production":
        return Production(y, o, d_tot, c, cf)
    if constraint == "attraction":
        return Attraction(y, d, o_tot, c, cf)
    return Gravity(y, o_tot, d_tot, c, cf)


def _statsmodels(pairs, constraint, decay):
    import statsmodels.api as sm

    y, X, _, _ = _design(pairs, constraint, decay)
    return sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200)


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _n_struct(constraint):
    return {"doubly": 1, "production": 2, "attraction": 2, "unconstrained": 4}[constraint]


@pytest.mark.parametrize("decay", DECAYS)
@pytest.mark.parametrize("constraint", CONSTRAINTS)
def test_coefficients_and_errors_equal_statsmodels_glm(flow_table, cost_table, modelled_pairs, constraint, decay):
    res = gravity_model(flow_table, cost_table, constraint=constraint, decay=decay)
    ref = _statsmodels(modelled_pairs, constraint, decay)
    k = _n_struct(constraint)
    # statsmodels' last k columns are the structural terms; the decay enters as +f, ours as -beta f
    sm_params = ref.params[-k:].copy()
    sm_params[-1] *= -1
    ours = res.params.drop("const", errors="ignore").to_numpy()
    theirs = sm_params if constraint != "unconstrained" else sm_params[1:]
    assert _rel(ours, theirs) <= 1e-6
    assert _rel(res.bse.drop("const", errors="ignore"), ref.bse[-k:] if constraint != "unconstrained" else ref.bse[1:]) <= 1e-5
    if constraint == "unconstrained":
        assert _rel([res.params["const"], res.bse["const"]], [ref.params[0], ref.bse[0]]) <= 1e-6
    assert res.llf == pytest.approx(ref.llf, rel=1e-10)
    assert res.aic == pytest.approx(ref.aic, rel=1e-10)
    assert res.n == len(modelled_pairs) and res.k == len(ref.params)
    assert res.converged and res.params["beta"] > 0  # flows fall with cost
    np.testing.assert_allclose(res.pairs["predicted"], ref.fittedvalues, rtol=1e-7)


@pytest.mark.parametrize("decay", DECAYS)
@pytest.mark.parametrize("constraint", CONSTRAINTS)
def test_coefficients_and_fit_statistics_equal_spint(flow_table, cost_table, modelled_pairs, constraint, decay):
    res = gravity_model(flow_table, cost_table, constraint=constraint, decay=decay)
    ref = _spint(modelled_pairs, constraint, decay)
    k = _n_struct(constraint)
    sp_params = np.asarray(ref.params[-k:], dtype=float).copy()
    sp_params[-1] *= -1  # spint reports -beta
    assert _rel(res.params.to_numpy() if constraint == "unconstrained" else res.params.to_numpy(), sp_params) <= 1e-6
    assert res.pseudo_r2 == pytest.approx(ref.pseudoR2, rel=1e-6)
    assert res.adj_pseudo_r2 == pytest.approx(ref.adj_pseudoR2, rel=1e-6)
    assert res.srmse == pytest.approx(ref.SRMSE, rel=1e-6)
    assert res.ssi == pytest.approx(ref.SSI, rel=1e-6)
    assert res.llnull == pytest.approx(ref.llnull, rel=1e-10)


def test_fixed_effects_in_the_reference_coding(flow_table, cost_table, modelled_pairs):
    res = gravity_model(flow_table, cost_table, constraint="doubly")
    ref = _statsmodels(modelled_pairs, "doubly", "power")
    const, n = ref.params[0], N_UNITS
    o_eff = np.concatenate([[const], const + ref.params[1:n]])
    d_eff = np.concatenate([[0.0], ref.params[n:2 * n - 1]])
    np.testing.assert_allclose(res.origin_effects.to_numpy(), o_eff, rtol=1e-7)
    np.testing.assert_allclose(res.destination_effects.to_numpy(), d_eff, rtol=1e-6, atol=1e-9)
    assert res.destination_effects.iloc[0] == 0.0 and res.origin_effects.index[0] == "U00"
    eta = (res.origin_effects.reindex(res.pairs["origin"]).to_numpy()
           + res.destination_effects.reindex(res.pairs["destination"]).to_numpy()
           - res.beta * np.log(res.pairs["cost"].to_numpy()))
    np.testing.assert_allclose(np.exp(eta), res.pairs["predicted"], rtol=1e-10)


@pytest.mark.parametrize("decay", DECAYS)
def test_conjugate_gradient_path_equals_dense_path(modelled_pairs, decay):
    y = modelled_pairs["volume"].to_numpy()
    f = np.log(modelled_pairs["cost"].to_numpy()) if decay == "power" else modelled_pairs["cost"].to_numpy()
    oi = pd.factorize(modelled_pairs["origin"], sort=True)[0]
    di = pd.factorize(modelled_pairs["destination"], sort=True)[0]
    kw = dict(ia=oi, na=N_UNITS, ig=di, ng=N_UNITS)
    dense = poisson_fe_irls(y, -f[:, None], **kw)
    cg = poisson_fe_irls(y, -f[:, None], dense_max=0, **kw)
    assert _rel(cg.b, dense.b) <= 1e-9 and _rel(np.diag(cg.cov_b), np.diag(dense.cov_b)) <= 1e-8
    np.testing.assert_allclose(cg.mu, dense.mu, rtol=1e-8)


@pytest.mark.parametrize("decay", DECAYS)
@pytest.mark.parametrize("constraint", ["doubly", "production", "attraction"])
def test_constrained_fits_reproduce_their_marginals(flow_table, cost_table, constraint, decay):
    p = gravity_model(flow_table, cost_table, constraint=constraint, decay=decay).pairs
    if constraint in ("production", "doubly"):
        out = p.groupby("origin")[["observed", "predicted"]].sum()
        np.testing.assert_allclose(out["predicted"], out["observed"], rtol=1e-8)
    if constraint in ("attraction", "doubly"):
        inn = p.groupby("destination")[["observed", "predicted"]].sum()
        np.testing.assert_allclose(inn["predicted"], inn["observed"], rtol=1e-8)
    assert p["predicted"].sum() == pytest.approx(p["observed"].sum(), rel=1e-8)


def test_zero_pairs_enter_as_zeros_by_default(flow_table, cost_table, modelled_pairs):
    res = gravity_model(flow_table, cost_table)
    n_zero = int((modelled_pairs["volume"] == 0).sum())
    assert n_zero > 50  # the fixture really has zeros
    assert len(res.pairs) == res.n == N_UNITS * (N_UNITS - 1)
    assert int((res.pairs["observed"] == 0).sum()) == n_zero
    assert "zeros included" in res.variant and f"{n_zero} with volume 0" in res.notes[0]


def test_include_zeros_false_fits_positive_pairs_only(flow_table, cost_table, modelled_pairs):
    res = gravity_model(flow_table, cost_table, include_zeros=False)
    positive = modelled_pairs[modelled_pairs["volume"] > 0].reset_index(drop=True)
    ref = _statsmodels(positive, "doubly", "power")
    assert res.n == len(positive) and "zero flows excluded" in res.variant
    assert res.beta == pytest.approx(-ref.params[-1], rel=1e-6)
    assert res.beta != pytest.approx(gravity_model(flow_table, cost_table).beta, rel=1e-3)


def test_predicted_is_on_the_flow_rows(flow_table, cost_table):
    res = gravity_model(flow_table, cost_table)
    assert res.predicted.index.equals(flow_table.index)
    intra = (flow_table["origin"] == flow_table["destination"]).to_numpy()
    assert res.predicted[intra].isna().all() and res.predicted[~intra].notna().all()
    back = flow_table[~intra].merge(res.pairs, on=["origin", "destination"])
    np.testing.assert_allclose(res.predicted[~intra].to_numpy(), back["predicted"].to_numpy())


def test_unit_without_outflow_is_predicted_zero_and_left_out(flow_table, cost_table, modelled_pairs):
    silent = flow_table[flow_table["origin"] != "U03"]
    res = gravity_model(silent, cost_table, constraint="production")
    rows = res.pairs["origin"] == "U03"
    assert (res.pairs.loc[rows, "predicted"] == 0).all() and res.pairs.loc[rows, "std_resid"].isna().all()
    assert res.n == len(res.pairs) - rows.sum() and any("U03" in note for note in res.notes)
    ref = _statsmodels(modelled_pairs[modelled_pairs["origin"] != "U03"], "production", "power")
    assert res.beta == pytest.approx(-ref.params[-1], rel=1e-6)


def test_population_masses(flow_table, cost_table, population, modelled_pairs):
    import statsmodels.api as sm

    res = gravity_model(flow_table, cost_table, constraint="unconstrained",
                        origin_mass=population, destination_mass=population)
    p = modelled_pairs
    X = np.column_stack([np.ones(len(p)), np.log(population.reindex(p["origin"]).to_numpy()),
                         np.log(population.reindex(p["destination"]).to_numpy()), -np.log(p["cost"].to_numpy())])
    ref = sm.GLM(p["volume"].to_numpy(), X, family=sm.families.Poisson()).fit(tol=1e-13)
    assert _rel(res.params.to_numpy(), ref.params) <= 1e-6
    # the truth had exponents 0.8, 0.7 and decay 1.6
    assert res.params["origin_mass"] == pytest.approx(0.8, abs=0.1)
    assert res.beta == pytest.approx(1.6, abs=0.15)


def test_standardised_residuals(flow_table, cost_table):
    p = gravity_model(flow_table, cost_table).pairs
    np.testing.assert_allclose(p["std_resid"], (p["observed"] - p["predicted"]) / np.sqrt(p["predicted"]))


def test_underflow_by_group(flow_table, cost_table, unit_ids):
    res = gravity_model(flow_table, cost_table)
    groups = pd.Series(np.where(np.arange(N_UNITS) < 5, "urban", "rural"), index=unit_ids)
    table = underflow(res, groups, threshold=-1.0)
    assert set(table.index) == {("urban", "urban"), ("urban", "rural"), ("rural", "urban"), ("rural", "rural")}
    p = res.pairs.assign(og=res.pairs["origin"].map(groups), dg=res.pairs["destination"].map(groups))
    sub = p[(p["og"] == "rural") & (p["dg"] == "urban") & (p["std_resid"] <= -1.0)]
    row = table.loc[("rural", "urban")]
    assert row["pairs"] == len(sub) > 0 and row["of_pairs"] == 5 * 20
    assert row["ratio"] == pytest.approx(sub["observed"].sum() / sub["predicted"].sum())
    assert row["ratio"] < 1
    with pytest.raises(DataError, match="no label for 20 unit"):
        underflow(res, groups.iloc[:5])


def test_missing_cost_pairs_are_named_and_counted(flow_table, cost_table):
    short = cost_table[~cost_table["origin"].isin(["U01", "U02"])]
    n_lost = int(flow_table["origin"].isin(["U01", "U02"]).sum()
                 - ((flow_table["origin"] == flow_table["destination"]) & flow_table["origin"].isin(["U01", "U02"])).sum())
    with pytest.raises(DataError, match=rf"{n_lost} flow pair\(s\) have no cost \(U01->"):
        gravity_model(flow_table, short)


def test_negative_volumes_and_bad_costs_are_refused(flow_table, cost_table):
    neg = flow_table.copy()
    neg.loc[[3, 5], "volume"] = -1.0
    with pytest.raises(DataError, match=r"volume must be >= 0; 2 row\(s\)"):
        gravity_model(neg, cost_table)
    zero = cost_table.copy()
    zero.loc[zero.index[1], "cost"] = 0.0
    with pytest.raises(DataError, match=r"cost must be > 0 for decay='power'.*U00->U01"):
        gravity_model(flow_table, zero)
    assert gravity_model(flow_table, zero, decay="exponential").converged
    nan = cost_table.copy()
    nan.loc[nan.index[2], "cost"] = np.nan
    with pytest.raises(DataError, match="cost.cost has 1 missing"):
        gravity_model(flow_table, nan)


def test_too_few_units_and_other_misuse(flow_table, cost_table, population):
    two = cost_table[cost_table["origin"].isin(["U00", "U01"]) & cost_table["destination"].isin(["U00", "U01"])]
    with pytest.raises(DataError, match="at least 3 units with flows; the modelled pairs join 2"):
        gravity_model(flow_table[flow_table["origin"].isin(["U00", "U01"]) & flow_table["destination"].isin(["U00", "U01"])], two)
    three = ["U00", "U01", "U02"]
    c3 = cost_table[cost_table["origin"].isin(three) & cost_table["destination"].isin(three)]
    f3 = flow_table[flow_table["origin"].isin(three) & flow_table["destination"].isin(three)]
    with pytest.raises(DataError, match="6 parameters for 6 pairs"):
        gravity_model(f3, c3)
    with pytest.raises(DataError, match="duplicated origin-destination"):
        gravity_model(pd.concat([flow_table, flow_table.iloc[[10]]]), cost_table)
    with pytest.raises(DataError, match="origin_mass is not used by the doubly"):
        gravity_model(flow_table, cost_table, origin_mass=population)
    with pytest.raises(DataError, match=r"origin_mass has no value \(or NaN\) for 1 unit\(s\): U00"):
        gravity_model(flow_table, cost_table, constraint="attraction", origin_mass=population.iloc[1:])
    with pytest.raises(DataError, match="no column 'volume'"):
        gravity_model(flow_table.rename(columns={"volume": "count"}), cost_table)
    with pytest.raises(UnknownNameError, match="did you mean 'production'"):
        gravity_model(flow_table, cost_table, constraint="productoin")
    holes = flow_table.astype({"origin": object})
    holes.loc[4, "origin"] = None
    with pytest.raises(DataError, match=r"flows.origin has 1 missing id\(s\) \(first rows: 4\)"):
        gravity_model(holes, cost_table)
    flat = cost_table.assign(cost=5.0)
    with pytest.raises(DataError, match="collinear"):
        gravity_model(flow_table, flat, decay="exponential")
