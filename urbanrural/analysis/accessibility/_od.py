"""A compact origin-destination table: CSR by origin, integer positions, float costs.

:class:`ODMatrix` holds the pairs of an OD table as three arrays: ``indptr`` (int64, one
entry per origin plus one), ``dest`` (int32 positions into ``destinations``) and ``cost``
(float64 minutes), rows sorted by destination position. That is 12 bytes a pair, against
~40 for a DataFrame of int64 or object ids, and it is the layout the kernels want: one
origin's options are contiguous (RAAM's per-origin scan, nearest), and per-facility sums
are one scatter pass. The ids live once in ``origins`` / ``destinations``.

Engines build it in blocks (``od_table(..., compact=True)``), the measures of
:mod:`.fca` and :mod:`.raam` take it wherever they take a DataFrame, and
:meth:`ODMatrix.to_frame` gives the long form back.

**Grouped rows.** Origins joined to the same road node share every node-to-facility time
and differ only by their own off-road leg. A grouped table (``network.od_table(...,
by_node=True)``) stores one CSR row per node and, per origin, the row it reads (``row``)
and its leg (``leg``); per destination the facility's own leg (``dest_leg``). Origin ``i``'s
pairs are that row's entries with cost ``(cost[k] + leg[i]) + dest_leg[dest[k]]`` (the
same additions, in the same order, as the expanded table) kept when ``<= bound``. Rows
per node and band of leg make it 4-6x smaller on 100 m population cells (measured: 2.82
-> 0.70 GB); the FCA family streams it in expanded row blocks and RAAM's default engine
reads it in place, so the results are the expanded table's bit for bit.

Examples
--------
>>> import pandas as pd
>>> od = pd.DataFrame({"origin": ["b", "a", "a"], "destination": ["h", "k", "h"], "cost": [12.0, 20.0, 5.0]})
>>> m = ODMatrix.from_frame(od)
>>> len(m), m.indptr.tolist(), m.dest.tolist(), m.cost.tolist()
(3, [0, 1, 3], [0, 0, 1], [12.0, 5.0, 20.0])
>>> m.to_frame().to_dict("records")[0]
{'origin': 'b', 'destination': 'h', 'cost': 12.0}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError

__all__ = ["ODMatrix", "BLOCK_PAIRS", "from_pairs", "from_parts", "aligned", "row_ranges"]

BLOCK_PAIRS = 1 << 22  # pairs per block where a decay function is evaluated in numpy


@dataclass(frozen=True, eq=False)
class ODMatrix:
    """Sparse OD pairs, CSR by origin (see the module docstring).

    Attributes
    ----------
    indptr : ndarray of int64
        Row ``i`` (origin ``origins[i]``) holds pairs ``indptr[i]:indptr[i + 1]``.
    dest : ndarray of int32
        Destination position of each pair, ascending within a row.
    cost : ndarray of float64
        Minutes (or metres) of each pair.
    origins, destinations : Index
        Ids of the rows and of the destination positions.
    row, leg, dest_leg, bound : optional
        Grouped rows (see the module docstring): the CSR row each origin reads (int64),
        the minutes added to all its costs, the minutes added per destination, and the
        largest cost kept. All ``None`` (and ``bound`` inf) for a plain table.
    """

    indptr: NDArray[np.int64]
    dest: NDArray[np.int32]
    cost: NDArray[np.float64]
    origins: pd.Index
    destinations: pd.Index
    row: NDArray[np.int64] | None = None
    leg: NDArray[np.float64] | None = None
    dest_leg: NDArray[np.float64] | None = None
    bound: float = np.inf

    def __post_init__(self) -> None:
        rows = len(self.origins) if self.row is None else None
        if (rows is not None and len(self.indptr) != rows + 1) or len(self.dest) != len(self.cost) or \
                (len(self.indptr) and int(self.indptr[-1]) != len(self.cost)):
            raise DataError(f"ODMatrix: indptr ({len(self.indptr)}) must be origins + 1 ({len(self.origins) + 1}) "
                            f"long and end at the number of pairs ({len(self.cost)})")
        if self.row is None and (self.leg is not None or self.dest_leg is not None or self.bound != np.inf):
            raise DataError("ODMatrix: leg, dest_leg and bound belong to a grouped table (give row too); a plain "
                            "table holds only pairs within its bound already")
        if self.row is not None:
            if self.leg is None or self.dest_leg is None or len(self.row) != len(self.origins) or \
                    len(self.leg) != len(self.origins) or len(self.dest_leg) != len(self.destinations):
                raise DataError("ODMatrix: a grouped table needs row and leg per origin and dest_leg per destination")
            if len(self.row) and (int(self.row.min()) < 0 or int(self.row.max()) >= len(self.indptr) - 1):
                raise DataError(f"ODMatrix: row must index the {len(self.indptr) - 1} CSR rows")

    @property
    def grouped(self) -> bool:
        """Origins read shared rows (see the module docstring)."""
        return self.row is not None

    def __len__(self) -> int:
        if self.row is None:
            return len(self.cost)
        n = self.__dict__.get("_pairs")
        if n is None:  # counted once: the pairs each origin keeps
            n = int(_kernel("count_rows")(self.indptr, self.dest, self.cost, self.row, self.leg, self.dest_leg,
                                          self.bound, 0, len(self.row)).sum())
            self.__dict__["_pairs"] = n
        return n

    def __repr__(self) -> str:
        kind = f", grouped in {len(self.indptr) - 1:,} rows" if self.grouped else ""
        return (f"ODMatrix({len(self):,} pairs, {len(self.origins):,} origins x {len(self.destinations):,} "
                f"destinations{kind}, {self.nbytes / 1e6:,.1f} MB)")

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        extra = 0 if self.row is None else self.row.nbytes + self.leg.nbytes + self.dest_leg.nbytes
        return int(self.indptr.nbytes + self.dest.nbytes + self.cost.nbytes + extra)

    def row_positions(self) -> NDArray[np.int32]:
        """Origin position of every pair (int32; materialised on demand)."""
        if self.row is not None:
            return self.expand().row_positions()
        return np.repeat(np.arange(len(self.origins), dtype=np.int32), np.diff(self.indptr))

    def expand(self, r0: int = 0, r1: int | None = None) -> ODMatrix:
        """The plain table of origins ``r0:r1`` (all by default): one row per origin, the
        grouped costs added up. A plain table's rows are views, not copies.

        Examples
        --------
        >>> g = ODMatrix(np.array([0, 2]), np.array([0, 1], dtype=np.int32), np.array([4.0, 9.0]),
        ...              pd.Index(["a", "b"]), pd.Index(["h", "k"]), row=np.array([0, 0]),
        ...              leg=np.array([1.0, 3.0]), dest_leg=np.array([0.5, 0.0]), bound=11.0)
        >>> g.expand().to_frame().to_dict("list")
        {'origin': ['a', 'a', 'b'], 'destination': ['h', 'k', 'h'], 'cost': [5.5, 10.0, 7.5]}
        """
        n = len(self.origins)
        r1 = n if r1 is None else r1
        origins = self.origins if (r0, r1) == (0, n) else self.origins[r0:r1]
        if self.row is None:
            a, b = int(self.indptr[r0]), int(self.indptr[r1])
            indptr = self.indptr[r0:r1 + 1] - a if a else self.indptr[r0:r1 + 1]
            return ODMatrix(indptr, self.dest[a:b], self.cost[a:b], origins, self.destinations)
        counts = _kernel("count_rows")(self.indptr, self.dest, self.cost, self.row, self.leg, self.dest_leg,
                                       self.bound, r0, r1)
        indptr = np.zeros(r1 - r0 + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        dest = np.empty(int(indptr[-1]), dtype=np.int32)
        cost = np.empty(int(indptr[-1]), dtype=np.float64)
        _kernel("expand_rows")(self.indptr, self.dest, self.cost, self.row, self.leg, self.dest_leg, self.bound,
                               r0, r1, dest, cost)
        return ODMatrix(indptr, dest, cost, origins, self.destinations)

    def to_frame(self) -> pd.DataFrame:
        """The long form: ``origin``, ``destination`` (ids), ``cost``, in CSR order.

        Examples
        --------
        >>> m = ODMatrix(np.array([0, 1]), np.array([0], dtype=np.int32), np.array([3.0]),
        ...              pd.Index(["a"]), pd.Index(["h"]))
        >>> m.to_frame().to_dict("records")
        [{'origin': 'a', 'destination': 'h', 'cost': 3.0}]
        """
        if self.row is not None:
            return self.expand().to_frame()
        return pd.DataFrame({"origin": _ids(self.origins, self.row_positions()),
                             "destination": _ids(self.destinations, self.dest), "cost": self.cost})

    @classmethod
    def from_frame(cls, od: pd.DataFrame, *, origins: pd.Index | None = None,
                   destinations: pd.Index | None = None) -> ODMatrix:
        """From a long-form table; ids not in ``origins`` / ``destinations`` (when given)
        are dropped, by default both are the ids in order of first appearance.

        Examples
        --------
        >>> od = pd.DataFrame({"origin": [1, 0], "destination": [0, 0], "cost": [2.0, 1.0]})
        >>> ODMatrix.from_frame(od, origins=pd.RangeIndex(3)).indptr.tolist()
        [0, 1, 2, 2]
        """
        from .fca import _check_od, _codes

        _check_od(od)
        if origins is None:
            o, origins = pd.factorize(od["origin"].to_numpy())
            origins = pd.Index(origins, name="origin")
        else:
            o = _codes(origins, od["origin"].to_numpy())
        if destinations is None:
            d, destinations = pd.factorize(od["destination"].to_numpy())
            destinations = pd.Index(destinations, name="destination")
        else:
            d = _codes(destinations, od["destination"].to_numpy())
        cost = od["cost"].to_numpy(dtype=float)
        ok = (o >= 0) & (d >= 0)
        if not ok.all():
            o, d, cost = o[ok], d[ok], cost[ok]
        return from_pairs(o, d, cost, origins, destinations)


def _ids(index: pd.Index, pos: NDArray) -> NDArray:
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return pos.astype(np.int64)  # positions are the ids
    return index.to_numpy()[pos]


def from_pairs(o: NDArray, d: NDArray, cost: NDArray, origins: pd.Index, destinations: pd.Index) -> ODMatrix:
    """CSR from pairs in any order (a stable counting sort by origin, rows then sorted by
    destination, stable, so duplicate pairs keep their order)."""
    if len(destinations) >= 2**31 or len(o) >= 2**62:
        raise DataError("more than 2**31 destinations do not fit the compact OD table")
    indptr, dest, c = _kernel("csr_from_coo")(np.asarray(o, dtype=np.int64), np.asarray(d, dtype=np.int32),
                                               np.asarray(cost, dtype=np.float64), len(origins))
    return ODMatrix(indptr, dest, c, origins, destinations)


def from_parts(parts: list[tuple[NDArray, NDArray, NDArray]], origins: pd.Index, destinations: pd.Index) -> ODMatrix:
    """CSR from blocks of pairs ``(origin positions, destination positions, costs)`` in any
    order, e.g. one block per batch of facility searches: origins counted over all blocks,
    then each block written into place and released (the list is emptied), rows sorted by
    destination (stable) at the end. Peak: the blocks plus the 12 bytes a pair of the result."""
    n = len(origins)
    if len(destinations) >= 2**31:
        raise DataError("more than 2**31 destinations do not fit the compact OD table")
    counts = np.zeros(n + 1, dtype=np.int64)
    for o, _, _ in parts:
        counts[1:] += np.bincount(o, minlength=n)
    indptr = np.cumsum(counts)
    pos = indptr[:-1].copy()
    dest = np.empty(int(indptr[-1]), dtype=np.int32)
    cost = np.empty(int(indptr[-1]), dtype=np.float64)
    fill = _kernel("fill")
    while parts:
        o, d, c = parts.pop(0)
        fill(np.asarray(o, dtype=np.int64), np.asarray(d, dtype=np.int32), np.asarray(c, dtype=np.float64), pos,
             dest, cost)
        del o, d, c
    _kernel("sort_rows")(indptr, dest, cost)
    return ODMatrix(indptr, dest, cost, origins, destinations)


class Growing:
    """Append-only int32 + float64 columns grown in place (``ndarray.resize`` reallocates,
    which for large arrays remaps pages instead of copying: no 2x peak)."""

    def __init__(self, capacity: int) -> None:
        self.dest = np.empty(max(capacity, 1024), dtype=np.int32)
        self.cost = np.empty(max(capacity, 1024), dtype=np.float64)
        self.n = 0

    def append(self, dest: NDArray, cost: NDArray) -> None:
        m = len(dest)
        if self.n + m > len(self.dest):
            cap = max(int(len(self.dest) * 1.5), self.n + m)
            self.dest.resize(cap, refcheck=False)
            self.cost.resize(cap, refcheck=False)
        self.dest[self.n:self.n + m] = dest
        self.cost[self.n:self.n + m] = cost
        self.n += m

    def finish(self) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        self.dest.resize(self.n, refcheck=False)
        self.cost.resize(self.n, refcheck=False)
        return self.dest, self.cost


def aligned(od: ODMatrix | pd.DataFrame, origins: pd.Index, destinations: pd.Index | None, *,
            extra_dest: bool = False) -> ODMatrix:
    """``od`` with rows on ``origins`` and destination positions on ``destinations``
    (``None``: keep the table's own). Free when they are already the table's (the
    pipeline's case); otherwise one remap and sort. Pairs of unknown origins are dropped;
    pairs of unknown destinations too, or with ``extra_dest`` kept at position
    ``len(destinations)``."""
    if isinstance(od, pd.DataFrame):
        if destinations is None:
            return ODMatrix.from_frame(od, origins=origins)
        from .fca import _check_od, _codes

        _check_od(od)
        o = _codes(origins, od["origin"].to_numpy())
        d = _codes(destinations, od["destination"].to_numpy())
        cost = od["cost"].to_numpy(dtype=float)
        if extra_dest:
            d = np.where(d >= 0, d, len(destinations))
            ok = o >= 0
        else:
            ok = (o >= 0) & (d >= 0)
        dests = destinations.append(pd.Index([None])) if extra_dest else destinations
        return from_pairs(o[ok], d[ok], cost[ok], origins, dests)
    same_o = od.origins is origins or od.origins.equals(origins)
    same_d = destinations is None or od.destinations is destinations or od.destinations.equals(destinations)
    if same_o and same_d:
        if not extra_dest or destinations is None:
            return od
        dl = None if od.dest_leg is None else np.append(od.dest_leg, 0.0)
        return replace(od, origins=origins, destinations=destinations.append(pd.Index([None])), dest_leg=dl)
    if od.grouped:  # remapped rows: the plain table
        od = od.expand()
    from .fca import _codes

    dests = od.destinations if destinations is None else destinations
    dmap = np.arange(len(dests)) if same_d else _codes(dests, od.destinations.to_numpy())
    if extra_dest:
        dmap = np.where(dmap >= 0, dmap, len(dests))
        dests = dests.append(pd.Index([None]))
    omap = np.arange(len(origins)) if same_o else _codes(origins, od.origins.to_numpy())
    o = omap[od.row_positions()]
    d = dmap[od.dest]
    ok = (o >= 0) & (d >= 0)
    return from_pairs(o[ok], d[ok], od.cost[ok], origins, dests)


def row_ranges(m: ODMatrix, pairs: int = BLOCK_PAIRS) -> Iterator[tuple[int, int]]:
    """Consecutive origin ranges ``[r0, r1)`` of about ``pairs`` pairs each (for a grouped
    table, counted by the rows the origins read: an upper bound)."""
    if m.row is None:
        yield from row_blocks(m.indptr, pairs)
        return
    sizes = np.diff(m.indptr)[m.row]
    ends = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ends[1:])
    yield from row_blocks(ends, pairs)


def row_blocks(indptr: NDArray[np.int64], pairs: int = BLOCK_PAIRS) -> Iterator[tuple[int, int]]:
    """Consecutive row ranges ``[r0, r1)`` of about ``pairs`` pairs each."""
    n = len(indptr) - 1
    r0 = 0
    while r0 < n:
        r1 = int(np.searchsorted(indptr, indptr[r0] + pairs, side="right")) - 1
        r1 = min(max(r1, r0 + 1), n)
        yield r0, r1
        r0 = r1


# ---- kernels (compiled with numba on first use, cached on disk) -------------------------------


def _fill(o, d, c, pos, dest, cost):  # pragma: no cover - compiled
    for k in range(len(o)):
        r = o[k]
        p = pos[r]
        dest[p] = d[k]
        cost[p] = c[k]
        pos[r] = p + 1


def _sort_rows(indptr, dest, cost):  # pragma: no cover - compiled
    for r in range(len(indptr) - 1):
        a = indptr[r]
        b = indptr[r + 1]
        ok = True
        for k in range(a + 1, b):
            if dest[k] < dest[k - 1]:
                ok = False
                break
        if not ok:
            idx = np.argsort(dest[a:b], kind="mergesort")
            dd = dest[a:b][idx]
            cc = cost[a:b][idx]
            dest[a:b] = dd
            cost[a:b] = cc


def _csr_from_coo(o, d, c, n):  # pragma: no cover - compiled
    m = len(o)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(m):
        indptr[o[k] + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    pos = indptr[:-1].copy()
    dest = np.empty(m, dtype=np.int32)
    cost = np.empty(m, dtype=np.float64)
    for k in range(m):
        r = o[k]
        p = pos[r]
        dest[p] = d[k]
        cost[p] = c[k]
        pos[r] = p + 1
    for r in range(n):
        a = indptr[r]
        b = indptr[r + 1]
        ok = True
        for k in range(a + 1, b):
            if dest[k] < dest[k - 1]:
                ok = False
                break
        if not ok:
            idx = np.argsort(dest[a:b], kind="mergesort")
            dd = dest[a:b][idx]
            cc = cost[a:b][idx]
            dest[a:b] = dd
            cost[a:b] = cc
    return indptr, dest, cost


def _count_rows(indptr, dest, cost, row, leg, dleg, bound, r0, r1):  # pragma: no cover - compiled
    """Pairs each origin r0..r1 of a grouped table keeps."""
    out = np.zeros(r1 - r0, dtype=np.int64)
    for r in range(r0, r1):
        g = row[r]
        lr = leg[r]
        c = 0
        for k in range(indptr[g], indptr[g + 1]):
            if (cost[k] + lr) + dleg[dest[k]] <= bound:
                c += 1
        out[r - r0] = c
    return out


def _expand_rows(indptr, dest, cost, row, leg, dleg, bound, r0, r1, out_d, out_c):  # pragma: no cover
    """The kept pairs of origins r0..r1 in row order (the layout of the plain table)."""
    p = 0
    for r in range(r0, r1):
        g = row[r]
        lr = leg[r]
        for k in range(indptr[g], indptr[g + 1]):
            j = dest[k]
            c = (cost[k] + lr) + dleg[j]
            if c <= bound:
                out_d[p] = j
                out_c[p] = c
                p += 1


def _weight(k, k0, cost, w, kind, th, vals, par):  # pragma: no cover - compiled
    """Decay weight of pair k: 1 (kind 0), a block array (1), step (2), gaussian (3), power (4)."""
    if kind == 0:
        return 1.0
    if kind == 1:
        return w[k - k0]
    x = cost[k]
    if kind == 2:  # the first threshold >= x (searchsorted "left"), 0 beyond the last
        i = 0
        for t in th:
            if x > t:
                i += 1
        return vals[i]
    if kind == 3:
        return np.exp(-x * x / par[0])
    return (max(x, par[0]) / par[1]) ** par[2]


def _demand_pass(indptr, dest, cost, w, kind, th, vals, par, max_cost, p, r0, r1, out):  # pragma: no cover
    """out[j] += p_i w_ij over the pairs of rows r0..r1 with cost <= max_cost."""
    k0 = indptr[r0]
    for r in range(r0, r1):
        pr = p[r]
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] <= max_cost:
                if kind == 0:
                    out[dest[k]] += pr
                else:
                    out[dest[k]] += pr * _weight(k, k0, cost, w, kind, th, vals, par)


def _origin_pass(indptr, dest, cost, w, kind, th, vals, par, max_cost, v, r0, r1, out):  # pragma: no cover
    """out[i] = sum_j v_j w_ij over the pairs with cost <= max_cost (rows r0..r1)."""
    k0 = indptr[r0]
    for r in range(r0, r1):
        acc = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] <= max_cost:
                if kind == 0:
                    acc += v[dest[k]]
                else:
                    acc += v[dest[k]] * _weight(k, k0, cost, w, kind, th, vals, par)
        out[r] = acc


def _three_step_block(indptr, dest, cost, w, kind, th, vals, par, max_cost, access_sel, p, r0, r1, out_d,
                      total):  # pragma: no cover - compiled
    """3SFCA, rows r0..r1: the selection total per origin, then its demand on facilities."""
    k0 = indptr[r0]
    for r in range(r0, r1):
        t = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            if access_sel or cost[k] <= max_cost:
                t += _weight(k, k0, cost, w, kind, th, vals, par)
        total[r] = t
        pr = p[r]
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] <= max_cost:
                w3 = _weight(k, k0, cost, w, kind, th, vals, par)
                g = w3 / t if t > 0 else 0.0
                out_d[dest[k]] += pr * (w3 * g)


def _three_step_access(indptr, dest, cost, w, kind, th, vals, par, max_cost, ratio, total, r0, r1,
                       out):  # pragma: no cover - compiled
    k0 = indptr[r0]
    for r in range(r0, r1):
        acc = 0.0
        t = total[r]
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] <= max_cost:
                w3 = _weight(k, k0, cost, w, kind, th, vals, par)
                g = w3 / t if t > 0 else 0.0
                acc += ratio[dest[k]] * (w3 * g)
        out[r] = acc


def _row_min(indptr, cost):  # pragma: no cover - compiled
    n = len(indptr) - 1
    out = np.full(n, np.inf)
    for r in range(n):
        for k in range(indptr[r], indptr[r + 1]):
            if cost[k] < out[r]:
                out[r] = cost[k]
    return out


_KERNELS: dict[str, Callable] = {}
_SOURCES = {"count_rows": _count_rows, "expand_rows": _expand_rows, "csr_from_coo": _csr_from_coo, "fill": _fill,
            "sort_rows": _sort_rows, "demand_pass": _demand_pass, "origin_pass": _origin_pass,
            "three_step_block": _three_step_block, "three_step_access": _three_step_access, "row_min": _row_min}


def _kernel(name: str) -> Callable:
    """The compiled kernel ``name`` (numba, cached on disk); the Python function without numba."""
    fn = _KERNELS.get(name)
    if fn is None:
        global _weight
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a dependency
            fn = _SOURCES[name]
        else:
            if not isinstance(_weight, numba.core.dispatcher.Dispatcher):
                _weight = numba.njit(cache=True, nogil=True, inline="always")(_weight)
            fn = numba.njit(cache=True, nogil=True)(_SOURCES[name])
        _KERNELS[name] = fn
    return fn
