"""Readers for the input layers: units, facilities, roads, indicators, flows.

Each reader checks what it reads (CRS, geometries, ids, types), never modifies the
file, returns a layer in its source CRS with the standard column names, and records
what it checked or repaired in an optional :class:`~urbanrural.geo.checks.CheckLog`.
"""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray

from ..geo.checks import CheckLog, get_log
from ..geo.crs import require_crs
from ..geo.errors import CRSError, DataError, InputFileError, NetworkError
from ..geo.io import require_file
from ..geo.validate import (
    LINEAR,
    OVERLAP_TOLERANCE,
    POLYGONAL,
    PUNTAL,
    check_geometries,
    check_ids,
    check_join,
    check_numeric,
    check_overlaps,
    drop_z,
    ids_as_text,
    preview,
)
from .numbers import classify_numeric, describe_counts, parse_numeric

__all__ = [
    "read_vector",
    "read_units",
    "read_facilities",
    "read_roads",
    "read_table",
    "read_indicators",
    "read_flows",
]

PathLike = str | os.PathLike

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls"}


def _require_column(frame: pd.DataFrame, column: str, *, name: str, role: str) -> None:
    if column not in frame.columns:
        cols = [c for c in frame.columns if c != "geometry"]
        hint = get_close_matches(column, [str(c) for c in cols], n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise InputFileError(
            f"{name} has no column {column!r} for the {role}{extra}; its columns are: "
            + ", ".join(map(repr, cols))
        )


_KINDS = {"Polygon": "polygon", "MultiPolygon": "polygon", "Point": "point", "MultiPoint": "point",
          "LineString": "line", "MultiLineString": "line"}


def _layer_kind(geometry_type: object) -> str:
    """'polygon', 'point', 'line', 'table' (no geometry) or 'other' for an OGR type name."""
    if geometry_type is None:
        return "table"
    t = str(geometry_type)
    for junk in ("3D ", "Measured ", " ZM", " Z", " M"):
        t = t.replace(junk, "")
    return _KINDS.get(t.strip(), "other")


def _pick_layer(p: Path, kinds: tuple[str, ...], *, role: str, section: str | None,
                log: CheckLog) -> str | None:
    """The layer to read from a multi-layer file when none was named (see read_vector)."""
    try:
        listing = pyogrio.list_layers(p)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputFileError(f"{p.name} cannot be read as a vector file ({exc})") from exc
    if len(listing) <= 1:
        return None
    layers = [(str(n), t) for n, t in listing]
    for kind in kinds:
        fits = [n for n, t in layers if _layer_kind(t) == kind]
        if len(fits) == 1:
            log.add(p.name, "layer", "info",
                    detail=f"{len(layers)} layers and no layer given: read {fits[0]!r}, the only "
                           f"{kind} layer (name it with layer: to be explicit)")
            return fits[0]
        if len(fits) > 1:
            break
    described = []
    for n, t in layers:
        try:
            count = int(pyogrio.read_info(p, layer=n)["features"])
        except Exception:  # noqa: BLE001 - a listing must not fail on one odd layer
            count = -1
        described.append(f"{n!r} ({t or 'no geometry'}, {count if count >= 0 else '?'} features)")
    # section "units" -> "units: layer:"; a full key path (ending in ':') is used as it is
    key = section if section and section.endswith(":") else f"{section}: layer:"
    where = f" (config: {key} <name>)" if section else ""
    raise InputFileError(
        f"{p.name} has {len(layers)} layers and no layer was named for the {role}: "
        + ", ".join(described)
        + f"; name the one to read with layer={'<name>'}{where}"
    )


def read_vector(path: PathLike, *, layer: str | int | None = None, kinds: tuple[str, ...] = (),
                role: str = "layer", section: str | None = None,
                log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Read any OGR vector format or GeoParquet into a GeoDataFrame (file untouched).

    Parameters
    ----------
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage, FileGDB...).
    kinds : tuple of str, optional
        Geometry kinds this input may have, in order of preference (``"polygon"``,
        ``"point"``, ``"line"``).  A file with several layers and no ``layer`` is read
        only when exactly one layer has the preferred kind (logged); otherwise
        InputFileError lists the layers with their geometry types and feature counts.
        Without ``kinds``, a multi-layer file always needs ``layer``.
    role, section : str, optional
        What the input is (``"units"``) and its config section, for messages.

    Raises
    ------
    InputFileError
        Missing file, a folder, an unreadable file, an unknown or ambiguous layer.
    """
    log = get_log(log)
    p = require_file(path, what="vector file")
    if p.is_dir() and p.suffix.lower() != ".gdb":
        raise InputFileError(f"{p} is a folder, not a vector file; give the path of the file itself")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{p.name} is empty (0 bytes); check the path or export the {role} again")
    try:
        if p.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(p)
        if layer is not None:
            layers = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
            if isinstance(layer, str) and layer not in layers:
                raise InputFileError(f"{p.name} has no layer {layer!r}; its layers are: {', '.join(layers)}")
        else:
            layer = _pick_layer(p, kinds, role=role, section=section, log=log)
        gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            pyogrio.errors.GeometryError, pyogrio.errors.CRSError) as exc:
        raise InputFileError(f"{p.name} cannot be read as a vector layer ({exc})") from exc
    except (ValueError, OSError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(f"{p.name} cannot be read as a vector layer ({exc})") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputFileError(
            f"{p.name} has no geometry column, so it is a table, not a map layer; give a vector "
            "file (GeoPackage, shapefile, GeoJSON...)"
        )
    return gdf


def _attach_ids(gdf: gpd.GeoDataFrame, id_col: str, *, name: str, log: CheckLog,
                keep: bool = False) -> gpd.GeoDataFrame:
    """Index ``gdf`` by ``id_col`` as text; ``keep`` keeps the column too (id used as name)."""
    _require_column(gdf, id_col, name=name, role="unit id")
    idx = ids_as_text(gdf[id_col], name=name, column=id_col, log=log)
    check_ids(idx, name=name, column=id_col)
    out = gdf.copy() if keep else gdf.drop(columns=[id_col])
    out.index = idx
    return out


def read_units(path: PathLike, *, id_col: str, name_col: str | None = None,
               layer: str | int | None = None, crs: object = None, repair: bool = True,
               drop_empty: bool = False, overlap_tolerance: float = OVERLAP_TOLERANCE,
               log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Read analysis units (polygons) indexed by a text id.

    Parameters
    ----------
    path : path-like
        Any OGR format (GeoPackage, shapefile, GeoJSON...) or GeoParquet.
    id_col : str
        Unique id column, kept as text (leading zeros survive); becomes the index.
    name_col : str, optional
        Column copied to ``name`` (used in tooltips and tables); may be ``id_col``.
    layer : str or int, optional
        Layer of a multi-layer file; without it, the file's only polygon layer.
    crs : optional
        CRS of a file that has none (e.g. a shapefile without .prj).
    repair : bool, default True
        Repair invalid polygons with ``make_valid`` (counted in ``log``).
    drop_empty : bool, default False
        Drop units with empty geometry (counted) instead of raising.
    overlap_tolerance : float, default 0.01
        Units overlapping by more than this share of the smaller unit's area raise
        GeometryError (people would be counted once per unit); smaller slivers are
        counted in ``log``.
    log : CheckLog, optional
        Receives the checks and repairs (Z coordinates dropped, layer chosen...).

    Returns
    -------
    GeoDataFrame
        Indexed by the id (text), with ``name`` if requested and all other columns.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> g = gpd.GeoDataFrame({"code": ["0101", "0102"],
    ...                       "geometry": [shapely.box(4e5, 4.3e6, 401e3, 4301e3),
    ...                                    shapely.box(401e3, 4.3e6, 402e3, 4301e3)]}, crs=32650)
    >>> g.to_file(d / "u.gpkg")
    >>> read_units(d / "u.gpkg", id_col="code").index.tolist()
    ['0101', '0102']
    """
    log = get_log(log)
    p = Path(path)
    name = p.name
    gdf = read_vector(p, layer=layer, kinds=("polygon",), role="units", section="units", log=log)
    if len(gdf) == 0:
        raise InputFileError(f"{name} has no features; check the layer name (config: units: layer:)")
    gdf = require_crs(gdf, name=name, crs=crs, log=log, section="units")
    if name_col is not None:
        _require_column(gdf, name_col, name=name, role="unit name")
    gdf = _attach_ids(gdf, id_col, name=name, log=log, keep=name_col == id_col)
    if name_col is not None:
        if name_col == id_col:
            if id_col != "name":
                gdf = gdf.drop(columns=["name"], errors="ignore").rename(columns={id_col: "name"})
            gdf["name"] = pd.Series(gdf.index, index=gdf.index, dtype=object)
        elif name_col != "name":
            gdf = gdf.drop(columns=["name"], errors="ignore").rename(columns={name_col: "name"})
        gdf["name"] = gdf["name"].astype(object).where(gdf["name"].notna(), None)
    gdf = check_geometries(gdf, name=name, expected=POLYGONAL, repair=repair,
                           drop_empty=drop_empty, log=log)
    gdf = drop_z(gdf, name=name, log=log)
    check_overlaps(gdf, name=name, tolerance=overlap_tolerance, log=log)
    log.add(name, "units read", "ok", count=len(gdf), detail=f"id column {id_col!r}")
    return gdf


def read_table(path: PathLike, *, sheet: str | int | None = None, encoding: str | None = None,
               text_cols: tuple[str, ...] = (), log: CheckLog | None = None,
               encoding_key: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX table; ``text_cols`` are read as text (leading zeros kept).

    CSV encoding: ``encoding`` if given, else UTF-8 (with or without BOM), else GB18030
    (the common encoding of tables exported from Chinese Excel), recorded in ``log``.
    ``encoding_key`` is the config key that sets the encoding of this input
    (``"indicators: encoding"``), named in the fix when the text cannot be decoded.
    """
    log = get_log(log)
    p = require_file(path, what="table")
    if p.is_dir():
        raise InputFileError(f"{p} is a folder, not a table; give the path of the file itself")
    dtype = {c: str for c in text_cols}
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xls"}:
        try:
            return pd.read_excel(p, sheet_name=sheet or 0, dtype=dtype)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            raise InputFileError(f"{p.name} cannot be read as a spreadsheet ({exc}); is it complete and "
                                 "saved as .xlsx?") from exc
    sep = "\t" if suffix == ".tsv" else ","
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            key = encoding_key or "encoding"
            raise InputFileError(f"{p.name}: unknown text encoding {encoding!r} ({key}); use utf-8, gb18030 "
                                 "(also reads GBK/GB2312), big5 or utf-16") from None
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in tried:
        try:
            frame = pd.read_csv(p, dtype=dtype, encoding=enc, sep=sep)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except pd.errors.ParserError as exc:
            raise InputFileError(f"{p.name} is not a well-formed CSV ({exc})") from exc
        except pd.errors.EmptyDataError as exc:
            raise InputFileError(f"{p.name} is empty (no header, no rows); check the path") from exc
        if enc == "gb18030":
            log.add(p.name, "encoding", "info", detail="not UTF-8; read as GB18030")
        return frame
    fix = (f"pass encoding= (config: {encoding_key}: <name>)" if encoding_key
           else "save it as UTF-8 (in Excel: Save As > CSV UTF-8)")
    raise InputFileError(f"{p.name} is neither UTF-8 nor GB18030 text ({last}); {fix}")


def _points_from_xy(frame: pd.DataFrame, x_col: str, y_col: str, crs: object, *, name: str) -> gpd.GeoDataFrame:
    for c, role in ((x_col, "x coordinate"), (y_col, "y coordinate")):
        _require_column(frame, c, name=name, role=role)
    x = check_numeric(frame[x_col], name=f"{name} column {x_col!r}")
    y = check_numeric(frame[y_col], name=f"{name} column {y_col!r}")
    if crs is None:
        raise CRSError(f"{name} gives coordinates in columns {x_col!r}/{y_col!r} but no CRS; pass crs= (config: facilities: crs: EPSG:4326, gcj02 or bd09)")
    label = str(crs).lower()
    if label in {"gcj02", "gcj-02", "bd09", "bd-09"}:
        from ..geo import china

        lon, lat = x.to_numpy(), y.to_numpy()
        if label.startswith("bd"):
            lon, lat = china.bd09_to_gcj02(lon, lat)
        lon, lat = china.gcj02_to_wgs84(lon, lat)
        x, y, crs = pd.Series(lon, index=frame.index), pd.Series(lat, index=frame.index), "EPSG:4326"
    geom = gpd.points_from_xy(x, y)
    return gpd.GeoDataFrame(frame.drop(columns=[x_col, y_col]), geometry=geom)


_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(?:年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:[ T].*)?)?\s*$")


def _year_of(value: object) -> int | None:
    """A year from 2021, 2021.0, "2021", "2021年", "2021年6月", "2021-06-01" or a date; None if not one."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        y = int(value)
    elif isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            return None
        y = int(value)
    elif isinstance(value, str):
        m = _YEAR_TEXT.match(value)
        if m is None:
            return None
        y = int(m[1])
    elif hasattr(value, "year"):  # date, datetime, Timestamp
        y = int(value.year)
    else:
        return None
    return y if 1800 <= y <= 2100 else None


def _facility_years(values: pd.Series, *, name: str, column: str) -> NDArray[np.float64]:
    """Years of a facility column as floats (NaN for empty cells); refuses what is not a year,
    naming the rows (1 = the first facility)."""
    out = np.full(len(values), np.nan)
    bad: list[str] = []
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip()):
            continue
        y = _year_of(v)
        if y is None:
            bad.append(f"row {i + 1}: {v!r}")
        else:
            out[i] = y
    if bad:
        raise DataError(f"{name}: column {column!r} has {len(bad)} value(s) that are not years 1800-2100 "
                        f"({'; '.join(bad[:5])}{f' and {len(bad) - 5} more' if len(bad) > 5 else ''}); write "
                        "years like 2021 or 2021年, or leave the cell empty (there before the first year / "
                        "never closed)")
    return out


def read_facilities(path: PathLike, *, category: str | None = None,
                    category_col: str | None = None, capacity_col: str | None = None,
                    x_col: str | None = None, y_col: str | None = None, crs: object = None,
                    layer: str | int | None = None, opened_col: str | None = None,
                    closed_col: str | None = None, log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Read facilities (points; polygons become their centroids) with a category.

    Parameters
    ----------
    category : str, optional
        One category for every row (e.g. ``"hospital"``); or use ``category_col``.
    capacity_col : str, optional
        Numeric capacity (beds, seats); missing values stay NaN and are counted.
    opened_col, closed_col : str, optional
        Columns of the year each facility opened (open from that year on) and closed
        (not open in that year); read into ``opened``/``closed`` (float years, NaN =
        there before the first year / never closed).  Numbers, ``"2021"``, ``"2021年"``
        and dates are read; anything else, or a facility closed before it opened, is
        refused naming the rows.
    x_col, y_col : str, optional
        Coordinate columns of a CSV/XLSX table.
    crs : optional
        CRS of a table or of a file without one; ``"gcj02"`` and ``"bd09"`` convert
        Chinese map-service coordinates to WGS 84.

    Returns
    -------
    GeoDataFrame
        Points with ``category`` (text), ``capacity`` (float) and, when asked,
        ``opened``/``closed`` (float years), indexed by ``"<file stem>-<row>"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "clinics.csv"
    >>> _ = csv.write_text("x,y,year\\n116.1,39.9,2021年\\n116.2,39.8,\\n", encoding="utf-8")
    >>> f = read_facilities(csv, category="clinic", x_col="x", y_col="y", crs="EPSG:4326", opened_col="year")
    >>> f["opened"].tolist()
    [2021.0, nan]
    """
    log = get_log(log)
    p = require_file(path, what="facilities file")
    name = p.name
    if (category is None) == (category_col is None):
        raise DataError(f"{name}: give exactly one of category= (one category for the file) or category_col= (a column)")
    if p.suffix.lower() in TABLE_SUFFIXES:
        if x_col is None or y_col is None:
            raise InputFileError(
                f"{name} is a table: name its coordinate columns and their CRS (config: "
                "facilities: x: <column>, y: <column>, crs: EPSG:4326; Python: x_col=, y_col=, crs=)"
            )
        gdf = _points_from_xy(read_table(p, log=log), x_col, y_col, crs, name=name)
        gdf = gdf.set_crs("EPSG:4326" if str(crs).lower() in {"gcj02", "gcj-02", "bd09", "bd-09"} else crs)
        from ..geo.crs import check_area_of_use

        check_area_of_use(gdf, name=name, declared="facilities: crs", xy_columns=True)
    else:
        gdf = read_vector(p, layer=layer, kinds=("point", "polygon"), role="facilities",
                          section="facilities", log=log)
        gdf = require_crs(gdf, name=name, crs=crs, log=log, section="facilities")
    if len(gdf) == 0:
        raise InputFileError(f"{name} has no features")
    gdf = check_geometries(gdf, name=name, expected=PUNTAL + POLYGONAL, repair=True, log=log,
                           empty_hint="give those facilities a location in the source or delete them")
    gdf = drop_z(gdf, name=name, log=log)
    types = gdf.geom_type
    if types.isin(POLYGONAL).any():
        n = int(types.isin(POLYGONAL).sum())
        metric = gdf.estimate_utm_crs() if gdf.crs.is_geographic else gdf.crs
        cent = gdf.geometry.to_crs(metric).centroid.to_crs(gdf.crs)
        gdf = gdf.set_geometry(gdf.geometry.where(~types.isin(POLYGONAL), cent))
        log.add(name, "polygon facilities", "info", count=n, detail="replaced by their centroids")
    if types.eq("MultiPoint").any():
        gdf = gdf.explode(index_parts=False)
        log.add(name, "multipoint facilities", "info", detail="exploded into points")
    out = gpd.GeoDataFrame(index=pd.RangeIndex(len(gdf)), geometry=gdf.geometry.values, crs=gdf.crs)
    src = gdf.reset_index(drop=True)
    if category_col is not None:
        _require_column(src, category_col, name=name, role="facility category")
        cats = src[category_col]
        if cats.isna().any():
            raise DataError(f"{name}: {int(cats.isna().sum())} facilities have no {category_col!r}; fill it or filter them out")
        out["category"] = cats.astype(str).to_numpy()
    else:
        out["category"] = str(category)
    if capacity_col is not None:
        _require_column(src, capacity_col, name=name, role="capacity")
        cap = check_numeric(_formatted(src[capacity_col], name=name, column=capacity_col, log=log),
                            name=f"{name} column {capacity_col!r}", allow_nan=True, nonnegative=True)
        if cap.isna().any():
            log.add(name, "capacity", "warning", count=int(cap.isna().sum()), detail="missing capacity kept as NaN")
        out["capacity"] = cap.to_numpy()
    else:
        out["capacity"] = np.nan
    for col, key in ((opened_col, "opened"), (closed_col, "closed")):
        if col is not None:
            _require_column(src, col, name=name, role=f"year {key}")
            out[key] = _facility_years(src[col], name=name, column=col)
            given = int(np.isfinite(out[key]).sum())
            log.add(name, f"year {key}", "ok", count=given,
                    detail=f"{given} of {len(out)} facilities have a year {key} (column {col!r})")
    if "opened" in out.columns and "closed" in out.columns:
        wrong = np.flatnonzero(out["closed"].to_numpy() <= out["opened"].to_numpy())
        if len(wrong):
            rows = "; ".join(f"row {i + 1}: opened {out['opened'].iat[i]:.0f}, closed {out['closed'].iat[i]:.0f}"
                             for i in wrong[:5])
            raise DataError(f"{name}: {len(wrong)} facilities close in or before the year they open ({rows}); "
                            f"fix {opened_col!r}/{closed_col!r} (closed = the first year it is no longer open)")
    skip = {category_col, capacity_col, opened_col, closed_col, "geometry", "category", "capacity"}
    skip |= {k for k, c in (("opened", opened_col), ("closed", closed_col)) if c is not None}
    keep = [c for c in src.columns if c not in skip]
    for c in keep:
        out[c] = src[c].to_numpy()
    out.index = pd.Index([f"{p.stem}-{i}" for i in range(len(out))], name="facility_id")
    log.add(name, "facilities read", "ok", count=len(out),
            detail=", ".join(f"{k}: {v}" for k, v in out["category"].value_counts().items()))
    return out


def read_roads(path: PathLike, *, class_col: str, speeds: Mapping[str, float],
               default_speed_kmh: float | None = None, oneway_col: str | None = None,
               layer: str | int | None = None, crs: object = None,
               log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Read road lines with a class and a speed per class.

    Returns lines with ``road_class`` (text), ``speed_kmh`` (float) and, when
    ``oneway_col`` is given, ``oneway`` (bool).  A class without a speed (and no
    ``default_speed_kmh``) raises NetworkError listing the classes and their counts.
    """
    log = get_log(log)
    p = Path(path)
    name = p.name
    gdf = read_vector(p, layer=layer, kinds=("line",), role="roads", section="roads", log=log)
    if len(gdf) == 0:
        raise InputFileError(f"{name} has no features")
    gdf = require_crs(gdf, name=name, crs=crs, log=log, section="roads")
    _require_column(gdf, class_col, name=name, role="road class")
    bad = {k: v for k, v in speeds.items() if not (isinstance(v, (int, float)) and v > 0)}
    if bad:
        raise NetworkError(f"{name}: speeds must be positive km/h; got {bad}")
    if default_speed_kmh is not None and not default_speed_kmh > 0:
        raise NetworkError(f"{name}: default_speed must be positive km/h, got {default_speed_kmh}")
    # a line with fewer than two distinct points carries no road: dropped with a count
    gdf = check_geometries(gdf, name=name, expected=LINEAR, repair=False, drop_empty=True,
                           drop_invalid=True, log=log)
    gdf = drop_z(gdf, name=name, log=log)
    cls = gdf[class_col].astype(object).where(gdf[class_col].notna(), None)
    mapped = cls.map(lambda c: speeds.get(str(c)) if c is not None else None)
    missing = mapped.isna()
    if missing.any():
        counts = cls[missing].fillna("<no class>").astype(str).value_counts()
        if default_speed_kmh is None:
            raise NetworkError(
                f"{name}: {int(missing.sum())} road(s) have a class without a speed ("
                + ", ".join(f"{k} x{v}" for k, v in counts.items())
                + "); add the classes to roads.speeds or set roads.default_speed"
            )
        log.add(name, "road speed", "info", count=int(missing.sum()),
                detail=f"default {default_speed_kmh} km/h for " + ", ".join(f"{k} x{v}" for k, v in counts.items()))
        mapped = mapped.fillna(float(default_speed_kmh))
    out = gpd.GeoDataFrame({"road_class": cls.fillna("<no class>").astype(str).to_numpy(),
                            "speed_kmh": mapped.astype(float).to_numpy()},
                           geometry=gdf.geometry.values, crs=gdf.crs, index=pd.RangeIndex(len(gdf), name="road_id"))
    if oneway_col is not None:
        _require_column(gdf, oneway_col, name=name, role="oneway flag")
        ow = gdf[oneway_col].astype(str).str.lower().isin(["1", "true", "yes", "y", "t"])
        out["oneway"] = ow.to_numpy()
    log.add(name, "roads read", "ok", count=len(out),
            detail=", ".join(f"{k}: {v}" for k, v in out["road_class"].value_counts().items()))
    return out


def read_indicators(path: PathLike, *, id_col: str, units: gpd.GeoDataFrame | pd.Index | None = None,
                    sheet: str | int | None = None, encoding: str | None = None,
                    zfill: bool = False, min_match: float = 0.5,
                    header_rows: int | str | None = None, year: int | str | None = None,
                    log: CheckLog | None = None) -> pd.DataFrame:
    """Read an indicator table (CSV/XLSX; UTF-8 or GB18030) indexed by the unit id.

    Ids are read as text.  With ``units``, the match is checked: codes that lost their
    leading zeros raise JoinError (or are padded back with ``zfill=True``, logged), and
    fewer than ``min_match`` of units matched raises.  Rows are returned for every unit
    of ``units`` in its order (NaN where the table has none) plus nothing else.

    A yearbook-style table (title lines, several header rows, units in the headers,
    footnote and total rows, years as columns or rows) is read with
    :func:`urbanrural.layers.yearbook.read_yearbook` when ``header_rows`` (an int or
    ``"auto"``) or ``year`` is given; ``year`` picks one year of a table with several.
    ``id_col`` then names the header of the code (or name) column, units removed.
    """
    log = get_log(log)
    p = require_file(path, what="indicator table")
    if header_rows is not None or year is not None:
        from .yearbook import read_yearbook

        table = read_yearbook(p, id_col=id_col, sheet=sheet, encoding=encoding,
                              header_rows="auto" if header_rows is None else header_rows, log=log)
        if year is not None:
            frame = table.at_year(year)
        elif table.years and len(table.years) > 1:
            raise DataError(f"{p.name} holds the years {', '.join(map(str, table.years))}; pick one with "
                            "year= (config: indicators: year: <year>)")
        else:
            frame = table.frame.droplevel("year") if isinstance(table.frame.index, pd.MultiIndex) else table.frame
        frame = frame.copy()
        frame.index = pd.Index(frame.index.astype(object), name=id_col)
        check_ids(frame.index, name=p.name, column=id_col)
    else:
        frame = read_table(p, sheet=sheet, encoding=encoding, text_cols=(id_col,), log=log,
                           encoding_key="indicators: encoding")
        if id_col not in frame.columns and any(str(c).startswith("Unnamed") for c in frame.columns):
            raise InputFileError(
                f"{p.name} has no column {id_col!r} for the unit id, and its first row looks like a "
                "title or a merged header (columns " + ", ".join(map(repr, frame.columns[:6]))
                + "); read it as a yearbook table with header_rows='auto' (config: indicators: "
                "header_rows: auto) or year=")
        _require_column(frame, id_col, name=p.name, role="unit id")
        idx = ids_as_text(frame[id_col], name=p.name, column=id_col, log=log)
        idx = pd.Index(idx.str.strip(), name=id_col)
        frame = frame.drop(columns=[id_col])
        frame.index = idx
        check_ids(idx, name=p.name, column=id_col)
    frame = _numeric_columns(frame, name=p.name, log=log)
    if units is None:
        return frame
    unit_ids = units.index if isinstance(units, pd.DataFrame) else pd.Index(units)
    if zfill:
        width = int(pd.Index(unit_ids).astype(str).str.len().max())
        padded = frame.index.str.zfill(width)
        n = int((padded != frame.index).sum())
        if n:
            log.add(p.name, "ids", "repaired", count=n, detail=f"leading zeros restored (zfill to {width})")
        frame.index = pd.Index(padded, name=id_col)
        check_ids(frame.index, name=p.name, column=id_col)
    check_join(pd.Index(unit_ids), frame.index, left_name="units", right_name=p.name,
               min_match=min_match, log=log)
    out = frame.reindex(unit_ids)
    out.index.name = unit_ids.name
    return out


def _formatted(values: pd.Series, *, name: str, column: str, log: CheckLog) -> pd.Series:
    """A column of counts (capacity, volume) read with :func:`parse_numeric` (logged)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    out, counts = parse_numeric(values, name=f"{name}: {column}")
    changed = counts["reformatted"] + sum(counts["placeholders"].values())
    if changed:
        log.add(name, f"column {column!r}", "repaired", count=changed,
                detail=f"read as numbers: {describe_counts(counts)}")
    return out


def _numeric_columns(frame: pd.DataFrame, *, name: str, log: CheckLog) -> pd.DataFrame:
    """Text columns whose every value is a number or a placeholder become float (logged).

    A column with no number stays text (names, labels).  A column mixing numbers and
    text stays text with a warning: it is refused only if it is used as an indicator
    (the integration step parses it with :func:`~urbanrural.layers.numbers.parse_numeric`,
    which names the offending cells).
    """
    out = frame.copy()
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        label = f"{name}: {col}"
        try:
            values, counts = parse_numeric(s, name=label)
        except DataError as exc:
            kinds = classify_numeric(s)["kind"]
            n_num = int(kinds.isin(["number", "separated"]).sum())
            n_text = int(kinds.eq("text").sum())
            if n_num and n_text:
                log.add(name, f"column {col!r}", "warning", count=n_text,
                        detail=f"{n_num} numbers and {n_text} text value(s); kept as text, refused "
                               f"if used as an indicator ({exc})")
            continue
        if counts["numbers"] == 0:
            continue  # no number at all (placeholders only): not a numeric column
        out[col] = values
        changed = counts["reformatted"] + sum(counts["placeholders"].values())
        if changed:
            log.add(name, f"column {col!r}", "repaired", count=changed,
                    detail=f"read as numbers: {describe_counts(counts)}")
    return out


def read_flows(path: PathLike, *, origin_col: str = "origin", destination_col: str = "destination",
               volume_col: str = "volume", kind_col: str | None = None, year_col: str | None = None,
               kind: str | None = None, units: gpd.GeoDataFrame | None = None, unknown_ids: str = "drop",
               sheet: str | int | None = None, encoding: str | None = None,
               log: CheckLog | None = None) -> pd.DataFrame:
    """Read an origin-destination table (commuters, migrants, loans, land transfers).

    Returns a DataFrame with text ``origin``, ``destination``, a float ``volume`` >= 0,
    ``kind`` (the ``kind_col`` values, else ``kind`` or ``"flows"``) and ``year`` (the
    ``year_col`` values as integers, else missing). Bad rows are refused or repaired in
    the open, never silently:

    - a missing, negative or non-numeric volume: DataError naming the file rows;
    - ids that are not units (when ``units`` is given): dropped, counted and listed in
      the log (``unknown_ids="drop"``), or refused (``unknown_ids="refuse"``);
    - repeated (origin, destination, kind, year) rows: summed, with a note;
    - self-flows (origin == destination) are kept; the accounts hold them apart as
      intra-unit flows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> _ = p.write_text("o,d,n\\na,b,3\\na,b,2\\nb,a,1\\n")
    >>> read_flows(p, origin_col="o", destination_col="d", volume_col="n")[["origin", "destination", "volume"]]
      origin destination  volume
    0      a           b     5.0
    1      b           a     1.0
    """
    log = get_log(log)
    if unknown_ids not in ("drop", "refuse"):
        raise ValueError("unknown_ids must be 'drop' or 'refuse'")
    p = require_file(path, what="flow table")
    text = tuple(c for c in (origin_col, destination_col, kind_col) if c)
    frame = read_table(p, sheet=sheet, encoding=encoding, text_cols=text, log=log, encoding_key="flows: encoding")
    roles = [(origin_col, "origin"), (destination_col, "destination"), (volume_col, "volume")]
    roles += [(c, r) for c, r in ((kind_col, "kind"), (year_col, "year")) if c]
    for c, role in roles:
        _require_column(frame, c, name=p.name, role=role)
    rows = pd.RangeIndex(len(frame)) + 2  # the rows as a spreadsheet shows them (one header row)
    vol = frame[volume_col].set_axis(rows)
    vol = _formatted(vol, name=f"{p.name} (file rows)", column=volume_col, log=log)
    volume = check_numeric(vol, name=f"{p.name} column {volume_col!r} (file rows)", nonnegative=True)
    ids = {}
    for c, role in ((origin_col, "origin"), (destination_col, "destination")):
        v = frame[c]
        blank = v.isna() | (v.astype(str).str.strip() == "")
        if blank.any():
            raise DataError(f"{p.name}: {int(blank.sum())} row(s) without an {role} id in column {c!r} "
                            f"(file rows {preview(rows[blank.to_numpy()])}); fill or delete them")
        ids[role] = v.astype(str).str.strip().to_numpy()
    if kind_col:
        kinds = frame[kind_col].astype("string").str.strip().fillna("")
        if (kinds == "").any():
            raise DataError(f"{p.name}: {int((kinds == '').sum())} row(s) without a kind in column {kind_col!r} "
                            f"(file rows {preview(rows[(kinds == '').to_numpy()])}); fill them (e.g. commuting)")
        kind_values = kinds.to_numpy(dtype=object)
    else:
        kind_values = np.full(len(frame), kind or "flows", dtype=object)
    if year_col:
        years = pd.to_numeric(frame[year_col], errors="coerce")
        bad = years.isna() | (years % 1 != 0)
        if bad.any():
            raise DataError(f"{p.name}: {int(bad.sum())} row(s) with a year that is not a whole number in column "
                            f"{year_col!r} (file rows {preview(rows[bad.to_numpy()])}); write years like 2023")
        year_values = years.astype("Int64").to_numpy()
    else:
        year_values = pd.array([pd.NA] * len(frame), dtype="Int64")
    out = pd.DataFrame({"origin": ids["origin"], "destination": ids["destination"], "volume": volume.to_numpy(),
                        "kind": kind_values, "year": pd.array(year_values, dtype="Int64")})
    if units is not None:
        known = out["origin"].isin(units.index) & out["destination"].isin(units.index)
        if not known.any():
            raise DataError(f"{p.name}: no flow links two known units (e.g. {preview(out['origin'])}); check the ids "
                            f"against the units' id column (e.g. {preview(units.index[:3])})")
        if (~known).any():
            strange = pd.unique(np.concatenate([out.loc[~out["origin"].isin(units.index), "origin"].to_numpy(),
                                                out.loc[~out["destination"].isin(units.index), "destination"].to_numpy()]))
            if unknown_ids == "refuse":
                raise DataError(f"{p.name}: {int((~known).sum())} row(s) name {len(strange)} id(s) that are not units "
                                f"({preview(strange)}); correct them, or set flows: unknown_ids: drop to leave "
                                "those rows out")
            log.add(p.name, "flows with unknown ids", "dropped", count=int((~known).sum()),
                    detail=f"{len(strange)} id(s) not among the units: {preview(strange)} "
                           f"({out.loc[~known, 'volume'].sum():,.0f} of {out['volume'].sum():,.0f} volume)")
            out = out.loc[known].reset_index(drop=True)
    keys = ["origin", "destination", "kind", "year"]
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        n_before = len(out)
        out = out.groupby(keys, sort=False, dropna=False, as_index=False)["volume"].sum()
        log.add(p.name, "repeated flow pairs", "repaired", count=n_before - len(out),
                detail=f"{int(dup.sum())} rows for the same origin, destination, kind and year were summed")
    self_flows = out["origin"] == out["destination"]
    if self_flows.any():
        log.add(p.name, "intra-unit flows", "ok", count=int(self_flows.sum()),
                detail="origin = destination: kept apart as intra-unit flows, not counted in in/out")
    log.add(p.name, "flows read", "ok", count=len(out),
            detail=f"kinds: {', '.join(map(str, pd.unique(out['kind'])))}"
                   + ("" if out["year"].isna().all() else
                      f"; years: {', '.join(map(str, sorted(out['year'].dropna().unique())))}"))
    return out
