"""Pipeline step ``analyses.drivers``: what explains the target's spatial pattern (geodetector).

The target (default ``integration_index``) and the factors are unit columns of the run
(including ones computed by earlier steps: travel times, density, ``index_change``) or
columns of the indicator table (its latest year). Continuous factors are discretised by
the optimal-parameters search (OPGD) unless ``discretize`` names one method.

Tables: ``geodetector_factor`` (q, p per factor), ``geodetector_interaction``,
``geodetector_risk``, ``geodetector_ecological``, ``geodetector_discretization``.
"""

from __future__ import annotations

import pandas as pd

from ..geo.errors import DataError
from ..maps._report_zh import Phrase
from ..pipeline import RunContext, analysis

NAME = "drivers"
_METHOD_ZH = {"equal": "等间距", "quantile": "分位数", "natural": "自然断点", "geometric": "几何间隔", "sd": "标准差",
              "optimal": "参数最优"}


def _source(ctx: RunContext) -> pd.DataFrame:
    frame = pd.DataFrame(ctx.units.drop(columns="geometry"))
    if ctx.area.indicators is not None:
        extra = ctx.area.indicators.drop(columns=[c for c in ctx.area.indicators.columns if c in frame.columns])
        frame = frame.join(extra)
    return frame


@analysis(NAME)
def drivers_step(ctx: RunContext) -> None:
    from ..analysis import drivers as dr

    cfg = ctx.config.analyses.drivers
    frame = _source(ctx)
    wanted = [cfg.target, *cfg.factors]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        ctx.note(NAME, "skipped", f"column(s) {missing} are not in the run (its analyses may have been skipped)")
        return
    y = pd.to_numeric(frame[cfg.target], errors="coerce")
    factors = frame[cfg.factors]
    try:
        res = dr.geodetector(y, factors, discretize=cfg.discretize, k=cfg.k, alpha=cfg.alpha)
    except DataError as exc:
        ctx.note(NAME, "warning", f"geodetector not run: {exc}")
        return
    ctx.tables["geodetector_factor"] = res.factor.rename_axis("factor").reset_index()
    ctx.tables["geodetector_interaction"] = res.interaction
    ctx.tables["geodetector_risk"] = res.risk
    ctx.tables["geodetector_ecological"] = res.ecological
    ctx.tables["geodetector_discretization"] = res.discretization
    f = res.factor.sort_values("q", ascending=False)
    inter = res.interaction.sort_values("q12", ascending=False) if len(res.interaction) else res.interaction
    ctx.results[NAME] = {
        "target": cfg.target, "notes": list(res.notes),
        "factors": [{"factor": str(i), "q": float(r["q"]), "p": float(r["p"]), "method": str(r["method"]),
                     "strata": int(r["strata"])} for i, r in f.iterrows()],
        "top_interaction": None if not len(inter) else {
            "factor_1": str(inter["factor_1"].iat[0]), "factor_2": str(inter["factor_2"].iat[0]),
            "q12": float(inter["q12"].iat[0]), "type": str(inter["type"].iat[0])},
    }
    ctx.variants[NAME] = {
        "geodetector": Phrase(
            "geodetector (Wang et al. 2010, 2016): q = 1 - sum N_h s_h^2 / (N s^2), p from the non-central F; "
            "interaction by overlaying strata; risk: Welch t-tests; ecological: F-test",
            "地理探测器（Wang 等 2010、2016）：q = 1 - Σ N_h σ_h² / (N σ²)，p 值来自非中心 F 分布；交互探测为图层叠加；"
            "风险探测为 Welch t 检验；生态探测为 F 检验"),
        "discretization": Phrase(
            "optimal parameters (OPGD, Song et al. 2020): equal, natural, quantile, geometric and standard-deviation "
            f"breaks x {min(cfg.k)}-{max(cfg.k)} classes, the largest q kept" if cfg.discretize == "optimal"
            else f"{cfg.discretize} breaks, {min(cfg.k)}-{max(cfg.k)} classes, the largest q kept",
            "参数最优地理探测器（OPGD，Song 等 2020）：等间距、自然断点、分位数、几何间隔与标准差分级 × "
            f"{min(cfg.k)}—{max(cfg.k)} 类，取 q 最大者" if cfg.discretize == "optimal"
            else f"{_METHOD_ZH[cfg.discretize]}分级，{min(cfg.k)}—{max(cfg.k)} 类，取 q 最大者"),
    }
