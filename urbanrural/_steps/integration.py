"""Pipeline step ``analyses.integration``: entropy-weight index, TOPSIS, CCD, Theil."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import inequality, integration
from ..geo.errors import DataError
from ..layers.numbers import describe_counts, parse_numeric
from ..maps._report_zh import CCD_CLASSES_ZH, Phrase
from ..pipeline import RunContext, analysis


def _source(ctx: RunContext) -> pd.DataFrame:
    """Indicator columns from the indicator table joined to units, plus computed unit columns."""
    frame = pd.DataFrame(ctx.units.drop(columns="geometry"))
    if ctx.area.indicators is not None:
        extra = ctx.area.indicators.drop(columns=[c for c in ctx.area.indicators.columns if c in frame.columns])
        frame = frame.join(extra)
    return frame


@analysis("integration")
def integration_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.integration
    frame = _source(ctx)
    dims = {d: dict(cols) for d, cols in cfg.dimensions.items()}
    missing = sorted({c for cols in dims.values() for c in cols if c not in frame.columns})
    if missing:
        ctx.note("integration", "warning", f"indicator(s) {missing} are neither indicator-table nor unit columns; "
                 "left out")
        dims = {d: {c: s for c, s in cols.items() if c not in missing} for d, cols in dims.items()}
        dims = {d: cols for d, cols in dims.items() if cols}
    directions = {c: s for cols in dims.values() for c, s in cols.items()}
    if len(directions) < 2:
        ctx.note("integration", "skipped", "fewer than 2 usable indicators")
        return
    # formatted numbers (1,234; full-width digits; placeholders) are read and counted; any other
    # text in an indicator is refused naming its cells, never turned into NaN
    ind = ctx.config.indicators
    source = "indicators" if ind is None or ind.path is None else ind.path.name
    parsed = {}
    for col in directions:
        parsed[col], counts = parse_numeric(frame[col], name=f"{source}: {col}")
        said = describe_counts(counts)
        if said:
            ctx.note("integration", "info", f"{col}: {said}")
    x = pd.DataFrame(parsed, index=frame.index)
    infinite = np.isinf(x.to_numpy(dtype=float))
    if infinite.any():
        bad = x.columns[infinite.any(axis=0)].tolist()
        raise DataError(f"{source}: indicator(s) {bad} hold infinite values; fix them in the table (a ratio "
                        "divided by zero?) or leave the cell empty")
    const = [c for c in x.columns if x[c].nunique(dropna=True) <= 1]
    if const:
        ctx.note("integration", "warning", f"constant indicator(s) {const} carry no information; left out")
        directions = {c: s for c, s in directions.items() if c not in const}
        dims = {d: {c: s for c, s in cols.items() if c not in const} for d, cols in dims.items()}
        dims = {d: cols for d, cols in dims.items() if cols}
    res = integration.entropy_weights(x, directions=directions, normalization=cfg.normalization, missing=cfg.missing)
    idx = res.normalized.index
    if len(idx) < len(x):
        ctx.note("integration", "warning", f"{len(x) - len(idx)} unit(s) with missing indicators left out "
                 f"(missing: {cfg.missing})")
    ctx.units["integration_index"] = res.scores.reindex(ctx.units.index)
    ctx.units["topsis"] = integration.topsis(x.loc[idx], directions=directions, weights=res.weights,
                                             normalization=cfg.normalization,
                                             missing=cfg.missing).reindex(ctx.units.index)
    table = res.table()
    table.insert(0, "dimension", [next(d for d, cols in dims.items() if c in cols) for c in table.index])
    table.insert(1, "direction", [directions[c] for c in table.index])
    ctx.tables["integration"] = table
    scores = {}
    for d, cols in dims.items():
        w = res.weights[list(cols)]
        w = w / w.sum()  # weights renormalised within the dimension: scores stay in [0, 1]
        scores[d] = (res.normalized[list(cols)] * w).sum(axis=1)
        ctx.units[f"score_{d}"] = scores[d].reindex(ctx.units.index)
    ctx.variants["integration"] = {
        "normalization": res.method, "missing": cfg.missing,
        "weights": Phrase("entropy weights pooled over all units; dimension scores use the weights renormalised "
                          "within the dimension",
                          "熵权法权重（基于全部单元计算）；各维度得分采用在维度内重新归一化的权重"),
        "topsis": Phrase("closeness with entropy weights", "TOPSIS 相对贴近度，采用熵权法权重")}
    ccd = cfg.ccd
    if ccd is not None:
        absent = [s for s in ccd.subsystems if s not in scores]
        if absent:
            ctx.note("integration", "skipped", f"CCD subsystems {absent} are not dimensions (have {list(scores)})")
        else:
            u = pd.DataFrame({s: scores[s] for s in ccd.subsystems})
            try:
                out = integration.coupling_coordination(u, method=ccd.method, weights=ccd.weights)
            except DataError as exc:
                ctx.note("integration", "skipped", f"CCD: {exc}")
                out = None
            if out is not None:
                zh = ctx.config.language == "zh"
                for col, name in (("C", "ccd_C"), ("T", "ccd_T"), ("D", "ccd_D"), ("level", "ccd_class")):
                    ctx.units[name] = out[col].reindex(ctx.units.index)
                ctx.units["ccd_label"] = out["label_zh" if zh else "label_en"].reindex(ctx.units.index)
                if {"urban", "rural"} <= set(ccd.subsystems):
                    ctx.units["ccd_lag"] = integration.urban_rural_lag(
                        u["urban"], u["rural"], language=ctx.config.language).reindex(ctx.units.index)
                counts = out.groupby(["level", "label_en", "label_zh"]).size().rename("units").reset_index()
                ctx.tables["integration_ccd"] = counts.set_index("level")
                ctx.variants["ccd"] = {"method": ccd.method, "subsystems": ccd.subsystems,
                                       "weights": ccd.weights or "equal",
                                       "classes": Phrase("Tian et al. 2021, (a, b]", CCD_CLASSES_ZH)}
    _theil(ctx, frame)


def _theil(ctx: RunContext, frame: pd.DataFrame) -> None:
    """Theil of per-capita income across units, by urban/rural class (and township if present)."""
    col = next((c for c in ("income_rural", "income", "income_per_capita") if c in frame.columns), None)
    if col is None or "population" not in frame.columns:
        return
    ok = frame[col].notna() & frame["population"].gt(0)
    rows = []
    for by in ("urban_class", "township"):
        if by in frame.columns and frame.loc[ok, by].notna().all():
            t = inequality.theil(frame.loc[ok, col], population=frame.loc[ok, "population"],
                                 groups=frame.loc[ok, by].astype(str))
            rows.append({"variable": col, "groups": by, "total": t.total, "between": t.between,
                         "within": t.within, "between_share": t.between / t.total if t.total else np.nan})
    if rows:
        ctx.tables["integration_theil"] = pd.DataFrame(rows)
        ctx.results["gini_" + col] = inequality.gini(frame.loc[ok, col], weights=frame.loc[ok, "population"])
