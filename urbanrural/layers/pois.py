"""POI exports of Chinese map services (AutoNavi/AMap 高德, Baidu 百度) as facilities.

A POI export is a CSV or XLSX table, one row per place, as the services' search APIs
return them and as crawlers save them:

- **AMap**: ``name, type, typecode, address, location`` (``"lng,lat"`` in one column) or
  ``lng``/``lat`` columns, ``pname, cityname, adname``; coordinates in **GCJ-02**.
  ``typecode`` holds 6-digit codes of AMap's POI classification, several joined by ``|``.
- **Baidu**: ``name, lat, lng, tag`` (or ``type``: ``"医疗;综合医院"``); coordinates in
  **BD-09**.

:func:`read_pois` detects the coordinate columns (or takes ``x=``/``y=``), converts the
coordinates to WGS 84 with :mod:`urbanrural.geo.china`, maps codes and tags to facility
categories with the table ``china_data/poi_categories.yaml`` (sources and limits in the
README beside it), and counts what it drops: rows without coordinates, duplicates, and
POIs of unmapped codes (the five most frequent are logged).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "poi.csv").write_text(
...     "name,type,typecode,location\\n"
...     "达州市中心医院,医疗保健服务;综合医院;三级甲等医院,090101,\\"107.4979,31.2137\\"\\n"
...     "通川区第一小学,科教文化服务;学校;小学,141203|141200,\\"107.5012,31.2101\\"\\n"
...     "加油站,汽车服务;加油站;中国石化,010101,\\"107.51,31.22\\"\\n", encoding="utf-8")
>>> pois = read_pois(d / "poi.csv")
>>> pois[["category", "name", "typecode"]]
                category     name typecode
facility_id
poi-0           hospital  达州市中心医院   090101
poi-1             school  通川区第一小学   141203
>>> round(float(pois.geometry.x.iloc[0]), 4), pois.crs.to_epsg()
(107.4933, 4326)
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from ..geo import china as coords
from ..geo.checks import CheckLog, get_log
from ..geo.errors import CRSError, DataError, InputFileError, UnknownNameError
from ..geo.io import require_file
from ..geo.validate import preview
from .readers import read_table

__all__ = ["read_pois", "poi_table", "SOURCES"]

PathLike = str | os.PathLike

SOURCES = {"amap": "gcj02", "baidu": "bd09"}
"""Known sources and the coordinates their exports use."""

_CRS = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09",
        "wgs84": "wgs84", "wgs-84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84"}

# column names as exports spell them (compared lower-case, without spaces and underscores)
_NAME = ("name", "名称", "poi名称", "poiname", "title", "标题")
_TYPECODE = ("typecode", "类型编码", "分类编码", "poitypecode", "typecodes", "类别编码")
_TYPE = ("type", "类型", "分类", "poitype", "类别")
_TAG = ("tag", "tags", "标签", "detailinfo.tag", "detailinfotag", "行业分类", "type", "类型", "分类")
_LOCATION = ("location", "坐标", "经纬度", "lnglat", "位置", "point")
_X = ("lng", "lon", "long", "longitude", "经度", "x", "lng_gcj02", "gcjlng", "bdlng", "bd09lng")
_Y = ("lat", "latitude", "纬度", "y", "lat_gcj02", "gcjlat", "bdlat", "bd09lat")
_ADDRESS = ("address", "地址", "详细地址")
_ID = ("id", "poiid", "uid", "poi_id", "编号")

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*[(\[]?\s*({_NUMBER})\s*[,，;\s]\s*({_NUMBER})\s*[)\]]?\s*$")
_KEYED = re.compile(rf"['\"]?(lat|lng|lon)['\"]?\s*[:=]\s*({_NUMBER})", re.IGNORECASE)


@lru_cache(maxsize=1)
def poi_table() -> dict:
    """The category tables (``china_data/poi_categories.yaml``), parsed once.

    Examples
    --------
    >>> poi_table()["amap"]["typecodes"]["150700"]["category"]
    'bus_stop'
    """
    path = Path(__file__).with_name("china_data") / "poi_categories.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _norm(col: object) -> str:
    return re.sub(r"[\s_\-]", "", str(col)).lower()


def _find(frame: pd.DataFrame, candidates: Iterable[str]) -> str | None:
    by_norm = {}
    for c in frame.columns:
        by_norm.setdefault(_norm(c), c)
    for cand in candidates:
        if _norm(cand) in by_norm:
            return by_norm[_norm(cand)]
    return None


def _pick(frame: pd.DataFrame, given: str | None, candidates: Iterable[str], *, name: str, role: str) -> str | None:
    if given is None:
        return _find(frame, candidates)
    if given not in frame.columns:
        from difflib import get_close_matches

        close = get_close_matches(str(given), [str(c) for c in frame.columns], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputFileError(f"{name} has no column {given!r} for the {role}{hint}; its columns are: "
                             + ", ".join(map(repr, frame.columns)))
    return given


def _split_location(values: pd.Series, *, name: str, column: str) -> tuple[pd.Series, pd.Series]:
    """``"lng,lat"`` (or ``{'lat': .., 'lng': ..}``) text -> two float Series (NaN if empty)."""
    x = pd.Series(np.nan, index=values.index)
    y = pd.Series(np.nan, index=values.index)
    bad = []
    for i, v in values.items():
        if v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip():
            continue
        text = str(v)
        keyed = dict((k.lower().replace("lon", "lng"), float(n)) for k, n in _KEYED.findall(text))
        if "lat" in keyed and "lng" in keyed:
            x[i], y[i] = keyed["lng"], keyed["lat"]
            continue
        m = _PAIR.match(text)
        if m:
            x[i], y[i] = float(m.group(1)), float(m.group(2))
        else:
            bad.append((i, text))
    if bad:
        shown = "; ".join(f"row {i}: {t!r}" for i, t in bad[:5])
        raise DataError(f"{name}: {len(bad)} value(s) of column {column!r} are not 'lng,lat' pairs ({shown}); "
                        "fix them or name two coordinate columns with x= and y=")
    return x, y


def _numbers(values: pd.Series, *, name: str, column: str) -> pd.Series:
    s = values.astype(object).where(values.notna(), None)
    text = s.map(lambda v: None if v is None or not str(v).strip() else str(v).strip())
    out = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & out.isna()
    if bad.any():
        raise DataError(f"{name}: {int(bad.sum())} value(s) of coordinate column {column!r} are not numbers "
                        f"(e.g. {preview(text[bad])}); fix them or choose other columns with x=/y=")
    return out.astype(float)


def _coordinates(frame: pd.DataFrame, *, x: str | None, y: str | None, name: str) -> tuple[pd.Series, pd.Series, str]:
    if (x is None) != (y is None):
        raise InputFileError(f"{name}: give both x= (longitude column) and y= (latitude column), or neither")
    if x is not None:
        xc = _pick(frame, x, (), name=name, role="x coordinate (longitude)")
        yc = _pick(frame, y, (), name=name, role="y coordinate (latitude)")
        if xc == yc:
            return (*_split_location(frame[xc], name=name, column=str(xc)), f"{xc!r}")
        return (_numbers(frame[xc], name=name, column=str(xc)), _numbers(frame[yc], name=name, column=str(yc)),
                f"{xc!r}/{yc!r}")
    xc, yc = _find(frame, _X), _find(frame, _Y)
    if xc is not None and yc is not None:
        return (_numbers(frame[xc], name=name, column=str(xc)), _numbers(frame[yc], name=name, column=str(yc)),
                f"{xc!r}/{yc!r}")
    loc = _find(frame, _LOCATION)
    if loc is not None:
        return (*_split_location(frame[loc], name=name, column=str(loc)), f"{loc!r}")
    raise InputFileError(
        f"{name} has no coordinate columns (looked for 'location' holding \"lng,lat\", or lng/lat, "
        f"lon/lat, 经度/纬度); its columns are: {', '.join(map(repr, frame.columns))}; name them with "
        "x= and y= (one column holding \"lng,lat\" may be given as both)")


def _check_degrees(x: pd.Series, y: pd.Series, *, name: str, where: str) -> None:
    ok = x.notna() & y.notna()
    xs, ys = x[ok], y[ok]
    looks_swapped = xs.between(3, 54) & ys.between(73, 136)
    looks_right = xs.between(73, 136) & ys.between(3, 54)
    if len(xs) and looks_swapped.mean() > 0.5 and not looks_right.any():
        raise CRSError(f"{name}: coordinates in {where} look swapped: the first values ({xs.iloc[0]}, "
                       f"{ys.iloc[0]}) read as latitude, longitude in China; give longitude first "
                       "(x= the longitude column, y= the latitude column)")
    off = (xs.abs() > 180) | (ys.abs() > 90)
    if off.any():
        raise CRSError(f"{name}: coordinates in {where} are not longitude/latitude degrees (e.g. "
                       f"{xs[off].iloc[0]}, {ys[off].iloc[0]}); POI exports give degrees: check the columns "
                       "(x= longitude, y= latitude)")


def _typecode_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value == int(value)):
        return str(int(value))
    text = str(value).strip()
    return text or None


def _amap_lookup(tables: tuple[Mapping[str, object], ...], code: str) -> tuple[bool, object]:
    """(known, category) for one code; a small class falls back to its middle class, in the
    user's mapping first, then in the table."""
    for table in tables:
        for key in (code, code[:4] + "00"):
            if key in table:
                return True, table[key]
    return False, None


def _map_amap(typecodes: pd.Series, tables: tuple[Mapping[str, object], ...], *, log: CheckLog, name: str
              ) -> tuple[pd.Series, pd.Series]:
    """Category and the code that gave it, per row (None where unmapped)."""
    cats: dict[str, tuple[object, str | None]] = {}
    padded = 0
    for raw in typecodes.dropna().unique():
        codes = [c.strip() for c in str(raw).split("|") if c.strip()]
        fixed = []
        for c in codes:
            c = c[:-2] if c.endswith(".0") else c
            if c.isdigit() and len(c) == 5:
                c = c.zfill(6)
                padded += int((typecodes == raw).sum())
            fixed.append(c)
        found: tuple[object, str | None] = (None, fixed[0] if fixed else None)
        for c in fixed:
            known, cat = _amap_lookup(tables, c)
            if known and cat is not None:
                found = (cat, c)
                break
        cats[raw] = found
    if padded:
        log.add(name, "typecode", "repaired", count=padded,
                detail="5-digit typecodes padded to 6 (the leading zero was lost, e.g. by Excel)")
    category = typecodes.map(lambda v: cats[v][0] if v in cats else None)
    code = typecodes.map(lambda v: cats[v][1] if v in cats else None)
    return category, code


def _map_baidu(tags: pd.Series, rules: list[tuple[str, object]]) -> pd.Series:
    def one(tag: object) -> object:
        if tag is None or (isinstance(tag, float) and np.isnan(tag)):
            return None
        text = str(tag)
        for keyword, cat in rules:
            if keyword in text:
                return cat
        return None

    return tags.map(one)


def _by_name(names: pd.Series, rules: list[dict]) -> pd.Series:
    def one(n: object) -> object:
        if n is None or (isinstance(n, float) and np.isnan(n)):
            return None
        for rule in rules:
            if any(k in str(n) for k in rule["keywords"]):
                return rule["category"]
        return None

    return names.map(one)


def read_pois(path: PathLike, *, source: str = "amap", crs: str | None = None, x: str | None = None,
              y: str | None = None, categories: Iterable[str] | None = None,
              mapping: Mapping[str, str | None] | None = None, sheet: str | int | None = None,
              encoding: str | None = None, log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Read an AMap or Baidu POI export (CSV/XLSX) as facility points in WGS 84.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8 with or without BOM, or GB18030) or XLSX.
    source : {"amap", "baidu"}
        Who made the export: AMap (typecodes, GCJ-02) or Baidu (tags, BD-09).
    crs : {"gcj02", "bd09", "wgs84"}, optional
        Coordinates of the file; default the source's own (gcj02 for amap, bd09 for baidu).
    x, y : str, optional
        Longitude and latitude columns; default detected (``location`` holding
        ``"lng,lat"``, or ``lng``/``lat``, ``lon``/``lat``, ``经度``/``纬度``).  A single
        ``"lng,lat"`` column may be given as both.
    categories : iterable of str, optional
        Keep only these categories (others counted, not kept).
    mapping : mapping, optional
        Extra entries for the table: AMap typecode -> category (``None`` to drop a code),
        or Baidu tag keyword -> category (tried before the table's keywords).
    sheet, encoding : optional
        Sheet of an XLSX; text encoding of a CSV (default UTF-8, then GB18030).
    log : CheckLog, optional
        Receives counts: rows without coordinates, duplicates, unmapped codes (top 5).

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with ``category``, ``name``, ``typecode`` (AMap: the code that
        gave the category, or the first code when the name did; Baidu: None), ``type`` (the source's type or tag text),
        ``address`` and ``capacity`` (NaN: exports carry no capacity); indexed by
        ``"<file stem>-<row>"`` (the row in the file, from 0).

    Raises
    ------
    UnknownNameError
        Unknown source, CRS or category.
    InputFileError
        No coordinate columns, no typecode (AMap) or tag (Baidu) column, no rows.
    CRSError
        Coordinates that are not degrees, or look swapped (latitude first).
    DataError
        Coordinates that are not numbers; no POI left with a category.
    """
    log = get_log(log)
    if source not in SOURCES:
        raise UnknownNameError(f"source {source!r} is not one of {', '.join(SOURCES)} (the service that made the export)")
    label = SOURCES[source] if crs is None else _CRS.get(str(crs).strip().lower())
    if label is None:
        raise UnknownNameError(f"crs {crs!r} of a POI export is not one of gcj02, bd09, wgs84")
    p = require_file(path, what="POI export")
    name = p.name
    text_cols = tuple(c for group in (_TYPECODE, _ID) for c in group) + ("typecode", "TypeCode", "TYPECODE")
    frame = read_table(p, sheet=sheet, encoding=encoding, text_cols=text_cols, log=log)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        raise InputFileError(f"{name} has a header but no rows; export the POIs again")
    table = poi_table()
    valid = set(table["categories"]) | {v for v in (mapping or {}).values() if v is not None}
    if categories is not None:
        categories = [categories] if isinstance(categories, str) else list(categories)
        unknown = [c for c in categories if c not in valid]
        if unknown:
            raise UnknownNameError(f"unknown POI categor{'y' if len(unknown) == 1 else 'ies'} {unknown}; valid: "
                                   + ", ".join(sorted(valid)))

    # which columns
    name_col = _find(frame, _NAME)
    if source == "amap":
        code_col = _find(frame, _TYPECODE)
        if code_col is None:
            raise InputFileError(
                f"{name} has no 'typecode' column, which AMap exports carry (6-digit codes such as "
                f"090100); its columns are: {', '.join(map(repr, frame.columns))}; export with typecode, "
                "or read it as Baidu-style text tags with source='baidu' and crs='gcj02'")
        type_col = _find(frame, _TYPE)
    else:
        code_col = None
        type_col = _find(frame, _TAG)
        if type_col is None:
            raise InputFileError(
                f"{name} has no 'tag' (or 'type') column with Baidu's categories (such as "
                f"'医疗;综合医院'); its columns are: {', '.join(map(repr, frame.columns))}")

    # coordinates
    lon, lat, where = _coordinates(frame, x=x, y=y, name=name)
    missing = lon.isna() | lat.isna()
    if missing.all():
        raise DataError(f"{name}: no row has coordinates in {where}; check the export")
    _check_degrees(lon, lat, name=name, where=where)
    if missing.any():
        log.add(name, "coordinates", "dropped", count=int(missing.sum()),
                detail=f"rows without coordinates in {where} (rows {preview(np.flatnonzero(missing))})")
    keep = ~missing
    frame, lon, lat = frame.loc[keep], lon[keep], lat[keep]

    # duplicates: the same POI id, or the same name at the same place (overlapping crawls)
    id_col = _find(frame, _ID)
    key = frame[id_col].astype(str) if id_col is not None else (
        frame[name_col].astype(str) if name_col is not None else pd.Series("", index=frame.index))
    if id_col is None:
        key = key + "|" + lon.round(7).astype(str) + "|" + lat.round(7).astype(str)
    dup = key.duplicated() & (frame[id_col].notna() if id_col is not None else True)
    if dup.any():
        log.add(name, "duplicate POIs", "dropped", count=int(dup.sum()),
                detail=(f"same {id_col!r}" if id_col is not None else "same name and coordinates")
                + f" (e.g. {preview(key[dup])})")
        frame, lon, lat = frame.loc[~dup], lon[~dup], lat[~dup]

    # categories
    names = frame[name_col] if name_col is not None else pd.Series(None, index=frame.index, dtype=object)
    if source == "amap":
        codes_table = {k: (v or {}).get("category") for k, v in table["amap"]["typecodes"].items()}
        user = {str(k).zfill(6): v for k, v in (mapping or {}).items()}
        raw = frame[code_col].map(_typecode_text)
        category, used = _map_amap(raw, (user, codes_table), log=log, name=name)
        first = raw.map(lambda v: None if v is None else str(v).split("|")[0].strip())
        no_names = first.fillna("").str.zfill(6).str[:2].isin(table["amap"]["no_name_rules"])
    else:
        rules = [(str(k), v) for k, v in (mapping or {}).items()]
        rules += [(r["keyword"], r["category"]) for r in table["baidu"]["tags"]]
        category = _map_baidu(frame[type_col], rules)
        used = pd.Series(None, index=frame.index, dtype=object)
        first = frame[type_col].astype(object).where(frame[type_col].notna(), None)
        tags = first.fillna("").astype(str)
        no_names = tags.map(lambda t: any(k in t for k in table["baidu"]["no_name_rules"]))
    by_name = _by_name(names, table["names"]).where(category.isna() & ~no_names, None)
    if by_name.notna().any():
        counts = by_name.dropna().value_counts()
        log.add(name, "categories by name", "info", count=int(by_name.notna().sum()),
                detail=", ".join(f"{k} x{v}" for k, v in counts.items()) + " (no code or tag of theirs is mapped)")
        category = category.where(category.notna(), by_name)
    unmapped = category.isna()
    if unmapped.any():
        described = first[unmapped].fillna("<none>").astype(str)
        if type_col is not None and source == "amap":
            described = described + " " + frame.loc[unmapped, type_col].fillna("").astype(str).str.split(";").str[-1]
        top = Counter(described.str.strip()).most_common(5)
        log.add(name, "unmapped POIs", "dropped", count=int(unmapped.sum()),
                detail="codes mapped to no category, not kept; most frequent: "
                + ", ".join(f"{k} x{v}" for k, v in top))
    kept = ~unmapped
    if categories is not None:
        other = kept & ~category.isin(categories)
        if other.any():
            log.add(name, "other categories", "dropped", count=int(other.sum()),
                    detail=f"not in categories={categories}: "
                    + ", ".join(f"{k} x{v}" for k, v in category[other].value_counts().items()))
        kept &= ~other
    if not kept.any():
        wanted = f" in {categories}" if categories is not None else ""
        raise DataError(f"{name}: none of its {len(frame)} POIs has a category{wanted}; check source= "
                        f"({source!r}) and the codes/tags, or add them with mapping=")

    # coordinates to WGS 84
    x_arr, y_arr = lon[kept].to_numpy(float), lat[kept].to_numpy(float)
    outside = ~coords.in_china(x_arr, y_arr)
    if label != "wgs84" and outside.any():
        log.add(name, "coordinates", "warning", count=int(outside.sum()),
                detail=f"outside China's {label.upper()} area: kept as they are (no offset applies there)")
    if label == "bd09":
        x_arr, y_arr = coords.bd09_to_wgs84(x_arr, y_arr)
    elif label == "gcj02":
        x_arr, y_arr = coords.gcj02_to_wgs84(x_arr, y_arr)
    if label != "wgs84":
        log.add(name, "coordinates", "info", count=int(kept.sum()), detail=f"{label.upper()} converted to WGS 84")

    sub = frame.loc[kept]
    addr_col = _find(sub, _ADDRESS)
    out = gpd.GeoDataFrame({
        "category": category[kept].astype(str).to_numpy(),
        "name": (sub[name_col].astype(object).where(sub[name_col].notna(), None).to_numpy()
                 if name_col is not None else None),
        "typecode": used[kept].to_numpy(dtype=object),
        "type": (sub[type_col].astype(object).where(sub[type_col].notna(), None).to_numpy()
                 if type_col is not None else None),
        "address": (sub[addr_col].astype(object).where(sub[addr_col].notna(), None).to_numpy()
                    if addr_col is not None else None),
        "capacity": np.nan,
    }, geometry=gpd.points_from_xy(x_arr, y_arr), crs="EPSG:4326",
        index=pd.Index([f"{p.stem}-{i}" for i in sub.index], name="facility_id"))
    log.add(name, "POIs read", "ok", count=len(out),
            detail=f"{source}, coordinates from {where}; "
            + ", ".join(f"{k}: {v}" for k, v in out["category"].value_counts().items()))
    return out
