"""Flows as a directed network; the modified-gravity "spatial linkage network".

Observed flows (:func:`network_measures`), one kind and one year, F_ij >= 0 from unit
i to unit j; a link i -> j exists where F_ij > 0 and i != j (self-flows are not links):

- strength: out_i = sum_j F_ij, in_i = sum_j F_ji; degree: the number of such links.
- density = L / (n (n - 1)) with L directed links among n units.
- reciprocity = the share of directed links whose reverse link exists, as
  ``networkx.reciprocity(G)`` defines it for a graph without self-loops.
- weighted reciprocity (Squartini, Picciolo, Ruzzenenti & Garlaschelli 2013,
  "Reciprocity of weighted networks", Scientific Reports 3:2729):
  r = sum_{i != j} min(F_ij, F_ji) / sum_{i != j} F_ij; 0 when every flow is one-way,
  1 when every pair is balanced.

Potential linkage (:func:`linkage_network`), the variant of Chinese integration papers
(METHODS.md): R_ij = k_ij sqrt(P_i G_i) sqrt(P_j G_j) / d_ij^2 with the contribution
k_ij = G_i / (G_i + G_j); a link i -> j is kept where R_ij exceeds the mean of R_ij over
the other units j of row i; density = kept links / (n (n - 1)).

Examples
--------
>>> import pandas as pd
>>> f = pd.DataFrame({"origin": ["a", "b", "a", "c"], "destination": ["b", "a", "c", "c"],
...                   "volume": [5.0, 2.0, 3.0, 10.0]})
>>> m = network_measures(f)
>>> m.links, round(m.density, 4), round(m.reciprocity, 4), m.weighted_reciprocity
(3, 0.5, 0.6667, 0.4)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ...geo.errors import DataError
from ...geo.validate import preview
from ._accounts import cost_lookup, numeric_by_unit, od_codes, unit_index

__all__ = ["NetworkMeasures", "network_measures", "LinkageNetwork", "linkage_network", "LINKAGE_VARIANT"]


@dataclass(frozen=True, eq=False)
class NetworkMeasures:
    """Strength, degree, density and reciprocity of a flow network (see :func:`network_measures`).

    Attributes
    ----------
    per_unit : DataFrame
        Indexed by unit id: in_strength, out_strength (volumes), in_degree, out_degree
        (links), all without self-flows.
    n_units : int
        Units (nodes), n.
    links : int
        Directed links between distinct units with a volume > 0.
    density : float
        links / (n (n - 1)); NaN with fewer than two units.
    reciprocity : float
        Share of links whose reverse exists (networkx's definition); NaN with no link.
    weighted_reciprocity : float
        sum min(F_ij, F_ji) / sum F_ij over i != j (Squartini et al. 2013); NaN with no flow.
    total : float
        Volume between distinct units; self-flows (``intra_total``) are left out.
    """

    per_unit: pd.DataFrame = field(repr=False)
    n_units: int
    links: int
    density: float
    reciprocity: float
    weighted_reciprocity: float
    total: float
    intra_total: float

    def to_frame(self) -> pd.DataFrame:
        """The per-unit table (a copy)."""
        return self.per_unit.copy()


def network_measures(flows: pd.DataFrame, *, units: Any = None) -> NetworkMeasures:
    """Strength, degree, density, binary and weighted reciprocity of observed flows.

    Parameters
    ----------
    flows : DataFrame
        ``origin``, ``destination`` (text ids), ``volume`` >= 0; one kind, one year.
        Duplicate pairs are summed; zero volumes and self-flows are not links.
    units : Index, sequence or DataFrame, optional
        All units (nodes), so units without flows count in n and get zero rows.
        Default: the ids in ``flows``, sorted.

    Returns
    -------
    NetworkMeasures

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "volume": [4.0, 1.0]})
    >>> m = network_measures(f, units=["a", "b", "c"])
    >>> m.per_unit
          in_strength  out_strength  in_degree  out_degree
    unit
    a             1.0           4.0          1           1
    b             4.0           1.0          1           1
    c             0.0           0.0          0           0
    >>> m.density, m.reciprocity, m.weighted_reciprocity
    (0.3333333333333333, 1.0, 0.4)
    """
    idx, o, d, v = od_codes(flows, units=units)
    n = len(idx)
    between = o != d
    w = sparse.csr_matrix((v[between], (o[between], d[between])), shape=(n, n))
    w.sum_duplicates()
    w.eliminate_zeros()
    a = w.copy()
    a.data[:] = 1.0
    links = int(a.nnz)
    total = float(w.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        density = links / (n * (n - 1)) if n > 1 else float("nan")
        reciprocity = a.multiply(a.T).nnz / links if links else float("nan")
        weighted = float(w.minimum(w.T).sum()) / total if total > 0 else float("nan")
    per = pd.DataFrame({
        "in_strength": np.asarray(w.sum(axis=0)).ravel(),
        "out_strength": np.asarray(w.sum(axis=1)).ravel(),
        "in_degree": np.bincount(a.indices, minlength=n).astype(np.int64),
        "out_degree": np.diff(a.indptr).astype(np.int64),
    }, index=idx)
    return NetworkMeasures(per_unit=per, n_units=n, links=links, density=float(density),
                           reciprocity=float(reciprocity), weighted_reciprocity=weighted, total=total,
                           intra_total=float(v[~between].sum()))


# --------------------------------------------------------------------------- linkage network

#: The formula and threshold rule :func:`linkage_network` applies (``{k}`` names the
#: measure in the contribution coefficient).
LINKAGE_VARIANT = ("modified gravity: R_ij = k_ij sqrt(P_i G_i) sqrt(P_j G_j) / d_ij^2, k_ij = {k}_i / ({k}_i + {k}_j) "
                   "(0.5 when both are 0), P population, G values, d in km; link i->j kept where R_ij > mean of "
                   "R_ij over the other units j of row i; density = kept links / (n (n - 1))")


@dataclass(frozen=True, eq=False)
class LinkageNetwork:
    """The modified-gravity spatial linkage network (see :func:`linkage_network`).

    Attributes
    ----------
    strength : DataFrame
        One row per ordered pair of distinct units: origin, destination, k (contribution
        of the origin), R (linkage strength), kept (R above its row mean).
    per_unit : DataFrame
        Indexed by unit id: total (the unit's total linkage, sum_j R_ij), share (of the
        sum over all units), degree (kept links in and out), out_degree, in_degree.
    density : float
        Kept links / (n (n - 1)).
    variant : str
        The formula and the threshold rule used.
    """

    strength: pd.DataFrame = field(repr=False)
    per_unit: pd.DataFrame = field(repr=False)
    density: float
    variant: str

    def to_frame(self) -> pd.DataFrame:
        """The per-unit table (a copy)."""
        return self.per_unit.copy()


def linkage_network(values: pd.Series, population: pd.Series, distance: pd.DataFrame, *,
                    economic: pd.Series | None = None) -> LinkageNetwork:
    """Potential linkage between units by the modified gravity model, thresholded by row mean.

    R_ij = k_ij sqrt(P_i G_i) sqrt(P_j G_j) / d_ij^2, k_ij = G_i / (G_i + G_j); the link
    i -> j is kept where R_ij > mean_{j != i} R_ij. R is directed: k_ij + k_ji = 1.

    Parameters
    ----------
    values : Series
        G by unit id: an economic or integration measure >= 0. Its index is the units.
    population : Series
        P by unit id (residents, >= 0); extra ids are ignored.
    distance : DataFrame
        ``origin``, ``destination``, ``cost`` (km), or a square DataFrame by unit id;
        a pair given in one direction only is read as symmetric. Every pair of distinct
        units needs a distance > 0.
    economic : Series, optional
        A measure >= 0 by unit id used in k_ij instead of ``values`` (e.g. GDP in k
        while G is an integration score); the masses stay sqrt(P G).

    Returns
    -------
    LinkageNetwork

    Raises
    ------
    DataError
        Negative or missing values/population, fewer than two units, a missing distance,
        or a zero distance between distinct units.

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.Series({"a": 4.0, "b": 1.0, "c": 4.0})
    >>> p = pd.Series({"a": 4.0, "b": 1.0, "c": 1.0})
    >>> d = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["b", "c", "c"], "cost": [1.0, 2.0, 1.0]})
    >>> net = linkage_network(g, p, d)
    >>> net.strength.round(3)
      origin destination    k    R   kept
    0      a           b  0.8  3.2   True
    1      a           c  0.5  1.0  False
    2      b           a  0.2  0.8   True
    3      b           c  0.2  0.4  False
    4      c           a  0.5  1.0  False
    5      c           b  0.8  1.6   True
    >>> net.density
    0.5
    """
    if not isinstance(values, pd.Series):
        raise DataError(f"values must be a pandas Series indexed by unit id; got {type(values).__name__}")
    idx = unit_index(values.index, name="values")
    n = len(idx)
    if n < 2:
        raise DataError(f"a linkage network needs at least two units; values has {n}")
    g = numeric_by_unit(values, idx, name="values")
    p = numeric_by_unit(population, idx, name="population")
    e = g if economic is None else numeric_by_unit(economic, idx, name="economic")
    o, dd = np.nonzero(~np.eye(n, dtype=bool))
    cost = cost_lookup(distance, idx, o, dd)
    zero = cost == 0
    if zero.any():
        shown = preview(f"{idx[i]}->{idx[j]}" for i, j in zip(o[zero], dd[zero], strict=True))
        raise DataError(f"distance is 0 between {int(zero.sum())} pair(s) of distinct units ({shown}): "
                        f"gravity divides by d^2; fix the distances (e.g. centroid to centroid, km) "
                        f"or merge units that share a location")
    mass = np.sqrt(p * g)
    esum = e[o] + e[dd]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(esum > 0, e[o] / np.where(esum > 0, esum, 1.0), 0.5)
    r = k * mass[o] * mass[dd] / cost**2
    row_total = np.bincount(o, weights=r, minlength=n)
    row_mean = row_total / (n - 1)
    kept = r > row_mean[o]
    strength = pd.DataFrame({"origin": idx.to_numpy()[o], "destination": idx.to_numpy()[dd], "k": k, "R": r,
                             "kept": kept})
    grand = row_total.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = row_total / grand if grand > 0 else np.full(n, np.nan)
    out_degree = np.bincount(o[kept], minlength=n).astype(np.int64)
    in_degree = np.bincount(dd[kept], minlength=n).astype(np.int64)
    per = pd.DataFrame({"total": row_total, "share": share, "degree": out_degree + in_degree,
                        "out_degree": out_degree, "in_degree": in_degree}, index=idx)
    variant = LINKAGE_VARIANT.format(k="G" if economic is None else "E (economic)")
    return LinkageNetwork(strength=strength, per_unit=per, density=float(kept.sum() / (n * (n - 1))),
                          variant=variant)
