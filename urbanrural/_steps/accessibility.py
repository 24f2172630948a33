"""Pipeline step ``analyses.accessibility``: travel times, coverage and FCA scores per unit."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from ..analysis.accessibility import coverage, demand, euclidean, fca, network
from ..analysis.accessibility.decay import gaussian
from ..geo.io import atomic_path
from ..pipeline import RunContext, analysis

logger = logging.getLogger("urbanrural")

_FCA = {"2sfca": fca.two_step_fca, "e2sfca": fca.enhanced_two_step_fca, "3sfca": fca.three_step_fca}


def _demand_points(ctx: RunContext, mode: str) -> tuple[pd.DataFrame, str]:
    area, units = ctx.area, ctx.units
    pop = area.population
    if mode == "raster" and pop is not None and pop.raster is not None:
        return demand.from_raster(pop.raster, units), "populated raster cells (cell centres)"
    people = units["population"] if "population" in units.columns else pd.Series(1.0, index=units.index)
    if mode == "weighted_centroid" and pop is not None and pop.raster is not None:
        return demand.from_weighted_centroids(demand.from_raster(pop.raster, units), units), \
            "population-weighted unit centroids"
    if "population" not in units.columns:
        ctx.note("accessibility", "warning", "no population: each unit counts as one person")
    return demand.from_centroids(units, people), "unit representative points"


def _tt_raster(ctx: RunContext, points: pd.DataFrame, minutes: np.ndarray, name: str) -> None:
    info = ctx.area.population.raster
    out = np.full((info.height, info.width), -1.0, dtype="float32")
    t = np.where(np.isfinite(minutes), minutes, -2.0)  # -2: no facility reachable
    out[points["row"].to_numpy(), points["col"].to_numpy()] = t
    (ctx.tmp / "rasters").mkdir(exist_ok=True)
    path = ctx.tmp / "rasters" / f"{name}.tif"
    profile = dict(driver="GTiff", width=info.width, height=info.height, count=1, dtype="float32",
                   crs=info.crs, transform=info.transform, nodata=-1.0, compress="deflate")
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(out, 1)
        dst.update_tags(units="minutes", note="-2 = no facility reachable; -1 = no people")
    ctx.rasters[name] = path


@analysis("accessibility")
def accessibility_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.accessibility
    area = ctx.area
    if area.facilities is None or len(area.facilities) == 0:
        ctx.note("accessibility", "skipped", "no facilities given")
        return
    cats_all = sorted(area.facilities["category"].unique())
    cats = cfg.categories or cats_all
    missing = [c for c in cats if c not in cats_all]
    if missing:
        ctx.note("accessibility", "warning", f"categories {missing} have no facilities; valid: {cats_all}")
        cats = [c for c in cats if c in cats_all]
    points, demand_desc = _demand_points(ctx, cfg.demand)
    points.index = pd.RangeIndex(len(points), name="origin")  # integer ids keep the OD joins fast
    if "urban_class" in ctx.units.columns:
        points["urban_class"] = ctx.units["urban_class"].reindex(points["unit"]).to_numpy()
    mode = cfg.mode
    walk = ctx.config.roads.off_road_speed if ctx.config.roads is not None else 5.0
    graph = None
    if mode == "network":
        if area.roads is None or len(area.roads) == 0:
            ctx.note("accessibility", "warning", "network mode without roads: straight-line times used instead")
            mode = "euclidean"
        else:
            graph = network.build_graph(area.roads, node_crossings=ctx.config.roads.node_crossings)
            ctx.results["road_graph"] = graph.summary()
            if graph.n_components > 1:
                sizes = np.bincount(graph.component)
                hint = "" if ctx.config.roads.node_crossings else (
                    "; if lines cross without a shared vertex, set roads: node_crossings: true")
                ctx.note("accessibility", "warning", f"road network has {graph.n_components} disconnected components "
                         f"(smallest {int(sizes.min())} nodes); people snapped to a component without a facility "
                         f"get no time and are counted as unreachable{hint}")
    elif mode == "raster":
        ctx.note("accessibility", "warning", "raster (friction-surface) mode is not available in this build; "
                 "straight-line times used instead")
        mode = "euclidean"
    ctx.variants["accessibility"] = {
        "engine": mode, "demand": demand_desc, "off_road_kmh": walk,
        "straight_line": f"circuity {cfg.circuity}, {cfg.speed_kmh} km/h" if mode == "euclidean" else None,
        "fca": "pysal access semantics: catchment cost <= max_cost; e2sfca step {10:1, 20:.68, 30:.22}; "
               "3sfca step {10:.962, 20:.704, 30:.377, 60:.042} with G over all destinations; "
               "gravity gaussian(sigma = max_cost/2); g2sfca gaussian(sigma = max_cost/2); "
               "capacity missing -> 1",
        "unit aggregation": "population-weighted mean over people with a finite time"}
    index = ctx.units.index
    coverage_parts, summary = [], []
    for cat in cats:
        fac = area.facilities[area.facilities["category"] == cat]
        fxy = np.column_stack([fac.geometry.x, fac.geometry.y])
        pxy = points[["x", "y"]].to_numpy()
        if mode == "network":
            minutes = network.nearest_minutes(graph, pxy, fxy, walk_kmh=walk)
        else:
            minutes = euclidean.nearest_minutes(pxy, fxy, speed_kmh=cfg.speed_kmh, circuity=cfg.circuity)
        agg = demand.aggregate(minutes, points, index=index)
        ctx.units[f"tt_{cat}_min"] = agg["mean"]
        unreachable = float(agg["unreachable"].sum())
        if unreachable > 0:
            ctx.note("accessibility", "warning", f"{cat}: {unreachable:,.0f} people can reach no {cat} "
                     "(network island); counted, not given a time")
        for th in cfg.thresholds:
            w = demand.within_share(minutes, points, threshold=th, index=index)
            t = f"{th:g}"
            ctx.units[f"within_{t}min_share_{cat}"] = w["share"]
            ctx.units[f"underserved_{t}min_{cat}"] = w["beyond"]
        cov = coverage.coverage_table(minutes, points, thresholds=cfg.thresholds)
        cov.insert(0, "category", cat)
        coverage_parts.append(cov)
        row = {"category": cat, "facilities": len(fac), "people_unreachable": unreachable}
        if "urban_class" in points.columns:
            row["rural_urban_time_ratio"] = coverage.mean_time_ratio(minutes, points)
        if "raster" in ctx.rasters or (area.population is not None and area.population.raster is not None
                                       and "row" in points.columns):
            _tt_raster(ctx, points, minutes, f"tt_{cat}")
        # floating-catchment measures on one sparse OD table
        fca_measures = [m for m in cfg.measures if m not in ("nearest",)]
        if fca_measures:
            fdf = pd.DataFrame({"x": fxy[:, 0], "y": fxy[:, 1]})
            if mode == "network":
                od = network.od_table(graph, points, fdf, max_cost=cfg.max_cost, walk_kmh=walk)
            else:
                od = euclidean.od_table(points, fdf, max_cost=cfg.max_cost, speed_kmh=cfg.speed_kmh,
                                        circuity=cfg.circuity)
            cap = fac["capacity"].astype(float).reset_index(drop=True)
            if cap.isna().any():
                ctx.note("accessibility", "warning", f"{cat}: {int(cap.isna().sum())} facilities without capacity "
                         "count as capacity 1")
                cap = cap.fillna(1.0)
            people = points["people"]
            row["od_pairs"] = len(od)
            for m in fca_measures:
                if m in _FCA:
                    score = _FCA[m](od, people, cap, max_cost=cfg.max_cost)
                elif m == "g2sfca":
                    score = fca.gaussian_two_step_fca(od, people, cap, max_cost=cfg.max_cost)
                elif m == "gravity":
                    score = fca.gravity(od, cap, decay=gaussian(cfg.max_cost / 2), max_cost=cfg.max_cost,
                                        origins=points.index)
                elif m == "cumulative":
                    score = fca.cumulative(od, cap, threshold=cfg.max_cost, origins=points.index)
                else:
                    ctx.note("accessibility", "skipped", f"measure {m!r} is not available in this build")
                    continue
                per_unit = pd.DataFrame({"unit": points["unit"], "w": score.reindex(points.index).to_numpy()
                                         * people.to_numpy(), "p": people.to_numpy()}).groupby("unit")[["w", "p"]].sum()
                ctx.units[f"acc_{m}_{cat}"] = (per_unit["w"] / per_unit["p"].where(per_unit["p"] > 0)).reindex(index)
        summary.append(row)
    ctx.tables["accessibility"] = pd.concat(coverage_parts, ignore_index=True)
    summ = pd.DataFrame(summary).set_index("category")
    if "urban_class" in points.columns and area.roads is not None:
        rural = (points["urban_class"] == "rural").to_numpy()
        rai = coverage.rural_access_index(points, area.roads, rural=rural)
        ctx.results["rural_access_index"] = rai
        ctx.variants["rural_access_index"] = "SDG 9.1.1: rural people within 2 km (straight line) of any road class"
    if graph is not None:
        walk_rows = {cat: coverage.life_circle(graph, points, np.column_stack(
            [area.facilities.loc[area.facilities["category"] == cat].geometry.x,
             area.facilities.loc[area.facilities["category"] == cat].geometry.y])) for cat in cats}
        for k in coverage.LIFE_CIRCLES_M:
            summ[f"life_circle_{k}_share"] = pd.Series({c: v[k] for c, v in walk_rows.items()})
        small = [c for c in cats if (area.facilities["category"] == c).sum() <= 20]
        iso = []
        for cat in small:
            fac = area.facilities[area.facilities["category"] == cat]
            fdf = pd.DataFrame({"x": fac.geometry.x, "y": fac.geometry.y}, index=fac.index)
            g = coverage.isochrones(graph, fdf, minutes=cfg.thresholds, walk_kmh=walk)
            g.insert(0, "category", cat)
            iso.append(g)
        if iso:
            layer = gpd.GeoDataFrame(pd.concat(iso, ignore_index=True), geometry="geometry", crs=area.crs)
            ctx.layers["isochrones"] = layer
    ctx.tables["accessibility_summary"] = summ
    ctx.results["accessibility"] = {"categories": cats, "demand_points": len(points),
                                    "people": float(points["people"].sum())}
