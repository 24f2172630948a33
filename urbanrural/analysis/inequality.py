"""Inequality: urban/rural ratio, Theil T with decomposition, Gini, CV, Dagum's Gini.

- Theil T (population-weighted): T = sum_i s_i ln(s_i / q_i), s income shares, q
  population shares (q = 1/n without population); between groups T_b = sum_g s_g
  ln(s_g / q_g); within T_w = sum_g s_g T_g; T = T_b + T_w exactly.
- Gini: mean absolute difference / (2 mean); weighted by frequencies via the Lorenz curve
  (trapezoids), which equals the pairwise form with weights.
- CV = sigma / mu, ``ddof`` stated (default 0, population form); weighted: Williamson's
  population-weighted form.
- Dagum (1997): G = G_w + G_nb + G_t (within, net between, transvariation), groups
  ordered by mean.

Examples
--------
>>> gini([10, 20, 30, 40, 100])
0.4
>>> t = theil([1.0, 2.0, 3.0, 6.0], groups=["r", "r", "u", "u"])
>>> round(t.total, 6) == round(t.between + t.within, 6)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..geo.errors import DataError

__all__ = ["theil", "TheilResult", "gini", "cv", "dagum", "DagumResult", "ratio"]


def _values(values: ArrayLike, *, name: str = "values", positive: bool = True) -> NDArray[np.float64]:
    v = np.asarray(pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce"), dtype=float)
    if not np.isfinite(v).all():
        raise DataError(f"{name} has {int((~np.isfinite(v)).sum())} missing or infinite value(s)")
    if positive and (v < 0).any():
        raise DataError(f"{name} has {int((v < 0).sum())} negative value(s): inequality of incomes needs values >= 0")
    if len(v) == 0 or v.sum() == 0:
        raise DataError(f"{name} is empty or sums to zero")
    return v


def _weights(weights: ArrayLike | None, n: int, *, name: str = "population") -> NDArray[np.float64]:
    if weights is None:
        return np.ones(n)
    w = _values(weights, name=name)
    if len(w) != n:
        raise DataError(f"{name} has {len(w)} values for {n} observations")
    return w


def ratio(urban: ArrayLike, rural: ArrayLike) -> NDArray[np.float64]:
    """Urban / rural ratio (e.g. of per-capita income); rural values must be > 0."""
    u, r = _values(urban, name="urban"), _values(rural, name="rural")
    if (r == 0).any():
        raise DataError("rural values must be > 0 for a ratio")
    return u / r


@dataclass(frozen=True)
class TheilResult:
    """Theil T with between/within decomposition (``groups`` per group)."""

    total: float
    between: float
    within: float
    groups: pd.DataFrame


def _theil(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    s = p * y / (p * y).sum()
    q = p / p.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s / q), 0.0)
    return max(0.0, float(terms.sum()))  # >= 0 in exact arithmetic; drop rounding noise (-1e-17)


def theil(values: ArrayLike, *, population: ArrayLike | None = None,
          groups: Sequence[object] | ArrayLike | None = None) -> TheilResult:
    """Theil T (population-weighted when ``population`` is given) and its decomposition."""
    y = _values(values)
    p = _weights(population, len(y))
    total = _theil(y, p)
    g = np.asarray(groups if groups is not None else np.zeros(len(y)), dtype=object)
    if len(g) != len(y):
        raise DataError(f"groups has {len(g)} labels for {len(y)} values")
    if pd.isna(g).any():
        raise DataError(f"{int(pd.isna(g).sum())} observation(s) have no group")
    rows = []
    inc = (p * y).sum()
    for key in pd.unique(g):
        m = g == key
        s_g = (p[m] * y[m]).sum() / inc
        q_g = p[m].sum() / p.sum()
        t_g = _theil(y[m], p[m]) if (p[m] * y[m]).sum() > 0 else 0.0
        rows.append({"group": key, "population_share": q_g, "income_share": s_g, "theil": t_g,
                     "within_contribution": s_g * t_g})
    table = pd.DataFrame(rows).set_index("group")
    with np.errstate(divide="ignore", invalid="ignore"):
        between = float(np.where(table["income_share"] > 0,
                                 table["income_share"] * np.log(table["income_share"] / table["population_share"]),
                                 0.0).sum())
    between = max(0.0, between)  # a Theil index of group means: >= 0 up to rounding
    within = float(table["within_contribution"].sum())
    return TheilResult(total, between, within, table)


def gini(values: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Gini coefficient; ``weights`` are frequencies (e.g. population of each unit)."""
    y = _values(values)
    w = _weights(weights, len(y), name="weights")
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    cum = np.cumsum(w * y)
    prev = np.concatenate([[0.0], cum[:-1]])
    g = 1.0 - (w * (prev + cum)).sum() / (w.sum() * cum[-1])
    return float(min(max(g, 0.0), 1.0))  # equal values give -2e-16 from rounding: report 0


def cv(values: ArrayLike, *, ddof: int = 0, weights: ArrayLike | None = None) -> float:
    """Coefficient of variation sigma/mu (``ddof`` 0: population SD; with ``weights``:
    Williamson's population-weighted CV, which has no ddof)."""
    y = _values(values, positive=False)
    if weights is None:
        return float(y.std(ddof=ddof) / y.mean())
    w = _weights(weights, len(y), name="weights")
    mu = (w * y).sum() / w.sum()
    return float(np.sqrt((w * (y - mu) ** 2).sum() / w.sum()) / mu)


@dataclass(frozen=True)
class DagumResult:
    """Dagum's Gini decomposition: total = within + net_between + transvariation."""

    total: float
    within: float
    net_between: float
    transvariation: float
    group_gini: pd.Series
    between_gini: pd.DataFrame


def dagum(values: ArrayLike, groups: Sequence[object] | ArrayLike) -> DagumResult:
    """Dagum (1997) decomposition of the Gini coefficient by groups (pairwise; O(n^2) memory
    per pair of groups, fine for a few thousand units)."""
    y = _values(values)
    g = np.asarray(groups, dtype=object)
    if len(g) != len(y):
        raise DataError(f"groups has {len(g)} labels for {len(y)} values")
    n, mu = len(y), y.mean()
    keys = sorted(pd.unique(g), key=lambda k: y[g == k].mean())
    ys = [y[g == k] for k in keys]
    p = np.array([len(v) / n for v in ys])
    s = np.array([len(v) * v.mean() / (n * mu) for v in ys])
    k = len(keys)
    gjj = np.array([np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean()) for v in ys])
    within = float((gjj * p * s).sum())
    gjh = np.zeros((k, k))
    net = trans = 0.0
    for j in range(k):
        for h in range(j):
            diff = ys[j][:, None] - ys[h][None, :]
            gjh[j, h] = gjh[h, j] = np.abs(diff).sum() / (len(ys[j]) * len(ys[h]) * (ys[j].mean() + ys[h].mean()))
            d_jh = diff[diff > 0].sum() / diff.size
            p_jh = -diff[diff < 0].sum() / diff.size
            D = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
            share = p[j] * s[h] + p[h] * s[j]
            net += gjh[j, h] * share * D
            trans += gjh[j, h] * share * (1 - D)
    total = float(np.abs(y[:, None] - y[None, :]).sum() / (2 * n * n * mu))
    return DagumResult(total, within, float(net), float(trans), pd.Series(gjj, index=keys),
                       pd.DataFrame(gjh, index=keys, columns=keys))
