"""Rational Agent Access Model (RAAM; Saxon and Snow 2020), ``access`` semantics, sparse.

Every person picks the facility that minimises travel plus congestion::

    cost_ij = c_ij / tau + D_j / (rho S_j)

where ``D_j`` is the demand assigned to facility j, ``S_j`` its supply and ``rho`` the
study area's demand-to-supply ratio (sum P / sum S by default), so ``tau`` minutes of
travel weigh as much as a facility at 100 % over the mean load. A person's RAAM value
is the assignment-weighted mean of ``cost_ij`` over the facilities their origin uses:
lower is better.

The iteration is pysal ``access``'s (``access/raam.py``, ``iterate_raam``) step for step:
start at each origin's nearest facility; each cycle move people of an origin from its
most to its least costly option by the analytic equalising amount, capped by a step
(``initial_step`` x demand, halving every ``half_life`` cycles, not below ``min_step``)
and truncated to whole people; during the first ``limit_initial`` cycles, moves into a
facility are scaled down so it is not mobbed. Two differences, both on purpose:

- **Convergence stop.** ``access`` always runs ``max_cycles``. We stop at the first cycle
  in which no origin moves anyone before the anti-mobbing scaling: such a state repeats
  unchanged in every later cycle (the step cap only shrinks), so the result is the one
  ``access`` returns after all its cycles, reached sooner. With many origins the
  simultaneous moves often end instead in a cycle of states (typically two assignments
  that alternate, moving a few hundred people back and forth): once the step has reached
  ``min_step`` (so every cycle applies the same map) such a two-state cycle is detected
  (moves that undo the previous cycle's, then equal assignment bits) and only the cycles
  that decide the last state are run, again giving exactly what ``max_cycles`` cycles
  give. Longer cycles are not looked for; they run to ``max_cycles``. :class:`RAAMResult` reports the cycles run and the period.
- **Sparse and explicit.** The OD table is kept as rows (no dense origins x facilities
  matrix). Origins without any facility in the table, or with no people, get NaN
  (``access`` leaves them out of its output); duplicate (origin, destination) pairs are an
  error (``access`` fails in a pivot).

Examples
--------
>>> import pandas as pd
>>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["h", "k", "h"],
...                    "cost": [10.0, 20.0, 12.0]})
>>> r = raam(od, pd.Series({"a": 100.0, "b": 100.0}), pd.Series({"h": 1.0, "k": 1.0}), tau=60)
>>> r.cost.round(4).to_dict(), r.converged
({'a': 1.2445, 'b': 1.29}, True)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError
from ...geo.validate import preview
from ._od import ODMatrix
from .fca import _check_od, _check_values, _codes, _matrix

__all__ = ["RAAMResult", "raam", "ENGINES"]

ENGINES = ("auto", "scan", "numpy")

logger = logging.getLogger("urbanrural")


@dataclass(frozen=True)
class RAAMResult:
    """Result of :func:`raam`.

    Attributes
    ----------
    cost : Series
        RAAM cost per origin (``demand`` index; NaN without a facility or without people).
    cycles : int
        Cycles run.
    converged : bool
        True when the assignment settled: no one moves (``period`` 1) or it cycles through
        ``period`` states for good; either way ``cost`` is what ``max_cycles`` cycles give.
    period : int
        1 for a fixed point, p > 1 for a p-state cycle, 0 when still changing.
    moved : int
        People moved in the last cycle run (0 at a fixed point).
    rho : float
        The demand-to-supply ratio used.
    """

    cost: pd.Series
    cycles: int
    converged: bool
    period: int
    moved: int
    rho: float


def _first(values: NDArray[np.float64], starts: NDArray[np.intp], row: NDArray[np.intp], *,
           largest: bool) -> NDArray[np.intp]:
    """Row-wise arg-min (or arg-max) over CSR-ordered rows; the first position wins ties,
    as numpy's argmin/argmax do along a dense row."""
    best = (np.maximum if largest else np.minimum).reduceat(values, starts)
    pos = np.flatnonzero(values == best[row])
    keep = np.empty(len(pos), dtype=bool)
    keep[0] = True
    np.not_equal(row[pos[1:]], row[pos[:-1]], out=keep[1:])
    return pos[keep]


def _undoes(pmin: NDArray[np.intp], pmax: NDArray[np.intp], delta: NDArray[np.int64], pmin0: NDArray[np.intp],
            pmax0: NDArray[np.intp], delta0: NDArray[np.int64]) -> bool:
    """True when, for every origin, this cycle's move cancels the previous cycle's."""
    idle = (delta == 0) & (delta0 == 0)
    back = (pmin == pmax0) & (pmax == pmin0) & (delta == delta0)
    again = (pmin == pmin0) & (pmax == pmax0) & (delta == -delta0)
    return bool((idle | back | again).all())


def _scan_numpy(starts: NDArray[np.intp], row: NDArray[np.intp], d: NDArray[np.intp],
                travel: NDArray[np.float64], assign: NDArray[np.float64], at: NDArray[np.float64],
                cap: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Per origin: the position of its least costly option and of its most costly used one."""
    total = at[d] / cap[d] + travel
    pmax = _first(np.where(assign != 0, total, -np.inf), starts, row, largest=True)
    return _first(total, starts, row, largest=False), pmax


_SCAN = None


def _scan():
    """The same scan compiled with numba (one pass over the table per cycle); numpy without numba."""
    global _SCAN
    if _SCAN is not None:
        return _SCAN
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        _SCAN = _scan_numpy
        return _SCAN

    @numba.njit(cache=True, nogil=True)
    def scan(starts, row, d, travel, assign, at, cap):  # pragma: no cover - compiled
        n = len(starts)
        nnz = len(d)
        pmin = np.empty(n, dtype=np.intp)
        pmax = np.empty(n, dtype=np.intp)
        cong = at / cap  # per facility; at[d] / cap[d] element by element gives the same bits
        for r in range(n):
            a = starts[r]
            b = starts[r + 1] if r + 1 < n else nnz
            best_min = np.inf
            best_max = -np.inf
            imin = a
            imax = a
            for k in range(a, b):
                t = cong[d[k]] + travel[k]
                if t < best_min:
                    best_min = t
                    imin = k
                if assign[k] != 0 and t > best_max:
                    best_max = t
                    imax = k
            pmin[r] = imin
            pmax[r] = imax
        return pmin, pmax

    _SCAN = scan
    return _SCAN

# ---- the incremental engine: a CSR table, sparse assignments, rescans of what moved ------------

try:
    import numba as _numba
except ImportError:  # pragma: no cover - numba is a dependency
    _numba = None


def _jit(fn):
    return fn if _numba is None else _numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


@_jit
def _setup(indptr, dest, cost, maxc, dem, capr):  # pragma: no cover - compiled
    """Options per row (valid: people at the origin, capacity at the facility, cost <=
    maxc); the facility -> rows index of the options; duplicate options; first choices."""
    n = len(dem)
    nf = len(capr)
    fptr = np.zeros(nf + 1, dtype=np.int64)
    rowok = np.zeros(n, dtype=np.bool_)
    ndup = 0
    dup_row = -1
    for r in range(n):
        if not dem[r] > 0:
            continue
        last = -1
        for k in range(indptr[r], indptr[r + 1]):
            j = dest[k]
            if cost[k] <= maxc and capr[j] > 0:
                fptr[j + 1] += 1
                if j == last:
                    ndup += 1
                    if dup_row < 0:
                        dup_row = r
                last = j
                rowok[r] = True
    for j in range(nf):
        fptr[j + 1] += fptr[j]
    frow = np.empty(fptr[nf], dtype=np.int32)
    pos = fptr[:nf].copy()
    for r in range(n):
        if not dem[r] > 0:
            continue
        for k in range(indptr[r], indptr[r + 1]):
            j = dest[k]
            if cost[k] <= maxc and capr[j] > 0:
                frow[pos[j]] = r
                pos[j] += 1
    return fptr, frow, rowok, ndup, dup_row


@_jit
def _initial(indptr, dest, cost, tau, maxc, dem, capr, rowok):  # pragma: no cover - compiled
    """Everyone at the nearest option (first wins ties); the sparse assignment arena."""
    n = len(dem)
    nrow = 0
    for r in range(n):
        if rowok[r]:
            nrow += 1
    a_start = np.zeros(n, dtype=np.int64)
    a_len = np.zeros(n, dtype=np.int32)
    a_cap = np.zeros(n, dtype=np.int32)
    a_pos = np.empty(4 * nrow + 1024, dtype=np.int64)
    a_amt = np.empty(4 * nrow + 1024, dtype=np.float64)
    used = 0
    for r in range(n):
        if not rowok[r]:
            continue
        best = np.inf
        kb = -1
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] <= maxc and capr[dest[k]] > 0:
                t = cost[k] / tau
                if t < best:
                    best = t
                    kb = k
        a_start[r] = used
        a_len[r] = 1
        a_cap[r] = 4
        a_pos[used] = kb
        a_amt[used] = dem[r]
        used += 4
    return a_start, a_len, a_cap, a_pos, a_amt, used


@_jit
def _amount(a_pos, a_amt, s, ln, k):  # pragma: no cover - compiled
    for e in range(s, s + ln):
        if a_pos[e] == k:
            return a_amt[e]
        if a_pos[e] > k:
            return 0.0
    return 0.0


@_jit
def _scan_row(r, indptr, dest, cost, tau, maxc, capr, cong, a_start, a_len, a_pos, a_amt,
              pmin, pmax, vmin, vmax):  # pragma: no cover - compiled
    best_min = np.inf
    best_max = -np.inf
    imin = indptr[r]
    imax = indptr[r]
    e = a_start[r]
    e_end = e + a_len[r]
    for k in range(indptr[r], indptr[r + 1]):
        j = dest[k]
        if cost[k] <= maxc and capr[j] > 0:
            t = cong[j] + cost[k] / tau
            if t < best_min:
                best_min = t
                imin = k
            while e < e_end and a_pos[e] < k:
                e += 1
            if e < e_end and a_pos[e] == k and a_amt[e] != 0 and t > best_max:
                best_max = t
                imax = k
    pmin[r] = imin
    vmin[r] = best_min
    pmax[r] = imax
    vmax[r] = best_max


@_jit
def _find(dest, a, b, j):  # pragma: no cover - compiled
    while a < b:
        m = (a + b) >> 1
        if dest[m] < j:
            a = m + 1
        else:
            b = m
    return a


@_jit
def _cycle(indptr, dest, cost, tau, maxc, dem, capr, rowok, fptr, frow, n_valid,
           pmin, pmax, vmin, vmax, cong, at, dirty, moved_rows, meta,
           a_start, a_len, a_cap, a_pos, a_amt,
           delta, prev_pmin, prev_pmax, prev_delta,
           first, size, per_person, limit, track, has_prev):  # pragma: no cover - compiled
    """One RAAM cycle, step for step the vectorised one; returns (status, moved, undoes,
    a_pos, a_amt): status 0 when no origin would move anyone (a fixed point)."""
    n = len(dem)
    nf = len(capr)
    # loads, summed in pair order as np.bincount(d, weights=assign) does
    at[:] = 0.0
    for r in range(n):
        for e in range(a_start[r], a_start[r] + a_len[r]):
            at[dest[a_pos[e]]] += a_amt[e]
    changed = np.empty(nf, dtype=np.int64)
    nch = 0
    work = 0
    for j in range(nf):
        c = at[j] / capr[j] if capr[j] > 0 else 0.0
        if first or c != cong[j]:
            cong[j] = c
            changed[nch] = j
            nch += 1
            work += fptr[j + 1] - fptr[j]
    # each origin's least costly option and its most costly used one
    if first or 3 * work > n_valid:
        for r in range(n):
            if rowok[r]:
                _scan_row(r, indptr, dest, cost, tau, maxc, capr, cong, a_start, a_len, a_pos, a_amt,
                          pmin, pmax, vmin, vmax)
    else:
        nm = meta[1]
        for q in range(nm):
            dirty[moved_rows[q]] = 1
        ndirty = nm
        for c in range(nch):
            j = changed[c]
            cj = cong[j]
            for q in range(fptr[j], fptr[j + 1]):
                r = frow[q]
                if dirty[r]:
                    continue
                k = _find(dest, indptr[r], indptr[r + 1], j)
                t = cj + cost[k] / tau
                if k == pmin[r]:
                    if t > vmin[r]:
                        dirty[r] = 1
                        moved_rows[ndirty] = r
                        ndirty += 1
                        continue
                    vmin[r] = t
                elif t < vmin[r] or (t == vmin[r] and k < pmin[r]):
                    pmin[r] = k
                    vmin[r] = t
                if k == pmax[r]:
                    if t < vmax[r]:
                        dirty[r] = 1
                        moved_rows[ndirty] = r
                        ndirty += 1
                        continue
                    vmax[r] = t
                elif (t > vmax[r] or (t == vmax[r] and k < pmax[r])) and \
                        _amount(a_pos, a_amt, a_start[r], a_len[r], k) != 0:
                    pmax[r] = k
                    vmax[r] = t
        for q in range(ndirty):
            r = moved_rows[q]
            _scan_row(r, indptr, dest, cost, tau, maxc, capr, cong, a_start, a_len, a_pos, a_amt,
                      pmin, pmax, vmin, vmax)
            dirty[r] = 0
    # the moves
    anyd = False
    for r in range(n):
        kmin = pmin[r]
        kmax = pmax[r]
        if not rowok[r] or kmin == kmax:
            delta[r] = 0
            continue
        dmin = dest[kmin]
        dmax = dest[kmax]
        slmin = capr[dmin]
        slmax = capr[dmax]
        drlmin = _amount(a_pos, a_amt, a_start[r], a_len[r], kmin)
        drlmax = _amount(a_pos, a_amt, a_start[r], a_len[r], kmax)
        other_min = at[dmin] - drlmin
        other_max = at[dmax] - drlmax
        target = (slmin * slmax) / (slmin + slmax) * (
            (cost[kmax] / tau - cost[kmin] / tau) + (drlmin + drlmax + other_max) / slmax - other_min / slmin)
        x = min(target - drlmin, drlmax)
        x = min(x, size * dem[r] if per_person else size)
        delta[r] = np.int64(x)
        if delta[r] != 0:
            anyd = True
    if not anyd:
        return 0, 0, False, a_pos, a_amt
    if limit:  # do not let attractive facilities get mobbed
        naive = np.zeros(nf)
        for r in range(n):
            if delta[r] != 0:
                naive[dest[pmin[r]]] += delta[r]
        for j in range(nf):
            naive[j] = naive[j] / capr[j]
        for r in range(n):
            if delta[r] != 0:
                delta[r] = np.int64(np.rint(delta[r] / max(naive[dest[pmin[r]]], 1.0)))
    moved = 0
    nm = 0
    used = meta[0]
    for r in range(n):
        dl = delta[r]
        if dl == 0:
            continue
        moved += abs(dl)
        moved_rows[nm] = r
        nm += 1
        for side in range(2):
            k = pmin[r] if side == 0 else pmax[r]
            s0 = a_start[r]
            ln = a_len[r]
            e = s0
            while e < s0 + ln and a_pos[e] < k:
                e += 1
            if e < s0 + ln and a_pos[e] == k:
                v = a_amt[e] + dl if side == 0 else a_amt[e] - dl
                if v != 0:
                    a_amt[e] = v
                else:  # drop the entry
                    for f in range(e, s0 + ln - 1):
                        a_pos[f] = a_pos[f + 1]
                        a_amt[f] = a_amt[f + 1]
                    a_len[r] = ln - 1
                continue
            v = 0.0 + dl if side == 0 else 0.0 - dl
            if ln == a_cap[r]:  # relocate the row to the end of the arena, twice as roomy
                newcap = 2 * a_cap[r]
                if used + newcap > len(a_pos):
                    size2 = max(int(len(a_pos) * 1.5), used + newcap)
                    p2 = np.empty(size2, dtype=np.int64)
                    m2 = np.empty(size2, dtype=np.float64)
                    p2[:used] = a_pos[:used]
                    m2[:used] = a_amt[:used]
                    a_pos = p2
                    a_amt = m2
                for f in range(ln):
                    a_pos[used + f] = a_pos[s0 + f]
                    a_amt[used + f] = a_amt[s0 + f]
                e = used + (e - s0)
                s0 = used
                a_start[r] = used
                a_cap[r] = newcap
                used += newcap
            for f in range(s0 + ln, e, -1):
                a_pos[f] = a_pos[f - 1]
                a_amt[f] = a_amt[f - 1]
            a_pos[e] = k
            a_amt[e] = v
            a_len[r] = ln + 1
    meta[0] = used
    meta[1] = nm
    und = False
    if track:
        if has_prev:
            und = True
            for r in range(n):
                dl = delta[r]
                d0 = prev_delta[r]
                idle = dl == 0 and d0 == 0
                back = pmin[r] == prev_pmax[r] and pmax[r] == prev_pmin[r] and dl == d0
                again = pmin[r] == prev_pmin[r] and pmax[r] == prev_pmax[r] and dl == -d0
                if not (idle or back or again):
                    und = False
                    break
        prev_pmin[:] = pmin
        prev_pmax[:] = pmax
        prev_delta[:] = delta
    return 1, moved, und, a_pos, a_amt


@_jit
def _dump(a_start, a_len, a_pos, a_amt):  # pragma: no cover - compiled
    """The assignment as (pair, people) in pair order: equal bits iff equal assignments."""
    m = 0
    for r in range(len(a_start)):
        m += a_len[r]
    pos = np.empty(m, dtype=np.int64)
    amt = np.empty(m, dtype=np.float64)
    q = 0
    for r in range(len(a_start)):
        for e in range(a_start[r], a_start[r] + a_len[r]):
            pos[q] = a_pos[e]
            amt[q] = a_amt[e]
            q += 1
    return pos, amt


@_jit
def _final(indptr, dest, cost, tau, capr, at, rowok, a_start, a_len, a_pos, a_amt):  # pragma: no cover
    """Assignment-weighted mean cost per origin, with the loads of the last cycle run."""
    n = len(rowok)
    out = np.full(n, np.nan)
    for r in range(n):
        if not rowok[r]:
            continue
        num = 0.0
        den = 0.0
        for e in range(a_start[r], a_start[r] + a_len[r]):
            k = a_pos[e]
            j = dest[k]
            t = at[j] / capr[j] + cost[k] / tau
            num += t * a_amt[e]
            den += a_amt[e]
        out[r] = num / den
    return out


def _raam_incremental(m, p, s, *, tau, rho, max_cost, max_cycles, initial_step, step_int, min_step, half_life,
                      limit_initial, demand_index):
    """:func:`raam` on an aligned CSR table; origins rescanned only where a load they see,
    or their own assignment, changed."""
    maxc = np.inf if max_cost is None else float(max_cost)
    cap = s * rho
    dem = np.asarray(p, dtype=float)
    fptr, frow, rowok, ndup, dup_row = _setup(m.indptr, m.dest, m.cost, maxc, dem, cap)
    if ndup:
        raise DataError(f"the OD table repeats {ndup} (origin, destination) pair(s), e.g. origins "
                        f"{preview(demand_index[[dup_row]])}; keep one cost per pair")
    out = pd.Series(np.nan, index=demand_index, name="raam")
    if not rowok.any():
        logger.warning("RAAM: no origin with people has a facility with capacity in the OD table")
        return RAAMResult(out, 0, True, 1, 0, float(rho))
    n, nf = len(dem), len(cap)
    a_start, a_len, a_cap, a_pos, a_amt, used = _initial(m.indptr, m.dest, m.cost, tau, maxc, dem, cap, rowok)
    pmin, pmax = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    vmin, vmax = np.zeros(n), np.zeros(n)
    cong, at = np.zeros(nf), np.zeros(nf)
    dirty = np.zeros(n, dtype=np.uint8)
    moved_rows = np.zeros(n, dtype=np.int64)
    meta = np.array([used, 0], dtype=np.int64)
    delta = np.zeros(n, dtype=np.int64)
    prev_pmin, prev_pmax, prev_delta = pmin.copy(), pmax.copy(), delta.copy()
    n_valid = len(frow)
    cycles, moved, period, i, has_prev = 0, 0, 0, 0, False
    seen: dict[bytes, int] = {}
    n_cycles = int(max_cycles)
    while i < n_cycles:
        cycles = i + 1
        if step_int:
            size = max(int(np.round(initial_step * 0.5 ** (i / half_life))), 0)
            size = min_step if size < min_step else size
        else:
            size = max(float(initial_step) * 0.5 ** (i / half_life), min_step)
        track = period == 0 and size == min_step and i + 1 > limit_initial
        status, moved_c, und, a_pos, a_amt = _cycle(
            m.indptr, m.dest, m.cost, float(tau), maxc, dem, cap, rowok, fptr, frow, n_valid,
            pmin, pmax, vmin, vmax, cong, at, dirty, moved_rows, meta, a_start, a_len, a_cap, a_pos, a_amt,
            delta, prev_pmin, prev_pmax, prev_delta, i == 0, float(size), not step_int, i < limit_initial,
            track, has_prev)
        if status == 0:  # a fixed point: every later cycle would repeat it
            period, moved = 1, 0
            break
        moved = int(moved_c)
        i += 1
        if track:
            if und:
                pos, amt = _dump(a_start, a_len, a_pos, a_amt)
                h = hashlib.blake2b(pos.tobytes(), digest_size=16)
                h.update(amt.tobytes())
                key = h.digest()
                if key in seen:
                    period = i - seen[key]
                    n_cycles = i + (n_cycles - i) % period
                seen[key] = i
            has_prev = True
    out[:] = _final(m.indptr, m.dest, m.cost, float(tau), cap, at, rowok, a_start, a_len, a_pos, a_amt)
    if period == 0:
        logger.info(f"RAAM: stopped at max_cycles={max_cycles} with {moved:,} people still moving per cycle")
    return RAAMResult(out, cycles, period > 0, period, moved, float(rho))


def raam(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, tau: float = 60.0, rho: float | None = None,
         max_cost: float | None = None, max_cycles: int = 150, initial_step: float | int = 0.2,
         min_step: float = 0.005, half_life: float = 50.0, limit_initial: int = 20,
         engine: str = "auto") -> RAAMResult:
    """Rational Agent Access Model on a sparse OD table.

    Parameters
    ----------
    od : DataFrame or ODMatrix
        ``origin``, ``destination``, ``cost`` (minutes): each origin's options; or the
        compact table (``od_table(..., compact=True)``), used in place when its origins
        and destinations are ``demand.index`` and ``supply.index``.
    demand : Series
        People per origin (index = origin ids); origins with 0 people are not assigned.
    supply : Series
        Capacity per destination (index = destination ids); destinations with 0 capacity
        are not options.
    tau : float, default 60
        Minutes of travel worth a 100 % overload of a facility.
    rho : float, optional
        Demand-to-supply ratio (default: total demand / total supply).
    max_cost : float, optional
        Only pairs with ``cost <= max_cost`` are options (default: every pair in ``od``).
    max_cycles, initial_step, min_step, half_life, limit_initial
        ``access``'s iteration parameters (same defaults). ``initial_step`` is a fraction
        of each origin's demand when a float, a number of people when an int.
    engine : {"auto", "scan", "numpy"}
        ``"auto"``: compiled cycles on the CSR table that rescan only what moved (below);
        ``"scan"``: a compiled full scan of every option each cycle; ``"numpy"``:
        vectorised numpy (the test oracle). All three give the same bits.

    Returns
    -------
    RAAMResult

    Examples
    --------
    >>> od = pd.DataFrame({"origin": [0, 0], "destination": [0, 1], "cost": [0.0, 0.0]})
    >>> r = raam(od, pd.Series([100.0]), pd.Series([1.0, 1.0]))
    >>> float(r.cost.iloc[0]), r.cycles  # 20, 20, then 10 people move; the 4th cycle moves none
    (1.0, 4)
    """
    if engine not in ENGINES:
        raise DataError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}")
    if not isinstance(od, ODMatrix):
        _check_od(od)
    p = _check_values(demand, what="demand")
    s = _check_values(supply, what="supply")
    if not (np.isfinite(tau) and tau > 0):
        raise DataError(f"tau must be positive minutes; got {tau!r}")
    if int(max_cycles) < 1:
        raise DataError(f"max_cycles must be >= 1; got {max_cycles!r}")
    step_int = isinstance(initial_step, (int, np.integer)) and not isinstance(initial_step, bool)
    if not (np.isfinite(initial_step) and initial_step > 0 and min_step > 0 and half_life > 0):
        raise DataError("initial_step, min_step and half_life must be positive")
    if rho is None:
        rho = float(p[p > 0].sum() / s[s > 0].sum()) if (s > 0).any() else float("nan")
    if not (np.isfinite(rho) and rho > 0):
        raise DataError(f"rho (demand / supply) must be positive; got {rho!r}: is there any demand and supply?")
    if max_cost is not None and not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    if engine == "auto":
        m = _matrix(od, demand.index, supply.index) if isinstance(od, ODMatrix) else \
            ODMatrix.from_frame(od, origins=demand.index, destinations=supply.index)
        return _raam_incremental(m, p, s, tau=tau, rho=rho, max_cost=max_cost, max_cycles=max_cycles,
                                 initial_step=initial_step, step_int=step_int, min_step=min_step,
                                 half_life=half_life, limit_initial=limit_initial, demand_index=demand.index)
    out = pd.Series(np.nan, index=demand.index, name="raam")
    if isinstance(od, ODMatrix):
        m = _matrix(od, demand.index, supply.index)
        o, d, cost = m.row_positions().astype(np.intp), m.dest.astype(np.intp), m.cost
    else:
        cost = od["cost"].to_numpy(dtype=float)
        o = _codes(demand.index, od["origin"].to_numpy())
        d = _codes(supply.index, od["destination"].to_numpy())
    keep = (o >= 0) & (d >= 0)
    keep[keep] = (p[o[keep]] > 0) & (s[d[keep]] > 0)
    if max_cost is not None:
        keep &= cost <= max_cost
    o, d, cost = o[keep], d[keep], cost[keep]
    if len(o) == 0:
        logger.warning("RAAM: no origin with people has a facility with capacity in the OD table")
        return RAAMResult(out, 0, True, 1, 0, float(rho))
    order = np.lexsort((d, o))
    o, d, travel = o[order], d[order], cost[order] / tau
    dup = (o[1:] == o[:-1]) & (d[1:] == d[:-1])
    if dup.any():
        raise DataError(f"the OD table repeats {int(dup.sum())} (origin, destination) pair(s), e.g. origins "
                        f"{preview(demand.index[o[1:][dup]])}; keep one cost per pair")
    # rows: origins with at least one option, in CSR order
    first_of_row = np.r_[True, o[1:] != o[:-1]]
    starts = np.flatnonzero(first_of_row)
    row = np.cumsum(first_of_row) - 1
    origins = o[starts]
    dem = p[origins]
    cap = s * rho  # by destination code
    nd = len(s)
    assign = np.zeros(len(o))
    assign[_first(travel, starts, row, largest=False)] = dem
    cycles, moved, period = 0, 0, 0
    at = np.zeros(nd)
    scan = _scan() if engine == "scan" else _scan_numpy
    seen: dict[bytes, int] = {}  # assignment digests once the step is at its floor
    last = None
    n_cycles = int(max_cycles)
    i = 0
    while i < n_cycles:
        cycles = i + 1
        at = np.bincount(d, weights=assign, minlength=nd)
        pmin, pmax = scan(starts, row, d, travel, assign, at, cap)
        dmin, dmax = d[pmin], d[pmax]
        slmin, slmax = cap[dmin], cap[dmax]
        drlmin, drlmax = assign[pmin], assign[pmax]
        other_min, other_max = at[dmin] - drlmin, at[dmax] - drlmax
        target = (slmin * slmax) / (slmin + slmax) * (
            (travel[pmax] - travel[pmin]) + (drlmin + drlmax + other_max) / slmax - other_min / slmin)
        delta = np.minimum(target - drlmin, drlmax)
        delta = np.where(pmax == pmin, 0.0, delta)
        if step_int:
            size = max(int(np.round(initial_step * 0.5 ** (i / half_life))), 0)
            size = min_step if size < min_step else size
            delta = np.minimum(delta, size).astype(np.int64)
        else:
            size = max(float(initial_step) * 0.5 ** (i / half_life), min_step)
            delta = np.minimum(delta, size * dem).astype(np.int64)
        if not delta.any():  # a fixed point: every later cycle would repeat it
            period, moved = 1, 0
            break
        if i < limit_initial:  # do not let attractive facilities get mobbed
            naive = np.bincount(dmin, weights=delta, minlength=nd) / cap
            delta = np.round(delta / np.maximum(naive, 1.0)[dmin]).astype(np.int64)
        assign[pmin] += delta
        assign[pmax] -= delta
        moved = int(np.abs(delta).sum())
        i += 1
        if period == 0 and size == min_step and i > limit_initial:
            # From here every cycle applies the same map, so a repeated assignment repeats to
            # the end: run only the cycles that decide the last state. The cheap test (this
            # cycle's moves undo the last one's, origin by origin) picks the cycles whose
            # assignment is worth a digest; the digest compares exact bits.
            if last is not None and _undoes(pmin, pmax, delta, *last):
                key = hashlib.blake2b(assign.tobytes(), digest_size=16).digest()
                if key in seen:
                    period = i - seen[key]
                    n_cycles = i + (n_cycles - i) % period
                seen[key] = i
            last = (pmin, pmax, delta)
    total = at[d] / cap[d] + travel  # the costs every person saw in the last cycle run
    cost_row = np.bincount(row, weights=total * assign) / np.bincount(row, weights=assign)
    out.iloc[origins] = cost_row
    if period == 0:
        logger.info(f"RAAM: stopped at max_cycles={max_cycles} with {moved:,} people still moving per cycle")
    return RAAMResult(out, cycles, period > 0, period, moved, float(rho))
