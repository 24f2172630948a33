"""Water barriers and penalty rasters on the friction grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from urbanrural.analysis.accessibility import barriers, friction
from urbanrural.geo.errors import CRSError, DataError, RasterError

GRID = from_origin(0, 2000, 100, 100)
SHAPE = (20, 20)


def test_diagonal_river_cannot_be_crossed_but_a_bridge_can():
    river = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (2000, 2000)])], crs=32650)
    wall = barriers.water_barrier(river, transform=GRID, shape=SHAPE, crs=32650)
    s = friction.friction_surface(None, transform=GRID, shape=SHAPE, crs=32650, off_road_kmh=6, barrier=wall)
    tt = friction.travel_time(s, np.array([[150.0, 1850.0]]))  # upper-left side
    assert np.isinf(tt[-1, -1])  # lower-right corner: the river is closed to 8-neighbour steps
    bridge = gpd.GeoDataFrame({"speed_kmh": [30.0]}, crs=32650,
                              geometry=[shapely.LineString([(150, 1850), (1850, 150)])])
    s2 = friction.friction_surface(bridge, transform=GRID, shape=SHAPE, crs=32650, off_road_kmh=6, barrier=wall)
    tt2 = friction.travel_time(s2, np.array([[150.0, 1850.0]]))
    assert np.isfinite(tt2[-1, -1])
    # along the bridge road at 30 km/h (500 m/min): 17 diagonal steps of 141.4 m
    assert tt2[-2, -2] == pytest.approx(17 * np.hypot(100, 100) / 500, rel=1e-9)


def test_lake_polygon_reprojected_and_bad_layers():
    lake = gpd.GeoDataFrame(geometry=[shapely.box(500, 500, 1000, 1000)], crs=32650).to_crs(4326)
    wall = barriers.water_barrier(lake, transform=GRID, shape=SHAPE, crs=32650)
    assert wall.sum() == 25  # 5 x 5 cells of 100 m (cell centres inside)
    with pytest.raises(CRSError, match="no CRS"):
        barriers.water_barrier(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]), transform=GRID,
                               shape=SHAPE, crs=32650)
    with pytest.raises(DataError, match="neither polygons nor lines"):
        barriers.water_barrier(gpd.GeoDataFrame(geometry=[shapely.Point(5, 5)], crs=32650), transform=GRID,
                               shape=SHAPE, crs=32650)


def _write(path, arr, transform, crs="EPSG:32650", nodata=-9999.0):
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                       dtype="float64", crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(arr, 1)
    return path


def test_penalty_averaged_onto_the_grid_missing_is_one(tmp_path):
    fine = np.ones((20, 20))  # 50 m cells covering the upper-left 1 km
    fine[:2, :2] = 3.0  # one 100 m friction cell: mean of four 3s
    fine[2:4, 0:2] = [[1.0, 2.0], [3.0, 4.0]]  # next one: mean 2.5
    fine[10:12, 10:12] = np.inf  # impassable
    p = _write(tmp_path / "pen.tif", fine, from_origin(0, 2000, 50, 50))
    g = barriers.penalty_grid(p, transform=GRID, shape=SHAPE, crs=32650)
    assert g[0, 0] == pytest.approx(3.0) and g[1, 0] == pytest.approx(2.5)
    assert np.isinf(g[5, 5])
    assert (g[10:, :] == 1.0).all() and (g[:, 10:] == 1.0).all()  # outside the raster: no penalty
    s = friction.friction_surface(None, transform=GRID, shape=SHAPE, crs=32650, off_road_kmh=6, penalty=g)
    assert s.minutes_per_m[0, 0] == pytest.approx(3 * 60 / 6000)
    neg = _write(tmp_path / "neg.tif", -fine, from_origin(0, 2000, 50, 50))
    with pytest.raises(RasterError, match="negative"):
        barriers.penalty_grid(neg, transform=GRID, shape=SHAPE, crs=32650)
