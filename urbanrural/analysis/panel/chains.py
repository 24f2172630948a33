"""Classic, spatial and LISA Markov chains of one variable over the years (giddy semantics).

Our own numpy kernels; pysal/giddy 2.3 (``Markov``, ``Spatial_Markov``, ``LISA_Markov``)
is the test oracle and the numbers agree to 1e-12 (METHODS.md, "Change over time").

Conventions, as giddy's:

- **Classes.**  Default: quantiles of the values pooled over all units and years
  (``mapclassify.Quantiles(y.flatten(), k)``, i.e. ``scipy.stats.scoreatpercentile`` at
  100/k, 200/k, ... 100 %; giddy ``Spatial_Markov(fixed=True)``).  A value ``x`` is in class
  ``j`` (0-based) when ``b[j-1] < x <= b[j]``; the breaks ``b`` are the first k-1 quantiles
  (:attr:`MarkovResult.classes`), the last class is open-ended.  When ties make quantiles
  coincide, the repeated breaks are merged and ``k`` shrinks (giddy/mapclassify do the
  same) with a warning.  ``pooled=False``: quantiles per year (giddy's documented
  ``Markov`` example; classes are then relative positions).  ``classes=[b1, ..., b_{k-1}]``:
  your own breaks, same rule (giddy's ``cutoffs``).
- **Counting.**  Transitions of every unit between consecutive years, pooled over years;
  ``p`` = counts divided by their row sum.  A class that is never left (no transitions
  out, e.g. seen only in the last year) keeps a row of zeros in ``p`` (giddy).
- **Steady state and first passage.**  Rows of zeros are given a 1 on the diagonal first
  (giddy's ``fill_empty_classes=True``).  The steady state is the stationary
  distribution (GTH elimination, as quantecon, which giddy uses); when the chain has
  several recurrent classes there is one distribution per recurrent class (a 2-D array,
  as giddy).  Mean first-passage times: the fundamental-matrix formula for an
  irreducible chain (Kemeny & Snell; giddy ``ergodic.mfpt``); for a reducible chain
  ``inf`` where the destination is not reached with probability 1, the expected number
  of steps otherwise.  Diagonal = mean recurrence time.
- **Spatial lag.**  ``w`` is used row-standardised (a copy; your ``W`` is not changed),
  the lag of each year's values is classified like the values (``m`` classes,
  pooled when ``fixed=True``) and each transition is filed under the lag class of the
  unit at the start year.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse.csgraph import connected_components

from ...geo.errors import DataError
from ._values import align_weights, as_wide

__all__ = ["MarkovResult", "SpatialMarkovResult", "LisaMarkovResult", "markov", "spatial_markov",
           "lisa_markov", "steady_state", "first_passage", "QUADRANTS", "MOVE_TYPES"]

#: LISA quadrant codes (esda ``Moran_Local.q``)
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
#: Rey's (2001) typology of LISA moves: (own moves?, neighbours move?) -> type
MOVE_TYPES = {"type 0": "unit and neighbours stay in their quadrant",
              "type I": "the unit moves, its neighbours stay (HH<->LH, LL<->HL)",
              "type II": "the neighbours move, the unit stays (HH<->HL, LH<->LL)",
              "type III": "unit and neighbours both move (HH<->LL, LH<->HL)"}


# ----------------------------------------------------------------------------- chain algebra
def _fill_empty(p: np.ndarray) -> np.ndarray:
    p = np.array(p, dtype=float)
    empty = p.sum(axis=1) == 0
    p[empty, empty] = 1.0
    return p


def _gth(p: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible stochastic matrix (Grassmann-Taksar-Heyman)."""
    a = np.array(p, dtype=float)
    n = a.shape[0]
    for k in range(n - 1):
        scale = a[k, k + 1:].sum()
        if scale <= 0:  # not irreducible: solve the leading block only
            n = k + 1
            break
        a[k + 1:n, k] /= scale
        a[k + 1:n, k + 1:n] += np.outer(a[k + 1:n, k], a[k, k + 1:n])
    x = np.zeros(a.shape[0])
    x[n - 1] = 1.0
    for k in range(n - 2, -1, -1):
        x[k] = x[k + 1:n] @ a[k + 1:n, k]
    return x / x.sum()


def _components(p: np.ndarray) -> tuple[int, np.ndarray, list[np.ndarray]]:
    """Number of communication classes, their labels and the recurrent (closed) classes."""
    n_comp, labels = connected_components(p > 0, directed=True, connection="strong")
    recurrent = []
    for c in range(n_comp):
        members = np.flatnonzero(labels == c)
        outside = np.flatnonzero(labels != c)
        if not (p[np.ix_(members, outside)] > 0).any():
            recurrent.append(members)
    recurrent.sort(key=lambda m: m[0])
    return n_comp, labels, recurrent


def steady_state(p: np.ndarray) -> np.ndarray:
    """Stationary distribution(s) of a transition matrix.

    Rows of zeros get a 1 on the diagonal first (giddy ``fill_empty_classes=True``).

    Parameters
    ----------
    p : array-like, (k, k)
        Row-stochastic matrix (rows of zeros allowed).

    Returns
    -------
    numpy.ndarray
        ``(k,)`` when the chain has one recurrent class, else ``(r, k)``: one
        distribution per recurrent class (ordered by their first state).

    Examples
    --------
    >>> steady_state([[0.9, 0.1], [0.5, 0.5]]).round(4).tolist()
    [0.8333, 0.1667]
    """
    p = _fill_empty(np.asarray(p, dtype=float))
    _, _, recurrent = _components(p)
    out = np.zeros((len(recurrent), p.shape[0]))
    for row, members in zip(out, recurrent, strict=True):
        row[members] = _gth(p[np.ix_(members, members)])
    return out[0] if len(recurrent) == 1 else out


def first_passage(p: np.ndarray) -> np.ndarray:
    """Mean first-passage times ``M[i, j]`` (steps from i to first reach j; diagonal: recurrence).

    Parameters
    ----------
    p : array-like, (k, k)
        Row-stochastic matrix (rows of zeros get a 1 on the diagonal first).

    Returns
    -------
    numpy.ndarray, (k, k)
        ``inf`` where ``j`` is not reached from ``i`` with probability 1.

    Examples
    --------
    >>> first_passage([[0.9, 0.1], [0.5, 0.5]]).round(3).tolist()
    [[1.2, 10.0], [2.0, 6.0]]
    """
    p = _fill_empty(np.asarray(p, dtype=float))
    k = p.shape[0]
    n_comp, _, _ = _components(p)
    if n_comp == 1:
        a = np.tile(_gth(p), (k, 1))
        eye = np.identity(k)
        z = np.linalg.inv(eye - p + a)
        d = np.diag(1.0 / np.diag(a))
        return (eye - z + np.ones((k, k)) @ np.diag(np.diag(z))) @ d
    m_all = np.full((k, k), np.inf)
    for j in range(k):
        others = np.array([i for i in range(k) if i != j])
        sub = p[np.ix_(others, others)] > 0
        # states that reach j in one step, then backwards: can reach j at all
        reach = p[others, j] > 0
        for _ in range(k):
            reach = reach | (sub & reach[None, :]).any(axis=1)
        # a state is safe when nothing it can reach (avoiding j) fails to reach j
        bad = ~reach
        for _ in range(k):
            bad = bad | (sub & bad[None, :]).any(axis=1)
        safe = ~bad
        m = np.full(k - 1, np.inf)
        if safe.any():
            block = np.eye(int(safe.sum())) - p[np.ix_(others[safe], others[safe])]
            m[safe] = np.linalg.solve(block, np.ones(int(safe.sum())))
        row = p[j, others]
        m_all[others, j] = m
        m_all[j, j] = np.inf if (row[~safe] > 0).any() else 1.0 + row[safe] @ m[safe]
    return m_all


def _count(class_of: np.ndarray, k: int, lag_of: np.ndarray | None = None, m: int = 1) -> np.ndarray:
    start, end = class_of[:, :-1].ravel(), class_of[:, 1:].ravel()
    counts = np.zeros((m, k, k))
    lag = np.zeros_like(start) if lag_of is None else lag_of[:, :-1].ravel()
    np.add.at(counts, (lag, start, end), 1.0)
    return counts if lag_of is not None else counts[0]


def _normalise(counts: np.ndarray) -> np.ndarray:
    rs = counts.sum(axis=-1, keepdims=True)
    return counts * (1.0 / (rs + (rs == 0)))


# ----------------------------------------------------------------------------- classes
def _quantile_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """mapclassify ``quantile``: upper bounds at 100/k ... 100 %, ties merged."""
    step = 100.0 / k
    pct = np.arange(step, 100 + step, step)
    pct[-1] = min(pct[-1], 100.0)
    return np.unique(np.array([stats.scoreatpercentile(y, q) for q in pct]))


def _classify(frame: pd.DataFrame, *, k: int, classes: Any, pooled: bool,
              what: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Class labels (units x years), the breaks and the number of classes."""
    arr = frame.to_numpy()
    if classes is not None:
        b = np.asarray(classes, dtype=float).ravel()
        if b.size < 1 or not np.isfinite(b).all() or np.any(np.diff(b) <= 0):
            raise DataError(f"{what}: class breaks must be finite and strictly increasing, e.g. [10, 20, 40] "
                            f"for 4 classes; got {list(np.asarray(classes).ravel())}")
        if arr.shape[0] < b.size + 1:
            raise DataError(f"{what}: {arr.shape[0]} units are fewer than the {b.size + 1} classes; "
                            "pass fewer breaks")
        return np.searchsorted(b, arr, side="left"), b, b.size + 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise DataError(f"{what}: k must be an integer >= 2; got {k!r}")
    if arr.shape[0] < k:
        raise DataError(f"{what}: {arr.shape[0]} units are fewer than k={k} classes; use k <= {arr.shape[0]}")
    if np.all(arr == arr.flat[0]):
        raise DataError(f"{what}: all values are equal ({arr.flat[0]}), so there are no classes; "
                        "check the column, or pass classes=[...]")
    if pooled:
        bins = _quantile_breaks(arr.ravel(), k)
        if bins.size < k:
            warnings.warn(f"{what}: ties leave only {bins.size} distinct quantile classes; k={k} reduced to "
                          f"{bins.size} (as giddy/mapclassify); pass k={bins.size} or classes=[...] to silence",
                          UserWarning, stacklevel=3)
        return np.searchsorted(bins[:-1], arr, side="left"), bins[:-1], bins.size
    breaks, cols = [], []
    for j, year in enumerate(frame.columns):
        bins = _quantile_breaks(arr[:, j], k)
        if bins.size < k:
            raise DataError(f"{what}: year {year} has too many ties for {k} quantile classes "
                            f"({bins.size} distinct); use k={bins.size}, pooled classes, or classes=[...]")
        breaks.append(bins[:-1])
        cols.append(np.searchsorted(bins[:-1], arr[:, j], side="left"))
    return np.column_stack(cols), np.vstack(breaks), k


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class MarkovResult:
    """A classic Markov chain of class transitions.

    Attributes
    ----------
    k : int
        Number of classes.
    classes : numpy.ndarray
        Class breaks: ``(k-1,)`` (pooled quantiles or yours) or ``(years, k-1)`` for per-year
        quantiles; class ``j`` holds ``b[j-1] < x <= b[j]`` (0-based, last class open-ended).
    class_of : pandas.DataFrame
        Class (0 ... k-1) of every unit and year.
    transitions : numpy.ndarray, (k, k)
        Counts from class i (start year) to class j (next year), all units and years.
    p : numpy.ndarray, (k, k)
        Row-normalised counts (a class never left keeps a row of zeros).
    steady_state : numpy.ndarray
        Stationary distribution ``(k,)``; ``(r, k)`` when the chain has r > 1 recurrent classes.
    first_passage : numpy.ndarray, (k, k)
        Mean first-passage times (diagonal: mean recurrence times).
    method : str
        ``"pooled quantiles"``, ``"quantiles per year"``, ``"user breaks"`` or ``"labels"``.
    """

    k: int
    classes: np.ndarray
    class_of: pd.DataFrame
    transitions: np.ndarray
    p: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    method: str

    def to_frame(self) -> pd.DataFrame:
        """``p`` as a DataFrame (rows: start class, columns: end class, 1-based labels C1...)."""
        names = [f"C{i + 1}" for i in range(self.k)]
        return pd.DataFrame(self.p, index=pd.Index(names, name="from"), columns=pd.Index(names, name="to"))


def _chain(class_of: pd.DataFrame, k: int, classes: np.ndarray, method: str) -> MarkovResult:
    counts = _count(class_of.to_numpy(), k)
    p = _normalise(counts)
    return MarkovResult(k=k, classes=classes, class_of=class_of, transitions=counts, p=p,
                        steady_state=steady_state(p), first_passage=first_passage(p), method=method)


def markov(values: pd.DataFrame | pd.Series, *, k: int = 5, classes: Any = None,
           pooled: bool = True) -> MarkovResult:
    """Classic Markov chain of quantile (or user) classes over consecutive years.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Units x years (index: unit ids, columns: integer years), or a long Series
        indexed by ``(unit, year)``.  At least 2 years, no missing cells.
    k : int
        Number of quantile classes.
    classes : sequence of float, optional
        Your own breaks ``[b1, ..., b_{k-1}]`` (``k`` is then ``len(classes) + 1``).
    pooled : bool
        Quantiles of all years pooled (default; giddy ``Spatial_Markov(fixed=True)``) or
        per year (``False``; giddy's documented ``Markov`` example).

    Returns
    -------
    MarkovResult

    Raises
    ------
    DataError
        One year only, missing cells, fewer units than classes, constant values.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2000: [1, 2, 3, 4], 2001: [3, 1, 4, 2], 2002: [1, 4, 2, 3]},
    ...                  index=["a", "b", "c", "d"])
    >>> res = markov(v, k=2)
    >>> res.classes.tolist()
    [2.5]
    >>> res.transitions.tolist()
    [[1.0, 3.0], [3.0, 1.0]]
    >>> res.steady_state.tolist()
    [0.5, 0.5]
    """
    frame = as_wide(values, what="values")
    labels, breaks, kk = _classify(frame, k=k, classes=classes, pooled=pooled, what="values")
    method = "user breaks" if classes is not None else "pooled quantiles" if pooled else "quantiles per year"
    class_of = pd.DataFrame(labels, index=frame.index, columns=frame.columns)
    return _chain(class_of, kk, breaks, method)


@dataclass(frozen=True, eq=False)
class SpatialMarkovResult:
    """Spatial Markov chains: one transition matrix per class of the spatial lag.

    Attributes
    ----------
    k, m : int
        Number of classes of the values and of their spatial lag.
    classes, lag_classes : numpy.ndarray
        Breaks of the value classes and of the lag classes (see :class:`MarkovResult`).
    class_of, lag_class_of : pandas.DataFrame
        Class of each unit and year, and class of its spatial lag.
    transitions : numpy.ndarray, (m, k, k)
        Counts per lag class (the lag class of the unit in the start year).
    p : numpy.ndarray, (m, k, k)
        Row-normalised counts per lag class.
    steady_state : numpy.ndarray, (m, k)
        Stationary distribution per lag class (a row of NaN where that chain has several
        recurrent classes; use :func:`steady_state` on ``p[i]`` for all of them).
    first_passage : numpy.ndarray, (m, k, k)
        Mean first-passage times per lag class.
    pooled : MarkovResult
        The classic chain on the same classes (giddy's ``.p``, ``.s``, ``.f``).
    q, q_p_value, lr, lr_p_value : float
        Bickenbach-Bode homogeneity tests: are the m lag-class matrices one matrix?
        (chi-square Q and likelihood ratio LR, ``dof`` degrees of freedom; giddy ``.Q``,
        ``.LR``).
    dof : int
    chi2 : pandas.DataFrame
        Per lag class: chi-square of its counts against the pooled ``p`` (``chi2``,
        ``p_value``, ``dof``; giddy ``.chi2``); ``x2`` = their sum, ``x2_dof`` = k(k-1)(k-1),
        ``x2_p_value``.
    """

    k: int
    m: int
    classes: np.ndarray
    lag_classes: np.ndarray
    class_of: pd.DataFrame
    lag_class_of: pd.DataFrame
    transitions: np.ndarray
    p: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    pooled: MarkovResult
    q: float
    q_p_value: float
    lr: float
    lr_p_value: float
    dof: int
    chi2: pd.DataFrame
    x2: float
    x2_dof: int
    x2_p_value: float


def _chi2(t1: np.ndarray, t2: np.ndarray) -> tuple[float, float, int]:
    """Chi-square of counts ``t1`` against the row probabilities of counts ``t2`` (giddy ``chi2``)."""
    rs2, rs1 = t2.sum(axis=1), t1.sum(axis=1)
    dof = int(((rs1 > 0).sum() - 1) * ((rs2 > 0).sum() - 1))
    expected = (t2 * (1.0 / (rs2 + (rs2 == 0)))[:, None]) * rs1[:, None]
    stat = float(((t1 - expected) ** 2 / (expected + (expected == 0))).sum())
    return stat, float(1 - stats.chi2.cdf(stat, dof)), dof


def _homogeneity(counts: np.ndarray) -> tuple[float, float, float, float, int]:
    """Bickenbach & Bode (2003) Q and LR tests that m transition matrices are equal."""
    total = counts.sum(axis=0)
    n_i = total.sum(axis=1)
    p_ij = total * (1.0 / (n_i + (n_i == 0)))[:, None]
    den = p_ij + (p_ij == 0)
    q = lr = 0.0
    b_i = np.zeros(total.shape[0])
    for nijm in counts:
        nim = nijm.sum(axis=1)
        b_i += nim > 0
        p_ijm = nijm * (1.0 / (nim + (nim == 0)))[:, None]
        q += (nim[:, None] * ((p_ijm - p_ij) ** 2 / den)).sum()
        mask = (nijm > 0) & (p_ij > 0)
        ratio = np.where(mask, p_ijm, 1.0) / np.where(mask, p_ij, 1.0)
        lr += (nijm * np.log(ratio)).sum()
    a_i = (total > 0).sum(axis=1)
    dof = int(((b_i - 1) * (a_i - 1)).sum())
    lr *= 2.0
    return float(q), float(1 - stats.chi2.cdf(q, dof)), float(lr), float(1 - stats.chi2.cdf(lr, dof)), dof


def spatial_markov(values: pd.DataFrame | pd.Series, w: Any, *, k: int = 4, m: int = 4, classes: Any = None,
                   lag_classes: Any = None, fixed: bool = True) -> SpatialMarkovResult:
    """Spatial Markov chains (Rey 2001): transitions conditioned on the neighbours' class.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Units x years, or a long Series indexed by ``(unit, year)``.
    w : libpysal.weights.W
        Spatial weights on the same units (ids compared as text); used row-standardised.
    k, m : int
        Number of quantile classes of the values and of their spatial lag.
    classes, lag_classes : sequence of float, optional
        Your own breaks for the values / the lag (giddy ``cutoffs``, ``lag_cutoffs``).
    fixed : bool
        Quantiles pooled over all years (default) or per year (giddy ``fixed``).

    Returns
    -------
    SpatialMarkovResult

    Raises
    ------
    DataError
        Bad values (see :func:`markov`) or weights whose ids do not match the units.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(4, 4)
    >>> rng = np.random.default_rng(1)
    >>> v = pd.DataFrame(rng.normal(size=(16, 6)).cumsum(axis=1), index=w.id_order,
    ...                  columns=range(2000, 2006))
    >>> res = spatial_markov(v, w, k=2, m=2)
    >>> res.p.shape, int(res.transitions.sum())
    ((2, 2, 2), 80)
    """
    frame = as_wide(values, what="values")
    lag_w = align_weights(w, frame.index)
    labels, breaks, kk = _classify(frame, k=k, classes=classes, pooled=fixed, what="values")
    lag = pd.DataFrame(np.asarray(lag_w @ frame.to_numpy()), index=frame.index, columns=frame.columns)
    lag_labels, lag_breaks, mm = _classify(lag, k=m, classes=lag_classes, pooled=fixed, what="spatial lag")
    class_of = pd.DataFrame(labels, index=frame.index, columns=frame.columns)
    lag_class_of = pd.DataFrame(lag_labels, index=frame.index, columns=frame.columns)
    method = "user breaks" if classes is not None else "pooled quantiles" if fixed else "quantiles per year"
    pooled = _chain(class_of, kk, breaks, method)
    counts = _count(labels, kk, lag_labels, mm)
    p = _normalise(counts)
    ss = np.full((mm, kk), np.nan)
    for i in range(mm):
        s = steady_state(p[i])
        if s.ndim == 1:
            ss[i] = s
    chi = [_chi2(counts[i], pooled.transitions) for i in range(mm)]
    chi_frame = pd.DataFrame(chi, columns=["chi2", "p_value", "dof"],
                             index=pd.Index([f"LAG{i + 1}" for i in range(mm)], name="lag_class"))
    x2 = float(chi_frame["chi2"].sum())
    x2_dof = kk * (kk - 1) * (kk - 1)
    q, q_p, lr, lr_p, dof = _homogeneity(counts)
    return SpatialMarkovResult(
        k=kk, m=mm, classes=breaks, lag_classes=lag_breaks, class_of=class_of, lag_class_of=lag_class_of,
        transitions=counts, p=p, steady_state=ss, first_passage=np.array([first_passage(pi) for pi in p]),
        pooled=pooled, q=q, q_p_value=q_p, lr=lr, lr_p_value=lr_p, dof=dof, chi2=chi_frame, x2=x2,
        x2_dof=x2_dof, x2_p_value=float(1 - stats.chi2.cdf(x2, x2_dof)))


@dataclass(frozen=True, eq=False)
class LisaMarkovResult:
    """Transitions between LISA quadrants (1 HH, 2 LH, 3 LL, 4 HL) over consecutive years.

    Attributes
    ----------
    quadrant : pandas.DataFrame
        Quadrant (1-4) of each unit and year (esda ``Moran_Local.q``).
    transitions, p : numpy.ndarray, (4, 4)
        Counts and row-normalised counts between quadrants (rows/columns: HH, LH, LL, HL).
    steady_state : numpy.ndarray
        Stationary distribution over the quadrants.
    first_passage : numpy.ndarray, (4, 4)
        Mean first-passage times.
    move_types : pandas.DataFrame
        Units x year pairs, giddy's code ``4 * (from - 1) + to`` (1 = HH->HH ... 16 = HL->HL).
    moves : pandas.DataFrame
        Rey's typology (:data:`MOVE_TYPES`): count and share of type 0, I, II and III moves.
    p_values : pandas.DataFrame or None
        Pseudo p-values of the local Moran per unit and year (esda ``p_z_sim``, as giddy),
        with ``permutations > 0``.
    significant_moves : pandas.DataFrame or None
        giddy's 1-64 codes: ``16 * s + move_type`` with s = 0 both ends significant,
        1 only the start, 2 only the end, 3 neither.
    """

    quadrant: pd.DataFrame
    transitions: np.ndarray
    p: np.ndarray
    steady_state: np.ndarray
    first_passage: np.ndarray
    move_types: pd.DataFrame
    moves: pd.DataFrame
    p_values: pd.DataFrame | None
    significant_moves: pd.DataFrame | None

    def to_frame(self) -> pd.DataFrame:
        """``p`` as a DataFrame labelled HH, LH, LL, HL."""
        names = list(QUADRANTS.values())
        return pd.DataFrame(self.p, index=pd.Index(names, name="from"), columns=pd.Index(names, name="to"))


def _move_type(origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
    own = np.isin(origin, (1, 4)) != np.isin(dest, (1, 4))  # own value high: HH or HL
    nbr = np.isin(origin, (1, 2)) != np.isin(dest, (1, 2))  # neighbours high: HH or LH
    return np.where(own & nbr, 3, np.where(nbr, 2, np.where(own, 1, 0)))


def lisa_markov(values: pd.DataFrame | pd.Series, w: Any, *, permutations: int = 0,
                significance_level: float = 0.05, seed: int | None = None) -> LisaMarkovResult:
    """Markov chain of LISA quadrants (giddy ``LISA_Markov``).

    Each year the values are standardised (``z = (y - mean) / sd``) and the quadrant is
    read from the signs of ``z`` and of its row-standardised spatial lag (``> 0`` is high;
    exactly 0 counts as low, as esda).  Transitions are counted as in :func:`markov` on the
    fixed classes 1-4 (a quadrant never visited keeps a zero row).

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Units x years, or a long Series indexed by ``(unit, year)``.
    w : libpysal.weights.W
        Spatial weights on the same units (ids compared as text); not changed.
    permutations : int
        When > 0, local Moran pseudo p-values per year (esda ``Moran_Local``, ``p_z_sim``
        as giddy) give :attr:`LisaMarkovResult.significant_moves`.
    significance_level : float
        A LISA is significant when its p-value is at most this.
    seed : int, optional
        Seed of the permutations.

    Returns
    -------
    LisaMarkovResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(3, 3)
    >>> v = pd.DataFrame({2000: np.arange(9.0), 2001: np.arange(9.0)[::-1]}, index=w.id_order)
    >>> res = lisa_markov(v, w)
    >>> res.quadrant[2000].tolist()
    [3, 3, 3, 3, 3, 1, 1, 1, 1]
    >>> res.moves["count"].tolist()
    [1, 0, 0, 8]
    """
    frame = as_wide(values, what="values", min_units=3)
    flat = [int(c) for c in frame.columns if np.all(frame[c] == frame[c].iloc[0])]
    if flat:
        raise DataError(f"values are constant in year(s) {flat}: no LISA quadrants; drop those years")
    lag_w = align_weights(w, frame.index)
    y = frame.to_numpy()
    z = y - y.mean(axis=0)
    z /= y.std(axis=0)
    zl = np.asarray(lag_w @ z)
    hi, hl = z > 0, zl > 0
    q = np.select([hi & hl, ~hi & hl, ~hi & ~hl], [1, 2, 3], default=4)
    quadrant = pd.DataFrame(q, index=frame.index, columns=frame.columns)
    counts = _count(q - 1, 4)
    p = _normalise(counts)
    pairs = [f"{a}-{b}" for a, b in zip(frame.columns[:-1], frame.columns[1:], strict=True)]
    origin, dest = q[:, :-1], q[:, 1:]
    move_types = pd.DataFrame(4 * (origin - 1) + dest, index=frame.index, columns=pairs)
    kinds = _move_type(origin, dest).ravel()
    n_moves = np.bincount(kinds, minlength=4)
    moves = pd.DataFrame({"count": n_moves, "share": n_moves / n_moves.sum(),
                          "meaning": list(MOVE_TYPES.values())},
                         index=pd.Index(list(MOVE_TYPES), name="move_type"))
    p_values = sig_moves = None
    if permutations:
        p_values, sig_moves = _significance(frame, w, permutations, significance_level, seed, origin, dest)
    return LisaMarkovResult(quadrant=quadrant, transitions=counts, p=p, steady_state=steady_state(p),
                            first_passage=first_passage(p), move_types=move_types, moves=moves,
                            p_values=p_values, significant_moves=sig_moves)


def _significance(frame: pd.DataFrame, w: Any, permutations: int, level: float, seed: int | None,
                  origin: np.ndarray, dest: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    from esda.moran import Moran_Local
    from libpysal.weights import W

    ids = [str(i) for i in w.id_order]
    order = [ids.index(u) for u in frame.index]
    wc = W(dict(w.neighbors), dict(w.weights), id_order=list(w.id_order), silence_warnings=True)
    pv = np.empty(frame.shape)
    for j, year in enumerate(frame.columns):
        y = np.empty(len(ids))
        y[order] = frame[year].to_numpy()
        lisa = Moran_Local(y, wc, permutations=int(permutations), seed=seed)
        pv[:, j] = np.asarray(lisa.p_z_sim)[order]
    sig = pv <= level
    s = 2 * (~sig[:, :-1]) + (~sig[:, 1:])
    codes = 16 * s + 4 * (origin - 1) + dest
    pairs = [f"{a}-{b}" for a, b in zip(frame.columns[:-1], frame.columns[1:], strict=True)]
    return (pd.DataFrame(pv, index=frame.index, columns=frame.columns),
            pd.DataFrame(codes, index=frame.index, columns=pairs))
