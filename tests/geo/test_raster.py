import geopandas as gpd
import numpy as np
import pytest
import shapely
from _support import X0, Y0, write_raster
from rasterio.windows import Window

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import CRSError, DataError, InputFileError, NodataError, RasterError
from urbanrural.geo.raster import format_extent, open_raster, read_masked, window_for, zonal_sum


def units(boxes, crs=32650):
    return gpd.GeoDataFrame(geometry=[shapely.box(*b) for b in boxes],
                            index=[f"u{i}" for i in range(len(boxes))], crs=crs)


def test_undeclared_nodata_refused_with_fix(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.ones((2, 2)), nodata=None)
    with pytest.raises(NodataError, match="declares no nodata.*pass nodata="):
        open_raster(p)
    assert open_raster(p, nodata=-9999).nodata == -9999


def test_raster_without_crs_refused(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.ones((2, 2)), crs=None)
    with pytest.raises(CRSError, match="has no CRS"):
        open_raster(p)


def test_missing_raster(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        open_raster(tmp_path / "nope.tif")


def test_zonal_sum_by_cell_centre_matches_brute_force(pop_raster):
    u = units([(X0, Y0, X0 + 200, Y0 + 200), (X0 + 200, Y0, X0 + 340, Y0 + 200)])
    z = zonal_sum(pop_raster, u, method="centre")
    # brute force: cell (r, c) centre = (X0 + 50 + 100c, Y0 + 150 - 100r)
    vals = np.array([[1, 2, 3, 4], [5, 6, 7, -1]], float)
    expect = np.zeros(2)
    for r in range(2):
        for c in range(4):
            if vals[r, c] < 0:
                continue
            pt = shapely.Point(X0 + 50 + 100 * c, Y0 + 150 - 100 * r)
            for i, g in enumerate(u.geometry):
                if g.contains(pt):
                    expect[i] += vals[r, c]
    np.testing.assert_allclose(z.sums.to_numpy(), expect)
    assert z.sums.index.tolist() == ["u0", "u1"]
    assert z.outside == pytest.approx(4.0)  # the cell centred at x0 + 350 lies beyond u1
    assert z.total == pytest.approx(28.0)


def test_zonal_sum_reports_people_outside_units(pop_raster):
    log = CheckLog()
    z = zonal_sum(pop_raster, units([(X0, Y0, X0 + 100, Y0 + 200), (X0 + 300, Y0, X0 + 400, Y0 + 200)]), log=log)
    assert z.sums.tolist() == [6.0, 4.0]  # column 0: 1 + 5; column 3: 4 + nodata
    assert z.outside == pytest.approx(18.0)  # columns 1 and 2 lie between the units
    assert any("outside every unit" in r.detail for r in log.records)


def test_zonal_sum_in_other_crs_units(pop_raster):
    u = units([(X0, Y0, X0 + 400, Y0 + 200)]).to_crs(4326)
    assert zonal_sum(pop_raster, u).sums.iloc[0] == pytest.approx(28.0, rel=1e-6)


def test_no_overlap_refused(pop_raster):
    with pytest.raises(RasterError, match="does not overlap"):
        zonal_sum(pop_raster, units([(X0 + 1e5, Y0, X0 + 1e5 + 100, Y0 + 100)]))


def test_negative_population_refused(tmp_path):
    p = write_raster(tmp_path / "neg.tif", np.array([[1, -5], [1, 1]]), nodata=-1)
    with pytest.raises(DataError, match="1 cell.*negative"):
        zonal_sum(p, units([(X0, Y0, X0 + 200, Y0 + 200)]))


# ---------------------------------------------------------------- NaN, inf, corrupt files
def test_nan_and_inf_cells_inside_units_counted_and_excluded(tmp_path):
    arr = np.array([[1, np.nan, np.inf, 4], [5, -np.inf, np.nan, -1]])
    p = write_raster(tmp_path / "p.tif", arr, nodata=-1)
    log = CheckLog()
    z = zonal_sum(p, units([(X0, Y0, X0 + 300, Y0 + 200)]), log=log)  # the first three columns
    assert z.sums.tolist() == [6.0]
    assert z.excluded == {"nan": 2, "+inf": 1, "-inf": 1, "nodata": 0} and z.excluded_cells == 4
    rec = [r for r in log.records if r.check == "non-finite cells"][0]
    assert rec.status == "warning" and rec.count == 4 and "excluded from every sum" in rec.detail


def test_nan_nodata_is_not_a_problem(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.array([[1, np.nan], [2, 3]]), nodata=float("nan"))
    log = CheckLog()
    z = zonal_sum(p, units([(X0, Y0, X0 + 200, Y0 + 200)]), log=log)
    assert z.sums.tolist() == [6.0] and z.excluded_cells == 0 and z.excluded["nodata"] == 1
    assert [r.status for r in log.records if r.check == "non-finite cells"] == ["ok"]


def test_negative_cells_outside_units_counted_not_refused(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.array([[1, 1, -5], [1, 1, -5]]), nodata=-1)
    log = CheckLog()
    z = zonal_sum(p, units([(X0, Y0, X0 + 200, Y0 + 200), (X0 + 250, Y0 + 250, X0 + 260, Y0 + 260)]), log=log)
    assert z.sums.iloc[0] == 4.0
    assert [(r.status, r.count) for r in log.records if r.check == "negative cells"] == [("warning", 2)]


def _truncated(tmp_path):
    p = tmp_path / "cut.tif"
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(0)
    with rasterio.open(p, "w", driver="GTiff", width=64, height=64, count=1, dtype="float32",
                       crs="EPSG:32650", nodata=-1, transform=from_origin(X0, Y0 + 6400, 100, 100),
                       tiled=True, blockxsize=16, blockysize=16, compress="deflate") as dst:
        dst.write(rng.random((64, 64)).astype("float32"), 1)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def test_truncated_raster_named_when_blocks_are_read(tmp_path):
    p = _truncated(tmp_path)
    info = open_raster(p)  # the header is intact
    with pytest.raises(InputFileError, match=r"cut.tif cannot be read as a raster \(reading its cells\).*truncated"):
        read_masked(info)
    with pytest.raises(InputFileError, match="cut.tif"):
        zonal_sum(p, units([(X0, Y0, X0 + 6400, Y0 + 6400)]))


def test_garbage_and_empty_rasters_named(tmp_path):
    (tmp_path / "g.tif").write_bytes(b"II*\x00garbage")
    with pytest.raises(InputFileError, match=r"g.tif cannot be read as a raster \(header\)"):
        open_raster(tmp_path / "g.tif")
    (tmp_path / "e.tif").write_bytes(b"")
    with pytest.raises(InputFileError, match=r"e.tif is empty \(0 bytes\)"):
        open_raster(tmp_path / "e.tif")


def test_nodata_hint_only_names_a_key_when_given(tmp_path):
    p = write_raster(tmp_path / "land.tif", np.ones((2, 2)), nodata=None)
    with pytest.raises(NodataError) as exc:
        open_raster(p)
    assert "config:" not in str(exc.value)
    with pytest.raises(NodataError, match=r"config: population: nodata: -9999"):
        open_raster(p, nodata_hint="population: nodata: -9999")


# ---------------------------------------------------------------- windows
def test_window_for_adds_a_margin_and_clips(pop_raster):
    info = open_raster(pop_raster)  # 4 x 2 cells of 100 m from (X0, Y0)
    assert window_for(info, (X0 + 150, Y0 + 50, X0 + 250, Y0 + 150), margin=0) == Window(1, 0, 2, 2)
    assert window_for(info, (X0 + 150, Y0 + 50, X0 + 250, Y0 + 150)) == Window(0, 0, 4, 2)  # clipped
    far = window_for(info, (X0 + 1e5, Y0, X0 + 1e5 + 100, Y0 + 100))
    assert far.width == 0  # off the raster: an empty window, not an error


def test_window_for_bounds_in_another_crs_covers_curved_edges(tmp_path):
    from pyproj import Transformer
    from rasterio.transform import from_origin

    cell = 1 / 1200
    info = open_raster(write_raster(tmp_path / "wp.tif", np.ones((400, 400)), crs="EPSG:4326",
                                    x0=115.8, y0=39.1, cell=cell))
    b = (X0, Y0, X0 + 20_000, Y0 + 20_000)
    win = window_for(info, b, crs="EPSG:32650", margin=0)
    assert win.col_off > 0 and win.row_off > 0 and win.col_off + win.width < 400 and win.row_off + win.height < 400
    # every point of the box's densified edges lies in the window
    t = Transformer.from_crs(32650, 4326, always_xy=True)
    s = np.linspace(0, 1, 201)
    xs = np.concatenate([X0 + 2e4 * s, X0 + 2e4 * s, np.full(201, X0), np.full(201, X0 + 2e4)])
    ys = np.concatenate([np.full(201, Y0), np.full(201, Y0 + 2e4), Y0 + 2e4 * s, Y0 + 2e4 * s])
    lon, lat = t.transform(xs, ys)
    c, r = ~from_origin(115.8, 39.1, cell, cell) * (np.asarray(lon), np.asarray(lat))
    assert (c >= win.col_off).all() and (c <= win.col_off + win.width).all()
    assert (r >= win.row_off).all() and (r <= win.row_off + win.height).all()


def test_nodata_mask_with_also_nodata(tmp_path):
    import dataclasses

    info = dataclasses.replace(open_raster(write_raster(tmp_path / "p.tif", np.ones((2, 2)), nodata=-1)),
                               also_nodata=(7.0,))
    a = np.array([1.0, -1.0, 7.0, np.nan])
    assert info.nodata_mask(a).tolist() == [False, True, True, False]
    m = read_masked(info)
    assert not m.mask.any()


def test_format_extent_rounds_by_crs_kind():
    assert format_extent((400000.4, 4300000.6, 1, 2), "EPSG:32650") == "(400000, 4300001, 1, 2) in EPSG:32650"
    assert format_extent((116.123456, 39.5, 117, 40), 4326) == "(116.1235, 39.5, 117.0, 40.0) in EPSG:4326"
