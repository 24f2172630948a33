"""RAAM cycles on the compact OD table, compiled: only what moved is looked at again.

The vectorised engine (:func:`.raam.raam` with ``engine="numpy"``) makes two passes over
every option of every origin per cycle: the facility loads ``np.bincount(d, weights=
assign)`` and a scan for each origin's least costly option and most costly used one.
Here the same cycle is computed with work proportional to what changed:

- **assignments are sparse**: per origin, the few options holding people (an arena of
  ``(pair, people, facility, travel)`` entries in pair order), so the loads are a sum over
  those entries in the same order as the bincount (equal bits), and the most costly used
  option is a scan of those entries only;
- **least costly option, bounded**: a full scan of an origin's options also gives the
  second-lowest cost; each cycle that bound is lowered by the largest drop of any
  facility's congestion (plus a rounding margin far above float error), and the origin's
  options are scanned again only when its current choice is no longer strictly below the
  bound. Strictly below means no other option can be lower or tie, so the choice is the
  one a full scan would make (first position on ties), bit for bit.

Everything else (the move sizes, the anti-mobbing scaling, the two-state cycle test, the
final mean) is the vectorised engine's arithmetic in the same order. The tests compare
all three engines bit for bit.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pandas as pd

from ...geo.errors import DataError
from ...geo.validate import preview

__all__ = ["raam_incremental"]

logger = logging.getLogger("urbanrural")

try:
    import numba as _numba
except ImportError:  # pragma: no cover - numba is a dependency
    _numba = None


def _jit(fn):
    return fn if _numba is None else _numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


def _pjit(fn):
    """Compiled with threads over ``_prange`` loops (numba's prange; plain range without numba)."""
    return fn if _numba is None else _numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")(fn)


_prange = range if _numba is None else _numba.prange


@_jit
def _setup(indptr, dest, cost, grp, rowp, leg, dleg, maxc, dem, capr):  # pragma: no cover - compiled
    """Origins with an option (people at the origin, capacity at the facility, cost <=
    maxc), duplicate options, the largest option cost."""
    n = len(dem)
    rowok = np.zeros(n, dtype=np.bool_)
    ndup = 0
    dup_row = -1
    cmax = 0.0
    for r in range(n):
        if not dem[r] > 0:
            continue
        last = -1
        g = rowp[r] if grp else np.int64(r)
        lr = leg[r] if grp else 0.0
        for k in range(indptr[g], indptr[g + 1]):
            j = dest[k]
            c = (cost[k] + lr) + dleg[j] if grp else cost[k]
            if c <= maxc and capr[j] > 0:
                if j == last:
                    ndup += 1
                    if dup_row < 0:
                        dup_row = r
                last = j
                rowok[r] = True
                cmax = max(cmax, c)
    return rowok, ndup, dup_row, cmax


@_jit
def _initial(indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, dem, capr, rowok):  # pragma: no cover - compiled
    """Everyone at the nearest option (first wins ties), as the arena of entries."""
    n = len(dem)
    nrow = 0
    for r in range(n):
        if rowok[r]:
            nrow += 1
    size = 4 * nrow + 1024
    a_start = np.zeros(n, dtype=np.int64)
    a_len = np.zeros(n, dtype=np.int32)
    a_cap = np.zeros(n, dtype=np.int32)
    a_pos = np.empty(size, dtype=np.int64)
    a_amt = np.empty(size, dtype=np.float64)
    a_fac = np.empty(size, dtype=np.int32)
    a_trav = np.empty(size, dtype=np.float64)
    used = 0
    for r in range(n):
        if not rowok[r]:
            continue
        best = np.inf
        kb = -1
        g = rowp[r] if grp else np.int64(r)
        lr = leg[r] if grp else 0.0
        for k in range(indptr[g], indptr[g + 1]):
            c = (cost[k] + lr) + dleg[dest[k]] if grp else cost[k]
            if c <= maxc and capr[dest[k]] > 0:
                t = c / tau
                if t < best:
                    best = t
                    kb = k
        a_start[r] = used
        a_len[r] = 1
        a_cap[r] = 4
        a_pos[used] = kb
        a_amt[used] = dem[r]
        a_fac[used] = dest[kb]
        a_trav[used] = best
        used += 4
    return a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav, used


@_jit
def _rescan(r, indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, cong, pmin, vmin, low, fmin,
            tmin):  # pragma: no cover - compiled
    """Least costly option of origin r (first position on ties) and the second-lowest cost;
    ``cong`` is +inf at facilities without capacity, so those are never chosen."""
    best = np.inf
    second = np.inf
    kb = -1
    cb = 0.0
    g = rowp[r] if grp else np.int64(r)
    lr = leg[r] if grp else 0.0
    for k in range(indptr[g], indptr[g + 1]):
        c = (cost[k] + lr) + dleg[dest[k]] if grp else cost[k]
        t = cong[dest[k]] + c / tau if c <= maxc else np.inf
        if t < best:
            second = best
            best = t
            kb = k
            cb = c
        elif t < second:
            second = t
    pmin[r] = kb
    vmin[r] = best
    low[r] = second
    fmin[r] = dest[kb]
    tmin[r] = cb / tau


def _row_min_py(a, b, dest, cost, grp, lr, dleg, tau, maxc, cong):  # pragma: no cover - compiled
    best = np.inf
    for k in range(a, b):
        c = (cost[k] + lr) + dleg[dest[k]] if grp else cost[k]
        t = cong[dest[k]] + c / tau if c <= maxc else np.inf
        best = min(best, t)
    return best


# min is exact in any order and no cost is NaN: let the compiler vectorise the reduction
_row_min = _row_min_py if _numba is None else \
    _numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"nnan", "nsz"})(_row_min_py)


@_jit
def _dense_scan(r, indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, cong, pmin, vmin, low, fmin,
                tmin):  # pragma: no cover - compiled
    """Least costly option of origin r without the second-lowest cost (``low`` = -inf):
    a vectorised minimum, then the first option reaching it."""
    g = rowp[r] if grp else np.int64(r)
    lr = leg[r] if grp else 0.0
    a = indptr[g]
    best = _row_min(a, indptr[g + 1], dest, cost, grp, lr, dleg, tau, maxc, cong)
    kb = a
    cb = (cost[kb] + lr) + dleg[dest[kb]] if grp else cost[kb]
    while not (cb <= maxc and cong[dest[kb]] + cb / tau == best):
        kb += 1
        cb = (cost[kb] + lr) + dleg[dest[kb]] if grp else cost[kb]
    pmin[r] = kb
    vmin[r] = best
    low[r] = -np.inf
    fmin[r] = dest[kb]
    tmin[r] = cb / tau


@_pjit
def _rows(indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, dem, capr, rowok, pmin, vmin, low, fmin, tmin, pmax, fmax, moved_row, amask,
          cong, chg, moved_fac, at, a_start, a_len, a_pos, a_amt, a_fac, a_trav, delta, first, dense, same_size, size,
          per_person, drop, margin, bits):  # pragma: no cover - compiled
    """Every origin's least costly option, its most costly used one and the people it
    moves (``delta``), in parallel over origins: each origin reads the facilities' state
    and writes only its own entries, so threads cannot change the result."""
    n = len(dem)
    rescans = 0
    for r in _prange(n):
        if not rowok[r]:
            delta[r] = 0
            continue
        if first:
            _rescan(r, indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, cong, pmin, vmin, low, fmin, tmin)
            rescans += 1
        elif dense:
            _dense_scan(r, indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, cong, pmin, vmin, low, fmin, tmin)
            rescans += 1
        else:
            v = cong[fmin[r]] + tmin[r]
            lw = low[r] + drop - margin
            if not v < lw:  # the bound from the largest drop anywhere fails: the drops this origin sees
                fall = 0.0
                g = rowp[r] if grp else np.int64(r)
                for k in range(indptr[g], indptr[g + 1]):
                    fall = min(fall, chg[dest[k]])
                lw = low[r] + fall - margin
            if v < lw:  # strictly below every other option: still the first minimum
                vmin[r] = v
                low[r] = lw
                if same_size and not moved_row[r] and not moved_fac[fmin[r]] and not moved_fac[fmax[r]] and \
                        (amask[r] & bits) == 0:
                    continue  # nothing this origin's move depends on changed: it moves 0 again
            else:
                _rescan(r, indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, cong, pmin, vmin, low, fmin, tmin)
                rescans += 1
        kmin = pmin[r]
        bmax = -np.inf
        kmax = -1
        fmx = 0
        tmx = 0.0
        drlmax = 0.0
        drlmin = 0.0
        for e in range(a_start[r], a_start[r] + a_len[r]):
            t = cong[a_fac[e]] + a_trav[e]
            if t > bmax:
                bmax = t
                kmax = a_pos[e]
                fmx = a_fac[e]
                tmx = a_trav[e]
                drlmax = a_amt[e]
            if a_pos[e] == kmin:
                drlmin = a_amt[e]
        pmax[r] = kmax
        fmax[r] = fmx
        moved_row[r] = 0
        if kmin == kmax:
            delta[r] = 0
            continue
        dmin = fmin[r]
        slmin = capr[dmin]
        slmax = capr[fmx]
        other_min = at[dmin] - drlmin
        other_max = at[fmx] - drlmax
        target = (slmin * slmax) / (slmin + slmax) * (
            (tmx - tmin[r]) + (drlmin + drlmax + other_max) / slmax - other_min / slmin)
        x = min(target - drlmin, drlmax)
        x = min(x, size * dem[r] if per_person else size)
        delta[r] = np.int64(x)
    anyd = False
    for r in range(n):
        if delta[r] != 0:
            anyd = True
            break
    return rescans, anyd


@_jit
def _cycle(indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, dem, capr, rowok, pmin, vmin, low, fmin, tmin, pmax, fmax, moved_row,
           amask,
           cong, chg, moved_fac, at, meta, a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav,
           delta, prev_pmin, prev_pmax, prev_delta,
           first, dense, same_size, size, per_person, limit, track, has_prev,
           max_trav):  # pragma: no cover - compiled
    """One cycle; returns (status, moved, undoes, rescans, a_pos, a_amt, a_fac, a_trav),
    status 0 when no origin would move anyone (a fixed point)."""
    n = len(dem)
    nf = len(capr)
    at[:] = 0.0  # loads, in pair order as np.bincount(d, weights=assign)
    for r in range(n):
        for e in range(a_start[r], a_start[r] + a_len[r]):
            at[a_fac[e]] += a_amt[e]
    drop = 0.0
    mag = 0.0
    bits = np.uint64(0)  # facilities whose load changed, hashed to 64 bits
    for j in range(nf):
        if capr[j] > 0:
            c = at[j] / capr[j]
            chg[j] = min(c - cong[j], 0.0)
            drop = min(drop, chg[j])
            mag = max(mag, abs(c), abs(cong[j]))
            moved_fac[j] = c != cong[j]
            if moved_fac[j]:
                bits |= np.uint64(1) << np.uint64(j & 63)
            cong[j] = c
        else:
            cong[j] = np.inf  # no capacity: never an option
    # every option's cost falls by at most `drop` (by chg[j] at facility j); the margin covers
    # rounding many times over
    margin = 1e-12 * (mag + max_trav + 1.0)
    rescans, anyd = _rows(indptr, dest, cost, grp, rowp, leg, dleg, tau, maxc, dem, capr, rowok, pmin, vmin, low, fmin, tmin, pmax, fmax,
                          moved_row, amask, cong, chg, moved_fac, at, a_start, a_len, a_pos, a_amt, a_fac, a_trav,
                          delta, first, dense, same_size, size, per_person, drop, margin, bits)
    if not anyd:
        return 0, 0, False, rescans, a_pos, a_amt, a_fac, a_trav
    if limit:  # do not let attractive facilities get mobbed
        naive = np.zeros(nf)
        for r in range(n):
            if delta[r] != 0:
                naive[fmin[r]] += delta[r]
        for j in range(nf):
            naive[j] = naive[j] / capr[j]
        for r in range(n):
            if delta[r] != 0:
                delta[r] = np.int64(np.rint(delta[r] / max(naive[fmin[r]], 1.0)))
    moved = 0
    used = meta[0]
    for r in range(n):
        dl = delta[r]
        if dl == 0:
            continue
        moved += abs(dl)
        moved_row[r] = 1
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
                else:  # nobody left there: drop the entry
                    for f in range(e, s0 + ln - 1):
                        a_pos[f] = a_pos[f + 1]
                        a_amt[f] = a_amt[f + 1]
                        a_fac[f] = a_fac[f + 1]
                        a_trav[f] = a_trav[f + 1]
                    a_len[r] = ln - 1
                continue
            v = 0.0 + dl if side == 0 else 0.0 - dl
            if ln == a_cap[r]:  # move the origin's entries to the end of the arena, twice as roomy
                newcap = 2 * a_cap[r]
                if used + newcap > len(a_pos):
                    size2 = max(int(len(a_pos) * 1.5), used + newcap)
                    p2 = np.empty(size2, dtype=np.int64)
                    m2 = np.empty(size2, dtype=np.float64)
                    f2 = np.empty(size2, dtype=np.int32)
                    t2 = np.empty(size2, dtype=np.float64)
                    p2[:used] = a_pos[:used]
                    m2[:used] = a_amt[:used]
                    f2[:used] = a_fac[:used]
                    t2[:used] = a_trav[:used]
                    a_pos, a_amt, a_fac, a_trav = p2, m2, f2, t2
                for f in range(ln):
                    a_pos[used + f] = a_pos[s0 + f]
                    a_amt[used + f] = a_amt[s0 + f]
                    a_fac[used + f] = a_fac[s0 + f]
                    a_trav[used + f] = a_trav[s0 + f]
                e = used + (e - s0)
                s0 = used
                a_start[r] = used
                a_cap[r] = newcap
                used += newcap
            for f in range(s0 + ln, e, -1):
                a_pos[f] = a_pos[f - 1]
                a_amt[f] = a_amt[f - 1]
                a_fac[f] = a_fac[f - 1]
                a_trav[f] = a_trav[f - 1]
            a_pos[e] = k
            a_amt[e] = v
            a_fac[e] = fmin[r]
            a_trav[e] = tmin[r]
            a_len[r] = ln + 1
        mask = np.uint64(0)
        for e in range(a_start[r], a_start[r] + a_len[r]):
            mask |= np.uint64(1) << np.uint64(a_fac[e] & 63)
        amask[r] = mask
    meta[0] = used
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
    return 1, moved, und, rescans, a_pos, a_amt, a_fac, a_trav


@_jit
def _compact(a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav):  # pragma: no cover - compiled
    """The arena rewritten in origin order (relocated origins back in sequence, gaps freed)."""
    n = len(a_start)
    size = 0
    for r in range(n):
        if a_len[r] > 0 or a_cap[r] > 0:
            size += max(4, 2 * a_len[r])
    p2 = np.empty(size + 1024, dtype=np.int64)
    m2 = np.empty(size + 1024, dtype=np.float64)
    f2 = np.empty(size + 1024, dtype=np.int32)
    t2 = np.empty(size + 1024, dtype=np.float64)
    used = 0
    for r in range(n):
        if a_len[r] == 0 and a_cap[r] == 0:
            continue
        s0 = a_start[r]
        for e in range(a_len[r]):
            p2[used + e] = a_pos[s0 + e]
            m2[used + e] = a_amt[s0 + e]
            f2[used + e] = a_fac[s0 + e]
            t2[used + e] = a_trav[s0 + e]
        a_start[r] = used
        a_cap[r] = max(4, 2 * a_len[r])
        used += a_cap[r]
    return p2, m2, f2, t2, used


@_jit
def _masks(a_start, a_len, a_fac):  # pragma: no cover - compiled
    """Per origin, the facilities holding its people hashed to 64 bits."""
    out = np.zeros(len(a_start), dtype=np.uint64)
    for r in range(len(a_start)):
        mask = np.uint64(0)
        for e in range(a_start[r], a_start[r] + a_len[r]):
            mask |= np.uint64(1) << np.uint64(a_fac[e] & 63)
        out[r] = mask
    return out


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
def _final(capr, at, rowok, a_start, a_len, a_amt, a_fac, a_trav):  # pragma: no cover - compiled
    """Assignment-weighted mean cost per origin, with the loads of the last cycle run."""
    n = len(rowok)
    out = np.full(n, np.nan)
    for r in range(n):
        if not rowok[r]:
            continue
        num = 0.0
        den = 0.0
        for e in range(a_start[r], a_start[r] + a_len[r]):
            j = a_fac[e]
            t = at[j] / capr[j] + a_trav[e]
            num += t * a_amt[e]
            den += a_amt[e]
        out[r] = num / den
    return out


def raam_incremental(m, p, s, *, tau, rho, max_cost, max_cycles, initial_step, step_int, min_step, half_life,
                     limit_initial, demand_index, result):
    """RAAM on a CSR table aligned to ``p`` (rows) and ``s`` (destination positions);
    returns ``result(cost, cycles, converged, period, moved, rho)``."""
    maxc = np.inf if max_cost is None else float(max_cost)
    maxc = min(maxc, float(m.bound))
    cap = s * rho
    grp = bool(m.grouped)  # origins read shared rows (see _od.ODMatrix); a plain table its own
    if grp:
        rowp, leg, dleg = m.row, np.asarray(m.leg, dtype=float), np.asarray(m.dest_leg, dtype=float)
    else:
        rowp, leg, dleg = np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    dem = np.asarray(p, dtype=float)
    tau = float(tau)
    rowok, ndup, dup_row, cmax = _setup(m.indptr, m.dest, m.cost, grp, rowp, leg, dleg, maxc, dem, cap)
    if ndup:
        raise DataError(f"the OD table repeats {ndup} (origin, destination) pair(s), e.g. origins "
                        f"{preview(demand_index[[dup_row]])}; keep one cost per pair")
    out = pd.Series(np.nan, index=demand_index, name="raam")
    if not rowok.any():
        logger.warning("RAAM: no origin with people has a facility with capacity in the OD table")
        return result(out, 0, True, 1, 0, float(rho))
    n, nf = len(dem), len(cap)
    a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav, used = _initial(m.indptr, m.dest, m.cost, grp, rowp, leg, dleg, tau, maxc, dem,
                                                                        cap, rowok)
    pmin, pmax = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    vmin, low, tmin = np.zeros(n), np.zeros(n), np.zeros(n)
    fmin = np.zeros(n, dtype=np.int32)
    cong, chg, at = np.zeros(nf), np.zeros(nf), np.zeros(nf)
    meta = np.array([used], dtype=np.int64)
    compacted = used
    delta = np.zeros(n, dtype=np.int64)
    prev_pmin, prev_pmax, prev_delta = pmin.copy(), pmax.copy(), delta.copy()
    cycles, moved, period, i, has_prev, rescans = 0, 0, 0, 0, False, 0
    n_rows = int(rowok.sum())
    dense, dense_left, refresh = False, 0, True  # the first cycle scans everything: not a measure
    last_size = None
    fmax = np.zeros(n, dtype=np.int32)
    moved_row = np.zeros(n, dtype=np.uint8)
    moved_fac = np.zeros(nf, dtype=np.bool_)
    amask = _masks(a_start, a_len, a_fac)
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
        same_size = size == last_size and i > limit_initial
        last_size = size
        status, moved_c, und, scanned, a_pos, a_amt, a_fac, a_trav = _cycle(
            m.indptr, m.dest, m.cost, grp, rowp, leg, dleg, tau, maxc, dem, cap, rowok, pmin, vmin, low, fmin, tmin, pmax, fmax, moved_row, amask,
            cong, chg, moved_fac, at, meta, a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav,
            delta, prev_pmin, prev_pmax, prev_delta, i == 0, dense, same_size, float(size), not step_int, i < limit_initial,
            track, has_prev, cmax / tau)
        rescans += scanned
        # most origins rescanned although bounded: scan densely (no second-lowest costs) for a
        # while, then refresh the bounds with one full scan and measure again
        was_dense, was_refresh, refresh = dense, refresh, False
        if was_dense:
            dense_left -= 1
            dense = dense_left > 0
            refresh = not dense
        elif not was_refresh and scanned > n_rows // 2:
            dense, dense_left = True, 8
        if status == 0:  # a fixed point: every later cycle would repeat it
            period, moved = 1, 0
            break
        moved = int(moved_c)
        i += 1
        if meta[0] > 2 * compacted:  # relocations scattered the arena: lay it out in origin order again
            a_pos, a_amt, a_fac, a_trav, used = _compact(a_start, a_len, a_cap, a_pos, a_amt, a_fac, a_trav)
            meta[0] = compacted = used
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
    out[:] = _final(cap, at, rowok, a_start, a_len, a_amt, a_fac, a_trav)
    logger.debug(f"RAAM: {cycles} cycles, {rescans:,} origin scans ({rescans / max(cycles, 1) / n:.1%} a cycle)")
    if period == 0:
        logger.info(f"RAAM: stopped at max_cycles={max_cycles} with {moved:,} people still moving per cycle")
    return result(out, cycles, period > 0, period, moved, float(rho))
