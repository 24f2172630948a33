"""Sparse (MI)LPs solved with HiGHS through ``highspy`` directly (not scipy, not PuLP).

One entry point, :func:`solve`: a column-wise sparse matrix, bounds, which columns are
integer, a sense; returns the solution, the objective, the dual bound, the gap and the
HiGHS status.  Gaps are set to zero (``mip_rel_gap = mip_abs_gap = 0``) so "optimal" means
proven optimal, not optimal to HiGHS's default 0.01 %.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ...geo.errors import MissingDependencyError

__all__ = ["LpOut", "solve", "INF"]

INF = float("inf")
_BANNER_DONE = False


@dataclass(frozen=True)
class LpOut:
    """What HiGHS returned: ``x`` (None when it found no solution), objective, bound."""

    x: NDArray[np.float64] | None
    objective: float
    bound: float
    gap: float
    status: str  # "optimal" | "time_limit" | "infeasible" | "unbounded" | other HiGHS text
    runtime_s: float


def _highs():  # noqa: ANN202 - highspy.Highs
    """A silent ``highspy.Highs``; the one-off C-level licence banner goes to /dev/null."""
    global _BANNER_DONE
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a dependency
        raise MissingDependencyError("siting needs HiGHS: pip install highspy") from exc
    if _BANNER_DONE:
        h = highspy.Highs()
    else:
        _BANNER_DONE = True
        try:
            sys.stdout.flush()
            fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
            saved = os.dup(fd)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            try:
                h = highspy.Highs()
            finally:
                os.dup2(saved, fd)
                os.close(saved)
                os.close(null)
        except (OSError, ValueError, AttributeError):  # no real stdout (e.g. some notebooks)
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def solve(c: NDArray[np.float64], a: sp.spmatrix, row_lower: NDArray[np.float64],
          row_upper: NDArray[np.float64], col_lower: NDArray[np.float64],
          col_upper: NDArray[np.float64], *, integer: NDArray[np.bool_] | None = None,
          maximize: bool = False, time_limit: float | None = None,
          start: NDArray[np.float64] | None = None) -> LpOut:
    """Solve ``min/max c'x  s.t.  row_lower <= A x <= row_upper, col_lower <= x <= col_upper``.

    ``integer`` marks integer columns (None: an LP).  ``start`` is a feasible solution
    handed to HiGHS as an incumbent (e.g. the greedy heuristic's).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> out = solve(np.array([1.0, 1.0]), sp.csc_matrix([[1.0, 1.0]]), np.array([1.0]),
    ...             np.array([INF]), np.zeros(2), np.ones(2), integer=np.array([True, True]))
    >>> out.status, out.objective
    ('optimal', 1.0)
    """
    import highspy

    t0 = time.perf_counter()
    a = sp.csc_matrix(a)
    a.sort_indices()
    n_row, n_col = a.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.ascontiguousarray(c, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    if maximize:
        lp.sense_ = highspy.ObjSense.kMaximize
    is_mip = integer is not None and bool(np.any(integer))
    if is_mip:
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    h = _highs()
    if is_mip:
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.0)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    if start is not None and is_mip:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    text = {highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kTimeLimit: "time_limit",
            highspy.HighsModelStatus.kInfeasible: "infeasible",
            highspy.HighsModelStatus.kUnbounded: "unbounded",
            highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible"}.get(
        status, h.modelStatusToString(status))
    has_x = text == "optimal" or (is_mip and info.primal_solution_status >= 1 and text == "time_limit")
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if x is not None else float("nan")
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = 0.0 if text == "optimal" else float(info.mip_gap)
    else:
        bound, gap = obj, 0.0
    return LpOut(x, obj, bound, gap, text, time.perf_counter() - t0)


# --------------------------------------------------------------------------- reductions


@dataclass(frozen=True)
class Cover:
    """A coverage problem reduced exactly (see :func:`reduce_cover`).

    ``pre``: points already covered by an existing site; ``group``: each point's group of
    identical coverage sets (-1 when it is out of the problem); ``weight``: demand per
    group; ``cands``: the candidates kept (original positions); pairs ``(gg, gd)``: group
    and position in ``cands``.
    """

    pre: NDArray[np.bool_]
    group: NDArray[np.intp]
    weight: NDArray[np.float64]
    cands: NDArray[np.intp]
    gg: NDArray[np.intp]
    gd: NDArray[np.intp]
    n_dominated: int

    @property
    def n_groups(self) -> int:
        return len(self.weight)


def _hashes(n_j: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    rng = np.random.default_rng(7_919)
    return (rng.integers(1, 2**63, n_j, dtype=np.uint64) | np.uint64(1),
            rng.integers(1, 2**63, n_j, dtype=np.uint64))


def reduce_cover(o: NDArray[np.intp], d: NDArray[np.intp], a: NDArray[np.float64], n_i: int,
                 n_j: int, fixed: NDArray[np.bool_], keep: NDArray[np.bool_], *,
                 site_cost: NDArray[np.float64] | None = None, dominance: bool = True,
                 drop_precovered: bool = True) -> Cover:
    """Exact reductions of a covering problem on pairs ``(o, d)`` (all within the radius).

    1. points covered by an existing site are covered whatever is chosen: set apart
       (``drop_precovered``);
    2. points with identical sets of covering candidates are merged into one group with the
       summed demand (rows hashed with two independent 64-bit keys plus the set size);
    3. a candidate whose set of groups is contained in another's, at no lower site cost,
       is dropped (ties keep the cheaper, then the first); so is one covering nothing left.
       Skipped when the pairwise overlap count ``B'B`` would cost over 5e7 operations.
    """
    pre = np.zeros(n_i, dtype=bool)
    if drop_precovered:
        pre[o[fixed[d]]] = True
    m = keep[o] & ~pre[o] & ~fixed[d]
    o2, d2 = o[m], d[m]
    group = np.full(n_i, -1, dtype=np.intp)
    if len(o2) == 0:
        z = np.zeros(0, dtype=np.intp)
        return Cover(pre, group, np.zeros(0), z, z, z, 0)
    h1, h2 = _hashes(n_j)
    with np.errstate(over="ignore"):
        s1 = np.bincount(o2, minlength=n_i).astype(np.uint64)
        k1 = np.zeros(n_i, dtype=np.uint64)
        k2 = np.zeros(n_i, dtype=np.uint64)
        np.add.at(k1, o2, h1[d2])
        np.add.at(k2, o2, h2[d2])
    pts = np.flatnonzero(s1 > 0)
    key = np.stack([k1[pts], k2[pts], s1[pts]], axis=1)
    _, first, g = np.unique(key, axis=0, return_index=True, return_inverse=True)
    g = g.ravel()
    group[pts] = g
    weight = np.bincount(g, weights=a[pts], minlength=len(first))
    rep = np.zeros(n_i, dtype=bool)
    rep[pts[first]] = True
    r = rep[o2]
    gg, gd = group[o2[r]], d2[r]
    cands = np.unique(gd)
    n_dom = 0
    per_group = np.bincount(gg, minlength=len(weight)).astype(float)
    if dominance and 1 < len(cands) and float(per_group @ per_group) <= 5e7:  # cost of B'B
        pos = np.searchsorted(cands, gd)
        b = sp.csc_matrix((np.ones(len(gg)), (gg, pos)), shape=(len(weight), len(cands)))
        inter = (b.T @ b).tocoo()
        size = np.asarray(b.sum(axis=0)).ravel()
        cost = np.zeros(len(cands)) if site_cost is None else site_cost[cands]
        j, jp = inter.row, inter.col
        sub = (j != jp) & (inter.data == size[j]) & (cost[jp] <= cost[j])
        # equal sets at equal cost: only the later one goes
        equal = size[jp] == size[j]
        tie = equal & (cost[jp] == cost[j])
        sub &= ~tie | (jp < j)
        dominated = np.zeros(len(cands), dtype=bool)
        dominated[j[sub]] = True
        # a chain of equal sets with strictly falling cost keeps its cheapest member: the
        # relation is a preorder, so something undominated always remains per class
        n_dom = int(dominated.sum())
        keep_c = ~dominated[pos]
        gg, gd = gg[keep_c], gd[keep_c]
        cands = cands[~dominated]
    gd = np.searchsorted(cands, gd)
    return Cover(pre, group, weight, cands, gg, gd, n_dom)


# --------------------------------------------------------------------------- formulations


def mclp(red: Cover, *, k: int | None, site_cost: NDArray[np.float64] | None,
         budget: float | None, time_limit: float | None,
         start: NDArray[np.bool_] | None = None, relax: bool = False) -> LpOut:
    """MCLP on a reduced cover: ``max w'y, y_g <= sum_{j in N_g} x_j, sum x <= k`` (or
    ``cost'x <= budget``); ``x`` binary, ``y`` continuous in [0, 1] (integral at an optimum).
    The columns are ``x`` (``red.cands``) then ``y`` (groups)."""
    nx, ng = len(red.cands), red.n_groups
    rows = np.concatenate([red.gg, np.arange(ng), np.full(nx, ng)])
    cols = np.concatenate([red.gd, nx + np.arange(ng), np.arange(nx)])
    card = np.ones(nx) if site_cost is None else site_cost[red.cands]
    vals = np.concatenate([-np.ones(len(red.gg)), np.ones(ng), card])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(ng + 1, nx + ng))
    rhs = float(k) if site_cost is None else float(budget)  # type: ignore[arg-type]
    lo = np.full(ng + 1, -INF)
    up = np.append(np.zeros(ng), rhs)
    c = np.append(np.zeros(nx), red.weight)
    integer = None if relax else np.append(np.ones(nx, dtype=bool), np.zeros(ng, dtype=bool))
    x0 = None
    if start is not None and not relax:
        xs = start.astype(float)  # over red.cands
        cov = np.zeros(ng)
        np.maximum.at(cov, red.gg, xs[red.gd])
        x0 = np.append(xs, cov)
    return solve(c, a, lo, up, np.zeros(nx + ng), np.ones(nx + ng), integer=integer,
                 maximize=True, time_limit=time_limit, start=x0)


def set_cover(red: Cover, *, k_max: int | None = None, time_limit: float | None = None,
              relax: bool = False) -> LpOut:
    """Fewest candidates covering every group: ``min 1'x, sum_{j in N_g} x_j >= 1`` (and
    ``1'x <= k_max`` when given, which makes it a feasibility test)."""
    nx, ng = len(red.cands), red.n_groups
    rows, cols, vals = red.gg, red.gd, np.ones(len(red.gg))
    lo, up = np.ones(ng), np.full(ng, INF)
    if k_max is not None:
        rows = np.concatenate([rows, np.full(nx, ng)])
        cols = np.concatenate([cols, np.arange(nx)])
        vals = np.concatenate([vals, np.ones(nx)])
        lo, up = np.append(lo, -INF), np.append(up, float(k_max))
    a = sp.csc_matrix((vals, (rows, cols)), shape=(len(lo), nx))
    return solve(np.ones(nx), a, lo, up, np.zeros(nx), np.ones(nx),
                 integer=None if relax else np.ones(nx, dtype=bool), time_limit=time_limit)


def assignment(o: NDArray[np.intp], d: NDArray[np.intp], c: NDArray[np.float64],
               a: NDArray[np.float64], n_i: int, n_j: int, fixed: NDArray[np.bool_], *,
               k: int, capacity: NDArray[np.float64] | None, objective: str,
               site_cost: NDArray[np.float64] | None = None, budget: float | None = None,
               time_limit: float | None = None, relax: bool = False) -> LpOut:
    """Assignment formulations on the pairs given (each pair a column ``z_p``).

    Columns: ``x_j`` for every candidate (existing fixed to 1 by bounds), then ``z_p`` (share
    of point ``o_p``'s demand served by ``d_p``, continuous), then ``W`` for p-center.

    - ``"median"``: ``min sum a_i c_p z_p``, ``sum_p z_p = 1`` per point;
    - ``"center"``: ``min W``, ``sum_p z_p = 1``, ``sum_p c_p z_p <= W`` per point;
    - ``"cover"`` (capacitated MCLP): ``max sum a_i z_p``, ``sum_p z_p <= 1`` per point;

    always ``z_p <= x_{d_p}``, ``sum_{free} x <= k`` (or ``cost'x <= budget``) and, with
    ``capacity``, ``sum_p a_{o_p} z_p <= C_j x_j`` per site.
    """
    n_p = len(o)
    center = objective == "center"
    ncol = n_j + n_p + int(center)
    zc = n_j + np.arange(n_p)
    r_pt = o
    v_pt = np.ones(n_p)
    rows = [r_pt]
    cols = [zc]
    vals = [v_pt]
    has = np.bincount(o, minlength=n_i) > 0  # points without pairs are out of the model
    row_lo = [has.astype(float) if objective != "cover" else np.full(n_i, -INF)]
    row_up = [has.astype(float)]
    nr = n_i
    if center:
        rows += [nr + o, nr + np.arange(n_i)]
        cols += [zc, np.full(n_i, ncol - 1)]
        vals += [c, -np.ones(n_i)]
        row_lo.append(np.full(n_i, -INF))
        row_up.append(np.zeros(n_i))
        nr += n_i
    free_p = ~fixed[d]
    fp = np.flatnonzero(free_p)
    rows += [nr + np.arange(len(fp)), nr + np.arange(len(fp))]
    cols += [zc[fp], d[fp]]
    vals += [np.ones(len(fp)), -np.ones(len(fp))]
    row_lo.append(np.full(len(fp), -INF))
    row_up.append(np.zeros(len(fp)))
    nr += len(fp)
    free = np.flatnonzero(~fixed)
    rows.append(np.full(len(free), nr))
    cols.append(free)
    vals.append(np.ones(len(free)) if site_cost is None else site_cost[free])
    row_lo.append(np.array([-INF]))
    row_up.append(np.array([float(k) if site_cost is None else float(budget)]))  # type: ignore[arg-type]
    nr += 1
    if capacity is not None:
        rows += [nr + d, nr + np.arange(n_j)]
        cols += [zc, np.arange(n_j)]
        vals += [a[o], -capacity]
        row_lo.append(np.full(n_j, -INF))
        row_up.append(np.zeros(n_j))
        nr += n_j
    m = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(nr, ncol))
    cost = np.zeros(ncol)
    if objective == "median":
        cost[zc] = a[o] * c
    elif objective == "cover":
        cost[zc] = a[o]
    else:
        cost[-1] = 1.0
    col_lo = np.zeros(ncol)
    col_lo[:n_j] = fixed
    col_up = np.ones(ncol)
    if center:
        col_up[-1] = INF
    integer = None if relax else np.zeros(ncol, dtype=bool)
    if integer is not None:
        integer[:n_j] = True
    return solve(cost, m, np.concatenate(row_lo), np.concatenate(row_up), col_lo, col_up,
                 integer=integer, maximize=objective == "cover", time_limit=time_limit)
