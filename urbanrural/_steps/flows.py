"""Pipeline step ``analyses.flows``: two-way flow accounts, gravity models, linkage network.

For each kind of the flow table (commuting, migration, capital, ...) and each year:

- accounts per unit (``tables/flows_units.csv``) and per unordered pair
  (``tables/flows_pairs.csv``), the class-by-class matrix by ``groups`` (default the
  run's ``urban_class``; ``tables/flows_groups.csv``) and network measures
  (``tables/flows_network.csv``);
- the latest year's per-unit columns in results.gpkg: ``flow_in_<kind>``,
  ``flow_out_<kind>``, ``flow_net_<kind>``, ``flow_gross_<kind>``, ``flow_balance_<kind>``;
- a spatial interaction model (``model``: doubly / production / attraction /
  unconstrained, ``decay`` power / exponential) on the latest year, with cost between the
  units' representative points over the road network (minutes) when roads are given, else
  straight-line km: ``tables/flows_model.csv`` (estimates and fit) and
  ``tables/flows_underflow.csv`` (pairs that flow less than predicted, by class pair);
- a ``flows`` line layer (one line per directed pair, both directions' volumes,
  predicted flow and standardised residual) for the flow maps.

``linkage`` builds the modified-gravity "spatial linkage network" from a unit column,
population and straight-line distance, for studies without observed flows.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.errors import DataError
from ..geo.progress import progress
from ..maps._report_zh import Phrase
from ..pipeline import RunContext, analysis

NAME = "flows"
DAY_MIN = 24 * 60.0  # network search bound between two units (minutes)
MIN_COST = {"min": 1.0, "km": 0.1}  # pairs closer than this are treated as this close (power decay)


def kind_slug(kind: str) -> str:
    """A column-safe form of a flow kind: ``"Capital (loans)"`` -> ``"capital_loans"``."""
    slug = re.sub(r"\W+", "_", str(kind).strip().lower(), flags=re.UNICODE).strip("_")
    return slug or "flows"


def _points(units: gpd.GeoDataFrame) -> pd.DataFrame:
    rp = units.geometry.representative_point()
    return pd.DataFrame({"x": rp.x.to_numpy(), "y": rp.y.to_numpy()}, index=units.index.astype(str))


def _km(points: pd.DataFrame, origin: pd.Series, destination: pd.Series) -> np.ndarray:
    a = points.loc[origin.to_numpy(), ["x", "y"]].to_numpy()
    b = points.loc[destination.to_numpy(), ["x", "y"]].to_numpy()
    return np.hypot(*(a - b).T) / 1000.0


def _all_pairs(points: pd.DataFrame) -> pd.DataFrame:
    ids = points.index.to_numpy()
    n = len(ids)
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    return pd.DataFrame({"origin": ids[i], "destination": ids[j]})


def _unit_costs(ctx: RunContext, points: pd.DataFrame, how: str) -> tuple[pd.DataFrame, str, str]:
    """Cost between every pair of units: network minutes or straight-line km."""
    roads = ctx.area.roads
    use_network = how == "network" or (how == "auto" and roads is not None and len(roads))
    if use_network:
        from ..analysis.accessibility import network

        rc = ctx.config.roads
        graph = (ctx.cache.get("accessibility") or {}).get("graph")  # the accessibility step's, when it made one
        if graph is None:
            graph = network.build_graph(roads, node_crossings=rc.node_crossings, components=rc.components)
        od = network.od_table(graph, points, points, max_cost=DAY_MIN, walk_kmh=rc.off_road_speed)
        od = od[od["origin"] != od["destination"]].reset_index(drop=True)
        desc = Phrase("road network minutes between the units' representative points (exact Dijkstra, off-road "
                      f"legs at {rc.off_road_speed:g} km/h), searched up to {DAY_MIN:g} min",
                      f"单元代表点之间的路网出行时间（分钟；精确最短路径，非道路段按 {rc.off_road_speed:g} 公里/小时），"
                      f"最长搜索 {DAY_MIN:g} 分钟")
        return od, "min", desc
    pairs = _all_pairs(points)
    pairs["cost"] = _km(points, pairs["origin"], pairs["destination"])
    return pairs, "km", Phrase("straight-line km between the units' representative points",
                               "单元代表点之间的直线距离（公里）")


def _groups(ctx: RunContext, column: str) -> pd.Series | None:
    if column not in ctx.units.columns:
        ctx.note(NAME, "warning", f"group column {column!r} is not a unit column (run analyses.urban_rural for "
                 "urban_class, or name another column in analyses.flows.groups); no class-by-class matrix")
        return None
    g = ctx.units[column]
    out = g.astype(object).where(g.notna(), "no class").astype(str)
    out.index = out.index.astype(str)
    return out


def _population(ctx: RunContext) -> pd.Series | None:
    if "population" not in ctx.units.columns:
        return None
    p = ctx.units["population"].astype(float)
    p.index = p.index.astype(str)
    return p


def _sentences(acc: Any, groups: pd.Series | None) -> dict[str, str]:
    """The two-way answer in one sentence (en, zh): rural vs urban, else the two groups there are."""
    if groups is None:
        return {}
    present = sorted(set(groups.unique()) - {"no class"})
    if {"rural", "urban"} <= set(present):
        a, b = "rural", "urban"
    elif len(present) == 2:
        a, b = present
    else:
        return {}
    return {"sentence_en": acc.summary(language="en", group_a=a, group_b=b),
            "sentence_zh": acc.summary(language="zh", group_a=a, group_b=b)}


def _lines(pairs: pd.DataFrame, points: pd.DataFrame, crs: Any) -> gpd.GeoDataFrame:
    a = points.loc[pairs["origin"].to_numpy(), ["x", "y"]].to_numpy()
    b = points.loc[pairs["destination"].to_numpy(), ["x", "y"]].to_numpy()
    geom = shapely.linestrings(np.stack([a, b], axis=1))
    return gpd.GeoDataFrame(pairs.reset_index(drop=True), geometry=geom, crs=crs)


def _directed(sub: pd.DataFrame) -> pd.DataFrame:
    """Directed between-unit pairs with the reverse direction's volume and the pair balance."""
    from ..analysis import flows as fl

    d = sub[sub["origin"] != sub["destination"]].groupby(["origin", "destination"], as_index=False)["volume"].sum()
    rev = d.rename(columns={"origin": "destination", "destination": "origin", "volume": "reverse"})
    d = d.merge(rev, on=["origin", "destination"], how="left")
    d["reverse"] = d["reverse"].fillna(0.0)
    d["balance"] = fl.balance_index(d["volume"].to_numpy(), d["reverse"].to_numpy())
    return d


def _model(ctx: RunContext, kind: str, sub: pd.DataFrame, cost: pd.DataFrame, unit: str,
           groups: pd.Series | None) -> tuple[pd.DataFrame | None, list[dict[str, Any]], pd.DataFrame | None]:
    from ..analysis import flows as fl

    cfg = ctx.config.analyses.flows
    between = sub[sub["origin"] != sub["destination"]]
    have = between.merge(cost[["origin", "destination"]], on=["origin", "destination"], how="left", indicator=True)
    lost = have["_merge"] == "left_only"
    if lost.any():
        names = ", ".join(f"{o}->{d}" for o, d in have.loc[lost, ["origin", "destination"]].head(5).to_numpy())
        ctx.note(NAME, "warning", f"{kind}: {int(lost.sum())} flow pair(s) have no cost (unreachable on the road "
                 f"network within {DAY_MIN:g} min, e.g. {names}; {have.loc[lost, 'volume'].sum():,.0f} volume); "
                 "left out of the model (roads: components: largest, or analyses.flows.cost: euclidean)")
    c = cost.copy()
    if cfg.decay == "power":
        low = c["cost"] < MIN_COST[unit]
        if low.any():
            ctx.note(NAME, "info", f"{kind}: {int(low.sum())} unit pair(s) closer than {MIN_COST[unit]:g} {unit} "
                     f"taken as {MIN_COST[unit]:g} {unit} (power decay needs a positive cost)")
            c.loc[low, "cost"] = MIN_COST[unit]
    keep = set(pd.unique(between["origin"])) | set(pd.unique(between["destination"]))
    c = c[c["origin"].isin(keep) & c["destination"].isin(keep)]
    flows_in = between.loc[~lost.to_numpy(), ["origin", "destination", "volume"]]
    try:
        res = fl.gravity_model(flows_in, c, constraint=cfg.model, decay=cfg.decay)
    except DataError as exc:
        ctx.note(NAME, "warning", f"{kind}: gravity model not fitted: {exc}")
        return None, [], None
    rows: list[dict[str, Any]] = []
    for name in res.params.index:
        rows.append({"kind": kind, "term": name, "estimate": float(res.params[name]),
                     "std_error": float(res.bse[name]), "z": float(res.tvalues[name]),
                     "p_value": float(res.pvalues[name])})
    for stat in ("pseudo_r2", "adj_pseudo_r2", "srmse", "ssi", "aic", "n"):
        rows.append({"kind": kind, "term": stat, "estimate": float(getattr(res, stat))})
    pairs = res.pairs
    under = None
    if groups is not None:
        under = fl.underflow(res, groups, threshold=cfg.underflow).reset_index()
        under.insert(0, "kind", kind)
    ctx.results.setdefault("flows", {}).setdefault(kind, {}).update(
        model=res.constraint, decay=res.decay, cost_unit=unit, pseudo_r2=float(res.pseudo_r2),
        srmse=float(res.srmse), decay_parameter=float(res.params.iloc[-1]) if len(res.params) else None,
        converged=bool(res.converged), underflow_pairs=int((pairs["std_resid"] <= cfg.underflow).sum()))
    return pairs, rows, under


@analysis(NAME)
def flows_step(ctx: RunContext) -> None:
    from ..analysis import flows as fl

    cfg = ctx.config.analyses.flows
    points = _points(ctx.units)
    index = points.index
    groups = _groups(ctx, cfg.groups)
    pop = _population(ctx)
    table = ctx.area.flows
    variant: dict[str, Any] = {"accounts": Phrase(
        "in = sum of flows into a unit from other units, out = from it to others, net = in - out, intra-unit flows "
        "apart; pair balance = min/max of the two directions (0 one-way, 1 balanced), symmetry = 1 - |a-b|/(a+b); "
        "per capita per 1,000 residents",
        "流入 = 其他单元流入本单元的总量，流出 = 本单元流向其他单元的总量，净流入 = 流入 - 流出，单元内部流动单列；"
        "双向平衡指数 = 两个方向中较小者 / 较大者（0 为单向，1 为平衡），对称指数 = 1 - |a-b|/(a+b)；人均值按每千名常住人口计")}
    if table is not None and len(table):
        table = table.assign(origin=table["origin"].astype(str), destination=table["destination"].astype(str))
        present = [str(k) for k in pd.unique(table["kind"])]
        kinds = list(cfg.kinds) if cfg.kinds else present
        missing = [k for k in kinds if k not in present]
        if missing:
            ctx.note(NAME, "warning", f"kind(s) {missing} are not in the flow table; present: {present}")
            kinds = [k for k in kinds if k in present]
        cost = unit = None
        if cfg.model != "none":
            cost, unit, desc = _unit_costs(ctx, points, cfg.cost)
            variant["cost"] = desc
            zh_model = {"doubly": "双约束", "production": "发生约束", "attraction": "吸引约束",
                        "unconstrained": "无约束"}[cfg.model]
            zh_decay = {"power": "幂函数", "exponential": "指数函数"}[cfg.decay]
            variant["model"] = Phrase(
                f"{cfg.model}-constrained spatial interaction model (Wilson 1971), Poisson GLM with log link, "
                f"{cfg.decay} decay on cost in {unit}; under-flowing pairs: standardised residual (T - T^)/sqrt(T^) "
                f"<= {cfg.underflow:g}",
                f"{zh_model}空间相互作用模型（Wilson 1971），对数连接的泊松广义线性模型，成本（{'分钟' if unit == 'min' else '公里'}）"
                f"按{zh_decay}衰减；流量偏低的单元对：标准化残差 (T - T^)/sqrt(T^) <= {cfg.underflow:g}")
        unit_rows, pair_rows, group_rows, net_rows, model_rows, under_rows, lines = [], [], [], [], [], [], []
        for kind in progress(kinds, desc="flows", unit="kind"):
            slug = kind_slug(kind)
            sub_k = table[table["kind"].astype(str) == kind]
            years = sorted(int(y) for y in sub_k["year"].dropna().unique())
            latest = years[-1] if years else None
            for year in years or [None]:
                sub = sub_k if year is None else sub_k[sub_k["year"] == year]
                sub = sub[["origin", "destination", "volume"]]
                dist = sub[sub["origin"] != sub["destination"]][["origin", "destination"]].drop_duplicates()
                dist = dist.assign(cost=_km(points, dist["origin"], dist["destination"]))
                acc = fl.accounts(sub, units=index, groups=groups, population=pop, distance=dist)
                net = fl.network_measures(sub, units=index)
                per = acc.per_unit.join(net.per_unit, how="left")
                unit_rows.append(per.rename_axis("unit").reset_index().assign(kind=kind, year=year))
                pair_rows.append(acc.pairs.assign(kind=kind, year=year))
                if acc.group_pairs is not None:
                    group_rows.append(acc.group_pairs.assign(kind=kind, year=year))
                net_rows.append({"kind": kind, "year": year, "units": len(index), "links": net.links,
                                 "density": net.density, "reciprocity": net.reciprocity,
                                 "weighted_reciprocity": net.weighted_reciprocity,
                                 "total_between": float(per["out"].sum()), "total_intra": float(per["intra"].sum())})
                if year != latest:
                    continue
                for col in ("in", "out", "net", "gross", "balance"):
                    ctx.units[f"flow_{col}_{slug}"] = per[col].reindex(index).to_numpy()
                info = {"year": year, "total": float(per["out"].sum()), "intra": float(per["intra"].sum()),
                        **_sentences(acc, groups)}
                if acc.group_pairs is not None:
                    info["group_pairs"] = acc.group_pairs.to_dict("records")
                ctx.results.setdefault("flows", {}).setdefault(kind, {}).update(info)
                d = _directed(sub)
                if groups is not None:
                    d["origin_group"] = groups.reindex(d["origin"]).to_numpy()
                    d["destination_group"] = groups.reindex(d["destination"]).to_numpy()
                if cost is not None:
                    pairs, rows, under = _model(ctx, kind, sub, cost, unit, groups)
                    model_rows += rows
                    if under is not None:
                        under_rows.append(under)
                    if pairs is not None:
                        d = d.merge(pairs[["origin", "destination", "predicted", "std_resid"]],
                                    on=["origin", "destination"], how="left")
                lines.append(d.assign(kind=kind, year=year))
        if unit_rows:
            ctx.tables["flows_units"] = pd.concat(unit_rows, ignore_index=True)
            ctx.tables["flows_pairs"] = pd.concat(pair_rows, ignore_index=True)
            ctx.tables["flows_network"] = pd.DataFrame(net_rows)
        if group_rows:
            ctx.tables["flows_groups"] = pd.concat(group_rows, ignore_index=True)
        if model_rows:
            ctx.tables["flows_model"] = pd.DataFrame(model_rows)
        if under_rows:
            ctx.tables["flows_underflow"] = pd.concat(under_rows, ignore_index=True)
        if lines:
            layer = pd.concat(lines, ignore_index=True)
            ctx.layers["flows"] = _lines(layer, points, ctx.units.crs)
    elif table is not None:
        ctx.note(NAME, "warning", "the flow table has no rows between units")
    if cfg.linkage is not None:
        _linkage(ctx, points, pop)
        text = ctx.results.get("flows_linkage", {}).get("variant")
        if text:
            variant["linkage"] = Phrase(
                text, "修正引力模型：R_ij = k_ij sqrt(P_i G_i) sqrt(P_j G_j) / d_ij^2，k_ij = G_i / (G_i + G_j)"
                "（两者均为 0 时取 0.5），P 为人口，G 为所选指标，d 为直线距离（公里）；R_ij 高于第 i 行其他单元均值时"
                "保留 i→j 联系；网络密度 = 保留的联系数 / (n (n - 1))")
    ctx.variants[NAME] = {k: v for k, v in variant.items() if v}


def _linkage(ctx: RunContext, points: pd.DataFrame, pop: pd.Series | None) -> None:
    from ..analysis import flows as fl

    lk = ctx.config.analyses.flows.linkage
    if lk.value not in ctx.units.columns:
        ctx.note(NAME, "warning", f"linkage: {lk.value!r} is not a unit column; linkage network not built")
        return
    if lk.population is not None:
        if lk.population not in ctx.units.columns:
            ctx.note(NAME, "warning", f"linkage: population column {lk.population!r} is not a unit column")
            return
        p = ctx.units[lk.population].astype(float)
        p.index = p.index.astype(str)
    elif pop is not None:
        p = pop
    else:
        ctx.note(NAME, "warning", "linkage: no population (give population: or analyses.flows.linkage.population)")
        return
    g = pd.to_numeric(ctx.units[lk.value], errors="coerce")
    g.index = g.index.astype(str)
    ok = g.notna() & p.notna() & (p > 0)
    if (~ok).any():
        ctx.note(NAME, "info", f"linkage: {int((~ok).sum())} unit(s) without {lk.value} or population left out")
    pts = points.loc[ok.to_numpy()]
    pairs = _all_pairs(pts)
    pairs["cost"] = np.maximum(_km(pts, pairs["origin"], pairs["destination"]), MIN_COST["km"])
    res = fl.linkage_network(g[ok], p[ok], pairs)
    ctx.units["linkage_strength"] = res.per_unit["total"].reindex(points.index).to_numpy()
    ctx.units["linkage_degree"] = res.per_unit["degree"].reindex(points.index).to_numpy()
    ctx.tables["flows_linkage"] = res.strength[res.strength["kept"]].reset_index(drop=True)
    ctx.results["flows_linkage"] = {"density": float(res.density), "links": int(res.strength["kept"].sum()),
                                    "value": lk.value, "variant": res.variant}
