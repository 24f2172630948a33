"""Coverage indicators against hand-worked numbers and brute-force references."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from urbanrural.analysis.accessibility import coverage, network
from urbanrural.geo.errors import DataError


@pytest.fixture
def people():
    return pd.DataFrame({"x": [0.0, 500.0, 1500.0, 3000.0], "y": [0.0, 0.0, 0.0, 2500.0],
                         "people": [100.0, 50.0, 30.0, 20.0], "unit": ["a", "a", "b", "b"],
                         "urban_class": ["urban", "urban", "rural", "rural"]})


def test_coverage_table_by_hand(people):
    t = np.array([5.0, 12.0, 40.0, np.inf])
    tab = coverage.coverage_table(t, people, thresholds=[30, 15]).set_index(["urban_class", "threshold_min"])
    assert tab.loc[("all", 15), "population_within"] == 150 and tab.loc[("all", 15), "share"] == pytest.approx(0.75)
    assert tab.loc[("all", 30), "population"] == 200
    assert tab.loc[("rural", 30), "share"] == 0.0 and tab.loc[("urban", 15), "share"] == 1.0
    only = coverage.coverage_table(t, people.drop(columns="urban_class"), thresholds=[15])
    assert only["urban_class"].tolist() == ["all"]
    for bad in ([0, 15], [-5], [], [np.inf]):
        with pytest.raises(DataError, match="positive"):
            coverage.coverage_table(t, people, thresholds=bad)


def test_underserved_and_ratio(people):
    t = np.array([5.0, 12.0, 40.0, np.inf])
    u = coverage.underserved(t, people, threshold=15, index=pd.Index(["a", "b", "z"]))
    assert u.tolist() == [0.0, 50.0, 0.0]
    # rural mean over finite times = 40 (the unreachable 20 people are not averaged in);
    # urban mean = (100 x 5 + 50 x 12) / 150
    assert coverage.mean_time_ratio(t, people) == pytest.approx(40 / ((500 + 600) / 150))
    with pytest.raises(DataError, match="urban_class"):
        coverage.mean_time_ratio(t, people.drop(columns="urban_class"))
    with pytest.raises(DataError, match="threshold"):
        coverage.underserved(t, people, threshold=-1, index=pd.Index(["a"]))


def test_rural_access_index_against_brute_force():
    rng = np.random.default_rng(4)
    roads = gpd.GeoDataFrame({"road_class": ["national", "village", "track"]}, crs=32650, geometry=[
        shapely.LineString([(0, 0), (20_000, 20_000)]), shapely.LineString([(0, 15_000), (20_000, 15_000)]),
        shapely.LineString([(5_000, 0), (5_000, 20_000)])])
    pts = pd.DataFrame({"x": rng.uniform(0, 20_000, 300), "y": rng.uniform(0, 20_000, 300),
                        "people": rng.integers(1, 100, 300).astype(float)})
    rural = rng.random(300) < 0.7
    for classes in (None, ["national", "village"]):
        sel = roads if classes is None else roads[roads["road_class"].isin(classes)]
        d = np.array([min(shapely.Point(x, y).distance(g) for g in sel.geometry) for x, y in zip(pts.x, pts.y,
                                                                                                    strict=True)])
        ref = pts["people"][rural & (d <= 2000)].sum() / pts["people"][rural].sum()
        res = coverage.rural_access_index(pts, roads, rural=rural, classes=classes)
        assert res.share == pytest.approx(ref, rel=1e-12)
        assert res.rural_population == pts["people"][rural].sum()
    with pytest.raises(DataError, match="classes present"):
        coverage.rural_access_index(pts, roads, rural=rural, classes=["motorway"])
    assert np.isnan(coverage.rural_access_index(pts, roads, rural=np.zeros(300, dtype=bool)).share)


def test_life_circle_walks_along_the_network():
    # an L-shaped street: people at the far end of the L are 1.4 km by street, 1 km straight
    roads = gpd.GeoDataFrame({"speed_kmh": [30.0, 30.0], "oneway": [True, True]}, crs=32650, geometry=[
        shapely.LineString([(0, 0), (700, 0)]), shapely.LineString([(700, 0), (700, 700)])])
    g = network.build_graph(roads)
    pts = pd.DataFrame({"x": [0.0, 250.0, 700.0, 700.0], "y": [0.0, 0.0, 200.0, 700.0],
                        "people": [1.0, 1.0, 1.0, 1.0]})
    res = coverage.life_circle(g, pts, np.array([[0.0, 0.0]]))
    # walks: 0, 250, 900, 1400 m (one-way rules ignored on foot)
    assert res == {"5-minute": 0.5, "10-minute": 0.5, "15-minute": 0.75}
    ref = nx.Graph()
    ref.add_edge((0, 0), (700, 0), weight=700)
    ref.add_edge((700, 0), (700, 700), weight=700)
    assert nx.shortest_path_length(ref, (0, 0), (700, 700), weight="weight") == 1400
    with pytest.raises(DataError, match="positive"):
        coverage.life_circle(g, pts, np.array([[0.0, 0.0]]), distances_m={"x": 0})


def test_isochrones_contain_reached_nodes_only():
    roads = gpd.GeoDataFrame({"speed_kmh": [60.0, 60.0]}, crs=32650, geometry=[
        shapely.segmentize(shapely.LineString([(0, 0), (20_000, 0)]), 500),
        shapely.segmentize(shapely.LineString([(0, 0), (0, 20_000)]), 500)])
    g = network.build_graph(roads)
    fac = pd.DataFrame({"x": [0.0], "y": [0.0]}, index=["h"])
    iso = coverage.isochrones(g, fac, minutes=[5, 10])
    assert iso.crs == g.crs and iso["minutes"].tolist() == [5.0, 10.0]
    five = iso.geometry.iloc[0]
    assert five.contains(shapely.Point(4900, 0)) and not five.covers(shapely.Point(5600, 0))
    assert iso.geometry.iloc[1].area > five.area
    # off the road only the remaining time's walk: 5 min at 5 km/h from the facility's node = 416.7 m
    assert five.covers(shapely.Point(0, -416)) and not five.covers(shapely.Point(0, -420))
    # 2 min on the road (2 km), then 3 min walking = 250 m off the road
    assert five.covers(shapely.Point(2000, -249)) and not five.covers(shapely.Point(2000, -252))
    clipped = coverage.isochrones(g, fac, minutes=[10], clip=shapely.box(-100, -100, 3000, 3000))
    assert shapely.box(-100, -100, 3000, 3000).covers(clipped.geometry.iloc[0])
    far = pd.DataFrame({"x": [0.0], "y": [-50_000.0]}, index=["x"])  # a 50 km walk: reaches nothing in time
    assert coverage.isochrones(g, far, minutes=[10]).empty
