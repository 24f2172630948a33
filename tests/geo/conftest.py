"""Fixtures for geo tests: a zoo of awkward geometries and tiny rasters."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from _support import X0, Y0, write_raster


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


@pytest.fixture
def pop_raster(tmp_path):
    """A 2x4 population raster (100 m cells) with one nodata cell (-1)."""
    return write_raster(tmp_path / "pop.tif", np.array([[1, 2, 3, 4], [5, 6, 7, -1]]))
