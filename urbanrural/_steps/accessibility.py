"""Pipeline step ``analyses.accessibility``: travel times, coverage and FCA scores per unit.

Writes, per facility category ``<cat>`` and threshold ``<T>``: unit columns
``tt_<cat>_min`` (population-weighted mean minutes over people who can reach one),
``within_<T>min_share_<cat>``, ``underserved_<T>min_<cat>`` (people beyond T, unreachable
ones included), ``acc_<measure>_<cat>`` (population-weighted mean score); tables
``accessibility`` (long form: category, threshold_min, urban_class, population,
population_within, share) and ``accessibility_summary``; layer ``isochrones``; rasters
``tt_<cat>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely

from ..analysis.accessibility import (
    barriers,
    coverage,
    demand,
    euclidean,
    fca,
    friction,
    network,
    raam,
)
from ..analysis.accessibility.decay import gaussian
from ..geo.io import atomic_path
from ..layers.readers import read_vector
from ..pipeline import RunContext, analysis

logger = logging.getLogger("urbanrural")

NAME = "accessibility"
_ISO_MAX_FACILITIES = 50  # isochrones are drawn for categories with at most this many facilities


def _demand_points(ctx: RunContext, how: str) -> tuple[pd.DataFrame, str]:
    units = ctx.units
    pop = ctx.area.population
    raster = pop.raster if pop is not None else None
    if how in ("raster", "weighted_centroid") and raster is None:
        ctx.note(NAME, "warning", f"demand: {how} needs a population raster; unit representative points used")
        how = "centroid"
    if how == "raster":
        return demand.from_raster(raster, units), "populated raster cells (cell centres)"
    if how == "weighted_centroid":
        return demand.from_weighted_centroids(demand.from_raster(raster, units), units), \
            "population-weighted unit centroids"
    if "population" in units.columns:
        people = units["population"]
    elif pop is not None:
        people = pop.per_unit
    else:
        ctx.note(NAME, "warning", "no population: each unit counts as one person")
        people = pd.Series(1.0, index=units.index)
    return demand.from_centroids(units, people), "unit representative points"


def _cell_raster(ctx: RunContext, points: pd.DataFrame, minutes: np.ndarray, name: str) -> None:
    """Travel time of every populated cell on the population grid (network / straight-line modes)."""
    info = ctx.area.population.raster
    out = np.full((info.height, info.width), friction.NODATA, dtype="float32")
    out[points["row"].to_numpy(), points["col"].to_numpy()] = np.where(np.isfinite(minutes), minutes,
                                                                       friction.UNREACHABLE)
    path = ctx.tmp / "rasters" / f"{name}.tif"
    path.parent.mkdir(exist_ok=True)
    profile = dict(driver="GTiff", width=info.width, height=info.height, count=1, dtype="float32",
                   crs=info.crs, transform=info.transform, nodata=friction.NODATA, compress="deflate")
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(out, 1)
        dst.update_tags(units="minutes", note="-2 = no facility reachable; nodata -1 = no people")
    ctx.rasters[name] = path


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
              cfg: object, info: dict[str, object]) -> dict[str, Callable[[], pd.Series | None]]:
    def _raam() -> pd.Series:
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


def _euclid_isochrones(fac: pd.DataFrame, thresholds: list[float], *, speed_kmh: float, circuity: float,
                       crs: object) -> gpd.GeoDataFrame:
    per_m = euclidean.minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)
    rows = [{"facility": fid, "minutes": float(t), "geometry": shapely.Point(x, y).buffer(t / per_m, 32)}
            for fid, x, y in zip(fac.index, fac["x"], fac["y"], strict=True) for t in thresholds]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _raster_isochrones(tt: np.ndarray, transform: object, thresholds: list[float], crs: object) -> gpd.GeoDataFrame:
    rows = []
    for t in thresholds:
        mask = np.isfinite(tt) & (tt <= t)
        if not mask.any():
            continue
        polys = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
            mask.astype("uint8"), mask=mask, transform=transform) if v == 1]
        rows.append({"facility": "all", "minutes": float(t), "geometry": shapely.union_all(polys)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else \
        gpd.GeoDataFrame({"facility": [], "minutes": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


@analysis("accessibility")
def accessibility_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.accessibility
    area = ctx.area
    if area.facilities is None or len(area.facilities) == 0:
        ctx.note(NAME, "skipped", "no facilities given (config: facilities:)")
        return
    mode = cfg.mode
    roads = area.roads if area.roads is not None and len(area.roads) else None
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
    points, demand_desc = _demand_points(ctx, cfg.demand)
    if len(points) == 0 or points["people"].sum() <= 0:
        ctx.note(NAME, "skipped", "no people in the units (empty population)")
        return
    points.index = pd.RangeIndex(len(points), name="origin")  # integer ids keep the OD joins fast
    has_class = "urban_class" in ctx.units.columns
    if has_class:
        points["urban_class"] = ctx.units["urban_class"].astype(object).reindex(points["unit"]).to_numpy()
    else:
        ctx.note(NAME, "info", "no urban_class column (urban_rural analysis not run): shares are overall only")
    walk = ctx.config.roads.off_road_speed if ctx.config.roads is not None else 5.0
    index = ctx.units.index
    pxy = points[["x", "y"]].to_numpy()
    people = points["people"]
    study = shapely.union_all(ctx.units.geometry.to_numpy())

    graph = surface = None
    mask = None
    if mode == "network":
        graph = network.build_graph(roads, node_crossings=ctx.config.roads.node_crossings)
        osnap = network.snap(graph, pxy, name="demand points")  # once for every category
        ctx.results["road_graph"] = graph.summary()
        if graph.n_components > 1:
            comps = network.components(graph)
            hint = "" if ctx.config.roads.node_crossings else (
                "; if lines cross without a shared vertex, set roads: node_crossings: true")
            ctx.note(NAME, "warning", f"road network has {graph.n_components} disconnected components (largest "
                     f"{comps['share'].iloc[0]:.1%} of nodes, smallest {int(comps['nodes'].min())} nodes); people "
                     f"joined to a component without a facility get no time and are counted as unreachable{hint}")
    elif mode == "raster":
        res = float(cfg.resolution)
        x0, y0, x1, y1 = ctx.units.total_bounds
        transform, shape = friction.grid_for((x0 - res, y0 - res, x1 + res, y1 + res), resolution=res)
        if roads is None:
            ctx.note(NAME, "warning", f"raster mode without roads: everyone walks at {walk:g} km/h")
        water = penalty = None
        if cfg.water is not None:
            water = barriers.water_barrier(read_vector(cfg.water), transform=transform, shape=shape, crs=area.crs)
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
    ctx.variants["accessibility"] = {
        "engine": mode, "demand": demand_desc, "off_road_kmh": walk,
        "network": "road graph, nodes at shared vertices, nearest node by KD-tree, off-road legs at off_road_kmh, "
                   "exact multi-source Dijkstra (scipy.sparse.csgraph)" if mode == "network" else None,
        "raster": (f"friction surface {cfg.resolution:g} m, roads at class speeds (fastest wins), off-road "
                   f"{walk:g} km/h, water {'impassable except on roads' if cfg.water else 'not given'}, "
                   f"off-road penalty {'multiplier raster (area average)' if cfg.penalty else 'none'}; 8-neighbour "
                   "cost distance, step = mean of the two cells x geometric length (MCP_Geometric rule)")
        if mode == "raster" else None,
        "straight_line": f"circuity {cfg.circuity}, {cfg.speed_kmh} km/h" if mode == "euclidean" else None,
        "fca": "pysal access semantics: catchment cost <= max_cost; e2sfca step {10:1, 20:.68, 30:.22}; "
               "3sfca step {10:.962, 20:.704, 30:.377, 60:.042} with G over all destinations; "
               "gravity gaussian(sigma = max_cost/2); g2sfca gaussian(sigma = max_cost/2); "
               "cumulative = capacity within max_cost; capacity missing -> 1",
        "raam": (f"Saxon and Snow RAAM, access's iteration; tau {cfg.raam_tau:g} min, rho = demand/supply, options "
                 f"= pairs within max_cost; {cfg.raam_max_cycles} cycles, cut short exactly once the assignment settles "
                 "(no one moves, or a repeating cycle of states); access runs 150 cycles") if "raam" in cfg.measures else None,
        "unit aggregation": "population-weighted mean over people with a finite time; unreachable people counted "
                            "in underserved_* and accessibility_summary, never given a time",
        "isochrones": {"network": "buffered (250 m) concave hull (ratio 0.3) of road nodes reaching the facility "
                                  "within T", "euclidean": "circle of radius T / minutes-per-metre",
                       "raster": "cells within T of the category's nearest facility, polygonised"}[mode]}
    coverage_parts, summary, iso_parts = [], [], []
    for cat in cats:
        fac = area.facilities[area.facilities["category"].astype(str) == cat]
        out_mask = ~shapely.contains_xy(study, fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
        outside = int(out_mask.sum())
        if outside:
            drop = cfg.facilities_outside == "drop"
            ctx.note(NAME, "info", f"{cat}: {outside} of {len(fac)} facilit{'y' if outside == 1 else 'ies'} outside "
                     "the study area " + ("dropped (facilities_outside: drop)" if drop else
                                          "kept: people may cross the border to reach them (facilities_outside: "
                                          "drop to leave them out)"))
            if drop:
                fac = fac[~out_mask]
                if len(fac) == 0:
                    ctx.note(NAME, "warning", f"{cat}: every facility is outside the study area; category left out")
                    continue
        fdf = pd.DataFrame({"x": fac.geometry.x.to_numpy(), "y": fac.geometry.y.to_numpy()})
        row: dict[str, object] = {"category": cat, "facilities": len(fac), "facilities_outside_area": outside}
        tt = None
        if mode == "network":
            res = network.nearest_facility(graph, osnap, fdf, walk_kmh=walk)
            minutes = res.cost
            row["max_facility_snap_m"] = float(res.facility_snap_m.max())
        elif mode == "raster":
            tt = friction.travel_time(surface, fdf)
            minutes = friction.sample(tt, surface.transform, pxy)
            minutes = np.where(np.isnan(minutes), np.inf, minutes)
            (ctx.tmp / "rasters").mkdir(exist_ok=True)
            ctx.rasters[f"tt_{cat}"] = friction.write_geotiff(ctx.tmp / "rasters" / f"tt_{cat}.tif", tt,
                                                              transform=surface.transform, crs=area.crs, mask=mask)
            row["facilities_outside_grid"] = friction.outside_count(surface, fdf)
        else:
            minutes = euclidean.nearest_minutes(pxy, fdf, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity)
        agg = demand.aggregate(minutes, points, index=index)
        ctx.units[f"tt_{cat}_min"] = agg["mean"]
        unreachable = float(agg["unreachable"].sum())
        row["people"] = float(people.sum())
        row["people_unreachable"] = unreachable
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
        if mode != "raster" and "row" in points.columns:
            _cell_raster(ctx, points, minutes, f"tt_{cat}")
        if "nearest" in cfg.measures:
            ctx.units[f"acc_nearest_{cat}"] = agg["mean"]
        fca_measures = [m for m in cfg.measures if m != "nearest"]
        if fca_measures:
            if mode == "network":
                od = network.od_table(graph, points, fdf, max_cost=cfg.max_cost, walk_kmh=walk)
            elif mode == "raster":
                od = friction.od_table(surface, points, fdf, max_cost=cfg.max_cost)
            else:
                od = euclidean.od_table(points, fdf, max_cost=cfg.max_cost, speed_kmh=cfg.speed_kmh,
                                        circuity=cfg.circuity)
            row["od_pairs"] = len(od)
            cap = _capacity(ctx, fac, cat)
            info: dict[str, object] = {}
            table = _measures(od, people, cap, cfg.max_cost, points.index, cfg, info)
            for m in fca_measures:
                vals = table[m]().reindex(points.index).to_numpy(dtype=float)
                # FCA family: no facility in reach = 0 supply; RAAM (a cost, lower is better): no
                # option = unreachable, left out of the mean like an infinite travel time
                vals = np.where(np.isnan(vals), np.inf if m == "raam" else 0.0, vals)
                ctx.units[f"acc_{m}_{cat}"] = demand.aggregate(vals, points, index=index)["mean"]
            row.update(info)
            if info.get("raam_converged") is False:
                ctx.note(NAME, "warning", f"{cat}: RAAM still moving people after {info['raam_cycles']} cycles; "
                         "raise analyses.accessibility.raam_max_cycles")
        if graph is not None:
            circles = coverage.life_circle(graph, points, fdf)
            for k, v in circles.items():
                row[f"life_circle_{k}_share"] = v
        if len(fac) <= _ISO_MAX_FACILITIES:
            fids = pd.DataFrame(fdf.to_numpy(), columns=["x", "y"], index=fac.index)
            if mode == "network":
                iso = coverage.isochrones(graph, fids, minutes=cfg.thresholds, walk_kmh=walk)
            elif mode == "euclidean":
                iso = _euclid_isochrones(fids, cfg.thresholds, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity,
                                         crs=area.crs)
            else:
                iso = _raster_isochrones(tt, surface.transform, cfg.thresholds, area.crs)
            if len(iso):
                iso = iso.set_crs(area.crs, allow_override=True)
                iso.insert(0, "category", cat)
                iso["facility"] = iso["facility"].astype(str)
                iso_parts.append(iso)
        summary.append(row)
    ctx.tables["accessibility"] = pd.concat(coverage_parts, ignore_index=True)
    ctx.tables["accessibility_summary"] = pd.DataFrame(summary).set_index("category")
    if iso_parts:
        ctx.layers["isochrones"] = gpd.GeoDataFrame(pd.concat(iso_parts, ignore_index=True), geometry="geometry",
                                                    crs=area.crs)
    if has_class and roads is not None:
        rural = (points["urban_class"] == "rural").to_numpy()
        rai = coverage.rural_access_index(points, roads, rural=rural)
        ctx.results["rural_access_index"] = rai.to_dict()
        ctx.variants["rural_access_index"] = ("SDG 9.1.1: rural people within 2 km (straight line) of a road; every "
                                              "road class counted as all-season (no all-season list configured)")
    ctx.results["accessibility"] = {"categories": cats, "demand_points": len(points), "people": float(people.sum()),
                                    "people_unreachable": {r["category"]: r["people_unreachable"] for r in summary}}
