"""Bounded Dijkstra searches from many sources on a CSR graph, compiled with numba.

``scipy.sparse.csgraph.dijkstra(..., limit=)`` returns a dense ``sources x nodes`` array
(8 bytes per node per source, zero-filled) however small the catchment. This kernel
touches only the nodes a search settles: one distance array shared by all searches and
reset through the list of touched nodes, a binary heap with lazy deletion, and output
rows (source, node, distance) only for nodes flagged as wanted (those holding origins).
Same result as scipy (its test oracle in ``tests/analysis/accessibility/test_network.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_KERNEL = None


def _kernel():
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    import numba

    @numba.njit(cache=True, nogil=True)
    def searches(indptr, indices, data, sources, limits, wanted):  # pragma: no cover - compiled
        n = len(indptr) - 1
        dist = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        cap = 1 << 16
        out_s = np.empty(cap, dtype=np.int64)
        out_n = np.empty(cap, dtype=np.int64)
        out_d = np.empty(cap, dtype=np.float64)
        m = 0
        heap_d = np.empty(1024, dtype=np.float64)
        heap_v = np.empty(1024, dtype=np.int64)
        for s in range(len(sources)):
            limit = limits[s]
            if limit < 0:
                continue
            src = sources[s]
            nt = 0
            dist[src] = 0.0
            touched[nt] = src
            nt += 1
            hn = 1
            heap_d[0] = 0.0
            heap_v[0] = src
            while hn > 0:
                d = heap_d[0]
                v = heap_v[0]
                # pop the root: move the last item down
                hn -= 1
                if hn > 0:
                    ld = heap_d[hn]
                    lv = heap_v[hn]
                    i = 0
                    while True:
                        c = 2 * i + 1
                        if c >= hn:
                            break
                        if c + 1 < hn and heap_d[c + 1] < heap_d[c]:
                            c += 1
                        if heap_d[c] < ld:
                            heap_d[i] = heap_d[c]
                            heap_v[i] = heap_v[c]
                            i = c
                        else:
                            break
                    heap_d[i] = ld
                    heap_v[i] = lv
                if d > dist[v]:
                    continue  # a stale entry
                if wanted[v]:
                    if m == cap:
                        cap *= 2
                        out_s = np.concatenate((out_s, np.empty(cap - m, dtype=np.int64)))
                        out_n = np.concatenate((out_n, np.empty(cap - m, dtype=np.int64)))
                        out_d = np.concatenate((out_d, np.empty(cap - m, dtype=np.float64)))
                    out_s[m] = s
                    out_n[m] = v
                    out_d[m] = d
                    m += 1
                for k in range(indptr[v], indptr[v + 1]):
                    u = indices[k]
                    nd = d + data[k]
                    if nd < dist[u] and nd <= limit:
                        if dist[u] == np.inf:
                            touched[nt] = u
                            nt += 1
                        dist[u] = nd
                        if hn == len(heap_d):
                            heap_d = np.concatenate((heap_d, np.empty(hn, dtype=np.float64)))
                            heap_v = np.concatenate((heap_v, np.empty(hn, dtype=np.int64)))
                        i = hn
                        hn += 1
                        while i > 0:
                            p = (i - 1) // 2
                            if heap_d[p] <= nd:
                                break
                            heap_d[i] = heap_d[p]
                            heap_v[i] = heap_v[p]
                            i = p
                        heap_d[i] = nd
                        heap_v[i] = u
            for t in range(nt):
                dist[touched[t]] = np.inf
        return out_s[:m], out_n[:m], out_d[:m]

    _KERNEL = searches
    return _KERNEL


def has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return True


def bounded_searches(matrix, sources: NDArray[np.intp], limits: NDArray[np.float64],
                     wanted: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """For each source ``s``: the wanted nodes within ``limits[s]`` of it and their distances.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Non-negative edge weights; searches follow ``matrix[u, v]`` from u to v.
    sources : int array
    limits : float array, one per source (negative = skip the source)
    wanted : bool array, one per node

    Returns
    -------
    (source position, node, distance) arrays, in settling order per source.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[0, 1.0, 0], [0, 0, 2.0], [0, 0, 0]]))
    >>> s, v, d = bounded_searches(m, np.array([0]), np.array([2.5]), np.ones(3, dtype=bool))
    >>> v.tolist(), d.tolist()
    ([0, 1], [0.0, 1.0])
    """
    return _kernel()(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64),
                     matrix.data.astype(np.float64), np.asarray(sources, dtype=np.int64),
                     np.asarray(limits, dtype=np.float64), np.asarray(wanted, dtype=np.bool_))
