"""Pipeline step ``analyses.autocorrelation``: global table, LISA and Gi* columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..analysis import autocorrelation as ac
from ..geo.errors import DataError
from ..geo.progress import progress
from ..maps._report_zh import VALUES_ZH, Phrase
from ..pipeline import RunContext, analysis


def _zh(value: object) -> str:
    """A config value in Chinese for the report: its gloss and the value as code."""
    gloss = VALUES_ZH.get(str(value))
    return f"{gloss}（`{value}`）" if gloss else f"`{value}`"


def _variants(cfg: Any) -> dict[str, Phrase]:
    """``variants.autocorrelation`` of run.json: each description in English with its Chinese."""
    adjust_zh = _zh(cfg.adjust) if cfg.adjust else "无"
    level = f"{(1 - cfg.alpha) * 100:.4g}pct{'_' + cfg.adjust if cfg.adjust else ''}"
    return {
        "weights": Phrase(f"{cfg.weights}, row-standardised; islands: {cfg.islands}",
                          f"{_zh(cfg.weights)}空间权重，行标准化；孤立单元：`islands: {cfg.islands}`"),
        "inference": Phrase(f"{cfg.permutations} permutations, seed {cfg.seed}; local: conditional permutation, "
                            f"folded pseudo p; alpha {cfg.alpha}, adjustment {cfg.adjust or 'none'}",
                            f"{cfg.permutations} 次随机置换，随机种子 {cfg.seed}；局部空间自相关（LISA）："
                            f"条件置换，折叠伪 p 值；显著性水平 α = {cfg.alpha}，多重比较校正：{adjust_zh}"),
        "gi": Phrase("Gi* with binary weights including self; map classes (90/95/99 %) from the analytical z; "
                     f"table counts gi_hot/gi_cold_{level} "
                     f"at the configured alpha {cfg.alpha:g}, adjustment {cfg.adjust or 'none'} (two-sided normal p)",
                     "热点分析 Gi* 统计量，采用含自身的二值权重；地图分级（90/95/99 %）依据解析 z 值；表中 "
                     f"`gi_hot/gi_cold_{level}` 为按所设显著性水平 α = {cfg.alpha:g}（多重比较校正：{adjust_zh}）"
                     "计数的单元数（双侧正态 p 值）")}


@analysis("autocorrelation")
def autocorrelation_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.autocorrelation
    units = ctx.units
    w = ac.weights(units, cfg.weights, k=cfg.k, threshold=cfg.threshold, islands=cfg.islands)
    ctx.results["weights"] = w.summary()
    ctx.variants["autocorrelation"] = _variants(cfg)
    rows = []
    level = f"{(1 - cfg.alpha) * 100:.4g}pct" + (f"_{cfg.adjust}" if cfg.adjust else "")  # gi_hot_95pct(_fdr)
    for var in progress(cfg.variables, desc="autocorrelation", unit="variable"):
        if var not in units.columns:
            ctx.note("autocorrelation", "skipped", f"variable {var!r} is not a unit column (available: "
                     f"{', '.join(c for c in units.columns if c != 'geometry')[:300]})")
            continue
        y = pd.to_numeric(units[var], errors="coerce").replace([np.inf, -np.inf], np.nan)
        y = y.reindex(w.ids)
        n_bad = int(y.isna().sum())
        if n_bad:
            ctx.note("autocorrelation", "warning", f"{var}: {n_bad} unit(s) without a finite value left out")
        try:
            m = ac.moran(y, w, permutations=cfg.permutations, seed=cfg.seed, dropna=True)
            g = ac.geary(y, w, permutations=cfg.permutations, seed=cfg.seed, dropna=True)
            # with scale: scheduler, the permutation blocks run on the cluster (same seeded result)
            loc = ac.lisa(y, w, permutations=cfg.permutations, seed=cfg.seed, alpha=cfg.alpha, adjust=cfg.adjust,
                          dropna=True, scheduler="dask" if ctx.scale.get("scheduler") else None)
            gi = ac.local_g(y, w, permutations=0, dropna=True)
        except DataError as exc:
            ctx.note("autocorrelation", "skipped", f"{var}: {exc}")
            continue
        p_gi = gi["p_norm"].to_numpy(dtype=float)
        gi_th = ac.p_threshold(p_gi[np.isfinite(p_gi)], cfg.alpha, cfg.adjust)
        rows.append({"variable": var, "n": m.n, "moran_i": m.i, "expected_i": m.expected_i, "z_norm": m.z_norm,
                     "p_norm": m.p_norm, "z_rand": m.z_rand, "p_rand": m.p_rand, "z_sim": m.z_sim, "p_sim": m.p_sim,
                     "geary_c": g.c, "geary_p_sim": g.p_sim, **{f"lisa_{k}": v for k, v in loc.counts().items()},
                     # counted at the configured alpha and adjustment (two-sided p_norm of the
                     # analytical z), named so
                     f"gi_hot_{level}": int(((gi["p_norm"] <= gi_th) & (gi["z"] > 0)).sum()),
                     f"gi_cold_{level}": int(((gi["p_norm"] <= gi_th) & (gi["z"] < 0)).sum())})
        frame = loc.to_frame()
        ctx.units[f"lisa_{var}"] = frame["cluster"].reindex(units.index).fillna("no data")
        ctx.units[f"lisa_p_{var}"] = frame["p_sim"].reindex(units.index)
        ctx.units[f"gi_{var}"] = gi["hotspot"].reindex(units.index).fillna("no data")
    if rows:
        ctx.tables["autocorrelation"] = pd.DataFrame(rows).set_index("variable")
        ctx.results["autocorrelation"] = {r["variable"]: {"I": r["moran_i"], "p_sim": r["p_sim"]} for r in rows}
