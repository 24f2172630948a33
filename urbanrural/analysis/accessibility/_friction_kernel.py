"""The numba Dijkstra on the 8-neighbour grid of a friction surface (MCP_Geometric's step rule).

Module-level functions compiled on first use and cached on disk (``cache=True``: the
compiled code lives beside this file, or in numba's user cache when the install is not
writable), so a fresh CLI process loads them instead of compiling again. Imported only by
:func:`urbanrural.analysis.accessibility.friction._kernel` and
:mod:`urbanrural.analysis.accessibility.tiled`, so numba loads only when a friction
surface is costed.

How it is fast (issue 16; on the 4M-cell benchmark of ``benchmarks/friction.py`` 0.87x the
time of xarray-spatial's ``cost_distance`` warm and 0.8x on the first call, from 1.3x
before; on a busy machine paired runs range 0.9-1.05x), without changing a single result:

* the grid is copied once into a flat array padded with a ring of ``inf`` cells, so the
  neighbour loop has no bounds checks (a step into the ring costs ``inf`` and is never
  taken), and negative costs become ``inf`` in the copy; the grid-sized arrays are made
  by numpy (transparent huge pages), the loops that fill and search them are compiled;
* a 4-ary heap of (float64 key, cell) pairs with lazy deletion: a cell is pushed again
  when its distance improves and stale entries (key > current distance) are skipped when
  popped; no position array, no decrease-key, keys read without an indirection;
* a byte per cell marks settled and impassable cells (a 4 MB array for 4M cells, which
  stays in cache where the float arrays do not): settled or impassable neighbours are
  skipped before their cost and distance are read; a popped entry whose key exceeds the
  cell's distance is stale and skipped.

Distances are exact float64 sums in the order the paths are walked (``du + len/2 x (cu +
cv)``), the same arithmetic as before: a pop order that differs on ties cannot change a
distance, so results are bitwise equal to the previous indexed-heap kernel (tested).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["run", "run_from", "improve"]


@numba.njit(cache=True, nogil=True)
def _grow(keys, cells):
    n = len(keys)
    k2 = np.empty(2 * n, dtype=keys.dtype)
    k2[:n] = keys
    c2 = np.empty(2 * n, dtype=cells.dtype)
    c2[:n] = cells
    return k2, c2


@numba.njit(cache=True, nogil=True)
def _fill(cost, c):
    """Copy ``cost`` inside the ring of the padded flat ``c``; negative cells become ``inf``."""
    rows, cols = cost.shape
    w = cols + 2
    for r in range(rows):
        base = (r + 1) * w + 1
        for q in range(cols):
            v = cost[r, q]
            c[base + q] = v if v >= 0 else np.inf


@numba.njit(cache=True, nogil=True)
def _search(c, dist, done, w, seeds, step_y, step_x, limit):
    """Dijkstra over the padded flat grid ``c`` from ``seeds`` (padded cell numbers whose
    ``dist`` is already set); updates ``dist`` in place. 4-ary heap, lazy deletion; a byte
    per cell (``done``: True where impassable or the ring on entry) marks the cells done,
    so settled neighbours are refused from a 1-byte array that stays in cache, without
    reading ``c`` or ``dist``."""
    cap = 1024
    while cap < 4 * len(seeds):
        cap *= 2
    keys = np.empty(cap, dtype=np.float64)
    cells = np.empty(cap, dtype=np.int64)
    size = 0
    diag = math.sqrt(step_y * step_y + step_x * step_x)
    off = np.array([-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1])
    half = np.array([diag, step_y, diag, step_x, step_x, diag, step_y, diag]) * 0.5
    for s in seeds:
        key = dist[s]
        if not key <= limit:
            continue
        if size == len(keys):
            keys, cells = _grow(keys, cells)
        i = size
        size += 1
        while i > 0:
            p = (i - 1) >> 2
            if keys[p] <= key:
                break
            keys[i] = keys[p]
            cells[i] = cells[p]
            i = p
        keys[i] = key
        cells[i] = s
    while size > 0:
        du = keys[0]
        u = cells[0]
        size -= 1
        if size > 0:  # move the last entry down from the root
            kl = keys[size]
            cl = cells[size]
            i = 0
            while True:
                ch = 4 * i + 1
                if ch >= size:
                    break
                end = min(ch + 4, size)
                best = ch
                kb = keys[ch]
                for j in range(ch + 1, end):
                    if keys[j] < kb:
                        kb = keys[j]
                        best = j
                if kb >= kl:
                    break
                keys[i] = kb
                cells[i] = cells[best]
                i = best
            keys[i] = kl
            cells[i] = cl
        if du > dist[u]:
            continue  # stale entry: the cell was reached more cheaply since
        if du > limit:
            break
        cu = c[u]
        if not (cu < np.inf):
            continue  # a start on an impassable cell: 0 there, no way out
        done[u] = 1
        for k in range(8):
            v = u + off[k]
            if done[v]:
                continue
            nd = du + half[k] * (cu + c[v])
            if nd < dist[v]:
                dist[v] = nd
                if size == len(keys):
                    keys, cells = _grow(keys, cells)
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 2
                    if keys[p] <= nd:
                        break
                    keys[i] = keys[p]
                    cells[i] = cells[p]
                    i = p
                keys[i] = nd
                cells[i] = v


@numba.njit(cache=True, nogil=True)
def _unpad(dist, out, limit):
    rows, cols = out.shape
    w = cols + 2
    for r in range(rows):
        base = (r + 1) * w + 1
        for q in range(cols):
            d = dist[base + q]
            out[r, q] = d if d <= limit else np.inf


@numba.njit(cache=True, nogil=True)
def _start_cells(starts, cols, dist):
    w = cols + 2
    seeds = np.empty(len(starts), dtype=np.int64)
    m = 0
    for s in starts:
        r = s // cols
        p = (r + 1) * w + (s - r * cols) + 1
        if dist[p] != 0.0:
            dist[p] = 0.0
            seeds[m] = p
            m += 1
    return seeds[:m]


@numba.njit(cache=True, nogil=True)
def _lowered_cells(current, better, dist):
    rows, cols = current.shape
    w = cols + 2
    seeds = np.empty(rows * cols, dtype=np.int64)
    m = 0
    for r in range(rows):
        base = (r + 1) * w + 1
        for q in range(cols):
            d = current[r, q]
            b = better[r, q]
            if b < d:
                dist[base + q] = b
                seeds[m] = base + q
                m += 1
            else:
                dist[base + q] = d
    return seeds[:m]


# The grid-sized arrays are allocated by numpy, not inside the compiled code: numpy asks the
# kernel for transparent huge pages on large arrays (numba's allocator does not), which saves
# TLB misses when a step reaches the row above or below (tens of kB away); ~15 % on 4M cells.
def _padded(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(padded costs, distances all ``inf``, done = impassable cells and the ring)."""
    rows, cols = cost.shape
    n = (rows + 2) * (cols + 2)
    c = np.full(n, np.inf)
    _fill(np.ascontiguousarray(cost, dtype=np.float64), c)
    return c, np.full(n, np.inf), (~(c < np.inf)).view(np.uint8)


def run(cost: np.ndarray, starts: np.ndarray, step_y: float, step_x: float, limit: float) -> np.ndarray:
    """Minutes from every cell of ``cost`` (minutes per metre) to the nearest of the
    ``starts`` (flat cell numbers); ``inf`` beyond ``limit`` or unreachable."""
    rows, cols = cost.shape
    c, dist, done = _padded(cost)
    seeds = _start_cells(np.asarray(starts, dtype=np.int64), cols, dist)
    _search(c, dist, done, cols + 2, seeds, float(step_y), float(step_x), float(limit))
    out = c[:rows * cols].reshape(rows, cols)  # the costs are spent: their memory takes the minutes
    _unpad(dist, out, float(limit))
    return out


def improve(cost: np.ndarray, current: np.ndarray, better: np.ndarray, step_y: float, step_x: float,
            limit: float) -> np.ndarray:
    """Lower ``current`` (minutes already consistent over this grid: the output of
    :func:`run` or of an earlier call, ``inf`` where unknown) where ``better`` is lower,
    and propagate the improvements: only the lowered cells are seeded, so the work is
    proportional to the cells whose time drops. Returns a new array; equal to a full
    search seeded with ``min(current, better)``."""
    rows, cols = cost.shape
    c, dist, done = _padded(cost)
    seeds = _lowered_cells(np.ascontiguousarray(current, dtype=np.float64),
                           np.ascontiguousarray(better, dtype=np.float64), dist)
    _search(c, dist, done, cols + 2, seeds, float(step_y), float(step_x), float(limit))
    out = c[:rows * cols].reshape(rows, cols)  # the costs are spent: their memory takes the minutes
    _unpad(dist, out, float(limit))
    return out


def run_from(cost: np.ndarray, initial: np.ndarray, step_y: float, step_x: float, limit: float) -> np.ndarray:
    """As :func:`run`, but every cell with a finite ``initial`` value (minutes already
    known, e.g. 0 at a facility or the time at a tile's border) starts at that value."""
    return improve(cost, np.full(cost.shape, np.inf), initial, step_y, step_x, limit)
