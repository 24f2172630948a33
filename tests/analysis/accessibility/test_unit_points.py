"""One demand point per unit (centroid, moved inside), zero-people points, reach labels, distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from urbanrural.analysis.accessibility import demand, euclidean
from urbanrural.geo.raster import open_raster


@pytest.fixture
def odd_units():
    """A square, a ring whose centroid is in its hole, a crescent-like L, a two-part unit."""
    ring = shapely.box(3000, 0, 6000, 3000).difference(shapely.box(4000, 1000, 5000, 2000))
    ell = shapely.box(0, 4000, 3000, 7000).difference(shapely.box(600, 4600, 3000, 7000))
    two = shapely.MultiPolygon([shapely.box(4000, 4000, 4500, 4500), shapely.box(5500, 5500, 6000, 6000)])
    return gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2000, 2000), ring, ell, two],
                            index=pd.Index(["sq", "ring", "ell", "two"], name="code"), crs=32650)


def test_unit_point_is_the_centroid_when_inside_else_a_point_inside(odd_units):
    p = demand.unit_points(odd_units)
    assert p["point"].to_dict() == {"sq": "centroid", "ring": "representative point",
                                    "ell": "representative point", "two": "representative point"}
    assert (p.loc["sq", "x"], p.loc["sq", "y"]) == (1000.0, 1000.0)
    for code, g in odd_units.geometry.items():
        assert g.contains(shapely.Point(p.loc[code, "x"], p.loc[code, "y"])), code
    # from_centroids uses the same points
    c = demand.from_centroids(odd_units, pd.Series(1.0, index=odd_units.index))
    np.testing.assert_array_equal(c[["x", "y"]].to_numpy(), p[["x", "y"]].to_numpy())


@pytest.fixture
def pop(tmp_path):
    """10 x 10 cells of 100 m over (0..1000, 0..1000); the east half has no people."""
    a = np.zeros((10, 10), dtype="float32")
    a[:, :5] = np.arange(1, 51, dtype="float32").reshape(10, 5)
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(0, 1000, 100, 100), nodata=-1) as dst:
        dst.write(a, 1)
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 500, 1000), shapely.box(500, 0, 1000, 1000)],
                             index=pd.Index(["w", "e"]), crs=32650)
    return open_raster(path), a, units


def test_raster_demand_adds_a_zero_people_point_for_units_without_people(pop):
    info, a, units = pop
    pts, used = demand.demand_points(units, how="raster", raster=info)
    assert used == "raster"
    assert pts["people"].sum() == pytest.approx(a.sum())
    e = pts[pts["unit"] == "e"]
    assert len(e) == 1 and bool(e["fallback"].iloc[0]) and e["people"].iloc[0] == 0
    assert (e["x"].iloc[0], e["y"].iloc[0]) == (750.0, 500.0)  # its centroid
    assert not pts.loc[pts["unit"] == "w", "fallback"].any()
    assert (pts.loc[pts["fallback"], ["row", "col"]] == -1).all().all()
    # without a raster: one point per unit
    pts2, used2 = demand.demand_points(units, how="raster", raster=None)
    assert used2 == "centroid" and len(pts2) == 2


def test_unit_values_labels_and_the_nan_invariant():
    pts = pd.DataFrame({"unit": ["a", "a", "b", "c", "d"], "people": [10.0, 30.0, 0.0, 5.0, 0.0],
                        "fallback": [False, False, True, False, True]})
    v = demand.unit_values(np.array([10.0, np.inf, 7.0, np.inf, np.inf]), pts, index=pd.Index(list("abcd")))
    assert v["reach"].tolist() == ["ok", "no people", "unreachable", "unreachable"]
    assert v.loc["a", "mean"] == 10.0 and v.loc["a", "unreachable"] == 30.0
    assert v.loc["b", "mean"] == 7.0
    assert (v["mean"].isna() == (v["reach"] == "unreachable")).all()


def test_straight_line_km_uses_the_travel_time_points(pop):
    info, a, units = pop
    fac = gpd.GeoDataFrame({"category": ["h", "h", "k"]}, crs=32650,
                           geometry=[shapely.Point(50, 950), shapely.Point(2000, 500), shapely.Point(-3000, 0)])
    d = euclidean.straight_line_km(units, fac, population=info, demand="raster")
    assert list(d.columns) == ["dist_h_km", "dist_k_km"] and d.index.equals(units.index)
    # brute force: population-weighted mean over populated cells of the distance to the nearest facility
    rows, cols = np.nonzero(a > 0)
    x, y = cols * 100 + 50.0, 1000 - rows * 100 - 50.0
    dh = np.minimum(np.hypot(x - 50, y - 950), np.hypot(x - 2000, y - 500)) / 1000
    assert d.loc["w", "dist_h_km"] == pytest.approx(np.average(dh, weights=a[rows, cols]))
    assert d.loc["e", "dist_h_km"] == pytest.approx(np.hypot(700, 450) / 1000)  # no people: its centroid
    c = euclidean.straight_line_km(units, fac, demand="centroid")
    assert c.loc["w", "dist_k_km"] == pytest.approx(np.hypot(250 + 3000, 500) / 1000)
    # the variant text names the point
    assert "population-weighted" in euclidean.straight_line_variant("raster")
    assert "representative point" in euclidean.straight_line_variant("centroid")


def test_straight_line_km_matches_the_old_centroid_rule_for_convex_units():
    u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2000, 2000), shapely.box(2000, 0, 4000, 2000)],
                         index=["a", "b"], crs=32650)
    f = gpd.GeoDataFrame({"category": ["clinic"]}, geometry=[shapely.Point(9000, 1000)], crs=32650)
    d = euclidean.straight_line_km(u, f)
    ref = u.geometry.centroid.distance(f.geometry.iloc[0]) / 1000
    np.testing.assert_allclose(d["dist_clinic_km"].to_numpy(), ref.to_numpy())
