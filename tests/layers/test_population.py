"""read_population: presets, zonal methods, summary, and bounded memory on a province raster."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from _support import X0, Y0, write_raster
from rasterio.transform import from_origin

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import NodataError, UnknownNameError
from urbanrural.layers import Population, read_population
from urbanrural.layers.population import PRESETS, apply_preset

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from population import county_units, write_province  # noqa: E402

CELL3 = 1 / 1200


def _units(boxes, crs=32650):
    return gpd.GeoDataFrame(geometry=[shapely.box(*b) for b in boxes], index=[f"u{i}" for i in range(len(boxes))],
                            crs=crs)


def _write(path, arr, *, dtype, crs, transform, nodata):
    prof = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=dtype, crs=crs,
                transform=transform)
    if nodata is not None:
        prof["nodata"] = nodata
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(arr.astype(dtype), 1)
    return path


def _lonlat_units(lon0, lat0, ncols, nrows, cell):
    """One unit covering the raster's interior (in UTM 50N), for lon/lat rasters near 116 E."""
    box = shapely.box(lon0 + cell, lat0 - (nrows - 1) * cell, lon0 + (ncols - 1) * cell, lat0 - cell)
    return gpd.GeoDataFrame(geometry=[box], index=["c"], crs=4326).to_crs(32650)


def test_worldpop_preset_supplies_nodata_when_undeclared(tmp_path):
    arr = np.full((20, 20), 3.0)
    arr[5, 5] = -99999
    p = _write(tmp_path / "wp.tif", arr, dtype="float32", crs="EPSG:4326",
               transform=from_origin(116.0, 40.0, CELL3, CELL3), nodata=None)
    u = _lonlat_units(116.0, 40.0, 20, 20, CELL3)
    with pytest.raises(NodataError, match="declares no nodata"):
        read_population(u, raster=p)
    log = CheckLog()
    pop = read_population(u, raster=p, preset="worldpop", log=log)
    assert pop.raster.nodata == -99999 and pop.excluded["nodata"] == 1
    assert pop.total == pytest.approx(3.0 * (18 * 18 - 1), rel=1e-3)
    assert [(r.check, r.status) for r in log.records][:2] == [("preset worldpop", "ok"), ("nodata", "info")]
    s = pop.summary()
    assert s["preset"] == "worldpop" and s["zonal"] == "exact" and s["units"] == "people per cell"


def test_landscan_preset_masks_both_conventions(tmp_path):
    arr = np.full((12, 12), 7, dtype="int64")
    arr[3, 3], arr[4, 4] = -2147483647, 2147483647
    p = _write(tmp_path / "ls.tif", arr, dtype="int32", crs="EPSG:4326",
               transform=from_origin(116.0, 40.0, 1 / 120, 1 / 120), nodata=None)
    u = _lonlat_units(116.0, 40.0, 12, 12, 1 / 120)
    pop = read_population(u, raster=p, preset="landscan")
    assert pop.raster.also_nodata == (2147483647.0,) and pop.excluded["nodata"] == 2
    assert pop.total == pytest.approx(7.0 * (10 * 10 - 2), rel=1e-3)
    assert pop.summary()["also_nodata"] == [2147483647.0]


def test_declared_nodata_wins_over_the_preset_with_a_warning(tmp_path):
    p = write_raster(tmp_path / "gp.tif", np.ones((4, 4)), nodata=-1)
    log = CheckLog()
    pop = read_population(_units([(X0, Y0, X0 + 400, Y0 + 200)]), raster=p, preset="ghs-pop", log=log)
    assert pop.raster.nodata == -1 and pop.total == pytest.approx(8.0)
    rec = [r for r in log.records if r.check == "preset ghs-pop"][0]
    assert rec.status == "warning" and "EPSG:32650" in rec.detail and "ESRI:54009" in rec.detail
    assert "nodata -1" in rec.detail and "the file's value is used" in rec.detail


def test_ghs_pop_mollweide_matches_its_preset(tmp_path):
    p = _write(tmp_path / "ghs.tif", np.full((30, 30), 4.0), dtype="float32", crs="ESRI:54009",
               transform=from_origin(10_000_000, 4_800_000, 100, 100), nodata=-200)
    info = read_population(gpd.GeoDataFrame(geometry=[shapely.box(10_000_500, 4_797_500, 10_002_500, 4_799_500)],
                                            crs="ESRI:54009"), raster=p, preset="ghs-pop").raster
    log = CheckLog()
    apply_preset(info, "ghs-pop", log=log)
    assert [r.status for r in log.records] == ["ok"]


def test_unknown_names_list_the_valid_ones(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.ones((2, 2)))
    u = _units([(X0, Y0, X0 + 200, Y0 + 200)])
    with pytest.raises(UnknownNameError, match="'worldpop', 'ghs-pop', 'landscan'"):
        read_population(u, raster=p, preset="world-pop")
    with pytest.raises(UnknownNameError, match="did you mean 'centre'"):
        read_population(u, raster=p, zonal="center")
    assert set(PRESETS) == {"worldpop", "ghs-pop", "landscan"}


def test_zonal_methods_differ_only_on_shared_cells(tmp_path):
    p = write_raster(tmp_path / "p.tif", np.full((2, 4), 10.0))
    u = _units([(X0, Y0, X0 + 140, Y0 + 200), (X0 + 140, Y0, X0 + 400, Y0 + 200)])
    exact = read_population(u, raster=p)
    centre = read_population(u, raster=p, zonal="centre")
    assert exact.per_unit.tolist() == pytest.approx([28.0, 52.0])
    assert centre.per_unit.tolist() == [20.0, 60.0]
    assert exact.total == centre.total == pytest.approx(80.0)
    assert isinstance(exact, Population) and exact.zonal == "exact" and centre.zonal == "centre"


def test_column_population_unchanged(units_gdf):
    units_gdf["pop"] = [1, 2, 3, 4, 5, 6]
    pop = read_population(units_gdf, column="pop")
    assert pop.total == 21 and pop.zonal is None and pop.summary()["units"] == "people per unit"


# ---------------------------------------------------------------- bounded memory
def test_county_from_a_province_raster_reads_only_its_window(tmp_path):
    """10,000 x 10,000 cells of 3" (800 MB as float64) generated strip by strip; one 40 x 40 km
    county reads ~500 x 440 cells: the peak of Python/numpy allocations stays far below 50 MB
    (measured: ~15 MB; benchmarks/population.py prints it)."""
    path = write_province(tmp_path / "province.tif", size=10_000)
    assert path.stat().st_size < 60 * 2**20
    read_population(county_units(km=0.5, n=1), raster=path)  # warm-up: imports, GDAL, PROJ
    units = county_units()
    tracemalloc.start()
    try:
        pop = read_population(units, raster=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pop.total > 0 and pop.per_unit.gt(0).all()
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.1f} MB"
    with rasterio.open(path) as src:  # the sums are the window's cells: compare with a direct read
        from urbanrural.geo.zonal import zonal_sum

        z = zonal_sum(path, units, method="centre")
        assert z.window.width * z.window.height < 0.003 * src.width * src.height
    assert pop.total == pytest.approx(z.sums.sum(), rel=0.02)
