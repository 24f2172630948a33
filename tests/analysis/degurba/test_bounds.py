"""Issue 16: the 1 km Mollweide grid holds every person of a wide projected raster.

Straight edges of a UTM raster bow in Mollweide; sizing the grid from 8 projected points
of the data's bounding box cut ~1.9 km off a 700 km-wide UTM 47N raster at 45 N whose
populated cells reach its edges ("people fell outside the 1 km grid").
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from urbanrural.analysis import degurba as dg


def _edge_raster(path, *, epsg: int, lon: float, lat: float, x0: float, size_km: int, res: float = 1000.0):
    """A size_km x size_km raster west-aligned at easting x0, centred on ``lat``, people
    (1 per cell) only on its four edges, nodata inside."""
    _, yc = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)
    n = int(size_km * 1000 / res)
    a = np.full((n, n), -1.0, dtype="float32")
    a[0, :] = a[-1, :] = a[:, 0] = a[:, -1] = 1.0
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs=f"EPSG:{epsg}", nodata=-1, transform=from_origin(x0, round(yc) + size_km * 500, res, res)) as d:
        d.write(a, 1)
    return float((a > 0).sum())


@pytest.mark.parametrize("epsg, lon, lat, x0", [
    (32647, 99.0, 45.0, 0.0),        # failed before the fix: 32 people outside
    (32650, 117.0, 40.0, 150_000.0),  # centred on the zone: passed before too
    (32633, 15.0, 62.0, 0.0),
])
def test_wide_utm_raster_keeps_every_person(tmp_path, epsg, lon, lat, x0):
    p = tmp_path / "edges.tif"
    total = _edge_raster(p, epsg=epsg, lon=lon, lat=lat, x0=x0, size_km=700)
    out, t = dg.to_mollweide_1km(p)
    assert np.nansum(out) == pytest.approx(total, rel=1e-9)
    # the margin stays small: at most a few cells beyond the people on each side
    rows, cols = np.nonzero(np.nan_to_num(out) > 0)
    assert rows.min() <= 3 and cols.min() <= 3
    assert out.shape[0] - rows.max() <= 4 and out.shape[1] - cols.max() <= 4


def test_projected_edges_cover_the_bow():
    t = from_origin(0, 5_333_000, 1000, 1000)
    tr = Transformer.from_crs("EPSG:32647", dg.MOLLWEIDE, always_xy=True)
    mx, my = dg._projected_edges(t, tr, 0, 700, 0, 700)
    s = np.linspace(0, 700, 7001)
    # a much denser outline reaches at most a few metres further
    ex = np.concatenate([s, np.full_like(s, 700), s, np.zeros_like(s)])
    ey = np.concatenate([np.zeros_like(s), s, np.full_like(s, 700), s])
    dx, dy = tr.transform(*(t * (ex, ey)))
    assert min(dx) >= min(mx) - 5 and max(dx) <= max(mx) + 5
    assert min(dy) >= min(my) - 5 and max(dy) <= max(my) + 5
