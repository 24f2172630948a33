"""Road-graph travel times: exact against networkx; islands counted; sparse OD bounded."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from urbanrural.analysis.accessibility import euclidean, network
from urbanrural.geo.errors import CRSError, DataError, NetworkError


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


def _nx_graph(roads):
    g = nx.DiGraph()
    for geom, v, ow in zip(roads.geometry, roads["speed_kmh"], roads["oneway"], strict=True):
        a, b = geom.coords[0], geom.coords[-1]
        w = geom.length / (v * 1000 / 60)
        g.add_edge(a, b, weight=w)
        if not ow:
            g.add_edge(b, a, weight=w)
    return g


def test_graph_structure_and_island(grid_roads):
    g = network.build_graph(grid_roads)
    assert g.n_nodes == 36 + 2 and g.n_components == 2


def test_nearest_minutes_exact_against_networkx(grid_roads):
    rng = np.random.default_rng(5)
    g = network.build_graph(grid_roads)
    origins = rng.uniform(-200, 5200, (60, 2))
    facilities = rng.uniform(0, 5000, (4, 2))
    ours = network.nearest_minutes(g, origins, facilities, walk_kmh=5)
    G = _nx_graph(grid_roads)
    nodes = np.array(list(G.nodes))
    walk = 5 * 1000 / 60
    def near(p):
        k = np.argmin(np.hypot(*(nodes - p).T))
        return tuple(nodes[k]), np.hypot(*(nodes[k] - p)) / walk
    fac = [near(f) for f in facilities]
    for o, t in zip(origins, ours, strict=True):
        on, ow = near(o)
        lengths = nx.single_source_dijkstra_path_length(G, on, weight="weight")
        ref = min(ow + lengths.get(fn, np.inf) + fw for fn, fw in fac)
        assert t == pytest.approx(ref, rel=1e-9, abs=1e-6)


def test_island_people_get_inf_not_zero(grid_roads):
    g = network.build_graph(grid_roads)
    t = network.nearest_minutes(g, np.array([[20_500.0, 20_010.0], [10.0, 10.0]]), np.array([[0.0, 0.0]]))
    assert np.isinf(t[0]) and np.isfinite(t[1])


def test_od_table_equals_filtered_full_matrix(grid_roads):
    rng = np.random.default_rng(9)
    g = network.build_graph(grid_roads)
    o = pd.DataFrame(rng.uniform(0, 5000, (40, 2)), columns=["x", "y"])
    f = pd.DataFrame(rng.uniform(0, 5000, (7, 2)), columns=["x", "y"], index=[f"f{i}" for i in range(7)])
    od = network.od_table(g, o, f, max_cost=12, block=3)
    assert (od["cost"] <= 12).all()
    full = {}
    for name, row in f.iterrows():
        t = network.nearest_minutes(g, o[["x", "y"]].to_numpy(), row[["x", "y"]].to_numpy()[None, :])
        for i, v in enumerate(t):
            if v <= 12:
                full[(i, name)] = v
    got = {(a, b): c for a, b, c in od.itertuples(index=False)}
    assert got.keys() == full.keys()
    for k, v in full.items():
        assert got[k] == pytest.approx(v, rel=1e-9)


def test_bad_roads_are_refused(grid_roads):
    with pytest.raises(NetworkError, match="speed"):
        network.build_graph(grid_roads.assign(speed_kmh=0.0))
    with pytest.raises(CRSError):
        network.build_graph(grid_roads.to_crs(4326))
    with pytest.raises(DataError, match="max_cost"):
        network.od_table(network.build_graph(grid_roads), pd.DataFrame({"x": [0.0], "y": [0.0]}),
                         pd.DataFrame({"x": [0.0], "y": [0.0]}), max_cost=-5)


def test_euclidean_by_hand():
    o = pd.DataFrame({"x": [0.0, 10_000.0], "y": [0.0, 0.0]}, index=["a", "b"])
    f = pd.DataFrame({"x": [3000.0], "y": [4000.0]}, index=["h"])
    od = euclidean.od_table(o, f, max_cost=15, speed_kmh=30, circuity=1.2)
    # a: 5 km x 1.2 / 30 km/h = 12 min; b: 8.06 km x 1.2 / 30 km/h = 19.3 min > 15
    assert od.to_dict("records") == [{"origin": "a", "destination": "h", "cost": pytest.approx(12.0)}]
    with pytest.raises(DataError, match="circuity"):
        euclidean.nearest_minutes(o.to_numpy(), f.to_numpy(), circuity=0.9)
