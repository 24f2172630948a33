"""Sigma and beta convergence; Dagum's Gini decomposition per year.

METHODS.md, section Change over time.  Data in: ``values`` is a ``units x years`` frame
(index unit ids, converted to text; columns years, integers, sorted ascending) or a long
Series indexed by ``(unit, year)``.  Every cell must be a finite number: missing cells
are refused by name, as are negative values (inequality) and values <= 0 where logs are
taken (beta convergence).

sigma convergence
    Per year: CV (ddof 0; Williamson's population-weighted form with ``population``),
    Gini, Theil T (:mod:`urbanrural.analysis.inequality`); with ``groups`` also Theil's
    between/within split and Dagum's decomposition G = Gw + Gnb + Gt.  The table's
    ``.trend`` is the least-squares slope of CV on the year: falling CV = "sigma
    convergence".
beta convergence
    Absolute: ln(y_iT / y_i0) / T = a + b ln y_i0 + e_i (OLS, T = last year - first year);
    b < 0 converges, speed theta = -ln(1 + bT) / T, half-life ln 2 / theta (defined when
    -1 < bT < 0).  Conditional: ``controls`` (one row per unit) added to the right-hand
    side.  With spatial weights ``w``: Moran's I of the OLS residuals; when it is
    significant at ``alpha`` (regression-residual test of Cliff & Ord 1981, as spreg's
    ``moran_res``), the spatial lag and spatial error models are fitted by maximum
    likelihood (spreg ``ML_Lag`` / ``ML_Error``; "full" eigenvalue method up to 1,000
    units, sparse LU above) and one model is recommended by Anselin's (2005) Lagrange
    multiplier decision rule (see :func:`lm_decision`).

OLS is computed here (QR, equal to statsmodels to 1e-10); spreg is needed only when
``w`` is given.

Examples
--------
>>> import pandas as pd
>>> values = pd.DataFrame({2010: [2.0, 4.0, 8.0, 16.0], 2020: [6.0, 8.0, 11.0, 17.0]},
...                       index=["a", "b", "c", "d"])
>>> s = sigma_convergence(values)
>>> s["cv"].round(4).tolist()
[0.7149, 0.3956]
>>> s.trend.direction
'sigma convergence'
>>> b = beta_convergence(values)
>>> round(b.b, 4), b.converges
(-0.0503, True)
>>> r = convergence(values, groups={"a": "rural", "b": "rural", "c": "urban", "d": "urban"})
>>> d = r.sigma.loc[2010]
>>> bool(abs(d["dagum_Gw"] + d["dagum_Gnb"] + d["dagum_Gt"] - d["dagum_G"]) < 1e-12)
True
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg, stats

from ...geo.errors import DataError, MissingDependencyError
from ...geo.validate import preview
from .. import inequality

__all__ = ["sigma_convergence", "beta_convergence", "convergence", "dagum_by_year", "lm_decision",
           "SigmaTable", "SigmaTrend", "BetaResult", "SpatialFit", "ConvergenceResult"]

logger = logging.getLogger("urbanrural")
FULL_METHOD_MAX_N = 1000  # ML "full" (dense eigenvalues) up to this many units, sparse LU above


# --------------------------------------------------------------------------- input
def _as_panel(values: object, *, name: str = "values", min_years: int = 2) -> pd.DataFrame:
    """A float ``units x years`` frame (text ids, int years ascending) or a DataError."""
    if isinstance(values, pd.Series):
        if not isinstance(values.index, pd.MultiIndex) or values.index.nlevels != 2:
            raise DataError(f"{name}: a Series must be indexed by (unit, year); got an index with "
                            f"{values.index.nlevels} level(s); or pass a units x years DataFrame")
        dup = values.index.duplicated()
        if dup.any():
            raise DataError(f"{name} has duplicate (unit, year) rows: {preview(values.index[dup])}")
        frame = values.unstack(level=1, sort=True)
    elif isinstance(values, pd.DataFrame):
        frame = values.copy()
    else:
        raise DataError(f"{name} must be a units x years DataFrame or a Series indexed by (unit, year); "
                        f"got {type(values).__name__}")
    frame.index = pd.Index([str(u) for u in frame.index], name="unit")
    if frame.index.duplicated().any():
        raise DataError(f"{name} has duplicate unit ids: {preview(frame.index[frame.index.duplicated()])}")
    years = pd.to_numeric(pd.Series(list(frame.columns), dtype=object).astype(str), errors="coerce")
    bad = years.isna() | (years != years.round())
    if bad.any():
        raise DataError(f"{name}: columns must be years (integers); got {preview(frame.columns[bad.to_numpy()])}")
    frame.columns = pd.Index(years.astype(int).to_numpy(), name="year")
    if frame.columns.duplicated().any():
        raise DataError(f"{name} has duplicate years: {preview(frame.columns[frame.columns.duplicated()])}")
    frame = frame.sort_index(axis=1)
    if frame.shape[1] < min_years:
        got = ", ".join(map(str, frame.columns)) or "none"
        raise DataError(f"{name} has {frame.shape[1]} year(s) ({got}); change over time needs at least {min_years}")
    if frame.shape[0] < 2:
        raise DataError(f"{name} has {frame.shape[0]} unit(s); at least 2 are needed")
    frame = frame.apply(lambda c: pd.to_numeric(c, errors="coerce")).astype(float)
    arr = frame.to_numpy()
    missing = ~np.isfinite(arr)
    if missing.any():
        r, c = np.nonzero(missing)
        cells = [f"({frame.index[i]}, {frame.columns[j]})" for i, j in zip(r, c, strict=True)]
        raise DataError(f"{name} has {len(cells)} missing, non-numeric or infinite cell(s) (unit, year): "
                        f"{preview(cells)}; fill or drop them first")
    return frame


def _bad_cells(frame: pd.DataFrame, mask: NDArray[np.bool_]) -> str:
    r, c = np.nonzero(mask)
    return preview([f"({frame.index[i]}, {frame.columns[j]})" for i, j in zip(r, c, strict=True)])


def _by_unit(obj: object, units: pd.Index, *, name: str) -> pd.Series:
    """Labels or numbers by unit: a Series/Mapping keyed by unit id, or an array in row order."""
    if isinstance(obj, Mapping):
        obj = pd.Series(dict(obj))
    if isinstance(obj, pd.Series):
        s = obj.copy()
        s.index = pd.Index([str(u) for u in s.index])
        if s.index.duplicated().any():
            raise DataError(f"{name} has duplicate unit ids: {preview(s.index[s.index.duplicated()])}")
        missing = units.difference(s.index, sort=False)
        if len(missing):
            raise DataError(f"{name} has no entry for {len(missing)} unit(s): {preview(missing)}")
        return s.reindex(units)
    arr = np.asarray(obj, dtype=object).ravel()
    if len(arr) != len(units):
        raise DataError(f"{name} has {len(arr)} entries for {len(units)} units; pass a Series indexed by unit id")
    return pd.Series(arr, index=units)


def _groups(groups: object, units: pd.Index) -> NDArray[np.object_]:
    g = _by_unit(groups, units, name="groups")
    if g.isna().any():
        raise DataError(f"groups: {int(g.isna().sum())} unit(s) have no group: {preview(units[g.isna().to_numpy()])}")
    return g.to_numpy(dtype=object)


def _population(population: object, panel: pd.DataFrame) -> pd.DataFrame | None:
    if population is None:
        return None
    if isinstance(population, pd.DataFrame) or (isinstance(population, pd.Series)
                                                 and isinstance(population.index, pd.MultiIndex)):
        pop = _as_panel(population, name="population", min_years=1)
        missing_u = panel.index.difference(pop.index, sort=False)
        missing_y = panel.columns.difference(pop.columns)
        if len(missing_u) or len(missing_y):
            raise DataError(f"population lacks unit(s) {preview(missing_u)} / year(s) {preview(missing_y)} of values")
        pop = pop.loc[panel.index, panel.columns]
    else:
        s = pd.to_numeric(_by_unit(population, panel.index, name="population"), errors="coerce").astype(float)
        pop = pd.DataFrame(np.repeat(s.to_numpy()[:, None], panel.shape[1], axis=1), index=panel.index,
                           columns=panel.columns)
    bad = ~np.isfinite(pop.to_numpy()) | (pop.to_numpy() <= 0)
    if bad.any():
        raise DataError(f"population must be finite and > 0; not so for (unit, year) {_bad_cells(pop, bad)}")
    return pop


def _nonnegative(panel: pd.DataFrame, *, what: str) -> None:
    neg = panel.to_numpy() < 0
    if neg.any():
        raise DataError(f"{what} need values >= 0; negative at (unit, year) {_bad_cells(panel, neg)}")


# --------------------------------------------------------------------------- sigma
@dataclass(frozen=True)
class SigmaTrend:
    """Least-squares trend of one dispersion measure over the years.

    ``direction`` follows the sign of the slope ("sigma convergence" when it falls);
    ``p`` (t test, n - 2 df; NaN with two years) says whether the trend is more than noise.
    """

    measure: str
    slope: float
    intercept: float
    r2: float
    p: float
    first: float
    last: float
    direction: str


class SigmaTable(pd.DataFrame):
    """Per-year dispersion table (index ``year``) with ``.trend`` (CV) and :meth:`trend_of`."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> type[SigmaTable]:
        return SigmaTable

    @property
    def trend(self) -> SigmaTrend:
        """Trend of CV over the years (:meth:`trend_of` ``"cv"``)."""
        return self.trend_of("cv")

    def trend_of(self, measure: str = "cv") -> SigmaTrend:
        """Least-squares slope of ``measure`` (a column, e.g. "gini", "theil") on the year."""
        if measure not in self.columns:
            raise DataError(f"no column {measure!r} to take a trend of; columns: {', '.join(map(str, self.columns))}")
        x = np.asarray(self.index, dtype=float)
        y = self[measure].to_numpy(dtype=float)
        n = len(x)
        xc = x - x.mean()
        sxx = (xc * xc).sum()
        slope = float((xc * (y - y.mean())).sum() / sxx)
        intercept = float(y.mean() - slope * x.mean())
        resid = y - intercept - slope * x
        sst = ((y - y.mean()) ** 2).sum()
        r2 = float(1 - (resid ** 2).sum() / sst) if sst > 0 else float("nan")
        if n > 2:
            se = np.sqrt((resid ** 2).sum() / (n - 2) / sxx)
            p = float(2 * stats.t.sf(abs(slope) / se, n - 2)) if se > 0 else (0.0 if slope else float("nan"))
        else:
            p = float("nan")
        direction = "sigma convergence" if slope < 0 else "sigma divergence" if slope > 0 else "no change"
        return SigmaTrend(measure, slope, intercept, r2, p, float(y[0]), float(y[-1]), direction)


def _dagum_row(y: NDArray[np.float64], g: NDArray[np.object_], *, prefix: str, detail: bool) -> dict[str, float]:
    d = inequality.dagum(y, g)
    row = {f"{prefix}G": d.total, f"{prefix}Gw": d.within, f"{prefix}Gnb": d.net_between,
           f"{prefix}Gt": d.transvariation}
    for key, part in (("Cw", d.within), ("Cnb", d.net_between), ("Ct", d.transvariation)):
        row[f"{prefix}{key}"] = part / d.total if d.total > 0 else float("nan")
    if detail:
        keys = sorted(d.group_gini.index, key=str)
        for a in keys:
            row[f"{prefix}Gjj[{a}]"] = float(d.group_gini[a])
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                row[f"{prefix}Gjh[{a}|{b}]"] = float(d.between_gini.loc[a, b])
    return row


def sigma_convergence(values: pd.DataFrame | pd.Series, *, groups: object = None,
                      population: object = None) -> SigmaTable:
    """Dispersion per year: CV, Gini, Theil T, and with ``groups`` their decompositions.

    Parameters
    ----------
    values : DataFrame (units x years) or Series indexed by (unit, year)
        Values >= 0 (e.g. per-capita income).
    groups : Series or mapping unit -> label, or array in row order, optional
        E.g. "urban"/"rural" or regions: adds ``theil_between``, ``theil_within``,
        ``theil_between_share`` and Dagum's ``dagum_G``, ``dagum_Gw`` (within),
        ``dagum_Gnb`` (net between), ``dagum_Gt`` (transvariation) and their shares of G
        ``dagum_Cw``, ``dagum_Cnb``, ``dagum_Ct``.  Dagum's Gini is unweighted.
    population : Series by unit, or frame units x years, optional
        Weights: Williamson's weighted CV, weighted Gini, population-weighted Theil T.

    Returns
    -------
    SigmaTable
        One row per year (index ``year``): n, mean, sd, cv, gini, theil[, decompositions];
        ``.trend`` is the trend of CV ("sigma convergence" when it falls).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2000: [1.0, 3.0], 2010: [2.0, 3.0]}, index=["x", "y"])
    >>> t = sigma_convergence(v)
    >>> t["cv"].tolist(), t.trend.direction
    ([0.5, 0.2], 'sigma convergence')
    """
    panel = _as_panel(values)
    _nonnegative(panel, what="inequality measures")
    g = _groups(groups, panel.index) if groups is not None else None
    pop = _population(population, panel)
    rows: dict[int, dict[str, float]] = {}
    for year in panel.columns:
        y = panel[year].to_numpy()
        p = None if pop is None else pop[year].to_numpy()
        wts = np.ones(len(y)) if p is None else p
        mean = float((wts * y).sum() / wts.sum())
        try:
            row: dict[str, float] = {
                "n": len(y), "mean": mean, "sd": float(np.sqrt((wts * (y - mean) ** 2).sum() / wts.sum())),
                "cv": inequality.cv(y, weights=p), "gini": inequality.gini(y, weights=p)}
            t = inequality.theil(y, population=p, groups=g)
            row["theil"] = t.total
            if g is not None:
                row.update(theil_between=t.between, theil_within=t.within,
                           theil_between_share=t.between / t.total if t.total > 0 else float("nan"))
                row.update(_dagum_row(y, g, prefix="dagum_", detail=False))
        except DataError as exc:
            raise DataError(f"year {year}: {exc}") from exc
        rows[int(year)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "year"
    return SigmaTable(table)


def dagum_by_year(values: pd.DataFrame | pd.Series, groups: object) -> pd.DataFrame:
    """Dagum's (1997) Gini decomposition for each year.

    Columns: G (total), Gw (within), Gnb (net between), Gt (transvariation), with
    G = Gw + Gnb + Gt exactly; Cw, Cnb, Ct their shares of G; ``Gjj[g]`` the Gini
    within each group and ``Gjh[g|h]`` between each pair of groups (labels sorted).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2000: [1.0, 2.0, 3.0, 6.0], 2010: [2.0, 3.0, 4.0, 5.0]}, index=list("abcd"))
    >>> d = dagum_by_year(v, {"a": "rural", "b": "rural", "c": "urban", "d": "urban"})
    >>> d[["G", "Gw", "Gnb", "Gt"]].round(4).loc[2000].tolist()
    [0.3333, 0.0833, 0.25, 0.0]
    """
    panel = _as_panel(values)
    _nonnegative(panel, what="Dagum's Gini")
    g = _groups(groups, panel.index)
    rows = {}
    for year in panel.columns:
        try:
            rows[int(year)] = _dagum_row(panel[year].to_numpy(), g, prefix="", detail=True)
        except DataError as exc:
            raise DataError(f"year {year}: {exc}") from exc
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "year"
    return out


# --------------------------------------------------------------------------- beta
def _speed(b: float, T: float) -> tuple[float, float]:
    """theta = -ln(1 + bT) / T and half-life ln 2 / theta; NaN unless -1 < bT < 0."""
    if not (b < 0 and 1 + b * T > 0):
        return float("nan"), float("nan")
    theta = -np.log1p(b * T) / T
    return float(theta), float(np.log(2) / theta)


def _coef_table(names: list[str], coef: NDArray[np.float64], se: NDArray[np.float64],
                stat: NDArray[np.float64], p: NDArray[np.float64], *, stat_name: str) -> pd.DataFrame:
    return pd.DataFrame({"coef": coef, "se": se, stat_name: stat, "p": p}, index=pd.Index(names, name="term"))


def _ols(y: NDArray[np.float64], X: NDArray[np.float64], names: list[str]) -> dict[str, Any]:
    """OLS by QR: coefficients, classical SE, t, p, R2, log-likelihood."""
    n, k = X.shape
    if n - k < 1:
        raise DataError(f"{n} units for {k} coefficients: beta convergence needs more units than coefficients")
    rank = np.linalg.matrix_rank(X)
    if rank < k:
        raise DataError(f"the regressors ({', '.join(names)}) are collinear (rank {rank} < {k}): drop constant or "
                        "duplicated controls")
    Q, R = np.linalg.qr(X)
    coef = linalg.solve_triangular(R, Q.T @ y)
    resid = y - X @ coef
    ssr = float(resid @ resid)
    df = n - k
    Rinv = linalg.solve_triangular(R, np.eye(k))
    cov = ssr / df * (Rinv @ Rinv.T)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef / se
    p = 2 * stats.t.sf(np.abs(t), df)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - ssr / sst if sst > 0 else float("nan")
    logll = -n / 2 * (np.log(2 * np.pi) + np.log(ssr / n) + 1) if ssr > 0 else float("inf")
    return {"table": _coef_table(names, coef, se, t, p, stat_name="t"), "resid": resid, "r2": float(r2),
            "adj_r2": float(1 - (1 - r2) * (n - 1) / df), "sigma2": ssr / df, "logll": float(logll),
            "aic": float(-2 * logll + 2 * k), "df": df}


@dataclass(frozen=True)
class SpatialFit:
    """A spatial lag (``rho``) or spatial error (``lambda``) beta-convergence model (spreg ML).

    ``b`` is the coefficient of ln y_i0; ``theta`` and ``half_life`` are computed from it
    as in OLS (in the lag model b is the direct coefficient: with row-standardised
    weights the long-run total effect is b / (1 - rho)).
    """

    model: str
    method: str
    coefficients: pd.DataFrame
    b: float
    spatial: float
    spatial_name: str
    pseudo_r2: float
    logll: float
    aic: float
    theta: float
    half_life: float
    n: int


def lm_decision(lm: pd.DataFrame, *, alpha: float = 0.05) -> tuple[str, str]:
    """Anselin's (2005, GeoDa workbook, pp. 198-200) choice between OLS, lag and error.

    1. Neither LM-lag nor LM-error significant: keep OLS.
    2. Exactly one significant: that model.
    3. Both significant: compare the robust forms; if exactly one is significant, that
       model; if both are, the one with the larger robust statistic (and a SARAR model
       may be worth a look); if neither, the one with the larger plain LM statistic.

    ``lm`` has rows lm_lag, lm_error, rlm_lag, rlm_error and columns stat, p.
    Returns (choice in {"ols", "lag", "error"}, reason).

    Examples
    --------
    >>> import pandas as pd
    >>> lm = pd.DataFrame({"stat": [9.0, 4.0, 6.0, 1.0], "p": [0.003, 0.045, 0.014, 0.32]},
    ...                   index=["lm_lag", "lm_error", "rlm_lag", "rlm_error"])
    >>> lm_decision(lm)[0]
    'lag'
    """
    sig = {k: bool(lm.loc[k, "p"] < alpha) for k in ("lm_lag", "lm_error", "rlm_lag", "rlm_error")}
    if not (sig["lm_lag"] or sig["lm_error"]):
        return "ols", f"neither LM-lag nor LM-error is significant at {alpha:g}"
    if sig["lm_lag"] != sig["lm_error"]:
        m = "lag" if sig["lm_lag"] else "error"
        return m, f"only LM-{m} is significant at {alpha:g}"
    if sig["rlm_lag"] != sig["rlm_error"]:
        m = "lag" if sig["rlm_lag"] else "error"
        return m, f"LM-lag and LM-error are both significant; only robust LM-{m} is"
    key = "rlm" if sig["rlm_lag"] else "lm"
    m = "lag" if lm.loc[f"{key}_lag", "stat"] >= lm.loc[f"{key}_error", "stat"] else "error"
    if key == "rlm":
        return m, "both robust LM tests are significant: the larger robust statistic chooses (consider a SARAR model)"
    return m, "both LM tests are significant, neither robust one is: the larger LM statistic chooses"


@dataclass(frozen=True)
class BetaResult:
    """Beta convergence: ln(y_iT / y_i0) / T = a + b ln y_i0 [+ controls] (+ spatial models).

    Attributes
    ----------
    variant : str
        "absolute" or "conditional".
    start, end, T : int
        First and last year and the span T = end - start (years).
    n : int
    coefficients : DataFrame
        OLS: index const, ln_y0, controls...; columns coef, se, t, p.
    r2, adj_r2, logll, aic : float
        OLS fit.
    b, se_b, p_b : float
        Coefficient of ln y_i0, its SE and p-value (OLS).
    converges : bool
        b < 0 and p_b < alpha.
    theta, half_life : float
        Speed -ln(1 + bT) / T and half-life ln 2 / theta (NaN unless -1 < bT < 0).
    data : DataFrame
        Per unit: y0, yT, ln_y0, growth (ln(yT / y0) / T), residual (OLS).
    residual_moran : Series or None
        With ``w``: I, E[I] and z, p of the regression-residual test (spreg), pseudo p of
        a seeded permutation test (esda moments, ``autocorrelation.moran``).
    lm : DataFrame or None
        LM-lag, LM-error, robust forms and LM-SARMA (stat, df, p) from spreg OLS.
    lag, error : SpatialFit or None
        Fitted when the residual Moran's I is significant at ``alpha``.
    recommendation : str
        "ols", "lag" or "error" (:func:`lm_decision`); "ols" without ``w``.
    notes : tuple of str
    """

    variant: str
    start: int
    end: int
    T: int
    n: int
    coefficients: pd.DataFrame
    r2: float
    adj_r2: float
    logll: float
    aic: float
    b: float
    se_b: float
    p_b: float
    converges: bool
    theta: float
    half_life: float
    alpha: float
    data: pd.DataFrame = field(repr=False)
    residual_moran: pd.Series | None = field(default=None, repr=False)
    lm: pd.DataFrame | None = field(default=None, repr=False)
    lag: SpatialFit | None = field(default=None, repr=False)
    error: SpatialFit | None = field(default=None, repr=False)
    recommendation: str = "ols"
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per fitted model (ols, lag, error): b, se, p, spatial parameter, speed, fit."""
        rows = {"ols": {"b": self.b, "se": self.se_b, "p": self.p_b, "spatial": np.nan, "theta": self.theta,
                        "half_life": self.half_life, "r2": self.r2, "logll": self.logll, "aic": self.aic}}
        for fit in (self.lag, self.error):
            if fit is not None:
                c = fit.coefficients.loc["ln_y0"]
                rows[fit.model] = {"b": fit.b, "se": c["se"], "p": c["p"], "spatial": fit.spatial,
                                   "theta": fit.theta, "half_life": fit.half_life, "r2": fit.pseudo_r2,
                                   "logll": fit.logll, "aic": fit.aic}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "model"
        return out


def _controls(controls: object, units: pd.Index) -> pd.DataFrame:
    if isinstance(controls, pd.Series):
        controls = controls.to_frame(controls.name if controls.name is not None else "control")
    if not isinstance(controls, pd.DataFrame):
        raise DataError(f"controls must be a DataFrame with one row per unit; got {type(controls).__name__}")
    c = controls.copy()
    c.index = pd.Index([str(u) for u in c.index])
    if c.index.duplicated().any():
        raise DataError(f"controls have duplicate unit ids: {preview(c.index[c.index.duplicated()])}")
    missing = units.difference(c.index, sort=False)
    if len(missing):
        raise DataError(f"controls have no row for {len(missing)} unit(s): {preview(missing)}")
    c = c.reindex(units)
    num = c.apply(lambda s: pd.to_numeric(s, errors="coerce")).astype(float)
    bad = ~np.isfinite(num.to_numpy())
    if bad.any():
        r, j = np.nonzero(bad)
        cells = [f"({num.index[i]}, {num.columns[k]})" for i, k in zip(r, j, strict=True)]
        raise DataError(f"controls have {len(cells)} missing or non-numeric cell(s) (unit, column): {preview(cells)}")
    clash = [str(n) for n in num.columns if str(n) in ("const", "ln_y0")]
    if clash:
        raise DataError(f"controls must not be named {preview(clash)}: those names are the intercept and ln y0")
    num.columns = [str(n) for n in num.columns]
    return num


def _spreg():
    try:
        import spreg
    except ImportError as exc:  # pragma: no cover - spreg is installed with the panel tools
        raise MissingDependencyError("spatial beta convergence needs spreg: pip install spreg") from exc
    return spreg


def _align_w(w: object, units: pd.Index):
    from ..autocorrelation import _as_weights

    ww = _as_weights(w)
    ids = pd.Index([str(i) for i in ww.w.id_order])
    extra, missing = ids.difference(units, sort=False), units.difference(ids, sort=False)
    if len(extra) or len(missing):
        raise DataError(f"the weights' ids do not match the units of values: {len(missing)} unit(s) not in w "
                        f"({preview(missing)}), {len(extra)} id(s) of w not in values ({preview(extra)})")
    return ww, ids


def _spatial_fit(kind: str, y: NDArray[np.float64], X: NDArray[np.float64], names: list[str], W: Any,
                 T: int) -> SpatialFit:
    spreg = _spreg()
    n = len(y)
    method = "full" if n <= FULL_METHOD_MAX_N else "LU"
    cls = spreg.ML_Lag if kind == "lag" else spreg.ML_Error
    with warnings.catch_warnings():
        # scipy's bounded minimize_scalar warns that it ignores spreg's xtol; harmless
        warnings.filterwarnings("ignore", message=".*does not support relative tolerance.*")
        with contextlib.redirect_stdout(io.StringIO()):  # spreg prints the model's name to stdout
            m = cls(y[:, None], X[:, 1:], w=W, method=method, name_x=names[1:])
    sp_name = "rho" if kind == "lag" else "lambda"
    coef = np.asarray(m.betas, dtype=float).ravel()
    se = np.asarray(m.std_err, dtype=float).ravel()
    z = np.array([zs[0] for zs in m.z_stat], dtype=float)
    p = np.array([zs[1] for zs in m.z_stat], dtype=float)
    table = _coef_table(names + [sp_name], coef, se, z, p, stat_name="z")
    b = float(table.loc["ln_y0", "coef"])
    theta, half = _speed(b, T)
    spatial = float(m.rho if kind == "lag" else m.lam)
    return SpatialFit(kind, method, table, b, spatial, sp_name, float(m.pr2), float(m.logll), float(m.aic),
                      theta, half, n)


def beta_convergence(values: pd.DataFrame | pd.Series, *, controls: pd.DataFrame | None = None,
                     w: object = None, alpha: float = 0.05, permutations: int = 999,
                     seed: int | None = None) -> BetaResult:
    """Absolute or conditional beta convergence, with spatial diagnostics and models.

    Parameters
    ----------
    values : DataFrame (units x years) or Series indexed by (unit, year)
        The first and last year are used; their values must be > 0 (logs).
    controls : DataFrame, optional
        One row per unit (index unit ids), numeric columns: conditional convergence.
    w : libpysal W, libpysal Graph or urbanrural ``Weights``, optional
        Ids must be the units of ``values`` (any order).  Adds the residual Moran's I, the
        LM tests, and when Moran's I is significant at ``alpha`` the ML spatial lag and
        error models.
    alpha : float
        Significance level for ``converges``, the residual Moran test and the LM rule.
    permutations, seed : int
        Permutation test of the residuals' Moran's I (reported; the decision uses the
        analytical regression-residual test).

    Returns
    -------
    BetaResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> y0 = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    >>> values = pd.DataFrame({2000: y0, 2010: y0 ** 0.5 * 3}, index=list("abcde"))
    >>> r = beta_convergence(values)
    >>> round(r.b, 6), round(r.theta, 6), round(r.half_life, 4)
    (-0.05, 0.069315, 10.0)
    """
    panel = _as_panel(values)
    first, last = panel.columns[0], panel.columns[-1]
    ends = panel[[first, last]]
    bad = ends.to_numpy() <= 0
    if bad.any():
        raise DataError(f"beta convergence takes logs: values must be > 0 in {first} and {last}; not so at "
                        f"(unit, year) {_bad_cells(ends, bad)}")
    T = int(last - first)
    y0, yT = panel[first].to_numpy(), panel[last].to_numpy()
    growth = np.log(yT / y0) / T
    names = ["const", "ln_y0"]
    cols = [np.ones(len(y0)), np.log(y0)]
    variant = "absolute"
    if controls is not None:
        c = _controls(controls, panel.index)
        names += list(c.columns)
        cols += [c[k].to_numpy() for k in c.columns]
        variant = "conditional"
    X = np.column_stack(cols)
    units = panel.index
    notes: list[str] = [f"growth = ln(y_{last} / y_{first}) / {T}; OLS on ln y_{first}"
                        + (f" and controls {', '.join(names[2:])}" if variant == "conditional" else "")]
    moran_s = lm = lag = error = None
    recommendation, reason = "ols", "no spatial weights given"
    if w is not None:
        ww, ids = _align_w(w, units)
        order = units.get_indexer(ids)
        X, growth, y0, yT, units = X[order], growth[order], y0[order], yT[order], ids
    ols = _ols(growth, X, names)
    tab = ols["table"]
    b, se_b, p_b = (float(tab.loc["ln_y0", k]) for k in ("coef", "se", "p"))
    theta, half = _speed(b, T)
    if b >= 0:
        notes.append("b >= 0: no beta convergence (speed and half-life undefined)")
    elif 1 + b * T <= 0:
        notes.append(f"1 + bT = {1 + b * T:.4g} <= 0: overshooting; speed and half-life undefined")
    if w is not None:
        moran_s, lm, recommendation, reason, lag, error = _spatial(growth, X, names, ww, ids, ols["resid"], T,
                                                                   alpha=alpha, permutations=permutations,
                                                                   seed=seed, notes=notes)
    notes.append(f"recommended model: {recommendation} ({reason})")
    data = pd.DataFrame({"y0": y0, "yT": yT, "ln_y0": X[:, 1], "growth": growth, "residual": ols["resid"]},
                        index=pd.Index(units, name="unit"))
    return BetaResult(variant, int(first), int(last), T, len(growth), tab, ols["r2"], ols["adj_r2"], ols["logll"],
                      ols["aic"], b, se_b, p_b, bool(b < 0 and p_b < alpha), theta, half, alpha, data, moran_s, lm,
                      lag, error, recommendation, tuple(notes))


def _spatial(growth, X, names, ww, ids, resid, T, *, alpha, permutations, seed, notes):
    from ..autocorrelation import moran

    spreg = _spreg()
    W = ww.w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        o = spreg.OLS(growth[:, None], X[:, 1:], w=W, spat_diag=True, moran=True, name_x=names[1:])
    mr = moran(pd.Series(resid, index=ids), ww, permutations=permutations, seed=seed)
    i_res, z_res, p_res = (float(v) for v in o.moran_res)
    moran_s = pd.Series({"I": mr.i, "E[I] (residuals)": _residual_ei(X, W), "z (residuals)": z_res,
                         "p (residuals)": p_res, "pseudo p": mr.p_sim, "permutations": permutations})
    lm = pd.DataFrame({"stat": [o.lm_lag[0], o.lm_error[0], o.rlm_lag[0], o.rlm_error[0], o.lm_sarma[0]],
                       "df": [1, 1, 1, 1, 2],
                       "p": [o.lm_lag[1], o.lm_error[1], o.rlm_lag[1], o.rlm_error[1], o.lm_sarma[1]]},
                      index=["lm_lag", "lm_error", "rlm_lag", "rlm_error", "lm_sarma"]).astype({"df": int})
    if not p_res < alpha:
        choice, why = lm_decision(lm, alpha=alpha)
        if choice != "ols":
            notes.append(f"LM tests alone would point to the {choice} model ({why}), but the residuals' "
                         f"Moran's I is not significant (p = {p_res:.3g}): spatial models not fitted")
        return moran_s, lm, "ols", f"residual Moran's I not significant at {alpha:g} (p = {p_res:.3g})", None, None
    lag = _spatial_fit("lag", growth, X, names, W, T)
    error = _spatial_fit("error", growth, X, names, W, T)
    choice, why = lm_decision(lm, alpha=alpha)
    notes.append(f"residual Moran's I = {mr.i:.4f} (p = {p_res:.3g}): spatial lag and error models fitted by ML "
                 f"(spreg, method {lag.method!r})")
    return moran_s, lm, choice, why, lag, error


def _residual_ei(X: NDArray[np.float64], W: Any) -> float:
    """E[I] of OLS residuals (Cliff & Ord): n tr(M W) / (S0 (n - k)), M = I - X (X'X)^-1 X'."""
    n, k = X.shape
    Ws = W.sparse.tocsr()
    tr_mw = Ws.diagonal().sum() - np.trace(np.linalg.solve(X.T @ X, X.T @ (Ws @ X)))
    return float(n / W.s0 * tr_mw / (n - k))


# --------------------------------------------------------------------------- both
@dataclass(frozen=True)
class ConvergenceResult:
    """Sigma and beta convergence of one panel.

    Attributes
    ----------
    sigma : SigmaTable
        Per-year dispersion (``.trend``: CV slope and "sigma convergence"/"divergence").
    beta : BetaResult
    notes : tuple of str
    variant : str
        What was computed, in one sentence.
    """

    sigma: SigmaTable = field(repr=False)
    beta: BetaResult = field(repr=False)
    notes: tuple[str, ...]
    variant: str


def convergence(values: pd.DataFrame | pd.Series, *, w: object = None, groups: object = None,
                controls: pd.DataFrame | None = None, population: object = None, alpha: float = 0.05,
                permutations: int = 999, seed: int | None = None) -> ConvergenceResult:
    """Sigma convergence (:func:`sigma_convergence`) and beta convergence (:func:`beta_convergence`).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2000: [1.0, 2.0, 4.0], 2005: [2.0, 3.0, 4.5], 2010: [3.0, 3.5, 5.0]},
    ...                  index=["a", "b", "c"])
    >>> r = convergence(v)
    >>> r.sigma.trend.direction, r.beta.variant, round(r.beta.b, 4)
    ('sigma convergence', 'absolute', -0.0632)
    """
    sigma = sigma_convergence(values, groups=groups, population=population)
    beta = beta_convergence(values, controls=controls, w=w, alpha=alpha, permutations=permutations, seed=seed)
    tr = sigma.trend
    weighted = "population-weighted " if population is not None else ""
    parts = [f"sigma: {weighted}CV (ddof 0), Gini, Theil T per year {sigma.index[0]}-{sigma.index[-1]}"
             + (" with Theil and Dagum decompositions by group" if groups is not None else "")
             + f"; beta: {beta.variant}, OLS, T = {beta.T} years"]
    if w is not None:
        parts.append(f"spatial diagnostics; recommended model {beta.recommendation}")
    notes = [f"CV {tr.first:.4g} -> {tr.last:.4g}, slope {tr.slope:.4g} per year (p = {tr.p:.3g}): {tr.direction}",
             f"b = {beta.b:.4g} (p = {beta.p_b:.3g}): " + ("beta convergence" if beta.converges else
                                                           "no significant beta convergence")
             + (f", speed {beta.theta:.4g} per year, half-life {beta.half_life:.3g} years"
                if np.isfinite(beta.theta) else "")]
    if groups is not None and population is not None:
        notes.append("Dagum's Gini is unweighted; CV, Gini and Theil are population-weighted")
    return ConvergenceResult(sigma, beta, tuple(notes) + beta.notes, "; ".join(parts))
