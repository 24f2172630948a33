"""Barrier and penalty grids for the friction surface, from a user's layers.

- :func:`water_barrier`: water polygons (lakes, reservoirs, wide rivers) and lines (rivers,
  canals) as impassable cells. Lines are burned with every cell they touch, so a river
  drawn diagonally cannot be crossed between two of its cells' corners by an 8-neighbour
  step; roads crossing water stay passable in :func:`~.friction.friction_surface`
  (bridges, ferries).
- :func:`penalty_grid`: a raster of off-road friction multipliers (slope or land-cover
  factors; ``inf`` = impassable) resampled onto the friction grid: finite factors by area
  average, and a cell is impassable when at least half of it is. Cells the raster does
  not cover get 1 (no penalty), logged.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from rasterio.transform import from_origin
>>> river = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (300, 300)])], crs=32650)
>>> water_barrier(river, transform=from_origin(0, 300, 100, 100), shape=(3, 3), crs=32650).astype(int).tolist()
[[0, 0, 1], [0, 1, 1], [1, 1, 0]]
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS
from rasterio.warp import Resampling, reproject

from ...geo.crs import crs_label
from ...geo.errors import CRSError, DataError, RasterError
from ...geo.raster import open_raster

__all__ = ["water_barrier", "penalty_grid"]

logger = logging.getLogger("urbanrural")


def water_barrier(water: gpd.GeoDataFrame, *, transform: Affine, shape: tuple[int, int],
                  crs: object) -> NDArray[np.bool_]:
    """Boolean grid, True where water makes a cell impassable.

    Parameters
    ----------
    water : GeoDataFrame
        Polygons and/or lines; reprojected to ``crs`` when it has another CRS (refused
        when it has none).
    transform, shape, crs : the friction grid.
    """
    if water.crs is None:
        raise CRSError("the water layer has no CRS; set it (e.g. water.set_crs('EPSG:4326')) or give a .prj")
    if not CRS.from_user_input(water.crs).equals(CRS.from_user_input(crs)):
        logger.info(f"water: reprojected from {crs_label(water.crs)} to {crs_label(crs)}")
        water = water.to_crs(crs)
    geoms = water.geometry[~(water.geometry.isna() | water.geometry.is_empty)]
    out = np.zeros(shape, dtype=bool)
    kinds = geoms.geom_type.to_numpy()
    lines = geoms[np.isin(kinds, ["LineString", "MultiLineString", "LinearRing"])]
    polys = geoms[np.isin(kinds, ["Polygon", "MultiPolygon"])]
    other = len(geoms) - len(lines) - len(polys)
    if other:
        raise DataError(f"the water layer has {other} geometr(y/ies) that are neither polygons nor lines "
                        f"({sorted(set(kinds) - {'LineString', 'MultiLineString', 'LinearRing', 'Polygon', 'MultiPolygon'})}); "
                        "keep water areas and river lines only")
    for part, touched in ((polys, False), (lines, True)):
        if len(part):
            out |= rasterio.features.geometry_mask(part.to_numpy(), out_shape=shape, transform=transform,
                                                   invert=True, all_touched=touched)
    return out


def penalty_grid(path: str | Path, *, transform: Affine, shape: tuple[int, int], crs: object) -> NDArray[np.float64]:
    """Off-road friction multipliers on the friction grid (finite factors area-averaged;
    ``inf`` where at least half the cell is impassable; 1 where the raster has no data or
    does not reach).

    Raises
    ------
    RasterError
        When the raster has no CRS or negative multipliers.
    """
    info = open_raster(path, name="penalty")
    if info.crs is None:
        raise RasterError(f"{info.path.name} has no CRS; set one (gdal_edit.py -a_srs EPSG:xxxx)")
    with rasterio.open(info.path) as ds:
        src = ds.read(1, out_dtype="float64")
    if not np.isnan(info.nodata):
        src[src == info.nodata] = np.nan  # inf is kept: it means impassable
    if (src < 0).any():
        raise RasterError(f"{info.path.name} has {int((src < 0).sum())} negative multiplier(s); use factors >= 0 "
                          "(inf = impassable)")
    blocked = np.isposinf(src)
    # GDAL's average ignores inf: average the finite factors, and the impassable share apart
    finite = np.where(blocked, np.nan, src)
    out = np.full(shape, np.nan)
    reproject(finite, out, src_transform=info.transform, src_crs=info.crs, dst_transform=transform, dst_crs=crs,
              resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
    share = np.full(shape, np.nan)
    reproject(np.where(np.isnan(src), np.nan, blocked.astype(np.float64)), share, src_transform=info.transform,
              src_crs=info.crs, dst_transform=transform, dst_crs=crs, resampling=Resampling.average,
              src_nodata=np.nan, dst_nodata=np.nan)
    missing = int((np.isnan(out) & ~(share >= 0.5)).sum())
    if missing:
        logger.info(f"penalty: {missing:,} of {out.size:,} friction cells have no penalty value; they get 1")
    out = np.where(np.isnan(out), 1.0, out)
    return np.where(share >= 0.5, np.inf, out)  # impassable where at least half the cell is
