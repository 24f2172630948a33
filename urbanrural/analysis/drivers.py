"""Drivers of a spatial pattern: the geographical detector (geodetector) and OPGD.

Wang et al. 2010 (IJGIS 24(1):107); Wang, Zhang & Fu 2016 (Ecol. Indic. 67:250);
optimal parameters: Song et al. 2020 (GIScience & Remote Sensing 57(5):593).

- Factor detector: q = 1 - sum_h N_h s_h^2 / (N s^2) with population variances
  (= 1 - SSW / SST). F = (N - L) / (L - 1) * q / (1 - q) is tested against the
  non-central F(L - 1, N - L; lambda) with
  lambda = [sum_h Ybar_h^2 - (sum_h sqrt(N_h) Ybar_h)^2 / N] / s^2, p = P(F' > F).
  ``s^2`` is the population variance of y (``lambda_ddof=0``: Wang et al. 2016, the R
  packages GD and gdverse); the R package geodetector divides by the sample variance
  (``lambda_ddof=1``), which reproduces its printed p-values. lambda, as published, is
  not invariant to a shift of y (adding a constant changes it, q and F do not).
- Interaction detector: q12 is the q of the overlay (cross-classification) of the two
  factors' strata. Types: q12 < min(q1, q2) nonlinear weaken; <= max(q1, q2)
  uni-variable weaken; = q1 + q2 independent; < q1 + q2 bi-variable enhance; otherwise
  nonlinear enhance, each comparison with the tolerance ``tol`` (default 1e-6). On the same
  units the overlay refines both partitions, so q12 >= max(q1, q2) always: "nonlinear
  weaken" cannot occur and "uni-variable weaken" means q12 = max(q1, q2), one factor's
  strata nested in the other's (the types are kept for comparison with GD / gdverse,
  which drop one-unit strata before computing q and so can produce them). One-unit strata
  of the overlay are kept: they have no within variance (counted in the table).
- Risk detector: Welch t-tests between the means of every pair of strata of a factor.
- Ecological detector: F = [N_1 (N_2 - 1) SSW_1] / [N_2 (N_1 - 1) SSW_2], SSW the
  within-strata sum of squares, against F(N_1 - 1, N_2 - 1) (here N_1 = N_2 = N, so
  F = SSW_1 / SSW_2). Each pair is oriented so that factor_1 is the weaker factor
  (larger SSW, F >= 1) and p = P(F' > F), the upper tail, as the R packages GD and
  gdverse compute it for that order; ``significant`` (p < alpha) says factor_2 has a
  significantly stronger effect on y than factor_1.

Factors: text, boolean, categorical, or whole-number codes with at most 10 distinct
values are strata as given; other numeric factors are discretised
(``urbanrural.analysis._discretize``: equal, natural, quantile, geometric, sd).
``discretize="optimal"`` is OPGD: every method x every k, keeping the largest q (ties:
the first in method order, then the smaller k). A discretised class of one unit is merged
into its nearer neighbouring class (noted); a one-unit category is refused.

Examples
--------
>>> import pandas as pd
>>> y = pd.Series([1.2, 1.5, 2.1, 3.3, 3.6, 4.3, 1.2, 1.5, 1.9, 2.8])
>>> x = pd.DataFrame({"zone": list("dddcccdddc")})
>>> r = geodetector(y, x)
>>> round(float(r.factor.loc["zone", "q"]), 4), int(r.factor.loc["zone", "strata"])
(0.8288, 2)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ..geo.errors import DataError, UnknownNameError
from . import _discretize as disc

__all__ = ["geodetector", "GeodetectorResult", "q_statistic", "INTERACTION_TYPES"]

INTERACTION_TYPES = (
    "nonlinear weaken",
    "uni-variable weaken",
    "bi-variable enhance",
    "independent",
    "nonlinear enhance",
)


@dataclass(frozen=True)
class GeodetectorResult:
    """Result of :func:`geodetector`.

    Attributes
    ----------
    factor : DataFrame
        One row per factor (input order): q, F, p, lambda, significant (p < alpha),
        strata (L), n, method ("categorical" or the discretisation used), k (classes
        asked, NaN for categories), merged (one-unit classes merged).
    interaction : DataFrame
        One row per pair: factor_1, factor_2, q1, q2, q12, type, strata (of the
        overlay), singletons (one-unit overlay strata).
    risk : DataFrame
        One row per factor and pair of its strata: factor, stratum_1, stratum_2, n_1,
        n_2, mean_1, mean_2, t, df, p, significant (Welch t-test).
    ecological : DataFrame
        One row per pair, factor_1 the weaker: factor_1, factor_2, q_1, q_2, F, df1, df2,
        p, significant.
    discretization : DataFrame
        Every discretisation tried: factor, method, k, strata, merged, q, chosen.
    strata : DataFrame
        The stratum of each unit per factor, on the (NaN-free) index of the input.
    means : DataFrame
        Per factor and stratum: n, mean of y, and x_min, x_max of the factor's values
        (NaN for categories).
    notes : tuple of str
        Rows dropped, classes merged, methods not applicable, conventions used.
    """

    factor: pd.DataFrame
    interaction: pd.DataFrame
    risk: pd.DataFrame
    ecological: pd.DataFrame
    discretization: pd.DataFrame
    strata: pd.DataFrame
    means: pd.DataFrame
    notes: tuple[str, ...]


# --- the statistics on integer codes 0..L-1 ----------------------------------------


def _codes(labels: ArrayLike) -> NDArray[np.int64]:
    """Codes 0..L-1 in sorted label order (first-seen order if labels do not sort)."""
    arr = np.asarray(labels).ravel()
    try:
        codes, _ = pd.factorize(arr, sort=True)
    except TypeError:  # mixed types, e.g. 1 and "a"
        codes, _ = pd.factorize(arr, sort=False)
    return codes.astype(np.int64)


def _ssw(y: NDArray[np.float64], codes: NDArray[np.int64]) -> float:
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=y) / np.where(counts > 0, counts, 1)
    return float(np.sum((y - means[codes]) ** 2))


def _q(y: NDArray[np.float64], codes: NDArray[np.int64]) -> float:
    sst = float(np.sum((y - y.mean()) ** 2))
    return min(1.0, max(0.0, 1.0 - _ssw(y, codes) / sst))


def _factor_stats(
    y: NDArray[np.float64], codes: NDArray[np.int64], *, lambda_ddof: int = 0
) -> dict[str, float]:
    """q, F, p, lambda of one stratification (every stratum non-empty, 2 <= L < N)."""
    n = len(y)
    counts = np.bincount(codes).astype(float)
    big_l = len(counts)
    means = np.bincount(codes, weights=y) / counts
    q = _q(y, codes)
    lam = (np.sum(means**2) - np.sum(np.sqrt(counts) * means) ** 2 / n) / y.var(ddof=lambda_ddof)
    lam = max(0.0, float(lam))  # >= 0 by Cauchy-Schwarz; drop rounding noise
    d1, d2 = big_l - 1, n - big_l
    if q >= 1.0:
        f, p = np.inf, 0.0
    else:
        f = d2 / d1 * q / (1.0 - q)
        # scipy's ncf is wrong at nc == 0 exactly (returns values outside [0, 1]): use F there
        p = float(stats.ncf.sf(f, d1, d2, lam)) if lam > 0 else float(stats.f.sf(f, d1, d2))
        p = min(1.0, max(0.0, p))
    return {"q": q, "F": float(f), "p": p, "lambda": lam, "strata": big_l, "n": n}


def q_statistic(y: ArrayLike, strata: ArrayLike) -> float:
    """The geodetector q of ``y`` stratified by ``strata`` (population variances).

    q = 1 - sum_h N_h s_h^2 / (N s^2) = 1 - SSW / SST; a one-unit stratum adds no
    within variance.

    Examples
    --------
    >>> q_statistic([1.0, 2.0, 5.0, 6.0], ["a", "a", "b", "b"])
    0.9411764705882353
    """
    v = np.asarray(y, dtype=float).ravel()
    s = np.asarray(strata).ravel()
    if len(v) != len(s):
        raise DataError(f"y has {len(v)} values and strata {len(s)}; pass one stratum per value")
    if not np.isfinite(v).all():
        raise DataError("y has missing or infinite values; drop those units first")
    if np.ptp(v) == 0:
        raise DataError("y is constant: q is undefined (no variance to explain)")
    return _q(v, _codes(s))


def _interaction_type(q1: float, q2: float, q12: float, *, tol: float) -> str:
    lo, hi, total = min(q1, q2), max(q1, q2), q1 + q2
    if q12 < lo - tol:
        return "nonlinear weaken"
    if q12 <= hi + tol:
        return "uni-variable weaken"
    if abs(q12 - total) <= tol:
        return "independent"
    if q12 < total:
        return "bi-variable enhance"
    return "nonlinear enhance"


def _welch(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, float, float]:
    """Welch's t, df, two-sided p (= scipy.stats.ttest_ind(a, b, equal_var=False))."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 == 0:
        return np.nan, np.nan, np.nan
    t = (a.mean() - b.mean()) / np.sqrt(se2)
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(t), float(df), float(2 * stats.t.sf(abs(t), df))


# --- inputs ------------------------------------------------------------------------


def _align(y: Any, factors: Any) -> tuple[pd.Series, pd.DataFrame]:
    if isinstance(factors, pd.Series):
        factors = factors.to_frame(name=factors.name if factors.name is not None else "x")
    elif isinstance(factors, Mapping):
        factors = pd.DataFrame(dict(factors))
    if not isinstance(factors, pd.DataFrame):
        raise DataError(
            f"factors must be a DataFrame (one column per factor), got {type(factors).__name__}"
        )
    if factors.shape[1] == 0:
        raise DataError("factors has no columns; pass at least one factor")
    if factors.columns.has_duplicates:
        raise DataError(
            f"factors has duplicated column names: {sorted(map(str, factors.columns[factors.columns.duplicated()]))}"
        )
    if factors.index.has_duplicates:
        raise DataError(
            "factors has duplicated index labels; give each unit one row (e.g. factors.reset_index(drop=True))"
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"y must be one column, got a DataFrame with {y.shape[1]} columns")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        if y.index.has_duplicates:
            raise DataError("y has duplicated index labels; give each unit one value")
        if not y.index.equals(factors.index):
            missing_f = y.index.difference(factors.index)
            missing_y = factors.index.difference(y.index)
            if len(missing_f) or len(missing_y):
                raise DataError(
                    f"y and factors are not aligned: {len(missing_f)} label(s) of y are not in factors "
                    f"(e.g. {list(missing_f[:3])}) and {len(missing_y)} of factors are not in y "
                    f"(e.g. {list(missing_y[:3])}); align them first, e.g. "
                    "common = y.index.intersection(factors.index); y, factors = y.loc[common], factors.loc[common]"
                )
            y = y.reindex(factors.index)
    else:
        arr = np.asarray(y).ravel()
        if len(arr) != len(factors):
            raise DataError(
                f"y has {len(arr)} values for {len(factors)} rows of factors; pass one value per row"
            )
        y = pd.Series(arr, index=factors.index, name="y")
    yv = pd.to_numeric(y, errors="coerce")
    bad = yv.isna() & y.notna()
    if bad.any():
        raise DataError(
            f"y has {int(bad.sum())} non-numeric value(s) (e.g. {list(y[bad][:3])}); y must be numbers"
        )
    if np.isinf(yv.astype(float)).any():
        raise DataError(
            f"y has {int(np.isinf(yv.astype(float)).sum())} infinite value(s); drop or fix them"
        )
    return yv.astype(float), factors


def _ks(k: int | Iterable[int]) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    if not ks or any(not isinstance(v, (int, np.integer)) or v < 2 for v in ks):
        raise DataError(f"k={k!r}: give an int >= 2 or an iterable of them, e.g. k=range(3, 9)")
    return tuple(int(v) for v in ks)


def _spec(value: Any, ks: tuple[int, ...], name: Hashable) -> tuple[str, tuple[int, ...]]:
    """(mode, ks) with mode 'optimal', 'categorical' or a method name."""
    if isinstance(value, tuple) and len(value) == 2:
        method, kk = value
        return disc.check_method(method, argument=f"discretize[{name!r}]"), _ks(kk)
    if value in ("optimal", "categorical"):
        return value, ks
    if isinstance(value, str):
        return disc.check_method(value, argument=f"discretize[{name!r}]"), ks
    raise UnknownNameError(
        f"discretize[{name!r}]={value!r}: use 'optimal', 'categorical', a method name "
        f"({', '.join(disc.METHODS)}) or a (method, k) tuple"
    )


# --- the detector ------------------------------------------------------------------


def _stratify(
    name: Hashable,
    x: pd.Series,
    y: NDArray[np.float64],
    mode: str,
    ks: tuple[int, ...],
    problems: list[str],
    notes: list[str],
    *,
    explicit: bool,
) -> tuple[NDArray[Any] | None, dict[str, Any], list[dict[str, Any]]]:
    """Strata labels of one factor, its row of method facts, and the table of tries.

    Auto-detected categories stay categories unless a method was named for this factor
    (``explicit``).
    """
    categorical = disc.is_categorical(x)
    if mode == "categorical" or (categorical and not explicit):
        labels = x.to_numpy()
        counted = pd.Series(labels).value_counts(sort=False)
        vals, counts = counted.index.to_numpy(), counted.to_numpy()
        if len(vals) < 2:
            problems.append(
                f"factor {name!r} has a single stratum ({vals[0]!r}): it cannot explain y; drop it from factors"
            )
            return None, {}, []
        if (counts == 1).any():
            ones = [v.item() if hasattr(v, "item") else v for v in vals[counts == 1]]
            problems.append(
                f"factor {name!r}: stratum(s) {ones[:5]} have one unit (no variance); merge each into a similar "
                f"category or drop the unit, e.g. factors[{name!r}] = factors[{name!r}].replace({{{ones[0]!r}: <similar category>}})"
            )
            return None, {}, []
        return labels, {"method": "categorical", "k": np.nan, "merged": 0}, []
    if categorical and not pd.api.types.is_numeric_dtype(x.dtype):
        problems.append(
            f"factor {name!r} is not numeric and cannot be discretised by {mode!r}; use 'categorical'"
        )
        return None, {}, []
    xv = x.to_numpy(dtype=float)
    if np.ptp(xv) == 0:
        problems.append(
            f"factor {name!r} is constant ({xv[0]:g}): a single stratum cannot explain y; drop it from factors"
        )
        return None, {}, []
    methods = list(disc.METHODS) if mode == "optimal" else [mode]
    tries: list[dict[str, Any]] = []
    best: tuple[float, NDArray[np.int64], dict[str, Any]] | None = None
    for method in methods:
        for kk in ks:
            try:
                bins = disc.breaks(xv, method, kk)
            except disc.NotApplicable as err:
                notes.append(f"factor {name!r}: method {method!r} skipped, {err}")
                break
            classes, merged = disc.merge_singletons(xv, disc.classify(xv, bins))
            n_strata = int(classes.max())
            q = _q(y, classes - 1) if n_strata >= 2 else np.nan
            tries.append(
                {
                    "factor": name,
                    "method": method,
                    "k": kk,
                    "strata": n_strata,
                    "merged": merged,
                    "q": q,
                    "chosen": False,
                }
            )
            if n_strata >= 2 and (best is None or q > best[0]):
                best = (
                    q,
                    classes,
                    {"method": method, "k": kk, "merged": merged, "_row": len(tries) - 1},
                )
    if best is None:
        problems.append(
            f"factor {name!r}: no discretisation by {methods} gives 2 or more strata; pass it as 'categorical' or drop it"
        )
        return None, {}, tries
    tries[best[2].pop("_row")]["chosen"] = True
    if best[2]["merged"]:
        notes.append(
            f"factor {name!r}: {best[2]['merged']} one-unit class(es) merged into the nearer neighbouring class"
        )
    return best[1], best[2], tries


def geodetector(
    y: ArrayLike | pd.Series,
    factors: pd.DataFrame | pd.Series | Mapping[Hashable, ArrayLike],
    *,
    discretize: str | Mapping[Hashable, Any] = "optimal",
    k: int | Iterable[int] = range(3, 9),
    alpha: float = 0.05,
    tol: float = 1e-6,
    lambda_ddof: int = 0,
) -> GeodetectorResult:
    """Geographical detector: factor, interaction, risk and ecological detectors.

    Parameters
    ----------
    y : Series or array-like
        The variable to explain (numbers). A Series is aligned to ``factors`` by index
        (the same labels in any order); an array must follow the rows of ``factors``.
    factors : DataFrame, Series or mapping of columns
        One column per factor. Text, boolean, categorical or whole-number codes with at
        most 10 distinct values are strata as given; other numbers are discretised.
    discretize : str or mapping, default "optimal"
        "optimal" (OPGD: every method in equal, natural, quantile, geometric, sd x every
        ``k``, keep the largest q), a method name (tried for every ``k``, keep the
        largest q; a single int ``k`` fixes it), "categorical" (all factors as given),
        or a mapping factor -> one of those or a ``(method, k)`` tuple; factors left out
        of the mapping are "optimal". Auto-detected categories stay categories unless
        the mapping names a method for them.
    k : int or iterable of int, default range(3, 9)
        Class counts to try (each >= 2).
    alpha : float, default 0.05
        Significance level of the ``significant`` columns.
    tol : float, default 1e-6
        Tolerance of the equalities in the interaction types (q12 = max(q1, q2),
        q12 = q1 + q2 "independent").
    lambda_ddof : {0, 1}, default 0
        Variance of y in lambda: 0 population (Wang et al. 2016, GD, gdverse), 1 sample
        (the R package geodetector).

    Returns
    -------
    GeodetectorResult

    Raises
    ------
    DataError
        y constant or not numeric, indexes not aligned, a factor with one stratum, a
        category with one unit (all problems are listed in one message).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> zone = np.repeat(["a", "b", "c"], 20)
    >>> slope = rng.uniform(0, 30, 60)
    >>> y = pd.Series(np.select([zone == "a", zone == "b"], [1.0, 3.0], 5.0) + slope / 10 + rng.normal(0, 0.5, 60))
    >>> r = geodetector(y, pd.DataFrame({"zone": zone, "slope": slope}))
    >>> round(float(r.factor.loc["zone", "q"]), 3), r.factor.loc["zone", "method"]
    (0.694, 'categorical')
    >>> r.interaction[["factor_1", "factor_2", "type"]].values.tolist()
    [['zone', 'slope', 'bi-variable enhance']]
    """
    if not 0 < alpha < 1:
        raise DataError(f"alpha={alpha!r} must be between 0 and 1, e.g. 0.05")
    if lambda_ddof not in (0, 1):
        raise DataError(
            f"lambda_ddof={lambda_ddof!r}: use 0 (population variance) or 1 (sample variance)"
        )
    ys, fr = _align(y, factors)
    ks = _ks(k)
    if isinstance(discretize, Mapping):
        unknown = [c for c in discretize if c not in fr.columns]
        if unknown:
            raise UnknownNameError(
                f"discretize names {unknown}, not factors; factors are {list(fr.columns)}"
            )
        specs = {c: _spec(discretize.get(c, "optimal"), ks, c) for c in fr.columns}
        explicit = {c for c in discretize if specs[c][0] != "optimal"}
    else:
        specs = {c: _spec(discretize, ks, c) for c in fr.columns}
        explicit = set()

    notes: list[str] = []
    keep = ys.notna() & fr.notna().all(axis=1)
    if not keep.all():
        notes.append(
            f"{int((~keep).sum())} of {len(ys)} units dropped for a missing y or factor value"
        )
    ys, fr = ys[keep], fr[keep]
    yv = ys.to_numpy()
    if len(yv) < 4:
        raise DataError(
            f"only {len(yv)} units with y and every factor known; the geodetector needs at least 4"
        )
    if np.ptp(yv) == 0:
        raise DataError(
            f"y is constant ({yv[0]:g}) on all {len(yv)} units: q is undefined; there is nothing to explain"
        )

    problems: list[str] = []
    labels: dict[Hashable, NDArray[Any]] = {}
    facts: dict[Hashable, dict[str, Any]] = {}
    tries: list[dict[str, Any]] = []
    for c in fr.columns:
        lab, fact, t = _stratify(c, fr[c], yv, *specs[c], problems, notes, explicit=c in explicit)
        tries.extend(t)
        if lab is not None:
            labels[c], facts[c] = lab, fact
    if problems:
        raise DataError("geodetector cannot run:\n- " + "\n- ".join(problems))
    codes = {c: _codes(v) for c, v in labels.items()}
    names = list(labels)

    rows = []
    for c in names:
        s = _factor_stats(yv, codes[c], lambda_ddof=lambda_ddof)
        rows.append({**s, "significant": s["p"] < alpha, **facts[c]})
    factor = pd.DataFrame(rows, index=pd.Index(names, name="factor"))
    factor = factor[
        ["q", "F", "p", "lambda", "significant", "strata", "n", "method", "k", "merged"]
    ]
    factor["k"] = factor["k"].astype("Int64")  # <NA> for categories

    inter, eco = [], []
    sst = float(np.sum((yv - yv.mean()) ** 2))
    overlay_singletons = 0
    for a, b in combinations(names, 2):
        c12 = _codes(codes[a] * (codes[b].max() + 1) + codes[b])
        counts12 = np.bincount(c12)
        q1, q2, q12 = factor.at[a, "q"], factor.at[b, "q"], _q(yv, c12)
        singles = int((counts12 == 1).sum())
        overlay_singletons += singles
        inter.append(
            {
                "factor_1": a,
                "factor_2": b,
                "q1": q1,
                "q2": q2,
                "q12": q12,
                "type": _interaction_type(q1, q2, q12, tol=tol),
                "strata": len(counts12),
                "singletons": singles,
            }
        )
        ssw_a, ssw_b = _ssw(yv, codes[a]), _ssw(yv, codes[b])
        w1, w2 = (a, b) if ssw_a >= ssw_b else (b, a)
        s1, s2 = max(ssw_a, ssw_b), min(ssw_a, ssw_b)
        n1 = n2 = len(yv)
        if s2 > 0:
            f = n1 * (n2 - 1) * s1 / (n2 * (n1 - 1) * s2)
            p = float(stats.f.sf(f, n1 - 1, n2 - 1))
        else:
            f, p = (np.inf, 0.0) if s1 > 0 else (np.nan, np.nan)
        eco.append(
            {
                "factor_1": w1,
                "factor_2": w2,
                "q_1": 1 - s1 / sst,
                "q_2": 1 - s2 / sst,
                "F": f,
                "df1": n1 - 1,
                "df2": n2 - 1,
                "p": p,
                "significant": bool(p < alpha),
            }
        )
    if overlay_singletons:
        notes.append(
            f"interaction overlays have {overlay_singletons} one-unit strata in all (no within variance; kept)"
        )
    notes.append(
        f"interaction types use tol={tol:g}; lambda uses the {'population' if lambda_ddof == 0 else 'sample'} variance of y"
    )

    risk, means = [], []
    zero_var = 0
    for c in names:
        lab = labels[c]
        order = np.unique(codes[c])
        firsts = [lab[np.argmax(codes[c] == h)] for h in order]
        groups = [yv[codes[c] == h] for h in order]
        xv = fr[c].to_numpy()
        for h, g in zip(order, groups, strict=True):
            xs = xv[codes[c] == h]
            ordered = facts[c]["method"] != "categorical"
            means.append(
                {
                    "factor": c,
                    "stratum": firsts[h],
                    "n": len(g),
                    "mean": g.mean(),
                    "x_min": xs.min() if ordered else np.nan,
                    "x_max": xs.max() if ordered else np.nan,
                }
            )
        for i, j in combinations(range(len(order)), 2):
            t, df, p = _welch(groups[i], groups[j])
            zero_var += np.isnan(t)
            risk.append(
                {
                    "factor": c,
                    "stratum_1": firsts[i],
                    "stratum_2": firsts[j],
                    "n_1": len(groups[i]),
                    "n_2": len(groups[j]),
                    "mean_1": groups[i].mean(),
                    "mean_2": groups[j].mean(),
                    "t": t,
                    "df": df,
                    "p": p,
                    "significant": bool(p < alpha),
                }
            )
    if zero_var:
        notes.append(
            f"risk detector: {zero_var} pair(s) of strata both without variance; t-test undefined (NaN)"
        )

    risk_cols = [
        "factor",
        "stratum_1",
        "stratum_2",
        "n_1",
        "n_2",
        "mean_1",
        "mean_2",
        "t",
        "df",
        "p",
        "significant",
    ]
    return GeodetectorResult(
        factor=factor,
        interaction=pd.DataFrame(
            inter,
            columns=["factor_1", "factor_2", "q1", "q2", "q12", "type", "strata", "singletons"],
        ),
        risk=pd.DataFrame(risk, columns=risk_cols),
        ecological=pd.DataFrame(
            eco,
            columns=["factor_1", "factor_2", "q_1", "q_2", "F", "df1", "df2", "p", "significant"],
        ),
        discretization=pd.DataFrame(
            tries, columns=["factor", "method", "k", "strata", "merged", "q", "chosen"]
        ),
        strata=pd.DataFrame(labels, index=ys.index),
        means=pd.DataFrame(means, columns=["factor", "stratum", "n", "mean", "x_min", "x_max"]),
        notes=tuple(notes),
    )
