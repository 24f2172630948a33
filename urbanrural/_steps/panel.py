"""Pipeline step ``analyses.panel``: the change-over-time chain on the indicator panel.

Index per unit-year (pooled entropy weights over every unit-year by default, with the
integration dimensions and CCD) -> change and transitions -> kernel density per year ->
classic, spatial and LISA Markov chains -> sigma/beta convergence and Dagum Gini by
class -> emerging hot spots -> early warning with the indicators that pulled each flagged
unit down -> an indicative forecast (GM(1,1) or a linear trend) when asked.

Outputs: unit columns ``<column>_<year>``, ``index_change``, ``index_annual_rate``,
``index_slope``, ``hotspot_trend``, ``early_warning``, ``warning_count``; tables
``panel_index``, ``panel_weights``, ``panel_change``, ``panel_transitions``,
``panel_density``, ``panel_density_diagnostics``, ``panel_markov``,
``panel_markov_spatial``, ``panel_markov_lisa``, ``convergence``, ``convergence_beta``,
``panel_hotspots``, ``early_warning`` and ``panel_forecast``.

Indicators that exist only for the latest year (unit columns computed by the run, such
as travel times) cannot enter the index over time: they are named in a note.  Travel
times do get yearly values when facilities carry opening (or closing) years or the
population is given per year, and analyses.accessibility ran: ``tt_<cat>_min`` per
unit-year (tables ``panel_access``, ``panel_access_summary``; see :mod:`._panel_access`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..geo.errors import DataError
from ..maps._report_zh import Phrase
from ..pipeline import RunContext, analysis

NAME = "panel"


def _directions(ctx: RunContext, present: set[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    integ = ctx.config.analyses.integration
    dims = {d: dict(cols) for d, cols in integ.dimensions.items()}
    absent = sorted({c for cols in dims.values() for c in cols if c not in present})
    dims = {d: {c: s for c, s in cols.items() if c in present} for d, cols in dims.items()}
    return {d: cols for d, cols in dims.items() if cols}, absent


def _constant(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if frame[c].nunique(dropna=True) <= 1]


def _weights(ctx: RunContext, ids: pd.Index) -> Any:
    from ..analysis import autocorrelation as ac

    units = ctx.units.loc[ids]
    return ac.weights(units, ctx.config.analyses.panel.spatial_weights, islands="knn")


def _frame(obj: Any) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return obj.to_frame()
    return pd.DataFrame(obj)


def _markov_table(p: np.ndarray, counts: np.ndarray, labels: list[str], extra: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for i, a in enumerate(labels):
        row = {"from": a, **{f"to {b}": float(p[i, j]) for j, b in enumerate(labels)},
               "transitions": int(np.asarray(counts)[i].sum())}
        rows.append({**extra, **row})
    return pd.DataFrame(rows)


def _steady_rows(state: Any, labels: list[str], extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Steady-state rows: one per recurrent class (a chain with several has no single one)."""
    arr = np.atleast_2d(np.asarray(state, dtype=float))
    return [{**extra, **({"recurrent_class": i + 1} if len(arr) > 1 else {}),
             **{lab: float(v) for lab, v in zip(labels, row, strict=False)}} for i, row in enumerate(arr)]


@analysis(NAME)
def panel_step(ctx: RunContext) -> None:  # noqa: C901 - one chain, in the order papers report it
    from ..analysis import panel as pn

    cfg = ctx.config.analyses.panel
    integ = ctx.config.analyses.integration
    panel = ctx.area.panel
    if panel is None:
        ctx.note(NAME, "skipped", "no indicator panel (indicators: with several years)")
        return
    from ._panel_access import attach

    frame = attach(ctx, panel.frame, panel.years)  # travel times per year, when facilities have years
    dims, absent = _directions(ctx, set(frame.columns))
    if absent:
        ctx.note(NAME, "info", f"indicator(s) {absent} have no yearly values (unit columns of the latest year only, "
                 "such as travel times); the index over time uses the other indicators")
    directions = {c: s for cols in dims.values() for c, s in cols.items()}
    const = _constant(frame[list(directions)])
    if const:
        ctx.note(NAME, "warning", f"indicator(s) {const} are constant over every unit-year; left out")
        dims = {d: {c: s for c, s in cols.items() if c not in const} for d, cols in dims.items()}
        dims = {d: cols for d, cols in dims.items() if cols}
        directions = {c: s for c, s in directions.items() if c not in const}
    if len(directions) < 2:
        ctx.note(NAME, "skipped", "fewer than 2 indicators with yearly values")
        return
    ccd = None
    if integ.ccd is not None and all(s in dims for s in integ.ccd.subsystems):
        ccd = {"subsystems": list(integ.ccd.subsystems), "method": integ.ccd.method}
    try:
        res = pn.entropy_index(frame[list(directions)], directions=directions, pooled=cfg.weights == "pooled",
                               normalization=integ.normalization, dimensions={d: list(c) for d, c in dims.items()},
                               ccd=ccd, missing=cfg.missing)
    except DataError as exc:
        if "missing='drop'" in str(exc):  # the config's words for the API's option
            raise DataError(str(exc).replace("pass missing='drop'", "set analyses.panel.missing: drop")) from exc
        raise
    notes = list(res.notes)  # conventions and counts: run.json (results.panel.notes), not the log
    scores = res.scores
    ctx.tables["panel_index"] = scores.reset_index()
    ctx.tables["panel_weights"] = _frame(res.weights).rename_axis("indicator" if cfg.weights == "pooled" else "year")
    col = cfg.column
    values = scores[col] if col in scores.columns else frame[col]
    wide = values.unstack("year").sort_index(axis=1).dropna()
    if len(wide) < len(values.unstack("year")):
        ctx.note(NAME, "info", f"{len(values.unstack('year')) - len(wide)} unit(s) without every year left out "
                 "of the distribution, Markov and convergence analyses")
    years = [int(y) for y in wide.columns]
    index = ctx.units.index
    for y in years:
        ctx.units[f"{col}_{y}"] = wide[y].reindex(index).to_numpy()
    ch = pn.change(values.to_frame(col) if isinstance(values, pd.Series) else values, column=col)
    ctx.tables["panel_change"] = ch.rename_axis("unit").reset_index()
    ctx.units["index_change"] = ch["change"].reindex(index).to_numpy()
    ctx.units["index_annual_rate"] = ch["annual_rate"].reindex(index).to_numpy()
    ctx.units["index_slope"] = ch["slope"].reindex(index).to_numpy()
    info: dict[str, Any] = {"years": years, "column": col, "units": int(len(wide)),
                            "mean_by_year": {str(y): float(wide[y].mean()) for y in years},
                            "falling": int((ch["change"] < 0).sum()), "rising": int((ch["change"] > 0).sum())}
    if "ccd_class" in scores.columns:
        tr = pn.class_transitions(scores["ccd_class"].dropna().astype(int))
        ctx.tables["panel_transitions"] = tr
        info["ccd_moves"] = pn.index.unit_transitions(scores["ccd_class"].dropna().astype(int))["move"] \
            .value_counts().to_dict()
    groups = None
    if cfg.groups is not None and cfg.groups in ctx.units.columns:
        g = ctx.units[cfg.groups]
        groups = g.astype(object).where(g.notna(), "no class").astype(str).reindex(wide.index)  # not "nan"
        info["mean_by_group"] = {g: {str(y): float(wide.loc[groups == g, y].mean()) for y in years}
                                 for g in sorted(groups.dropna().unique())}

    # distribution dynamics
    kd = pn.kernel_density(wide, bandwidth=cfg.bandwidth)
    ctx.tables["panel_density"] = kd.density.rename_axis(col).reset_index()
    ctx.tables["panel_density_diagnostics"] = kd.diagnostics.rename_axis("year").reset_index()
    info["density"] = {"en": kd.describe(language="en"), "zh": kd.describe(language="zh"), "rule": kd.rule}
    w = _weights(ctx, wide.index)
    mk = pn.markov(wide, k=cfg.classes)
    if mk.k < cfg.classes:
        ctx.note(NAME, "info", f"{col}: tied values leave {mk.k} distinct quantile classes of {cfg.classes}")
    labels = [f"Q{i + 1}" for i in range(mk.k)]
    parts = [_markov_table(mk.p, mk.transitions, labels, {"chain": "classic", "lag": "all"})]
    steady = _steady_rows(mk.steady_state, labels, {"chain": "classic", "lag": "all"})
    sm = pn.spatial_markov(wide, w.w, k=mk.k, m=cfg.lag_classes)
    for i in range(sm.p.shape[0]):
        parts.append(_markov_table(sm.p[i], sm.transitions[i], labels, {"chain": "spatial", "lag": f"L{i + 1}"}))
        steady += _steady_rows(sm.steady_state[i], labels, {"chain": "spatial", "lag": f"L{i + 1}"})
    ctx.tables["panel_markov"] = pd.concat(parts, ignore_index=True)
    ctx.tables["panel_markov_steady"] = pd.DataFrame(steady)
    info["markov"] = {"stay": float(np.mean(np.diag(mk.p))), "classes": int(mk.k)}
    lm = pn.lisa_markov(wide, w.w)
    quad = ["HH", "LH", "LL", "HL"]
    ctx.tables["panel_markov_lisa"] = _markov_table(lm.p, lm.transitions, quad, {"chain": "lisa", "lag": "all"})

    # convergence and inequality over time
    controls = None
    if cfg.controls:
        src = ctx.units.drop(columns="geometry").join(ctx.area.indicators, rsuffix="_ind") \
            if ctx.area.indicators is not None else ctx.units.drop(columns="geometry")
        controls = src[cfg.controls].reindex(wide.index).apply(pd.to_numeric, errors="coerce")
        text = [c for c in cfg.controls if controls[c].isna().all() and src[c].notna().any()]
        if text:
            raise DataError(f"analyses.panel.controls: {text} are not numbers (conditional beta convergence needs "
                            "numeric controls); name numeric unit or indicator columns")
    positive = bool((wide > 0).all().all())
    conv = pn.convergence(wide if positive else wide - wide.min().min() + 1e-6, w=w.w, groups=groups,
                          controls=controls, seed=12345)
    if not positive:
        ctx.note(NAME, "info", f"{col} has values <= 0: beta convergence ran on the values shifted to be positive")
    notes += list(conv.notes)
    ctx.tables["convergence"] = pd.DataFrame(conv.sigma).rename_axis("year").reset_index()
    beta = conv.beta
    coef = beta.coefficients.rename_axis("term").reset_index().assign(model="ols")
    for name in ("lag", "error"):
        fit = getattr(beta, name)
        if fit is not None and hasattr(fit, "coefficients"):
            coef = pd.concat([coef, fit.coefficients.rename_axis("term").reset_index().assign(model=name)])
    ctx.tables["convergence_beta"] = coef.reset_index(drop=True)
    info["convergence"] = {"b": float(beta.b), "p": float(beta.p_b), "theta": float(beta.theta),
                           "half_life": float(beta.half_life), "converges": bool(beta.converges),
                           "model": beta.recommendation, "r2": float(beta.r2)}
    trend = conv.sigma.trend
    info["sigma_trend"] = {"measure": trend.measure, "slope": float(trend.slope), "p": float(trend.p),
                           "first": float(trend.first), "last": float(trend.last), "direction": trend.direction}

    # emerging hot spots and early warning
    eh = pn.emerging_hotspots(wide, w.w)
    ctx.tables["panel_hotspots"] = eh.rename_axis("unit").reset_index()
    ctx.units["hotspot_trend"] = eh["pattern"].reindex(index).to_numpy()
    info["hotspots"] = eh["pattern"].value_counts().to_dict()
    results = scores[[c for c in (col, "ccd_class") if c in scores.columns]].copy()
    if col not in results.columns:
        results[col] = values
    wc = cfg.warning
    if wc.ratio:
        u, r = wc.ratio
        results["ratio"] = (frame[u] / frame[r]).reindex(results.index)
    if "bins" in eh.columns:  # one letter per year: H hot, C cold, . not significant
        letters = {(u, y): {"H": "hot", "C": "cold"}.get(b[i], "not significant")
                   for u, b in eh["bins"].items() for i, y in enumerate(years)}
        results["hotspot"] = [letters.get(k, "not significant") for k in results.index]
    rules = pn.WarningRules(index_drop=wc.index_drop, compare=wc.compare, class_worse=wc.class_worse,
                            cold_spot=wc.cold_spot and "hotspot" in results.columns,
                            ratio_widened=wc.ratio_widened if wc.ratio else None)
    ew = pn.early_warning(results, rules=rules, index=col,
                          ccd_class="ccd_class" if "ccd_class" in results.columns else None,
                          hotspot="hotspot" if "hotspot" in results.columns else None,
                          ratio="ratio" if "ratio" in results.columns else None,
                          indicators=frame.loc[frame.index.get_level_values("unit").isin(
                              scores.index.get_level_values("unit")), list(directions)],
                          directions=directions, weights=res.weights, missing=cfg.missing)
    ctx.tables["early_warning"] = ew
    fired = ew.groupby("unit")["rule"].agg(lambda r: "; ".join(map(str, r))) if len(ew) else pd.Series(dtype=str)
    ctx.units["early_warning"] = fired.reindex(index).fillna("").to_numpy()
    ctx.units["warning_count"] = (ew.groupby("unit").size().reindex(index).fillna(0).astype(int).to_numpy()
                                  if len(ew) else 0)
    info["warnings"] = {"units": int(ew["unit"].nunique()) if len(ew) else 0,
                        "by_rule": ew["rule"].value_counts().to_dict() if len(ew) else {}}
    if cfg.forecast != "none":
        rows = []
        fn = pn.gm11 if cfg.forecast == "gm11" else pn.linear_trend
        for unit, series in wide.iterrows():
            try:
                f = fn(series.astype(float), horizon=cfg.horizon)
            except DataError as exc:
                ctx.note(NAME, "info", f"forecast of {unit}: {exc}")
                continue
            fc = f.forecast
            for y, v in (fc.items() if isinstance(fc, pd.Series) else enumerate(np.ravel(fc), start=years[-1] + 1)):
                rows.append({"unit": unit, "year": int(y), "forecast": float(v), "method": cfg.forecast})
        if rows:
            ctx.tables["panel_forecast"] = pd.DataFrame(rows)
    info["notes"] = notes + list(ew.attrs.get("notes", ()))
    ctx.results[NAME] = info
    ctx.variants[NAME] = _variants(ctx, res, kd, conv, k=int(mk.k), ccd=ccd is not None,
                                   ratio=bool(wc.ratio))
    if "panel_access_variant" in ctx.cache:
        ctx.variants[NAME]["travel times per year"] = ctx.cache["panel_access_variant"]


def _variants(ctx: RunContext, res: Any, kd: Any, conv: Any, *, k: int, ccd: bool,
              ratio: bool) -> dict[str, Any]:
    cfg = ctx.config.analyses.panel
    wc = cfg.warning
    rules = [(f"index fell by more than {wc.index_drop:g}", f"指数下降超过 {wc.index_drop:g}")]
    if wc.class_worse and ccd:
        rules.append(("CCD class worsened", "耦合协调等级下降"))
    if wc.cold_spot:
        rules.append(("moved into a cold spot", "进入冷点"))
    if ratio and wc.ratio_widened:
        rules.append((f"urban/rural ratio widened by more than {wc.ratio_widened:g}", f"城乡比扩大超过 {wc.ratio_widened:g}"))
    base = "the previous year" if wc.compare == "previous" else "the first year"
    base_zh = "上一年" if wc.compare == "previous" else "首年"
    pooled = cfg.weights == "pooled"
    out = {
        "index": Phrase(
            ("entropy weights pooled over every unit-year (one min-max normalisation and one weight vector: years "
             "comparable)" if pooled else "entropy weights per year (years not comparable)")
            + "; dimension scores = weighted sums with the same weights; CCD per unit-year",
            ("熵权法权重按全部单元-年份合并计算（统一的极差标准化与一组权重，年份间可比）" if pooled
             else "熵权法权重逐年计算（年份间不可比）") + "；维度得分为同一权重下的加权和；逐年计算耦合协调度"),
        "density": Phrase(f"Gaussian kernel density per year, one bandwidth rule ({kd.rule}), one grid",
                          "逐年高斯核密度估计，统一带宽规则（"
                          + {"scott": "Scott 规则", "silverman": "Silverman 规则"}.get(kd.rule, f"固定带宽 {kd.rule}")
                          + "）与统一网格"),
        "markov": Phrase(f"classic Markov chain on {k} quantile classes pooled over all years (Rey 2001, as "
                         f"giddy); spatial Markov with {cfg.lag_classes} classes of the spatial lag; LISA Markov",
                         f"传统马尔可夫链：按全部年份合并的 {k} 个分位数等级（Rey 2001，与 giddy 一致）；"
                         f"空间马尔可夫链：空间滞后分为 {cfg.lag_classes} 类；LISA 马尔可夫链"),
        "convergence": Phrase("sigma: CV, Gini, Theil per year; absolute beta: ln(y_T/y_0)/T on ln y_0 (OLS), "
                              "spatial lag/error model when the residuals' Moran's I is significant",
                              "σ 收敛：逐年变异系数、基尼系数、泰尔指数；绝对 β 收敛：ln(y_T/y_0)/T 对 ln y_0 的最小二乘回归，"
                              "残差莫兰指数显著时采用空间滞后/误差模型"),
        "hotspots": Phrase("emerging hot spots: Gi* per year and a Mann-Kendall trend of each unit's z (ESRI classes)",
                           "新兴热点分析：逐年 Gi* 与各单元 z 值的 Mann-Kendall 趋势检验（ESRI 分类）"),
        "warning": Phrase(f"early warning, latest year against {base}: " + "; ".join(e for e, _ in rules)
                          + "; reasons: the largest obstacle degrees",
                          f"预警规则（最新年份与{base_zh}比较）：" + "；".join(z for _, z in rules) + "；原因：障碍度最大的指标"),
    }
    if cfg.forecast != "none":
        out["forecast"] = Phrase(f"{'GM(1,1) grey model' if cfg.forecast == 'gm11' else 'linear trend'} over "
                                 f"{cfg.horizon} year(s): indicative only",
                                 f"{'灰色预测 GM(1,1)' if cfg.forecast == 'gm11' else '线性趋势外推'}（{cfg.horizon} 年）："
                                 "仅供参考")
    return out
