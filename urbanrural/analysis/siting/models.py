"""Facility siting: MCLP, p-median, LSCP, p-center on a sparse OD table (METHODS.md, Siting).

Inputs, for every model
-----------------------
``od``
    DataFrame ``origin``, ``destination``, ``cost`` (minutes).  Only pairs within the
    accessibility cutoff are present; a missing pair means "beyond reach" (never served
    by that site).  Duplicate pairs keep their lowest cost.  Origins are demand points,
    destinations are the candidate sites *and* the existing sites.
``demand``
    Series of weights (people) by origin id.  OD rows whose origin is not in ``demand``
    are ignored (counted in ``.notes``).  Points with zero demand weigh nothing: they are
    left out of every model (also LSCP and p-center) and only reported in ``.covered``.
``existing``
    Ids of sites already open; each must be a destination in ``od``.  They are fixed open
    (``x_j = 1``): they serve/cover demand, they are never closed or swapped out, and they
    do **not** count toward ``k`` (nor the budget): ``k`` is the number of *new* sites.
    ``.selected`` lists only new sites; ``.existing`` the existing ones.

Models and their exact formulations (HiGHS through ``highspy``, see ``_milp.py``)
-------------------------------------------------------------------------------
- :func:`mclp` (Church & ReVelle 1974): max covered demand within ``max_cost`` with at
  most ``k`` new sites (or per-site ``cost`` and a ``budget``).  Only pairs within
  ``max_cost`` enter.  Exact reductions first: points covered by an existing site are set
  apart (covered whatever happens), points with identical sets of covering candidates
  are merged, candidates whose covered set is contained in another's (at no lower cost)
  are dropped.  ``y`` are continuous (integral at an optimum).  Capacitated (``capacity``
  per site, existing included): assignment columns ``z_ij`` (share of point i's demand
  served by j, *may be split* between sites), ``sum_j z_ij <= 1``, ``z_ij <= x_j``,
  ``sum_i a_i z_ij <= C_j x_j``; objective ``max sum a_i z_ij`` (covered = served people).
- :func:`p_median` (ReVelle & Swain 1970): min demand-weighted minutes, every point
  assigned to an open site it can reach.  Reduction: a point's pairs no nearer than its
  nearest existing site are dropped (exact without capacities).  Capacitated: ``sum_i a_i
  z_ij <= C_j x_j`` with split assignment.  Points with no reachable site at all: refused
  (``unreachable="raise"``, default) or left out and listed (``"drop"``).
- :func:`lscp` (Toregas et al. 1971): fewest new sites covering every coverable point;
  points with no site within ``max_cost`` are reported in ``.uncoverable``.
- :func:`p_center`: min over site sets of the longest trip to the nearest open site.
  Solved exactly as a search over the distinct costs: the optimum is the smallest radius
  whose set-covering problem needs at most ``k`` new sites (greedy first, a MILP when the
  greedy needs more than ``k``).  Unweighted, as in spopt (demand only decides who counts).

At most ``k`` new sites are opened: when fewer already reach the best objective (extra
sites would add nothing), fewer are returned and ``.notes`` says so.

Solvers
-------
``solver="highs"``: exact (gap 0; ``time_limit`` stops early with ``status="time_limit"``
and HiGHS's gap).  ``"heuristic"`` (MCLP, p-median, LSCP): greedy + swap improvement
(Teitz-Bart for p-median) with a Lagrangian/LP bound in ``.bound`` and
``.gap = |objective - bound| / max(objective, bound)``, so ``objective >= bound * (1 -
gap)`` for MCLP and ``bound = objective * (1 - gap)`` for p-median.  ``"auto"``: exact up to
:data:`AUTO_EXACT_PAIRS` pairs after reduction, the heuristic above (LSCP, p-center: always
exact; capacitated models: always exact).

Examples
--------
>>> import pandas as pd
>>> od = pd.DataFrame({"origin": ["a", "a", "b", "c", "c"],
...                    "destination": ["s1", "s2", "s2", "s2", "s3"],
...                    "cost": [5.0, 25.0, 10.0, 20.0, 8.0]})
>>> demand = pd.Series({"a": 100.0, "b": 50.0, "c": 80.0})
>>> r = mclp(od, demand, k=1, max_cost=30)
>>> list(r.selected), r.objective, r.solver
(['s2'], 230.0, 'highs')
>>> p_median(od, demand, k=2).objective
2600.0
>>> lscp(od, demand, max_cost=15, existing=["s1"]).selected.tolist()
['s2', 's3']
>>> p_center(od, demand, k=2).objective
20.0
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError
from ...geo.validate import preview
from . import _heuristics as H
from . import _milp as M

__all__ = ["SitingResult", "mclp", "p_median", "lscp", "p_center", "curve", "AUTO_EXACT_PAIRS",
           "CURVE_EXACT_WORK"]

#: ``solver="auto"`` solves exactly when the reduced problem has at most this many
#: (point/group, site) pairs, and uses the heuristic above.
AUTO_EXACT_PAIRS = {"mclp": 2_000_000, "p_median": 500_000, "lscp": 10**12, "p_center": 10**12}
SOLVERS = ("auto", "highs", "heuristic")
UNREACHABLE = ("raise", "drop")


@dataclass(frozen=True, repr=False)
class SitingResult:
    """A siting solution.

    ``selected``: new sites opened; ``existing``: sites kept open; ``objective``: covered
    people (MCLP, existing sites' coverage included), person-minutes (p-median), number of
    new sites (LSCP) or the longest trip in minutes (p-center); ``covered``: per demand
    point, True when its whole demand is covered/served by an open site (within
    ``max_cost`` for MCLP/LSCP); ``assignment``: ``origin, site, cost, demand`` (people
    served; split rows only with capacities), nearest open site per served point;
    ``uncoverable``: demand points no site can reach (left out); ``bound``: best bound on
    the optimum; ``gap``: ``|objective - bound| / max(|objective|, |bound|)``.
    """

    model: str
    selected: pd.Index
    existing: pd.Index
    objective: float
    covered: pd.Series
    assignment: pd.DataFrame
    solver: str
    status: str
    gap: float
    bound: float
    runtime_s: float
    uncoverable: pd.Index = field(default_factory=lambda: pd.Index([]))
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (f"SitingResult(model={self.model!r}, selected={len(self.selected)} new "
                f"{preview(self.selected, 4)}, existing={len(self.existing)}, "
                f"objective={self.objective:.6g}, solver={self.solver!r}, status={self.status!r}, "
                f"gap={self.gap:.3g}, runtime_s={self.runtime_s:.3g})")


@dataclass(frozen=True)
class _Data:
    points: pd.Index
    a: NDArray[np.float64]
    sites: pd.Index
    fixed: NDArray[np.bool_]
    o: NDArray[np.intp]
    d: NDArray[np.intp]
    c: NDArray[np.float64]
    notes: list[str]

    @property
    def n_i(self) -> int:
        return len(self.points)

    @property
    def n_j(self) -> int:
        return len(self.sites)


# --------------------------------------------------------------------------- checks


def _prepare(od: pd.DataFrame, demand: pd.Series, *, existing: Iterable[object] | None,
             max_cost: float | None, model: str) -> _Data:
    """Check the inputs (every problem collected, one DataError) and code them as integers."""
    if not isinstance(od, pd.DataFrame):
        raise DataError(f"{model}: od must be a DataFrame with columns origin, destination, cost "
                        f"(minutes); got {type(od).__name__}")
    missing = [c for c in ("origin", "destination", "cost") if c not in od.columns]
    if missing:
        raise DataError(f"{model}: od lacks column(s) {missing}; it needs origin, destination, "
                        f"cost (minutes) (it has {preview(od.columns, 8)})")
    if not isinstance(demand, pd.Series):
        raise DataError(f"{model}: demand must be a Series of people by origin id; "
                        f"got {type(demand).__name__}")
    problems: list[str] = []
    cost = pd.to_numeric(od["cost"], errors="coerce").to_numpy(dtype=float)
    bad = ~(cost >= 0) | ~np.isfinite(cost)
    if bad.any():
        problems.append(f"od has {int(bad.sum())} NaN, infinite or negative cost(s) (origins "
                        f"{preview(od['origin'][bad])}); costs are minutes >= 0 and unreachable "
                        "pairs are left out of the table")
    a = pd.to_numeric(demand, errors="coerce").to_numpy(dtype=float)
    bad_a = ~np.isfinite(a) | (a < 0)
    if bad_a.any():
        problems.append(f"demand has {int(bad_a.sum())} missing, infinite or negative value(s) at "
                        f"{preview(demand.index[bad_a])}; give people >= 0")
    if not demand.index.is_unique:
        problems.append(f"demand has duplicate ids {preview(demand.index[demand.index.duplicated()])}; "
                        "sum them first (demand.groupby(level=0).sum())")
    if max_cost is not None and not (np.isfinite(max_cost) and max_cost > 0):
        problems.append(f"max_cost must be a positive number of minutes; got {max_cost!r}")
    if problems:
        raise DataError(f"{model} cannot run: " + "; ".join(problems))
    notes: list[str] = []
    points = pd.Index(demand.index)
    o = _codes(points, od["origin"])
    d, sites = pd.factorize(od["destination"])
    sites = pd.Index(sites)
    keep = o >= 0
    if not keep.any():
        raise DataError(f"{model}: no od origin is a demand id (od origins "
                        f"{preview(pd.unique(od['origin']), 3)}, demand ids {preview(points, 3)}); "
                        "index demand by the od origin ids (same type: text)")
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} OD row(s) from origins not in demand were ignored")
    fixed = np.zeros(len(sites), dtype=bool)
    ex = list(dict.fromkeys(existing)) if existing is not None else []
    if isinstance(existing, str):
        raise DataError(f"{model}: existing must be a list of site ids, not the string {existing!r}; "
                        f"write existing=[{existing!r}]")
    if ex:
        pos = sites.get_indexer(ex)
        if (pos < 0).any():
            raise DataError(f"{model}: existing site(s) {preview([e for e, p in zip(ex, pos, strict=True) if p < 0])} "
                            "are not destinations in od; add their OD rows (pairs within the cutoff) "
                            "or leave them out of existing")
        fixed[pos] = True
    if max_cost is not None:
        keep &= cost <= max_cost
    o, d, c = o[keep], d[keep], cost[keep]
    if len(o) == 0:
        raise DataError(f"{model}: no candidate site is within max_cost={max_cost} minutes of any "
                        "demand point; raise max_cost or check the OD table")
    key = o.astype(np.int64) * len(sites) + d
    order = np.lexsort((c, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    return _Data(points, a, sites, fixed, o[sel], d[sel], c[sel], notes)


def _codes(index: pd.Index, col: pd.Series) -> NDArray[np.intp]:
    """Positions of ``col`` in ``index`` (-1: absent); categorical columns via their codes."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        m = np.append(index.get_indexer(col.cat.categories), -1)
        return m[col.cat.codes.to_numpy()]  # code -1 (missing) picks the appended -1
    return index.get_indexer(col)


def _check_solver(solver: str, model: str) -> None:
    if solver not in SOLVERS:
        raise DataError(f"{model}: solver={solver!r} is not one of {', '.join(map(repr, SOLVERS))}")


def _check_k(k: object, data: _Data, model: str) -> int:
    n_free = int((~data.fixed).sum())
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise DataError(f"{model}: k is the number of new sites, a whole number >= 1; got {k!r}")
    if k > n_free:
        raise DataError(f"{model}: k={k} but there are only {n_free} candidate site(s) besides the "
                        f"{int(data.fixed.sum())} existing; lower k or add candidates")
    return int(k)


def _per_site(values: pd.Series | None, data: _Data, *, what: str, model: str,
              only_free: bool) -> NDArray[np.float64] | None:
    if values is None:
        return None
    if not isinstance(values, pd.Series):
        raise DataError(f"{model}: {what} must be a Series by site id; got {type(values).__name__}")
    need = data.sites[~data.fixed] if only_free else data.sites
    v = pd.to_numeric(values.reindex(data.sites), errors="coerce").to_numpy(dtype=float)
    miss = need[~np.isfinite(v[data.sites.get_indexer(need)])]
    if len(miss):
        raise DataError(f"{model}: {what} is missing or not finite for {len(miss)} site(s) "
                        f"({preview(miss)}); give a value for every "
                        f"{'candidate' if only_free else 'candidate and existing'} site")
    neg = need[v[data.sites.get_indexer(need)] < 0]
    if len(neg):
        raise DataError(f"{model}: {what} is negative for {preview(neg)}; give values >= 0")
    return np.nan_to_num(v, nan=0.0)


def _budget_args(k: int | None, cost: pd.Series | None, budget: float | None, data: _Data,
                 model: str) -> tuple[int | None, NDArray[np.float64] | None, float | None]:
    if (cost is None) != (budget is None):
        raise DataError(f"{model}: give both cost (per site) and budget, or neither")
    if cost is None:
        if k is None:
            raise DataError(f"{model}: give k (number of new sites) or cost and budget")
        return _check_k(k, data, model), None, None
    if k is not None:
        raise DataError(f"{model}: give k or cost+budget, not both")
    sc = _per_site(cost, data, what="cost", model=model, only_free=True)
    cheapest = float(sc[~data.fixed].min())  # type: ignore[index]
    if budget is None or not np.isfinite(budget) or budget < cheapest:
        raise DataError(f"{model}: budget={budget!r} is below the cheapest candidate site "
                        f"({cheapest:g}); raise the budget")
    return None, sc, float(budget)


# --------------------------------------------------------------------------- results


def _result(data: _Data, is_open: NDArray[np.bool_], *, model: str, objective: float,
            solver: str, status: str, bound: float, t0: float, radius: float | None,
            notes: list[str], uncoverable: NDArray[np.bool_] | None = None,
            split: tuple[NDArray, NDArray] | None = None, k: int | None = None) -> SitingResult:
    """Nearest open site per point (within ``radius``), or the split assignment ``(pairs, share)``."""
    o, d, c = data.o, data.d, data.c
    if radius is not None:
        m = c <= radius
        o, d, c = o[m], d[m], c[m]
    if split is None:
        m = is_open[d]
        o, d, c = o[m], d[m], c[m]
        order = np.lexsort((c, o))
        o, d, c = o[order], d[order], c[order]
        first = np.ones(len(o), dtype=bool)
        first[1:] = o[1:] != o[:-1]
        o, d, c = o[first], d[first], c[first]
        served = data.a[o]
        full = np.zeros(data.n_i, dtype=bool)
        full[o] = True
    else:
        p, share = split
        o, d, c = data.o[p], data.d[p], data.c[p]
        served = data.a[o] * share
        got = np.bincount(o, weights=share, minlength=data.n_i)
        full = got >= 1 - 1e-7
    assign = pd.DataFrame({"origin": data.points[o], "site": data.sites[d], "cost": c,
                           "demand": served})
    covered = pd.Series(full, index=data.points, name="covered")
    gap = 0.0 if status == "optimal" and solver == "highs" else \
        abs(objective - bound) / max(abs(objective), abs(bound), 1e-300)
    new = is_open & ~data.fixed
    if k is not None and new.sum() < k:
        notes.append(f"{int(new.sum())} new site(s) opened of k={k}: more would not improve the "
                     "objective")
    unc = data.points[uncoverable] if uncoverable is not None else data.points[:0]
    return SitingResult(model, data.sites[new], data.sites[data.fixed], float(objective), covered,
                        assign, solver, status, float(gap), float(bound),
                        time.perf_counter() - t0, unc, tuple(data.notes + notes))


def _no_reach(data: _Data, keep: NDArray[np.bool_]) -> NDArray[np.bool_]:
    reach = np.zeros(data.n_i, dtype=bool)
    reach[data.o] = True
    return keep & ~reach


def _unreachable(data: _Data, keep: NDArray[np.bool_], how: str, model: str,
                 notes: list[str]) -> NDArray[np.bool_]:
    if how not in UNREACHABLE:
        raise DataError(f"{model}: unreachable={how!r} is not one of 'raise', 'drop'")
    lost = _no_reach(data, keep)
    if lost.any():
        if how == "raise":
            raise DataError(f"{model}: {int(lost.sum())} demand point(s) with demand > 0 "
                            f"({preview(data.points[lost])}; {data.a[lost].sum():g} people) have no "
                            "site within the OD table's cutoff; rebuild od with a larger cutoff, or "
                            "pass unreachable='drop' to leave them out (listed in .uncoverable)")
        notes.append(f"{int(lost.sum())} demand point(s) ({data.a[lost].sum():g} people) reach no "
                     "site and were left out (see .uncoverable)")
    return lost


def _choose(solver: str, model: str, size: int, capacity: object) -> str:
    if solver == "auto":
        return "highs" if capacity is not None or size <= AUTO_EXACT_PAIRS[model] else "heuristic"
    if solver == "heuristic" and capacity is not None:
        raise DataError(f"{model}: the heuristic does not handle capacities; use solver='highs' "
                        "(or 'auto')")
    return solver


def _covers(red: M.Cover, x: NDArray[np.bool_]) -> NDArray[np.bool_]:
    hit = np.zeros(red.n_groups, dtype=bool)
    hit[red.gg[x[red.gd]]] = True
    return hit


def _status_error(out: M.LpOut, model: str, why: str) -> None:
    if out.status == "infeasible":
        raise DataError(f"{model}: no solution: {why}")
    if out.x is None:
        raise DataError(f"{model}: HiGHS stopped without a solution ({out.status}); raise "
                        "time_limit or use solver='heuristic'")


# --------------------------------------------------------------------------- models


def mclp(od: pd.DataFrame, demand: pd.Series, *, k: int | None = None, max_cost: float,
         existing: Iterable[object] | None = None, capacity: pd.Series | None = None,
         cost: pd.Series | None = None, budget: float | None = None, solver: str = "auto",
         time_limit: float | None = None) -> SitingResult:
    """Maximal covering: most people within ``max_cost`` minutes of an open site.

    Parameters
    ----------
    od, demand, existing
        See the module docstring (existing sites stay open and do not count toward ``k``).
    k
        Number of new sites (at most; fewer when more add nothing).  Or give ``cost`` (per
        candidate site, Series) and ``budget`` instead.
    max_cost
        Coverage standard in minutes; only pairs with ``cost <= max_cost`` cover.
    capacity
        Optional Series of people each site (candidates and existing) can serve; demand
        may then be split between sites and ``objective`` counts people served.
    solver, time_limit
        ``"auto"`` | ``"highs"`` | ``"heuristic"``; seconds for HiGHS.

    Returns
    -------
    SitingResult
        ``objective`` = covered people (existing sites' coverage included).

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "b", "b", "c"], "destination": ["s1", "s1", "s2", "s2"],
    ...                    "cost": [10.0, 12.0, 5.0, 9.0]})
    >>> demand = pd.Series({"a": 10.0, "b": 20.0, "c": 30.0})
    >>> r = mclp(od, demand, k=1, max_cost=15, existing=["s1"])
    >>> list(r.selected), r.objective, r.covered.tolist()
    (['s2'], 60.0, [True, True, True])
    >>> mclp(od, demand, k=1, max_cost=15, capacity=pd.Series({"s1": 25.0, "s2": 25.0})).objective
    25.0
    """
    t0 = time.perf_counter()
    _check_solver(solver, "mclp")
    data = _prepare(od, demand, existing=existing, max_cost=max_cost, model="mclp")
    k, sc, budget = _budget_args(k, cost, budget, data, "mclp")
    cap = _per_site(capacity, data, what="capacity", model="mclp", only_free=False)
    keep = data.a > 0
    notes: list[str] = []
    unc = _no_reach(data, keep)
    if cap is not None:
        _choose(solver, "mclp", 0, cap)
        m = keep[data.o]
        pairs = np.flatnonzero(m)
        out = M.assignment(data.o[m], data.d[m], data.c[m], data.a, data.n_i, data.n_j, data.fixed,
                           k=k or 0, capacity=cap, objective="cover", site_cost=sc,
                           budget=budget, time_limit=time_limit)
        _status_error(out, "mclp", "check capacities and budget")
        x = out.x  # type: ignore[assignment]
        is_open = x[:data.n_j] > 0.5
        share = x[data.n_j:]
        nz = share > 1e-9
        notes.append("capacitated: demand may be split between sites; covered = fully served")
        return _result(data, is_open, model="mclp", objective=out.objective, solver="highs",
                       status=out.status, bound=out.bound, t0=t0, radius=max_cost, notes=notes,
                       uncoverable=unc, split=(pairs[nz], share[nz]), k=k)
    red = M.reduce_cover(data.o, data.d, data.a, data.n_i, data.n_j, data.fixed, keep, site_cost=sc)
    pre = float(data.a[red.pre].sum())
    notes.append(f"reduced: {int(red.pre.sum())} point(s) covered by existing sites, "
                 f"{red.n_groups} group(s) of identical coverage, {len(red.cands)} candidate(s) "
                 f"kept ({red.n_dominated} dominated)")
    how = _choose(solver, "mclp", len(red.gg), None)
    is_open = data.fixed.copy()
    if red.n_groups == 0:
        return _result(data, is_open, model="mclp", objective=pre, solver=how, status="optimal",
                       bound=pre, t0=t0, radius=max_cost, notes=notes, uncoverable=unc, k=k)
    x = H.mclp_greedy(red, k=k, site_cost=sc, budget=budget)
    if how == "highs" and float(red.weight @ _covers(red, x)) >= red.weight.sum() * (1 - 1e-12):
        notes.append("the greedy sites cover every coverable point: optimal without a MILP")
        is_open[red.cands[x]] = True
        status, bound = "optimal", float(red.weight.sum()) + pre
    elif how == "highs":
        out = M.mclp(red, k=k, site_cost=sc, budget=budget, time_limit=time_limit,
                     start=x)
        _status_error(out, "mclp", "check the budget")
        is_open[red.cands[out.x[:len(red.cands)] > 0.5]] = True  # type: ignore[index]
        status, bound = out.status, out.bound + pre
    else:
        if k is not None:
            x, n_sw = H.mclp_swap(red, x, time_limit=time_limit)
            notes.append(f"heuristic: greedy then {n_sw} swap(s); bound: Lagrangian (LP) relaxation")
        else:
            notes.append("heuristic: greedy by gain per cost; bound: Lagrangian (LP) relaxation")
        is_open[red.cands[x]] = True
        status = "heuristic"
        bound = H.mclp_upper(red, x, k=k, site_cost=sc, budget=budget) + pre
    cov = np.zeros(data.n_i, dtype=bool)
    cov[data.o[is_open[data.d]]] = True
    obj = float(data.a[cov].sum())
    return _result(data, is_open, model="mclp", objective=obj, solver=how, status=status,
                   bound=max(bound, obj), t0=t0, radius=max_cost, notes=notes, uncoverable=unc, k=k)


def p_median(od: pd.DataFrame, demand: pd.Series, *, k: int,
             existing: Iterable[object] | None = None, capacity: pd.Series | None = None,
             solver: str = "auto", time_limit: float | None = None,
             unreachable: str = "raise") -> SitingResult:
    """p-median: least total person-minutes, every point served by an open site it reaches.

    ``unreachable="raise"`` (default) refuses demand points that reach no site in ``od``
    (saying how many and to rebuild ``od`` with a larger cutoff); ``"drop"`` leaves them out,
    listed in ``.uncoverable`` and counted in ``.notes``.  With ``capacity`` (people per
    site, existing included) demand may be split between sites.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["s1", "s2", "s1", "s2"],
    ...                    "cost": [10.0, 30.0, 20.0, 5.0]})
    >>> demand = pd.Series({"a": 1.0, "b": 2.0})
    >>> r = p_median(od, demand, k=1)
    >>> list(r.selected), r.objective
    (['s2'], 40.0)
    >>> r.assignment[["origin", "site", "cost"]].values.tolist()
    [['a', 's2', 30.0], ['b', 's2', 5.0]]
    """
    t0 = time.perf_counter()
    _check_solver(solver, "p_median")
    data = _prepare(od, demand, existing=existing, max_cost=None, model="p_median")
    k = _check_k(k, data, "p_median")
    cap = _per_site(capacity, data, what="capacity", model="p_median", only_free=False)
    notes: list[str] = []
    lost = _unreachable(data, data.a > 0, unreachable, "p_median", notes)
    keep = (data.a > 0) & ~lost
    m = keep[data.o]
    o, d, c = data.o[m], data.d[m], data.c[m]
    if cap is None and data.fixed.any():  # nothing farther than the nearest existing site matters
        near = np.full(data.n_i, np.inf)
        fx = data.fixed[d]
        np.minimum.at(near, o[fx], c[fx])
        first_fixed = np.zeros(len(o), dtype=bool)
        idx = np.flatnonzero(fx & (c == near[o]))
        _, u = np.unique(o[idx], return_index=True)
        first_fixed[idx[u]] = True
        m = (~fx & (c < near[o])) | first_fixed
        notes.append(f"reduced: {int((~m).sum())} pair(s) beyond the nearest existing site dropped")
        o, d, c = o[m], d[m], c[m]
    how = _choose(solver, "p_median", len(o), cap)
    why = (f"{k} new site(s) plus the existing cannot reach every demand point (or capacities "
           "are too small); raise k or the capacities, rebuild od with a larger cutoff, or use "
           "unreachable='drop'")
    if how == "highs":
        out = M.assignment(o, d, c, data.a, data.n_i, data.n_j, data.fixed, k=k, capacity=cap,
                           objective="median", time_limit=time_limit)
        _status_error(out, "p_median", why)
        x = out.x  # type: ignore[assignment]
        is_open = x[:data.n_j] > 0.5
        status, bound = out.status, out.bound
        split = None
        if cap is not None:
            notes.append("capacitated: demand may be split between sites")
            share = x[data.n_j:]
            nz = share > 1e-9
            pos = np.flatnonzero(m)
            split = (pos[nz], share[nz])
        obj = out.objective
    else:
        pr = H.Pairs(o, d, c, data.a, data.n_i, data.n_j, data.fixed)
        is_open, n_sw = H.pm_swap(pr, H.pm_greedy(pr, k=k), time_limit=time_limit)
        d1 = pr.nearest2(is_open)[0]
        if (d1[keep] >= pr.big).any():
            raise DataError(f"p_median: the heuristic found no sites serving every point: {why}")
        obj = float(data.a[keep] @ d1[keep])
        bound = min(obj, H.pm_lower(pr, is_open, k=k))
        status, split = "heuristic", None
        notes.append(f"heuristic: greedy then {n_sw} Teitz-Bart swap(s); bound: Lagrangian (LP) "
                     "relaxation")
    res = _result(data, is_open, model="p_median", objective=obj, solver=how, status=status,
                  bound=bound, t0=t0, radius=None, notes=notes, uncoverable=lost, split=split, k=k)
    return res


def lscp(od: pd.DataFrame, demand: pd.Series, *, max_cost: float,
         existing: Iterable[object] | None = None, solver: str = "auto",
         time_limit: float | None = None) -> SitingResult:
    """Location set covering: fewest new sites so every coverable point is within ``max_cost``.

    Points with demand > 0 and no site within ``max_cost`` are reported in ``.uncoverable``
    (and ``.notes``), not refused.  ``objective`` = number of new sites.  ``"heuristic"``:
    greedy set cover, bound = the LP relaxation rounded up.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "b", "b", "c"], "destination": ["s1", "s1", "s2", "s2"],
    ...                    "cost": [10.0, 12.0, 5.0, 9.0]})
    >>> r = lscp(od, pd.Series({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}), max_cost=15)
    >>> list(r.selected), list(r.uncoverable)
    (['s1', 's2'], ['d'])
    """
    t0 = time.perf_counter()
    _check_solver(solver, "lscp")
    data = _prepare(od, demand, existing=existing, max_cost=max_cost, model="lscp")
    keep = data.a > 0
    notes: list[str] = []
    unc = _no_reach(data, keep)
    if unc.any():
        notes.append(f"{int(unc.sum())} demand point(s) ({data.a[unc].sum():g} people) have no site "
                     f"within {max_cost:g} min: left uncovered (see .uncoverable)")
    red = M.reduce_cover(data.o, data.d, data.a, data.n_i, data.n_j, data.fixed, keep)
    is_open = data.fixed.copy()
    how = "highs" if solver == "auto" else solver
    status, bound = "optimal", 0.0
    if red.n_groups:
        if how == "highs":
            out = M.set_cover(red, time_limit=time_limit)
            _status_error(out, "lscp", "internal: the set cover is always feasible")
            is_open[red.cands[out.x > 0.5]] = True  # type: ignore[operator]
            status, bound = out.status, out.bound
        else:
            x = H.mclp_greedy(red, k=None)
            is_open[red.cands[x]] = True
            lp = M.set_cover(red, time_limit=time_limit, relax=True)
            status, bound = "heuristic", float(np.ceil(lp.objective - 1e-9))
    obj = float((is_open & ~data.fixed).sum())
    return _result(data, is_open, model="lscp", objective=obj, solver=how, status=status,
                   bound=bound, t0=t0, radius=max_cost, notes=notes, uncoverable=unc)


def p_center(od: pd.DataFrame, demand: pd.Series, *, k: int,
             existing: Iterable[object] | None = None, solver: str = "auto",
             time_limit: float | None = None, unreachable: str = "raise") -> SitingResult:
    """p-center: the ``k`` new sites that make the longest trip to the nearest open site shortest.

    Exact: the optimum radius is one of the OD costs; a binary search over them asks "can
    ``k`` new sites cover everyone within R?" (greedy, then a set-covering MILP).  Unweighted
    (points with demand > 0 count).  ``unreachable`` as in :func:`p_median`.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["s1", "s2", "s1", "s2"],
    ...                    "cost": [10.0, 30.0, 20.0, 5.0]})
    >>> p_center(od, pd.Series({"a": 1.0, "b": 2.0}), k=1).objective
    20.0
    """
    t0 = time.perf_counter()
    _check_solver(solver, "p_center")
    if solver == "heuristic":
        raise DataError("p_center: there is no heuristic; use solver='highs' (or 'auto')")
    data = _prepare(od, demand, existing=existing, max_cost=None, model="p_center")
    k = _check_k(k, data, "p_center")
    notes: list[str] = []
    lost = _unreachable(data, data.a > 0, unreachable, "p_center", notes)
    keep = (data.a > 0) & ~lost
    m = keep[data.o]
    o, d, c = data.o[m], data.d[m], data.c[m]
    radii = np.unique(c)
    best_any = np.full(data.n_i, np.inf)
    np.minimum.at(best_any, o, c)
    lo = int(np.searchsorted(radii, best_any[keep].max()))
    hi = len(radii) - 1

    def feasible(r: float) -> NDArray[np.bool_] | None:
        w = c <= r
        red = M.reduce_cover(o[w], d[w], data.a, data.n_i, data.n_j, data.fixed, keep)
        gone = keep & ~red.pre & (red.group < 0)
        if gone.any():
            return None
        is_open = data.fixed.copy()
        if red.n_groups == 0:
            return is_open
        x = H.mclp_greedy(red, k=None)
        if x.sum() > k:
            out = M.set_cover(red, k_max=k, time_limit=time_limit)
            if out.x is None:
                if out.status != "infeasible":
                    raise DataError(f"p_center: HiGHS stopped ({out.status}); raise time_limit")
                return None
            x = out.x > 0.5
        is_open[red.cands[x]] = True
        return is_open

    sol = feasible(radii[hi])
    if sol is None:
        raise DataError(f"p_center: no solution: {k} new site(s) plus the existing cannot reach every "
                        "demand point; raise k, rebuild od with a larger cutoff, or use "
                        "unreachable='drop'")
    while lo < hi:
        mid = (lo + hi) // 2
        s = feasible(radii[mid])
        if s is None:
            lo = mid + 1
        else:
            hi, sol = mid, s
    if hi == lo and (s := feasible(radii[lo])) is not None:
        sol = s
    d1 = np.full(data.n_i, np.inf)
    op = sol[d]
    np.minimum.at(d1, o[op], c[op])
    obj = float(d1[keep].max())
    return _result(data, sol, model="p_center", objective=obj, solver="highs", status="optimal",
                   bound=obj, t0=t0, radius=None, notes=notes, uncoverable=lost, k=k)


# --------------------------------------------------------------------------- curve

_MODELS = {"mclp": mclp, "p_median": p_median, "p_center": p_center}
_CURVE_METHODS = ("auto", "exact", "greedy")
#: ``curve(method="auto")`` solves exactly per k while ``k_max * OD rows`` is at most this.
CURVE_EXACT_WORK = 5_000_000


def curve(od: pd.DataFrame, demand: pd.Series, *, model: str = "mclp", k_max: int,
          max_cost: float | None = None, existing: Iterable[object] | None = None,
          method: str = "auto", **options: object) -> pd.DataFrame:
    """Objective for k = 1..k_max new sites and the marginal gain of each extra site.

    ``method="exact"`` solves the model for every k (optimal, the site sets need not be
    nested); ``"greedy"`` adds one site at a time (nested sets: the site added at each k is
    in ``added``; a lower curve for MCLP, (1 - 1/e)-optimal); ``"auto"`` is exact while
    ``k_max * len(od) <=`` :data:`CURVE_EXACT_WORK`, greedy above.  ``gain`` at k = 1 is
    relative to the existing sites alone.  ``objective`` is NaN at a k whose sites cannot
    serve every (reachable) point (p-median, p-center), and so is the gain next to it.
    p-center is exact only.  ``options`` go to the model (e.g. ``unreachable="drop"``).

    Returns
    -------
    DataFrame indexed by ``k``: ``objective``, ``gain``, ``sites`` (new sites at that k),
    ``added`` (greedy only).

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "b", "b", "c"], "destination": ["s1", "s1", "s2", "s2"],
    ...                    "cost": [10.0, 12.0, 5.0, 9.0]})
    >>> demand = pd.Series({"a": 10.0, "b": 20.0, "c": 30.0})
    >>> c = curve(od, demand, k_max=2, max_cost=15)
    >>> c["objective"].tolist(), c["gain"].tolist(), c["sites"].tolist()
    ([50.0, 60.0], [50.0, 10.0], [('s2',), ('s1', 's2')])
    """
    if model not in _MODELS:
        raise DataError(f"curve: model={model!r} is not one of {', '.join(map(repr, _MODELS))}")
    if method not in _CURVE_METHODS:
        raise DataError(f"curve: method={method!r} is not one of {', '.join(map(repr, _CURVE_METHODS))}")
    if model == "mclp" and max_cost is None:
        raise DataError("curve: model='mclp' needs max_cost (minutes)")
    if method == "auto":
        method = "exact" if model == "p_center" or k_max * len(od) <= CURVE_EXACT_WORK else "greedy"
    if method == "greedy" and model == "p_center":
        raise DataError("curve: p_center has no greedy curve; use method='exact'")
    data = _prepare(od, demand, existing=existing, max_cost=max_cost if model == "mclp" else None,
                    model=f"curve({model})")
    _check_k(k_max, data, f"curve({model})")
    keep = data.a > 0

    def value(is_open: NDArray[np.bool_]) -> float:
        if model == "mclp":
            cov = np.zeros(data.n_i, dtype=bool)
            cov[data.o[is_open[data.d]]] = True
            return float(data.a[cov].sum())
        d1 = np.full(data.n_i, np.inf)
        m = is_open[data.d]
        np.minimum.at(d1, data.o[m], data.c[m])
        lost = _no_reach(data, keep)
        w = keep & ~lost
        return float(data.a[w] @ d1[w]) if model == "p_median" else float(d1[w].max())

    base = value(data.fixed)
    rows: list[dict[str, object]] = []
    if method == "exact":
        kw = {"max_cost": max_cost} if model == "mclp" else {}
        for k in range(1, k_max + 1):
            try:
                r = _MODELS[model](od, demand, k=k, existing=existing, solver="highs", **kw, **options)
            except DataError as exc:  # k sites cannot serve everyone: no value at this k
                if "no solution" not in str(exc):
                    raise
                rows.append({"objective": np.nan, "sites": ()})
                continue
            rows.append({"objective": r.objective, "sites": tuple(r.selected)})
    else:
        order: list[int] = []
        if model == "mclp":
            red = M.reduce_cover(data.o, data.d, data.a, data.n_i, data.n_j, data.fixed, keep)
            H.mclp_greedy(red, k=k_max, order=order)
            picks = [int(red.cands[j]) for j in order]
        else:
            lost = _unreachable(data, keep, str(options.get("unreachable", "raise")), "curve", [])
            m = (keep & ~lost)[data.o]
            pr = H.Pairs(data.o[m], data.d[m], data.c[m], data.a, data.n_i, data.n_j, data.fixed)
            H.pm_greedy(pr, k=k_max, order=order)
            picks = order
        is_open = data.fixed.copy()
        for j in picks:
            is_open[j] = True
            v = value(is_open)
            rows.append({"objective": v if np.isfinite(v) else np.nan,
                         "sites": tuple(data.sites[is_open & ~data.fixed]), "added": data.sites[j]})
    out = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="k"))
    prev = np.concatenate([[base], out["objective"].to_numpy()[:-1]])
    gain = out["objective"].to_numpy() - prev
    if model != "mclp":
        gain = -gain  # minutes saved
    out.insert(1, "gain", np.where(np.isfinite(prev), gain, np.nan))
    return out
