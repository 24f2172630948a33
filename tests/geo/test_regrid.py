"""People moved to another grid with the total preserved (urbanrural.geo.regrid)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
import rasterio.warp
from _support import X0, Y0, write_raster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from urbanrural.geo import regrid
from urbanrural.geo.errors import DataError
from urbanrural.geo.raster import open_raster
from urbanrural.geo.regrid import split_factor, to_grid


def _cover(info, crs, cell):
    """A grid of ``cell`` in ``crs`` covering the whole raster (plus two cells)."""
    b = rasterio.warp.transform_bounds(info.crs, crs, *info.bounds, densify_pts=21)
    x0, y1 = math.floor(b[0] / cell) * cell - 2 * cell, math.ceil(b[3] / cell) * cell + 2 * cell
    w = int(math.ceil((b[2] - x0) / cell)) + 2
    h = int(math.ceil((y1 - b[1]) / cell)) + 2
    return from_origin(x0, y1, cell, cell), (h, w)


def test_aligned_coarsening_sums_blocks(tmp_path):
    vals = np.arange(16, dtype=float).reshape(4, 4)
    info = open_raster(write_raster(tmp_path / "p.tif", vals, y0=Y0 + 400))
    out = to_grid(info, transform=from_origin(X0, Y0 + 400, 200, 200), shape=(2, 2), crs="EPSG:32650")
    np.testing.assert_allclose(out, vals.reshape(2, 2, 2, 2).sum(axis=(1, 3)))


def test_refining_spreads_each_cell_evenly(tmp_path):
    info = open_raster(write_raster(tmp_path / "p.tif", np.array([[8.0, -1.0]]), y0=Y0 + 100))
    out = to_grid(info, transform=from_origin(X0, Y0 + 100, 50, 50), shape=(2, 5), crs="EPSG:32650")
    np.testing.assert_allclose(out[:, :2], 2.0)
    assert np.isnan(out[:, 2:]).all()  # over nodata and beyond the raster: no data, not 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 25), cols=st.integers(1, 25),
       src=st.sampled_from(["utm", "lonlat"]), dst=st.sampled_from(["EPSG:32650", "ESRI:54009", "EPSG:3857"]),
       cell=st.sampled_from([37.0, 100.0, 250.0, 1000.0]), block=st.sampled_from([5, 10_000]))
def test_total_is_preserved(tmp_path, seed, rows, cols, src, dst, cell, block):
    rng = np.random.default_rng(seed)
    vals = rng.gamma(0.5, 40, (rows, cols))
    vals[rng.random((rows, cols)) < 0.1] = -1
    name = tmp_path / f"s{seed}_{rows}_{cols}_{src}.tif"
    if src == "utm":
        path = write_raster(name, vals, y0=Y0 + 100 * rows)
    else:
        path = write_raster(name, vals, crs="EPSG:4326", x0=116.1, y0=39.2, cell=1 / 1200)
    info = open_raster(path)
    transform, shape = _cover(info, dst, cell)
    out = to_grid(info, transform=transform, shape=shape, crs=dst, block_cells=block)
    with rasterio.open(path) as s:
        a = s.read(1).astype(float)
    total = a[a != -1].sum()
    assert np.nansum(out) == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert (np.nan_to_num(out) >= 0).all()


def test_worldpop_100m_to_utm_250m_and_mollweide_1km(tmp_path):
    vals = np.random.default_rng(2).gamma(0.5, 40, (60, 80))
    info = open_raster(write_raster(tmp_path / "wp.tif", vals, crs="EPSG:4326", x0=103.9, y0=30.7,
                                    cell=1 / 1200, nodata=-99999))
    total = vals.astype("float32").astype(float).sum()
    for crs, cell in (("EPSG:32648", 250.0), ("ESRI:54009", 1000.0)):
        transform, shape = _cover(info, crs, cell)
        out = to_grid(info, transform=transform, shape=shape, crs=crs)
        assert np.nansum(out) == pytest.approx(total, rel=1e-9)
    # k: a 3" cell (~80 x 92 m at 30.7 N) over 62.5 m sub-cells -> 2
    assert split_factor(info.transform, info.crs, crs="EPSG:32648", sub_size=62.5) == 2


def test_only_the_window_over_the_grid_is_read(tmp_path, monkeypatch):
    info = open_raster(write_raster(tmp_path / "big.tif", np.ones((400, 500)), y0=Y0 + 40_000))
    seen = []
    real = regrid.read_band
    monkeypatch.setattr(regrid, "read_band", lambda i, *, window=None, name=None: seen.append(window) or
                        real(i, window=window, name=name))
    out = to_grid(info, transform=from_origin(X0 + 10_000, Y0 + 20_000, 500, 500), shape=(4, 6), crs="EPSG:32650")
    np.testing.assert_allclose(out, 25.0)
    assert [(w.width, w.height) for w in seen] == [(32, 22)]  # 30 x 20 cells plus one each side


def test_negative_cells_refused(tmp_path):
    info = open_raster(write_raster(tmp_path / "p.tif", np.array([[1.0, -5.0]]), y0=Y0 + 100))
    with pytest.raises(DataError, match="1 cell.*negative"):
        to_grid(info, transform=from_origin(X0, Y0 + 100, 200, 200), shape=(1, 1), crs="EPSG:32650")


def test_grid_off_the_raster_is_all_nan(tmp_path):
    info = open_raster(write_raster(tmp_path / "p.tif", np.ones((2, 2)), y0=Y0 + 200))
    out = to_grid(info, transform=from_origin(X0 + 1e5, Y0, 100, 100), shape=(2, 2), crs="EPSG:32650")
    assert np.isnan(out).all()
