"""Heuristics with a bound for large siting problems (vectorised; one O(pairs) pass a step).

- MCLP: greedy (largest marginal coverage; gain per unit cost under a budget, compared
  with the best single affordable site), then best-improvement swaps (one site out, one
  in) until none helps.  Upper bound: Lagrangian relaxation of ``y_g <= sum x_j`` by
  subgradient, started at the "online" submodular bound ``f(S) + top-k marginal gains``
  (Leskovec et al. 2007), which it can only improve; its limit is the LP-relaxation value.
- p-median: greedy adding, then Teitz & Bart (1968) vertex substitution with the
  nearest/second-nearest bookkeeping of Whitaker (1983) / Resende & Werneck (2004), so a
  full sweep of (in, out) swaps costs one pass over the pairs.  Lower bound: Lagrangian
  relaxation of the assignment rows (Cornuejols, Fisher & Nemhauser 1977) by subgradient;
  every iterate is a valid bound and the limit is the LP-relaxation value.

Existing sites are open from the start and never swapped out.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._milp import Cover

__all__ = ["mclp_greedy", "mclp_swap", "mclp_upper", "Pairs", "pm_greedy", "pm_swap", "pm_lower"]


# --------------------------------------------------------------------------- MCLP


def _matrix(red: Cover) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(red.gg)), (red.gg, red.gd)),
                         shape=(red.n_groups, len(red.cands)))


def _best_k(s: NDArray[np.float64], k: int | None, cost: NDArray[np.float64] | None,
            budget: float | None) -> tuple[float, NDArray[np.float64]]:
    """max s'x over 0 <= x <= 1 with 1'x <= k, or its LP knapsack under cost'x <= budget."""
    x = np.zeros(len(s))
    pos = s > 0
    if cost is None:
        idx = np.flatnonzero(pos)
        if len(idx) > k:  # type: ignore[operator]
            idx = idx[np.argpartition(-s[idx], k - 1)[:k]]  # type: ignore[operator]
        x[idx] = 1.0
        return float(s[idx].sum()), x
    idx = np.flatnonzero(pos)
    with np.errstate(divide="ignore"):
        ratio = np.where(cost[idx] > 0, s[idx] / np.where(cost[idx] > 0, cost[idx], 1), np.inf)
    idx = idx[np.argsort(-ratio, kind="stable")]
    cum = np.cumsum(cost[idx])
    full = cum <= budget
    x[idx[full]] = 1.0
    nxt = np.flatnonzero(~full)
    if len(nxt):
        j = idx[nxt[0]]
        room = budget - (cum[nxt[0] - 1] if nxt[0] > 0 else 0.0)  # type: ignore[operator]
        x[j] = max(0.0, room / cost[j])
    return float(s @ x), x


def mclp_greedy(red: Cover, *, k: int | None, site_cost: NDArray[np.float64] | None = None,
                budget: float | None = None, order: list[int] | None = None) -> NDArray[np.bool_]:
    """Greedy MCLP on a reduced cover; a boolean over ``red.cands`` (picks appended to ``order``)."""
    b = _matrix(red)
    bt = b.T.tocsr()
    w = red.weight.copy()
    unc = np.ones(red.n_groups, dtype=bool)
    x = np.zeros(len(red.cands), dtype=bool)
    cost = None if site_cost is None else site_cost[red.cands]
    left = budget
    for _ in range(len(red.cands) if k is None else k):
        gain = bt @ (w * unc)
        gain[x] = -1.0
        if cost is None:
            j = int(np.argmax(gain))
        else:
            ok = (cost <= left + 1e-12) & ~x
            if not ok.any():
                break
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(cost > 0, gain / np.where(cost > 0, cost, 1), np.inf * np.sign(gain))
            r[~ok] = -np.inf
            j = int(np.argmax(r))
            left -= cost[j]  # type: ignore[operator]
        if gain[j] <= 0:
            break
        x[j] = True
        if order is not None:
            order.append(j)
        unc[bt.indices[bt.indptr[j]:bt.indptr[j + 1]]] = False
    if cost is not None:  # compare with the best single affordable site (classic guarantee)
        single = bt @ w
        single[cost > budget] = -1.0  # type: ignore[operator]
        j = int(np.argmax(single))
        if single[j] > float(w @ (b @ x.astype(float) > 0)):
            x[:] = False
            x[j] = True
    return x


def mclp_swap(red: Cover, x: NDArray[np.bool_], *, max_rounds: int = 1000,
              time_limit: float | None = None) -> tuple[NDArray[np.bool_], int]:
    """Best-improvement swaps (one selected out, one closed in); returns ``(x, swaps)``."""
    t0 = time.perf_counter()
    b = _matrix(red)
    bt = b.T.tocsr()
    w = red.weight
    x = x.copy()
    n_sw = 0
    for _ in range(max_rounds):
        sel = np.flatnonzero(x)
        if len(sel) == 0 or x.all():
            break
        cnt = b @ x.astype(float)
        one = cnt == 1
        gain = bt @ (w * (cnt == 0))
        pos = np.full(len(x), -1)
        pos[sel] = np.arange(len(sel))
        mine = one[red.gg] & x[red.gd]
        owner = np.full(red.n_groups, -1)
        owner[red.gg[mine]] = pos[red.gd[mine]]
        loss = np.bincount(owner[one], weights=w[one], minlength=len(sel))
        q = one[red.gg] & ~x[red.gd]
        extra = np.bincount(red.gd[q] * len(sel) + owner[red.gg[q]], weights=w[red.gg[q]],
                            minlength=len(x) * len(sel)).reshape(len(x), len(sel))
        delta = gain[:, None] - loss[None, :] + extra
        delta[x] = -np.inf
        j, r = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[j, r] <= 1e-9 * max(1.0, float(w.sum())):
            break
        x[sel[r]] = False
        x[j] = True
        n_sw += 1
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    return x, n_sw


def mclp_upper(red: Cover, x: NDArray[np.bool_], *, k: int | None,
               site_cost: NDArray[np.float64] | None = None, budget: float | None = None,
               iters: int = 300, time_limit: float = 30.0) -> float:
    """An upper bound on the reduced MCLP optimum (Lagrangian, started at the online bound)."""
    t0 = time.perf_counter()
    b = _matrix(red)
    bt = b.T.tocsr()
    w = red.weight
    cost = None if site_cost is None else site_cost[red.cands]
    covered = (b @ x.astype(float)) > 0
    lower = float(w[covered].sum())
    mu = np.where(covered, 0.0, w)
    best = np.inf
    theta = 1.0
    stall = 0
    for _ in range(iters):
        val, xs = _best_k(bt @ mu, k, cost, budget)
        lag = float((w - mu).sum()) + val
        if lag < best - 1e-12 * max(1.0, best if np.isfinite(best) else 1.0):
            best, stall = lag, 0
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2, 0
        g = (b @ xs) - 1.0  # dL/dmu
        norm = float(g @ g)
        if norm == 0 or best - lower <= 1e-9 * max(1.0, lower) or theta < 1e-4 or \
                time.perf_counter() - t0 > time_limit:
            break
        mu = np.clip(mu - theta * (lag - lower) / norm * g, 0.0, w)
    return best


# --------------------------------------------------------------------------- p-median


class Pairs:
    """Pairs sorted by (point, cost) with row pointers; ``big`` stands for "no open site"."""

    def __init__(self, o: NDArray[np.intp], d: NDArray[np.intp], c: NDArray[np.float64],
                 a: NDArray[np.float64], n_i: int, n_j: int, fixed: NDArray[np.bool_]) -> None:
        order = np.lexsort((c, o))
        self.o, self.d, self.c = o[order], d[order], c[order]
        self.a, self.n_i, self.n_j, self.fixed = a, n_i, n_j, fixed
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(self.o, minlength=n_i))])
        self.big = (float(c.max()) + 1.0) * 1e6 if len(c) else 1.0
        self.by_site = np.argsort(self.d, kind="stable")
        self.site_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.d, minlength=n_j))])

    def nearest2(self, is_open: NDArray[np.bool_]) -> tuple[NDArray, NDArray, NDArray]:
        """Nearest and second-nearest open cost per point, and the nearest site (-1: none)."""
        op = is_open[self.d]
        cs = np.cumsum(op)
        before = np.concatenate([[0], cs])[self.indptr[:-1]]
        rank = np.where(op, cs - before[self.o], 0)
        d1 = np.full(self.n_i, self.big)
        d2 = np.full(self.n_i, self.big)
        r1 = np.full(self.n_i, -1)
        f = rank == 1
        d1[self.o[f]] = self.c[f]
        r1[self.o[f]] = self.d[f]
        s = rank == 2
        d2[self.o[s]] = self.c[s]
        return d1, r1, d2

    def objective(self, is_open: NDArray[np.bool_]) -> float:
        return float(self.a @ self.nearest2(is_open)[0])


def pm_greedy(p: Pairs, *, k: int, order: list[int] | None = None) -> NDArray[np.bool_]:
    """Greedy adding from the existing sites: each step opens the largest cost reduction."""
    is_open = p.fixed.copy()
    d1 = p.nearest2(is_open)[0]
    for _ in range(k):
        q = ~is_open[p.d]
        imp = np.bincount(p.d[q], weights=p.a[p.o[q]] * np.maximum(0.0, d1[p.o[q]] - p.c[q]),
                          minlength=p.n_j)
        imp[is_open] = -1.0
        j = int(np.argmax(imp))
        if imp[j] <= 0:
            break
        is_open[j] = True
        if order is not None:
            order.append(j)
        ps = p.by_site[p.site_ptr[j]:p.site_ptr[j + 1]]
        d1[p.o[ps]] = np.minimum(d1[p.o[ps]], p.c[ps])
    return is_open


def pm_swap(p: Pairs, is_open: NDArray[np.bool_], *, max_rounds: int = 10_000,
            time_limit: float | None = None) -> tuple[NDArray[np.bool_], int]:
    """Teitz-Bart vertex substitution, best improvement per sweep; returns ``(open, swaps)``."""
    t0 = time.perf_counter()
    is_open = is_open.copy()
    n_sw = 0
    for _ in range(max_rounds):
        sel = np.flatnonzero(is_open & ~p.fixed)
        if len(sel) == 0 or is_open.all():
            break
        d1, r1, d2 = p.nearest2(is_open)
        obj = float(p.a @ d1)
        i = p.o
        q = ~is_open[p.d]
        gain = np.bincount(p.d[q], weights=p.a[i[q]] * np.minimum(0.0, p.c[q] - d1[i[q]]),
                           minlength=p.n_j)
        pos = np.full(p.n_j, -1)
        pos[sel] = np.arange(len(sel))
        rp = np.where(r1 >= 0, pos[np.maximum(r1, 0)], -1)
        srv = rp >= 0
        loss = np.bincount(rp[srv], weights=(p.a * (d2 - d1))[srv], minlength=len(sel))
        qq = q & (p.c < d2[i]) & srv[i]
        ii, cc = i[qq], p.c[qq]
        e = p.a[ii] * (np.minimum(d2[ii], cc) - np.minimum(d1[ii], cc) - d2[ii] + d1[ii])
        extra = np.bincount(p.d[qq] * len(sel) + rp[ii], weights=e,
                            minlength=p.n_j * len(sel)).reshape(p.n_j, len(sel))
        delta = gain[:, None] + loss[None, :] + extra
        delta[is_open] = np.inf
        j, r = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[j, r] >= -1e-10 * max(1.0, abs(obj)):
            break
        is_open[sel[r]] = False
        is_open[j] = True
        n_sw += 1
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    return is_open, n_sw


def pm_lower(p: Pairs, is_open: NDArray[np.bool_], *, k: int, iters: int = 300,
             time_limit: float = 30.0) -> float:
    """Lagrangian lower bound on the p-median optimum: relax ``sum_j z_ij = 1`` with
    multipliers ``lam_i``: ``L = sum lam_i + sum_{j open} sum_i min(0, a_i c_ij - lam_i)``,
    existing sites always open and the ``k`` most negative free sites."""
    t0 = time.perf_counter()
    d1 = p.nearest2(is_open)[0]
    upper = float(p.a @ d1)
    lam = p.a * d1  # the heuristic's own costs: L(lam) = upper - (best k improvements)
    free = ~p.fixed
    best = -np.inf
    theta = 1.0
    stall = 0
    wc = p.a[p.o] * p.c
    for _ in range(iters):
        red = np.minimum(0.0, wc - lam[p.o])
        rho = np.bincount(p.d, weights=red, minlength=p.n_j)
        chosen = p.fixed.copy()
        fr = np.flatnonzero(free & (rho < 0))
        if len(fr) > k:
            fr = fr[np.argpartition(rho[fr], k - 1)[:k]]
        chosen[fr] = True
        lag = float(lam.sum() + rho[chosen].sum())
        if lag > best + 1e-12 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best, stall = lag, 0
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2, 0
        g = 1.0 - np.bincount(p.o, weights=((red < 0) & chosen[p.d]).astype(float), minlength=p.n_i)
        norm = float(g @ g)
        if norm == 0 or upper - best <= 1e-9 * max(1.0, upper) or theta < 1e-4 or \
                time.perf_counter() - t0 > time_limit:
            break
        lam = lam + theta * (upper - lag) / norm * g
    return best
