"""Friction surface: accumulation equal to scikit-image MCP_Geometric; burning rules by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from skimage.graph import MCP_Geometric

from urbanrural.analysis.accessibility import friction as fr
from urbanrural.geo.errors import CRSError, DataError, RasterError


def _mcp(cost, starts_rc, sampling):
    return MCP_Geometric(cost, sampling=sampling).find_costs([tuple(map(int, s)) for s in starts_rc])[0]


@pytest.mark.parametrize("engine", ["numba", "scipy"])
@pytest.mark.parametrize("seed", [0, 1])
def test_travel_time_equals_mcp_geometric(engine, seed):
    rng = np.random.default_rng(seed)
    rows, cols, sy, sx = 60, 80, 30.0, 25.0
    cost = rng.uniform(0.0005, 0.02, (rows, cols))
    cost[rng.random(cost.shape) < 0.15] = np.inf  # scattered barriers, some cells walled in
    surface = fr.FrictionSurface(cost, from_origin(1000, 5000, sx, sy), None)
    rc = np.column_stack([rng.integers(0, rows, 4), rng.integers(0, cols, 4)])
    x = 1000 + (rc[:, 1] + 0.5) * sx
    y = 5000 - (rc[:, 0] + 0.5) * sy
    ours = fr.travel_time(surface, np.column_stack([x, y]), engine=engine)
    ref = _mcp(cost, rc, (sy, sx))
    assert (np.isinf(ours) == np.isinf(ref)).all()
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-12, atol=1e-12)


def test_max_cost_bounds_the_search():
    cost = np.full((30, 30), 0.01)
    s = fr.FrictionSurface(cost, from_origin(0, 300, 10, 10), None)
    full = fr.travel_time(s, np.array([[5.0, 295.0]]))
    part = fr.travel_time(s, np.array([[5.0, 295.0]]), max_cost=1.0)
    assert np.array_equal(np.isfinite(part), full <= 1.0)
    np.testing.assert_array_equal(part[np.isfinite(part)], full[full <= 1.0])
    with pytest.raises(DataError, match="max_cost"):
        fr.travel_time(s, np.array([[5.0, 295.0]]), max_cost=0)


def test_burning_rules_by_hand():
    t = from_origin(0, 300, 100, 100)  # 3 x 3 cells of 100 m
    roads = gpd.GeoDataFrame({"speed_kmh": [30.0, 60.0]}, crs=32650, geometry=[
        shapely.LineString([(0, 150), (300, 150)]), shapely.LineString([(150, 0), (150, 300)])])
    water = np.zeros((3, 3), dtype=bool)
    water[0, 0] = water[1, 1] = True  # (1, 1) carries roads: a bridge
    penalty = np.ones((3, 3))
    penalty[2, 2] = 2.0
    s = fr.friction_surface(roads, transform=t, shape=(3, 3), crs=32650, off_road_kmh=6, barrier=water,
                            penalty=penalty)
    f = s.minutes_per_m
    walk, r30, r60 = 60 / 6000, 60 / 30_000, 60 / 60_000
    assert f[1, 1] == pytest.approx(r60)  # crossing: the faster road wins, and over water
    assert f[1, 0] == pytest.approx(r30) and f[1, 2] == pytest.approx(r30)
    assert f[0, 1] == pytest.approx(r60) and f[2, 1] == pytest.approx(r60)
    assert np.isinf(f[0, 0]) and f[0, 2] == pytest.approx(walk) and f[2, 2] == pytest.approx(2 * walk)
    assert s.road_cells == 5 and s.barrier_cells == 1
    tt = fr.travel_time(s, np.array([[50.0, 150.0]]))  # facility on the west end of the 30 km/h road
    # east along the road: 3 cells, two half-steps each cell boundary: 100 m x (r30 + r60)/2 + 100 m x (r60 + r30)/2
    assert tt[1, 2] == pytest.approx(100 * (r30 + r60) / 2 + 100 * (r60 + r30) / 2)
    # north-west corner is water: unreachable
    assert np.isinf(tt[0, 0])


def test_bad_input():
    t = from_origin(0, 300, 100, 100)
    roads = gpd.GeoDataFrame({"speed_kmh": [30.0]}, crs=32650, geometry=[shapely.LineString([(0, 150), (300, 150)])])
    with pytest.raises(CRSError, match="reproject"):
        fr.friction_surface(roads.set_crs(32651, allow_override=True), transform=t, shape=(3, 3), crs=32650)
    with pytest.raises(CRSError, match="geographic"):
        fr.friction_surface(None, transform=t, shape=(3, 3), crs=4326)
    with pytest.raises(DataError, match="speed_kmh"):
        fr.friction_surface(roads.assign(speed_kmh=np.nan), transform=t, shape=(3, 3), crs=32650)
    with pytest.raises(DataError, match="off_road_kmh"):
        fr.friction_surface(None, transform=t, shape=(3, 3), off_road_kmh=0)
    with pytest.raises(RasterError, match="shape"):
        fr.friction_surface(None, transform=t, shape=(3, 3), barrier=np.zeros((2, 2), dtype=bool))
    with pytest.raises(RasterError, match="negative"):
        fr.friction_surface(None, transform=t, shape=(3, 3), penalty=-np.ones((3, 3)))
    s = fr.friction_surface(None, transform=t, shape=(3, 3))
    pts = np.array([[50.0, 50.0], [5000.0, 50.0]])
    assert fr.outside_count(s, pts) == 1
    assert np.isfinite(fr.travel_time(s, pts)).all()  # the inside facility still counts
    assert np.isinf(fr.travel_time(s, pts[1:])).all()  # none inside: nothing reachable, never 0
    with pytest.raises(DataError, match="engine"):
        fr.travel_time(s, pts, engine="gpu")


def test_geotiff_sample_and_zonal(tmp_path):
    t = from_origin(0, 20, 10, 10)  # 2 x 3 cells
    minutes = np.array([[1.0, 2.0, np.inf], [4.0, 5.0, 6.0]])
    mask = np.array([[True, True, True], [True, True, False]])
    p = fr.write_geotiff(tmp_path / "tt.tif", minutes, transform=t, crs="EPSG:32650", mask=mask)
    with rasterio.open(p) as src:
        a = src.read(1)
        assert src.nodata == fr.NODATA and src.crs.to_epsg() == 32650
    assert a.tolist() == [[1.0, 2.0, fr.UNREACHABLE], [4.0, 5.0, fr.NODATA]]
    assert fr.sample(minutes, t, np.array([[15.0, 15.0], [25.0, 5.0]])).tolist() == [2.0, 6.0]
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 20, 20), shapely.box(20, 0, 30, 20)], index=["w", "e"],
                             crs=32650)
    pop = np.array([[1.0, 3.0, 5.0], [2.0, 0.0, 4.0]])
    z = fr.zonal(minutes, t, units, population=pop)
    # by hand: w holds cells (0,0),(0,1),(1,0),(1,1); e holds (0,2) unreachable and (1,2)
    assert z.loc["w", "mean"] == pytest.approx((1 + 2 + 4 + 5) / 4)
    assert z.loc["w", "pop_mean"] == pytest.approx((1 * 1 + 3 * 2 + 2 * 4) / 6)
    assert z.loc["e", "mean"] == pytest.approx(6.0) and z.loc["e", "unreachable_cells"] == 1
    assert z.loc["e", "unreachable_people"] == 5.0 and z.loc["e", "pop_mean"] == pytest.approx(6.0)


def test_grid_for_covers_bounds():
    t, (rows, cols) = fr.grid_for((100.0, 200.0, 1050.0, 660.0), resolution=100)
    assert (rows, cols) == (5, 10)
    x0, y1 = t * (0, 0)
    x1, y0 = t * (cols, rows)
    assert x0 == 100 and y0 == 200 and x1 >= 1050 and y1 >= 660
    with pytest.raises(DataError, match="resolution"):
        fr.grid_for((0, 0, 1, 1), resolution=0)
