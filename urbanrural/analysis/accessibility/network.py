"""Travel time over a road network with scipy.sparse.csgraph.

The graph has a node at every line vertex (coordinates snapped to ``tolerance`` metres,
so lines that share a vertex are joined; lines that merely cross are not, unless
``node_crossings=True``) and an edge per segment weighted by minutes at the road's
``speed_kmh``; ``oneway`` roads get one direction. People and facilities join the graph
at their nearest node (KD-tree) with an off-road leg at ``walk_kmh``.

- :func:`nearest_minutes`: one multi-source Dijkstra per category (a virtual source
  linked to every facility node by its off-road minutes), so the time to the nearest
  facility is exact, including both off-road legs.
- :func:`od_table`: bounded searches (``limit=max_cost``) from blocks of facilities,
  keeping only pairs within the limit: a sparse OD table, never a dense
  sources x nodes matrix for the whole problem.

People whose node lies on a component without any facility get ``inf`` minutes; they are
counted and reported, never given a time.

Examples
--------
>>> import geopandas as gpd, numpy as np, shapely
>>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]},
...     geometry=[shapely.LineString([(0, 0), (1000, 0), (2000, 0)])], crs=32650)
>>> g = build_graph(roads)
>>> g.n_nodes, g.n_components
(3, 1)
>>> t = nearest_minutes(g, np.array([[0.0, 0.0]]), np.array([[2000.0, 0.0]]), walk_kmh=5)
>>> round(float(t[0]), 3)  # 2 km at 60 km/h
2.0
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from ...geo.crs import require_projected
from ...geo.errors import DataError, NetworkError

__all__ = ["RoadGraph", "build_graph", "nearest_minutes", "od_table", "snap"]

logger = logging.getLogger("urbanrural")
_EPS = 1e-9  # minutes on virtual edges (csgraph ignores explicit zeros)


@dataclass(frozen=True)
class RoadGraph:
    """A directed road graph weighted in minutes.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        n x n, ``matrix[u, v]`` = minutes from u to v.
    xy : ndarray
        Node coordinates (n, 2), metres.
    component : ndarray
        Weakly connected component label of each node.
    n_components : int
    edges : int
    """

    matrix: sp.csr_matrix
    xy: NDArray[np.float64]
    component: NDArray[np.int32]
    n_components: int
    edges: int

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The transposed graph: searches from facilities on it give origin -> facility times."""
        return self.matrix.T.tocsr()

    @cached_property
    def _reverse_coo(self) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        c = self.reverse.tocoo()
        return c.row, c.col, c.data

    def summary(self) -> dict[str, object]:
        sizes = np.bincount(self.component)
        return {"nodes": self.n_nodes, "edges": self.edges, "components": self.n_components,
                "largest_component_share": round(float(sizes.max() / sizes.sum()), 4) if len(sizes) else 0.0}


def _node_crossings(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split lines where they cross, carrying each piece's speed from the line it lies on."""
    pieces = shapely.get_parts(shapely.union_all(roads.geometry.to_numpy()))
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    tree = shapely.STRtree(roads.geometry.to_numpy())
    owner = tree.query_nearest(mids, return_distance=False)[1]
    out = roads.iloc[owner].copy()
    out["geometry"] = pieces
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=roads.crs)


def build_graph(roads: gpd.GeoDataFrame, *, tolerance: float = 0.5, node_crossings: bool = False,
                oneway_col: str | None = "oneway") -> RoadGraph:
    """Build the road graph.

    Parameters
    ----------
    roads : GeoDataFrame
        Lines in a projected metric CRS with ``speed_kmh`` (km/h > 0); optional ``oneway``
        (true = digitised direction only).
    tolerance : float, default 0.5
        Vertices closer than this (metres, on a grid) become one node.
    node_crossings : bool, default False
        Also join lines where they cross without a shared vertex (bridges and
        underpasses then become junctions: use with care).
    oneway_col : str or None
        Column of booleans; ignored when absent.
    """
    if roads.crs is not None:
        require_projected(roads.crs, name="roads", what="travel times")
    if "speed_kmh" not in roads.columns:
        raise NetworkError("roads have no speed_kmh column; read them with read_roads(..., speeds=...)")
    speed = pd.to_numeric(roads["speed_kmh"], errors="coerce").to_numpy(dtype=float)
    bad = ~(speed > 0)
    if bad.any():
        raise NetworkError(f"{int(bad.sum())} road(s) have no positive speed_kmh; give every class a speed "
                           "(roads: speeds: {...}, default_speed: ...)")
    roads = roads[~roads.geometry.is_empty & roads.geometry.notna()]
    if node_crossings:
        roads = _node_crossings(roads)
        speed = roads["speed_kmh"].to_numpy(dtype=float)
    lines = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    geoms, owner = lines
    if len(geoms) == 0:
        raise NetworkError("the road layer has no line geometry")
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    key = np.round(coords / tolerance).astype(np.int64)
    _, node_of, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    node_of = node_of.ravel()
    n = counts.size
    xy = np.zeros((n, 2))
    np.add.at(xy, node_of, coords)
    xy /= counts[:, None]
    same = line_idx[1:] == line_idx[:-1]
    u, v = node_of[:-1][same], node_of[1:][same]
    seg_line = owner[line_idx[1:][same]]
    length = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    minutes = length / (speed[seg_line] * 1000.0 / 60.0)
    oneway = np.zeros(len(roads), dtype=bool)
    if oneway_col and oneway_col in roads.columns:
        oneway = roads[oneway_col].fillna(False).astype(bool).to_numpy()
    two = ~oneway[seg_line]
    src = np.concatenate([u, v[two]])
    dst = np.concatenate([v, u[two]])
    w = np.concatenate([minutes, minutes[two]])
    keep = src != dst
    src, dst, w = src[keep], dst[keep], np.maximum(w[keep], _EPS)
    # parallel edges: keep the fastest (csr would add them up)
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    mat = sp.csr_matrix((w[first], (src[first], dst[first])), shape=(n, n))
    ncomp, labels = connected_components(mat, directed=True, connection="weak")
    g = RoadGraph(mat, xy, labels.astype(np.int32), int(ncomp), int(first.sum()))
    logger.info(f"road graph: {n} nodes, {g.edges} directed edges, {ncomp} component(s)")
    return g


def snap(graph: RoadGraph, points: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Nearest node of each point and the straight distance to it (metres)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    dist, node = cKDTree(graph.xy).query(pts)
    return node.astype(np.intp), dist


def _walk_minutes(dist_m: NDArray[np.float64], walk_kmh: float) -> NDArray[np.float64]:
    if not walk_kmh > 0:
        raise DataError(f"walk_kmh must be positive; got {walk_kmh!r}")
    return dist_m / (walk_kmh * 1000.0 / 60.0)


def nearest_minutes(graph: RoadGraph, origins: NDArray[np.float64], facilities: NDArray[np.float64], *,
                    walk_kmh: float = 5.0) -> NDArray[np.float64]:
    """Minutes from each origin point to its nearest facility (off-road legs included).

    One Dijkstra from a virtual source joined to every facility node by that facility's
    off-road minutes, on the reversed graph (so one-way streets are honoured in the
    origin -> facility direction). ``inf`` where no facility is reachable.
    """
    fac = np.asarray(facilities, dtype=float).reshape(-1, 2)
    o_node, o_dist = snap(graph, origins)
    if len(fac) == 0:
        return np.full(len(o_node), np.inf)
    f_node, f_dist = snap(graph, fac)
    n = graph.n_nodes
    f_min = pd.Series(_walk_minutes(f_dist, walk_kmh) + _EPS).groupby(f_node).min()
    r, c, w = graph._reverse_coo
    big = sp.csr_matrix((np.concatenate([w, f_min.to_numpy()]),
                         (np.concatenate([r, np.full(len(f_min), n)]), np.concatenate([c, f_min.index.to_numpy()]))),
                        shape=(n + 1, n + 1))
    dist = dijkstra(big, directed=True, indices=n)[:n]
    return dist[o_node] + _walk_minutes(o_dist, walk_kmh)


def od_table(graph: RoadGraph, origins: pd.DataFrame, facilities: pd.DataFrame, *, max_cost: float,
             walk_kmh: float = 5.0, block: int = 32) -> pd.DataFrame:
    """Sparse OD table (origin, destination, cost minutes) of pairs within ``max_cost``.

    Parameters
    ----------
    origins, facilities : DataFrame
        Columns ``x``, ``y`` (metres), indexed by their ids.
    max_cost : float
        Bound of each search, minutes (off-road legs included).
    block : int
        Facilities searched per Dijkstra call: memory is ``block x nodes`` floats.
    """
    if not (max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    o_node, o_dist = snap(graph, origins[["x", "y"]].to_numpy())
    f_node, f_dist = snap(graph, facilities[["x", "y"]].to_numpy())
    o_walk = _walk_minutes(o_dist, walk_kmh)
    f_walk = _walk_minutes(f_dist, walk_kmh)
    uniq, inv = np.unique(o_node, return_inverse=True)
    rev = graph.reverse  # distances from a facility on the reversed graph = origin -> facility
    parts_o, parts_f, parts_c = [], [], []
    for start in range(0, len(f_node), block):
        idx = np.arange(start, min(start + block, len(f_node)))
        limit = max_cost - f_walk[idx].min()
        if limit < 0:
            continue
        d = dijkstra(rev, directed=True, indices=f_node[idx], limit=limit)[:, uniq]  # (b, unique origin nodes)
        d = d[:, inv] + o_walk[None, :] + f_walk[idx, None]
        fi, oi = np.nonzero(d <= max_cost)
        parts_f.append(idx[fi])
        parts_o.append(oi)
        parts_c.append(d[fi, oi])
    if parts_o:
        oi, fi, cost = np.concatenate(parts_o), np.concatenate(parts_f), np.concatenate(parts_c)
    else:
        oi = fi = np.array([], dtype=np.intp)
        cost = np.array([], dtype=float)
    return pd.DataFrame({"origin": origins.index.to_numpy()[oi], "destination": facilities.index.to_numpy()[fi],
                         "cost": cost})
