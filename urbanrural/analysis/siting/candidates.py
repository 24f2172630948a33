"""Candidate sites, the constraints that exclude or restrict them, and demand weights.

- :func:`candidate_sites`: candidate points from analysis units (one point inside each
  unit), settlements (given points), a grid over populated raster cells (optionally
  aggregated to a coarser spacing) or a vector file (points, or polygons -> one point
  inside each);
- :func:`apply_constraints`: constraint layers that *exclude* candidates (inside, or
  within ``buffer_m`` of, an ecological red line, a flood zone...), *restrict* them
  (keep only those inside land zoned for public service) or a raster rule (slope above
  a maximum); every constraint is counted in :attr:`Candidates.report`;
- :func:`demand_weights`: demand per demand point from its people, optionally rural
  people only or weighted by a per-unit share (e.g. the elderly share for nursing homes).

Everything is in the analysis CRS (projected, metres). Candidates are a GeoDataFrame of
points indexed by text ids (``site``): the units' ids, the settlements' or the file's
ids when they have them, else ``cand-0001``, ``cand-0002``...

Examples
--------
>>> import geopandas as gpd, shapely
>>> units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
...                          index=["u1", "u2"], crs=32650)
>>> cand = candidate_sites("units", units=units)
>>> red = gpd.GeoDataFrame(geometry=[shapely.box(1200, 200, 1800, 800)], crs=32650)
>>> kept = apply_constraints(cand, [{"layer": red, "rule": "exclude", "name": "ecological red line",
...                                  "name_zh": "生态保护红线"}], crs=32650)
>>> list(kept.sites.index), kept.summary(), kept.summary(language="zh")
(['u1'], '2 candidates, 1 excluded by ecological red line; 1 kept', '2 个候选点，生态保护红线排除 1 个，保留 1 个')
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from ...geo.crs import crs_label, require_projected
from ...geo.errors import CRSError, DataError, GeometryError, IdError, UnknownNameError
from ...geo.raster import RasterInfo, open_raster, read_band, read_masked, window_for
from ...geo.validate import check_ids, ids_as_text, preview
from ..accessibility.demand import unit_points

__all__ = ["Candidates", "candidate_sites", "apply_constraints", "demand_weights", "point_classes", "KINDS", "RULES",
           "REPORT_COLUMNS"]

KINDS = ("units", "settlements", "grid", "file")
RULES = ("exclude", "restrict", "exclude_above", "exclude_below")
REPORT_COLUMNS = ["constraint", "rule", "before", "excluded", "after", "buffer_m", "limit", "constraint_zh"]
_KEYS = {"layer", "raster", "rule", "name", "name_zh", "buffer_m", "max", "min", "nodata"}
_ID_WIDTH = 4


def _empty_report() -> pd.DataFrame:
    return pd.DataFrame({"constraint": pd.Series([], dtype=object), "rule": pd.Series([], dtype=object),
                         "before": pd.Series([], dtype="int64"), "excluded": pd.Series([], dtype="int64"),
                         "after": pd.Series([], dtype="int64"), "buffer_m": pd.Series([], dtype=float),
                         "limit": pd.Series([], dtype=float), "constraint_zh": pd.Series([], dtype=object)})


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate sites and how the constraints thinned them.

    Attributes
    ----------
    sites : GeoDataFrame
        Points in the analysis CRS, indexed by text ids (``site``); column ``source`` (the
        kind) and, by kind, ``unit``, ``people``, ``point`` and the input's attributes.
    report : DataFrame
        One row per constraint applied, in order: ``constraint`` (name), ``rule``,
        ``before``, ``excluded``, ``after`` (counts; each ``after`` is the next ``before``),
        ``buffer_m``, ``limit`` (raster rules), ``constraint_zh`` (name in Chinese).
    notes : tuple of str
        What was done on the way (layers reprojected, geometries repaired, cells dropped).
    """

    sites: gpd.GeoDataFrame
    report: pd.DataFrame = field(default_factory=_empty_report)
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.sites)

    def summary(self, language: str = "en") -> str:
        """One line: the candidates, what each constraint excluded and how many are kept.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> c = Candidates(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], index=["a"], crs=32650))
        >>> c.summary(), c.summary(language="zh")
        ('1 candidates (no constraint applied)', '1 个候选点（未施加约束）')
        """
        if language not in ("en", "zh"):
            raise UnknownNameError(f"language must be 'en' or 'zh'; got {language!r}")
        zh = language == "zh"
        if not len(self.report):
            return f"{len(self.sites)} 个候选点（未施加约束）" if zh else f"{len(self.sites)} candidates (no constraint applied)"
        parts = [f"{int(self.report['before'].iloc[0])} 个候选点" if zh
                 else f"{int(self.report['before'].iloc[0])} candidates"]
        for r in self.report.itertuples(index=False):
            name = (r.constraint_zh or r.constraint) if zh else r.constraint
            k = int(r.excluded)
            if r.rule == "exclude":
                parts.append(f"{name}排除 {k} 个" if zh else f"{k} excluded by {name}")
            elif r.rule == "restrict":
                parts.append(f"{name}以外 {k} 个" if zh else f"{k} outside {name}")
            elif r.rule == "exclude_above":
                parts.append(f"{name}超过 {r.limit:g} 排除 {k} 个" if zh else f"{k} excluded by {name} above {r.limit:g}")
            else:
                parts.append(f"{name}低于 {r.limit:g} 排除 {k} 个" if zh else f"{k} excluded by {name} below {r.limit:g}")
        n = len(self.sites)
        return "，".join(parts) + f"，保留 {n} 个" if zh else ", ".join(parts) + f"; {n} kept"


# ---------------------------------------------------------------- candidate sources

def _cand_ids(n: int) -> pd.Index:
    width = max(_ID_WIDTH, len(str(n)))
    return pd.Index([f"cand-{i:0{width}d}" for i in range(1, n + 1)], name="site", dtype=object)


def _target_crs(crs: object, default: object, *, name: str) -> CRS:
    """The analysis CRS: ``crs`` when given, else the layer's; projected metres."""
    target = crs if crs is not None else default
    if target is None:
        raise CRSError(f"{name} has no CRS and no crs= was given; pass crs='EPSG:xxxx' (the analysis CRS)")
    return require_projected(target, name=name if crs is None else "crs", what="siting distances")


def _in_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRS, *, name: str, notes: list[str]) -> Any:
    if gdf.crs is None:
        raise CRSError(f"{name} has no CRS; set one (gdf.set_crs('EPSG:xxxx')) naming the CRS of its coordinates")
    if not CRS.from_user_input(gdf.crs).equals(crs):
        notes.append(f"{name} reprojected from {crs_label(gdf.crs)} to {crs_label(crs)}")
        return gdf.to_crs(crs)
    return gdf


def _check_geoms(geom: gpd.GeoSeries, *, name: str) -> None:
    bad = geom.isna() | geom.is_empty
    if bad.any():
        raise GeometryError(f"{name}: {int(bad.sum())} feature(s) have no geometry (rows "
                            f"{preview(np.flatnonzero(bad.to_numpy()))}); drop or fix them")


def _points_of(gdf: gpd.GeoDataFrame, *, name: str) -> gpd.GeoDataFrame:
    """Points as they are; polygons -> the one point inside (centroid when inside, else the
    representative point), recorded in ``point``; lines are refused."""
    _check_geoms(gdf.geometry, name=name)
    kinds = gdf.geom_type
    lines = kinds.str.contains("Line").to_numpy()
    if lines.any():
        raise GeometryError(f"{name}: {int(lines.sum())} feature(s) are lines; candidates are points or "
                            "polygons (a site's parcel): give points or polygons")
    out = gdf.copy()
    multi = (kinds == "MultiPoint").to_numpy()
    if multi.any():
        raise GeometryError(f"{name}: {int(multi.sum())} feature(s) are multipoints; explode them "
                            "(gdf.explode()) so that each site is one point")
    poly = kinds.str.contains("Polygon").to_numpy()
    if poly.any():
        p = unit_points(gdf[poly])
        geom = out.geometry.to_numpy().copy()
        geom[poly] = shapely.points(p["x"].to_numpy(), p["y"].to_numpy())
        out = out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs=gdf.crs))
        point = np.full(len(out), "given point", dtype=object)
        point[poly] = p["point"].to_numpy()
        out["point"] = point
    return out


def _text_ids(index: pd.Index) -> pd.Index | None:
    """The index as text ids when it holds text ids, else None (a RangeIndex, numbers)."""
    if len(index) and all(isinstance(v, str) for v in index):
        return pd.Index(index, name="site", dtype=object)
    return None


def _finish(gdf: gpd.GeoDataFrame, ids: pd.Index, *, kind: str, name: str) -> gpd.GeoDataFrame:
    check_ids(ids, name=name, column="site id")
    out = gdf.copy()
    out.index = pd.Index(ids, name="site", dtype=object)
    out.insert(0, "source", kind)
    return out


def _from_units(units: gpd.GeoDataFrame, crs: CRS, notes: list[str]) -> gpd.GeoDataFrame:
    units = _in_crs(units, crs, name="units", notes=notes)
    _check_geoms(units.geometry, name="units")
    p = unit_points(units)
    ids = pd.Index([str(v) for v in units.index], dtype=object)
    moved = int((p["point"] != "centroid").sum())
    if moved:
        notes.append(f"{moved} unit(s) whose centroid lies outside them get their representative point")
    gdf = gpd.GeoDataFrame({"unit": ids.to_numpy(), "point": p["point"].to_numpy()},
                           geometry=shapely.points(p["x"].to_numpy(), p["y"].to_numpy()), crs=crs)
    return _finish(gdf, ids, kind="units", name="units")


def _from_points(layer: object, crs: CRS, *, kind: str, name: str, id_col: str | None,
                 notes: list[str]) -> gpd.GeoDataFrame:
    if isinstance(layer, gpd.GeoSeries):
        layer = gpd.GeoDataFrame(geometry=layer)
    if not isinstance(layer, gpd.GeoDataFrame):
        raise DataError(f"{name} must be a GeoDataFrame of points (or polygons); got {type(layer).__name__}")
    if not len(layer):
        raise DataError(f"{name} has no features; give at least one candidate")
    layer = _in_crs(layer, crs, name=name, notes=notes)
    pts = _points_of(layer, name=name)
    if id_col is not None:
        if id_col not in pts.columns:
            close = difflib.get_close_matches(id_col, [str(c) for c in pts.columns], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise IdError(f"{name} has no id column {id_col!r}{hint}; its columns are "
                          f"{', '.join(map(str, pts.columns.drop(pts.geometry.name)))}")
        ids = ids_as_text(pts[id_col], name=name, column=id_col)
    else:
        ids = _text_ids(pts.index)
        if ids is None:
            ids = _cand_ids(len(pts))
    return _finish(pts, ids, kind=kind, name=name)


def _raster_cells(path: str | os.PathLike | RasterInfo, crs: CRS, units: gpd.GeoDataFrame | None,
                  notes: list[str]) -> tuple[pd.DataFrame, float]:
    """x, y (analysis CRS) and people of the populated cells; the raster's cell size (m)."""
    info = path if isinstance(path, RasterInfo) else open_raster(path, name=Path(path).name)
    src_crs = require_projected(info.crs, name=info.path.name, what="grid candidates")
    window = None
    if units is not None:
        b = units.to_crs(src_crs).total_bounds if not src_crs.equals(units.crs) else units.total_bounds
        window = window_for(info, b, margin=0)
        if window.width <= 0 or window.height <= 0:
            raise DataError(f"{info.path.name} does not overlap the units; check that the raster covers the study area")
    arr = read_masked(info, window=window, name=info.path.name)
    rows, cols = np.nonzero(~np.ma.getmaskarray(arr) & (arr.filled(0.0) > 0))
    r0, c0 = (int(window.row_off), int(window.col_off)) if window is not None else (0, 0)
    x, y = info.transform * (cols + c0 + 0.5, rows + r0 + 0.5)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not src_crs.equals(crs):
        x, y = Transformer.from_crs(src_crs, crs, always_xy=True).transform(x, y)
        notes.append(f"{info.path.name} cell centres taken from {crs_label(src_crs)} to {crs_label(crs)}")
    people = np.asarray(arr[rows, cols], dtype=float)
    return pd.DataFrame({"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float), "people": people}), \
        float(np.sqrt(info.cell_area_m2))


def _frame_cells(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("x", "y", "people") if c not in frame.columns]
    if missing:
        raise DataError(f"population frame has no column(s) {missing}; give x, y (metres, analysis CRS) and "
                        "people per populated cell, or a raster path")
    out = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                        for c in ("x", "y", "people")})
    bad = ~np.isfinite(out.to_numpy()).all(axis=1)
    if bad.any():
        raise DataError(f"population frame: {int(bad.sum())} row(s) have missing, text or infinite x, y or people "
                        f"(rows {preview(np.flatnonzero(bad))}); drop or fix them")
    neg = out["people"] < 0
    if neg.any():
        raise DataError(f"population frame: {int(neg.sum())} cell(s) have negative people (rows "
                        f"{preview(np.flatnonzero(neg))}); people must be >= 0")
    return out[out["people"] > 0].reset_index(drop=True)


def _from_grid(population: object, crs: CRS, *, units: gpd.GeoDataFrame | None, spacing_m: float | None,
               min_people: float, notes: list[str]) -> gpd.GeoDataFrame:
    if population is None:
        raise DataError("grid candidates need population=: a population raster path (or RasterInfo), or a "
                        "DataFrame with x, y, people")
    if units is not None:
        units = _in_crs(units, crs, name="units", notes=notes)
    if isinstance(population, pd.DataFrame):
        cells, cell = _frame_cells(population), None
    else:
        cells, cell = _raster_cells(population, crs, units, notes)
    n_cells = len(cells)
    if units is not None and n_cells:
        tree = shapely.STRtree(units.geometry.to_numpy())
        pts = shapely.points(cells["x"].to_numpy(), cells["y"].to_numpy())
        pi, ui = tree.query(pts, predicate="intersects")
        first = pd.Series(ui, index=pi).groupby(level=0).min()
        unit = np.full(n_cells, None, dtype=object)
        unit[first.index.to_numpy()] = units.index.to_numpy()[first.to_numpy()]
        inside = unit != None  # noqa: E711 (element-wise)
        if (~inside).any():
            notes.append(f"{int((~inside).sum())} populated cell(s) outside the units left out")
        cells = cells[inside].assign(unit=unit[inside].astype(str))
    if spacing_m is not None:
        if not (np.isfinite(spacing_m) and spacing_m > 0):
            raise DataError(f"spacing_m must be positive metres; got {spacing_m!r}")
        if cell is not None and spacing_m < cell * (1 - 1e-9):
            raise DataError(f"spacing_m={spacing_m:g} is finer than the raster's {cell:g} m cells; give "
                            f"spacing_m >= {cell:g}, or leave it out to use every populated cell")
        ix = np.floor(cells["x"].to_numpy() / spacing_m).astype(np.int64)
        iy = np.floor(cells["y"].to_numpy() / spacing_m).astype(np.int64)
        g = cells.assign(ix=ix, iy=iy).groupby(["iy", "ix"], sort=False)
        agg = g["people"].sum().reset_index()
        cols = {"x": (agg["ix"].to_numpy() + 0.5) * spacing_m, "y": (agg["iy"].to_numpy() + 0.5) * spacing_m,
                "people": agg["people"].to_numpy(), "cells": g.size().to_numpy()}
        if "unit" in cells.columns:  # the unit holding most of the block's people
            top = cells.assign(ix=ix, iy=iy).sort_values("people", ascending=False, kind="stable")
            cols["unit"] = top.groupby(["iy", "ix"], sort=False)["unit"].first().reindex(
                pd.MultiIndex.from_frame(agg[["iy", "ix"]])).to_numpy()
        cells = pd.DataFrame(cols)
        notes.append(f"{n_cells} populated cell(s) aggregated to {len(cells)} block(s) of {spacing_m:g} m "
                     "(candidate at the block centre)")
    if min_people < 0 or not np.isfinite(min_people):
        raise DataError(f"min_people must be >= 0; got {min_people!r}")
    keep = cells["people"] >= min_people
    if min_people > 0 and (~keep).any():
        notes.append(f"{int((~keep).sum())} cell(s) with fewer than {min_people:g} people left out (min_people)")
    cells = cells[keep]
    if not len(cells):
        raise DataError(f"no populated cell{' with >= ' + format(min_people, 'g') + ' people' if min_people else ''} "
                        "to place grid candidates on; lower min_people, check the population covers the units, "
                        "or use candidates 'units' or 'settlements'")
    cells = cells.sort_values(["y", "x"], ascending=[False, True], kind="stable").reset_index(drop=True)
    gdf = gpd.GeoDataFrame(cells.drop(columns=["x", "y"]),
                           geometry=shapely.points(cells["x"].to_numpy(), cells["y"].to_numpy()), crs=crs)
    return _finish(gdf, _cand_ids(len(gdf)), kind="grid", name="grid candidates")


def candidate_sites(kind: str, *, units: gpd.GeoDataFrame | None = None,
                    settlements: gpd.GeoDataFrame | None = None, population: object = None,
                    path: str | os.PathLike | None = None, spacing_m: float | None = None,
                    min_people: float = 0, crs: object = None, id_col: str | None = None) -> Candidates:
    """Candidate sites of one kind, in the analysis CRS.

    Parameters
    ----------
    kind : {"units", "settlements", "grid", "file"}
        ``"units"``: one point per unit of ``units``, its centroid when the centroid lies
        inside the unit, else its representative point (ids: the units' ids);
        ``"settlements"``: the points of ``settlements`` (villages, a settlement layer;
        polygons give one point inside each; ids: its text index, else ``cand-0001``...);
        ``"grid"``: the centres of the populated cells of ``population``, optionally
        aggregated to blocks of ``spacing_m`` metres (a block's candidate is its centre,
        its people the sum of its cells; blocks aligned on multiples of ``spacing_m``),
        keeping cells (blocks) with at least ``min_people``; with ``units``, only cells
        whose centre lies in a unit, each with its ``unit``;
        ``"file"``: a vector file of points or polygons at ``path`` (polygons -> one point
        inside each), its attributes kept (``cost``, ``capacity``...).
    units : GeoDataFrame, optional
        Analysis units indexed by text ids (``"units"``; ``"grid"``: the study area).
    settlements : GeoDataFrame, optional
    population : str, path, RasterInfo or DataFrame, optional
        A population raster, or a frame with ``x``, ``y`` (analysis CRS) and ``people``.
    path : path-like, optional
        The ``"file"`` candidates.
    spacing_m : float, optional
        ``"grid"``: block size in metres (at least the raster's cell size).
    min_people : float, default 0
        ``"grid"``: the fewest people a cell (block) needs to hold a candidate.
    crs : optional
        The analysis CRS (projected, metres); default the input's. Inputs in another CRS
        are reprojected (noted).
    id_col : str, optional
        A column with the sites' ids (``"settlements"``, ``"file"``).

    Returns
    -------
    Candidates
        With an empty report (no constraint yet) and notes.

    Raises
    ------
    DataError, CRSError, GeometryError, IdError, InputFileError, UnknownNameError

    Examples
    --------
    >>> cells = pd.DataFrame({"x": [50.0, 150.0, 950.0], "y": [50.0, 50.0, 50.0], "people": [10.0, 5.0, 2.0]})
    >>> c = candidate_sites("grid", population=cells, spacing_m=500, min_people=3, crs=32650)
    >>> c.sites[["people", "cells"]].to_dict("index")
    {'cand-0001': {'people': 15.0, 'cells': 2}}
    >>> [p.coords[0] for p in c.sites.geometry]
    [(250.0, 250.0)]
    """
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        raise UnknownNameError(f"candidates kind {kind!r} is not one of {', '.join(KINDS)}"
                               + (f" (did you mean {close[0]!r}?)" if close else ""))
    notes: list[str] = []
    if kind == "units":
        if units is None:
            raise DataError("candidates 'units' need units= (the analysis units)")
        target = _target_crs(crs, units.crs, name="units")
        sites = _from_units(units, target, notes)
    elif kind == "settlements":
        if settlements is None:
            raise DataError("candidates 'settlements' need settlements= (a GeoDataFrame of settlement points)")
        target = _target_crs(crs, getattr(settlements, "crs", None), name="settlements")
        sites = _from_points(settlements, target, kind=kind, name="settlements", id_col=id_col, notes=notes)
    elif kind == "grid":
        default = units.crs if units is not None else None
        if default is None and not isinstance(population, pd.DataFrame) and population is not None:
            default = (population if isinstance(population, RasterInfo)
                       else open_raster(population, name=Path(population).name)).crs
        target = _target_crs(crs, default, name="population")
        sites = _from_grid(population, target, units=units, spacing_m=spacing_m, min_people=float(min_people),
                           notes=notes)
    else:
        if path is None:
            raise DataError("candidates 'file' need path= (a vector file of points or polygons)")
        # reading only; analysis stays layer-free otherwise
        from ...layers.readers import read_vector

        layer = read_vector(path, kinds=("point", "polygon"), role="candidates")
        name = Path(path).name
        if layer.crs is None:
            if crs is None:
                raise CRSError(f"{name} has no CRS; pass crs='EPSG:xxxx' naming the CRS of its coordinates, or "
                               "add a .prj file beside a shapefile")
            layer = layer.set_crs(crs)
            notes.append(f"{name} has no CRS; taken to be in {crs_label(crs)}")
        target = _target_crs(crs, layer.crs, name=name)
        sites = _from_points(layer, target, kind=kind, name=name, id_col=id_col, notes=notes)
    return Candidates(sites, _empty_report(), tuple(notes))


# ---------------------------------------------------------------- constraints

def _constraint_name(c: Mapping[str, Any], i: int) -> str:
    if c.get("name"):
        return str(c["name"])
    src = c.get("layer", c.get("raster"))
    if isinstance(src, (str, os.PathLike)):
        return Path(src).stem
    return f"constraint {i + 1}"


def _check_constraint(c: object, i: int) -> dict[str, Any]:
    if not isinstance(c, Mapping):
        raise DataError(f"constraints[{i}] must be a dict with 'layer' (or 'raster'), 'rule' and 'name'; "
                        f"got {type(c).__name__}")
    unknown = [k for k in c if k not in _KEYS]
    if unknown:
        hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(str(k), _KEYS, n=1))
                 else repr(k) for k in unknown]
        raise DataError(f"constraints[{i}] has unknown key(s) {', '.join(hints)}; allowed: {', '.join(sorted(_KEYS))}")
    has_layer, has_raster = "layer" in c, "raster" in c
    if has_layer == has_raster:
        raise DataError(f"constraints[{i}] needs exactly one of 'layer' (polygons) or 'raster'")
    rule = c.get("rule", "exclude" if has_layer else "exclude_above")
    allowed = ("exclude", "restrict") if has_layer else ("exclude_above", "exclude_below")
    if rule not in allowed:
        raise UnknownNameError(f"constraints[{i}] rule {rule!r} is not one of {', '.join(allowed)} for a "
                               f"{'layer' if has_layer else 'raster'}")
    out = dict(c, rule=rule, name=_constraint_name(c, i))
    buf = c.get("buffer_m", 0.0)
    if has_raster and "buffer_m" in c:
        raise DataError(f"constraints[{i}] ({out['name']}): buffer_m applies to layers, not rasters")
    if not isinstance(buf, (int, float)) or not np.isfinite(buf) or buf < 0:
        raise DataError(f"constraints[{i}] ({out['name']}): buffer_m must be >= 0 metres; got {buf!r}")
    out["buffer_m"] = float(buf)
    if has_raster:
        key = "max" if rule == "exclude_above" else "min"
        lim = c.get(key)
        if not isinstance(lim, (int, float)) or not np.isfinite(lim):
            raise DataError(f"constraints[{i}] ({out['name']}): rule {rule} needs a number '{key}'; got {lim!r}")
        out["limit"] = float(lim)
        nod = c.get("nodata", "exclude")
        if nod not in ("exclude", "keep"):
            raise UnknownNameError(f"constraints[{i}] ({out['name']}): nodata must be 'exclude' or 'keep'; got {nod!r}")
        out["nodata"] = nod
    return out


def _layer_geoms(c: Mapping[str, Any], crs: CRS, notes: list[str]) -> np.ndarray:
    name, layer = c["name"], c["layer"]
    if isinstance(layer, (str, os.PathLike)):
        from ...layers.readers import read_vector

        layer = read_vector(layer, kinds=("polygon", "line", "point"), role=f"constraint {name}")
    if isinstance(layer, gpd.GeoDataFrame):
        layer = layer.geometry
    if not isinstance(layer, gpd.GeoSeries):
        raise DataError(f"constraint {name}: layer must be a GeoDataFrame, GeoSeries or a vector file path; "
                        f"got {type(layer).__name__}")
    layer = _in_crs(layer, crs, name=f"constraint {name}", notes=notes)
    geom = layer.to_numpy()
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    if empty.any():
        notes.append(f"constraint {name}: {int(empty.sum())} feature(s) without geometry ignored")
        geom = geom[~empty]
    invalid = ~shapely.is_valid(geom)
    if invalid.any():
        notes.append(f"constraint {name}: {int(invalid.sum())} invalid geometr(ies) repaired (shapely make_valid)")
        geom = geom.copy()
        geom[invalid] = shapely.make_valid(geom[invalid])
    return geom


def _hits_layer(points: np.ndarray, geom: np.ndarray, buffer_m: float) -> np.ndarray:
    """True for points intersecting (within ``buffer_m`` of) any geometry."""
    hit = np.zeros(len(points), dtype=bool)
    if not len(geom) or not len(points):
        return hit
    tree = shapely.STRtree(geom)
    if buffer_m > 0:
        idx = tree.query(points, predicate="dwithin", distance=buffer_m)[0]
    else:
        idx = tree.query(points, predicate="intersects")[0]
    hit[idx] = True
    return hit


def _raster_values(c: Mapping[str, Any], points: np.ndarray, crs: CRS) -> np.ndarray:
    """The raster's value under each point (NaN on nodata or outside the raster)."""
    src = c["raster"]
    info = src if isinstance(src, RasterInfo) else open_raster(src, name=Path(src).name, require_nodata=False)
    x, y = shapely.get_x(points), shapely.get_y(points)
    if info.crs is not None and not CRS.from_user_input(info.crs).equals(crs):
        x, y = Transformer.from_crs(crs, info.crs, always_xy=True).transform(x, y)
    arr = read_band(info, name=info.path.name)
    col, row = (~info.transform) * (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    col, row = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    ok = (row >= 0) & (row < info.height) & (col >= 0) & (col < info.width)
    out = np.full(len(points), np.nan)
    vals = arr[row[ok], col[ok]]
    vals = np.where(info.nodata_mask(vals), np.nan, vals)
    out[ok] = vals
    return out


def apply_constraints(candidates: Candidates | gpd.GeoDataFrame, constraints: Sequence[Mapping[str, Any]], *,
                      crs: object) -> Candidates:
    """Thin the candidates with constraint layers, counting what each one removes.

    Parameters
    ----------
    candidates : Candidates or GeoDataFrame
        Candidate points in ``crs``; a :class:`Candidates` keeps its earlier report rows.
    constraints : sequence of dict
        Applied in order. A layer: ``{"layer": GeoDataFrame or path, "rule": "exclude" |
        "restrict", "name": "ecological red line", "name_zh": "生态保护红线",
        "buffer_m": 0}``: ``"exclude"`` drops candidates that intersect (lie inside or on
        the edge of) a feature or lie within ``buffer_m`` of one; ``"restrict"`` keeps only
        the candidates inside (or within ``buffer_m`` of) a feature, e.g. land zoned for
        public service. A raster: ``{"raster": path, "rule": "exclude_above", "max": 25,
        "name": "slope"}`` (or ``"exclude_below"`` with ``"min"``) drops candidates whose
        cell value is above (below) the limit; a candidate on nodata or outside the raster
        is excluded unless ``"nodata": "keep"``. ``name`` defaults to the file name.
    crs
        The analysis CRS (projected, metres); layers in another CRS are reprojected.

    Returns
    -------
    Candidates
        The kept candidates; ``report`` with one row per constraint (``before - excluded
        == after``), ``notes``.

    Raises
    ------
    DataError
        Every candidate excluded (naming the constraint that removed the last ones) or a
        malformed constraint; CRSError for candidates in another CRS.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([[0, 0], [100, 0], [500, 0]]), index=["a", "b", "c"],
    ...                        crs=32650)
    >>> zone = gpd.GeoDataFrame(geometry=[shapely.box(-10, -10, 200, 10)], crs=32650)
    >>> red = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0).buffer(5)], crs=32650)
    >>> out = apply_constraints(pts, [{"layer": zone, "rule": "restrict", "name": "public service land"},
    ...                               {"layer": red, "rule": "exclude", "name": "red line", "buffer_m": 50}],
    ...                         crs=32650)
    >>> list(out.sites.index)
    ['b']
    >>> out.report[["constraint", "before", "excluded", "after"]].to_dict("records")
    [{'constraint': 'public service land', 'before': 3, 'excluded': 1, 'after': 2}, {'constraint': 'red line', 'before': 2, 'excluded': 1, 'after': 1}]
    """
    target = require_projected(crs, name="crs", what="siting distances")
    if isinstance(candidates, Candidates):
        sites, report, notes = candidates.sites, candidates.report, list(candidates.notes)
    elif isinstance(candidates, gpd.GeoDataFrame):
        sites, report, notes = candidates, _empty_report(), []
    else:
        raise DataError(f"candidates must be Candidates or a GeoDataFrame of points; got {type(candidates).__name__}")
    if sites.crs is None or not CRS.from_user_input(sites.crs).equals(target):
        raise CRSError(f"candidates are in {crs_label(sites.crs)} but crs is {crs_label(target)}; make the "
                       f"candidates with crs={crs_label(target)!r} or reproject them (sites.to_crs(crs))")
    if isinstance(constraints, Mapping):
        constraints = [constraints]
    checked = [_check_constraint(c, i) for i, c in enumerate(constraints)]  # every one checked before any work
    _check_geoms(sites.geometry, name="candidates")
    if not (sites.geom_type == "Point").all():
        raise GeometryError("candidates must be points; make them with candidate_sites (polygons -> points)")
    rows = []
    for c in checked:
        pts = sites.geometry.to_numpy()
        before = len(sites)
        if "layer" in c:
            geom = _layer_geoms(c, target, notes)
            hit = _hits_layer(pts, geom, c["buffer_m"])
            drop = hit if c["rule"] == "exclude" else ~hit
            limit = np.nan
        else:
            vals = _raster_values(c, pts, target)
            missing = np.isnan(vals)
            with np.errstate(invalid="ignore"):
                drop = vals > c["limit"] if c["rule"] == "exclude_above" else vals < c["limit"]
            if missing.any():
                how = "excluded (\"nodata\": \"keep\" to keep them)" if c["nodata"] == "exclude" else "kept"
                notes.append(f"constraint {c['name']}: {int(missing.sum())} candidate(s) on nodata or outside "
                             f"the raster {how}")
                drop = drop | missing if c["nodata"] == "exclude" else drop
            limit = c["limit"]
        sites = sites[~drop]
        rows.append({"constraint": c["name"], "rule": c["rule"], "before": before, "excluded": int(drop.sum()),
                     "after": len(sites), "buffer_m": c["buffer_m"], "limit": limit,
                     "constraint_zh": c.get("name_zh")})
        if not len(sites):
            fix = {"exclude": "check the layer is the right one, reduce buffer_m, or widen the candidates "
                              "(another kind, a finer grid)",
                   "restrict": "check the layer overlaps the study area and is in the right CRS, add buffer_m, "
                               "or use the candidates inside it",
                   "exclude_above": "check the raster's units and raise 'max'",
                   "exclude_below": "check the raster's units and lower 'min'"}[c["rule"]]
            done = "; ".join(f"{r['constraint']} removed {r['excluded']}" for r in rows[:-1])
            raise DataError(f"every candidate excluded: constraint {c['name']!r} ({c['rule']}) removed the last "
                            f"{before}{' (before it: ' + done + ')' if done else ''}; {fix}")
    new = pd.DataFrame(rows, columns=REPORT_COLUMNS) if rows else _empty_report()
    report = pd.concat([report, new], ignore_index=True) if len(report) else new
    report = report.astype({"before": "int64", "excluded": "int64", "after": "int64"})
    return Candidates(sites, report, tuple(notes))


# ---------------------------------------------------------------- demand

def demand_weights(points: pd.DataFrame, *, rural_only: bool = False, classes: str | pd.Series | None = None,
                   weight: pd.Series | None = None) -> pd.Series:
    """Demand per demand point: its people, optionally rural people only or weighted.

    Parameters
    ----------
    points : DataFrame
        Demand points with ``people`` (and ``unit`` for ``weight``), as the
        accessibility step builds them.
    rural_only : bool, default False
        Demand of points whose class is not ``"rural"`` set to 0 (points kept, so the
        result still lines up with the OD table).
    classes : str or Series, optional
        The class of each point: a column of ``points`` or a Series on its index
        (default column ``urban_class``). Needed with ``rural_only``; missing classes are
        refused.
    weight : Series, optional
        A per-unit factor indexed by unit id (e.g. the elderly share for nursing homes);
        each point's people are multiplied by its unit's factor. Every unit of the
        points needs a finite factor >= 0.

    Returns
    -------
    Series
        ``demand`` on the points' index.

    Examples
    --------
    >>> pts = pd.DataFrame({"people": [100.0, 50.0, 20.0], "unit": ["a", "a", "b"],
    ...                     "urban_class": ["urban", "rural", "rural"]})
    >>> demand_weights(pts, rural_only=True, weight=pd.Series({"a": 0.2, "b": 0.5})).tolist()
    [0.0, 10.0, 10.0]
    """
    if not isinstance(points, pd.DataFrame) or "people" not in points.columns:
        raise DataError("demand points must be a DataFrame with a 'people' column (people per point)")
    people = pd.to_numeric(points["people"], errors="coerce").astype(float)
    bad = ~np.isfinite(people.to_numpy())
    if bad.any():
        raise DataError(f"demand points: {int(bad.sum())} 'people' value(s) are missing, text or infinite (points "
                        f"{preview(points.index[bad])}); fix them (0 for no people)")
    if (people < 0).any():
        neg = people < 0
        raise DataError(f"demand points: {int(neg.sum())} negative 'people' value(s) (points "
                        f"{preview(points.index[neg.to_numpy()])}); people must be >= 0")
    out = people.copy()
    if rural_only:
        cls = point_classes(points, classes)
        out = out.where((cls == "rural").to_numpy(), 0.0)
    elif classes is not None:
        point_classes(points, classes)  # checked even when unused: a bad column is an error
    if weight is not None:
        if "unit" not in points.columns:
            raise DataError("a per-unit weight needs the demand points' 'unit' column (the unit of each point)")
        w = pd.to_numeric(pd.Series(weight), errors="coerce").astype(float)
        w.index = w.index.astype(str)
        units = points["unit"].astype(str)
        missing = sorted(set(units) - set(w.index))
        if missing:
            raise DataError(f"weight has no value for {len(missing)} unit(s) of the demand points "
                            f"({preview(missing)}); give every unit a weight")
        per = w.reindex(units.to_numpy()).to_numpy()
        badw = ~np.isfinite(per) | (per < 0)
        if badw.any():
            units_bad = sorted(set(units[badw]))
            raise DataError(f"weight is missing, negative or infinite for unit(s) {preview(units_bad)}; weights "
                            "must be finite and >= 0")
        out = out * per
    return out.rename("demand")


def point_classes(points: pd.DataFrame | pd.Series, classes: str | pd.Series | None,
                  *, default: str = "urban_class", required: bool = True) -> pd.Series | None:
    """The class of each demand point, as text; missing classes are refused.

    ``classes`` is a column name of ``points``, a Series on the points' index, or None (the
    ``default`` column). Returns None when nothing is found and ``required`` is False.

    Examples
    --------
    >>> point_classes(pd.DataFrame({"people": [1.0], "urban_class": ["rural"]}), None).tolist()
    ['rural']
    """
    if classes is None or isinstance(classes, str):
        col = classes or default
        if not isinstance(points, pd.DataFrame) or col not in points.columns:
            if not required:
                return None
            raise DataError(f"demand points have no class column {col!r}; pass classes= (a column name or a "
                            "Series of 'urban'/'rural' per point), or run the urban_rural analysis first")
        cls = points[col]
    else:
        cls = pd.Series(classes)
        missing = points.index.difference(cls.index)
        if len(missing):
            raise DataError(f"classes has no value for {len(missing)} demand point(s) ({preview(missing)}); give "
                            "a class for every point")
        cls = cls.reindex(points.index)
    blank = cls.isna().to_numpy() | (cls.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        raise DataError(f"{int(blank.sum())} demand point(s) have no class (points {preview(points.index[blank])}); "
                        "give every point a class (e.g. 'urban' or 'rural')")
    return cls.astype(str).astype(object)
