"""The population raster is resampled to the 1 km grid a block of rows at a time (issue 16:
a 100 m province raster is never held whole); the blocks do not change a single bit."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.transform import from_origin

from urbanrural.analysis import degurba as dg
from urbanrural.geo.resources import memory_budget


def test_blocks_of_rows_give_the_same_grid(tmp_path):
    rng = np.random.default_rng(7)
    arr = rng.gamma(0.6, 40, (230, 170)).astype("float32")
    arr[:12, :] = -1  # nodata rows at the top, a nodata hole, a ragged left edge
    arr[100:120, 40:90] = -1
    arr[:, :3] = -1
    p = tmp_path / "pop.tif"
    with rasterio.open(p, "w", driver="GTiff", width=170, height=230, count=1, dtype="float32", crs="EPSG:32650",
                       nodata=-1, transform=from_origin(400_000, 4_300_000, 100, 100)) as dst:
        dst.write(arr, 1)
    whole, t1 = dg.to_mollweide_1km(p)
    with memory_budget(0.0001):  # 1,024 cells a block: 6 rows at a time, 39 blocks
        assert dg._row_windows_rows(dg.open_raster(p)) == 6
        blocks, t2 = dg.to_mollweide_1km(p)
    assert t1 == t2
    np.testing.assert_array_equal(blocks, whole)
    people = arr[arr >= 0].sum(dtype=np.float64)
    assert abs(np.nansum(whole) - people) <= 1e-9 * people  # every person kept


def test_unit_shares_read_by_blocks_equal_one_read(tmp_path):
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(3)
    arr = rng.gamma(0.8, 20, (300, 260)).astype("float32")
    yy, xx = np.mgrid[:300, :260]
    arr += (3000 * np.exp(-((yy - 150) ** 2 + (xx - 130) ** 2) / (2 * 15.0**2)) / 100).astype("float32")
    arr[:5] = -1
    p = tmp_path / "pop.tif"
    x0, y0 = 400_000, 4_330_000
    with rasterio.open(p, "w", driver="GTiff", width=260, height=300, count=1, dtype="float32", crs="EPSG:32650",
                       nodata=-1, transform=from_origin(x0, y0, 100, 100)) as dst:
        dst.write(arr, 1)
    grid = dg.classify_raster(p)
    boxes = [shapely.box(x0 + i * 5200, y0 - 30000 + j * 6000, x0 + (i + 1) * 5200, y0 - 30000 + (j + 1) * 6000)
             for i in range(5) for j in range(5)]
    tiny = shapely.box(x0 + 10_010, y0 - 10_080, x0 + 10_040, y0 - 10_050)  # holds no cell centre: "touching"
    units = gpd.GeoDataFrame(geometry=boxes + [tiny], index=[f"u{i}" for i in range(26)], crs=32650)
    whole = dg.classify_units(units, grid, p)
    with memory_budget(0.0001):
        blocks = dg.classify_units(units, grid, p)
    assert whole.loc["u25", "basis"] == "touching"
    pd.testing.assert_frame_equal(blocks, whole, rtol=1e-12)
    assert whole["degurba_l1"].nunique() >= 2
