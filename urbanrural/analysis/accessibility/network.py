"""Travel time over a road network with scipy.sparse.csgraph.

The graph has a node at every line vertex (coordinates rounded to ``tolerance`` metres,
so lines that share a vertex are joined; lines that merely cross are not, unless
``node_crossings=True``) and an edge per segment weighted by minutes at the road's
``speed_kmh``; ``oneway`` roads get one direction. People and facilities join the graph
at their nearest node (KD-tree) with a straight off-road leg at ``walk_kmh``.

- :func:`nearest_facility`: one multi-source Dijkstra per category. A virtual source is
  linked to every facility node by that facility's off-road minutes and the search runs
  on the reversed graph, so the time to the nearest facility is exact, including both
  off-road legs and one-way streets in the origin -> facility direction.
- :func:`od_table`: bounded searches (``limit``) from blocks of facilities; only the
  pairs within ``max_cost`` are kept, so memory is ``block x nodes`` floats plus the
  sparse result, never a dense facilities x nodes matrix.
- :func:`components`: the connected components (islands) of the graph.

People whose node lies on a component without any facility get ``inf`` minutes; they are
counted (``NearestResult.unreachable``), never given a time.

Walking distances (``weight="metres"``) use an undirected copy of the graph: one-way
rules do not bind pedestrians.

Examples
--------
>>> import geopandas as gpd, numpy as np, shapely
>>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]},
...     geometry=[shapely.LineString([(0, 0), (1000, 0), (2000, 0)])], crs=32650)
>>> g = build_graph(roads)
>>> g.n_nodes, g.n_components
(3, 1)
>>> r = nearest_facility(g, np.array([[0.0, 0.0]]), np.array([[2000.0, 0.0]]), walk_kmh=5)
>>> round(float(r.minutes[0]), 6), int(r.facility[0]), r.unreachable  # 2 km at 60 km/h
(2.0, 0, 0)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from ...geo.crs import require_projected
from ...geo.errors import DataError, NetworkError
from ...geo.resources import budget_bytes
from . import _bounded, _od
from .demand import points_xy

__all__ = ["RoadGraph", "NearestResult", "Snapped", "build_graph", "components", "snap", "nearest_facility",
           "nearest_minutes", "node_costs", "od_table"]

logger = logging.getLogger("urbanrural")
_EPS = 1e-9  # weight of virtual edges on top of the off-road leg (csgraph drops explicit zeros)
Weight = Literal["minutes", "metres"]


@dataclass(frozen=True)
class RoadGraph:
    """A directed road graph weighted in minutes (and an undirected one in metres).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        n x n, ``matrix[u, v]`` = minutes from u to v (one-way roads have one direction).
    length : scipy.sparse.csr_matrix
        n x n, symmetric, metres along the segment (walking ignores one-way rules).
    xy : ndarray
        Node coordinates (n, 2), metres.
    component : ndarray
        Weakly connected component label of each node (0 = the largest).
    n_components : int
    edges : int
        Directed edges of ``matrix``.
    crs : pyproj.CRS or None
        CRS of the roads; points given as geometries must be in it.
    """

    matrix: sp.csr_matrix
    length: sp.csr_matrix
    xy: NDArray[np.float64]
    component: NDArray[np.int32]
    n_components: int
    edges: int
    crs: CRS | None = None

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree of the node coordinates (built once per graph, for :func:`snap`)."""
        return cKDTree(self.xy)

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The transposed graph: searches from facilities on it give origin -> facility times."""
        return self.matrix.T.tocsr()

    def _search_graph(self, weight: Weight) -> sp.csr_matrix:
        if weight == "minutes":
            return self.reverse
        if weight == "metres":
            return self.length
        raise DataError(f"weight must be 'minutes' or 'metres'; got {weight!r}")

    def summary(self) -> dict[str, object]:
        """Nodes, edges, components and the largest component's share of nodes (JSON-able)."""
        sizes = np.bincount(self.component)
        return {"nodes": self.n_nodes, "edges": self.edges, "components": self.n_components,
                "largest_component_share": round(float(sizes.max() / sizes.sum()), 4) if len(sizes) else 0.0}


class Snapped(NamedTuple):
    """Nearest graph node of each point and the straight distance to it (metres)."""

    node: NDArray[np.intp]
    distance_m: NDArray[np.float64]


@dataclass(frozen=True)
class NearestResult:
    """Travel cost from each origin to its nearest facility.

    Attributes
    ----------
    cost : ndarray
        Minutes (or metres with ``weight="metres"``), off-road legs included; ``inf`` when
        no facility is reachable.
    facility : ndarray
        Position (0-based, in the facilities given) of the nearest facility; -1 if none.
    origin_node, origin_snap_m : ndarray
        Node each origin joined and the length of its off-road leg (metres).
    facility_snap_m : ndarray
        Off-road leg of each facility (metres): large values flag facilities off the network.
    unreachable : int
        Origins with no reachable facility (counted, never given a time).
    weight : str
    """

    cost: NDArray[np.float64]
    facility: NDArray[np.intp]
    origin_node: NDArray[np.intp]
    origin_snap_m: NDArray[np.float64]
    facility_snap_m: NDArray[np.float64]
    unreachable: int
    weight: str = "minutes"

    @property
    def minutes(self) -> NDArray[np.float64]:
        """Alias of :attr:`cost` (in minutes unless ``weight="metres"``)."""
        return self.cost

    def to_frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        """One row per origin: cost, facility, origin_snap_m."""
        return pd.DataFrame({"cost": self.cost, "facility": self.facility, "origin_snap_m": self.origin_snap_m},
                            index=index)


def _node_crossings(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split lines where they cross, carrying each piece's attributes from the line it lies on."""
    # the noded linework, not line-merged: merging rejoins pieces of two roads meeting end to
    # end (a corner, a national road becoming a county road) and gave both one road's speed
    pieces = shapely.get_parts(shapely.union_all(roads.geometry.to_numpy()))
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    tree = shapely.STRtree(roads.geometry.to_numpy())
    piece, line = tree.query_nearest(mids, return_distance=False)
    owner = np.full(len(pieces), np.iinfo(np.int64).max)
    np.minimum.at(owner, piece, line)  # overlapping roads: the first one given
    out = roads.iloc[owner].copy()
    out["geometry"] = pieces
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=roads.crs)


def _direction(values: pd.Series) -> NDArray[np.int8]:
    """1 = digitised direction only, -1 = reverse only, 0 = both (OSM-style values accepted)."""
    if values.dtype == bool:
        return values.to_numpy().astype(np.int8)
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    out = np.zeros(len(values), dtype=np.int8)
    out[text.isin(["1", "1.0", "true", "yes", "y", "t"]).to_numpy()] = 1
    out[text.isin(["-1", "-1.0", "reverse"]).to_numpy()] = -1
    return out


def _dedup(src: NDArray[np.intp], dst: NDArray[np.intp], w: NDArray[np.float64],
           n: int) -> sp.csr_matrix:
    """CSR keeping the smallest weight of parallel edges (csr would add them up)."""
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return sp.csr_matrix((w[first], (src[first], dst[first])), shape=(n, n))


def build_graph(roads: gpd.GeoDataFrame, *, tolerance: float = 0.5, node_crossings: bool = False,
                oneway_col: str | None = "oneway", speed_col: str = "speed_kmh",
                components: Literal["all", "largest"] = "all") -> RoadGraph:
    """Build the road graph.

    Parameters
    ----------
    roads : GeoDataFrame
        Lines in a projected metric CRS with ``speed_kmh`` (km/h > 0); optional ``oneway``
        (true/1/yes = digitised direction only, -1/reverse = against it).
    tolerance : float, default 0.5
        Vertices whose coordinates round to the same multiple of ``tolerance`` metres
        become one node.
    node_crossings : bool, default False
        Also join lines where they cross without a shared vertex (bridges and
        underpasses then become junctions: use with care).
    oneway_col : str or None
        Column of one-way flags; ignored when absent.
    speed_col : str
        Column of speeds in km/h.
    components : {"all", "largest"}, default "all"
        ``"largest"`` keeps only the largest strongly connected part (every node reaches
        every other, one-way rules included), so every point snaps to it: for OpenStreetMap
        extracts, whose car parks, private courts and one-way streets cut at the extract's
        edge form dead ends that would leave homes "unreachable". Keep ``"all"`` where
        islands are real (a ferry-only island): their people are then counted as unreachable.

    Returns
    -------
    RoadGraph

    Raises
    ------
    NetworkError
        No speed column, a speed that is missing or not positive, no line geometry.
    CRSError
        Roads in a geographic CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [30.0, 30.0]}, crs=32650, geometry=[
    ...     shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(50, -50), (50, 50)])])
    >>> build_graph(roads).n_components, build_graph(roads, node_crossings=True).n_components
    (2, 1)
    """
    if roads.crs is not None:
        require_projected(roads.crs, name="roads", what="travel times")
    if not tolerance > 0:
        raise NetworkError(f"tolerance must be positive metres; got {tolerance!r}")
    if speed_col not in roads.columns:
        raise NetworkError(f"roads have no {speed_col} column; read them with read_roads(..., speeds=...) "
                           "or add km/h per line")
    roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    speed = pd.to_numeric(roads[speed_col], errors="coerce").to_numpy(dtype=float)
    bad = ~(speed > 0) | ~np.isfinite(speed)
    if bad.any():
        what = ""
        if "road_class" in roads.columns:
            counts = roads.loc[bad, "road_class"].astype(str).value_counts()
            what = " (classes: " + ", ".join(f"{k} x{v}" for k, v in counts.items()) + ")"
        raise NetworkError(f"{int(bad.sum())} road(s) have a missing or non-positive {speed_col}{what}; give every "
                           "class a speed (roads: speeds: {...}, default_speed: ...)")
    if node_crossings:
        roads = _node_crossings(roads)
        speed = roads[speed_col].to_numpy(dtype=float)
    parts, owner = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    lines = shapely.get_type_id(parts) == 1  # LineString only (ignore stray points)
    geoms, owner = parts[lines], owner[lines]
    if len(geoms) == 0:
        raise NetworkError("the road layer has no line geometry; give LineString/MultiLineString roads")
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
    direction = np.zeros(len(roads), dtype=np.int8)
    if oneway_col and oneway_col in roads.columns:
        direction = _direction(roads[oneway_col])
    d = direction[seg_line]
    fwd, bwd = d >= 0, d <= 0
    src = np.concatenate([u[fwd], v[bwd]])
    dst = np.concatenate([v[fwd], u[bwd]])
    w = np.concatenate([minutes[fwd], minutes[bwd]])
    keep = src != dst
    mat = _dedup(src[keep], dst[keep], np.maximum(w[keep], _EPS), n)
    loop = u != v
    lsrc, ldst = np.concatenate([u[loop], v[loop]]), np.concatenate([v[loop], u[loop]])
    lmat = _dedup(lsrc, ldst, np.maximum(np.concatenate([length[loop], length[loop]]), _EPS), n)
    ncomp, labels = connected_components(mat, directed=True, connection="weak")
    # relabel so that 0 is the largest component
    sizes = np.bincount(labels, minlength=ncomp)
    rank = np.empty(ncomp, dtype=np.int32)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(ncomp, dtype=np.int32)
    if components not in ("all", "largest"):
        raise DataError(f"components must be 'all' or 'largest'; got {components!r}")
    if components == "largest":
        # strongly connected: one-way streets leaving a cut extract are dead ends a car cannot leave
        nstrong, strong = connected_components(mat, directed=True, connection="strong")
        keep = np.flatnonzero(strong == np.bincount(strong).argmax()) if nstrong > 1 else np.arange(n)
    if components == "largest" and len(keep) < n:
        logger.info(f"road graph: kept the largest strongly connected part ({len(keep)} of {n} nodes; every "
                    "node in it can reach every other)")
        mat, lmat, xy = mat[keep][:, keep].tocsr(), lmat[keep][:, keep].tocsr(), xy[keep]
        n, ncomp, labels, rank = len(keep), 1, np.zeros(len(keep), dtype=np.int32), np.zeros(1, dtype=np.int32)
    g = RoadGraph(mat, lmat, xy, rank[labels], int(ncomp), int(mat.nnz),
                  CRS.from_user_input(roads.crs) if roads.crs is not None else None)
    logger.info(f"road graph: {n} nodes, {g.edges} directed edges, {ncomp} component(s)")
    return g


def components(graph: RoadGraph) -> pd.DataFrame:
    """Connected components, largest first: ``nodes``, ``share`` of nodes, bounding box.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [30.0, 30.0]}, crs=32650, geometry=[
    ...     shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(500, 0), (500, 80)])])
    >>> components(build_graph(roads))["nodes"].tolist()
    [2, 2]
    """
    f = pd.DataFrame({"component": graph.component, "x": graph.xy[:, 0], "y": graph.xy[:, 1]})
    g = f.groupby("component").agg(nodes=("x", "size"), xmin=("x", "min"), ymin=("y", "min"),
                                   xmax=("x", "max"), ymax=("y", "max"))
    g.insert(1, "share", g["nodes"] / max(graph.n_nodes, 1))
    return g


def snap(graph: RoadGraph, points: object, *, name: str = "points") -> Snapped:
    """Nearest node of each point (KD-tree) and the straight distance to it (metres).

    ``points``: an (n, 2) array, a DataFrame with ``x``/``y`` or a GeoDataFrame (which must
    be in the graph's CRS); a :class:`Snapped` is returned as it is, so a caller can snap
    once and pass the result to :func:`nearest_facility` for every category.
    The KD-tree is built once per graph and queried on all cores.
    """
    if isinstance(points, Snapped):  # already joined to this graph: reuse (e.g. one snap, many categories)
        return points
    xy, _ = points_xy(points, name=name, crs=graph.crs)
    if graph.n_nodes == 0:
        raise NetworkError("the road graph has no nodes")
    if len(xy) == 0:
        return Snapped(np.empty(0, dtype=np.intp), np.empty(0))
    dist, node = graph.tree.query(xy, workers=-1)
    return Snapped(node.astype(np.intp), dist)


def _leg(dist_m: NDArray[np.float64], walk_kmh: float, weight: Weight) -> NDArray[np.float64]:
    if weight == "metres":
        return np.asarray(dist_m, dtype=float)
    if not walk_kmh > 0:
        raise DataError(f"walk_kmh (off-road speed) must be positive km/h; got {walk_kmh!r}")
    return dist_m / (walk_kmh * 1000.0 / 60.0)


def _with_source(mat: sp.csr_matrix, nodes: NDArray[np.intp], w: NDArray[np.float64]) -> sp.csr_matrix:
    """``mat`` plus a virtual node n with edges to ``nodes`` (appending one CSR row: no sort)."""
    n = mat.shape[0]
    indptr = np.concatenate([mat.indptr, [mat.indptr[-1] + len(nodes)]]).astype(mat.indptr.dtype, copy=False)
    indices = np.concatenate([mat.indices, nodes.astype(mat.indices.dtype)])
    data = np.concatenate([mat.data, w])
    return sp.csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))


def _root_below(pred: NDArray[np.int32], source: int) -> NDArray[np.intp]:
    """For every node, the first node after ``source`` on its shortest-path tree branch
    (pointer doubling); -1 where unreached."""
    p = pred.astype(np.intp)
    n = len(p)
    idx = np.arange(n)
    top = (p == source) | (p < 0)
    p = np.where(top, idx, p)
    for _ in range(64):
        q = p[p]
        if np.array_equal(q, p):
            break
        p = q
    p[(pred < 0) & (idx != source)] = -1
    return p


def nearest_facility(graph: RoadGraph, origins: object, facilities: object, *, walk_kmh: float = 5.0,
                     weight: Weight = "minutes") -> NearestResult:
    """Cost from each origin to its nearest facility, in one Dijkstra.

    Parameters
    ----------
    graph : RoadGraph
    origins, facilities
        (n, 2) arrays, DataFrames with ``x``/``y``, or GeoDataFrames in the graph's CRS;
        or the :class:`Snapped` result of :func:`snap` on this graph.
    walk_kmh : float, default 5
        Off-road speed of the straight legs from an origin to its node and from a
        facility's node to the facility.
    weight : {"minutes", "metres"}
        Minutes on the directed graph, or metres of walking on the undirected one.

    Returns
    -------
    NearestResult
        ``inf`` cost (and facility -1) where no facility is reachable.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [30.0, 30.0]}, crs=32650, geometry=[
    ...     shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(5000, 0), (6000, 0)])])
    >>> r = nearest_facility(build_graph(roads), np.array([[0.0, 50.0], [6000.0, 0.0]]),
    ...                      np.array([[1000.0, 0.0]]))
    >>> r.cost.round(2).tolist(), r.facility.tolist(), r.unreachable  # 50 m walk (0.6 min) + 2 min drive
    ([2.6, inf], [0, -1], 1)
    """
    o = snap(graph, origins, name="origins")
    f = snap(graph, facilities, name="facilities")
    o_leg = _leg(o.distance_m, walk_kmh, weight)
    if len(f.node) == 0:
        cost = np.full(len(o.node), np.inf)
        return NearestResult(cost, np.full(len(o.node), -1, dtype=np.intp), o.node, o.distance_m, f.distance_m,
                             len(cost), weight)
    f_leg = _leg(f.distance_m, walk_kmh, weight)
    # per node, the facility with the shortest off-road leg
    order = np.lexsort((f_leg, f.node))
    first = np.ones(len(order), dtype=bool)
    first[1:] = f.node[order][1:] != f.node[order][:-1]
    best = order[first]
    n = graph.n_nodes
    big = _with_source(graph._search_graph(weight), f.node[best], f_leg[best] + _EPS)
    dist, pred = dijkstra(big, directed=True, indices=n, return_predecessors=True)
    reached = dist[o.node]
    cost = reached - _EPS + o_leg
    cost[~np.isfinite(reached)] = np.inf
    at = np.full(n + 1, -1, dtype=np.intp)
    at[f.node[best]] = best
    root = _root_below(pred, n)[o.node]
    fac = np.where(root >= 0, at[np.maximum(root, 0)], -1)
    unreachable = int((~np.isfinite(cost)).sum())
    return NearestResult(cost, fac.astype(np.intp), o.node, o.distance_m, f.distance_m, unreachable, weight)


def node_costs(graph: RoadGraph, facilities: object, *, walk_kmh: float = 5.0,
               weight: Weight = "minutes") -> NDArray[np.float64]:
    """Cost from every node to its nearest facility (the facility's off-road leg
    included), in one Dijkstra; ``inf`` where no facility is reachable.

    An origin snapped to node ``v`` at ``d`` metres then costs ``node_costs[v] + leg(d)``,
    exactly :func:`nearest_facility`'s cost: use it to price many points (a grid of cells)
    from one search, snapping them with :func:`snap` (the graph's one KD-tree).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]}, crs=32650,
    ...                          geometry=[shapely.LineString([(0, 0), (1000, 0), (3000, 0)])])
    >>> node_costs(build_graph(roads), np.array([[3000.0, 0.0]])).round(6).tolist()
    [3.0, 2.0, 0.0]
    """
    f = snap(graph, facilities, name="facilities")
    n = graph.n_nodes
    if len(f.node) == 0:
        return np.full(n, np.inf)
    f_leg = _leg(f.distance_m, walk_kmh, weight)
    order = np.lexsort((f_leg, f.node))
    first = np.ones(len(order), dtype=bool)
    first[1:] = f.node[order][1:] != f.node[order][:-1]
    best = order[first]
    big = _with_source(graph._search_graph(weight), f.node[best], f_leg[best] + _EPS)
    dist = dijkstra(big, directed=True, indices=n)[:n]
    out = dist - _EPS
    out[~np.isfinite(dist)] = np.inf
    return out


def nearest_minutes(graph: RoadGraph, origins: object, facilities: object, *,
                    walk_kmh: float = 5.0) -> NDArray[np.float64]:
    """Minutes from each origin to its nearest facility (``nearest_facility(...).cost``).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]}, crs=32650,
    ...                          geometry=[shapely.LineString([(0, 0), (3000, 0)])])
    >>> nearest_minutes(build_graph(roads), np.array([[0.0, 0.0]]), np.array([[3000.0, 0.0]])).round(6).tolist()
    [3.0]
    """
    return nearest_facility(graph, origins, facilities, walk_kmh=walk_kmh).cost


LEG_BANDS = 32  # grouped OD tables: a node's origins in bands of max_cost / 32 minutes of leg


def _spread(starts: NDArray[np.int64], reps: NDArray[np.int64]) -> NDArray[np.int64]:
    """Positions ``starts[i], starts[i] + 1, ..., starts[i] + reps[i] - 1`` for every i, in order."""
    offs = np.repeat(np.cumsum(reps) - reps, reps)
    return np.repeat(starts, reps) + (np.arange(int(reps.sum())) - offs)


def od_table(graph: RoadGraph, origins: object, facilities: object, *, max_cost: float, walk_kmh: float = 5.0,
             block: int | None = None, memory_mb: float | None = None, weight: Weight = "minutes",
             engine: str = "auto", compact: bool = False, origin_snap: Snapped | None = None,
             by_node: bool = False) -> pd.DataFrame | _od.ODMatrix:
    """Sparse OD table (origin, destination, cost) of the pairs within ``max_cost``.

    Facilities are searched in blocks with ``dijkstra(..., limit=...)`` on the reversed
    graph (so costs run origin -> facility); each block's dense ``block x nodes`` result is
    reduced at once to the reached nodes that hold origins, and dropped.

    Parameters
    ----------
    origins, facilities
        DataFrames with ``x``, ``y`` (metres) indexed by their ids, GeoDataFrames in the
        graph's CRS, or (n, 2) arrays (ids 0..n-1).
    max_cost : float
        Bound of each search (off-road legs included), minutes (metres with
        ``weight="metres"``).
    block : int, optional
        scipy engine: facilities per Dijkstra call; by default as many as fit in ``memory_mb``
        (default 1/128 of the memory budget, ``scale: memory_gb``: 62.5 MB of 8 GB).
    engine : {"auto", "scipy"}
        ``"auto"``: a compiled bounded search per facility that touches only the nodes it
        settles (numba; memory ~ the pairs found); ``"scipy"``: ``dijkstra(limit=)`` in
        blocks (dense ``block x nodes`` rows; the oracle in tests).
    weight : {"minutes", "metres"}
    compact : bool, default False
        Return the :class:`~._od.ODMatrix` (CSR by origin, int32 facility positions,
        float64 costs: 12 bytes a pair) instead of a DataFrame of ids; the blocks of pairs
        are written into it one by one, never concatenated. Every measure in :mod:`.fca`
        and :mod:`.raam` takes either.
    origin_snap : Snapped, optional
        The origins already joined to ``graph`` (:func:`snap`): a caller pricing many
        categories from the same points snaps them once.
    by_node : bool, default False
        Return a grouped :class:`~._od.ODMatrix` (implies ``compact``): rows of
        node-to-facility times shared by the origins joined to the same road node, and per
        origin its row and its off-road leg. The same pairs and the same costs bit for bit
        (``expand()`` gives the plain table) in a fraction of the memory (with 100 m
        population cells ~20 origins share a node). A node's origins are split into bands
        of leg (``max_cost / 32`` wide), each band's row holding only what its shortest
        leg can reach, so an origin reads at most a band's width of options it cannot use.
        The FCA family and RAAM take it as it is. (With no pair at all the result can be a
        plain, empty table: check ``.grouped`` rather than assume it.)

    Returns
    -------
    DataFrame or ODMatrix
        ``origin``, ``destination``, ``cost``; pairs beyond ``max_cost`` (or unreachable)
        are absent.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]}, crs=32650,
    ...                          geometry=[shapely.LineString([(0, 0), (10000, 0)])])
    >>> o = pd.DataFrame({"x": [0.0, 10000.0], "y": [0.0, 0.0]}, index=["a", "b"])
    >>> f = pd.DataFrame({"x": [0.0], "y": [0.0]}, index=["h"])
    >>> od_table(build_graph(roads), o, f, max_cost=5).to_dict("records")
    [{'origin': 'a', 'destination': 'h', 'cost': 0.0}]
    >>> od_table(build_graph(roads), o, f, max_cost=5, compact=True).indptr.tolist()
    [0, 1, 1]
    >>> g = od_table(build_graph(roads), o, f, max_cost=5, by_node=True)
    >>> len(g), g.grouped, g.expand().indptr.tolist()
    (1, True, [0, 1, 1])
    """
    if not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive and finite ({weight}); got {max_cost!r}")
    o_xy, o_ids = points_xy(origins, name="origins", crs=graph.crs)
    f_xy, f_ids = points_xy(facilities, name="facilities", crs=graph.crs)
    empty = pd.DataFrame({"origin": o_ids[:0], "destination": f_ids[:0], "cost": np.empty(0)})
    compact = compact or by_node
    if compact:
        empty = _od.ODMatrix(np.zeros(len(o_ids) + 1, dtype=np.int64), np.empty(0, dtype=np.int32), np.empty(0),
                             o_ids, f_ids)
    if len(o_xy) == 0 or len(f_xy) == 0:
        return empty
    if origin_snap is not None and len(origin_snap.node) != len(o_xy):
        raise DataError(f"origin_snap has {len(origin_snap.node)} points, origins {len(o_xy)}: snap these origins")
    o = origin_snap if origin_snap is not None else snap(graph, o_xy)
    f = snap(graph, f_xy)
    o_leg = _leg(o.distance_m, walk_kmh, weight)
    f_leg = _leg(f.distance_m, walk_kmh, weight)
    n = graph.n_nodes
    if engine not in ("auto", "scipy"):
        raise DataError(f"engine must be 'auto' or 'scipy'; got {engine!r}")
    if block is None:
        if memory_mb is None:
            memory_mb = budget_bytes() / 128 / 1e6
        block = int(np.clip(memory_mb * 1e6 // (8 * n), 1, 512))
    # origins grouped by node: node -> slice of `o_order`
    o_order = np.argsort(o.node, kind="stable")
    count = np.bincount(o.node, minlength=n)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    has = count > 0
    if by_node:  # rows per (node, leg band); a band's least leg bounds what its origins keep
        band = np.floor(o_leg / (max_cost / LEG_BANDS)).astype(np.int64)
        grp, o_row = np.unique(o.node.astype(np.int64) * (LEG_BANDS + 2) + np.minimum(band, LEG_BANDS + 1),
                               return_inverse=True)
        g_node = grp // (LEG_BANDS + 2)
        g_min = np.full(len(grp), np.inf)
        np.minimum.at(g_min, o_row, o_leg)
        g_count = np.bincount(g_node, minlength=n)  # bands of each node, consecutive in grp
        g_start = np.concatenate([[0], np.cumsum(g_count)[:-1]])
    mat = graph._search_graph(weight)
    min_o = float(o_leg.min())
    if engine == "auto" and _bounded.has_numba():
        # one compiled search per facility touching only the nodes it settles (no dense rows);
        # blocks of facilities keep the intermediate pair arrays small
        blocks = [(np.arange(s, min(s + 32, len(f.node))), None) for s in range(0, len(f.node), 32)]
    else:
        blocks = [(np.arange(s, min(s + block, len(f.node))), "scipy") for s in range(0, len(f.node), block)]
    parts_o, parts_f, parts_c = [], [], []
    for idx, how in blocks:
        if how is None:
            fi, ni, dv = _bounded.bounded_searches(mat, f.node[idx], max_cost - f_leg[idx] - min_o, has)
        else:
            limit = max_cost - float(f_leg[idx].min()) - min_o
            if limit < 0:
                continue
            d = dijkstra(mat, directed=True, indices=f.node[idx], limit=limit)
            fi, ni = np.nonzero(d <= limit)
            keep = has[ni]
            fi, ni = fi[keep], ni[keep]
            dv = d[fi, ni]
            del d
        if len(fi) == 0:
            continue
        if by_node:  # each node entry once per band of the node that can keep it
            reps = g_count[ni]
            gi = _spread(g_start[ni], reps)
            fi, dv = idx[np.repeat(fi, reps)], np.repeat(dv, reps)
            ok = (dv + g_min[gi]) + f_leg[fi] <= max_cost
            small = np.int32 if max(len(grp), len(f_xy)) < 2**31 else np.int64
            parts_o.append(gi[ok].astype(small))
            parts_f.append(fi[ok].astype(small))
            parts_c.append(dv[ok])
            del gi, reps, ok
            continue
        reps = count[ni]
        oi = o_order[_spread(start[ni], reps)]
        fi = idx[np.repeat(fi, reps)]
        c = np.repeat(dv, reps) + o_leg[oi] + f_leg[fi]
        ok = c <= max_cost
        small = np.int32 if max(len(o_xy), len(f_xy)) < 2**31 else np.int64  # pairs can be many: 4-byte ids
        parts_o.append(oi[ok].astype(small))
        parts_f.append(fi[ok].astype(small))
        parts_c.append(c[ok])
        del oi, fi, c, ok, reps
    if not parts_o:
        return empty
    if compact:
        parts = list(zip(parts_o, parts_f, parts_c, strict=True))
        del parts_o, parts_f, parts_c
        if by_node:
            rows = _od.from_parts(parts, pd.RangeIndex(len(grp)), f_ids)
            return _od.ODMatrix(rows.indptr, rows.dest, rows.cost, o_ids, f_ids, row=o_row.astype(np.int64),
                                leg=np.asarray(o_leg, dtype=float), dest_leg=np.asarray(f_leg, dtype=float),
                                bound=float(max_cost))
        return _od.from_parts(parts, o_ids, f_ids)
    oi = np.concatenate(parts_o)
    del parts_o
    fi = np.concatenate(parts_f)
    del parts_f
    cost = np.concatenate(parts_c)
    del parts_c

    def ids(index: pd.Index, pos: NDArray) -> NDArray:
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            return pos.astype(np.int64)  # positions are the ids
        return index.to_numpy()[pos]

    return pd.DataFrame({"origin": ids(o_ids, oi), "destination": ids(f_ids, fi), "cost": cost})
