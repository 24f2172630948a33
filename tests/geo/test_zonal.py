"""Zonal sums by exact coverage fractions and by cell centres (urbanrural.geo.zonal)."""

from __future__ import annotations

import io
import logging

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from _support import X0, Y0, write_raster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urbanrural.geo import zonal
from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import RasterError, UnknownNameError
from urbanrural.geo.raster import open_raster, window_for
from urbanrural.geo.zonal import cell_people, zonal_sum

VALUES = np.arange(1, 10, dtype=float).reshape(3, 3)  # rows from the north: 1 2 3 / 4 5 6 / 7 8 9


def units(geoms, crs=32650):
    return gpd.GeoDataFrame(geometry=list(geoms), index=[f"u{i}" for i in range(len(geoms))], crs=crs)


@pytest.fixture
def grid3(tmp_path):
    """3 x 3 cells of 100 m from (X0, Y0) to (X0 + 300, Y0 + 300), values 1..9."""
    return write_raster(tmp_path / "g.tif", VALUES, y0=Y0 + 300)


def test_hand_worked_fractions(grid3):
    # A covers the right half of cell (0,0), cell (0,1), the left half of (0,2) and the
    # top half of the same cells in row 1:
    # 1*.5 + 2*1 + 3*.5 + 4*.25 + 5*.5 + 6*.25 = 9; B is the rest of the grid: 45 - 9 = 36
    a = shapely.box(X0 + 50, Y0 + 150, X0 + 250, Y0 + 300)
    b = shapely.box(X0, Y0, X0 + 300, Y0 + 300).difference(a)
    z = zonal_sum(grid3, units([a, b]))
    np.testing.assert_allclose(z.sums.to_numpy(), [9.0, 36.0], rtol=1e-12)
    assert z.total == pytest.approx(45.0) and z.outside == pytest.approx(0.0, abs=1e-9)
    assert z.method == "exact" and z.cells_used == 9


def test_centre_rule_kept_as_an_option(grid3):
    # the box holds the centres of rows 0 and 1 (1+2+3+4+5+6 = 21); by fractions it covers
    # 0.6 of columns 0 and 2 and 0.6 of row 1: (.6 + 2 + 1.8) + .6 * (2.4 + 5 + 3.6) = 11
    a = shapely.box(X0 + 40, Y0 + 140, X0 + 260, Y0 + 300)
    centre = zonal_sum(grid3, units([a]), method="centre")
    assert centre.sums.tolist() == [21.0] and centre.method == "centre"
    assert zonal_sum(grid3, units([a])).sums.iloc[0] == pytest.approx(11.0, rel=1e-6)


def test_unit_smaller_than_a_cell_gets_its_share(grid3):
    tiny = shapely.box(X0 + 110, Y0 + 210, X0 + 130, Y0 + 220)  # 200 m2 of the cell holding 2
    log = CheckLog()
    exact = zonal_sum(grid3, units([tiny]), log=log)
    assert exact.sums.iloc[0] == pytest.approx(2.0 * 200 / 10_000, rel=1e-6)
    assert not [r for r in log.records if r.check == "zonal sum" and r.status == "warning"]
    log = CheckLog()
    centre = zonal_sum(grid3, units([tiny]), method="centre", log=log)
    assert centre.sums.iloc[0] == 0.0
    rec = [r for r in log.records if r.check == "zonal sum" and r.status == "warning"][0]
    assert "no cell centre" in rec.detail and "zonal: exact" in rec.detail


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=st.floats(0, 299), y=st.floats(0, 299), w=st.floats(0.1, 5), h=st.floats(0.1, 5))
def test_tiny_polygon_gets_value_times_area_share(grid3, x, y, w, h):
    c0, r0 = int(x // 100), int((300 - y) // 100)
    x1 = min(x + w, (c0 + 1) * 100)
    y1 = min(y + h, 300 - r0 * 100)
    poly = shapely.box(X0 + x, Y0 + y, X0 + x1, Y0 + y1)
    assume_area = poly.area
    if assume_area < 0.05:  # below 5e-6 of the cell: near MIN_FRACTION (1e-6), where slivers are dropped
        return
    z = zonal_sum(grid3, units([poly]))
    assert z.sums.iloc[0] == pytest.approx(VALUES[min(r0, 2), min(c0, 2)] * assume_area / 10_000, rel=1e-5)


def _voronoi_tiling(seed: int, n: int, extent: shapely.Geometry) -> list:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent.bounds
    pts = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=extent)), extent)
    return [c for c in cells if not c.is_empty]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), rows=st.integers(1, 30), cols=st.integers(1, 30),
       block=st.sampled_from([7, 50, 10_000]))
def test_tiling_units_preserve_the_raster_total(tmp_path, seed, n, rows, cols, block):
    rng = np.random.default_rng(seed)
    vals = rng.gamma(0.6, 30, (rows, cols))
    vals[rng.random((rows, cols)) < 0.1] = -1  # nodata
    path = write_raster(tmp_path / f"t{seed}_{rows}_{cols}.tif", vals, y0=Y0 + 100 * rows)
    extent = shapely.box(X0, Y0, X0 + 100 * cols, Y0 + 100 * rows)
    u = units(_voronoi_tiling(seed, n, extent))
    z = zonal_sum(path, u, block_cells=block)
    with rasterio.open(path) as src:
        a = src.read(1).astype(float)
    total = a[a != -1].sum()
    assert z.sums.sum() == pytest.approx(total, rel=1e-6, abs=1e-6)
    assert z.total == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert z.outside == pytest.approx(0.0, abs=1e-6 * max(total, 1))


def test_tiling_in_another_crs_preserves_the_total(tmp_path):
    rng = np.random.default_rng(3)
    vals = rng.gamma(0.6, 30, (20, 25))
    path = write_raster(tmp_path / "p.tif", vals, y0=Y0 + 2000)
    extent = shapely.box(X0, Y0, X0 + 2500, Y0 + 2000)
    u = units(_voronoi_tiling(3, 30, extent)).to_crs(4326)
    z = zonal_sum(path, u)
    assert z.sums.sum() == pytest.approx(vals.astype("float32").astype(float).sum(), rel=1e-6)


def test_geographic_raster_fractions_match_lonlat_areas(tmp_path):
    """On a lon/lat raster the fractions are areas on the lon/lat cells (counts stay counts)."""
    cell = 1 / 1200
    vals = np.random.default_rng(1).gamma(1, 20, (40, 40))
    path = write_raster(tmp_path / "wp.tif", vals, crs="EPSG:4326", x0=115.5, y0=38.6, cell=cell)
    mid = gpd.GeoSeries([shapely.Point(115.5 + 20 * cell, 38.6 - 20 * cell)], crs=4326).to_crs(32650).iloc[0]
    u = units([mid.buffer(900, quad_segs=3)])
    ll = u.to_crs(4326).geometry.iloc[0]
    assert shapely.box(115.5, 38.6 - 40 * cell, 115.5 + 40 * cell, 38.6).contains(ll)
    expect = 0.0
    for r in range(40):
        for c in range(40):
            box = shapely.box(115.5 + c * cell, 38.6 - (r + 1) * cell, 115.5 + (c + 1) * cell, 38.6 - r * cell)
            expect += float(np.float32(vals[r, c])) * box.intersection(ll).area / box.area
    assert zonal_sum(path, u).sums.iloc[0] == pytest.approx(expect, rel=1e-4)


def test_slivers_from_another_crs_do_not_reach_neighbour_cells(tmp_path):
    """Units stored in lon/lat whose edges lie on cell edges in UTM: the round trip moves
    them ~1e-9 m, which must not pull the negative cells next door "inside" a unit, nor
    give an empty unit a trace of its neighbours' people."""
    vals = np.full((4, 6), 5.0)
    vals[:, 0] = -7.0  # negative cells west of the units: outside, so a warning, not a refusal
    vals[:, 3:] = 0.0  # the eastern unit is empty
    path = write_raster(tmp_path / "p.tif", vals, x0=X0 - 100, y0=Y0 + 400)
    u = units([shapely.box(X0, Y0, X0 + 200, Y0 + 400), shapely.box(X0 + 200, Y0, X0 + 500, Y0 + 400)])
    u = u.to_crs(4326)
    log = CheckLog()
    z = zonal_sum(path, u, log=log)
    assert z.sums.tolist() == [40.0, 0.0]
    assert [(r.status, r.count) for r in log.records if r.check == "negative cells"] == [("warning", 4)]


def test_blocks_do_not_change_the_result(tmp_path):
    vals = np.random.default_rng(5).gamma(0.6, 30, (37, 41))
    path = write_raster(tmp_path / "p.tif", vals, y0=Y0 + 3700)
    u = units(_voronoi_tiling(5, 25, shapely.box(X0 + 130, Y0 + 70, X0 + 3990, Y0 + 3650)))
    for method in ("exact", "centre"):
        one = zonal_sum(path, u, method=method)
        many = zonal_sum(path, u, method=method, block_cells=50)
        np.testing.assert_allclose(many.sums.to_numpy(), one.sums.to_numpy(), rtol=1e-12, atol=1e-9)
        assert many.outside == pytest.approx(one.outside) and many.cells_used == one.cells_used


def test_only_the_units_window_is_read(tmp_path, monkeypatch):
    path = write_raster(tmp_path / "big.tif", np.ones((300, 400)), y0=Y0 + 30_000)
    seen = []
    real = zonal.read_band

    def spy(info, *, window=None, name=None):
        seen.append(window)
        return real(info, window=window, name=name)

    monkeypatch.setattr(zonal, "read_band", spy)
    u = units([shapely.box(X0 + 10_050, Y0 + 10_050, X0 + 12_000, Y0 + 11_000)])
    z = zonal_sum(path, u)
    assert z.sums.iloc[0] == pytest.approx(1950 * 950 / 10_000)
    # columns 100.5-120 -> 100..119 plus a margin of one: 99..120; rows (30000-11000)/100 = 190 .. 199.5
    assert seen == [rasterio.windows.Window(99, 189, 22, 12)] == [z.window]
    assert window_for(open_raster(path), u.total_bounds) == z.window


def test_units_beyond_the_raster_are_reported(grid3):
    log = CheckLog()
    z = zonal_sum(grid3, units([shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 100)]), log=log)
    assert z.sums.iloc[0] == pytest.approx(9.0)
    rec = [r for r in log.records if r.status == "warning" and "beyond the raster" in r.detail][0]
    assert rec.count == 1 and "50.00%" in rec.detail


def test_no_overlap_names_both_extents_in_degrees(tmp_path):
    path = write_raster(tmp_path / "wp.tif", np.ones((10, 10)), crs="EPSG:4326", x0=100.0, y0=30.0, cell=1 / 1200)
    with pytest.raises(RasterError) as exc:
        zonal_sum(path, units([shapely.box(X0, Y0, X0 + 100, Y0 + 100)]))
    msg = str(exc.value)
    assert "wp.tif (extent (100.0, 29.9917, 100.0083, 30.0) in EPSG:4326) does not overlap" in msg
    assert "units (extent (115.8477, 38.8431, " in msg and "(400000, 4300000, 400100, 4300100) in EPSG:32650" in msg


def test_unknown_method_lists_the_valid_ones(grid3):
    with pytest.raises(UnknownNameError, match="'exact', 'centre'"):
        zonal_sum(grid3, units([shapely.box(X0, Y0, X0 + 1, Y0 + 1)]), method="center")


def test_also_nodata_values_are_nodata(tmp_path):
    import dataclasses

    path = tmp_path / "ls.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="int32", crs="EPSG:32650",
                       nodata=-2147483647, transform=rasterio.transform.from_origin(X0, Y0 + 200, 100, 100)) as dst:
        dst.write(np.array([[5, 7], [2147483647, 1]], dtype="int32"), 1)
    info = dataclasses.replace(open_raster(path), also_nodata=(2147483647.0,))
    z = zonal_sum(info, units([shapely.box(X0, Y0, X0 + 200, Y0 + 200)]))
    assert z.sums.iloc[0] == pytest.approx(13.0) and z.excluded["nodata"] == 1


@pytest.mark.parametrize("method", ["exact", "centre"])
def test_cell_people_sum_to_the_zonal_sums(tmp_path, method):
    vals = np.random.default_rng(9).gamma(0.6, 30, (12, 15))
    vals[3, 4] = -1
    path = write_raster(tmp_path / "p.tif", vals, y0=Y0 + 1200)
    u = units(_voronoi_tiling(9, 8, shapely.box(X0 + 30, Y0 + 20, X0 + 1480, Y0 + 1150))).to_crs(4326)
    cells = cell_people(open_raster(path), u, method=method)
    by_unit = cells.groupby("unit")["people"].sum().reindex(u.index).fillna(0)
    np.testing.assert_allclose(by_unit.to_numpy(), zonal_sum(path, u, method=method).sums.to_numpy(), rtol=1e-9)
    assert (cells["fraction"] > 0).all() and (cells["fraction"] <= 1 + 1e-9).all()
    assert cells["x"].between(115, 118).all()  # centres in the units' CRS (degrees)


def test_collections_count_their_polygons_only(grid3):
    gc = shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 100, Y0 + 100),
                                     shapely.LineString([(X0, Y0), (X0 + 300, Y0 + 300)])])
    u = gpd.GeoDataFrame(geometry=[gc, None, shapely.Polygon()], index=["gc", "none", "empty"], crs=32650)
    log = CheckLog()
    z = zonal_sum(grid3, u, log=log)
    assert z.sums.tolist() == [7.0, 0.0, 0.0]  # the south-west cell holds 7
    rec = [r for r in log.records if r.status == "warning" and "no cell" in r.detail][0]
    assert rec.count == 2 and "['none', 'empty']" in rec.detail


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_large_window_shows_a_bar_over_blocks_small_and_quiet_do_not(tmp_path, monkeypatch):
    vals = np.random.default_rng(2).gamma(0.6, 30, (40, 30))
    path = write_raster(tmp_path / "pop.tif", vals, y0=Y0 + 4000)
    u = units(_voronoi_tiling(3, 12, shapely.box(X0, Y0, X0 + 3000, Y0 + 4000)))
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    log = logging.getLogger("urbanrural")
    log.setLevel(logging.INFO)
    small = zonal_sum(path, u, block_cells=100)  # 30 x 40 cells: far below BAR_MIN_CELLS
    assert err.getvalue() == ""
    monkeypatch.setattr(zonal, "BAR_MIN_CELLS", 1_000)  # the same window now counts as large
    large = zonal_sum(path, u, block_cells=100)
    out = err.getvalue()
    assert "zonal pop.tif" in out and "block" in out and "/14" in out  # 30 columns: 3 rows a block, 14 blocks
    np.testing.assert_array_equal(large.sums.to_numpy(), small.sums.to_numpy())
    cell_people(open_raster(path), u, block_cells=100)
    assert "people per cell pop.tif" in err.getvalue()
    log.setLevel(logging.WARNING)  # -q
    before = err.getvalue()
    zonal_sum(path, u, block_cells=100)
    assert err.getvalue() == before
