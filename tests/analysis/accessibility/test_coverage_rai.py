"""SDG 9.1.1 by nearest-road samples (issue 16) equals the previous every-pair query:
on the demo, random networks, points exactly 2 km away, crossing, polygonal, empty roads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from urbanrural.analysis.accessibility import coverage, demand
from urbanrural.geo.raster import open_raster


def _old_near(x, y, geoms, distance_m):
    """The implementation before issue 16: every point-road pair within the distance."""
    tree = shapely.STRtree(np.asarray(geoms, dtype=object))
    near = np.zeros(len(x), dtype=bool)
    idx = tree.query(shapely.points(x, y), predicate="dwithin", distance=distance_m)[0]
    near[np.unique(idx)] = True
    return near


def _old_rai(points, roads, *, rural, distance_m=2000.0, classes=None):
    r = roads if classes is None else roads[roads["road_class"].isin(list(classes))]
    people = points["people"].to_numpy(dtype=float)
    rural = np.asarray(rural, dtype=bool)
    total = float(people[rural].sum())
    if total == 0:
        return coverage.RAIResult(float("nan"), 0.0, 0.0, float(distance_m),
                                  tuple(classes) if classes is not None else None)
    near = np.zeros(len(people), dtype=bool)
    ask = np.flatnonzero(rural)
    near[ask] = _old_near(points["x"].to_numpy()[ask], points["y"].to_numpy()[ask], r.geometry.to_numpy(),
                          distance_m)
    within = float(people[near].sum())
    return coverage.RAIResult(within / total, total, within, float(distance_m),
                              tuple(classes) if classes is not None else None)


def _random_roads(rng, n, extent):
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        start = rng.uniform(0, extent, 2)
        out.append(shapely.LineString(np.vstack([start, start + np.cumsum(rng.normal(0, 1500, (k - 1, 2)), 0)])))
    return np.array(out, dtype=object)


@pytest.fixture(params=["kd-tree", "grid"])
def grid_too(request, monkeypatch):
    """Both paths of near_road: the KD-tree for every point, and the coarse grid first."""
    if request.param == "grid":
        monkeypatch.setattr(coverage, "NEAR_GRID_MIN_POINTS", 0)
        monkeypatch.setattr(coverage, "NEAR_GRID_CELLS", 5_000)  # coarse: many points left open
    return request.param


@pytest.mark.parametrize("seed", range(6))
def test_random_networks_match_every_pair_query(seed, grid_too):
    rng = np.random.default_rng(seed)
    extent = 30_000.0
    roads = _random_roads(rng, int(rng.integers(1, 40)), extent)
    x, y = rng.uniform(-3000, extent + 3000, 5000), rng.uniform(-3000, extent + 3000, 5000)
    for d in (2000.0, 500.0, 3333.3):
        new = coverage.near_road(x, y, roads, distance_m=d, block=int(rng.integers(1, 3000)))
        np.testing.assert_array_equal(new, _old_near(x, y, roads, d))


def test_points_exactly_at_the_distance_and_crossing_roads(grid_too):
    cross = np.array([shapely.LineString([(0, 0), (10_000, 0)]), shapely.LineString([(5_000, -5_000), (5_000, 5_000)]),
                      shapely.LineString([(0, 0), (8_000, 6_000)]),  # 3-4-5 diagonal
                      shapely.MultiLineString([[(20_000, 0), (20_000, 1)], [(30_000, 0), (30_000, 0.5)]])],
                     dtype=object)
    pts = np.array([
        (100, 2000), (100, -2000), (-2000, 0), (12_000, 0), (10_000, 2000), (7_000, 2000),   # on the circle/line
        (100, 2000.000001), (100, 1999.999999), (-2000.000001, 0), (12_000.000001, 0),
        (5_000 + 2000, 4_000), (5_000 - 2000, -4_999), (5_000, 7_000), (5_000, 7_000.0001),
        (4_000 - 1_200, 3_000 + 1_600),  # 2 km from the diagonal, perpendicular (not exact in binary)
        (22_000, 0.5), (21_999.99, 1), (30_000, 2_000.5), (30_000, 2_000.4), (25_000, 0),
        (40_000, 40_000),
    ], dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    new = coverage.near_road(x, y, cross, distance_m=2000.0)
    np.testing.assert_array_equal(new, _old_near(x, y, cross, 2000.0))
    assert new[:6].all() and not new[8] and not new[-1]
    # on a lattice of points 100 m apart around the roads, every point exactly at 2 km
    gx, gy = np.meshgrid(np.arange(-3000, 13_001, 100.0), np.arange(-8000, 8001, 100.0))
    np.testing.assert_array_equal(coverage.near_road(gx.ravel(), gy.ravel(), cross, distance_m=2000.0),
                                  _old_near(gx.ravel(), gy.ravel(), cross, 2000.0))


def test_polygonal_points_and_missing_roads(grid_too):
    geoms = np.array([shapely.box(0, 0, 50_000, 50_000), None, shapely.Polygon(), shapely.Point(80_000, 0),
                      shapely.GeometryCollection([shapely.box(60_000, 60_000, 61_000, 61_000),
                                                  shapely.LineString([(0, 90_000), (1, 90_000)])])], dtype=object)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-5_000, 95_000, 4000), rng.uniform(-5_000, 95_000, 4000)
    x[:3], y[:3] = [25_000, 82_000, 60_500], [25_000, 0, 60_500]  # deep inside the box: 0 m from its area
    new = coverage.near_road(x, y, geoms, distance_m=2000.0)
    np.testing.assert_array_equal(new, _old_near(x, y, geoms, 2000.0))
    assert new[:3].all()
    assert not coverage.near_road(x, y, np.array([None, shapely.LineString()], dtype=object), distance_m=2000).any()
    assert not coverage.near_road(x, y, np.array([], dtype=object), distance_m=2000).any()
    assert coverage.near_road(np.empty(0), np.empty(0), geoms, distance_m=2000).shape == (0,)
    x[5], y[6] = np.nan, np.inf  # no coordinates: near nothing, the others unchanged
    np.testing.assert_array_equal(coverage.near_road(x, y, geoms, distance_m=2000.0),
                                  np.r_[new[:5], False, False, new[7:]])


def test_rai_results_equal_the_previous_ones_incl_empty_roads():
    rng = np.random.default_rng(9)
    roads = gpd.GeoDataFrame({"road_class": rng.choice(["national", "county", "track"], 30)},
                             geometry=_random_roads(rng, 30, 30_000.0), crs=32650)
    pts = pd.DataFrame({"x": rng.uniform(0, 30_000, 3000), "y": rng.uniform(0, 30_000, 3000),
                        "people": rng.gamma(1.0, 20, 3000)})
    pts.loc[:99, "people"] = 0.0  # fallback points weigh nothing
    rural = rng.random(3000) < 0.7
    for classes in (None, ["national"], ["county", "track"]):
        assert coverage.rural_access_index(pts, roads, rural=rural, classes=classes) == \
            _old_rai(pts, roads, rural=rural, classes=classes)
    empty = roads.iloc[:0]
    assert coverage.rural_access_index(pts, empty, rural=rural) == _old_rai(pts, empty, rural=rural)
    assert coverage.rural_access_index(pts, empty, rural=rural).share == 0.0


def test_demo_rai_unchanged(tmp_path, grid_too):
    from urbanrural.layers import demo_region

    d = demo_region(tmp_path / "demo").parent
    units = gpd.read_file(d / "units.gpkg").set_index("code")
    roads = gpd.read_file(d / "roads.gpkg")
    pts, _ = demand.demand_points(units, how="raster", raster=open_raster(d / "population.tif"))
    rural = np.random.default_rng(1).random(len(pts)) < 0.8
    for dist in (2000.0, 500.0, 150.0):
        new = coverage.rural_access_index(pts, roads, rural=rural, distance_m=dist)
        assert new == _old_rai(pts, roads, rural=rural, distance_m=dist)
        assert 0 < new.share <= 1
