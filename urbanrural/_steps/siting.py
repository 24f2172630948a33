"""Pipeline step ``analyses.siting``: where k new sites of a service would close the gap best.

Built on the accessibility engine: the same demand points (populated cells) and the same
travel times (road network, friction surface, or straight line) that show the gap choose
the sites. For each configured category:

1. candidates (populated grid cells, unit points, settlements or a file) minus what the
   constraint layers exclude (or outside what they restrict to), each counted;
2. an OD table from the demand points to the existing sites and the candidates, within
   twice the standard (at least 60 min);
3. the model (MCLP by default) with the existing sites kept open; exact with HiGHS, or a
   heuristic with its gap on large instances;
4. coverage and mean travel time before and after, by urban/rural class, the people each
   new site newly covers, and the marginal gain of each extra site (``k_curve``).

Outputs: tables ``siting_<cat>_sites``, ``siting_<cat>_before_after``,
``siting_<cat>_candidates`` (constraint counts) and ``siting_<cat>_curve``; a ``sites``
layer (existing and proposed sites); unit column ``tt_after_<cat>_min``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geo.errors import DataError
from ..maps._report_zh import Phrase
from ..pipeline import RunContext, analysis

NAME = "siting"
DAY_MIN = 24 * 60.0  # before/after times: searched up to a day


def _configs(ctx: RunContext) -> list[Any]:
    s = ctx.config.analyses.siting
    return s if isinstance(s, list) else [s]


def _points(ctx: RunContext) -> pd.DataFrame:
    """The accessibility step's demand points (its cache; rebuilt the same way if it did not run
    that far), those with people, with each point's urban/rural class."""
    from ..analysis.accessibility import demand

    cache = ctx.cache.get("accessibility")
    if cache is not None:
        points = cache["points"].copy()
        points["src_pos"] = np.arange(len(points))  # to reuse the accessibility step's snap
    else:
        acc = ctx.config.analyses.accessibility
        pop = ctx.area.population
        raster = pop.raster if pop is not None else None
        how = acc.demand if raster is not None else "centroid"
        people = ctx.units["population"] if "population" in ctx.units.columns else \
            pd.Series(1.0, index=ctx.units.index)
        zonal = ctx.config.population.zonal if ctx.config.population is not None else "exact"
        points, _ = demand.demand_points(ctx.units, how=how, raster=raster, people=people, zonal=zonal)
    points = points[points["people"] > 0].copy()
    points.index = pd.Index([f"p{i}" for i in range(len(points))], name="point")
    if "urban_class" in ctx.units.columns:
        points["urban_class"] = demand.unit_column(points, ctx.units["urban_class"].astype(str))
    else:
        points["urban_class"] = "all"
    return points


class _Costs:
    """OD tables from the demand points to any sites, in the accessibility step's mode and on
    its road graph or friction surface (from its cache; the graph is rebuilt only when the
    accessibility step stopped before making one)."""

    def __init__(self, ctx: RunContext, points: pd.DataFrame) -> None:
        from ..analysis.accessibility import network

        acc = ctx.config.analyses.accessibility
        cache = ctx.cache.get("accessibility") or {}
        self.points = points[["x", "y"]]
        self.acc = acc
        self.walk = cache.get("walk_kmh", ctx.config.roads.off_road_speed if ctx.config.roads is not None else 5.0)
        self.graph = cache.get("graph")
        self.surface = cache.get("surface")
        self.mode = cache.get("mode", "network" if acc.mode == "network" and ctx.area.roads is not None
                              else "euclidean")
        self.snap = None
        if self.mode == "network" and self.graph is None:
            rc = ctx.config.roads
            self.graph = network.build_graph(ctx.area.roads, node_crossings=rc.node_crossings,
                                             components=rc.components)
        elif self.mode == "network" and cache.get("snap") is not None and "src_pos" in points.columns:
            pos = points["src_pos"].to_numpy()  # the step's demand points were snapped once: reuse it
            self.snap = network.Snapped(cache["snap"].node[pos], cache["snap"].distance_m[pos])
        if self.mode == "network" and self.snap is None:
            self.snap = network.snap(self.graph, self.points.to_numpy(dtype=float), name="demand points")
        if self.mode == "raster" and self.surface is None:
            self.mode = "euclidean"
            ctx.note(NAME, "info", "siting uses straight-line times x circuity: no friction surface was built")

    def od(self, sites: pd.DataFrame, cutoff: float) -> pd.DataFrame:
        from ..analysis.accessibility import euclidean, friction, network

        if self.mode == "network":
            return network.od_table(self.graph, self.points, sites[["x", "y"]], max_cost=cutoff, walk_kmh=self.walk,
                                    origin_snap=self.snap)
        if self.mode == "raster":
            return friction.od_table(self.surface, self.points, sites[["x", "y"]], max_cost=cutoff)
        return euclidean.od_table(self.points, sites[["x", "y"]], max_cost=cutoff, speed_kmh=self.acc.speed_kmh,
                                  circuity=self.acc.circuity)

    @property
    def description(self) -> Phrase:
        if self.mode == "network":
            return Phrase("road network minutes from the accessibility step's demand points",
                          "可达性分析所用需求点到各站点的路网出行时间（分钟）")
        if self.mode == "raster":
            return Phrase("friction-surface minutes from the accessibility step's demand points",
                          "可达性分析所用需求点到各站点的成本栅格出行时间（分钟）")
        return Phrase("straight-line minutes x circuity from the accessibility step's demand points",
                      "可达性分析所用需求点到各站点的直线距离折算时间（乘以绕行系数）")


def _nearest(od: pd.DataFrame, sites: pd.Index, index: pd.Index) -> pd.Series:
    sub = od[od["destination"].isin(sites)]
    return sub.groupby("origin")["cost"].min().reindex(index).fillna(np.inf)  # inf: no site within the cutoff


def _site_frame(gdf: gpd.GeoDataFrame, prefix: str | None = None) -> pd.DataFrame:
    pts = gdf.geometry if (gdf.geom_type == "Point").all() else gdf.geometry.representative_point()
    ids = gdf.index.astype(str) if prefix is None else pd.Index([f"{prefix}{i + 1}" for i in range(len(gdf))])
    return pd.DataFrame({"x": pts.x.to_numpy(), "y": pts.y.to_numpy()}, index=ids)


def _constraints(sc: Any) -> list[dict[str, Any]]:
    out = []
    for c in sc.constraints:
        if c.rule in ("exclude_above", "exclude_below"):
            out.append({"raster": str(c.path), "rule": c.rule, ("max" if c.rule == "exclude_above" else "min"): c.limit,
                        "name": c.name or c.path.stem, **({"name_zh": c.name_zh} if c.name_zh else {})})
            continue
        layer = gpd.read_file(c.path, layer=c.layer) if c.layer else gpd.read_file(c.path)
        out.append({"layer": layer, "rule": c.rule, "name": c.name or c.path.stem, "buffer_m": c.buffer_m,
                    **({"name_zh": c.name_zh} if c.name_zh else {})})
    return out


@analysis(NAME)
def siting_step(ctx: RunContext) -> None:
    if ctx.config.analyses.accessibility is None or ctx.area.facilities is None:
        ctx.note(NAME, "skipped", "siting needs analyses.accessibility and facilities")
        return
    points = _points(ctx)
    costs = _Costs(ctx, points)
    layers, results, variants = [], {}, {"cost": costs.description}
    for sc in _configs(ctx):
        cats = sc.category if isinstance(sc.category, list) else [sc.category]
        for cat in cats:
            out = _site_one(ctx, sc, str(cat), points, costs)
            if out is None:
                continue
            layer, info = out
            layers.append(layer)
            results[str(cat)] = info
    if layers:
        ctx.layers["sites"] = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=ctx.area.crs)
    ctx.results[NAME] = results
    variants["models"] = Phrase(
        "MCLP (Church & ReVelle 1974), p-median (Hakimi 1964), LSCP (Toregas 1971), p-center; existing sites "
        "kept open; exact MILP by HiGHS, or a heuristic with its gap to the LP bound",
        "最大覆盖模型（MCLP，Church & ReVelle 1974）、P 中值模型（Hakimi 1964）、集合覆盖模型（LSCP，Toregas 1971）、"
        "P 中心模型；保留现有设施；HiGHS 求解混合整数规划精确解，或启发式算法并报告与线性松弛界的差距")
    ctx.variants[NAME] = variants


def _site_one(ctx: RunContext, sc: Any, cat: str, points: pd.DataFrame,
              costs: _Costs) -> tuple[gpd.GeoDataFrame, dict[str, Any]] | None:
    from ..analysis import siting as st
    from ..analysis.siting import evaluate

    fac = ctx.area.facilities
    existing_gdf = fac[fac["category"].astype(str) == cat]
    if not len(existing_gdf):
        ctx.note(NAME, "info", f"{cat}: no existing facility; every site is new")
    pop = ctx.area.population
    try:
        cands = st.candidate_sites(sc.candidates, units=ctx.units, path=sc.candidates_path,
                                   population=pop.raster.path if (pop is not None and pop.raster is not None)
                                   else points.rename(columns={"people": "people"})[["x", "y", "people"]],
                                   spacing_m=sc.spacing_m, min_people=sc.min_people, crs=ctx.area.crs)
        if sc.constraints:
            cands = st.apply_constraints(cands, _constraints(sc), crs=ctx.area.crs)
    except DataError as exc:
        ctx.note(NAME, "warning", f"{cat}: no candidate sites: {exc}")
        return None
    cand = _site_frame(cands.sites)
    exist = _site_frame(existing_gdf, prefix=f"{cat}-existing-")
    sites = pd.concat([exist, cand])
    cutoff = max(2 * sc.standard_min, 60.0)
    od = costs.od(sites, cutoff)
    people = points["people"]
    weights = st.candidates.demand_weights(points, rural_only=sc.rural_only, classes=points["urban_class"],
                                           weight=ctx.units[sc.weight] if sc.weight else None)
    kwargs: dict[str, Any] = {"existing": list(exist.index) or None, "time_limit": sc.time_limit_s}
    if sc.capacity and sc.capacity in cands.sites.columns:
        kwargs["capacity"] = cands.sites[sc.capacity].reindex(cand.index)
    solver = {"auto": "auto", "exact": "highs", "heuristic": "heuristic"}[sc.solver]
    try:
        if sc.model == "mclp":
            if sc.budget is not None:
                res = st.mclp(od, weights, max_cost=sc.standard_min, cost=cands.sites[sc.cost].reindex(cand.index),
                              budget=sc.budget, solver=solver, **kwargs)
            else:
                res = st.mclp(od, weights, k=sc.k, max_cost=sc.standard_min, solver=solver, **kwargs)
        elif sc.model == "p_median":
            res = st.p_median(od, weights, k=sc.k, solver=solver, unreachable="drop", **kwargs)
        elif sc.model == "lscp":
            kwargs.pop("capacity", None)
            res = st.lscp(od, weights, max_cost=sc.standard_min, solver=solver, **kwargs)
        else:
            kwargs.pop("capacity", None)
            res = st.p_center(od, weights, k=sc.k, solver=solver, unreachable="drop", **kwargs)
    except DataError as exc:
        ctx.note(NAME, "warning", f"{cat}: no sites chosen: {exc}")
        return None
    chosen = pd.Index([str(s) for s in res.selected])
    # before/after over a day's search (the model's OD stops at its cutoff): the same times as the
    # accessibility step for people far from every site
    plan = sites.loc[exist.index.append(chosen)]
    od_plan = costs.od(plan, DAY_MIN) if len(plan) else od.iloc[:0]
    before = _nearest(od_plan, exist.index, points.index)
    after = _nearest(od_plan, exist.index.append(chosen), points.index)
    ba = evaluate.before_after(before, after, people, standard=sc.standard_min,
                               classes=points["urban_class"]).reset_index()
    ctx.tables[f"siting_{cat}_before_after"] = ba
    if len(chosen):
        newly = evaluate.newly_covered(before, od_plan, people, standard=sc.standard_min, sites=list(chosen),
                                       classes=points["urban_class"])
        newly = newly.rename_axis("site").reset_index()
        xy = sites.loc[newly["site"].astype(str), ["x", "y"]].to_numpy()
        newly["x"], newly["y"] = xy[:, 0], xy[:, 1]
        ctx.tables[f"siting_{cat}_sites"] = newly
    else:
        ctx.note(NAME, "info", f"{cat}: no new site improves on the existing ones within {sc.standard_min:g} min")
    ctx.tables[f"siting_{cat}_candidates"] = cands.report
    if res.status == "time_limit":
        ctx.note(NAME, "warning", f"{cat}: the exact solve stopped at the time limit ({sc.time_limit_s:g} s) with "
                 f"the best sites found, {res.gap:.2%} from the bound; raise analyses.siting.time_limit_s or use "
                 "solver: heuristic")
    info: dict[str, Any] = {"model": res.model, "solver": res.solver, "status": res.status, "gap": _f(res.gap),
                            "objective": _f(res.objective),
                            "new_sites": len(chosen), "existing": len(exist), "candidates": int(len(cand)),
                            "standard_min": sc.standard_min, "constraints": cands.summary(language="en"),
                            "constraints_zh": cands.summary(language="zh"),
                            "before_after": ba.to_dict("records"), "notes": list(res.notes) + list(cands.notes)}
    if sc.k_curve and sc.model in ("mclp", "p_median"):
        try:
            curve = st.models.curve(od, weights, model=sc.model, k_max=sc.k_curve, max_cost=sc.standard_min,
                                    existing=kwargs["existing"],
                                    **({"unreachable": "drop"} if sc.model == "p_median" else {}))
            curve = curve[curve["objective"].notna()]
        except DataError as exc:
            ctx.note(NAME, "warning", f"{cat}: no marginal-gain curve: {exc}")
            curve = None
    else:
        curve = None
    if curve is not None and len(curve):
        base = float(weights[before <= sc.standard_min].sum()) if sc.model == "mclp" else \
            float((weights * before.replace(np.inf, np.nan)).sum())
        table = evaluate.marginal_gain(curve["objective"], baseline=base)  # gains over the existing sites
        ctx.tables[f"siting_{cat}_curve"] = table
        info["curve"] = table.to_dict("records")
    newly_pts = (before > sc.standard_min) & (after <= sc.standard_min)
    ctx.units[f"newly_covered_{cat}"] = (people[newly_pts].groupby(points.loc[newly_pts, "unit"]).sum()
                                         .reindex(ctx.units.index).fillna(0.0).to_numpy())
    # per unit: the population-weighted mean time after
    t_after = pd.DataFrame({"unit": points["unit"], "t": after.replace(np.inf, np.nan), "w": people}).dropna()
    per_unit = (t_after["t"] * t_after["w"]).groupby(t_after["unit"]).sum() / t_after.groupby("unit")["w"].sum()
    ctx.units[f"tt_after_{cat}_min"] = per_unit.reindex(ctx.units.index).to_numpy()
    geom = gpd.points_from_xy(sites["x"], sites["y"], crs=ctx.area.crs)
    layer = gpd.GeoDataFrame({"site": sites.index, "category": cat,
                              "status": np.where(sites.index.isin(chosen), "proposed",
                                                 np.where(sites.index.isin(exist.index), "existing", "candidate"))},
                             geometry=geom, crs=ctx.area.crs)
    layer = layer[layer["status"] != "candidate"].reset_index(drop=True)
    return layer, info


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
