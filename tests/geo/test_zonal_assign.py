"""Cell-to-unit assignment (issue 16): cell_people equals the previous implementation,
row for row, on the demo, an awkward zoo of units and a larger synthetic grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio.features
import rasterio.windows
import shapely
from _support import X0, Y0, write_raster
from pyproj import CRS

from urbanrural.geo import zonal
from urbanrural.geo.raster import open_raster, read_band
from urbanrural.geo.zonal import cell_people


def _old_centre_pairs(shape, transform, geoms, ids):
    shapes = ((geoms[i], int(i) + 1) for i in ids if geoms[i] is not None and not shapely.is_empty(geoms[i]))
    codes = rasterio.features.rasterize(shapes, out_shape=shape, transform=transform, fill=0,
                                        all_touched=False, dtype="int32").ravel()
    cells = np.flatnonzero(codes)
    return codes[cells].astype(np.intp) - 1, cells, np.ones(len(cells))


_OLD_PAIRS = {"exact": zonal._exact_pairs, "centre": _old_centre_pairs}


def _old_blocks(info, geoms, win, *, method, block_cells):
    """The blocks and pairs before issue 16 (every pair summed for the rescale)."""
    tree = shapely.STRtree(geoms)
    for blk in zonal._blocks(win, block_cells):
        raw = read_band(info, window=blk, name="old")
        bt = rasterio.windows.transform(blk, info.transform)
        ids = np.sort(tree.query(shapely.box(*rasterio.windows.bounds(blk, info.transform)), predicate="intersects"))
        if len(ids):
            u, c, f = _OLD_PAIRS[method](raw.shape, bt, geoms, ids)
            keep = f > zonal.MIN_FRACTION
            u, c, f = u[keep], c[keep], f[keep]
            if method == "exact" and len(f):
                cover = np.bincount(c, weights=f, minlength=raw.size)[c]
                full = np.abs(cover - 1.0) < 1e-6
                f = np.where(full, f / np.where(full, cover, 1.0), f)
        else:
            u, c, f = np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
        yield zonal._Block(blk, raw.ravel(), u, c, f)


def _old_cell_people(info, units, *, method="exact", block_cells=zonal.BLOCK_CELLS):
    """The implementation before issue 16 (pandas frame per block, one sort at the end): the oracle."""
    label = info.path.name
    geoms = zonal.zones_in_raster_crs(units, info.crs)
    win = zonal._overlap_window(info, units, geoms, label)
    parts = []
    for b in _old_blocks(info, geoms, win, method=method, block_cells=block_cells):
        raw = b.raw
        ok = np.isfinite(raw) & ~info.nodata_mask(raw) & (raw > 0)
        keep = ok[b.cell]
        u, c, f = b.unit[keep], b.cell[keep], b.frac[keep]
        w = int(b.window.width)
        parts.append(pd.DataFrame({"row": c // w + int(b.window.row_off), "col": c % w + int(b.window.col_off),
                                   "unit_pos": u, "fraction": f, "people": raw[c] * f}))
    out = pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame({"row": [], "col": [], "unit_pos": [], "fraction": [], "people": []})
    out = out.sort_values(["row", "col", "unit_pos"], kind="stable").reset_index(drop=True)
    xs, ys = info.transform * (out["col"].to_numpy() + 0.5, out["row"].to_numpy() + 0.5)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(xs) and not CRS.from_user_input(units.crs).equals(info.crs):
        pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=info.crs).to_crs(units.crs)
        xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
    unit = units.index.to_numpy()[out["unit_pos"].to_numpy(dtype=np.intp)]
    return pd.DataFrame({"x": xs, "y": ys, "people": out["people"].to_numpy(dtype=float), "unit": unit,
                         "row": out["row"].to_numpy(dtype=np.int64), "col": out["col"].to_numpy(dtype=np.int64),
                         "fraction": out["fraction"].to_numpy(dtype=float)})


def _old_sums(info, units, method, block_cells):
    geoms = zonal.zones_in_raster_crs(units, info.crs)
    win = zonal._overlap_window(info, units, geoms, "old")
    sums = np.zeros(len(units))
    for b in _old_blocks(info, geoms, win, method=method, block_cells=block_cells):
        vals = np.where(np.isfinite(b.raw) & ~info.nodata_mask(b.raw) & (b.raw > 0), b.raw, 0.0)
        sums += np.bincount(b.unit, weights=b.frac * vals[b.cell], minlength=len(units))
    return sums


def _same(info, units, **kw):
    for method in zonal.ZONAL_METHODS:
        np.testing.assert_array_equal(zonal.zonal_sum(info, units, method=method, **kw).sums.to_numpy(),
                                      _old_sums(info, units, method, kw.get("block_cells", zonal.BLOCK_CELLS)))
        new = cell_people(info, units, method=method, **kw)
        old = _old_cell_people(info, units, method=method, **kw)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
        coded = cell_people(info, units, method=method, codes=True, **kw)
        pd.testing.assert_frame_equal(coded.drop(columns="unit_code"), old, check_exact=True)
        assert (units.index.to_numpy()[coded["unit_code"].to_numpy()] == coded["unit"].to_numpy()).all()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from urbanrural.layers import demo_region

    return demo_region(tmp_path_factory.mktemp("demo") / "data").parent


def test_demo_assignment_unchanged(demo_dir):
    units = gpd.read_file(demo_dir / "units.gpkg").set_index("code")
    _same(open_raster(demo_dir / "population.tif"), units)
    _same(open_raster(demo_dir / "population.tif"), units, block_cells=3_000)  # many blocks


def test_zoo_of_units_unchanged(tmp_path):
    rng = np.random.default_rng(7)
    values = rng.gamma(0.7, 30, (40, 50))
    values[rng.random(values.shape) < 0.2] = 0
    values[3, 4] = -1  # nodata
    info = open_raster(write_raster(tmp_path / "p.tif", values, y0=Y0 + 4000))
    outer = shapely.box(X0 + 130, Y0 + 120, X0 + 2870, Y0 + 3770)
    hole = shapely.box(X0 + 1010, Y0 + 1010, X0 + 1990, Y0 + 1990)
    geoms = [
        outer.difference(hole),                                             # a hole ...
        hole,                                                               # ... filled by another unit
        shapely.MultiPolygon([shapely.box(X0 + 3000, Y0, X0 + 3350, Y0 + 700),
                              shapely.box(X0 + 4000, Y0 + 2000, X0 + 4990, Y0 + 2600)]),  # multipart
        shapely.box(X0 + 3510, Y0 + 3510, X0 + 3560, Y0 + 3560),            # 50 m, inside one cell
        shapely.box(X0 + 3720, Y0 + 3720, X0 + 3730, Y0 + 3880),            # a thin sliver over two cells
        shapely.Polygon([(X0 + 3100, Y0 + 1000), (X0 + 3900, Y0 + 1000), (X0 + 3100, Y0 + 1800)]),  # diagonal
        shapely.GeometryCollection([shapely.box(X0 + 4100, Y0 + 100, X0 + 4420, Y0 + 333),
                                    shapely.LineString([(X0 + 4100, Y0), (X0 + 4900, Y0 + 900)])]),
        shapely.box(X0 + 3000.5, Y0 + 3000, X0 + 3100.5, Y0 + 3100),        # edge half a metre off the grid
    ]
    units = gpd.GeoDataFrame(geometry=geoms, index=[f"z{i}" for i in range(len(geoms))], crs=32650)
    _same(info, units)
    _same(info, units, block_cells=97)
    _same(info, units.to_crs(3857))  # taken to the raster's CRS, cell centres back


def test_large_synthetic_grid_unchanged(tmp_path):
    rng = np.random.default_rng(16)
    n = 400
    values = rng.gamma(0.5, 20, (n, n))
    values[rng.random(values.shape) < 0.3] = 0
    info = open_raster(write_raster(tmp_path / "big.tif", values, y0=Y0 + n * 100))
    seeds = shapely.points(rng.uniform(X0, X0 + n * 100, 300), rng.uniform(Y0, Y0 + n * 100, 300))
    frame = shapely.box(X0 + 30, Y0 + 30, X0 + n * 100 - 30, Y0 + n * 100 - 30)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                                          extend_to=frame)), frame)
    units = gpd.GeoDataFrame(geometry=cells, index=pd.Index([f"v{i:03d}" for i in range(len(cells))]), crs=32650)
    _same(info, units, block_cells=40_000)
    ints = units.set_axis(pd.RangeIndex(len(units)) * 10)  # integer ids keep their dtype
    _same(info, ints, block_cells=40_000)
