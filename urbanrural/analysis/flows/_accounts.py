"""Flow accounts: in, out, net, gross and intra-unit flows; pair and group balances.

For one kind of flow (labour, land, capital...) and one year, with F_ij the volume from
unit i to unit j (METHODS.md, section Flows):

- in_i = sum_{j != i} F_ji, out_i = sum_{j != i} F_ij, net = in - out, gross = in + out;
  the intra-unit flow F_ii is kept apart (``intra``) and is in neither in nor out, so
  over all units sum in = sum out (exactly for whole-number volumes such as head counts;
  to rounding, about 1e-15 relative, for fractional ones).
- Pair balance b_ij = min(F_ij, F_ji) / max(F_ij, F_ji): 0 one-way, 1 balanced, NaN
  when there is no flow either way. The symmetry form s = 1 - |F_ij - F_ji| /
  (F_ij + F_ji) is a monotone transform of it: s = 2 b / (1 + b).
- Group accounts: a class-by-class matrix (rows origin class, columns destination class)
  of between-unit flows, and per pair of classes the two directions and their balance.
- :meth:`FlowAccounts.summary` answers the two-way question in one sentence, with the
  balance read by :data:`BALANCE_BANDS`.

Examples
--------
>>> import pandas as pd
>>> flows = pd.DataFrame({"origin": ["a", "a", "b", "c", "a"],
...                       "destination": ["b", "c", "a", "a", "a"],
...                       "volume": [30.0, 10.0, 10.0, 5.0, 7.0]})
>>> acc = accounts(flows)
>>> acc.per_unit[["in", "out", "net", "intra"]]
        in   out   net  intra
unit
a     15.0  40.0 -25.0    7.0
b     30.0  10.0  20.0    0.0
c     10.0   5.0   5.0    0.0
>>> acc.pairs[["origin", "destination", "forward", "backward", "balance"]]
  origin destination  forward  backward   balance
0      a           b     30.0      10.0  0.333333
1      a           c     10.0       5.0  0.500000
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ...geo.errors import DataError, IdError, JoinError, UnknownNameError
from ...geo.validate import preview

__all__ = ["FlowAccounts", "accounts", "balance_index", "BALANCE_BANDS"]

logger = logging.getLogger("urbanrural")

REQUIRED = ("origin", "destination", "volume")

#: Verbal reading of a balance b = min/max, as (lower bound, English, Chinese): a band
#: holds lower <= b < next lower bound. b < 1/3 means the weaker direction carries less
#: than a third of the stronger one; b >= 2/3 means more than two thirds.
BALANCE_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.0, "strongly one-way", "明显单向"),
    (0.33, "unbalanced", "不平衡"),
    (0.67, "fairly balanced", "较为平衡"),
)

#: Chinese names of the designation classes used in summaries; other labels as given.
_ZH_GROUPS = {"rural": "乡村", "urban": "城镇"}  # as the map labels (maps.labels)
_LANGUAGES = ("en", "zh")


# --------------------------------------------------------------------------- checks


def _rows(index: pd.Index, mask: NDArray[np.bool_], n: int = 3) -> str:
    """First rows (index labels) where ``mask`` holds, for messages."""
    return preview(index[mask], n)


def _check_text_ids(values: pd.Series, *, what: str, problems: list[str]) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        problems.append(f"{what} has {int(missing.sum())} missing id(s) (rows {_rows(values.index, missing)}): "
                        "every flow needs an origin and a destination; fill or drop these rows")
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "empty"):
        bad = ~values.map(lambda x: isinstance(x, str) or x is None or x != x).to_numpy(dtype=bool)
        first = values[bad].head(3)
        shown = ", ".join(f"{i} ({type(x).__name__} {x!r})" for i, x in first.items())
        problems.append(f"{what} holds {int(bad.sum())} id(s) that are not text (rows {shown}): "
                        f"unit ids are text; convert with .astype(str) and keep leading zeros "
                        f"(e.g. '001001', not 1001)")


def check_flows(flows: pd.DataFrame, *, name: str = "flows") -> NDArray[np.float64]:
    """Check an OD table (``origin``, ``destination``, ``volume``); return the volumes as floats.

    Every problem is collected, then one :class:`~urbanrural.geo.errors.DataError` is
    raised naming each rule and its fix. Duplicate (origin, destination) rows are
    allowed: the callers sum them.

    Examples
    --------
    >>> check_flows(pd.DataFrame({"origin": ["a"], "destination": ["b"], "volume": [-1]}))
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.DataError: flows cannot be used: flows.volume has 1 negative ...
    """
    if not isinstance(flows, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame with columns origin, destination, "
                        f"volume; got {type(flows).__name__}")
    missing = [c for c in REQUIRED if c not in flows.columns]
    if missing:
        raise DataError(f"{name} is missing column(s) {preview(missing)}: an OD table needs origin, "
                        f"destination and volume; rename yours, e.g. "
                        f"{name}.rename(columns={{'from': 'origin', 'to': 'destination', 'count': 'volume'}}) "
                        f"(it has {preview(flows.columns, 8)})")
    problems: list[str] = []
    for col in ("kind", "year"):
        if col in flows.columns:
            vals = pd.unique(flows[col])
            if len(vals) > 1:
                problems.append(f"column '{col}' holds {len(vals)} values ({preview(vals)}): accounts are "
                                f"for one kind and one year; filter by kind/year first, e.g. "
                                f"{name}[{name}['{col}'] == {vals[0]!r}]")
    for col in ("origin", "destination"):
        _check_text_ids(flows[col], what=f"{name}.{col}", problems=problems)
    v = pd.to_numeric(flows["volume"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(v)
    if bad.any():
        problems.append(f"{name}.volume has {int(bad.sum())} missing, non-numeric or infinite value(s) "
                        f"(rows {_rows(flows.index, bad)}): volumes are numbers >= 0; fill or drop these rows")
    neg = v < 0
    if neg.any():
        first = flows.loc[neg, ["origin", "destination"]].head(3)
        shown = ", ".join(f"{i} ({o}->{d}: {x:g})"
                          for (i, (o, d)), x in zip(first.iterrows(), v[neg][:3], strict=False))
        problems.append(f"{name}.volume has {int(neg.sum())} negative value(s) (rows {shown}): volumes are "
                        f">= 0; a flow the other way is a row with origin and destination swapped; "
                        f"fix or drop these rows")
    if problems:
        raise DataError(f"{name} cannot be used: " + "; ".join(problems))
    return v


def unit_index(units: Any, ids: Iterable[Hashable] = (), *, name: str = "units") -> pd.Index:
    """The units' index: ``units`` as given (a DataFrame gives its index), else sorted ``ids``."""
    if units is None:
        return pd.Index(sorted(ids), name="unit")
    idx = pd.Index(units.index if isinstance(units, pd.DataFrame) else units, name="unit")
    problems: list[str] = []
    if idx.isna().any():
        problems.append(f"{int(idx.isna().sum())} missing id(s)")
    if pd.api.types.infer_dtype(idx, skipna=True) not in ("string", "empty"):
        problems.append("ids that are not text (convert with .astype(str), keeping leading zeros)")
    if idx.has_duplicates:
        problems.append(f"duplicated id(s) {preview(idx[idx.duplicated()].unique())}")
    if problems:
        raise IdError(f"{name} has " + "; ".join(problems) + ": pass each unit id once, as text")
    return idx


def codes(ids: Any, idx: pd.Index, *, what: str, name: str = "units") -> NDArray[np.int64]:
    """Positions of ``ids`` in ``idx``; ids not in ``idx`` raise a JoinError naming a few."""
    pos = idx.get_indexer(ids)
    if (pos < 0).any():
        unknown = pd.unique(np.asarray(ids, dtype=object)[pos < 0])
        raise JoinError(f"{what} name(s) {len(unknown)} unit id(s) not in {name}: {preview(unknown)}; pass every "
                        f"unit in {name}= or drop those rows (ids are text: '001001' is not '1001')")
    return pos.astype(np.int64)


def od_codes(flows: pd.DataFrame, *, units: Any = None, name: str = "flows"
             ) -> tuple[pd.Index, NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Checked flows as (units' index, origin positions, destination positions, volumes)."""
    v = check_flows(flows, name=name)
    m = len(flows)
    both, uniq = pd.factorize(pd.concat([flows["origin"], flows["destination"]], ignore_index=True))
    idx = unit_index(units, uniq)
    pos = codes(uniq, idx, what=name)
    return idx, pos[both[:m]], pos[both[m:]], v


def numeric_by_unit(values: Any, idx: pd.Index, *, name: str, allow_zero: bool = True) -> NDArray[np.float64]:
    """A Series by unit id aligned to ``idx`` as floats; gaps, NaN and negatives raise."""
    if not isinstance(values, pd.Series):
        raise DataError(f"{name} must be a pandas Series indexed by unit id; got {type(values).__name__}")
    if values.index.has_duplicates:
        raise IdError(f"{name} has duplicated unit id(s) {preview(values.index[values.index.duplicated()].unique())}: "
                      "give one value per unit")
    absent = idx[~idx.isin(values.index)]
    if len(absent):
        raise JoinError(f"{name} has no value for {len(absent)} unit(s): {preview(absent)}; give a value for "
                        f"every unit (ids are text: '001001' is not '1001')")
    s = pd.to_numeric(values.reindex(idx), errors="coerce").astype(float)
    v = s.to_numpy()
    problems = []
    rule = ">= 0" if allow_zero else "> 0"
    if (~np.isfinite(v)).any():
        problems.append(f"missing, non-numeric or infinite values for {preview(idx[~np.isfinite(v)])}")
    if (v < 0).any() or (not allow_zero and (v == 0).any()):
        low = (v < 0) if allow_zero else (v <= 0)
        problems.append(f"values that are not {rule} for {preview(idx[low])}")
    if problems:
        raise DataError(f"{name} has " + "; ".join(problems) + f": give every unit a number {rule} "
                        "(or leave those units out of the analysis)")
    return v


def cost_lookup(distance: pd.DataFrame, idx: pd.Index, o: NDArray[np.int64], d: NDArray[np.int64], *,
                name: str = "distance") -> NDArray[np.float64]:
    """Cost (km) for each (o, d) pair of unit positions, from a long or a square table.

    Long form: columns ``origin``, ``destination``, ``cost``. Square form: a DataFrame
    with unit ids on both axes. A pair given in one direction only is read as symmetric
    (the count is logged). Missing pairs, NaN and negative costs raise.
    """
    if not isinstance(distance, pd.DataFrame):
        raise DataError(f"{name} must be a DataFrame (origin, destination, cost in km) or a square DataFrame "
                        f"indexed by unit id on both axes; got {type(distance).__name__}")
    n = len(idx)
    if {"origin", "destination", "cost"} <= set(distance.columns):
        cost = pd.to_numeric(distance["cost"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(cost) | (cost < 0)
        if bad.any():
            raise DataError(f"{name}.cost has {int(bad.sum())} missing, negative or infinite value(s) "
                            f"(rows {_rows(distance.index, bad)}): costs are distances in km >= 0; fix or drop them")
        do = idx.get_indexer(distance["origin"].to_numpy())
        dd = idx.get_indexer(distance["destination"].to_numpy())
        keep = (do >= 0) & (dd >= 0)
        key = do[keep].astype(np.int64) * n + dd[keep]
        cost = cost[keep]
        order = np.argsort(key, kind="stable")
        key, cost = key[order], cost[order]
        dup = np.flatnonzero(key[1:] == key[:-1])
        if len(dup) and (cost[dup] != cost[dup + 1]).any():
            k = key[dup[cost[dup] != cost[dup + 1]]]
            raise DataError(f"{name} gives different costs for the same pair(s) "
                            f"{preview(f'{idx[a]}->{idx[b]}' for a, b in zip(k // n, k % n, strict=True))}: keep one row per pair")
        want = o.astype(np.int64) * n + d
        rev = d.astype(np.int64) * n + o

        def find(k: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
            if len(key) == 0:
                return np.zeros(len(k), dtype=np.int64), np.zeros(len(k), dtype=bool)
            p = np.minimum(np.searchsorted(key, k), len(key) - 1)
            return p, key[p] == k

        p, found = find(want)
        out = np.where(found, cost[p], np.nan)
        if not found.all():
            pr, found_r = find(rev)
            use = ~found & found_r
            if use.any():
                out[use] = cost[pr[use]]
                logger.info("%s: %d pair(s) given in one direction only, read as symmetric", name, int(use.sum()))
            found = found | found_r
    else:
        rows, cols = pd.Index(distance.index), pd.Index(distance.columns)
        if not (set(idx) <= set(rows) and set(idx) <= set(cols)):
            lacking = [u for u in idx if u not in set(rows) or u not in set(cols)]
            raise DataError(f"{name} has neither columns origin, destination, cost nor every unit on both axes "
                            f"of a square table (missing {preview(lacking)}): pass a long table "
                            f"(origin, destination, cost in km) or a square one indexed by unit id")
        m = distance.reindex(index=idx, columns=idx).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        out = m[o, d]
        found = ~np.isnan(out)
        bad = found & (~np.isfinite(out) | (out < 0))
        if bad.any():
            raise DataError(f"{name} has {int(bad.sum())} negative or infinite cost(s), e.g. "
                            f"{preview(f'{idx[a]}->{idx[b]}' for a, b in zip(o[bad], d[bad], strict=True))}: costs are km >= 0")
    if not found.all():
        raise DataError(f"{name} has no cost for {int((~found).sum())} pair(s): "
                        f"{preview(f'{idx[a]}->{idx[b]}' for a, b in zip(o[~found], d[~found], strict=True))}; "
                        f"add them (cost in km) to the table")
    return out


# --------------------------------------------------------------------------- balance


def balance_index(a: ArrayLike, b: ArrayLike, *, form: Literal["minmax", "symmetry"] = "minmax") -> Any:
    """Two-way balance of volumes ``a`` and ``b``, element by element.

    ``form="minmax"`` (default): min(a, b) / max(a, b). ``form="symmetry"``:
    1 - |a - b| / (a + b) = 2 min / (a + b). Both are 0 for a one-way flow, 1 for equal
    flows and NaN when both are 0; symmetry = 2 b / (1 + b) for balance b.

    Parameters
    ----------
    a, b : float, array-like or Series
        Volumes >= 0 of the two directions (Series are aligned on their index).
    form : {"minmax", "symmetry"}
        Which form of the index.

    Returns
    -------
    float, ndarray or Series
        A float for scalars, a Series for a Series ``a``, else an ndarray.

    Examples
    --------
    >>> balance_index(30, 10)
    0.3333333333333333
    >>> balance_index([30, 5, 0], [10, 0, 0], form="symmetry")
    array([0.5, 0. , nan])
    """
    if form not in ("minmax", "symmetry"):
        raise UnknownNameError(f"form={form!r} is not a balance form; use 'minmax' or 'symmetry'")
    index = None
    if isinstance(a, pd.Series):
        if isinstance(b, pd.Series):
            a, b = a.align(b)
        index = a.index
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    for nm, arr in (("a", x), ("b", y)):
        if np.isnan(arr).any() or (arr < 0).any():
            raise DataError(f"balance_index: {nm} has missing or negative volumes; volumes are >= 0 "
                            f"(fill gaps with 0 where there is no flow)")
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = lo / hi if form == "minmax" else 2 * lo / (x + y)
    if index is not None:
        return pd.Series(out, index=index, name=f"balance_{form}" if form != "minmax" else "balance")
    return float(out) if out.ndim == 0 else out


def band(balance: float, language: str = "en") -> str:
    """Verbal band of a balance (:data:`BALANCE_BANDS`)."""
    words = [(lo, en if language == "en" else zh) for lo, en, zh in BALANCE_BANDS]
    text = words[0][1]
    for lo, w in words:
        if balance >= lo:
            text = w
    return text


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True, eq=False)
class FlowAccounts:
    """Accounts of one kind of flow in one year (see :func:`accounts`).

    Attributes
    ----------
    per_unit : DataFrame
        Indexed by unit id: in, out, net, gross, intra, intra_share, balance; with
        population also in_per_1000, out_per_1000, net_per_1000; with distance also
        mean_distance_km.
    pairs : DataFrame
        One row per unordered pair of distinct units with any flow: origin, destination
        (origin < destination as text), forward (origin -> destination), backward,
        total, balance, symmetry; with groups also origin_group, destination_group.
    by_group : DataFrame or None
        Group x group volumes between units (rows origin group, columns destination group).
    group_pairs : DataFrame or None
        Per unordered pair of distinct groups: group_a, group_b, a_to_b, b_to_a, total,
        balance, symmetry, share_of_total (of all between-unit volume).
    total : float
        Volume between distinct units (= sum in = sum out).
    intra_total : float
        Volume staying within units.
    kind, year : object or None
        The single value of the table's ``kind`` / ``year`` column, if it had one.
    """

    per_unit: pd.DataFrame = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)
    by_group: pd.DataFrame | None = field(default=None, repr=False)
    group_pairs: pd.DataFrame | None = field(default=None, repr=False)
    total: float = 0.0
    intra_total: float = 0.0
    kind: Any = None
    year: Any = None

    def to_frame(self) -> pd.DataFrame:
        """The per-unit table (a copy)."""
        return self.per_unit.copy()

    def summary(self, *, language: Literal["en", "zh"] = "en", group_a: Hashable = "rural",
                group_b: Hashable = "urban") -> str:
        """One sentence on the two directions between ``group_a`` and ``group_b``.

        The balance is min/max of the two directions, read by :data:`BALANCE_BANDS`:
        below 0.33 strongly one-way (明显单向), 0.33 to below 0.67 unbalanced (不平衡),
        0.67 and above fairly balanced (较为平衡).

        Examples
        --------
        >>> import pandas as pd
        >>> f = pd.DataFrame({"origin": ["v1", "t1"], "destination": ["t1", "v1"],
        ...                   "volume": [12340, 2100]})
        >>> acc = accounts(f, groups=pd.Series({"v1": "rural", "t1": "urban"}))
        >>> acc.summary()
        'Rural->urban 12,340 vs urban->rural 2,100: balance 0.17 (strongly one-way).'
        >>> acc.summary(language="zh")
        '乡村→城镇 12,340，城镇→乡村 2,100：双向平衡指数 0.17（明显单向）'
        """
        if language not in _LANGUAGES:
            raise UnknownNameError(f"language={language!r} is not supported; use one of {preview(_LANGUAGES)}")
        if self.by_group is None:
            raise DataError("summary needs groups: call accounts(flows, groups=...) with a class per unit "
                            "(e.g. 'urban'/'rural')")
        labels = list(self.by_group.index)
        for g in (group_a, group_b):
            if g not in labels:
                raise UnknownNameError(f"group {g!r} is not among the groups {preview(labels)}; "
                                       f"pass group_a= and group_b= from them")
        ab = float(self.by_group.loc[group_a, group_b])
        ba = float(self.by_group.loc[group_b, group_a])
        b = balance_index(ab, ba)
        if language == "en":
            a_name, b_name = str(group_a), str(group_b)
            head = f"{a_name[:1].upper()}{a_name[1:]}->{b_name} {_num(ab)} vs {b_name}->{a_name} {_num(ba)}"
            if np.isnan(b):
                return f"{head}: no flow either way."
            return f"{head}: balance {b:.2f} ({band(b, 'en')})."
        a_name = _ZH_GROUPS.get(str(group_a), str(group_a))
        b_name = _ZH_GROUPS.get(str(group_b), str(group_b))
        head = f"{a_name}→{b_name} {_num(ab)}，{b_name}→{a_name} {_num(ba)}"
        if np.isnan(b):
            return f"{head}：两个方向均无流动"
        return f"{head}：双向平衡指数 {b:.2f}（{band(b, 'zh')}）"


def _wsum(positions: NDArray[np.int64], *, weights: NDArray[np.float64], minlength: int) -> NDArray[np.float64]:
    """Weights summed by position, as floats even when there is nothing to sum."""
    return np.bincount(positions, weights=weights, minlength=minlength).astype(float, copy=False)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 100 else f"{x:,.2f}"


def _single(flows: pd.DataFrame, col: str) -> Any:
    if col not in flows.columns or len(flows) == 0:
        return None
    v = flows[col].iloc[0]
    return v.item() if isinstance(v, np.generic) else v


def _groups(groups: pd.Series, idx: pd.Index) -> tuple[list[Hashable], NDArray[np.int64]]:
    """Group labels (categories in order, else sorted) and each unit's label position."""
    if not isinstance(groups, pd.Series):
        raise DataError(f"groups must be a pandas Series of class labels indexed by unit id; "
                        f"got {type(groups).__name__}")
    if groups.index.has_duplicates:
        raise IdError(f"groups has duplicated unit id(s) {preview(groups.index[groups.index.duplicated()].unique())}")
    g = groups.reindex(idx)
    lacking = idx[g.isna().to_numpy()]
    if len(lacking):
        raise JoinError(f"groups has no class for {len(lacking)} unit(s): {preview(lacking)}; give every unit "
                        f"a class (e.g. 'urban'/'rural') or leave it out of units=")
    if isinstance(groups.dtype, pd.CategoricalDtype):
        labels = list(groups.cat.categories)
    else:
        labels = sorted(pd.unique(g.to_numpy()), key=str)
    return labels, pd.Index(labels).get_indexer(g.to_numpy()).astype(np.int64)


def accounts(flows: pd.DataFrame, *, units: Any = None, groups: pd.Series | None = None,
             population: pd.Series | None = None, distance: pd.DataFrame | None = None) -> FlowAccounts:
    """In, out, net, gross and intra-unit flows per unit; balances per pair and group.

    Parameters
    ----------
    flows : DataFrame
        ``origin``, ``destination`` (text unit ids), ``volume`` (>= 0); one kind and one
        year (a ``kind`` or ``year`` column, if present, must hold one value). Duplicate
        (origin, destination) rows are summed; zero volumes count as no flow.
    units : Index, sequence or DataFrame, optional
        All unit ids (a DataFrame gives its index), so units without flows get zero
        rows; flows naming other ids raise. Default: the ids in ``flows``, sorted.
    groups : Series, optional
        A class per unit id (e.g. "urban"/"rural", or any grouping); adds
        ``by_group``, ``group_pairs`` and the pairs' group columns. A categorical
        Series gives the order of the groups; otherwise they are sorted.
    population : Series, optional
        Residents per unit id; adds in/out/net per 1,000 residents (``*_per_1000``,
        NaN for a unit with no residents).
    distance : DataFrame, optional
        ``origin``, ``destination``, ``cost`` in km (or a square table by unit id); adds
        ``mean_distance_km``, the volume-weighted mean distance of each unit's outflows
        (NaN with no outflow).

    Returns
    -------
    FlowAccounts

    Raises
    ------
    DataError
        Missing columns, non-text ids, missing or negative volumes, several kinds or
        years, ids outside ``units``, gaps in ``groups``/``population``/``distance``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"origin": ["a", "b", "b"], "destination": ["b", "a", "a"],
    ...                   "volume": [8.0, 1.0, 1.0]})
    >>> acc = accounts(f, units=["a", "b", "c"], population=pd.Series({"a": 2000, "b": 500, "c": 10}))
    >>> acc.per_unit[["in", "out", "balance", "net_per_1000"]]
           in  out  balance  net_per_1000
    unit
    a     2.0  8.0     0.25          -3.0
    b     8.0  2.0     0.25          12.0
    c     0.0  0.0      NaN           0.0
    """
    idx, o, d, v = od_codes(flows, units=units)
    kind, year = _single(flows, "kind"), _single(flows, "year")
    n = len(idx)

    # sum duplicates: one entry per ordered pair
    key, inv = np.unique(o * n + d, return_inverse=True)
    vs = _wsum(inv.ravel(), weights=v, minlength=len(key))
    if len(key) < len(v):
        logger.info("flows: %d duplicate (origin, destination) row(s) summed", len(v) - len(key))
    po, pd_ = key // n, key % n
    self_ = po == pd_
    between = ~self_
    inflow = _wsum(pd_[between], weights=vs[between], minlength=n)
    outflow = _wsum(po[between], weights=vs[between], minlength=n)
    intra = _wsum(po[self_], weights=vs[self_], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        intra_share = intra / (intra + outflow)
    per = pd.DataFrame({"in": inflow, "out": outflow, "net": inflow - outflow, "gross": inflow + outflow,
                        "intra": intra, "intra_share": intra_share,
                        "balance": balance_index(inflow, outflow)}, index=idx)
    if population is not None:
        pop = numeric_by_unit(population, idx, name="population")
        if (pop == 0).any():
            logger.warning("population: %d unit(s) with no residents get NaN per 1,000", int((pop == 0).sum()))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_k = np.where(pop > 0, 1000.0 / np.where(pop > 0, pop, 1.0), np.nan)
        per["in_per_1000"] = inflow * per_k
        per["out_per_1000"] = outflow * per_k
        per["net_per_1000"] = (inflow - outflow) * per_k
    if distance is not None:
        used = between & (vs > 0)
        cost = cost_lookup(distance, idx, po[used], pd_[used])
        weighted = _wsum(po[used], weights=vs[used] * cost, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            per["mean_distance_km"] = np.where(outflow > 0, weighted / np.where(outflow > 0, outflow, 1.0), np.nan)

    # pairs: unordered, origin < destination as text
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(idx.to_numpy(dtype=str), kind="stable")] = np.arange(n)
    ro, rd = rank[po[between]], rank[pd_[between]]
    vb = vs[between]
    lo, hi = np.minimum(ro, rd), np.maximum(ro, rd)
    pkey, pinv = np.unique(lo * n + hi, return_inverse=True)
    pinv = pinv.ravel()
    fwd = _wsum(pinv, weights=np.where(ro < rd, vb, 0.0), minlength=len(pkey))
    bwd = _wsum(pinv, weights=np.where(ro > rd, vb, 0.0), minlength=len(pkey))
    anyflow = (fwd + bwd) > 0
    by_rank = idx.to_numpy()[np.argsort(rank)]
    pairs = pd.DataFrame({"origin": by_rank[pkey[anyflow] // n], "destination": by_rank[pkey[anyflow] % n],
                          "forward": fwd[anyflow], "backward": bwd[anyflow]})
    pairs["total"] = pairs["forward"] + pairs["backward"]
    pairs["balance"] = balance_index(pairs["forward"].to_numpy(), pairs["backward"].to_numpy())
    pairs["symmetry"] = balance_index(pairs["forward"].to_numpy(), pairs["backward"].to_numpy(), form="symmetry")

    by_group = group_pairs = None
    if groups is not None:
        labels, gcode = _groups(groups, idx)
        k = len(labels)
        lab = pd.Index(labels)
        pairs["origin_group"] = lab[gcode[idx.get_indexer(pairs["origin"])]] if len(pairs) else []
        pairs["destination_group"] = lab[gcode[idx.get_indexer(pairs["destination"])]] if len(pairs) else []
        m = _wsum(gcode[po[between]] * k + gcode[pd_[between]], weights=vb, minlength=k * k).reshape(k, k)
        by_group = pd.DataFrame(m, index=pd.Index(labels, name="origin_group"),
                                columns=pd.Index(labels, name="destination_group"))
        ia, ib = np.triu_indices(k, 1)
        ab, ba = m[ia, ib], m[ib, ia]
        total = m.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            share = (ab + ba) / total if total > 0 else np.full(len(ab), np.nan)
        group_pairs = pd.DataFrame({"group_a": lab[ia], "group_b": lab[ib], "a_to_b": ab, "b_to_a": ba,
                                    "total": ab + ba, "balance": balance_index(ab, ba),
                                    "symmetry": balance_index(ab, ba, form="symmetry"), "share_of_total": share})
    return FlowAccounts(per_unit=per, pairs=pairs, by_group=by_group, group_pairs=group_pairs,
                        total=float(vs[between].sum()), intra_total=float(vs[self_].sum()), kind=kind, year=year)
