import geopandas as gpd
import numpy as np
import pytest
import shapely
from _support import X0, Y0, write_raster

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import CRSError, DataError, InputFileError, NodataError, RasterError
from urbanrural.geo.raster import open_raster, zonal_sum


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
    z = zonal_sum(pop_raster, u)
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
