"""Road-graph travel times: exact against networkx; islands counted; sparse OD bounded."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import Delaunay

from urbanrural.analysis.accessibility import network
from urbanrural.geo.errors import CRSError, DataError, NetworkError

WALK = 5 * 1000 / 60  # metres per minute at 5 km/h


@pytest.fixture
def grid_roads():
    """A 6 x 6 street grid (1 km blocks) with random speeds, some one-way, and an island."""
    rng = np.random.default_rng(3)
    lines, speeds, oneway = [], [], []
    for i in range(6):
        for j in range(5):
            lines.append(shapely.LineString([(j * 1000, i * 1000), ((j + 1) * 1000, i * 1000)]))
            lines.append(shapely.LineString([(i * 1000, j * 1000), (i * 1000, (j + 1) * 1000)]))
    for _ in lines:
        speeds.append(float(rng.choice([20, 40, 60, 80])))
        oneway.append(bool(rng.random() < 0.15))
    lines.append(shapely.LineString([(20_000, 20_000), (21_000, 20_000)]))  # island
    speeds.append(30.0)
    oneway.append(False)
    return gpd.GeoDataFrame({"speed_kmh": speeds, "oneway": oneway}, geometry=lines, crs=32650)


def random_roads(seed: int, n: int = 120) -> gpd.GeoDataFrame:
    """Delaunay edges of random points (a planar road-like graph), random speeds and one-ways,
    some edges dropped so that islands can appear."""
    rng = np.random.default_rng(seed)
    pts = np.round(rng.uniform(0, 10_000, (n, 2)), 1)
    tri = Delaunay(pts)
    edges = {tuple(sorted((int(a), int(b)))) for s in tri.simplices for a, b in ((s[0], s[1]), (s[1], s[2]),
                                                                                    (s[0], s[2]))}
    edges = sorted(edges)
    keep = rng.random(len(edges)) < 0.7
    rows = [(shapely.LineString([pts[a], pts[b]]), float(rng.choice([15, 30, 50, 80])), bool(rng.random() < 0.2))
            for (a, b), k in zip(edges, keep, strict=True) if k]
    return gpd.GeoDataFrame({"speed_kmh": [r[1] for r in rows], "oneway": [r[2] for r in rows]},
                            geometry=[r[0] for r in rows], crs=32650)


def nx_graph(roads: gpd.GeoDataFrame, *, walking: bool = False) -> nx.DiGraph:
    """The reference graph, built independently from the line end points."""
    g = nx.DiGraph()
    for geom, v, ow in zip(roads.geometry, roads["speed_kmh"], roads["oneway"], strict=True):
        a, b = geom.coords[0], geom.coords[-1]
        w = geom.length if walking else geom.length / (v * 1000 / 60)
        for x, y in ((a, b), (b, a)) if (walking or not ow) else ((a, b),):
            if not g.has_edge(x, y) or g[x][y]["weight"] > w:
                g.add_edge(x, y, weight=w)
    return g


def nx_snap(g: nx.DiGraph, p: np.ndarray) -> tuple[tuple, float]:
    nodes = np.array(list(g.nodes))
    k = int(np.argmin(np.hypot(*(nodes - p).T)))
    return tuple(nodes[k]), float(np.hypot(*(nodes[k] - p)))


def nx_costs(g: nx.DiGraph, origins: np.ndarray, facilities: np.ndarray, *, walking: bool = False) -> np.ndarray:
    """origins x facilities cost matrix (inf when unreachable) with off-road legs."""
    leg = (lambda d: d) if walking else (lambda d: d / WALK)
    rev = g.reverse(copy=True)
    out = np.full((len(origins), len(facilities)), np.inf)
    snapped = [nx_snap(g, o) for o in origins]
    for j, f in enumerate(facilities):
        fn, fd = nx_snap(g, f)
        lengths = nx.single_source_dijkstra_path_length(rev, fn, weight="weight")
        for i, (on, od) in enumerate(snapped):
            if on in lengths:
                out[i, j] = leg(od) + lengths[on] + leg(fd)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_nearest_and_od_exact_against_networkx_on_random_graphs(seed):
    roads = random_roads(seed)
    g = network.build_graph(roads)
    rng = np.random.default_rng(100 + seed)
    origins = rng.uniform(-500, 10_500, (50, 2))
    facilities = rng.uniform(0, 10_000, (6, 2))
    ref = nx_costs(nx_graph(roads), origins, facilities)
    res = network.nearest_facility(g, origins, facilities, walk_kmh=5)
    np.testing.assert_allclose(res.cost, ref.min(axis=1), rtol=1e-9, atol=1e-6)
    assert res.unreachable == int(np.isinf(ref.min(axis=1)).sum())
    # the facility reported is one that attains the minimum
    ok = res.facility >= 0
    np.testing.assert_allclose(ref[np.flatnonzero(ok), res.facility[ok]], res.cost[ok], rtol=1e-9, atol=1e-6)
    assert (res.facility[~ok] == -1).all()
    expect = np.where(ref <= 25, ref, np.inf)
    for engine in ("scipy", "auto"):  # csgraph blocks and the compiled bounded searches
        od = network.od_table(g, origins, facilities, max_cost=25, block=4, engine=engine)
        got = np.full_like(ref, np.inf)
        got[od["origin"].to_numpy(), od["destination"].to_numpy()] = od["cost"].to_numpy()
        np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-6)


def test_walking_metres_ignore_one_way(grid_roads):
    rng = np.random.default_rng(7)
    g = network.build_graph(grid_roads)
    origins = rng.uniform(0, 5000, (30, 2))
    facilities = rng.uniform(0, 5000, (3, 2))
    ref = nx_costs(nx_graph(grid_roads, walking=True), origins, facilities, walking=True)
    res = network.nearest_facility(g, origins, facilities, weight="metres")
    np.testing.assert_allclose(res.cost, ref.min(axis=1), rtol=1e-9, atol=1e-6)
    od = network.od_table(g, origins, facilities, max_cost=2500, weight="metres")
    assert len(od) == int((ref <= 2500).sum())


def test_graph_structure_and_island(grid_roads):
    g = network.build_graph(grid_roads)
    assert g.n_nodes == 36 + 2 and g.n_components == 2
    comps = network.components(g)
    assert comps["nodes"].tolist() == [36, 2]  # largest first
    assert comps["share"].sum() == pytest.approx(1.0)
    assert g.summary()["largest_component_share"] == pytest.approx(36 / 38, abs=1e-4)


def test_island_people_get_inf_and_are_counted(grid_roads):
    g = network.build_graph(grid_roads)
    res = network.nearest_facility(g, np.array([[20_500.0, 20_010.0], [10.0, 10.0], [20_900.0, 20_000.0]]),
                                   np.array([[0.0, 0.0]]))
    assert np.isinf(res.cost[0]) and np.isinf(res.cost[2]) and np.isfinite(res.cost[1])
    assert res.unreachable == 2 and res.facility.tolist() == [-1, 0, -1]


def test_no_facilities_means_everyone_unreachable(grid_roads):
    g = network.build_graph(grid_roads)
    res = network.nearest_facility(g, np.array([[0.0, 0.0], [1.0, 1.0]]), np.empty((0, 2)))
    assert np.isinf(res.cost).all() and res.unreachable == 2
    assert network.od_table(g, np.array([[0.0, 0.0]]), np.empty((0, 2)), max_cost=10).empty


def test_far_facility_snap_is_reported(grid_roads):
    g = network.build_graph(grid_roads)
    res = network.nearest_facility(g, np.array([[0.0, 0.0]]), np.array([[0.0, -3000.0]]))
    assert res.facility_snap_m[0] == pytest.approx(3000.0)
    assert res.cost[0] == pytest.approx(3000.0 / WALK)  # walked the whole way, not silently 0


def test_od_table_blocks_agree_and_stay_within_bound(grid_roads):
    rng = np.random.default_rng(9)
    g = network.build_graph(grid_roads)
    o = pd.DataFrame(rng.uniform(0, 5000, (40, 2)), columns=["x", "y"])
    o.iloc[5] = o.iloc[4]  # two origins on one node
    f = pd.DataFrame(rng.uniform(0, 5000, (7, 2)), columns=["x", "y"], index=[f"f{i}" for i in range(7)])
    a = network.od_table(g, o, f, max_cost=12, block=1, engine="scipy").sort_values(
        ["origin", "destination"], ignore_index=True)
    b = network.od_table(g, o, f, max_cost=12, engine="scipy").sort_values(["origin", "destination"],
                                                                          ignore_index=True)
    c = network.od_table(g, o, f, max_cost=12).sort_values(["origin", "destination"], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a[["origin", "destination"]], c[["origin", "destination"]])
    np.testing.assert_allclose(c["cost"], a["cost"], rtol=1e-12)
    w = network.od_table(g, o, f, max_cost=1500, weight="metres")
    v = network.od_table(g, o, f, max_cost=1500, weight="metres", engine="scipy")
    assert len(w) == len(v) > 0
    with pytest.raises(DataError, match="engine"):
        network.od_table(g, o, f, max_cost=12, engine="gpu")
    assert (a["cost"] <= 12).all() and set(a["destination"]) <= set(f.index)
    assert set(a.loc[a["origin"] == 4, "destination"]) == set(a.loc[a["origin"] == 5, "destination"])


def test_one_way_reverse_code_and_osm_strings():
    line = shapely.LineString([(0, 0), (1000, 0)])
    for flag, fwd, bwd in (("yes", True, False), ("-1", False, True), ("no", True, True), (None, True, True)):
        roads = gpd.GeoDataFrame({"speed_kmh": [60.0], "oneway": [flag]}, geometry=[line], crs=32650)
        g = network.build_graph(roads)
        a, b = network.snap(g, np.array([[0.0, 0.0], [1000.0, 0.0]])).node
        assert (g.matrix[a, b] > 0) == fwd and (g.matrix[b, a] > 0) == bwd, flag


def test_node_crossings_join_lines_and_keep_speeds():
    roads = gpd.GeoDataFrame({"speed_kmh": [60.0, 30.0]}, crs=32650, geometry=[
        shapely.LineString([(0, 0), (2000, 0)]), shapely.LineString([(1000, -1000), (1000, 1000)])])
    assert network.build_graph(roads).n_components == 2
    g = network.build_graph(roads, node_crossings=True)
    assert g.n_components == 1 and g.n_nodes == 5
    # from (0,0) to (1000,1000): 1 km at 60 km/h + 1 km at 30 km/h = 3 min
    t = network.nearest_minutes(g, np.array([[0.0, 0.0]]), np.array([[1000.0, 1000.0]]))
    assert t[0] == pytest.approx(3.0, abs=1e-6)


def test_node_crossings_keep_the_speed_of_roads_meeting_end_to_end():
    """Two roads meeting at a corner and a road changing class at a point: noding must not
    merge them into one piece with one speed (line_merge did: both at 60 km/h)."""
    roads = gpd.GeoDataFrame({"speed_kmh": [60.0, 20.0, 40.0, 10.0]}, crs=32650, geometry=[
        shapely.LineString([(0, 0), (2000, 0)]), shapely.LineString([(2000, 0), (2000, 2000)]),
        shapely.LineString([(0, 3000), (1000, 3000)]), shapely.LineString([(1000, 3000), (2000, 3000)])])
    g = network.build_graph(roads, node_crossings=True)
    t = network.nearest_minutes(g, np.array([[0.0, 0.0], [0.0, 3000.0]]),
                                np.array([[2000.0, 2000.0], [2000.0, 3000.0]]))
    # 2 km at 60 + 2 km at 20 = 8 min; 1 km at 40 + 1 km at 10 = 7.5 min
    assert t == pytest.approx([8.0, 7.5], abs=1e-6)
    # a grid of lines crossing without shared vertices, corners included, nodes at every crossing
    xs = np.linspace(0, 2000, 5)
    grid = gpd.GeoDataFrame({"speed_kmh": [30.0] * 10}, crs=32650,
                            geometry=[shapely.LineString([(0, v), (2000, v)]) for v in xs] +
                            [shapely.LineString([(v, 0), (v, 2000)]) for v in xs])
    gg = network.build_graph(grid, node_crossings=True)
    assert gg.n_components == 1 and gg.n_nodes == 25


def test_bad_input_is_refused(grid_roads):
    with pytest.raises(NetworkError, match="speed"):
        network.build_graph(grid_roads.assign(speed_kmh=0.0))
    with pytest.raises(NetworkError, match="classes: village x1"):
        network.build_graph(grid_roads.assign(speed_kmh=[np.nan] + [30.0] * (len(grid_roads) - 1),
                                              road_class=["village"] + ["county"] * (len(grid_roads) - 1)))
    with pytest.raises(NetworkError, match="no speed_kmh column"):
        network.build_graph(grid_roads.drop(columns="speed_kmh"))
    with pytest.raises(CRSError, match="geographic"):
        network.build_graph(grid_roads.to_crs(4326))
    g = network.build_graph(grid_roads)
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(100, 100)], crs=32650)
    with pytest.raises(CRSError, match="reproject"):
        network.nearest_facility(g, pts.to_crs(3857), pts)
    with pytest.raises(CRSError, match="geographic"):
        network.nearest_facility(g, pts.to_crs(4326), pts)
    with pytest.raises(DataError, match="max_cost"):
        network.od_table(g, pd.DataFrame({"x": [0.0], "y": [0.0]}), pd.DataFrame({"x": [0.0], "y": [0.0]}),
                         max_cost=-5)
    with pytest.raises(DataError, match="walk_kmh"):
        network.nearest_facility(g, np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]]), walk_kmh=0)
    with pytest.raises(DataError, match="missing or infinite"):
        network.nearest_facility(g, np.array([[np.nan, 0.0]]), np.array([[0.0, 0.0]]))
    with pytest.raises(DataError, match="weight"):
        network.nearest_facility(g, np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]]), weight="hours")


def test_geodataframe_points_in_graph_crs(grid_roads):
    g = network.build_graph(grid_roads)
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(1000, 0)], crs=32650, index=["a", "b"])
    fac = gpd.GeoDataFrame(geometry=[shapely.Point(1000, 0)], crs=32650, index=["h"])
    od = network.od_table(g, pts, fac, max_cost=60)
    assert set(od["origin"]) == {"a", "b"} and set(od["destination"]) == {"h"}


def test_largest_component_is_networkx_largest_strongly_connected():
    """components='largest' keeps exactly networkx's largest strongly connected component."""
    import geopandas as gpd
    import networkx as nx
    import shapely

    from urbanrural.analysis.accessibility.network import build_graph

    lines = [((0, 0), (100, 0), 0), ((100, 0), (100, 100), 0), ((100, 100), (0, 0), 0),  # a two-way triangle
             ((100, 0), (300, 0), 1),                                                      # one way out: a dead end
             ((500, 500), (600, 500), 0)]                                                  # an island
    roads = gpd.GeoDataFrame({"speed_kmh": 30.0, "oneway": [o for *_, o in lines]}, crs=32650,
                             geometry=[shapely.LineString([a, b]) for a, b, _ in lines])
    g_all = build_graph(roads)
    g = build_graph(roads, components="largest")
    nxg = nx.DiGraph()
    for (a, b, o) in lines:
        nxg.add_edge(a, b)
        if not o:
            nxg.add_edge(b, a)
    largest = max(nx.strongly_connected_components(nxg), key=len)
    assert g_all.n_nodes == 6 and g.n_nodes == len(largest) == 3
    assert {tuple(p) for p in g.xy.tolist()} == {tuple(map(float, p)) for p in largest}
    assert g.n_components == 1
