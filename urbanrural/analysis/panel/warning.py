"""Early warning: rules over a panel of results, the indicators pulling a unit down, and
indicative forecasts (GM(1,1) grey model, linear trend).

Rules (:class:`WarningRules`), each comparing a unit's latest year with a base year, the
previous year (``compare="previous"``, default) or the first year (``compare="first"``):

- ``index_drop``: the index fell by more than 0.05 (absolute), or by more than
  ``index_drop_relative`` of the base value when that is set (either fires the rule);
- ``class_worse``: the CCD class fell (numbers: higher is better; text classes need
  ``class_order``, worst first);
- ``cold_spot``: the unit is in a Gi* cold spot in the latest year (a label containing
  "cold" or "冷点", e.g. "cold 95%") and was not in the base year;
- ``ratio_widened``: an urban/rural ratio column rose by more than 0.1 (absolute).

A unit appears once per rule fired. A unit's rows stay together; units are sorted by
severity (the number of rules the unit fired), then by the sum of ``excess`` (how many times
its threshold each value went past; class steps for class_worse, 1 for cold_spot); within a
unit the rules come in the order class_worse, cold_spot, index_drop, ratio_widened.

With ``indicators`` and ``directions`` each flagged unit also gets ``obstacles``, the
indicators with the largest obstacle degree (``integration.obstacle_degree``, pooled
min-max) in the latest year, and ``pulled_down_by``, the indicators whose contribution
``w_j Z_ij`` fell most between the base and the latest year.

GM(1,1) (METHODS.md): accumulate x1 = cumsum(x0); fit x0(k) + a z1(k) = b (k = 2..n,
z1(k) = (x1(k) + x1(k-1)) / 2) by least squares; x1^(k+1) = (x0(1) - b/a) e^(-ak) + b/a and
x0^ by differencing. Checked by the posterior-error ratio C = S2/S1 and the small-error
probability P = P(|e(k) - mean e| < 0.6745 S1) (residuals e(k), k = 1..n, population
standard deviations): good C <= 0.35 and P >= 0.95; qualified <= 0.5, >= 0.8; barely
qualified <= 0.65, >= 0.7; else unqualified. Forecasts are indicative only: a fitted curve,
never a statistic with a p-value.

Examples
--------
>>> import pandas as pd
>>> g = gm11(pd.Series([2.874, 3.278, 3.337, 3.390, 3.679], index=range(2016, 2021)), horizon=2)
>>> round(g.a, 4), round(g.b, 4)
(-0.0372, 3.0654)
>>> g.forecast.round(3).to_dict()
{2021: 3.751, 2022: 3.893}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ...geo.errors import DataError
from ...geo.registry import check_choice
from ...geo.validate import preview
from .. import integration as it
from .index import PanelIndex, check_panel

__all__ = ["early_warning", "WarningRules", "gm11", "GreyForecast", "linear_trend", "TrendForecast"]

COMPARE = ("previous", "first")
RULE_ORDER = ("class_worse", "cold_spot", "index_drop", "ratio_widened")
COLUMNS = ["unit", "rule", "reasons", "base_year", "latest_year", "base", "latest", "value", "threshold",
           "excess", "severity"]
COLD = ("cold", "冷点")
GM_GRADES = ((0.35, 0.95, "good"), (0.5, 0.8, "qualified"), (0.65, 0.7, "barely qualified"))
MIN_POINTS = 4


@dataclass(frozen=True)
class WarningRules:
    """Thresholds of the early-warning rules (None or False switches a rule off).

    Attributes
    ----------
    index_drop : float or None, default 0.05
        Fire when the index fell by more than this (absolute) from the base year.
    index_drop_relative : float or None, default None
        Also fire when it fell by more than this share of the base value (e.g. 0.1).
    compare : {"previous", "first"}, default "previous"
        Base year: the year before the latest, or the first year.
    class_worse : bool, default True
        Fire when the class is lower than in the base year.
    class_order : sequence, optional
        Text classes from worst to best (numbers need none: higher is better).
    cold_spot : bool, default True
        Fire when the unit moved into a cold spot.
    ratio_widened : float or None, default 0.1
        Fire when the ratio column rose by more than this (absolute).
    top : int, default 3
        How many indicators ``obstacles`` and ``pulled_down_by`` name.
    """

    index_drop: float | None = 0.05
    index_drop_relative: float | None = None
    compare: str = "previous"
    class_worse: bool = True
    class_order: tuple | None = None
    cold_spot: bool = True
    ratio_widened: float | None = 0.1
    top: int = 3

    def __post_init__(self) -> None:
        check_choice(self.compare, COMPARE, what="compare")
        for name in ("index_drop", "index_drop_relative", "ratio_widened"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and v >= 0):
                raise DataError(f"WarningRules.{name} must be a number >= 0 or None; got {v!r}")
        if not (isinstance(self.top, int) and self.top >= 1):
            raise DataError(f"WarningRules.top must be an integer >= 1; got {self.top!r}")

    def describe(self) -> str:
        """One line listing the rules in force."""
        return "; ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))


def _is_cold(label: object) -> bool:
    text = str(label).lower()
    return not pd.isna(label) and any(c in text for c in COLD)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _rank(values: pd.Series, order: tuple | None, column: str) -> pd.Series:
    if order is None:
        if not pd.api.types.is_numeric_dtype(values):
            raise DataError(f"class column {column!r} holds text ({preview(values.unique(), 3)}); pass "
                            "WarningRules(class_order=(worst, ..., best))")
        return values.astype(float)
    unknown = sorted(set(values.astype(str)) - {str(c) for c in order})
    if unknown:
        raise DataError(f"class column {column!r} has classes {unknown} missing from class_order {list(order)}")
    pos = {str(c): i for i, c in enumerate(order)}
    return values.astype(str).map(pos).astype(float)


def _flags(frame: pd.DataFrame, rules: WarningRules, cols: dict[str, str | None]) -> list[dict]:
    out: list[dict] = []
    for unit, g in frame.groupby(level=0, sort=False):
        g = g.droplevel(0)
        y1 = g.index[-1]
        y0 = g.index[-2] if rules.compare == "previous" else g.index[0]
        if cols["index"] is not None and (rules.index_drop is not None or rules.index_drop_relative is not None):
            c = cols["index"]
            b, l_ = float(g.at[y0, c]), float(g.at[y1, c])
            fall = b - l_
            why, excess = [], []
            if rules.index_drop is not None and fall > rules.index_drop:
                why.append(f"more than {_fmt(rules.index_drop)}")
                excess.append(fall / rules.index_drop if rules.index_drop > 0 else np.inf)
            if rules.index_drop_relative is not None and b > 0 and fall / b > rules.index_drop_relative:
                why.append(f"{fall / b:.1%} of its {y0} value, more than {rules.index_drop_relative:.1%}")
                excess.append(fall / b / rules.index_drop_relative if rules.index_drop_relative > 0 else np.inf)
            if why:
                out.append(dict(unit=unit, rule="index_drop", base_year=y0, latest_year=y1, base=b, latest=l_,
                                value=l_ - b, threshold=-(rules.index_drop if rules.index_drop is not None
                                                          else rules.index_drop_relative * b),
                                excess=max(excess),
                                reasons=f"{c} fell by {_fmt(fall)} from {_fmt(b)} ({y0}) to {_fmt(l_)} ({y1}): "
                                        + " and ".join(why)))
        if cols["ccd_class"] is not None and rules.class_worse:
            c = cols["ccd_class"]
            rank = g[f"__rank_{c}"]
            if rank[y1] < rank[y0]:
                b, l_ = g.at[y0, c], g.at[y1, c]
                out.append(dict(unit=unit, rule="class_worse", base_year=y0, latest_year=y1, base=b, latest=l_,
                                value=rank[y1] - rank[y0], threshold=0.0, excess=rank[y0] - rank[y1],
                                reasons=f"{c} worsened from {b} ({y0}) to {l_} ({y1})"))
        if cols["hotspot"] is not None and rules.cold_spot:
            c = cols["hotspot"]
            b, l_ = g.at[y0, c], g.at[y1, c]
            if _is_cold(l_) and not _is_cold(b):
                out.append(dict(unit=unit, rule="cold_spot", base_year=y0, latest_year=y1, base=b, latest=l_,
                                value=np.nan, threshold=np.nan, excess=1.0,
                                reasons=f"moved into a cold spot: {c} was {b!s} in {y0}, {l_!s} in {y1}"))
        if cols["ratio"] is not None and rules.ratio_widened is not None:
            c = cols["ratio"]
            b, l_ = float(g.at[y0, c]), float(g.at[y1, c])
            if l_ - b > rules.ratio_widened:
                out.append(dict(unit=unit, rule="ratio_widened", base_year=y0, latest_year=y1, base=b, latest=l_,
                                value=l_ - b, threshold=rules.ratio_widened,
                                excess=(l_ - b) / rules.ratio_widened if rules.ratio_widened > 0 else np.inf,
                                reasons=f"{c} widened by {_fmt(l_ - b)} from {_fmt(b)} ({y0}) to {_fmt(l_)} ({y1}), "
                                        f"more than {_fmt(rules.ratio_widened)}"))
    return out


def _indicator_frame(panel: pd.DataFrame, indicators: pd.DataFrame | Sequence[str],
                     directions: Mapping[str, str] | None) -> pd.DataFrame:
    if directions is None or not isinstance(directions, Mapping) or not directions:
        raise DataError("pulled_down_by needs directions={indicator: '+' or '-'} with indicators")
    if isinstance(indicators, pd.DataFrame):
        frame, _ = check_panel(indicators, columns=list(directions), what="indicators")
    else:
        names = list(indicators)
        missing = [c for c in directions if c not in names]
        if missing:
            raise DataError(f"directions name {missing}, which are not in indicators {names}")
        frame, _ = check_panel(panel, columns=list(directions), what="panel indicators")
    return frame


def _pulled_down(flags: pd.DataFrame, ind: pd.DataFrame, directions: Mapping[str, str],
                 weights: pd.Series | None, top: int) -> pd.DataFrame:
    if weights is not None:
        if isinstance(weights, pd.DataFrame):
            raise DataError("weights must be one Series of indicator weights (pooled), not per-year weights; "
                            "use entropy_index(..., pooled=True).weights")
        weights = pd.Series(weights, dtype=float)
        absent = [c for c in directions if c not in weights.index]
        if absent:
            raise DataError(f"weights have no value for {absent}; weights given for {list(weights.index)}")
        weights = weights.reindex(list(directions))
    else:
        weights = it.entropy_weights(ind, directions=directions).weights  # pooled over all unit-years
    z = it.normalize(ind, directions=directions)
    obst = it.obstacle_degree(ind, directions=directions, weights=weights)
    contrib = z * weights
    obst_txt, pulled_txt = [], []
    for unit, y0, y1 in flags[["unit", "base_year", "latest_year"]].itertuples(index=False):
        for y in (y0, y1):
            if (unit, y) not in contrib.index:
                raise DataError(f"indicators have no row for unit {unit!r} in {y}; pass indicators for the same "
                                "units and years as the panel")
        o = obst.loc[(unit, y1)].dropna()
        o = o[o > 0].sort_values(ascending=False).head(top)
        obst_txt.append(", ".join(f"{k} ({v:.2f})" for k, v in o.items()))
        fall = (contrib.loc[(unit, y0)] - contrib.loc[(unit, y1)])
        fall = fall[fall > 0].sort_values(ascending=False).head(top)
        pulled_txt.append(", ".join(f"{k} (-{v:.3f})" for k, v in fall.items()))
    return pd.DataFrame({"obstacles": obst_txt, "pulled_down_by": pulled_txt}, index=flags.index)


def early_warning(panel: pd.DataFrame | PanelIndex, *, rules: WarningRules | None = None,
                  index: str | None = "integration_index", ccd_class: str | None = "ccd_class",
                  hotspot: str | None = None, ratio: str | None = None,
                  indicators: pd.DataFrame | Sequence[str] | None = None,
                  directions: Mapping[str, str] | None = None, weights: pd.Series | None = None,
                  missing: str = "raise") -> pd.DataFrame:
    """Flag units whose latest year is worse than the base year, with the reasons.

    Parameters
    ----------
    panel : DataFrame or PanelIndex
        Long ``(unit, year)`` frame of results (``PanelIndex.scores`` and any Gi* class or
        ratio columns joined to it).
    rules : WarningRules, optional
        Thresholds (documented defaults).
    index, ccd_class, hotspot, ratio : str or None
        The columns the rules read; None skips that rule. A named column that is absent is
        an error (pass None to skip it).
    indicators : DataFrame or list of str, optional
        Raw indicators on ``(unit, year)`` (or names of columns of ``panel``), with
        ``directions``: adds ``obstacles`` and ``pulled_down_by`` to each flagged row.
    weights : Series, optional
        Indicator weights (default: pooled entropy weights of ``indicators``).
    missing : {"raise", "drop"}
        Units missing a year or a value in the columns used.

    Returns
    -------
    DataFrame
        ``unit``, ``rule``, ``reasons``, ``base_year``, ``latest_year``, ``base``,
        ``latest``, ``value`` (latest - base; class steps for class_worse), ``threshold``,
        ``excess`` (how many times the threshold the value went past), ``severity``
        (rules the unit fired), then ``obstacles`` and ``pulled_down_by`` when asked;
        ``attrs["rules"]`` and ``attrs["notes"]`` describe the run.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["a", "b"], [2019, 2020]], names=["unit", "year"])
    >>> res = pd.DataFrame({"integration_index": [0.50, 0.40, 0.30, 0.32],
    ...                     "ccd_class": [6, 5, 4, 4]}, index=idx)
    >>> early_warning(res)[["unit", "rule", "reasons"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'unit': 'a', 'rule': 'class_worse', 'reasons': 'ccd_class worsened from 6 (2019) to 5 (2020)'},
     {'unit': 'a', 'rule': 'index_drop',
      'reasons': 'integration_index fell by 0.1 from 0.5 (2019) to 0.4 (2020): more than 0.05'}]
    """
    rules = WarningRules() if rules is None else rules
    if not isinstance(rules, WarningRules):
        raise DataError(f"rules must be a WarningRules; got {type(rules).__name__}")
    if isinstance(panel, PanelIndex):
        panel = panel.scores
    cols = {"index": index, "ccd_class": ccd_class, "hotspot": hotspot, "ratio": ratio}
    if isinstance(panel, pd.DataFrame):
        absent = {k: v for k, v in cols.items() if v is not None and v not in panel.columns}
        if absent:
            raise DataError(f"panel has no column(s) {absent}; available: {list(panel.columns)[:30]}; name the "
                            f"right column or pass {', '.join(f'{k}=None' for k in absent)} to skip that rule")
    used = [c for c in cols.values() if c is not None]
    if not used:
        raise DataError("no rule can run: index, ccd_class, hotspot and ratio are all None")
    numeric = [c for c in (index, ratio) if c is not None]  # classes: checked by _rank
    frame, notes = check_panel(panel, columns=list(dict.fromkeys(used)), numeric=numeric, missing=missing)
    if ccd_class is not None:
        frame[f"__rank_{ccd_class}"] = _rank(frame[ccd_class], rules.class_order, ccd_class)
    flags = pd.DataFrame(_flags(frame, rules, cols), columns=COLUMNS[:-1])
    flags["severity"] = flags.groupby("unit")["rule"].transform("size").astype(int) if len(flags) else []
    flags["_order"] = flags["rule"].map({r: i for i, r in enumerate(RULE_ORDER)})
    flags["_excess"] = flags.groupby("unit")["excess"].transform("sum") if len(flags) else []
    flags = flags.sort_values(["severity", "_excess", "unit", "_order"], ascending=[False, False, True, True],
                              kind="mergesort").reset_index(drop=True)[COLUMNS]
    if indicators is not None:
        ind = _indicator_frame(panel, indicators, directions)
        extra = _pulled_down(flags, ind, directions, weights, rules.top) if len(flags) else \
            pd.DataFrame({"obstacles": [], "pulled_down_by": []})
        flags = pd.concat([flags, extra], axis=1)
    elif directions is not None or weights is not None:
        raise DataError("directions/weights are used with indicators: pass indicators=... as well")
    flags.attrs["rules"] = rules.describe()
    flags.attrs["notes"] = notes
    return flags


# ---------------------------------------------------------------------------------------------
# indicative forecasts


def _series(series: Sequence[float] | pd.Series, what: str, *, positive: bool) -> pd.Series:
    s = series.copy() if isinstance(series, pd.Series) else pd.Series(list(series))
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise DataError(f"{what} needs numbers; got {preview(s.astype(str).unique(), 3)}")
    if s.isna().any():
        raise DataError(f"{what}: the series has missing values at {preview(s.index[s.isna()])}; fill or drop them")
    if len(s) < MIN_POINTS:
        raise DataError(f"{what} needs at least {MIN_POINTS} points; got {len(s)}: too short to fit and check "
                        "a trend")
    if positive and (s <= 0).any():
        raise DataError(f"{what} needs values > 0 (GM(1,1) models a positive, accumulating series); got "
                        f"{preview(s[s <= 0].round(6), 3)}; shift the series by a constant, or use linear_trend")
    return s.astype(float)


def _future_index(idx: pd.Index, horizon: int) -> pd.Index:
    if pd.api.types.is_integer_dtype(idx) and len(idx) > 1:
        steps = np.diff(idx.to_numpy())
        if (steps == steps[0]).all() and steps[0] > 0:
            return pd.Index(idx[-1] + steps[0] * np.arange(1, horizon + 1), name=idx.name)
    return pd.RangeIndex(len(idx), len(idx) + horizon, name=idx.name)


def _check_horizon(horizon: int) -> None:
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise DataError(f"horizon must be an integer >= 1; got {horizon!r}")


@dataclass(frozen=True)
class GreyForecast:
    """GM(1,1) fit and forecast (indicative only).

    ``a`` is the development coefficient, ``b`` the grey input; ``posterior_ratio`` is C,
    ``small_error_probability`` is P; ``ratio_check`` says whether every level ratio
    x0(k-1)/x0(k) lies in (e^(-2/(n+1)), e^(2/(n+1))), the usual admissibility test.
    """

    a: float
    b: float
    fitted: pd.Series
    forecast: pd.Series
    residuals: pd.Series
    relative_error: float
    posterior_ratio: float
    small_error_probability: float
    grade: str
    ratio_check: bool
    note: str

    @property
    def C(self) -> float:  # noqa: N802 - the grey-model literature's name
        return self.posterior_ratio

    @property
    def P(self) -> float:  # noqa: N802
        return self.small_error_probability


def gm11(series: Sequence[float] | pd.Series, *, horizon: int = 3) -> GreyForecast:
    """GM(1,1) grey forecast of a short positive series (see the module notes).

    Parameters
    ----------
    series : Series or sequence of float
        At least 4 values > 0 at equal steps (a Series indexed by year continues the years).
    horizon : int, default 3
        Steps to forecast.

    Examples
    --------
    >>> g = gm11([2.874, 3.278, 3.337, 3.390, 3.679])
    >>> round(g.C, 3), g.P, g.grade
    (0.212, 1.0, 'good')
    >>> g.note.startswith("indicative only")
    True
    """
    _check_horizon(horizon)
    s = _series(series, "gm11", positive=True)
    x0 = s.to_numpy()
    n = len(x0)
    x1 = np.cumsum(x0)
    z1 = 0.5 * (x1[1:] + x1[:-1])
    design = np.column_stack([-z1, np.ones(n - 1)])
    (a, b), *_ = np.linalg.lstsq(design, x0[1:], rcond=None)
    if abs(a) < 1e-12:
        raise DataError("gm11: the development coefficient a is 0 (a flat accumulated series); use linear_trend")
    k = np.arange(n + horizon)
    x1_hat = (x0[0] - b / a) * np.exp(-a * k) + b / a
    x0_hat = np.concatenate([[x0[0]], np.diff(x1_hat)])
    fitted = pd.Series(x0_hat[:n], index=s.index, name="fitted")
    forecast = pd.Series(x0_hat[n:], index=_future_index(s.index, horizon), name="forecast")
    e = x0 - x0_hat[:n]
    s1, s2 = x0.std(), e.std()
    c = s2 / s1 if s1 > 0 else np.nan
    p = float(np.mean(np.abs(e - e.mean()) < 0.6745 * s1))
    grade = next((g for cmax, pmin, g in GM_GRADES if c <= cmax and p >= pmin), "unqualified")
    lam = x0[:-1] / x0[1:]
    lo, hi = np.exp(-2 / (n + 1)), np.exp(2 / (n + 1))
    ok = bool(((lam > lo) & (lam < hi)).all())
    note = ("indicative only: GM(1,1) extrapolates a fitted exponential curve; it has no sampling model, "
            "no p-value and no interval")
    if not ok:
        note += f"; level ratios outside ({lo:.4f}, {hi:.4f}): the series is not suited to GM(1,1)"
    if grade == "unqualified":
        note += "; the posterior-error check fails (unqualified)"
    return GreyForecast(a=float(a), b=float(b), fitted=fitted, forecast=forecast,
                        residuals=pd.Series(e, index=s.index, name="residual"),
                        relative_error=float(np.mean(np.abs(e[1:]) / x0[1:])), posterior_ratio=float(c),
                        small_error_probability=p, grade=grade, ratio_check=ok, note=note)


@dataclass(frozen=True)
class TrendForecast:
    """Least-squares straight line and its extrapolation (indicative only)."""

    intercept: float
    slope: float
    r2: float
    fitted: pd.Series
    forecast: pd.Series
    note: str


def linear_trend(series: Sequence[float] | pd.Series, *, horizon: int = 3) -> TrendForecast:
    """Straight-line trend by OLS on the index (years) or on 0..n-1, extrapolated.

    Examples
    --------
    >>> import pandas as pd
    >>> t = linear_trend(pd.Series([1.0, 2.1, 2.9, 4.0], index=[2017, 2018, 2019, 2020]), horizon=2)
    >>> round(t.slope, 2), t.forecast.round(2).to_dict()
    (0.98, {2021: 4.95, 2022: 5.93})
    """
    _check_horizon(horizon)
    s = _series(series, "linear_trend", positive=False)
    numeric_index = pd.api.types.is_numeric_dtype(s.index) and not isinstance(s.index, pd.RangeIndex)
    t = s.index.to_numpy(dtype=float) if numeric_index else np.arange(len(s), dtype=float)
    slope, intercept = np.polyfit(t, s.to_numpy(), 1)
    fit = intercept + slope * t
    ss_tot = ((s - s.mean()) ** 2).sum()
    r2 = float(1 - ((s.to_numpy() - fit) ** 2).sum() / ss_tot) if ss_tot > 0 else 1.0
    future = _future_index(s.index, horizon) if numeric_index else pd.RangeIndex(len(s), len(s) + horizon)
    tf = future.to_numpy(dtype=float) if numeric_index else np.arange(len(s), len(s) + horizon, dtype=float)
    return TrendForecast(intercept=float(intercept), slope=float(slope), r2=r2,
                         fitted=pd.Series(fit, index=s.index, name="fitted"),
                         forecast=pd.Series(intercept + slope * tf, index=future, name="forecast"),
                         note="indicative only: a straight line through past values, not a statistical forecast")
