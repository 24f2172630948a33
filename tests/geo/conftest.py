"""Fixtures for geo tests: a zoo of awkward geometries and tiny rasters."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

# Coordinates near Baoding (UTM 50N) so area-of-use checks pass.
X0, Y0 = 400_000.0, 4_300_000.0


@pytest.fixture
def geometry_zoo() -> dict[str, shapely.Geometry | None]:
    """Awkward geometries, named by what is wrong with them."""
    return {
        "square": shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
        "bowtie": shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]),
        "spike": shapely.Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10),
                                  (X0 + 10, Y0 + 10), (X0, Y0 + 10)]),
        "empty": shapely.Polygon(),
        "none": None,
        "point": shapely.Point(X0, Y0),
        "line": shapely.LineString([(X0, Y0), (X0 + 5, Y0 + 5)]),
        "multi": shapely.MultiPolygon([shapely.box(X0, Y0, X0 + 1, Y0 + 1),
                                       shapely.box(X0 + 5, Y0, X0 + 6, Y0 + 1)]),
        "z": shapely.Polygon([(X0, Y0, 1), (X0 + 1, Y0, 1), (X0 + 1, Y0 + 1, 1)]),
    }


def write_raster(path, array, *, nodata=-1.0, crs="EPSG:32650", x0=X0, y0=Y0 + 200, cell=100.0):
    """Write a float32 GeoTIFF; ``nodata=None`` declares none, ``crs=None`` sets none."""
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype="float32", transform=from_origin(x0, y0, cell, cell))
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.asarray(array, dtype="float32"), 1)
    return path


@pytest.fixture
def pop_raster(tmp_path):
    """A 2x4 population raster (100 m cells) with one nodata cell (-1)."""
    return write_raster(tmp_path / "pop.tif", np.array([[1, 2, 3, 4], [5, 6, 7, -1]]))
