"""Travel time on every cell of a study-area grid, and isochrones from it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from scipy.spatial import Delaunay

from urbanrural.analysis.accessibility import _grid, network
from urbanrural.analysis.accessibility.friction import NODATA, UNREACHABLE


def _random_roads(seed: int = 1, n: int = 60, size: float = 10_000.0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, size, (n, 2))
    edges = set()
    for s in Delaunay(xy).simplices:
        for a, b in ((s[0], s[1]), (s[1], s[2]), (s[0], s[2])):
            edges.add((min(a, b), max(a, b)))
    lines = [shapely.LineString([xy[a], xy[b]]) for a, b in sorted(edges)]
    lines.append(shapely.LineString([(size + 3000, 0), (size + 3000, 2000)]))  # an island road, east of the rest
    return gpd.GeoDataFrame({"speed_kmh": rng.uniform(20, 80, len(lines))}, geometry=lines, crs=32650)


def test_node_costs_give_nearest_facility_times():
    g = network.build_graph(_random_roads())
    rng = np.random.default_rng(2)
    pts = rng.uniform(-500, 13_500, (400, 2))
    fac = rng.uniform(0, 10_000, (5, 2))
    ref = network.nearest_facility(g, pts, fac, walk_kmh=4.0).cost
    s = network.snap(g, pts)
    got = network.node_costs(g, fac, walk_kmh=4.0)[s.node] + s.distance_m / (4000 / 60)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-12)
    assert np.isinf(ref).any()  # the island road's neighbourhood
    assert np.isinf(network.node_costs(g, np.empty((0, 2)))).all()


@pytest.mark.parametrize("block_cells", [37, 1 << 19])
def test_cell_times_equal_point_times_and_mark_outside_and_unreachable(tmp_path, block_cells):
    g = network.build_graph(_random_roads())
    fac = np.array([[2000.0, 3000.0], [8000.0, 7000.0]])
    study = shapely.union_all([shapely.box(0, 0, 10_000, 10_000).difference(shapely.box(4000, 4000, 6000, 6000)),
                               shapely.box(12_000, 0, 14_000, 2000)])  # a hole; a part by the island road
    grid = _grid.study_grid(study, raster=None, resolution=250, crs=32650)
    node_t = network.node_costs(g, fac, walk_kmh=5.0)
    bands = _grid.write_cell_times({"h": tmp_path / "h.tif"}, grid, study, crs=32650,
                                   prepare=lambda xy: network.snap(g, xy),
                                   times={"h": lambda s: node_t[s.node] + s.distance_m / (5000 / 60)},
                                   thresholds=[10, 20], block_cells=block_cells)
    with rasterio.open(tmp_path / "h.tif") as src:
        tt, transform, nodata = src.read(1), src.transform, src.nodata
    assert nodata == NODATA and tt.shape == grid.shape
    rows, cols = np.indices(tt.shape)
    x, y = rasterio.transform.xy(transform, rows.ravel(), cols.ravel())
    centres = np.column_stack([x, y])
    inside = shapely.contains_xy(study, centres[:, 0], centres[:, 1]).reshape(tt.shape)
    np.testing.assert_array_equal(tt != NODATA, inside)
    ref = network.nearest_facility(g, centres[inside.ravel()], fac, walk_kmh=5.0).cost
    got = tt[inside]
    np.testing.assert_array_equal(got == UNREACHABLE, np.isinf(ref))
    assert (got == UNREACHABLE).any()  # the island part
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-6)  # float32
    b = bands["h"]
    assert b.stride == 1 and b.band.shape == tt.shape
    np.testing.assert_array_equal(b.band == _grid.OUTSIDE, ~inside)
    np.testing.assert_array_equal(b.band[inside] == 0, (got >= 0) & (got <= 10))


def test_isochrones_agree_with_the_cells_and_stay_in_the_study_area(tmp_path):
    """Synthetic: a cone of travel time around two facilities over an irregular area."""
    study = shapely.Polygon([(0, 0), (9000, 1000), (10_000, 8000), (4000, 10_000), (500, 6000)]).difference(
        shapely.box(3000, 3000, 4500, 4500))
    grid = _grid.study_grid(study, raster=None, resolution=100, crs=32650)
    fac = np.array([[2000.0, 2000.0], [8000.0, 6000.0]])

    def minutes(xy):
        return np.min(np.hypot(xy[:, None, 0] - fac[None, :, 0], xy[:, None, 1] - fac[None, :, 1]), axis=1) / 100

    bands = _grid.write_cell_times({"c": tmp_path / "c.tif"}, grid, study, crs=32650, prepare=lambda xy: xy,
                                   times={"c": minutes}, thresholds=[15, 30, 45])
    iso = _grid.isochrones(bands["c"], study, crs=32650)
    with rasterio.open(tmp_path / "c.tif") as src:
        tt = src.read(1)
    cells = tt[tt != NODATA]
    assert iso["minutes"].tolist() == [15.0, 30.0, 45.0] and (iso["facility"] == "all").all()
    for geom, th in zip(iso.geometry, iso["minutes"], strict=True):
        share_cells = ((cells >= 0) & (cells <= th)).mean()
        share_area = geom.area / study.area
        assert abs(share_area - share_cells) < 0.05, (th, share_area, share_cells)  # tolerance: 5 points
        assert geom.difference(study).area < 1e-6 * study.area  # nothing outside the study area
        # and the exact answer (discs of radius 100 m/min x T, clipped) is close too
        exact = shapely.union_all([shapely.Point(f).buffer(th * 100, 64) for f in fac]).intersection(study)
        assert abs(geom.area - exact.area) / study.area < 0.05
    assert (np.diff(iso.area.to_numpy()) >= 0).all()


def test_large_grids_are_sampled_for_polygons(monkeypatch):
    monkeypatch.setattr(_grid, "ISO_MAX_CELLS", 100)
    tt = np.add.outer(np.arange(40.0), np.arange(40.0))  # minutes = row + col
    from rasterio.transform import from_origin

    b = _grid.bands_from_array(tt, np.ones(tt.shape, bool), from_origin(0, 4000, 100, 100), [20, 60])
    assert b.stride == 4 and b.band.shape == (10, 10)
    iso = _grid.isochrones(b, shapely.box(0, 0, 4000, 4000), crs=32650)
    share = iso.area.to_numpy() / 16e6
    assert abs(share[0] - (tt <= 20).mean()) < 0.05 and abs(share[1] - (tt <= 60).mean()) < 0.05


def test_study_grid_uses_the_population_grid_when_it_can(tmp_path):
    from rasterio.transform import from_origin

    from urbanrural.geo.raster import open_raster

    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32",
                       crs="EPSG:32650", transform=from_origin(0, 10_000, 100, 100), nodata=-1) as dst:
        dst.write(np.ones((100, 100), "float32"), 1)
    info = open_raster(path)
    study = shapely.box(2050, 3000, 4000, 5000)
    g = _grid.study_grid(study, raster=info, resolution=250, crs=32650)
    assert g.shape == (20, 20) and (g.transform.c, g.transform.f) == (2000.0, 5000.0)
    assert "population" in g.source
    g2 = _grid.study_grid(study, raster=info, resolution=250, crs=3857)  # another CRS: a grid of its own
    assert "250" in g2.source and g2.transform.a == 250


@pytest.mark.parametrize("seed", range(4))
def test_isochrone_pieces_equal_their_union(seed):
    """Isochrones join the connected pieces of a band as one MultiPolygon (no union): on
    speckled bands with corner-touching pieces, islands in holes and a study-area cut, the
    same area and no symmetric difference as shapely.union_all of the pieces."""
    import rasterio.features
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    tt = rng.uniform(0, 40, (60, 60))
    tt[20:40, 20:40] = 50.0  # a hole in the 30-minute band ...
    tt[28:32, 28:32] = 1.0  # ... with an island in it
    t = from_origin(0, 6000, 100, 100)
    b = _grid.bands_from_array(tt, np.ones(tt.shape, bool), t, [10, 30])
    study = shapely.Point(3000, 3000).buffer(2900, 32)
    iso = _grid.isochrones(b, study, crs=32650)
    assert len(iso) == 2
    for k in range(2):
        mask = b.band <= k
        polys = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
            mask.astype(np.uint8), mask=mask, transform=b.transform) if v == 1]
        oracle = shapely.intersection(shapely.union_all(polys), study)
        geom = iso.geometry.iloc[k]
        assert shapely.is_valid(geom) and len(polys) > 5
        assert geom.area == pytest.approx(oracle.area, rel=1e-12)
        assert shapely.symmetric_difference(geom, oracle).area < 1e-6
