"""Integration index over time: pooled entropy weights, TOPSIS and coupling coordination per
unit-year, change and annual rate per unit, class transitions (METHODS.md, Change over time).

Data in: ``panel``, a long DataFrame indexed by ``(unit, year)`` (unit: text ids, year:
integers) with one numeric column per indicator.

- Pooled (default): every unit-year is a row; min-max over the whole panel, one entropy
  weight vector, every unit-year scored with it, so a score in 2015 and one in 2020 are on
  one scale. ``pooled=False`` computes weights (and the normalisation) year by year: scores
  of different years are then not comparable, and ``.notes`` says so.
- Dimension scores ``score_<dim>`` are the partial sums ``sum_{j in dim} w_j Z_ij`` with
  the same weights, so when the dimensions partition the indicators they add up to
  ``integration_index``.
- CCD subsystem scores ``U_dim = score_dim / sum_{j in dim} w_j`` lie in [0, 1]. Because an
  indicator's entropy depends only on its own column, ``U_dim`` is exactly the entropy score
  computed on that subsystem's indicators alone (within-subsystem weights), as the CCD
  literature does.
- :func:`change`: the compound annual rate is ``(last / first) ** (1 / T) - 1`` with
  ``T = last_year - first_year`` (years elapsed), defined only when both values are > 0;
  the slope is the OLS slope of the value on the year over all the unit's years.

Everything is built on :mod:`urbanrural.analysis.integration` (``entropy_weights``,
``topsis``, ``coupling_coordination``, ``urban_rural_lag``): one implementation of each
formula.

Examples
--------
>>> import pandas as pd
>>> idx = pd.MultiIndex.from_product([["a", "b", "c"], [2019, 2020]], names=["unit", "year"])
>>> panel = pd.DataFrame({"gdp": [1.0, 2, 3, 4, 5, 7], "gap": [5.0, 4, 3, 3, 2, 1]}, index=idx)
>>> r = entropy_index(panel, directions={"gdp": "+", "gap": "-"})
>>> r.weights.round(4).to_dict()
{'gdp': 0.546, 'gap': 0.454}
>>> r.scores["integration_index"].round(3).unstack()
year   2019   2020
unit
a     0.000  0.205
b     0.409  0.500
c     0.705  1.000
>>> change(r.scores)[["change", "slope"]].round(3)
      change  slope
unit
a      0.205  0.205
b      0.091  0.091
c      0.295  0.295
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...geo.errors import DataError
from ...geo.registry import check_choice
from ...geo.validate import preview
from .. import integration as it

__all__ = ["entropy_index", "PanelIndex", "change", "class_transitions", "unit_transitions", "check_panel"]

MISSING = ("raise", "drop")
CCD_KEYS = ("subsystems", "method", "weights", "lag_threshold")


# ---------------------------------------------------------------------------------------------
# the data contract


def check_panel(panel: pd.DataFrame, *, columns: Sequence[str] | None = None, missing: str = "raise",
                numeric: bool | Sequence[str] = True, what: str = "panel") -> tuple[pd.DataFrame, list[str]]:
    """Check a long ``(unit, year)`` frame; collect every problem, then raise once.

    Rules: a 2-level MultiIndex ``(unit, year)`` with integer years; no duplicate
    ``(unit, year)``; at least 2 years; numeric values in the ``numeric`` columns (True: all
    of ``columns``; or a list of names); every unit present, without
    missing values, in every year (``missing="drop"`` drops
    the incomplete units instead and says how many in the returned notes).

    Returns
    -------
    (frame, notes)
        ``frame`` holds ``columns`` only, sorted by unit and year, years as ``int``.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_tuples([("a", 2019), ("a", 2020), ("b", 2019)])
    >>> f, notes = check_panel(pd.DataFrame({"x": [1.0, 2, 3]}, index=idx), missing="drop")
    >>> notes
    ["dropped 1 unit(s) missing a year or a value: 'b'"]
    """
    check_choice(missing, MISSING, what="missing policy")
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"{what} must be a DataFrame indexed by (unit, year); got {type(panel).__name__}")
    if not isinstance(panel.index, pd.MultiIndex) or panel.index.nlevels != 2:
        raise DataError(f"{what} must have a 2-level index (unit, year); got index names "
                        f"{list(panel.index.names)}; fix: panel.set_index(['unit', 'year'])")
    cols = list(panel.columns) if columns is None else list(columns)
    absent = [c for c in cols if c not in panel.columns]
    if absent:
        raise DataError(f"{what} has no column(s) {absent}; available: {list(panel.columns)[:30]}")
    problems: list[str] = []
    years = panel.index.get_level_values(1)
    try:
        yr = pd.to_numeric(pd.Series(years), errors="raise").to_numpy()
        if not np.all(np.mod(yr, 1) == 0):
            raise ValueError
        yr = yr.astype(int)
    except (TypeError, ValueError):
        raise DataError(f"{what}: years (second index level) must be integers; got e.g. "
                        f"{preview(pd.unique(years), 3)}; fix: convert them with astype(int)") from None
    frame = panel[cols].copy()
    frame.index = pd.MultiIndex.from_arrays([panel.index.get_level_values(0), yr],
                                            names=[panel.index.names[0] or "unit", panel.index.names[1] or "year"])
    dup = frame.index[frame.index.duplicated(keep=False)].unique()
    if len(dup):
        problems.append(f"duplicate (unit, year) rows for {preview(dup)}; keep one row per unit and year "
                        "(e.g. panel.groupby(level=[0, 1]).mean())")
    num_cols = cols if numeric is True else [] if numeric is False else list(numeric)
    if num_cols:
        for c in num_cols:
            if pd.api.types.is_bool_dtype(frame[c]) or not pd.api.types.is_numeric_dtype(frame[c]):
                num = pd.to_numeric(frame[c], errors="coerce")
                bad = frame[c][num.isna() & frame[c].notna()]
                if len(bad) or pd.api.types.is_bool_dtype(frame[c]):
                    problems.append(f"column {c!r} has non-numeric values (e.g. {preview(bad.astype(str).unique(), 3)} "
                                    f"at {preview(bad.index[:3])}); clean them or convert with pd.to_numeric")
                else:
                    frame[c] = num.astype(float)
    year_set = sorted(set(yr.tolist()))
    if len(year_set) < 2:
        problems.append(f"{what} has a single year {year_set}: change over time needs at least 2 years")
    if problems:
        raise DataError(f"{what} is unusable: " + "; ".join(problems))
    frame = frame.sort_index()
    counts = frame.groupby(level=0, sort=False).size()
    short = counts.index[counts < len(year_set)]
    nan_units = frame.index.get_level_values(0)[frame.isna().any(axis=1)].unique()
    incomplete = list(dict.fromkeys(list(short) + list(nan_units)))
    notes: list[str] = []
    if incomplete:
        if missing == "raise":
            parts = []
            if len(short):
                have = {u: sorted(frame.xs(u, level=0).index) for u in list(short)[:3]}
                parts.append(f"{len(short)} unit(s) miss a year of {year_set} ({preview(short)}; years present: "
                             f"{have})")
            if len(nan_units):
                parts.append(f"{len(nan_units)} unit(s) have missing values ({preview(nan_units)})")
            raise DataError(f"{what} is not balanced: " + "; ".join(parts) + "; fill them, or pass missing='drop' "
                            "to drop those units")
        frame = frame[~frame.index.get_level_values(0).isin(incomplete)]
        notes.append(f"dropped {len(incomplete)} unit(s) missing a year or a value: {preview(incomplete)}")
        if frame.empty:
            raise DataError(f"{what}: no complete unit remains after dropping incomplete ones")
    return frame, notes


# ---------------------------------------------------------------------------------------------
# the index


@dataclass(frozen=True)
class PanelIndex:
    """Integration index of every unit-year (see :func:`entropy_index`).

    Attributes
    ----------
    weights : Series or DataFrame
        Entropy weights per indicator (pooled), or a years x indicators frame (per year).
    scores : DataFrame
        On ``(unit, year)``: ``integration_index``, ``topsis``, ``score_<dim>``... and, with
        ``ccd``, ``ccd_U_<subsystem>``, ``ccd_C``, ``ccd_T``, ``ccd_D``, ``ccd_class`` (1..10,
        higher is better), ``ccd_label``, ``ccd_label_zh``, ``ccd_stage`` and ``ccd_lag``
        (two subsystems only).
    normalized : DataFrame
        Normalised indicators Z on ``(unit, year)``.
    notes : tuple of str
        Dropped units, comparability, dimension coverage.
    variant : str
        One sentence saying how the numbers were made.
    """

    weights: pd.Series | pd.DataFrame
    scores: pd.DataFrame
    normalized: pd.DataFrame
    notes: tuple[str, ...]
    variant: str
    pooled: bool = True
    dimensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted(self.scores.index.get_level_values(1).unique().tolist())

    def to_frame(self) -> pd.DataFrame:
        """The scores (a copy)."""
        return self.scores.copy()


def _check_dimensions(dimensions: Mapping[str, Sequence[str]] | None,
                      directions: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    if dimensions is None:
        return {}
    dims = {str(k): tuple(v) for k, v in dimensions.items()}
    problems = []
    seen: dict[str, str] = {}
    for d, cols in dims.items():
        if not cols:
            problems.append(f"dimension {d!r} has no indicators")
        unknown = [c for c in cols if c not in directions]
        if unknown:
            problems.append(f"dimension {d!r} lists {unknown}, which are not in directions ({list(directions)})")
        for c in cols:
            if c in seen:
                problems.append(f"indicator {c!r} is in both {seen[c]!r} and {d!r}; put it in one dimension")
            seen.setdefault(c, d)
    if problems:
        raise DataError("dimensions are unusable: " + "; ".join(problems))
    return dims


def _check_ccd(ccd: Mapping[str, Any] | None, dims: Mapping[str, tuple[str, ...]]) -> dict[str, Any] | None:
    if ccd is None:
        return None
    unknown = [k for k in ccd if k not in CCD_KEYS]
    if unknown:
        raise DataError(f"unknown ccd option(s) {unknown}; valid: {list(CCD_KEYS)}")
    subs = list(ccd.get("subsystems", []))
    if len(subs) < 2 or any(s not in dims for s in subs):
        raise DataError(f"ccd subsystems must name at least 2 of the dimensions {list(dims)}; got {subs}; "
                        "fix: pass dimensions={'urban': [...], 'rural': [...]} and ccd={'subsystems': "
                        "['urban', 'rural']}")
    method = check_choice(ccd.get("method", "standard"), it.CCD_METHODS, what="CCD method")
    return {"subsystems": subs, "method": method, "weights": ccd.get("weights"),
            "lag_threshold": float(ccd.get("lag_threshold", 0.1))}


def _score_block(x: pd.DataFrame, directions: Mapping[str, str], normalization: str,
                 dims: Mapping[str, tuple[str, ...]]) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """Weights, normalised frame and scores of one block of rows (the panel, or a year)."""
    ent = it.entropy_weights(x, directions=directions, normalization=normalization)
    w = ent.weights
    out = pd.DataFrame({"integration_index": ent.scores}, index=x.index)
    out["topsis"] = it.topsis(x, directions=directions, weights=w, normalization=normalization)
    for d, cols in dims.items():
        out[f"score_{d}"] = (ent.normalized[list(cols)] * w[list(cols)]).sum(axis=1)
    return w, ent.normalized, out


def entropy_index(panel: pd.DataFrame, *, directions: Mapping[str, str], pooled: bool = True,
                  normalization: str = "minmax", dimensions: Mapping[str, Sequence[str]] | None = None,
                  ccd: Mapping[str, Any] | None = None, missing: str = "raise") -> PanelIndex:
    """Entropy-weight integration index, TOPSIS and (optionally) CCD for every unit-year.

    Parameters
    ----------
    panel : DataFrame
        Indexed by ``(unit, year)``, one numeric column per indicator.
    directions : mapping
        Indicator -> ``"+"`` (more is better) or ``"-"``.
    pooled : bool, default True
        One normalisation and one weight vector over all unit-years (comparable over time).
        False: per year (``.weights`` is years x indicators; years are not comparable).
    normalization : {"minmax", "shift", "rescale"}
        As :func:`urbanrural.analysis.integration.normalize` (rescale: [0.01, 0.99]).
    dimensions : mapping, optional
        ``{dim: [indicator, ...]}``: adds ``score_<dim>``, the weighted sum of the
        dimension's indicators with the same weights (an indicator in one dimension only).
    ccd : mapping, optional
        ``{"subsystems": [urban, rural], "method": "standard"}`` (and optionally
        ``"weights"`` for T, ``"lag_threshold"``, default 0.1): coupling coordination of the
        named dimensions per unit-year on ``U_dim = score_dim / sum_{j in dim} w_j``; the
        lag type (Xu et al. 2020) compares the first subsystem (urban) with the second.
    missing : {"raise", "drop"}
        Units missing a year or a value: refuse, or drop them (counted in ``.notes``).

    Returns
    -------
    PanelIndex

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["a", "b", "c"], [2019, 2020]], names=["unit", "year"])
    >>> p = pd.DataFrame({"u1": [1.0, 2, 3, 4, 5, 6], "u2": [2.0, 2, 3, 5, 4, 6],
    ...                   "r1": [9.0, 8, 4, 3, 2, 1]}, index=idx)
    >>> r = entropy_index(p, directions={"u1": "+", "u2": "+", "r1": "-"},
    ...                   dimensions={"urban": ["u1", "u2"], "rural": ["r1"]},
    ...                   ccd={"subsystems": ["urban", "rural"]})
    >>> row = r.scores.loc[("b", 2020)]
    >>> round(float(row["ccd_D"]), 4), int(row["ccd_class"]), row["ccd_label"], row["ccd_lag"]
    (0.8495, 9, 'good coordination', 'synchronous')
    """
    check_choice(normalization, it.NORMALIZATIONS, what="normalization")
    if not isinstance(directions, Mapping) or not directions:
        raise DataError("directions must map each indicator to '+' or '-', e.g. {'gdp': '+', 'gap': '-'}")
    bad = {c: d for c, d in directions.items() if d not in ("+", "-")}
    if bad:
        raise DataError(f"directions must be '+' or '-'; got {bad}")
    dims = _check_dimensions(dimensions, directions)
    cc = _check_ccd(ccd, dims)
    frame, notes = check_panel(panel, columns=list(directions), missing=missing)
    years = sorted(frame.index.get_level_values(1).unique())
    n_units = frame.index.get_level_values(0).nunique()
    if pooled:
        weights, z, scores = _score_block(frame, directions, normalization, dims)
        wsum = {d: float(weights[list(c)].sum()) for d, c in dims.items()}
        wsum_by_row = {d: pd.Series(s, index=frame.index) for d, s in wsum.items()}
        variant = (f"pooled entropy weights: {n_units} units x {len(years)} years ({len(frame)} unit-years) "
                   f"stacked, {normalization} normalisation over the whole panel, one weight vector; "
                   "TOPSIS with the same weights")
    else:
        wrows, zs, ss, wsum_rows = {}, [], [], {d: [] for d in dims}
        for y in years:
            block = frame.xs(y, level=1, drop_level=False)
            try:
                w, zy, sy = _score_block(block, directions, normalization, dims)
            except DataError as exc:
                raise DataError(f"year {y}: {exc}") from None
            wrows[y] = w
            zs.append(zy)
            ss.append(sy)
            for d, c in dims.items():
                wsum_rows[d].append(pd.Series(float(w[list(c)].sum()), index=block.index))
        weights = pd.DataFrame(wrows).T.rename_axis("year")
        z, scores = pd.concat(zs).sort_index(), pd.concat(ss).sort_index()
        wsum_by_row = {d: pd.concat(v).reindex(scores.index) for d, v in wsum_rows.items()}
        variant = (f"per-year entropy weights: {n_units} units, {len(years)} years, {normalization} "
                   "normalisation and weights within each year; TOPSIS per year")
        notes.append("weights and normalisation are computed per year, so scores of different years are not "
                     "comparable (use pooled=True to compare years)")
    if dims:
        covered = {c for cols in dims.values() for c in cols}
        left = [c for c in directions if c not in covered]
        if left:
            notes.append(f"indicators {left} are in no dimension: the score_<dim> columns do not add up to "
                         "integration_index")
    if cc is not None:
        subs = cc["subsystems"]
        u = pd.DataFrame({s: scores[f"score_{s}"] / wsum_by_row[s] for s in subs})
        u = u.clip(0.0, 1.0)  # guards against 1 + 1e-16 from floating point only
        out = it.coupling_coordination(u, method=cc["method"], weights=cc["weights"])
        for s in subs:
            scores[f"ccd_U_{s}"] = u[s]
        scores["ccd_C"], scores["ccd_T"], scores["ccd_D"] = out["C"], out["T"], out["D"]
        scores["ccd_class"] = out["level"]
        scores["ccd_label"], scores["ccd_label_zh"], scores["ccd_stage"] = \
            out["label_en"], out["label_zh"], out["stage_en"]
        if len(subs) == 2:
            scores["ccd_lag"] = it.urban_rural_lag(u[subs[0]], u[subs[1]], threshold=cc["lag_threshold"])
        variant += (f"; CCD {cc['method']} on {', '.join(subs)} (subsystem scores with within-subsystem weights "
                    "w_j / sum of the subsystem's w)")
    return PanelIndex(weights=weights, scores=scores, normalized=z, notes=tuple(notes), variant=variant,
                      pooled=pooled, dimensions=dims)


# ---------------------------------------------------------------------------------------------
# change and transitions


def _one_column(scores: pd.DataFrame | pd.Series | PanelIndex, column: str | None,
                what: str) -> tuple[pd.DataFrame, str]:
    if isinstance(scores, PanelIndex):
        scores = scores.scores
    if isinstance(scores, pd.Series):
        frame = scores.to_frame(column or scores.name or "value")
        column = frame.columns[0]
    elif isinstance(scores, pd.DataFrame):
        frame = scores
        if column not in frame.columns:
            raise DataError(f"{what} has no column {column!r}; available: {list(frame.columns)[:30]}; "
                            "pass column=...")
    else:
        raise DataError(f"{what} must be a (unit, year)-indexed DataFrame or Series; got {type(scores).__name__}")
    return frame[[column]], column


def change(scores: pd.DataFrame | pd.Series | PanelIndex, *, column: str = "integration_index") -> pd.DataFrame:
    """Change of one score per unit between its first and last year.

    Returns
    -------
    DataFrame
        Per unit: ``first_year``, ``last_year``, ``first``, ``last``, ``change`` (last -
        first), ``annual_rate`` = ``(last / first) ** (1 / T) - 1`` with ``T = last_year -
        first_year`` (compound, NaN unless both values are > 0) and ``slope`` (OLS slope of
        the value on the year, all years, per year).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([0.2, 0.25, 0.242], name="idx",
    ...               index=pd.MultiIndex.from_product([["a"], [2018, 2019, 2020]]))
    >>> change(s, column="idx").round(4).to_dict("records")
    [{'first_year': 2018, 'last_year': 2020, 'first': 0.2, 'last': 0.242, 'change': 0.042, 'annual_rate': 0.1, 'slope': 0.021}]
    """
    frame, column = _one_column(scores, column, "scores")
    frame, _ = check_panel(frame, columns=[column], missing="raise", what="scores")
    v = frame[column]
    rows = {}
    for unit, s in v.groupby(level=0, sort=False):
        yrs = s.index.get_level_values(1).to_numpy(dtype=float)
        vals = s.to_numpy(dtype=float)
        f, l_ = vals[0], vals[-1]
        t = yrs[-1] - yrs[0]
        rate = (l_ / f) ** (1.0 / t) - 1.0 if f > 0 and l_ > 0 else np.nan
        slope = np.polyfit(yrs, vals, 1)[0]
        rows[unit] = {"first_year": int(yrs[0]), "last_year": int(yrs[-1]), "first": f, "last": l_,
                      "change": l_ - f, "annual_rate": rate, "slope": slope}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = v.index.names[0]
    return out


def _class_table(classes: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Units x years table of classes from a (unit, year) Series or a units x years frame."""
    if isinstance(classes, pd.Series):
        if not isinstance(classes.index, pd.MultiIndex) or classes.index.nlevels != 2:
            raise DataError("classes must be a (unit, year)-indexed Series (e.g. scores['ccd_class']) or a "
                            "units x years frame")
        dup = classes.index[classes.index.duplicated(keep=False)].unique()
        if len(dup):
            raise DataError(f"classes have duplicate (unit, year) entries for {preview(dup)}; keep one per unit "
                            "and year")
        table = classes.unstack(level=1)
    elif isinstance(classes, pd.DataFrame) and not isinstance(classes.index, pd.MultiIndex):
        table = classes
    else:
        raise DataError("classes must be a (unit, year)-indexed Series (e.g. scores['ccd_class']) or a units x "
                        f"years frame; got {type(classes).__name__}")
    if table.shape[1] < 2:
        raise DataError(f"classes cover a single year {list(table.columns)}: transitions need at least 2 years")
    return table


def unit_transitions(classes: pd.Series | pd.DataFrame, *, first: int | None = None,
                     last: int | None = None) -> pd.DataFrame:
    """Each unit's class in the first and the last year (the long form of the transitions).

    Returns
    -------
    DataFrame
        Per unit: ``from``, ``to`` and ``move``: ``"up"``/``"down"``/``"same"`` when the
        classes are numbers (higher = up), else ``"changed"``/``"same"``.
        ``attrs["first"]``, ``attrs["last"]`` hold the two years.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({2015: [3, 4, 5], 2020: [4, 4, 3]}, index=["a", "b", "c"])
    >>> unit_transitions(t)["move"].tolist()
    ['up', 'same', 'down']
    """
    table = _class_table(classes)
    years = list(table.columns)
    y0 = years[0] if first is None else first
    y1 = years[-1] if last is None else last
    absent = [y for y in (y0, y1) if y not in years]
    if absent:
        raise DataError(f"year(s) {absent} not in the classes; years present: {years}")
    if y0 == y1:
        raise DataError(f"first and last year are both {y0}; pick two different years")
    pair = table[[y0, y1]]
    gaps = pair.index[pair.isna().any(axis=1)]
    if len(gaps):
        raise DataError(f"{len(gaps)} unit(s) have no class in {y0} or {y1} ({preview(gaps)}); select units present "
                        "in both years")
    out = pd.DataFrame({"from": pair[y0], "to": pair[y1]}, index=pair.index)
    if pd.api.types.is_numeric_dtype(pair[y0]) and pd.api.types.is_numeric_dtype(pair[y1]):
        out["move"] = np.where(out["to"] > out["from"], "up", np.where(out["to"] < out["from"], "down", "same"))
    else:
        out["move"] = np.where(out["to"] == out["from"], "same", "changed")
    out.attrs.update(first=y0, last=y1)
    return out


def class_transitions(classes: pd.Series | pd.DataFrame, *, first: int | None = None,
                      last: int | None = None) -> pd.DataFrame:
    """Crosstab of units' class in the first year (rows) against the last year (columns).

    Rows and columns both list every class seen in either year (sorted), so the table is
    square and its diagonal holds the units that kept their class. The per-unit long form
    is :func:`unit_transitions`.

    Parameters
    ----------
    classes : Series or DataFrame
        ``(unit, year)``-indexed Series (e.g. ``scores["ccd_class"]``) or units x years frame.
    first, last : int, optional
        The two years (default: the first and last year present).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({2015: [3, 4, 4, 5], 2020: [4, 4, 5, 3]}, index=list("abcd"))
    >>> class_transitions(t)
    2020  3  4  5
    2015
    3     0  1  0
    4     0  1  1
    5     1  0  0
    """
    pairs = unit_transitions(classes, first=first, last=last)
    cats = sorted(set(pairs["from"]) | set(pairs["to"]))
    tab = pd.crosstab(pairs["from"], pairs["to"]).reindex(index=cats, columns=cats, fill_value=0)
    tab.index.name, tab.columns.name = pairs.attrs["first"], pairs.attrs["last"]
    return tab.astype(int)
