"""Demand points from rasters and units; population-weighted aggregation back to units."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from urbanrural.analysis.accessibility import demand
from urbanrural.geo.errors import CRSError, DataError
from urbanrural.geo.raster import open_raster


@pytest.fixture
def pop_raster(tmp_path):
    """4 x 4 cells of 100 m; nodata in one cell, zeros in two."""
    a = np.arange(1, 17, dtype="float32").reshape(4, 4)
    a[0, 0] = -9999
    a[3, 3] = 0
    a[2, 1] = 0
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(0, 400, 100, 100), nodata=-9999) as dst:
        dst.write(a, 1)
    return open_raster(path), a


@pytest.fixture
def two_units():
    return gpd.GeoDataFrame({"population": [10.0, 20.0]}, index=pd.Index(["w", "e"]), crs=32650,
                            geometry=[shapely.box(0, 0, 200, 400), shapely.box(200, 0, 400, 400)])


def test_from_raster_cells_and_units(pop_raster, two_units):
    info, a = pop_raster
    pts = demand.from_raster(info, two_units)
    assert len(pts) == 16 - 3  # nodata and zero cells skipped
    # independent check: each cell's centre, value and containing unit
    for row in pts.itertuples():
        r, c = int(row.row), int(row.col)
        assert (row.x, row.y) == (c * 100 + 50, 400 - r * 100 - 50)
        assert row.people == a[r, c]
        assert row.unit == ("w" if c < 2 else "e")
        assert row.Index == r * 4 + c
    w = a[:, :2][(a[:, :2] > 0)].sum()
    assert pts.groupby("unit")["people"].sum()["w"] == pytest.approx(w)


def test_from_raster_in_another_crs_reprojects_cells(pop_raster, two_units):
    info, _ = pop_raster
    a = demand.from_raster(info, two_units)
    b = demand.from_raster(info, two_units.to_crs(3857))
    assert len(a) == len(b) and (a["unit"].to_numpy() == b["unit"].to_numpy()).all()
    back = gpd.GeoSeries(gpd.points_from_xy(b["x"], b["y"]), crs=3857).to_crs(32650)
    np.testing.assert_allclose(back.x.to_numpy(), a["x"].to_numpy(), atol=1e-6)


def test_centroids_and_weighted_centroids(pop_raster, two_units):
    info, _ = pop_raster
    c = demand.from_centroids(two_units, two_units["population"])
    assert c["people"].tolist() == [10.0, 20.0]
    assert all(shapely.Point(x, y).within(g) for x, y, g in zip(c["x"], c["y"], two_units.geometry, strict=True))
    cells = demand.from_raster(info, two_units)
    wc = demand.from_weighted_centroids(cells, two_units)
    sub = cells[cells["unit"] == "e"]
    assert wc.loc["e", "x"] == pytest.approx(np.average(sub["x"], weights=sub["people"]))
    assert wc.loc["e", "y"] == pytest.approx(np.average(sub["y"], weights=sub["people"]))
    assert wc.loc["e", "people"] == pytest.approx(sub["people"].sum())


def test_aggregate_is_inf_aware_and_refuses_nan():
    pts = pd.DataFrame({"unit": ["a", "a", "b", "b", "c"], "people": [10.0, 30.0, 5.0, 15.0, 7.0]})
    t = np.array([10.0, 20.0, np.inf, 8.0, np.inf])
    g = demand.aggregate(t, pts, index=pd.Index(["a", "b", "c", "d"]))
    assert g.loc["a", "mean"] == pytest.approx((10 * 10 + 30 * 20) / 40)
    assert g.loc["b", "mean"] == pytest.approx(8.0) and g.loc["b", "unreachable"] == 5.0
    assert g.loc["b", "reachable_share"] == pytest.approx(15 / 20)
    assert np.isnan(g.loc["c", "mean"]) and g.loc["c", "unreachable"] == 7.0  # counted, never 0 minutes
    assert g.loc["d", "people"] == 0 and np.isnan(g.loc["d", "reachable_share"])
    with pytest.raises(DataError, match="NaN"):
        demand.aggregate(np.array([np.nan, 1, 1, 1, 1]), pts, index=pd.Index(["a"]))
    with pytest.raises(DataError, match="one value per point"):
        demand.aggregate(np.array([1.0]), pts, index=pd.Index(["a"]))
    w = demand.within_share(t, pts, threshold=15, index=pd.Index(["a", "b", "c"]))
    assert w["within"].tolist() == [10.0, 15.0, 0.0] and w["beyond"].tolist() == [30.0, 5.0, 7.0]
    with pytest.raises(DataError, match="positive"):
        demand.within_share(t, pts, threshold=0, index=pd.Index(["a"]))


def test_points_xy_inputs():
    xy, ids = demand.points_xy(np.array([[1.0, 2.0], [3.0, 4.0]]), name="o")
    assert xy.shape == (2, 2) and list(ids) == [0, 1]
    poly = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 2)], index=["p"], crs=32650)
    xy, ids = demand.points_xy(poly, name="o")
    assert shapely.Point(xy[0]).within(poly.geometry.iloc[0]) and list(ids) == ["p"]
    with pytest.raises(DataError, match="no column"):
        demand.points_xy(pd.DataFrame({"lon": [1.0]}), name="schools")
    with pytest.raises(CRSError, match="schools"):
        demand.points_xy(poly.to_crs(4326), name="schools")
