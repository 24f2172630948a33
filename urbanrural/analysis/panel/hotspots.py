"""Emerging hot spots: Gi* per year, a Mann-Kendall trend on each unit's z series, ESRI's classes.

esda (2.8) has no emerging-hot-spot analysis, so the classes follow ESRI's "How Emerging
Hot Spot Analysis works" definitions, written out below as an ordered table (the first
rule that holds wins).  Differences from ArcGIS: the Gi* here is purely spatial, one
cross-section per year (ArcGIS's space-time cube can also take neighbouring time steps),
and there is no FDR correction.

Per year, each unit's Gi* (:func:`urbanrural.analysis.autocorrelation.local_g`,
``star=True``: binary weights including the unit itself; z equals esda
``G_Local(star=True)``) is a hot bin when significant with z > 0 and a cold bin when
significant with z < 0.  Significance: pseudo p (conditional permutation, folded, as
esda) <= ``alpha`` when ``permutations`` > 0, else the two-sided normal p <= ``alpha``.
The trend is a Mann-Kendall test of the unit's z series over the years (significant at
``alpha``; "up" when S > 0).

Notation: n bins (years), H hot bins, C cold bins, "90%" means H >= 0.9 n (C for cold).

=====================  =============================================================
class                  rule (hot; cold mirrored, with the trend direction reversed)
=====================  =============================================================
new hot spot           final bin hot; no earlier bin significant (hot or cold)
consecutive hot spot   final run of >= 2 hot bins; no bin before the run significant;
                       H < 90% of n
intensifying hot spot  H >= 90%, final bin hot, z trend significantly up
persistent hot spot    H >= 90%, final bin hot, no significant z trend
diminishing hot spot   H >= 90%, final bin hot, z trend significantly down
oscillating hot spot   final bin hot, H < 90%, at least one earlier cold bin
sporadic hot spot      final bin hot, H < 90%, never cold (on again, off again)
historical hot spot    final bin not hot, H >= 90%
no pattern detected    none of the above, hot or cold
=====================  =============================================================

For cold spots "intensifying" means z falling significantly (ever colder) and
"diminishing" z rising.  New and consecutive require no earlier significant bin of
either kind (as sfdep does), so a cold-then-hot history is oscillating.  ESRI suggests
at least 10 time steps; fewer work but give weak trends (a note says so).

Examples
--------
>>> classify_pattern([0.2, 0.5, 0.1, 0.4, 2.5])
'new hot spot'
>>> classify_pattern([-2.2, 0.3, 0.1, 2.1, 2.4])
'oscillating hot spot'
>>> mann_kendall([1.0, 2.0, 3.0, 5.0, 4.0]).s
8.0
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ...geo.errors import DataError
from .sigma_beta import _align_w, _as_panel

__all__ = ["mann_kendall", "MannKendall", "emerging_hotspots", "classify_pattern", "PATTERNS"]

logger = logging.getLogger("urbanrural")
PATTERNS = tuple(f"{kind} {side} spot" for side in ("hot", "cold") for kind in (
    "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
) + ("no pattern detected",)
MIN_YEARS_ADVISED = 10


class MannKendall(NamedTuple):
    """Mann-Kendall trend test: S, Z (continuity-corrected), two-sided p, Kendall's tau-b."""

    s: float
    z: float
    p: float
    tau: float


def _var_s(x: NDArray[np.float64]) -> float:
    """var(S) with the tie correction: [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18."""
    n = len(x)
    _, t = np.unique(x, return_counts=True)
    return float((n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum()) / 18)


def mann_kendall(series: ArrayLike | pd.Series) -> MannKendall:
    """Mann-Kendall trend test with the correction for ties.

    S = sum_{i<j} sign(x_j - x_i); var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18 over
    groups of t tied values; Z = (S - 1) / sd if S > 0, (S + 1) / sd if S < 0, else 0;
    p two-sided normal; tau is Kendall's tau-b of (time, x) = S / sqrt(n0 (n0 - n2)),
    n0 = n(n-1)/2, n2 = sum_t t(t-1)/2 (equal to ``scipy.stats.kendalltau(years, x)``).

    Parameters
    ----------
    series : array-like or Series
        Values in time order (a Series is sorted by its index first); at least 3, no NaN.

    Returns
    -------
    MannKendall
        (s, z, p, tau); a constant series gives S = 0, Z = 0, p = 1, tau NaN.

    Examples
    --------
    >>> r = mann_kendall([1.0, 3.0, 2.0, 4.0])
    >>> r.s, round(r.tau, 4), round(r.z, 4)
    (4.0, 0.6667, 1.0190)
    """
    if isinstance(series, pd.Series):
        series = series.sort_index()
    x = np.asarray(pd.to_numeric(pd.Series(np.asarray(series).ravel()), errors="coerce"), dtype=float)
    if not np.isfinite(x).all():
        raise DataError(f"mann_kendall: series has {int((~np.isfinite(x)).sum())} missing or non-numeric value(s)")
    n = len(x)
    if n < 3:
        raise DataError(f"mann_kendall needs at least 3 values in time order; got {n}")
    i, j = np.triu_indices(n, 1)
    s = float(np.sign(x[j] - x[i]).sum())
    var = _var_s(x)
    if var <= 0:
        return MannKendall(s, 0.0, 1.0, float("nan"))
    sd = np.sqrt(var)
    z = (s - 1) / sd if s > 0 else (s + 1) / sd if s < 0 else 0.0
    p = float(2 * stats.norm.sf(abs(z)))
    _, t = np.unique(x, return_counts=True)
    n0 = n * (n - 1) / 2
    tau = s / np.sqrt(n0 * (n0 - (t * (t - 1) / 2).sum()))
    return MannKendall(s, float(z), p, float(tau))


def _classify(status: NDArray[np.int_], trend: int) -> str:
    """ESRI class of one unit: ``status`` per bin in {+1 hot, -1 cold, 0 ns}; ``trend`` in
    {+1 significantly up, -1 significantly down, 0 none} of the z series."""
    n = len(status)
    last = int(status[-1])
    for sign, side in ((1, "hot"), (-1, "cold")):
        k = int((status == sign).sum())
        most = 10 * k >= 9 * n  # at least 90% of the bins
        if last == sign:
            run = n - (np.flatnonzero(status != sign)[-1] + 1) if (status != sign).any() else n
            before = status[: n - run]
            if run == 1 and not before.any():
                return f"new {side} spot"
            if run >= 2 and not before.any() and not most:
                return f"consecutive {side} spot"
            if most:
                if trend == sign:
                    return f"intensifying {side} spot"
                if trend == -sign:
                    return f"diminishing {side} spot"
                return f"persistent {side} spot"
            if (status == -sign).any():
                return f"oscillating {side} spot"
            return f"sporadic {side} spot"
        if most:
            return f"historical {side} spot"
    return "no pattern detected"


def classify_pattern(z: ArrayLike, *, p: ArrayLike | None = None, alpha: float = 0.05) -> str:
    """ESRI emerging hot spot class of one unit from its Gi* z series (years in order).

    ``p`` defaults to the two-sided normal p of each z; the trend is the Mann-Kendall test
    of z at ``alpha`` (see the module table for the rules).

    Examples
    --------
    >>> classify_pattern([2.0, 2.5, 3.1, 3.9, 4.4, 5.0, 5.2, 6.1, 6.5, 7.0])
    'intensifying hot spot'
    >>> classify_pattern([-2.5, -2.4, -2.6, -2.5, -3.0, -2.2, -2.8, -2.5, -2.1, 0.4])
    'historical cold spot'
    """
    zz = np.asarray(z, dtype=float).ravel()
    if not np.isfinite(zz).all():
        raise DataError("classify_pattern: z has missing values")
    pp = 2 * stats.norm.sf(np.abs(zz)) if p is None else np.asarray(p, dtype=float).ravel()
    if len(pp) != len(zz):
        raise DataError(f"classify_pattern: {len(pp)} p-values for {len(zz)} z-scores")
    status = np.where(pp <= alpha, np.sign(zz), 0).astype(int)
    mk = mann_kendall(zz)
    trend = int(np.sign(mk.s)) if mk.p <= alpha else 0
    return _classify(status, trend)


def emerging_hotspots(values: pd.DataFrame | pd.Series, w: object, *, alpha: float = 0.05,
                      permutations: int = 999, seed: int | None = None, star: bool = True) -> pd.DataFrame:
    """Emerging hot spot analysis: Gi* per year, Mann-Kendall trend of z, ESRI class per unit.

    Parameters
    ----------
    values : DataFrame (units x years) or Series indexed by (unit, year)
    w : libpysal W, libpysal Graph or urbanrural ``Weights``
        Ids must be the units of ``values``; Gi* binarises them (and adds the unit itself
        with ``star=True``).
    alpha : float
        Significance of each Gi* bin and of the Mann-Kendall trend.
    permutations : int
        Conditional permutations per year for the pseudo p-values (0: normal p from z).
    seed : int, optional
        Year k (0-based) uses ``seed + k``.
    star : bool
        Gi* (True, the unit in its own neighbourhood, as ESRI) or Gi.

    Returns
    -------
    DataFrame
        Per unit (index ``unit``, order of ``values``): ``z_<year>`` per year, ``bins`` (one
        letter per year: H hot, C cold, . not significant), ``hot_bins``, ``cold_bins``,
        ``mk_s``, ``mk_z``, ``mk_p``, ``mk_tau`` (trend of z), ``trend`` ("up", "down",
        "none"), ``pattern`` (one of :data:`PATTERNS`).  ``.attrs["notes"]`` says how it
        was computed.

    Examples
    --------
    >>> import libpysal, numpy as np, pandas as pd
    >>> w = libpysal.weights.lat2W(5, 5)
    >>> ids = [str(i) for i in w.id_order]
    >>> w = libpysal.weights.W({str(k): [str(j) for j in v] for k, v in w.neighbors.items()}, id_order=ids)
    >>> base = np.ones(25) + np.arange(25) / 100
    >>> base[[0, 1, 5, 6]] += 9  # a high corner
    >>> v = pd.DataFrame({y: base for y in range(2010, 2015)}, index=ids)
    >>> out = emerging_hotspots(v, w, permutations=0)
    >>> out.loc["0", "bins"], out.loc["0", "pattern"]
    ('HHHHH', 'persistent hot spot')
    """
    from ..autocorrelation import local_g

    panel = _as_panel(values, min_years=3)
    ww, ids = _align_w(w, panel.index)
    years = list(panel.columns)
    zs, ps = {}, {}
    for k, year in enumerate(years):
        try:
            g = local_g(pd.Series(panel[year].to_numpy(), index=panel.index), ww, star=star,
                        permutations=permutations, seed=None if seed is None else seed + k)
        except DataError as exc:
            raise DataError(f"year {year}: {exc}") from exc
        g.index = ids
        g = g.reindex(panel.index)
        zs[year] = g["z"].to_numpy()
        ps[year] = (g["p_sim"] if permutations else g["p_norm"]).to_numpy()
    Z = np.column_stack([zs[y] for y in years])
    P = np.column_stack([ps[y] for y in years])
    # a unit whose Gi* neighbourhood is every unit has no variance: z undefined, never significant
    finite = np.isfinite(Z) & np.isfinite(P)
    status = np.where(finite & (np.nan_to_num(P, nan=1.0) <= alpha), np.sign(np.nan_to_num(Z)), 0).astype(int)
    rows = []
    undefined = 0
    for i in range(len(panel)):
        if not np.isfinite(Z[i]).all():
            undefined += 1
            rows.append((np.nan, np.nan, np.nan, np.nan, "none", "no pattern detected"))
            continue
        mk = mann_kendall(Z[i])
        trend = int(np.sign(mk.s)) if mk.p <= alpha else 0
        rows.append((mk.s, mk.z, mk.p, mk.tau, {1: "up", -1: "down", 0: "none"}[trend],
                     _classify(status[i], trend)))
    out = pd.DataFrame(Z, index=pd.Index(panel.index, name="unit"), columns=[f"z_{y}" for y in years])
    out["bins"] = ["".join({1: "H", -1: "C", 0: "."}[s] for s in row) for row in status]
    out["hot_bins"] = (status == 1).sum(1)
    out["cold_bins"] = (status == -1).sum(1)
    mk_frame = pd.DataFrame(rows, index=out.index, columns=["mk_s", "mk_z", "mk_p", "mk_tau", "trend", "pattern"])
    out = pd.concat([out, mk_frame], axis=1)
    inference = (f"pseudo p from {permutations} conditional permutations (seed {seed})" if permutations
                 else "two-sided normal p of z")
    notes = [f"{'Gi*' if star else 'Gi'} per year {years[0]}-{years[-1]} on binary weights; bins significant at "
             f"{alpha:g} by {inference}; Mann-Kendall trend of z at {alpha:g}; ESRI classes (no FDR correction)"]
    if len(years) < MIN_YEARS_ADVISED:
        notes.append(f"{len(years)} years: ESRI advises at least {MIN_YEARS_ADVISED} time steps for trends")
    if undefined:
        notes.append(f"{undefined} unit(s) have an undefined Gi* z (every unit in their neighbourhood): "
                     "no pattern")
    out.attrs["notes"] = tuple(notes)
    return out
