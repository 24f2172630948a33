"""Travel times per panel year, for ``analyses.panel`` (plumbing of :mod:`._steps.panel`).

When facilities carry the year they opened (``facilities: [{..., opened: <column>}]``,
optional ``closed:``) or the population is given per year (``population: rasters:
{2019: pop2019.tif}``), every panel year gets its own nearest travel time per unit and
accessibility category: the facilities open that year, the people of that year, and the
accessibility step's own road graph (or friction surface, or straight lines), mode,
off-road speed and demand points (handed over in ``ctx.cache["accessibility"]``, so the
graph is built once).

Rules:

- a facility is open in year ``y`` when ``opened`` is empty or ``opened <= y``, and
  ``closed`` is empty or ``y < closed`` (``closed`` = the first year it is no longer open);
- a year without its population raster uses the nearest earlier year's raster, else
  ``population: raster:`` (the latest); ``raster:`` is also the latest panel year's own
  raster unless ``rasters:`` names that year; with ``raster:`` the demand points are
  exactly the accessibility step's;
- the latest year with every facility open and ``raster:`` reproduces the accessibility
  step's ``tt_<cat>_min`` exactly (the same computation on the same inputs);
- a category with no facility open in some year has no time that year: its column is
  left out of the index over time (named in a note).

Outputs: ``tt_<cat>_min`` on the panel frame for every (unit, year); table
``panel_access`` (unit, year, category, tt_min, reach, ``within_<T>min_share``) and
``panel_access_summary`` (year, category, urban_class, facilities_open, people,
mean_tt_min, people beyond the standard and their share).  The standard is 30 minutes
when the thresholds include 30, else the middle threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..analysis.accessibility import demand, euclidean, friction, network
from ..maps._report_zh import Phrase

__all__ = ["Demand", "YearlyAccess", "open_in", "raster_years", "standard_minutes", "yearly_access", "attach"]

NAME = "panel"


class Demand(NamedTuple):
    """Demand points of one year (the accessibility step's columns) and their snap to the graph."""

    points: pd.DataFrame
    snap: network.Snapped | None = None
    source: str = "raster"


@dataclass(frozen=True)
class YearlyAccess:
    """Travel times per (unit, year) and category.

    Attributes
    ----------
    frame : DataFrame
        ``tt_<cat>_min`` indexed by ``(unit, year)`` (unit as text).
    table : DataFrame
        Long: unit, year, category, tt_min, reach, ``within_<T>min_share``.
    summary : DataFrame
        Per year, category and class (``all``, then each ``urban_class``): facilities_open,
        people, mean_tt_min, ``people_beyond_<S>min`` and ``share_beyond_<S>min``.
    standard_min : float
        The standard S.
    empty_years : dict
        Category -> years without any open facility.
    """

    frame: pd.DataFrame
    table: pd.DataFrame
    summary: pd.DataFrame
    standard_min: float
    empty_years: dict[str, list[int]] = field(default_factory=dict)


def open_in(facilities: pd.DataFrame, year: int) -> NDArray[np.bool_]:
    """Which facilities are open in ``year`` (``opened``/``closed`` columns, NaN = no limit).

    Examples
    --------
    >>> f = pd.DataFrame({"opened": [np.nan, 2021.0, 2019.0], "closed": [np.nan, np.nan, 2022.0]})
    >>> open_in(f, 2020).tolist(), open_in(f, 2022).tolist()
    ([True, False, True], [True, True, False])
    """
    n = len(facilities)
    opened = facilities["opened"].to_numpy(dtype=float) if "opened" in facilities.columns else np.full(n, np.nan)
    closed = facilities["closed"].to_numpy(dtype=float) if "closed" in facilities.columns else np.full(n, np.nan)
    return (np.isnan(opened) | (opened <= year)) & (np.isnan(closed) | (year < closed))


def raster_years(years: Sequence[int], rasters: Mapping[int, object] | None) -> dict[int, int | None]:
    """The population raster year each panel year uses: its own, else the nearest earlier
    one, else None (``population: raster:``, the latest).  ``raster:`` is the latest panel
    year's own raster unless ``rasters`` names that year.

    Examples
    --------
    >>> raster_years([2019, 2020, 2021, 2022, 2023], {2020: "a.tif", 2021: "b.tif"})
    {2019: None, 2020: 2020, 2021: 2021, 2022: 2021, 2023: None}
    """
    keys = sorted(int(k) for k in (rasters or {}))
    last = max(int(y) for y in years) if len(years) else None
    out: dict[int, int | None] = {}
    for y in years:
        earlier = [k for k in keys if k <= int(y)]
        out[int(y)] = None if (int(y) == last and int(y) not in keys) or not earlier else earlier[-1]
    return out


def standard_minutes(thresholds: Sequence[float]) -> float:
    """30 minutes when the thresholds include 30, else the middle threshold.

    Examples
    --------
    >>> standard_minutes([15, 30, 60]), standard_minutes([10, 20]), standard_minutes([])
    (30.0, 20.0, 30.0)
    """
    ts = sorted(float(t) for t in thresholds)
    if not ts or 30.0 in ts:
        return 30.0
    return ts[len(ts) // 2]


def _pricer(cache: Mapping[str, Any], fdf: pd.DataFrame) -> Callable[[Demand], NDArray[np.float64]]:
    """Minutes from each demand point to the nearest of ``fdf`` (x, y), as the accessibility step prices them."""
    mode = cache["mode"]
    walk = float(cache["walk_kmh"])
    if len(fdf) == 0:
        return lambda d: np.full(len(d.points), np.inf)
    if mode == "network":
        node_t = network.node_costs(cache["graph"], fdf, walk_kmh=walk)
        per_m = 1.0 / (walk * 1000.0 / 60.0)
        return lambda d: node_t[d.snap.node] + d.snap.distance_m * per_m
    if mode == "raster":
        surface = cache["surface"]
        tt = friction.travel_time(surface, fdf)

        def sample(d: Demand) -> NDArray[np.float64]:
            m = friction.sample(tt, surface.transform, d.points[["x", "y"]].to_numpy())
            return np.where(np.isnan(m), np.inf, m)

        return sample
    speed, circuity = float(cache["speed_kmh"]), float(cache["circuity"])
    return lambda d: euclidean.nearest_minutes(d.points[["x", "y"]].to_numpy(), fdf, speed_kmh=speed,
                                               circuity=circuity)


def yearly_access(cache: Mapping[str, Any], *, years: Sequence[int], index: pd.Index,
                  demands: Mapping[int, Demand], thresholds: Sequence[float]) -> YearlyAccess:
    """Nearest travel times per unit, year and category to the facilities open each year.

    Parameters
    ----------
    cache : mapping
        The accessibility step's hand-over: ``mode``, ``graph``/``surface``, ``walk_kmh``,
        ``speed_kmh``, ``circuity`` and ``facilities`` (category -> the facilities it
        priced, with optional ``opened``/``closed``).
    years : sequence of int
        The panel years.
    index : Index
        The units.
    demands : mapping
        Year -> :class:`Demand` (points with ``x``, ``y``, ``people``, ``unit``,
        ``fallback`` and optional ``urban_class``; the snap for network mode).
    thresholds : sequence of float
        Minutes for the within-shares; the standard is :func:`standard_minutes`.

    Returns
    -------
    YearlyAccess
    """
    std = standard_minutes(thresholds)
    s = f"{std:g}"
    years = [int(y) for y in years]
    cols: dict[str, dict[int, NDArray[np.float64]]] = {}
    rows: list[pd.DataFrame] = []
    summary: list[dict[str, Any]] = []
    empty: dict[str, list[int]] = {}
    for cat, fac in cache["facilities"].items():
        masks = {y: open_in(fac, y) for y in years}
        groups: dict[bytes, list[int]] = {}
        for y in years:
            groups.setdefault(masks[y].tobytes(), []).append(y)
        cols[cat] = {}
        for ys in groups.values():
            sub = fac[masks[ys[0]]]
            fdf = pd.DataFrame({"x": sub.geometry.x.to_numpy(), "y": sub.geometry.y.to_numpy()})
            price = _pricer(cache, fdf)
            for y in ys:
                d = demands[y]
                minutes = price(d)
                pts = d.points
                agg = demand.unit_values(minutes, pts, index=index)
                cols[cat][y] = agg["mean"].to_numpy(dtype=float)
                part = pd.DataFrame({"unit": index.astype(str), "year": y, "category": cat,
                                     "tt_min": agg["mean"].to_numpy(), "reach": agg["reach"].to_numpy()})
                for th in thresholds:
                    part[f"within_{th:g}min_share"] = demand.within_share(minutes, pts, threshold=th,
                                                                          index=index)["share"].to_numpy()
                rows.append(part)
                people = pts["people"].to_numpy(dtype=float)
                classes = pts["urban_class"].astype(object).to_numpy() if "urban_class" in pts.columns else None
                for cls in ["all"] + (sorted({str(c) for c in classes if pd.notna(c)}) if classes is not None
                                      else []):
                    m = np.ones(len(pts), bool) if cls == "all" else (classes == cls)
                    p, t = people[m], minutes[m]
                    fin = np.isfinite(t)
                    tot = float(p.sum())
                    beyond = float(p[~(t <= std)].sum())
                    summary.append({"year": y, "category": cat, "urban_class": cls, "facilities_open": len(sub),
                                    "people": tot,
                                    "mean_tt_min": float(np.average(t[fin], weights=p[fin])) if p[fin].sum() > 0
                                    else float("nan"),
                                    f"people_beyond_{s}min": beyond,
                                    f"share_beyond_{s}min": beyond / tot if tot > 0 else float("nan")})
            if len(sub) == 0:
                empty.setdefault(cat, []).extend(ys)
    mi = pd.MultiIndex.from_product([index.astype(str), years], names=["unit", "year"])
    frame = pd.DataFrame({f"tt_{cat}_min": np.column_stack([by[y] for y in years]).ravel()
                          for cat, by in cols.items()}, index=mi)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(table):
        table = table.sort_values(["category", "unit", "year"], kind="stable").reset_index(drop=True)
    return YearlyAccess(frame, table, pd.DataFrame(summary), std, {c: sorted(v) for c, v in empty.items()})


def _year_demand(ctx: Any, cache: Mapping[str, Any], path: Path) -> Demand:
    """Demand points from one year's population raster, built like the accessibility step's."""
    from ..layers.population import read_population

    pc = ctx.config.population
    pop = read_population(ctx.units, raster=path, nodata=pc.nodata, preset=pc.preset, zonal=pc.zonal,
                          log=ctx.area.checks)
    pts, _ = demand.demand_points(ctx.units, how=cache["demand"], raster=pop.raster, people=pop.per_unit,
                                  zonal=pc.zonal)
    if "urban_class" in ctx.units.columns:
        pts["urban_class"] = demand.unit_column(pts, ctx.units["urban_class"].astype(object))
    snap = None
    if cache["mode"] == "network":
        snap = network.snap(cache["graph"], pts[["x", "y"]].to_numpy(), name=f"demand points ({path.name})")
    return Demand(pts, snap, path.name)


def _wanted(ctx: Any) -> tuple[bool, dict[int, Path]]:
    fac = ctx.area.facilities
    years = fac is not None and any(c in fac.columns and fac[c].notna().any() for c in ("opened", "closed"))
    pc = ctx.config.population
    rasters = dict(pc.rasters) if pc is not None and pc.rasters else {}
    return years, rasters


def attach(ctx: Any, frame: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """The panel frame with ``tt_<cat>_min`` per (unit, year) when facilities have years or
    the population has rasters per year; writes ``panel_access`` tables and notes."""
    has_years, rasters = _wanted(ctx)
    if not has_years and not rasters:
        return frame
    cache = ctx.cache.get("accessibility")
    if not cache or not cache.get("facilities"):
        ctx.note(NAME, "info", "facility opening years / population rasters per year give travel times per year "
                 "only with analyses.accessibility (its travel times); travel times stay latest-year only")
        return frame
    years = [int(y) for y in years]
    use = raster_years(years, rasters)
    base = Demand(cache["points"], cache["snap"], "population: raster")
    made: dict[int, Demand] = {}
    for r in sorted({r for r in use.values() if r is not None}):
        made[r] = _year_demand(ctx, cache, Path(rasters[r]))
    demands = {y: base if r is None else made[r] for y, r in use.items()}
    if rasters:
        before = [y for y, r in use.items() if r is None]
        unused = sorted(set(rasters) - set(use.values()))
        detail = "population per year: " + ", ".join(f"{y}: {demands[y].source}" for y in years)
        if before:
            detail += (f"; {before} have no raster of their own or of an earlier year and use population: raster: "
                       "(the latest)")
        if unused:
            detail += f"; rasters of {unused} are not panel years' nearest earlier raster and are not used"
        if use[years[-1]] is not None:
            detail += (f"; {years[-1]} uses rasters: {years[-1]}, not raster: (the accessibility step's), so its "
                       "travel times may differ from tt_<cat>_min")
        ctx.note(NAME, "info", detail)
    latest = years[-1]
    fac_all = ctx.area.facilities
    gone = ~open_in(fac_all, latest)
    if gone.any():
        ctx.note(NAME, "warning", f"{int(gone.sum())} facilities are not open in {latest} (opened later or closed "
                 f"by then) yet count in analyses.accessibility (today's facilities); the panel's {latest} travel "
                 "times leave them out and differ from the accessibility step's")
    thresholds = cache.get("thresholds") or [30.0]
    ya = yearly_access(cache, years=years, index=ctx.units.index, demands=demands, thresholds=thresholds)
    ctx.tables["panel_access"] = ya.table
    ctx.tables["panel_access_summary"] = ya.summary
    out = frame
    added, kept, left = [], [], []
    for col in ya.frame.columns:
        cat = col[3:-4]
        if col in frame.columns:
            kept.append(col)
        elif cat in ya.empty_years:
            left.append(f"{col} (no {cat} open in {ya.empty_years[cat]})")
        else:
            added.append(col)
    if kept:
        ctx.note(NAME, "info", f"{kept} are given per year in the indicators; those values are used, not the "
                 "computed ones (still in panel_access)")
    if left:
        ctx.note(NAME, "warning", "travel times of only some years can be computed for " + "; ".join(left)
                 + ": left out of the index over time (panel_access has the other years)")
    if added:
        out = frame.join(ya.frame[added], how="left")
    s = f"{ya.standard_min:g}"
    allrows = ya.summary[ya.summary["urban_class"] == "all"] if len(ya.summary) else ya.summary
    ctx.results["panel_access"] = {
        "years": years, "categories": list(cache["facilities"]), "columns": added, "standard_min": ya.standard_min,
        "population": {str(y): demands[y].source for y in years},
        "facilities_open": {c: {str(y): int(n) for y, n in zip(g["year"], g["facilities_open"], strict=True)}
                            for c, g in allrows.groupby("category")},
        "people_beyond": {c: {str(y): float(n) for y, n in zip(g["year"], g[f"people_beyond_{s}min"], strict=True)}
                          for c, g in allrows.groupby("category")}}
    ctx.cache["panel_access_variant"] = Phrase(
        f"travel times per year: the accessibility step's graph, mode and demand points; facilities open in the "
        f"year (opened <= year < closed); population of the year's raster, else the nearest earlier year's, else "
        f"population: raster:; standard {s} min",
        f"逐年出行时间：沿用可达性分析的路网、计算方式与需求点；仅计当年开放的设施（开放年份 ≤ 年份 < 关闭年份）；"
        f"人口取当年栅格，无则取最近的更早年份栅格，再无则取 `population: raster:`；标准 {s} 分钟")
    return out
