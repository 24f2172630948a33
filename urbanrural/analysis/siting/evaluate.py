"""What a siting plan changes: coverage and travel time before/after, by urban/rural class.

- :func:`before_after`: per class (urban, rural, ..., all) the people covered within the
  standard, their share, the newly covered people and the population-weighted mean
  travel time, before (existing sites only) and after (existing + chosen sites), and the
  rural/urban gap;
- :func:`newly_covered`: per chosen site, the people it newly brings within the
  standard (each newly covered point credited to its nearest new site), by class;
- :func:`marginal_gain`: the gain of each extra site along a curve of objective by k.

Travel times come as OD tables (``origin``, ``destination``, ``cost`` in minutes, as the
accessibility engine builds them; a point's time is its cheapest row) or as Series of
nearest minutes per demand point (``inf`` = no site reachable). An origin absent from an
OD table has no site within the table's ``max_cost``: it is *unreachable*, counted apart
in ``unreachable_*`` and never given a time (it is not covered, and it is left out of the
mean times, as in the accessibility step).

Examples
--------
>>> demand = pd.DataFrame({"people": [10.0, 30.0, 60.0], "urban_class": ["urban", "rural", "rural"]})
>>> before = pd.Series([5.0, 40.0, np.inf])
>>> after = pd.Series([5.0, 12.0, 20.0])
>>> t = before_after(before, after, demand, standard=15)
>>> t[["covered_before", "covered_after", "newly_covered"]].loc[["urban", "rural", "all"]].to_dict("index")
{'urban': {'covered_before': 10.0, 'covered_after': 10.0, 'newly_covered': 0.0}, 'rural': {'covered_before': 0.0, 'covered_after': 30.0, 'newly_covered': 30.0}, 'all': {'covered_before': 10.0, 'covered_after': 40.0, 'newly_covered': 30.0}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError
from ...geo.validate import preview
from .candidates import point_classes

__all__ = ["before_after", "newly_covered", "marginal_gain", "nearest_minutes", "GAP_ROW", "ALL_ROW",
           "BEFORE_AFTER_COLUMNS"]

ALL_ROW = "all"
GAP_ROW = "rural/urban gap"
BEFORE_AFTER_COLUMNS = ["people", "covered_before", "covered_after", "share_before", "share_after",
                        "newly_covered", "lost", "mean_min_before", "mean_min_after", "unreachable_before",
                        "unreachable_after"]
_OD_COLUMNS = ("origin", "destination", "cost")


def _standard(standard: float) -> float:
    if isinstance(standard, bool) or not isinstance(standard, (int, float, np.integer, np.floating)) \
            or not np.isfinite(standard) or standard <= 0:
        raise DataError(f"standard must be positive, finite minutes (e.g. 15); got {standard!r}")
    return float(standard)


def _people(demand: pd.Series | pd.DataFrame) -> pd.Series:
    """People (demand weight) per point, checked: finite and >= 0."""
    if isinstance(demand, pd.DataFrame):
        if "people" not in demand.columns:
            raise DataError("demand must be a Series of people per demand point, or a DataFrame with a 'people' "
                            f"column; its columns are {', '.join(map(str, demand.columns))}")
        s = demand["people"]
    elif isinstance(demand, pd.Series):
        s = demand
    else:
        raise DataError(f"demand must be a Series or a DataFrame with 'people'; got {type(demand).__name__}")
    if s.index.has_duplicates:
        raise DataError(f"demand has duplicated point ids ({preview(s.index[s.index.duplicated()])}); give each "
                        "demand point one row")
    p = pd.to_numeric(s, errors="coerce").astype(float)
    bad = ~np.isfinite(p.to_numpy())
    if bad.any():
        raise DataError(f"demand: {int(bad.sum())} value(s) are missing, text or infinite (points "
                        f"{preview(p.index[bad])}); fix them (0 for no people)")
    neg = (p < 0).to_numpy()
    if neg.any():
        raise DataError(f"demand: {int(neg.sum())} negative value(s) (points {preview(p.index[neg])}); people "
                        "must be >= 0")
    return p


def _od(table: pd.DataFrame, *, name: str) -> pd.DataFrame:
    missing = [c for c in _OD_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{name} has no column(s) {missing}; an OD table has origin, destination and cost (minutes)")
    cost = pd.to_numeric(table["cost"], errors="coerce").astype(float)
    bad = ~np.isfinite(cost.to_numpy()) | (cost < 0).to_numpy()
    if bad.any():
        raise DataError(f"{name}: {int(bad.sum())} cost(s) are missing, negative or infinite; leave unreachable "
                        "pairs out of the table")
    return pd.DataFrame({"origin": table["origin"].to_numpy(), "destination": table["destination"].to_numpy(),
                         "cost": cost.to_numpy()})


def nearest_minutes(times: pd.DataFrame | pd.Series, index: pd.Index, *, name: str = "times") -> NDArray[np.float64]:
    """Minutes to the nearest site for each demand point of ``index`` (``inf`` = none).

    ``times`` is an OD table (the cheapest row per origin; origins without a row get
    ``inf``) or a Series of minutes on the demand points' ids (every point needed; NaN is
    refused: use ``inf`` for "no site reachable").

    Examples
    --------
    >>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["s", "t", "s"], "cost": [9.0, 4.0, 7.0]})
    >>> nearest_minutes(od, pd.Index(["a", "b", "c"])).tolist()
    [4.0, 7.0, inf]
    """
    if isinstance(times, pd.DataFrame):
        od = _od(times, name=name)
        extra = pd.Index(od["origin"].unique()).difference(index)
        if len(extra):
            raise DataError(f"{name}: {len(extra)} origin(s) are not demand points ({preview(extra)}; demand ids "
                            f"e.g. {preview(index[:5])}); build the OD table from the same demand points")
        return od.groupby("origin")["cost"].min().reindex(index).fillna(np.inf).to_numpy(dtype=float)
    if isinstance(times, pd.Series):
        missing = index.difference(times.index)
        if len(missing):
            raise DataError(f"{name} has no time for {len(missing)} demand point(s) ({preview(missing)}); give "
                            "one time per demand point (inf when no site is reachable)")
        t = pd.to_numeric(times, errors="coerce").astype(float).reindex(index).to_numpy()
        if np.isnan(t).any():
            raise DataError(f"{name}: {int(np.isnan(t).sum())} time(s) are missing (NaN); use inf for 'no site "
                            "reachable' and fix the rest")
        if (t < 0).any():
            raise DataError(f"{name}: {int((t < 0).sum())} negative time(s); travel times are >= 0 minutes")
        return t
    raise DataError(f"{name} must be an OD table (origin, destination, cost) or a Series of minutes per demand "
                    f"point; got {type(times).__name__}")


def _class_order(labels: Sequence[str]) -> list[str]:
    first = [c for c in ("urban", "rural") if c in labels]
    return first + sorted(c for c in labels if c not in first)


def _mean(t: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    fin = np.isfinite(t)
    total = w[fin].sum()
    return float(np.dot(t[fin], w[fin]) / total) if total > 0 else float("nan")


def _row(before: NDArray[np.float64], after: NDArray[np.float64], w: NDArray[np.float64],
         standard: float) -> dict[str, float]:
    cb, ca = before <= standard, after <= standard
    people = float(w.sum())
    covered_b, covered_a = float(w[cb].sum()), float(w[ca].sum())
    return {"people": people, "covered_before": covered_b, "covered_after": covered_a,
            "share_before": covered_b / people if people > 0 else float("nan"),
            "share_after": covered_a / people if people > 0 else float("nan"),
            "newly_covered": float(w[ca & ~cb].sum()), "lost": float(w[cb & ~ca].sum()),
            "mean_min_before": _mean(before, w), "mean_min_after": _mean(after, w),
            "unreachable_before": float(w[~np.isfinite(before)].sum()),
            "unreachable_after": float(w[~np.isfinite(after)].sum())}


def before_after(od_before: pd.DataFrame | pd.Series, od_after: pd.DataFrame | pd.Series,
                 demand: pd.Series | pd.DataFrame, *, standard: float,
                 classes: str | pd.Series | None = None) -> pd.DataFrame:
    """Coverage and travel time before and after a plan, by urban/rural class.

    Parameters
    ----------
    od_before, od_after : DataFrame or Series
        Travel to the existing sites only (before) and to the existing plus the chosen
        sites (after): OD tables (``origin``, ``destination``, ``cost`` in minutes; the
        cheapest row per origin counts, an origin without a row is unreachable) or Series
        of nearest minutes on the demand points' ids (``inf`` = unreachable).
    demand : Series or DataFrame
        People (or demand weights) per demand point, or a frame with ``people`` (and a
        class column).
    standard : float
        The service standard in minutes: a point is covered when its time is <= it.
    classes : str or Series, optional
        The class of each point (a column of ``demand`` or a Series on its index); default
        the ``urban_class`` column when ``demand`` has one, else overall only.

    Returns
    -------
    DataFrame
        Indexed by class (``urban``, ``rural``, other classes, then ``all``); columns
        ``people``; ``covered_before``/``_after`` (people within ``standard``);
        ``share_before``/``_after`` (covered / people, the unreachable counted as not
        covered); ``newly_covered`` (people covered after and not before); ``lost``
        (covered before and not after: 0 when the plan only adds sites);
        ``mean_min_before``/``_after`` (population-weighted mean minutes over the people
        who reach a site; NaN when nobody does); ``unreachable_before``/``_after`` (people
        reaching no site, never given a time). With both an ``urban`` and a ``rural``
        class, a last row ``rural/urban gap`` holds in ``share_*`` the difference of the
        coverage shares (rural - urban; negative = rural behind) and in ``mean_min_*`` the
        ratio of the mean times (rural / urban; above 1 = rural farther); its other
        columns are NaN.

    Raises
    ------
    DataError
        Negative or missing people, points without a class, times missing for points,
        OD origins that are not demand points, a non-positive standard.

    Examples
    --------
    >>> demand = pd.DataFrame({"people": [10.0, 30.0, 60.0], "urban_class": ["urban", "rural", "rural"]})
    >>> t = before_after(pd.Series([5.0, 40.0, np.inf]), pd.Series([5.0, 12.0, 20.0]), demand, standard=15)
    >>> t.loc["rural/urban gap", ["share_before", "share_after", "mean_min_before", "mean_min_after"]].round(3).tolist()
    [-1.0, -0.667, 8.0, 3.467]
    """
    standard = _standard(standard)
    people = _people(demand)
    index = people.index
    before = nearest_minutes(od_before, index, name="od_before")
    after = nearest_minutes(od_after, index, name="od_after")
    cls = point_classes(demand, classes, required=classes is not None)
    w = people.to_numpy()
    rows: dict[str, dict[str, float]] = {}
    if cls is not None:
        c = cls.to_numpy()
        for label in _class_order(list(pd.unique(c))):
            m = c == label
            rows[label] = _row(before[m], after[m], w[m], standard)
    rows[ALL_ROW] = _row(before, after, w, standard)
    out = pd.DataFrame.from_dict(rows, orient="index")[BEFORE_AFTER_COLUMNS]
    if "urban" in rows and "rural" in rows:
        u, r = rows["urban"], rows["rural"]
        gap = dict.fromkeys(BEFORE_AFTER_COLUMNS, float("nan"))
        for when in ("before", "after"):
            gap[f"share_{when}"] = r[f"share_{when}"] - u[f"share_{when}"]
            um = u[f"mean_min_{when}"]
            gap[f"mean_min_{when}"] = r[f"mean_min_{when}"] / um if um > 0 else float("nan")
        out.loc[GAP_ROW] = pd.Series(gap)
    out.index.name = "class"
    return out


def newly_covered(od_before: pd.DataFrame | pd.Series, od_after: pd.DataFrame,
                  demand: pd.Series | pd.DataFrame, *, standard: float, sites: Sequence[object],
                  classes: str | pd.Series | None = None) -> pd.DataFrame:
    """The people each chosen site newly brings within the standard.

    A demand point is newly covered when its time before (``od_before``: existing sites
    only) exceeds ``standard`` (or it reached nothing) and a chosen site is within
    ``standard`` of it in ``od_after``; it is credited to its nearest chosen site (on a
    tie, the one listed first in ``sites``), so the sites' numbers add up to the people
    newly covered by the plan.

    Parameters
    ----------
    od_before : DataFrame or Series
        As in :func:`before_after`.
    od_after : DataFrame
        An OD table holding (at least) the pairs to the chosen sites.
    demand : Series or DataFrame
        People per demand point (and classes), as in :func:`before_after`.
    standard : float
        Minutes.
    sites : sequence
        The chosen (new) sites' ids, as in ``od_after["destination"]``.
    classes : str or Series, optional
        As in :func:`before_after`; each class adds a column ``newly_covered_<class>``.

    Returns
    -------
    DataFrame
        Indexed by site (in the order given): ``newly_covered`` (people), ``points``
        (demand points credited), ``within_standard`` (all people within ``standard`` of
        the site, covered before or not) and ``newly_covered_<class>`` per class.

    Examples
    --------
    >>> demand = pd.Series([10.0, 20.0, 30.0], index=["p", "q", "r"])
    >>> before = pd.Series([5.0, 30.0, 30.0], index=["p", "q", "r"])
    >>> after = pd.DataFrame({"origin": ["p", "q", "r", "r"], "destination": ["A", "A", "A", "B"],
    ...                       "cost": [3.0, 8.0, 14.0, 9.0]})
    >>> newly_covered(before, after, demand, standard=15, sites=["A", "B"]).to_dict("index")
    {'A': {'newly_covered': 20.0, 'points': 1, 'within_standard': 60.0}, 'B': {'newly_covered': 30.0, 'points': 1, 'within_standard': 30.0}}
    """
    standard = _standard(standard)
    people = _people(demand)
    index = people.index
    site_list = list(sites)
    if not site_list:
        raise DataError("sites is empty; pass the ids of the chosen sites")
    if len(set(site_list)) != len(site_list):
        dup = pd.Index(site_list)[pd.Index(site_list).duplicated()]
        raise DataError(f"sites has duplicated ids ({preview(dup)}); list each chosen site once")
    if not isinstance(od_after, pd.DataFrame):
        raise DataError("od_after must be an OD table (origin, destination, cost) holding the chosen sites' pairs")
    od = _od(od_after, name="od_after")
    nearest_minutes(od, index, name="od_after")  # origins checked against the demand points
    rank = pd.Series(np.arange(len(site_list)), index=pd.Index(site_list, dtype=object))
    od = od[od["destination"].isin(rank.index)]
    if not len(od):
        dest = pd.Index(pd.unique(od_after["destination"]))
        raise DataError(f"none of the sites ({preview(site_list)}) is a destination in od_after (its destinations: "
                        f"{preview(dest)}); pass the chosen sites' ids as they appear in the OD table")
    covered_before = nearest_minutes(od_before, index, name="od_before") <= standard
    cls = point_classes(demand, classes, required=classes is not None)
    near = od[od["cost"] <= standard]
    within = near.assign(people=people.reindex(near["origin"]).to_numpy()).groupby("destination")["people"].sum()
    pos = pd.Series(np.arange(len(index)), index=index)
    fresh = near[~covered_before[pos.reindex(near["origin"]).to_numpy()]]
    fresh = fresh.assign(rank=rank.reindex(fresh["destination"]).to_numpy())
    best = fresh.sort_values(["origin", "cost", "rank"], kind="stable").drop_duplicates("origin")
    best = best.assign(people=people.reindex(best["origin"]).to_numpy())
    site_index = pd.Index(site_list, name="site", dtype=object)
    out = pd.DataFrame({"newly_covered": best.groupby("destination")["people"].sum().reindex(site_index)
                       .fillna(0.0).to_numpy(dtype=float),
                        "points": best.groupby("destination").size().reindex(site_index).fillna(0)
                       .to_numpy(dtype=np.int64),
                        "within_standard": within.reindex(site_index).fillna(0.0).to_numpy(dtype=float)},
                       index=site_index)
    if cls is not None:
        best = best.assign(cls=cls.reindex(best["origin"]).to_numpy())
        for label in _class_order(list(pd.unique(cls.to_numpy()))):
            part = best[best["cls"] == label]
            out[f"newly_covered_{label}"] = part.groupby("destination")["people"].sum().reindex(site_index) \
                .fillna(0.0).to_numpy(dtype=float)
    return out


def marginal_gain(objectives: pd.Series | Mapping[int, float], *, baseline: float = 0.0) -> pd.DataFrame:
    """The gain of each extra site along a curve of objective values by number of sites k.

    Parameters
    ----------
    objectives : Series or mapping
        Objective (people covered, total travel time...) by k. A row with k = 0 is the
        baseline (the existing sites only); otherwise ``baseline`` is.
    baseline : float, default 0
        The objective with no new site, when the curve has no k = 0.

    Returns
    -------
    DataFrame
        ``k``, ``objective``, ``gain`` (change from the previous k, or from the baseline;
        NaN on the k = 0 row), ``gain_per_site`` (gain / the step in k), ``gain_share``
        (gain / the whole change from the baseline to the last k) and ``cumulative_share``
        (the change so far / the whole change); shares are NaN when the whole change is 0.
        For a cost to minimise the gains are negative and the shares still add to 1.

    Examples
    --------
    >>> marginal_gain(pd.Series({1: 500.0, 2: 800.0, 3: 900.0, 5: 1000.0}))[["k", "gain", "gain_per_site", "cumulative_share"]]
       k   gain  gain_per_site  cumulative_share
    0  1  500.0          500.0               0.5
    1  2  300.0          300.0               0.8
    2  3  100.0          100.0               0.9
    3  5  100.0           50.0               1.0
    """
    s = pd.Series(objectives, dtype=object) if isinstance(objectives, Mapping) else pd.Series(objectives)
    if not len(s):
        raise DataError("objectives is empty; give the objective for at least one k")
    try:
        k = np.asarray(s.index, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"objectives must be indexed by the number of sites k (whole numbers >= 0); got "
                        f"{preview(s.index)}") from None
    if not (np.isfinite(k).all() and (k >= 0).all() and (k == np.round(k)).all()):
        raise DataError(f"objectives must be indexed by whole numbers k >= 0; got {preview(s.index)}")
    if len(np.unique(k)) != len(k):
        raise DataError(f"objectives has repeated k ({preview(s.index[s.index.duplicated()])}); one value per k")
    obj = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
    if not np.isfinite(obj).all():
        raise DataError(f"objectives: {int((~np.isfinite(obj)).sum())} value(s) are missing or infinite (a k with "
                        "no solution?); leave that k out")
    if not np.isfinite(baseline):
        raise DataError(f"baseline must be a finite number; got {baseline!r}")
    order = np.argsort(k, kind="stable")
    k, obj = k[order].astype(np.int64), obj[order]
    if k[0] == 0:
        start, prev_k, prev = obj[0], np.r_[np.nan, k[:-1]], np.r_[np.nan, obj[:-1]]
    else:
        start, prev_k, prev = float(baseline), np.r_[0, k[:-1]], np.r_[baseline, obj[:-1]]
    gain = obj - prev
    total = obj[-1] - start
    with np.errstate(invalid="ignore", divide="ignore"):
        share = gain / total if total != 0 else np.full(len(obj), np.nan)
        cum = (obj - start) / total if total != 0 else np.full(len(obj), np.nan)
        per_site = gain / (k - prev_k)
    return pd.DataFrame({"k": k, "objective": obj, "gain": gain, "gain_per_site": per_site, "gain_share": share,
                         "cumulative_share": cum})
