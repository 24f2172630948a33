"""Pipeline step ``analyses.accessibility``: travel times, coverage and FCA scores per unit.

Every measure of a unit comes from the same demand points (``analyses.accessibility.demand``):
the populated cells of the population raster, or one point per unit (its centroid, or its
representative point when the centroid is not inside the unit), or the population-weighted
centroid; a unit without people is priced at its unit point.

Writes, per facility category ``<cat>`` and threshold ``<T>``: unit columns
``dist_<cat>_km`` (every category: straight-line km from the demand points, population
weighted), ``tt_<cat>_min`` (population-weighted mean minutes over people who can reach
one; a unit without people: the time from its point), ``reach_<cat>`` (``"ok"``,
``"unreachable"``: no one in it can reach a facility, tt NaN; ``"no people"``: tt from its
point), ``within_<T>min_share_<cat>``, ``underserved_<T>min_<cat>`` (people beyond T,
unreachable ones included), ``acc_<measure>_<cat>`` (population-weighted mean score);
tables ``accessibility`` (long form: category, threshold_min, urban_class, population,
population_within, share) and ``accessibility_summary``; layer ``isochrones`` (the cells
within T of the category's nearest facility, clipped to the study area); rasters
``tt_<cat>`` in every mode (every cell of a grid over the study area).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ..analysis.accessibility import (
    _grid,
    barriers,
    coverage,
    demand,
    euclidean,
    fca,
    friction,
    network,
    raam,
    tiled,
)
from ..analysis.accessibility.decay import gaussian
from ..geo.progress import progress
from ..geo.resources import budget_bytes, release_memory
from ..layers.readers import read_vector
from ..maps._report_zh import UNIT_POINT_ZH, Phrase, straight_line_zh
from ..pipeline import RunContext, analysis

logger = logging.getLogger("urbanrural")

NAME = "accessibility"
TT_TILE = 2048  # friction cells a side per dask tile (raster mode with scale: scheduler)
PAIR_BYTES = 12  # a pair of the plain OD table: int32 facility + float64 minutes
PLAIN_SHARE = 1 / 8  # network OD pairs stay grouped by road node unless the plain table fits this budget share


def _demand_points(ctx: RunContext, how: str) -> tuple[pd.DataFrame, str, Phrase]:
    """Demand points (with a zero-people point per unit without people), the variant used
    and its run.json description (with its Chinese for the report)."""
    units = ctx.units
    pop = ctx.area.population
    raster = pop.raster if pop is not None else None
    if how in ("raster", "weighted_centroid") and raster is None:
        ctx.note(NAME, "warning", f"demand: {how} needs a population raster; one point per unit used "
                 "(its centroid, or its representative point when the centroid is outside it)")
    people = None
    if how == "centroid" or raster is None:
        if "population" in units.columns:
            people = units["population"]
        elif pop is not None:
            people = pop.per_unit
        else:
            ctx.note(NAME, "warning", "no population: each unit counts as one person")
            people = pd.Series(1.0, index=units.index)
    zonal = ctx.config.population.zonal if ctx.config.population is not None else "exact"
    points, used = demand.demand_points(units, how=how, raster=raster, people=people, zonal=zonal)
    small = int(points.attrs.get("fallback_smaller_than_cell", 0))
    if small:
        ctx.note(NAME, "info", f"{small} unit(s) smaller than one population cell got no people from the raster: "
                 "each is priced at its unit point (centroid, or representative point) rather than left without a "
                 "time")
    up = demand.unit_points(units)
    n_rep = int((up["point"] != "centroid").sum())
    unit_point = (f"the unit point: {demand.UNIT_POINT_RULE}; {n_rep} of {len(units)} units use the "
                  "representative point")
    unit_point_zh = f"单元代表点：{UNIT_POINT_ZH}；{len(units)} 个单元中有 {n_rep} 个使用代表点"
    empty = int(points["fallback"].sum())
    desc = {"raster": "populated raster cells (cell centres), weight = people",
            "weighted_centroid": "one point per unit at the population-weighted mean of its cell centres",
            "centroid": f"one point per unit, weight = the unit's people; {unit_point}"}[used]
    zh = {"raster": "有人口的栅格（取栅格中心点），权重为人口",
          "weighted_centroid": "每个单元一个点，位于其栅格中心点的人口加权平均位置",
          "centroid": f"每个单元一个点，权重为单元人口；{unit_point_zh}"}[used]
    if used != "centroid":
        desc += f"; units without people ({empty}): {unit_point}"
        zh += f"；无人口单元（{empty} 个）：{unit_point_zh}"
    else:
        desc += f"; units without people: {empty}"
        zh += f"；无人口单元：{empty} 个"
    return points, used, Phrase(desc, zh)


def _capacity(ctx: RunContext, fac: gpd.GeoDataFrame, cat: str) -> pd.Series:
    if "capacity" not in fac.columns:
        ctx.note(NAME, "warning", f"{cat}: no capacity given; FCA measures count every facility as capacity 1")
        return pd.Series(1.0, index=pd.RangeIndex(len(fac)))
    cap = pd.to_numeric(fac["capacity"], errors="coerce").astype(float).reset_index(drop=True)
    if cap.isna().all():
        ctx.note(NAME, "warning", f"{cat}: no capacity given; FCA measures count every facility as capacity 1")
        return cap.fillna(1.0)
    if cap.isna().any():
        ctx.note(NAME, "warning", f"{cat}: {int(cap.isna().sum())} of {len(cap)} facilities have no capacity; "
                 "they count as capacity 1 in FCA measures")
        cap = cap.fillna(1.0)
    if (cap < 0).any():
        ctx.note(NAME, "warning", f"{cat}: {int((cap < 0).sum())} negative capacities set to 0")
        cap = cap.clip(lower=0)
    if (cap == 0).any():
        ctx.note(NAME, "info", f"{cat}: {int((cap == 0).sum())} facilities have capacity 0 (they add no supply)")
    return cap


def _measures(od: pd.DataFrame, people: pd.Series, cap: pd.Series, max_cost: float, origins: pd.Index,
              cfg: Any, info: dict[str, object]) -> dict[str, Callable[[], pd.Series | None]]:
    def _raam() -> pd.Series:
        if not (cap > 0).any():  # no supply: RAAM's demand/supply ratio is undefined
            info.update(raam_cycles=0, raam_converged=None)
            return pd.Series(np.nan, index=origins)
        r = raam.raam(od, people, cap, tau=cfg.raam_tau, max_cycles=cfg.raam_max_cycles)
        info.update(raam_cycles=r.cycles, raam_converged=r.converged, raam_period=r.period, raam_rho=r.rho)
        return r.cost

    return {
        "2sfca": lambda: fca.two_step_fca(od, people, cap, max_cost=max_cost),
        "e2sfca": lambda: fca.enhanced_two_step_fca(od, people, cap, max_cost=max_cost),
        "g2sfca": lambda: fca.gaussian_two_step_fca(od, people, cap, max_cost=max_cost),
        "3sfca": lambda: fca.three_step_fca(od, people, cap, max_cost=max_cost),
        "gravity": lambda: fca.gravity(od, cap, decay=gaussian(max_cost / 2), max_cost=max_cost, origins=origins),
        "cumulative": lambda: fca.cumulative(od, cap, threshold=max_cost, origins=origins),
        "raam": _raam,
    }


def _kept_facilities(ctx: RunContext, study: shapely.Geometry) -> tuple[gpd.GeoDataFrame, NDArray[np.bool_]]:
    """Facilities used (all, or those inside the study area with ``facilities_outside: drop``)
    and the outside mask of all facilities."""
    fac = ctx.area.facilities
    outside = ~shapely.contains_xy(study, fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
    if ctx.config.analyses.accessibility.facilities_outside == "drop":
        return fac[~outside], outside
    return fac, outside



def _distances(ctx: RunContext, points: pd.DataFrame, kept: gpd.GeoDataFrame, used: str) -> None:
    """``dist_<cat>_km`` for every category, from the demand points (NaN when every facility
    of a category was dropped)."""
    cats = pd.unique(ctx.area.facilities["category"].astype(str))
    d = euclidean.straight_line_km(ctx.units, kept, points=points) if len(kept) else \
        pd.DataFrame(index=ctx.units.index)
    for cat in cats:
        col = f"dist_{cat}_km"
        ctx.units[col] = d[col] if col in d.columns else np.nan
    ctx.units = ctx.units.copy()
    drop = ctx.config.analyses.accessibility.facilities_outside == "drop"
    ctx.variants["straight_line"] = Phrase(
        euclidean.straight_line_variant(used)
        + ("; facilities outside the study area left out (facilities_outside: drop)" if drop else ""),
        straight_line_zh(used) + ("；研究区外的设施不参与计算（`facilities_outside: drop`）" if drop else ""))


def _raster_surface(ctx: RunContext, roads: gpd.GeoDataFrame | None, walk: float,
                    study: shapely.Geometry) -> tuple[friction.FrictionSurface, np.ndarray]:
    cfg = ctx.config.analyses.accessibility
    area = ctx.area
    res = float(cfg.resolution)
    x0, y0, x1, y1 = ctx.units.total_bounds
    transform, shape = friction.grid_for((x0 - res, y0 - res, x1 + res, y1 + res), resolution=res)
    if roads is None:
        ctx.note(NAME, "warning", f"raster mode without roads: everyone walks at {walk:g} km/h")
    water = penalty = None
    if cfg.water is not None:
        # both lakes (polygons) and rivers (lines) are water: a multi-layer file needs water_layer
        water_gdf = read_vector(cfg.water, layer=cfg.water_layer, role="water",
                                section="analyses: accessibility: water_layer:")
        water = barriers.water_barrier(water_gdf, transform=transform, shape=shape, crs=area.crs)
    if cfg.penalty is not None:
        penalty = barriers.penalty_grid(cfg.penalty, transform=transform, shape=shape, crs=area.crs)
    surface = friction.friction_surface(roads, transform=transform, shape=shape, crs=area.crs,
                                        off_road_kmh=walk, barrier=water, penalty=penalty)
    mask = rasterio.features.geometry_mask([study], out_shape=shape, transform=transform, invert=True)
    ctx.results["friction_surface"] = {"rows": shape[0], "cols": shape[1], "resolution_m": res,
                                       "road_cells": surface.road_cells,
                                       "water_cells": int(water.sum()) if water is not None else 0,
                                       "impassable_cells": surface.barrier_cells}
    if water is not None:
        ctx.note(NAME, "info", f"water: {int(water.sum()):,} cells impassable off roads (bridges kept)")
    return surface, mask


_WALK_ZH = "`off_road_kmh`"
_FCA = Phrase(
    "pysal access semantics: catchment cost <= max_cost; e2sfca step {10:1, 20:.68, 30:.22}; "
    "3sfca step {10:.962, 20:.704, 30:.377, 60:.042} with G over all destinations; "
    "gravity gaussian(sigma = max_cost/2); g2sfca gaussian(sigma = max_cost/2); "
    "cumulative = capacity within max_cost; capacity missing -> 1",
    "采用 `pysal access` 的定义：服务范围为出行成本 ≤ `max_cost`；增强两步移动搜索法（E2SFCA）分段权重 "
    "{10:1, 20:.68, 30:.22}；三步移动搜索法（3SFCA）分段权重 {10:.962, 20:.704, 30:.377, 60:.042}，"
    "选择概率 G 按全部目的地计算；引力模型采用高斯距离衰减（σ = `max_cost`/2）；高斯两步移动搜索法（G2SFCA）"
    "同样采用高斯衰减（σ = `max_cost`/2）；累积机会法 = `max_cost` 以内的设施容量之和；容量缺失时计为 1")
_AGGREGATION = Phrase(
    "population-weighted mean over people with a finite time; unreachable people counted "
    "in underserved_* and accessibility_summary, never given a time",
    "对出行时间有限的人口求人口加权平均；无法到达的人口计入 `underserved_*` 与 `accessibility_summary`，"
    "不赋予出行时间")
_REACH = Phrase(
    "reach_<cat>: 'ok' = tt_<cat>_min is the mean over the unit's people who can reach a facility; "
    "'unreachable' = none of its people (for a unit without people: its point) can reach one, "
    "tt_<cat>_min NaN; 'no people' = the unit has no people, tt_<cat>_min is the time from its point",
    "`reach_<cat>`：`'ok'` 表示 `tt_<cat>_min` 为单元内能到达设施的人口的平均出行时间；`'unreachable'` 表示"
    "单元内无人（无人口单元则为其代表点）能到达任何设施，`tt_<cat>_min` 为空值（NaN）；`'no people'` 表示单元"
    "无人口，`tt_<cat>_min` 为自其代表点起算的出行时间")
_NO_PEOPLE = Phrase(
    "a unit without people takes every per-point value from its unit point: tt, dist and the FCA "
    "family (2sfca, e2sfca, g2sfca, 3sfca, gravity, cumulative: its point joins the OD table with "
    "0 people, so it changes no one else's score); acc_raam is NaN for it (RAAM assigns people, "
    "a point without people has no assignment)",
    "无人口单元的各项逐点指标均取自其代表点：出行时间、直线距离及移动搜索法（FCA）系列（`2sfca`、`e2sfca`、"
    "`g2sfca`、`3sfca`、`gravity`、`cumulative`：该点以 0 人口加入起讫点（OD）表，不改变其他点的得分）；"
    "其 `acc_raam` 为空值（RAAM 分配的是人口，无人口的点没有分配结果）")
_UNREACHABLE = Phrase(
    "tt NaN, reach 'unreachable'; FCA family 0 (no supply in reach); RAAM NaN",
    "出行时间为空值（NaN），`reach` 为 `'unreachable'`；FCA 系列得分为 0（可达范围内无供给）；RAAM 为空值（NaN）")
_ISOCHRONES = Phrase(
    "cells of the travel-time raster within T minutes of the category's nearest facility, "
    "polygonised and clipped to the study area (union of the units); facility = 'all'",
    "出行时间栅格中到该类别最近设施不超过 T 分钟的栅格，转为面并裁剪至研究区（各单元的并集）；"
    "`facility` = `'all'`")
_NETWORK = Phrase(
    "road graph, nodes at shared vertices, nearest node by KD-tree, off-road legs at off_road_kmh, "
    "exact multi-source Dijkstra (scipy.sparse.csgraph)",
    f"道路网络图：以共享顶点为节点，用 KD 树查找最近节点，道路外路段按 {_WALK_ZH} 速度计时，"
    "精确多源 Dijkstra 最短路径算法（`scipy.sparse.csgraph`）")


def _grid_zh(grid_desc: str) -> str:
    """Chinese of the travel-time grid's description (:func:`_grid.study_grid`)."""
    if m := re.fullmatch(r"population raster grid \((\S+) m cells\)", grid_desc):
        return f"人口栅格格网（{m[1]} 米栅格）"
    if m := re.fullmatch(r"(\S+) m grid \(analyses\.accessibility\.resolution\)", grid_desc):
        return f"{m[1]} 米格网（`analyses.accessibility.resolution`）"
    if m := re.fullmatch(r"(\S+) m friction grid", grid_desc):
        return f"{m[1]} 米摩擦成本格网"
    return f"`{grid_desc}`"


def _raster_variant(cfg: Any, walk: float) -> Phrase:
    water = ("impassable except on roads", "除道路外不可通行") if cfg.water else ("not given", "未提供")
    penalty = ("multiplier raster (area average)", "倍数栅格（按面积平均）") if cfg.penalty else ("none", "无")
    return Phrase(
        f"friction surface {cfg.resolution:g} m, roads at class speeds (fastest wins), off-road "
        f"{walk:g} km/h, water {water[0]}, off-road penalty {penalty[0]}; 8-neighbour "
        "cost distance, step = mean of the two cells x geometric length (MCP_Geometric rule)",
        f"摩擦成本面 {cfg.resolution:g} 米，道路按等级速度计（取最快者），道路外 {walk:g} 公里/小时，水域：{water[1]}，"
        f"道路外惩罚：{penalty[1]}；8 邻域成本距离，每步成本 = 相邻两栅格成本均值 × 几何长度（`MCP_Geometric` 规则）")


def _raam_variant(cfg: Any) -> Phrase:
    return Phrase(
        f"Saxon and Snow RAAM, access's iteration; tau {cfg.raam_tau:g} min, rho = demand/supply, options "
        f"= pairs within max_cost; {cfg.raam_max_cycles} cycles, cut short exactly once the assignment settles "
        "(no one moves, or a repeating cycle of states); access runs 150 cycles",
        f"Saxon 与 Snow 的理性主体可达性模型（RAAM），迭代方式同 `access` 库；τ = {cfg.raam_tau:g} 分钟，"
        f"ρ = 需求/供给，可选设施为 `max_cost` 以内的起讫点对；最多迭代 {cfg.raam_max_cycles} 次，分配稳定后"
        "（无人再移动，或状态出现重复循环）即精确终止；`access` 库固定迭代 150 次")


def _tt_raster_variant(mode: str, grid_desc: str) -> Phrase:
    if mode == "raster":
        return Phrase(f"rasters/tt_<cat>.tif: the friction surface's travel time ({grid_desc}); -2 = "
                      "unreachable; nodata -1 outside the study area",
                      f"`rasters/tt_<cat>.tif`：摩擦成本面的出行时间（{_grid_zh(grid_desc)}）；-2 表示无法到达；"
                      "研究区外为无数据值 -1")
    return Phrase(f"rasters/tt_<cat>.tif: every cell of the {grid_desc} whose centre lies in the study area, "
                  "priced like a demand point (network: nearest node + off-road leg; straight line: nearest "
                  "facility); -2 = no facility reachable; nodata -1 outside the study area",
                  f"`rasters/tt_<cat>.tif`：{_grid_zh(grid_desc)}中中心位于研究区内的每个栅格，按需求点的方式计算"
                  "出行时间（路网：最近节点 + 道路外路段；直线：最近设施）；-2 表示无可达设施；研究区外为无数据值 -1")


def _variants(ctx: RunContext, mode: str, walk: float, demand_desc: str, grid_desc: str) -> None:
    """``variants.accessibility`` of run.json: each description in English with its Chinese."""
    cfg = ctx.config.analyses.accessibility
    ctx.variants["accessibility"] = {
        "engine": mode, "demand": demand_desc, "off_road_kmh": walk,
        "network": _NETWORK if mode == "network" else None,
        "raster": _raster_variant(cfg, walk) if mode == "raster" else None,
        "straight_line": Phrase(f"circuity {cfg.circuity}, {cfg.speed_kmh} km/h",
                                f"绕行系数 {cfg.circuity}，速度 {cfg.speed_kmh} 公里/小时")
        if mode == "euclidean" else None,
        "fca": _FCA,
        "raam": _raam_variant(cfg) if "raam" in cfg.measures else None,
        "unit aggregation": _AGGREGATION, "reach": _REACH, "no people": _NO_PEOPLE, "unreachable": _UNREACHABLE,
        "tt raster": _tt_raster_variant(mode, grid_desc), "isochrones": _ISOCHRONES}


@analysis("accessibility")
def accessibility_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.accessibility
    area = ctx.area
    if area.facilities is None or len(area.facilities) == 0:
        ctx.note(NAME, "skipped", "no facilities given (config: facilities:)")
        return
    mode = cfg.mode
    roads = area.roads if area.roads is not None and len(area.roads) else None
    study = shapely.union_all(ctx.units.geometry.to_numpy())
    points, used, demand_desc = _demand_points(ctx, cfg.demand)
    kept, fac_outside = _kept_facilities(ctx, study)
    _distances(ctx, points, kept, used)  # every category, before any skip below
    if mode == "network" and roads is None:
        ctx.note(NAME, "skipped", "mode network needs roads (config: roads:); give roads or use mode: euclidean")
        return
    cats_all = sorted(area.facilities["category"].astype(str).unique())
    cats = list(cfg.categories or cats_all)
    missing = [c for c in cats if c not in cats_all]
    if missing:
        ctx.note(NAME, "warning", f"categories {missing} have no facilities and are left out; present: {cats_all}")
        cats = [c for c in cats if c in cats_all]
    if not cats:
        ctx.note(NAME, "skipped", "no facility of the configured categories")
        return
    if points["people"].sum() <= 0:
        ctx.note(NAME, "skipped", "no people in the units (empty population)")
        return
    has_class = "urban_class" in ctx.units.columns
    if has_class:
        points["urban_class"] = demand.unit_column(points, ctx.units["urban_class"].astype(object))
    else:
        ctx.note(NAME, "info", "no urban_class column (urban_rural analysis not run): shares are overall only")
    walk = ctx.config.roads.off_road_speed if ctx.config.roads is not None else 5.0
    index = ctx.units.index
    pxy = points[["x", "y"]].to_numpy()
    people = points["people"]
    out = ctx.out

    graph = surface = mask = grid = None
    if mode == "network":
        graph = network.build_graph(roads, node_crossings=ctx.config.roads.node_crossings,
                                    components=ctx.config.roads.components)
        osnap = network.snap(graph, pxy, name="demand points")  # once for every category
        o_leg = osnap.distance_m / (walk * 1000.0 / 60.0)
        ctx.results["road_graph"] = graph.summary()
        if graph.n_components > 1:
            comps = network.components(graph)
            hint = "; to snap everyone to the main network set roads: components: largest"
            if not ctx.config.roads.node_crossings:
                hint += " (or, if lines cross without a shared vertex, roads: node_crossings: true)"
            ctx.note(NAME, "warning", f"road network has {graph.n_components} disconnected components (largest "
                     f"{comps['share'].iloc[0]:.1%} of nodes, smallest {int(comps['nodes'].min())} nodes); people "
                     f"joined to a component without a facility get no time and are counted as unreachable{hint}")
    elif mode == "raster":
        surface, mask = _raster_surface(ctx, roads, walk, study)
    if mode != "raster":
        pop = area.population
        grid = _grid.study_grid(study, raster=pop.raster if pop is not None else None,
                                resolution=float(cfg.resolution), crs=area.crs)
        grid_desc = grid.source
    else:
        grid_desc = f"{cfg.resolution:g} m friction grid"
    _variants(ctx, mode, walk, demand_desc, grid_desc)
    # for the panel's travel times per year (analyses.panel): the same graph, points and facilities
    used_fac: dict[str, gpd.GeoDataFrame] = {}
    ctx.cache[NAME] = {"mode": mode, "graph": graph, "surface": surface, "points": points, "demand": used,
                       "snap": osnap if mode == "network" else None, "walk_kmh": walk, "speed_kmh": cfg.speed_kmh,
                       "circuity": cfg.circuity, "thresholds": list(cfg.thresholds), "facilities": used_fac}
    on_dask = bool(ctx.scale.get("scheduler"))
    release_memory()  # what building the demand points and the graph freed, before the categories
    coverage_parts, summary = [], []
    bands: dict[str, _grid.Bands] = {}
    cell_times: dict[str, Callable[[Any], np.ndarray]] = {}
    for cat in progress(cats, desc="accessibility", unit="category"):
        is_cat = (area.facilities["category"].astype(str) == cat).to_numpy()
        fac = area.facilities[is_cat]
        outside = int(fac_outside[is_cat].sum())
        if outside:
            drop = cfg.facilities_outside == "drop"
            ctx.note(NAME, "info", f"{cat}: {outside} of {len(fac)} facilit{'y' if outside == 1 else 'ies'} outside "
                     "the study area " + ("dropped (facilities_outside: drop)" if drop else
                                          "kept: people may cross the border to reach them (facilities_outside: "
                                          "drop to leave them out)"))
            if drop:
                fac = fac[~fac_outside[is_cat]]
                if len(fac) == 0:
                    ctx.note(NAME, "warning", f"{cat}: every facility is outside the study area; category left out")
                    continue
        fdf = pd.DataFrame({"x": fac.geometry.x.to_numpy(), "y": fac.geometry.y.to_numpy()})
        used_fac[cat] = fac
        row: dict[str, object] = {"category": cat, "facilities": len(fac), "facilities_outside_area": outside}
        if mode == "network":
            node_t = network.node_costs(graph, fdf, walk_kmh=walk)
            minutes = node_t[osnap.node] + o_leg
            row["max_facility_snap_m"] = float(network.snap(graph, fdf).distance_m.max())
            cell_times[cat] = _network_cells(node_t, walk)
        elif mode == "raster":
            # with scale: scheduler, tiles with halos on the cluster, rounds until settled (equal bits)
            tt = tiled.travel_time_tiled(surface, fdf, tile=TT_TILE, scheduler="dask") \
                if on_dask and max(surface.shape) > TT_TILE else friction.travel_time(surface, fdf)
            minutes = friction.sample(tt, surface.transform, pxy)
            minutes = np.where(np.isnan(minutes), np.inf, minutes)
            ctx.rasters[f"tt_{cat}"] = friction.write_geotiff(out.file("rasters", f"tt_{cat}", ".tif"), tt,
                                                              transform=surface.transform, crs=area.crs, mask=mask)
            bands[cat] = _grid.bands_from_array(tt, mask, surface.transform, cfg.thresholds)
            del tt
            row["facilities_outside_grid"] = friction.outside_count(surface, fdf)
        else:
            if on_dask:  # origin blocks on the cluster, facilities sent once (the same minutes)
                minutes = tiled.nearest_minutes_partitioned(pxy, fdf, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity,
                                                            scheduler="dask")
            else:
                minutes = euclidean.nearest_minutes(pxy, fdf, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity)
            cell_times[cat] = _euclid_cells(fdf, euclidean.minutes_per_metre(speed_kmh=cfg.speed_kmh,
                                                                             circuity=cfg.circuity))
        agg = demand.unit_values(minutes, points, index=index)
        ctx.units[f"tt_{cat}_min"] = agg["mean"]
        ctx.units[f"reach_{cat}"] = agg["reach"]
        unreachable = float(agg["unreachable"].sum())
        row["people"] = float(people.sum())
        row["people_unreachable"] = unreachable
        row["units_unreachable"] = int((agg["reach"] == demand.REACH_UNREACHABLE).sum())
        row["units_no_people"] = int((agg["people"] <= 0).sum())
        fin = np.isfinite(minutes)
        row["mean_tt_min"] = float(np.average(minutes[fin], weights=people[fin])) if people[fin].sum() > 0 \
            else float("nan")
        if unreachable > 0:
            ctx.note(NAME, "warning", f"{cat}: {unreachable:,.0f} people can reach no {cat} (network island or "
                     "barrier); counted as underserved, not given a time")
        for th in cfg.thresholds:
            t = f"{th:g}"
            w = demand.within_share(minutes, points, threshold=th, index=index)
            ctx.units[f"within_{t}min_share_{cat}"] = w["share"]
            ctx.units[f"underserved_{t}min_{cat}"] = coverage.underserved(minutes, points, threshold=th, index=index)
        cov = coverage.coverage_table(minutes, points, thresholds=cfg.thresholds)
        cov.insert(0, "category", cat)
        coverage_parts.append(cov)
        if has_class:
            for c in ("urban", "rural"):
                m = (points["urban_class"] == c).to_numpy() & fin
                row[f"mean_tt_{c}_min"] = float(np.average(minutes[m], weights=people[m])) \
                    if people[m].sum() > 0 else float("nan")
            row["rural_urban_time_ratio"] = coverage.mean_time_ratio(minutes, points)
        if "nearest" in cfg.measures:
            ctx.units[f"acc_nearest_{cat}"] = agg["mean"]
        fca_measures = [m for m in cfg.measures if m != "nearest"]
        if fca_measures:
            _fca(ctx, cat, fac, fdf, points, graph, surface, mode, walk, fca_measures, row,
                 osnap if mode == "network" else None)
        if graph is not None:
            circles = coverage.life_circle(graph, points, fdf, snapped=osnap)
            for k, v in circles.items():
                row[f"life_circle_{k}_share"] = v
        summary.append(row)
        ctx.units = ctx.units.copy()  # a category adds many columns one by one: defragment
        release_memory()  # this category's OD blocks back to the OS before the next one
    if cell_times:
        prepare = (lambda xy: network.snap(graph, xy)) if mode == "network" else (lambda xy: xy)
        paths = {cat: out.file("rasters", f"tt_{cat}", ".tif") for cat in cell_times}
        bands.update(_grid.write_cell_times(paths, grid, study, crs=area.crs, prepare=prepare, times=cell_times,
                                            thresholds=cfg.thresholds))
        for cat, p in paths.items():
            ctx.rasters[f"tt_{cat}"] = Path(p)
        ctx.results["tt_grid"] = {"rows": grid.shape[0], "cols": grid.shape[1], "source": grid.source}
    iso_parts = []
    for cat, b in bands.items():
        iso = _grid.isochrones(b, study, crs=area.crs)
        if len(iso):
            iso.insert(0, "category", cat)
            iso_parts.append(iso)
    if not summary:
        ctx.note(NAME, "skipped", "every configured category was left out")
        return
    ctx.tables["accessibility"] = pd.concat(coverage_parts, ignore_index=True)
    ctx.tables["accessibility_summary"] = pd.DataFrame(summary).set_index("category")
    if iso_parts:
        ctx.layers["isochrones"] = gpd.GeoDataFrame(pd.concat(iso_parts, ignore_index=True), geometry="geometry",
                                                    crs=area.crs)
    if has_class and roads is not None:
        rural = (points["urban_class"] == "rural").to_numpy()
        rai = coverage.rural_access_index(points, roads, rural=rural)
        ctx.results["rural_access_index"] = rai.to_dict()
        ctx.variants["rural_access_index"] = Phrase(
            "SDG 9.1.1: rural people within 2 km (straight line) of a road; every road class counted as "
            "all-season (no all-season list configured)",
            "可持续发展目标 SDG 9.1.1：距道路 2 公里（直线距离）以内的农村人口；所有道路等级均视为全天候道路"
            "（未配置全天候道路清单）")
    ctx.results["accessibility"] = {"categories": [r["category"] for r in summary],
                                    "demand_points": int((~points["fallback"]).sum()),
                                    "unit_points_without_people": int(points["fallback"].sum()),
                                    "people": float(people.sum()),
                                    "people_unreachable": {r["category"]: r["people_unreachable"] for r in summary}}


def _network_cells(node_t: np.ndarray, walk: float) -> Callable[[network.Snapped], np.ndarray]:
    per_m = 1.0 / (walk * 1000.0 / 60.0)
    return lambda s: node_t[s.node] + s.distance_m * per_m


def _euclid_cells(fdf: pd.DataFrame, per_m: float) -> Callable[[np.ndarray], np.ndarray]:
    tree = cKDTree(fdf[["x", "y"]].to_numpy(dtype=float))
    return lambda xy: tree.query(xy, workers=-1)[0] * per_m


def _fca(ctx: RunContext, cat: str, fac: gpd.GeoDataFrame, fdf: pd.DataFrame, points: pd.DataFrame,
         graph: network.RoadGraph | None, surface: friction.FrictionSurface | None, mode: str, walk: float,
         measures: list[str], row: dict[str, object], osnap: network.Snapped | None = None) -> None:
    """acc_<measure>_<cat> for the FCA family and RAAM (points without people included, weight 0)."""
    cfg = ctx.config.analyses.accessibility
    index = ctx.units.index
    # a compact CSR table (12 bytes a pair, no frame of ids), built block by block; on roads
    # one row per road node, each demand point adding its own leg (same pairs, same bits)
    if mode == "network":
        od = network.od_table(graph, points, fdf, max_cost=cfg.max_cost, walk_kmh=walk, by_node=True,
                              origin_snap=osnap)
        if od.grouped and PAIR_BYTES * len(od) <= budget_bytes() * PLAIN_SHARE:
            od = od.expand()  # small enough for the plain table, which RAAM reads ~25 % faster
    elif mode == "raster":
        od = friction.od_table(surface, points, fdf, max_cost=cfg.max_cost, compact=True)
    else:
        od = euclidean.od_table(points, fdf, max_cost=cfg.max_cost, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity,
                                compact=True)
    row["od_pairs"] = len(od)
    cap = _capacity(ctx, fac, cat)
    if "raam" in measures and not (cap > 0).any():
        ctx.note(NAME, "warning", f"{cat}: every facility has capacity 0: FCA scores are 0 and RAAM is undefined "
                 "(acc_raam NaN)")
    info: dict[str, object] = {}
    table = _measures(od, points["people"], cap, cfg.max_cost, points.index, cfg, info)
    for m in measures:
        vals = table[m]().reindex(points.index).to_numpy(dtype=float)
        # FCA family: no facility in reach = 0 supply; RAAM (a cost, lower is better): no
        # option = unreachable, left out of the mean like an infinite travel time
        vals = np.where(np.isnan(vals), np.inf if m == "raam" else 0.0, vals)
        ctx.units[f"acc_{m}_{cat}"] = demand.unit_values(vals, points, index=index)["mean"]
    row.update(info)
    if info.get("raam_converged") is False:
        ctx.note(NAME, "warning", f"{cat}: RAAM still moving people after {info['raam_cycles']} cycles; "
                 "raise analyses.accessibility.raam_max_cycles")
