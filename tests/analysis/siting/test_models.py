"""Siting models: brute force on small instances, spopt on medium ones, heuristics within
their bounds, capacities, existing sites, refusals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from urbanrural.analysis.siting import models as sm
from urbanrural.geo.errors import DataError


def _instance(n_pts: int, n_sites: int, *, seed: int, cutoff: float | None, side: float = 10.0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, side, (n_pts, 2))
    s = rng.uniform(0, side, (n_sites, 2))
    dist = np.hypot(p[:, None, 0] - s[None, :, 0], p[:, None, 1] - s[None, :, 1]) * 3.0  # minutes
    pts = [f"p{i:03d}" for i in range(n_pts)]
    sites = [f"s{j:03d}" for j in range(n_sites)]
    i, j = np.nonzero(dist <= (np.inf if cutoff is None else cutoff))
    od = pd.DataFrame({"origin": np.array(pts)[i], "destination": np.array(sites)[j],
                       "cost": dist[i, j]})
    demand = pd.Series(rng.integers(1, 100, n_pts).astype(float), index=pts)
    return od, demand, dist, sites


@pytest.fixture
def small_sparse():
    """(od, demand, dense minutes, site ids): 14 points x 8 sites, pairs within 15 min."""
    return _instance(14, 8, seed=3, cutoff=15.0)


@pytest.fixture
def small_full():
    """12 points x 7 sites, every pair present."""
    return _instance(12, 7, seed=5, cutoff=None)


@pytest.fixture
def medium_full():
    """300 points x 60 sites, every pair (spopt needs the full matrix)."""
    return _instance(300, 60, seed=11, cutoff=None, side=30.0)


def _matrix(od, demand, sites):
    m = np.full((len(demand), len(sites)), np.inf)
    pi = pd.Index(demand.index).get_indexer(od["origin"])
    sj = pd.Index(sites).get_indexer(od["destination"])
    m[pi, sj] = od["cost"].to_numpy()
    return m


def _subsets(sites, existing, k):
    free = [s for s in sites if s not in existing]
    for sub in itertools.combinations(free, k):
        yield [sites.index(s) for s in list(sub) + list(existing)]


def _brute_mclp(m, a, sites, k, r, existing=()):
    return max(a[(m[:, cols] <= r).any(axis=1)].sum() for cols in _subsets(sites, existing, k))


def _flow(m, a, cols, cap, *, r=None, minimise_cost=False):
    """LP over split assignments to the open sites ``cols``: max served (r) or min cost."""
    pairs = [(i, j) for i in range(len(a)) for j in cols if np.isfinite(m[i, j]) and
             (r is None or m[i, j] <= r)]
    if not pairs:
        return 0.0 if not minimise_cost else np.inf
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for i in range(len(a)):
        row = [1.0 if p[0] == i else 0.0 for p in pairs]
        (a_eq if minimise_cost else a_ub).append(row)
        (b_eq if minimise_cost else b_ub).append(1.0)
    for j in cols:
        a_ub.append([a[p[0]] if p[1] == j else 0.0 for p in pairs])
        b_ub.append(cap[j])
    if minimise_cost:
        res = linprog([a[i] * m[i, j] for i, j in pairs], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq,
                      b_eq=b_eq, bounds=(0, 1), method="highs")
        return res.fun if res.status == 0 else np.inf
    res = linprog([-a[i] for i, _ in pairs], A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    return -res.fun


def _pm_cost(m, a, cols):
    return float((a * m[:, cols].min(axis=1)).sum())


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("existing", [(), ("s001",)])
def test_mclp_equals_brute_force(small_sparse, k, existing):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    r = sm.mclp(od, demand, k=k, max_cost=10.0, existing=list(existing), solver="highs")
    assert r.objective == pytest.approx(_brute_mclp(m, a, sites, k, 10.0, existing), abs=1e-9)
    assert set(existing) == set(r.existing) and not set(existing) & set(r.selected)
    assert len(r.selected) <= k
    assert r.covered.sum() == (m[:, [sites.index(s) for s in [*r.selected, *existing]]] <= 10).any(1).sum()


def test_mclp_budget_equals_brute_force(small_sparse):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    cost = pd.Series(np.arange(1.0, 9.0), index=sites)
    best = 0.0
    for n in range(1, 9):
        for cols in itertools.combinations(range(8), n):
            if cost.iloc[list(cols)].sum() <= 7.0:
                best = max(best, a[(m[:, list(cols)] <= 10).any(axis=1)].sum())
    r = sm.mclp(od, demand, cost=cost, budget=7.0, max_cost=10.0, solver="highs")
    assert r.objective == pytest.approx(best, abs=1e-9)
    assert cost[r.selected].sum() <= 7.0


@pytest.mark.parametrize("existing", [(), ("s002",)])
def test_capacitated_mclp_equals_brute_force(small_sparse, existing):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    cap = pd.Series(np.linspace(80, 200, 8), index=sites)
    best = max(_flow(m, a, cols, cap.to_numpy(), r=10.0) for cols in _subsets(sites, existing, 2))
    r = sm.mclp(od, demand, k=2, max_cost=10.0, capacity=cap, existing=list(existing))
    assert r.objective == pytest.approx(best, rel=1e-7)
    used = r.assignment.groupby("site")["demand"].sum()
    assert (used <= cap[used.index] + 1e-6).all()
    assert (r.assignment["cost"] <= 10.0).all()
    assert r.assignment["demand"].sum() == pytest.approx(r.objective)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("existing", [(), ("s004",)])
def test_p_median_equals_brute_force(small_full, k, existing):
    od, demand, _, sites = small_full
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    best = min(_pm_cost(m, a, cols) for cols in _subsets(sites, existing, k))
    for solver in ("highs", "heuristic"):
        r = sm.p_median(od, demand, k=k, existing=list(existing), solver=solver)
        assert r.bound <= best + 1e-9
        if solver == "highs":
            assert r.objective == pytest.approx(best, abs=1e-9)
        assert r.objective == pytest.approx(r.assignment.eval("cost * demand").sum())


def test_p_median_sparse_equals_brute_force(small_sparse):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    vals = [_pm_cost(m, a, cols) for cols in _subsets(sites, (), 4)]
    r = sm.p_median(od, demand, k=4, unreachable="drop")
    assert r.objective == pytest.approx(min(vals), abs=1e-9)


def test_capacitated_p_median_equals_brute_force(small_full):
    od, demand, _, sites = small_full
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    cap = pd.Series(a.sum() / 2.5, index=sites)
    best = min(_flow(m, a, cols, cap.to_numpy(), minimise_cost=True)
               for cols in _subsets(sites, ("s000",), 2))
    r = sm.p_median(od, demand, k=2, capacity=cap, existing=["s000"])
    assert r.objective == pytest.approx(best, rel=1e-7)
    used = r.assignment.groupby("site")["demand"].sum()
    assert (used <= cap[used.index] + 1e-6).all()
    assert r.covered.all()


@pytest.mark.parametrize("existing", [(), ("s003",)])
def test_lscp_equals_brute_force(small_sparse, existing):
    od, demand, _, sites = small_sparse
    m = _matrix(od, demand, sites)
    coverable = (m <= 8.0).any(axis=1)
    best = next(k for k in range(0, 9) if any(
        ((m[:, cols] <= 8.0).any(axis=1) | ~coverable).all() for cols in _subsets(sites, existing, k)))
    r = sm.lscp(od, demand, max_cost=8.0, existing=list(existing))
    assert r.objective == best == len(r.selected)
    assert set(r.uncoverable) == set(demand.index[~coverable])
    assert r.covered[coverable].all()


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("existing", [(), ("s006",)])
def test_p_center_equals_brute_force(small_full, k, existing):
    od, demand, _, sites = small_full
    m = _matrix(od, demand, sites)
    best = min(m[:, cols].min(axis=1).max() for cols in _subsets(sites, existing, k))
    r = sm.p_center(od, demand, k=k, existing=list(existing))
    assert r.objective == pytest.approx(best, abs=1e-12)
    assert r.assignment["cost"].max() == pytest.approx(best)


# --------------------------------------------------------------------------- spopt


def _pulp_highs():
    pulp = pytest.importorskip("pulp")
    return pulp.HiGHS(msg=False, gapRel=0.0)


def test_mclp_matches_spopt(medium_full):
    from spopt.locate import MCLP

    od, demand, dist, _ = medium_full
    ref = MCLP.from_cost_matrix(dist, demand.to_numpy(), service_radius=15.0, p_facilities=8)
    ref.solve(_pulp_highs())
    r = sm.mclp(od[od["cost"] <= 40], demand, k=8, max_cost=15.0, solver="highs")
    assert r.objective == pytest.approx(ref.problem.objective.value(), abs=1e-9)


def test_mclp_existing_matches_spopt(medium_full):
    from spopt.locate import MCLP

    od, demand, dist, sites = medium_full
    pre = np.zeros(len(sites), dtype=bool)
    pre[[3, 17]] = True
    ref = MCLP.from_cost_matrix(dist, demand.to_numpy(), service_radius=12.0, p_facilities=8,
                                predefined_facilities_arr=pre)
    ref.solve(_pulp_highs())
    r = sm.mclp(od, demand, k=6, max_cost=12.0, existing=[sites[3], sites[17]])
    assert r.objective == pytest.approx(ref.problem.objective.value(), abs=1e-9)


def test_p_median_matches_spopt(medium_full):
    from spopt.locate import PMedian

    od, demand, dist, _ = medium_full
    ref = PMedian.from_cost_matrix(dist, demand.to_numpy(), p_facilities=6)
    ref.solve(_pulp_highs())
    r = sm.p_median(od, demand, k=6, solver="highs")
    assert r.objective == pytest.approx(ref.problem.objective.value(), rel=1e-12, abs=1e-9)


def test_lscp_matches_spopt(medium_full):
    from spopt.locate import LSCP

    od, demand, dist, _ = medium_full
    r = float(np.ceil(dist.min(axis=1).max()))  # every point coverable (spopt refuses otherwise)
    ref = LSCP.from_cost_matrix(dist, service_radius=r)
    ref.solve(_pulp_highs())
    ours = sm.lscp(od, demand, max_cost=r)
    assert ours.objective == ref.problem.objective.value() and ours.covered.all()


def test_p_center_matches_spopt(medium_full):
    from spopt.locate import PCenter

    od, demand, dist, _ = medium_full
    sub = dist[:120, :30]
    ref = PCenter.from_cost_matrix(sub, p_facilities=4)
    ref.solve(_pulp_highs())
    keep = od["origin"].isin(demand.index[:120]) & od["destination"].isin([f"s{j:03d}" for j in range(30)])
    r = sm.p_center(od[keep], demand.iloc[:120], k=4)
    assert r.objective == pytest.approx(ref.problem.objective.value(), abs=1e-9)


# --------------------------------------------------------------------------- heuristics


@pytest.mark.parametrize("k", [3, 10])
def test_mclp_heuristic_within_bound(medium_full, k):
    od, demand, _, _ = medium_full
    exact = sm.mclp(od, demand, k=k, max_cost=8.0, solver="highs")
    heur = sm.mclp(od, demand, k=k, max_cost=8.0, solver="heuristic")
    assert heur.solver == "heuristic" and heur.status == "heuristic"
    assert heur.objective <= exact.objective + 1e-9 <= heur.bound + 2e-9
    assert heur.objective >= heur.bound * (1 - heur.gap) - 1e-6
    assert heur.objective >= (1 - 1 / math.e) * exact.objective
    assert len(heur.selected) <= k


def test_mclp_greedy_guarantee(small_sparse):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    for k in (1, 2, 3):
        heur = sm.mclp(od, demand, k=k, max_cost=10.0, solver="heuristic")
        opt = _brute_mclp(m, a, sites, k, 10.0)
        assert (1 - 1 / math.e) * opt <= heur.objective <= opt + 1e-9 <= heur.bound + 2e-9


@pytest.mark.parametrize("existing", [[], ["s010", "s020"]])
def test_p_median_heuristic_within_bound(medium_full, existing):
    od, demand, _, _ = medium_full
    exact = sm.p_median(od, demand, k=5, existing=existing, solver="highs")
    heur = sm.p_median(od, demand, k=5, existing=existing, solver="heuristic")
    assert heur.bound <= exact.objective + 1e-6 <= heur.objective + 2e-6
    assert heur.bound == pytest.approx(heur.objective * (1 - heur.gap))
    assert heur.gap < 0.05
    assert set(existing) <= set(heur.assignment["site"]) | set(heur.existing)


def test_lscp_heuristic_bound(medium_full):
    od, demand, _, _ = medium_full
    heur = sm.lscp(od, demand, max_cost=14.0, solver="heuristic")
    exact = sm.lscp(od, demand, max_cost=14.0)
    assert heur.bound <= exact.objective <= heur.objective
    assert heur.covered.drop(heur.uncoverable).all() and len(heur.uncoverable)


def test_auto_switches_to_heuristic(monkeypatch, medium_full):
    od, demand, _, _ = medium_full
    monkeypatch.setitem(sm.AUTO_EXACT_PAIRS, "mclp", 10)
    assert sm.mclp(od, demand, k=3, max_cost=8.0).solver == "heuristic"


# --------------------------------------------------------------------------- curve


def test_curve_exact_and_greedy(small_sparse):
    od, demand, _, sites = small_sparse
    m, a = _matrix(od, demand, sites), demand.to_numpy()
    ex = sm.curve(od, demand, model="mclp", k_max=3, max_cost=10.0, method="exact")
    assert ex["objective"].tolist() == pytest.approx([_brute_mclp(m, a, sites, k, 10.0) for k in (1, 2, 3)])
    assert ex["gain"].iloc[1:].tolist() == pytest.approx(np.diff(ex["objective"]).tolist())
    gr = sm.curve(od, demand, model="mclp", k_max=3, max_cost=10.0, method="greedy")
    assert (gr["objective"] <= ex["objective"] + 1e-9).all()
    assert (np.diff(gr["objective"]) >= 0).all()
    pm = sm.curve(od, demand, model="p_median", k_max=5, unreachable="drop")
    assert pm["objective"].isna().iloc[0]  # one site cannot serve every reachable point
    assert (np.diff(pm["objective"].dropna()) <= 1e-9).all()
    pg = sm.curve(od, demand, model="p_median", k_max=5, unreachable="drop", method="greedy")
    assert (pg["objective"].dropna() >= pm["objective"].dropna() - 1e-9).all()


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"k": 0, "max_cost": 10.0}, "whole number >= 1"),
    ({"k": 99, "max_cost": 10.0}, "only 8 candidate"),
    ({"k": 2, "max_cost": 0.1}, "no candidate site is within max_cost"),
    ({"k": 2, "max_cost": -1.0}, "max_cost must be a positive"),
    ({"k": 2, "max_cost": 10.0, "existing": ["nowhere"]}, "not destinations in od"),
    ({"k": 2, "max_cost": 10.0, "existing": "s001"}, "list of site ids"),
    ({"max_cost": 10.0, "cost": "per-site", "budget": 0.5}, "below the cheapest"),
    ({"max_cost": 10.0}, "give k"),
    ({"k": 2, "max_cost": 10.0, "solver": "cplex"}, "not one of 'auto', 'highs', 'heuristic'"),
    ({"k": 2, "max_cost": 10.0, "capacity": "per-site", "solver": "heuristic"}, "capacities"),
])
def test_mclp_refuses(small_sparse, kwargs, match):
    od, demand, _, sites = small_sparse
    for key in ("cost", "capacity"):
        if kwargs.get(key) == "per-site":
            kwargs = {**kwargs, key: pd.Series(1.0, index=sites)}
    with pytest.raises(DataError, match=match):
        sm.mclp(od, demand, **kwargs)


def test_negative_values_refused(small_sparse):
    od, demand, _, _ = small_sparse
    bad = od.copy()
    bad.loc[0, "cost"] = -1.0
    with pytest.raises(DataError, match="negative cost"):
        sm.p_median(bad, demand, k=2)
    neg = demand.copy()
    neg.iloc[0] = -5
    with pytest.raises(DataError, match="negative value"):
        sm.lscp(od, neg, max_cost=10.0)
    with pytest.raises(DataError, match="no od origin is a demand id"):
        sm.mclp(od, demand.set_axis(range(len(demand))), k=1, max_cost=10.0)


def test_p_median_unreachable(small_sparse):
    od, demand, _, _ = small_sparse
    demand = pd.concat([demand, pd.Series({"far": 7.0})])
    with pytest.raises(DataError, match=r"1 demand point\(s\).*larger cutoff"):
        sm.p_median(od, demand, k=4)
    r = sm.p_median(od, demand, k=4, unreachable="drop")
    assert list(r.uncoverable) == ["far"] and any("left out" in n for n in r.notes)
    assert not r.covered["far"]


def test_p_median_infeasible_k(small_sparse):
    od, demand, _, _ = small_sparse
    with pytest.raises(DataError, match="cannot reach every demand point"):
        sm.p_median(od, demand, k=1, unreachable="drop")
    with pytest.raises(DataError, match="cannot reach every demand point"):
        sm.p_center(od, demand, k=1, unreachable="drop")


def test_capacity_too_small(small_full):
    od, demand, _, sites = small_full
    with pytest.raises(DataError, match="capacities"):
        sm.p_median(od, demand, k=2, capacity=pd.Series(1.0, index=sites))
    with pytest.raises(DataError, match="capacity is missing"):
        sm.p_median(od, demand, k=2, capacity=pd.Series(1.0, index=sites[:3]))


def test_result_repr_and_fields(small_sparse):
    od, demand, _, _ = small_sparse
    r = sm.mclp(od, demand, k=2, max_cost=10.0)
    assert "SitingResult(model='mclp'" in repr(r)
    assert r.status == "optimal" and r.gap == 0.0 and r.bound == pytest.approx(r.objective)
    assert list(r.assignment.columns) == ["origin", "site", "cost", "demand"]
    assert r.covered.index.equals(demand.index) and r.runtime_s > 0
