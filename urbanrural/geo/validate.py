"""Checks on geometries, ids, joins and values.

Each check collects every problem of its kind, then raises once with a message that
names the input, the rule and the fix, or repairs explicitly and records a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .checks import CheckLog, get_log
from .errors import DataError, GeometryError, IdError, JoinError

__all__ = [
    "POLYGONAL",
    "LINEAR",
    "PUNTAL",
    "check_geometries",
    "drop_z",
    "check_overlaps",
    "OVERLAP_TOLERANCE",
    "ids_as_text",
    "check_ids",
    "check_join",
    "check_numeric",
    "preview",
]

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")
PUNTAL = ("Point", "MultiPoint")


def preview(values: Iterable[object], n: int = 5) -> str:
    """First ``n`` values as text, with a count of the rest: ``'a', 'b' and 3 more``."""
    vals = list(values)
    head = ", ".join(repr(str(v)) for v in vals[:n])
    return head + (f" and {len(vals) - n} more" if len(vals) > n else "")


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal part of a make_valid result (drops stray lines/points)."""
    if geom is None or geom.geom_type in POLYGONAL:
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in POLYGONAL]
    polys = []
    for p in parts:
        polys.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
    return shapely.MultiPolygon(polys) if polys else shapely.Polygon()


EMPTY_HINT = ("fix them in the source, or pass drop_empty=True (config: units: drop_empty: true) "
              "to drop them with a count in the log")
INVALID_HINT = "repair them in the source or pass repair=True (config: units: repair: true)"


def check_geometries(gdf: gpd.GeoDataFrame, *, name: str, expected: Sequence[str],
                     repair: bool = True, drop_empty: bool = False, drop_invalid: bool = False,
                     empty_hint: str | None = None, invalid_hint: str | None = None,
                     log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Check geometries for None/empty, invalidity and type; return a checked copy.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer (not modified).
    name : str
        Name of the input in messages, e.g. ``"units.gpkg"``.
    expected : sequence of str
        Allowed geometry types, e.g. :data:`POLYGONAL`.
    repair : bool, default True
        Repair invalid geometries with ``shapely.make_valid`` (keeping the expected
        dimension) and record the count; if False, invalid geometries raise.
    drop_empty : bool, default False
        Drop None/empty geometries (counted); if False, they raise.
    drop_invalid : bool, default False
        With ``repair=False``: drop invalid geometries (counted) instead of raising
        (e.g. road lines with fewer than two distinct points carry no road).
    empty_hint, invalid_hint : str, optional
        The fix named in the message for empty and for invalid geometries.  The caller
        knows which options (and config keys) its input has; the defaults name the
        units' ``drop_empty`` and ``repair``.
    log : CheckLog, optional
        Where checks and repairs are recorded.

    Raises
    ------
    GeometryError
        Empty or missing geometries (unless ``drop_empty``), invalid geometries (unless
        ``repair``), or geometries of an unexpected type.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> g = gpd.GeoDataFrame(geometry=[bowtie], crs=3857)
    >>> out = check_geometries(g, name="bowtie", expected=POLYGONAL)
    >>> bool(out.geometry.is_valid.all())
    True
    """
    log = get_log(log)
    out = gdf.copy()
    geoms = out.geometry.values
    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    if missing.any():
        ids = out.index[missing]
        if not drop_empty:
            raise GeometryError(
                f"{name}: {int(missing.sum())} feature(s) have an empty or missing geometry "
                f"(ids {preview(ids)}); {empty_hint or EMPTY_HINT}"
            )
        out = out.loc[~missing].copy()
        log.add(name, "empty geometries", "dropped", count=int(missing.sum()), detail=f"ids {preview(ids)}")
    arr = np.asarray(out.geometry.values)
    names = out.geom_type.to_numpy(dtype=object)
    bad_type = ~np.isin(names, list(expected))
    if bad_type.any():
        found = pd.Series(names[bad_type]).value_counts()
        raise GeometryError(
            f"{name}: expected {' or '.join(expected)} geometries but found "
            + ", ".join(f"{n} x{c}" for n, c in found.items())
            + f" (ids {preview(out.index[bad_type])}); give this input a layer of "
            f"{' / '.join(expected)} only"
        )
    invalid = ~shapely.is_valid(arr)
    if invalid.any():
        reasons = pd.Series(shapely.is_valid_reason(arr[invalid])).str.replace(r"\[.*\]", "", regex=True)
        summary = "; ".join(f"{r.strip()} x{c}" for r, c in reasons.value_counts().items())
        ids = out.index[invalid]
        if not repair and drop_invalid:
            out = out.loc[~invalid].copy()
            log.add(name, "geometry validity", "dropped", count=int(invalid.sum()),
                    detail=f"invalid geometries dropped: {summary}; ids {preview(ids)}")
            if len(out) == 0:
                raise GeometryError(f"{name}: every geometry is invalid ({summary}); fix the source")
            return out
        if not repair:
            raise GeometryError(
                f"{name}: {int(invalid.sum())} invalid geometries ({summary}; ids {preview(ids)}); "
                f"{invalid_hint or INVALID_HINT}"
            )
        fixed = shapely.make_valid(arr[invalid])
        if set(expected) <= set(POLYGONAL):
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        still = shapely.is_empty(fixed) | ~shapely.is_valid(fixed)
        if still.any():
            raise GeometryError(
                f"{name}: {int(still.sum())} geometries could not be repaired (ids "
                f"{preview(ids[still])}); fix them in the source"
            )
        geom_col = out.geometry.name
        newcol = out[geom_col].values.copy()
        newcol[np.flatnonzero(invalid)] = fixed
        out[geom_col] = gpd.GeoSeries(newcol, index=out.index, crs=out.crs)
        log.add(name, "geometry validity", "repaired", count=int(invalid.sum()),
                detail=f"make_valid: {summary}; ids {preview(ids)}")
    else:
        log.add(name, "geometry validity", "ok", count=len(out))
    return out


def drop_z(gdf: gpd.GeoDataFrame, *, name: str, log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Drop Z (and M) coordinates, counted in ``log``; 2D layers are returned as they are.

    Heights are not used by any analysis, and 3D geometries break maps and some
    overlays, so they are flattened at read time.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2, 3)], crs=3857)
    >>> bool(drop_z(g, name="pts").has_z.any())
    False
    """
    log = get_log(log)
    arr = np.asarray(gdf.geometry.values)
    has_z = shapely.has_z(arr)
    has_m = shapely.has_m(arr) if hasattr(shapely, "has_m") else np.zeros(len(arr), bool)
    flat = has_z | has_m
    if not flat.any():
        return gdf
    out = gdf.copy()
    geom_col = out.geometry.name
    out[geom_col] = gpd.GeoSeries(shapely.force_2d(arr), index=out.index, crs=out.crs)
    what = " and ".join(k for k, v in (("Z", has_z.any()), ("M", has_m.any())) if v)
    log.add(name, "3D coordinates", "repaired", count=int(flat.sum()),
            detail=f"{what} coordinates dropped (analyses and maps are 2D)")
    return out


OVERLAP_TOLERANCE = 0.01
"""Default largest accepted overlap of two units, as a share of the smaller one's area."""


def check_overlaps(gdf: gpd.GeoDataFrame, *, name: str, tolerance: float = OVERLAP_TOLERANCE,
                   log: CheckLog | None = None, chunk: int = 512) -> int:
    """Refuse units that overlap; count digitising slivers below ``tolerance``.

    Pairs are found with an STRtree (``predicate="intersects"``), so the cost grows with
    the number of neighbouring pairs, not with the square of the units.  A pair's
    overlap is the area of the intersection divided by the smaller unit's area.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons (valid), indexed by id.
    name : str
        The input in messages.
    tolerance : float, default 0.01
        Largest accepted overlap share (config ``units: overlap_tolerance``); slivers
        up to it are logged with a count.
    log : CheckLog, optional
    chunk : int, default 512
        Units queried at a time (bounds memory when many units coincide).

    Returns
    -------
    int
        The number of overlapping pairs within the tolerance (slivers).

    Raises
    ------
    GeometryError
        When a pair overlaps by more than ``tolerance`` (up to five pairs named with
        their shares): population and services would be counted once per unit.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    ...                      index=["a", "b"], crs=3857)
    >>> check_overlaps(g, name="units")
    0
    """
    log = get_log(log)
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance <= 1):
        raise GeometryError(f"{name}: overlap_tolerance must be a share in [0, 1], got {tolerance!r}")
    geoms = np.asarray(gdf.geometry.values)
    n = len(geoms)
    if n < 2:
        return 0
    areas = shapely.area(geoms)
    tree = shapely.STRtree(geoms)
    bad_i: list[np.ndarray] = []
    bad_j: list[np.ndarray] = []
    bad_s: list[np.ndarray] = []
    n_bad = 0
    slivers = 0
    worst_sliver = 0.0
    for start in range(0, n, chunk):
        q = np.arange(start, min(start + chunk, n))
        left, right = tree.query(geoms[q], predicate="intersects")
        left = q[left]
        keep = left < right
        left, right = left[keep], right[keep]
        if not len(left):
            continue
        touch = shapely.touches(geoms[left], geoms[right])
        left, right = left[~touch], right[~touch]
        if not len(left):
            continue
        inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        smaller = np.minimum(areas[left], areas[right])
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(smaller > 0, inter / smaller, 0.0)
        over = share > tolerance
        small = (share > 0) & ~over
        slivers += int(small.sum())
        if small.any():
            worst_sliver = max(worst_sliver, float(share[small].max()))
        if over.any():
            bad_i.append(left[over])
            bad_j.append(right[over])
            bad_s.append(share[over])
            n_bad += int(over.sum())
            if n_bad >= 10_000:
                break
    if n_bad:
        i, j, sh = np.concatenate(bad_i), np.concatenate(bad_j), np.concatenate(bad_s)
        order = np.argsort(-sh, kind="stable")[:5]
        ids = gdf.index
        shown = ", ".join(f"{str(ids[i[k]])!r} & {str(ids[j[k]])!r}: {sh[k]:.0%}" for k in order)
        count = f"at least {n_bad}" if n_bad >= 10_000 else str(n_bad)
        raise GeometryError(
            f"{name}: {count} pair(s) of units overlap by more than {tolerance:.0%} of the smaller "
            f"unit's area ({shown}{' ...' if n_bad > 5 else ''}); people and services there would "
            "be counted once per unit: each place must belong to one unit, so fix the boundaries "
            "(or remove duplicated units) in the source; for digitising slivers only, raise "
            "the tolerance (config: units: overlap_tolerance: 0.02)"
        )
    if slivers:
        log.add(name, "overlapping units", "warning", count=slivers,
                detail=f"pairs overlapping by slivers below {tolerance:.0%} of the smaller unit "
                       f"(largest {worst_sliver:.3%}); kept: each raster cell still goes to one unit")
    else:
        log.add(name, "overlapping units", "ok", count=n)
    return slivers


def ids_as_text(values: pd.Series | pd.Index, *, name: str, column: str,
                log: CheckLog | None = None) -> pd.Index:
    """Ids as a text Index; numbers are converted (whole floats lose their ``.0``).

    Ids stored as numbers may already have lost leading zeros; that is logged.
    """
    log = get_log(log)
    s = pd.Series(values)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        log.add(name, f"id column {column!r}", "warning",
                detail="stored as numbers; converted to text (leading zeros, if any, were lost in the file)")
        if pd.api.types.is_float_dtype(s):
            nonint = s.notna() & (s != np.floor(s))
            if nonint.any():
                raise IdError(f"{name}: id column {column!r} holds fractional numbers ({preview(s[nonint])}); use a text or integer code column")
            s = s.astype("Int64")
    out = s.astype("string").astype(object)
    out = out.where(s.notna(), None)
    return pd.Index(out, name=column, dtype=object)


def check_ids(ids: pd.Index | pd.Series, *, name: str, column: str) -> None:
    """Raise IdError for missing or duplicated ids, listing them.

    Examples
    --------
    >>> import pandas as pd
    >>> check_ids(pd.Index(["01", "02", "01"]), name="units.gpkg", column="code")
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.IdError: units.gpkg: id column 'code' has 1 duplicated id(s): '01'...
    """
    s = pd.Series(ids)
    problems = []
    blank = s.isna() | (s.astype(str).str.strip() == "")
    if blank.any():
        problems.append(f"{int(blank.sum())} missing id(s) (rows {preview(np.flatnonzero(blank))})")
    dup = s[~blank & s.duplicated(keep=False)]
    if len(dup):
        problems.append(f"{dup.nunique()} duplicated id(s): {preview(dup.unique())}")
    if problems:
        raise IdError(
            f"{name}: id column {column!r} has " + " and ".join(problems)
            + "; every unit needs a unique code: fix the source or choose another id column"
        )


def check_join(left: pd.Index, right: pd.Index, *, left_name: str, right_name: str,
               min_match: float = 0.5, log: CheckLog | None = None) -> float:
    """Check that the ids of a table (``right``) match the units (``left``).

    Returns the share of units that have a row.  Raises JoinError when codes look like
    they lost their leading zeros, or when fewer than ``min_match`` of the units match.
    Unmatched rows on either side are logged with counts.
    """
    log = get_log(log)
    left_s = pd.Index(left.astype(str))
    right_s = pd.Index(right.astype(str))
    matched = left_s.isin(right_s)
    rate = float(matched.mean()) if len(left_s) else 0.0
    extra = right_s[~right_s.isin(left_s)]
    if rate < 0.5 and len(extra):
        # the other way round: the units' codes lost their zeros (stored as numbers)
        unmatched = left_s[~matched]
        stripped = pd.Index(right_s.str.lstrip("0"))
        if len(unmatched) and unmatched.isin(stripped).mean() > 0.5 and not unmatched.isin(right_s).any():
            k = int(np.flatnonzero(stripped == unmatched[0])[0]) if (stripped == unmatched[0]).any() else 0
            raise JoinError(
                f"{left_name}: its ids look like {right_name}'s codes with the leading zeros lost "
                f"(e.g. {unmatched[0]!r} vs {right_s[k]!r}): the id column of {left_name} is stored "
                "as numbers; store it as text in the source (in QGIS or Excel, make the field "
                "Text and re-enter or re-import the codes)"
            )
    if rate < 1.0:
        width = left_s.str.len()
        if len(extra) and (width == width.max()).all():
            padded = extra.str.zfill(int(width.max()))
            if padded.isin(left_s).mean() > 0.5:
                raise JoinError(
                    f"{right_name}: its ids look like {left_name}'s codes with the leading zeros "
                    f"lost (e.g. {extra[0]!r} vs {padded[0]!r}); read the id column as text "
                    "(in a spreadsheet, format the column as Text before saving), or pass "
                    "zfill=True (config: indicators: zfill: true) to pad them back"
                )
    if rate < min_match:
        raise JoinError(
            f"{right_name}: only {matched.sum()} of {len(left_s)} units of {left_name} "
            f"({rate:.0%}) have a row (e.g. units {preview(left_s[~matched])}; table ids "
            f"{preview(right_s[:5])}); check that the id columns hold the same codes"
        )
    if (~matched).any():
        log.add(right_name, f"join to {left_name}", "warning", count=int((~matched).sum()),
                detail=f"units without a row: {preview(left_s[~matched])}")
    if len(extra):
        log.add(right_name, f"join to {left_name}", "warning", count=len(extra),
                detail=f"rows matching no unit (ignored): {preview(extra)}")
    if rate == 1.0 and not len(extra):
        log.add(right_name, f"join to {left_name}", "ok", count=len(left_s))
    return rate


def check_numeric(values: pd.Series, *, name: str, allow_nan: bool = False,
                  nonnegative: bool = False, positive: bool = False) -> pd.Series:
    """Values as float; raise DataError for text, NaN (unless allowed), negatives."""
    s = pd.to_numeric(values, errors="coerce")
    bad_text = s.isna() & pd.Series(values).notna()
    if bad_text.any():
        raise DataError(f"{name}: {int(bad_text.sum())} value(s) are not numbers "
                        f"(e.g. {preview(pd.Series(values)[bad_text])}); clean the column")
    s = s.astype(float)
    if np.isinf(s).any():
        raise DataError(f"{name}: {int(np.isinf(s).sum())} infinite value(s) (ids {preview(s.index[np.isinf(s)])}); "
                        "write finite numbers (a ratio divided by zero?)")
    if not allow_nan and s.isna().any():
        raise DataError(f"{name}: {int(s.isna().sum())} missing value(s) (ids {preview(s.index[s.isna()])}); fill or drop them explicitly")
    if positive and (s <= 0).any():
        raise DataError(f"{name}: {int((s <= 0).sum())} value(s) are <= 0 (ids {preview(s.index[s <= 0])}); values must be positive")
    if nonnegative and (s < 0).any():
        raise DataError(f"{name}: {int((s < 0).sum())} negative value(s) (ids {preview(s.index[s < 0])}); values must be >= 0")
    return s
