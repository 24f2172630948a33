"""The numba Dijkstra on the 8-neighbour grid of a friction surface (MCP_Geometric's step rule).

Module-level functions compiled on first use and cached on disk (``cache=True``: the
compiled code lives beside this file, or in numba's user cache when the install is not
writable), so a fresh CLI process loads them instead of compiling again. Imported only by
:func:`urbanrural.analysis.accessibility.friction._kernel`, so numba loads only when a
friction surface is costed.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["run"]


@numba.njit(cache=True, nogil=True)
def _sift_up(heap, pos, dist, i):
    v = heap[i]
    dv = dist[v]
    while i > 0:
        parent = (i - 1) >> 1
        p = heap[parent]
        if dist[p] <= dv:
            break
        heap[i] = p
        pos[p] = i
        i = parent
    heap[i] = v
    pos[v] = i

@numba.njit(cache=True, nogil=True)
def _sift_down(heap, pos, dist, i, size):
    v = heap[i]
    dv = dist[v]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size and dist[heap[right]] < dist[heap[child]]:
            child = right
        c = heap[child]
        if dist[c] >= dv:
            break
        heap[i] = c
        pos[c] = i
        i = child
    heap[i] = v
    pos[v] = i

@numba.njit(cache=True, nogil=True)
def run(cost, starts, step_y, step_x, limit):
    rows, cols = cost.shape
    n = rows * cols
    c = cost.ravel()
    dist = np.full(n, np.inf)
    pos = np.full(n, -1, dtype=np.int64)  # -1 never queued, -2 settled, else heap position
    heap = np.empty(n, dtype=np.int64)
    size = 0
    diag = math.sqrt(step_y * step_y + step_x * step_x)
    dr = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
    dc = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    length = np.array([diag, step_y, diag, step_x, step_x, diag, step_y, diag])
    for s in starts:
        if pos[s] == -1:
            dist[s] = 0.0
            heap[size] = s
            pos[s] = size
            size += 1
            _sift_up(heap, pos, dist, size - 1)
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, 0, size)
        pos[u] = -2
        du = dist[u]
        if du > limit:
            break
        cu = c[u]
        if not (cu < np.inf) or cu < 0:
            continue
        r = u // cols
        q = u - r * cols
        for k in range(8):
            rr = r + dr[k]
            qq = q + dc[k]
            if rr < 0 or rr >= rows or qq < 0 or qq >= cols:
                continue
            v = rr * cols + qq
            if pos[v] == -2:
                continue
            cv = c[v]
            if not (cv < np.inf) or cv < 0:
                continue
            nd = du + length[k] * 0.5 * (cu + cv)
            if nd < dist[v]:
                dist[v] = nd
                if pos[v] == -1:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                    _sift_up(heap, pos, dist, size - 1)
                else:
                    _sift_up(heap, pos, dist, pos[v])
    for i in range(n):
        if dist[i] > limit:
            dist[i] = np.inf
    return dist.reshape(rows, cols)
