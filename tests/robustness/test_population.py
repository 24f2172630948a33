"""Population grids as they are published, through the command line and read_population.

Each CLI case swaps the ``pop.tif`` of a copy of the ``small_study`` fixture (six 2 km
units near Baoding, stored in EPSG:4326) for a grid shaped like WorldPop (EPSG:4326,
3 arc-seconds, float32, nodata -99999), GHS-POP (ESRI:54009 Mollweide, 100 m, nodata
-200) or LandScan (EPSG:4326, 30 arc-seconds, int32, nodata -2147483647), or breaks it,
and runs ``validate`` or ``run``: exit code, key words, no traceback, inputs unchanged;
for runs, the population per unit in results.gpkg against a hand-worked value.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from rasterio.transform import from_origin
from robustness.harness import assert_ran, assert_refused, invoke

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import CRSError, RasterError
from urbanrural.layers import read_population

X0, Y0 = 400_000.0, 4_300_000.0
RUN = "res"
CELL3, CELL30 = 1 / 1200, 1 / 120


def _units(d: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(d / "units.gpkg")


def _write_pop(d: Path, arr: np.ndarray, *, dtype: str, crs: str | None, transform, nodata) -> Path:
    (d / "pop.tif").unlink()
    prof = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=dtype,
                transform=transform, tiled=arr.shape[0] >= 16 and arr.shape[1] >= 16, compress="deflate")
    if prof["tiled"]:
        prof.update(blockxsize=16, blockysize=16)
    if crs is not None:
        prof["crs"] = crs
    if nodata is not None:
        prof["nodata"] = nodata
    with rasterio.open(d / "pop.tif", "w", **prof) as dst:
        dst.write(arr.astype(dtype), 1)
    return d / "pop.tif"


def _lonlat_grid(d: Path, cell: float, pad: int = 2) -> tuple[object, tuple[int, int]]:
    """A lon/lat grid of ``cell`` degrees covering the units plus ``pad`` cells."""
    x0, y0, x1, y1 = _units(d).total_bounds
    w = math.floor(x0 / cell) * cell - pad * cell
    n = math.ceil(y1 / cell) * cell + pad * cell
    return from_origin(w, n, cell, cell), (int(math.ceil((n - y0) / cell)) + pad, int(math.ceil((x1 - w) / cell)) + pad)


def _run(small_study: Path) -> tuple[gpd.GeoDataFrame, dict]:
    d = small_study.parent
    out = invoke(["run", small_study.name, "--out", RUN], sandbox=d)
    assert_ran(out, RUN)
    res = gpd.read_file(d / RUN / "results.gpkg", layer="units")
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    return res, run


def _validate(small_study: Path):
    return invoke(["validate", small_study.name], sandbox=small_study.parent)


def _degree_area(d: Path) -> np.ndarray:
    return shapely.area(_units(d).geometry.to_numpy())  # in degrees^2 (EPSG:4326), as the cells


# ---------------------------------------------------------------- CLI cases
def test_worldpop_float32_nodata_99999(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL3)
    arr = np.full(shape, 2.0)
    arr[:, :1] = -99999  # west of the units: nodata, as outside a border
    _write_pop(d, arr, dtype="float32", crs="EPSG:4326", transform=transform, nodata=-99999)
    res, run = _run(small_study)
    expect = 2.0 * _degree_area(d) / CELL3 ** 2  # uniform people per cell: value x cells covered
    np.testing.assert_allclose(res["population"].to_numpy(), expect, rtol=1e-4)
    detail = run["study_area"]["population_detail"]
    assert detail["zonal"] == "exact" and detail["nodata"] == -99999 and detail["nodata_cells"] == 0


def test_landscan_int32_nodata(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL30, pad=1)
    arr = np.full(shape, 300, dtype="int64")
    arr[0, :] = -2147483647  # a nodata row in the window's margin
    _write_pop(d, arr, dtype="int32", crs="EPSG:4326", transform=transform, nodata=-2147483647)
    res, run = _run(small_study)
    np.testing.assert_allclose(res["population"].to_numpy(), 300 * _degree_area(d) / CELL30 ** 2, rtol=1e-4)
    assert run["study_area"]["population_detail"]["nodata"] == -2147483647


def test_ghs_pop_mollweide_100m(small_study: Path) -> None:
    d = small_study.parent
    b = _units(d).to_crs("ESRI:54009").total_bounds
    x0, y1 = math.floor(b[0] / 100) * 100 - 300, math.ceil(b[3] / 100) * 100 + 300
    shape = (int((y1 - b[1]) // 100) + 4, int((b[2] - x0) // 100) + 4)
    _write_pop(d, np.full(shape, 5.0), dtype="float32", crs="ESRI:54009", transform=from_origin(x0, y1, 100, 100),
               nodata=-200)
    res, _ = _run(small_study)
    # Mollweide is equal-area: each 4 km2 unit covers 400 cells of 1 ha
    expect = 5.0 * _units(d).to_crs("ESRI:54009").area.to_numpy() / 1e4
    np.testing.assert_allclose(res["population"].to_numpy(), expect, rtol=1e-6)
    assert res["population"].between(1990, 2010).all()


def test_lonlat_raster_far_away_names_both_extents(small_study: Path) -> None:
    d = small_study.parent
    _write_pop(d, np.ones((20, 20)), dtype="float32", crs="EPSG:4326",
               transform=from_origin(100.0, 30.0, CELL3, CELL3), nodata=-99999)
    out = _validate(small_study)
    assert_refused(out, "pop.tif", "(100.0, 29.9833, 100.0167, 30.0) in epsg:4326", "does not overlap",
                   "units (extent (115.8", "check the raster's crs")


def test_raster_without_crs(small_study: Path) -> None:
    d = small_study.parent
    _write_pop(d, np.ones((40, 60)), dtype="float32", crs=None, transform=from_origin(X0, Y0 + 4000, 100, 100),
               nodata=-1)
    assert_refused(_validate(small_study), "pop.tif has no crs", "gdal_edit.py -a_srs")


def test_all_nodata_in_the_window(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL3, pad=40)
    arr = np.full(shape, -99999.0)
    arr[:5, :5] = 9.0  # people only far outside the units' window
    _write_pop(d, arr, dtype="float32", crs="EPSG:4326", transform=transform, nodata=-99999)
    assert_refused(_validate(small_study), "total population is 0", "nodata", "population: nodata:")


def test_units_smaller_than_a_cell_get_their_share(small_study: Path) -> None:
    d = small_study.parent
    # 10 km cells: every 2 km unit lies inside one cell of 1,000 people and gets 4 km2 / 100 km2 of it
    _write_pop(d, np.full((3, 3), 1000.0), dtype="float32", crs="EPSG:32650",
               transform=from_origin(X0 - 2000, Y0 + 8000, 10_000, 10_000), nodata=-1)
    res, run = _run(small_study)
    np.testing.assert_allclose(res["population"].to_numpy(), 40.0, rtol=1e-6)
    assert not [c for c in run["checks"] if "no cell centre" in c["detail"]]


def test_nan_cells_in_a_lonlat_raster_counted(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL3)
    arr = np.full(shape, 1.0)
    mid = (shape[0] // 2, shape[1] // 2)
    arr[mid[0]:mid[0] + 3, mid[1]:mid[1] + 4] = np.nan  # 12 cells inside a unit
    _write_pop(d, arr, dtype="float32", crs="EPSG:4326", transform=transform, nodata=-99999)
    res, run = _run(small_study)
    detail = run["study_area"]["population_detail"]
    assert detail["excluded_by_kind"] == {"nan": 12}
    rec = [c for c in run["checks"] if c["check"] == "non-finite cells"][0]
    assert rec["status"] == "warning" and rec["count"] == 12
    assert res["population"].sum() == pytest.approx(_degree_area(d).sum() / CELL3 ** 2 - 12, rel=1e-4)


def test_negative_cells_in_a_landscan_window_refused(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL30, pad=1)
    arr = np.full(shape, 50, dtype="int64")
    arr[shape[0] // 2, shape[1] // 2] = -1  # inside a unit, and not the declared nodata
    _write_pop(d, arr, dtype="int32", crs="EPSG:4326", transform=transform, nodata=-2147483647)
    assert_refused(_validate(small_study), "pop.tif", "1 cell(s) inside the units are negative", "-1 x1",
                   "population: nodata")


def test_config_nodata_for_an_undeclared_worldpop_file(small_study: Path) -> None:
    d = small_study.parent
    transform, shape = _lonlat_grid(d, CELL3)
    arr = np.full(shape, 2.0)
    arr[4, 4] = -99999
    _write_pop(d, arr, dtype="float32", crs="EPSG:4326", transform=transform, nodata=None)
    assert_refused(_validate(small_study), "pop.tif declares no nodata", "population: nodata:")
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    cfg["population"]["nodata"] = -99999
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    res, _ = _run(small_study)
    assert res["population"].gt(0).all()


# ---------------------------------------------------------------- read_population cases
def _study_units() -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + 2000 * (i % 3), Y0 + 2000 * (i // 3), X0 + 2000 * (i % 3 + 1),
                         Y0 + 2000 * (i // 3 + 1)) for i in range(6)]
    return gpd.GeoDataFrame(geometry=geoms, index=[f"u{i}" for i in range(6)], crs=32650)


def test_worldpop_preset_on_a_mollweide_file_warns_but_reads(tmp_path: Path) -> None:
    (tmp_path / "pop.tif").touch()
    b = _study_units().to_crs("ESRI:54009").total_bounds
    x0, y1 = math.floor(b[0] / 100) * 100 - 200, math.ceil(b[3] / 100) * 100 + 200
    p = _write_pop(tmp_path, np.full((int((y1 - b[1]) // 100) + 3, int((b[2] - x0) // 100) + 3), 1.0),
                   dtype="float32", crs="ESRI:54009", transform=from_origin(x0, y1, 100, 100), nodata=-200)
    log = CheckLog()
    pop = read_population(_study_units(), raster=p, preset="worldpop", log=log)
    assert pop.total == pytest.approx(_study_units().to_crs("ESRI:54009").area.sum() / 1e4, rel=1e-6)
    rec = [r for r in log.records if r.check == "preset worldpop"][0]
    assert rec.status == "warning" and "ESRI:54009" in rec.detail and "expected EPSG:4326" in rec.detail
    assert "nodata -200" in rec.detail


def test_read_population_refuses_a_raster_without_crs(tmp_path: Path) -> None:
    (tmp_path / "pop.tif").touch()
    p = _write_pop(tmp_path, np.ones((4, 4)), dtype="float32", crs=None,
                   transform=from_origin(X0, Y0 + 400, 100, 100), nodata=-1)
    with pytest.raises(CRSError, match="pop.tif has no CRS"):
        read_population(_study_units(), raster=p, preset="worldpop")


def test_read_population_far_away_lonlat_raster(tmp_path: Path) -> None:
    (tmp_path / "pop.tif").touch()
    p = _write_pop(tmp_path, np.ones((4, 4)), dtype="float32", crs="EPSG:4326",
                   transform=from_origin(-70.0, -30.0, CELL3, CELL3), nodata=-99999)
    with pytest.raises(RasterError, match=r"\(-70.0, -30.0033, -69.9967, -30.0\) in EPSG:4326.*"
                                          r"units \(extent \(115.8"):
        read_population(_study_units(), raster=p)
