"""Fixtures for layer tests: small real-looking files written in tmp_path."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from _support import X0, Y0  # UTM 50N, near Baoding


@pytest.fixture
def units_gdf() -> gpd.GeoDataFrame:
    """Six 2 km squares with text codes (two with leading zeros)."""
    codes = ["0101001", "0101002", "0101003", "1101004", "1101005", "1101006"]
    geoms = [shapely.box(X0 + 2000 * (i % 3), Y0 + 2000 * (i // 3), X0 + 2000 * (i % 3 + 1),
                         Y0 + 2000 * (i // 3 + 1)) for i in range(6)]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Zhen {i}" for i in range(6)]},
                            geometry=geoms, crs=32650)


@pytest.fixture
def units_gpkg(tmp_path, units_gdf):
    """The six units as a GeoPackage in EPSG:4326."""
    path = tmp_path / "units.gpkg"
    units_gdf.to_crs(4326).to_file(path, layer="townships")
    return path


@pytest.fixture
def roads_gpkg(tmp_path):
    """Three roads of two classes plus one of an unknown class."""
    lines = [shapely.LineString([(X0, Y0 + 1000), (X0 + 6000, Y0 + 1000)]),
             shapely.LineString([(X0 + 3000, Y0), (X0 + 3000, Y0 + 4000)]),
             shapely.LineString([(X0 + 1000, Y0 + 3000), (X0 + 5000, Y0 + 3000)]),
             shapely.LineString([(X0 + 500, Y0 + 500), (X0 + 800, Y0 + 900)])]
    g = gpd.GeoDataFrame({"kind": ["county", "village", "village", "track"]}, geometry=lines, crs=32650)
    path = tmp_path / "roads.gpkg"
    g.to_file(path)
    return path


@pytest.fixture
def indicators_frame(units_gdf) -> pd.DataFrame:
    return pd.DataFrame({"code": units_gdf["code"], "income": [10.0, 11, 12, 13, 14, 15],
                         "nonfarm_share": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]})
