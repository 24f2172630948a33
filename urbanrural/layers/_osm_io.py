"""Plumbing for :mod:`urbanrural.layers.osm`: osmium import, file checks, clip, node index."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..geo.errors import CRSError, DataError, GeometryError, InputFileError, MissingDependencyError
from ..geo.io import require_file
from ..geo.registry import check_choice

__all__ = ["import_osmium", "check_pbf", "clip_geometry", "node_index", "reading", "NODE_INDEXES",
           "header_box", "Extent"]

NODE_INDEXES = ("auto", "memory", "disk")
_AUTO_DISK_BYTES = 64 * 1024 * 1024  # above this PBF size (~8M nodes), "auto" keeps node locations on disk
_SUFFIXES = (".pbf", ".osm", ".o5m", ".opl", ".bz2", ".gz")


def import_osmium():
    """The ``osmium`` module (pyosmium), or MissingDependencyError saying what to install."""
    try:
        import osmium
        import osmium.geom  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("reading OpenStreetMap files needs pyosmium: pip install osmium "
                                     "(or pip install 'urbanrural[osm]')") from exc
    return osmium


def check_pbf(pbf: str | os.PathLike) -> Path:
    """Return the path of a readable-looking OSM file or raise InputFileError."""
    if not isinstance(pbf, (str, os.PathLike)):
        raise InputFileError(f"pbf must be the path of an .osm.pbf file; got {type(pbf).__name__}")
    p = require_file(pbf, what="OSM file")
    if not p.name.lower().endswith(_SUFFIXES):
        raise InputFileError(f"{p.name} is not an OpenStreetMap file (expected .osm.pbf, as Geofabrik or "
                             "osmium extract write); convert it with 'osmium cat'")
    if p.stat().st_size == 0:
        raise InputFileError(f"{p.name} is empty (0 bytes); download the extract again")
    return p


@contextlib.contextmanager
def reading(p: Path) -> Iterator[None]:
    """Turn osmium's RuntimeError on a broken file into InputFileError naming it."""
    try:
        yield
    except RuntimeError as exc:
        msg = str(exc).strip() or type(exc).__name__
        hint = "it is truncated or corrupt" if "truncat" in msg.lower() or "eof" in msg.lower() else \
            "it is not a readable OSM PBF file or is corrupt"
        raise InputFileError(f"{p.name}: osmium could not read it ({msg}); {hint}: download the extract "
                             "again or check it with 'osmium fileinfo'") from exc


def header_box(osmium, p: Path) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) from the file header, or None when it declares none."""
    with reading(p):
        box = osmium.FileProcessor(str(p)).header.box()
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


@contextlib.contextmanager
def node_index(choice: str, p: Path) -> Iterator[str]:
    """An osmium location-index spec: ``flex_mem`` in memory, ``sparse_file_array`` in a
    temporary file (16 bytes per node on disk, removed afterwards)."""
    check_choice(choice, NODE_INDEXES, what="node_index")
    if choice == "auto":
        choice = "disk" if p.stat().st_size > _AUTO_DISK_BYTES else "memory"
    if choice == "memory":
        yield "flex_mem"
        return
    with tempfile.TemporaryDirectory(prefix="urbanrural-osm-") as d:
        yield f"sparse_file_array,{Path(d) / 'nodes.idx'}"


def _lonlat_ok(bounds: tuple[float, float, float, float]) -> bool:
    w, s, e, n = bounds
    return -180.0 <= w <= 180.0 and -180.0 <= e <= 180.0 and -90.0 <= s <= 90.0 and -90.0 <= n <= 90.0


def clip_geometry(clip: object, *, buffer_m: float, name: str = "clip") -> shapely.Geometry | None:
    """``clip`` as one lon/lat (EPSG:4326) geometry buffered by ``buffer_m`` metres.

    A GeoDataFrame/GeoSeries in any CRS is reprojected (it must have one); a bare shapely
    geometry or ``(west, south, east, north)`` bounds are read as lon/lat.  The buffer is
    drawn in an azimuthal equidistant projection centred on the clip (exact distances
    from its centre, a few per mille off at 300 km).
    """
    if isinstance(buffer_m, bool) or not isinstance(buffer_m, (int, float)) or not math.isfinite(buffer_m) \
            or buffer_m < 0:
        raise DataError(f"buffer_m must be metres >= 0; got {buffer_m!r}")
    if clip is None:
        return None
    if isinstance(clip, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if clip.crs is None:
            raise CRSError(f"{name} has no CRS; set one (gdf.set_crs('EPSG:4326')) so it can be matched to OSM "
                           "lon/lat")
        geoms = clip.geometry if isinstance(clip, gpd.GeoDataFrame) else clip
        geoms = geoms[geoms.notna() & ~geoms.is_empty]
        if len(geoms) == 0:
            raise GeometryError(f"{name} has no geometry (empty or all missing); give the study area's units")
        geom = shapely.union_all(geoms.to_crs(4326).make_valid().to_numpy())
    elif isinstance(clip, shapely.Geometry):
        geom = clip
    elif isinstance(clip, (tuple, list, np.ndarray)) and len(clip) == 4:
        try:
            w, s, e, n = (float(v) for v in clip)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} bounds must be four numbers (west, south, east, north); got {clip!r}") \
                from exc
        if not (w < e and s < n):
            raise DataError(f"{name} bounds must be (west, south, east, north) with west < east and "
                            f"south < north; got {clip!r}")
        geom = shapely.box(w, s, e, n)
    else:
        raise DataError(f"{name} must be a GeoDataFrame, GeoSeries, shapely geometry or (west, south, east, "
                        f"north) bounds; got {type(clip).__name__}")
    if geom is None or geom.is_empty:
        raise GeometryError(f"{name} is an empty geometry; give the study area's outline")
    if not _lonlat_ok(geom.bounds):
        raise CRSError(f"{name} coordinates {tuple(round(b, 3) for b in geom.bounds)} are not lon/lat; pass a "
                       "GeoDataFrame/GeoSeries with its CRS, or bounds in degrees")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if buffer_m > 0:
        c = geom.centroid
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
        fwd = Transformer.from_crs(4326, local, always_xy=True)
        back = Transformer.from_crs(local, 4326, always_xy=True)
        geom = shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
        geom = geom.buffer(buffer_m, quad_segs=8)
        geom = shapely.transform(geom, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(geom)
    return geom


class Extent:
    """Running lon/lat bounds of what a reader saw (for the 'clip outside the data' message)."""

    def __init__(self) -> None:
        self.bounds = [math.inf, math.inf, -math.inf, -math.inf]

    def add(self, geoms: np.ndarray) -> None:
        if len(geoms):
            b = shapely.total_bounds(geoms)
            if np.all(np.isfinite(b)):
                self.bounds = [min(self.bounds[0], b[0]), min(self.bounds[1], b[1]),
                               max(self.bounds[2], b[2]), max(self.bounds[3], b[3])]

    @property
    def empty(self) -> bool:
        return not math.isfinite(self.bounds[0])

    def text(self) -> str:
        w, s, e, n = self.bounds
        return f"lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f}"

    def box(self) -> shapely.Geometry:
        return shapely.box(*self.bounds)
